/*
 * rp_text: Markdown (CI job summaries) and JUnit XML (CI test reports) of
 * one or more runs (see rp.h). JUnit: one <testsuite> per file; test
 * cases "run passed", one per cluster shape ("all clusters installed") and
 * one per threshold when the file has thresholds.
 */
#include "rp.h"

#include <math.h>
#include <string.h>

static void md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

int rp_markdown(FILE *f, struct rp_run *runs, size_t n)
{
	static const struct {
		const char *label, *path;
	} rows[] = {
		{"duration (s)", "duration_seconds"},
		{"clusters installed", "totals.clusters_installed"},
		{"clusters failed", "totals.clusters_failed"},
		{"requests", "totals.requests"},
		{"errors", "totals.errors"},
		{"requests/s", "totals.requests_per_second"},
	};
	char b[4][32];
	fputs("## swarm load-test report\n\n| | ", f);
	for (size_t i = 0; i < n; i++) {
		md_cell(f, runs[i].label);
		fputs(" | ", f);
	}
	fputs("\n|---|", f);
	for (size_t i = 0; i < n; i++)
		fputs("---:|", f);
	fputs("\n| passed | ", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s | ", json_is_true(json_object_get(runs[i].doc, "passed")) ? "yes" : "**no**");
	fputc('\n', f);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		fprintf(f, "| %s | ", rows[r].label);
		for (size_t i = 0; i < n; i++) {
			double v = rp_num_at(runs[i].doc, rows[r].path, 0);
			fprintf(f, v == floor(v) ? "%.0f | " : "%.2f | ", v);
		}
		fputc('\n', f);
	}
	fputs("\n### Latency by operation (service time)\n\n| operation | ", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%c count | %c p50 | %c p99 | ", runs[i].letter, runs[i].letter, runs[i].letter);
	if (n > 1)
		fputs("p99 all files merged | ", f);
	fputs("\n|---|", f);
	for (size_t i = 0; i < 3 * n + (n > 1); i++)
		fputs("---:|", f);
	fputc('\n', f);
	for (size_t o = 0; o < runs[0].nops; o++) {
		fprintf(f, "| %s | ", runs[0].ops[o]);
		for (size_t i = 0; i < n; i++) {
			const json_t *e = json_object_get(json_object_get(runs[i].doc, "endpoints"), runs[0].ops[o]);
			fprintf(f, "%.0f | %s | %s | ", rp_num(e, "count", 0),
			        rp_fmt_s(e ? rp_num_at(e, "service_latency_seconds.p50", -1) : -1, b[0], 32),
			        rp_fmt_s(e ? rp_num_at(e, "service_latency_seconds.p99", -1) : -1, b[1], 32));
		}
		if (n > 1)
			fprintf(f, "%s | ", rp_fmt_s(rp_merged_quantile(runs, n, runs[0].ops[o], "service_histogram", 0.99),
			                             b[2], 32));
		fputc('\n', f);
	}
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *th = json_object_get(runs[i].doc, "thresholds");
		for (size_t k = 0; k < json_array_size(th); k++) {
			const json_t *t = json_array_get(th, k);
			if (!any)
				fputs("\n### Thresholds\n\n| run | threshold | expression | value | result |\n|---|---|---|---:|---|\n", f);
			any = 1;
			fprintf(f, "| %c | ", runs[i].letter);
			md_cell(f, rp_str(t, "name", ""));
			fputs(" | `", f);
			md_cell(f, rp_str(t, "expression", ""));
			fputs("` | ", f);
			if (json_is_number(json_object_get(t, "value")))
				fprintf(f, "%.6g", rp_num(t, "value", 0));
			fprintf(f, " | %s |\n", json_is_true(json_object_get(t, "passed")) ? "pass" : "**FAIL**");
		}
	}
	fprintf(f, "\n_Schedule lateness p99: ");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%c %s", i ? ", " : "", runs[i].letter,
		        rp_fmt_s(rp_num_at(runs[i].doc, "schedule.lateness_seconds.p99", -1), b[3], 32));
	fputs("._\n", f);
	return ferror(f) ? -1 : 0;
}

/* One <testcase>; |failure| NULL when it passed. */
static void junit_case(FILE *f, const char *cls, const char *name, double t, const char *failure)
{
	fputs("    <testcase classname=\"", f);
	rp_esc(f, cls);
	fputs("\" name=\"", f);
	rp_esc(f, name);
	fprintf(f, "\" time=\"%.3f\"", t);
	if (!failure) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      <failure message=\"", f);
	rp_esc(f, failure);
	fputs("\" type=\"swarm\">", f);
	rp_esc(f, failure);
	fputs("</failure>\n    </testcase>\n", f);
}

int rp_junit(FILE *f, struct rp_run *runs, size_t n)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"swarm\">\n", f);
	for (size_t i = 0; i < n; i++) {
		const json_t *d = runs[i].doc, *shapes = json_object_get(d, "shapes"), *th = json_object_get(d, "thresholds");
		const char *run = rp_str(d, "run_id", runs[i].path);
		size_t tests = 1 + json_array_size(shapes) + json_array_size(th), failures = 0;
		int passed = json_is_true(json_object_get(d, "passed"));
		failures += !passed;
		for (size_t s = 0; s < json_array_size(shapes); s++)
			failures += rp_num(json_array_get(shapes, s), "failed", 0) > 0;
		for (size_t k = 0; k < json_array_size(th); k++)
			failures += !json_is_true(json_object_get(json_array_get(th, k), "passed"));
		fputs("  <testsuite name=\"", f);
		rp_esc(f, run);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\" timestamp=\"", tests, failures,
		        rp_num(d, "duration_seconds", 0));
		/* JUnit timestamps have no zone suffix or fraction. */
		char ts[20] = "";
		snprintf(ts, sizeof(ts), "%.19s", rp_str(d, "start_time", "1970-01-01T00:00:00"));
		rp_esc(f, ts);
		fputs("\">\n", f);
		char msg[256], name[160];
		snprintf(msg, sizeof(msg), "exit %d (%s): %.0f of %.0f clusters installed, %.0f failed, %.0f errors",
		         (int)rp_num(d, "exit_code", -1), rp_str(d, "exit_reason", "?"),
		         rp_num_at(d, "totals.clusters_installed", 0), rp_num_at(d, "totals.clusters_total", 0),
		         rp_num_at(d, "totals.clusters_failed", 0), rp_num_at(d, "totals.errors", 0));
		junit_case(f, "swarm.run", "run passed", rp_num(d, "duration_seconds", 0), passed ? NULL : msg);
		for (size_t s = 0; s < json_array_size(shapes); s++) {
			const json_t *sh = json_array_get(shapes, s);
			snprintf(name, sizeof(name), "shape %zu (%s): all clusters installed", s, rp_str(sh, "label", "?"));
			snprintf(msg, sizeof(msg), "%.0f of %.0f clusters failed", rp_num(sh, "failed", 0),
			         rp_num(sh, "clusters", 0));
			junit_case(f, "swarm.shapes", name, rp_num_at(sh, "time_to_installed_seconds.max", 0),
			           rp_num(sh, "failed", 0) > 0 ? msg : NULL);
		}
		for (size_t k = 0; k < json_array_size(th); k++) {
			const json_t *t = json_array_get(th, k);
			snprintf(msg, sizeof(msg), "%s: value %.6g", rp_str(t, "expression", ""), rp_num(t, "value", NAN));
			junit_case(f, "swarm.thresholds", rp_str(t, "name", "threshold"), 0,
			           json_is_true(json_object_get(t, "passed")) ? NULL : msg);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	return ferror(f) ? -1 : 0;
}
