/* The kube-key tables: which model infra-env and cluster belong to which
 * InfraEnv and ClusterDeployment (the real service keeps kube_key_name and
 * kube_key_namespace columns for this), on a small string hash map. */
#include "ctl_int.h"

#include <stdlib.h>
#include <string.h>

#include "sw_xalloc.h"

struct sm_ent {
	struct sm_ent *next;
	char *key, *val;
	uint64_t hash;
};

struct ctl_smap {
	struct sm_ent **b;
	size_t nb, n;
};

static uint64_t sm_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct ctl_smap *ctl_smap_new(void)
{
	struct ctl_smap *m = xcalloc(1, sizeof(*m));
	m->nb = 64;
	m->b = xcalloc(m->nb, sizeof(*m->b));
	return m;
}

void ctl_smap_free(struct ctl_smap **mp)
{
	if (!mp || !*mp)
		return;
	struct ctl_smap *m = *mp;
	for (size_t i = 0; i < m->nb; i++) {
		struct sm_ent *e = m->b[i];
		while (e) {
			struct sm_ent *n = e->next;
			free(e->key);
			free(e->val);
			free(e);
			e = n;
		}
	}
	free(m->b);
	free(m);
	*mp = NULL;
}

static struct sm_ent **sm_find(const struct ctl_smap *m, const char *key, uint64_t h)
{
	struct sm_ent **pp = &m->b[h & (m->nb - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

const char *ctl_smap_get(const struct ctl_smap *m, const char *key)
{
	if (!key)
		return NULL;
	struct sm_ent *e = *sm_find(m, key, sm_hash(key));
	return e ? e->val : NULL;
}

void ctl_smap_put(struct ctl_smap *m, const char *key, const char *val)
{
	uint64_t h = sm_hash(key);
	struct sm_ent **pp = sm_find(m, key, h);
	if (*pp) {
		free((*pp)->val);
		(*pp)->val = xstrdup(val);
		return;
	}
	if (m->n >= m->nb) {
		size_t nb = m->nb * 2;
		struct sm_ent **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < m->nb; i++) {
			struct sm_ent *e = m->b[i];
			while (e) {
				struct sm_ent *n = e->next;
				e->next = b[e->hash & (nb - 1)];
				b[e->hash & (nb - 1)] = e;
				e = n;
			}
		}
		free(m->b);
		m->b = b;
		m->nb = nb;
		pp = sm_find(m, key, h);
	}
	struct sm_ent *e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->val = xstrdup(val);
	e->hash = h;
	*pp = e;
	m->n++;
}

void ctl_smap_del(struct ctl_smap *m, const char *key)
{
	struct sm_ent **pp = sm_find(m, key, sm_hash(key));
	struct sm_ent *e = *pp;
	if (!e)
		return;
	*pp = e->next;
	free(e->key);
	free(e->val);
	free(e);
	m->n--;
}

/* Finds |item| as a whole line of |list|; returns its start or NULL. */
static const char *find_line(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && memcmp(p, item, n) == 0)
			return p;
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

void ctl_smap_set_add(struct ctl_smap *m, const char *key, const char *item)
{
	const char *cur = ctl_smap_get(m, key);
	if (!cur) {
		ctl_smap_put(m, key, item);
		return;
	}
	if (find_line(cur, item))
		return;
	size_t a = strlen(cur), b = strlen(item);
	char *v = xmalloc(a + b + 2);
	memcpy(v, cur, a);
	v[a] = '\n';
	memcpy(v + a + 1, item, b + 1);
	ctl_smap_put(m, key, v);
	free(v);
}

void ctl_smap_set_del(struct ctl_smap *m, const char *key, const char *item)
{
	const char *cur = ctl_smap_get(m, key);
	const char *at = cur ? find_line(cur, item) : NULL;
	if (!at)
		return;
	size_t n = strlen(item), len = strlen(cur);
	char *v = xmalloc(len + 1);
	size_t pre = (size_t)(at - cur);
	memcpy(v, cur, pre);
	const char *rest = at + n;
	if (*rest == '\n')
		rest++;
	else if (pre)
		pre--; /* drop the separator before the last line */
	strcpy(v + pre, rest);
	if (*v)
		ctl_smap_put(m, key, v);
	else
		ctl_smap_del(m, key);
	free(v);
}

static void set_pair(struct ctl_smap *by_id, struct ctl_smap *by_key, const char *id,
                     const char *key)
{
	const char *old = ctl_smap_get(by_id, id);
	if (old)
		ctl_smap_del(by_key, old);
	ctl_smap_put(by_id, id, key);
	ctl_smap_put(by_key, key, id);
}

static void del_pair(struct ctl_smap *by_id, struct ctl_smap *by_key, const char *id)
{
	/* |id| may be the value stored in |by_key| (ctl_keys_*_id): copy it first */
	char *own = xstrdup(id);
	const char *key = ctl_smap_get(by_id, own);
	if (key)
		ctl_smap_del(by_key, key);
	ctl_smap_del(by_id, own);
	free(own);
}

void ctl_keys_set_infraenv(struct ctl *c, const char *id, const char *key)
{
	set_pair(c->ie_key, c->ie_id, id, key);
}

void ctl_keys_set_cluster(struct ctl *c, const char *id, const char *key)
{
	set_pair(c->cd_key, c->cd_id, id, key);
}

void ctl_keys_del_infraenv(struct ctl *c, const char *id)
{
	del_pair(c->ie_key, c->ie_id, id);
}

void ctl_keys_del_cluster(struct ctl *c, const char *id)
{
	del_pair(c->cd_key, c->cd_id, id);
}

static const char *by_key(const struct ctl_smap *m, const char *ns, const char *name)
{
	char key[512];
	if ((size_t)snprintf(key, sizeof(key), "%s/%s", ns, name) >= sizeof(key))
		return NULL;
	return ctl_smap_get(m, key);
}

const char *ctl_keys_infraenv_id(const struct ctl *c, const char *ns, const char *name)
{
	return by_key(c->ie_id, ns, name);
}

const char *ctl_keys_cluster_id(const struct ctl *c, const char *ns, const char *name)
{
	return by_key(c->cd_id, ns, name);
}

const char *ctl_keys_infraenv_key(const struct ctl *c, const char *id)
{
	return ctl_smap_get(c->ie_key, id);
}

const char *ctl_keys_cluster_key(const struct ctl *c, const char *id)
{
	return ctl_smap_get(c->cd_key, id);
}

int ctl_key_split(const char *key, char *ns, size_t nslen, char *name, size_t namelen)
{
	const char *slash = key ? strchr(key, '/') : NULL;
	if (!slash || (size_t)(slash - key) >= nslen || strlen(slash + 1) >= namelen)
		return -1;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	strcpy(name, slash + 1);
	return 0;
}
