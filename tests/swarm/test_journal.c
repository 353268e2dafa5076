/* Tests for swarm/journal.c: records appended from several threads while
 * the main thread flushes all arrive whole; an earlier journal is kept
 * aside; compaction keeps exactly the live objects and bounds the file; the
 * reader refuses every malformed journal with its class (a table) and
 * accepts a last line cut short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"
#include "sw_err.h"

static char dir[] = "/tmp/test_journal_XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static struct journal *open_j(const char *name, const char *run, int compact)
{
	char p[512], err[512], renamed[4096];
	struct journal *j = NULL;
	struct journal_info info = {.run_id = run, .mode = "rest", .service = "http://127.0.0.1:1",
	                            .shards = 1, .plan = "p.yaml", .results = "r.json", .start_wall = 1.7e9,
	                            .compact = compact};
	path_of(p, sizeof(p), name);
	if (journal_open(&j, p, &info, renamed, err, sizeof(err)))
		fail_msg("%s", err);
	return j;
}

static void uuid(char *out, unsigned t, unsigned i)
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", t, i);
}

struct writer {
	struct journal *j;
	unsigned t;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	char id[37], iid[37], name[64];
	for (unsigned i = 0; i < 500; i++) {
		uuid(id, w->t, i);
		uuid(iid, w->t + 100, i);
		snprintf(name, sizeof(name), "run-%u", w->t * 1000 + i);
		journal_cluster(w->j, id, name, i * 0.01);
		journal_infra_env(w->j, iid, name, id, i * 0.01);
		if (i % 5 == 0)
			journal_deleted(w->j, "cluster", id, i * 0.01);
	}
	return NULL;
}

static void test_threads_flush_read(void **state)
{
	(void)state;
	char err[512], p[512];
	struct journal *j = open_j("a.journal", "run-a", 0);
	pthread_t th[4];
	struct writer w[4];
	for (unsigned t = 0; t < 4; t++) {
		w[t].j = j;
		w[t].t = t + 1;
		pthread_create(&th[t], NULL, write_many, &w[t]);
	}
	for (int k = 0; k < 50; k++)
		assert_int_equal(journal_flush(j, 0, err, sizeof(err)), 0);
	for (unsigned t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	journal_kube(j, "v1", "namespaces", NULL, "run-a-0", 1);
	journal_kube(j, "metal3.io/v1alpha1", "baremetalhosts", "run-a-0", "bmh-0", 1);
	journal_kube_deleted(j, "v1", "namespaces", NULL, "run-a-0", 2);
	assert_int_equal(journal_close(&j, 0, 3, err, sizeof(err)), 0);
	assert_null(j);
	struct journal_run r;
	path_of(p, sizeof(p), "a.journal");
	assert_int_equal(journal_read(p, &r, err, sizeof(err)), JR_OK);
	assert_string_equal(r.run_id, "run-a");
	assert_string_equal(r.service, "http://127.0.0.1:1");
	assert_true(r.ended);
	assert_false(r.truncated);
	size_t clusters = 0, ies = 0, kube = 0, deleted = 0, linked = 0;
	for (size_t i = 0; i < r.nobjs; i++) {
		clusters += r.objs[i].kind == JK_CLUSTER;
		ies += r.objs[i].kind == JK_INFRA_ENV;
		kube += r.objs[i].kind == JK_KUBE;
		deleted += r.objs[i].deleted;
		linked += r.objs[i].kind == JK_INFRA_ENV && r.objs[i].cluster_id != NULL;
	}
	assert_int_equal(clusters, 2000);
	assert_int_equal(ies, 2000);
	assert_int_equal(linked, 2000);
	assert_int_equal(kube, 2);
	assert_int_equal(deleted, 4 * 100 + 1);
	journal_run_free(&r);
	/* A second run at the same path keeps the first under its run id. */
	j = open_j("a.journal", "run-b", 0);
	assert_int_equal(journal_close(&j, 1, 0, err, sizeof(err)), 0);
	char kept[512];
	path_of(kept, sizeof(kept), "a.journal.run-a");
	assert_int_equal(journal_read(kept, &r, err, sizeof(err)), JR_OK);
	assert_int_equal(r.nobjs, 4002);
	journal_run_free(&r);
	assert_int_equal(journal_read(p, &r, err, sizeof(err)), JR_OK);
	assert_string_equal(r.run_id, "run-b");
	assert_int_equal(r.nobjs, 0);
	journal_run_free(&r);
	/* A run id used twice: the second one kept aside does not replace the first. */
	j = open_j("a.journal", "run-b", 0);
	assert_int_equal(journal_close(&j, 0, 0, err, sizeof(err)), 0);
	j = open_j("a.journal", "run-b", 0);
	assert_int_equal(journal_close(&j, 0, 0, err, sizeof(err)), 0);
	path_of(kept, sizeof(kept), "a.journal.run-b");
	assert_int_equal(access(kept, F_OK), 0);
	path_of(kept, sizeof(kept), "a.journal.run-b.1");
	assert_int_equal(access(kept, F_OK), 0);
}

static void test_compaction(void **state)
{
	(void)state;
	char err[512], p[512], id[37];
	struct stat sb;
	struct journal *j = open_j("c.journal", "run-c", 1);
	path_of(p, sizeof(p), "c.journal");
	/* 20,000 objects created and deleted (a long soak's churn), 10 live. */
	for (unsigned i = 0; i < 20000; i++) {
		uuid(id, 7, i);
		journal_cluster(j, id, "run-c-long-enough-name-to-fill-the-file", i);
		if (i % 2000 != 0)
			journal_deleted(j, "cluster", id, i);
		if (i % 1000 == 0)
			assert_int_equal(journal_flush(j, 0, err, sizeof(err)), 0);
	}
	assert_int_equal(journal_flush(j, 1, err, sizeof(err)), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_size < (1 << 20) + 4096); /* compacted at least once: bounded */
	assert_true(journal_records(j) == 20000 + 19990);
	assert_int_equal(journal_close(&j, 0, 1, err, sizeof(err)), 0);
	struct journal_run r;
	assert_int_equal(journal_read(p, &r, err, sizeof(err)), JR_OK);
	size_t live = 0;
	for (size_t i = 0; i < r.nobjs; i++)
		live += !r.objs[i].deleted;
	assert_int_equal(live, 10);
	assert_true(r.ended);
	journal_run_free(&r);
}

static void test_reader_table(void **state)
{
	static const char hdr[] = "{\"journal\":1,\"type\":\"run\",\"run_id\":\"r1\",\"service\":\"s\",\"shard\":0,\"shards\":1}\n";
	static const char cl[] = "{\"type\":\"cluster\",\"id\":\"01234567-89ab-4def-8123-456789abcdef\",\"name\":\"r1-0\",\"t\":1}\n";
	static const struct {
		const char *name, *body;
		int want;
		const char *msg;
	} t[] = {
		{"empty", "", JR_MALFORMED, ":1: empty file"},
		{"text", "hello\n", JR_MALFORMED, ":1: not a swarm journal"},
		{"results", "{\n \"schema_version\": 2\n}\n", JR_MALFORMED, ":1: not a swarm journal"},
		{"noheader", "{\"type\":\"cluster\"}\n", JR_MALFORMED, ":1: not a swarm journal (no run header"},
		{"version", "{\"journal\":2,\"type\":\"run\",\"run_id\":\"r1\"}\n", JR_VERSION, ":1: journal version 2"},
		{"garbage", "H{\"type\":\"end\"}\nnot json\n{\"type\":\"end\"}\n", JR_MALFORMED, ":3: not a JSON object"},
		{"cutmid", "H{\"type\":\"clu\n{\"type\":\"end\"}\n", JR_MALFORMED, ":2: not a JSON object"},
		{"notype", "H{\"id\":\"x\"}\n", JR_MALFORMED, ":2: record without a \"type\""},
		{"badtype", "H{\"type\":\"volume\"}\n", JR_MALFORMED, ":2: unknown record type 'volume'"},
		{"badid", "H{\"type\":\"cluster\",\"id\":\"../../x\"}\n", JR_MALFORMED, ":2: cluster record without a valid"},
		{"badcid", "H{\"type\":\"infra_env\",\"id\":\"01234567-89ab-4def-8123-456789abcdef\",\"cluster_id\":\"x\"}\n",
		 JR_MALFORMED, ":2: infra_env record with a bad \"cluster_id\""},
		{"badkube", "H{\"type\":\"kube\",\"api_version\":\"v1\",\"resource\":\"namespaces\",\"name\":\"a/b\"}\n",
		 JR_MALFORMED, ":2: kube record needs"},
		{"delnokind", "H{\"type\":\"deleted\",\"id\":\"x\"}\n", JR_MALFORMED, ":2: \"deleted\" record without a \"kind\""},
		{"mixed", "H{\"journal\":1,\"type\":\"run\",\"run_id\":\"r2\"}\n", JR_MIXED, ":2: a second run (r2)"},
		{"missing", NULL, JR_UNREADABLE, ": cannot open"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char p[512], err[1024] = "";
		struct journal_run r;
		path_of(p, sizeof(p), t[i].name);
		if (t[i].body) {
			FILE *f = fopen(p, "w");
			assert_non_null(f);
			const char *b = t[i].body;
			if (b[0] == 'H') { /* H = the header line */
				fputs(hdr, f);
				b++;
			}
			fputs(b, f);
			fclose(f);
		}
		int rv = journal_read(p, &r, err, sizeof(err));
		if (rv != t[i].want || !strstr(err, t[i].msg) || strncmp(err, p, strlen(p)))
			fail_msg("%s: got %d '%s', want %d '%s'", t[i].name, rv, err, t[i].want, t[i].msg);
	}
	/* A last line cut short (a write interrupted): ignored, flagged. */
	char p[512], err[512];
	struct journal_run r;
	path_of(p, sizeof(p), "cut");
	FILE *f = fopen(p, "w");
	fprintf(f, "%s%s{\"type\":\"cluster\",\"id\":\"0123", hdr, cl);
	fclose(f);
	assert_int_equal(journal_read(p, &r, err, sizeof(err)), JR_OK);
	assert_true(r.truncated);
	assert_false(r.ended);
	assert_int_equal(r.nobjs, 1);
	assert_string_equal(r.objs[0].name, "r1-0");
	journal_run_free(&r);
	/* The same run's header again (a compacted file) is fine. */
	path_of(p, sizeof(p), "rehdr");
	f = fopen(p, "w");
	fprintf(f, "%s%s%s", hdr, hdr, cl);
	fclose(f);
	assert_int_equal(journal_read(p, &r, err, sizeof(err)), JR_OK);
	assert_int_equal(r.nobjs, 1);
	journal_run_free(&r);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_flush_read),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_reader_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
