/*
 * replies: what the engine reads from the service's JSON replies, as pure
 * functions over the reply's bytes, so the handlers that act on them
 * (agent, REST driver, controller, installer) and the fuzz target that
 * throws arbitrary bytes at them (tests/swarm/fuzz_replies.c) run the same
 * code. The bytes are scanned with sw_jscan (protocol/util/sw_jscan.h), not
 * built into a jansson document: these replies are read all along, and only
 * a few of their fields matter. A body is valid exactly when jansson would
 * load it; an invalid one yields "nothing usable", never a partial read.
 * Nothing here fails worse than that; nothing returned needs freeing.
 */
#ifndef SWARM_REPLIES_H
#define SWARM_REPLIES_H

#include <stddef.h>

#include "steps.h"
#include "sw_jscan.h"

/*
 * The registration reply (A1, |len| bytes at |body|): the agent_version
 * inside the JSON string next_step_runner_command.args[0] (itself a JSON
 * object document). Returns 1 and copies it NUL-terminated to |out| when it
 * is usable in a header (non-empty, under 512 bytes and |outlen|, no
 * control byte); -1 when one is there but unusable (|*vlen| its decoded
 * length); 0 when there is none; SW_ERR_PARSE when |body| is not a JSON
 * object (the registration did not answer).
 */
int replies_agent_version(const char *body, size_t len, char *out, size_t outlen, size_t *vlen);

/* The next-steps reply (A2). */
struct replies_steps {
	double next_s;                    /* next_instruction_seconds, 0 when absent or not a number */
	int exit;                         /* post_step_action "exit" */
	struct sw_jscan_val instructions; /* the array (borrowed from the body), or type ABSENT */
};
/* Returns 0 and fills |out| when |body| is a JSON object, else SW_ERR_PARSE. */
int replies_steps(const char *body, size_t len, struct replies_steps *out);

/* Called by replies_steps_each() for each instruction in order; returns 0
 * to go on, anything else to stop. */
typedef int (*replies_instr_fn)(void *arg, const struct steps_instr *in);
/* Calls |fn| for each instruction of |rs| (none when it has no array).
 * Returns 0 or what |fn| returned to stop. */
int replies_steps_each(const struct replies_steps *rs, replies_instr_fn fn, void *arg);

/* A cluster (D4, C1/C4/C11): its "status" as enum as_cluster_status, or -1
 * (no status, an unknown one, or no valid body). |info| (|infolen| bytes,
 * may be NULL) gets status_info when it is a string (cut to fit), else "". */
int replies_cluster_status(const char *body, size_t len, char *info, size_t infolen);

/* A cluster read with its hosts: 1 when its host_networks list a network
 * (cidr "a.b.c.d/p") holding IPv4 address |ip|, else 0. */
int replies_host_network_holds(const char *body, size_t len, const char *ip);

/* A host list: how many elements are objects whose "status" is one of
 * |statuses| (NULL-terminated). Not a list, or not valid: 0. */
unsigned replies_hosts_with_status(const char *body, size_t len, const char *const *statuses);

/* A host list: how many elements report progress.current_stage |stage|. */
unsigned replies_hosts_at_stage(const char *body, size_t len, const char *stage);

/*
 * An id the service gave (a cluster's or infra-env's "id", picked by the
 * caller): it goes into every later path, so only the characters of a UUID
 * (and '-', '_', '.') may travel there. Returns 1 and copies it to |out|
 * when |v| is such a non-empty string shorter than |outlen|, else 0 (|out|
 * then "").
 */
int replies_id(const struct sw_jscan_val *v, char *out, size_t outlen);

#endif
