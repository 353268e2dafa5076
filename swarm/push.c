/*
 * push: one PUT to a Pushgateway (see push.h).
 */
#include "push.h"

#include <stdio.h>
#include <string.h>
#include <event2/event.h>

#include "http_once.h"
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

int push_metrics(const struct swarm_service *svc, const char *url, const char *job,
                 const char *instance, struct evbuffer *body, char *err, size_t errlen)
{
	struct sw_client *c = NULL;
	struct http_once ans;
	char path[2048], msg[200];
	int rv = SW_ERR_NOMEM;
	memset(&ans, 0, sizeof(ans));
	const char *prefix = svcm_url_path(url);
	size_t pl = strlen(prefix);
	while (pl && prefix[pl - 1] == '/')
		pl--;
	if ((size_t)snprintf(path, sizeof(path), "%.*s/metrics/job/%s/instance/%s", (int)pl, prefix, job,
	                     instance) >= sizeof(path)) {
		snprintf(err, errlen, "push URL too long");
		return SW_ERR_INVALID;
	}
	struct event_base *base = event_base_new();
	if (!base) {
		snprintf(err, errlen, "cannot create an event loop");
		return SW_ERR_NOMEM;
	}
	c = svcm_client_new(base, svc, url, PUSH_TIMEOUT_MS, err, errlen);
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
	rv = http_once(base, c, req, PUSH_TIMEOUT_MS + 1000, &ans, err, errlen);
	if (rv == 0 && (ans.status < 200 || ans.status > 299)) {
		/* The Pushgateway explains a refused push in its body. */
		http_once_excerpt(&ans, msg, sizeof(msg));
		rv = SW_ERR_INVALID;
		snprintf(err, errlen, "PUT %s answered HTTP %d: %s", path, ans.status, msg);
	}
out:
	http_once_free(&ans);
	sw_client_free(&c);
	event_base_free(base);
	return rv;
}
