/*
 * emu_auth: authentication of API requests the way the assisted-service does
 * it for AUTH_TYPE none / rhsso (EMU_AUTH_TOKEN; --auth rhsso or token) / local
 * (protocol/README.md §2): which credential each operation accepts (from the
 * operation's security schemes in the route table, emu_routes.h), the go-openapi rule "try every
 * accepted scheme in order, a present but rejected credential is remembered,
 * no credential at all is 'unauthenticated for invalid credentials'", and
 * the response bodies of the failures. Owns the local-mode signing key and
 * a bounded cache of verified tokens. No I/O.
 */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "emu_model.h"
#include "emu_routes.h"

struct emu_auth;

struct emu_auth_cfg {
	enum emu_auth_mode mode;
	/* token mode: the value agents must send in X-Secret-Key (required). */
	const char *pull_secret_token;
	/* token mode: the Bearer token user calls must send; NULL accepts any Bearer token. */
	const char *user_token;
	/* local mode, emulator-only escape: Bearer token accepted for user calls
	 * (the real service refuses every user call in local mode); NULL = refuse all. */
	const char *local_user_token;
	/* local mode: answer 403 when an agent token's infra_env_id is not the
	 * infra-env of the path (the real service does not check; off by default). */
	int local_strict_scope;
	/* local mode: the signing key as PEM (a restarted emulator keeps its
	 * tokens valid); NULL generates a fresh key. */
	const char *local_key_pem;
	/* Existence lookups for local-mode claims (usually emu_model_*_exists). */
	int (*infraenv_exists)(void *arg, const char *infra_env_id);
	int (*cluster_exists)(void *arg, const char *cluster_id);
	void *exists_arg;
};

/* Credentials found in one request (NULL when absent; empty strings count as absent). */
struct emu_auth_input {
	const struct emu_route_match *match; /* the matched operation (result EMU_ROUTE_MATCH) */
	const char *authorization;        /* header Authorization */
	const char *secret_key;           /* header X-Secret-Key */
	const char *api_key;              /* query api_key (decoded) */
	const char *image_token;          /* header Image-Token */
	const char *image_token_query;    /* query image_token */
	const char *watcher;              /* header Watcher-Authorization */
	int64_t now_s;                    /* wall clock, for token exp/nbf */
};

struct emu_auth_result {
	int status;        /* 0 = allowed; else 401, 403 or 404 */
	int is_agent;      /* allowed as an agent (agentAuth or a token of an infra-env) */
	const char *scheme;/* "userAuth", "agentAuth", "urlAuth", "none" ... (static) */
	char body[768];    /* error body when status != 0 (JSON, NUL-terminated) */
};

/*
 * Creates the authenticator. Local mode generates an EC P-256 key here.
 * Returns NULL and a message in |err| when the configuration is incomplete
 * (token mode without pull_secret_token) or key generation fails.
 * Frees: emu_auth_free().
 */
struct emu_auth *emu_auth_new(const struct emu_auth_cfg *cfg, char *err, size_t errlen);
/* Frees |*ap| and sets it to NULL. NULL-safe. */
void emu_auth_free(struct emu_auth **ap);

/*
 * Decides whether the request described by |in| may run. Always fills
 * |out|. Returns 0 (the decision is in out->status), or SW_ERR_INVALID for
 * a NULL argument.
 */
int emu_auth_check(struct emu_auth *a, const struct emu_auth_input *in, struct emu_auth_result *out);

/*
 * emu_model_cfg.make_infraenv_token callback: writes the token an agent of
 * |infra_env_id| must use into |out| (local mode: the ES256 JWT; token mode:
 * the pull-secret token; none: "") . |arg| is the struct emu_auth.
 * Returns 0, or SW_ERR_TOO_BIG / SW_ERR_INVALID / SW_ERR_TLS.
 */
int emu_auth_make_infraenv_token(void *arg, const char *infra_env_id, char *out, size_t outlen);

/* Local mode: the signing key as PEM into a malloc'ed *|out| (caller frees).
 * Returns 0, SW_ERR_INVALID in other modes, or SW_ERR_NOMEM / SW_ERR_TLS. */
int emu_auth_key_pem(const struct emu_auth *a, char **out);

/* Returns the configured mode (EMU_AUTH_NONE for NULL). */
enum emu_auth_mode emu_auth_mode_of(const struct emu_auth *a);

/* Counters of the token cache (for /metrics). */
void emu_auth_cache_stats(const struct emu_auth *a, uint64_t *hits, uint64_t *misses);

#endif
