/*
 * Fuzz target of the swarm's handling of the service's JSON replies: any
 * bytes, taken as the body of a reply, go through the functions the engine
 * uses on them (replies.c over the body's bytes as the agent, the REST
 * driver, the controller and the installer call it: registration reply,
 * next-steps reply with every instruction answered by steps.c as the agent
 * does, cluster, host-network, id and host-list replies; and
 * rt_versions_agent_image for the component versions). Must never crash,
 * leak or produce something the swarm would then send unsafely: an agent
 * version, id or image it takes is header-safe, a step reply body is valid
 * JSON. The scanner's verdict is held to jansson's: a reply is read as an
 * object exactly when json_loadb() loads one.
 * With -DSW_FUZZ_LIBFUZZER it is a libFuzzer target; otherwise
 * tests/fixtures/fuzz_replay.c replays tests/swarm/corpus_replies and
 * mutations of it (a normal test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "as_model.h"
#include "replies.h"
#include "rt.h"
#include "steps.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At most this many instructions of one reply are answered (the agent
 * answers all; the bound keeps one input's cost bounded). */
#define MAX_INSTRUCTIONS 32

static void check_header_safe(const char *s)
{
	if (s && (!*s || sw_http_value_bad(s, strlen(s))))
		abort();
}

struct answered {
	const struct steps_host *host;
	unsigned n;
};

/* replies_steps_each callback: answers one instruction as the agent does. */
static int answer_one(void *arg, const struct steps_instr *in)
{
	struct answered *ans = arg;
	struct steps_reply r;
	size_t len = 0;

	if (ans->n++ >= MAX_INSTRUCTIONS)
		return 1;
	if (steps_answer(ans->host, in, &r) == 0) {
		char *body = steps_reply_body(&r, &len);
		json_t *back = body ? json_loadb(body, len, 0, NULL) : NULL;
		if (!body || !json_is_object(back))
			abort(); /* the agent would post it as is */
		json_decref(back);
		free(body);
		if (r.action == STEPS_ACT_UPGRADE)
			check_header_safe(r.upgrade_image[0] ? r.upgrade_image : NULL);
	}
	steps_reply_clear(&r);
	return 0;
}

/* The next-steps reply as on_poll reads it; |is_object|: jansson's verdict. */
static void answer_steps(const char *body, size_t len, int is_object)
{
	static const struct inventory_host inv = {
		.hostname = "swarm-1-0-0", .mac = "02:00:00:00:00:01", .ip = "10.3.0.1", .prefix = 16,
		.net_addr = "10.3.0.0", .gateway = "10.3.255.1", .cpu_arch = "x86_64", .serial = 7,
	};
	static const struct steps_host host = {
		.inv = &inv, .api_vip = "10.3.255.2", .ingress_vip = "10.3.255.3", .other_ip = "10.3.255.4",
	};
	struct answered ans = {&host, 0};
	struct replies_steps rs;

	if ((replies_steps(body, len, &rs) == 0) != is_object)
		abort(); /* the scanner and jansson disagree */
	if (!is_object)
		return;
	replies_steps_each(&rs, answer_one, &ans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"known-unbound", "known", NULL};
	struct sw_jscan_pick id = {.ptr = "/id"};
	struct sw_resp resp;
	char version[512], info[128], idbuf[64];
	const char *body;
	size_t vlen = 0, len;
	int vr;

	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	resp.body = evbuffer_new();
	if (!resp.body)
		return 0;
	evbuffer_add(resp.body, data, size);
	body = rt_resp_bytes(&resp, &len);
	json_t *j = rt_resp_json(&resp);

	vr = replies_agent_version(body, len, version, sizeof(version), &vlen);
	if ((vr == SW_ERR_PARSE) != !json_is_object(j))
		abort(); /* the scanner and jansson disagree */
	if (vr > 0)
		check_header_safe(version);
	answer_steps(body, len, json_is_object(j));
	int st = replies_cluster_status(body, len, info, sizeof(info));
	if (st >= 0 && !as_cluster_status_name(st))
		abort();
	(void)replies_host_network_holds(body, len, "10.3.255.2");
	(void)replies_hosts_with_status(body, len, known);
	(void)replies_hosts_at_stage(body, len, "Done");
	if (sw_jscan(body, len, &id, 1) == 0 && replies_id(&id.v, idbuf, sizeof(idbuf)))
		check_header_safe(idbuf);
	char *img = rt_versions_agent_image(&resp);
	check_header_safe(img);
	free(img);

	json_decref(j);
	evbuffer_free(resp.body);
	return 0;
}
