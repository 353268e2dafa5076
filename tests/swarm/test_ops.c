/* The swarm's per-operation header table (swarm/ops.c) against the
 * emulator's tables generated from the swagger: every operation it names
 * exists, and its Accept and Content-Type are the operation's produces and
 * first consumes, as a go-swagger client sends them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "emu_opmeta.h"
#include "ops.h"

static void test_table_matches_swagger(void **state)
{
	(void)state;
	unsigned named = 0;
	for (int ep = 0; ep < EP_COUNT; ep++) {
		const struct swarm_op *o = swarm_op((enum swarm_ep)ep);
		char list[256], *save = NULL;
		assert_non_null(o->accept);
		assert_non_null(o->content_type);
		snprintf(list, sizeof(list), "%s", o->operations);
		for (char *name = strtok_r(list, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
			const struct emu_op_meta *m = emu_op_meta_find(name);
			if (!m)
				fail_msg("ops.c names %s, which the swagger lacks", name);
			assert_non_null(m->produces[0]);
			assert_null(m->produces[1]);
			if (strcmp(o->accept, m->produces[0]))
				fail_msg("%s: Accept %s, produces %s", name, o->accept, m->produces[0]);
			if (strcmp(o->content_type, m->consumes[0]))
				fail_msg("%s: Content-Type %s, consumes %s", name, o->content_type,
				         m->consumes[0]);
			named++;
		}
	}
	assert_true(named >= 27);
	/* the field run's mistake: downloads produce octet-stream */
	assert_string_equal(swarm_op(EP_DOWNLOAD_FILE)->accept, "application/octet-stream");
	assert_string_equal(swarm_op(EP_DOWNLOAD_IGNITION)->accept, "application/octet-stream");
	assert_string_equal(swarm_op(EP_UPLOAD_LOGS)->content_type, "multipart/form-data");
	/* out of range: EP_OTHER's entry */
	assert_ptr_equal(swarm_op((enum swarm_ep)EP_COUNT), swarm_op(EP_OTHER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_swagger),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
