/* Fuzz target for the server's HTTP/1.1 request codec (sw_srv_h1.c): the
 * input is treated as a stream of pipelined requests, parsed head by head,
 * with bodies skipped (Content-Length) or decoded (chunked, fed in pieces
 * whose sizes come from the input itself). Built with libFuzzer when
 * -Dfuzzing_engine=libfuzzer, otherwise main() replays corpus files/dirs. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sw_chunked.h"
#include "sw_err.h"
#include "sw_srv_h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct body_sink {
	size_t total;
	unsigned char last;
};

static int sink(void *arg, const char *p, size_t n)
{
	struct body_sink *s = arg;
	s->total += n;
	if (n)
		s->last = (unsigned char)p[n - 1]; /* touch the bytes so ASan checks the span */
	return s->total > (1u << 20) ? SW_ERR_TOO_BIG : 0;
}

static void check_span(struct sw_h1_span s, const char *buf, size_t len)
{
	if (s.n && (s.p < buf || s.p + s.n > buf + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	struct sw_h1_head *h = malloc(sizeof(*h));
	if (!h)
		return 0;
	for (int req = 0; req < 64 && off < size; req++) {
		size_t used = 0;
		if (sw_h1_parse_head(buf + off, size - off, h, &used) != 0 || used == 0)
			break;
		check_span(h->method, buf + off, used);
		check_span(h->target, buf + off, used);
		for (size_t i = 0; i < h->nfields; i++) {
			check_span(h->fields[i].name, buf + off, used);
			check_span(h->fields[i].value, buf + off, used);
		}
		off += used;
		if (h->chunked) {
			struct sw_chunked st;
			struct body_sink s = {0};
			int done = 0, rv = 0;
			sw_chunked_init(&st, 0, 0);
			/* Piece sizes vary with the data so state carries across splits. */
			while (off < size && !done && rv == 0) {
				size_t piece = 1 + (unsigned char)buf[off] % 7;
				if (piece > size - off)
					piece = size - off;
				size_t c = 0;
				rv = sw_chunked_feed(&st, buf + off, piece, &c, &done, sink, &s);
				if (c > piece)
					abort();
				off += c;
			}
			if (rv != 0 || !done)
				break;
		} else if (h->content_length > 0) {
			if ((uint64_t)h->content_length > size - off)
				break;
			off += (size_t)h->content_length;
		}
		if (h->close)
			break;
	}
	free(h);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return 1;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

/* Replays every file named on the command line (directories: their files). */
int main(int argc, char **argv)
{
	int fails = 0, count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "cannot stat %s\n", argv[i]);
			fails++;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			fails += replay_file(argv[i]);
			count++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		while (d) {
			char path[4096];
			struct dirent *e = readdir(d);
			if (!e)
				break;
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			fails += replay_file(path);
			count++;
		}
		if (d)
			closedir(d);
	}
	printf("replayed %d inputs, %d failures\n", count, fails);
	return fails || count == 0 ? 1 : 0;
}
#endif
