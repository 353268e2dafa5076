/*
 * hist: fixed-memory log-linear latency histogram (HdrHistogram-like), in
 * nanoseconds, relative error below 1/64 (~1.6 %) from 1 µs to ~1 hour.
 * Mergeable across shards; no samples are retained. Not thread-safe.
 */
#ifndef HIST_H
#define HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 6                      /* 64 sub-buckets per power of two */
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MIN_SHIFT 10                    /* values below 1024 ns share bucket 0.. */
#define HIST_EXPONENTS 33                    /* covers up to 2^(10+33) ns ~ 2.4 h */
#define HIST_BUCKETS (HIST_EXPONENTS * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns, max_ns;
	uint32_t buckets[HIST_BUCKETS];
};

/* Zeroes |h|. */
void hist_init(struct hist *h);
/* Records one value in nanoseconds (values over the range go to the last bucket). */
void hist_record(struct hist *h, uint64_t ns);
/* Adds every count of |src| to |dst|. */
void hist_merge(struct hist *dst, const struct hist *src);
/* Returns the value at quantile |q| (0..1) in ns (upper edge of its bucket,
 * clamped to max), or 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
/* Mean in ns, 0 when empty. */
double hist_mean(const struct hist *h);
/* Fills |counts| (n+1 entries) with non-cumulative counts at or below each
 * upper bound |le_seconds[i]| and above the last, for prom_histogram(). */
void hist_to_buckets(const struct hist *h, const double *le_seconds, size_t n, uint64_t *counts);

#endif
