#include "emu_kube.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_xalloc.h"
#include "kube_path.h"
#include "sw_server.h"

struct emu_kube {
	struct emu_kube_cfg cfg;
	struct hub *hub;
	struct ctl *ctl;
	struct sw_server *server;
	char *token;
};

static void fault_hook(void *arg, enum kube_verb verb, const char *resource, struct hub_fault *out)
{
	struct emu_kube *k = arg;
	struct emu_fault_decision d;
	emu_faults_decide_kube(k->cfg.faults, kube_verb_name(verb), resource, &d);
	out->reset = d.reset;
	out->error_status = d.error_status;
	out->delay_ns = d.delay_ns;
	if (!k->cfg.metrics || (!d.reset && !d.error_status && !d.delay_ns))
		return;
	char op[96];
	snprintf(op, sizeof(op), "kube:%s/%s", kube_verb_name(verb), resource[0] ? resource : "*");
	if (d.delay_ns)
		emu_metrics_fault(k->cfg.metrics, EMU_FAULT_LATENCY, op);
	if (d.reset)
		emu_metrics_fault(k->cfg.metrics, EMU_FAULT_RESET, op);
	else if (d.error_status)
		emu_metrics_fault(k->cfg.metrics, EMU_FAULT_ERROR, op);
}

/* Reads the first line of |path| (the token). */
static char *read_token(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	if (!f) {
		snprintf(err, errlen, "--kube-token-file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	size_t n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "--kube-token-file %s: the first line is empty", path);
		return NULL;
	}
	return xstrdup(line);
}

struct emu_kube *emu_kube_start(const struct emu_kube_cfg *cfg, char *err, size_t errlen)
{
	struct emu_kube *k = xcalloc(1, sizeof(*k));
	k->cfg = *cfg;
	if (cfg->token_file) {
		k->token = read_token(cfg->token_file, err, errlen);
		if (!k->token)
			goto fail;
	} else if (cfg->token) {
		k->token = xstrdup(cfg->token);
	}
	struct hub_cfg hc = {
		.base = cfg->base,
		.watch_window = cfg->watch_window,
		.bookmark_interval_ns = cfg->bookmark_ns,
		.token = k->token,
		.seed = cfg->seed,
		.fault = cfg->faults && emu_faults_any(cfg->faults) ? fault_hook : NULL,
		.fault_arg = k,
	};
	k->hub = hub_new(&hc, err, errlen);
	if (!k->hub)
		goto fail;
	struct sw_server_cfg sc = {
		.listen = cfg->listen,
		.cert_file = cfg->cert_file,
		.key_file = cfg->key_file,
		.idle_timeout_ms = cfg->idle_timeout_ms,
		.h2_max_streams = cfg->h2_max_streams,
		/* the hub answers 413 with a Status up to its own limit; the server cuts larger bodies */
		.max_body_bytes = 64u * 1024 * 1024,
	};
	char serr[384];
	k->server = sw_server_new(cfg->base, &sc, hub_handler, k->hub, serr, sizeof(serr));
	if (!k->server) {
		snprintf(err, errlen, "--kube-api: %s", serr);
		goto fail;
	}
	if (cfg->ctl.model) {
		struct ctl_cfg cc = cfg->ctl;
		cc.hub = k->hub;
		cc.base = cfg->base;
		k->ctl = ctl_new(&cc, err, errlen);
		if (!k->ctl)
			goto fail;
	}
	return k;
fail:
	emu_kube_free(&k);
	return NULL;
}

int emu_kube_port(const struct emu_kube *k)
{
	return k ? sw_server_port(k->server) : 0;
}

struct hub *emu_kube_hub(struct emu_kube *k)
{
	return k ? k->hub : NULL;
}

void emu_kube_metrics(void *arg, struct evbuffer *out)
{
	struct emu_kube *k = arg;
	if (k && k->hub)
		hub_metrics_render(k->hub, out);
}

void emu_kube_free(struct emu_kube **kp)
{
	if (!kp || !*kp)
		return;
	struct emu_kube *k = *kp;
	ctl_free(&k->ctl);  /* before the hub it subscribes to */
	hub_free(&k->hub); /* ends watches while their server still exists */
	sw_server_free(&k->server);
	free(k->token);
	free(k);
	*kp = NULL;
}
