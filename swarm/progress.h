/*
 * progress: the live view of a running swarm. On a terminal one line
 * rewritten in place ("\r" + clear line) each interval; otherwise one plain
 * log line per interval. Owns the previous sample needed for rates and the
 * windowed latency quantile; formatting is separate from writing so it can
 * be tested.
 */
#ifndef SWARM_PROGRESS_H
#define SWARM_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "hist.h"
#include "stats.h"

struct progress {
	int live;                 /* 1: rewrite one line in place; 0: plain lines */
	unsigned width;           /* terminal columns for the live line (>= 20) */
	uint64_t prev_ns;         /* time of the previous sample (0 = none yet) */
	uint64_t prev_requests;
	struct hist prev_latency; /* cumulative service latency of every endpoint at prev_ns */
	int dirty;                /* a live line is on screen (needs clearing before other output) */
	const char *extra;        /* appended after " | " when set and it fits (soak window, orch.c) */
};

/* Initialises |p| for |live| output |width| columns wide (0 = 80). */
void progress_init(struct progress *p, int live, unsigned width);

/*
 * Formats one progress line for |st| at monotonic time |now_ns|, |elapsed_ns|
 * after the run started, into |buf| (no newline, no control characters; a
 * live line is cut to p->width - 1 columns). Updates the previous sample.
 * Returns the line length.
 *
 * Content: elapsed time, hosts by phase (short labels), clusters
 * installed/failed/total, requests per second since the previous line,
 * errors, and p99 service latency over all endpoints since the previous
 * line ("p99 -" when no request completed).
 */
size_t progress_format(struct progress *p, const struct swarm_stats *st, uint64_t now_ns,
                       uint64_t elapsed_ns, char *buf, size_t len);

/* Formats and writes one update to |out| (live: "\r\033[2K" + line, no newline). */
void progress_print(struct progress *p, FILE *out, const struct swarm_stats *st, uint64_t now_ns,
                    uint64_t elapsed_ns);

/* Ends a live line (newline) so other output can follow. No-op otherwise. */
void progress_finish(struct progress *p, FILE *out);

#endif
