/*
 * test_client_fair: the client's fairness controls on a loop with event
 * priorities (sw_client_set_priorities, deliver_batch, deliver_slice_us):
 * a higher-priority event runs between delivery passes, passes are bounded
 * by count and by time, errors are delivered the same way, and
 * sw_client_free still runs every pending callback. The server is the
 * project's own sw_server on the same loop; it holds every request and
 * answers them all at once, so the replies arrive as one burst.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_server_util.h"
#include "sw_client.h"
#include "sw_http.h"

enum { PRIO_HIGH, PRIO_DELIVER, PRIO_IO, NPRIO };
#define FAIR_MAX 64

struct fair {
	struct event_base *base;
	struct sw_server *srv;
	struct sw_client *c;
	struct event *probe;          /* PRIO_HIGH: stands for a due timer */
	struct sw_exchange *held[FAIR_MAX];
	int nheld, burst;             /* server answers once |burst| requests are held */
	int done, errors, ok;
	int since_probe, max_since;   /* callbacks run without the probe between */
	int probe_runs;
	unsigned spin_us;             /* busy work per callback */
	int stop_after;               /* loopbreak after this many callbacks (0 = no) */
	struct tfx fx;                /* temp dir and certificate for TLS */
};

static void fair_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct fair *f = arg;
	(void)req;
	f->held[f->nheld++] = x;
	if (f->nheld < f->burst)
		return;
	for (int i = 0; i < f->nheld; i++)
		sw_exchange_reply_mem(f->held[i], 200, "text/plain", "ok", 2);
	f->nheld = 0;
}

static void probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fair *f = arg;
	(void)fd;
	(void)what;
	f->probe_runs++;
	f->since_probe = 0;
}

static void fair_cb(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct fair *f = arg;
	(void)msg;
	f->done++;
	if (err)
		f->errors++;
	else if (resp->status == 200)
		f->ok++;
	if (++f->since_probe > f->max_since)
		f->max_since = f->since_probe;
	event_active(f->probe, EV_READ, 1);
	if (f->spin_us) {
		uint64_t end = sw_now_ns() + (uint64_t)f->spin_us * 1000u;
		while (sw_now_ns() < end)
			;
	}
	if (f->stop_after && f->done == f->stop_after)
		event_base_loopbreak(f->base);
}

/* A loop that goes back to poll after each callback of priority >= 1, as a
 * swarm shard does once its time slice is used up. */
static struct event_base *fair_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *b;
	assert_non_null(cfg);
	assert_int_equal(event_config_set_max_dispatch_interval(cfg, NULL, 1, PRIO_DELIVER), 0);
	b = event_base_new_with_config(cfg);
	event_config_free(cfg);
	assert_non_null(b);
	assert_int_equal(event_base_priority_init(b, NPRIO), 0);
	return b;
}

static void fair_start(struct fair *f, int tls)
{
	struct sw_server_cfg scfg = {0};
	char err[256], cert[128], key[128];
	memset(f, 0, sizeof(*f));
	f->base = fair_base();
	scfg.listen = "127.0.0.1:0";
	if (tls) {
		assert_int_equal(tfx_mkdir(&f->fx), 0);
		assert_int_equal(tfx_make_cert(&f->fx), 0);
		tfx_path(&f->fx, cert, sizeof(cert), "cert.pem");
		tfx_path(&f->fx, key, sizeof(key), "key.pem");
		scfg.cert_file = cert;
		scfg.key_file = key;
	}
	f->srv = sw_server_new(f->base, &scfg, fair_handler, f, err, sizeof(err));
	if (!f->srv)
		fail_msg("sw_server_new: %s", err);
	f->fx.port = sw_server_port(f->srv);
	f->probe = event_new(f->base, -1, 0, probe_cb, f);
	assert_non_null(f->probe);
	assert_int_equal(event_priority_set(f->probe, PRIO_HIGH), 0);
}

static void fair_client(struct fair *f, int tls, int h1, unsigned batch, unsigned slice_us,
                        int port)
{
	struct sw_client_cfg cfg;
	char url[64], err[256], ca[128];
	sw_client_cfg_init(&cfg);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", tls ? "https" : "http", port);
	cfg.url = url;
	cfg.proto = h1 ? SW_PROTO_H1 : SW_PROTO_H2;
	if (tls) {
		tfx_path(&f->fx, ca, sizeof(ca), "cert.pem");
		cfg.ca_file = ca;
	}
	cfg.deliver_batch = batch;
	cfg.deliver_slice_us = slice_us;
	cfg.max_conns = h1 ? (unsigned)FAIR_MAX : 1;
	cfg.backoff_initial_ms = 10;
	cfg.max_retries = 1;
	f->c = sw_client_new(f->base, &cfg, err, sizeof(err));
	if (!f->c)
		fail_msg("sw_client_new: %s", err);
	assert_int_equal(sw_client_set_priorities(f->c, PRIO_IO, PRIO_DELIVER), 0);
}

static void fair_submit(struct fair *f, int n)
{
	for (int i = 0; i < n; i++) {
		struct sw_req *q = sw_req_new("GET", "/hold");
		assert_non_null(q);
		assert_int_equal(sw_client_request(f->c, NULL, q, fair_cb, f), 0);
	}
}

/* Runs the loop until |want| callbacks ran (stop_after when set), for at
 * most |secs| seconds. */
static void fair_run(struct fair *f, int want, int secs)
{
	uint64_t end = sw_now_ns() + (uint64_t)secs * 1000000000ull;
	if (f->stop_after)
		want = f->stop_after;
	while (f->done < want && sw_now_ns() < end)
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void fair_stop(struct fair *f)
{
	sw_client_free(&f->c);
	for (int i = 0; i < f->nheld; i++)
		sw_exchange_reply_mem(f->held[i], 200, NULL, NULL, 0);
	f->nheld = 0;
	sw_server_free(&f->srv);
	event_free(f->probe);
	event_base_free(f->base);
	tfx_rmdir(&f->fx);
}

struct burst {
	int tls, h1, n;
	unsigned batch, slice_us, spin_us;
	int stop_after;
};

/* Starts a server that answers |b|->n requests at once, sends them from a
 * client with |b|'s fairness settings and runs the loop until they are back
 * (or stop_after callbacks ran). */
static void fair_burst(struct fair *f, const struct burst *b)
{
	fair_start(f, b->tls);
	f->burst = b->n;
	f->spin_us = b->spin_us;
	f->stop_after = b->stop_after;
	fair_client(f, b->tls, b->h1, b->batch, b->slice_us, f->fx.port);
	fair_submit(f, b->n);
	fair_run(f, b->n, 20);
}

/* A burst of |n| replies is handed out |batch| at a time with the
 * high-priority probe running between passes. */
static void burst_in_batches(int tls, int h1, int n, unsigned batch)
{
	struct fair f;
	fair_burst(&f, &(struct burst){.tls = tls, .h1 = h1, .n = n, .batch = batch});
	assert_int_equal(f.done, n);
	assert_int_equal(f.ok, n);
	assert_true(f.max_since >= 1);
	assert_true(f.max_since <= (int)batch);
	assert_true(f.probe_runs >= n / (int)batch);
	fair_stop(&f);
}

static void test_batches_h2c(void **state)
{
	(void)state;
	burst_in_batches(0, 0, 48, 4);
}

static void test_batches_h2_tls(void **state)
{
	(void)state;
	burst_in_batches(1, 0, 48, 4);
}

static void test_batches_h1(void **state)
{
	(void)state;
	burst_in_batches(0, 1, 24, 3);
}

/* Without a batch the same burst runs in passes larger than that: the
 * bound above is the client's doing, not the loop's. */
static void test_unbatched_burst_runs_together(void **state)
{
	struct fair f;
	(void)state;
	fair_burst(&f, &(struct burst){.n = 48});
	assert_int_equal(f.ok, 48);
	assert_true(f.max_since > 4);
	fair_stop(&f);
}

/* A pass also ends once it has run deliver_slice_us: two 1 ms callbacks
 * exhaust a 1.5 ms slice even though the batch would allow 64. */
static void test_slice_bounds_pass(void **state)
{
	struct fair f;
	(void)state;
	fair_burst(&f, &(struct burst){.n = 16, .batch = 64, .slice_us = 1500, .spin_us = 1000});
	assert_int_equal(f.ok, 16);
	assert_true(f.max_since <= 2);
	assert_true(f.probe_runs >= 8);
	fair_stop(&f);
}

/* Failures (a refused port) are delivered in the same bounded passes. */
static void test_errors_in_batches(void **state)
{
	struct fair f;
	int port;
	(void)state;
	fair_start(&f, 0);
	port = f.fx.port;
	sw_server_free(&f.srv); /* nothing listens there any more */
	fair_client(&f, 0, 0, 3, 0, port);
	fair_submit(&f, 10);
	fair_run(&f, 10, 20);
	assert_int_equal(f.done, 10);
	assert_int_equal(f.errors, 10);
	assert_true(f.max_since <= 3);
	fair_stop(&f);
}

/* Replies still waiting for their pass when the client is freed get their
 * callbacks inside sw_client_free(), whatever the batch. */
static void test_free_delivers_rest(void **state)
{
	struct fair f;
	(void)state;
	fair_burst(&f, &(struct burst){.n = 32, .batch = 2, .stop_after = 1});
	assert_true(f.done >= 1 && f.done <= 2); /* the pass that broke the loop */
	sw_client_free(&f.c);
	assert_int_equal(f.done, 32);
	assert_int_equal(f.ok + f.errors, 32);
	assert_true(f.ok >= 2); /* at least the first pass arrived whole */
	fair_stop(&f);
}

static void test_priorities_checked(void **state)
{
	struct fair f;
	(void)state;
	fair_start(&f, 0);
	fair_client(&f, 0, 0, 0, 0, f.fx.port);
	assert_int_equal(sw_client_set_priorities(f.c, NPRIO, PRIO_DELIVER), SW_ERR_INVALID);
	assert_int_equal(sw_client_set_priorities(f.c, PRIO_IO, -1), SW_ERR_INVALID);
	assert_int_equal(sw_client_set_priorities(NULL, PRIO_IO, PRIO_DELIVER), SW_ERR_INVALID);
	/* a base without priorities has just one */
	{
		struct event_base *plain = event_base_new();
		struct sw_client_cfg cfg;
		char err[128];
		struct sw_client *c;
		sw_client_cfg_init(&cfg);
		cfg.url = "http://127.0.0.1:9";
		c = sw_client_new(plain, &cfg, err, sizeof(err));
		assert_non_null(c);
		assert_int_equal(sw_client_set_priorities(c, 1, 0), SW_ERR_INVALID);
		assert_int_equal(sw_client_set_priorities(c, 0, 0), 0);
		sw_client_free(&c);
		event_base_free(plain);
	}
	fair_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_h2c),
		cmocka_unit_test(test_batches_h2_tls),
		cmocka_unit_test(test_batches_h1),
		cmocka_unit_test(test_unbatched_burst_runs_together),
		cmocka_unit_test(test_slice_bounds_pass),
		cmocka_unit_test(test_errors_in_batches),
		cmocka_unit_test(test_free_delivers_rest),
		cmocka_unit_test(test_priorities_checked),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
