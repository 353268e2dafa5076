/*
 * Fuzz target for the plan and service config loaders (swarm/config.c):
 * any bytes must give 0 or an error message, never a crash or a leak.
 * With -DSW_FUZZ_LIBFUZZER it is a libFuzzer target; otherwise main()
 * replays the corpus directory given as argv[1] and runs a bounded,
 * fixed-seed mutation loop over it (a normal test).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The loaders take a path: an in-memory file gives them one. */
	int fd = memfd_create("swarm-fuzz", 0);
	char path[64], err[512], warn[512];
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct swarm_plan p;
	if (swarm_plan_load(path, &p, err, sizeof(err), warn, sizeof(warn)) == 0)
		swarm_plan_free(&p);
	else if (!err[0])
		abort(); /* every failure must explain itself */
	struct swarm_service s;
	if (swarm_service_load(path, &s, err, sizeof(err), warn, sizeof(warn)) == 0)
		swarm_service_free(&s);
	else if (!err[0])
		abort();
	close(fd);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define MAX_SEEDS 64
#define MAX_LEN 8192

int main(int argc, char **argv)
{
	static uint8_t seeds[MAX_SEEDS][MAX_LEN];
	static size_t lens[MAX_SEEDS];
	static uint8_t buf[MAX_LEN * 2];
	static const char *const tokens[] = {":", "- ", "{", "}", "[", "]", "\n  ", "&a ", "*a",
	                                     "!!str ", "'", "\"", "~", "-1", "1e9", "5m", "true"};
	size_t n = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
		return 2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 2;
	}
	struct dirent *e;
	while ((e = readdir(d)) && n < MAX_SEEDS) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		lens[n] = fread(seeds[n], 1, MAX_LEN, f);
		fclose(f);
		LLVMFuzzerTestOneInput(seeds[n], lens[n]);
		n++;
	}
	closedir(d);
	if (!n)
		return 2;
	long iters = argc > 2 ? atol(argv[2]) : 20000;
	for (long i = 0; i < iters; i++) {
		size_t k = next() % n, len = lens[k];
		memcpy(buf, seeds[k], len);
		unsigned muts = 1 + (unsigned)(next() % 4);
		for (unsigned m = 0; m < muts; m++) {
			switch (next() % 4) {
			case 0: /* flip a byte */
				if (len)
					buf[next() % len] = (uint8_t)next();
				break;
			case 1: /* delete a span */
				if (len > 1) {
					size_t at = next() % len, cnt = 1 + next() % 16;
					if (at + cnt > len)
						cnt = len - at;
					memmove(buf + at, buf + at + cnt, len - at - cnt);
					len -= cnt;
				}
				break;
			case 2: { /* insert a YAML token */
				const char *t = tokens[next() % (sizeof(tokens) / sizeof(*tokens))];
				size_t tl = strlen(t), at = len ? next() % len : 0;
				if (len + tl < sizeof(buf)) {
					memmove(buf + at + tl, buf + at, len - at);
					memcpy(buf + at, t, tl);
					len += tl;
				}
				break;
			}
			default: /* truncate */
				if (len)
					len = next() % len;
				break;
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_config: %zu seeds, %ld mutations, no crash\n", n, iters);
	return 0;
}
#endif
