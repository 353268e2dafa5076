/*
 * Differential fuzz target of sw_jscan: for every input, the scanner must
 * accept exactly what jansson's json_loadb(JSON_DECODE_ANY) accepts, and
 * every pointer must name the value jansson's get-walk finds (same type,
 * same decoded string bytes, same number), also element by element through
 * sw_jscan_each(). Any difference aborts. Built with libFuzzer when
 * -Dfuzzing_engine=libfuzzer; otherwise main() replays the corpus folders
 * given as arguments and a bounded run of seeded mutations of them
 * (tests/emulator/fuzz_util.h).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sw_err.h"
#include "sw_jscan.h"

static const char *const pointers[] = {
	"", "/status", "/status_info", "/id", "/a", "/0", "/1", "/0/a", "/a/0", "/a/b/c",
	"/progress/current_stage", "/next_step_runner_command/args/0", "/instructions/0/step_type",
	"/s", "/x y", "/00",
};
#define NPTR (sizeof(pointers) / sizeof(pointers[0]))

static const uint8_t *cur_data; /* the input under test, shown on a mismatch */
static size_t cur_size;

static void fail(const char *what, const char *ptr)
{
	fprintf(stderr, "fuzz_jscan: mismatch: %s (pointer \"%s\") on %zu bytes: ", what, ptr, cur_size);
	for (size_t i = 0; i < cur_size && i < 300; i++)
		fprintf(stderr, cur_data[i] >= 0x20 && cur_data[i] < 0x7f ? "%c" : "\\x%02x", cur_data[i]);
	fputc('\n', stderr);
	abort();
}

/* jansson's view of |ptr| in |root|: the walk the swarm's code does, where
 * an all-digit token indexes arrays only. */
static json_t *walk(json_t *root, const char *ptr)
{
	json_t *j = root;
	char tok[64];

	while (j && *ptr == '/') {
		const char *t = ptr + 1, *e = strchr(t, '/');
		size_t len = e ? (size_t)(e - t) : strlen(t);
		if (len >= sizeof(tok))
			return NULL;
		memcpy(tok, t, len);
		tok[len] = '\0';
		ptr = t + len;
		if (len && strspn(tok, "0123456789") == len) {
			if (!json_is_array(j) || (len > 1 && tok[0] == '0'))
				return NULL;
			j = json_array_get(j, (size_t)strtoul(tok, NULL, 10));
		} else {
			j = json_is_object(j) ? json_object_get(j, tok) : NULL;
		}
	}
	return j;
}

static void compare(json_t *want, const struct sw_jscan_val *v, const char *ptr)
{
	static const enum sw_jscan_type map[] = {
		[JSON_OBJECT] = SW_JSCAN_OBJECT, [JSON_ARRAY] = SW_JSCAN_ARRAY,
		[JSON_STRING] = SW_JSCAN_STRING, [JSON_INTEGER] = SW_JSCAN_INTEGER,
		[JSON_REAL] = SW_JSCAN_REAL,     [JSON_TRUE] = SW_JSCAN_TRUE,
		[JSON_FALSE] = SW_JSCAN_FALSE,   [JSON_NULL] = SW_JSCAN_NULL,
	};
	if (!want) {
		if (v->type != SW_JSCAN_ABSENT)
			fail("scanner found a value jansson does not", ptr);
		return;
	}
	if (v->type != map[json_typeof(want)])
		fail("type", ptr);
	if (json_is_string(want)) {
		size_t n = json_string_length(want);
		char *buf = malloc(n + 2);
		long got = sw_jscan_str(v, buf, n + 2);
		if (!buf || got != (long)n || memcmp(buf, json_string_value(want), n) != 0)
			fail("string bytes", ptr);
		if (!sw_jscan_streq(v, json_string_value(want)))
			fail("streq", ptr);
		/* a cut decode stays NUL-terminated and reports the full length */
		if (n > 1 && (sw_jscan_str(v, buf, 2) != (long)n || buf[1] != '\0'))
			fail("cut decode", ptr);
		free(buf);
	} else if (json_is_number(want)) {
		double d = 0;
		if (sw_jscan_double(v, &d) != 0 || d != json_number_value(want))
			fail("number", ptr);
		if (json_is_integer(want)) {
			char txt[32];
			if (v->len >= sizeof(txt))
				fail("integer length", ptr);
			memcpy(txt, v->raw, v->len);
			txt[v->len] = '\0';
			if (strtoll(txt, NULL, 10) != json_integer_value(want))
				fail("integer", ptr);
		}
	}
}

struct each_ctx {
	json_t *arr;
	size_t seen;
};

static int each_cb(void *arg, size_t index, const struct sw_jscan_val *elem,
                   struct sw_jscan_pick *picks, size_t npicks)
{
	struct each_ctx *c = arg;
	json_t *e = c->arr ? json_array_get(c->arr, index) : NULL;

	/* An invalid document may show elements before it fails: only a valid
	 * one (c->arr set) is checked. */
	if (c->arr) {
		if (index != c->seen)
			fail("element order", "");
		compare(e, elem, "(element)");
		for (size_t i = 0; i < npicks; i++)
			compare(walk(e, picks[i].ptr), &picks[i].v, picks[i].ptr);
	}
	c->seen++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_jscan_pick picks[NPTR];
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	enum sw_jscan_type rt;
	struct each_ctx ec = {json_is_array(root) ? root : NULL, 0};
	int rv;

	cur_data = data;
	cur_size = size;
	for (size_t i = 0; i < NPTR; i++)
		picks[i].ptr = pointers[i];
	rv = sw_jscan((const char *)data, size, picks, NPTR);
	if ((rv == 0) != (root != NULL))
		fail(root ? "scanner refused what jansson accepts" : "scanner accepted what jansson refuses",
		     "");
	for (size_t i = 0; i < NPTR; i++)
		compare(root ? walk(root, pointers[i]) : NULL, &picks[i].v, pointers[i]);
	rv = sw_jscan_each((const char *)data, size, picks, NPTR, each_cb, &ec, &rt);
	if ((rv == 0) != (root != NULL))
		fail("each: validity", "");
	if (root && json_is_array(root) != (rt == SW_JSCAN_ARRAY))
		fail("each: root type", "");
	if (root && json_is_array(root) && ec.seen != json_array_size(root))
		fail("each: element count", "");
	json_decref(root);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
#define JSCAN_FUZZ_MAX (1 << 20)
#define MAX_CORPUS 128
static uint8_t *corpus[MAX_CORPUS];
static size_t corpus_len[MAX_CORPUS], ncorpus;

/* fuzz_input_fn: runs a corpus file and keeps it for the mutation pass. */
static void keep(const uint8_t *data, size_t n, void *arg)
{
	(void)arg;
	LLVMFuzzerTestOneInput(data, n);
	if (ncorpus >= MAX_CORPUS)
		return;
	corpus[ncorpus] = malloc(n + 1);
	if (!corpus[ncorpus])
		return;
	memcpy(corpus[ncorpus], data, n);
	corpus_len[ncorpus++] = n;
}

int main(int argc, char **argv)
{
	static uint8_t buf[JSCAN_FUZZ_MAX];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned iters = 20000, valid = 0;

	for (int i = 1; i < argc; i++)
		fuzz_replay(argv[i], JSCAN_FUZZ_MAX, keep, NULL);
	if (!ncorpus) {
		fprintf(stderr, "fuzz_jscan: no corpus\n");
		return 1;
	}
	for (unsigned iter = 0; iter < iters; iter++) {
		size_t k = fuzz_rng(&x) % ncorpus, n = corpus_len[k];
		memcpy(buf, corpus[k], n);
		/* JSON's structural bytes, escapes, number parts, UTF-8 edge bytes */
		n = fuzz_mutate(buf, n, sizeof(buf), 0, "{}[]\":,\\0123456789-+.eEtrufalsn\x01\x7f"
		                "\x80\xbf\xc0\xc2\xe0\xed\xf0\xf4\xf5\xff", "\\ud83d", &x);
		json_t *j = json_loadb((const char *)buf, n, JSON_DECODE_ANY, NULL);
		valid += j != NULL;
		json_decref(j);
		LLVMFuzzerTestOneInput(buf, n);
	}
	for (size_t i = 0; i < ncorpus; i++)
		free(corpus[i]);
	printf("fuzz_jscan: %zu corpus files replayed, %u mutations agree with jansson (%u valid)\n",
	       ncorpus, iters, valid);
	return 0;
}
#endif
