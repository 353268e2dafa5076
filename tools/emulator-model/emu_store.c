#include "emu_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_http.h"

#define MAP_TOMB (UINT32_MAX - 1)

uint64_t emu_rand(struct emu_model *m)
{
	/* splitmix64: reproducible per seed, cheap enough for every step id. */
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void emu_uuid_new(struct emu_model *m, struct emu_uuid *u)
{
	uint64_t a = emu_rand(m), b = emu_rand(m);
	memcpy(u->b, &a, 8);
	memcpy(u->b + 8, &b, 8);
	u->b[6] = (uint8_t)((u->b[6] & 0x0f) | 0x40);
	u->b[8] = (uint8_t)((u->b[8] & 0x3f) | 0x80);
}

void emu_uuid_fmt(const struct emu_uuid *u, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u->b[i] >> 4];
		out[o++] = hex[u->b[i] & 15];
	}
	out[o] = '\0';
}

int emu_uuid_parse(const char *s, struct emu_uuid *u)
{
	size_t n = 0;
	if (!s || strlen(s) != 36)
		return -1;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		int hi = sw_hexval(s[i]), lo = sw_hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		u->b[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return n == 16 ? 0 : -1;
}

static uint64_t uuid_hash(const struct emu_uuid *k)
{
	uint64_t a, b;
	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	/* Agents choose host ids, so mix rather than trust them to be random. */
	a ^= b * 0x9e3779b97f4a7c15ULL;
	a ^= a >> 29;
	a *= 0xbf58476d1ce4e5b9ULL;
	return a ^ (a >> 32);
}

static int map_grow(struct emu_map *mp, size_t ncap)
{
	struct emu_uuid *keys = calloc(ncap, sizeof(*keys));
	uint32_t *vals = malloc(ncap * sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return SW_ERR_NOMEM;
	}
	for (size_t i = 0; i < ncap; i++)
		vals[i] = EMU_NONE;
	for (size_t i = 0; i < mp->cap; i++) {
		if (mp->vals[i] == EMU_NONE || mp->vals[i] == MAP_TOMB)
			continue;
		size_t j = uuid_hash(&mp->keys[i]) & (ncap - 1);
		while (vals[j] != EMU_NONE)
			j = (j + 1) & (ncap - 1);
		keys[j] = mp->keys[i];
		vals[j] = mp->vals[i];
	}
	free(mp->keys);
	free(mp->vals);
	mp->keys = keys;
	mp->vals = vals;
	mp->cap = ncap;
	mp->tombs = 0;
	return 0;
}

int emu_map_put(struct emu_map *mp, const struct emu_uuid *k, uint32_t v)
{
	if ((mp->used + mp->tombs + 1) * 4 >= mp->cap * 3) {
		size_t ncap = mp->cap ? mp->cap : 64;
		while ((mp->used + 1) * 2 >= ncap)
			ncap *= 2;
		if (map_grow(mp, ncap) < 0)
			return SW_ERR_NOMEM;
	}
	size_t j = uuid_hash(k) & (mp->cap - 1);
	size_t tomb = SIZE_MAX;
	while (mp->vals[j] != EMU_NONE) {
		if (mp->vals[j] == MAP_TOMB) {
			if (tomb == SIZE_MAX)
				tomb = j;
		} else if (memcmp(&mp->keys[j], k, sizeof(*k)) == 0) {
			mp->vals[j] = v;
			return 0;
		}
		j = (j + 1) & (mp->cap - 1);
	}
	if (tomb != SIZE_MAX) {
		j = tomb;
		mp->tombs--;
	}
	mp->keys[j] = *k;
	mp->vals[j] = v;
	mp->used++;
	return 0;
}

static size_t map_find(const struct emu_map *mp, const struct emu_uuid *k)
{
	if (!mp->cap)
		return SIZE_MAX;
	size_t j = uuid_hash(k) & (mp->cap - 1);
	while (mp->vals[j] != EMU_NONE) {
		if (mp->vals[j] != MAP_TOMB && memcmp(&mp->keys[j], k, sizeof(*k)) == 0)
			return j;
		j = (j + 1) & (mp->cap - 1);
	}
	return SIZE_MAX;
}

uint32_t emu_map_get(const struct emu_map *mp, const struct emu_uuid *k)
{
	size_t j = map_find(mp, k);
	return j == SIZE_MAX ? EMU_NONE : mp->vals[j];
}

void emu_map_del(struct emu_map *mp, const struct emu_uuid *k)
{
	size_t j = map_find(mp, k);
	if (j == SIZE_MAX)
		return;
	mp->vals[j] = MAP_TOMB;
	mp->used--;
	mp->tombs++;
}

static void map_free(struct emu_map *mp)
{
	free(mp->keys);
	free(mp->vals);
	memset(mp, 0, sizeof(*mp));
}

struct emu_host *emu_host_get(struct emu_model *m, const struct emu_uuid *id)
{
	uint32_t i = emu_map_get(&m->host_map, id);
	return i == EMU_NONE ? NULL : &m->hosts[i];
}

struct emu_cluster *emu_cluster_get(struct emu_model *m, const struct emu_uuid *id)
{
	uint32_t i = emu_map_get(&m->cluster_map, id);
	return i == EMU_NONE ? NULL : m->clusters[i];
}

struct emu_infraenv *emu_infraenv_get(struct emu_model *m, const struct emu_uuid *id)
{
	uint32_t i = emu_map_get(&m->infraenv_map, id);
	return i == EMU_NONE ? NULL : m->infraenvs[i];
}

uint32_t emu_host_alloc(struct emu_model *m, const struct emu_uuid *id)
{
	if (m->nhosts >= UINT32_MAX - 2)
		return EMU_NONE;
	if (m->nhosts == m->caphosts) {
		size_t ncap = m->caphosts ? m->caphosts * 2 : 256;
		struct emu_host *nh = realloc(m->hosts, ncap * sizeof(*nh));
		if (!nh)
			return EMU_NONE;
		m->hosts = nh;
		m->caphosts = ncap;
	}
	uint32_t idx = (uint32_t)m->nhosts;
	if (emu_map_put(&m->host_map, id, idx) < 0)
		return EMU_NONE;
	struct emu_host *h = &m->hosts[idx];
	memset(h, 0, sizeof(*h));
	h->id = *id;
	h->cluster = EMU_NONE;
	h->infra_env = EMU_NONE;
	h->stage = AS_STAGE_COUNT;
	m->nhosts++;
	m->live_hosts++;
	return idx;
}

int emu_cluster_add_host(struct emu_model *m, struct emu_cluster *c, uint32_t hidx)
{
	(void)m;
	if (c->nhosts == c->caphosts) {
		size_t ncap = c->caphosts ? c->caphosts * 2 : 8;
		uint32_t *nh = realloc(c->hosts, ncap * sizeof(*nh));
		if (!nh)
			return SW_ERR_NOMEM;
		c->hosts = nh;
		c->caphosts = ncap;
	}
	c->hosts[c->nhosts++] = hidx;
	return 0;
}

void emu_cluster_remove_host(struct emu_cluster *c, uint32_t hidx)
{
	for (size_t i = 0; i < c->nhosts; i++) {
		if (c->hosts[i] == hidx) {
			memmove(&c->hosts[i], &c->hosts[i + 1], (c->nhosts - i - 1) * sizeof(uint32_t));
			c->nhosts--;
			return;
		}
	}
}

void emu_host_delete(struct emu_model *m, uint32_t hidx)
{
	struct emu_host *h = &m->hosts[hidx];
	if (h->deleted)
		return;
	if (h->cluster != EMU_NONE)
		emu_cluster_remove_host(m->clusters[h->cluster], hidx);
	if (h->infra_env != EMU_NONE && m->infraenvs[h->infra_env]->nhosts)
		m->infraenvs[h->infra_env]->nhosts--;
	emu_map_del(&m->host_map, &h->id);
	/* The slot stays (indices are stable); it is simply never found again. */
	h->deleted = 1;
	m->live_hosts--;
}

struct emu_cluster *emu_cluster_alloc(struct emu_model *m)
{
	if (m->nclusters == m->capclusters) {
		size_t ncap = m->capclusters ? m->capclusters * 2 : 16;
		struct emu_cluster **n = realloc(m->clusters, ncap * sizeof(*n));
		if (!n)
			return NULL;
		m->clusters = n;
		m->capclusters = ncap;
	}
	struct emu_cluster *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	emu_uuid_new(m, &c->id);
	if (emu_map_put(&m->cluster_map, &c->id, (uint32_t)m->nclusters) < 0) {
		free(c);
		return NULL;
	}
	m->clusters[m->nclusters++] = c;
	return c;
}

uint32_t emu_cluster_index(struct emu_model *m, const struct emu_cluster *c)
{
	return emu_map_get(&m->cluster_map, &c->id);
}

struct emu_infraenv *emu_infraenv_alloc(struct emu_model *m)
{
	if (m->ninfraenvs == m->capinfraenvs) {
		size_t ncap = m->capinfraenvs ? m->capinfraenvs * 2 : 16;
		struct emu_infraenv **n = realloc(m->infraenvs, ncap * sizeof(*n));
		if (!n)
			return NULL;
		m->infraenvs = n;
		m->capinfraenvs = ncap;
	}
	struct emu_infraenv *ie = calloc(1, sizeof(*ie));
	if (!ie)
		return NULL;
	emu_uuid_new(m, &ie->id);
	ie->cluster = EMU_NONE;
	if (emu_map_put(&m->infraenv_map, &ie->id, (uint32_t)m->ninfraenvs) < 0) {
		free(ie);
		return NULL;
	}
	m->infraenvs[m->ninfraenvs++] = ie;
	return ie;
}

uint16_t emu_intern_agent_version(struct emu_model *m, const char *v)
{
	if (!v || !*v)
		return 0;
	for (size_t i = 1; i < m->n_agent_versions; i++)
		if (strcmp(m->agent_versions[i], v) == 0)
			return (uint16_t)i;
	/* Bounded: a misbehaving peer sending random versions shares the last slot. */
	if (m->n_agent_versions >= 256)
		return (uint16_t)(m->n_agent_versions - 1);
	if (m->n_agent_versions == m->cap_agent_versions) {
		size_t ncap = m->cap_agent_versions ? m->cap_agent_versions * 2 : 8;
		char **n = realloc(m->agent_versions, ncap * sizeof(*n));
		if (!n)
			return 0;
		m->agent_versions = n;
		m->cap_agent_versions = ncap;
		if (m->n_agent_versions == 0)
			m->agent_versions[m->n_agent_versions++] = NULL;
	}
	char *s = strndup(v, 512);
	if (!s)
		return 0;
	m->agent_versions[m->n_agent_versions] = s;
	return (uint16_t)m->n_agent_versions++;
}

void emu_event_add(struct emu_model *m, const struct emu_cluster *c, const struct emu_host *h,
                   const struct emu_uuid *ie, int severity, const char *name, int64_t t,
                   const char *fmt, ...)
{
	if (!m->events)
		return;
	struct emu_event *e = &m->events[m->event_head];
	memset(e, 0, sizeof(*e));
	if (c) {
		e->cluster = c->id;
		e->has_cluster = 1;
	}
	if (h) {
		e->host = h->id;
		e->has_host = 1;
		if (h->cluster != EMU_NONE && !c) {
			e->cluster = m->clusters[h->cluster]->id;
			e->has_cluster = 1;
		}
		if (h->infra_env != EMU_NONE && !ie) {
			e->infra_env = m->infraenvs[h->infra_env]->id;
			e->has_infra_env = 1;
		}
	}
	if (ie) {
		e->infra_env = *ie;
		e->has_infra_env = 1;
	}
	e->severity = (uint8_t)severity;
	e->time = t;
	snprintf(e->name, sizeof(e->name), "%s", name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	m->event_head = (m->event_head + 1) % EMU_EVENTS_MAX;
	if (m->nevents < EMU_EVENTS_MAX)
		m->nevents++;
}

uint64_t emu_scaled_ns(const struct emu_model *m, double seconds)
{
	double ts = m->cfg.time_scale >= 1.0 ? m->cfg.time_scale : 1.0;
	return (uint64_t)(seconds * 1e9 / ts);
}

void emu_model_cfg_init(struct emu_model_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->api = EMU_API_CURRENT;
	cfg->auth = EMU_AUTH_NONE;
	cfg->time_scale = 1.0;
	cfg->agent_image = "quay.io/edge-infrastructure/assisted-installer-agent:latest";
	cfg->release_tag = "v2.40.0";
	cfg->image_service_base = "https://image-service.emulator.local";
	cfg->seed = 1;
}

struct emu_model *emu_model_new(const struct emu_model_cfg *cfg)
{
	struct emu_model_cfg def;
	struct emu_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	emu_model_cfg_init(&def);
	m->cfg = *cfg;
	if (!(m->cfg.time_scale >= 1.0))
		m->cfg.time_scale = 1.0;
	m->agent_image = strdup(cfg->agent_image ? cfg->agent_image : def.agent_image);
	m->release_tag = strdup(cfg->release_tag ? cfg->release_tag : def.release_tag);
	m->image_service_base = strdup(cfg->image_service_base ? cfg->image_service_base
	                                                         : def.image_service_base);
	m->events = calloc(EMU_EVENTS_MAX, sizeof(*m->events));
	if (!m->agent_image || !m->release_tag || !m->image_service_base || !m->events) {
		emu_model_free(&m);
		return NULL;
	}
	/* The config strings now point into our own copies. */
	m->cfg.agent_image = m->agent_image;
	m->cfg.release_tag = m->release_tag;
	m->cfg.image_service_base = m->image_service_base;
	m->rng = cfg->seed ^ 0x5eedf00dULL;
	return m;
}

void emu_model_free(struct emu_model **mp)
{
	if (!mp || !*mp)
		return;
	struct emu_model *m = *mp;
	for (size_t i = 0; i < m->nclusters; i++) {
		free(m->clusters[i]->hosts);
		free(m->clusters[i]);
	}
	free(m->clusters);
	for (size_t i = 0; i < m->ninfraenvs; i++) {
		free(m->infraenvs[i]->download_url);
		free(m->infraenvs[i]);
	}
	free(m->infraenvs);
	for (size_t i = 1; i < m->n_agent_versions; i++)
		free(m->agent_versions[i]);
	free(m->agent_versions);
	free(m->hosts);
	map_free(&m->host_map);
	map_free(&m->cluster_map);
	map_free(&m->infraenv_map);
	free(m->events);
	emu_kapi_free(m);
	free(m->agent_image);
	free(m->release_tag);
	free(m->image_service_base);
	free(m);
	*mp = NULL;
}

int emu_model_infraenv_exists(const struct emu_model *m, const char *infra_env_id)
{
	struct emu_uuid u;
	if (emu_uuid_parse(infra_env_id, &u) < 0)
		return 0;
	return emu_map_get(&m->infraenv_map, &u) != EMU_NONE;
}

int emu_model_cluster_exists(const struct emu_model *m, const char *cluster_id)
{
	struct emu_uuid u;
	if (emu_uuid_parse(cluster_id, &u) < 0)
		return 0;
	return emu_map_get(&m->cluster_map, &u) != EMU_NONE;
}

void emu_model_counts(const struct emu_model *m, uint64_t host_counts[AS_HOST_STATUS_COUNT],
                      uint64_t cluster_counts[AS_CLUSTER_STATUS_COUNT])
{
	memset(host_counts, 0, sizeof(uint64_t) * AS_HOST_STATUS_COUNT);
	memset(cluster_counts, 0, sizeof(uint64_t) * AS_CLUSTER_STATUS_COUNT);
	for (size_t i = 0; i < m->nhosts; i++)
		if (!m->hosts[i].deleted && m->hosts[i].status < AS_HOST_STATUS_COUNT)
			host_counts[m->hosts[i].status]++;
	for (size_t i = 0; i < m->nclusters; i++)
		if (!m->clusters[i]->deleted && m->clusters[i]->status < AS_CLUSTER_STATUS_COUNT)
			cluster_counts[m->clusters[i]->status]++;
}

size_t emu_model_bytes_per_host(const struct emu_model *m)
{
	if (!m->live_hosts)
		return 0;
	/* Everything the store holds because of hosts: the host array (at its
	 * capacity), the id map, and the per-cluster index lists. */
	size_t bytes = m->caphosts * sizeof(struct emu_host);
	bytes += m->host_map.cap * (sizeof(struct emu_uuid) + sizeof(uint32_t));
	for (size_t i = 0; i < m->nclusters; i++)
		bytes += m->clusters[i]->caphosts * sizeof(uint32_t) + sizeof(struct emu_cluster);
	for (size_t i = 0; i < m->ninfraenvs; i++)
		bytes += sizeof(struct emu_infraenv) +
		         (m->infraenvs[i]->download_url ? strlen(m->infraenvs[i]->download_url) : 0);
	return bytes / m->live_hosts;
}

uint64_t emu_model_requests(const struct emu_model *m)
{
	return m ? m->requests : 0;
}

uint64_t emu_model_monitor_period_ns(const struct emu_model *m)
{
	/* Half the host monitor period so neither monitor runs late by more than that. */
	uint64_t p = emu_scaled_ns(m, 4.0);
	return p ? p : 1;
}

int emu_model_monitor_due(const struct emu_model *m, uint64_t now_ns)
{
	return !m->monitors_started || now_ns >= m->next_host_monitor_ns ||
	       now_ns >= m->next_cluster_monitor_ns;
}

void emu_model_monitor(struct emu_model *m, uint64_t now_ns, int64_t wall_s)
{
	if (!m->monitors_started) {
		m->monitors_started = 1;
		m->next_host_monitor_ns = now_ns;
		m->next_cluster_monitor_ns = now_ns;
	}
	if (now_ns >= m->next_host_monitor_ns) {
		/* Role suggestions feed the per-role hardware validations. */
		for (size_t i = 0; i < m->nclusters; i++) {
			struct emu_cluster *c = m->clusters[i];
			if (c->deleted || !emu_cluster_preinstall(c))
				continue;
			emu_cluster_suggest_roles(m, c);
			emu_cluster_scan_hosts(m, c);
		}
		for (size_t i = 0; i < m->nhosts; i++) {
			struct emu_host *h = &m->hosts[i];
			uint8_t v0[HV_COUNT];
			if (h->deleted)
				continue;
			memcpy(v0, h->v, sizeof(v0));
			emu_host_refresh(m, h, now_ns, wall_s);
			/* a validation that changed is an event, so a reconcile, in kube mode */
			if (memcmp(v0, h->v, sizeof(v0)) != 0)
				emu_kapi_host_changed(m, h);
		}
		m->next_host_monitor_ns = now_ns + emu_scaled_ns(m, 8.0);
	}
	if (now_ns >= m->next_cluster_monitor_ns) {
		for (size_t i = 0; i < m->nclusters; i++) {
			struct emu_cluster *c = m->clusters[i];
			uint8_t v0[CV_COUNT];
			if (c->deleted)
				continue;
			memcpy(v0, c->v, sizeof(v0));
			emu_cluster_refresh(m, c, now_ns, wall_s);
			if (memcmp(v0, c->v, sizeof(v0)) != 0)
				emu_kapi_cluster_changed(m, c);
		}
		m->next_cluster_monitor_ns = now_ns + emu_scaled_ns(m, 10.0);
	}
}
