#include "emu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_http.h"

/* Every operation of the swagger, in its order (so unknown methods get 405
 * and known but unemulated operations 501 rather than 404): method, path
 * under the base path, operationId, the operation's security block
 * (operations without one have userAuth), flags, and the model's handler. */
static const struct emu_route routes[] = {
	{"POST", "/v2/clusters", "v2RegisterCluster", EMU_SEC_USER, 0, emu_api_register_cluster},
	{"GET", "/v2/clusters", "v2ListClusters", EMU_SEC_USER | EMU_SEC_WATCHER, 0, emu_api_list_clusters},
	{"GET", "/v2/clusters/{cluster_id}", "v2GetCluster", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_WATCHER, 0, emu_api_get_cluster},
	{"DELETE", "/v2/clusters/{cluster_id}", "v2DeregisterCluster", EMU_SEC_USER, 0, emu_api_delete_cluster},
	{"PATCH", "/v2/clusters/{cluster_id}", "V2UpdateCluster", EMU_SEC_USER, 0, emu_api_update_cluster},
	{"PUT", "/v2/clusters/{cluster_id}/progress", "v2UpdateClusterFinalizingProgress", EMU_SEC_AGENT, 0, emu_api_finalizing_progress},
	{"GET", "/v2/clusters/{cluster_id}/hosts", "ListClusterHosts", EMU_SEC_USER | EMU_SEC_AGENT, 0, emu_api_list_cluster_hosts},
	{"GET", "/v2/clusters/{cluster_id}/supported-platforms", "GetClusterSupportedPlatforms", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/infra-envs", "RegisterInfraEnv", EMU_SEC_USER, 0, emu_api_register_infraenv},
	{"GET", "/v2/infra-envs", "ListInfraEnvs", EMU_SEC_USER | EMU_SEC_WATCHER, 0, emu_api_list_infraenvs},
	{"GET", "/v2/infra-envs/{infra_env_id}", "GetInfraEnv", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL | EMU_SEC_IMAGE | EMU_SEC_IMAGE_URL, 0, emu_api_get_infraenv},
	{"PATCH", "/v2/infra-envs/{infra_env_id}", "UpdateInfraEnv", EMU_SEC_USER, 0, NULL},
	{"DELETE", "/v2/infra-envs/{infra_env_id}", "DeregisterInfraEnv", EMU_SEC_USER, 0, emu_api_delete_infraenv},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/image-url", "GetInfraEnvDownloadURL", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts", "v2RegisterHost", EMU_SEC_AGENT, 0, emu_api_register_host},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts", "v2ListHosts", EMU_SEC_USER | EMU_SEC_AGENT, 0, emu_api_list_infraenv_hosts},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2GetHost", EMU_SEC_USER, 0, emu_api_get_host},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2UpdateHost", EMU_SEC_USER, 0, emu_api_update_host},
	{"DELETE", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2DeregisterHost", EMU_SEC_USER, 0, emu_api_delete_host},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2GetNextSteps", EMU_SEC_AGENT, 0, emu_api_get_steps},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2PostStepReply", EMU_SEC_AGENT, 0, emu_api_post_step},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/progress", "v2UpdateHostInstallProgress", EMU_SEC_AGENT, 0, emu_api_host_progress},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/bind", "BindHost", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/unbind", "UnbindHost", EMU_SEC_USER, 0, NULL},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset-validation/{validation_id}", "v2ResetHostValidation", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset", "v2ResetHost", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/install", "v2InstallHost", EMU_SEC_USER, 0, NULL},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/installer-args", "v2UpdateHostInstallerArgs", EMU_SEC_USER, 0, emu_api_update_installer_args},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2GetHostIgnition", EMU_SEC_USER, 0, emu_api_get_host_ignition},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2UpdateHostIgnition", EMU_SEC_USER, 0, emu_api_update_host_ignition},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files", "v2DownloadInfraEnvFiles", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL | EMU_SEC_IMAGE | EMU_SEC_IMAGE_URL, 0, NULL},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files-presigned", "GetInfraEnvPresignedFileURL", EMU_SEC_USER, 0, NULL},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/logs-progress", "v2UpdateHostLogsProgress", EMU_SEC_AGENT, 0, emu_api_host_logs_progress},
	{"POST", "/v2/infra-envs/{infra_env_id}/regenerate-signing-key", "RegenerateInfraEnvSigningKey", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/default-config", "V2GetClusterDefaultConfig", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials-presigned", "V2GetPresignedForClusterCredentials", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/credentials", "V2GetCredentials", EMU_SEC_USER, 0, emu_api_get_credentials},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files", "V2DownloadClusterFiles", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL, 0, emu_api_cluster_files},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials", "V2DownloadClusterCredentials", EMU_SEC_USER | EMU_SEC_AGENT, 0, emu_api_credentials},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files-presigned", "V2GetPresignedForClusterFiles", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/minimal-initrd", "DownloadMinimalInitrd", EMU_SEC_USER | EMU_SEC_URL | EMU_SEC_IMAGE, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/install-config", "v2GetClusterInstallConfig", EMU_SEC_USER, 0, NULL},
	{"PATCH", "/v2/clusters/{cluster_id}/install-config", "v2UpdateClusterInstallConfig", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/domains", "V2ListManagedDomains", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/clusters/{cluster_id}/actions/install", "v2InstallCluster", EMU_SEC_USER, 0, emu_api_install_cluster},
	{"POST", "/v2/clusters/{cluster_id}/actions/cancel", "V2CancelInstallation", EMU_SEC_USER, 0, emu_api_cancel_cluster},
	{"POST", "/v2/clusters/{cluster_id}/actions/reset", "v2ResetCluster", EMU_SEC_USER, 0, emu_api_reset_cluster},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-workers", "TransformClusterToDay2", EMU_SEC_USER, 0, emu_api_transform_day2},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-hosts", "TransformClusterToAddingHosts", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/preflight-requirements", "v2GetPreflightRequirements", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/supported-operators/{operator_name}", "V2ListOperatorProperties", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/supported-operators", "V2ListSupportedOperators", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/operators/bundles", "V2ListBundles", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/operators/bundles/{id}", "V2GetBundle", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/clusters/{cluster_id}/uploads/ingress-cert", "v2UploadClusterIngressCert", EMU_SEC_AGENT, 0, emu_api_ingress_cert},
	{"POST", "/v2/clusters/{cluster_id}/actions/complete-installation", "v2CompleteInstallation", EMU_SEC_AGENT, 0, emu_api_complete_installation},
	{"PUT", "/v2/clusters/{cluster_id}/logs-progress", "v2UpdateClusterLogsProgress", EMU_SEC_AGENT, 0, emu_api_cluster_logs_progress},
	{"GET", "/v2/clusters/{cluster_id}/manifests", "V2ListClusterManifests", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/clusters/{cluster_id}/manifests", "V2CreateClusterManifest", EMU_SEC_USER, 0, NULL},
	{"PATCH", "/v2/clusters/{cluster_id}/manifests", "V2UpdateClusterManifest", EMU_SEC_USER, 0, NULL},
	{"DELETE", "/v2/clusters/{cluster_id}/manifests", "V2DeleteClusterManifest", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/component-versions", "v2ListComponentVersions", EMU_SEC_USER, 0, emu_api_component_versions},
	{"GET", "/v2/openshift-versions", "v2ListSupportedOpenshiftVersions", EMU_SEC_USER, 0, emu_api_openshift_versions},
	{"GET", "/v2/release-sources", "v2ListReleaseSources", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/manifests/files", "v2DownloadClusterManifest", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/logs", "V2DownloadClusterLogs", EMU_SEC_USER | EMU_SEC_URL, 0, NULL},
	{"POST", "/v2/clusters/{cluster_id}/logs", "V2UploadLogs", EMU_SEC_AGENT, EMU_ROUTE_STREAM_BODY, emu_api_upload_logs},
	{"GET", "/v2/clusters/{cluster_id}/monitored-operators", "V2ListOfClusterOperators", EMU_SEC_AGENT, 0, emu_api_list_operators},
	{"PUT", "/v2/clusters/{cluster_id}/monitored-operators", "v2ReportMonitoredOperatorStatus", EMU_SEC_AGENT, 0, emu_api_report_operator},
	{"GET", "/v2/infra-env/{infra_env_id}/hosts/{host_id}/downloads/ignition", "v2DownloadHostIgnition", EMU_SEC_USER | EMU_SEC_AGENT, 0, emu_api_host_ignition},
	{"GET", "/v2/events", "v2ListEvents", EMU_SEC_USER | EMU_SEC_URL | EMU_SEC_WATCHER, 0, emu_api_list_events},
	{"POST", "/v2/events", "v2TriggerEvent", EMU_SEC_AGENT, 0, emu_api_post_event},
	{"GET", "/v2/support-levels/features", "GetSupportedFeatures", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/support-levels/features/detailed", "GetDetailedSupportedFeatures", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/support-levels/architectures", "GetSupportedArchitectures", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/clusters/import", "v2ImportCluster", EMU_SEC_USER, 0, NULL},
	{"POST", "/v2/clusters/disconnected", "v2RegisterDisconnectedCluster", EMU_SEC_USER, 0, NULL},
	{"GET", "/v2/clusters/{cluster_id}/ignored-validations", "v2GetIgnoredValidations", EMU_SEC_USER, 0, emu_api_get_ignored},
	{"PUT", "/v2/clusters/{cluster_id}/ignored-validations", "v2SetIgnoredValidations", EMU_SEC_USER, 0, emu_api_set_ignored},
	{"GET", "/v2/clusters/{cluster_id}/ui-settings", "V2GetClusterUISettings", EMU_SEC_USER, 0, NULL},
	{"PUT", "/v2/clusters/{cluster_id}/ui-settings", "V2UpdateClusterUISettings", EMU_SEC_USER, 0, NULL},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))
/* Base path segments ("api", "assisted-install") plus the longest template. */
#define MAX_ROUTE_SEGS 10
/* Live segments the cleaner tracks; a deeper path can not match (404). */
#define MAX_PATH_SEGS 256

size_t emu_routes_table(const struct emu_route **out)
{
	*out = routes;
	return NROUTES;
}

int emu_routes_find(const char *name)
{
	for (size_t i = 0; name && i < NROUTES; i++)
		if (strcmp(routes[i].operation, name) == 0)
			return (int)i;
	return -1;
}

struct seg {
	const char *p;
	size_t n;
};

/* Splits |path| into the segments Go's path.Clean would keep: empty and "."
 * segments vanish, ".." drops the segment before it (never past the root).
 * Returns the count, or -1 when the path is not rooted or too deep. */
static long clean_segments(const char *path, struct seg *segs, size_t max)
{
	size_t k = 0;
	const char *p = path;
	if (*p != '/')
		return -1;
	while (*p) {
		if (*p == '/') {
			p++;
			continue;
		}
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 1 && p[0] == '.') {
			/* "." */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (k)
				k--;
		} else {
			if (k == max)
				return -1;
			segs[k].p = p;
			segs[k].n = l;
			k++;
		}
		p += l;
	}
	return (long)k;
}

long emu_path_clean(const char *in, size_t n, char *out, size_t outlen)
{
	/* Go's path.Clean, including relative paths (".." kept at their start). */
	size_t r = 0, w = 0, dotdot = 0;
	int rooted = n > 0 && in[0] == '/';
	if (!outlen)
		return -1;
	if (n == 0) {
		if (outlen < 2)
			return -1;
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
#define PUT(c) do { if (w + 1 >= outlen) return -1; out[w++] = (c); } while (0)
	if (rooted) {
		PUT('/');
		r = 1;
		dotdot = 1;
	}
	while (r < n) {
		if (in[r] == '/') {
			r++;
		} else if (in[r] == '.' && (r + 1 == n || in[r + 1] == '/')) {
			r++;
		} else if (in[r] == '.' && r + 1 < n && in[r + 1] == '.' && (r + 2 == n || in[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					PUT('/');
				PUT('.');
				PUT('.');
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				PUT('/');
			for (; r < n && in[r] != '/'; r++)
				PUT(in[r]);
		}
	}
	if (w == 0)
		PUT('.');
#undef PUT
	out[w] = '\0';
	return (long)w;
}

/* url.PathUnescape of one segment into |p|; on a bad escape the raw text is
 * kept, as the service's router does. */
static void decode_param(const struct seg *s, struct emu_route_param *p)
{
	size_t o = 0, i = 0;
	int bad = 0;
	for (i = 0; i < s->n && !bad; i++)
		if (s->p[i] == '%' && (i + 2 >= s->n || sw_hexval(s->p[i + 1]) < 0 ||
		                       sw_hexval(s->p[i + 2]) < 0))
			bad = 1;
	p->invalid = 0;
	for (i = 0; i < s->n; i++) {
		char c = s->p[i];
		if (!bad && c == '%') {
			c = (char)(sw_hexval(s->p[i + 1]) * 16 + sw_hexval(s->p[i + 2]));
			i += 2;
		}
		if (c == '\0')
			p->invalid = 1;
		if (o < EMU_ROUTE_PARAM_MAX)
			p->value[o] = c;
		o++;
	}
	p->len = o;
	if (o > EMU_ROUTE_PARAM_MAX) {
		p->invalid = 1;
		o = EMU_ROUTE_PARAM_MAX;
	}
	p->value[o] = '\0';
}

/*
 * Matches the cleaned segments (after the base) against template |t|.
 * Returns -1 on mismatch, else a score: one bit per segment, set for a
 * literal, most significant first, so a literal earlier in the path wins
 * over a parameter (a static segment beats a wildcard in the router).
 * Fills the parameters of |m| when it is not NULL.
 */
static long match_template(const char *t, const struct seg *segs, size_t nseg,
                           struct emu_route_match *m)
{
	long score = 0;
	int np = 0;
	for (size_t i = 0; i < nseg; i++) {
		if (*t != '/')
			return -1; /* the template is shorter */
		t++;
		const char *te = strchr(t, '/');
		size_t tl = te ? (size_t)(te - t) : strlen(t);
		score <<= 1;
		if (tl > 2 && t[0] == '{' && t[tl - 1] == '}') {
			if (np == EMU_ROUTE_MAX_PARAMS)
				return -1;
			if (m) {
				m->params[np].name = t + 1;
				m->params[np].name_len = tl - 2;
				decode_param(&segs[i], &m->params[np]);
			}
			np++;
		} else {
			if (tl != segs[i].n || memcmp(t, segs[i].p, tl) != 0)
				return -1;
			score |= 1;
		}
		t += tl;
	}
	if (*t)
		return -1; /* the template is longer */
	if (m)
		m->nparams = np;
	return score;
}

/* Best route of method |meth| (upper-case) for the segments, or -1. */
static int best_route(const char *meth, const struct seg *segs, size_t nseg)
{
	long best = -1;
	int bi = -1;
	for (size_t i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].method, meth) != 0)
			continue;
		long s = match_template(routes[i].path, segs, nseg, NULL);
		if (s > best) {
			best = s;
			bi = (int)i;
		}
	}
	return bi;
}

enum emu_route_result emu_route_match(const char *method, const char *path,
                                      struct emu_route_match *m)
{
	struct seg segs[MAX_PATH_SEGS], base[2];
	char meth[16];
	memset(m, 0, sizeof(*m));
	m->index = -1;
	m->result = EMU_ROUTE_NOT_FOUND;
	if (!method || !path || strlen(method) >= sizeof(meth))
		return m->result;
	for (size_t i = 0; ; i++) {
		char c = method[i];
		meth[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		if (!c)
			break;
	}
	long n = clean_segments(path, segs, MAX_PATH_SEGS);
	/* The base path is literal ("/api/assisted-install"); nothing outside it is an operation. */
	if (clean_segments(AS_API_BASE, base, 2) != 2 || n < 3 || n > MAX_ROUTE_SEGS ||
	    segs[0].n != base[0].n || memcmp(segs[0].p, base[0].p, base[0].n) != 0 ||
	    segs[1].n != base[1].n || memcmp(segs[1].p, base[1].p, base[1].n) != 0)
		return m->result;
	const struct seg *rest = segs + 2;
	size_t nrest = (size_t)n - 2;
	int bi = best_route(meth, rest, nrest);
	if (bi >= 0) {
		m->result = EMU_ROUTE_MATCH;
		m->index = bi;
		m->route = &routes[bi];
		match_template(routes[bi].path, rest, nrest, m);
		return m->result;
	}
	/* Another method's router knows the path: 405 listing those methods. */
	size_t al = 0;
	for (size_t i = 0; i < NROUTES; i++) {
		const char *rm = routes[i].method;
		if (strcmp(rm, meth) == 0 || match_template(routes[i].path, rest, nrest, NULL) < 0)
			continue;
		size_t rl = strlen(rm);
		int dup = 0;
		for (const char *q = m->allowed; *q; ) {
			const char *e = strchr(q, ',');
			size_t ql = e ? (size_t)(e - q) : strlen(q);
			if (ql == rl && memcmp(q, rm, rl) == 0)
				dup = 1;
			q += ql + (e ? 1 : 0);
		}
		if (dup || al + rl + 2 > sizeof(m->allowed))
			continue;
		al += (size_t)snprintf(m->allowed + al, sizeof(m->allowed) - al, "%s%s", al ? "," : "", rm);
		m->result = EMU_ROUTE_NOT_ALLOWED;
	}
	return m->result;
}

static const struct emu_route_param *find_param(const struct emu_route_match *m, const char *name)
{
	size_t nl = name ? strlen(name) : 0;
	for (int i = 0; m && i < m->nparams; i++)
		if (m->params[i].name_len == nl && memcmp(m->params[i].name, name, nl) == 0)
			return &m->params[i];
	return NULL;
}

const char *emu_route_param(const struct emu_route_match *m, const char *name)
{
	const struct emu_route_param *p = find_param(m, name);
	return p ? p->value : NULL;
}

int emu_route_param_valid(const struct emu_route_match *m, const char *name)
{
	const struct emu_route_param *p = find_param(m, name);
	return p && !p->invalid;
}

size_t emu_route_body_max(const struct emu_route_match *m)
{
	if (!m || m->result != EMU_ROUTE_MATCH)
		return EMU_BODY_MAX_UNMATCHED;
	return (m->route->flags & EMU_ROUTE_STREAM_BODY) ? EMU_BODY_MAX_UPLOAD : EMU_BODY_MAX_JSON;
}

size_t emu_route_body_keep(const struct emu_route_match *m)
{
	if (m && m->result == EMU_ROUTE_MATCH && (m->route->flags & EMU_ROUTE_STREAM_BODY))
		return EMU_BODY_KEEP_STREAM;
	return emu_route_body_max(m);
}

/* ---- dispatch to the model ---------------------------------------------------------------- */

void emu_model_route_error(const struct emu_route_match *rm, const char *method, const char *path,
                           struct emu_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	snprintf(resp->operation, sizeof(resp->operation), "unknown");
	if (rm && rm->result == EMU_ROUTE_NOT_ALLOWED)
		emu_resp_infra(resp, 405, 405, "method %s is not allowed, but [%s] are",
		               method ? method : "", rm->allowed);
	else
		emu_resp_infra(resp, 404, 404, "path %s was not found", path ? path : "");
}

static int is_uuid_param(const struct emu_route_param *p)
{
	static const char *const names[] = {"cluster_id", "infra_env_id", "host_id"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (p->name_len == strlen(names[i]) && memcmp(p->name, names[i], p->name_len) == 0)
			return 1;
	return 0;
}

int emu_model_handle_match(struct emu_model *m, const struct emu_route_match *rm,
                           const struct emu_request *req, struct emu_response *resp)
{
	if (!rm || rm->result != EMU_ROUTE_MATCH) {
		emu_model_route_error(rm, req->method, req->path, resp);
		return resp->body ? 0 : SW_ERR_NOMEM;
	}
	const struct emu_route *r = rm->route;
	struct emu_ctx x;
	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	x.m = m;
	x.req = req;
	x.resp = resp;
	snprintf(resp->operation, sizeof(resp->operation), "%s", r->operation);
	m->requests++;
	for (int i = 0; i < rm->nparams && i < 3; i++) {
		const struct emu_route_param *p = &rm->params[i];
		snprintf(x.pbuf[i], sizeof(x.pbuf[i]), "%s", p->value);
		/* Cut or NUL-carrying values can not be valid ids; keep them visibly invalid. */
		if (p->invalid || p->len >= sizeof(x.pbuf[i]))
			x.pbuf[i][0] = '!';
		x.p[i] = x.pbuf[i];
		struct emu_uuid u;
		if (is_uuid_param(p) && emu_uuid_parse(x.p[i], &u) < 0) {
			emu_resp_infra(resp, 400, 601, "%.*s in path must be of type uuid: \"%s\"",
			               (int)p->name_len, p->name, x.p[i]);
			return resp->body ? 0 : SW_ERR_NOMEM;
		}
	}
	if (!r->fn)
		emu_resp_error(resp, 501, "%s is not implemented by the emulator", r->operation);
	else
		r->fn(&x);
	if (resp->status == 0)
		emu_resp_error(resp, 500, "internal error");
	if (!resp->body && resp->content_type)
		return SW_ERR_NOMEM;
	return 0;
}

int emu_model_handle(struct emu_model *m, const struct emu_request *req, struct emu_response *resp)
{
	struct emu_route_match rm;
	emu_route_match(req->method, req->path ? req->path : "", &rm);
	return emu_model_handle_match(m, &rm, req, resp);
}

struct emu_cluster *emu_ctx_cluster(struct emu_ctx *x, const char *id)
{
	struct emu_uuid u;
	struct emu_cluster *c = NULL;
	if (id && emu_uuid_parse(id, &u) == 0)
		c = emu_cluster_get(x->m, &u);
	if (!c)
		emu_resp_error(x->resp, 404, "cluster %s can not be found", id ? id : "");
	return c;
}

struct emu_infraenv *emu_ctx_infraenv(struct emu_ctx *x, const char *id)
{
	struct emu_uuid u;
	struct emu_infraenv *ie = NULL;
	if (id && emu_uuid_parse(id, &u) == 0)
		ie = emu_infraenv_get(x->m, &u);
	if (!ie)
		emu_resp_error(x->resp, 404, "Failed to get infra env %s: record not found",
		               id ? id : "");
	return ie;
}

struct emu_host *emu_ctx_host(struct emu_ctx *x, const char *ie, const char *id)
{
	struct emu_uuid u, ieu;
	struct emu_host *h = NULL;
	if (id && emu_uuid_parse(id, &u) == 0)
		h = emu_host_get(x->m, &u);
	if (h && ie) {
		if (emu_uuid_parse(ie, &ieu) < 0 ||
		    memcmp(&x->m->infraenvs[h->infra_env]->id, &ieu, sizeof(ieu)) != 0)
			h = NULL;
	}
	if (!h)
		emu_resp_error(x->resp, 404, "host %s in infra-env %s: record not found",
		               id ? id : "", ie ? ie : "");
	return h;
}

struct emu_host *emu_ctx_path_host(struct emu_ctx *x)
{
	if (!emu_ctx_infraenv(x, x->p[0]))
		return NULL;
	return emu_ctx_host(x, x->p[0], x->p[1]);
}
