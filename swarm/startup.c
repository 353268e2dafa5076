/*
 * startup: the start-up component-versions check with bounded retries (see
 * startup.h). A client per attempt (a fresh one connects at once instead
 * of inheriting a failed one's back-off); each attempt runs the loop until
 * its callback (the request's own timeout bounds it), each pause runs the
 * loop until a timer, and a signal event ends either.
 */
#include "startup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_model.h"
#include "rt.h"
#include "sw_client.h"
#include "sw_err.h"
#include "sw_http.h"

#define ATTEMPT_TIMEOUT_MS 10000u

struct startup {
	struct event_base *base;
	struct swarm_stats *st;
	int done, err, status, signalled;
	unsigned retry_after_s;        /* the answer's Retry-After, 0 = none */
	uint64_t t0;
	struct sw_retries tr;          /* the attempt's transport retries */
	char msg[256];
	char *agent_image;
};

static void on_answer(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct startup *s = arg;
	uint64_t now = sw_now_ns();

	s->done = 1;
	s->err = err;
	s->status = 0;
	s->retry_after_s = 0;
	if (err == SW_ERR_CANCELLED) {
		/* our own sw_client_free() after a signal: not the service's doing */
		snprintf(s->msg, sizeof(s->msg), "cancelled");
	} else if (err < 0) {
		snprintf(s->msg, sizeof(s->msg), "%s", msg ? msg : sw_err_name(err));
		stats_record_call(s->st, EP_COMPONENT_VERSIONS, err, 0, s->t0, s->t0, now);
	} else {
		const char *ra = sw_hdrs_get(&resp->hdrs, "retry-after");
		s->status = resp->status;
		if (ra) {
			char *end;
			unsigned long v = strtoul(ra, &end, 10);
			if (end != ra && !*end)
				s->retry_after_s = v > STARTUP_RETRY_AFTER_MAX_S ? STARTUP_RETRY_AFTER_MAX_S : (unsigned)v;
		}
		if (resp->status >= 200 && resp->status <= 299) {
			free(s->agent_image);
			s->agent_image = rt_versions_agent_image(resp);
		}
		stats_record_call(s->st, EP_COMPONENT_VERSIONS, 0, resp->status, s->t0,
		                  resp->t_sent_ns ? resp->t_sent_ns : s->t0, now);
	}
	stats_record_transport_retries(s->st, EP_COMPONENT_VERSIONS, &s->tr);
	event_base_loopbreak(s->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct startup *s = arg;
	(void)sig;
	(void)what;
	s->signalled = 1;
	event_base_loopbreak(s->base);
}

static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Transient: worth another attempt. */
static int transient(int err, int status)
{
	if (err < 0)
		return !sw_err_is_fatal(err);
	return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

/* One attempt with at most |timeout_ms|, on a client of its own (a client
 * that failed to connect backs off for seconds before the next connection:
 * this loop's own pauses decide). Returns 0 when it completed (the outcome
 * is in |s|), SW_ERR_CANCELLED on a signal, or an error with |err| set. */
static int attempt(struct startup *s, const struct sw_client_cfg *cfg,
                   const struct swarm_service *svc, unsigned timeout_ms, char *err, size_t errlen)
{
	struct sw_client *c = sw_client_new(s->base, cfg, err, errlen);
	struct sw_req *req;
	int rv;

	if (!c)
		return SW_ERR_INVALID;
	req = sw_req_new("GET", AS_API_BASE "/v2/component-versions");
	if (!req) {
		sw_client_free(&c);
		snprintf(err, errlen, "out of memory");
		return SW_ERR_NOMEM;
	}
	rv = sw_req_header(req, "accept", "application/json");
	char *bearer = swarm_service_bearer(svc);
	if (!rv && bearer)
		rv = sw_req_header(req, "authorization", bearer);
	free(bearer);
	if (rv) {
		sw_req_free(&req);
		sw_client_free(&c);
		snprintf(err, errlen, "%s", rv == SW_ERR_NOMEM ? "out of memory"
		         : "user_token cannot be sent in an HTTP header");
		return rv;
	}
	req->timeout_ms = timeout_ms;
	memset(&s->tr, 0, sizeof(s->tr));
	req->retries = &s->tr;
	s->done = 0;
	s->t0 = sw_now_ns();
	rv = sw_client_request(c, NULL, req, on_answer, s);
	if (rv < 0) {
		sw_client_free(&c);
		snprintf(err, errlen, "cannot send the request: %s", sw_err_name(rv));
		return rv;
	}
	while (!s->done && !s->signalled)
		event_base_dispatch(s->base);
	/* Cancels the request if a signal left it pending (its callback runs now). */
	sw_client_free(&c);
	return s->signalled ? SW_ERR_CANCELLED : 0;
}

/* Waits |ms|; returns SW_ERR_CANCELLED when a signal came first. */
static int pause_ms(struct startup *s, unsigned ms)
{
	struct event *ev = evtimer_new(s->base, on_pause_end, s->base);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (!ev)
		return SW_ERR_NOMEM;
	evtimer_add(ev, &tv);
	while (!s->signalled && evtimer_pending(ev, NULL))
		event_base_dispatch(s->base);
	event_free(ev);
	return s->signalled ? SW_ERR_CANCELLED : 0;
}

static void describe(const struct startup *s, char *out, size_t len)
{
	if (s->err < 0)
		snprintf(out, len, "%s", s->msg);
	else
		snprintf(out, len, "answered HTTP %d%s", s->status,
		         s->status == 401 || s->status == 403 ? " (check auth and user_token)" : "");
}

int startup_check(struct event_base *base, const struct swarm_service *svc, struct swarm_stats *st,
                  int quiet, char **agent_image, int *cfg_bad, int *http_status, char *err,
                  size_t errlen)
{
	struct sw_client_cfg cfg;
	struct startup s;
	struct sw_client *c;
	struct event *sigint = NULL, *sigterm = NULL;
	char last[300];
	unsigned backoff = STARTUP_BACKOFF_INITIAL_MS, attempts = 0;
	uint64_t start = sw_now_ns(), limit = (uint64_t)svc->startup_timeout_ms * 1000000u;
	int rv;

	memset(&s, 0, sizeof(s));
	s.base = base;
	s.st = st;
	*agent_image = NULL;
	*http_status = 0;
	swarm_service_client_cfg(svc, &cfg);
	cfg.connect_timeout_ms = 5000;
	cfg.tls_timeout_ms = 5000;
	cfg.request_timeout_ms = ATTEMPT_TIMEOUT_MS;
	cfg.max_retries = 1; /* the client's own re-sends are few (0 means its default, 3) */
	cfg.max_conns = 1;
	/* A client that cannot even be set up (CA file, certificate) is a
	 * configuration error, found before any attempt. */
	c = sw_client_new(base, &cfg, err, errlen);
	if (!c) {
		*cfg_bad = 1;
		return SW_ERR_INVALID;
	}
	sw_client_free(&c);
	sigint = evsignal_new(base, SIGINT, on_signal, &s);
	sigterm = evsignal_new(base, SIGTERM, on_signal, &s);
	if (sigint)
		event_add(sigint, NULL);
	if (sigterm)
		event_add(sigterm, NULL);
	for (;;) {
		uint64_t spent = sw_now_ns() - start;
		uint64_t left = limit > spent ? limit - spent : 0;
		unsigned tmo = ATTEMPT_TIMEOUT_MS;
		if (attempts && left / 1000000u < tmo)
			tmo = left / 1000000u > 1000 ? (unsigned)(left / 1000000u) : 1000;
		attempts++;
		rv = attempt(&s, &cfg, svc, tmo, err, errlen);
		if (rv < 0)
			break;
		if (s.err == 0 && s.status >= 200 && s.status <= 299) {
			*agent_image = s.agent_image;
			s.agent_image = NULL;
			break;
		}
		describe(&s, last, sizeof(last));
		spent = sw_now_ns() - start;
		unsigned wait = s.retry_after_s ? s.retry_after_s * 1000 : backoff;
		if (!transient(s.err, s.status) || spent + (uint64_t)wait * 1000000u >= limit) {
			rv = s.err < 0 ? s.err : SW_ERR_INVALID;
			*http_status = s.err < 0 ? 0 : s.status;
			if (transient(s.err, s.status) && attempts > 1)
				snprintf(err, errlen, "GET %s/v2/component-versions: %s (%u attempts over %.1fs; "
				         "startup_timeout %us)", AS_API_BASE, last, attempts, (double)spent / 1e9,
				         svc->startup_timeout_ms / 1000);
			else
				snprintf(err, errlen, "GET %s/v2/component-versions: %s", AS_API_BASE, last);
			break;
		}
		stats_record_retry(st, EP_COMPONENT_VERSIONS, s.err, s.status);
		if (!quiet)
			fprintf(stderr, "swarm: component-versions: %s; retrying in %.1fs (attempt %u, up to "
			        "%us)\n", last, wait / 1000.0, attempts + 1, svc->startup_timeout_ms / 1000);
		rv = pause_ms(&s, wait);
		if (rv < 0)
			break;
		if (!s.retry_after_s)
			backoff = backoff * 2 > STARTUP_BACKOFF_MAX_MS ? STARTUP_BACKOFF_MAX_MS : backoff * 2;
	}
	if (rv == SW_ERR_CANCELLED)
		snprintf(err, errlen, "interrupted during the start-up check");
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	free(s.agent_image);
	return rv;
}
