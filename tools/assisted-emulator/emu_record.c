#include "emu_record.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_xalloc.h"

struct emu_record {
	FILE *fp;
	char *buf;
	int failed;
};

#define RECORD_BUF (1 << 20)

struct emu_record *emu_record_open(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "a");
	if (!fp) {
		snprintf(err, errlen, "--record %s: %s", path, strerror(errno));
		return NULL;
	}
	struct emu_record *r = xcalloc(1, sizeof(*r));
	r->fp = fp;
	r->buf = xmalloc(RECORD_BUF);
	setvbuf(fp, r->buf, _IOFBF, RECORD_BUF);
	return r;
}

void emu_record_close(struct emu_record **rp)
{
	if (!rp || !*rp)
		return;
	fclose((*rp)->fp);
	free((*rp)->buf);
	free(*rp);
	*rp = NULL;
}

int emu_record_flush(struct emu_record *r)
{
	if (!r || r->failed)
		return SW_ERR_IO;
	return fflush(r->fp) == 0 ? 0 : SW_ERR_IO;
}

static int is_json(const char *ctype)
{
	return ctype && strstr(ctype, "json") != NULL;
}

/* Adds |name| = body string (JSON bodies, valid UTF-8) or null, plus its length. */
static int add_body(json_t *o, const char *name, const char *lenname, const char *ctype,
                    const void *body, size_t len)
{
	json_t *v = NULL;
	if (len && is_json(ctype))
		v = json_stringn(body, len); /* NULL when not UTF-8 */
	if (!v)
		v = len ? json_null() : json_string("");
	if (json_object_set_new(o, name, v) != 0)
		return SW_ERR_NOMEM;
	if (json_object_set_new(o, lenname, json_integer((json_int_t)len)) != 0)
		return SW_ERR_NOMEM;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int emu_record_write(struct emu_record *r, const struct emu_record_entry *e)
{
	if (!r || !e)
		return SW_ERR_INVALID;
	if (r->failed)
		return SW_ERR_IO;
	int rv = SW_ERR_NOMEM;
	char *line = NULL;
	json_t *o = json_object();
	if (!o)
		goto out;
	if (json_object_set_new(o, "method", str_or_null(e->method)) ||
	    json_object_set_new(o, "path", str_or_null(e->path)) ||
	    json_object_set_new(o, "query", str_or_null(e->query)) ||
	    json_object_set_new(o, "operation", str_or_null(e->operation)) ||
	    json_object_set_new(o, "status", json_integer(e->status)) ||
	    json_object_set_new(o, "fault", str_or_null(e->fault)) ||
	    json_object_set_new(o, "auth", str_or_null(e->auth_scheme)) ||
	    json_object_set_new(o, "proto", str_or_null(e->proto)) ||
	    json_object_set_new(o, "request_content_type", str_or_null(e->req_ctype)) ||
	    json_object_set_new(o, "request_accept", str_or_null(e->req_accept)) ||
	    json_object_set_new(o, "response_content_type", str_or_null(e->resp_ctype)))
		goto out;
	if (add_body(o, "request_body", "request_body_len", e->req_ctype, e->req_body, e->req_len) ||
	    add_body(o, "response_body", "response_body_len", e->resp_ctype, e->resp_body, e->resp_len))
		goto out;
	line = json_dumps(o, JSON_COMPACT);
	if (!line)
		goto out;
	if (fputs(line, r->fp) < 0 || fputc('\n', r->fp) == EOF) {
		r->failed = 1;
		rv = SW_ERR_IO;
		goto out;
	}
	rv = 0;
out:
	free(line);
	json_decref(o);
	return rv;
}
