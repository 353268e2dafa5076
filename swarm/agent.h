/*
 * agent: one emulated host's discovery agent + next-step runner, as an
 * explicit state machine (protocol/README.md §1.4, §3.1, §7): register (A1),
 * poll instructions (A2) at the service's cadence, answer every instruction
 * (A3, through steps.c, with the real agent's reply cache), back off on
 * failures, re-register on `exit`/upgrade/give-up, start the emulated
 * installer on `install`, and fall silent once the installer reported
 * Rebooting. Agents live in their cluster's host array; an idle agent owns
 * no buffers, only this struct (one embedded timer).
 *
 * Only agent_set_state() assigns ->state.
 */
#ifndef SWARM_AGENT_H
#define SWARM_AGENT_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "as_model.h"
#include "ids.h"
#include "rt.h"
#include "stats.h"

struct swarm_cluster;
struct installer;

enum agent_state {
	AG_IDLE,          /* not booted yet (boot timer may be armed) */
	AG_REGISTER_WAIT, /* registration failed; retry after the agent interval */
	AG_REGISTERING,   /* A1 in flight */
	AG_POLL_WAIT,     /* waiting next_instruction_seconds */
	AG_POLLING,       /* A2 in flight */
	AG_BACKOFF,       /* A2 failed; exponential back-off before the next poll */
	AG_REBOOTED,      /* installer reported Rebooting: silent for good */
	AG_STOPPED,       /* gave up (registration refused, host unknown, cluster over) */
	AG_STATE_COUNT
};

/* Last successful reply per step type (the agent's 1-hour reply cache). */
struct agent_cache_entry {
	uint32_t hash;      /* FNV-1a (folded to 32 bits) of the output; 0 = empty */
	uint32_t t_s;       /* when sent, seconds since the cluster started */
};

struct agent {
	struct tw_timer tm;              /* the agent's only timer (rt's wheel) */
	struct swarm_cluster *cl;
	struct rt_host rth;              /* rt's part: dedicated link, live calls */
	struct installer *inst;          /* while the emulated installer runs */
	const char *version;             /* discovery_agent_version (interned in the cluster) */
	uint64_t due_ns;                 /* when the armed timer should fire */
	uint64_t backoff_start_ns;       /* first failure of the current failure run (0 = none) */
	uint32_t backoff_ms;             /* current back-off, plan ms */
	uint32_t index;                  /* host index in the cluster */
	uint32_t sessions;               /* registrations done */
	uint8_t state;                   /* enum agent_state */
	uint8_t phase;                   /* enum swarm_host_phase */
	int8_t role;                     /* enum as_stage_role, -1 before install */
	int8_t stage;                    /* last stage reported for it (enum as_stage), -1 none */
	uint8_t install_started : 1, rebooted : 1, joined : 1, done : 1, logs_busy : 1,
	        upgrade_pending : 1, exit_pending : 1, ctl_busy : 1;
	char host_id[IDS_UUID_LEN];
	struct agent_cache_entry cache[AS_STEP_TYPE_COUNT];
};

/* Initialises host |index| of |cl| (identity from the cluster seed). No I/O. */
void agent_init(struct agent *a, struct swarm_cluster *cl, uint32_t index);
/* Boots the host after |delay_ns|: registration starts then. */
void agent_boot(struct agent *a, uint64_t delay_ns);
/* Makes the host silent for good (rebooted or cluster over): cancels the
 * timer and stops the installer. |phase| is the final phase (HP_REBOOTED,
 * HP_DONE or HP_FAILED). Safe to call more than once. */
void agent_silence(struct agent *a, enum agent_state st, enum swarm_host_phase phase);
/* Called by the installer once its Rebooting report completed. */
void agent_rebooted(struct agent *a);
/* Moves the host's phase gauge. */
void agent_set_phase(struct agent *a, enum swarm_host_phase phase);
/* The one setter of ->state (traces transitions when verbose). */
void agent_set_state(struct agent *a, enum agent_state st);
/* Stable name of |st| ("polling"). */
const char *agent_state_name(enum agent_state st);
/* Releases what the agent holds (installer, link). Timer must be inactive or
 * the base still alive. */
void agent_release(struct agent *a);
/* Drops the dedicated link once nothing is in flight on it and the host is
 * silent for good (rebooted or stopped); the host's release hook. */
void agent_maybe_drop_link(struct agent *a);

#endif
