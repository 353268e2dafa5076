/*
 * stats: the shard's measurements (see stats.h). Plain counters and
 * histograms, no locking: each swarm_stats has one writer thread, readers
 * work on copies.
 */
#include "stats.h"

#include <stdio.h>
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
	[EP_API_PROBE] = "api_generation_probe",
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
	kstats_init(&s->kube);
}

void stats_free(struct swarm_stats *s)
{
	if (!s)
		return;
	free(s->clusters);
	s->clusters = NULL;
	s->nclusters = s->capclusters = 0;
	free(s->shapes);
	s->shapes = NULL;
	s->nshapes = 0;
}

/* Grows |s|->shapes to |n| zeroed entries. Returns 0 or SW_ERR_NOMEM. */
static int shapes_grow(struct swarm_stats *s, size_t n)
{
	if (n <= s->nshapes)
		return 0;
	struct swarm_shape_stats *v = realloc(s->shapes, n * sizeof(*v));
	if (!v)
		return SW_ERR_NOMEM;
	for (size_t i = s->nshapes; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		hist_init(&v[i].ready);
		hist_init(&v[i].installed_h);
	}
	s->shapes = v;
	s->nshapes = n;
	return 0;
}

void stats_fold_cluster(struct swarm_stats *s, const struct swarm_cluster_record *r)
{
	if (shapes_grow(s, (size_t)r->shape + 1) < 0)
		x_oom(0);
	struct swarm_shape_stats *a = &s->shapes[r->shape];
	a->clusters++;
	if (r->failed)
		a->failed++;
	else if (r->t_installed_ns)
		a->installed++;
	if (r->t_ready_ns && r->t_ready_ns >= r->t_started_ns)
		hist_record(&a->ready, r->t_ready_ns - r->t_started_ns);
	if (r->t_installed_ns && r->t_installed_ns >= r->t_started_ns)
		hist_record(&a->installed_h, r->t_installed_ns - r->t_started_ns);
}

size_t stats_compact_records(struct swarm_stats *s, size_t keep_failed, long *map)
{
	size_t out = 0, failed = 0;
	for (size_t i = 0; i < s->nclusters; i++) {
		const struct swarm_cluster_record *r = &s->clusters[i];
		int finished = r->t_finished_ns || r->failed;
		int keep = !finished || (r->failed && failed++ < keep_failed);
		if (map)
			map[i] = keep ? (long)out : -1;
		if (keep)
			s->clusters[out++] = *r;
	}
	size_t dropped = s->nclusters - out;
	s->nclusters = out;
	s->records_compacted += dropped;
	return dropped;
}

/*
 * 4xx answers that are part of the protocol rather than a failure: deleting
 * something already gone, and the two answers of the API generation probe
 * (405: the route exists; 404: it does not). Everything else >= 400 counts
 * as an error, since the swarm only sends requests a healthy service must
 * accept.
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
		if ((status == 404 || status == 405) && ep == EP_API_PROBE)
			return 0;
		/* kube: gone, a conflict re-applied, an expired resourceVersion
		 * relisted are the protocol working */
		if (ep == EP_KUBE && (status == 404 || status == 409 || status == 410))
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

void stats_record_transport_retries(struct swarm_stats *s, enum swarm_ep ep,
                                    const struct sw_retries *r)
{
	if (!r)
		return;
	if ((unsigned)ep >= EP_COUNT)
		ep = EP_OTHER;
	for (unsigned i = 0; i < SW_RETRY_REASON_COUNT; i++) {
		s->ep[ep].retries_transport[i] += r->n[i];
		s->retries += r->n[i];
	}
}

/* 408, 429, 500..504, then every other status in the last slot. */
static unsigned retry_http_slot(int status)
{
	if (status == 408)
		return 0;
	if (status == 429)
		return 1;
	if (status >= 500 && status <= 504)
		return 2 + (unsigned)(status - 500);
	return STATS_RETRY_HTTP_SLOTS - 1;
}

void stats_record_retry(struct swarm_stats *s, enum swarm_ep ep, int err, int status)
{
	if ((unsigned)ep >= EP_COUNT)
		ep = EP_OTHER;
	if (err < 0) {
		unsigned idx = (unsigned)(-err);
		s->ep[ep].retries_error[idx < STATS_ERR_SLOTS ? idx : 0]++;
	} else {
		s->ep[ep].retries_http[retry_http_slot(status)]++;
	}
	s->retries++;
}

const char *stats_retry_slot(const struct swarm_ep_stats *e, unsigned i, uint64_t *n, char *buf,
                             size_t len)
{
	static const char *const http[STATS_RETRY_HTTP_SLOTS] = {
		"http_408", "http_429", "http_500", "http_501", "http_502", "http_503", "http_504",
		"http_5xx",
	};
	if (i < SW_RETRY_REASON_COUNT) {
		*n = e->retries_transport[i];
		return sw_retry_reason_name((int)i);
	}
	i -= SW_RETRY_REASON_COUNT;
	if (i < STATS_RETRY_HTTP_SLOTS) {
		*n = e->retries_http[i];
		return http[i];
	}
	i -= STATS_RETRY_HTTP_SLOTS;
	if (i < STATS_ERR_SLOTS) {
		*n = e->retries_error[i];
		snprintf(buf, len, "error_%s", i ? sw_err_name(-(int)i) : "other");
		return buf;
	}
	return NULL;
}

uint64_t stats_ep_retries(const struct swarm_ep_stats *e)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < SW_RETRY_REASON_COUNT; i++)
		n += e->retries_transport[i];
	for (unsigned i = 0; i < STATS_RETRY_HTTP_SLOTS; i++)
		n += e->retries_http[i];
	for (unsigned i = 0; i < STATS_ERR_SLOTS; i++)
		n += e->retries_error[i];
	return n;
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
	for (unsigned i = 0; i < SW_RETRY_REASON_COUNT; i++)
		d->retries_transport[i] += s->retries_transport[i];
	for (unsigned i = 0; i < STATS_RETRY_HTTP_SLOTS; i++)
		d->retries_http[i] += s->retries_http[i];
	for (unsigned i = 0; i < STATS_ERR_SLOTS; i++)
		d->retries_error[i] += s->retries_error[i];
	hist_merge(&d->service, &s->service);
	hist_merge(&d->intended, &s->intended);
}

int stats_merge(struct swarm_stats *dst, const struct swarm_stats *src)
{
	if (shapes_grow(dst, src->nshapes) < 0)
		return SW_ERR_NOMEM;
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
	dst->retries += src->retries;
	dst->goaways += src->goaways;
	hist_merge(&dst->lateness, &src->lateness);
	hist_merge(&dst->start_delay, &src->start_delay);
	hist_merge(&dst->cluster_ready, &src->cluster_ready);
	hist_merge(&dst->cluster_installed, &src->cluster_installed);
	dst->cpu_ns += src->cpu_ns;
	hist_merge(&dst->send_delay, &src->send_delay);
	dst->calls_in_flight += src->calls_in_flight;
	dst->hosts_waiting_slot += src->hosts_waiting_slot;
	kstats_merge(&dst->kube, &src->kube);
	for (size_t i = 0; i < src->nshapes; i++) {
		struct swarm_shape_stats *d = &dst->shapes[i];
		const struct swarm_shape_stats *o = &src->shapes[i];
		d->clusters += o->clusters;
		d->installed += o->installed;
		d->failed += o->failed;
		hist_merge(&d->ready, &o->ready);
		hist_merge(&d->installed_h, &o->installed_h);
	}
	dst->records_compacted += src->records_compacted;
	return 0;
}

int stats_merge_take(struct swarm_stats *dst, struct swarm_stats *src)
{
	struct swarm_cluster_record *recs = src->clusters;
	size_t n = src->nclusters, cap = src->capclusters;
	int move = !dst->nclusters;
	if (move) {
		src->clusters = NULL;
		src->nclusters = src->capclusters = 0;
	}
	int rv = stats_merge(dst, src);
	if (move && rv == 0) {
		free(dst->clusters);
		dst->clusters = recs;
		dst->nclusters = n;
		dst->capclusters = cap;
	} else if (move) {
		src->clusters = recs; /* nothing changed hands */
		src->nclusters = n;
		src->capclusters = cap;
	} else if (rv == 0) {
		free(src->clusters);
		src->clusters = NULL;
		src->nclusters = src->capclusters = 0;
	}
	return rv;
}

/* Copies |src|'s shape aggregates into |shapes| (|dst|'s previous array,
 * resized) and points |dst| at it. */
static int shapes_copy(struct swarm_stats *dst, struct swarm_shape_stats *shapes, size_t n,
                       const struct swarm_stats *src)
{
	dst->shapes = NULL;
	dst->nshapes = 0;
	if (!src->nshapes) {
		free(shapes);
		return 0;
	}
	if (n != src->nshapes) {
		struct swarm_shape_stats *v = realloc(shapes, src->nshapes * sizeof(*v));
		if (!v) {
			free(shapes);
			return SW_ERR_NOMEM;
		}
		shapes = v;
	}
	memcpy(shapes, src->shapes, src->nshapes * sizeof(*shapes));
	dst->shapes = shapes;
	dst->nshapes = src->nshapes;
	return 0;
}

void stats_copy_summary(struct swarm_stats *dst, const struct swarm_stats *src)
{
	struct swarm_shape_stats *shapes = dst->shapes;
	size_t n = dst->nshapes;
	free(dst->clusters);
	memcpy(dst, src, sizeof(*dst));
	dst->clusters = NULL;
	dst->nclusters = dst->capclusters = 0;
	/* The swarm/ allocation policy: a copy never silently loses its shapes. */
	if (shapes_copy(dst, shapes, n, src) < 0)
		x_oom(0);
}

void stats_move_records(struct swarm_stats *dst, struct swarm_stats *src)
{
	stats_copy_summary(dst, src);
	dst->clusters = src->clusters;
	dst->nclusters = src->nclusters;
	dst->capclusters = src->capclusters;
	src->clusters = NULL;
	src->nclusters = src->capclusters = 0;
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
	struct swarm_shape_stats *shapes = dst->shapes;
	size_t n = dst->nshapes;
	free(dst->clusters);
	memcpy(dst, src, sizeof(*dst));
	dst->clusters = recs;
	dst->capclusters = src->nclusters;
	return shapes_copy(dst, shapes, n, src);
}
