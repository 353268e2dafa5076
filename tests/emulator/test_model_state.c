/* The model's persistence (emu_snapshot.c): snapshot and restore keep every
 * entity field (byte-for-byte diff at checkpoints of a varied scenario),
 * a restored model goes on exactly like the original (lockstep run),
 * damaged snapshots are refused cleanly, and the clock rebase moves the
 * monotonic times the monitors measure timeouts with. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model_harness.h"
#include "sw_err.h"

#define BASE "/api/assisted-install/v2"

/* Snapshots |m|, restores it into a new model, and checks that both are the
 * same entity by entity and in their JSON dumps. Returns the snapshot size. */
static size_t roundtrip(const struct emu_model *m, const struct emu_model_cfg *cfg)
{
	size_t len = 0;
	char err[256], why[256];
	unsigned char *snap = mh_snapshot(m, &len);
	struct emu_model *r = emu_model_new(cfg);
	assert_non_null(r);
	if (emu_model_restore(r, snap, len, err, sizeof(err)) != 0)
		fail_msg("restore: %s", err);
	if (emu_model_state_diff(m, r, why, sizeof(why)) != 0)
		fail_msg("restored model differs: %s", why);
	json_t *da = emu_model_dump(m), *db = emu_model_dump(r);
	assert_true(json_equal(da, db));
	json_decref(da);
	json_decref(db);
	assert_int_equal(emu_model_requests(m), emu_model_requests(r));
	emu_model_free(&r);
	free(snap);
	return len;
}

static void steps_until(struct mh *h, const char *want, int max)
{
	for (int i = 0; i < max && strcmp(mh_cluster_status(h), want) != 0; i++)
		mh_step(h, 5.0);
	assert_string_equal(mh_cluster_status(h), want);
}

/* Round trips at every stage of a scenario that touches every kind of
 * entity and field: hosts in discovery, known, installing and installed,
 * deleted hosts and clusters, events, interned agent versions, operators,
 * ignored validations, logs. */
static void test_roundtrip_checkpoints(void **state)
{
	(void)state;
	struct mh h;
	char path[256], body[512];
	mh_init(&h, NULL);
	roundtrip(h.m, &h.cfg); /* empty */
	mh_create_cluster(&h, 3, 0);
	roundtrip(h.m, &h.cfg);
	mh_add_hosts(&h, 3);
	roundtrip(h.m, &h.cfg);
	steps_until(&h, "ready", 200);
	roundtrip(h.m, &h.cfg);
	snprintf(path, sizeof(path), BASE "/clusters/%s/ignored-validations", h.cluster_id);
	assert_int_equal(mh_req(&h, "PUT", path, NULL,
	                        "{\"host-validation-ids\":\"[\\\"has-min-cpu-cores\\\"]\","
	                        "\"cluster-validation-ids\":\"[]\"}"), 201);
	snprintf(body, sizeof(body), "{\"cluster_id\":\"%s\",\"message\":\"hello\",\"severity\":\"info\","
	         "\"category\":\"user\",\"event_time\":\"2026-01-01T00:00:00.000Z\"}", h.cluster_id);
	mh_req(&h, "POST", BASE "/events", NULL, body);
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 202);
	roundtrip(h.m, &h.cfg);
	for (int i = 0; i < 40; i++) {
		mh_step(&h, 5.0);
		if (i % 7 == 0)
			roundtrip(h.m, &h.cfg); /* preparing, installing, in progress, finalizing */
	}
	steps_until(&h, "installed", 400);
	size_t n = roundtrip(h.m, &h.cfg);
	assert_true(n > 1024);
	/* A second cluster with a host registered under another agent version,
	 * then the host deleted, then the cluster deleted. */
	char first_cluster[37];
	snprintf(first_cluster, sizeof(first_cluster), "%s", h.cluster_id);
	mh_create_cluster(&h, 1, 1);
	int k = mh_add_hosts(&h, 1);
	h.hosts[k].agent_version = "quay.io/edge-infrastructure/assisted-installer-agent:v9";
	mh_step(&h, 5.0);
	roundtrip(h.m, &h.cfg);
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s", h.infra_env_id, h.hosts[k].id);
	assert_int_equal(mh_req(&h, "DELETE", path, NULL, NULL), 204);
	h.hosts[k].silent = 1;
	roundtrip(h.m, &h.cfg);
	snprintf(path, sizeof(path), BASE "/clusters/%s", h.cluster_id);
	assert_int_equal(mh_req(&h, "DELETE", path, NULL, NULL), 204);
	roundtrip(h.m, &h.cfg);
	/* The first cluster is still there after all of it. */
	snprintf(path, sizeof(path), BASE "/clusters/%s", first_cluster);
	assert_int_equal(mh_req(&h, "GET", path, NULL, NULL), 200);
	mh_free(&h);
}

/* Two identical runs; one of them continues on a restored copy of its model
 * halfway: at the end both models are the same. */
static void test_roundtrip_lockstep(void **state)
{
	(void)state;
	struct mh a, b;
	char err[256], why[256];
	mh_init(&a, NULL);
	mh_init(&b, NULL);
	mh_create_cluster(&a, 3, 0);
	mh_create_cluster(&b, 3, 0);
	mh_add_hosts(&a, 5);
	mh_add_hosts(&b, 5);
	for (int i = 0; i < 30; i++) {
		mh_step(&a, 5.0);
		mh_step(&b, 5.0);
	}
	size_t len = 0;
	unsigned char *snap = mh_snapshot(b.m, &len);
	emu_model_free(&b.m);
	b.m = emu_model_new(&b.cfg);
	assert_int_equal(emu_model_restore(b.m, snap, len, err, sizeof(err)), 0);
	free(snap);
	/* Every request goes to both models (status reads count as requests too). */
	char path[256], sa[64], sb[64];
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", a.cluster_id);
	for (int i = 0; i < 300; i++) {
		snprintf(sa, sizeof(sa), "%s", mh_cluster_status(&a));
		snprintf(sb, sizeof(sb), "%s", mh_cluster_status(&b));
		assert_string_equal(sa, sb);
		if (strcmp(sa, "installed") == 0)
			break;
		if (strcmp(sa, "ready") == 0) {
			mh_req(&a, "POST", path, NULL, NULL);
			mh_req(&b, "POST", path, NULL, NULL);
		}
		mh_step(&a, 5.0);
		mh_step(&b, 5.0);
	}
	assert_string_equal(sa, "installed");
	if (emu_model_state_diff(a.m, b.m, why, sizeof(why)) != 0)
		fail_msg("the run on the restored model went elsewhere: %s", why);
	mh_free(&a);
	mh_free(&b);
}

/* Damaged snapshots fail with a message and leave nothing behind. */
static void test_restore_rejects(void **state)
{
	(void)state;
	struct mh h;
	char err[256];
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	mh_step(&h, 5.0);
	struct {
		unsigned char *p;
		size_t len;
	} b;
	b.p = mh_snapshot(h.m, &b.len);
	/* cut short anywhere */
	for (size_t cut = 0; cut < b.len; cut += cut < 4096 ? 7 : 4093) {
		struct emu_model *r = emu_model_new(&h.cfg);
		err[0] = '\0';
		assert_int_equal(emu_model_restore(r, b.p, cut, err, sizeof(err)), SW_ERR_PARSE);
		assert_true(err[0] != '\0');
		emu_model_free(&r);
	}
	/* a trailing byte, a bad magic, another entity layout */
	unsigned char *c = malloc(b.len + 1);
	memcpy(c, b.p, b.len);
	c[b.len] = 0;
	struct emu_model *r = emu_model_new(&h.cfg);
	assert_int_equal(emu_model_restore(r, c, b.len + 1, err, sizeof(err)), SW_ERR_PARSE);
	assert_non_null(strstr(err, "trailing"));
	emu_model_free(&r);
	c[0] ^= 1;
	r = emu_model_new(&h.cfg);
	assert_int_equal(emu_model_restore(r, c, b.len, err, sizeof(err)), SW_ERR_PARSE);
	emu_model_free(&r);
	c[0] ^= 1;
	c[16] ^= 0x40; /* sizeof(struct emu_host) as written */
	r = emu_model_new(&h.cfg);
	assert_int_equal(emu_model_restore(r, c, b.len, err, sizeof(err)), SW_ERR_PARSE);
	assert_non_null(strstr(err, "layouts"));
	emu_model_free(&r);
	/* only into an empty model */
	assert_int_equal(emu_model_restore(h.m, b.p, b.len, err, sizeof(err)), SW_ERR_PARSE);
	free(c);
	free(b.p);
	mh_free(&h);
}

/* The rebase moves the times the monitors measure: hosts that checked in
 * "just now" in the old clock look four minutes silent after a rebase
 * of -4 min, and the host monitor disconnects them. */
static void test_rebase(void **state)
{
	(void)state;
	struct mh h;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 3);
	steps_until(&h, "ready", 200);
	for (int i = 0; i < 3; i++)
		h.hosts[i].silent = 1;
	emu_model_rebase(h.m, 0);
	mh_step(&h, 1.0);
	assert_string_equal(mh_host_status(&h, 0), "known");
	emu_model_rebase(h.m, -240LL * 1000000000LL);
	mh_step(&h, 9.0);
	assert_string_equal(mh_host_status(&h, 0), "disconnected");
	/* far into the past clamps instead of wrapping around */
	emu_model_rebase(h.m, -(int64_t)h.now_ns * 4);
	mh_step(&h, 9.0);
	assert_string_equal(mh_host_status(&h, 0), "disconnected");
	char desc[1024];
	assert_true(emu_model_cfg_describe(h.m, desc, sizeof(desc)) > 0);
	assert_non_null(strstr(desc, "time-scale=1\n"));
	assert_non_null(strstr(desc, "auth=none\n"));
	assert_int_equal(emu_model_cfg_describe(h.m, desc, 8), SW_ERR_TOO_BIG);
	mh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_checkpoints),
		cmocka_unit_test(test_roundtrip_lockstep),
		cmocka_unit_test(test_restore_rejects),
		cmocka_unit_test(test_rebase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
