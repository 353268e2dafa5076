/* Fuzz target for the emulator's path normalisation and route matching
 * (emu_routes.h). Input: one byte choosing the method, then the path. It
 * checks that emu_path_clean() is idempotent and leaves no "//", "." or
 * ".." segment (rooted) and no trailing '/', that matching a path equals
 * matching its cleaned form, that a match is self-consistent (method,
 * parameter count and bounds), and that the model runs no operation for a
 * request that matched none. Built with libFuzzer when
 * -Dfuzzing_engine=libfuzzer; otherwise main() replays the corpus given as
 * arguments and runs a bounded fixed-seed mutation pass over seed paths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_model.h"
#include "emu_routes.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "get", "HEAD", "X"};

/* One model for the process: unmatched requests must not touch it. */
static struct emu_model *model(void)
{
	static struct emu_model *m;
	if (!m) {
		struct emu_model_cfg cfg;
		emu_model_cfg_init(&cfg);
		m = emu_model_new(&cfg);
		if (!m)
			abort();
	}
	return m;
}

static void check_clean(const char *s, size_t n, char *a, char *b, size_t cap)
{
	long la = emu_path_clean(s, n, a, cap);
	if (la < 0)
		abort(); /* the output is never longer than the input + 1 */
	long lb = emu_path_clean(a, (size_t)la, b, cap);
	if (lb != la || memcmp(a, b, (size_t)la) != 0)
		abort(); /* idempotent */
	if (memmem(a, (size_t)la, "//", 2) || (la > 1 && a[la - 1] == '/'))
		abort();
	if (a[0] == '/' && (strstr(a, "/./") || strstr(a, "/../") ||
	                    (la >= 2 && strcmp(a + la - 2, "/.") == 0) ||
	                    (la >= 3 && strcmp(a + la - 3, "/..") == 0)))
		abort();
}

static void check_match(const char *meth, const char *path, const char *clean)
{
	struct emu_route_match m1, m2;
	enum emu_route_result r1 = emu_route_match(meth, path, &m1);
	if (r1 != m1.result)
		abort();
	if (path[0] == '/') {
		emu_route_match(meth, clean, &m2);
		if (m2.result != r1 || m2.index != m1.index || m2.nparams != m1.nparams)
			abort();
		for (int i = 0; i < m1.nparams; i++)
			if (strcmp(m1.params[i].value, m2.params[i].value) != 0 ||
			    m1.params[i].invalid != m2.params[i].invalid)
				abort();
	}
	if (r1 == EMU_ROUTE_MATCH) {
		const struct emu_route *routes;
		emu_routes_table(&routes);
		if (m1.route != &routes[m1.index] || strcasecmp(m1.route->method, meth) != 0)
			abort();
		int braces = 0;
		for (const char *t = m1.route->path; *t; t++)
			braces += *t == '{';
		if (braces != m1.nparams)
			abort();
		for (int i = 0; i < m1.nparams; i++)
			if (strlen(m1.params[i].value) > EMU_ROUTE_PARAM_MAX ||
			    (m1.params[i].len > EMU_ROUTE_PARAM_MAX && !m1.params[i].invalid))
				abort();
	} else {
		if (m1.route || m1.index != -1)
			abort();
		if (r1 == EMU_ROUTE_NOT_ALLOWED && !m1.allowed[0])
			abort();
		/* nothing runs for a request that matched no operation */
		struct emu_model *md = model();
		uint64_t before = emu_model_requests(md);
		struct emu_request req = {.method = meth, .path = path, .query = "", .body = "",
		                          .now_ns = 1, .wall_s = 1700000000};
		struct emu_response resp;
		if (emu_model_handle_match(md, &m1, &req, &resp) != 0 ||
		    emu_model_requests(md) != before || (resp.status != 404 && resp.status != 405))
			abort();
		free(resp.body);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	const char *meth = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	size_t n = size - 1;
	/* Half the inputs get the base path in front, so deep matching is reached. */
	const char *prefix = (data[0] & 0x80) ? "/api/assisted-install" : "";
	size_t pl = strlen(prefix);
	char *path = malloc(pl + n + 1), *a = malloc(pl + n + 3), *b = malloc(pl + n + 3);
	if (!path || !a || !b)
		abort();
	memcpy(path, prefix, pl);
	memcpy(path + pl, data + 1, n);
	path[pl + n] = '\0';
	size_t len = strlen(path); /* an embedded NUL ends the path, as in the server */
	check_clean(path, len, a, b, pl + n + 3);
	check_match(meth, path, a);
	free(path);
	free(a);
	free(b);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		fuzz_replay(argv[i], 8192, fuzz_run, NULL);
	static const char *const seeds[] = {
		"\x80/v2/infra-envs/11111111-1111-1111-1111-111111111111/hosts/x/instructions",
		"\x81/v2/clusters//33333333-3333-3333-3333-333333333333/./logs/",
		"\x80/v2/x/../clusters/%2e%2e/%2F/hosts",
		"\x00/api//assisted-install/v2/./clusters/../events",
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t buf[512];
	for (int iter = 0; iter < 20000; iter++) {
		const char *seed = seeds[iter % 4];
		size_t n = strlen(seed + 1) + 1;
		memcpy(buf, seed, n);
		n = fuzz_mutate(buf, n, sizeof(buf), 1, "./%2Fe{}", "/..", &x);
		LLVMFuzzerTestOneInput(buf, n);
	}
	struct emu_model *m = model();
	emu_model_free(&m);
	printf("fuzz_emu_routes: corpus replayed, 20000 mutations ok\n");
	return 0;
}
#endif
