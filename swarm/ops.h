/*
 * ops: what the swarm's calls are on the wire, per operation (enum swarm_ep):
 * the swagger operations each one stands for, and the Accept and
 * Content-Type the real clients send for them. The agent, installer and
 * controller are go-swagger generated clients (go-openapi runtime): Accept
 * is the operation's `produces`, Content-Type its first `consumes`, sent
 * only with a body (protocol/README.md §1.1). The test driver follows the
 * same rule. rt stamps these headers on every call; tests compare the
 * table with the emulator's, generated from the swagger (tests/swarm).
 */
#ifndef SWARM_OPS_H
#define SWARM_OPS_H

#include "stats.h"

struct swarm_op {
	const char *operations;   /* operationIds it stands for, space-separated ("" = none) */
	const char *accept;       /* Accept header value */
	const char *content_type; /* Content-Type of its body (multipart: without the boundary) */
};

/* The entry of |ep| (EP_OTHER's for values out of range). Never NULL. */
const struct swarm_op *swarm_op(enum swarm_ep ep);

#endif
