/*
 * jw: a small JSON writer for the bodies the swarm sends (step replies and
 * their outputs, stage reports, registrations). It appends to one growing
 * buffer and tracks commas, so a body is built in one pass with one
 * allocation, where jansson built a tree, dumped it and freed it.
 *
 * Output is byte for byte what jansson's json_dumps(JSON_COMPACT) writes for
 * the same values in the same order: strings escape '"', '\\' and control
 * characters only (\b \f \n \r \t, else \u00XX in upper-case hex; '/' and
 * non-ASCII are written as they are), reals print as "%.17g" with ".0"
 * added when that looks like an integer. A string that is not valid UTF-8
 * (which jansson would refuse to hold) has each invalid byte written as
 * U+FFFD, so the body stays valid JSON.
 *
 * Allocation failure aborts (the swarm/ policy, sw_xalloc.h). Not
 * thread-safe; one writer per body.
 */
#ifndef SWARM_JW_H
#define SWARM_JW_H

#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;          /* owned; NUL-terminated after every call */
	size_t len, cap;
	uint32_t has_member; /* bit d: the container at depth d has a member already */
	unsigned depth;
	int after_key;      /* a key was written: the next value needs no comma */
};

/* Starts an empty writer with room for |cap_hint| bytes. Frees: jw_free()
 * (or jw_take()). */
void jw_init(struct jw *w, size_t cap_hint);
/* Frees the buffer. NULL-safe; |w| can be initialised again. */
void jw_free(struct jw *w);
/* Returns the NUL-terminated text (its length in |*len|, may be NULL) and
 * passes it to the caller, who frees it with free(); |w| is left empty. */
char *jw_take(struct jw *w, size_t *len);

/* Containers (nesting up to JW_MAX_DEPTH; deeper is a programming error
 * and aborts). */
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
/* An object key (escaped like a string); the next call writes its value. */
void jw_key(struct jw *w, const char *key);

/* Values. */
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, int v);
void jw_real(struct jw *w, double v);
/* An already encoded JSON value (|json|, |n| bytes), written as it is. */
void jw_raw(struct jw *w, const char *json, size_t n);

/* Shorthands: key and value in one call. */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, long long v);
void jw_kbool(struct jw *w, const char *key, int v);

#endif
