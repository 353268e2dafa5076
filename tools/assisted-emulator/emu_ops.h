/*
 * emu_ops: the operation table of the assisted-service REST API (method,
 * path template, operationId, accepted security schemes), taken from the
 * service's swagger (81 operations; protocol/README.md §3.0), and the matcher that maps a
 * request path to its operation and path parameters. The front end needs the
 * operation before the model runs, to authenticate and to inject faults.
 * Pure data and string matching; no allocation.
 */
#ifndef EMU_OPS_H
#define EMU_OPS_H

#include <stddef.h>

/* Security schemes (swagger securityDefinitions), as bits. */
enum emu_sec {
	EMU_SEC_USER = 1 << 0,      /* userAuth: header Authorization */
	EMU_SEC_AGENT = 1 << 1,     /* agentAuth: header X-Secret-Key */
	EMU_SEC_URL = 1 << 2,       /* urlAuth: query api_key */
	EMU_SEC_IMAGE = 1 << 3,     /* imageAuth: header Image-Token */
	EMU_SEC_IMAGE_URL = 1 << 4, /* imageURLAuth: query image_token */
	EMU_SEC_WATCHER = 1 << 5,   /* watcherAuth: header Watcher-Authorization */
};

struct emu_op {
	const char *method;
	const char *path;        /* template under the base path, e.g. /v2/clusters/{cluster_id} */
	const char *operation;   /* operationId */
	unsigned security;       /* OR of enum emu_sec; operations without a block have EMU_SEC_USER */
	unsigned nseg;           /* number of '/'-separated segments of |path| */
};

/* A matched request: the operation and the path parameters found (offsets
 * into the matched path; len 0 when the template has no such parameter). */
struct emu_op_match {
	const struct emu_op *op;
	int index;               /* index of op in the table */
	size_t infra_env_off, infra_env_len;
	size_t cluster_off, cluster_len;
	size_t host_off, host_len;
};

/* Returns the number of operations and stores the table in |*ops| (static). */
size_t emu_ops_table(const struct emu_op **ops);

/* Returns the index of operationId |name| (exact), or -1. */
int emu_ops_find(const char *name);

/*
 * Matches |method| and |path| (full path with the /api/assisted-install
 * base; no query) against the table. Literal segments win over parameters.
 * Returns 1 and fills |m| when an operation matches, 0 when the path is not
 * an API operation or the method is not allowed there (the model answers
 * those with 404/405 before any authentication, as the real router does).
 */
int emu_ops_match(const char *method, const char *path, struct emu_op_match *m);

#endif
