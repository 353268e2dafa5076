#include "as_model.h"

#include <stdio.h>
#include <string.h>

static const char *const host_status_names[AS_HOST_STATUS_COUNT] = {
	"discovering", "known", "disconnected", "insufficient", "disabled",
	"preparing-for-installation", "preparing-failed", "preparing-successful",
	"pending-for-input", "installing", "installing-in-progress",
	"installing-pending-user-action", "resetting-pending-user-action", "installed",
	"error", "resetting", "added-to-existing-cluster", "cancelled", "binding",
	"unbinding", "unbinding-pending-user-action", "known-unbound",
	"disconnected-unbound", "insufficient-unbound", "disabled-unbound",
	"discovering-unbound", "reclaiming", "reclaiming-rebooting",
};

static const char *const cluster_status_names[AS_CLUSTER_STATUS_COUNT] = {
	"insufficient", "ready", "error", "preparing-for-installation",
	"pending-for-input", "installing", "finalizing", "installed", "adding-hosts",
	"cancelled", "installing-pending-user-action", "unmonitored",
};

static const char *const step_type_names[AS_STEP_TYPE_COUNT] = {
	"connectivity-check", "execute", "inventory", "install", "free-network-addresses",
	"dhcp-lease-allocate", "api-vip-connectivity-check", "tang-connectivity-check",
	"ntp-synchronizer", "installation-disk-speed-check", "container-image-availability",
	"domain-resolution", "stop-installation", "logs-gather", "next-step-runner",
	"upgrade-agent", "download-boot-artifacts", "reboot-for-reclaim", "verify-vips",
};

static const char *const stage_names[AS_STAGE_COUNT] = {
	"Starting installation", "Waiting for control plane", "Waiting for bootkube",
	"Waiting for controller", "Installing", "Writing image to disk",
	"Copying registry data to disk", "Rebooting", "Waiting for ignition", "Configuring",
	"Joined", "Done", "Failed",
};

static const char *const finalizing_names[AS_FIN_STAGE_COUNT] = {
	"Waiting for cluster operators", "Adding router ca", "Applying olm manifests",
	"Waiting for olm operators csv initialization", "Waiting for olm operators csv",
	"Waiting for OLM operator setup jobs", "Done",
};

/* Per-role stage order of the service (AS internal/host/common.go). */
static const enum as_stage bootstrap_stages[] = {
	AS_STAGE_STARTING_INSTALLATION, AS_STAGE_INSTALLING, AS_STAGE_WRITING_IMAGE_TO_DISK,
	AS_STAGE_COPYING_REGISTRY_DATA, AS_STAGE_WAITING_FOR_CONTROL_PLANE,
	AS_STAGE_WAITING_FOR_BOOTKUBE, AS_STAGE_WAITING_FOR_CONTROLLER, AS_STAGE_REBOOTING,
	AS_STAGE_CONFIGURING, AS_STAGE_JOINED, AS_STAGE_DONE,
};
static const enum as_stage master_stages[] = {
	AS_STAGE_STARTING_INSTALLATION, AS_STAGE_INSTALLING, AS_STAGE_WRITING_IMAGE_TO_DISK,
	AS_STAGE_COPYING_REGISTRY_DATA, AS_STAGE_REBOOTING, AS_STAGE_CONFIGURING,
	AS_STAGE_JOINED, AS_STAGE_DONE,
};
static const enum as_stage worker_stages[] = {
	AS_STAGE_STARTING_INSTALLATION, AS_STAGE_INSTALLING, AS_STAGE_WRITING_IMAGE_TO_DISK,
	AS_STAGE_WAITING_FOR_CONTROL_PLANE, AS_STAGE_REBOOTING, AS_STAGE_WAITING_FOR_IGNITION,
	AS_STAGE_CONFIGURING, AS_STAGE_JOINED, AS_STAGE_DONE,
};
static const enum as_stage sno_stages[] = {
	AS_STAGE_STARTING_INSTALLATION, AS_STAGE_INSTALLING, AS_STAGE_WAITING_FOR_BOOTKUBE,
	AS_STAGE_WRITING_IMAGE_TO_DISK, AS_STAGE_COPYING_REGISTRY_DATA, AS_STAGE_REBOOTING,
	AS_STAGE_JOINED, AS_STAGE_DONE,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const char *const *names, int n, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static const char *name_of(const char *const *names, int n, int v)
{
	return (v >= 0 && v < n) ? names[v] : "unknown";
}

const char *as_host_status_name(enum as_host_status s)
{
	return name_of(host_status_names, AS_HOST_STATUS_COUNT, (int)s);
}
int as_host_status_parse(const char *s)
{
	return lookup(host_status_names, AS_HOST_STATUS_COUNT, s);
}
const char *as_cluster_status_name(enum as_cluster_status s)
{
	return name_of(cluster_status_names, AS_CLUSTER_STATUS_COUNT, (int)s);
}
int as_cluster_status_parse(const char *s)
{
	return lookup(cluster_status_names, AS_CLUSTER_STATUS_COUNT, s);
}
const char *as_step_type_name(enum as_step_type t)
{
	return name_of(step_type_names, AS_STEP_TYPE_COUNT, (int)t);
}
int as_step_type_parse(const char *s)
{
	return lookup(step_type_names, AS_STEP_TYPE_COUNT, s);
}
const char *as_stage_name(enum as_stage st)
{
	return name_of(stage_names, AS_STAGE_COUNT, (int)st);
}
int as_stage_parse(const char *s)
{
	return lookup(stage_names, AS_STAGE_COUNT, s);
}
const char *as_finalizing_stage_name(enum as_finalizing_stage st)
{
	return name_of(finalizing_names, AS_FIN_STAGE_COUNT, (int)st);
}
int as_finalizing_stage_parse(const char *s)
{
	return lookup(finalizing_names, AS_FIN_STAGE_COUNT, s);
}

const enum as_stage *as_stage_order(enum as_stage_role role, size_t *n)
{
	switch (role) {
	case AS_ROLE_BOOTSTRAP: *n = COUNT(bootstrap_stages); return bootstrap_stages;
	case AS_ROLE_MASTER: *n = COUNT(master_stages); return master_stages;
	case AS_ROLE_WORKER: *n = COUNT(worker_stages); return worker_stages;
	case AS_ROLE_SNO: *n = COUNT(sno_stages); return sno_stages;
	case AS_STAGE_ROLE_COUNT: break;
	}
	*n = 0;
	return NULL;
}

int as_stage_index(enum as_stage_role role, enum as_stage st)
{
	size_t n;
	const enum as_stage *order = as_stage_order(role, &n);
	if (st == AS_STAGE_FAILED)
		return (int)n;
	for (size_t i = 0; i < n; i++)
		if (order[i] == st)
			return (int)i;
	return -1;
}

/* Length of the valid UTF-8 sequence at |s| (1-4), or 0 when it is not one
 * (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF). */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (!n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* Escapes |s| as the inside of a JSON string into |out| (|len| bytes, NUL
 * included). The result is always valid JSON text: bytes that are not
 * UTF-8 become U+FFFD (an error message may quote a client's broken
 * bytes), and when room runs out the output stops before the escape or
 * character that does not fit, never inside one. Returns its length. */
static size_t json_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (p && *p) {
		char tmp[8];
		const char *rep = tmp;
		size_t rl, adv = 1;
		unsigned char c = *p;
		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\t')
			rep = "\\t";
		else if (c < 0x20 || c == 0x7f)
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		else if (c >= 0x80 && (adv = utf8_len(p)) == 0) {
			rep = "\\ufffd";
			adv = 1;
		} else {
			rep = (const char *)p;
		}
		rl = rep == (const char *)p ? adv : strlen(rep);
		if (o + rl >= len)
			break;
		memcpy(out + o, rep, rl);
		o += rl;
		p += adv;
	}
	if (len)
		out[o] = '\0';
	return o;
}

int as_error_body(char *buf, size_t len, int code, const char *reason)
{
	char esc[1024];
	json_escape(esc, sizeof(esc), reason);
	return snprintf(buf, len,
	                "{\"kind\":\"Error\",\"id\":%d,\"href\":\"\",\"code\":\"%d\",\"reason\":\"%s\"}",
	                code, code, esc);
}

int as_infra_error_body(char *buf, size_t len, int code, const char *message)
{
	char esc[1024];
	json_escape(esc, sizeof(esc), message);
	return snprintf(buf, len, "{\"code\":%d,\"message\":\"%s\"}", code, esc);
}
