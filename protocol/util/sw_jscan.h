/*
 * sw_jscan: a validating JSON scanner that picks a few values out of a
 * document by JSON Pointer (RFC 6901), in one pass, without building the
 * document and without allocating.
 *
 * Why: the swarm reads one or two fields of large server answers (a
 * cluster's "status" out of 5 KB, the masters' "progress/current_stage" out
 * of a 20 KB host list). Building the whole jansson DOM for that cost about
 * half of the swarm's CPU per request. jansson stays the JSON library for
 * everything else; this scanner is for the hot reads only.
 *
 * Strictness: a document is accepted exactly when jansson 2.14's
 * json_loadb(..., JSON_DECODE_ANY, ...) accepts it: RFC 8259 grammar, only
 * space/tab/CR/LF as white space, valid UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF), valid escapes with paired
 * surrogates, no \u0000 in any string, integers within int64, reals that do
 * not overflow a double, nesting at most 2048 deep, nothing but white space
 * after the value. A value named by a pointer is the one jansson's
 * json_object_get()/json_array_get() walk would return: with duplicate keys
 * the last member wins, with all of its subtree. The differential tests
 * (tests/util/test_jscan.c, fuzz_jscan.c) hold both to that.
 *
 * Nothing here allocates except sw_jscan_double() on numbers longer than 63
 * characters.
 */
#ifndef SW_JSCAN_H
#define SW_JSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Nesting limit, jansson's JSON_PARSER_MAX_DEPTH. */
#define SW_JSCAN_MAX_DEPTH 2048
/* Picks per scan (one bit each in a mask). */
#define SW_JSCAN_MAX_PICKS 16
/* Reference tokens per pointer. */
#define SW_JSCAN_MAX_SEGS 8

enum sw_jscan_type {
	SW_JSCAN_ABSENT = 0, /* the pointer names no value of the document */
	SW_JSCAN_NULL,
	SW_JSCAN_FALSE,
	SW_JSCAN_TRUE,
	SW_JSCAN_INTEGER,    /* no fraction and no exponent: fits int64 */
	SW_JSCAN_REAL,
	SW_JSCAN_STRING,
	SW_JSCAN_ARRAY,
	SW_JSCAN_OBJECT,
};

/* A value inside the scanned document (borrowed: valid while it is). */
struct sw_jscan_val {
	enum sw_jscan_type type;
	const char *raw;    /* its text; for strings the bytes between the quotes */
	size_t len;
	int escaped;        /* a string with backslash escapes (decode it to read it) */
};

/* One value to pick: |ptr| in, |v| out. */
struct sw_jscan_pick {
	const char *ptr;    /* JSON Pointer: "" (the root), "/status", "/args/0"; '~' is
	                     * not supported (SW_ERR_INVALID) */
	struct sw_jscan_val v;
};

/*
 * Validates |len| bytes at |doc| as one JSON document and fills each of the
 * |npicks| picks (at most SW_JSCAN_MAX_PICKS, pointers of at most
 * SW_JSCAN_MAX_SEGS tokens) with the value its pointer names (type
 * SW_JSCAN_ABSENT when none). |picks| may be NULL when |npicks| is 0.
 * Returns 0 for a valid document, SW_ERR_PARSE for an invalid one (the picks
 * are then all ABSENT), SW_ERR_NOMEM, or SW_ERR_INVALID for a bad pointer or
 * too many picks.
 */
int sw_jscan(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks);

/*
 * Called by sw_jscan_each() for element |index| of a top-level array, once
 * the element was scanned: |elem| is the element, |picks| were filled
 * relative to it (so "/status" is the element's member "status"). Returns
 * 0 to go on, anything else to stop the scan with that value.
 */
typedef int (*sw_jscan_each_fn)(void *arg, size_t index, const struct sw_jscan_val *elem,
                                struct sw_jscan_pick *picks, size_t npicks);

/*
 * Like sw_jscan() for a document whose root is an array: the picks apply to
 * each element in turn and |fn| sees each element's picks. Callbacks run
 * while the scan goes on, so an invalid document may have shown some
 * elements before the scan failed: use what the callbacks gathered only
 * when this returns 0. Returns 0 (valid; |*root_type| tells whether the root
 * was an array: for any other root |fn| was not called), SW_ERR_PARSE,
 * SW_ERR_NOMEM, SW_ERR_INVALID (as sw_jscan()), or the nonzero value |fn|
 * returned. |root_type| may be NULL.
 */
int sw_jscan_each(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks,
                  sw_jscan_each_fn fn, void *arg, enum sw_jscan_type *root_type);

/*
 * Decodes string |v| (type SW_JSCAN_STRING, from a successful scan) into
 * |out| (|outlen| bytes, NUL-terminated when |outlen| > 0, cut when too
 * small). Returns the decoded length (without the NUL), which may exceed
 * |outlen| - 1 when cut, or SW_ERR_INVALID when |v| is not a string.
 */
long sw_jscan_str(const struct sw_jscan_val *v, char *out, size_t outlen);

/* Returns 1 when |v| is a string equal to the NUL-terminated |s| once
 * decoded, else 0. */
int sw_jscan_streq(const struct sw_jscan_val *v, const char *s);

/* Stores number |v| (integer or real) as a double in |*out|. Returns 0,
 * SW_ERR_INVALID when |v| is no number, or SW_ERR_NOMEM. */
int sw_jscan_double(const struct sw_jscan_val *v, double *out);

/* Length (2..4) of the valid UTF-8 sequence at |p|, whose first byte is
 * >= 0x80, within [p, end); 0 when it is not one (continuation byte, C0/C1,
 * F5..FF, overlong form, surrogate half, above U+10FFFF, cut short): the
 * rule of the scanner above and of swarm/jw's writer. */
size_t sw_utf8_seq_len(const unsigned char *p, const unsigned char *end);

#endif
