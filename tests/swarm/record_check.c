/*
 * record_check: checks every request of an emulator --record file (a swarm
 * run) against the per-operation tables generated from the swagger
 * (tools/emulator-model: emu_opmeta.c, emu_schema.c) -- no swagger needed:
 *  - the request ran an operation (the route table; only the API generation
 *    probe may match none) and, in a healthy run, was answered 2xx;
 *  - the operation is one the swarm's own table names (swarm/ops.c);
 *  - Accept is exactly what a go-swagger client sends (the operation's
 *    produces), Content-Type its first consumes with a body and absent
 *    without one, and the service's negotiation accepts the pair;
 *  - path parameters of format uuid are UUIDs; query parameters are declared
 *    by the operation, of its type and format, in its enum; required ones
 *    are present;
 *  - JSON bodies have only the fields of the operation's body definition
 *    (with --generation 2023 also api_vip/ingress_vip, which that service
 *    knew), of the right JSON types, and the required ones.
 * With --replay EMULATOR it then sends one request per operation seen to a
 * fresh emulator with a wrong Accept (bodiless requests: 406) or a wrong
 * Content-Type (with a body: 415) and checks the framework's answers.
 *
 * usage: record_check RECORD.jsonl [--generation current|2023] [--replay EMULATOR]
 * exit 0 when everything held, 1 with the failures listed, 2 on usage errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "e2e_util.h"
#include "emu_opmeta.h"
#include "emu_routes.h"
#include "emu_schema.h"
#include "ops.h"
#include "sw_err.h"

#define MAX_FAILS 200
#define MAX_SEEN 128

static unsigned long nfail;

static void failf(const char *op, const char *method, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void failf(const char *op, const char *method, const char *path, const char *fmt, ...)
{
	va_list ap;
	if (++nfail > MAX_FAILS)
		return;
	printf("FAIL %s %s %s: ", op ? op : "-", method ? method : "-", path ? path : "-");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int in_list(const char *const *l, const char *v)
{
	for (int i = 0; l && l[i]; i++)
		if (!strcmp(l[i], v))
			return 1;
	return 0;
}

/* A value of a scalar parameter: type, format, enum. Returns a reason or NULL. */
static const char *scalar_bad(enum emu_param_type t, const char *format, const char *const *enums,
                              const char *v)
{
	static const char *const bools[] = {"true", "false", "1", "0", "yes", "no", "y", "n", "on",
	                                    "off", "t", "f", "ok", "selected", "checked",
	                                    "unchecked", "enabled", "disabled", NULL};
	char *end = NULL;
	switch (t) {
	case EMU_PT_INTEGER:
		errno = 0;
		(void)strtoll(v, &end, 10);
		if (!*v || *end || errno)
			return "not an integer";
		break;
	case EMU_PT_NUMBER:
		(void)strtod(v, &end);
		if (!*v || *end)
			return "not a number";
		break;
	case EMU_PT_BOOLEAN:
		if (!in_list(bools, v))
			return "not a boolean";
		break;
	default:
		break;
	}
	if (format && !strcmp(format, "uuid") && !is_uuid(v))
		return "not a uuid";
	if (enums && !in_list(enums, v))
		return "not one of the enum's values";
	return NULL;
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* url.QueryUnescape into |out| (|len| bytes); -1 on a bad escape. */
static int unescape(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n + 0 || hexv(s[i + 1]) < 0 || hexv(s[i + 2]) < 0)
				return -1;
			c = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			i += 2;
		}
		if (o + 1 < len)
			out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static void check_query(const struct emu_op_meta *op, const char *q, const char *method,
                        const char *path)
{
	int seen[32] = {0};
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		char key[128], val[512];
		size_t kl = eq ? (size_t)(eq - q) : n;
		if (unescape(q, kl, key, sizeof(key)) < 0 ||
		    unescape(eq ? eq + 1 : "", eq ? n - kl - 1 : 0, val, sizeof(val)) < 0) {
			failf(op->operation, method, path, "bad escape in the query");
		} else {
			const struct emu_param_meta *p = NULL;
			for (size_t i = 0; i < op->nparams; i++)
				if (op->params[i].in == EMU_IN_QUERY && !strcmp(op->params[i].name, key)) {
					p = &op->params[i];
					if (i < 32)
						seen[i] = 1;
				}
			const char *why = NULL;
			if (!p)
				failf(op->operation, method, path, "query parameter '%s' is not declared", key);
			else if (p->type == EMU_PT_ARRAY) {
				/* csv items (multi: one key per item) */
				char *save = NULL, *item = strtok_r(val, ",", &save);
				for (; item && !why; item = strtok_r(NULL, ",", &save))
					why = scalar_bad(p->item_type, p->item_format, p->item_enums, item);
			} else {
				why = scalar_bad(p->type, p->format, p->enums, val);
			}
			if (why)
				failf(op->operation, method, path, "query parameter %s=%s: %s", key, val, why);
		}
		q = amp ? amp + 1 : q + n;
	}
	for (size_t i = 0; i < op->nparams && i < 32; i++)
		if (op->params[i].in == EMU_IN_QUERY && op->params[i].required && !seen[i])
			failf(op->operation, method, path, "required query parameter '%s' missing",
			      op->params[i].name);
}

static void check_body(const struct emu_op_meta *op, json_t *rec, int gen2023, const char *method,
                       const char *path)
{
	static const char *const extra2023[] = {"api_vip", "ingress_vip", NULL};
	const char *ct = json_string_value(json_object_get(rec, "request_content_type"));
	const char *body = json_string_value(json_object_get(rec, "request_body"));
	const struct emu_param_meta *bp = NULL;
	for (size_t i = 0; i < op->nparams; i++)
		if (op->params[i].in == EMU_IN_BODY)
			bp = &op->params[i];
	if (!bp || !ct || !strstr(ct, "json") || !body)
		return;
	json_error_t je;
	json_t *v = json_loads(body, JSON_DECODE_ANY, &je);
	if (!v) {
		failf(op->operation, method, path, "body is not JSON: %s", je.text);
		return;
	}
	int def = bp->schema ? emu_schema_find(bp->schema) : -1;
	char msg[256];
	if (def >= 0) {
		if (emu_schema_check(def, v, gen2023 ? extra2023 : NULL, NULL, msg, sizeof(msg)) < 0)
			failf(op->operation, method, path, "body: %s", msg);
		const char *miss = emu_schema_missing(def, v);
		if (miss)
			failf(op->operation, method, path, "body: required field '%s' missing", miss);
	} else if (bp->schema && !strcmp(bp->schema, "ingress-cert-params") && !json_is_string(v)) {
		failf(op->operation, method, path, "body: ingress-cert-params is a JSON string");
	}
	json_decref(v);
}

/* Operations seen, for the replay (first occurrence of each). */
struct seen_op {
	int route;
	json_t *rec;
};

static int swarm_names(const char *operation)
{
	for (int ep = 0; ep < EP_COUNT; ep++) {
		const char *l = swarm_op((enum swarm_ep)ep)->operations;
		size_t n = strlen(operation);
		for (const char *p = l; p && (p = strstr(p, operation)); p += n)
			if ((p == l || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
				return 1;
	}
	return 0;
}

static void check_record(json_t *rec, int gen2023, struct seen_op *seen, size_t *nseen)
{
	const char *method = json_string_value(json_object_get(rec, "method"));
	const char *path = json_string_value(json_object_get(rec, "path"));
	const char *query = json_string_value(json_object_get(rec, "query"));
	const char *opname = json_string_value(json_object_get(rec, "operation"));
	const char *accept = json_string_value(json_object_get(rec, "request_accept"));
	const char *ct = json_string_value(json_object_get(rec, "request_content_type"));
	int status = (int)json_integer_value(json_object_get(rec, "status"));
	json_int_t blen = json_integer_value(json_object_get(rec, "request_body_len"));
	if (!method || !path || !opname) {
		failf(NULL, NULL, NULL, "record line without method, path or operation");
		return;
	}
	struct emu_route_match m;
	emu_route_match_absent(method, path, gen2023 ? EMU_ROUTE_AFTER_2023 : 0, &m);
	if (m.result != EMU_ROUTE_MATCH) {
		/* only the generation probe asks for what may not exist */
		int probe = !strcmp(method, "GET") && strstr(path, "/v2/clusters/") &&
		            strlen(path) > 9 && !strcmp(path + strlen(path) - 9, "/progress");
		if (!probe || (status != 404 && status != 405))
			failf(opname, method, path, "matches no operation (status %d)", status);
		return;
	}
	const struct emu_op_meta *op = &emu_op_metas[m.index];
	if (strcmp(op->operation, opname))
		failf(opname, method, path, "recorded as %s, the route table says %s", opname, op->operation);
	if (!swarm_names(op->operation))
		failf(op->operation, method, path, "an operation the swarm's table (swarm/ops.c) does not name");
	if (status < 200 || status > 299)
		failf(op->operation, method, path, "answered %d in a healthy run", status);
	/* headers as a go-swagger client sends them */
	if (!accept || strcmp(accept, op->produces[0]) || op->produces[1])
		failf(op->operation, method, path, "Accept '%s', the operation produces '%s'",
		      accept ? accept : "(none)", op->produces[0]);
	if (blen > 0) {
		char mt[128];
		const char *why = NULL;
		if (!ct || emu_mime_parse(ct, mt, sizeof(mt), &why) < 0 || strcmp(mt, op->consumes[0]))
			failf(op->operation, method, path, "Content-Type '%s' with a body, the operation "
			      "consumes '%s'", ct ? ct : "(none)", op->consumes[0]);
	} else if (ct) {
		failf(op->operation, method, path, "Content-Type '%s' without a body", ct);
	}
	char msg[512];
	if (emu_op_negotiate(op, ct, blen > 0, accept, msg, sizeof(msg)) != EMU_NEG_OK)
		failf(op->operation, method, path, "the service would refuse it: %s", msg);
	for (int i = 0; i < m.nparams; i++) {
		for (size_t k = 0; k < op->nparams; k++) {
			const struct emu_param_meta *p = &op->params[k];
			if (p->in != EMU_IN_PATH || strlen(p->name) != m.params[i].name_len ||
			    strncmp(p->name, m.params[i].name, m.params[i].name_len))
				continue;
			const char *why = scalar_bad(p->type, p->format, p->enums, m.params[i].value);
			if (why)
				failf(op->operation, method, path, "path parameter %s: %s", p->name, why);
		}
	}
	check_query(op, query, method, path);
	check_body(op, rec, gen2023, method, path);
	for (size_t i = 0; i < *nseen; i++)
		if (seen[i].route == m.index)
			return;
	if (*nseen >= MAX_SEEN)
		return;
	seen[*nseen].route = m.index;
	seen[*nseen].rec = json_incref(rec);
	(*nseen)++;
}

/* Sends each operation once with wrong headers to a fresh emulator. */
static void replay(const char *emulator, struct seen_op *seen, size_t nseen)
{
	char *argv[] = {(char *)emulator, "--listen", "127.0.0.1:0", "--quiet", NULL};
	struct e2e_child child;
	if (e2e_child_start(argv, &child) != 0) {
		failf(NULL, NULL, NULL, "cannot start %s", emulator);
		return;
	}
	struct e2e_http h;
	char err[256];
	if (e2e_http_h2c(&h, child.port, err, sizeof(err)) < 0)
		failf(NULL, NULL, NULL, "client: %s", err);
	unsigned n406 = 0, n415 = 0;
	for (size_t i = 0; h.client && i < nseen; i++) {
		const struct emu_op_meta *op = &emu_op_metas[seen[i].route];
		json_t *rec = seen[i].rec;
		const char *method = json_string_value(json_object_get(rec, "method"));
		const char *path = json_string_value(json_object_get(rec, "path"));
		const char *query = json_string_value(json_object_get(rec, "query"));
		const char *body = json_string_value(json_object_get(rec, "request_body"));
		int has_body = json_integer_value(json_object_get(rec, "request_body_len")) > 0;
		char target[2048], want[512];
		snprintf(target, sizeof(target), "%s%s%s", path, query && *query ? "?" : "",
		         query ? query : "");
		struct e2e_res res;
		if (!has_body) {
			const char *hdrs[] = {"accept", "text/html", NULL};
			e2e_call(&h, method, target, hdrs, NULL, NULL, 0, &res);
			snprintf(want, sizeof(want), "{\"code\":406,\"message\":\"unsupported media type "
			         "requested, only [%s] are available\"}", op->produces[0]);
			if (res.status != 406 || !res.body || strcmp(res.body, want))
				failf(op->operation, method, path, "with Accept text/html: %d %s, want 406 %s",
				      res.status, res.body ? res.body : "", want);
			n406++;
		} else {
			const char *hdrs[] = {"accept", op->produces[0], NULL};
			const char *b = body && *body ? body : "x";
			e2e_call(&h, method, target, hdrs, "text/plain", b, strlen(b), &res);
			snprintf(want, sizeof(want), "{\"code\":415,\"message\":\"unsupported media type "
			         "\\\"text/plain\\\", only [%s] are allowed\"}", op->consumes[0]);
			if (res.status != 415 || !res.body || strcmp(res.body, want))
				failf(op->operation, method, path, "with Content-Type text/plain: %d %s, want 415 %s",
				      res.status, res.body ? res.body : "", want);
			n415++;
		}
		e2e_res_free(&res);
	}
	e2e_http_close(&h);
	e2e_child_stop(&child);
	printf("replay: %u bodiless operations answered 406 to a wrong Accept, %u with a body 415 "
	       "to a wrong Content-Type\n", n406, n415);
}

int main(int argc, char **argv)
{
	const char *file = NULL, *emulator = NULL;
	int gen2023 = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--generation") && i + 1 < argc) {
			const char *g = argv[++i];
			if (strcmp(g, "current") && strcmp(g, "2023")) {
				fprintf(stderr, "record_check: --generation current|2023\n");
				return 2;
			}
			gen2023 = !strcmp(g, "2023");
		} else if (!strcmp(argv[i], "--replay") && i + 1 < argc) {
			emulator = argv[++i];
		} else if (!file && argv[i][0] != '-') {
			file = argv[i];
		} else {
			fprintf(stderr, "usage: record_check RECORD.jsonl [--generation current|2023] "
			        "[--replay EMULATOR]\n");
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "usage: record_check RECORD.jsonl [--generation current|2023] "
		        "[--replay EMULATOR]\n");
		return 2;
	}
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "record_check: %s: %s\n", file, strerror(errno));
		return 2;
	}
	struct seen_op seen[MAX_SEEN];
	size_t nseen = 0, lines = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *rec = json_loads(line, 0, &je);
		lines++;
		if (!rec) {
			failf(NULL, NULL, NULL, "line %zu is not JSON: %s", lines, je.text);
			continue;
		}
		check_record(rec, gen2023, seen, &nseen);
		json_decref(rec);
	}
	free(line);
	fclose(f);
	if (!lines)
		failf(NULL, NULL, NULL, "%s holds no request", file);
	printf("record_check: %zu requests over %zu operations (%s generation)\n", lines, nseen,
	       gen2023 ? "2023" : "current");
	for (size_t i = 0; i < nseen; i++)
		printf("  %s\n", emu_op_metas[seen[i].route].operation);
	if (emulator)
		replay(emulator, seen, nseen);
	for (size_t i = 0; i < nseen; i++)
		json_decref(seen[i].rec);
	if (nfail > MAX_FAILS)
		printf("... %lu failures in all\n", nfail);
	printf("record_check: %lu failures\n", nfail);
	return nfail ? 1 : 0;
}
