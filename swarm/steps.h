/*
 * steps: what an emulated dry-run agent answers to each instruction of a
 * `GET .../instructions` (protocol/README.md §4.3). Pure functions: parse one
 * instruction (step_type, step_id, args), compute the reply the real dry-run
 * agent would post, and tell the caller which side effect the step asks for
 * (start the installer, upload logs, re-register after an upgrade, stop the
 * installer). Unknown or malformed steps get exit_code -1 and an error
 * string, never a crash.
 */
#ifndef SWARM_STEPS_H
#define SWARM_STEPS_H

#include <stddef.h>
#include "as_model.h"
#include "inventory.h"
#include "sw_jscan.h"

/* What the host knows about itself when it answers (strings borrowed). */
struct steps_host {
	const struct inventory_host *inv; /* hostname, MAC, IP, gateway... */
	const char *api_vip;              /* address api/api-int names resolve to */
	const char *ingress_vip;          /* address *.apps names resolve to */
	const char *other_ip;             /* address for any other name (release registry...) */
};

/* Side effect a step asks of the agent, after its reply was built. */
enum steps_action {
	STEPS_ACT_NONE,
	STEPS_ACT_INSTALL,   /* start the emulated installer (once) with |install_role| */
	STEPS_ACT_LOGS,      /* run the host logs upload (A4) */
	STEPS_ACT_UPGRADE,   /* re-register with agent version |upgrade_image| */
	STEPS_ACT_STOP,      /* stop the emulated installer */
};

struct steps_reply {
	int type;                 /* enum as_step_type, or -1 when unknown */
	char step_type[48];
	char step_id[80];
	int exit_code;            /* 0 = success */
	char *output;             /* JSON document as text, or NULL (omitted) */
	char *error;              /* error text, or NULL (omitted) */
	enum steps_action action;
	int install_role;         /* enum as_stage_role (bootstrap/master/worker) for INSTALL */
	char cluster_id[40];      /* INSTALL: the install command's cluster_id ("" when absent) */
	char upgrade_image[256];  /* for UPGRADE */
};

/* One instruction of a next-steps answer as the scanner found it (values
 * borrowed from the answer; ABSENT when missing). */
struct steps_instr {
	struct sw_jscan_val type;  /* "step_type" */
	struct sw_jscan_val id;    /* "step_id" */
	struct sw_jscan_val args;  /* "args" */
};

/* The pointers (relative to an instruction object) whose picks
 * steps_instr_from_picks() turns into a steps_instr, in that order. */
#define STEPS_INSTR_NPICKS 3
extern const char *const steps_instr_pointers[STEPS_INSTR_NPICKS];
/* Fills |in| from picks made with steps_instr_pointers. */
void steps_instr_from_picks(struct steps_instr *in, const struct sw_jscan_pick *picks);

/*
 * Computes the reply to instruction |in| for host |h| into |out|
 * (overwritten; release with steps_reply_clear()). Returns 0 when a reply
 * should be posted (also for unknown/failed steps, then exit_code != 0), or
 * SW_ERR_PARSE when the instruction has no string step_type (nothing to
 * post; an instruction that is no object has none).
 */
int steps_answer(const struct steps_host *h, const struct steps_instr *in, struct steps_reply *out);
/* Same for an instruction given as JSON text (|len| bytes): SW_ERR_PARSE
 * also when it is not valid JSON. */
int steps_answer_json(const struct steps_host *h, const char *json, size_t len,
                      struct steps_reply *out);

/* Frees |r|'s strings and resets it. NULL-safe. */
void steps_reply_clear(struct steps_reply *r);

/*
 * Serialises |r| as the A3 `step-reply` body ({"step_type","step_id",
 * "exit_code","output","error"}, zero/empty fields omitted like the Go
 * agent). Returns a new string (length in |*len|, may be NULL); never NULL
 * (allocation failure aborts). Frees: free().
 */
char *steps_reply_body(const struct steps_reply *r, size_t *len);

#endif
