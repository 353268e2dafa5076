/*
 * fuzz_util: what the emulator's fuzz targets share when they are not built
 * with libFuzzer: replaying a corpus (every regular file of a directory, or
 * one file, read up to a size and handed to a callback) and the xorshift
 * generator of their bounded fixed-seed mutation passes. Test code only;
 * header-only so each target stays one translation unit.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef void (*fuzz_input_fn)(const uint8_t *data, size_t n, void *arg);

/* The target's entry point (libFuzzer's name). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fuzz_input_fn that runs one input through the target. */
static inline void fuzz_run(const uint8_t *data, size_t n, void *arg)
{
	(void)arg;
	LLVMFuzzerTestOneInput(data, n);
}

/* Hands the first |cap| bytes of file |p| to |fn|. */
static inline void fuzz_replay_file(const char *p, size_t cap, fuzz_input_fn fn, void *arg)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf = malloc(cap ? cap : 1);
	if (f && buf) {
		size_t n = fread(buf, 1, cap, f);
		fn(buf, n, arg);
	}
	if (f)
		fclose(f);
	free(buf);
}

/* Replays |p|: a file, or every file of a directory (dot files skipped). */
static inline void fuzz_replay(const char *p, size_t cap, fuzz_input_fn fn, void *arg)
{
	struct stat st;
	if (stat(p, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		fuzz_replay_file(p, cap, fn, arg);
		return;
	}
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", p, e->d_name);
		fuzz_replay_file(full, cap, fn, arg);
	}
	if (d)
		closedir(d);
}

/* xorshift64: the mutation passes' generator (fixed seed, reproducible). */
static inline uint64_t fuzz_rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Applies 1 to 4 random mutations to the input |buf| (|n| bytes, room for
 * |cap|): a bit flip, a cut, a byte of |alphabet| (the input's separators),
 * an inserted |ins| run, a random byte, a repeated slice. The first |skip|
 * bytes (a selector) are only ever redrawn whole. Returns the new length.
 */
static inline size_t fuzz_mutate(uint8_t *buf, size_t n, size_t cap, size_t skip,
                                 const char *alphabet, const char *ins, uint64_t *x)
{
	int muts = 1 + (int)(fuzz_rng(x) % 4);
	size_t al = strlen(alphabet), il = strlen(ins);
	for (int k = 0; k < muts && n > skip; k++) {
		size_t pos = skip + fuzz_rng(x) % (n - skip);
		switch (fuzz_rng(x) % 7) {
		case 0: buf[pos] ^= (uint8_t)(1u << (fuzz_rng(x) % 8)); break;
		case 1: n = pos; break;
		case 2: buf[pos] = (uint8_t)alphabet[fuzz_rng(x) % al]; break;
		case 3:
			if (n + il <= cap) {
				memmove(buf + pos + il, buf + pos, n - pos);
				memcpy(buf + pos, ins, il);
				n += il;
			}
			break;
		case 4: buf[pos] = (uint8_t)fuzz_rng(x); break;
		case 5:
			for (size_t i = 0; i < skip; i++)
				buf[i] = (uint8_t)fuzz_rng(x);
			break;
		default:
			if (n + (n - pos) <= cap) {
				memmove(buf + n, buf + pos, n - pos);
				n += n - pos;
			}
			break;
		}
	}
	return n;
}

#endif
