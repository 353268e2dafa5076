/*
 * kubeconfig: see kubeconfig.h. The file is loaded with libyaml's document
 * API and walked by name; a value of the wrong shape is reported with its
 * FILE:LINE:COL and key path. Keys the swarm does not use (preferences,
 * extensions, namespace, proxy-url, ...) are ignored, as kubectl ignores
 * what it does not know: real kubeconfigs carry many.
 */
#include "kubeconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "b64.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_xalloc.h"

#define KC_MAX_FILE (4u << 20)
#define KC_MAX_TOKEN (64u << 10)

struct kc_ctx {
	const char *path;
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static void kc_errf(struct kc_ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void kc_errf(struct kc_ctx *c, const yaml_node_t *at, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s:%u:%u: ", c->path,
	                 at ? (unsigned)at->start_mark.line + 1 : 1,
	                 at ? (unsigned)at->start_mark.column + 1 : 1);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	if (key) {
		int m = snprintf(c->err + n, c->errlen - (size_t)n, "key '%s': ", key);
		if (m < 0 || (size_t)(n + m) >= c->errlen)
			return;
		n += m;
	}
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int is_null(const yaml_node_t *n)
{
	const char *v = scalar(n);
	return !n || (v && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	              (!*v || !strcmp(v, "~") || !strcmp(v, "null")));
}

/* The value of |key| in mapping |map| (NULL when absent or |map| is none). */
static yaml_node_t *get(struct kc_ctx *c, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&c->doc, p->key));
		if (k && !strcmp(k, key))
			return yaml_document_get_node(&c->doc, p->value);
	}
	return NULL;
}

/* The string at |key| of |map| (|prefix|.|key| names it in messages; no
 * prefix at the top): 0 with *out (borrowed; NULL when absent or null), or
 * SW_ERR_PARSE. */
static int get_str(struct kc_ctx *c, const yaml_node_t *map, const char *prefix, const char *key,
                   const char **out)
{
	yaml_node_t *v = get(c, map, key);
	char path[256];
	snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
	*out = NULL;
	if (is_null(v))
		return 0;
	if (!scalar(v)) {
		kc_errf(c, v, path, "expected a string, got a %s",
		        v->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return SW_ERR_PARSE;
	}
	*out = scalar(v);
	return 0;
}

/* Finds the entry of list |list_key| whose name is |name|; *out its
 * |inner| mapping (NULL when absent). 0, or SW_ERR_PARSE for a list of the
 * wrong shape. */
static int find_named(struct kc_ctx *c, const yaml_node_t *root, const char *list_key,
                      const char *inner, const char *name, yaml_node_t **out, char *kp, size_t kplen)
{
	yaml_node_t *list = get(c, root, list_key);
	*out = NULL;
	if (is_null(list))
		return 0;
	if (list->type != YAML_SEQUENCE_NODE) {
		kc_errf(c, list, list_key, "expected a list");
		return SW_ERR_PARSE;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&c->doc, *it);
		size_t i = (size_t)(it - list->data.sequence.items.start);
		const char *n;
		char p[96];
		snprintf(p, sizeof(p), "%s[%zu]", list_key, i);
		if (e->type != YAML_MAPPING_NODE) {
			kc_errf(c, e, p, "expected a mapping with name and %s", inner);
			return SW_ERR_PARSE;
		}
		if (get_str(c, e, p, "name", &n) < 0)
			return SW_ERR_PARSE;
		if (!n || strcmp(n, name))
			continue;
		yaml_node_t *v = get(c, e, inner);
		snprintf(kp, kplen, "%s[%zu].%s", list_key, i, inner);
		if (!is_null(v) && v->type != YAML_MAPPING_NODE) {
			kc_errf(c, v, kp, "expected a mapping");
			return SW_ERR_PARSE;
		}
		*out = is_null(v) ? NULL : v;
		if (!*out)
			*out = e; /* an empty entry: no fields */
		return 1;
	}
	return 0;
}

/* |file| relative to the folder of |base|. */
static char *resolve(const char *base, const char *file)
{
	const char *slash = strrchr(base, '/');
	size_t dl, n;
	char *r;
	if (file[0] == '/' || !slash)
		return xstrdup(file);
	dl = (size_t)(slash - base);
	n = dl + 1 + strlen(file) + 1;
	r = xmalloc(n);
	snprintf(r, n, "%.*s/%s", (int)dl, base, file);
	return r;
}

/* Reads a token file: all of it, surrounding whitespace trimmed. */
static int read_token(const char *file, char **out, char *err, size_t errlen, const char *what)
{
	FILE *f = fopen(file, "rb");
	char *buf;
	size_t n;
	if (!f) {
		snprintf(err, errlen, "%s %s: cannot read: %s", what, file, strerror(errno));
		return SW_ERR_IO;
	}
	buf = xmalloc(KC_MAX_TOKEN + 1);
	n = fread(buf, 1, KC_MAX_TOKEN + 1, f);
	fclose(f);
	if (n > KC_MAX_TOKEN) {
		free(buf);
		snprintf(err, errlen, "%s %s: larger than %u bytes", what, file, KC_MAX_TOKEN);
		return SW_ERR_TOO_BIG;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	size_t s = strspn(buf, " \t\r\n");
	memmove(buf, buf + s, n - s + 1);
	*out = buf;
	return 0;
}

/* A token travels in one header: refused, never cut, when it cannot. */
static int check_token(const char *tok, const char *where, char *err, size_t errlen)
{
	size_t bad = sw_http_value_bad(tok, strlen(tok));
	if (!*tok) {
		snprintf(err, errlen, "%s: the token is empty", where);
		return SW_ERR_INVALID;
	}
	if (bad) {
		snprintf(err, errlen, "%s: the token has a control character at byte %zu", where, bad);
		return SW_ERR_INVALID;
	}
	return 0;
}

static int readable(const char *file, const char *what, char *err, size_t errlen)
{
	FILE *f = fopen(file, "rb");
	if (!f) {
		snprintf(err, errlen, "%s %s: cannot read: %s", what, file, strerror(errno));
		return SW_ERR_IO;
	}
	fclose(f);
	return 0;
}

/* Decodes the base64 *-data value at |key| into |*out| (PEM text). */
static int get_data(struct kc_ctx *c, const yaml_node_t *map, const char *key, const char *prefix,
                    char **out)
{
	char kp[256];
	const char *v;
	size_t n;
	snprintf(kp, sizeof(kp), "%s.%s", prefix, key);
	if (get_str(c, map, prefix, key, &v) < 0)
		return SW_ERR_PARSE;
	if (!v)
		return 0;
	*out = b64_decode(v, strlen(v), 0, &n);
	if (!*out || n == 0 || memchr(*out, '\0', n)) {
		free(*out);
		*out = NULL;
		kc_errf(c, get(c, map, key), kp, "not base64-encoded PEM data");
		return SW_ERR_PARSE;
	}
	return 0;
}

static int load_cluster(struct kc_ctx *c, const yaml_node_t *cl, const char *kp, struct kubeconfig *o)
{
	char p[256];
	const char *server, *ca, *name, *insecure;
	if (get_str(c, cl, kp, "server", &server) < 0)
		return SW_ERR_PARSE;
	snprintf(p, sizeof(p), "%s.server", kp);
	if (!server || !*server) {
		kc_errf(c, cl, p, "the cluster has no server");
		return SW_ERR_PARSE;
	}
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7)) {
		kc_errf(c, get(c, cl, "server"), p, "expected an http:// or https:// URL, got '%s'", server);
		return SW_ERR_PARSE;
	}
	o->server = xstrdup(server);
	if (get_str(c, cl, kp, "certificate-authority", &ca) < 0)
		return SW_ERR_PARSE;
	if (ca && *ca)
		o->ca_file = resolve(c->path, ca);
	if (get_data(c, cl, "certificate-authority-data", kp, &o->ca_pem) < 0)
		return SW_ERR_PARSE;
	if (get_str(c, cl, kp, "tls-server-name", &name) < 0)
		return SW_ERR_PARSE;
	if (name && *name)
		o->tls_server_name = xstrdup(name);
	if (get_str(c, cl, kp, "insecure-skip-tls-verify", &insecure) < 0)
		return SW_ERR_PARSE;
	snprintf(p, sizeof(p), "%s.insecure-skip-tls-verify", kp);
	if (insecure && strcmp(insecure, "true") && strcmp(insecure, "false")) {
		kc_errf(c, get(c, cl, "insecure-skip-tls-verify"), p, "expected true or false, got '%s'",
		        insecure);
		return SW_ERR_PARSE;
	}
	o->insecure = insecure && !strcmp(insecure, "true");
	return 0;
}

static int load_user(struct kc_ctx *c, const yaml_node_t *u, const char *kp, const char *uname,
                     struct kubeconfig *o)
{
	const char *tok, *tokfile, *cert, *key;
	if (get(c, u, "exec") || get(c, u, "auth-provider")) {
		snprintf(c->err, c->errlen, "%s: user '%s' authenticates with an %s plugin, which the swarm "
		         "does not run: give it a token, tokenFile or a client certificate", c->path, uname,
		         get(c, u, "exec") ? "exec" : "auth-provider");
		return SW_ERR_INVALID;
	}
	if (get_str(c, u, kp, "token", &tok) < 0 || get_str(c, u, kp, "tokenFile", &tokfile) < 0)
		return SW_ERR_PARSE;
	if (tok && *tok) {
		o->token = xstrdup(tok);
	} else if (tokfile && *tokfile) {
		char *f = resolve(c->path, tokfile);
		int rv = read_token(f, &o->token, c->err, c->errlen, "tokenFile");
		free(f);
		if (rv < 0)
			return rv;
	}
	if (o->token) {
		char where[300];
		snprintf(where, sizeof(where), "%s: user '%s'", c->path, uname);
		if (check_token(o->token, where, c->err, c->errlen) < 0)
			return SW_ERR_INVALID;
	}
	if (get_str(c, u, kp, "client-certificate", &cert) < 0 || get_str(c, u, kp, "client-key", &key) < 0)
		return SW_ERR_PARSE;
	if (cert && *cert)
		o->cert_file = resolve(c->path, cert);
	if (key && *key)
		o->key_file = resolve(c->path, key);
	if (get_data(c, u, "client-certificate-data", kp, &o->cert_pem) < 0 ||
	    get_data(c, u, "client-key-data", kp, &o->key_pem) < 0)
		return SW_ERR_PARSE;
	if ((o->cert_file || o->cert_pem) != (o->key_file || o->key_pem)) {
		snprintf(c->err, c->errlen, "%s: user '%s' has a client %s without its %s", c->path, uname,
		         o->cert_file || o->cert_pem ? "certificate" : "key",
		         o->cert_file || o->cert_pem ? "key" : "certificate");
		return SW_ERR_INVALID;
	}
	return 0;
}

static int load_file(const char *path, struct kubeconfig *o, char *err, size_t errlen)
{
	struct kc_ctx c = {.path = path, .err = err, .errlen = errlen};
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	char *data, kp[160];
	size_t len;
	int rv = SW_ERR_PARSE;
	const char *ctx_name, *cl_name, *u_name;
	yaml_node_t *root, *ctx, *cl, *u;
	if (!f) {
		snprintf(err, errlen, "kubeconfig %s: cannot read: %s", path, strerror(errno));
		return SW_ERR_IO;
	}
	data = xmalloc(KC_MAX_FILE + 1);
	len = fread(data, 1, KC_MAX_FILE + 1, f);
	fclose(f);
	if (len > KC_MAX_FILE) {
		free(data);
		snprintf(err, errlen, "%s:1:1: larger than %u bytes", path, KC_MAX_FILE);
		return SW_ERR_PARSE;
	}
	if (!yaml_parser_initialize(&parser))
		x_oom(sizeof(parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		snprintf(err, errlen, "%s:%u:%u: YAML syntax error: %s%s%s", path,
		         (unsigned)parser.problem_mark.line + 1, (unsigned)parser.problem_mark.column + 1,
		         parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
		         parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		free(data);
		return SW_ERR_PARSE;
	}
	yaml_parser_delete(&parser);
	free(data);
	root = yaml_document_get_root_node(&c.doc);
	if (!root || is_null(root)) {
		snprintf(err, errlen, "%s:1:1: the kubeconfig is empty", path);
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		kc_errf(&c, root, NULL, "expected a kubeconfig mapping (apiVersion, clusters, users, "
		        "contexts, current-context)");
		goto out;
	}
	if (get_str(&c, root, NULL, "current-context", &ctx_name) < 0)
		goto out;
	if (!ctx_name || !*ctx_name) {
		snprintf(err, errlen, "%s: no current-context (set one with kubectl config use-context)", path);
		rv = SW_ERR_NOT_FOUND;
		goto out;
	}
	o->context = xstrdup(ctx_name);
	rv = find_named(&c, root, "contexts", "context", ctx_name, &ctx, kp, sizeof(kp));
	if (rv < 0)
		goto out;
	if (!rv) {
		snprintf(err, errlen, "%s: current-context '%s' is not in contexts", path, ctx_name);
		rv = SW_ERR_NOT_FOUND;
		goto out;
	}
	rv = SW_ERR_PARSE;
	if (get_str(&c, ctx, kp, "cluster", &cl_name) < 0 || get_str(&c, ctx, kp, "user", &u_name) < 0)
		goto out;
	if (!cl_name || !*cl_name) {
		snprintf(err, errlen, "%s: context '%s' names no cluster", path, ctx_name);
		rv = SW_ERR_NOT_FOUND;
		goto out;
	}
	rv = find_named(&c, root, "clusters", "cluster", cl_name, &cl, kp, sizeof(kp));
	if (rv < 0)
		goto out;
	if (!rv) {
		snprintf(err, errlen, "%s: context '%s' names cluster '%s', which is not in clusters", path,
		         ctx_name, cl_name);
		rv = SW_ERR_NOT_FOUND;
		goto out;
	}
	rv = load_cluster(&c, cl, kp, o);
	if (rv < 0)
		goto out;
	if (u_name && *u_name) {
		rv = find_named(&c, root, "users", "user", u_name, &u, kp, sizeof(kp));
		if (rv < 0)
			goto out;
		if (!rv) {
			snprintf(err, errlen, "%s: context '%s' names user '%s', which is not in users", path,
			         ctx_name, u_name);
			rv = SW_ERR_NOT_FOUND;
			goto out;
		}
		rv = load_user(&c, u, kp, u_name, o);
		if (rv < 0)
			goto out;
	}
	/* files named must be there now, not at the first request */
	if ((o->ca_file && (rv = readable(o->ca_file, "certificate-authority", err, errlen)) < 0) ||
	    (o->cert_file && (rv = readable(o->cert_file, "client-certificate", err, errlen)) < 0) ||
	    (o->key_file && (rv = readable(o->key_file, "client-key", err, errlen)) < 0))
		goto out;
	o->source = xstrdup(path);
	rv = 0;
out:
	yaml_document_delete(&c.doc);
	return rv;
}

static int load_in_cluster(struct kubeconfig *o, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("SWARM_SERVICEACCOUNT_DIR");
	char file[512], src[600];
	int rv;
	if (!dir || !*dir)
		dir = KUBECONFIG_SA_DIR;
	if (!host || !*host || !port || !*port) {
		snprintf(err, errlen, "no kubeconfig: set `kubeconfig` in the service config, $KUBECONFIG, "
		         "or create ~/.kube/config (and not in a pod: KUBERNETES_SERVICE_HOST/PORT unset)");
		return SW_ERR_NOT_FOUND;
	}
	size_t n = strlen(host) + strlen(port) + 16;
	o->server = xmalloc(n);
	snprintf(o->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	snprintf(file, sizeof(file), "%s/token", dir);
	rv = read_token(file, &o->token, err, errlen, "service account token");
	if (rv < 0)
		return rv;
	rv = check_token(o->token, file, err, errlen);
	if (rv < 0)
		return rv;
	snprintf(file, sizeof(file), "%s/ca.crt", dir);
	rv = readable(file, "service account CA", err, errlen);
	if (rv < 0)
		return rv;
	o->ca_file = xstrdup(file);
	snprintf(src, sizeof(src), "in-cluster service account (%s)", dir);
	o->source = xstrdup(src);
	return 0;
}

static int exists(const char *p)
{
	FILE *f = fopen(p, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

int kubeconfig_load(const char *path, struct kubeconfig *out, char *err, size_t errlen)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char file[4096];
	int rv;
	memset(out, 0, sizeof(*out));
	if (path && *path) {
		rv = load_file(path, out, err, errlen);
	} else if (env && *env) {
		/* kubectl merges the list; the swarm uses its first existing file */
		const char *p = env;
		file[0] = '\0';
		while (*p) {
			size_t n = strcspn(p, ":");
			if (n && n < sizeof(file)) {
				memcpy(file, p, n);
				file[n] = '\0';
				if (exists(file))
					break;
			}
			file[0] = '\0';
			p += n + (p[n] == ':');
		}
		if (file[0]) {
			rv = load_file(file, out, err, errlen);
		} else {
			snprintf(err, errlen, "$KUBECONFIG (%s) names no file that exists", env);
			rv = SW_ERR_NOT_FOUND;
		}
	} else if (home && *home && snprintf(file, sizeof(file), "%s/.kube/config", home) > 0 &&
	           exists(file)) {
		rv = load_file(file, out, err, errlen);
	} else {
		rv = load_in_cluster(out, err, errlen);
	}
	if (rv < 0)
		kubeconfig_free(out);
	return rv;
}

void kubeconfig_client_cfg(const struct kubeconfig *kc, struct sw_client_cfg *cfg)
{
	sw_client_cfg_init(cfg);
	cfg->url = kc->server;
	cfg->ca_file = kc->ca_file;
	cfg->ca_pem = kc->ca_pem;
	cfg->cert_file = kc->cert_file;
	cfg->key_file = kc->key_file;
	cfg->cert_pem = kc->cert_pem;
	cfg->key_pem = kc->key_pem;
	cfg->insecure = kc->insecure;
	cfg->sni = kc->tls_server_name;
}

void kubeconfig_free(struct kubeconfig *kc)
{
	if (!kc)
		return;
	free(kc->source);
	free(kc->context);
	free(kc->server);
	free(kc->tls_server_name);
	free(kc->ca_file);
	free(kc->ca_pem);
	free(kc->cert_file);
	free(kc->key_file);
	free(kc->cert_pem);
	free(kc->key_pem);
	free(kc->token);
	memset(kc, 0, sizeof(*kc));
}
