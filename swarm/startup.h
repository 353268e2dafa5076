/*
 * startup: the start-up check. Like the original tool, the swarm asks the
 * service for its component versions (GET /v2/component-versions) before
 * starting anything, so a wrong endpoint, certificate or token is one clear
 * message (exit 4) instead of thousands of failed agents; the discovery
 * agent image named in the answer is what the agents report.
 *
 * A service that is starting, restarting or briefly overloaded is not
 * "unreachable": transient failures (5xx, 408, 429, and transport errors
 * that sw_err_is_fatal() calls transient: refused, reset or closed
 * connections, timeouts) are retried with back-off (0.5 s doubling to 5 s,
 * or the answer's Retry-After up to 30 s) for at most the service config's
 * `startup_timeout` (default 60 s), as the agents retry. Permanent failures
 * end it at once: 401, 403, 404 and other 4xx/3xx answers, and fatal
 * transport errors (certificate, TLS, protocol). Every attempt is recorded
 * in the stats as a component_versions call, every retry as a retry.
 * SIGINT or SIGTERM during the check stops it.
 *
 * Runs on the main thread's event loop before any shard exists; blocks it
 * for the duration of the check (nothing else runs yet).
 */
#ifndef SWARM_STARTUP_H
#define SWARM_STARTUP_H

#include <stddef.h>
#include <event2/event.h>
#include "config.h"
#include "stats.h"

/* Back-off between attempts: the first pause and the longest. */
#define STARTUP_BACKOFF_INITIAL_MS 500u
#define STARTUP_BACKOFF_MAX_MS 5000u
/* Longest Retry-After honoured, seconds. */
#define STARTUP_RETRY_AFTER_MAX_S 30u

/*
 * Runs the check against |svc| on |base|, recording every attempt and retry
 * in |st|; prints a line per retry on stderr unless |quiet|. Returns 0 when
 * the service answered 2xx (the discovery agent image it names goes to
 * |*agent_image|, malloc'd, NULL when absent); SW_ERR_INVALID with
 * |*cfg_bad| set when the HTTP client itself could not be set up (CA file,
 * certificate: a configuration error); SW_ERR_CANCELLED when a signal
 * stopped it; any other negative code when the service is unreachable,
 * with the reason (endpoint, last failure, attempts and time spent) in |err|
 * and, when the last failure was an HTTP answer, its status in
 * |*http_status| (else 0).
 */
int startup_check(struct event_base *base, const struct swarm_service *svc, struct swarm_stats *st,
                  int quiet, char **agent_image, int *cfg_bad, int *http_status, char *err,
                  size_t errlen);

#endif
