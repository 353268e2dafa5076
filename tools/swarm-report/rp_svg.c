/*
 * rp_svg: one chart as inline SVG (see rp.h): lines, steps, stacked areas
 * or histogram bars, with "nice" axis ticks (1, 2, 5 x 10^k), linear or
 * log scales and a legend on the right. Pure output: no scripts, no
 * external fonts or images, so the page renders the same anywhere.
 */
#include "rp.h"

#include <math.h>
#include <string.h>

#define ML 64   /* left margin: y tick labels */
#define MR 190  /* right margin: legend */
#define MT 28   /* top: title */
#define MB 34   /* bottom: x tick labels */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
	"#e377c2", "#17becf", "#bcbd22", "#7f7fff", "#ff4f9a", "#2f9f8f",
};

const char *rp_color(int i)
{
	return palette[(unsigned)i % (sizeof(palette) / sizeof(palette[0]))];
}

void rp_marker_rgb(int id, int *r, int *g, int *b)
{
	id &= 0xff;
	*r = 250;
	*g = 240 + (id >> 4);
	*b = 224 + (id & 15);
}

void rp_lines_range(const struct rp_line *lines, size_t n, int stacked, double *xmin, double *xmax,
                    double *ymin, double *ymax)
{
	*xmin = INFINITY;
	*xmax = -INFINITY;
	*ymin = INFINITY;
	*ymax = -INFINITY;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < lines[i].n; k++) {
			if (!isfinite(lines[i].x[k]) || !isfinite(lines[i].y[k]))
				continue;
			*xmin = fmin(*xmin, lines[i].x[k]);
			*xmax = fmax(*xmax, lines[i].x[k]);
			if (!stacked) {
				*ymin = fmin(*ymin, lines[i].y[k]);
				*ymax = fmax(*ymax, lines[i].y[k]);
			}
		}
		if (lines[i].n > len)
			len = lines[i].n;
	}
	if (stacked) {
		*ymin = 0;
		for (size_t k = 0; k < len; k++) {
			double s = 0;
			for (size_t i = 0; i < n; i++)
				if (k < lines[i].n && isfinite(lines[i].y[k]))
					s += lines[i].y[k];
			*ymax = fmax(*ymax, s);
		}
	}
}

/* Tick step of about |want| ticks over |span|: 1, 2 or 5 x 10^k. */
static double nice_step(double span, int want)
{
	double raw = span / want;
	double p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void fmt_num(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (a >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.4g", v);
}

static void fmt_tick(double v, int seconds, int time, char *buf, size_t len)
{
	if (time && fabs(v - round(v)) > 1e-6) {
		snprintf(buf, len, "%.3gs", v);
	} else if (time) {
		long s = lround(v);
		if (s >= 3600)
			snprintf(buf, len, "%ldh%02ld", s / 3600, (s % 3600) / 60);
		else if (s >= 60)
			snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
		else
			snprintf(buf, len, "%lds", s);
	} else if (seconds) {
		rp_fmt_s(v, buf, len);
	} else {
		fmt_num(v, buf, len);
	}
}

struct scale {
	double lo, hi;     /* data range (log10 when log) */
	int log;
	double px0, px1;   /* pixel range */
};

static double map(const struct scale *s, double v)
{
	if (s->log)
		v = log10(v > 0 ? v : pow(10, s->lo));
	double f = s->hi > s->lo ? (v - s->lo) / (s->hi - s->lo) : 0.5;
	/* Nothing is drawn outside the plot area: its marker frame stays visible. */
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return s->px0 + f * (s->px1 - s->px0);
}

static void set_scale(struct scale *s, double lo, double hi, int log, double px0, double px1)
{
	s->log = log;
	s->px0 = px0;
	s->px1 = px1;
	if (log) {
		lo = lo > 0 ? lo : 1e-6;
		hi = hi > lo ? hi : lo * 10;
		s->lo = floor(log10(lo));
		s->hi = ceil(log10(hi));
		if (s->hi <= s->lo)
			s->hi = s->lo + 1;
	} else {
		if (!(hi > lo)) {
			hi = lo + (lo != 0 ? fabs(lo) : 1);
		}
		s->lo = lo;
		s->hi = hi;
	}
}

/* One grid line and its label at pixel |p| across [other0, other1]. */
static void tick(FILE *f, int is_x, double p, double other0, double other1, const char *label)
{
	if (is_x)
		fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='g'/>"
		        "<text x='%.1f' y='%.1f' class='tx'>%s</text>\n", p, other0, p, other1, p, other1 + 14, label);
	else
		fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='g'/>"
		        "<text x='%.1f' y='%.1f' class='ty'>%s</text>\n", other0, p, other1, p, other0 - 5, p + 4, label);
}

/* Ticks and grid of one axis (vertical grid for x, horizontal for y). */
static void axis(FILE *f, const struct scale *s, int is_x, int seconds, int time, double other0,
                 double other1)
{
	char buf[32];
	if (s->log) {
		for (double e = s->lo; e <= s->hi + 1e-9; e += 1) {
			double v = pow(10, e);
			fmt_tick(v, seconds, 0, buf, sizeof(buf));
			tick(f, is_x, map(s, v), other0, other1, buf);
		}
		return;
	}
	double step = nice_step(s->hi - s->lo, is_x ? 8 : 5);
	if (time && step > 1) { /* time steps of 1/2/5/10/15/30 s or minutes */
		static const double ts[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200};
		for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
			if (ts[i] >= step * 0.8) {
				step = ts[i];
				break;
			}
	}
	for (double v = ceil(s->lo / step) * step; v <= s->hi + step * 1e-6; v += step) {
		fmt_tick(fabs(v) < step * 1e-9 ? 0 : v, seconds, time, buf, sizeof(buf));
		tick(f, is_x, map(s, v), other0, other1, buf);
	}
}

static void polyline(FILE *f, const struct scale *sx, const struct scale *sy, const struct rp_line *l,
                     int step)
{
	fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2'%s points='", rp_color(l->color),
	        l->dashed ? " stroke-dasharray='6 3'" : "");
	double prev_y = NAN;
	for (size_t k = 0; k < l->n; k++) {
		if (!isfinite(l->x[k]) || !isfinite(l->y[k]))
			continue;
		double px = map(sx, l->x[k]), py = map(sy, l->y[k]);
		if (step && isfinite(prev_y))
			fprintf(f, "%.1f,%.1f ", px, prev_y);
		fprintf(f, "%.1f,%.1f ", px, py);
		prev_y = py;
	}
	fputs("'/>\n", f);
}

static void stacked(FILE *f, const struct scale *sx, const struct scale *sy, const struct rp_line *lines,
                    size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		if (lines[i].n > len)
			len = lines[i].n;
	double base[4096];
	if (len > sizeof(base) / sizeof(base[0]))
		len = sizeof(base) / sizeof(base[0]);
	for (size_t k = 0; k < len; k++)
		base[k] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rp_line *l = &lines[i];
		fprintf(f, "<polygon fill='%s' fill-opacity='0.85' stroke='none' points='", rp_color(l->color));
		for (size_t k = 0; k < len && k < l->n; k++)
			fprintf(f, "%.1f,%.1f ", map(sx, l->x[k]), map(sy, base[k] + l->y[k]));
		for (size_t k = (len < l->n ? len : l->n); k-- > 0;)
			fprintf(f, "%.1f,%.1f ", map(sx, l->x[k]), map(sy, base[k]));
		fputs("'/>\n", f);
		for (size_t k = 0; k < len && k < l->n; k++)
			base[k] += isfinite(l->y[k]) ? l->y[k] : 0;
	}
}

static void bars(FILE *f, const struct scale *sx, const struct scale *sy, const struct rp_line *l)
{
	/* x holds n+1 edges, y n counts */
	for (size_t k = 0; k + 1 < l->n + 1 && k < l->n; k++) {
		if (!(l->y[k] > 0))
			continue;
		double x0 = map(sx, l->x[k]), x1 = map(sx, l->x[k + 1]);
		double y0 = map(sy, sy->log ? pow(10, sy->lo) : sy->lo), y1 = map(sy, l->y[k]);
		fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>\n", x0, y1,
		        fmax(x1 - x0 - 1, 1), fmax(y0 - y1, 1), rp_color(l->color));
	}
}

void rp_svg_chart(FILE *f, const struct rp_chart *c, const struct rp_line *lines, size_t n)
{
	double xmin, xmax, ymin, ymax;
	int r, g, b;
	rp_lines_range(lines, n, c->stacked, &xmin, &xmax, &ymin, &ymax);
	if (c->bars && n) { /* edges: one more x than y */
		xmin = lines[0].x[0];
		xmax = lines[0].x[lines[0].n];
	}
	if (c->xmax > c->xmin) {
		xmin = c->xmin;
		xmax = c->xmax;
	}
	if (c->x_from_zero && xmin > 0)
		xmin = 0;
	if (c->ymax > c->ymin) {
		ymin = c->ymin;
		ymax = c->ymax;
	} else if (!c->log_y && isfinite(ymin) && ymin > 0) {
		ymin = 0; /* counts and rates read best from zero */
	}
	int have = isfinite(xmin) && isfinite(ymax);
	double x0 = ML, x1 = c->width - MR, y0 = c->height - MB, y1 = MT;
	rp_marker_rgb(c->id, &r, &g, &b);
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' "
	        "role='img' class='chart' data-chart='%d'>\n", c->width, c->height, c->width, c->height, c->id);
	fputs("<title>", f);
	rp_esc(f, c->title);
	fputs("</title>\n<text x='4' y='17' class='tt'>", f);
	rp_esc(f, c->title);
	fputs("</text>\n", f);
	/* The plot area and a 3-pixel frame around it in the chart's marker
	 * colour: the frame is never drawn over, so a screenshot shows where
	 * each chart is even when its data covers the whole area. */
	fprintf(f, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='rgb(%d,%d,%d)' "
	        "shape-rendering='crispEdges'/>\n", x0 - 3, y1 - 3, x1 - x0 + 6, y0 - y1 + 6, r, g, b);
	fprintf(f, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='none' stroke='#888' "
	        "shape-rendering='crispEdges'/>\n", x0, y1, x1 - x0, y0 - y1);
	if (!have) {
		fprintf(f, "<text x='%.1f' y='%.1f' class='nd'>no data</text>\n</svg>\n", (x0 + x1) / 2,
		        (y0 + y1) / 2);
		return;
	}
	struct scale sx, sy;
	set_scale(&sx, xmin, xmax, c->xfmt == RP_X_SECONDS_LOG, x0, x1);
	set_scale(&sy, ymin, ymax, c->log_y, y0, y1);
	axis(f, &sx, 1, c->xfmt == RP_X_SECONDS_LOG, c->xfmt == RP_X_TIME, y1, y0);
	axis(f, &sy, 0, c->yfmt == RP_Y_SECONDS, 0, x0, x1);
	if (c->y_label) {
		fprintf(f, "<text x='12' y='%.1f' class='yl' transform='rotate(-90 12 %.1f)'>", (y0 + y1) / 2,
		        (y0 + y1) / 2);
		rp_esc(f, c->y_label);
		fputs("</text>\n", f);
	}
	if (c->bars && n)
		bars(f, &sx, &sy, &lines[0]);
	else if (c->stacked)
		stacked(f, &sx, &sy, lines, n);
	else
		for (size_t i = 0; i < n; i++)
			polyline(f, &sx, &sy, &lines[i], c->step);
	for (size_t i = 0; i < n && i < RP_MAX_LINES; i++) {
		double ly = MT + 8 + 17.0 * (double)i;
		fprintf(f, "<rect x='%.1f' y='%.1f' width='14' height='%s' fill='%s'/>"
		        "<text x='%.1f' y='%.1f' class='lg'>", x1 + 10, ly - 5, lines[i].dashed ? "3" : "6",
		        rp_color(lines[i].color), x1 + 29, ly + 1);
		rp_esc(f, lines[i].name);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}
