/*
 * emu_faults: fault injection rules of the emulator and the seeded random
 * decisions taken per request: an error status with a probability, added
 * latency (fixed, uniform or long-tailed log-normal), a stream/connection
 * reset with a probability; per operationId or for every operation ("*").
 * A rule for one operation overrides a "*" rule of the same kind; of two
 * rules at the same level the later one wins. Decisions come from one
 * xoshiro256** generator seeded by --seed, so a run with the same request
 * sequence makes the same decisions. Pure logic: no I/O, no clock.
 */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <stddef.h>
#include <stdint.h>

struct emu_faults;

enum emu_fault_kind {
	EMU_FAULT_ERROR, EMU_FAULT_LATENCY, EMU_FAULT_RESET, EMU_FAULT_GOAWAY, EMU_FAULT_RESTART,
	EMU_FAULT_KIND_COUNT
};

/* Upper bound of any injected delay (a log-normal draw is clamped to it). */
#define EMU_FAULT_MAX_DELAY_NS (600ull * 1000000000ull)

/* Returns "error", "latency", "reset", "goaway" or "restart". */
const char *emu_fault_kind_name(enum emu_fault_kind k);

/* Creates an empty rule set with the generator seeded from |seed|.
 * Never returns NULL (aborts on OOM). Frees: emu_faults_free(). */
struct emu_faults *emu_faults_new(uint64_t seed);
/* Frees |*fp| and sets it to NULL. NULL-safe. */
void emu_faults_free(struct emu_faults **fp);

/*
 * Adds a rule from its command-line spec. Returns 0, or SW_ERR_INVALID with
 * a message naming the bad part in |err|:
 *  error:   "OP:RATE:STATUS"  e.g. "v2GetNextSteps:0.05:503" (STATUS 400..599)
 *  latency: "OP:fixed:D" | "OP:uniform:DMIN:DMAX" | "OP:lognormal:MEDIAN:SIGMA"
 *           (durations as sw_duration_parse, SIGMA >= 0, a float)
 *  reset:   "OP:RATE"
 * OP is an operationId of the swagger (emu_routes.h) or "*" (every REST
 * operation), or a kube API selector "kube:VERB" / "kube:VERB/RESOURCE"
 * (VERB get, list, watch, create, update, patch, delete, deletecollection
 * or '*'; RESOURCE a plural such as baremetalhosts or '*'): for example
 * "kube:create/baremetalhosts:0.1:503". The most specific kube rule wins
 * (resource over verb); "*" alone never applies to kube requests.
 */
int emu_faults_add_error(struct emu_faults *f, const char *spec, char *err, size_t errlen);
int emu_faults_add_latency(struct emu_faults *f, const char *spec, char *err, size_t errlen);
int emu_faults_add_reset(struct emu_faults *f, const char *spec, char *err, size_t errlen);

/* Returns nonzero when at least one per-request rule exists. */
int emu_faults_any(const struct emu_faults *f);

struct emu_fault_decision {
	int reset;          /* reset the exchange instead of answering */
	int error_status;   /* 0, or the status to answer instead of running the operation */
	uint64_t delay_ns;  /* wait this long before acting (0 = act now) */
};

/*
 * Draws the decision for one request of operation |op_index| (emu_routes
 * table index, or -1 for a path that matches no operation: only "*" rules
 * apply). Reset wins over error. Always fills |d|.
 */
void emu_faults_decide(struct emu_faults *f, int op_index, struct emu_fault_decision *d);

/* Draws the decision for one kube API request of |verb| ("get", "list", ...)
 * on |resource| (a plural, "" for discovery). Always fills |d|. */
void emu_faults_decide_kube(struct emu_faults *f, const char *verb, const char *resource,
                            struct emu_fault_decision *d);

/* Draws one delay of a latency rule (exposed for tests): |dist| 0 fixed,
 * 1 uniform, 2 lognormal, parameters as in the spec (a,b in ns; sigma for
 * lognormal in |b_or_sigma|). */
uint64_t emu_faults_draw_delay(struct emu_faults *f, int dist, double a, double b_or_sigma);

/* Uniform double in [0, 1) from the generator (exposed for tests). */
double emu_faults_uniform(struct emu_faults *f);

#endif
