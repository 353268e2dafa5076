/*
 * hist_sparse: run encoding of log-linear histograms (see hist_sparse.h).
 *
 * A 1-hour run at 10 s intervals keeps 360 x operations histograms in
 * memory; a dense struct hist is 8.4 KiB, while a real latency
 * distribution fills a few dozen to a few hundred buckets, so the series
 * keeps only this form (4 bytes per non-empty bucket plus 8 per run).
 */
#include "hist_sparse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* Zero buckets a run may carry inside it: a new run costs two words. */
#define HSP_MAX_INNER_ZEROS 2

uint64_t hsp_bucket_upper(unsigned idx)
{
	unsigned g = idx / HIST_SUB, sub = idx % HIST_SUB;
	return ((uint64_t)(HIST_SUB + sub + 1)) << (HIST_MIN_SHIFT + g - HIST_SUB_BITS);
}

uint64_t hsp_bucket_lower(unsigned idx)
{
	unsigned g = idx / HIST_SUB, sub = idx % HIST_SUB;
	if (idx == 0)
		return 0; /* bucket 0 also holds every value below 2^HIST_MIN_SHIFT */
	return ((uint64_t)(HIST_SUB + sub)) << (HIST_MIN_SHIFT + g - HIST_SUB_BITS);
}

static uint32_t count_at(const struct hist *now, const struct hist *before, unsigned i)
{
	if (!before)
		return now->buckets[i];
	/* Saturated buckets cannot go back; never produce a wrapped count. */
	return now->buckets[i] > before->buckets[i] ? now->buckets[i] - before->buckets[i] : 0;
}

/* Two passes: size, then fill, so the words are allocated exactly once. */
static int encode(struct hsp *out, const struct hist *now, const struct hist *before)
{
	uint32_t nwords = 0;
	memset(out, 0, sizeof(*out));
	for (int pass = 0; pass < 2; pass++) {
		uint32_t k = 0;
		unsigned prev_end = 0; /* index after the previous run */
		unsigned i = 0;
		while (i < HIST_BUCKETS) {
			if (!count_at(now, before, i)) {
				i++;
				continue;
			}
			/* A run starts at i; find its end (last non-empty bucket). */
			unsigned last = i, j = i + 1, zeros = 0;
			for (; j < HIST_BUCKETS; j++) {
				if (count_at(now, before, j)) {
					last = j;
					zeros = 0;
				} else if (++zeros > HSP_MAX_INNER_ZEROS) {
					break;
				}
			}
			unsigned len = last - i + 1;
			if (pass == 1) {
				out->w[k] = i - prev_end;
				out->w[k + 1] = len;
				for (unsigned b = 0; b < len; b++)
					out->w[k + 2 + b] = count_at(now, before, i + b);
			}
			k += 2 + len;
			prev_end = last + 1;
			i = last + 1;
		}
		if (pass == 0) {
			nwords = k;
			if (!nwords)
				break;
			out->w = malloc(nwords * sizeof(*out->w));
			if (!out->w)
				return SW_ERR_NOMEM;
		}
	}
	out->n = nwords;
	return 0;
}

int hsp_encode(struct hsp *out, const struct hist *h)
{
	int rv = encode(out, h, NULL);
	if (rv < 0)
		return rv;
	out->count = h->count;
	out->sum_ns = h->sum_ns;
	out->min_ns = h->count ? h->min_ns : 0;
	out->max_ns = h->count ? h->max_ns : 0;
	return 0;
}

int hsp_encode_diff(struct hsp *out, const struct hist *now, const struct hist *before)
{
	int rv = encode(out, now, before);
	if (rv < 0)
		return rv;
	out->count = now->count > before->count ? now->count - before->count : 0;
	out->sum_ns = now->sum_ns > before->sum_ns ? now->sum_ns - before->sum_ns : 0;
	return 0;
}

void hsp_free(struct hsp *h)
{
	if (!h)
		return;
	free(h->w);
	memset(h, 0, sizeof(*h));
}

/* Adds one bucket's count with the saturation hist_merge() uses. */
static void add_bucket(struct hist *dst, unsigned idx, uint64_t c)
{
	uint64_t s = (uint64_t)dst->buckets[idx] + c;
	dst->buckets[idx] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* Folds count/sum/extremes of one decoded histogram into |dst|. */
static void add_summary(struct hist *dst, uint64_t count, uint64_t sum, uint64_t lo, uint64_t hi)
{
	if (!count)
		return;
	if (dst->count == 0 || lo < dst->min_ns)
		dst->min_ns = lo;
	if (hi > dst->max_ns)
		dst->max_ns = hi;
	dst->count += count;
	dst->sum_ns += sum;
}

void hsp_add_to(struct hist *dst, const struct hsp *h)
{
	unsigned idx = 0, first = HIST_BUCKETS, last = 0;
	for (uint32_t k = 0; k + 1 < h->n;) {
		idx += h->w[k];
		uint32_t len = h->w[k + 1];
		for (uint32_t b = 0; b < len && k + 2 + b < h->n && idx < HIST_BUCKETS; b++, idx++) {
			if (!h->w[k + 2 + b])
				continue;
			add_bucket(dst, idx, h->w[k + 2 + b]);
			if (first == HIST_BUCKETS)
				first = idx;
			last = idx;
		}
		k += 2 + len;
	}
	if (h->min_ns || h->max_ns)
		add_summary(dst, h->count, h->sum_ns, h->min_ns, h->max_ns);
	else if (first < HIST_BUCKETS)
		add_summary(dst, h->count, h->sum_ns, hsp_bucket_lower(first), hsp_bucket_upper(last) - 1);
}

json_t *hsp_json(const struct hsp *h)
{
	json_t *b = json_array();
	json_t *o = json_object();
	int bad = !b || !o;
	for (uint32_t k = 0; k < h->n && !bad; k++)
		bad = json_array_append_new(b, json_integer(h->w[k])) < 0;
	if (!bad)
		bad = json_object_set_new(o, "count", json_integer((json_int_t)h->count)) < 0 ||
		      json_object_set_new(o, "sum_ns", json_integer((json_int_t)h->sum_ns)) < 0;
	if (!bad && (h->min_ns || h->max_ns))
		bad = json_object_set_new(o, "min_ns", json_integer((json_int_t)h->min_ns)) < 0 ||
		      json_object_set_new(o, "max_ns", json_integer((json_int_t)h->max_ns)) < 0;
	if (!bad) {
		bad = json_object_set_new(o, "b", b) < 0;
		b = NULL;
	}
	json_decref(b);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *hist_json(const struct hist *h)
{
	struct hsp s;
	if (hsp_encode(&s, h) < 0)
		return NULL;
	json_t *j = hsp_json(&s);
	hsp_free(&s);
	return j;
}

/* Non-negative integer field; absent is 0 when |optional|. */
static int get_u64(const json_t *j, const char *key, int optional, uint64_t *out, char *err,
                   size_t errlen)
{
	const json_t *v = json_object_get(j, key);
	if (!v && optional) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, "histogram field \"%s\": expected a non-negative integer", key);
		return SW_ERR_INVALID;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int hist_json_add(struct hist *dst, const json_t *j, char *err, size_t errlen)
{
	uint64_t count, sum, lo, hi;
	if (!json_is_object(j)) {
		snprintf(err, errlen, "histogram: expected an object");
		return SW_ERR_INVALID;
	}
	if (get_u64(j, "count", 0, &count, err, errlen) < 0 || get_u64(j, "sum_ns", 0, &sum, err, errlen) < 0 ||
	    get_u64(j, "min_ns", 1, &lo, err, errlen) < 0 || get_u64(j, "max_ns", 1, &hi, err, errlen) < 0)
		return SW_ERR_INVALID;
	const json_t *b = json_object_get(j, "b");
	if (!json_is_array(b)) {
		snprintf(err, errlen, "histogram field \"b\": expected an array of integers");
		return SW_ERR_INVALID;
	}
	size_t n = json_array_size(b);
	uint64_t idx = 0, total = 0;
	int saturated = 0;
	unsigned first = HIST_BUCKETS, last = 0;
	/* Validate everything before touching |dst|. */
	for (size_t k = 0; k < n;) {
		const json_t *g = json_array_get(b, k), *l = json_array_get(b, k + 1);
		if (!json_is_integer(g) || !json_is_integer(l) || json_integer_value(g) < 0 ||
		    json_integer_value(l) < 1) {
			snprintf(err, errlen, "histogram field \"b\": word %zu: expected a gap >= 0 and a run length >= 1", k);
			return SW_ERR_INVALID;
		}
		idx += (uint64_t)json_integer_value(g);
		uint64_t len = (uint64_t)json_integer_value(l);
		if (idx + len > HIST_BUCKETS || k + 2 + len > n) {
			snprintf(err, errlen, "histogram field \"b\": word %zu: run past the last bucket (%u) or the array", k,
			         HIST_BUCKETS);
			return SW_ERR_INVALID;
		}
		for (uint64_t i = 0; i < len; i++) {
			const json_t *c = json_array_get(b, k + 2 + i);
			if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > UINT32_MAX) {
				snprintf(err, errlen, "histogram field \"b\": word %zu: expected a count from 0 to %u",
				         (size_t)(k + 2 + i), UINT32_MAX);
				return SW_ERR_INVALID;
			}
			if (json_integer_value(c)) {
				if (first == HIST_BUCKETS)
					first = (unsigned)(idx + i);
				last = (unsigned)(idx + i);
			}
			total += (uint64_t)json_integer_value(c);
			saturated |= json_integer_value(c) == UINT32_MAX;
		}
		idx += len;
		k += 2 + (size_t)len;
	}
	/* Saturated buckets (UINT32_MAX) may hold less than "count". */
	if (total > count || (total < count && !saturated)) {
		snprintf(err, errlen, "histogram: bucket counts add up to %" PRIu64 ", \"count\" says %" PRIu64,
		         total, count);
		return SW_ERR_INVALID;
	}
	/* Exact extremes must lie in the first and last non-empty buckets. */
	if ((lo || hi) && total &&
	    (lo > hi || lo >= hsp_bucket_upper(first) || (last < HIST_BUCKETS - 1 && hi >= hsp_bucket_upper(last)) ||
	     (first > 0 && lo < hsp_bucket_lower(first)) || hi < hsp_bucket_lower(last))) {
		snprintf(err, errlen, "histogram: min_ns/max_ns %" PRIu64 "/%" PRIu64 " outside the non-empty buckets",
		         lo, hi);
		return SW_ERR_INVALID;
	}
	idx = 0;
	for (size_t k = 0; k < n;) {
		idx += (uint64_t)json_integer_value(json_array_get(b, k));
		size_t len = (size_t)json_integer_value(json_array_get(b, k + 1));
		for (size_t i = 0; i < len; i++) {
			json_int_t c = json_integer_value(json_array_get(b, k + 2 + i));
			if (c)
				add_bucket(dst, (unsigned)(idx + i), (uint64_t)c);
		}
		idx += len;
		k += 2 + len;
	}
	if (lo || hi)
		add_summary(dst, count, sum, lo, hi);
	else if (first < HIST_BUCKETS)
		add_summary(dst, count, sum, hsp_bucket_lower(first), hsp_bucket_upper(last) - 1);
	return 0;
}
