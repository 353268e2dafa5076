/* replies: decoding of the service's replies (see replies.h). */
#include "replies.h"

#include <stdio.h>
#include <string.h>

#include "as_model.h"
#include "sw_http.h"

int replies_agent_version(const json_t *reply, char *out, size_t outlen, size_t *len)
{
	const json_t *cmd = json_is_object(reply) ? json_object_get(reply, "next_step_runner_command") : NULL;
	const json_t *args = json_is_object(cmd) ? json_object_get(cmd, "args") : NULL;
	const char *s = json_is_array(args) ? json_string_value(json_array_get(args, 0)) : NULL;
	json_t *inner;
	int rv = 0;

	*len = 0;
	if (!s)
		return 0;
	/* The runner's arguments are a JSON document inside a string. */
	inner = json_loads(s, 0, NULL);
	s = json_is_object(inner) ? json_string_value(json_object_get(inner, "agent_version")) : NULL;
	if (s && *s) {
		size_t n = json_string_length(json_object_get(inner, "agent_version"));
		*len = n;
		rv = -1;
		if (n < 512 && n < outlen && strlen(s) == n && !sw_http_value_bad(s, n)) {
			memcpy(out, s, n + 1);
			rv = 1;
		}
	}
	json_decref(inner);
	return rv;
}

int replies_steps(json_t *reply, struct replies_steps *out)
{
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(reply))
		return -1;
	v = json_object_get(reply, "next_instruction_seconds");
	if (json_is_number(v))
		out->next_s = json_number_value(v);
	v = json_object_get(reply, "post_step_action");
	out->exit = json_is_string(v) && !strcmp(json_string_value(v), "exit");
	v = json_object_get(reply, "instructions");
	out->instructions = json_is_array(v) ? v : NULL;
	return 0;
}

int replies_cluster_status(const json_t *reply, const char **info)
{
	const json_t *v = json_is_object(reply) ? json_object_get(reply, "status") : NULL;
	const json_t *i = json_is_object(reply) ? json_object_get(reply, "status_info") : NULL;

	if (info)
		*info = json_is_string(i) ? json_string_value(i) : NULL;
	return json_is_string(v) ? as_cluster_status_parse(json_string_value(v)) : -1;
}

/* Counts the elements of list |list| for which |match| says yes. */
static unsigned count_hosts(const json_t *list, int (*match)(const json_t *host, const void *arg),
                            const void *arg)
{
	size_t i;
	json_t *h;
	unsigned n = 0;

	if (!json_is_array(list))
		return 0;
	json_array_foreach(list, i, h)
		n += match(h, arg) ? 1 : 0;
	return n;
}

static int status_in(const json_t *host, const void *arg)
{
	const char *s = json_string_value(json_object_get(host, "status"));
	for (const char *const *w = arg; s && *w; w++)
		if (!strcmp(s, *w))
			return 1;
	return 0;
}

static int at_stage(const json_t *host, const void *arg)
{
	json_t *p = json_object_get(host, "progress");
	const char *st = json_is_object(p) ? json_string_value(json_object_get(p, "current_stage")) : NULL;
	return st && !strcmp(st, arg);
}

unsigned replies_hosts_with_status(const json_t *list, const char *const *statuses)
{
	return count_hosts(list, status_in, statuses);
}

unsigned replies_hosts_at_stage(const json_t *list, const char *stage)
{
	return count_hosts(list, at_stage, stage);
}
