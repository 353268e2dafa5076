/*
 * rp_html: the HTML report (see rp.h). Every chart kind is a builder that
 * turns one run into lines; a group renders the builder once per run, side
 * by side with one shared y range, so A and B are read on the same scale.
 */
#include "rp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist_sparse.h"

#define PAGE_W 1180
#define CHART_H 250
#define TOP_OPS 6
#define LATENCY_OPS 3
#define MAX_FAMILIES 4

/* Arrays the builders allocate, freed after each group. */
struct arena {
	double *p[4 * RP_MAX_LINES + 8];
	size_t n;
};

static double *arena_new(struct arena *a, size_t n)
{
	if (a->n == sizeof(a->p) / sizeof(a->p[0]))
		return NULL;
	double *d = calloc(n ? n : 1, sizeof(double));
	if (d)
		a->p[a->n++] = d;
	return d;
}

static void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	a->n = 0;
}

struct page {
	FILE *f;
	int next_id;
	struct rp_run *runs;
	size_t n;
};

/* A builder fills |lines| for |r| and returns how many (0 = no data).
 * |arg| selects within the kind (an operation, a family). */
typedef size_t (*builder_fn)(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a);

static const json_t *iv_at(const struct rp_run *r, size_t k)
{
	return json_array_get(r->intervals, k);
}

static double *iv_times(struct rp_run *r, struct arena *a)
{
	double *x = arena_new(a, r->niv);
	for (size_t k = 0; x && k < r->niv; k++)
		x[k] = rp_num(iv_at(r, k), "end_seconds", 0);
	return x;
}

static double iv_len(const struct rp_run *r, size_t k)
{
	const json_t *iv = iv_at(r, k);
	double d = rp_num(iv, "end_seconds", 0) - rp_num(iv, "start_seconds", 0);
	return d > 1e-3 ? d : 1e-3;
}

/* ------------------------------------------------------------- builders */

static void set_line(struct rp_line *l, const double *x, const double *y, size_t n, int color)
{
	l->x = x;
	l->y = y;
	l->n = n;
	l->color = color;
}

static size_t b_rate(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	(void)arg;
	if (!r->niv || !r->nops)
		return 0;
	double *x = iv_times(r, a);
	size_t nl = r->nops > TOP_OPS ? TOP_OPS + 1 : r->nops;
	for (size_t i = 0; i < nl; i++) {
		double *y = arena_new(a, r->niv);
		if (!x || !y)
			return 0;
		int other = i == TOP_OPS;
		snprintf(lines[i].name, sizeof(lines[i].name), "%s", other ? "other operations" : r->ops[i]);
		for (size_t k = 0; k < r->niv; k++) {
			const json_t *ops = json_object_get(iv_at(r, k), "operations");
			double c = 0;
			if (!other)
				c = rp_num(json_object_get(ops, r->ops[i]), "count", 0);
			else
				for (size_t j = TOP_OPS; j < r->nops; j++)
					c += rp_num(json_object_get(ops, r->ops[j]), "count", 0);
			y[k] = c / iv_len(r, k);
		}
		set_line(&lines[i], x, y, r->niv, (int)i);
	}
	return nl;
}

static size_t b_errors(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	static const char *const cls[] = {"5xx", "4xx", "transport"};
	(void)arg;
	if (!r->niv)
		return 0;
	double *x = iv_times(r, a);
	for (size_t i = 0; i < 3; i++) {
		double *y = arena_new(a, r->niv);
		if (!x || !y)
			return 0;
		snprintf(lines[i].name, sizeof(lines[i].name), "%s errors/s", cls[i]);
		for (size_t k = 0; k < r->niv; k++) {
			const char *op;
			const json_t *v;
			double c = 0;
			json_object_foreach((json_t *)json_object_get(iv_at(r, k), "operations"), op, v) {
				const json_t *sc = json_object_get(v, "status_classes");
				/* 4xx answers that are not errors (404 on deletes) stay out:
				 * only the operation's error count bounds them. */
				double e = rp_num(v, "errors", 0), cval = rp_num(sc, cls[i], 0);
				c += cval < e ? cval : e;
			}
			y[k] = c / iv_len(r, k);
		}
		set_line(&lines[i], x, y, r->niv, i == 0 ? 1 : i == 1 ? 3 : 4);
	}
	return 3;
}

/* Errors per second of the operations that had errors (the six with the
 * most); a zero line when none had any. */
static size_t b_op_errors(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	const char *ops[TOP_OPS];
	double tot[TOP_OPS];
	size_t nops = 0;
	(void)arg;
	if (!r->niv)
		return 0;
	for (size_t o = 0; o < r->nops; o++) {
		double e = rp_num(json_object_get(json_object_get(r->doc, "endpoints"), r->ops[o]), "errors", 0);
		if (e <= 0)
			continue;
		if (nops == TOP_OPS && e <= tot[TOP_OPS - 1])
			continue; /* not among the six largest */
		size_t at = nops < TOP_OPS ? nops++ : TOP_OPS - 1;
		ops[at] = r->ops[o];
		tot[at] = e;
		for (; at > 0 && tot[at] > tot[at - 1]; at--) { /* keep sorted by errors */
			const char *t = ops[at];
			double v = tot[at];
			ops[at] = ops[at - 1];
			tot[at] = tot[at - 1];
			ops[at - 1] = t;
			tot[at - 1] = v;
		}
	}
	double *x = iv_times(r, a);
	size_t nl = nops ? nops : 1;
	for (size_t i = 0; i < nl; i++) {
		double *y = arena_new(a, r->niv);
		if (!x || !y)
			return 0;
		snprintf(lines[i].name, sizeof(lines[i].name), "%s", nops ? ops[i] : "no errors");
		for (size_t k = 0; k < r->niv && nops; k++) {
			const json_t *op = json_object_get(json_object_get(iv_at(r, k), "operations"), ops[i]);
			y[k] = rp_num(op, "errors", 0) / iv_len(r, k);
		}
		set_line(&lines[i], x, y, r->niv, nops ? (int)i : 2);
	}
	return nl;
}

static size_t b_latency(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	static const char *const qs[] = {"p50", "p90", "p99"};
	const char *op = arg;
	if (!r->niv)
		return 0;
	size_t have = 0;
	double *x = arena_new(a, r->niv);
	double *y[3] = {arena_new(a, r->niv), arena_new(a, r->niv), arena_new(a, r->niv)};
	if (!x || !y[0] || !y[1] || !y[2])
		return 0;
	for (size_t k = 0; k < r->niv; k++) {
		const json_t *lat = rp_path(json_object_get(iv_at(r, k), "operations"), op);
		lat = lat ? json_object_get(lat, "latency_seconds") : NULL;
		if (!lat || rp_num(lat, "count", 0) <= 0)
			continue;
		x[have] = rp_num(iv_at(r, k), "end_seconds", 0);
		for (int q = 0; q < 3; q++)
			y[q][have] = rp_num(lat, qs[q], NAN);
		have++;
	}
	if (!have)
		return 0;
	for (int q = 0; q < 3; q++) {
		snprintf(lines[q].name, sizeof(lines[q].name), "%s", qs[q]);
		set_line(&lines[q], x, y[q], have, q == 0 ? 2 : q == 1 ? 0 : 1);
	}
	return 3;
}

static size_t stacked_members(struct rp_run *r, const char *member, const char *const *keys, size_t nk,
                              struct rp_line *lines, struct arena *a)
{
	if (!r->niv)
		return 0;
	double *x = iv_times(r, a);
	for (size_t i = 0; i < nk; i++) {
		double *y = arena_new(a, r->niv);
		if (!x || !y)
			return 0;
		snprintf(lines[i].name, sizeof(lines[i].name), "%s", keys[i]);
		for (size_t k = 0; k < r->niv; k++)
			y[k] = rp_num(json_object_get(iv_at(r, k), member), keys[i], 0);
		set_line(&lines[i], x, y, r->niv, (int)i);
	}
	return nk;
}

static size_t b_phases(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	static const char *const ph[] = {"waiting", "registering", "discovery", "installing", "rebooted",
	                                 "done", "failed"};
	(void)arg;
	size_t n = stacked_members(r, "hosts_by_phase", ph, 7, lines, a);
	if (n == 7) {
		static const int colors[] = {8, 7, 0, 3, 4, 2, 1};
		for (size_t i = 0; i < 7; i++)
			lines[i].color = colors[i];
	}
	return n;
}

static size_t b_clusters(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	static const char *const st[] = {"waiting", "running", "installed", "failed"};
	(void)arg;
	size_t n = stacked_members(r, "clusters", st, 4, lines, a);
	if (n == 4) {
		static const int colors[] = {8, 0, 2, 1};
		for (size_t i = 0; i < 4; i++)
			lines[i].color = colors[i];
	}
	return n;
}

static size_t b_saturation(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	static const char *const keys[] = {"calls_in_flight", "hosts_waiting_slot"};
	(void)arg;
	if (!r->niv)
		return 0;
	double *x = iv_times(r, a);
	for (size_t i = 0; i < 2; i++) {
		double *y = arena_new(a, r->niv);
		if (!x || !y)
			return 0;
		snprintf(lines[i].name, sizeof(lines[i].name), "%s", i ? "hosts waiting for a slot" : "calls in flight");
		for (size_t k = 0; k < r->niv; k++)
			y[k] = rp_num(iv_at(r, k), keys[i], 0);
		set_line(&lines[i], x, y, r->niv, i ? 3 : 0);
	}
	return 2;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

static size_t b_cdf(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	(void)arg;
	const json_t *cl = json_object_get(r->doc, "clusters"), *shapes = json_object_get(r->doc, "shapes");
	size_t ncl = json_array_size(cl), nl = 0;
	for (size_t s = 0; s < json_array_size(shapes) && nl < RP_MAX_LINES; s++) {
		double *x = arena_new(a, ncl), *y;
		size_t m = 0;
		if (!x)
			return nl;
		for (size_t i = 0; i < ncl; i++) {
			const json_t *c = json_array_get(cl, i);
			if (rp_num(c, "shape", -1) != (double)s || !json_is_number(json_object_get(c, "installed_seconds")))
				continue;
			x[m++] = rp_num(c, "installed_seconds", 0) - rp_num(c, "started_seconds", 0);
		}
		if (!m)
			continue;
		qsort(x, m, sizeof(double), cmp_double);
		y = arena_new(a, m);
		if (!y)
			return nl;
		for (size_t i = 0; i < m; i++)
			y[i] = (double)(i + 1) / (double)m;
		const json_t *sh = json_array_get(shapes, s);
		snprintf(lines[nl].name, sizeof(lines[nl].name), "%s (%zu)", rp_str(sh, "label", "shape"), m);
		set_line(&lines[nl], x, y, m, (int)s);
		nl++;
	}
	return nl;
}

/* Bars of a run histogram, 8 bins per power of two. */
static size_t b_hist(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	const char *path = arg;
	struct hist *h = malloc(sizeof(*h));
	size_t nb = 0;
	if (!h)
		return 0;
	if (rp_hist(h, rp_path(r->doc, path)) < 0 || !h->count) {
		free(h);
		return 0;
	}
	unsigned first = HIST_BUCKETS, last = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (h->buckets[i]) {
			if (first == HIST_BUCKETS)
				first = i;
			last = i;
		}
	first -= first % 8;
	size_t bins = (last - first) / 8 + 1;
	double *x = arena_new(a, bins + 1), *y = arena_new(a, bins);
	if (x && y) {
		for (size_t b = 0; b < bins; b++) {
			unsigned lo = first + (unsigned)b * 8;
			x[b + 1] = (double)hsp_bucket_upper(lo + 7 < HIST_BUCKETS ? lo + 7 : HIST_BUCKETS - 1) / 1e9;
			/* Bucket 0 reaches down to 0: draw it one bin wide on the log axis. */
			x[b] = lo ? (double)hsp_bucket_lower(lo) / 1e9 : x[b + 1] * 0.9;
			for (unsigned i = lo; i < lo + 8 && i < HIST_BUCKETS; i++)
				y[b] += h->buckets[i];
		}
		snprintf(lines[0].name, sizeof(lines[0].name), "%llu samples", (unsigned long long)h->count);
		set_line(&lines[0], x, y, bins, 0);
		nb = 1;
	}
	free(h);
	return nb;
}

/* One service metric family over time: a line per series (the first
 * RP_MAX_LINES), counters as a rate per second. */
static size_t b_family(struct rp_run *r, const void *arg, struct rp_line *lines, struct arena *a)
{
	const char *fam = arg;
	size_t nl = 0;
	if (!r->niv)
		return 0;
	double *x = iv_times(r, a);
	for (size_t k = 0; x && k < r->niv; k++) {
		const json_t *fo = rp_path(json_object_get(iv_at(r, k), "service_metrics"), fam);
		const json_t *samples = json_object_get(fo, "samples");
		int counter = !strcmp(rp_str(fo, "type", ""), "counter");
		for (size_t s = 0; s < json_array_size(samples); s++) {
			const json_t *sm = json_array_get(samples, s);
			char name[96] = "";
			const char *lk;
			const json_t *lv;
			size_t used = 0;
			json_object_foreach((json_t *)json_object_get(sm, "labels"), lk, lv) {
				if (used < sizeof(name))
					used += (size_t)snprintf(name + used, sizeof(name) - used, "%s%s=%s", used ? "," : "",
					                         lk, json_string_value(lv) ? json_string_value(lv) : "");
			}
			if (!name[0])
				snprintf(name, sizeof(name), "%s%s", fam, counter ? " /s" : "");
			size_t li;
			for (li = 0; li < nl && strcmp(lines[li].name, name); li++)
				;
			if (li == nl) {
				if (nl == RP_MAX_LINES)
					continue;
				double *y = arena_new(a, r->niv);
				if (!y)
					return nl;
				for (size_t q = 0; q < r->niv; q++)
					y[q] = NAN;
				snprintf(lines[nl].name, sizeof(lines[nl].name), "%s", name);
				set_line(&lines[nl], x, y, r->niv, (int)nl);
				nl++;
			}
			/* y holds raw values for now; counters become rates below */
			((double *)lines[li].y)[k] = rp_num(sm, "value", NAN);
			lines[li].dashed = counter; /* marks "convert to rate" until then */
		}
	}
	for (size_t li = 0; li < nl; li++) {
		if (!lines[li].dashed)
			continue;
		double *y = (double *)lines[li].y, prev = NAN;
		for (size_t k = 0; k < r->niv; k++) {
			double v = y[k];
			y[k] = isfinite(prev) && isfinite(v) && v >= prev ? (v - prev) / iv_len(r, k) : NAN;
			if (isfinite(v))
				prev = v;
		}
		lines[li].dashed = 0;
	}
	return nl;
}

/* ---------------------------------------------------------------- groups */

/* Renders |build| for every run side by side, on one y range. */
static void group(struct page *pg, const char *title, const char *y_label, builder_fn build, const void *arg,
                  struct rp_chart tmpl)
{
	struct rp_line lines[RP_MAX_FILES][RP_MAX_LINES];
	size_t nl[RP_MAX_FILES];
	struct arena a = {.n = 0};
	double ymin = INFINITY, ymax = -INFINITY, xmin = INFINITY, xmax = -INFINITY;
	memset(lines, 0, sizeof(lines));
	for (size_t i = 0; i < pg->n; i++) {
		nl[i] = build(&pg->runs[i], arg, lines[i], &a);
		double x0, x1, y0, y1;
		if (tmpl.bars && nl[i]) {
			x0 = lines[i][0].x[0];
			x1 = lines[i][0].x[lines[i][0].n];
			y0 = 0;
			y1 = 0;
			for (size_t k = 0; k < lines[i][0].n; k++)
				y1 = fmax(y1, lines[i][0].y[k]);
		} else {
			rp_lines_range(lines[i], nl[i], tmpl.stacked, &x0, &x1, &y0, &y1);
		}
		if (nl[i]) {
			xmin = fmin(xmin, x0);
			xmax = fmax(xmax, x1);
			ymin = fmin(ymin, y0);
			ymax = fmax(ymax, y1);
		}
	}
	fputs("<div class='row'>\n", pg->f);
	for (size_t i = 0; i < pg->n; i++) {
		char t[256];
		struct rp_chart c = tmpl;
		c.id = pg->next_id++;
		c.width = (PAGE_W - 10 * ((int)pg->n - 1)) / (int)pg->n;
		c.height = CHART_H;
		if (pg->n > 1)
			snprintf(t, sizeof(t), "%c: %s", pg->runs[i].letter, title);
		else
			snprintf(t, sizeof(t), "%s", title);
		c.title = t;
		c.y_label = y_label;
		if (pg->n > 1 && isfinite(ymax)) {
			c.ymin = tmpl.log_y ? ymin : fmin(ymin, 0);
			c.ymax = ymax > c.ymin ? ymax : c.ymin + 1;
			if (!tmpl.bars) {
				c.xmin = xmin;
				c.xmax = xmax;
			}
		}
		if (tmpl.ymax > tmpl.ymin) {
			c.ymin = tmpl.ymin;
			c.ymax = tmpl.ymax;
		}
		if (!nl[i] && pg->n == 1)
			c.title = t;
		rp_svg_chart(pg->f, &c, lines[i], nl[i]);
	}
	fputs("</div>\n", pg->f);
	arena_free(&a);
}

/* ---------------------------------------------------------------- tables */

static void td_num(FILE *f, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "<td class='n'>%.0f</td>", v);
	else
		fprintf(f, "<td class='n'>%.2f</td>", v);
}

static void summary_table(struct page *pg)
{
	static const struct {
		const char *label, *path;
	} rows[] = {
		{"duration (s)", "duration_seconds"},
		{"exit code", "exit_code"},
		{"clusters", "totals.clusters_total"},
		{"clusters installed", "totals.clusters_installed"},
		{"clusters failed", "totals.clusters_failed"},
		{"hosts", "totals.hosts"},
		{"requests", "totals.requests"},
		{"errors", "totals.errors"},
		{"requests/s", "totals.requests_per_second"},
		{"swarm CPU (s)", "totals.cpu_seconds"},
	};
	FILE *f = pg->f;
	fputs("<table><tr><th></th>", f);
	for (size_t i = 0; i < pg->n; i++) {
		fputs("<th>", f);
		rp_esc(f, pg->runs[i].label);
		fputs("</th>", f);
	}
	if (pg->n == 2)
		fputs("<th>B vs A</th>", f);
	fputs("</tr>\n<tr><td>passed</td>", f);
	for (size_t i = 0; i < pg->n; i++) {
		int ok = json_is_true(json_object_get(pg->runs[i].doc, "passed"));
		fprintf(f, "<td class='%s'>%s</td>", ok ? "pass" : "fail", ok ? "yes" : "no");
	}
	if (pg->n == 2)
		fputs("<td></td>", f);
	fputs("</tr>\n", f);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		fprintf(f, "<tr><td>%s</td>", rows[r].label);
		for (size_t i = 0; i < pg->n; i++)
			td_num(f, rp_num_at(pg->runs[i].doc, rows[r].path, 0));
		if (pg->n == 2) {
			double a = rp_num_at(pg->runs[0].doc, rows[r].path, 0), b = rp_num_at(pg->runs[1].doc, rows[r].path, 0);
			if (a != 0)
				fprintf(f, "<td class='n'>%+.1f%%</td>", 100.0 * (b - a) / a);
			else
				fputs("<td></td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* Per operation: count, errors, p50/p99 per run, and p99 of all files merged. */
static void ops_table(struct page *pg)
{
	FILE *f = pg->f;
	char b1[32], b2[32];
	struct rp_run *a = &pg->runs[0];
	fputs("<table><tr><th>operation</th>", f);
	for (size_t i = 0; i < pg->n; i++)
		fprintf(f, "<th>%c count</th><th>%c errors</th><th>%c p50</th><th>%c p99</th>", pg->runs[i].letter,
		        pg->runs[i].letter, pg->runs[i].letter, pg->runs[i].letter);
	if (pg->n > 1)
		fputs("<th>p99, all files merged</th>", f);
	fputs("</tr>\n", f);
	for (size_t o = 0; o < a->nops; o++) {
		fputs("<tr><td>", f);
		rp_esc(f, a->ops[o]);
		fputs("</td>", f);
		for (size_t i = 0; i < pg->n; i++) {
			const json_t *e = json_object_get(json_object_get(pg->runs[i].doc, "endpoints"), a->ops[o]);
			td_num(f, rp_num(e, "count", 0));
			td_num(f, rp_num(e, "errors", 0));
			fprintf(f, "<td class='n'>%s</td><td class='n'>%s</td>",
			        rp_fmt_s(e ? rp_num_at(e, "service_latency_seconds.p50", -1) : -1, b1, sizeof(b1)),
			        rp_fmt_s(e ? rp_num_at(e, "service_latency_seconds.p99", -1) : -1, b2, sizeof(b2)));
		}
		if (pg->n > 1)
			fprintf(f, "<td class='n'>%s</td>",
			        rp_fmt_s(rp_merged_quantile(pg->runs, pg->n, a->ops[o], "service_histogram", 0.99), b1,
			                 sizeof(b1)));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void thresholds_table(struct page *pg)
{
	FILE *f = pg->f;
	int any = 0;
	for (size_t i = 0; i < pg->n; i++) {
		const json_t *th = json_object_get(pg->runs[i].doc, "thresholds");
		for (size_t k = 0; k < json_array_size(th); k++) {
			const json_t *t = json_array_get(th, k);
			if (!any)
				fputs("<h2>Thresholds</h2>\n<table><tr><th>run</th><th>threshold</th><th>expression</th>"
				      "<th>value</th><th>result</th></tr>\n", f);
			any = 1;
			int ok = json_is_true(json_object_get(t, "passed"));
			fprintf(f, "<tr><td>%c</td><td>", pg->runs[i].letter);
			rp_esc(f, rp_str(t, "name", ""));
			fputs("</td><td><code>", f);
			rp_esc(f, rp_str(t, "expression", ""));
			fputs("</code></td>", f);
			if (json_is_number(json_object_get(t, "value")))
				fprintf(f, "<td class='n'>%.6g</td>", rp_num(t, "value", 0));
			else
				fputs("<td></td>", f);
			fprintf(f, "<td class='%s'>%s</td></tr>\n", ok ? "pass" : "fail", ok ? "pass" : "FAIL");
		}
	}
	if (any)
		fputs("</table>\n", f);
}

static const char css[] =
	"body{font-family:'DejaVu Sans',Arial,sans-serif;margin:16px;color:#222;background:#fff;width:1180px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:18px 0 6px;border-bottom:1px solid #ccc}"
	"p.sub{margin:0 0 10px;color:#555;font-size:13px}"
	"table{border-collapse:collapse;font-size:12px;margin:4px 0 10px}"
	"td,th{border:1px solid #ccc;padding:2px 7px;text-align:left}td.n{text-align:right}"
	"td.pass{background:#d9f2d9}td.fail{background:#f7d4d4;font-weight:bold}"
	".row{display:flex;gap:10px;margin:4px 0}svg.chart{display:block;background:#fff}"
	"svg text{font-family:'DejaVu Sans',Arial,sans-serif}"
	".tt{font-size:13px;font-weight:bold;fill:#222}.tx{font-size:10px;fill:#555;text-anchor:middle}"
	".ty{font-size:10px;fill:#555;text-anchor:end}.lg{font-size:11px;fill:#333}.yl{font-size:11px;fill:#555;"
	"text-anchor:middle}.nd{font-size:14px;fill:#777;text-anchor:middle}.g{stroke:#ddd;stroke-width:1}"
	"p.note{font-size:12px;color:#555;margin:2px 0 8px}";

/* Names of the service metric families recorded in run |r|. */
static size_t families(const struct rp_run *r, const char **out, size_t max)
{
	size_t n = 0;
	const json_t *fam = rp_path(r->doc, "service_metrics.families");
	for (size_t i = 0; i < json_array_size(fam) && n < max; i++)
		if (json_is_string(json_array_get(fam, i)))
			out[n++] = json_string_value(json_array_get(fam, i));
	return n;
}

/* Counts the charts the page will hold (for the test's <meta>). */
static int chart_count(struct page *pg)
{
	const char *fam[MAX_FAMILIES];
	size_t nlat = pg->runs[0].nops < LATENCY_OPS ? pg->runs[0].nops : LATENCY_OPS;
	return (int)((9 + nlat + families(&pg->runs[0], fam, MAX_FAMILIES)) * pg->n);
}

int rp_html(FILE *f, struct rp_run *runs, size_t n)
{
	struct page pg = {.f = f, .runs = runs, .n = n};
	struct rp_chart t;
	char title[160];
	fprintf(f, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
	        "<meta name='swarm-report-charts' content='%d'>\n<title>swarm report</title>\n<style>%s</style>\n"
	        "</head><body>\n<h1>swarm load-test report</h1>\n<p class='sub'>", chart_count(&pg), css);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s<b>%c</b>: ", i ? "; " : "", runs[i].letter);
		rp_esc(f, runs[i].path);
		fputs(" (run ", f);
		rp_esc(f, rp_str(runs[i].doc, "run_id", "?"));
		fputs(", started ", f);
		rp_esc(f, rp_str(runs[i].doc, "start_time", "?"));
		fprintf(f, ", series every %gs)", runs[i].interval_s);
	}
	fputs("</p>\n<h2>Summary</h2>\n", f);
	summary_table(&pg);
	thresholds_table(&pg);

	fputs("<h2>Traffic and errors</h2>\n", f);
	memset(&t, 0, sizeof(t));
	t.xfmt = RP_X_TIME;
	group(&pg, "Requests per second by operation", "requests/s", b_rate, NULL, t);
	group(&pg, "Errors per second by class", "errors/s", b_errors, NULL, t);
	group(&pg, "Errors per second by operation", "errors/s", b_op_errors, NULL, t);

	fputs("<h2>Latency over time (busiest operations, service time)</h2>\n", f);
	t.yfmt = RP_Y_SECONDS;
	t.log_y = 1;
	for (size_t o = 0; o < runs[0].nops && o < LATENCY_OPS; o++) {
		snprintf(title, sizeof(title), "%s: p50 / p90 / p99", runs[0].ops[o]);
		group(&pg, title, "seconds", b_latency, runs[0].ops[o], t);
	}
	t.log_y = 0;
	t.yfmt = RP_Y_NUMBER;

	fputs("<h2>Hosts and clusters</h2>\n", f);
	t.stacked = 1;
	group(&pg, "Hosts by phase (stacked)", "hosts", b_phases, NULL, t);
	group(&pg, "Clusters by state (stacked)", "clusters", b_clusters, NULL, t);
	t.stacked = 0;
	t.step = 1;
	t.yfmt = RP_Y_FRACTION;
	t.ymin = 0;
	t.ymax = 1;
	t.x_from_zero = 1;
	group(&pg, "Cluster install time, CDF by shape (x: from cluster start)", "fraction installed", b_cdf, NULL, t);
	t.ymin = t.ymax = 0;
	t.x_from_zero = 0;
	t.step = 0;
	t.yfmt = RP_Y_NUMBER;

	fputs("<h2>Swarm self-health (is the generator keeping up?)</h2>\n", f);
	group(&pg, "Calls in flight and hosts waiting for a slot", "count", b_saturation, NULL, t);
	t.bars = 1;
	t.xfmt = RP_X_SECONDS_LOG;
	group(&pg, "Schedule lateness (timer fire vs due time)", "timers", b_hist, "schedule.lateness_histogram", t);
	group(&pg, "Cluster start delay (actual vs intended start)", "clusters", b_hist,
	      "schedule.start_delay_histogram", t);
	t.bars = 0;
	t.xfmt = RP_X_TIME;

	const char *fam[MAX_FAMILIES];
	size_t nf = families(&runs[0], fam, MAX_FAMILIES);
	if (nf)
		fputs("<h2>Service metrics (scraped from the service during the run)</h2>\n", f);
	for (size_t i = 0; i < nf; i++)
		group(&pg, fam[i], "value", b_family, fam[i], t);

	fputs("<h2>Operations</h2>\n", f);
	ops_table(&pg);
	fputs("<p class='note'>Latency quantiles come from log-linear histograms (at most 1/64 over the true "
	      "value). With several files, the last column merges their histograms bucket by bucket: "
	      "no percentile is averaged.</p>\n</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
