/* Fuzz target for the emulator front end's parsers of untrusted input:
 * JWTs (emu_jwt_verify, emu_b64url_decode, local-mode emu_auth_check),
 * request paths (emu_route_match) and query strings (emu_util_query_get).
 * Built with libFuzzer when -Dfuzzing_engine=libfuzzer; otherwise main()
 * replays the corpus given as arguments and then runs a fixed-seed mutation
 * run over valid tokens and paths (deterministic, bounded). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_auth.h"
#include "emu_jwt.h"
#include "emu_routes.h"
#include "emu_util.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IE "11111111-1111-1111-1111-111111111111"

static int exists(void *arg, const char *id)
{
	return strcmp(id, IE) == 0;
}

/* One authenticator for the whole process (keys are slow to make). */
static struct emu_auth *auth(void)
{
	static struct emu_auth *a;
	if (!a) {
		char err[128];
		struct emu_auth_cfg cfg = {.mode = EMU_AUTH_LOCAL, .infraenv_exists = exists,
		                           .cluster_exists = exists, .local_user_token = "u"};
		a = emu_auth_new(&cfg, err, sizeof(err));
		if (!a)
			abort();
	}
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	char *s = malloc(size + 1);
	char *path = malloc(size + 64);
	if (!s || !path)
		abort();
	memcpy(s, data, size);
	s[size] = '\0'; /* embedded NULs just end the string early */
	unsigned char out[512];
	char q[256];
	emu_b64url_decode(s, strlen(s), out, sizeof(out));
	emu_util_query_get(s, "api_key", q, sizeof(q));
	emu_util_query_get(s, "", q, sizeof(q));
	struct emu_jwt_claims claims;
	char reason[128];
	struct emu_auth *a = auth();
	(void)emu_jwt_verify(NULL, s, size, 0, &claims, reason, sizeof(reason));

	snprintf(path, size + 64, "/api/assisted-install%s", s);
	struct emu_route_match m;
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	for (size_t i = 0; i < 5; i++) {
		if (emu_route_match(methods[i], path, &m) == EMU_ROUTE_MATCH) {
			for (int k = 0; k < m.nparams; k++)
				if (strlen(m.params[k].value) > EMU_ROUTE_PARAM_MAX)
					abort();
			struct emu_auth_input in = {.match = &m, .secret_key = s,
			                            .api_key = s, .authorization = s, .now_s = 1};
			struct emu_auth_result r;
			if (emu_auth_check(a, &in, &r) != 0)
				abort();
		}
	}
	/* the token as an agent credential on a fixed operation */
	const char *fixed = "/api/assisted-install/v2/infra-envs/" IE "/hosts/" IE "/instructions";
	if (emu_route_match("GET", fixed, &m) != EMU_ROUTE_MATCH)
		abort();
	struct emu_auth_input in = {.match = &m, .secret_key = s, .now_s = 1};
	struct emu_auth_result r;
	if (emu_auth_check(a, &in, &r) != 0 || (r.status != 0 && r.status != 401))
		abort();
	free(s);
	free(path);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		fuzz_replay(argv[i], 16384, fuzz_run, NULL);
	/* seeds: a valid token of the process key, and paths */
	char tok[512];
	if (emu_auth_make_infraenv_token(auth(), IE, tok, sizeof(tok)) != 0)
		return 1;
	const char *seeds[] = {tok, "/v2/infra-envs/" IE "/hosts/" IE "/instructions",
	                       "/v2/clusters/" IE "/downloads/files?file_name=x", "a=1&api_key=%41%4"};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t buf[1024];
	for (int iter = 0; iter < 20000; iter++) {
		const char *seed = seeds[iter % 4];
		size_t n = strlen(seed);
		memcpy(buf, seed, n);
		n = fuzz_mutate(buf, n, sizeof(buf), 0, ".%/{}=&", ".", &x);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("fuzz_emu_auth: corpus replayed, 20000 mutations ok\n");
	return 0;
}
#endif
