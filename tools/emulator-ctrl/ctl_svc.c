/* Helpers the real controllers share through their package: error
 * classification, the pull-secret handler, the backup/watch labelling of
 * secrets, events URLs and their local-auth signature, base64, and reading
 * a release image's version. */
#include "ctl_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_xalloc.h"

void ctl_err_set(struct ctl_err *e, int user, const char *fmt, ...)
{
	va_list ap;
	e->set = 1;
	e->user = user;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int ctl_label_secret(struct ctl *c, json_t *secret, struct ctl_err *e)
{
	/* two Updates, as ensureSecretIsLabelled makes them */
	static const char *const labels[][2] = {
		{L_BACKUP, "true"}, {"agent-install.openshift.io/watch", "true"},
	};
	for (size_t i = 0; i < 2; i++) {
		if (cj_label(secret, labels[i][0]))
			continue;
		cj_set_label(secret, labels[i][0], labels[i][1]);
		json_t *out = NULL;
		int rv = ctl_update(c, KUBE_RES_SECRET, secret, &out);
		if (rv < 0) {
			ctl_err_set(e, 0, "failed to set label %s:%s for secret %s/%s", labels[i][0],
			            labels[i][1], cj_str(secret, "metadata.namespace"),
			            cj_str(secret, "metadata.name"));
			return -1;
		}
		/* continue from the stored version (its new resourceVersion) */
		json_object_update(secret, out);
		json_decref(out);
	}
	return 0;
}

static int pull_secret_valid(const char *ps)
{
	json_t *j = json_loads(ps, 0, NULL);
	int ok = json_is_object(json_object_get(j, "auths"));
	json_decref(j);
	return ok;
}

char *ctl_pull_secret(struct ctl *c, const char *ns, const char *name, struct ctl_err *e)
{
	if (!ns || !*ns || !name || !*name) {
		ctl_err_set(e, 1, "Missing reference to pull secret");
		return NULL;
	}
	json_t *s = ctl_get(c, KUBE_RES_SECRET, ns, name);
	if (!s) {
		ctl_err_set(e, 0, "failed to find secret %s: failed to get secret %s/%s from API: secrets \"%s\" not found",
		            name, ns, name, name);
		return NULL;
	}
	struct ctl_err le = {0};
	if (ctl_label_secret(c, s, &le) < 0) {
		ctl_err_set(e, 0, "failed to label secret %s for backup: %s", name, le.msg);
		json_decref(s);
		return NULL;
	}
	const char *b64 = json_string_value(json_object_get(json_object_get(s, "data"), ".dockerconfigjson"));
	if (!b64) {
		ctl_err_set(e, 0, "secret %s did not contain key .dockerconfigjson", name);
		json_decref(s);
		return NULL;
	}
	size_t n = 0;
	char *ps = ctl_b64_decode(b64, &n);
	json_decref(s);
	if (!ps || !pull_secret_valid(ps)) {
		ctl_err_set(e, 0, "invalid pull secret data in secret %s %s: pull secret must be a JSON object with an \"auths\" object",
		            name, ps ? ps : "");
		free(ps);
		return NULL;
	}
	return ps;
}

void ctl_sign_url(struct ctl *c, const char *ie_id, char *url, size_t len)
{
	char tok[2048];
	if (!c->cfg.local_auth || !ie_id || !c->cfg.infraenv_token ||
	    c->cfg.infraenv_token(c->cfg.token_arg, ie_id, tok, sizeof(tok)) < 0)
		return;
	size_t l = strlen(url);
	snprintf(url + l, len - l, "%sapi_key=%s", strchr(url, '?') ? "&" : "?", tok);
}

void ctl_events_url(struct ctl *c, const char *key, const char *id, const char *ie_id, char *out,
                    size_t len)
{
	snprintf(out, len, "%s" CTL_API_BASE "/v2/events?%s=%s",
	         c->cfg.service_url ? c->cfg.service_url : "", key, id);
	ctl_sign_url(c, ie_id, out, len);
}

static int b64v(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

char *ctl_b64_decode(const char *s, size_t *n)
{
	size_t len = strlen(s);
	char *out = xmalloc(len / 4 * 3 + 4);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=' || isspace((unsigned char)s[i]))
			continue;
		int v = b64v((unsigned char)s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	if (n)
		*n = o;
	return out;
}

char *ctl_b64_encode(const void *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in = p;
	char *out = xmalloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

void ctl_failed_validations(const char *validations_info, int skip_disabled, char *out,
                            size_t len)
{
	json_t *v = validations_info ? json_loads(validations_info, 0, NULL) : NULL;
	const char *k;
	json_t *group;
	out[0] = '\0';
	json_object_foreach(v, k, group) {
		size_t i;
		json_t *e;
		json_array_foreach(group, i, e) {
			const char *st = cj_str(e, "status"), *msg = cj_str(e, "message");
			if (!st || !strcmp(st, "success") || (skip_disabled && !strcmp(st, "disabled")))
				continue;
			size_t l = strlen(out);
			snprintf(out + l, len - l, "%s%s", l ? "," : "", msg ? msg : "");
		}
	}
	json_decref(v);
}

int ctl_release_version(const char *image, char *ver, size_t vlen, char *arch, size_t alen)
{
	const char *tag = image ? strrchr(image, ':') : NULL;
	if (!tag || strchr(tag, '/'))
		return -1;
	tag++;
	/* X.Y[.Z][-pre]-arch: the architecture is the last dash-separated part */
	if (!isdigit((unsigned char)tag[0]))
		return -1;
	const char *dash = strrchr(tag, '-');
	size_t vl = dash ? (size_t)(dash - tag) : strlen(tag);
	if (vl >= vlen)
		return -1;
	memcpy(ver, tag, vl);
	ver[vl] = '\0';
	snprintf(arch, alen, "%s", dash ? dash + 1 : "x86_64");
	if (!strcmp(arch, "amd64"))
		snprintf(arch, alen, "x86_64");
	else if (!strcmp(arch, "arm64"))
		snprintf(arch, alen, "aarch64");
	return 0;
}
