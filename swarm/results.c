/*
 * results: the results file beyond report_json()'s summary (see results.h).
 */
#include "results.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sw_err.h"

static void jset(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!o || !v || json_object_set_new(o, k, v) < 0)
		*bad = 1;
}

json_t *results_hist_layout(void)
{
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:s}", "kind", "log-linear", "unit", "ns",
	                 "sub_bucket_bits", HIST_SUB_BITS, "min_shift", HIST_MIN_SHIFT,
	                 "buckets", HIST_BUCKETS, "encoding", "runs");
}

int results_add_histograms(json_t *doc, const struct swarm_stats *st)
{
	int bad = 0;
	jset(doc, "histogram_layout", results_hist_layout(), &bad);
	json_t *eps = json_object_get(doc, "endpoints");
	for (int e = 0; e < EP_COUNT && eps; e++) {
		json_t *o = json_object_get(eps, stats_ep_name((enum swarm_ep)e));
		if (!o || !st->ep[e].count)
			continue;
		jset(o, "service_histogram", hist_json(&st->ep[e].service), &bad);
		jset(o, "intended_histogram", hist_json(&st->ep[e].intended), &bad);
	}
	json_t *sched = json_object_get(doc, "schedule");
	jset(sched, "lateness_histogram", hist_json(&st->lateness), &bad);
	jset(sched, "start_delay_histogram", hist_json(&st->start_delay), &bad);
	jset(sched, "send_delay_histogram", hist_json(&st->send_delay), &bad);
	jset(sched, "send_delay_seconds",
	     json_pack("{s:I, s:f, s:f, s:f}", "count", (json_int_t)st->send_delay.count,
	               "p50", (double)hist_quantile(&st->send_delay, 0.5) / 1e9,
	               "p99", (double)hist_quantile(&st->send_delay, 0.99) / 1e9,
	               "max", (double)st->send_delay.max_ns / 1e9), &bad);
	json_t *ct = json_object_get(doc, "clusters_time");
	jset(ct, "time_to_ready_histogram", hist_json(&st->cluster_ready), &bad);
	jset(ct, "time_to_installed_histogram", hist_json(&st->cluster_installed), &bad);
	jset(json_object_get(doc, "totals"), "cluster_records_compacted",
	     json_integer((json_int_t)st->records_compacted), &bad);
	/* Per-shape histograms (what `swarm merge` adds up): the engine's
	 * aggregates, or the records folded when a caller has only those. */
	struct swarm_stats *fold = NULL;
	const struct swarm_stats *src = st;
	if (!st->nshapes && st->nclusters) {
		fold = malloc(sizeof(*fold));
		if (!fold)
			return SW_ERR_NOMEM;
		stats_init(fold);
		for (size_t i = 0; i < st->nclusters; i++)
			stats_fold_cluster(fold, &st->clusters[i]);
		src = fold;
	}
	json_t *shapes = json_object_get(doc, "shapes");
	for (size_t i = 0; i < json_array_size(shapes); i++) {
		json_t *o = json_array_get(shapes, i);
		struct hist *h = malloc(sizeof(*h));
		if (!h) {
			bad = 1;
			break;
		}
		hist_init(h);
		jset(o, "time_to_ready_histogram", hist_json(i < src->nshapes ? &src->shapes[i].ready : h), &bad);
		jset(o, "time_to_installed_histogram", hist_json(i < src->nshapes ? &src->shapes[i].installed_h : h),
		     &bad);
		free(h);
	}
	if (fold) {
		stats_free(fold);
		free(fold);
	}
	return bad ? SW_ERR_NOMEM : 0;
}

#define RESULTS_DUMP_FLAGS (JSON_INDENT(1) | JSON_REAL_PRECISION(9))

/* Cluster records streamed into the document's empty "clusters" array. */
struct clusters_src {
	const struct swarm_stats *st;
	const struct report_run *run;
};

static int put(FILE *f, const char *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : SW_ERR_IO;
}

/* Writes |text|, a value dumped at depth 0, |pad| levels deeper: a space
 * per level after each newline (JSON strings hold no raw newline). */
static int put_indented(FILE *f, const char *text, unsigned pad)
{
	int rv = 0;
	while (rv == 0 && *text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) + 1 : strlen(text);
		rv = put(f, text, n);
		for (unsigned i = 0; rv == 0 && nl && i < pad; i++)
			rv = fputc(' ', f) == EOF ? SW_ERR_IO : 0;
		text += n;
	}
	return rv;
}

/*
 * The records as jansson dumps the "clusters" array of the document, built
 * and dumped one at a time: the tree and the text of 10^5 records at once
 * were the run's largest allocations (about 3 KiB per cluster).
 */
static int stream_clusters(FILE *f, const struct clusters_src *cs)
{
	size_t n = cs->st->nclusters;
	if (!n)
		return put(f, "[]", 2);
	int rv = put(f, "[", 1);
	for (size_t i = 0; rv == 0 && i < n; i++) {
		json_t *o = report_cluster_json(&cs->st->clusters[i], cs->run);
		char *t = o ? json_dumps(o, RESULTS_DUMP_FLAGS) : NULL;
		json_decref(o);
		if (!t)
			return SW_ERR_NOMEM;
		rv = put(f, i ? ",\n  " : "\n  ", i ? 4 : 3);
		if (rv == 0)
			rv = put_indented(f, t, 2);
		free(t);
	}
	return rv == 0 ? put(f, "\n ]", 3) : rv;
}

/*
 * The document is dumped by jansson and the series streamed after it: the
 * dump of an object ends with '}', which is replaced by the "series" member.
 * With |cs|, the records are streamed in place of the document's empty
 * top-level "clusters" array (its one "\n \"clusters\": []": a member one
 * level deep; JSON strings hold no raw newline).
 */
static int write_all(FILE *f, const json_t *doc, const struct clusters_src *cs,
                     const struct series *ser)
{
	static const char key[] = "\n \"clusters\": []";
	char *text = json_dumps(doc, RESULTS_DUMP_FLAGS);
	if (!text)
		return SW_ERR_NOMEM;
	size_t len = strlen(text), from = 0;
	int rv = 0;
	const char *at = cs ? strstr(text, key) : NULL;
	if (at) {
		from = (size_t)(at - text) + sizeof(key) - 1 - 2; /* up to the "[]" */
		rv = put(f, text, from);
		if (rv == 0)
			rv = stream_clusters(f, cs);
		from += 2;
	}
	if (!ser) {
		if (rv == 0)
			rv = put(f, text + from, len - from);
		if (rv == 0 && fputc('\n', f) == EOF)
			rv = SW_ERR_IO;
		free(text);
		return rv;
	}
	while (len > from && text[len - 1] != '}')
		len--;
	if (len > from)
		len--; /* the closing brace */
	int empty = json_object_size(doc) == 0;
	if (rv == 0 && (put(f, text + from, len - from) < 0 ||
	                fputs(empty ? "\"series\": " : ",\n \"series\": ", f) < 0))
		rv = SW_ERR_IO;
	free(text);
	if (rv == 0)
		rv = series_write(ser, f);
	if (rv == 0 && fputs("\n}\n", f) < 0)
		rv = SW_ERR_IO;
	return rv;
}

static int write_file(const char *path, const json_t *doc, const struct clusters_src *cs,
                      const struct series *ser, char *err, size_t errlen)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		return SW_ERR_IO;
	}
	errno = 0;
	int rv = write_all(f, doc, cs, ser);
	int saved = errno;
	if (fclose(f) != 0 && rv == 0) {
		saved = errno;
		rv = SW_ERR_IO;
	}
	if (rv < 0) {
		snprintf(err, errlen, "%s: %s", tmp,
		         rv == SW_ERR_NOMEM ? "out of memory writing the results"
		                            : saved ? strerror(saved) : "write error");
		unlink(tmp);
		return rv;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
		unlink(tmp);
		return SW_ERR_IO;
	}
	return 0;
}

int results_write(const char *path, const json_t *doc, const struct series *ser, char *err,
                  size_t errlen)
{
	return write_file(path, doc, NULL, ser, err, errlen);
}

int results_write_run(const char *path, const struct swarm_stats *st, const struct report_run *run,
                      const struct results_extra *x, char *err, size_t errlen)
{
	json_t *doc = report_json_head(st, run);
	json_t *slot = doc ? json_object_get(doc, "clusters") : NULL;
	int bad = !doc || results_add_histograms(doc, st) < 0;
	if (!bad && x && x->service_metrics)
		jset(doc, "service_metrics", json_incref(x->service_metrics), &bad);
	if (!bad && x && x->push)
		jset(doc, "push", json_incref(x->push), &bad);
	if (!bad && x && x->members && json_object_update(doc, x->members) < 0)
		bad = 1;
	if (bad) {
		json_decref(doc);
		snprintf(err, errlen, "%s: out of memory building the results", path);
		return SW_ERR_NOMEM;
	}
	/* The records go into the placeholder unless a member replaced it. */
	struct clusters_src cs = {.st = st, .run = run};
	int stream = slot && json_object_get(doc, "clusters") == slot && !json_array_size(slot);
	int rv = write_file(path, doc, stream ? &cs : NULL, x ? x->series : NULL, err, errlen);
	json_decref(doc);
	return rv;
}

int results_check_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char tmp[4096];
	int fd;

	if (!path || !*path) {
		snprintf(err, errlen, "empty results path");
		return SW_ERR_INVALID;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory (the results file is written there)", path);
		return SW_ERR_INVALID;
	}
	/* The very file results_write() creates first, then renames: if it can
	 * be created now, the directory takes the file and the rename. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return SW_ERR_INVALID;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create files in its directory: %s", path, strerror(errno));
		return SW_ERR_INVALID;
	}
	close(fd);
	unlink(tmp);
	return 0;
}
