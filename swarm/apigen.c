/*
 * apigen: the API generation of the service (see apigen.h).
 */
#include "apigen.h"

#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include <jansson.h>
#include "as_model.h"
#include "ops.h"
#include "sw_client.h"
#include "sw_err.h"
#include "sw_http.h"

enum swarm_api_gen apigen_from_config(const struct swarm_service *svc)
{
	const char *g = svc ? svc->api_generation : NULL;

	if (g && !strcmp(g, "current"))
		return SWARM_GEN_CURRENT;
	if (g && !strcmp(g, "2023"))
		return SWARM_GEN_2023;
	return SWARM_GEN_UNKNOWN;
}

const char *apigen_name(enum swarm_api_gen g)
{
	return g == SWARM_GEN_CURRENT ? "current" : g == SWARM_GEN_2023 ? "2023" : "unknown";
}

int apigen_route_missing(int status, const char *body, size_t len)
{
	json_t *j, *code, *m;
	const char *s;
	size_t n;
	int hit = 0;

	if (status != 404 || !body || !len)
		return 0;
	j = json_loadb(body, len, 0, NULL);
	code = json_is_object(j) ? json_object_get(j, "code") : NULL;
	m = json_is_object(j) ? json_object_get(j, "message") : NULL;
	if (json_is_integer(code) && json_integer_value(code) == 404 && json_is_string(m)) {
		s = json_string_value(m);
		n = strlen(s);
		hit = n > 19 && !strncmp(s, "path ", 5) && !strcmp(s + n - 14, " was not found");
	}
	json_decref(j);
	return hit;
}

enum swarm_api_gen apigen_classify(int status, const char *body, size_t len)
{
	if (status == 405)
		return SWARM_GEN_CURRENT;
	if (apigen_route_missing(status, body, len))
		return SWARM_GEN_2023;
	return SWARM_GEN_UNKNOWN;
}

struct probe {
	struct event_base *base;
	struct swarm_stats *st;
	uint64_t t0;
	int done;
	enum swarm_api_gen gen;
	char why[160];
};

static void on_probe(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct probe *p = arg;
	uint64_t now = sw_now_ns();
	size_t len;
	const char *body;

	p->done = 1;
	if (err < 0 || !resp) {
		snprintf(p->why, sizeof(p->why), "%s", msg ? msg : sw_err_name(err < 0 ? err : SW_ERR_PROTO));
		stats_record_call(p->st, EP_API_PROBE, err < 0 ? err : SW_ERR_PROTO, 0, p->t0, p->t0, now);
	} else {
		len = resp->body ? evbuffer_get_length(resp->body) : 0;
		body = len ? (const char *)evbuffer_pullup(resp->body, -1) : NULL;
		p->gen = apigen_classify(resp->status, body, len);
		if (p->gen == SWARM_GEN_UNKNOWN)
			snprintf(p->why, sizeof(p->why), "HTTP %d, neither the router's 405 nor its 404",
			         resp->status);
		stats_record_call(p->st, EP_API_PROBE, 0, resp->status, p->t0,
		                  resp->t_sent_ns ? resp->t_sent_ns : p->t0, now);
	}
	event_base_loopbreak(p->base);
}

static void on_probe_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(p->base);
}

enum swarm_api_gen apigen_probe(struct event_base *base, const struct swarm_service *svc,
                                struct swarm_stats *st, unsigned timeout_ms, char *why,
                                size_t whylen)
{
	struct sw_client_cfg cfg;
	struct sw_client *c;
	struct sw_req *req = NULL;
	struct event *tmo = NULL;
	struct probe p;
	char *bearer;
	char err[256];
	int rv;

	memset(&p, 0, sizeof(p));
	p.base = base;
	p.st = st;
	snprintf(why, whylen, "not asked");
	swarm_service_client_cfg(svc, &cfg);
	cfg.request_timeout_ms = timeout_ms;
	cfg.max_retries = 1;
	cfg.max_conns = 1;
	c = sw_client_new(base, &cfg, err, sizeof(err));
	if (!c) {
		snprintf(why, whylen, "%s", err);
		return SWARM_GEN_UNKNOWN;
	}
	req = sw_req_new("GET", AS_API_BASE APIGEN_PROBE_PATH);
	bearer = swarm_service_bearer(svc);
	rv = req ? sw_req_header(req, "accept", swarm_op(EP_API_PROBE)->accept) : SW_ERR_NOMEM;
	if (!rv && bearer)
		rv = sw_req_header(req, "authorization", bearer);
	free(bearer);
	if (rv < 0) {
		sw_req_free(&req);
		snprintf(why, whylen, "%s", sw_err_name(rv));
		goto out;
	}
	p.t0 = sw_now_ns();
	rv = sw_client_request(c, NULL, req, on_probe, &p);
	if (rv < 0) {
		snprintf(why, whylen, "cannot send the request: %s", sw_err_name(rv));
		goto out;
	}
	tmo = evtimer_new(base, on_probe_timeout, &p);
	if (tmo) {
		struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
		evtimer_add(tmo, &tv);
	}
	event_base_dispatch(base);
	if (!p.done)
		snprintf(why, whylen, "no answer within %u ms", timeout_ms);
	else if (p.gen == SWARM_GEN_UNKNOWN)
		snprintf(why, whylen, "%s", p.why);
out:
	if (tmo)
		event_free(tmo);
	/* Cancels the request if it is still pending (its callback runs now). */
	sw_client_free(&c);
	return p.done ? p.gen : SWARM_GEN_UNKNOWN;
}
