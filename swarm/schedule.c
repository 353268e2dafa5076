/*
 * schedule: plan -> jobs (see schedule.h).
 *
 * Every arrival kind is expressed as a cumulative arrival function N(t)
 * (expected clusters started by time t); job i starts at N^-1(x_i), where
 * x_i = i for fixed spacing, or a running sum of Exp(1) draws for Poisson.
 * That time change gives a correct non-homogeneous Poisson process for the
 * ramp without a thinning loop.
 */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

uint64_t schedule_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t schedule_job_seed(uint64_t plan_seed, unsigned index)
{
	uint64_t s = plan_seed ^ (UINT64_C(0xd1b54a32d192ed03) * ((uint64_t)index + 1));
	return schedule_rand(&s);
}

/* Uniform in (0, 1]. */
static double rand_unit(uint64_t *state)
{
	return ((double)(schedule_rand(state) >> 11) + 1.0) / 9007199254740992.0;
}

/* Seconds at which the ramp has produced |x| arrivals. */
static double ramp_inverse(const struct swarm_arrival *a, double x)
{
	double s0 = a->start_per_minute / 60.0, r1 = a->clusters_per_minute / 60.0;
	double T = a->ramp_seconds;
	double n_ramp = (s0 + r1) / 2.0 * T;
	if (x >= n_ramp)
		return T + (x - n_ramp) / r1;
	double k = (r1 - s0) / (2.0 * T); /* N(t) = k t^2 + s0 t */
	if (fabs(k) < 1e-15)
		return s0 > 0 ? x / s0 : 0;
	double disc = s0 * s0 + 4.0 * k * x;
	if (disc < 0)
		disc = 0;
	return (-s0 + sqrt(disc)) / (2.0 * k);
}

static double start_seconds(const struct swarm_arrival *a, unsigned i, double x)
{
	switch (a->kind) {
	case SWARM_ARRIVAL_ASAP:
		return 0;
	case SWARM_ARRIVAL_RATE:
		return x * 60.0 / a->clusters_per_minute;
	case SWARM_ARRIVAL_RAMP:
		return ramp_inverse(a, x);
	case SWARM_ARRIVAL_BURST:
		return x * a->burst_interval_seconds;
	}
	(void)i;
	return 0;
}

int schedule_build(const struct swarm_plan *plan, struct swarm_job **jobs, size_t *njobs)
{
	uint64_t total = 0;
	*jobs = NULL;
	*njobs = 0;
	for (size_t s = 0; s < plan->nshapes; s++)
		total += plan->shapes[s].amount;
	if (total > SCHEDULE_MAX_JOBS)
		return SW_ERR_INVALID;
	if (total == 0)
		return 0;
	struct swarm_job *v = calloc((size_t)total, sizeof(*v));
	if (!v)
		return SW_ERR_NOMEM;
	size_t n = 0;
	for (size_t s = 0; s < plan->nshapes; s++)
		for (unsigned k = 0; k < plan->shapes[s].amount; k++)
			v[n++].shape = (unsigned)s;
	uint64_t rng = plan->seed;
	if (plan->shuffle) {
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = (size_t)(schedule_rand(&rng) % (i + 1));
			unsigned t = v[i].shape;
			v[i].shape = v[j].shape;
			v[j].shape = t;
		}
	}
	const struct swarm_arrival *a = &plan->arrival;
	/* A separate stream for arrival gaps, so toggling shuffle does not
	 * change the arrival times. */
	uint64_t arng = plan->seed ^ UINT64_C(0xa5a5a5a55a5a5a5a);
	double x = 0;
	for (size_t i = 0; i < n; i++) {
		double xi;
		if (a->kind == SWARM_ARRIVAL_BURST) {
			unsigned group = (unsigned)(i / a->burst);
			if (a->poisson && i % a->burst == 0 && i > 0)
				x += -log(rand_unit(&arng));
			xi = a->poisson ? x : (double)group;
		} else {
			if (a->poisson && i > 0)
				x += -log(rand_unit(&arng));
			xi = a->poisson ? x : (double)i;
		}
		double ns = start_seconds(a, (unsigned)i, xi) * 1e9;
		v[i].index = (unsigned)i;
		/* Converting a double out of uint64_t's range is undefined; a tiny
		 * rate gives huge (or infinite, or NaN) times: saturate them. */
		if (!(ns < (double)SCHEDULE_MAX_START_NS))
			v[i].start_ns = ns > 0 || ns != ns ? SCHEDULE_MAX_START_NS : 0;
		else
			v[i].start_ns = ns > 0 ? (uint64_t)(ns + 0.5) : 0;
		v[i].seed = schedule_job_seed(plan->seed, (unsigned)i);
	}
	*jobs = v;
	*njobs = n;
	return 0;
}

size_t schedule_keep_shard(struct swarm_job *jobs, size_t njobs, unsigned i_shard, unsigned n)
{
	size_t out = 0;
	if (n <= 1)
		return njobs;
	for (size_t k = 0; k < njobs; k++)
		if (jobs[k].index % n == i_shard)
			jobs[out++] = jobs[k];
	return out;
}

void jobgen_init(struct jobgen *g, const struct swarm_plan *plan, uint64_t first, uint64_t step,
                 uint64_t end_ns)
{
	memset(g, 0, sizeof(*g));
	g->plan = plan;
	g->first = first;
	g->step = step ? step : 1;
	g->end_ns = end_ns;
	g->arng = plan->seed ^ UINT64_C(0xa5a5a5a55a5a5a5a);
	for (size_t s = 0; s < plan->nshapes; s++)
		g->weight += plan->shapes[s].amount;
}

/* The shape at weighted position |pos| (< weight). */
static unsigned shape_at(const struct swarm_plan *p, uint64_t pos)
{
	for (size_t s = 0; s < p->nshapes; s++) {
		if (pos < p->shapes[s].amount)
			return (unsigned)s;
		pos -= p->shapes[s].amount;
	}
	return 0;
}

int jobgen_next(struct jobgen *g, struct swarm_job *out)
{
	const struct swarm_arrival *a = &g->plan->arrival;
	if (!g->weight)
		return 0;
	for (;;) {
		uint64_t i = g->i;
		if (i >= UINT32_MAX)
			return 0;
		/* Arrival position of index i (the same rules as schedule_build()). */
		double xi;
		if (a->kind == SWARM_ARRIVAL_BURST) {
			if (a->poisson && i % a->burst == 0 && i > 0)
				g->x += -log(rand_unit(&g->arng));
			xi = a->poisson ? g->x : (double)(i / a->burst);
		} else {
			if (a->poisson && i > 0)
				g->x += -log(rand_unit(&g->arng));
			xi = a->poisson ? g->x : (double)i;
		}
		g->i++;
		if (i < g->first || (i - g->first) % g->step)
			continue;
		double sec = start_seconds(a, (unsigned)i, xi);
		uint64_t start = sec > 0 ? (uint64_t)(sec * 1e9 + 0.5) : 0;
		if (g->end_ns && start >= g->end_ns && a->kind != SWARM_ARRIVAL_ASAP)
			return 0;
		uint64_t pos = g->plan->shuffle ? schedule_job_seed(g->plan->seed ^ UINT64_C(0x5348415045), (unsigned)i)
		                                    % g->weight
		                                : i % g->weight;
		out->index = (unsigned)i;
		out->shape = shape_at(g->plan, pos);
		out->start_ns = start;
		out->seed = schedule_job_seed(g->plan->seed, (unsigned)i);
		return 1;
	}
}
