#include "emu_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_util.h"
#include "hist.h"
#include "prom.h"

#define SLOTS 256             /* open addressing; > 1.5 x EMU_METRICS_MAX_OPS */
#define CODES_PER_OP 16
#define NAME_MAX_LEN 48

static const double buckets_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
#define NBUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

struct code_count {
	int code;               /* -1 = other codes once the list is full */
	uint64_t n;
};

struct op_entry {
	char name[NAME_MAX_LEN];  /* "" = free slot */
	struct hist *hist;        /* allocated on the first request */
	struct code_count codes[CODES_PER_OP];
	size_t ncodes;
	uint64_t faults[EMU_FAULT_KIND_COUNT];
};

struct emu_metrics {
	struct op_entry slots[SLOTS];
	size_t nops;
};

struct emu_metrics *emu_metrics_new(void)
{
	return emu_util_xcalloc(1, sizeof(struct emu_metrics));
}

void emu_metrics_free(struct emu_metrics **mp)
{
	if (!mp || !*mp)
		return;
	for (size_t i = 0; i < SLOTS; i++)
		free((*mp)->slots[i].hist);
	free(*mp);
	*mp = NULL;
}

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Finds (or, when |create|, adds) the entry of |name|; folds into "other" when full. */
static struct op_entry *lookup(struct emu_metrics *m, const char *name, int create)
{
	if (!name || !*name)
		name = "unknown";
	size_t len = strlen(name);
	if (len >= NAME_MAX_LEN)
		len = NAME_MAX_LEN - 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		uint32_t h = hash_name(name) % SLOTS;
		for (size_t i = 0; i < SLOTS; i++) {
			struct op_entry *e = &m->slots[(h + i) % SLOTS];
			if (!e->name[0]) {
				if (!create)
					return NULL;
				if (m->nops >= EMU_METRICS_MAX_OPS && strcmp(name, "other") != 0)
					break; /* full: retry as "other" */
				memcpy(e->name, name, len);
				e->name[len] = '\0';
				m->nops++;
				return e;
			}
			if (strncmp(e->name, name, len) == 0 && e->name[len] == '\0')
				return e;
		}
		name = "other";
		len = 5;
	}
	return NULL;
}

static const struct op_entry *lookup_const(const struct emu_metrics *m, const char *name)
{
	return lookup((struct emu_metrics *)m, name, 0);
}

void emu_metrics_request(struct emu_metrics *m, const char *operation, int status,
                         uint64_t duration_ns)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (!e)
		return;
	if (!e->hist) {
		e->hist = emu_util_xmalloc(sizeof(*e->hist));
		hist_init(e->hist);
	}
	hist_record(e->hist, duration_ns);
	for (size_t i = 0; i < e->ncodes; i++) {
		if (e->codes[i].code == status) {
			e->codes[i].n++;
			return;
		}
	}
	if (e->ncodes < CODES_PER_OP - 1) {
		e->codes[e->ncodes].code = status;
		e->codes[e->ncodes].n = 1;
		e->ncodes++;
		return;
	}
	/* The last slot collects every further code. */
	e->codes[CODES_PER_OP - 1].code = -1;
	e->codes[CODES_PER_OP - 1].n++;
	e->ncodes = CODES_PER_OP;
}

void emu_metrics_fault(struct emu_metrics *m, enum emu_fault_kind kind, const char *operation)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (e && kind < EMU_FAULT_KIND_COUNT)
		e->faults[kind]++;
}

uint64_t emu_metrics_get_requests(const struct emu_metrics *m, const char *operation, int status)
{
	const struct op_entry *e = lookup_const(m, operation);
	for (size_t i = 0; e && i < e->ncodes; i++)
		if (e->codes[i].code == status)
			return e->codes[i].n;
	return 0;
}

uint64_t emu_metrics_get_faults(const struct emu_metrics *m, enum emu_fault_kind kind,
                                const char *operation)
{
	const struct op_entry *e = lookup_const(m, operation);
	return (e && kind < EMU_FAULT_KIND_COUNT) ? e->faults[kind] : 0;
}

static void code_label(int code, char *buf, size_t len)
{
	if (code < 0)
		snprintf(buf, len, "other");
	else if (code == 0)
		snprintf(buf, len, "reset");
	else
		snprintf(buf, len, "%d", code);
}

static void render_requests(const struct emu_metrics *m, const struct emu_metrics_gauges *g,
                            struct evbuffer *out)
{
	prom_family(out, "emulator_requests_total", "counter",
	            "API requests answered, by operation and HTTP status (code=\"reset\": stream reset)");
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		for (size_t c = 0; e->name[0] && c < e->ncodes; c++) {
			char code[16];
			code_label(e->codes[c].code, code, sizeof(code));
			const char *labels[] = {"operation", e->name, "code", code, NULL};
			prom_sample_u64(out, "emulator_requests_total", labels, e->codes[c].n);
		}
	}
	prom_family(out, "emulator_request_duration_seconds", "histogram",
	            "Time from request head to response, injected latency included");
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		if (!e->name[0] || !e->hist)
			continue;
		uint64_t counts[NBUCKETS + 1];
		hist_to_buckets(e->hist, buckets_s, NBUCKETS, counts);
		const char *labels[] = {"operation", e->name, NULL};
		prom_histogram(out, "emulator_request_duration_seconds", labels, buckets_s, counts,
		               NBUCKETS, (double)e->hist->sum_ns / 1e9, e->hist->count);
	}
	prom_family(out, "emulator_faults_injected_total", "counter",
	            "Faults injected, by kind and operation (\"*\": connection-wide)");
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		for (int k = 0; e->name[0] && k < EMU_FAULT_KIND_COUNT; k++) {
			if (!e->faults[k])
				continue;
			const char *labels[] = {"kind", emu_fault_kind_name((enum emu_fault_kind)k),
			                        "operation", e->name, NULL};
			prom_sample_u64(out, "emulator_faults_injected_total", labels, e->faults[k]);
		}
	}
	if (g && g->goaway_faults) {
		const char *labels[] = {"kind", "goaway", "operation", "*", NULL};
		prom_sample_u64(out, "emulator_faults_injected_total", labels, g->goaway_faults);
	}
}

static void counter(struct evbuffer *out, const char *name, const char *type, const char *help,
                    uint64_t v)
{
	prom_family(out, name, type, help);
	prom_sample_u64(out, name, NULL, v);
}

static void render_gauges(const struct emu_metrics_gauges *g, struct evbuffer *out)
{
	prom_family(out, "emulator_hosts", "gauge", "Hosts in the model, by status");
	for (int s = 0; s < AS_HOST_STATUS_COUNT; s++) {
		const char *labels[] = {"status", as_host_status_name((enum as_host_status)s), NULL};
		prom_sample_u64(out, "emulator_hosts", labels, g->hosts[s]);
	}
	prom_family(out, "emulator_clusters", "gauge", "Clusters in the model, by status");
	for (int s = 0; s < AS_CLUSTER_STATUS_COUNT; s++) {
		const char *labels[] = {"status", as_cluster_status_name((enum as_cluster_status)s), NULL};
		prom_sample_u64(out, "emulator_clusters", labels, g->clusters[s]);
	}
	const struct sw_server_stats *s = &g->server;
	counter(out, "emulator_connections_open", "gauge", "Client connections open now", s->conns_open);
	counter(out, "emulator_connections_accepted_total", "counter", "Connections accepted",
	        s->conns_accepted);
	counter(out, "emulator_connections_h2_total", "counter", "Connections that spoke HTTP/2",
	        s->conns_h2);
	counter(out, "emulator_connections_http1_total", "counter", "Connections that spoke HTTP/1.1",
	        s->conns_h1);
	counter(out, "emulator_connections_tls_total", "counter", "Connections over TLS", s->conns_tls);
	counter(out, "emulator_server_requests_total", "counter", "Requests parsed by the server",
	        s->requests);
	counter(out, "emulator_server_resets_total", "counter", "Exchanges reset by the server",
	        s->resets);
	counter(out, "emulator_server_goaways_total", "counter", "GOAWAY frames sent", s->goaways);
	counter(out, "emulator_server_drops_total", "counter", "Connections dropped on purpose",
	        s->drops);
	counter(out, "emulator_server_bad_requests_total", "counter", "Malformed requests refused",
	        s->bad_requests);
	counter(out, "emulator_pending_delayed_exchanges", "gauge",
	        "Exchanges waiting for an injected latency", g->pending_delayed);
	counter(out, "emulator_auth_token_cache_hits_total", "counter",
	        "Local-auth tokens found in the verified-token cache", g->auth_cache_hits);
	counter(out, "emulator_auth_token_cache_misses_total", "counter",
	        "Local-auth tokens verified with ECDSA", g->auth_cache_misses);
	counter(out, "emulator_model_requests_total", "counter",
	        "Requests that reached an operation of the model (authenticated, not faulted)",
	        g->model_requests);
	counter(out, "emulator_model_bytes_per_host", "gauge",
	        "Approximate model memory per registered host", g->bytes_per_host);
	prom_family(out, "emulator_uptime_seconds", "gauge", "Seconds since the emulator started");
	prom_sample(out, "emulator_uptime_seconds", NULL, g->uptime_seconds);
}

void emu_metrics_render(const struct emu_metrics *m, const struct emu_metrics_gauges *g,
                        struct evbuffer *out)
{
	render_requests(m, g, out);
	if (g)
		render_gauges(g, out);
}
