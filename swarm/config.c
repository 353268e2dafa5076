/*
 * config: test plan and service config loading (see config.h).
 *
 * The YAML is loaded with libyaml's document API, then walked with a small
 * typed-getter layer that knows the dotted key path ("clusters[2].amount")
 * and the node marks, so every message can say FILE:LINE:COL and the key.
 * Unknown keys are errors (the original silently ignored them, which hid the
 * `infranev_labels` typo for years); the two known quirks of the original
 * files are accepted explicitly.
 */
#include "config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include <jansson.h>

#include "cfg_input.h"
#include "soak.h"
#include "sw_duration.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_url.h"
#include "sw_xalloc.h"
#include "thresholds.h"

#define CFG_MAX_FILE (4u << 20)        /* plans are small; refuse absurd inputs */
#define CFG_MAX_SECRET (1u << 20)
#define CFG_MAX_HOSTS_PER_CLUSTER 65532u /* /16 machine network minus reserved (original) */
#define CFG_MAX_SHAPES 10000u

/* Sequencing helpers: run a getter, stop at the first error (rv < 0). The
 * getters return 1 for "absent", which is not an error. */
#define CFG_TRY(expr) do { rv = (expr); if (rv < 0) goto out; } while (0)
#define CFG_TRY_RET(expr) do { rv = (expr); if (rv < 0) return rv; } while (0)

struct cfg_ctx {
	const char *path;
	yaml_document_t doc;
	int have_doc;
	char *err;
	size_t errlen;
	char *warn;
	size_t warnlen;
};

/* One expected key of a mapping, for unknown-key checks and suggestions. */
struct cfg_key {
	const char *name;
};

static void cfg_errf(struct cfg_ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cfg_errf(struct cfg_ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...)
{
	if (!c->err || !c->errlen)
		return;
	unsigned line = at ? (unsigned)at->start_mark.line + 1 : 1;
	unsigned col = at ? (unsigned)at->start_mark.column + 1 : 1;
	int n = key ? snprintf(c->err, c->errlen, "%s:%u:%u: key '%s': ", c->path, line, col, key)
	            : snprintf(c->err, c->errlen, "%s:%u:%u: ", c->path, line, col);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void cfg_warnf(struct cfg_ctx *c, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_warnf(struct cfg_ctx *c, const yaml_node_t *at, const char *fmt, ...)
{
	if (!c->warn || !c->warnlen)
		return;
	size_t used = strnlen(c->warn, c->warnlen);
	if (used + 1 >= c->warnlen)
		return;
	int n = snprintf(c->warn + used, c->warnlen - used, "%s:%u:%u: warning: ", c->path,
	                 (unsigned)at->start_mark.line + 1, (unsigned)at->start_mark.column + 1);
	if (n < 0 || used + (size_t)n >= c->warnlen)
		return;
	used += (size_t)n;
	va_list ap;
	va_start(ap, fmt);
	n = vsnprintf(c->warn + used, c->warnlen - used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	used += (size_t)n;
	if (used + 1 < c->warnlen) {
		c->warn[used] = '\n';
		c->warn[used + 1] = '\0';
	}
}

/* Shortens a value for quoting in a message. */
static const char *cfg_quote(const yaml_node_t *n, char *buf, size_t len)
{
	if (!n)
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	size_t l = n->data.scalar.length;
	if (l > 40)
		snprintf(buf, len, "'%.37s...'", (const char *)n->data.scalar.value);
	else
		snprintf(buf, len, "'%s'", (const char *)n->data.scalar.value);
	return buf;
}

static int cfg_is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *cfg_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static void join_key(char *out, size_t len, const char *prefix, const char *key)
{
	if (prefix && *prefix)
		snprintf(out, len, "%s.%s", prefix, key);
	else
		snprintf(out, len, "%s", key);
}

/*
 * Checks that |map| is a mapping whose keys are all scalars listed in
 * |keys| (NULL-terminated), and that none repeats. |prefix| is the key path
 * of the mapping itself.
 */
static int cfg_check_keys(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                          const char *const *keys)
{
	char kp[256], buf[64];
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		const char *ks = cfg_scalar(k);
		if (!ks) {
			cfg_errf(c, k, prefix && *prefix ? prefix : NULL,
			         "mapping keys must be plain strings, got %s", cfg_quote(k, buf, sizeof(buf)));
			return SW_ERR_INVALID;
		}
		join_key(kp, sizeof(kp), prefix, ks);
		int known = 0;
		const char *best = NULL;
		size_t bestd = 3;
		for (const char *const *e = keys; *e; e++) {
			if (!strcmp(*e, ks)) {
				known = 1;
				break;
			}
			size_t d = edit_distance(*e, ks);
			if (d < bestd) {
				bestd = d;
				best = *e;
			}
		}
		if (!known) {
			if (best)
				cfg_errf(c, k, kp, "unknown key (did you mean '%s'?)", best);
			else
				cfg_errf(c, k, kp, "unknown key");
			return SW_ERR_INVALID;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *qs = cfg_scalar(yaml_document_get_node(&c->doc, q->key));
			if (qs && !strcmp(qs, ks)) {
				cfg_errf(c, k, kp, "duplicate key");
				return SW_ERR_INVALID;
			}
		}
	}
	return 0;
}

/* Returns the value node for |key| in |map| (a mapping), or NULL; |keynode| gets the key. */
static yaml_node_t *cfg_get(struct cfg_ctx *c, const yaml_node_t *map, const char *key,
                            yaml_node_t **keynode)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		const char *ks = cfg_scalar(k);
		if (ks && !strcmp(ks, key)) {
			if (keynode)
				*keynode = k;
			return yaml_document_get_node(&c->doc, p->value);
		}
	}
	return NULL;
}

/* Returns 0 and sets |*out| (malloc'd) when present; 1 when absent or null. */
static int cfg_string(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                      const char *key, int required, char **out)
{
	char kp[256], buf[64];
	join_key(kp, sizeof(kp), prefix, key);
	yaml_node_t *v = cfg_get(c, map, key, NULL);
	if (!v || cfg_is_null(v)) {
		if (required) {
			cfg_errf(c, v ? v : map, kp, "required key %s", v ? "has no value" : "missing");
			return SW_ERR_INVALID;
		}
		return 1;
	}
	if (v->type != YAML_SCALAR_NODE) {
		cfg_errf(c, v, kp, "expected a string, got %s", cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	char *s = strdup((const char *)v->data.scalar.value);
	if (!s)
		return SW_ERR_NOMEM;
	free(*out);
	*out = s;
	return 0;
}

static int parse_bool_text(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "y"};
	static const char *const no[] = {"false", "no", "off", "n"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int cfg_bool(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                    const char *key, int required, int *out)
{
	char kp[256], buf[64];
	join_key(kp, sizeof(kp), prefix, key);
	yaml_node_t *v = cfg_get(c, map, key, NULL);
	if (!v || cfg_is_null(v)) {
		if (required) {
			cfg_errf(c, v ? v : map, kp, "required key %s", v ? "has no value" : "missing");
			return SW_ERR_INVALID;
		}
		return 1;
	}
	const char *s = cfg_scalar(v);
	if (!s || parse_bool_text(s, out) < 0) {
		cfg_errf(c, v, kp, "expected a boolean (true/false), got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	return 0;
}

/* Integer in [lo, hi]. */
static int cfg_int(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                   const char *key, int required, long long lo, long long hi, long long *out)
{
	char kp[256], buf[64];
	join_key(kp, sizeof(kp), prefix, key);
	yaml_node_t *v = cfg_get(c, map, key, NULL);
	if (!v || cfg_is_null(v)) {
		if (required) {
			cfg_errf(c, v ? v : map, kp, "required key %s", v ? "has no value" : "missing");
			return SW_ERR_INVALID;
		}
		return 1;
	}
	const char *s = cfg_scalar(v);
	char *end = NULL;
	errno = 0;
	long long x = s && *s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || errno) {
		cfg_errf(c, v, kp, "expected an integer, got %s", cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	if (x < lo || x > hi) {
		if (lo == 0 && x < 0)
			cfg_errf(c, v, kp, "expected a non-negative integer, got '%s'", s);
		else
			cfg_errf(c, v, kp, "expected an integer from %lld to %lld, got '%s'", lo, hi, s);
		return SW_ERR_INVALID;
	}
	*out = x;
	return 0;
}

static int cfg_double(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                      const char *key, double lo, double hi, double *out)
{
	char kp[256], buf[64];
	join_key(kp, sizeof(kp), prefix, key);
	yaml_node_t *v = cfg_get(c, map, key, NULL);
	if (!v || cfg_is_null(v))
		return 1;
	const char *s = cfg_scalar(v);
	char *end = NULL;
	errno = 0;
	double x = s && *s ? strtod(s, &end) : 0;
	if (!s || !*s || *end || errno || !isfinite(x)) {
		cfg_errf(c, v, kp, "expected a number, got %s", cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	if (x < lo || x > hi) {
		cfg_errf(c, v, kp, "expected a number from %g to %g, got '%s'", lo, hi, s);
		return SW_ERR_INVALID;
	}
	*out = x;
	return 0;
}

/* Duration in ns, capped at |max_ns|. */
static int cfg_duration(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                        const char *key, uint64_t max_ns, uint64_t *out)
{
	char kp[256], buf[64];
	join_key(kp, sizeof(kp), prefix, key);
	yaml_node_t *v = cfg_get(c, map, key, NULL);
	if (!v || cfg_is_null(v))
		return 1;
	const char *s = cfg_scalar(v);
	uint64_t ns = 0;
	if (!s || sw_duration_parse(s, &ns) < 0) {
		cfg_errf(c, v, kp, "expected a duration like '250ms', '30s', '5m' or '1h30m', got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	if (ns > max_ns) {
		cfg_errf(c, v, kp, "duration '%s' is too long (at most %llus)", s,
		         (unsigned long long)(max_ns / 1000000000ull));
		return SW_ERR_INVALID;
	}
	*out = ns;
	return 0;
}

static int cfg_duration_ms(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                           const char *key, unsigned *out_ms)
{
	uint64_t ns = 0;
	int rv = cfg_duration(c, map, prefix, key, UINT64_C(24) * 3600 * 1000000000, &ns);
	if (rv == 0)
		*out_ms = (unsigned)(ns / 1000000);
	return rv;
}

/* Enumerated string: sets *out to the index in |names| (NULL-terminated). */
static int cfg_enum(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                    const char *key, const char *const *names, int *out)
{
	char kp[256], buf[64], list[160] = "";
	join_key(kp, sizeof(kp), prefix, key);
	yaml_node_t *v = cfg_get(c, map, key, NULL);
	if (!v || cfg_is_null(v))
		return 1;
	const char *s = cfg_scalar(v);
	for (int i = 0; s && names[i]; i++) {
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	}
	for (int i = 0; names[i]; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", names[i]);
	}
	cfg_errf(c, v, kp, "expected one of %s, got %s", list, cfg_quote(v, buf, sizeof(buf)));
	return SW_ERR_INVALID;
}

/* Loads |path| into c->doc; returns the root mapping or NULL with c->err set. */
static yaml_node_t *cfg_load(struct cfg_ctx *c, int *rv)
{
	yaml_parser_t parser;
	char *data = NULL;
	size_t len = 0;
	yaml_node_t *root = NULL;
	char why[160];
	*rv = SW_ERR_INVALID;
	int rrv = cfg_input_read(c->path, CFG_MAX_FILE, &data, &len, why, sizeof(why));
	if (rrv == SW_ERR_NOMEM) {
		*rv = SW_ERR_NOMEM;
		return NULL;
	}
	if (rrv == SW_ERR_TOO_BIG) {
		snprintf(c->err, c->errlen, "%s: file larger than %u bytes", c->path, CFG_MAX_FILE);
		goto out;
	}
	if (rrv < 0) {
		snprintf(c->err, c->errlen, "%s: %s", c->path, why);
		goto out;
	}
	/* Depth, size, one document, no NUL: checked on the event stream
	 * first, so the document loader only ever sees a bounded input. */
	rrv = cfg_input_yaml_check(c->path, data, len, c->err, c->errlen);
	if (rrv < 0) {
		*rv = rrv;
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		*rv = SW_ERR_NOMEM;
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &c->doc)) {
		snprintf(c->err, c->errlen, "%s:%u:%u: YAML syntax error: %s%s%s", c->path,
		         (unsigned)parser.problem_mark.line + 1, (unsigned)parser.problem_mark.column + 1,
		         parser.problem ? parser.problem : "unknown",
		         parser.context ? " " : "", parser.context ? parser.context : "");
		*rv = SW_ERR_PARSE;
		yaml_parser_delete(&parser);
		goto out;
	}
	c->have_doc = 1;
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&c->doc);
	if (!root || (root->type == YAML_SCALAR_NODE && cfg_is_null(root))) {
		snprintf(c->err, c->errlen, "%s:1:1: the file is empty (expected a mapping)", c->path);
		root = NULL;
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cfg_errf(c, root, NULL, "expected a mapping at the top level");
		root = NULL;
		goto out;
	}
	*rv = 0;
out:
	free(data);
	return root;
}

static void cfg_done(struct cfg_ctx *c)
{
	if (c->have_doc)
		yaml_document_delete(&c->doc);
	c->have_doc = 0;
}

/* ------------------------------------------------------------------ plan */

static const char *const shape_keys[] = {
	"single_node", "num_workers", "amount", "with_nmstate", "just_infraenv",
	"infraenv_labels", "infranev_labels", "control_plane", "name", "openshift_version",
	"discovery_hold", NULL,
};

/* `discovery_hold`: a duration or `until_end` (default: until_end for
 * just_infraenv shapes, 0 otherwise). */
static int load_hold(struct cfg_ctx *c, const yaml_node_t *entry, const char *prefix,
                     struct swarm_shape *sh)
{
	yaml_node_t *v = cfg_get(c, entry, "discovery_hold", NULL);
	const char *s = v ? cfg_scalar(v) : NULL;
	char kp[256], buf[64];
	uint64_t ns = 0;
	sh->hold_until_end = sh->just_infraenv;
	if (!v || cfg_is_null(v))
		return 0;
	join_key(kp, sizeof(kp), prefix, "discovery_hold");
	sh->hold_until_end = s && !strcmp(s, "until_end");
	if (sh->hold_until_end)
		return 0;
	if (!s || sw_duration_parse(s, &ns) < 0) {
		cfg_errf(c, v, kp, "expected a duration like '10m' or 'until_end', got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	if (ns > UINT64_C(30) * 24 * 3600 * 1000000000) {
		cfg_errf(c, v, kp, "duration '%s' is too long (at most 720h)", s);
		return SW_ERR_INVALID;
	}
	sh->discovery_hold_ns = ns;
	return 0;
}

static int load_labels(struct cfg_ctx *c, const yaml_node_t *entry, const char *prefix,
                       struct swarm_shape *sh)
{
	char kp[256], buf[64];
	yaml_node_t *kn = NULL;
	yaml_node_t *v = cfg_get(c, entry, "infraenv_labels", &kn);
	const char *used = "infraenv_labels";
	yaml_node_t *typo_k = NULL;
	yaml_node_t *typo = cfg_get(c, entry, "infranev_labels", &typo_k);
	if (typo) {
		join_key(kp, sizeof(kp), prefix, "infranev_labels");
		if (v) {
			cfg_errf(c, typo_k, kp, "both infraenv_labels and its misspelling are set");
			return SW_ERR_INVALID;
		}
		cfg_warnf(c, typo_k, "key '%s': misspelt 'infraenv_labels' (accepted as such; "
		          "the original tool silently ignored these labels)", kp);
		v = typo;
		used = "infranev_labels";
	}
	join_key(kp, sizeof(kp), prefix, used);
	if (!v || cfg_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errf(c, v, kp, "expected a mapping of label names to values, got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if (!n)
		return 0;
	sh->labels = calloc(n, sizeof(*sh->labels));
	if (!sh->labels)
		return SW_ERR_NOMEM;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(&c->doc, p->value);
		if (!cfg_scalar(k) || !cfg_scalar(val)) {
			cfg_errf(c, cfg_scalar(k) ? val : k, kp, "label names and values must be strings");
			return SW_ERR_INVALID;
		}
		struct swarm_label *l = &sh->labels[sh->nlabels];
		l->key = strdup(cfg_scalar(k));
		l->value = strdup(cfg_scalar(val));
		sh->nlabels++;
		if (!l->key || !l->value)
			return SW_ERR_NOMEM;
	}
	return 0;
}

static int load_shape(struct cfg_ctx *c, const yaml_node_t *entry, unsigned idx,
                      struct swarm_shape *sh)
{
	char prefix[64], kp[256], buf[64];
	long long x = 0;
	int rv;
	snprintf(prefix, sizeof(prefix), "clusters[%u]", idx);
	sh->line = (unsigned)entry->start_mark.line + 1;
	if (entry->type != YAML_MAPPING_NODE) {
		cfg_errf(c, entry, prefix, "expected a mapping (single_node, num_workers, amount, ...), got %s",
		         cfg_quote(entry, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	rv = cfg_check_keys(c, entry, prefix, shape_keys);
	if (rv < 0)
		return rv;
	rv = cfg_bool(c, entry, prefix, "single_node", 1, &sh->single_node);
	if (rv < 0)
		return rv;
	rv = cfg_int(c, entry, prefix, "num_workers", 1, 0, CFG_MAX_HOSTS_PER_CLUSTER, &x);
	if (rv < 0)
		return rv;
	sh->num_workers = (unsigned)x;
	rv = cfg_int(c, entry, prefix, "amount", 1, 0, 100000000, &x);
	if (rv < 0)
		return rv;
	sh->amount = (unsigned)x;
	CFG_TRY_RET(cfg_bool(c, entry, prefix, "with_nmstate", 0, &sh->with_nmstate));
	CFG_TRY_RET(cfg_bool(c, entry, prefix, "just_infraenv", 0, &sh->just_infraenv));
	CFG_TRY_RET(load_hold(c, entry, prefix, sh));
	sh->control_plane = sh->single_node ? 1 : 3;
	rv = cfg_int(c, entry, prefix, "control_plane", 0, 1, 5, &x);
	if (rv < 0)
		return rv;
	if (rv == 0) {
		yaml_node_t *v = cfg_get(c, entry, "control_plane", NULL);
		join_key(kp, sizeof(kp), prefix, "control_plane");
		if (sh->single_node && x != 1) {
			cfg_errf(c, v, kp, "must be 1 (or absent) for single_node clusters, got %lld", x);
			return SW_ERR_INVALID;
		}
		if (!sh->single_node && (x < 3 || x > 5)) {
			cfg_errf(c, v, kp, "expected an integer from 3 to 5, got %lld", x);
			return SW_ERR_INVALID;
		}
		sh->control_plane = (unsigned)x;
	}
	if (sh->single_node && sh->num_workers) {
		join_key(kp, sizeof(kp), prefix, "num_workers");
		cfg_errf(c, cfg_get(c, entry, "num_workers", NULL), kp,
		         "must be 0 for single_node clusters, got %u", sh->num_workers);
		return SW_ERR_INVALID;
	}
	if (swarm_shape_hosts(sh) > CFG_MAX_HOSTS_PER_CLUSTER) {
		join_key(kp, sizeof(kp), prefix, "num_workers");
		cfg_errf(c, cfg_get(c, entry, "num_workers", NULL), kp,
		         "%u hosts per cluster is over the limit of %u", swarm_shape_hosts(sh),
		         CFG_MAX_HOSTS_PER_CLUSTER);
		return SW_ERR_INVALID;
	}
	CFG_TRY_RET(cfg_string(c, entry, prefix, "name", 0, &sh->name_prefix));
	if (sh->name_prefix) {
		/* Names become DNS labels (cluster name + run id + index): keep them short and safe. */
		const char *p = sh->name_prefix;
		int ok = *p && strlen(p) <= 20 && *p >= 'a' && *p <= 'z';
		for (; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
		if (!ok) {
			join_key(kp, sizeof(kp), prefix, "name");
			cfg_errf(c, cfg_get(c, entry, "name", NULL), kp,
			         "expected a lower-case DNS label prefix of at most 20 characters "
			         "([a-z][a-z0-9-]*), got '%s'", sh->name_prefix);
			return SW_ERR_INVALID;
		}
	}
	CFG_TRY_RET(cfg_string(c, entry, prefix, "openshift_version", 0, &sh->openshift_version));
	return load_labels(c, entry, prefix, sh);
}

static const char *const plan_keys[] = {
	"clusters", "shuffle", "schema", "mode", "openshift_version", "base_domain",
	"cpu_architecture", "seed", "cleanup", "max_duration", "arrival", "timings", "cleanup_timeout",
	"thresholds", "soak", NULL,
};
static const char *const arrival_keys[] = {
	"kind", "clusters_per_minute", "start_per_minute", "ramp", "burst", "burst_interval",
	"poisson", NULL,
};
static const char *const timing_keys[] = {
	"installer_stage", "write_image", "write_image_step_pct", "worker_poll",
	"controller_poll", "cluster_poll", "jitter", "time_scale", "bmh_registering",
	"bmh_inspecting", "bmh_provisioning", "bmh_deprovisioning", "host_boot", NULL,
};

/* A rate of arrival.|key|: 0 (only for start_per_minute: a ramp from
 * nothing) or SWARM_RATE_MIN..SWARM_RATE_MAX clusters per minute. */
static int cfg_rate(struct cfg_ctx *c, const yaml_node_t *arrival, const char *key, double *out)
{
	char kp[64];
	int rv = cfg_double(c, arrival, "arrival", key, 0, SWARM_RATE_MAX, out);

	if (rv != 0 || *out == 0 || *out >= SWARM_RATE_MIN)
		return rv < 0 ? rv : 0;
	snprintf(kp, sizeof(kp), "arrival.%s", key);
	cfg_errf(c, cfg_get(c, arrival, key, NULL), kp, "expected a number from %g to %g (clusters per "
	         "minute), got '%s'", SWARM_RATE_MIN, SWARM_RATE_MAX,
	         cfg_scalar(cfg_get(c, arrival, key, NULL)));
	return SW_ERR_INVALID;
}

static int load_arrival(struct cfg_ctx *c, const yaml_node_t *root, struct swarm_arrival *a)
{
	static const char *const kinds[] = {"asap", "rate", "ramp", "burst", NULL};
	char buf[64];
	yaml_node_t *kn = NULL;
	yaml_node_t *v = cfg_get(c, root, "arrival", &kn);
	int rv, kind = SWARM_ARRIVAL_ASAP;
	long long x;
	uint64_t ns;
	if (!v || cfg_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errf(c, v, "arrival", "expected a mapping (kind, clusters_per_minute, ...), got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	CFG_TRY_RET(cfg_check_keys(c, v, "arrival", arrival_keys));
	CFG_TRY_RET(cfg_enum(c, v, "arrival", "kind", kinds, &kind));
	a->kind = (enum swarm_arrival_kind)kind;
	/* Bounded so that every start time is a finite number of nanoseconds
	 * (schedule.c saturates the rest): at least one cluster per 1000
	 * minutes, at most 10^7 per minute. */
	CFG_TRY_RET(cfg_rate(c, v, "clusters_per_minute", &a->clusters_per_minute));
	CFG_TRY_RET(cfg_rate(c, v, "start_per_minute", &a->start_per_minute));
	CFG_TRY_RET(cfg_bool(c, v, "arrival", "poisson", 0, &a->poisson));
	rv = cfg_duration(c, v, "arrival", "ramp", UINT64_C(30) * 24 * 3600 * 1000000000, &ns);
	if (rv < 0)
		return rv;
	if (rv == 0)
		a->ramp_seconds = (double)ns / 1e9;
	rv = cfg_duration(c, v, "arrival", "burst_interval", UINT64_C(30) * 24 * 3600 * 1000000000, &ns);
	if (rv < 0)
		return rv;
	if (rv == 0)
		a->burst_interval_seconds = (double)ns / 1e9;
	rv = cfg_int(c, v, "arrival", "burst", 0, 1, 100000000, &x);
	if (rv < 0)
		return rv;
	if (rv == 0)
		a->burst = (unsigned)x;
	switch (a->kind) {
	case SWARM_ARRIVAL_ASAP:
		break;
	case SWARM_ARRIVAL_RATE:
	case SWARM_ARRIVAL_RAMP:
		if (!(a->clusters_per_minute > 0)) {
			cfg_errf(c, v, "arrival.clusters_per_minute", "required (> 0) for kind '%s'",
			         kinds[kind]);
			return SW_ERR_INVALID;
		}
		if (a->kind == SWARM_ARRIVAL_RAMP && !(a->ramp_seconds > 0)) {
			cfg_errf(c, v, "arrival.ramp", "required (a duration > 0) for kind 'ramp'");
			return SW_ERR_INVALID;
		}
		break;
	case SWARM_ARRIVAL_BURST:
		if (!a->burst || !(a->burst_interval_seconds > 0)) {
			cfg_errf(c, v, a->burst ? "arrival.burst_interval" : "arrival.burst",
			         "required for kind 'burst' (burst >= 1, burst_interval > 0)");
			return SW_ERR_INVALID;
		}
		break;
	}
	return 0;
}

static int load_timings(struct cfg_ctx *c, const yaml_node_t *root, struct swarm_timings *t)
{
	char buf[64];
	long long x;
	int rv;
	yaml_node_t *v = cfg_get(c, root, "timings", NULL);
	if (!v || cfg_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errf(c, v, "timings", "expected a mapping, got %s", cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	CFG_TRY_RET(cfg_check_keys(c, v, "timings", timing_keys));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "installer_stage", &t->installer_stage_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "write_image", &t->write_image_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "worker_poll", &t->worker_poll_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "controller_poll", &t->controller_poll_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "cluster_poll", &t->cluster_poll_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "bmh_registering", &t->bmh_registering_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "bmh_inspecting", &t->bmh_inspecting_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "bmh_provisioning", &t->bmh_provisioning_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "bmh_deprovisioning", &t->bmh_deprovisioning_ms));
	CFG_TRY_RET(cfg_duration_ms(c, v, "timings", "host_boot", &t->host_boot_ms));
	CFG_TRY_RET(cfg_double(c, v, "timings", "jitter", 0, 1, &t->jitter));
	CFG_TRY_RET(cfg_double(c, v, "timings", "time_scale", 1, 1e6, &t->time_scale));
	rv = cfg_int(c, v, "timings", "write_image_step_pct", 0, 1, 100, &x);
	if (rv < 0)
		return rv;
	if (rv == 0)
		t->write_image_step_pct = (unsigned)x;
	return 0;
}

static int plan_defaults(struct swarm_plan *p)
{
	p->mode = SWARM_MODE_REST;
	p->seed = 1;
	p->arrival.kind = SWARM_ARRIVAL_ASAP;
	p->timings.installer_stage_ms = 5000;
	p->timings.write_image_ms = 52000;
	p->timings.write_image_step_pct = 5;
	p->timings.worker_poll_ms = 5000;
	p->timings.controller_poll_ms = 30000;
	p->timings.cluster_poll_ms = 10000;
	p->timings.bmh_registering_ms = 10000;
	p->timings.bmh_inspecting_ms = 180000;
	p->timings.bmh_provisioning_ms = 60000;
	p->timings.bmh_deprovisioning_ms = 30000;
	p->timings.host_boot_ms = 120000;
	p->cleanup_timeout_ms = 600000;
	p->timings.jitter = 0.1;
	p->timings.time_scale = 1;
	return 0;
}

static int set_default_str(char **dst, const char *def)
{
	if (*dst)
		return 0;
	*dst = strdup(def);
	return *dst ? 0 : SW_ERR_NOMEM;
}

int swarm_plan_load(const char *path, struct swarm_plan *out, char *err, size_t errlen,
                    char *warn, size_t warnlen)
{
	char localerr[16];
	struct cfg_ctx c = {.path = path, .err = err, .errlen = errlen, .warn = warn, .warnlen = warnlen};
	if (!err || !errlen) {
		c.err = localerr;
		c.errlen = sizeof(localerr);
	}
	char buf[64];
	int rv;
	long long x;
	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (warn && warnlen)
		warn[0] = '\0';
	plan_defaults(out);
	out->path = strdup(path);
	if (!out->path) {
		rv = SW_ERR_NOMEM;
		goto out;
	}
	yaml_node_t *root = cfg_load(&c, &rv);
	if (!root)
		goto out;
	CFG_TRY(cfg_check_keys(&c, root, "", plan_keys));
	/* `schema` is the original example's inline documentation: ignored. */
	yaml_node_t *cl = cfg_get(&c, root, "clusters", NULL);
	if (!cl || cfg_is_null(cl)) {
		cfg_errf(&c, cl ? cl : root, "clusters", "required key %s",
		         cl ? "has no value" : "missing");
		rv = SW_ERR_INVALID;
		goto out;
	}
	if (cl->type != YAML_SEQUENCE_NODE) {
		cfg_errf(&c, cl, "clusters", "expected a list of cluster shapes, got %s",
		         cfg_quote(cl, buf, sizeof(buf)));
		rv = SW_ERR_INVALID;
		goto out;
	}
	size_t n = (size_t)(cl->data.sequence.items.top - cl->data.sequence.items.start);
	if (n > CFG_MAX_SHAPES) {
		cfg_errf(&c, cl, "clusters", "at most %u shapes are supported", CFG_MAX_SHAPES);
		rv = SW_ERR_INVALID;
		goto out;
	}
	if (n) {
		out->shapes = calloc(n, sizeof(*out->shapes));
		if (!out->shapes) {
			rv = SW_ERR_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = yaml_document_get_node(&c.doc, cl->data.sequence.items.start[i]);
		out->nshapes = i + 1; /* so a failure frees what this entry allocated */
		CFG_TRY(load_shape(&c, e, (unsigned)i, &out->shapes[i]));
	}
	CFG_TRY(cfg_bool(&c, root, "", "shuffle", 0, &out->shuffle));
	CFG_TRY(cfg_bool(&c, root, "", "cleanup", 0, &out->cleanup));
	int mode = SWARM_MODE_REST;
	static const char *const modes[] = {"rest", "kube", NULL};
	CFG_TRY(cfg_enum(&c, root, "", "mode", modes, &mode));
	out->mode = (enum swarm_mode)mode;
	CFG_TRY(cfg_string(&c, root, "", "openshift_version", 0, &out->openshift_version));
	CFG_TRY(cfg_string(&c, root, "", "base_domain", 0, &out->base_domain));
	CFG_TRY(cfg_string(&c, root, "", "cpu_architecture", 0, &out->cpu_architecture));
	rv = cfg_int(&c, root, "", "seed", 0, 0, LLONG_MAX, &x);
	if (rv < 0)
		goto out;
	if (rv == 0) {
		out->seed = (uint64_t)x;
		out->seed_set = 1;
	}
	uint64_t ns = 0;
	rv = cfg_duration(&c, root, "", "max_duration", UINT64_C(30) * 24 * 3600 * 1000000000, &ns);
	if (rv < 0)
		goto out;
	if (rv == 0) {
		out->max_duration_s = (unsigned)((ns + 999999999) / 1000000000);
	}
	rv = cfg_duration(&c, root, "", "cleanup_timeout", UINT64_C(24) * 3600 * 1000000000, &ns);
	if (rv < 0)
		goto out;
	if (rv == 0)
		out->cleanup_timeout_ms = (unsigned)(ns / 1000000);
	CFG_TRY(load_arrival(&c, root, &out->arrival));
	CFG_TRY(load_timings(&c, root, &out->timings));
	/* Extensions with their own loaders (orchestration: thresholds.h, soak.h). */
	CFG_TRY(thr_load_yaml(&out->thresholds, &c.doc, cfg_get(&c, root, "thresholds", NULL), path, out,
	                      c.err, c.errlen));
	CFG_TRY(soak_load_yaml(&out->soak, &c.doc, cfg_get(&c, root, "soak", NULL), path, out, c.err,
	                       c.errlen));
	CFG_TRY(set_default_str(&out->openshift_version, "4.16"));
	CFG_TRY(set_default_str(&out->base_domain, "swarm.example.com"));
	CFG_TRY(set_default_str(&out->cpu_architecture, "x86_64"));
	/* Checked last, so a plan's other mistakes are reported first. A run
	 * with nothing to do would only "pass" without testing anything. */
	uint64_t planned = 0;
	for (size_t i = 0; i < out->nshapes; i++)
		planned += out->shapes[i].amount;
	if (planned == 0) {
		cfg_errf(&c, cl, "clusters", "%s: the plan has no cluster to run",
		         out->nshapes ? "every amount is 0" : "empty list");
		rv = SW_ERR_INVALID;
		goto out;
	}
	rv = 0;
out:
	cfg_done(&c);
	if (rv < 0)
		swarm_plan_free(out);
	return rv;
}

void swarm_plan_free(struct swarm_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nshapes; i++) {
		struct swarm_shape *s = &p->shapes[i];
		for (size_t j = 0; j < s->nlabels; j++) {
			free(s->labels[j].key);
			free(s->labels[j].value);
		}
		free(s->labels);
		free(s->name_prefix);
		free(s->openshift_version);
	}
	free(p->shapes);
	free(p->path);
	free(p->openshift_version);
	free(p->base_domain);
	free(p->cpu_architecture);
	thr_set_free(&p->thresholds);
	soak_free(&p->soak);
	memset(p, 0, sizeof(*p));
}

unsigned swarm_shape_hosts(const struct swarm_shape *shape)
{
	unsigned cp = shape->single_node ? 1 : (shape->control_plane ? shape->control_plane : 3);
	return cp + shape->num_workers;
}

const char *swarm_shape_label(const struct swarm_shape *sh, char *buf, size_t len)
{
	const char *kind = sh->single_node ? "sno" : sh->num_workers ? "multi" : "compact";
	snprintf(buf, len, "%s%s", sh->name_prefix ? sh->name_prefix : kind,
	         sh->just_infraenv ? "/infraenv" : "");
	return buf;
}

/* --------------------------------------------------------------- service */

static const char *const service_keys[] = {
	"service_endpoint", "pull_secret_file", "release_image", "ssh_pub_key", "auth",
	"user_token", "agent_token", "ca_file", "insecure_skip_verify", "client_cert_file",
	"client_key_file", "http", "connections", "max_connections", "api_generation",
	"service_metrics", "pushgateway", "startup_timeout", "kubeconfig", "kube_http",
	"source_addresses", NULL,
};

/* Refuses URL |url| of |key| (in |map|) that sw_client could not use, at
 * the value's LINE:COL: the scheme, user info, host and port. */
static int cfg_url_check(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                         const char *key, const char *url)
{
	struct sw_url u;
	char kp[256], why[128];

	if (sw_url_parse(url, &u, why, sizeof(why)) == 0)
		return 0;
	join_key(kp, sizeof(kp), prefix, key);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		cfg_errf(c, cfg_get(c, map, key, NULL), kp, "expected an http:// or https:// URL, got '%s'",
		         url);
	else
		cfg_errf(c, cfg_get(c, map, key, NULL), kp, "%s", why);
	return SW_ERR_INVALID;
}

/* Refuses a file of |key| that cannot be read or is no regular file (a FIFO
 * would block the TLS set-up for ever), at the value's LINE:COL. */
static int cfg_file_check(struct cfg_ctx *c, const yaml_node_t *root, const char *key,
                          const char *path)
{
	char why[160];

	if (!path || cfg_input_check_file(path, why, sizeof(why)) == 0)
		return 0;
	cfg_errf(c, cfg_get(c, root, key, NULL), key, "cannot read '%s': %s", path,
	         strncmp(why, "cannot open: ", 13) ? why : why + 13);
	return SW_ERR_INVALID;
}

/* Relative paths in a config file are relative to that file, like the
 * original's example suggests when run from another directory. */
static int resolve_path(const char *cfgpath, char **p)
{
	if (!*p || (*p)[0] == '/')
		return 0;
	const char *slash = strrchr(cfgpath, '/');
	if (!slash)
		return 0;
	size_t dl = (size_t)(slash - cfgpath);
	size_t l = dl + 1 + strlen(*p) + 1;
	char *r = malloc(l);
	if (!r)
		return SW_ERR_NOMEM;
	snprintf(r, l, "%.*s/%s", (int)dl, cfgpath, *p);
	free(*p);
	*p = r;
	return 0;
}

/* Refuses a token (|what|, the value at |at| of |key|) that could not travel
 * unchanged as one HTTP header value: empty, over SWARM_TOKEN_MAX bytes, or
 * with a control byte. Never truncated: too long is an error. */
static int cfg_token_check(struct cfg_ctx *c, const yaml_node_t *at, const char *key,
                           const char *what, const char *tok)
{
	size_t n = strlen(tok), bad = sw_http_value_bad(tok, n);

	if (!n) {
		cfg_errf(c, at, key, "empty %s", what);
		return SW_ERR_INVALID;
	}
	if (n > SWARM_TOKEN_MAX) {
		cfg_errf(c, at, key, "%s of %zu bytes, longer than the maximum of %u (it is sent in one "
		         "HTTP header, never cut)", what, n, SWARM_TOKEN_MAX);
		return SW_ERR_INVALID;
	}
	if (bad) {
		cfg_errf(c, at, key, "%s has a control character at byte %zu (it is sent in one HTTP "
		         "header)", what, bad);
		return SW_ERR_INVALID;
	}
	return 0;
}

/* ------------------------------------------ service_metrics, pushgateway */

#define CFG_MAX_FAMILIES 16

static int cfg_http_url(struct cfg_ctx *c, const yaml_node_t *map, const char *prefix,
                        const char *key, int required, char **out)
{
	int rv = cfg_string(c, map, prefix, key, required, out);
	if (rv == 0)
		CFG_TRY_RET(cfg_url_check(c, map, prefix, key, *out));
	return rv;
}

static int load_service_metrics(struct cfg_ctx *c, const yaml_node_t *root,
                                struct swarm_service_metrics *m)
{
	static const char *const keys[] = {"url", "interval", "families", NULL};
	char buf[64], kp[64];
	int rv;
	yaml_node_t *v = cfg_get(c, root, "service_metrics", NULL);
	if (!v || cfg_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errf(c, v, "service_metrics", "expected a mapping (url, interval, families), got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	CFG_TRY_RET(cfg_check_keys(c, v, "service_metrics", keys));
	CFG_TRY_RET(cfg_http_url(c, v, "service_metrics", "url", 1, &m->url));
	uint64_t ns = UINT64_C(10) * 1000000000;
	if (cfg_duration(c, v, "service_metrics", "interval", UINT64_C(3600) * 1000000000, &ns) < 0)
		return SW_ERR_INVALID;
	if (ns < UINT64_C(100) * 1000000) {
		cfg_errf(c, cfg_get(c, v, "interval", NULL), "service_metrics.interval", "at least 100ms");
		return SW_ERR_INVALID;
	}
	m->interval_ms = (unsigned)(ns / 1000000);
	yaml_node_t *f = cfg_get(c, v, "families", NULL);
	if (!f || f->type != YAML_SEQUENCE_NODE ||
	    f->data.sequence.items.top == f->data.sequence.items.start) {
		cfg_errf(c, f ? f : v, "service_metrics.families",
		         "expected a non-empty list of metric names (e.g. [go_goroutines])");
		return SW_ERR_INVALID;
	}
	size_t n = (size_t)(f->data.sequence.items.top - f->data.sequence.items.start);
	if (n > CFG_MAX_FAMILIES) {
		cfg_errf(c, f, "service_metrics.families", "at most %d metric names", CFG_MAX_FAMILIES);
		return SW_ERR_INVALID;
	}
	m->families = calloc(n, sizeof(*m->families));
	if (!m->families)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yaml_document_get_node(&c->doc, f->data.sequence.items.start[i]);
		const char *name = cfg_scalar(it);
		int ok = name && *name && strlen(name) < 200;
		for (const char *p = name; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':' ||
			     (p != name && *p >= '0' && *p <= '9');
		snprintf(kp, sizeof(kp), "service_metrics.families[%zu]", i);
		if (!ok) {
			cfg_errf(c, it, kp, "expected a Prometheus metric name, got %s", cfg_quote(it, buf, sizeof(buf)));
			return SW_ERR_INVALID;
		}
		m->families[i] = strdup(name);
		if (!m->families[i])
			return SW_ERR_NOMEM;
		m->nfamilies++;
	}
	return 0;
}

/* `source_addresses`: 1..1024 numeric IPv4 or IPv6 addresses the
 * connections are bound to in turn (more than one address is how a run
 * holds more connections to one service than one address has ports). */
static int load_source_addrs(struct cfg_ctx *c, const yaml_node_t *root, struct swarm_service *s)
{
	char buf[64], kp[64];
	yaml_node_t *v = cfg_get(c, root, "source_addresses", NULL);
	size_t n;

	if (!v || cfg_is_null(v))
		return 0;
	n = v->type == YAML_SEQUENCE_NODE ?
	    (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 0;
	if (!n || n > 1024) {
		cfg_errf(c, v, "source_addresses", "expected a list of 1 to 1024 IP addresses, got %s",
		         cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	s->source_addrs = calloc(n, sizeof(*s->source_addrs));
	if (!s->source_addrs)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = yaml_document_get_node(&c->doc, v->data.sequence.items.start[i]);
		const char *a = cfg_scalar(it);
		unsigned char bin[16];
		snprintf(kp, sizeof(kp), "source_addresses[%zu]", i);
		if (!a || (inet_pton(AF_INET, a, bin) != 1 && inet_pton(AF_INET6, a, bin) != 1)) {
			cfg_errf(c, it, kp, "expected a numeric IPv4 or IPv6 address, got %s",
			         cfg_quote(it, buf, sizeof(buf)));
			return SW_ERR_INVALID;
		}
		s->source_addrs[i] = strdup(a);
		if (!s->source_addrs[i])
			return SW_ERR_NOMEM;
		s->nsource_addrs++;
	}
	return 0;
}

static int load_pushgateway(struct cfg_ctx *c, const yaml_node_t *root, struct swarm_service *s)
{
	static const char *const keys[] = {"url", "job", NULL};
	char buf[64];
	int rv;
	yaml_node_t *v = cfg_get(c, root, "pushgateway", NULL);
	if (!v || cfg_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE) {
		cfg_errf(c, v, "pushgateway", "expected a mapping (url, job), got %s", cfg_quote(v, buf, sizeof(buf)));
		return SW_ERR_INVALID;
	}
	CFG_TRY_RET(cfg_check_keys(c, v, "pushgateway", keys));
	CFG_TRY_RET(cfg_http_url(c, v, "pushgateway", "url", 1, &s->push_url));
	if (cfg_string(c, v, "pushgateway", "job", 0, &s->push_job) < 0)
		return SW_ERR_INVALID;
	for (const char *p = s->push_job; p && *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.') || strlen(s->push_job) > 64) {
			cfg_errf(c, cfg_get(c, v, "job", NULL), "pushgateway.job",
			         "expected 1-64 characters of [A-Za-z0-9_.-], got '%s'", s->push_job);
			return SW_ERR_INVALID;
		}
	}
	if (s->push_job && !*s->push_job) {
		cfg_errf(c, cfg_get(c, v, "job", NULL), "pushgateway.job", "must not be empty");
		return SW_ERR_INVALID;
	}
	return 0;
}

/* Token mode: the agents' X-Secret-Key is agent_token, else the pull
 * secret's auths["cloud.openshift.com"].auth (as the real service's rhsso
 * mode expects); with neither, agent calls carry none (and the service
 * refuses them, which the run reports). */
static int derive_agent_token(struct cfg_ctx *c, const yaml_node_t *root, json_t *ps,
                              struct swarm_service *s)
{
	yaml_node_t *v = cfg_get(c, root, "pull_secret_file", NULL);
	json_t *auth;

	if (s->auth != SWARM_AUTH_RHSSO || s->agent_token)
		return 0;
	auth = json_object_get(json_object_get(json_object_get(ps, "auths"), "cloud.openshift.com"),
	                       "auth");
	if (!json_is_string(auth))
		return 0;
	if (cfg_token_check(c, v, "pull_secret_file", "auths[\"cloud.openshift.com\"].auth",
	                    json_string_value(auth)) < 0)
		return SW_ERR_INVALID;
	s->agent_token = strdup(json_string_value(auth));
	return s->agent_token ? 0 : SW_ERR_NOMEM;
}

static int load_pull_secret(struct cfg_ctx *c, const yaml_node_t *root, struct swarm_service *s)
{
	yaml_node_t *v = cfg_get(c, root, "pull_secret_file", NULL);
	char *data = NULL, why[160];
	json_t *j = NULL;
	json_error_t je;
	int rv = SW_ERR_INVALID;
	size_t len = 0;
	int rrv = cfg_input_read(s->pull_secret_file, CFG_MAX_SECRET, &data, &len, why, sizeof(why));
	if (rrv == SW_ERR_NOMEM)
		return SW_ERR_NOMEM;
	if (rrv == SW_ERR_IO || rrv == SW_ERR_INVALID) {
		cfg_errf(c, v, "pull_secret_file", "cannot read '%s': %s", s->pull_secret_file,
		         strncmp(why, "cannot open: ", 13) ? why : why + 13);
		goto out;
	}
	if (rrv == SW_ERR_TOO_BIG) {
		cfg_errf(c, v, "pull_secret_file", "'%s' is larger than %u bytes", s->pull_secret_file,
		         CFG_MAX_SECRET);
		goto out;
	}
	j = json_loadb(data, len, 0, &je);
	if (!j) {
		cfg_errf(c, v, "pull_secret_file", "'%s' is not valid JSON (line %d: %s)",
		         s->pull_secret_file, je.line, je.text);
		goto out;
	}
	if (!json_is_object(j) || !json_is_object(json_object_get(j, "auths"))) {
		cfg_errf(c, v, "pull_secret_file", "'%s' has no \"auths\" object (not a pull secret)",
		         s->pull_secret_file);
		goto out;
	}
	/* Compact, as the original did: it travels in headers and bodies. */
	s->pull_secret = json_dumps(j, JSON_COMPACT);
	rv = s->pull_secret ? derive_agent_token(c, root, j, s) : SW_ERR_NOMEM;
out:
	json_decref(j);
	free(data);
	return rv;
}

int swarm_service_load(const char *path, struct swarm_service *out, char *err, size_t errlen,
                       char *warn, size_t warnlen)
{
	char localerr[16];
	struct cfg_ctx c = {.path = path, .err = err, .errlen = errlen, .warn = warn, .warnlen = warnlen};
	if (!err || !errlen) {
		c.err = localerr;
		c.errlen = sizeof(localerr);
	}
	/* `token` is this tool's former name of rhsso, still accepted. */
	static const char *const auths[] = {"none", "rhsso", "local", "token", NULL};
	static const char *const protos[] = {"auto", "h2", "http1.1", NULL};
	static const char *const policies[] = {"shared", "dedicated", NULL};
	static const char *const gens[] = {"auto", "current", "2023", NULL};
	int rv, x;
	long long ll;
	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (warn && warnlen)
		warn[0] = '\0';
	out->path = strdup(path);
	if (!out->path) {
		rv = SW_ERR_NOMEM;
		goto out;
	}
	yaml_node_t *root = cfg_load(&c, &rv);
	if (!root)
		goto out;
	CFG_TRY(cfg_check_keys(&c, root, "", service_keys));
	CFG_TRY(cfg_string(&c, root, "", "service_endpoint", 1, &out->endpoint));
	CFG_TRY(cfg_string(&c, root, "", "pull_secret_file", 1, &out->pull_secret_file));
	CFG_TRY(cfg_string(&c, root, "", "release_image", 1, &out->release_image));
	CFG_TRY(cfg_string(&c, root, "", "ssh_pub_key", 1, &out->ssh_pub_key));
	CFG_TRY(cfg_url_check(&c, root, "", "service_endpoint", out->endpoint));
	x = SWARM_AUTH_NONE;
	yaml_node_t *authv = cfg_get(&c, root, "auth", NULL);
	if (authv && cfg_scalar(authv) && !strcmp(cfg_scalar(authv), "agent-installer-local")) {
		cfg_errf(&c, authv, "auth", "'agent-installer-local' (the agent-based installer's "
		         "AUTH_TYPE) is not supported: expected none, rhsso or local");
		rv = SW_ERR_INVALID;
		goto out;
	}
	CFG_TRY(cfg_enum(&c, root, "", "auth", auths, &x));
	out->auth = x == 3 ? SWARM_AUTH_RHSSO : (enum swarm_auth)x;
	x = 0;
	CFG_TRY(cfg_enum(&c, root, "", "http", protos, &x));
	out->proto = x == 1 ? SW_PROTO_H2 : x == 2 ? SW_PROTO_H1 : SW_PROTO_AUTO;
	x = 0;
	CFG_TRY(cfg_enum(&c, root, "", "kube_http", protos, &x));
	out->kube_proto = x == 1 ? SW_PROTO_H2 : x == 2 ? SW_PROTO_H1 : SW_PROTO_AUTO;
	CFG_TRY(cfg_string(&c, root, "", "kubeconfig", 0, &out->kubeconfig));
	x = SWARM_CONN_SHARED;
	CFG_TRY(cfg_enum(&c, root, "", "connections", policies, &x));
	out->policy = (enum swarm_conn_policy)x;
	x = 0;
	CFG_TRY(cfg_enum(&c, root, "", "api_generation", gens, &x));
	out->api_generation = strdup(gens[x]);
	if (!out->api_generation) {
		rv = SW_ERR_NOMEM;
		goto out;
	}
	rv = cfg_int(&c, root, "", "max_connections", 0, 0, 100000, &ll);
	if (rv < 0)
		goto out;
	if (rv == 0)
		out->max_conns = (unsigned)ll;
	CFG_TRY(cfg_bool(&c, root, "", "insecure_skip_verify", 0, &out->insecure));
	/* Said once here (the caller prints warnings unless --quiet), not by
	 * every HTTP client the run creates. */
	if (out->insecure && !strncmp(out->endpoint, "https://", 8))
		cfg_warnf(&c, cfg_get(&c, root, "insecure_skip_verify", NULL),
		          "key 'insecure_skip_verify': the service's TLS certificate is not verified");
	CFG_TRY(cfg_string(&c, root, "", "user_token", 0, &out->user_token));
	if (out->user_token)
		CFG_TRY(cfg_token_check(&c, cfg_get(&c, root, "user_token", NULL), "user_token",
		                        "token", out->user_token));
	CFG_TRY(cfg_string(&c, root, "", "agent_token", 0, &out->agent_token));
	if (out->agent_token)
		CFG_TRY(cfg_token_check(&c, cfg_get(&c, root, "agent_token", NULL), "agent_token",
		                        "token", out->agent_token));
	CFG_TRY(cfg_string(&c, root, "", "ca_file", 0, &out->ca_file));
	CFG_TRY(cfg_string(&c, root, "", "client_cert_file", 0, &out->client_cert_file));
	CFG_TRY(cfg_string(&c, root, "", "client_key_file", 0, &out->client_key_file));
	if (out->auth == SWARM_AUTH_RHSSO && !out->user_token) {
		cfg_errf(&c, authv, "user_token", "required when auth is '%s' (the Bearer token of "
		         "the user calls that create clusters)", cfg_scalar(authv));
		rv = SW_ERR_INVALID;
		goto out;
	}
	if (!out->client_cert_file != !out->client_key_file) {
		const char *k = out->client_cert_file ? "client_key_file" : "client_cert_file";
		cfg_errf(&c, cfg_get(&c, root, out->client_cert_file ? "client_cert_file" : "client_key_file",
		                     NULL), k, "required when the other half of the client certificate is set");
		rv = SW_ERR_INVALID;
		goto out;
	}
	CFG_TRY(resolve_path(path, &out->pull_secret_file));
	CFG_TRY(resolve_path(path, &out->ca_file));
	CFG_TRY(resolve_path(path, &out->client_cert_file));
	CFG_TRY(resolve_path(path, &out->client_key_file));
	CFG_TRY(cfg_file_check(&c, root, "ca_file", out->ca_file));
	CFG_TRY(cfg_file_check(&c, root, "client_cert_file", out->client_cert_file));
	CFG_TRY(cfg_file_check(&c, root, "client_key_file", out->client_key_file));
	uint64_t st_ns = UINT64_C(60) * 1000000000;
	CFG_TRY(cfg_duration(&c, root, "", "startup_timeout", UINT64_C(3600) * 1000000000, &st_ns));
	out->startup_timeout_ms = (unsigned)(st_ns / 1000000);
	CFG_TRY(resolve_path(path, &out->kubeconfig));
	CFG_TRY(load_service_metrics(&c, root, &out->service_metrics));
	CFG_TRY(load_pushgateway(&c, root, out));
	CFG_TRY(load_source_addrs(&c, root, out));
	CFG_TRY(load_pull_secret(&c, root, out));
	rv = 0;
out:
	cfg_done(&c);
	if (rv < 0)
		swarm_service_free(out);
	return rv;
}

char *swarm_service_bearer(const struct swarm_service *s)
{
	size_t n;
	char *b;

	if (s->auth == SWARM_AUTH_NONE || !s->user_token || !*s->user_token)
		return NULL;
	/* As long as the token needs: the loader refused one over SWARM_TOKEN_MAX. */
	n = strlen(s->user_token);
	b = xmalloc(n + 8);
	memcpy(b, "Bearer ", 7);
	memcpy(b + 7, s->user_token, n + 1);
	return b;
}

void swarm_service_client_cfg(const struct swarm_service *s, struct sw_client_cfg *cfg)
{
	sw_client_cfg_init(cfg);
	cfg->url = s->endpoint;
	cfg->proto = s->proto;
	cfg->ca_file = s->ca_file;
	cfg->cert_file = s->client_cert_file;
	cfg->key_file = s->client_key_file;
	cfg->insecure = s->insecure;
}

void swarm_service_free(struct swarm_service *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->endpoint);
	free(s->pull_secret_file);
	free(s->pull_secret);
	free(s->release_image);
	free(s->ssh_pub_key);
	free(s->user_token);
	free(s->agent_token);
	free(s->ca_file);
	free(s->client_cert_file);
	free(s->client_key_file);
	free(s->api_generation);
	free(s->service_metrics.url);
	for (size_t i = 0; i < s->service_metrics.nfamilies; i++)
		free(s->service_metrics.families[i]);
	free(s->service_metrics.families);
	for (unsigned i = 0; i < s->nsource_addrs; i++)
		free(s->source_addrs[i]);
	free(s->source_addrs);
	free(s->push_url);
	free(s->push_job);
	free(s->kubeconfig);
	memset(s, 0, sizeof(*s));
}
