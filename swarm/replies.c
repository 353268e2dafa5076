/* replies: reading the service's replies (see replies.h). */
#include "replies.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_model.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_xalloc.h"

/* sw_jscan() that treats running out of memory like everywhere else. */
static int scan(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks)
{
	int rv = sw_jscan(doc, len, picks, npicks);

	if (rv == SW_ERR_NOMEM)
		x_oom(0);
	return rv;
}

static int scan_each(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks,
                     sw_jscan_each_fn fn, void *arg)
{
	int rv = sw_jscan_each(doc, len, picks, npicks, fn, arg, NULL);

	if (rv == SW_ERR_NOMEM)
		x_oom(0);
	return rv;
}

int replies_agent_version(const char *body, size_t len, char *out, size_t outlen, size_t *vlen)
{
	/* The 7 KB host answer is scanned, not built: only the runner
	 * command's first argument (a JSON document in a string) matters. */
	struct sw_jscan_pick pk[] = {{.ptr = ""}, {.ptr = "/next_step_runner_command/args/0"}};
	struct sw_jscan_pick ipk[] = {{.ptr = ""}, {.ptr = "/agent_version"}};
	char *inner;
	long n;
	int rv = 0;

	*vlen = 0;
	if (outlen)
		out[0] = '\0';
	if (scan(body, len, pk, 2) != 0 || pk[0].v.type != SW_JSCAN_OBJECT)
		return SW_ERR_PARSE;
	if (pk[1].v.type != SW_JSCAN_STRING)
		return 0;
	inner = xmalloc(pk[1].v.len + 1);
	n = sw_jscan_str(&pk[1].v, inner, pk[1].v.len + 1);
	/* An object document (as jansson's json_loads(s, 0) wants; the decoded
	 * string holds no NUL: the scanner refuses \u0000). */
	if (n > 0 && scan(inner, (size_t)n, ipk, 2) == 0 && ipk[0].v.type == SW_JSCAN_OBJECT &&
	    ipk[1].v.type == SW_JSCAN_STRING && ipk[1].v.len > 0) {
		n = sw_jscan_str(&ipk[1].v, out, outlen);
		*vlen = n > 0 ? (size_t)n : 0;
		rv = -1;
		if (n > 0 && n < 512 && (size_t)n < outlen && !sw_http_value_bad(out, (size_t)n))
			rv = 1;
		else if (outlen)
			out[0] = '\0';
	}
	free(inner);
	return rv;
}

int replies_steps(const char *body, size_t len, struct replies_steps *out)
{
	struct sw_jscan_pick pk[] = {{.ptr = ""}, {.ptr = "/next_instruction_seconds"},
	                             {.ptr = "/post_step_action"}, {.ptr = "/instructions"}};

	memset(out, 0, sizeof(*out));
	if (scan(body, len, pk, 4) != 0 || pk[0].v.type != SW_JSCAN_OBJECT)
		return SW_ERR_PARSE;
	if (pk[1].v.type == SW_JSCAN_INTEGER || pk[1].v.type == SW_JSCAN_REAL) {
		if (sw_jscan_double(&pk[1].v, &out->next_s) == SW_ERR_NOMEM)
			x_oom(0);
	}
	/* no post_step_action (or no string) means "continue" */
	out->exit = sw_jscan_streq(&pk[2].v, "exit");
	if (pk[3].v.type == SW_JSCAN_ARRAY)
		out->instructions = pk[3].v;
	return 0;
}

struct instr_walk {
	replies_instr_fn fn;
	void *arg;
};

static int instr_one(void *arg, size_t index, const struct sw_jscan_val *elem,
                     struct sw_jscan_pick *picks, size_t npicks)
{
	struct instr_walk *w = arg;
	struct steps_instr in;

	(void)index;
	(void)elem;
	(void)npicks;
	steps_instr_from_picks(&in, picks);
	return w->fn(w->arg, &in);
}

int replies_steps_each(const struct replies_steps *rs, replies_instr_fn fn, void *arg)
{
	struct sw_jscan_pick ipk[STEPS_INSTR_NPICKS];
	struct instr_walk w = {fn, arg};
	int rv;

	if (rs->instructions.type != SW_JSCAN_ARRAY)
		return 0;
	for (size_t i = 0; i < STEPS_INSTR_NPICKS; i++)
		ipk[i] = (struct sw_jscan_pick){.ptr = steps_instr_pointers[i]};
	/* The array was validated with the whole reply: only |fn| stops it. */
	rv = scan_each(rs->instructions.raw, rs->instructions.len, ipk, STEPS_INSTR_NPICKS, instr_one, &w);
	return rv < 0 ? 0 : rv;
}

int replies_cluster_status(const char *body, size_t len, char *info, size_t infolen)
{
	/* Two fields of a 5 KB answer polled all along. */
	struct sw_jscan_pick pk[] = {{.ptr = "/status"}, {.ptr = "/status_info"}};
	char st[64];
	long n;

	if (info && infolen)
		info[0] = '\0';
	if (scan(body, len, pk, 2) != 0)
		return -1;
	/* cut like the message it goes into */
	if (info && infolen && sw_jscan_str(&pk[1].v, info, infolen) < 0)
		info[0] = '\0';
	n = sw_jscan_str(&pk[0].v, st, sizeof(st));
	if (n < 0 || (size_t)n >= sizeof(st))
		return -1;
	return as_cluster_status_parse(st);
}

struct net_match {
	uint32_t addr;
	int found;
};

static int net_holds(void *arg, size_t index, const struct sw_jscan_val *elem,
                     struct sw_jscan_pick *picks, size_t npicks)
{
	struct net_match *m = arg;
	unsigned a, b, c, d, p;
	char cidr[64];
	long n = sw_jscan_str(&picks[0].v, cidr, sizeof(cidr));
	uint32_t base, mask;

	(void)index;
	(void)elem;
	(void)npicks;
	if (n < 0 || (size_t)n >= sizeof(cidr) ||
	    sscanf(cidr, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &p) != 5 || p > 32)
		return 0;
	base = (a << 24) | (b << 16) | (c << 8) | d;
	mask = p ? 0xffffffffu << (32 - p) : 0;
	if ((base & mask) == (m->addr & mask))
		m->found = 1;
	return 0;
}

int replies_host_network_holds(const char *body, size_t len, const char *ip)
{
	struct sw_jscan_pick pk = {.ptr = "/host_networks"}, cidr = {.ptr = "/cidr"};
	struct net_match m = {0, 0};
	unsigned ia, ib, ic, id;

	if (!ip || sscanf(ip, "%u.%u.%u.%u", &ia, &ib, &ic, &id) != 4)
		return 0;
	m.addr = (ia << 24) | (ib << 16) | (ic << 8) | id;
	if (scan(body, len, &pk, 1) != 0 || pk.v.type != SW_JSCAN_ARRAY)
		return 0;
	scan_each(pk.v.raw, pk.v.len, &cidr, 1, net_holds, &m);
	return m.found;
}

struct host_count {
	const char *const *values; /* NULL-terminated */
	unsigned n;
};

/* Counts an element whose pick is one of the values. */
static int value_in(void *arg, size_t index, const struct sw_jscan_val *elem,
                    struct sw_jscan_pick *picks, size_t npicks)
{
	struct host_count *hc = arg;

	(void)index;
	(void)elem;
	(void)npicks;
	for (const char *const *w = hc->values; *w; w++)
		if (sw_jscan_streq(&picks[0].v, *w)) {
			hc->n++;
			break;
		}
	return 0;
}

unsigned replies_hosts_with_status(const char *body, size_t len, const char *const *statuses)
{
	struct sw_jscan_pick st = {.ptr = "/status"};
	struct host_count hc = {statuses, 0};

	/* An invalid list counts no host (what it saw before failing is dropped). */
	if (scan_each(body, len, &st, 1, value_in, &hc) != 0)
		return 0;
	return hc.n;
}

unsigned replies_hosts_at_stage(const char *body, size_t len, const char *stage)
{
	const char *const one[] = {stage, NULL};
	struct sw_jscan_pick st = {.ptr = "/progress/current_stage"};
	struct host_count hc = {one, 0};

	/* The masters with their inventories are ~20 KB: scanned, not built. */
	if (scan_each(body, len, &st, 1, value_in, &hc) != 0)
		return 0;
	return hc.n;
}

int replies_id(const struct sw_jscan_val *v, char *out, size_t outlen)
{
	long n = outlen ? sw_jscan_str(v, out, outlen) : -1;

	if (n <= 0 || (size_t)n >= outlen)
		goto bad;
	for (long i = 0; i < n; i++) {
		char ch = out[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '-' || ch == '_' || ch == '.'))
			goto bad;
	}
	return 1;
bad:
	if (outlen)
		out[0] = '\0';
	return 0;
}
