#include "emu_metrics.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "prom.h"
#include "sw_xalloc.h"

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

#define ERR_CODES_PER_OP 4

struct op_entry {
	char name[NAME_MAX_LEN];  /* "" = free slot */
	struct hist *hist;        /* allocated on the first request */
	struct code_count codes[CODES_PER_OP];
	size_t ncodes;
	uint64_t faults[EMU_FAULT_KIND_COUNT];  /* reached the client */
	uint64_t lost[EMU_FAULT_KIND_COUNT];    /* drawn, exchange gone */
	uint64_t delay_ns;                      /* delivered latency */
	struct code_count err_codes[ERR_CODES_PER_OP];
	uint64_t restart_lost, replies_lost;
};

struct emu_metrics {
	struct op_entry slots[SLOTS];
	size_t nops;
};

struct emu_metrics *emu_metrics_new(void)
{
	return xcalloc(1, sizeof(struct emu_metrics));
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

/* Counts |code| in a bounded list (|n| slots, *|used| in use); the last slot
 * collects every code that finds the list full. */
static void count_code(struct code_count *v, size_t n, size_t *used, int code)
{
	for (size_t i = 0; i < *used; i++) {
		if (v[i].code == code) {
			v[i].n++;
			return;
		}
	}
	if (*used < n - 1) {
		v[*used].code = code;
		v[*used].n = 1;
		(*used)++;
		return;
	}
	v[n - 1].code = -1;
	v[n - 1].n++;
	*used = n;
}

void emu_metrics_request(struct emu_metrics *m, const char *operation, int status,
                         uint64_t duration_ns)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (!e)
		return;
	if (!e->hist) {
		e->hist = xmalloc(sizeof(*e->hist));
		hist_init(e->hist);
	}
	hist_record(e->hist, duration_ns);
	count_code(e->codes, CODES_PER_OP, &e->ncodes, status);
}

void emu_metrics_fault(struct emu_metrics *m, enum emu_fault_kind kind, const char *operation)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (e && kind < EMU_FAULT_KIND_COUNT)
		e->faults[kind]++;
}

void emu_metrics_fault_lost(struct emu_metrics *m, enum emu_fault_kind kind, const char *operation)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (e && kind < EMU_FAULT_KIND_COUNT)
		e->lost[kind]++;
}

void emu_metrics_fault_delay(struct emu_metrics *m, const char *operation, uint64_t delay_ns)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (e)
		e->delay_ns += delay_ns;
}

void emu_metrics_fault_status(struct emu_metrics *m, const char *operation, int status)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (!e)
		return;
	size_t used = 0;
	while (used < ERR_CODES_PER_OP && e->err_codes[used].n)
		used++;
	count_code(e->err_codes, ERR_CODES_PER_OP, &used, status);
}

void emu_metrics_restart_lost(struct emu_metrics *m, const char *operation)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (e)
		e->restart_lost++;
}

void emu_metrics_reply_lost(struct emu_metrics *m, const char *operation)
{
	struct op_entry *e = lookup(m, operation, 1);
	if (e)
		e->replies_lost++;
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

uint64_t emu_metrics_get_faults_lost(const struct emu_metrics *m, enum emu_fault_kind kind,
                                     const char *operation)
{
	const struct op_entry *e = lookup_const(m, operation);
	return (e && kind < EMU_FAULT_KIND_COUNT) ? e->lost[kind] : 0;
}

uint64_t emu_metrics_get_restart_lost(const struct emu_metrics *m, const char *operation)
{
	const struct op_entry *e = lookup_const(m, operation);
	return e ? e->restart_lost : 0;
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

/* One counter family with a sample per operation and fault kind: the
 * uint64_t[EMU_FAULT_KIND_COUNT] at |off| in each entry; zeros left out. */
static void render_kinds(const struct emu_metrics *m, struct evbuffer *out, const char *name,
                         const char *help, size_t off)
{
	prom_family(out, name, "counter", help);
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		const uint64_t *v = (const uint64_t *)((const char *)e + off);
		for (int k = 0; e->name[0] && k < EMU_FAULT_KIND_COUNT; k++) {
			if (!v[k])
				continue;
			const char *labels[] = {"kind", emu_fault_kind_name((enum emu_fault_kind)k),
			                        "operation", e->name, NULL};
			prom_sample_u64(out, name, labels, v[k]);
		}
	}
}

/* One counter family with a sample per operation: the uint64_t at |off| in
 * each entry, times |scale| when it is not 0 (ns to seconds); zeros left out. */
static void render_per_op(const struct emu_metrics *m, struct evbuffer *out, const char *name,
                          const char *help, size_t off, double scale)
{
	prom_family(out, name, "counter", help);
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		uint64_t v = *(const uint64_t *)((const char *)e + off);
		if (!e->name[0] || !v)
			continue;
		const char *labels[] = {"operation", e->name, NULL};
		if (scale)
			prom_sample(out, name, labels, (double)v * scale);
		else
			prom_sample_u64(out, name, labels, v);
	}
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
	render_kinds(m, out, "emulator_faults_injected_total",
	             "Faults that reached the client, by kind and operation (\"*\": connection-wide)",
	             offsetof(struct op_entry, faults));
	if (g && g->goaway_faults) {
		const char *labels[] = {"kind", "goaway", "operation", "*", NULL};
		prom_sample_u64(out, "emulator_faults_injected_total", labels, g->goaway_faults);
	}
	render_kinds(m, out, "emulator_faults_lost_total",
	             "Faults drawn whose exchange had gone (restart or client close) before they "
	             "reached the client, by kind and operation", offsetof(struct op_entry, lost));
	prom_family(out, "emulator_fault_error_responses_total", "counter",
	            "Error statuses sent by error faults, by operation and code");
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		for (size_t c = 0; e->name[0] && c < ERR_CODES_PER_OP; c++) {
			if (!e->err_codes[c].n)
				continue;
			char code[16];
			code_label(e->err_codes[c].code, code, sizeof(code));
			const char *labels[] = {"operation", e->name, "code", code, NULL};
			prom_sample_u64(out, "emulator_fault_error_responses_total", labels, e->err_codes[c].n);
		}
	}
	render_per_op(m, out, "emulator_fault_latency_seconds_total",
	              "Latency injected into replies that reached the client, by operation",
	              offsetof(struct op_entry, delay_ns), 1e-9);
	render_per_op(m, out, "emulator_restart_replies_lost_total",
	              "Exchanges the emulator held (delayed or waiting) when a restart dropped their "
	              "connection, by operation", offsetof(struct op_entry, restart_lost), 0);
	render_per_op(m, out, "emulator_replies_lost_total",
	              "Replies that found their connection gone (restart or client close), by operation",
	              offsetof(struct op_entry, replies_lost), 0);
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
	const struct emu_state_stats *st = &g->state;
	/* One sample each: name, type ("c" counter, "g" gauge), help, value. */
	const struct {
		const char *name, *type, *help;
		uint64_t v;
		int state_only;
	} rows[] = {
		{"emulator_connections_open", "g", "Client connections open now", s->conns_open, 0},
		{"emulator_connections_accepted_total", "c", "Connections accepted", s->conns_accepted, 0},
		{"emulator_connections_h2_total", "c", "Connections that spoke HTTP/2", s->conns_h2, 0},
		{"emulator_connections_http1_total", "c", "Connections that spoke HTTP/1.1", s->conns_h1, 0},
		{"emulator_connections_tls_total", "c", "Connections over TLS", s->conns_tls, 0},
		{"emulator_server_requests_total", "c", "Requests parsed by the server", s->requests, 0},
		{"emulator_server_resets_total", "c", "Exchanges reset by the server", s->resets, 0},
		{"emulator_server_goaways_total", "c", "GOAWAY frames sent", s->goaways, 0},
		{"emulator_server_drops_total", "c", "Connections dropped on purpose", s->drops, 0},
		{"emulator_server_bad_requests_total", "c", "Malformed requests refused", s->bad_requests, 0},
		{"emulator_restart_connections_dropped_total", "c", "Connections dropped by restarts",
		 s->drops, 0},
		{"emulator_restart_exchanges_in_flight_total", "c",
		 "Exchanges awaiting their reply on connections dropped by restarts", s->drop_exchanges, 0},
		{"emulator_restart_replies_unsent_total", "c",
		 "Replies written but not yet sent when a restart dropped their connection",
		 s->drop_unsent, 0},
		{"emulator_restart_requests_partial_total", "c",
		 "Requests still arriving when a restart dropped their connection", s->drop_partial, 0},
		{"emulator_server_connections_refused_total", "c",
		 "Connections closed at accept: the connection limit was reached", s->conns_refused, 0},
		{"emulator_server_body_too_large_total", "c",
		 "Requests refused with 413: body over its operation's limit", s->too_large, 0},
		{"emulator_server_body_over_budget_total", "c",
		 "Requests refused with 503: bodies in memory would pass the global budget",
		 s->over_budget, 0},
		{"emulator_server_body_bytes", "g", "Request-body bytes held in memory now",
		 s->body_bytes, 0},
		{"emulator_server_body_bytes_peak", "g", "Most request-body bytes held in memory at once",
		 s->body_bytes_peak, 0},
		{"emulator_server_header_timeouts_total", "c",
		 "Request heads (or TLS handshakes) not complete within the header timeout",
		 s->header_timeouts, 0},
		{"emulator_server_body_timeouts_total", "c",
		 "Request bodies not complete within the body timeout", s->body_timeouts, 0},
		{"emulator_server_idle_h2_closed_total", "c",
		 "HTTP/2 connections closed after the idle timeout without a stream", s->idle_h2_closed, 0},
		{"emulator_server_tls_on_plain_total", "c",
		 "TLS handshakes received on the cleartext port (answered 400)", s->tls_on_plain, 0},
		{"emulator_pending_delayed_exchanges", "g", "Exchanges waiting for an injected latency",
		 g->pending_delayed, 0},
		{"emulator_auth_token_cache_hits_total", "c",
		 "Local-auth tokens found in the verified-token cache", g->auth_cache_hits, 0},
		{"emulator_auth_token_cache_misses_total", "c", "Local-auth tokens verified with ECDSA",
		 g->auth_cache_misses, 0},
		{"emulator_model_requests_total", "c",
		 "Requests that reached an operation of the model (authenticated, not faulted)",
		 g->model_requests, 0},
		{"emulator_model_bytes_per_host", "g", "Approximate model memory per registered host",
		 g->bytes_per_host, 0},
		{"emulator_state_journal_records_total", "c", "Journal records written (--state-dir)",
		 st->records, 1},
		{"emulator_state_journal_bytes_total", "c", "Journal bytes written", st->bytes, 1},
		{"emulator_state_fsyncs_total", "c", "Journal fdatasync calls done", st->fsyncs, 1},
		{"emulator_state_snapshots_total", "c", "Snapshots written", st->snapshots, 1},
		{"emulator_state_snapshot_failures_total", "c", "Snapshots that failed",
		 st->snapshot_failures, 1},
		{"emulator_state_write_errors_total", "c", "Journal writes that failed (journaling stops)",
		 st->write_errors, 1},
		{"emulator_state_recovered_records", "g", "Journal records replayed at start",
		 st->recovered_records, 1},
		{"emulator_state_replies_waiting_fsync", "g",
		 "Replies held until their journal record is durable (--fsync always)",
		 st->durable_waiting, 1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].state_only && !g->have_state)
			continue;
		prom_family(out, rows[i].name, rows[i].type[0] == 'c' ? "counter" : "gauge", rows[i].help);
		prom_sample_u64(out, rows[i].name, NULL, rows[i].v);
	}
	prom_family(out, "emulator_uptime_seconds", "gauge", "Seconds since the emulator started");
	prom_sample(out, "emulator_uptime_seconds", NULL, g->uptime_seconds);
}

static int set_u64(json_t *o, const char *k, uint64_t v)
{
	return json_object_set_new(o, k, json_integer((json_int_t)v));
}

json_t *emu_metrics_faults_json(const struct emu_metrics *m, const struct emu_metrics_gauges *g)
{
	json_t *root = json_object(), *ops = json_object();
	uint64_t tot[EMU_FAULT_KIND_COUNT] = {0}, tot_lost[EMU_FAULT_KIND_COUNT] = {0};
	uint64_t tot_restart = 0;
	if (!root || !ops) {
		json_decref(root);
		json_decref(ops);
		return NULL;
	}
	for (size_t i = 0; i < SLOTS; i++) {
		const struct op_entry *e = &m->slots[i];
		if (!e->name[0] || strcmp(e->name, "*") == 0)
			continue;
		json_t *op = json_object();
		int any = e->restart_lost || e->replies_lost;
		for (int k = EMU_FAULT_ERROR; k <= EMU_FAULT_RESET; k++) {
			if (!e->faults[k] && !e->lost[k])
				continue;
			json_t *kd = json_object();
			set_u64(kd, "injected", e->faults[k]);
			set_u64(kd, "lost", e->lost[k]);
			if (k == EMU_FAULT_LATENCY)
				json_object_set_new(kd, "seconds", json_real((double)e->delay_ns / 1e9));
			if (k == EMU_FAULT_ERROR) {
				json_t *codes = json_object();
				for (size_t c = 0; c < ERR_CODES_PER_OP; c++) {
					char code[16];
					if (!e->err_codes[c].n)
						continue;
					code_label(e->err_codes[c].code, code, sizeof(code));
					set_u64(codes, code, e->err_codes[c].n);
				}
				json_object_set_new(kd, "statuses", codes);
			}
			json_object_set_new(op, emu_fault_kind_name((enum emu_fault_kind)k), kd);
			tot[k] += e->faults[k];
			tot_lost[k] += e->lost[k];
			any = 1;
		}
		if (e->restart_lost)
			set_u64(op, "restart_replies_lost", e->restart_lost);
		if (e->replies_lost)
			set_u64(op, "replies_lost", e->replies_lost);
		tot_restart += e->restart_lost;
		if (any)
			json_object_set_new(ops, e->name, op);
		else
			json_decref(op);
	}
	json_object_set_new(root, "operations", ops);
	json_t *totals = json_object();
	for (int k = EMU_FAULT_ERROR; k <= EMU_FAULT_RESET; k++) {
		json_t *kd = json_object();
		set_u64(kd, "injected", tot[k]);
		set_u64(kd, "lost", tot_lost[k]);
		json_object_set_new(totals, emu_fault_kind_name((enum emu_fault_kind)k), kd);
	}
	json_object_set_new(root, "totals", totals);
	const struct op_entry *star = lookup_const(m, "*");
	json_t *restart = json_object();
	set_u64(restart, "count", star ? star->faults[EMU_FAULT_RESTART] : 0);
	set_u64(restart, "replies_lost", tot_restart);
	if (g) {
		set_u64(restart, "connections_dropped", g->server.drops);
		set_u64(restart, "exchanges_in_flight", g->server.drop_exchanges);
		set_u64(restart, "replies_unsent", g->server.drop_unsent);
		set_u64(restart, "requests_partial", g->server.drop_partial);
	}
	json_object_set_new(root, "restart", restart);
	json_t *goaway = json_object();
	set_u64(goaway, "injected", g ? g->goaway_faults : 0);
	json_object_set_new(root, "goaway", goaway);
	return root;
}

void emu_metrics_render(const struct emu_metrics *m, const struct emu_metrics_gauges *g,
                        struct evbuffer *out)
{
	render_requests(m, g, out);
	if (g)
		render_gauges(g, out);
}
