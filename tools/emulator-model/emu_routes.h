/*
 * emu_routes: the one route table of the emulator (every operation of the
 * assisted-service swagger: method, path template, operationId, accepted
 * security schemes, request-body limit, handler) and the one matcher. The
 * front end matches a request once and uses the result for authentication,
 * fault injection, the body limit and dispatch to the model, so no spelling
 * of a path can be authorised as one operation and run as another.
 *
 * Path rules, as the real service's router (go-openapi runtime, denco) does:
 * the escaped path is cleaned like Go's path.Clean ("//" and "." segments
 * vanish, ".." removes the segment before it, a trailing '/' is dropped),
 * literal segments compare byte for byte (so a percent-encoded literal such
 * as "cl%75sters" or "v2%2Fclusters" matches nothing), path parameters are
 * percent-decoded after matching, a literal segment wins over a parameter,
 * the method is compared upper-cased, and the method's own routes are tried
 * first: a path that only other methods know is 405 with those methods.
 * Anything else is 404. Pure data and string matching; no allocation.
 */
#ifndef EMU_ROUTES_H
#define EMU_ROUTES_H

#include <stddef.h>

/* Security schemes of the swagger (securityDefinitions), as bits. */
enum emu_sec {
	EMU_SEC_USER = 1 << 0,      /* userAuth: header Authorization */
	EMU_SEC_AGENT = 1 << 1,     /* agentAuth: header X-Secret-Key */
	EMU_SEC_URL = 1 << 2,       /* urlAuth: query api_key */
	EMU_SEC_IMAGE = 1 << 3,     /* imageAuth: header Image-Token */
	EMU_SEC_IMAGE_URL = 1 << 4, /* imageURLAuth: query image_token */
	EMU_SEC_WATCHER = 1 << 5,   /* watcherAuth: header Watcher-Authorization */
};

/*
 * Request-body limits. The service itself sets none for JSON bodies (its
 * decoder reads whatever comes); its largest real bodies are step replies
 * with an inventory (well under 1 MiB) and manifests (1 MiB of file content,
 * base64 in JSON). Log uploads are multipart with a file of at most
 * 262144000 bytes (the swagger's maxLength of "upfile"): the emulator only
 * needs the part headers, so it keeps the first EMU_BODY_KEEP_STREAM bytes,
 * counts the rest and discards it.
 */
#define EMU_BODY_MAX_JSON ((size_t)2 * 1024 * 1024)
#define EMU_BODY_MAX_UPLOAD ((size_t)262144000 + 64 * 1024)
#define EMU_BODY_KEEP_STREAM ((size_t)64 * 1024)
/* A path that matches no operation is read (up to this) and answered 404. */
#define EMU_BODY_MAX_UNMATCHED ((size_t)64 * 1024)

/* Route flags. */
#define EMU_ROUTE_STREAM_BODY 1u    /* body counted, only a prefix kept (uploads) */

struct emu_ctx;

struct emu_route {
	const char *method;
	const char *path;        /* template under the base path, e.g. /v2/clusters/{cluster_id} */
	const char *operation;   /* operationId */
	unsigned security;       /* OR of enum emu_sec; operations without a block have EMU_SEC_USER */
	unsigned flags;          /* EMU_ROUTE_* */
	void (*fn)(struct emu_ctx *x); /* model handler; NULL = not emulated (501) */
};

#define EMU_ROUTE_MAX_PARAMS 3
/* Decoded bytes kept per path parameter; longer values are flagged. */
#define EMU_ROUTE_PARAM_MAX 63

enum emu_route_result {
	EMU_ROUTE_MATCH = 0,
	EMU_ROUTE_NOT_FOUND = 404,
	EMU_ROUTE_NOT_ALLOWED = 405,
};

struct emu_route_param {
	const char *name;        /* template name without braces (points into the table) */
	size_t name_len;
	char value[EMU_ROUTE_PARAM_MAX + 1]; /* percent-decoded, NUL-terminated */
	size_t len;              /* decoded length (may exceed what |value| holds) */
	int invalid;             /* longer than EMU_ROUTE_PARAM_MAX or decoded to a NUL byte */
};

struct emu_route_match {
	enum emu_route_result result;
	int index;               /* route index, -1 unless result == EMU_ROUTE_MATCH */
	const struct emu_route *route;
	int nparams;
	struct emu_route_param params[EMU_ROUTE_MAX_PARAMS];
	char allowed[64];        /* 405: the methods that have the path, "GET,POST" */
};

/* Returns the number of routes and stores the (static) table in |*routes|. */
size_t emu_routes_table(const struct emu_route **routes);

/* Returns the index of operationId |name| (exact), or -1. */
int emu_routes_find(const char *name);

/*
 * Matches |method| and |path| (the request path without the query, percent-
 * encoding as received, with the /api/assisted-install base) by the rules
 * above. Always fills |m| and returns m->result.
 */
enum emu_route_result emu_route_match(const char *method, const char *path,
                                      struct emu_route_match *m);

/* Value of path parameter |name| ("cluster_id") of a match, or NULL when the
 * route has no such parameter. Check emu_route_param_valid() before trusting it. */
const char *emu_route_param(const struct emu_route_match *m, const char *name);
/* 1 when parameter |name| exists and its value is complete (not cut, no NUL). */
int emu_route_param_valid(const struct emu_route_match *m, const char *name);

/* Request-body limit of a match (EMU_BODY_MAX_UNMATCHED when nothing matched). */
size_t emu_route_body_max(const struct emu_route_match *m);
/* Bytes of the body kept in memory: the limit, or EMU_BODY_KEEP_STREAM for streamed bodies. */
size_t emu_route_body_keep(const struct emu_route_match *m);

/*
 * Go's path.Clean of |in| (|n| bytes) into |out| (|outlen| bytes, NUL-
 * terminated). Returns the cleaned length, or -1 when |out| is too small.
 * Exposed for the tests and the fuzz target; the matcher cleans segment-wise
 * without copying.
 */
long emu_path_clean(const char *in, size_t n, char *out, size_t outlen);

#endif
