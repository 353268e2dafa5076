/*
 * png_check: checks a screenshot of a swarm-report page. Decodes the PNG
 * (8-bit RGB or RGBA, not interlaced, with zlib), finds each chart by its
 * plot-area background colour (rp_marker_rgb(): rgb(250, 240 + id/16,
 * 224 + id%16)), and requires every chart 0..N-1 to be present and
 * non-blank: its rectangle must hold at least MIN coloured pixels
 * (saturation > 60, which grid lines, text and the background are not) and
 * a pixel variance above zero.
 *
 * Usage: png_check SHOT.png N [MIN]    exit 0 ok, 1 a chart missing or blank,
 *        2 the file is not a PNG this reads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_CHARTS 256

struct img {
	uint32_t w, h;
	unsigned ch;       /* 3 or 4 */
	unsigned char *px; /* w*h*ch */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int load_png(const char *path, struct img *im, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *file = NULL, *idat = NULL, *raw = NULL;
	size_t len = 0, nidat = 0;
	int rv = -1;
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	long fl = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (fl <= 8 || fl > (1L << 30) || !(file = malloc((size_t)fl)) || fread(file, 1, (size_t)fl, f) != (size_t)fl) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto out;
	}
	len = (size_t)fl;
	if (memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0) {
		snprintf(err, errlen, "%s: not a PNG", path);
		goto out;
	}
	idat = malloc(len);
	if (!idat)
		goto out;
	int depth = 0, ctype = -1, interlace = 0;
	for (size_t p = 8; p + 12 <= len;) {
		uint32_t cl = be32(file + p);
		const unsigned char *type = file + p + 4, *data = file + p + 8;
		if (cl > len - p - 12)
			break;
		if (!memcmp(type, "IHDR", 4) && cl >= 13) {
			im->w = be32(data);
			im->h = be32(data + 4);
			depth = data[8];
			ctype = data[9];
			interlace = data[12];
		} else if (!memcmp(type, "IDAT", 4)) {
			memcpy(idat + nidat, data, cl);
			nidat += cl;
		}
		p += 12 + cl;
	}
	if (depth != 8 || (ctype != 2 && ctype != 6) || interlace || !im->w || !im->h ||
	    im->w > 20000 || im->h > 40000) {
		snprintf(err, errlen, "%s: unsupported PNG (depth %d, colour type %d, interlace %d)", path, depth,
		         ctype, interlace);
		goto out;
	}
	im->ch = ctype == 6 ? 4 : 3;
	size_t stride = (size_t)im->w * im->ch, rawlen = (stride + 1) * im->h;
	raw = malloc(rawlen);
	im->px = malloc(stride * im->h);
	if (!raw || !im->px)
		goto out;
	uLongf got = (uLongf)rawlen;
	if (uncompress(raw, &got, idat, (uLong)nidat) != Z_OK || got != rawlen) {
		snprintf(err, errlen, "%s: corrupt image data", path);
		goto out;
	}
	for (uint32_t y = 0; y < im->h; y++) {
		const unsigned char *in = raw + y * (stride + 1) + 1;
		unsigned char *o = im->px + y * stride, *up = y ? o - stride : NULL;
		int ft = raw[y * (stride + 1)];
		for (size_t x = 0; x < stride; x++) {
			int a = x >= im->ch ? o[x - im->ch] : 0, b = up ? up[x] : 0;
			int c = (up && x >= im->ch) ? up[x - im->ch] : 0, v = in[x];
			switch (ft) {
			case 1: v += a; break;
			case 2: v += b; break;
			case 3: v += (a + b) / 2; break;
			case 4: v += paeth(a, b, c); break;
			default: break;
			}
			o[x] = (unsigned char)v;
		}
	}
	rv = 0;
out:
	if (f)
		fclose(f);
	free(file);
	free(idat);
	free(raw);
	return rv;
}

int main(int argc, char **argv)
{
	struct img im = {0};
	char err[256];
	if (argc < 3) {
		fprintf(stderr, "usage: png_check SHOT.png N [MIN]\n");
		return 2;
	}
	int want = atoi(argv[2]);
	long min = argc > 3 ? atol(argv[3]) : 200;
	if (want < 1 || want > MAX_CHARTS || load_png(argv[1], &im, err, sizeof(err)) < 0) {
		fprintf(stderr, "png_check: %s\n", want < 1 || want > MAX_CHARTS ? "N out of range" : err);
		free(im.px);
		return 2;
	}
	static uint32_t x0[MAX_CHARTS], y0[MAX_CHARTS], x1[MAX_CHARTS], y1[MAX_CHARTS];
	static long seen[MAX_CHARTS];
	for (uint32_t y = 0; y < im.h; y++)
		for (uint32_t x = 0; x < im.w; x++) {
			const unsigned char *p = im.px + ((size_t)y * im.w + x) * im.ch;
			if (p[0] != 250 || p[1] < 240 || p[2] < 224 || p[2] > 239)
				continue;
			int id = (p[1] - 240) * 16 + (p[2] - 224);
			if (!seen[id]++) {
				x0[id] = x1[id] = x;
				y0[id] = y1[id] = y;
			}
			if (x < x0[id]) x0[id] = x;
			if (x > x1[id]) x1[id] = x;
			if (y < y0[id]) y0[id] = y;
			if (y > y1[id]) y1[id] = y;
		}
	int bad = 0;
	for (int id = 0; id < want; id++) {
		if (!seen[id]) {
			printf("chart %d: not found in the screenshot\n", id);
			bad = 1;
			continue;
		}
		long colored = 0;
		double sum = 0, sum2 = 0, n = 0;
		for (uint32_t y = y0[id]; y <= y1[id]; y++)
			for (uint32_t x = x0[id]; x <= x1[id]; x++) {
				const unsigned char *p = im.px + ((size_t)y * im.w + x) * im.ch;
				int mx = p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2]) : (p[1] > p[2] ? p[1] : p[2]);
				int mn = p[0] < p[1] ? (p[0] < p[2] ? p[0] : p[2]) : (p[1] < p[2] ? p[1] : p[2]);
				colored += mx - mn > 60;
				double l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
				sum += l;
				sum2 += l * l;
				n++;
			}
		double var = sum2 / n - (sum / n) * (sum / n);
		int ok = colored >= min && var > 1.0;
		printf("chart %d: %ux%u at (%u,%u), %ld coloured pixels, variance %.1f: %s\n", id,
		       x1[id] - x0[id] + 1, y1[id] - y0[id] + 1, x0[id], y0[id], colored, var,
		       ok ? "ok" : "BLANK");
		bad |= !ok;
	}
	free(im.px);
	return bad;
}
