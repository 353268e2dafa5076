/*
 * hist_sparse: the compact, exactly mergeable form of a struct hist (see
 * hist.h) used by the results file and the time series. Only non-empty
 * buckets are kept, as runs:
 *
 *   words = [gap, len, c_1 .. c_len,  gap, len, c_1 .. c_len, ...]
 *
 * |gap| is the number of bucket indexes skipped since the end of the
 * previous run (for the first run: its first index), |len| the run length
 * and c_i the counts (a run may hold up to two zero counts, cheaper than a
 * new run). Decoding adds the counts back bucket by bucket, so summing the
 * decoded histograms of many files is the histogram of all their samples:
 * no percentile is ever averaged. scenarios/RESULTS.md documents the JSON
 * form ({"count", "sum_ns", "min_ns", "max_ns", "b": words}).
 *
 * Owns nothing global; struct hsp owns |w| (hsp_free()).
 */
#ifndef SWARM_HIST_SPARSE_H
#define SWARM_HIST_SPARSE_H

#include <stdint.h>
#include <jansson.h>
#include "hist.h"

struct hsp {
	uint64_t count, sum_ns;
	uint64_t min_ns, max_ns;   /* exact extremes; both 0 when unknown (interval differences) */
	uint32_t n;                /* words in |w| */
	uint32_t *w;               /* run encoding above; NULL when empty */
};

/* Encodes |h| (with its exact min/max). Returns 0 or SW_ERR_NOMEM (|out| empty). */
int hsp_encode(struct hsp *out, const struct hist *h);
/* Encodes the samples recorded in |now| since |before| (a copy of the same
 * histogram taken earlier): bucket counts, count and sum are exact; min and
 * max are unknown (0). Returns 0 or SW_ERR_NOMEM. */
int hsp_encode_diff(struct hsp *out, const struct hist *now, const struct hist *before);
/* Frees |h|->w and empties |h|. NULL-safe. */
void hsp_free(struct hsp *h);

/* Adds |h| to |dst| (an initialised hist). When |h| has no exact extremes,
 * the edges of its lowest and highest non-empty buckets stand in. */
void hsp_add_to(struct hist *dst, const struct hsp *h);

/* The JSON object of |h|; NULL on allocation failure. */
json_t *hsp_json(const struct hsp *h);
/* hsp_json(hsp_encode(h)) in one step; NULL on allocation failure. */
json_t *hist_json(const struct hist *h);

/*
 * Adds the JSON histogram |j| to |dst|. Checks every field (types, a run
 * past the last bucket, counts that do not add up to "count") and returns
 * 0, or SW_ERR_INVALID with a message in |err| (|dst| may then hold part
 * of it).
 */
int hist_json_add(struct hist *dst, const json_t *j, char *err, size_t errlen);

/* Exclusive upper edge, in ns, of bucket |idx| (< HIST_BUCKETS), and its lower edge. */
uint64_t hsp_bucket_upper(unsigned idx);
uint64_t hsp_bucket_lower(unsigned idx);

#endif
