/* Tests for tools/assisted-emulator: emu_jwt (ES256 tokens), emu_auth (none
 * / token / local modes, go-openapi scheme order, failure bodies) and
 * emu_util_query_get. The route table and matcher have test_routes.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "emu_auth.h"
#include "emu_jwt.h"
#include "emu_routes.h"
#include "emu_util.h"
#include "sw_err.h"

#define IE1 "11111111-1111-1111-1111-111111111111"
#define IE2 "22222222-2222-2222-2222-222222222222"
#define CL1 "33333333-3333-3333-3333-333333333333"
#define H1 "44444444-4444-4444-4444-444444444444"
#define API "/api/assisted-install"

/* ---- base64url and JWT ------------------------------------------------------------------ */

static void test_b64url(void **state)
{
	(void)state;
	char enc[64];
	unsigned char dec[64];
	const unsigned char raw[] = {0xfb, 0xff, 0xfe, 0x00, 0x3e};
	int n = emu_b64url_encode(raw, sizeof(raw), enc, sizeof(enc));
	assert_int_equal(n, 7);
	assert_string_equal(enc, "-__-AD4");
	assert_int_equal(emu_b64url_decode(enc, (size_t)n, dec, sizeof(dec)), 5);
	assert_memory_equal(dec, raw, 5);
	/* padding accepted, standard alphabet and bad lengths refused */
	assert_int_equal(emu_b64url_decode("QQ==", 4, dec, sizeof(dec)), 1);
	assert_int_equal(dec[0], 'A');
	assert_int_equal(emu_b64url_decode("+/+/", 4, dec, sizeof(dec)), SW_ERR_PARSE);
	assert_int_equal(emu_b64url_decode("QUJDR", 5, dec, sizeof(dec)), SW_ERR_PARSE);
	assert_int_equal(emu_b64url_decode("QU!D", 4, dec, sizeof(dec)), SW_ERR_PARSE);
	assert_int_equal(emu_b64url_decode("", 0, dec, sizeof(dec)), 0);
	assert_int_equal(emu_b64url_encode(raw, sizeof(raw), enc, 4), SW_ERR_TOO_BIG);
	assert_int_equal(emu_b64url_decode("QUJDRA", 6, dec, 2), SW_ERR_TOO_BIG);
}

static void test_jwt_roundtrip(void **state)
{
	(void)state;
	struct emu_jwt_key *k = emu_jwt_key_new();
	assert_non_null(k);
	char tok[512];
	int n = emu_jwt_sign(k, "infra_env_id", IE1, tok, sizeof(tok));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(tok));
	/* header is the fixed ES256 one, claims decode to the given object */
	const char *d1 = strchr(tok, '.');
	const char *d2 = strchr(d1 + 1, '.');
	unsigned char buf[256];
	int hl = emu_b64url_decode(tok, (size_t)(d1 - tok), buf, sizeof(buf));
	assert_int_equal(hl, (int)strlen("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"));
	assert_memory_equal(buf, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", (size_t)hl);
	int cl = emu_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf));
	json_t *c = json_loadb((const char *)buf, (size_t)cl, 0, NULL);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "infra_env_id")), IE1);
	json_decref(c);
	/* JOSE signature is 64 raw bytes = 86 base64url chars */
	assert_int_equal(strlen(d2 + 1), 86);

	struct emu_jwt_claims claims;
	char reason[128];
	assert_int_equal(emu_jwt_verify(k, tok, (size_t)n, 0, &claims, reason, sizeof(reason)), 0);
	assert_string_equal(claims.infra_env_id, IE1);
	assert_string_equal(claims.cluster_id, "");

	/* the same token against another key fails as the Go library says */
	struct emu_jwt_key *k2 = emu_jwt_key_new();
	assert_non_null(k2);
	assert_int_equal(emu_jwt_verify(k2, tok, (size_t)n, 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	assert_string_equal(reason, "crypto/ecdsa: verification error");

	/* a flipped claims byte breaks the signature */
	char bad[512];
	strcpy(bad, tok);
	bad[d1 - tok + 5] = bad[d1 - tok + 5] == 'A' ? 'B' : 'A';
	assert_int_equal(emu_jwt_verify(k, bad, strlen(bad), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);

	/* cluster claims are read too */
	n = emu_jwt_sign(k, "cluster_id", CL1, tok, sizeof(tok));
	assert_true(n > 0);
	assert_int_equal(emu_jwt_verify(k, tok, (size_t)n, 0, &claims, reason, sizeof(reason)), 0);
	assert_string_equal(claims.cluster_id, CL1);

	assert_int_equal(emu_jwt_sign(k, "infra_env_id", IE1, tok, 40), SW_ERR_TOO_BIG);
	assert_int_equal(emu_jwt_sign(NULL, "infra_env_id", IE1, tok, sizeof(tok)), SW_ERR_INVALID);
	emu_jwt_key_free(&k);
	emu_jwt_key_free(&k2);
	assert_null(k);
	emu_jwt_key_free(&k);
	emu_jwt_key_free(NULL);
}

/* Builds an unsigned-looking token from raw header/claims JSON and a fake signature. */
static void make_token(const char *hdr, const char *claims, const char *sig, char *out, size_t len)
{
	char h[128], c[128];
	emu_b64url_encode(hdr, strlen(hdr), h, sizeof(h));
	emu_b64url_encode(claims, strlen(claims), c, sizeof(c));
	int n = snprintf(out, len, "%s.%s.%s", h, c, sig);
	assert_true(n > 0 && (size_t)n < len);
}

static void test_jwt_malformed(void **state)
{
	(void)state;
	struct emu_jwt_key *k = emu_jwt_key_new();
	struct emu_jwt_claims claims;
	char reason[128], tok[512];
	static const char *const segs[] = {"", "abc", "a.b", "a.b.c.d", "...."};
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		assert_int_equal(emu_jwt_verify(k, segs[i], strlen(segs[i]), 0, &claims, reason,
		                                sizeof(reason)), SW_ERR_INVALID);
		assert_string_equal(reason, "token contains an invalid number of segments");
	}
	assert_int_equal(emu_jwt_verify(k, "!!.e30.AAAA", 11, 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	assert_non_null(strstr(reason, "illegal base64"));
	make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"infra_env_id\":\"x\"}", "AAAA", tok,
	           sizeof(tok));
	assert_int_equal(emu_jwt_verify(k, tok, strlen(tok), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	assert_string_equal(reason, "signing method HS256 is invalid");
	make_token("{\"alg\":\"none\"}", "{}", "", tok, sizeof(tok));
	assert_int_equal(emu_jwt_verify(k, tok, strlen(tok), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	make_token("[1,2]", "{}", "AAAA", tok, sizeof(tok));
	assert_int_equal(emu_jwt_verify(k, tok, strlen(tok), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	make_token("{\"alg\":\"ES256\"}", "not json", "AAAA", tok, sizeof(tok));
	assert_int_equal(emu_jwt_verify(k, tok, strlen(tok), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	/* right algorithm, signature of the wrong length */
	make_token("{\"alg\":\"ES256\"}", "{\"infra_env_id\":\"x\"}", "AAAA", tok, sizeof(tok));
	assert_int_equal(emu_jwt_verify(k, tok, strlen(tok), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	assert_string_equal(reason, "crypto/ecdsa: verification error");
	/* oversized input is refused without decoding */
	char *huge = malloc(20000);
	memset(huge, 'A', 19999);
	huge[19999] = '\0';
	huge[100] = '.';
	huge[200] = '.';
	assert_int_equal(emu_jwt_verify(k, huge, strlen(huge), 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	free(huge);
	assert_int_equal(emu_jwt_verify(NULL, "a.b.c", 5, 0, &claims, reason, sizeof(reason)),
	                 SW_ERR_INVALID);
	emu_jwt_key_free(&k);
}

/* ---- query strings ---------------------------------------------------------------------- */

static void test_query(void **state)
{
	(void)state;
	char v[16];
	assert_int_equal(emu_util_query_get("a=1&api_key=x%2Fy+z&b", "api_key", v, sizeof(v)), 5);
	assert_string_equal(v, "x/y z");
	assert_int_equal(emu_util_query_get("a=1&b", "b", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(emu_util_query_get("api_keyx=1", "api_key", v, sizeof(v)), SW_ERR_NOT_FOUND);
	assert_int_equal(emu_util_query_get("", "api_key", v, sizeof(v)), SW_ERR_NOT_FOUND);
	assert_int_equal(emu_util_query_get(NULL, "api_key", v, sizeof(v)), SW_ERR_NOT_FOUND);
	assert_int_equal(emu_util_query_get("k=%zz", "k", v, sizeof(v)), SW_ERR_PARSE);
	assert_int_equal(emu_util_query_get("k=%4", "k", v, sizeof(v)), SW_ERR_PARSE);
	assert_int_equal(emu_util_query_get("k=0123456789abcdefXYZ", "k", v, sizeof(v)), SW_ERR_TOO_BIG);
}

/* ---- authentication --------------------------------------------------------------------- */

struct fake_db {
	const char *infra_env;
	const char *cluster;
};

static int fake_ie(void *arg, const char *id)
{
	struct fake_db *db = arg;
	return db->infra_env && strcmp(db->infra_env, id) == 0;
}

static int fake_cl(void *arg, const char *id)
{
	struct fake_db *db = arg;
	return db->cluster && strcmp(db->cluster, id) == 0;
}

/* Runs one check of |method| |path| with the given credentials. */
static struct emu_auth_result check(struct emu_auth *a, const char *method, const char *path,
                                    const char *authz, const char *secret, const char *api_key)
{
	struct emu_route_match m;
	assert_int_equal(emu_route_match(method, path, &m), EMU_ROUTE_MATCH);
	struct emu_auth_input in = {
		.match = &m, .authorization = authz, .secret_key = secret,
		.api_key = api_key, .now_s = 1700000000,
	};
	struct emu_auth_result r;
	assert_int_equal(emu_auth_check(a, &in, &r), 0);
	return r;
}

static const char *msg_of(const struct emu_auth_result *r)
{
	static char buf[512];
	json_t *j = json_loads(r->body, 0, NULL);
	assert_non_null(j);
	const char *m = json_string_value(json_object_get(j, "message"));
	if (!m)
		m = json_string_value(json_object_get(j, "reason"));
	assert_non_null(m);
	snprintf(buf, sizeof(buf), "%s", m);
	json_decref(j);
	return buf;
}

#define NEXT_STEPS API "/v2/infra-envs/" IE1 "/hosts/" H1 "/instructions"
#define GET_CLUSTER API "/v2/clusters/" CL1
#define REG_CLUSTER API "/v2/clusters"
#define CLUSTER_FILES API "/v2/clusters/" CL1 "/downloads/files"
#define IE_FILES1 API "/v2/infra-envs/" IE1 "/downloads/files"
#define IE_FILES2 API "/v2/infra-envs/" IE2 "/downloads/files"

static void test_auth_none(void **state)
{
	(void)state;
	char err[128];
	struct emu_auth_cfg cfg = {.mode = EMU_AUTH_NONE};
	struct emu_auth *a = emu_auth_new(&cfg, err, sizeof(err));
	assert_non_null(a);
	struct emu_auth_result r = check(a, "GET", NEXT_STEPS, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 1);
	r = check(a, "POST", REG_CLUSTER, "garbage", "garbage", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 0);
	r = check(a, "GET", GET_CLUSTER, NULL, NULL, NULL);
	assert_int_equal(r.is_agent, 0);
	r = check(a, "GET", GET_CLUSTER, NULL, "x", NULL);
	assert_int_equal(r.is_agent, 1);
	char tok[64];
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "");
	emu_auth_free(&a);
	assert_null(a);
	emu_auth_free(&a);
}

static void test_auth_token(void **state)
{
	(void)state;
	char err[128];
	struct emu_auth_cfg cfg = {.mode = EMU_AUTH_TOKEN};
	assert_null(emu_auth_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "--pull-secret-token"));
	cfg.pull_secret_token = "ps-token";
	cfg.user_token = "user-token";
	struct emu_auth *a = emu_auth_new(&cfg, err, sizeof(err));
	assert_non_null(a);

	/* agent-only operation: only X-Secret-Key counts */
	struct emu_auth_result r = check(a, "GET", NEXT_STEPS, NULL, "ps-token", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 1);
	assert_string_equal(r.scheme, "agentAuth");
	r = check(a, "GET", NEXT_STEPS, "Bearer user-token", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "unauthenticated for invalid credentials");
	assert_string_equal(r.body, "{\"code\":401,\"message\":\"unauthenticated for invalid credentials\"}");
	r = check(a, "GET", NEXT_STEPS, NULL, NULL, NULL);
	assert_int_equal(r.status, 401);
	r = check(a, "GET", NEXT_STEPS, NULL, "", NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "unauthenticated for invalid credentials");
	r = check(a, "GET", NEXT_STEPS, NULL, "wrong", NULL);
	assert_int_equal(r.status, 401);
	assert_string_not_equal(msg_of(&r), "unauthenticated for invalid credentials");

	/* user operation: Bearer user-token only */
	r = check(a, "POST", REG_CLUSTER, "Bearer user-token", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 0);
	r = check(a, "POST", REG_CLUSTER, "  bearer   user-token  ", NULL, NULL);
	assert_int_equal(r.status, 0);
	r = check(a, "POST", REG_CLUSTER, NULL, "ps-token", NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "unauthenticated for invalid credentials");
	r = check(a, "POST", REG_CLUSTER, "user-token", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "Authorization header format must be Bearer {token}");
	r = check(a, "POST", REG_CLUSTER, "Bearer a b", NULL, NULL);
	assert_int_equal(r.status, 401);
	r = check(a, "POST", REG_CLUSTER, "Bearer other", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "Error parsing token or token is invalid");

	/* either: a bad user token does not spoil a good agent token (go-openapi order) */
	r = check(a, "GET", GET_CLUSTER, "Bearer other", "ps-token", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 1);
	r = check(a, "GET", GET_CLUSTER, "Bearer user-token", "wrong", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 0);
	r = check(a, "GET", GET_CLUSTER, "Bearer other", "wrong", NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.scheme, "agentAuth"); /* the last rejection is reported */
	/* urlAuth does not exist in this mode */
	r = check(a, "GET", CLUSTER_FILES, NULL, NULL, "ps-token");
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "URL Authentication not allowed for rhsso auth");

	char tok[64];
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "ps-token");
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok, 4), SW_ERR_TOO_BIG);
	emu_auth_free(&a);

	/* without --user-token any Bearer token is a user */
	cfg.user_token = NULL;
	a = emu_auth_new(&cfg, err, sizeof(err));
	r = check(a, "POST", REG_CLUSTER, "Bearer whatever", NULL, NULL);
	assert_int_equal(r.status, 0);
	emu_auth_free(&a);
}

static void test_auth_local(void **state)
{
	(void)state;
	char err[128], tok1[512], tok2[512], tokc[512], user[600];
	struct fake_db db = {IE1, CL1};
	struct emu_auth_cfg cfg = {.mode = EMU_AUTH_LOCAL, .infraenv_exists = fake_ie,
	                           .cluster_exists = fake_cl, .exists_arg = &db};
	struct emu_auth *a = emu_auth_new(&cfg, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok1, sizeof(tok1)), 0);
	assert_int_equal(emu_auth_make_infraenv_token(a, IE2, tok2, sizeof(tok2)), 0);
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok1, 10), SW_ERR_TOO_BIG);
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok1, sizeof(tok1)), 0);

	struct emu_auth_result r = check(a, "GET", NEXT_STEPS, NULL, tok1, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 1);
	/* second use comes from the cache */
	uint64_t hits, misses;
	r = check(a, "GET", NEXT_STEPS, NULL, tok1, NULL);
	assert_int_equal(r.status, 0);
	emu_auth_cache_stats(a, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);

	/* a valid token of an infra-env that does not exist (any more) */
	r = check(a, "GET", NEXT_STEPS, NULL, tok2, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "infraEnv " IE2 " does not exist");
	db.infra_env = NULL;
	r = check(a, "GET", NEXT_STEPS, NULL, tok1, NULL); /* cached signature, existence rechecked */
	assert_int_equal(r.status, 401);
	db.infra_env = IE1;

	/* the real service does not scope agent tokens; strict mode answers 403 */
	db.infra_env = IE2;
	r = check(a, "GET", NEXT_STEPS, NULL, tok2, NULL);
	assert_int_equal(r.status, 0);
	db.infra_env = IE1;

	r = check(a, "GET", NEXT_STEPS, NULL, "garbage", NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r),
	                    "Failed to parse token: token contains an invalid number of segments\n");
	r = check(a, "GET", NEXT_STEPS, NULL, NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "unauthenticated for invalid credentials");

	/* user auth is always refused, even with the agent token as Bearer */
	snprintf(user, sizeof(user), "Bearer %s", tok1);
	r = check(a, "POST", REG_CLUSTER, user, NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "User Authentication not allowed for local auth");
	r = check(a, "POST", REG_CLUSTER, NULL, tok1, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "unauthenticated for invalid credentials");
	/* but the agent token works on "either" operations */
	r = check(a, "GET", GET_CLUSTER, user, tok1, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 1);

	/* urlAuth is scope-checked against the path: 404 Object Not Found */
	r = check(a, "GET", IE_FILES1, NULL, NULL, tok1);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.scheme, "urlAuth");
	db.infra_env = IE2;
	r = check(a, "GET", IE_FILES1, NULL, NULL, tok2);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "{\"kind\":\"Error\",\"id\":404,\"href\":\"\",\"code\":\"404\","
	                            "\"reason\":\"Object Not Found\"}");
	r = check(a, "GET", IE_FILES2, NULL, NULL, tok2);
	assert_int_equal(r.status, 0);
	db.infra_env = IE1;
	emu_auth_free(&a);

	/* escape hatch and strict scope */
	cfg.local_user_token = "tests-only";
	cfg.local_strict_scope = 1;
	a = emu_auth_new(&cfg, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(emu_auth_make_infraenv_token(a, IE1, tok1, sizeof(tok1)), 0);
	assert_int_equal(emu_auth_make_infraenv_token(a, IE2, tok2, sizeof(tok2)), 0);
	r = check(a, "POST", REG_CLUSTER, "Bearer tests-only", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.is_agent, 0);
	r = check(a, "POST", REG_CLUSTER, "Bearer nope", NULL, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "User Authentication not allowed for local auth");
	db.infra_env = IE2;
	r = check(a, "GET", NEXT_STEPS, NULL, tok2, NULL);
	assert_int_equal(r.status, 403);
	db.infra_env = IE1;
	/* tokens of the previous key are refused by the new one */
	strcpy(tokc, tok1);
	emu_auth_free(&a);
	a = emu_auth_new(&cfg, err, sizeof(err));
	r = check(a, "GET", NEXT_STEPS, NULL, tokc, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(msg_of(&r), "Failed to parse token: crypto/ecdsa: verification error\n");
	emu_auth_free(&a);
}

static void test_auth_args(void **state)
{
	(void)state;
	char err[64];
	struct emu_auth_cfg cfg = {.mode = EMU_AUTH_NONE};
	struct emu_auth *a = emu_auth_new(&cfg, err, sizeof(err));
	struct emu_auth_result r;
	assert_int_equal(emu_auth_check(a, NULL, &r), SW_ERR_INVALID);
	assert_int_equal(emu_auth_check(a, NULL, NULL), SW_ERR_INVALID);
	struct emu_route_match m = {0};
	m.result = EMU_ROUTE_NOT_FOUND;
	struct emu_auth_input in = {.match = &m};
	assert_int_equal(emu_auth_check(a, &in, &r), SW_ERR_INVALID);
	assert_int_equal(emu_auth_make_infraenv_token(NULL, IE1, err, sizeof(err)), SW_ERR_INVALID);
	assert_null(emu_auth_new(NULL, err, sizeof(err)));
	emu_auth_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_jwt_roundtrip),
		cmocka_unit_test(test_jwt_malformed),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_auth_none),
		cmocka_unit_test(test_auth_token),
		cmocka_unit_test(test_auth_local),
		cmocka_unit_test(test_auth_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
