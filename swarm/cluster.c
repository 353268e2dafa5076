#include "cluster.h"

#include <stdio.h>
#include <string.h>
#include "controller.h"
#include "installer.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_xalloc.h"

/* Release hook: the last call of a cluster is gone. During shutdown the
 * shard frees everything itself. */
static void owner_release(struct rt_owner *o)
{
	struct swarm_cluster *cl = cluster_of_owner(o);

	if (!cl->rt->stopping)
		cluster_check_idle(cl);
}

/* Release hook of one host. */
static void owner_host_release(struct rt_owner *o, unsigned idx)
{
	struct swarm_cluster *cl = cluster_of_owner(o);

	if (idx < cl->nhosts)
		agent_maybe_drop_link(&cl->hosts[idx]);
}

static struct rt_host *owner_host(struct rt_owner *o, unsigned idx)
{
	struct swarm_cluster *cl = cluster_of_owner(o);

	return idx < cl->nhosts ? &cl->hosts[idx].rth : NULL;
}

static const char *owner_host_version(struct rt_owner *o, unsigned idx)
{
	struct swarm_cluster *cl = cluster_of_owner(o);

	return idx < cl->nhosts ? cl->hosts[idx].version : NULL;
}

static const struct rt_owner_ops cluster_owner_ops = {
	.release = owner_release,
	.host_release = owner_host_release,
	.host = owner_host,
	.host_version = owner_host_version,
};

struct swarm_cluster *cluster_new(struct swarm_rt *rt, const struct swarm_job *job,
                                  const struct cluster_driver_ops *ops)
{
	struct swarm_cluster *cl = xcalloc(1, sizeof(*cl));
	const struct swarm_shape *shape = NULL;
	unsigned i;

	cl->rt = rt;
	cl->ops = ops;
	cl->owner.ops = &cluster_owner_ops;
	cl->job = *job;
	cl->rec = -1;
	/* Host ids also depend on the run id: a second run with the same seed
	 * against the same service must not collide with the first run's hosts
	 * (the service refuses a host id already registered elsewhere). */
	cl->id_seed = job->seed;
	for (i = 0; rt->ctx->run_id[i]; i++)
		cl->id_seed = ids_mix64(cl->id_seed ^ (unsigned char)rt->ctx->run_id[i]);
	if (rt->plan && job->shape < rt->plan->nshapes)
		shape = &rt->plan->shapes[job->shape];
	cl->shape = shape;
	cl->single_node = shape ? shape->single_node : 1;
	cl->ncp = cl->single_node ? 1 : (shape && shape->control_plane ? shape->control_plane : 3);
	cl->nhosts = cl->ncp + (shape ? shape->num_workers : 0);
	if (cl->nhosts > IDS_MAX_HOSTS)
		cl->nhosts = IDS_MAX_HOSTS;
	ids_cluster_name(shape ? shape->name_prefix : NULL, rt->ctx->run_id, job->index, cl->name,
	                 sizeof(cl->name));
	ids_cluster_net(job->index, &cl->net);
	ids_api_vip(&cl->net, cl->api_vip);
	ids_ingress_vip(&cl->net, cl->ingress_vip);
	ids_gateway(&cl->net, cl->gateway);
	ids_net_addr(&cl->net, cl->net_addr);
	/* Other names (the release registry) resolve outside the machine network. */
	snprintf(cl->other_ip, sizeof(cl->other_ip), "192.0.2.%u", 10 + job->index % 200);
	cl->hosts = xcalloc(cl->nhosts, sizeof(*cl->hosts));
	for (i = 0; i < cl->nhosts; i++)
		agent_init(&cl->hosts[i], cl, i);
	return cl;
}

void cluster_free(struct swarm_cluster **clp)
{
	struct swarm_cluster *cl;
	unsigned i;

	if (!clp || !*clp)
		return;
	cl = *clp;
	controller_stop(cl);
	for (i = 0; i < cl->nhosts; i++)
		agent_release(&cl->hosts[i]);
	if (cl->ops && cl->ops->free)
		cl->ops->free(cl);
	for (i = 0; i < sizeof(cl->versions) / sizeof(cl->versions[0]); i++)
		free(cl->versions[i]);
	free(cl->owner.agent_key);
	free(cl->hosts);
	free(cl);
	*clp = NULL;
}

void cluster_boot_hosts(struct swarm_cluster *cl)
{
	unsigned i;

	for (i = 0; i < cl->nhosts; i++) {
		/* Machines power on within a couple of seconds of each other. */
		uint64_t d = rt_scaled_ns(cl->rt, 20.0 * i) + rt_uniform_ns(cl->rt, 0, 2000);
		agent_boot(&cl->hosts[i], d);
	}
}

const char *cluster_intern_version(struct swarm_cluster *cl, const char *v)
{
	size_t n = sizeof(cl->versions) / sizeof(cl->versions[0]), i, slot;
	const char *run_image = cl->rt->ctx ? cl->rt->ctx->agent_image : NULL;
	char *old;

	/* The usual case: the run's image, which main owns beyond every
	 * cluster; no copy per cluster (about 80 bytes each at 10^5). */
	if (run_image && !strcmp(run_image, v))
		return run_image;
	for (i = 0; i < n && cl->versions[i]; i++)
		if (!strcmp(cl->versions[i], v))
			return cl->versions[i];
	if (i < n) {
		cl->versions[i] = xstrdup(v);
		return cl->versions[i];
	}
	/* All slots used (a service changing its agent image repeatedly):
	 * recycle the last one and move its users to the new string. */
	slot = n - 1;
	old = cl->versions[slot];
	cl->versions[slot] = xstrdup(v);
	for (i = 0; i < cl->nhosts; i++)
		if (cl->hosts[i].version == old)
			cl->hosts[i].version = cl->versions[slot];
	free(old);
	return cl->versions[slot];
}

struct swarm_cluster_record *cluster_record(struct swarm_cluster *cl)
{
	if (cl->rec < 0 || (size_t)cl->rec >= cl->rt->stats->nclusters)
		return NULL;
	return &cl->rt->stats->clusters[cl->rec];
}

uint32_t cluster_age_s(const struct swarm_cluster *cl)
{
	uint64_t now = sw_now_ns();

	return now > cl->t_start_ns ? (uint32_t)((now - cl->t_start_ns) / 1000000000ull) : 0;
}

void cluster_host_rebooted(struct swarm_cluster *cl, unsigned idx)
{
	struct agent *a;

	if (idx >= cl->nhosts || cl->finished)
		return;
	a = &cl->hosts[idx];
	cl->rebooted++;
	/* The dry controller blocks until the bootstrap's reboot marker exists
	 * (and, in kube mode, runs with the cluster id the hub gives). */
	if (a->role == AS_ROLE_BOOTSTRAP || a->role == AS_ROLE_SNO) {
		if (cl->cluster_id[0])
			controller_start(cl);
		else
			cl->ctl_waiting = 1;
	}
}

void cluster_set_id(struct swarm_cluster *cl, const char *id)
{
	struct swarm_cluster_record *rec;

	if (!id || !*id || strlen(id) >= sizeof(cl->cluster_id) || cl->cluster_id[0])
		return;
	snprintf(cl->cluster_id, sizeof(cl->cluster_id), "%s", id);
	rec = cluster_record(cl);
	if (rec)
		snprintf(rec->id, sizeof(rec->id), "%s", id);
	if (cl->ctl_waiting && !cl->finished) {
		cl->ctl_waiting = 0;
		controller_start(cl);
	}
}

void cluster_mark_ready(struct swarm_cluster *cl)
{
	struct swarm_cluster_record *rec = cluster_record(cl);
	uint64_t now = sw_now_ns();

	if (rec && !rec->t_ready_ns) {
		rec->t_ready_ns = now > cl->rt->ctx->run_start_ns ? now - cl->rt->ctx->run_start_ns : 1;
		cl->rt->stats->clusters_ready++;
		hist_record(&cl->rt->stats->cluster_ready, now - cl->t_start_ns);
	}
}

void cluster_host_mac(struct swarm_cluster *cl, unsigned idx, char out[IDS_MAC_LEN])
{
	if (cl->ops && cl->ops->host_mac)
		cl->ops->host_mac(cl, idx, out);
	else
		ids_host_mac(cl->job.index, idx, out);
}

_Static_assert(SWARM_TOKEN_MAX == 8192, "the message below names the maximum");

const char *cluster_take_agent_key(struct swarm_cluster *cl, const char *url)
{
	const char *p = url ? strstr(url, "/byapikey/") : NULL, *e;
	size_t n;

	if (!p)
		return "no /byapikey/ token";
	p += strlen("/byapikey/");
	e = p + strcspn(p, "/?");
	n = (size_t)(e - p);
	if (!n)
		return "empty /byapikey/ token";
	/* It becomes the agents' X-Secret-Key: refused, never cut. */
	if (n > SWARM_TOKEN_MAX)
		return "/byapikey/ token longer than 8192 bytes";
	if (sw_http_value_bad(p, n))
		return "/byapikey/ token has control bytes";
	if (cl->owner.agent_key && !strncmp(cl->owner.agent_key, p, n) && !cl->owner.agent_key[n])
		return NULL;
	free(cl->owner.agent_key);
	cl->owner.agent_key = xmalloc(n + 1);
	memcpy(cl->owner.agent_key, p, n);
	cl->owner.agent_key[n] = 0;
	return NULL;
}

uint64_t cluster_host_serial(const struct swarm_cluster *cl, unsigned idx)
{
	return ids_mix64(cl->job.seed ^ (0x6469736b00000000ull + idx));
}

void cluster_host_failed(struct swarm_cluster *cl, unsigned idx, const char *why)
{
	char msg[128];

	(void)idx;
	cl->failed_hosts++;
	if (cl->finished)
		return;
	/* A host that can never come back leaves the cluster short of hosts:
	 * waiting for it would only burn the run's time budget. */
	snprintf(msg, sizeof(msg), "%s", why ? why : "host failed");
	cluster_finish(cl, 1, msg);
}

void cluster_finish(struct swarm_cluster *cl, int failed, const char *why)
{
	struct swarm_rt *rt = cl->rt;
	struct swarm_cluster_record *rec;
	uint64_t now = sw_now_ns(), rel;
	unsigned i;

	if (cl->finished)
		return;
	cl->finished = 1;
	cl->failed = failed ? 1 : 0;
	rel = now > rt->ctx->run_start_ns ? now - rt->ctx->run_start_ns : 0;
	rec = cluster_record(cl);
	if (rec) {
		rec->t_finished_ns = rel;
		rec->failed = cl->failed;
		if (failed && why)
			snprintf(rec->failure, sizeof(rec->failure), "%s", why);
		if (!failed && !rec->t_installed_ns) {
			rec->t_installed_ns = rel;
			hist_record(&rt->stats->cluster_installed, now - cl->t_start_ns);
		}
	}
	if (failed)
		rt->stats->clusters_failed++;
	else
		rt->stats->clusters_installed++;
	/* One finite cluster less: the until_end holders wait for none left. */
	if (!(cl->shape && cl->shape->hold_until_end) && rt->ctx->finite_left)
		atomic_fetch_sub(rt->ctx->finite_left, 1);
	/* Clusters ended by the run's own stop (signal, max_duration) are
	 * counted in the summary, not named one line each. */
	if (failed && !rt->stopping)
		rt_log(rt, 0, "cluster %s failed: %s", cl->name, why ? why : "?");
	controller_stop(cl);
	for (i = 0; i < cl->nhosts; i++) {
		struct agent *a = &cl->hosts[i];
		/* Installed: every host counts as done. Failed: hosts the
		 * controller finished stay done, the others failed with it. */
		int done = !failed || a->phase == HP_DONE;
		agent_silence(a, AG_STOPPED, done ? HP_DONE : HP_FAILED);
	}
	if (cl->ops && cl->ops->finish)
		cl->ops->finish(cl);
	if (rt->cluster_finished)
		rt->cluster_finished(rt, cl);
	cluster_check_idle(cl);
}

void cluster_check_idle(struct swarm_cluster *cl)
{
	if (!cl->finished || cl->owner.live || cl->idle_notified)
		return;
	/* Its own calls come after every other one of the cluster (cleanup). */
	if (!cl->rt->stopping && cl->ops && cl->ops->drained && cl->ops->drained(cl))
		return;
	cl->idle_notified = 1;
	if (cl->rt->cluster_idle)
		cl->rt->cluster_idle(cl->rt, cl);
}
