/*
 * soak: the `soak` plan key (see soak.h).
 */
#include "soak.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_duration.h"
#include "sw_err.h"

#define SOAK_MAX_NS (UINT64_C(365) * 24 * 3600 * 1000000000)

static int serr(char *err, size_t errlen, const char *path, const yaml_node_t *at, const char *key,
                const char *msg)
{
	snprintf(err, errlen, "%s:%u:%u: key 'soak%s%s': %s", path, (unsigned)at->start_mark.line + 1,
	         (unsigned)at->start_mark.column + 1, key ? "." : "", key ? key : "", msg);
	return SW_ERR_INVALID;
}

static int is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

enum { K_DURATION, K_RETENTION, K_SNAPSHOT, K_WINDOW, K_SERIES, K_SERIES_KIB, K_KEEP_FAILED };

int soak_load_yaml(struct swarm_soak **out, yaml_document_t *doc, yaml_node_t *node, const char *path,
                   const struct swarm_plan *plan, char *err, size_t errlen)
{
	static const char *const keys[] = {"duration", "retention", "snapshot_interval", "window",
	                                   "series_intervals", "series_kib", "keep_failed_records", NULL};
	*out = NULL;
	if (!node || is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return serr(err, errlen, path, node, NULL, "expected a mapping (duration, retention, "
		            "snapshot_interval, window, series_intervals, series_kib, keep_failed_records)");
	struct swarm_soak s = {
		.retention_ns = UINT64_C(60) * 1000000000, .snapshot_ns = UINT64_C(60) * 1000000000,
		.window_ns = UINT64_C(300) * 1000000000, .series_intervals = 64, .series_kib = 1024,
		.keep_failed = 100,
	};
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *ks = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
		const char *vs = v && v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
		char msg[160];
		int idx = -1;
		for (int i = 0; ks && keys[i]; i++)
			if (!strcmp(keys[i], ks))
				idx = i;
		if (idx < 0)
			return serr(err, errlen, path, k, ks ? ks : "?", "unknown key (soak has duration, retention, "
			            "snapshot_interval, window, series_intervals, series_kib, keep_failed_records)");
		for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(doc, q->key);
			if (qk->type == YAML_SCALAR_NODE && !strcmp((const char *)qk->data.scalar.value, ks))
				return serr(err, errlen, path, k, ks, "duplicate key");
		}
		if (idx == K_SERIES || idx == K_SERIES_KIB || idx == K_KEEP_FAILED) {
			static const long long lows[] = {[K_SERIES] = 8, [K_SERIES_KIB] = 64, [K_KEEP_FAILED] = 0};
			static const long long highs[] = {[K_SERIES] = 100000, [K_SERIES_KIB] = 1048576,
			                                  [K_KEEP_FAILED] = 1000000};
			char *end = NULL;
			errno = 0;
			long long x = vs && *vs ? strtoll(vs, &end, 10) : -1;
			long long lo = lows[idx], hi = highs[idx];
			if (!vs || !*vs || *end || errno || x < lo || x > hi) {
				snprintf(msg, sizeof(msg), "expected an integer from %lld to %lld", lo, hi);
				return serr(err, errlen, path, v, ks, msg);
			}
			if (idx == K_SERIES)
				s.series_intervals = (unsigned)x;
			else if (idx == K_SERIES_KIB)
				s.series_kib = (unsigned)x;
			else
				s.keep_failed = (unsigned)x;
			continue;
		}
		uint64_t ns = 0;
		if (!vs || sw_duration_parse(vs, &ns) < 0 || ns > SOAK_MAX_NS)
			return serr(err, errlen, path, v, ks, "expected a duration such as '30s', '10m' or '24h' "
			            "(0 for none, at most a year)");
		if (idx == K_WINDOW && ns < UINT64_C(1000000000))
			return serr(err, errlen, path, v, ks, "the window is at least 1s");
		if (idx == K_DURATION)
			s.duration_ns = ns;
		else if (idx == K_RETENTION)
			s.retention_ns = ns;
		else if (idx == K_SNAPSHOT)
			s.snapshot_ns = ns;
		else
			s.window_ns = ns;
	}
	uint64_t weight = 0;
	for (size_t i = 0; plan && i < plan->nshapes; i++)
		weight += plan->shapes[i].amount;
	if (plan && !weight)
		return serr(err, errlen, path, node, NULL, "in a soak run the shapes' 'amount's are their "
		            "weights: at least one must be above 0");
	*out = malloc(sizeof(**out));
	if (!*out)
		return SW_ERR_NOMEM;
	**out = s;
	return 0;
}

void soak_free(struct swarm_soak **sp)
{
	if (!sp)
		return;
	free(*sp);
	*sp = NULL;
}
