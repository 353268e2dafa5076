/*
 * hub_json: the hub's JSON text, the form every stored object version
 * keeps. A writer giving exactly jansson's JSON_COMPACT output, faster (no
 * loop-detection table, no callback per token), into a reusable buffer; a
 * parser of such texts (trusted: written by the hub) into jansson values; a
 * scanner that finds a member in such a text without parsing it; and a
 * comparison of a parsed value with a text under json_equal() rules without
 * parsing the text. These let a write reuse the stored text of what it does
 * not change. The scanner and the comparison expect valid JSON (the hub's
 * own texts); on anything else they fail cleanly (no match, not equal).
 */
#ifndef HUB_JSON_H
#define HUB_JSON_H

#include <jansson.h>
#include <stddef.h>

/* A growable byte buffer. Zero-initialise; free with hub_buf_free(). */
struct hub_buf {
	char *p;
	size_t len, cap;
};
void hub_buf_free(struct hub_buf *b);
/* Makes room for |n| more bytes (aborts on OOM). */
void hub_buf_reserve(struct hub_buf *b, size_t n);
void hub_buf_put(struct hub_buf *b, const void *data, size_t n);

/* Appends the compact JSON of |j| (any type) to |b|, byte for byte what
 * json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) gives. */
void hub_json_write(struct hub_buf *b, const json_t *j);
/* Appends |s| (|n| bytes) as a JSON string. */
void hub_json_write_string(struct hub_buf *b, const char *s, size_t n);

/* Parses text[0, len), a JSON text the hub wrote, into a new value: the tree
 * json_loadb(text, len, 0) gives, built without jansson's per-character
 * stream and UTF-8 re-validation (the text was written from valid strings).
 * NULL when it is not valid JSON or nests deeper than jansson parses. */
json_t *hub_json_parse(const char *text, size_t len);

/* A member of an object in a text: offsets of the key's opening quote and of
 * the value's first byte and one past its last. */
struct hub_json_span {
	size_t key, val, end;
};
/* Finds member |key| of the object text[0, len) (NUL-free key, compared with
 * the key's text as written). Returns 1 and fills |out|, or 0 when the text
 * is not an object or has no such member. */
int hub_json_find(const char *text, size_t len, const char *key, struct hub_json_span *out);

/* Does text[0, len) hold a JSON value equal to |v| as json_equal() sees it
 * (objects equal whatever their key order)? |v| NULL is never equal. */
int hub_json_equal_text(const json_t *v, const char *text, size_t len);

#endif
