/* Tests for tools/assisted-emulator/emu_metrics.c: counting per operation and
 * code, the bounded label sets ("other"), faults, and the Prometheus text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "emu_metrics.h"

static char *render(const struct emu_metrics *m, const struct emu_metrics_gauges *g)
{
	struct evbuffer *b = evbuffer_new();
	assert_non_null(b);
	emu_metrics_render(m, g, b);
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

static void test_counts(void **state)
{
	(void)state;
	struct emu_metrics *m = emu_metrics_new();
	for (int i = 0; i < 5; i++)
		emu_metrics_request(m, "v2GetNextSteps", 200, 300000);
	emu_metrics_request(m, "v2GetNextSteps", 404, 2000000);
	emu_metrics_request(m, "v2GetNextSteps", 0, 1000);
	emu_metrics_request(m, NULL, 404, 1000);
	emu_metrics_fault(m, EMU_FAULT_RESET, "v2GetNextSteps");
	emu_metrics_fault(m, EMU_FAULT_RESTART, "*");
	assert_int_equal(emu_metrics_get_requests(m, "v2GetNextSteps", 200), 5);
	assert_int_equal(emu_metrics_get_requests(m, "v2GetNextSteps", 404), 1);
	assert_int_equal(emu_metrics_get_requests(m, "unknown", 404), 1);
	assert_int_equal(emu_metrics_get_requests(m, "v2RegisterHost", 201), 0);
	assert_int_equal(emu_metrics_get_faults(m, EMU_FAULT_RESET, "v2GetNextSteps"), 1);
	assert_int_equal(emu_metrics_get_faults(m, EMU_FAULT_ERROR, "v2GetNextSteps"), 0);
	assert_int_equal(emu_metrics_get_faults(m, EMU_FAULT_RESTART, "*"), 1);

	struct emu_metrics_gauges g;
	memset(&g, 0, sizeof(g));
	g.hosts[AS_HOST_KNOWN] = 7;
	g.clusters[AS_CLUSTER_READY] = 2;
	g.server.conns_open = 3;
	g.goaway_faults = 4;
	char *s = render(m, &g);
	assert_non_null(strstr(s, "# TYPE emulator_requests_total counter\n"));
	assert_non_null(strstr(s, "emulator_requests_total{operation=\"v2GetNextSteps\",code=\"200\"} 5\n"));
	assert_non_null(strstr(s, "emulator_requests_total{operation=\"v2GetNextSteps\",code=\"reset\"} 1\n"));
	assert_non_null(strstr(s, "# TYPE emulator_request_duration_seconds histogram\n"));
	/* 5 x 0.3 ms are under 0.5 ms; the 2 ms one is not under 1 ms */
	assert_non_null(strstr(s, "emulator_request_duration_seconds_bucket{operation=\"v2GetNextSteps\","
	                          "le=\"0.0005\"} 6\n"));
	assert_non_null(strstr(s, "emulator_request_duration_seconds_count{operation=\"v2GetNextSteps\"} 7\n"));
	assert_non_null(strstr(s, "emulator_faults_injected_total{kind=\"reset\",operation=\"v2GetNextSteps\"} 1\n"));
	assert_non_null(strstr(s, "emulator_faults_injected_total{kind=\"goaway\",operation=\"*\"} 4\n"));
	assert_non_null(strstr(s, "emulator_hosts{status=\"known\"} 7\n"));
	assert_non_null(strstr(s, "emulator_clusters{status=\"ready\"} 2\n"));
	assert_non_null(strstr(s, "emulator_connections_open 3\n"));
	free(s);
	/* without gauges only the request families are written */
	s = render(m, NULL);
	assert_null(strstr(s, "emulator_hosts"));
	free(s);
	emu_metrics_free(&m);
	assert_null(m);
	emu_metrics_free(&m);
}

/* Label sets stay bounded whatever names and codes arrive. */
static void test_bounds(void **state)
{
	(void)state;
	struct emu_metrics *m = emu_metrics_new();
	/* a name longer than the label buffer is truncated consistently */
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	emu_metrics_request(m, longname, 200, 1000);
	emu_metrics_request(m, longname, 200, 1000);
	assert_int_equal(emu_metrics_get_requests(m, longname, 200), 2);
	char name[64];
	for (int i = 0; i < EMU_METRICS_MAX_OPS + 49; i++) { /* + the long name = 160 */
		snprintf(name, sizeof(name), "op%d", i);
		emu_metrics_request(m, name, 200, 1000);
	}
	assert_int_equal(emu_metrics_get_requests(m, "op0", 200), 1);
	assert_int_equal(emu_metrics_get_requests(m, "other", 200), 50);
	for (int code = 200; code < 240; code++)
		emu_metrics_request(m, "op0", code, 1000);
	assert_int_equal(emu_metrics_get_requests(m, "op0", 200), 2);
	assert_int_equal(emu_metrics_get_requests(m, "op0", 239), 0); /* folded into "other" */
	char *s;
	struct evbuffer *b = evbuffer_new();
	emu_metrics_render(m, NULL, b);
	s = malloc(evbuffer_get_length(b) + 1);
	size_t len = evbuffer_get_length(b);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	assert_non_null(strstr(s, "emulator_requests_total{operation=\"op0\",code=\"other\"} "));
	free(s);
	evbuffer_free(b);
	emu_metrics_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
