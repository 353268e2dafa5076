/* Fuzz target for the observability inputs that come from outside: a
 * service's /metrics text (prom_parse via svcm_extract) and the histogram
 * members of a results file (hist_json_add). The first byte picks the
 * parser. With -DSW_FUZZ_LIBFUZZER it is a libFuzzer target; otherwise
 * main() runs built-in seeds plus a fixed-seed stream of mutations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist_sparse.h"
#include "svcmetrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		struct hist *h = malloc(sizeof(*h));
		json_t *j = json_loadb(text, len, 0, NULL);
		if (h && j) {
			hist_init(h);
			if (hist_json_add(h, j, err, sizeof(err)) == 0) {
				/* a histogram that decodes answers quantiles inside its range */
				uint64_t q = hist_quantile(h, 0.99);
				if (h->count && h->min_ns <= h->max_ns && (q < h->min_ns || q > h->max_ns))
					abort();
			}
		}
		json_decref(j);
		free(h);
	} else {
		char *fam[] = {"a", "b_total", "c_bucket"};
		free(svcm_extract(text, len, fam, 3, err, sizeof(err)));
	}
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
static const char *const seeds[] = {
	"\x00# TYPE a gauge\na{x=\"1\",y=\"q\\\"\\n\"} 3\nb_total 1e3 1700000000000\nc_bucket{le=\"+Inf\"} 4\n",
	"\x00a NaN\na +Inf\na{} -1.5e-7\n# HELP a x\n\n\r\n",
	"\x01{\"count\": 10, \"sum_ns\": 381207, \"min_ns\": 35623, \"max_ns\": 39100, \"b\": [325, 3, 1, 0, 2, 4, 1, 7]}",
	"\x01{\"count\": 3, \"sum_ns\": 9, \"b\": [0, 1, 1, 2110, 1, 2]}",
	"\x01{\"count\": 0, \"sum_ns\": 0, \"b\": []}",
};

static uint64_t state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dull;
}

int main(void)
{
	enum { NSEED = sizeof(seeds) / sizeof(seeds[0]), ROUNDS = 30000, MAXLEN = 1024 };
	static uint8_t buf[MAXLEN];
	for (size_t i = 0; i < NSEED; i++)
		LLVMFuzzerTestOneInput((const uint8_t *)seeds[i], 1 + strlen(seeds[i] + 1));
	for (int r = 0; r < ROUNDS; r++) {
		const char *sd = seeds[rnd() % NSEED];
		size_t len = 1 + strlen(sd + 1);
		memcpy(buf, sd, len);
		for (int m = 1 + (int)(rnd() % 3); m > 0; m--) {
			size_t at = 1 + rnd() % (len > 1 ? len - 1 : 1);
			uint64_t how = rnd() % 4;
			if (how == 0) /* flip a bit */
				buf[at] ^= (uint8_t)(1u << (rnd() % 8));
			else if (how == 1) /* a digit, quote, brace or separator */
				buf[at] = (uint8_t)"0123456789\"{}[],:-e \n\\"[rnd() % 22];
			else if (how == 2) /* cut */
				len = at;
			else if (len + 8 < MAXLEN) { /* duplicate a short run */
				size_t n = 1 + rnd() % 8;
				memmove(buf + at + n, buf + at, len - at);
				len += n;
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_obs_input: %d inputs, no crash\n", ROUNDS + NSEED);
	return 0;
}
#endif
