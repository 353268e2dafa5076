/* --state-dir (tools/assisted-emulator/emu_state.c) with the model driven
 * by the harness: everything journaled comes back after a restart (the
 * recovered model equals the original, moved into the new clock); a torn or
 * corrupt last record is dropped with what follows it, and the state is
 * the one before it; a different configuration and a corrupt snapshot are
 * refused; compaction forks a snapshot and drops the covered segments;
 * --fsync always reports durability through its callback. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "emu_state.h"
#include "model_harness.h"
#include "sw_err.h"

#define BASE "/api/assisted-install/v2"

struct fx {
	char dir[64];
	struct event_base *base;
	struct emu_state *st;
	uint64_t last_seq;
	uint64_t durable_seen;
};

static void journal_req(void *arg, const struct emu_request *r)
{
	struct fx *f = arg;
	f->last_seq = emu_state_log_request(f->st, r);
	assert_true(f->last_seq > 0);
}

static void journal_mon(void *arg, uint64_t now, int64_t wall)
{
	struct fx *f = arg;
	f->last_seq = emu_state_log_monitor(f->st, now, wall);
	assert_true(f->last_seq > 0);
}

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/emu_state_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	assert_non_null(f->base);
}

static void fx_rm(struct fx *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	event_base_free(f->base);
}

static struct emu_state *open_state(struct fx *f, struct emu_model *m, enum emu_fsync mode,
                                    uint64_t journal_max)
{
	char err[512];
	struct emu_state_cfg cfg = {.dir = f->dir, .fsync = mode, .base = f->base, .quiet = 1,
	                            .journal_max_bytes = journal_max};
	struct emu_state *st = emu_state_open(&cfg, m, err, sizeof(err));
	if (!st)
		fail_msg("emu_state_open: %s", err);
	return st;
}

/* Drives a cluster of three hosts some way into its installation, every
 * request and monitor call journaled. */
static void drive(struct mh *h, struct fx *f, int steps)
{
	h->on_request = journal_req;
	h->on_monitor = journal_mon;
	h->hook_arg = f;
	mh_create_cluster(h, 3, 0);
	mh_add_hosts(h, 3);
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h->cluster_id);
	for (int i = 0; i < steps; i++) {
		if (strcmp(mh_cluster_status(h), "ready") == 0)
			mh_req(h, "POST", path, NULL, NULL);
		mh_step(h, 5.0);
	}
}

/* A model recovered from |dir| equals |orig| moved by the same rebase
 * (|orig| keeps the move, as the recovered state does). */
static void assert_recovers_to(struct fx *f, struct emu_model *orig, const struct emu_model_cfg *cfg,
                               uint64_t want_records)
{
	struct emu_model *r = emu_model_new(cfg);
	struct emu_state *st = open_state(f, r, EMU_FSYNC_NEVER, 0);
	struct emu_state_stats s;
	emu_state_get_stats(st, &s);
	assert_int_equal(s.recovered_records, want_records);
	emu_model_rebase(orig, s.rebase_ns);
	char why[256];
	if (emu_model_state_diff(orig, r, why, sizeof(why)) != 0)
		fail_msg("recovered model differs: %s", why);
	emu_state_close(&st);
	emu_model_free(&r);
}

static int count_segments(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "journal-", 8) == 0;
	if (d)
		closedir(d);
	return n;
}

/* The (only) journal segment's path. */
static void segment_path(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	out[0] = '\0';
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "journal-", 8) == 0)
			snprintf(out, len, "%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
}

static void test_recover(void **state)
{
	(void)state;
	struct fx f;
	struct mh h;
	fx_init(&f);
	mh_init(&h, NULL);
	f.st = open_state(&f, h.m, EMU_FSYNC_BATCH, 0);
	drive(&h, &f, 40);
	struct emu_state_stats s;
	emu_state_get_stats(f.st, &s);
	assert_true(s.records > 100);
	assert_int_equal(s.snapshots, 1);
	/* Closing adds nothing to the directory a SIGKILL would not have left. */
	emu_state_close(&f.st);
	assert_recovers_to(&f, h.m, &h.cfg, s.records);
	/* The restart wrote a fresh snapshot and dropped the replayed journal:
	 * a second restart replays nothing and finds the same state. */
	assert_recovers_to(&f, h.m, &h.cfg, 0);
	assert_int_equal(count_segments(f.dir), 1);
	mh_free(&h);
	fx_rm(&f);
}

/* Tears the last record (|how|: 0 cut short, 1 a flipped byte) and checks
 * the recovered state is the one before that record. */
static void torn_case(int how, int extra_segment)
{
	struct fx f;
	struct mh h;
	char err[256], seg[512];
	fx_init(&f);
	mh_init(&h, NULL);
	f.st = open_state(&f, h.m, EMU_FSYNC_NEVER, 0);
	drive(&h, &f, 20);
	/* The state before the last record, then the last record. */
	size_t before_len = 0;
	unsigned char *before = mh_snapshot(h.m, &before_len);
	uint64_t seq_before = f.last_seq;
	char body[256];
	snprintf(body, sizeof(body), "{\"cluster_id\":\"%s\",\"message\":\"last\",\"severity\":"
	         "\"info\",\"category\":\"user\",\"event_time\":\"2026-01-01T00:00:00.000Z\"}",
	         h.cluster_id);
	int st = mh_req(&h, "POST", BASE "/events", NULL, body);
	assert_true(st >= 200 && st < 300);
	uint64_t last_len = f.last_seq - seq_before;
	struct emu_state_stats s;
	emu_state_get_stats(f.st, &s);
	emu_state_close(&f.st);
	segment_path(f.dir, seg, sizeof(seg));
	struct stat sb;
	assert_int_equal(stat(seg, &sb), 0);
	if (extra_segment) {
		/* A later segment after the torn record must go too. */
		char later[600];
		snprintf(later, sizeof(later), "%s/journal-%016llx.log", f.dir,
		         (unsigned long long)f.last_seq);
		int fd = open(later, O_WRONLY | O_CREAT, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "garbage!", 8), 8);
		close(fd);
	}
	if (how == 0) {
		assert_int_equal(truncate(seg, sb.st_size - 5), 0);
	} else {
		int fd = open(seg, O_RDWR);
		unsigned char c;
		off_t at = sb.st_size - (off_t)last_len / 2;
		assert_int_equal(pread(fd, &c, 1, at), 1);
		c ^= 0x20;
		assert_int_equal(pwrite(fd, &c, 1, at), 1);
		close(fd);
	}
	struct emu_model *pre = emu_model_new(&h.cfg);
	assert_int_equal(emu_model_restore(pre, before, before_len, err, sizeof(err)), 0);
	assert_recovers_to(&f, pre, &h.cfg, s.records - 1);
	assert_int_equal(count_segments(f.dir), 1);
	emu_model_free(&pre);
	free(before);
	mh_free(&h);
	fx_rm(&f);
}

static void test_torn_short(void **state) { (void)state; torn_case(0, 0); }
static void test_torn_crc(void **state) { (void)state; torn_case(1, 0); }
static void test_torn_then_segment(void **state) { (void)state; torn_case(0, 1); }

static void test_refused(void **state)
{
	(void)state;
	struct fx f;
	struct mh h;
	char err[512], p[512];
	fx_init(&f);
	mh_init(&h, NULL);
	f.st = open_state(&f, h.m, EMU_FSYNC_NEVER, 0);
	drive(&h, &f, 2);
	emu_state_close(&f.st);
	/* another time scale: replaying would build another state */
	struct emu_model_cfg cfg = h.cfg;
	cfg.time_scale = 60;
	struct emu_model *m = emu_model_new(&cfg);
	struct emu_state_cfg sc = {.dir = f.dir, .base = f.base, .quiet = 1};
	assert_null(emu_state_open(&sc, m, err, sizeof(err)));
	assert_non_null(strstr(err, "--time-scale=1; this run has --time-scale=60"));
	emu_model_free(&m);
	/* a damaged snapshot */
	snprintf(p, sizeof(p), "%s/snapshot.bin", f.dir);
	int fd = open(p, O_RDWR);
	unsigned char c = 0;
	assert_int_equal(pread(fd, &c, 1, 40), 1);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, 40), 1);
	close(fd);
	m = emu_model_new(&h.cfg);
	assert_null(emu_state_open(&sc, m, err, sizeof(err)));
	assert_non_null(strstr(err, "corrupt"));
	emu_model_free(&m);
	/* not a state directory: journal without config */
	snprintf(p, sizeof(p), "%s/config", f.dir);
	unlink(p);
	m = emu_model_new(&h.cfg);
	assert_null(emu_state_open(&sc, m, err, sizeof(err)));
	emu_model_free(&m);
	mh_free(&h);
	fx_rm(&f);
}

static void test_compaction(void **state)
{
	(void)state;
	struct fx f;
	struct mh h;
	fx_init(&f);
	mh_init(&h, NULL);
	f.st = open_state(&f, h.m, EMU_FSYNC_BATCH, 16 * 1024);
	struct emu_state_stats s;
	drive(&h, &f, 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20; i++)
			mh_step(&h, 5.0);
		/* Let the child finish (reaped by the state's timer on the loop). */
		for (int i = 0; i < 500; i++) {
			emu_state_get_stats(f.st, &s);
			if (s.snapshots >= (uint64_t)round + 2)
				break;
			struct timeval tv = {0, 10000};
			event_base_loopexit(f.base, &tv);
			event_base_dispatch(f.base);
		}
	}
	emu_state_get_stats(f.st, &s);
	assert_true(s.snapshots >= 4); /* the one at start and one per round */
	assert_int_equal(s.snapshot_failures, 0);
	emu_state_close(&f.st);
	/* Only what no snapshot covers is left. */
	assert_true(count_segments(f.dir) <= 2);
	struct emu_model *r = emu_model_new(&h.cfg);
	struct emu_state *st = open_state(&f, r, EMU_FSYNC_NEVER, 0);
	emu_state_get_stats(st, &s);
	emu_model_rebase(h.m, s.rebase_ns);
	char why[256];
	if (emu_model_state_diff(h.m, r, why, sizeof(why)) != 0)
		fail_msg("recovered after compactions: %s", why);
	assert_true(s.recovered_records < 1000);
	emu_state_close(&st);
	emu_model_free(&r);
	mh_free(&h);
	fx_rm(&f);
}

static void on_durable(void *arg, uint64_t seq)
{
	struct fx *f = arg;
	f->durable_seen = seq;
}

static void test_fsync_always(void **state)
{
	(void)state;
	struct fx f;
	struct mh h;
	fx_init(&f);
	mh_init(&h, NULL);
	f.st = open_state(&f, h.m, EMU_FSYNC_ALWAYS, 0);
	emu_state_set_durable_cb(f.st, on_durable, &f);
	h.on_request = journal_req;
	h.hook_arg = &f;
	mh_create_cluster(&h, 1, 1);
	uint64_t seq = f.last_seq;
	for (int i = 0; i < 500 && f.durable_seen < seq; i++) {
		struct timeval tv = {0, 10000};
		event_base_loopexit(f.base, &tv);
		event_base_dispatch(f.base);
	}
	assert_true(f.durable_seen >= seq);
	assert_true(emu_state_durable(f.st, seq));
	struct emu_state_stats s;
	emu_state_get_stats(f.st, &s);
	assert_true(s.fsyncs >= 1);
	emu_state_close(&f.st);
	/* the other modes never hold a reply back */
	struct emu_model *m = emu_model_new(&h.cfg);
	struct emu_state *st = open_state(&f, m, EMU_FSYNC_NEVER, 0);
	assert_true(emu_state_durable(st, UINT64_MAX));
	emu_state_close(&st);
	emu_model_free(&m);
	assert_int_equal(emu_fsync_parse("always"), EMU_FSYNC_ALWAYS);
	assert_int_equal(emu_fsync_parse("nope"), -1);
	assert_string_equal(emu_fsync_name(EMU_FSYNC_NEVER), "never");
	mh_free(&h);
	fx_rm(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_torn_short),
		cmocka_unit_test(test_torn_crc),
		cmocka_unit_test(test_torn_then_segment),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_fsync_always),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
