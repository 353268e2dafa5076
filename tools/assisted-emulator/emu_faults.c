#include "emu_faults.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_routes.h"
#include "emu_util.h"
#include "sw_duration.h"
#include "sw_err.h"
#include "sw_xalloc.h"

enum dist { DIST_FIXED, DIST_UNIFORM, DIST_LOGNORMAL };

struct rule {
	int set;
	int level;       /* 0 = "*", 1 = one operation */
	double rate;     /* error, reset */
	int status;      /* error */
	enum dist dist;  /* latency */
	double a, b;     /* ns (fixed, uniform min/max, lognormal median) / sigma */
};

/* A rule on kube API requests: "kube:VERB:RESOURCE" ('*' for any part). */
#define KUBE_RULES_MAX 64
struct kube_rule {
	char verb[24];               /* "" = any */
	char resource[64];           /* "" = any */
	struct rule r;
};

struct emu_faults {
	uint64_t s[4];               /* xoshiro256** state */
	struct kube_rule kube[EMU_FAULT_KIND_COUNT][KUBE_RULES_MAX];
	size_t nkube[EMU_FAULT_KIND_COUNT];
	size_t nslots;               /* operations + 1 for "no operation" */
	struct rule *error, *latency, *reset;
	int any;
};

const char *emu_fault_kind_name(enum emu_fault_kind k)
{
	switch (k) {
	case EMU_FAULT_ERROR: return "error";
	case EMU_FAULT_LATENCY: return "latency";
	case EMU_FAULT_RESET: return "reset";
	case EMU_FAULT_GOAWAY: return "goaway";
	case EMU_FAULT_RESTART: return "restart";
	case EMU_FAULT_KIND_COUNT: break;
	}
	return "unknown";
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct emu_faults *f)
{
	uint64_t *s = f->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double emu_faults_uniform(struct emu_faults *f)
{
	return (double)(next_u64(f) >> 11) * 0x1.0p-53;
}

struct emu_faults *emu_faults_new(uint64_t seed)
{
	struct emu_faults *f = xcalloc(1, sizeof(*f));
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		f->s[i] = splitmix64(&x);
	const struct emu_route *routes;
	f->nslots = emu_routes_table(&routes) + 1;
	f->error = xcalloc(f->nslots, sizeof(struct rule));
	f->latency = xcalloc(f->nslots, sizeof(struct rule));
	f->reset = xcalloc(f->nslots, sizeof(struct rule));
	return f;
}

void emu_faults_free(struct emu_faults **fp)
{
	if (!fp || !*fp)
		return;
	free((*fp)->error);
	free((*fp)->latency);
	free((*fp)->reset);
	free(*fp);
	*fp = NULL;
}

int emu_faults_any(const struct emu_faults *f)
{
	return f && f->any;
}

/* Splits |spec| on ':' into at most |max| fields (in |buf|). Returns the count. */
static int split(const char *spec, char *buf, size_t buflen, char **fields, int max)
{
	if (!spec || strlen(spec) >= buflen)
		return -1;
	strcpy(buf, spec);
	int n = 0;
	char *p = buf;
	/* "kube:VERB/RESOURCE" is one field: its first colon does not split */
	char *from = strncmp(buf, "kube:", 5) == 0 ? buf + 5 : buf;
	for (;;) {
		if (n == max)
			return -1;
		fields[n++] = p;
		char *c = strchr(from > p ? from : p, ':');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

/* Stores a "kube:VERB[:RESOURCE]" rule of |kind|. */
static int install_kube(struct emu_faults *f, enum emu_fault_kind kind, const char *op, struct rule r,
                        const char *what, char *err, size_t errlen)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", op + 5);
	char *res = strchr(buf, '/');
	if (res)
		*res++ = '\0';
	struct kube_rule kr = {.r = r};
	kr.r.set = 1;
	static const char *const verbs[] = {"*", "get", "list", "watch", "create", "update", "patch",
	                                    "delete", "deletecollection", NULL};
	int ok = 0;
	for (size_t i = 0; verbs[i]; i++)
		if (strcmp(buf, verbs[i]) == 0)
			ok = 1;
	if (!ok || strlen(buf) >= sizeof(kr.verb) || (res && (!*res || strlen(res) >= sizeof(kr.resource)))) {
		snprintf(err, errlen, "%s: bad kube operation '%s' (use kube:VERB or kube:VERB/RESOURCE, VERB "
		         "one of get list watch create update patch delete deletecollection or '*', e.g. "
		         "kube:create/baremetalhosts)", what, op);
		return SW_ERR_INVALID;
	}
	if (strcmp(buf, "*") != 0)
		snprintf(kr.verb, sizeof(kr.verb), "%s", buf);
	if (res && strcmp(res, "*") != 0)
		snprintf(kr.resource, sizeof(kr.resource), "%s", res);
	if (f->nkube[kind] == KUBE_RULES_MAX) {
		snprintf(err, errlen, "%s: too many kube rules (at most %d)", what, KUBE_RULES_MAX);
		return SW_ERR_INVALID;
	}
	f->kube[kind][f->nkube[kind]++] = kr;
	f->any = 1;
	return 0;
}

/* Stores |r| for operation field |op| (name or "*") into |table|. */
static int install(struct emu_faults *f, struct rule *table, const char *op, struct rule r,
                   const char *what, char *err, size_t errlen)
{
	if (strncmp(op, "kube:", 5) == 0) {
		enum emu_fault_kind kind = table == f->error ? EMU_FAULT_ERROR
		                         : table == f->latency ? EMU_FAULT_LATENCY : EMU_FAULT_RESET;
		return install_kube(f, kind, op, r, what, err, errlen);
	}
	if (strcmp(op, "*") == 0) {
		r.level = 0;
		r.set = 1;
		for (size_t i = 0; i < f->nslots; i++)
			if (!table[i].set || table[i].level == 0)
				table[i] = r;
	} else {
		int idx = emu_routes_find(op);
		if (idx < 0) {
			snprintf(err, errlen, "%s: unknown operation '%s' (use a swagger operationId such as "
			         "v2GetNextSteps, or '*')", what, op);
			return SW_ERR_INVALID;
		}
		r.level = 1;
		r.set = 1;
		table[idx] = r;
	}
	f->any = 1;
	return 0;
}

int emu_faults_add_error(struct emu_faults *f, const char *spec, char *err, size_t errlen)
{
	char buf[256], *fl[4];
	int n = split(spec, buf, sizeof(buf), fl, 4);
	struct rule r = {0};
	if (n != 3) {
		snprintf(err, errlen, "--fault-error '%s': expected OP:RATE:STATUS", spec ? spec : "");
		return SW_ERR_INVALID;
	}
	char *end = NULL;
	long st = strtol(fl[2], &end, 10);
	if (emu_util_parse_rate(fl[1], &r.rate) != 0 || !*fl[2] || *end || st < 400 || st > 599) {
		snprintf(err, errlen, "--fault-error '%s': RATE must be 0..1 and STATUS 400..599", spec);
		return SW_ERR_INVALID;
	}
	r.status = (int)st;
	return install(f, f->error, fl[0], r, "--fault-error", err, errlen);
}

int emu_faults_add_reset(struct emu_faults *f, const char *spec, char *err, size_t errlen)
{
	char buf[256], *fl[3];
	int n = split(spec, buf, sizeof(buf), fl, 3);
	struct rule r = {0};
	if (n != 2 || emu_util_parse_rate(fl[1], &r.rate) != 0) {
		snprintf(err, errlen, "--fault-reset '%s': expected OP:RATE with RATE 0..1", spec ? spec : "");
		return SW_ERR_INVALID;
	}
	return install(f, f->reset, fl[0], r, "--fault-reset", err, errlen);
}

int emu_faults_add_latency(struct emu_faults *f, const char *spec, char *err, size_t errlen)
{
	char buf[256], *fl[5];
	int n = split(spec, buf, sizeof(buf), fl, 5);
	struct rule r = {0};
	uint64_t a = 0, b = 0;
	if (n == 3 && strcmp(fl[1], "fixed") == 0 && sw_duration_parse(fl[2], &a) == 0 &&
	    a <= EMU_FAULT_MAX_DELAY_NS) {
		r.dist = DIST_FIXED;
		r.a = (double)a;
	} else if (n == 4 && strcmp(fl[1], "uniform") == 0 && sw_duration_parse(fl[2], &a) == 0 &&
	           sw_duration_parse(fl[3], &b) == 0 && a <= b && b <= EMU_FAULT_MAX_DELAY_NS) {
		r.dist = DIST_UNIFORM;
		r.a = (double)a;
		r.b = (double)b;
	} else if (n == 4 && strcmp(fl[1], "lognormal") == 0 && sw_duration_parse(fl[2], &a) == 0 &&
	           a > 0 && a <= EMU_FAULT_MAX_DELAY_NS) {
		char *end = NULL;
		double sigma = strtod(fl[3], &end);
		if (!*fl[3] || *end || !isfinite(sigma) || sigma < 0 || sigma > 10)
			goto bad;
		r.dist = DIST_LOGNORMAL;
		r.a = (double)a;
		r.b = sigma;
	} else {
		goto bad;
	}
	return install(f, f->latency, fl[0], r, "--fault-latency", err, errlen);
bad:
	snprintf(err, errlen, "--fault-latency '%s': expected OP:fixed:D, OP:uniform:DMIN:DMAX or "
	         "OP:lognormal:MEDIAN:SIGMA (durations like 50ms, at most 600s; 0 <= SIGMA <= 10)",
	         spec ? spec : "");
	return SW_ERR_INVALID;
}

uint64_t emu_faults_draw_delay(struct emu_faults *f, int dist, double a, double b)
{
	double v;
	switch (dist) {
	case DIST_UNIFORM:
		v = a + (b - a) * emu_faults_uniform(f);
		break;
	case DIST_LOGNORMAL: {
		/* Box-Muller; 1 - u keeps the log argument in (0, 1]. */
		double u1 = 1.0 - emu_faults_uniform(f);
		double u2 = emu_faults_uniform(f);
		double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		v = a * exp(b * z);
		break;
	}
	default:
		v = a;
		break;
	}
	if (!(v > 0))
		return 0;
	if (v > (double)EMU_FAULT_MAX_DELAY_NS)
		return EMU_FAULT_MAX_DELAY_NS;
	return (uint64_t)v;
}

void emu_faults_decide(struct emu_faults *f, int op_index, struct emu_fault_decision *d)
{
	d->reset = 0;
	d->error_status = 0;
	d->delay_ns = 0;
	if (!f || !f->any)
		return;
	size_t slot = (op_index >= 0 && (size_t)op_index < f->nslots - 1) ? (size_t)op_index
	                                                                    : f->nslots - 1;
	const struct rule *lat = &f->latency[slot];
	if (lat->set)
		d->delay_ns = emu_faults_draw_delay(f, (int)lat->dist, lat->a, lat->b);
	const struct rule *rs = &f->reset[slot];
	if (rs->set && rs->rate > 0 && emu_faults_uniform(f) < rs->rate) {
		d->reset = 1;
		return;
	}
	const struct rule *er = &f->error[slot];
	if (er->set && er->rate > 0 && emu_faults_uniform(f) < er->rate)
		d->error_status = er->status;
}

/* The most specific kube rule of |kind| for |verb| and |resource| (later wins a tie), or NULL. */
static const struct rule *kube_rule(const struct emu_faults *f, enum emu_fault_kind kind,
                                    const char *verb, const char *resource)
{
	const struct rule *best = NULL;
	int best_score = -1;
	for (size_t i = 0; i < f->nkube[kind]; i++) {
		const struct kube_rule *k = &f->kube[kind][i];
		if ((k->verb[0] && strcmp(k->verb, verb) != 0) ||
		    (k->resource[0] && strcmp(k->resource, resource) != 0))
			continue;
		int score = (k->verb[0] ? 1 : 0) + (k->resource[0] ? 2 : 0);
		if (score >= best_score) {
			best_score = score;
			best = &k->r;
		}
	}
	return best;
}

void emu_faults_decide_kube(struct emu_faults *f, const char *verb, const char *resource,
                            struct emu_fault_decision *d)
{
	d->reset = 0;
	d->error_status = 0;
	d->delay_ns = 0;
	if (!f || !f->any)
		return;
	const struct rule *lat = kube_rule(f, EMU_FAULT_LATENCY, verb, resource);
	if (lat)
		d->delay_ns = emu_faults_draw_delay(f, (int)lat->dist, lat->a, lat->b);
	const struct rule *rs = kube_rule(f, EMU_FAULT_RESET, verb, resource);
	if (rs && rs->rate > 0 && emu_faults_uniform(f) < rs->rate) {
		d->reset = 1;
		return;
	}
	const struct rule *er = kube_rule(f, EMU_FAULT_ERROR, verb, resource);
	if (er && er->rate > 0 && emu_faults_uniform(f) < er->rate)
		d->error_status = er->status;
}
