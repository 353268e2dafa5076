/*
 * kube_selector: label selectors (key, !key, key=v, key==v, key!=v,
 * key in (a,b), key notin (a,b), key>n, key<n, comma-separated: all must
 * hold) and field selectors (key=v, key==v, key!=v) as the apiserver parses
 * them, and matching against an object's labels or fields through a lookup
 * callback. No I/O. A NULL selector (empty string) matches everything.
 */
#ifndef KUBE_SELECTOR_H
#define KUBE_SELECTOR_H

#include <stddef.h>

enum kube_sel_op {
	KUBE_SEL_EQ, KUBE_SEL_NEQ, KUBE_SEL_IN, KUBE_SEL_NOTIN, KUBE_SEL_EXISTS, KUBE_SEL_NOT_EXISTS,
	KUBE_SEL_GT, KUBE_SEL_LT,
};

struct kube_sel_req {
	char *key;
	enum kube_sel_op op;
	size_t nvals;
	char **vals;
};

struct kube_selector {
	size_t n;
	struct kube_sel_req *reqs;
};

/* Returns the value of |key| for the object being matched, or NULL when absent. */
typedef const char *(*kube_sel_lookup_fn)(void *arg, const char *key);

/* Parses label selector |s| into |*out| (NULL for an empty selector). Returns
 * 0, or SW_ERR_PARSE with a message in |err| as the apiserver words it
 * (e.g. "unable to parse requirement: ..."). Keys and values are checked
 * against the label syntax (63-character names, optional DNS prefix).
 * Frees: kube_selector_free(). */
int kube_label_selector_parse(const char *s, struct kube_selector **out, char *err, size_t errlen);

/* Parses field selector |s| (only =, ==, != and any dotted key). Same returns. */
int kube_field_selector_parse(const char *s, struct kube_selector **out, char *err, size_t errlen);

/* Returns 1 when every requirement of |sel| holds for the object seen through
 * |get|/|arg|, else 0. A NULL |sel| matches. */
int kube_selector_match(const struct kube_selector *sel, kube_sel_lookup_fn get, void *arg);

/* Frees |*sp| and sets it to NULL. NULL-safe. */
void kube_selector_free(struct kube_selector **sp);

/* Label key and value syntax (metadata.labels). Return 1 when valid. */
int kube_label_key_valid(const char *k);
int kube_label_value_valid(const char *v);

#endif
