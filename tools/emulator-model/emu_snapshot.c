/* The model as bytes (emu_model_snapshot / emu_model_restore) for
 * --state-dir: every entity is written as its in-memory struct, with the
 * pointers it holds replaced by what they point to, so every field survives
 * without a field list to keep in step. The header names the build's struct
 * sizes; a snapshot from a build whose entities differ is refused rather
 * than misread. Also the clock rebase and the description of the
 * configuration that replay depends on. No I/O: bytes go to a callback. */
#include "emu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

#define SNAP_MAGIC "EMUMODL1"
#define SNAP_VERSION 1u
#define SNAP_ENDIAN 0x01020304u

struct wr {
	emu_snapshot_write_fn fn;
	void *arg;
	int rv;
};

static void put(struct wr *w, const void *p, size_t n)
{
	if (w->rv == 0 && n)
		w->rv = w->fn(w->arg, p, n);
}

static void put_u32(struct wr *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void put_u64(struct wr *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

/* A string, or NULL (length 0xffffffff). */
static void put_str(struct wr *w, const char *s)
{
	if (!s) {
		put_u32(w, UINT32_MAX);
		return;
	}
	size_t n = strlen(s);
	put_u32(w, (uint32_t)n);
	put(w, s, n);
}

int emu_model_snapshot(const struct emu_model *m, emu_snapshot_write_fn fn, void *arg)
{
	struct wr w = {fn, arg, 0};
	put(&w, SNAP_MAGIC, 8);
	put_u32(&w, SNAP_VERSION);
	put_u32(&w, SNAP_ENDIAN);
	put_u32(&w, (uint32_t)sizeof(struct emu_host));
	put_u32(&w, (uint32_t)sizeof(struct emu_cluster));
	put_u32(&w, (uint32_t)sizeof(struct emu_infraenv));
	put_u32(&w, (uint32_t)sizeof(struct emu_event));
	put_u32(&w, HV_COUNT);
	put_u32(&w, CV_COUNT);
	put_u32(&w, EMU_EVENTS_MAX);
	put_u64(&w, m->rng);
	put_u64(&w, m->next_host_monitor_ns);
	put_u64(&w, m->next_cluster_monitor_ns);
	put_u32(&w, (uint32_t)m->monitors_started);
	put_u64(&w, m->requests);
	put_u64(&w, m->nevents);
	put_u64(&w, m->event_head);
	put_u32(&w, (uint32_t)m->n_agent_versions);
	for (size_t i = 1; i < m->n_agent_versions; i++)
		put_str(&w, m->agent_versions[i]);
	put_u64(&w, m->nhosts);
	put(&w, m->hosts, m->nhosts * sizeof(struct emu_host));
	put_u64(&w, m->nclusters);
	for (size_t i = 0; i < m->nclusters; i++) {
		struct emu_cluster c = *m->clusters[i];
		/* Pointers are rebuilt on restore: the host list follows, the
		 * operators' names are the fixed ones of their slots. */
		c.hosts = NULL;
		c.caphosts = 0;
		for (int k = 0; k < 2; k++) {
			c.operators[k].name = NULL;
			c.operators[k].namespace_ = NULL;
		}
		put(&w, &c, sizeof(c));
		put(&w, m->clusters[i]->hosts, m->clusters[i]->nhosts * sizeof(uint32_t));
	}
	put_u64(&w, m->ninfraenvs);
	for (size_t i = 0; i < m->ninfraenvs; i++) {
		struct emu_infraenv ie = *m->infraenvs[i];
		ie.download_url = NULL;
		put(&w, &ie, sizeof(ie));
		put_str(&w, m->infraenvs[i]->download_url);
	}
	put(&w, m->events, EMU_EVENTS_MAX * sizeof(struct emu_event));
	return w.rv;
}

struct rd {
	const unsigned char *p;
	size_t left;
	int bad;
};

static const void *take(struct rd *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = 1;
		return NULL;
	}
	const void *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t get_u32(struct rd *r)
{
	uint32_t v = 0;
	const void *p = take(r, sizeof(v));
	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(struct rd *r)
{
	uint64_t v = 0;
	const void *p = take(r, sizeof(v));
	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

/* Returns a malloc'ed copy, NULL for a NULL string; sets r->bad on failure. */
static char *get_str(struct rd *r, int *is_null)
{
	uint32_t n = get_u32(r);
	*is_null = n == UINT32_MAX;
	if (r->bad || *is_null)
		return NULL;
	const char *p = take(r, n);
	char *s = p ? malloc((size_t)n + 1) : NULL;
	if (!s) {
		r->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "snapshot: %s", what);
	return SW_ERR_PARSE;
}

/* Objects are counted in uint32_t indices; a count past that is corrupt. */
static int sane_count(uint64_t n, size_t left, size_t min_each)
{
	return n < UINT32_MAX - 2 && (min_each == 0 || n <= left / min_each);
}

int emu_model_restore(struct emu_model *m, const void *data, size_t len, char *err, size_t errlen)
{
	struct rd r = {data, len, 0};
	const char *magic = take(&r, 8);
	if (!magic || memcmp(magic, SNAP_MAGIC, 8) != 0)
		return fail(err, errlen, "not an emulator snapshot");
	if (m->nhosts || m->nclusters || m->ninfraenvs)
		return fail(err, errlen, "the model to restore into is not empty");
	uint32_t v = get_u32(&r), e = get_u32(&r);
	uint32_t sh = get_u32(&r), sc = get_u32(&r), si = get_u32(&r), se = get_u32(&r);
	uint32_t hv = get_u32(&r), cv = get_u32(&r), ev = get_u32(&r);
	if (r.bad || v != SNAP_VERSION || e != SNAP_ENDIAN)
		return fail(err, errlen, "unknown version or byte order");
	if (sh != sizeof(struct emu_host) || sc != sizeof(struct emu_cluster) ||
	    si != sizeof(struct emu_infraenv) || se != sizeof(struct emu_event) || hv != HV_COUNT ||
	    cv != CV_COUNT || ev != EMU_EVENTS_MAX)
		return fail(err, errlen, "written by an emulator build with other entity layouts "
		                         "(start with an empty --state-dir)");
	m->rng = get_u64(&r);
	m->next_host_monitor_ns = get_u64(&r);
	m->next_cluster_monitor_ns = get_u64(&r);
	m->monitors_started = (int)get_u32(&r);
	m->requests = get_u64(&r);
	uint64_t nevents = get_u64(&r), head = get_u64(&r);
	if (nevents > EMU_EVENTS_MAX || head >= EMU_EVENTS_MAX)
		return fail(err, errlen, "event ring out of range");
	m->nevents = (size_t)nevents;
	m->event_head = (size_t)head;
	uint32_t nav = get_u32(&r);
	if (nav > 256 || (nav == 1))
		return fail(err, errlen, "agent version table out of range");
	for (uint32_t i = 1; i < nav; i++) {
		int is_null = 0;
		char *s = get_str(&r, &is_null);
		if (!s || emu_intern_agent_version(m, s) != i) {
			free(s);
			return fail(err, errlen, "agent version table");
		}
		free(s);
	}
	uint64_t nh = get_u64(&r);
	if (r.bad || !sane_count(nh, r.left, sizeof(struct emu_host)))
		return fail(err, errlen, "host count");
	const void *hp = take(&r, (size_t)nh * sizeof(struct emu_host));
	if (!hp)
		return fail(err, errlen, "hosts cut short");
	if (nh) {
		m->hosts = malloc((size_t)nh * sizeof(struct emu_host));
		if (!m->hosts)
			return SW_ERR_NOMEM;
		memcpy(m->hosts, hp, (size_t)nh * sizeof(struct emu_host));
		m->caphosts = m->nhosts = (size_t)nh;
	}
	uint64_t nc = get_u64(&r);
	if (r.bad || !sane_count(nc, r.left, sizeof(struct emu_cluster)))
		return fail(err, errlen, "cluster count");
	if (nc) {
		m->clusters = calloc((size_t)nc, sizeof(*m->clusters));
		if (!m->clusters)
			return SW_ERR_NOMEM;
		m->capclusters = (size_t)nc;
	}
	for (uint64_t i = 0; i < nc; i++) {
		const void *cp = take(&r, sizeof(struct emu_cluster));
		if (!cp)
			return fail(err, errlen, "clusters cut short");
		struct emu_cluster *c = malloc(sizeof(*c));
		if (!c)
			return SW_ERR_NOMEM;
		memcpy(c, cp, sizeof(*c));
		c->hosts = NULL;
		c->caphosts = 0;
		m->clusters[m->nclusters++] = c;
		if (c->nhosts > m->nhosts || c->n_operators > 2)
			return fail(err, errlen, "cluster out of range");
		const void *lp = take(&r, c->nhosts * sizeof(uint32_t));
		if (!lp)
			return fail(err, errlen, "cluster host list cut short");
		if (c->nhosts) {
			c->hosts = malloc(c->nhosts * sizeof(uint32_t));
			if (!c->hosts)
				return SW_ERR_NOMEM;
			memcpy(c->hosts, lp, c->nhosts * sizeof(uint32_t));
			c->caphosts = c->nhosts;
		}
		/* The operator slots always hold these two (emu_cluster_init_operators). */
		static const char *const names[2][2] = {{"console", "openshift-console"},
		                                        {"cvo", "openshift-cluster-version"}};
		for (int k = 0; k < 2; k++) {
			c->operators[k].name = k < c->n_operators ? names[k][0] : NULL;
			c->operators[k].namespace_ = k < c->n_operators ? names[k][1] : NULL;
		}
	}
	uint64_t ni = get_u64(&r);
	if (r.bad || !sane_count(ni, r.left, sizeof(struct emu_infraenv)))
		return fail(err, errlen, "infra-env count");
	if (ni) {
		m->infraenvs = calloc((size_t)ni, sizeof(*m->infraenvs));
		if (!m->infraenvs)
			return SW_ERR_NOMEM;
		m->capinfraenvs = (size_t)ni;
	}
	for (uint64_t i = 0; i < ni; i++) {
		const void *ip = take(&r, sizeof(struct emu_infraenv));
		if (!ip)
			return fail(err, errlen, "infra-envs cut short");
		struct emu_infraenv *ie = malloc(sizeof(*ie));
		if (!ie)
			return SW_ERR_NOMEM;
		memcpy(ie, ip, sizeof(*ie));
		ie->download_url = NULL;
		m->infraenvs[m->ninfraenvs++] = ie;
		int is_null = 0;
		ie->download_url = get_str(&r, &is_null);
		if (r.bad)
			return fail(err, errlen, "infra-env URL");
	}
	const void *evp = take(&r, EMU_EVENTS_MAX * sizeof(struct emu_event));
	if (!evp || r.left != 0)
		return fail(err, errlen, r.left ? "trailing bytes" : "events cut short");
	memcpy(m->events, evp, EMU_EVENTS_MAX * sizeof(struct emu_event));
	/* Indices must point inside the tables; then the id maps are rebuilt. */
	m->live_hosts = 0;
	for (size_t i = 0; i < m->nhosts; i++) {
		struct emu_host *h = &m->hosts[i];
		if ((h->cluster != EMU_NONE && h->cluster >= m->nclusters) ||
		    (h->infra_env != EMU_NONE && h->infra_env >= m->ninfraenvs))
			return fail(err, errlen, "host refers to a missing cluster or infra-env");
		if (h->deleted)
			continue;
		m->live_hosts++;
		if (emu_map_put(&m->host_map, &h->id, (uint32_t)i) < 0)
			return SW_ERR_NOMEM;
	}
	for (size_t i = 0; i < m->nclusters; i++) {
		struct emu_cluster *c = m->clusters[i];
		for (size_t k = 0; k < c->nhosts; k++)
			if (c->hosts[k] >= m->nhosts)
				return fail(err, errlen, "cluster lists a missing host");
		if (!c->deleted && emu_map_put(&m->cluster_map, &c->id, (uint32_t)i) < 0)
			return SW_ERR_NOMEM;
	}
	for (size_t i = 0; i < m->ninfraenvs; i++) {
		struct emu_infraenv *ie = m->infraenvs[i];
		if (ie->cluster != EMU_NONE && ie->cluster >= m->nclusters)
			return fail(err, errlen, "infra-env refers to a missing cluster");
		if (!ie->deleted && emu_map_put(&m->infraenv_map, &ie->id, (uint32_t)i) < 0)
			return SW_ERR_NOMEM;
	}
	return 0;
}

/* A monotonic time moved by |delta|; 0 keeps meaning "never", and a time
 * before this clock's start becomes its earliest instant. */
static uint64_t shift(uint64_t t, int64_t delta)
{
	if (!t)
		return 0;
	if (delta < 0 && (uint64_t)-delta >= t)
		return 1;
	return t + (uint64_t)delta;
}

void emu_model_rebase(struct emu_model *m, int64_t delta_ns)
{
	for (size_t i = 0; i < m->nhosts; i++) {
		struct emu_host *h = &m->hosts[i];
		h->checked_in_ns = shift(h->checked_in_ns, delta_ns);
		h->status_ns = shift(h->status_ns, delta_ns);
		h->stage_ns = shift(h->stage_ns, delta_ns);
	}
	for (size_t i = 0; i < m->nclusters; i++) {
		struct emu_cluster *c = m->clusters[i];
		c->conn_window_ns = shift(c->conn_window_ns, delta_ns);
		c->status_ns = shift(c->status_ns, delta_ns);
	}
	m->next_host_monitor_ns = shift(m->next_host_monitor_ns, delta_ns);
	m->next_cluster_monitor_ns = shift(m->next_cluster_monitor_ns, delta_ns);
}

int emu_model_cfg_describe(const struct emu_model *m, char *out, size_t len)
{
	const struct emu_model_cfg *c = &m->cfg;
	int n = snprintf(out, len,
	                 "api-generation=%s\nauth=%s\ntime-scale=%.17g\nseed=%llu\nagent-image=%s\n"
	                 "release-tag=%s\nimage-service-base=%s\ncheck-cluster-version=%d\n"
	                 "enable-single-node-dnsmasq=%d\n",
	                 c->api == EMU_API_2023 ? "2023" : "current",
	                 c->auth == EMU_AUTH_TOKEN ? "token" : c->auth == EMU_AUTH_LOCAL ? "local" : "none",
	                 c->time_scale, (unsigned long long)c->seed, c->agent_image, c->release_tag,
	                 c->image_service_base, c->check_cluster_version ? 1 : 0,
	                 c->enable_single_node_dnsmasq ? 1 : 0);
	return n < 0 || (size_t)n >= len ? SW_ERR_TOO_BIG : n;
}

/* Compares the struct bytes of |n| entities; reports the first difference. */
static int diff_bytes(const void *a, const void *b, size_t n, const char *what, size_t idx,
                      char *why, size_t len)
{
	if (memcmp(a, b, n) == 0)
		return 0;
	const unsigned char *x = a, *y = b;
	size_t off = 0;
	while (off < n && x[off] == y[off])
		off++;
	snprintf(why, len, "%s %zu differs at byte %zu", what, idx, off);
	return 1;
}

int emu_model_state_diff(const struct emu_model *a, const struct emu_model *b, char *why,
                         size_t len)
{
	why[0] = '\0';
	const struct {
		const char *name;
		uint64_t a, b;
	} scalars[] = {
		{"rng", a->rng, b->rng},
		{"next_host_monitor_ns", a->next_host_monitor_ns, b->next_host_monitor_ns},
		{"next_cluster_monitor_ns", a->next_cluster_monitor_ns, b->next_cluster_monitor_ns},
		{"monitors_started", (uint64_t)a->monitors_started, (uint64_t)b->monitors_started},
		{"requests", a->requests, b->requests},
		{"nevents", a->nevents, b->nevents},
		{"event_head", a->event_head, b->event_head},
		{"live_hosts", a->live_hosts, b->live_hosts},
	};
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		if (scalars[i].a != scalars[i].b) {
			snprintf(why, len, "%s differs: %llu vs %llu", scalars[i].name,
			         (unsigned long long)scalars[i].a, (unsigned long long)scalars[i].b);
			return 1;
		}
	}
	if (a->n_agent_versions != b->n_agent_versions) {
		snprintf(why, len, "agent version tables differ");
		return 1;
	}
	for (size_t i = 1; i < a->n_agent_versions; i++)
		if (strcmp(a->agent_versions[i], b->agent_versions[i]) != 0) {
			snprintf(why, len, "agent version %zu differs", i);
			return 1;
		}
	if (a->nhosts != b->nhosts || a->nclusters != b->nclusters || a->ninfraenvs != b->ninfraenvs) {
		snprintf(why, len, "entity counts differ");
		return 1;
	}
	for (size_t i = 0; i < a->nhosts; i++)
		if (diff_bytes(&a->hosts[i], &b->hosts[i], sizeof(struct emu_host), "host", i, why, len))
			return 1;
	for (size_t i = 0; i < a->nclusters; i++) {
		struct emu_cluster ca = *a->clusters[i], cb = *b->clusters[i];
		if (ca.nhosts != cb.nhosts ||
		    (ca.nhosts && memcmp(ca.hosts, cb.hosts, ca.nhosts * sizeof(uint32_t)) != 0)) {
			snprintf(why, len, "cluster %zu host list differs", i);
			return 1;
		}
		for (int k = 0; k < 2; k++) {
			const char *na = ca.operators[k].name, *nb = cb.operators[k].name;
			if ((na == NULL) != (nb == NULL) || (na && strcmp(na, nb) != 0) ||
			    (na && strcmp(ca.operators[k].namespace_, cb.operators[k].namespace_) != 0)) {
				snprintf(why, len, "cluster %zu operator %d differs", i, k);
				return 1;
			}
			ca.operators[k].name = cb.operators[k].name = NULL;
			ca.operators[k].namespace_ = cb.operators[k].namespace_ = NULL;
		}
		ca.hosts = cb.hosts = NULL;
		ca.caphosts = cb.caphosts = 0;
		if (diff_bytes(&ca, &cb, sizeof(ca), "cluster", i, why, len))
			return 1;
	}
	for (size_t i = 0; i < a->ninfraenvs; i++) {
		struct emu_infraenv ia = *a->infraenvs[i], ib = *b->infraenvs[i];
		if ((ia.download_url == NULL) != (ib.download_url == NULL) ||
		    (ia.download_url && strcmp(ia.download_url, ib.download_url) != 0)) {
			snprintf(why, len, "infra-env %zu URL differs", i);
			return 1;
		}
		ia.download_url = ib.download_url = NULL;
		if (diff_bytes(&ia, &ib, sizeof(ia), "infra-env", i, why, len))
			return 1;
	}
	for (size_t i = 0; i < EMU_EVENTS_MAX; i++)
		if (diff_bytes(&a->events[i], &b->events[i], sizeof(struct emu_event), "event", i, why,
		               len))
			return 1;
	/* The id maps must find the same objects. */
	for (size_t i = 0; i < a->nhosts; i++)
		if (emu_map_get(&a->host_map, &a->hosts[i].id) !=
		    emu_map_get(&b->host_map, &a->hosts[i].id)) {
			snprintf(why, len, "host %zu maps differently", i);
			return 1;
		}
	for (size_t i = 0; i < a->nclusters; i++)
		if (emu_map_get(&a->cluster_map, &a->clusters[i]->id) !=
		    emu_map_get(&b->cluster_map, &a->clusters[i]->id)) {
			snprintf(why, len, "cluster %zu maps differently", i);
			return 1;
		}
	for (size_t i = 0; i < a->ninfraenvs; i++)
		if (emu_map_get(&a->infraenv_map, &a->infraenvs[i]->id) !=
		    emu_map_get(&b->infraenv_map, &a->infraenvs[i]->id)) {
			snprintf(why, len, "infra-env %zu maps differently", i);
			return 1;
		}
	return 0;
}
