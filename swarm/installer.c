#include "installer.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include "cluster.h"
#include "jw.h"
#include "replies.h"
#include "rt.h"
#include "sw_err.h"
#include "sw_xalloc.h"

enum inst_op {
	OP_STAGE,              /* I1 with stage + info (after a stage pause) */
	OP_DL_BOOTSTRAP,       /* I2 bootstrap.ign */
	OP_DL_IGNITION,        /* I3 host ignition */
	OP_GET_CLUSTER,        /* I4 */
	OP_WRITE_PCT,          /* "Writing image to disk" NN% until 100 */
	OP_WAIT_MASTERS_REBOOTED, /* bootstrap: >= 2 other masters rebooted, Joined for them */
	OP_WAIT_MASTERS_DONE,  /* workers: I5 until >= 2 masters Done */
	OP_CLUSTER_LOGS_REQ,   /* I8 */
	OP_LOGS,               /* A4 */
	OP_REBOOT,             /* Rebooting, then silence */
};

struct inst_step {
	uint8_t op;
	int8_t stage;
	const char *info;
};

#define ST(s, i) { OP_STAGE, (int8_t)(s), (i) }
#define OP(o) { (o), -1, NULL }

/* protocol/README.md §5.3, "Exact sequence the real installer sends". */
static const struct inst_step seq_bootstrap[] = {
	ST(AS_STAGE_STARTING_INSTALLATION, "bootstrap"),
	OP(OP_DL_BOOTSTRAP),
	ST(AS_STAGE_INSTALLING, "master"),
	OP(OP_DL_IGNITION),
	ST(AS_STAGE_WRITING_IMAGE_TO_DISK, ""),
	OP(OP_WRITE_PCT),
	ST(AS_STAGE_WAITING_FOR_CONTROL_PLANE, "Waiting for bootstrap node preparation"),
	OP(OP_GET_CLUSTER),
	ST(AS_STAGE_WAITING_FOR_CONTROL_PLANE, "Waiting for masters to join bootstrap control plane"),
	OP(OP_WAIT_MASTERS_REBOOTED),
	ST(AS_STAGE_WAITING_FOR_BOOTKUBE, ""),
	ST(AS_STAGE_WAITING_FOR_BOOTKUBE, "waiting for ETCD bootstrap to be complete"),
	ST(AS_STAGE_WAITING_FOR_CONTROLLER, "waiting for controller pod ready event"),
	OP(OP_CLUSTER_LOGS_REQ),
	OP(OP_LOGS),
	OP(OP_REBOOT),
};
static const struct inst_step seq_master[] = {
	ST(AS_STAGE_STARTING_INSTALLATION, "master"),
	ST(AS_STAGE_INSTALLING, "master"),
	OP(OP_DL_IGNITION),
	ST(AS_STAGE_WRITING_IMAGE_TO_DISK, ""),
	OP(OP_WRITE_PCT),
	OP(OP_LOGS),
	OP(OP_REBOOT),
};
static const struct inst_step seq_worker[] = {
	ST(AS_STAGE_STARTING_INSTALLATION, "worker"),
	ST(AS_STAGE_INSTALLING, "worker"),
	OP(OP_DL_IGNITION),
	ST(AS_STAGE_WRITING_IMAGE_TO_DISK, ""),
	OP(OP_WRITE_PCT),
	OP(OP_GET_CLUSTER),
	ST(AS_STAGE_WAITING_FOR_CONTROL_PLANE, ""),
	OP(OP_WAIT_MASTERS_DONE),
	OP(OP_LOGS),
	OP(OP_REBOOT),
};
static const struct inst_step seq_sno[] = {
	ST(AS_STAGE_STARTING_INSTALLATION, "bootstrap"),
	OP(OP_DL_BOOTSTRAP),
	ST(AS_STAGE_INSTALLING, "bootstrap"),
	ST(AS_STAGE_WAITING_FOR_BOOTKUBE, ""),
	ST(AS_STAGE_WRITING_IMAGE_TO_DISK, ""),
	OP(OP_WRITE_PCT),
	OP(OP_LOGS),
	OP(OP_REBOOT),
};

struct installer {
	struct tw_timer tm;
	struct agent *a;
	const struct inst_step *seq;
	uint8_t nseq;
	uint8_t pos;
	uint8_t pct;                 /* image written so far */
	uint8_t role;
	uint8_t writing;             /* the image write started */
	uint64_t due_ns;
};

static void inst_run(struct installer *in);

static void inst_timer(struct tw_timer *t)
{
	struct installer *in = (struct installer *)(void *)((char *)t - offsetof(struct installer, tm));
	struct swarm_rt *rt = in->a->cl->rt;

	if (rt->stopping)
		return;
	rt_timer_fired(rt, in->due_ns);
	inst_run(in);
}

static void inst_arm(struct installer *in, uint64_t delay_ns)
{
	in->due_ns = rt_timer_arm(in->a->cl->rt, &in->tm, delay_ns);
}

/* Goes to the next step; stage reports wait the installer's stage pause first. */
static void inst_advance(struct installer *in)
{
	const struct swarm_timings *t = &in->a->cl->rt->plan->timings;

	in->pos++;
	if (in->pos >= in->nseq)
		return;
	if (in->seq[in->pos].op == OP_STAGE || in->seq[in->pos].op == OP_REBOOT)
		inst_arm(in, rt_delay_ns(in->a->cl->rt, t->installer_stage_ms));
	else
		inst_arm(in, 0);
}

/* Installer of the host a call was made for, or NULL when it is gone. */
static struct installer *call_installer(struct rt_call *c)
{
	if (c->host < 0 || (unsigned)c->host >= cluster_of(c)->nhosts)
		return NULL;
	return cluster_of(c)->hosts[c->host].inst;
}

static void on_step_done(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct installer *in = call_installer(c);

	(void)err;
	(void)msg;
	(void)resp;
	if (in)
		inst_advance(in);
}

int installer_report_stage(struct swarm_cluster *cl, unsigned idx, int on_host_link,
                           enum as_stage st, const char *info,
                           void (*done)(struct rt_call *c, int err, const char *msg,
                                        struct sw_resp *resp),
                           uint64_t aux)
{
	struct rt_call *c;
	char path[200], *txt;
	struct jw w;
	size_t len;

	if (idx >= cl->nhosts)
		return SW_ERR_INVALID;
	snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s/progress", cl->infra_env_id,
	         cl->hosts[idx].host_id);
	c = cluster_call_new(cl, on_host_link ? (int)idx : -1, EP_HOST_PROGRESS, "PUT", path);
	c->auth = RT_AUTH_AGENT;
	c->retry = on_host_link ? RT_RETRY_INSTALLER : RT_RETRY_CONTROLLER;
	c->aux = aux;
	jw_init(&w, 96);
	jw_obj(&w);
	jw_kstr(&w, "current_stage", as_stage_name(st));
	if (info && *info)
		jw_kstr(&w, "progress_info", info);
	jw_obj_end(&w);
	txt = jw_take(&w, &len);
	rt_call_body(c, (unsigned char *)txt, len, "application/json");
	cl->hosts[idx].stage = (int8_t)st;
	rt_call_send(c, done);
	return 0;
}

static void inst_get(struct installer *in, enum swarm_ep ep, const char *path,
                     void (*done)(struct rt_call *, int, const char *, struct sw_resp *))
{
	struct swarm_cluster *cl = in->a->cl;
	struct rt_call *c = cluster_call_new(cl, (int)in->a->index, ep, "GET", path);

	c->auth = RT_AUTH_AGENT;
	c->retry = RT_RETRY_INSTALLER;
	rt_call_send(c, done);
}

/* bootstrap: the dry k8s mock lists a master as a Ready node once its reboot
 * marker exists; the real installer then reports Joined for it. */
static void wait_masters_rebooted(struct installer *in)
{
	struct swarm_cluster *cl = in->a->cl;
	unsigned i, seen = 0, others = 0, need;

	for (i = 0; i < cl->nhosts; i++) {
		struct agent *h = &cl->hosts[i];
		if (h == in->a || h->role != AS_ROLE_MASTER)
			continue;
		others++;
		if (!h->rebooted)
			continue;
		seen++;
		if (!h->joined) {
			h->joined = 1;
			installer_report_stage(cl, i, 0, AS_STAGE_JOINED, "", NULL, 0);
		}
	}
	need = cl->ncp > 1 ? cl->ncp - 1 : 0;
	if (need > 2)
		need = 2;
	(void)others;
	if (seen >= need) {
		inst_advance(in);
		return;
	}
	inst_arm(in, rt_delay_ns(cl->rt, cl->rt->plan->timings.worker_poll_ms));
}

static void on_masters_list(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct installer *in = call_installer(c);
	const char *body;
	size_t len;
	unsigned done = 0, need;

	(void)msg;
	if (!in)
		return;
	need = in->a->cl->ncp < 2 ? in->a->cl->ncp : 2;
	/* The masters with their inventories are ~20 KB: scanned, not built.
	 * An invalid list counts no master. */
	if (!err && resp->status == 200) {
		body = rt_resp_bytes(resp, &len);
		done = replies_hosts_at_stage(body, len, "Done");
	}
	if (done >= need && need > 0) {
		inst_advance(in);
		return;
	}
	inst_arm(in, rt_delay_ns(in->a->cl->rt, in->a->cl->rt->plan->timings.worker_poll_ms));
}

static void on_write_pct(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct installer *in = call_installer(c);
	const struct swarm_timings *t;
	unsigned step;

	(void)err;
	(void)msg;
	(void)resp;
	if (!in)
		return;
	if (in->pct >= 100) {
		inst_advance(in);
		return;
	}
	t = &in->a->cl->rt->plan->timings;
	step = t->write_image_step_pct ? t->write_image_step_pct : 5;
	if (step > 100)
		step = 100;
	inst_arm(in, rt_delay_ns(in->a->cl->rt, (double)t->write_image_ms * step / 100.0));
}

static void write_pct(struct installer *in)
{
	const struct swarm_timings *t = &in->a->cl->rt->plan->timings;
	unsigned step = t->write_image_step_pct ? t->write_image_step_pct : 5;
	char info[8];

	if (step > 100)
		step = 100;
	if (!in->writing) {
		/* The first percentage comes one slice into the write. */
		in->writing = 1;
		inst_arm(in, rt_delay_ns(in->a->cl->rt, (double)t->write_image_ms * step / 100.0));
		return;
	}
	in->pct = (uint8_t)(in->pct + step > 100 ? 100 : in->pct + step);
	snprintf(info, sizeof(info), "%u%%", in->pct);
	installer_report_stage(in->a->cl, in->a->index, 1, AS_STAGE_WRITING_IMAGE_TO_DISK, info,
	                       on_write_pct, 0);
}

static void on_rebooting(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct installer *in = call_installer(c);
	struct agent *a;

	(void)err;
	(void)msg;
	(void)resp;
	if (!in)
		return;
	a = in->a;
	/* Dry run: touch the reboot marker and exit; the agent sees it and stops. */
	installer_stop(a);
	agent_rebooted(a);
}

static void inst_run(struct installer *in)
{
	struct swarm_cluster *cl = in->a->cl;
	const struct inst_step *s;
	char path[240];
	struct rt_call *c;

	if (in->pos >= in->nseq)
		return;
	s = &in->seq[in->pos];
	switch ((enum inst_op)s->op) {
	case OP_STAGE:
		installer_report_stage(cl, in->a->index, 1, (enum as_stage)s->stage, s->info,
		                       on_step_done, 0);
		break;
	case OP_DL_BOOTSTRAP:
		snprintf(path, sizeof(path), "/v2/clusters/%s/downloads/files?file_name=bootstrap.ign",
		         cl->cluster_id);
		inst_get(in, EP_DOWNLOAD_FILE, path, on_step_done);
		break;
	case OP_DL_IGNITION:
		snprintf(path, sizeof(path), "/v2/infra-env/%s/hosts/%s/downloads/ignition",
		         cl->infra_env_id, in->a->host_id);
		inst_get(in, EP_DOWNLOAD_IGNITION, path, on_step_done);
		break;
	case OP_GET_CLUSTER:
		snprintf(path, sizeof(path), "/v2/clusters/%s?exclude-hosts=true", cl->cluster_id);
		inst_get(in, EP_GET_CLUSTER, path, on_step_done);
		break;
	case OP_WRITE_PCT:
		write_pct(in);
		break;
	case OP_WAIT_MASTERS_REBOOTED:
		wait_masters_rebooted(in);
		break;
	case OP_WAIT_MASTERS_DONE:
		snprintf(path, sizeof(path), "/v2/clusters/%s/hosts?role=master", cl->cluster_id);
		inst_get(in, EP_LIST_HOSTS, path, on_masters_list);
		break;
	case OP_CLUSTER_LOGS_REQ:
		snprintf(path, sizeof(path), "/v2/clusters/%s/logs-progress", cl->cluster_id);
		c = cluster_call_new(cl, (int)in->a->index, EP_CLUSTER_LOGS_PROGRESS, "PUT", path);
		c->auth = RT_AUTH_AGENT;
		c->retry = RT_RETRY_INSTALLER;
		rt_call_lit(c, "{\"logs_state\":\"requested\"}");
		rt_call_send(c, on_step_done);
		break;
	case OP_LOGS:
		installer_host_logs(in->a);
		break;
	case OP_REBOOT:
		installer_report_stage(cl, in->a->index, 1, AS_STAGE_REBOOTING, "", on_rebooting, 0);
		break;
	}
}

void installer_start(struct agent *a, enum as_stage_role role)
{
	struct installer *in;

	if (a->inst)
		return;
	in = xcalloc(1, sizeof(*in));
	in->a = a;
	in->role = (uint8_t)role;
	switch (role) {
	case AS_ROLE_BOOTSTRAP:
		in->seq = seq_bootstrap;
		in->nseq = sizeof(seq_bootstrap) / sizeof(seq_bootstrap[0]);
		break;
	case AS_ROLE_WORKER:
		in->seq = seq_worker;
		in->nseq = sizeof(seq_worker) / sizeof(seq_worker[0]);
		break;
	case AS_ROLE_SNO:
		in->seq = seq_sno;
		in->nseq = sizeof(seq_sno) / sizeof(seq_sno[0]);
		break;
	case AS_ROLE_MASTER:
	case AS_STAGE_ROLE_COUNT:
	default:
		in->seq = seq_master;
		in->nseq = sizeof(seq_master) / sizeof(seq_master[0]);
		break;
	}
	rt_timer_init(&in->tm, inst_timer);
	a->inst = in;
	agent_set_phase(a, HP_INSTALLING);
	/* The installer container starts right after the install step reply. */
	inst_arm(in, 0);
}

int installer_pending_action(const struct agent *a)
{
	const struct installer *in = a ? a->inst : NULL;

	if (!in || in->pos >= in->nseq)
		return 1;
	return tw_armed(&in->tm) || a->rth.live > 0;
}

void installer_stop(struct agent *a)
{
	struct installer *in = a ? a->inst : NULL;

	if (!in)
		return;
	rt_timer_cancel(a->cl->rt, &in->tm);
	a->inst = NULL;
	free(in);
}

/* ---- A4: host logs (logs_sender) ---- */

enum { LOGS_REQUESTED, LOGS_UPLOAD, LOGS_COMPLETED };

static void logs_step(struct agent *a, unsigned phase);

static void on_logs(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct agent *a = &cluster_of(c)->hosts[c->host];
	unsigned phase = (unsigned)c->aux;

	(void)err;
	(void)msg;
	(void)resp;
	if (phase < LOGS_COMPLETED) {
		logs_step(a, phase + 1);
		return;
	}
	a->logs_busy = 0;
	/* Part of the installer run: continue with Rebooting. */
	if (a->inst && a->inst->seq[a->inst->pos].op == OP_LOGS)
		inst_advance(a->inst);
}

static void logs_step(struct agent *a, unsigned phase)
{
	struct swarm_cluster *cl = a->cl;
	struct rt_call *c;
	char path[320];

	if (phase == LOGS_UPLOAD) {
		struct evbuffer *eb;
		char ctype[128];
		const unsigned char *tgz;
		size_t tlen = 0, blen;
		unsigned char *body;

		snprintf(path, sizeof(path),
		         "/v2/clusters/%s/logs?logs_type=host&infra_env_id=%s&host_id=%s",
		         cl->cluster_id, cl->infra_env_id, a->host_id);
		c = cluster_call_new(cl, (int)a->index, EP_UPLOAD_LOGS, "POST", path);
		tgz = assets_logs_tgz(&cl->rt->assets, &tlen);
		eb = evbuffer_new();
		if (!eb)
			x_oom(0);
		if (!tgz || sw_multipart_file(eb, ctype, sizeof(ctype), "upfile", "logs.tar.gz",
		                              "application/octet-stream", tgz, tlen) < 0) {
			evbuffer_free(eb);
			rt_log(cl->rt, 0, "%s host %u: cannot build the logs archive", cl->name, a->index);
			c->aux = phase;
			c->auth = RT_AUTH_AGENT;
			/* send nothing: finish the sequence as the logs_sender would after an error */
			rt_call_lit(c, "{}");
			c->ep = EP_UPLOAD_LOGS;
		} else {
			blen = evbuffer_get_length(eb);
			body = xmalloc(blen ? blen : 1);
			evbuffer_remove(eb, body, blen);
			evbuffer_free(eb);
			rt_call_body(c, body, blen, ctype);
		}
	} else {
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s/logs-progress",
		         cl->infra_env_id, a->host_id);
		c = cluster_call_new(cl, (int)a->index, EP_HOST_LOGS_PROGRESS, "PUT", path);
		if (phase == LOGS_REQUESTED)
			rt_call_lit(c, "{\"logs_state\":\"requested\"}");
		else
			rt_call_lit(c, "{\"logs_state\":\"completed\"}");
	}
	c->auth = RT_AUTH_AGENT;
	c->retry = RT_RETRY_INSTALLER;
	c->aux = phase;
	rt_call_send(c, on_logs);
}

void installer_host_logs(struct agent *a)
{
	if (a->logs_busy || !a->cl->cluster_id[0])
		goto skip;
	a->logs_busy = 1;
	logs_step(a, LOGS_REQUESTED);
	return;
skip:
	/* No cluster to upload to (unbound host) or already running: an
	 * installer waiting on this step must not hang. */
	if (!a->logs_busy && a->inst && a->inst->seq[a->inst->pos].op == OP_LOGS)
		inst_advance(a->inst);
}
