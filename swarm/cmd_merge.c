/*
 * cmd_merge: `swarm merge [-o OUT] [OPTIONS] RESULTS...` (see cmd.h): the
 * results files of the N shards of one run (--shard I/N) become the
 * results file of the whole run. Everything adds up exactly: counters,
 * status codes, every histogram bucket by bucket (so percentiles are those
 * of all samples, never averaged), per-shape aggregates and the cluster
 * records; the time series is merged interval by interval (interval k of
 * every shard: k x interval after its own start, which --start-at makes
 * the same instant), a shard that ended earlier standing in with its final
 * gauges, as a finished thread does inside one process. The thresholds of
 * the plan are evaluated again on the merged stats: the global verdict.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "report.h"
#include "results.h"
#include "results_load.h"
#include "sw_err.h"
#include "thresholds.h"

#ifndef SWARM_VERSION
#define SWARM_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
	fprintf(f, "Usage: swarm merge [OPTIONS] RESULTS...\n"
	        "\n"
	        "Merges the results files of the shards of one run (swarm --shard I/N) into the\n"
	        "results of the whole run: totals, histograms, per-shape figures, cluster records\n"
	        "and the time series add up exactly; the plan's thresholds are evaluated again on\n"
	        "the merged figures.\n"
	        "\n"
	        "Options:\n"
	        "  -o, --output FILE    merged results (default swarm-results-merged.json)\n"
	        "      --allow-partial  merge even when some shards are missing (marked partial)\n"
	        "      --verdict        exit 0 when the merged run passed, 99 when a threshold\n"
	        "                       failed, 1 when it failed otherwise\n"
	        "  -q, --quiet          no summary line\n"
	        "\n"
	        "Exit codes: 0 written; 2 usage; 3 a file cannot be read, is not JSON or is\n"
	        "truncated; 4 another schema_version; 5 not a swarm results file or a malformed\n"
	        "member; 6 the output cannot be written; 7 files of different runs (run id, plan,\n"
	        "series interval, --start-at); 8 a shard given twice, a shard missing, or a file\n"
	        "that is not a shard; with --verdict also 1 and 99 (above).\n");
}

/* Exit code precedence of a run: 4 > 3 > 99 > 1 > 5 > 0. */
static int code_rank(int c)
{
	switch (c) {
	case SWARM_EXIT_UNREACHABLE: return 5;
	case SWARM_EXIT_ABORTED: return 4;
	case SWARM_EXIT_THRESHOLDS: return 3;
	case SWARM_EXIT_FAILED: return 2;
	case SWARM_EXIT_PUSH: return 1;
	default: return 0;
	}
}

/* JSON equality where numbers compare by value (300 == 300.0: a file
 * rewritten by another tool keeps its meaning). */
static int same_json(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
			if (!same_json(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same_json(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* The plan without its path: shards of one run have the same plan. */
static json_t *plan_key(const json_t *doc)
{
	json_t *p = json_deep_copy(json_object_get(doc, "plan"));
	if (json_is_object(p))
		json_object_del(p, "path");
	return p;
}

static int check_inputs(struct results_file *f, int n, int allow_partial, int *partial)
{
	const struct results_file *a = &f[0];
	json_t *pa = plan_key(a->doc);
	int rv = CMD_OK;
	*partial = 0;
	for (int i = 0; i < n && rv == CMD_OK; i++) {
		if (f[i].exit_code < 0)
			rv = cmd_fail("merge", CMD_MALFORMED, "%s is a soak snapshot (the run is still going): merge the "
			              "final results", f[i].path);
		else if (strcmp(f[i].run_id, a->run_id))
			rv = cmd_fail("merge", CMD_MIXED, "%s is of run %s, %s of run %s: the shards of one run share "
			              "its --run-id", f[i].path, f[i].run_id, a->path, a->run_id);
		if (rv == CMD_OK && n > 1 && !f[i].has_shard)
			rv = cmd_fail("merge", CMD_SHARDS, "%s is not a shard (no \"shard\" member: run with --shard I/N)",
			              f[i].path);
		if (rv != CMD_OK || i == 0)
			continue;
		json_t *pi = plan_key(f[i].doc);
		if (!pa || !pi || !same_json(pa, pi))
			rv = cmd_fail("merge", CMD_MIXED, "%s and %s were run with different plans", a->path, f[i].path);
		json_decref(pi);
		if (rv == CMD_OK && (!a->series) != (!f[i].series))
			rv = cmd_fail("merge", CMD_MIXED, "%s has a time series, %s has none", a->series ? a->path : f[i].path,
			              a->series ? f[i].path : a->path);
		if (rv == CMD_OK && a->series && a->series->interval_ns != f[i].series->interval_ns)
			rv = cmd_fail("merge", CMD_MIXED, "%s and %s have different series intervals (--series-interval)",
			              a->path, f[i].path);
		if (rv == CMD_OK && a->start_at != f[i].start_at)
			rv = cmd_fail("merge", CMD_MIXED, "%s and %s started at different --start-at times", a->path,
			              f[i].path);
	}
	json_decref(pa);
	if (rv != CMD_OK || n == 1)
		return rv;
	unsigned count = 0;
	for (int i = 0; i < n; i++) {
		if (!f[i].has_shard)
			return cmd_fail("merge", CMD_SHARDS, "%s is not a shard (no \"shard\" member: run with --shard I/N)",
			                f[i].path);
		if (i && f[i].shard_count != count)
			return cmd_fail("merge", CMD_MIXED, "%s is a shard of %u, %s of %u", f[i].path, f[i].shard_count,
			                f[0].path, count);
		count = f[i].shard_count;
		for (int k = 0; k < i; k++)
			if (f[k].shard_index == f[i].shard_index)
				return cmd_fail("merge", CMD_SHARDS, "shard %u/%u given twice: %s and %s", f[i].shard_index,
				                count, f[k].path, f[i].path);
	}
	if ((unsigned)n < count) {
		char missing[256] = "";
		for (unsigned s = 0; s < count; s++) {
			int have = 0;
			for (int i = 0; i < n; i++)
				have |= f[i].shard_index == s;
			size_t l = strlen(missing);
			if (!have && l < sizeof(missing) - 16)
				snprintf(missing + l, sizeof(missing) - l, "%s%u", l ? ", " : "", s);
		}
		if (!allow_partial)
			return cmd_fail("merge", CMD_SHARDS, "shard%s %s of %u missing (--allow-partial merges what is there)",
			                strchr(missing, ',') ? "s" : "", missing, count);
		*partial = 1;
	}
	return CMD_OK;
}

/* The gauges of |last| standing for a shard that already ended. */
static int final_state(struct series_iv *out, const struct series_iv *last, double t0, double t1)
{
	memset(out, 0, sizeof(*out));
	out->t0 = t0;
	out->t1 = t1;
	memcpy(out->hosts, last->hosts, sizeof(out->hosts));
	out->clusters_total = last->clusters_total;
	out->started = last->started;
	out->ready = last->ready;
	out->installed = last->installed;
	out->failed = last->failed;
	return 0;
}

static struct series *merge_series(struct results_file *f, int n)
{
	struct series *out = series_new(f[0].series->interval_ns);
	size_t kmax = 0;
	if (!out)
		return NULL;
	for (int i = 0; i < n; i++)
		if (f[i].series->n > kmax)
			kmax = f[i].series->n;
	double iv = (double)f[0].series->interval_ns / 1e9;
	for (size_t k = 0; k < kmax; k++) {
		struct series_iv acc, tmp, next;
		int have = 0;
		memset(&acc, 0, sizeof(acc));
		for (int i = 0; i < n; i++) {
			const struct series *s = f[i].series;
			if (!s->n)
				continue;
			if (k < s->n) {
				if (series_iv_copy(&tmp, &s->iv[k]) < 0)
					goto fail;
			} else {
				final_state(&tmp, &s->iv[s->n - 1], (double)k * iv, (double)(k + 1) * iv);
			}
			if (!have) {
				acc = tmp;
				have = 1;
				continue;
			}
			int rv = series_iv_combine(&next, &acc, &tmp, SERIES_PARALLEL);
			series_iv_free(&acc);
			series_iv_free(&tmp);
			if (rv < 0)
				goto fail;
			acc = next;
		}
		if (have && series_append(out, &acc) < 0) {
			series_iv_free(&acc);
			goto fail;
		}
	}
	return out;
fail:
	series_free(&out);
	return NULL;
}

/* The plan's thresholds again, from the names and expressions the file
 * carries (abortOnFail is history by now). */
static struct thr_set *thresholds_of(const json_t *doc, char *err, size_t errlen)
{
	const json_t *th = json_object_get(doc, "thresholds");
	struct thr_set *set = calloc(1, sizeof(*set));
	size_t i;
	const json_t *t;
	if (!set)
		return NULL;
	set->v = calloc(json_array_size(th) + 1, sizeof(*set->v));
	if (!set->v) {
		free(set);
		return NULL;
	}
	json_array_foreach(th, i, t) {
		struct thr_item *it = &set->v[set->n];
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *expr = json_string_value(json_object_get(t, "expression"));
		if (!name || !expr || thr_parse_name(name, it, err, errlen) < 0 ||
		    thr_parse_expr(it->metric, expr, it, err, errlen) < 0) {
			if (!name || !expr)
				snprintf(err, errlen, "thresholds[%zu]: needs name and expression", i);
			free(it->shape);
			thr_set_free(&set);
			return NULL;
		}
		it->name = strdup(name);
		it->expr = strdup(expr);
		set->n++;
	}
	return set;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option lo[] = {
		{"output", required_argument, NULL, 'o'}, {"allow-partial", no_argument, NULL, 'P'},
		{"verdict", no_argument, NULL, 'V'}, {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out_path = "swarm-results-merged.json";
	int allow_partial = 0, verdict = 0, quiet = 0, partial = 0;
	char err[1024];
	optind = 1;
	opterr = 0;
	for (int ch; (ch = getopt_long(argc, argv, "+o:qh", lo, NULL)) != -1;) {
		switch (ch) {
		case 'o': out_path = optarg; break;
		case 'P': allow_partial = 1; break;
		case 'V': verdict = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return CMD_OK;
		default:
			usage(stderr);
			return cmd_fail("merge", CMD_USAGE, "unknown option or missing argument: %s", argv[optind - 1]);
		}
	}
	int n = argc - optind;
	if (n < 1) {
		usage(stderr);
		return cmd_fail("merge", CMD_USAGE, "expected at least one results file");
	}
	struct results_file *f = calloc((size_t)n, sizeof(*f));
	struct swarm_stats *st = malloc(sizeof(*st));
	struct series *ser = NULL;
	struct thr_set *thr = NULL;
	json_t *doc = NULL, *members = NULL;
	char **labels = NULL;
	size_t nlabels = 0;
	int code = CMD_OK;
	if (!f || !st) {
		free(f);
		free(st);
		return cmd_fail("merge", CMD_USAGE, "out of memory");
	}
	stats_init(st);
	for (int i = 0; i < n && code == CMD_OK; i++) {
		int rv = results_load(argv[optind + i], &f[i], 1, err, sizeof(err));
		if (rv != RL_OK)
			code = cmd_fail("merge", rv, "%s", err);
	}
	if (code == CMD_OK)
		code = check_inputs(f, n, allow_partial, &partial);
	if (code != CMD_OK)
		goto out;
	double dur = 0;
	int rank = 0, run_code = SWARM_EXIT_OK, thr_aborted = 0, any_push = 0;
	const char *t0 = NULL, *t1 = NULL;
	json_t *inputs = json_array();
	for (int i = 0; i < n; i++) {
		if (stats_merge(st, &f[i].st) < 0) {
			code = cmd_fail("merge", CMD_USAGE, "out of memory");
			json_decref(inputs);
			goto out;
		}
		if (f[i].duration_s > dur)
			dur = f[i].duration_s;
		if (code_rank(f[i].exit_code) > rank) {
			rank = code_rank(f[i].exit_code);
			run_code = f[i].exit_code;
		}
		const char *reason = json_string_value(json_object_get(f[i].doc, "exit_reason"));
		thr_aborted |= reason && !strcmp(reason, "thresholds");
		any_push |= f[i].exit_code == SWARM_EXIT_PUSH;
		const char *a = json_string_value(json_object_get(f[i].doc, "start_time"));
		const char *b = json_string_value(json_object_get(f[i].doc, "end_time"));
		if (a && (!t0 || strcmp(a, t0) < 0))
			t0 = a;
		if (b && (!t1 || strcmp(b, t1) > 0))
			t1 = b;
		json_array_append_new(inputs, json_string(f[i].path));
	}
	if (f[0].series && !(ser = merge_series(f, n))) {
		code = cmd_fail("merge", CMD_USAGE, "out of memory merging the time series");
		json_decref(inputs);
		goto out;
	}
	/* The verdict again, from the merged figures (4 > 3 > 99 > 1 > 5 > 0). */
	thr = thresholds_of(f[0].doc, err, sizeof(err));
	if (!thr) {
		code = cmd_fail("merge", CMD_MALFORMED, "%s: member 'thresholds': %s", f[0].path, err);
		json_decref(inputs);
		goto out;
	}
	const json_t *shapes = json_object_get(f[0].doc, "shapes");
	nlabels = json_array_size(shapes);
	labels = calloc(nlabels + 1, sizeof(*labels));
	for (size_t s = 0; labels && s < nlabels; s++)
		labels[s] = (char *)json_string_value(json_object_get(json_array_get(shapes, s), "label"));
	struct thr_view v = {.st = st, .duration_s = dur, .shape_labels = (const char *const *)labels,
	                     .nshape_labels = labels ? nlabels : 0};
	size_t failed = 0;
	json_t *th = thr_eval_json(thr, &v, -1, &failed);
	const char *reason;
	if (run_code == SWARM_EXIT_UNREACHABLE || run_code == SWARM_EXIT_ABORTED) {
		reason = json_string_value(json_object_get(f[0].doc, "exit_reason"));
		for (int i = 0; i < n; i++)
			if (f[i].exit_code == run_code)
				reason = json_string_value(json_object_get(f[i].doc, "exit_reason"));
	} else if (thr_aborted) {
		run_code = SWARM_EXIT_THRESHOLDS;
		reason = "thresholds";
	} else {
		run_code = failed ? SWARM_EXIT_THRESHOLDS : st->clusters_failed ? SWARM_EXIT_FAILED
		         : any_push ? SWARM_EXIT_PUSH : SWARM_EXIT_OK;
		reason = st->clusters_failed ? "failed" : "installed";
	}
	struct report_run run = {.run_id = f[0].run_id, .version = SWARM_VERSION, .duration_s = dur,
	                         .exit_code = run_code, .exit_reason = reason};
	doc = report_json(st, &run);
	members = json_object();
	if (!doc || !members || !th || results_add_histograms(doc, st) < 0) {
		json_decref(th);
		json_decref(inputs);
		code = cmd_fail("merge", CMD_USAGE, "out of memory building the merged results");
		goto out;
	}
	/* What report_json() cannot know from stats alone comes from the shards. */
	json_object_set(doc, "plan", json_object_get(f[0].doc, "plan"));
	json_object_set(doc, "service", json_object_get(f[0].doc, "service"));
	json_object_set(doc, "tool", json_object_get(f[0].doc, "tool"));
	if (t0)
		json_object_set_new(doc, "start_time", json_string(t0));
	if (t1)
		json_object_set_new(doc, "end_time", json_string(t1));
	json_int_t mc = 0, threads = 0;
	for (int i = 0; i < n; i++) {
		const json_t *o = json_object_get(f[i].doc, "options");
		mc += json_integer_value(json_object_get(o, "max_concurrent"));
		threads += json_integer_value(json_object_get(o, "threads"));
	}
	json_object_set_new(doc, "options", json_pack("{s:I, s:I}", "max_concurrent", mc, "threads", threads));
	json_t *dshapes = json_object_get(doc, "shapes");
	for (size_t s = 0; s < json_array_size(dshapes) && s < nlabels; s++) {
		json_t *d = json_array_get(dshapes, s), *o = json_array_get(shapes, s);
		json_object_set(d, "label", json_object_get(o, "label"));
		json_object_set(d, "hosts", json_object_get(o, "hosts"));
	}
	json_object_set_new(members, "thresholds", th);
	json_object_set_new(members, "merge", json_pack("{s:i, s:I, s:b, s:s, s:o, s:o}", "files", n, "shards",
	                                                (json_int_t)(f[0].has_shard ? f[0].shard_count : 1),
	                                                "partial", partial, "alignment",
	                                                f[0].start_at > 0 ? "start_at" : "interval_index",
	                                                "start_at", f[0].start_at > 0 ? json_real(f[0].start_at)
	                                                                              : json_null(),
	                                                "inputs", inputs));
	if (json_object_update(doc, members) < 0) {
		code = cmd_fail("merge", CMD_USAGE, "out of memory building the merged results");
		goto out;
	}
	if (results_write(out_path, doc, ser, err, sizeof(err)) < 0) {
		code = cmd_fail("merge", CMD_WRITE, "%s", err);
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "swarm merge: %d file%s of run %s -> %s: %llu clusters installed, %llu failed, %llu "
		        "requests; thresholds %zu/%zu passed; the merged run's exit code is %d%s\n", n, n == 1 ? "" : "s",
		        f[0].run_id, out_path, (unsigned long long)st->clusters_installed,
		        (unsigned long long)st->clusters_failed, (unsigned long long)st->requests, thr->n - failed, thr->n,
		        run_code, partial ? " (partial: shards missing)" : "");
	if (verdict)
		code = run_code == SWARM_EXIT_OK || run_code == SWARM_EXIT_PUSH ? CMD_OK
		     : run_code == SWARM_EXIT_THRESHOLDS ? SWARM_EXIT_THRESHOLDS : CMD_PARTIAL;
out:
	free(labels);
	thr_set_free(&thr);
	json_decref(doc);
	json_decref(members);
	series_free(&ser);
	stats_free(st);
	free(st);
	for (int i = 0; i < n; i++)
		results_file_free(&f[i]);
	free(f);
	return code;
}
