/*
 * replies: what the engine reads from the service's JSON replies, as pure
 * functions over the parsed document, so the handlers that act on them
 * (agent, REST driver, controller, installer) and the fuzz target that
 * throws arbitrary bytes at them (tests/swarm/fuzz_replies.c) run the same
 * code. Every function takes any JSON value (or NULL) and never fails
 * worse than "nothing usable found"; strings it returns are borrowed from
 * the document.
 */
#ifndef SWARM_REPLIES_H
#define SWARM_REPLIES_H

#include <stddef.h>
#include <jansson.h>

/*
 * The registration reply (A1): the agent_version inside the JSON string
 * next_step_runner_command.args[0]. Returns 1 and copies it to |out| when
 * it is usable in a header (non-empty, under 512 bytes and |outlen|, no
 * control byte), -1 when one is there but unusable (|*len| its length), 0
 * when there is none.
 */
int replies_agent_version(const json_t *reply, char *out, size_t outlen, size_t *len);

/* The next-steps reply (A2). */
struct replies_steps {
	double next_s;                /* next_instruction_seconds, 0 when absent or not a number */
	int exit;                     /* post_step_action "exit" */
	json_t *instructions;         /* the array (borrowed), or NULL */
};
/* Returns 0 and fills |out| when |reply| is an object, else -1. */
int replies_steps(json_t *reply, struct replies_steps *out);

/* A cluster (D4, C1/C4/C11): its "status" as enum as_cluster_status, or -1;
 * |*info| (may be NULL) gets status_info when it is a string, else NULL. */
int replies_cluster_status(const json_t *reply, const char **info);

/* A host list: how many elements are objects whose "status" is one of
 * |statuses| (NULL-terminated). Not a list: 0. */
unsigned replies_hosts_with_status(const json_t *list, const char *const *statuses);

/* A host list: how many elements report progress.current_stage |stage|. */
unsigned replies_hosts_at_stage(const json_t *list, const char *stage);

#endif
