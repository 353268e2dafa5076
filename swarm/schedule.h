/*
 * schedule: turns a plan into the run's list of cluster jobs: shapes
 * expanded by `amount` in order, optionally shuffled, each with its intended
 * start time from the plan's `arrival` settings and its own seed. Pure
 * computation, deterministic for a given plan (same seed -> same jobs).
 */
#ifndef SWARM_SCHEDULE_H
#define SWARM_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "shard.h"

/* Most clusters one run may contain (bounded memory for jobs and records). */
#define SCHEDULE_MAX_JOBS 10000000u
/* Latest start time of a job, about 146 years: later (or not finite) start
 * times saturate here, so adding a start time to a clock never wraps. */
#define SCHEDULE_MAX_START_NS (UINT64_C(1) << 62)

/*
 * Builds the jobs of |plan| into a new array |*jobs| of |*njobs| entries,
 * ordered by index (job i has index i). Start times: asap -> 0; rate ->
 * i*60/clusters_per_minute s; ramp -> the time the linearly rising rate has
 * produced i arrivals; burst -> floor(i/burst)*burst_interval; with poisson
 * the fixed gaps become exponential gaps (a non-homogeneous Poisson process
 * for ramp) drawn from the plan's seed. Start times saturate at
 * SCHEDULE_MAX_START_NS, whatever the rates (the loader bounds them, but
 * the arithmetic does not rely on it). Returns 0, SW_ERR_INVALID when the
 * plan holds more than SCHEDULE_MAX_JOBS clusters, or SW_ERR_NOMEM.
 * Frees: the caller free()s |*jobs| (NULL when there are no jobs).
 */
int schedule_build(const struct swarm_plan *plan, struct swarm_job **jobs, size_t *njobs);

/*
 * Process sharding (--shard I/N): keeps, in place and in order, the jobs
 * whose global index i has i % |n| == |i_shard|. Returns the new count.
 */
size_t schedule_keep_shard(struct swarm_job *jobs, size_t njobs, unsigned i_shard, unsigned n);

/*
 * The endless job stream of a soak plan (soak.h): job i has the arrival
 * time the plan's `arrival` gives the i-th cluster (asap: 0) and the shape
 * of position i % W in the shapes expanded by their `amount` (W = the sum
 * of the amounts); with `shuffle`, a shape drawn with probability
 * amount / W from the plan seed and i instead. Plain data: copying a
 * generator copies its position (a peek ahead).
 */
struct jobgen {
	const struct swarm_plan *plan;
	uint64_t i;              /* next global index to compute */
	uint64_t first, step;    /* the indices this generator yields: first, first+step, ... */
	uint64_t weight;         /* sum of the amounts */
	uint64_t end_ns;         /* no job starts at or after this (0 = none) */
	double x;                /* arrival position of index i (Poisson running sum) */
	uint64_t arng;           /* Poisson gap generator state */
};

/* Starts |g| on |plan| (which must outlive it) for indices first + k*step
 * (step >= 1); jobs due at or after |end_ns| are not produced (0 = none). */
void jobgen_init(struct jobgen *g, const struct swarm_plan *plan, uint64_t first, uint64_t step,
                 uint64_t end_ns);
/* Fills |out| with the next job of |g|: returns 1, or 0 when the stream ended
 * (end_ns reached, or the index space of 2^32 - 1 clusters is used up). */
int jobgen_next(struct jobgen *g, struct swarm_job *out);

/* Returns the per-cluster seed derived from |plan_seed| and |index|. */
uint64_t schedule_job_seed(uint64_t plan_seed, unsigned index);

/* Returns the next value of a splitmix64 generator whose state is |*state|. */
uint64_t schedule_rand(uint64_t *state);

#endif
