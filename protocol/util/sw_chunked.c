/*
 * sw_chunked: chunked transfer-coding decoder (see sw_chunked.h). One byte
 * at a time except inside chunk data, which goes out in runs; the state
 * survives any split of the input, so a body may arrive one byte per read.
 */
#include "sw_chunked.h"

#include <string.h>

#include "sw_err.h"
#include "sw_hex.h"

enum {
	CH_SIZE = 0,  /* hex digits */
	CH_EXT,       /* chunk extension up to the line end */
	CH_SIZE_LF,   /* CR seen, expecting LF */
	CH_DATA,
	CH_DATA_CR,   /* after the payload: CR or LF */
	CH_DATA_LF,
	CH_TRAILER,   /* inside a trailer line (or at its start) */
	CH_TRAILER_LF,
	CH_DONE,
};

void sw_chunked_init(struct sw_chunked *st, uint64_t max_body, size_t max_trailer)
{
	memset(st, 0, sizeof(*st));
	st->max_body = max_body;
	st->max_trailer = max_trailer ? max_trailer : SW_CHUNKED_TRAILER_MAX;
}

static int is_ctl(char c)
{
	return c != '\t' && ((unsigned char)c < 0x20 || c == 0x7f);
}

/* The size line ended: either data follows or the trailer section. A chunk
 * that would pass the payload cap is refused now, before its data. */
static int size_line_done(struct sw_chunked *st)
{
	st->linelen = 0;
	if (st->max_body && st->left > st->max_body - st->body)
		return SW_ERR_TOO_BIG;
	st->body += st->left;
	st->state = st->left ? CH_DATA : CH_TRAILER;
	return 0;
}

int sw_chunked_feed(struct sw_chunked *st, const char *in, size_t len, size_t *consumed,
                    int *done, sw_chunked_data_fn on_data, void *arg)
{
	size_t i = 0;
	int rv = 0;

	*done = 0;
	while (i < len && st->state != CH_DONE) {
		char c = in[i];
		switch (st->state) {
		case CH_SIZE: {
			int v = sw_hexval(c);
			if (v >= 0) {
				if (st->digits >= 15) {
					rv = SW_ERR_PROTO;
					goto out;
				}
				st->left = (st->left << 4) | (uint64_t)v;
				st->digits++;
				i++;
				break;
			}
			if (st->digits == 0) {
				rv = SW_ERR_PROTO;
				goto out;
			}
			if (c == ';' || c == ' ' || c == '\t') {
				st->state = CH_EXT;
			} else if (c == '\r') {
				st->state = CH_SIZE_LF;
				i++;
			} else if (c == '\n') {
				i++;
				rv = size_line_done(st);
				if (rv)
					goto out;
			} else {
				rv = SW_ERR_PROTO;
				goto out;
			}
			break;
		}
		case CH_EXT:
			if (++st->linelen > SW_CHUNKED_LINE_MAX) {
				rv = SW_ERR_TOO_BIG;
				goto out;
			}
			if (c == '\r') {
				st->state = CH_SIZE_LF;
			} else if (c == '\n') {
				i++;
				rv = size_line_done(st);
				if (rv)
					goto out;
				break;
			} else if (is_ctl(c)) {
				rv = SW_ERR_PROTO;
				goto out;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (c != '\n') {
				rv = SW_ERR_PROTO;
				goto out;
			}
			i++;
			rv = size_line_done(st);
			if (rv)
				goto out;
			break;
		case CH_DATA: {
			size_t n = len - i;
			if ((uint64_t)n > st->left)
				n = (size_t)st->left;
			rv = on_data(arg, in + i, n);
			if (rv != 0)
				goto out;
			i += n;
			st->left -= n;
			if (st->left == 0)
				st->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (c == '\r') {
				st->state = CH_DATA_LF;
			} else if (c == '\n') {
				st->state = CH_SIZE;
				st->digits = 0;
			} else {
				rv = SW_ERR_PROTO;
				goto out;
			}
			i++;
			break;
		case CH_DATA_LF:
			if (c != '\n') {
				rv = SW_ERR_PROTO;
				goto out;
			}
			i++;
			st->state = CH_SIZE;
			st->digits = 0;
			break;
		case CH_TRAILER:
			if (++st->trailer > st->max_trailer) {
				rv = SW_ERR_TOO_BIG;
				goto out;
			}
			i++;
			if (c == '\r') {
				st->state = CH_TRAILER_LF;
			} else if (c == '\n') {
				if (st->linelen == 0)
					st->state = CH_DONE;
				st->linelen = 0;
			} else if (is_ctl(c)) {
				rv = SW_ERR_PROTO;
				goto out;
			} else {
				st->linelen++;
			}
			break;
		case CH_TRAILER_LF:
			if (c != '\n') {
				rv = SW_ERR_PROTO;
				goto out;
			}
			i++;
			if (st->linelen == 0) {
				st->state = CH_DONE;
			} else {
				st->linelen = 0;
				st->state = CH_TRAILER;
			}
			break;
		default:
			rv = SW_ERR_PROTO;
			goto out;
		}
	}
	if (st->state == CH_DONE)
		*done = 1;
out:
	*consumed = i;
	return rv;
}
