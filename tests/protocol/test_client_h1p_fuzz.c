/*
 * Fuzz target for the client's HTTP/1.1 response parser (protocol/sw_h1c.c).
 * With -DSW_FUZZ_LIBFUZZER it is a libFuzzer target; otherwise main() runs
 * built-in seeds plus a fixed-seed stream of mutations (bit flips, byte
 * replacements, truncations, splices), so the suite replays the same inputs
 * every time. Invariants: no crash, limits respected, errors are SW_ERR_*.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_h1c.h"

#define FZ_MAX_HEADER 512
#define FZ_MAX_BODY 4096

struct fz {
	size_t body, hdrs;
	int done;
};

static int fz_status(void *arg, int status, int minor)
{
	return status >= 100 && status <= 999 ? 0 : SW_ERR_STATE;
}

static int fz_header(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	struct fz *f = arg;
	f->hdrs += nl + vl;
	return 0;
}

static int fz_body(void *arg, const char *d, size_t len)
{
	struct fz *f = arg;
	f->body += len;
	return 0;
}

static int fz_done(void *arg)
{
	struct fz *f = arg;
	f->done++;
	return 0;
}

static const struct sw_h1p_cbs fz_cbs = {fz_status, fz_header, fz_body, fz_done};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* First byte: feed step (1..16, 0 = all) and HEAD flag. */
	size_t step = data[0] & 0x0f;
	int head = (data[0] >> 4) & 1;
	data++;
	size--;
	struct fz f = {0};
	struct sw_h1p p;
	sw_h1p_init(&p, &fz_cbs, &f, FZ_MAX_HEADER, FZ_MAX_BODY);
	for (int round = 0; round < 3 && size; round++) {
		sw_h1p_reset(&p, head);
		size_t off = 0;
		int rv = 0;
		while (off < size && p.state != SW_H1P_DONE) {
			size_t n = step ? (size - off < step ? size - off : step) : size - off;
			size_t used = 0;
			rv = sw_h1p_feed(&p, (const char *)data + off, n, &used);
			if (used > n)
				abort();
			off += used;
			if (rv)
				break;
			if (used < n && p.state != SW_H1P_DONE)
				abort(); /* input left over without a reason */
		}
		if (!rv && p.state != SW_H1P_DONE)
			rv = sw_h1p_eof(&p);
		if (rv > 0 || rv < SW_ERR_NOT_FOUND)
			abort();
		if (f.body > FZ_MAX_BODY)
			abort();
		if (rv)
			break;
		/* pipelined leftovers: parse the rest as the next response */
		data += off;
		size -= off;
	}
	sw_h1p_release(&p);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
static const char *const seeds[] = {
	"\x00HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"\x03HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
	"\x00HTTP/1.0 200 OK\r\n\r\nuntil close",
	"\x11HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
	"\x01HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
	"\x00HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
	"\x02HTTP/1.1 301 Moved\nLocation: /x\nContent-Length: 0\n\n",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	enum { NSEED = sizeof(seeds) / sizeof(seeds[0]), ROUNDS = 50000, MAXLEN = 2048 };
	static uint8_t buf[MAXLEN];
	size_t lens[NSEED];
	for (size_t i = 0; i < NSEED; i++) {
		/* the first byte is a control byte that may be NUL */
		lens[i] = 1 + strlen(seeds[i] + 1);
		LLVMFuzzerTestOneInput((const uint8_t *)seeds[i], lens[i]);
	}
	for (int r = 0; r < ROUNDS; r++) {
		size_t s = next_rand() % NSEED;
		size_t len = lens[s];
		memcpy(buf, seeds[s], len);
		int muts = 1 + (int)(next_rand() % 4);
		for (int m = 0; m < muts; m++) {
			size_t pos = len ? next_rand() % len : 0;
			switch (next_rand() % 5) {
			case 0: buf[pos] ^= (uint8_t)(1u << (next_rand() % 8)); break;
			case 1: buf[pos] = (uint8_t)next_rand(); break;
			case 2: len = pos + 1; break;
			case 3: { /* splice in a piece of another seed */
				size_t o = next_rand() % NSEED, ol = lens[o];
				size_t from = next_rand() % ol, n = next_rand() % (ol - from + 1);
				if (pos + n > MAXLEN)
					n = MAXLEN - pos;
				memcpy(buf + pos, seeds[o] + from, n);
				if (pos + n > len)
					len = pos + n;
				break;
			}
			default: { /* repeat a byte run: long lines, big numbers */
				size_t n = next_rand() % 600;
				if (pos + n > MAXLEN)
					n = MAXLEN - pos;
				memset(buf + pos, buf[pos], n);
				if (pos + n > len)
					len = pos + n;
				break;
			}
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_client_h1p: %d inputs, no crash\n", ROUNDS + NSEED);
	return 0;
}
#endif
