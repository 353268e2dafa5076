/*
 * push: sends the run's final metrics and outcome to a Prometheus
 * Pushgateway at the end of the run (`--push URL` or the service config's
 * `pushgateway: {url, job}`): one PUT of the text exposition (the same
 * families as /metrics, plus swarm_run_* gauges) to
 * URL/metrics/job/<job>/instance/<run id>. PUT replaces the whole group, so
 * a run's series are exactly its own; the run id as `instance` keeps runs
 * apart. README "Observability: dashboard, alert rules, Pushgateway" explains the choice.
 */
#ifndef SWARM_PUSH_H
#define SWARM_PUSH_H

#include <stddef.h>
#include <event2/buffer.h>
#include "config.h"
#include "report.h"
#include "stats.h"

#define PUSH_TIMEOUT_MS 10000

/* Appends the swarm_run_* gauges of |run| (passed, exit code, duration,
 * start and end time) to |out|. */
void push_render_run(struct evbuffer *out, const struct report_run *run);

/*
 * PUTs |body| to |url|/metrics/job/|job|/instance/|instance| on a private
 * event loop (the run is over; nothing else waits), at most
 * PUSH_TIMEOUT_MS. TLS settings come from |svc|. Returns 0 when the
 * Pushgateway answered 2xx, else a negative SW_ERR_* with the reason in
 * |err|.
 */
int push_metrics(const struct swarm_service *svc, const char *url, const char *job,
                 const char *instance, struct evbuffer *body, char *err, size_t errlen);

#endif
