/*
 * svcmetrics: periodic scrape of the service's /metrics (see svcmetrics.h).
 * One scrape at a time: a scrape still in flight when the next tick comes
 * makes the tick a no-op, so a slow service never piles requests up.
 */
#include "svcmetrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#include "prom_parse.h"
#include "sw_client.h"
#include "sw_err.h"

struct svcm {
	struct event_base *base;
	const struct swarm_service_metrics *cfg;
	struct series *ser;
	struct sw_client *client;
	struct event *tick;
	int busy;
	uint64_t scrapes, failures;
	char last_error[256];
};

const char *svcm_url_path(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "/";
}

struct sw_client *svcm_client_new(struct event_base *base, const struct swarm_service *svc,
                                  const char *url, unsigned timeout_ms, char *err, size_t errlen)
{
	struct sw_client_cfg cfg;
	swarm_service_client_cfg(svc, &cfg);
	cfg.url = url;
	cfg.proto = SW_PROTO_AUTO;
	cfg.connect_timeout_ms = timeout_ms;
	cfg.tls_timeout_ms = timeout_ms;
	cfg.request_timeout_ms = timeout_ms;
	cfg.max_retries = 1;
	cfg.max_conns = 1;
	cfg.max_body_bytes = SVCM_MAX_BODY;
	return sw_client_new(base, &cfg, err, errlen);
}

/* ---------------------------------------------------------- extraction */

struct extract {
	char *const *fam;
	size_t nfam;
	json_t *out;
	int bad;
};

static long fam_index(const struct extract *x, const char *name)
{
	for (size_t i = 0; i < x->nfam; i++)
		if (!strcmp(x->fam[i], name))
			return (long)i;
	return -1;
}

/* The family object of |name|, created on first use. */
static json_t *fam_obj(struct extract *x, const char *name)
{
	json_t *f = json_object_get(x->out, name);
	if (f)
		return f;
	f = json_pack("{s:s, s:[], s:i}", "type", "untyped", "samples", "dropped", 0);
	if (!f || json_object_set_new(x->out, name, f) < 0) {
		x->bad = 1;
		return NULL;
	}
	return f;
}

static int on_type(void *arg, const char *name, const char *type)
{
	struct extract *x = arg;
	if (fam_index(x, name) < 0)
		return 0;
	json_t *f = fam_obj(x, name);
	if (f && json_object_set_new(f, "type", json_string(type)) < 0)
		x->bad = 1;
	return x->bad;
}

static int on_sample(void *arg, const char *name, const char *const *labels, size_t nlabels,
                     double value)
{
	struct extract *x = arg;
	if (fam_index(x, name) < 0)
		return 0;
	json_t *f = fam_obj(x, name);
	if (!f)
		return 1;
	json_t *samples = json_object_get(f, "samples");
	if (!isfinite(value) || json_array_size(samples) >= SVCM_MAX_SAMPLES) {
		json_t *d = json_object_get(f, "dropped");
		json_integer_set(d, json_integer_value(d) + 1);
		return 0;
	}
	json_t *l = json_object();
	for (size_t i = 0; l && i < nlabels; i++)
		if (json_object_set_new(l, labels[2 * i], json_string(labels[2 * i + 1])) < 0)
			x->bad = 1;
	json_t *s = l ? json_pack("{s:o, s:f}", "labels", l, "value", value) : NULL;
	if (!s || json_array_append_new(samples, s) < 0)
		x->bad = 1;
	return x->bad;
}

char *svcm_extract(const char *text, size_t len, char *const *fam, size_t nfam, char *err,
                   size_t errlen)
{
	struct extract x = {.fam = fam, .nfam = nfam, .out = json_object()};
	if (!x.out) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rv = prom_parse(text, len, on_type, on_sample, &x, err, errlen);
	char *res = NULL;
	if (rv == 0 && !x.bad)
		res = json_dumps(x.out, JSON_COMPACT | JSON_REAL_PRECISION(12));
	if (!res && rv == 0)
		snprintf(err, errlen, "out of memory");
	json_decref(x.out);
	return res;
}

/* -------------------------------------------------------------- scrape */

static void on_scraped(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct svcm *m = arg;
	m->busy = 0;
	if (err == SW_ERR_CANCELLED)
		return; /* the scraper is being freed */
	m->scrapes++;
	if (err < 0 || !resp || resp->status != 200) {
		m->failures++;
		if (err < 0)
			snprintf(m->last_error, sizeof(m->last_error), "%s", msg ? msg : sw_err_name(err));
		else
			snprintf(m->last_error, sizeof(m->last_error), "HTTP %d", resp ? resp->status : 0);
		return;
	}
	size_t len = evbuffer_get_length(resp->body);
	const char *text = (const char *)evbuffer_pullup(resp->body, -1);
	char why[200];
	char *json = svcm_extract(text ? text : "", text ? len : 0, m->cfg->families, m->cfg->nfamilies,
	                          why, sizeof(why));
	if (!json) {
		m->failures++;
		snprintf(m->last_error, sizeof(m->last_error), "bad exposition: %s", why);
		return;
	}
	if (m->ser)
		series_set_service_metrics(m->ser, json);
	else
		free(json);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct svcm *m = arg;
	(void)fd;
	(void)what;
	if (m->busy)
		return;
	struct sw_req *req = sw_req_new("GET", svcm_url_path(m->cfg->url));
	if (!req || sw_req_header(req, "accept", "text/plain") != 0) {
		sw_req_free(&req);
		return;
	}
	if (sw_client_request(m->client, NULL, req, on_scraped, m) == 0)
		m->busy = 1;
}

struct svcm *svcm_new(struct event_base *base, const struct swarm_service *svc, struct series *ser,
                      char *err, size_t errlen)
{
	const struct swarm_service_metrics *cfg = &svc->service_metrics;
	struct svcm *m = calloc(1, sizeof(*m));
	char why[512];
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->base = base;
	m->cfg = cfg;
	m->ser = ser;
	unsigned tmo = cfg->interval_ms < 10000 ? cfg->interval_ms : 10000;
	m->client = svcm_client_new(base, svc, cfg->url, tmo, why, sizeof(why));
	m->tick = event_new(base, -1, EV_PERSIST, on_tick, m);
	if (!m->client || !m->tick) {
		snprintf(err, errlen, "%s: service_metrics.url %s: %s", svc->path, cfg->url,
		         m->client ? "out of memory" : why);
		svcm_free(&m);
		return NULL;
	}
	struct timeval tv = {cfg->interval_ms / 1000, (cfg->interval_ms % 1000) * 1000};
	event_add(m->tick, &tv);
	event_active(m->tick, EV_TIMEOUT, 0);
	return m;
}

void svcm_free(struct svcm **mp)
{
	if (!mp || !*mp)
		return;
	struct svcm *m = *mp;
	if (m->tick)
		event_free(m->tick);
	sw_client_free(&m->client); /* runs on_scraped with SW_ERR_CANCELLED */
	free(m);
	*mp = NULL;
}

json_t *svcm_status_json(const struct svcm *m)
{
	json_t *fam = json_array();
	for (size_t i = 0; fam && i < m->cfg->nfamilies; i++)
		json_array_append_new(fam, json_string(m->cfg->families[i]));
	return json_pack("{s:s, s:f, s:o, s:I, s:I, s:o}", "url", m->cfg->url,
	                 "interval_seconds", m->cfg->interval_ms / 1e3, "families", fam ? fam : json_array(),
	                 "scrapes", (json_int_t)m->scrapes, "failures", (json_int_t)m->failures,
	                 "last_error", m->last_error[0] ? json_string(m->last_error) : json_null());
}
