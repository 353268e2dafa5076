/*
 * apigen: which generation of the assisted-service API a run talks to
 * (protocol/README.md §8), decided once before any cluster starts.
 *
 * `api_generation: current` or `2023` in the service config decide it.
 * With `auto` (the default) the swarm asks the service once, right after
 * the start-up check: GET /v2/clusters/<nil UUID>/progress. That path exists
 * (with PUT only: v2UpdateClusterFinalizingProgress) in every service since
 * December 2023 and in none before; the service's router answers before any
 * authentication or handler runs, 405 when it knows the path (current) and
 * 404 "path ... was not found" when it does not (2023). Nothing is read or
 * written. Any other outcome (a transport error, a proxy's own answer)
 * leaves it unknown: the engine then speaks the current generation and
 * still learns from answers (a 400 asking for api_vip, a router 404 on the
 * finalizing-progress route), logging once.
 *
 * What a generation changes in the engine: 2023 sends api_vip/ingress_vip
 * with api_vips/ingress_vips, never control_plane_count, and its controller
 * makes no finalizing-progress calls (that generation's never did).
 */
#ifndef SWARM_APIGEN_H
#define SWARM_APIGEN_H

#include <stddef.h>
#include <event2/event.h>
#include "config.h"
#include "stats.h"

enum swarm_api_gen { SWARM_GEN_UNKNOWN, SWARM_GEN_CURRENT, SWARM_GEN_2023 };

/* The probe's path (under the API base). */
#define APIGEN_PROBE_PATH "/v2/clusters/00000000-0000-0000-0000-000000000000/progress"

/* The generation the service config names; SWARM_GEN_UNKNOWN for auto (or none). */
enum swarm_api_gen apigen_from_config(const struct swarm_service *svc);

/* Stable name: "unknown", "current", "2023". */
const char *apigen_name(enum swarm_api_gen g);

/* 1 when |status| and |body| (|len| bytes, need not be NUL-terminated) are
 * the service router's 404 for a path it has no route for:
 * {"code":404,"message":"path ... was not found"} (protocol/README.md §1.3). */
int apigen_route_missing(int status, const char *body, size_t len);

/* The probe's verdict from its answer: 405 current, a router 404 2023,
 * anything else unknown. */
enum swarm_api_gen apigen_classify(int status, const char *body, size_t len);

/*
 * Runs the probe against |svc| on |base| (not running; blocks until the
 * answer or |timeout_ms|), with its own client and the user credentials.
 * Records the call in |st| as EP_API_PROBE. Returns the verdict; on
 * SWARM_GEN_UNKNOWN writes why into |why|.
 */
enum swarm_api_gen apigen_probe(struct event_base *base, const struct swarm_service *svc,
                                struct swarm_stats *st, unsigned timeout_ms, char *why,
                                size_t whylen);

#endif
