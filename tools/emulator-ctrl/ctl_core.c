/* struct ctl: life cycle, clocks, the timer, the queues' reconcile
 * trampoline, and the wrappers every reconcile writes and calls the model
 * through (counting its round trips, checking its writes). */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw_err.h"
#include "sw_xalloc.h"

static const char *const names[CTL_COUNT] = {
	"infraenv", "clusterdeployment", "agentclusterinstall", "agent",
	"baremetal-agent-controller", "preprovisioningimage", "hive-clusterdeployment",
};

const char *ctl_name(enum ctl_id id)
{
	return (unsigned)id < CTL_COUNT ? names[id] : "";
}

int ctl_find(const char *name)
{
	static const struct { const char *alias; enum ctl_id id; } aliases[] = {
		{"bmac", CTL_BMAC}, {"ppi", CTL_PPI}, {"aci", CTL_ACI}, {"cd", CTL_CD},
		{"hive", CTL_HIVE},
	};
	for (int i = 0; i < CTL_COUNT; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(name, aliases[i].alias) == 0)
			return (int)aliases[i].id;
	return -1;
}

/* ---- clocks ---- */

uint64_t ctl_mono(const struct ctl *c)
{
	if (c->cfg.mono_ns)
		return c->cfg.mono_ns(c->cfg.clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * CTL_NS_PER_S + (uint64_t)ts.tv_nsec;
}

int64_t ctl_wall_ms(const struct ctl *c)
{
	if (c->cfg.wall_ms)
		return c->cfg.wall_ms(c->cfg.clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t ctl_scaled_ns(const struct ctl *c, double seconds)
{
	return (uint64_t)(seconds * 1e9 / c->cfg.time_scale);
}

/* ---- queues and timer ---- */

typedef void (*reconcile_fn)(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);

static const reconcile_fn reconcilers[CTL_COUNT] = {
	ctl_infraenv_reconcile, ctl_cd_reconcile, ctl_aci_reconcile, ctl_agent_reconcile,
	ctl_bmac_reconcile, ctl_ppi_reconcile, ctl_hive_reconcile,
};

static void trampoline(void *arg, const char *ns, const char *name, uint64_t now_ns,
                       struct ctl_result *r)
{
	struct ctl_qctx *q = arg;
	struct ctl *c = q->c;
	c->cur = q->id;
	c->calls = 0;
	c->now_ns = now_ns;
	uint64_t t0 = ctl_mono(c);
	reconcilers[q->id](c, ns, name, r);
	uint64_t t1 = ctl_mono(c);
	/* the emulated round trips plus the CPU the reconcile really took */
	r->busy_ns = (uint64_t)c->calls * ctl_scaled_ns(c, (double)c->cfg.call_latency_ns / 1e9) +
	             (t1 > t0 ? t1 - t0 : 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;
	(void)fd;
	(void)what;
	c->timer_due = UINT64_MAX;
	ctl_run(c);
	ctl_arm(c);
}

uint64_t ctl_next_due(const struct ctl *c)
{
	uint64_t now = ctl_mono(c), due = c->ev_head ? now : UINT64_MAX;
	for (int i = 0; i < CTL_COUNT; i++) {
		if (!c->q[i])
			continue;
		uint64_t d = ctl_queue_next_due(c->q[i], now);
		if (d < due)
			due = d;
	}
	return due;
}

void ctl_arm(struct ctl *c)
{
	if (!c->timer || c->in_run)
		return;
	uint64_t due = ctl_next_due(c);
	if (due == UINT64_MAX || due >= c->timer_due)
		return;
	uint64_t now = ctl_mono(c);
	uint64_t d = due > now ? due - now : 0;
	struct timeval tv = {(time_t)(d / CTL_NS_PER_S), (suseconds_t)(d % CTL_NS_PER_S / 1000)};
	event_del(c->timer);
	evtimer_add(c->timer, &tv);
	c->timer_due = due;
}

void ctl_enqueue(struct ctl *c, enum ctl_id id, const char *ns, const char *name)
{
	if (!c->q[id] || !name || !*name)
		return;
	ctl_queue_add(c->q[id], ns ? ns : "", name, ctl_mono(c));
	ctl_arm(c);
}

void ctl_enqueue_after(struct ctl *c, enum ctl_id id, const char *ns, const char *name,
                       uint64_t delay_ns)
{
	if (!c->q[id] || !name || !*name)
		return;
	ctl_queue_add_after(c->q[id], ns ? ns : "", name, delay_ns, ctl_mono(c));
	ctl_arm(c);
}

unsigned ctl_run(struct ctl *c)
{
	unsigned total = 0;
	c->in_run = 1;
	/* bounded: a few rounds, then the loop gets control back (ctl_arm
	 * re-arms at once when work is left) */
	for (int round = 0; round < 8; round++) {
		unsigned n = ctl_watch_drain(c);
		uint64_t now = ctl_mono(c);
		for (int i = 0; i < CTL_COUNT; i++)
			if (c->q[i])
				n += ctl_queue_run(c->q[i], now, CTL_RUN_BATCH);
		total += n;
		if (!n)
			break;
	}
	c->in_run = 0;
	return total;
}

/* ---- writes ---- */

/* check_writes: what the apiserver would prune or refuse in |obj|. */
static void check(struct ctl *c, enum kube_res_id res, const json_t *obj, const char *verb)
{
	if (!c->cfg.check_writes || !c->have_defs || !c->defs.r[res].schema)
		return;
	json_t *copy = json_deep_copy(obj);
	struct hub_schema_report rep = {0};
	int n = hub_schema_process(c->schema, c->defs.r[res].schema, copy,
	                           HUB_SCHEMA_PRUNE | HUB_SCHEMA_VALIDATE, &rep);
	if (n > 0 || json_array_size(rep.pruned) > 0) {
		c->invalid_writes[c->cur]++;
		if (!c->first_invalid[0]) {
			char *causes = rep.causes ? json_dumps(rep.causes, JSON_COMPACT) : NULL;
			char *pruned = rep.pruned ? json_dumps(rep.pruned, JSON_COMPACT) : NULL;
			snprintf(c->first_invalid, sizeof(c->first_invalid), "%s %s %s/%s by %s: causes %s pruned %s",
			         verb, kube_res_get(res)->kind, cj_str(obj, "metadata.namespace") ?
			         cj_str(obj, "metadata.namespace") : "", cj_str(obj, "metadata.name") ?
			         cj_str(obj, "metadata.name") : "", ctl_name(c->cur),
			         causes ? causes : "[]", pruned ? pruned : "[]");
			free(causes);
			free(pruned);
		}
	}
	hub_schema_report_clear(&rep);
	json_decref(copy);
}

int ctl_create(struct ctl *c, enum kube_res_id res, const json_t *obj, json_t **out)
{
	c->calls++;
	check(c, res, obj, "create");
	return hub_create(c->hub, res, obj, out, NULL);
}

int ctl_update(struct ctl *c, enum kube_res_id res, const json_t *obj, json_t **out)
{
	c->calls++;
	check(c, res, obj, "update");
	int rv = hub_update(c->hub, res, obj, out, NULL);
	if (rv == -409)
		c->requeues_on_conflict[c->cur]++;
	return rv;
}

int ctl_update_in_place(struct ctl *c, enum kube_res_id res, json_t **obj)
{
	json_t *out = NULL;
	int rv = ctl_update(c, res, *obj, &out);
	if (rv == 0) {
		json_decref(*obj);
		*obj = out;
	}
	return rv;
}

int ctl_update_status(struct ctl *c, enum kube_res_id res, const json_t *obj, json_t **out)
{
	c->calls++;
	check(c, res, obj, "update status of");
	int rv = hub_update_status(c->hub, res, obj, out, NULL);
	if (rv == -409)
		c->requeues_on_conflict[c->cur]++;
	return rv;
}

int ctl_delete(struct ctl *c, enum kube_res_id res, const char *ns, const char *name)
{
	c->calls++;
	return hub_delete(c->hub, res, ns, name, NULL);
}

json_t *ctl_get(struct ctl *c, enum kube_res_id res, const char *ns, const char *name)
{
	json_t *o = NULL;
	if (!name || !*name)
		return NULL;
	hub_get(c->hub, res, ns, name, &o);
	return o;
}

int ctl_call(struct ctl *c, const char *method, const char *path, const json_t *body,
             json_t **out, char *msg, size_t msglen)
{
	char p[512];
	const char *query = "";
	c->calls++;
	snprintf(p, sizeof(p), CTL_API_BASE "%s", path);
	char *q = strchr(p, '?');
	if (q) {
		*q = '\0';
		query = q + 1;
	}
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int64_t wall = ctl_wall_ms(c);
	struct emu_request req = {
		.method = method, .path = p, .query = query, .body = b, .body_len = b ? strlen(b) : 0,
		.content_type = b ? "application/json" : NULL, .now_ns = ctl_mono(c),
		.wall_s = wall / 1000,
	};
	struct emu_response resp;
	int rv = emu_model_handle(c->m, &req, &resp);
	free(b);
	if (out)
		*out = NULL;
	if (msg && msglen)
		msg[0] = '\0';
	if (rv < 0) {
		free(resp.body);
		if (msg)
			snprintf(msg, msglen, "%s", sw_err_name(rv));
		return 500;
	}
	json_t *j = resp.body && resp.content_type && strcmp(resp.content_type, "application/json") == 0
	          ? json_loadb(resp.body, resp.body_len, JSON_DECODE_ANY, NULL) : NULL;
	if (!j && resp.body && out)
		j = json_stringn(resp.body, resp.body_len);
	if (msg && resp.status >= 300) {
		const char *reason = json_string_value(json_object_get(j, "reason"));
		snprintf(msg, msglen, "%s", reason ? reason : "");
	}
	free(resp.body);
	if (out)
		*out = j;
	else
		json_decref(j);
	return resp.status;
}

/* ---- life cycle ---- */

struct ctl *ctl_new(const struct ctl_cfg *cfg, char *err, size_t errlen)
{
	if (!cfg->hub || !cfg->model) {
		snprintf(err, errlen, "controllers need the hub and the service model");
		return NULL;
	}
	struct ctl *c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	if (!(c->cfg.time_scale >= 1.0))
		c->cfg.time_scale = 1.0;
	c->hub = cfg->hub;
	c->m = cfg->model;
	c->timer_due = UINT64_MAX;
	c->ie_key = ctl_smap_new();
	c->ie_id = ctl_smap_new();
	c->cd_key = ctl_smap_new();
	c->cd_id = ctl_smap_new();
	c->ie_by_cdref = ctl_smap_new();
	if (cfg->check_writes) {
		if (hub_defs_load(&c->defs, err, errlen) != 0) {
			hub_defs_free(&c->defs);
			ctl_free(&c);
			return NULL;
		}
		c->have_defs = 1;
		c->schema = hub_schema_new();
	}
	for (int i = 0; i < CTL_COUNT; i++) {
		/* the PreprovisioningImage controller exists only with the converged flow */
		if (i == CTL_PPI && !cfg->converged_flow)
			continue;
		c->qctx[i].c = c;
		c->qctx[i].id = (enum ctl_id)i;
		c->q[i] = ctl_queue_new(names[i], cfg->workers[i] ? cfg->workers[i] : 1,
		                        c->cfg.time_scale, trampoline, &c->qctx[i]);
	}
	if (cfg->base) {
		c->timer = evtimer_new(cfg->base, on_timer, c);
		if (!c->timer) {
			snprintf(err, errlen, "cannot create the controllers' timer");
			ctl_free(&c);
			return NULL;
		}
	}
	struct emu_kube_hooks hooks = {
		.host_registered = ctl_hook_host_registered,
		.host_changed = ctl_hook_host_changed,
		.cluster_changed = ctl_hook_cluster_changed,
		.arg = c,
	};
	if (emu_model_set_kube_hooks(c->m, &hooks) != 0) {
		snprintf(err, errlen, "out of memory");
		ctl_free(&c);
		return NULL;
	}
	ctl_watch_start(c);
	hub_set_metrics_hook(c->hub, ctl_metrics_render, c);
	return c;
}

void ctl_free(struct ctl **cp)
{
	if (!cp || !*cp)
		return;
	struct ctl *c = *cp;
	if (c->m)
		emu_model_set_kube_hooks(c->m, NULL);
	if (c->hub)
		hub_set_metrics_hook(c->hub, NULL, NULL);
	ctl_watch_stop(c);
	if (c->timer)
		event_free(c->timer);
	for (int i = 0; i < CTL_COUNT; i++)
		ctl_queue_free(&c->q[i]);
	ctl_smap_free(&c->ie_key);
	ctl_smap_free(&c->ie_id);
	ctl_smap_free(&c->cd_key);
	ctl_smap_free(&c->cd_id);
	ctl_smap_free(&c->ie_by_cdref);
	if (c->have_defs)
		hub_defs_free(&c->defs);
	hub_schema_free(&c->schema);
	free(c);
	*cp = NULL;
}

void ctl_get_stats(const struct ctl *c, struct ctl_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CTL_COUNT; i++) {
		out->invalid_writes += c->invalid_writes[i];
		if (!c->q[i])
			continue;
		const struct ctl_queue_stats *s = ctl_queue_stats(c->q[i]);
		for (int k = 0; k < CTL_OUTCOMES; k++)
			out->reconciles[i] += s->reconciles[k];
		out->errors[i] = s->reconciles[CTL_ERROR];
		out->depth[i] = ctl_queue_depth(c->q[i]);
		out->keys[i] = ctl_queue_keys(c->q[i]);
	}
}

const char *ctl_first_invalid_write(const struct ctl *c)
{
	return c->first_invalid;
}
