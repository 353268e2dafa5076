/*
 * hist: log-linear latency histogram (see hist.h).
 *
 * Layout: exponent group g (0..HIST_EXPONENTS-1) covers
 * [2^(MIN_SHIFT+g), 2^(MIN_SHIFT+g+1)) split into HIST_SUB equal buckets, so
 * a bucket is at most 1/HIST_SUB of its lower edge wide: that is the whole
 * relative-error argument. Values below 2^MIN_SHIFT fold into bucket 0 and
 * values over the range into the last bucket; min/max stay exact, and
 * quantiles are clamped to them, so the folded ends never report a value that
 * was not possible.
 */
#include "hist.h"

#include <string.h>

static unsigned hist_index(uint64_t ns)
{
	if (ns < (UINT64_C(1) << HIST_MIN_SHIFT))
		return 0;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);
	unsigned g = e - HIST_MIN_SHIFT;
	if (g >= HIST_EXPONENTS)
		return HIST_BUCKETS - 1;
	unsigned sub = (unsigned)(ns >> (e - HIST_SUB_BITS)) - HIST_SUB;
	return g * HIST_SUB + sub;
}

/* Exclusive upper edge of bucket |idx| in ns. */
static uint64_t hist_upper(unsigned idx)
{
	unsigned g = idx / HIST_SUB, sub = idx % HIST_SUB;
	unsigned shift = HIST_MIN_SHIFT + g - HIST_SUB_BITS;
	return ((uint64_t)(HIST_SUB + sub + 1)) << shift;
}

static uint64_t clamp_minmax(const struct hist *h, uint64_t v)
{
	if (v > h->max_ns)
		v = h->max_ns;
	if (v < h->min_ns)
		v = h->min_ns;
	return v;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_record(struct hist *h, uint64_t ns)
{
	unsigned idx = hist_index(ns);
	if (h->buckets[idx] != UINT32_MAX)
		h->buckets[idx]++;
	if (h->count == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t s = (uint64_t)dst->buckets[i] + src->buckets[i];
		dst->buckets[i] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
	}
	if (dst->count == 0 || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (!(q > 0.0))
		return h->min_ns;
	if (q >= 1.0)
		return h->max_ns;
	/* Rank of the sample at quantile q (1-based), as HdrHistogram does. */
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			return i == HIST_BUCKETS - 1 ? h->max_ns : clamp_minmax(h, hist_upper(i));
	}
	/* Saturated buckets can make the walk fall short: the max is the honest answer. */
	return h->max_ns;
}

double hist_mean(const struct hist *h)
{
	if (h->count == 0)
		return 0.0;
	return (double)h->sum_ns / (double)h->count;
}

void hist_to_buckets(const struct hist *h, const double *le_seconds, size_t n, uint64_t *counts)
{
	for (size_t i = 0; i <= n; i++)
		counts[i] = 0;
	if (h->count == 0)
		return;
	size_t j = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (h->buckets[i] == 0)
			continue;
		/* A bucket is represented by its largest possible value (clamped
		 * to the exact extremes), so latencies are never under-reported. */
		uint64_t v = i == HIST_BUCKETS - 1 ? h->max_ns
		                                   : clamp_minmax(h, hist_upper(i) - 1);
		double sec = (double)v / 1e9;
		while (j < n && sec > le_seconds[j])
			j++;
		counts[j] += h->buckets[i];
	}
}
