#include "emu_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "as_model.h"
#include "emu_jwt.h"
#include "sw_err.h"
#include "sw_xalloc.h"

/* Verifying an ES256 signature costs tens of microseconds; agents send the
 * same token on every poll, so signature results are cached (the service
 * caches the infra-env lookup instead; existence is still checked on every
 * request here). Direct-mapped, bounded. */
#define TOKEN_CACHE_SLOTS 4096
#define TOKEN_CACHE_MAX_LEN 1024

struct token_slot {
	char *token;               /* NULL when empty */
	size_t len;
	struct emu_jwt_claims claims;
};

struct emu_auth {
	struct emu_auth_cfg cfg;
	char *pull_secret_token, *user_token, *local_user_token;
	struct emu_jwt_key *key;
	struct token_slot *cache;
	uint64_t hits, misses;
};

/* Outcome of one scheme: not present, accepted, or rejected with a body. */
enum verdict { V_ABSENT, V_OK, V_REJECT };

struct emu_auth *emu_auth_new(const struct emu_auth_cfg *cfg, char *err, size_t errlen)
{
	if (!cfg) {
		snprintf(err, errlen, "no auth configuration");
		return NULL;
	}
	if (cfg->mode == EMU_AUTH_TOKEN && (!cfg->pull_secret_token || !*cfg->pull_secret_token)) {
		snprintf(err, errlen, "--auth token needs --pull-secret-token TOKEN");
		return NULL;
	}
	struct emu_auth *a = xcalloc(1, sizeof(*a));
	a->cfg = *cfg;
	a->pull_secret_token = xstrdup(cfg->pull_secret_token);
	a->user_token = xstrdup(cfg->user_token);
	a->local_user_token = xstrdup(cfg->local_user_token);
	a->cfg.pull_secret_token = a->pull_secret_token;
	a->cfg.user_token = a->user_token;
	a->cfg.local_user_token = a->local_user_token;
	a->cfg.local_key_pem = NULL; /* not kept: the key is */
	if (cfg->mode == EMU_AUTH_LOCAL) {
		a->key = cfg->local_key_pem ? emu_jwt_key_from_pem(cfg->local_key_pem,
		                                                   strlen(cfg->local_key_pem))
		                            : emu_jwt_key_new();
		if (!a->key) {
			snprintf(err, errlen, cfg->local_key_pem
			         ? "the local-auth signing key is not an EC P-256 private key in PEM"
			         : "cannot generate the EC P-256 signing key (OpenSSL)");
			emu_auth_free(&a);
			return NULL;
		}
		a->cache = xcalloc(TOKEN_CACHE_SLOTS, sizeof(*a->cache));
	}
	return a;
}

void emu_auth_free(struct emu_auth **ap)
{
	if (!ap || !*ap)
		return;
	struct emu_auth *a = *ap;
	if (a->cache)
		for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++)
			free(a->cache[i].token);
	free(a->cache);
	emu_jwt_key_free(&a->key);
	free(a->pull_secret_token);
	free(a->user_token);
	free(a->local_user_token);
	free(a);
	*ap = NULL;
}

int emu_auth_key_pem(const struct emu_auth *a, char **out)
{
	if (!a || !a->key)
		return SW_ERR_INVALID;
	return emu_jwt_key_pem(a->key, out);
}

enum emu_auth_mode emu_auth_mode_of(const struct emu_auth *a)
{
	return a ? a->cfg.mode : EMU_AUTH_NONE;
}

void emu_auth_cache_stats(const struct emu_auth *a, uint64_t *hits, uint64_t *misses)
{
	*hits = a ? a->hits : 0;
	*misses = a ? a->misses : 0;
}

int emu_auth_make_infraenv_token(void *arg, const char *infra_env_id, char *out, size_t outlen)
{
	struct emu_auth *a = arg;
	if (!a || !infra_env_id || !out || !outlen)
		return SW_ERR_INVALID;
	switch (a->cfg.mode) {
	case EMU_AUTH_LOCAL: {
		int n = emu_jwt_sign(a->key, "infra_env_id", infra_env_id, out, outlen);
		return n < 0 ? n : 0;
	}
	case EMU_AUTH_TOKEN:
		if (strlen(a->pull_secret_token) >= outlen)
			return SW_ERR_TOO_BIG;
		strcpy(out, a->pull_secret_token);
		return 0;
	case EMU_AUTH_NONE:
		break;
	}
	out[0] = '\0';
	return 0;
}

static int present(const char *s)
{
	return s && *s;
}

static enum verdict reject(struct emu_auth_result *out, int status, const char *message)
{
	out->status = status;
	as_infra_error_body(out->body, sizeof(out->body), status, message);
	return V_REJECT;
}

/* "Bearer X" with any case and surrounding blanks (Go strings.Fields). Returns X or NULL. */
static const char *bearer_token(const char *h, size_t *len)
{
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return NULL;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strcspn(h, " \t");
	const char *rest = h + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (n == 0 || *rest)
		return NULL;
	*len = n;
	return h;
}

static int token_eq(const char *t, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(t, want, len) == 0;
}

static enum verdict user_token_mode(struct emu_auth *a, const char *h, struct emu_auth_result *out)
{
	size_t len = 0;
	const char *t = bearer_token(h, &len);
	if (!t)
		return reject(out, 401, "Authorization header format must be Bearer {token}");
	if (a->user_token && !token_eq(t, len, a->user_token))
		return reject(out, 401, "Error parsing token or token is invalid");
	return V_OK;
}

static enum verdict user_local_mode(struct emu_auth *a, const char *h, struct emu_auth_result *out)
{
	size_t len = 0;
	const char *t = bearer_token(h, &len);
	if (a->local_user_token && t && token_eq(t, len, a->local_user_token))
		return V_OK;
	return reject(out, 401, "User Authentication not allowed for local auth");
}

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Verifies a local-mode JWT, through the cache. Returns 0 or the jwt error. */
static int verify_cached(struct emu_auth *a, const char *tok, int64_t now_s,
                         struct emu_jwt_claims *claims, char *reason, size_t rlen)
{
	size_t len = strlen(tok);
	struct token_slot *slot = NULL;
	if (len <= TOKEN_CACHE_MAX_LEN) {
		slot = &a->cache[fnv1a(tok, len) % TOKEN_CACHE_SLOTS];
		if (slot->token && slot->len == len && memcmp(slot->token, tok, len) == 0) {
			a->hits++;
			*claims = slot->claims;
			return 0;
		}
	}
	a->misses++;
	int rv = emu_jwt_verify(a->key, tok, len, now_s, claims, reason, rlen);
	/* Tokens with time claims are not cached: they may expire. */
	if (rv == 0 && slot && !strstr(tok, "\"exp\"")) {
		free(slot->token);
		slot->token = xmalloc(len + 1);
		memcpy(slot->token, tok, len + 1);
		slot->len = len;
		slot->claims = *claims;
	}
	return rv;
}

/* Path parameter |name| of the match is complete and equals |id|? */
static int path_param_eq(const struct emu_route_match *m, const char *name, const char *id)
{
	const char *v = emu_route_param(m, name);
	return v && emu_route_param_valid(m, name) && strcmp(v, id) == 0;
}

/* local mode, agentAuth and urlAuth: LocalAuthenticator.AuthAgentAuth, then for
 * urlAuth the resource-scope check of LocalAuthzHandler (404 on mismatch). */
static enum verdict jwt_local(struct emu_auth *a, const struct emu_auth_input *in, const char *tok,
                              int url_scheme, struct emu_auth_result *out)
{
	struct emu_jwt_claims c;
	char reason[256], msg[400];
	if (verify_cached(a, tok, in->now_s, &c, reason, sizeof(reason)) != 0) {
		/* The service's message really ends with a newline. */
		snprintf(msg, sizeof(msg), "Failed to parse token: %s\n", reason);
		return reject(out, 401, msg);
	}
	if (!c.infra_env_id[0] && !c.cluster_id[0])
		return reject(out, 401, "claims are incorrectly formatted");
	if (c.infra_env_id[0]) {
		if (!a->cfg.infraenv_exists || !a->cfg.infraenv_exists(a->cfg.exists_arg, c.infra_env_id)) {
			snprintf(msg, sizeof(msg), "infraEnv %s does not exist", c.infra_env_id);
			return reject(out, 401, msg);
		}
	} else if (!a->cfg.cluster_exists || !a->cfg.cluster_exists(a->cfg.exists_arg, c.cluster_id)) {
		snprintf(msg, sizeof(msg), "Cluster %s does not exist", c.cluster_id);
		return reject(out, 401, msg);
	}
	const struct emu_route_match *m = in->match;
	const int has_ie = emu_route_param(m, "infra_env_id") != NULL;
	if (url_scheme && (has_ie || emu_route_param(m, "cluster_id"))) {
		int ok = c.infra_env_id[0] ? path_param_eq(m, "infra_env_id", c.infra_env_id)
		                           : path_param_eq(m, "cluster_id", c.cluster_id);
		if (!ok) {
			out->status = 404;
			as_error_body(out->body, sizeof(out->body), 404, "Object Not Found");
			return V_REJECT;
		}
	}
	if (!url_scheme && a->cfg.local_strict_scope && c.infra_env_id[0] && has_ie &&
	    !path_param_eq(m, "infra_env_id", c.infra_env_id)) {
		snprintf(msg, sizeof(msg), "token of infraEnv %s is not allowed for this infraEnv",
		         c.infra_env_id);
		return reject(out, 403, msg);
	}
	return V_OK;
}

static enum verdict check_scheme(struct emu_auth *a, unsigned scheme, const struct emu_auth_input *in,
                                 struct emu_auth_result *out)
{
	const int local = a->cfg.mode == EMU_AUTH_LOCAL;
	switch (scheme) {
	case EMU_SEC_USER:
		if (!present(in->authorization))
			return V_ABSENT;
		return local ? user_local_mode(a, in->authorization, out)
		             : user_token_mode(a, in->authorization, out);
	case EMU_SEC_AGENT:
		if (!present(in->secret_key))
			return V_ABSENT;
		if (local)
			return jwt_local(a, in, in->secret_key, 0, out);
		if (strcmp(in->secret_key, a->pull_secret_token) != 0)
			return reject(out, 401, "Failed to authenticate pull secret token: invalid credentials");
		return V_OK;
	case EMU_SEC_URL:
		if (!present(in->api_key))
			return V_ABSENT;
		if (local)
			return jwt_local(a, in, in->api_key, 1, out);
		return reject(out, 401, "URL Authentication not allowed for rhsso auth");
	case EMU_SEC_IMAGE:
		if (!present(in->image_token))
			return V_ABSENT;
		return reject(out, 401, local ? "Image Authentication not allowed for local auth"
		                              : "image tokens are not supported by the emulator");
	case EMU_SEC_IMAGE_URL:
		if (!present(in->image_token_query))
			return V_ABSENT;
		return reject(out, 401, local ? "Image Authentication not allowed for local auth"
		                              : "image tokens are not supported by the emulator");
	case EMU_SEC_WATCHER:
		if (!present(in->watcher))
			return V_ABSENT;
		return reject(out, 401, "watcher authentication is not supported by the emulator");
	default:
		return V_ABSENT;
	}
}

static const char *scheme_name(unsigned s)
{
	switch (s) {
	case EMU_SEC_USER: return "userAuth";
	case EMU_SEC_AGENT: return "agentAuth";
	case EMU_SEC_URL: return "urlAuth";
	case EMU_SEC_IMAGE: return "imageAuth";
	case EMU_SEC_IMAGE_URL: return "imageURLAuth";
	case EMU_SEC_WATCHER: return "watcherAuth";
	default: return "none";
	}
}

int emu_auth_check(struct emu_auth *a, const struct emu_auth_input *in, struct emu_auth_result *out)
{
	static const unsigned order[] = {EMU_SEC_USER, EMU_SEC_AGENT, EMU_SEC_URL,
	                                 EMU_SEC_IMAGE, EMU_SEC_IMAGE_URL, EMU_SEC_WATCHER};
	if (!out)
		return SW_ERR_INVALID;
	out->status = 0;
	out->is_agent = 0;
	out->body[0] = '\0';
	out->scheme = "none";
	if (!a || !in || !in->match || in->match->result != EMU_ROUTE_MATCH || !in->match->route)
		return SW_ERR_INVALID;
	unsigned sec = in->match->route->security;
	if (a->cfg.mode == EMU_AUTH_NONE) {
		/* Every request authenticates as admin; it is an agent when the
		 * operation is agent-only or it carries the agent header. */
		out->is_agent = (sec & EMU_SEC_AGENT) && (!(sec & EMU_SEC_USER) || present(in->secret_key));
		return 0;
	}
	/* go-openapi RouteAuthenticators: first accepted scheme wins; otherwise
	 * the last rejection, otherwise "unauthenticated". */
	struct emu_auth_result last;
	int have_last = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(sec & order[i]))
			continue;
		struct emu_auth_result r;
		r.status = 0;
		r.body[0] = '\0';
		enum verdict v = check_scheme(a, order[i], in, &r);
		if (v == V_OK) {
			out->status = 0;
			out->scheme = scheme_name(order[i]);
			out->is_agent = order[i] == EMU_SEC_AGENT || order[i] == EMU_SEC_URL;
			return 0;
		}
		if (v == V_REJECT) {
			last = r;
			last.scheme = scheme_name(order[i]);
			have_last = 1;
		}
	}
	if (have_last) {
		*out = last;
		return 0;
	}
	out->status = 401;
	as_infra_error_body(out->body, sizeof(out->body), 401, "unauthenticated for invalid credentials");
	return 0;
}
