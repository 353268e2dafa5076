/*
 * swarm-report: turns swarm results files (schema_version 2,
 * scenarios/RESULTS.md) into a self-contained HTML page of inline SVG
 * charts, a Markdown summary or a JUnit XML file. One file is one run; two
 * or more are compared side by side (A, B, ...), with exactly merged
 * histograms for the "all files" figures.
 *
 * Modules: rp_load (reading and checking the files), rp_svg (chart
 * drawing), rp_html (the page), rp_text (Markdown, JUnit). Everything
 * read from a file goes through the checked accessors below, so a
 * malformed file is an error naming it, never a crash.
 */
#ifndef RP_H
#define RP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "hist.h"

/* Exit codes (README "Report"). */
enum rp_exit {
	RP_EXIT_OK = 0,
	RP_EXIT_USAGE = 2,       /* bad option or argument */
	RP_EXIT_UNREADABLE = 3,  /* a file cannot be read or is not JSON (e.g. truncated) */
	RP_EXIT_VERSION = 4,     /* a results file of another schema_version */
	RP_EXIT_NOT_RESULTS = 5, /* JSON, but not a swarm results document (or a malformed member) */
	RP_EXIT_OUTPUT = 6,      /* the output cannot be written */
};

#define RP_SCHEMA_VERSION 2
#define RP_MAX_FILES 8
#define RP_MAX_OPS 32

/* One results file, checked. */
struct rp_run {
	const char *path;
	json_t *doc;                 /* owned */
	char label[128];             /* "A: swarm-17..." */
	char letter;                 /* 'A', 'B', ... */
	const json_t *intervals;     /* series.intervals, or NULL without a series */
	size_t niv;
	double interval_s;
	const char *ops[RP_MAX_OPS]; /* operations by descending total count */
	uint64_t op_count[RP_MAX_OPS];
	size_t nops;
};

/* Loads and checks |path| into |r| (label from |letter|). Returns RP_EXIT_OK
 * or an exit code with the message ("FILE: why") in |err|. */
int rp_load(struct rp_run *r, const char *path, char letter, char *err, size_t errlen);
void rp_run_free(struct rp_run *r);

/* Checked accessors: a missing member or one of another type gives |def|. */
double rp_num(const json_t *o, const char *key, double def);
const char *rp_str(const json_t *o, const char *key, const char *def);
/* Member by dotted path ("totals.requests"); NULL when absent. */
const json_t *rp_path(const json_t *o, const char *dotted);
double rp_num_at(const json_t *o, const char *dotted, double def);

/* Decodes the histogram at |j| into |h| (hist_init()ed first). Returns 0, or
 * -1 when |j| is absent or malformed. */
int rp_hist(struct hist *h, const json_t *j);

/* ------------------------------------------------------------------ SVG */

#define RP_MAX_LINES 12

struct rp_line {
	char name[96];
	const double *x, *y;
	size_t n;
	int color;                   /* palette index */
	int dashed;
};

enum rp_xfmt { RP_X_TIME, RP_X_SECONDS_LOG, RP_X_NUMBER };
enum rp_yfmt { RP_Y_NUMBER, RP_Y_SECONDS, RP_Y_FRACTION };

struct rp_chart {
	int id;                      /* chart index: its background marker colour */
	int width, height;
	const char *title;
	const char *y_label;
	enum rp_xfmt xfmt;
	enum rp_yfmt yfmt;
	int log_y;
	double xmin, xmax, ymin, ymax;  /* xmax <= xmin or ymax <= ymin: from the data */
	int stacked;                 /* lines are stacked areas (same x for all) */
	int step;                    /* draw as steps (CDF) */
	int bars;                    /* lines[0] are bars: x = bin edges (n+1), y = counts (n) */
	int x_from_zero;             /* the x axis starts at 0 */
};

/* The background colour of chart |id|: rgb(250, 240 + id/16, 224 + id%16),
 * unique per chart so tests find each chart's rectangle in a screenshot. */
void rp_marker_rgb(int id, int *r, int *g, int *b);
/* The line colour of palette index |i| ("#rrggbb"). */
const char *rp_color(int i);
/* Writes one chart as an inline <svg> element. */
void rp_svg_chart(FILE *f, const struct rp_chart *c, const struct rp_line *lines, size_t n);
/* Data range of |lines| (stacked: of the sums). */
void rp_lines_range(const struct rp_line *lines, size_t n, int stacked, double *xmin, double *xmax,
                    double *ymin, double *ymax);

/* Writes |s| HTML/XML-escaped. */
void rp_esc(FILE *f, const char *s);

/* --------------------------------------------------------------- outputs */

int rp_html(FILE *f, struct rp_run *runs, size_t n);
int rp_markdown(FILE *f, struct rp_run *runs, size_t n);
int rp_junit(FILE *f, struct rp_run *runs, size_t n);

/* Quantile |q| in seconds of the merged histograms of operation |op| over
 * every run (|which| "service_histogram" or "intended_histogram"); -1
 * when none has it. */
double rp_merged_quantile(struct rp_run *runs, size_t n, const char *op, const char *which, double q);
/* Human duration ("850us", "12.3ms", "1.25s"). */
const char *rp_fmt_s(double s, char *buf, size_t len);

#endif
