/*
 * push: one PUT to a Pushgateway (see push.h).
 */
#include "push.h"

#include <stdio.h>
#include <string.h>
#include <event2/event.h>

#include "prom.h"
#include "sw_client.h"
#include "sw_err.h"
#include "svcmetrics.h"

void push_render_run(struct evbuffer *out, const struct report_run *run)
{
	prom_family(out, "swarm_run_passed", "gauge", "1 when every cluster of the run installed.");
	prom_sample(out, "swarm_run_passed", NULL, run->exit_code == SWARM_EXIT_OK ? 1 : 0);
	prom_family(out, "swarm_run_exit_code", "gauge", "Exit code of the run before the push.");
	prom_sample(out, "swarm_run_exit_code", NULL, run->exit_code);
	prom_family(out, "swarm_run_duration_seconds", "gauge", "Duration of the run.");
	prom_sample(out, "swarm_run_duration_seconds", NULL, run->duration_s);
	prom_family(out, "swarm_run_start_timestamp_seconds", "gauge", "Wall-clock start of the run (UNIX time).");
	prom_sample(out, "swarm_run_start_timestamp_seconds", NULL, run->start_wall);
	prom_family(out, "swarm_run_end_timestamp_seconds", "gauge", "Wall-clock end of the run (UNIX time).");
	prom_sample(out, "swarm_run_end_timestamp_seconds", NULL, run->end_wall);
}

struct push_call {
	struct event_base *base;
	int done, err, status;
	char msg[200];
};

static void on_pushed(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct push_call *pc = arg;
	pc->done = 1;
	pc->err = err;
	if (err < 0)
		snprintf(pc->msg, sizeof(pc->msg), "%s", msg ? msg : sw_err_name(err));
	else if (resp) {
		pc->status = resp->status;
		/* The Pushgateway explains a refused push in its body. */
		size_t n = evbuffer_get_length(resp->body);
		if (n > sizeof(pc->msg) - 1)
			n = sizeof(pc->msg) - 1;
		evbuffer_copyout(resp->body, pc->msg, n);
		pc->msg[n] = '\0';
		for (char *p = pc->msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	event_base_loopbreak(pc->base);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int push_metrics(const struct swarm_service *svc, const char *url, const char *job,
                 const char *instance, struct evbuffer *body, char *err, size_t errlen)
{
	struct push_call pc;
	struct sw_client *c = NULL;
	struct event *tmo = NULL;
	char path[2048];
	int rv = SW_ERR_NOMEM;
	memset(&pc, 0, sizeof(pc));
	const char *prefix = svcm_url_path(url);
	size_t pl = strlen(prefix);
	while (pl && prefix[pl - 1] == '/')
		pl--;
	if ((size_t)snprintf(path, sizeof(path), "%.*s/metrics/job/%s/instance/%s", (int)pl, prefix, job,
	                     instance) >= sizeof(path)) {
		snprintf(err, errlen, "push URL too long");
		return SW_ERR_INVALID;
	}
	pc.base = event_base_new();
	if (!pc.base) {
		snprintf(err, errlen, "cannot create an event loop");
		return SW_ERR_NOMEM;
	}
	c = svcm_client_new(pc.base, svc, url, PUSH_TIMEOUT_MS, err, errlen);
	if (!c) {
		rv = SW_ERR_INVALID;
		goto out;
	}
	struct sw_req *req = sw_req_new("PUT", path);
	if (!req || sw_req_header(req, "content-type", "text/plain; version=0.0.4; charset=utf-8") != 0 ||
	    evbuffer_add_buffer(req->body, body) != 0) {
		sw_req_free(&req);
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rv = sw_client_request(c, NULL, req, on_pushed, &pc);
	if (rv < 0) {
		snprintf(err, errlen, "cannot send: %s", sw_err_name(rv));
		goto out;
	}
	tmo = evtimer_new(pc.base, on_timeout, pc.base);
	if (tmo) {
		struct timeval tv = {PUSH_TIMEOUT_MS / 1000 + 1, 0};
		evtimer_add(tmo, &tv);
	}
	event_base_dispatch(pc.base);
	if (!pc.done) {
		rv = SW_ERR_TIMEOUT;
		snprintf(err, errlen, "PUT %s: no answer within %us", path, PUSH_TIMEOUT_MS / 1000 + 1);
	} else if (pc.err < 0) {
		rv = pc.err;
		snprintf(err, errlen, "PUT %s: %s", path, pc.msg);
	} else if (pc.status < 200 || pc.status > 299) {
		rv = SW_ERR_INVALID;
		snprintf(err, errlen, "PUT %s answered HTTP %d: %s", path, pc.status, pc.msg);
	} else {
		rv = 0;
	}
out:
	if (tmo)
		event_free(tmo);
	sw_client_free(&c);
	event_base_free(pc.base);
	return rv;
}
