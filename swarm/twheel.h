/*
 * twheel: a hashed timer wheel for the engine's schedule timers (agents,
 * installers, controllers, drivers, retries). Pure data structure: no
 * clock, no loop; rt.c drives it from one libevent timer per shard.
 *
 * Why not one libevent timer per object: (1) memory: a struct event is
 * 128 bytes, a tw_timer 32, and a million hosts each embed one; (2)
 * coalescing: the wheel fires timers in slots of |grid_ns|, every timer of
 * a slot once the slot has ended, so timers due within the same slot wake
 * the loop once and their requests leave together, instead of one wake-up,
 * one write and one read per timer. A timer therefore fires between its due
 * time and the end of its slot (never early); callers measure lateness
 * against their own due time, so the coalescing shows in the lateness
 * figures and is never hidden.
 *
 * Timers beyond the wheel's horizon (slots x grid) wait in their slot and
 * are skipped until their round comes. Not thread-safe.
 */
#ifndef SWARM_TWHEEL_H
#define SWARM_TWHEEL_H

#include <stddef.h>
#include <stdint.h>

struct tw_timer;
typedef void (*tw_fn)(struct tw_timer *t);

/* Embedded in its owner; the callback finds the owner with offsetof. */
struct tw_timer {
	struct tw_timer *next, **pprev; /* slot list; pprev NULL = not armed */
	uint64_t due_ns;
	tw_fn fn;
};

struct twheel {
	uint64_t grid_ns;        /* slot width */
	uint64_t cursor;         /* absolute index of the first slot not yet run */
	size_t nslots;           /* power of two */
	struct tw_timer **slots;
	uint64_t *bits;          /* one bit per slot: may hold a timer */
	uint64_t *sum;           /* one bit per word of |bits|: that word is not zero */
	size_t nbits, nsum;
	size_t armed;            /* timers in the wheel */
};

/* Initialises |w| with slots of |grid_ns| (> 0) and 2^|slots_log2| slots
 * (6..24), starting at time |now_ns|. Returns 0 or SW_ERR_INVALID; aborts
 * when out of memory (swarm/ policy). Frees: tw_free(). */
int tw_init(struct twheel *w, uint64_t grid_ns, unsigned slots_log2, uint64_t now_ns);
/* Frees the slot arrays; armed timers are disarmed (not called), so their
 * owners may still tw_cancel() them. NULL-safe. */
void tw_free(struct twheel *w);

/* Initialises timer |t| with callback |fn| (not armed). */
void tw_timer_init(struct tw_timer *t, tw_fn fn);
/* Arms |t| (cancelling it first when armed) to fire once the slot holding
 * |due_ns| has ended. A due time in the past fires at the end of the
 * current slot. */
void tw_add(struct twheel *w, struct tw_timer *t, uint64_t due_ns);
/* Disarms |t|. Safe when not armed, and from inside any callback. */
void tw_cancel(struct twheel *w, struct tw_timer *t);
/* Returns nonzero when |t| is armed. */
static inline int tw_armed(const struct tw_timer *t)
{
	return t->pprev != NULL;
}

/* Runs every timer whose slot ended by |now_ns|, each disarmed before its
 * callback (which may arm it again, or arm and cancel any timer). Returns
 * how many ran. */
size_t tw_run(struct twheel *w, uint64_t now_ns);
/* Stores in |*when_ns| when the next slot that may hold a timer ends and
 * returns 1, or returns 0 when the wheel is empty. */
int tw_next(const struct twheel *w, uint64_t *when_ns);

#endif
