/*
 * prom: Prometheus text exposition format (version 0.0.4) writer, used by the
 * emulator's and the swarm's /metrics endpoints. Appends to an evbuffer;
 * escapes label values; never allocates beyond the evbuffer. Each writer
 * returns 0, or SW_ERR_NOMEM when the evbuffer could not grow (the text is
 * then incomplete: drop the buffer).
 */
#ifndef PROM_H
#define PROM_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>

/* "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram). */
int prom_family(struct evbuffer *out, const char *name, const char *type, const char *help);

/* One sample line. |labels| is NULL or pairs "k1","v1","k2","v2",...,NULL
 * (values escaped here). */
int prom_sample(struct evbuffer *out, const char *name, const char *const *labels, double value);
int prom_sample_u64(struct evbuffer *out, const char *name, const char *const *labels, uint64_t value);

/*
 * A classic histogram: |n| upper bounds |le| (seconds, ascending, +Inf added
 * here) with non-cumulative counts |counts| (n+1 entries, the last one for
 * +Inf), plus |sum| and total |count|. Writes name_bucket{...,le="x"},
 * name_sum and name_count.
 */
int prom_histogram(struct evbuffer *out, const char *name, const char *const *labels,
                   const double *le, const uint64_t *counts, size_t n, double sum,
                   uint64_t count);

#endif
