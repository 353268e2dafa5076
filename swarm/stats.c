/*
 * stats: the shard's measurements (see stats.h). Plain counters and
 * histograms, no locking: each swarm_stats has one writer thread, readers
 * work on copies.
 */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_xalloc.h"

/* Stable names: they are keys of the results JSON and label values of
 * /metrics, so renaming one is a schema change (scenarios/RESULTS.md). */
static const char *const ep_names[EP_COUNT] = {
	[EP_REGISTER_HOST] = "register_host",
	[EP_GET_STEPS] = "get_next_steps",
	[EP_POST_STEP] = "post_step_reply",
	[EP_HOST_LOGS_PROGRESS] = "host_logs_progress",
	[EP_UPLOAD_LOGS] = "upload_logs",
	[EP_HOST_PROGRESS] = "host_install_progress",
	[EP_DOWNLOAD_FILE] = "download_cluster_file",
	[EP_DOWNLOAD_IGNITION] = "download_host_ignition",
	[EP_GET_CLUSTER] = "get_cluster",
	[EP_LIST_HOSTS] = "list_hosts",
	[EP_CLUSTER_LOGS_PROGRESS] = "cluster_logs_progress",
	[EP_CLUSTER_PROGRESS] = "cluster_install_progress",
	[EP_GET_OPERATORS] = "list_operators",
	[EP_PUT_OPERATOR] = "report_operator",
	[EP_INGRESS_CERT] = "upload_ingress_cert",
	[EP_COMPLETE_INSTALL] = "complete_installation",
	[EP_EVENTS] = "list_events",
	[EP_COMPONENT_VERSIONS] = "component_versions",
	[EP_OPENSHIFT_VERSIONS] = "openshift_versions",
	[EP_REGISTER_CLUSTER] = "register_cluster",
	[EP_REGISTER_INFRAENV] = "register_infraenv",
	[EP_GET_INFRAENV] = "get_infraenv",
	[EP_PATCH_CLUSTER] = "update_cluster",
	[EP_INSTALL_CLUSTER] = "install_cluster",
	[EP_DELETE_CLUSTER] = "delete_cluster",
	[EP_DELETE_INFRAENV] = "delete_infraenv",
	[EP_KUBE] = "kube_api",
	[EP_OTHER] = "other",
};

static const char *const phase_names[HP_COUNT] = {
	[HP_WAITING] = "waiting",
	[HP_REGISTERING] = "registering",
	[HP_DISCOVERY] = "discovery",
	[HP_INSTALLING] = "installing",
	[HP_REBOOTED] = "rebooted",
	[HP_DONE] = "done",
	[HP_FAILED] = "failed",
};

#define TRANSPORT_SLOTS (sizeof(((struct swarm_ep_stats *)0)->transport_errors) / sizeof(uint64_t))

const char *stats_ep_name(enum swarm_ep ep)
{
	if ((unsigned)ep >= EP_COUNT || !ep_names[ep])
		return "other";
	return ep_names[ep];
}

const char *stats_phase_name(enum swarm_host_phase p)
{
	if ((unsigned)p >= HP_COUNT || !phase_names[p])
		return "unknown";
	return phase_names[p];
}

static void ep_init(struct swarm_ep_stats *e)
{
	memset(e, 0, sizeof(*e));
	hist_init(&e->service);
	hist_init(&e->intended);
}

void stats_init(struct swarm_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < EP_COUNT; i++)
		ep_init(&s->ep[i]);
	hist_init(&s->lateness);
	hist_init(&s->start_delay);
	hist_init(&s->cluster_ready);
	hist_init(&s->cluster_installed);
	hist_init(&s->send_delay);
}

void stats_free(struct swarm_stats *s)
{
	if (!s)
		return;
	free(s->clusters);
	s->clusters = NULL;
	s->nclusters = s->capclusters = 0;
}

/*
 * 4xx answers that are part of the protocol rather than a failure: deleting
 * something already gone. Everything else >= 400 counts as an error, since
 * the swarm only sends requests a healthy service must accept.
 */
int stats_status_is_error(enum swarm_ep ep, int status)
{
	if (status < 100 || status >= STATS_HTTP_CODES)
		return 1;
	if (status >= 500)
		return 1;
	if (status >= 400) {
		if (status == 404 && (ep == EP_DELETE_CLUSTER || ep == EP_DELETE_INFRAENV))
			return 0;
		return 1;
	}
	return 0;
}

void stats_record_call(struct swarm_stats *s, enum swarm_ep ep, int err, int status,
                       uint64_t intended_ns, uint64_t sent_ns, uint64_t done_ns)
{
	if ((unsigned)ep >= EP_COUNT)
		ep = EP_OTHER;
	struct swarm_ep_stats *e = &s->ep[ep];
	e->count++;
	s->requests++;
	if (err < 0) {
		unsigned idx = (unsigned)(-err);
		if (idx >= TRANSPORT_SLOTS)
			idx = 0; /* slot 0 collects codes newer than this table */
		e->transport_errors[idx]++;
		s->errors++;
	} else {
		if (status >= 0 && status < STATS_HTTP_CODES)
			e->status[status]++;
		else
			e->status[0]++; /* out-of-range status: slot 0 */
		if (stats_status_is_error(ep, status))
			s->errors++;
	}
	/* Clock readings from different callers can be a hair out of order;
	 * clamp rather than record a wrapped 2^64 ns latency. */
	hist_record(&e->service, done_ns > sent_ns ? done_ns - sent_ns : 0);
	uint64_t from = intended_ns ? intended_ns : sent_ns;
	hist_record(&e->intended, done_ns > from ? done_ns - from : 0);
	hist_record(&s->send_delay, sent_ns > from ? sent_ns - from : 0);
}

void stats_host_phase(struct swarm_stats *s, enum swarm_host_phase from, enum swarm_host_phase to)
{
	if (from == to || (unsigned)from >= HP_COUNT || (unsigned)to >= HP_COUNT)
		return;
	s->hosts_by_phase[from]--;
	s->hosts_by_phase[to]++;
}

long stats_add_cluster(struct swarm_stats *s, const struct swarm_cluster_record *rec)
{
	if (s->nclusters == s->capclusters) {
		size_t cap = s->capclusters ? s->capclusters * 2 : 64;
		/* The engine's policy: a record must not go missing from the results. */
		s->clusters = xrealloc(s->clusters, cap * sizeof(*s->clusters));
		s->capclusters = cap;
	}
	s->clusters[s->nclusters] = *rec;
	return (long)s->nclusters++;
}

static void ep_merge(struct swarm_ep_stats *d, const struct swarm_ep_stats *s)
{
	d->count += s->count;
	for (unsigned i = 0; i < STATS_HTTP_CODES; i++)
		d->status[i] += s->status[i];
	for (unsigned i = 0; i < TRANSPORT_SLOTS; i++)
		d->transport_errors[i] += s->transport_errors[i];
	hist_merge(&d->service, &s->service);
	hist_merge(&d->intended, &s->intended);
}

int stats_merge(struct swarm_stats *dst, const struct swarm_stats *src)
{
	if (src->nclusters) {
		size_t need = dst->nclusters + src->nclusters;
		if (need > dst->capclusters) {
			struct swarm_cluster_record *v = realloc(dst->clusters, need * sizeof(*v));
			if (!v)
				return SW_ERR_NOMEM;
			dst->clusters = v;
			dst->capclusters = need;
		}
		memcpy(dst->clusters + dst->nclusters, src->clusters,
		       src->nclusters * sizeof(*src->clusters));
		dst->nclusters = need;
	}
	for (unsigned i = 0; i < EP_COUNT; i++)
		ep_merge(&dst->ep[i], &src->ep[i]);
	for (unsigned i = 0; i < HP_COUNT; i++)
		dst->hosts_by_phase[i] += src->hosts_by_phase[i];
	dst->clusters_total += src->clusters_total;
	dst->clusters_started += src->clusters_started;
	dst->clusters_ready += src->clusters_ready;
	dst->clusters_installed += src->clusters_installed;
	dst->clusters_failed += src->clusters_failed;
	dst->requests += src->requests;
	dst->errors += src->errors;
	hist_merge(&dst->lateness, &src->lateness);
	hist_merge(&dst->start_delay, &src->start_delay);
	hist_merge(&dst->cluster_ready, &src->cluster_ready);
	hist_merge(&dst->cluster_installed, &src->cluster_installed);
	dst->cpu_ns += src->cpu_ns;
	hist_merge(&dst->send_delay, &src->send_delay);
	dst->calls_in_flight += src->calls_in_flight;
	dst->hosts_waiting_slot += src->hosts_waiting_slot;
	return 0;
}

void stats_copy_summary(struct swarm_stats *dst, const struct swarm_stats *src)
{
	free(dst->clusters);
	memcpy(dst, src, sizeof(*dst));
	dst->clusters = NULL;
	dst->nclusters = dst->capclusters = 0;
}

int stats_copy(struct swarm_stats *dst, const struct swarm_stats *src)
{
	struct swarm_cluster_record *recs = NULL;
	if (src->nclusters) {
		recs = malloc(src->nclusters * sizeof(*recs));
		if (!recs)
			return SW_ERR_NOMEM;
		memcpy(recs, src->clusters, src->nclusters * sizeof(*recs));
	}
	free(dst->clusters);
	memcpy(dst, src, sizeof(*dst));
	dst->clusters = recs;
	dst->capclusters = src->nclusters;
	return 0;
}
