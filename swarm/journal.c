/*
 * journal: the cleanup journal (see journal.h).
 *
 * Why a queue and not a write per record: a shard loop must never wait on
 * the file system, and a record per created object (two per cluster) is
 * rare next to the requests, so one mutex-protected queue drained by the
 * main thread every 100 ms is enough. Whole lines go out in one write() on
 * an O_APPEND descriptor, so a reader never sees half a record unless the
 * disk filled up mid-write (the reader then ignores the cut last line).
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "sw_err.h"

#define JOURNAL_LINE_MAX (64u * 1024)
#define JOURNAL_COMPACT_MIN (1u << 20)

struct jent {
	char *line;              /* JSON + '\n' */
	char *key;               /* live-set key ("c:<id>", "i:<id>", "k:<path>") */
	int del;                 /* removes |key| from the live set */
};

struct journal {
	int fd;
	char *path;
	char *header;            /* the header line, for compaction */
	int compact;
	pthread_mutex_t mu;
	struct jent *q;          /* queued by any thread, under |mu| */
	size_t nq, capq;
	json_t *live;            /* key -> line of live objects (compact only; main thread) */
	size_t live_bytes;
	uint64_t file_bytes, records, last_sync_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *dump_line(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(o);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

static void iso8601(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int journal_open(struct journal **out, const char *path, const struct journal_info *info,
                 char *renamed, char *err, size_t errlen)
{
	char when[32];
	*out = NULL;
	if (renamed)
		renamed[0] = '\0';
	if (access(path, F_OK) == 0) {
		/* Never lose the journal of an earlier run: keep it under its run id. */
		struct journal_run old;
		char dst[4096], e2[64];
		int rr = journal_read(path, &old, e2, sizeof(e2));
		snprintf(dst, sizeof(dst), "%s.%s", path, rr == JR_OK && old.run_id ? old.run_id : "old");
		journal_run_free(&old);
		/* rename() would replace a journal kept there before (a run id used twice). */
		size_t base = strlen(dst);
		for (unsigned k = 1; access(dst, F_OK) == 0 && k < 1000 && base + 8 < sizeof(dst); k++)
			snprintf(dst + base, sizeof(dst) - base, ".%u", k);
		if (rename(path, dst) < 0) {
			snprintf(err, errlen, "%s: cannot move the earlier journal aside: %s", path, strerror(errno));
			return SW_ERR_IO;
		}
		if (renamed)
			snprintf(renamed, 4096, "%s", dst);
	}
	struct journal *j = calloc(1, sizeof(*j));
	if (!j)
		return SW_ERR_NOMEM;
	j->fd = -1;
	pthread_mutex_init(&j->mu, NULL);
	iso8601(info->start_wall, when, sizeof(when));
	j->path = strdup(path);
	j->compact = info->compact;
	j->header = dump_line(json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s?, s:s?}",
	                                "journal", JOURNAL_VERSION, "type", "run", "run_id", info->run_id,
	                                "mode", info->mode ? info->mode : "rest",
	                                "service", info->service ? info->service : "",
	                                "shard", (json_int_t)info->shard,
	                                "shards", (json_int_t)(info->shards ? info->shards : 1),
	                                "pid", (json_int_t)getpid(), "start_time", when,
	                                "plan", info->plan, "results", info->results));
	if (j->compact)
		j->live = json_object();
	if (!j->path || !j->header || (j->compact && !j->live)) {
		journal_close(&j, 0, 0, NULL, 0);
		return SW_ERR_NOMEM;
	}
	j->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0 || write_all(j->fd, j->header, strlen(j->header)) < 0 || fdatasync(j->fd) < 0) {
		snprintf(err, errlen, "%s: cannot write the journal: %s", path, strerror(errno));
		if (j->fd >= 0)
			unlink(path);
		journal_close(&j, 0, 0, NULL, 0);
		return SW_ERR_IO;
	}
	j->file_bytes = strlen(j->header);
	j->last_sync_ns = mono_ns();
	*out = j;
	return 0;
}

/* Queues |o| (consumed). Out of memory drops the record with a message: the
 * cleanup command's sweep by name still finds the object. */
static void enqueue(struct journal *j, json_t *o, const char *key, int del)
{
	char *line = dump_line(o);
	char *k = key ? strdup(key) : NULL;
	if (!line || (key && !k)) {
		fprintf(stderr, "swarm: journal: out of memory, record of %s dropped\n", key ? key : "?");
		free(line);
		free(k);
		return;
	}
	pthread_mutex_lock(&j->mu);
	if (j->nq == j->capq) {
		size_t cap = j->capq ? j->capq * 2 : 64;
		struct jent *v = realloc(j->q, cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&j->mu);
			fprintf(stderr, "swarm: journal: out of memory, record of %s dropped\n", key ? key : "?");
			free(line);
			free(k);
			return;
		}
		j->q = v;
		j->capq = cap;
	}
	j->q[j->nq].line = line;
	j->q[j->nq].key = k;
	j->q[j->nq].del = del;
	j->nq++;
	pthread_mutex_unlock(&j->mu);
}

void journal_cluster(struct journal *j, const char *id, const char *name, double t)
{
	char key[64];
	if (!j || !id)
		return;
	snprintf(key, sizeof(key), "c:%s", id);
	enqueue(j, json_pack("{s:s, s:s, s:s, s:f}", "type", "cluster", "id", id, "name", name ? name : "",
	                     "t", t), key, 0);
}

void journal_infra_env(struct journal *j, const char *id, const char *name, const char *cluster_id,
                       double t)
{
	char key[64];
	if (!j || !id)
		return;
	snprintf(key, sizeof(key), "i:%s", id);
	enqueue(j, json_pack("{s:s, s:s, s:s, s:o, s:f}", "type", "infra_env", "id", id, "name",
	                     name ? name : "", "cluster_id",
	                     cluster_id && *cluster_id ? json_string(cluster_id) : json_null(), "t", t),
	        key, 0);
}

static void kube_key(char *key, size_t len, const char *api, const char *res, const char *ns,
                     const char *name)
{
	snprintf(key, len, "k:%s/%s/%s/%s", api ? api : "", res ? res : "", ns ? ns : "", name ? name : "");
}

void journal_kube(struct journal *j, const char *api_version, const char *resource, const char *ns,
                  const char *name, double t)
{
	char key[512];
	if (!j || !api_version || !resource || !name)
		return;
	kube_key(key, sizeof(key), api_version, resource, ns, name);
	enqueue(j, json_pack("{s:s, s:s, s:s, s:o, s:s, s:f}", "type", "kube", "api_version", api_version,
	                     "resource", resource, "namespace", ns ? json_string(ns) : json_null(),
	                     "name", name, "t", t), key, 0);
}

void journal_deleted(struct journal *j, const char *kind, const char *id, double t)
{
	char key[64];
	if (!j || !kind || !id)
		return;
	snprintf(key, sizeof(key), "%c:%s", !strcmp(kind, "cluster") ? 'c' : 'i', id);
	enqueue(j, json_pack("{s:s, s:s, s:s, s:f}", "type", "deleted", "kind", kind, "id", id, "t", t),
	        key, 1);
}

void journal_kube_deleted(struct journal *j, const char *api_version, const char *resource,
                          const char *ns, const char *name, double t)
{
	char key[512];
	if (!j || !api_version || !resource || !name)
		return;
	kube_key(key, sizeof(key), api_version, resource, ns, name);
	enqueue(j, json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:f}", "type", "deleted", "kind", "kube",
	                     "api_version", api_version, "resource", resource,
	                     "namespace", ns ? json_string(ns) : json_null(), "name", name, "t", t), key, 1);
}

/* Rewrites the file as header + live records (atomic rename). */
static int compact_file(struct journal *j, char *err, size_t errlen)
{
	char tmp[4096];
	const char *k;
	json_t *v;
	snprintf(tmp, sizeof(tmp), "%s.compact.%ld", j->path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	int bad = fd < 0 || write_all(fd, j->header, strlen(j->header)) < 0;
	uint64_t bytes = strlen(j->header);
	json_object_foreach(j->live, k, v) {
		const char *line = json_string_value(v);
		if (bad || !line)
			break;
		bad = write_all(fd, line, strlen(line)) < 0;
		bytes += strlen(line);
	}
	if (bad || fdatasync(fd) < 0 || rename(tmp, j->path) < 0) {
		snprintf(err, errlen, "%s: journal compaction failed: %s", j->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return SW_ERR_IO;
	}
	close(j->fd);
	j->fd = fd;
	j->file_bytes = bytes;
	return 0;
}

int journal_flush(struct journal *j, int sync, char *err, size_t errlen)
{
	if (!j || j->fd < 0)
		return 0;
	pthread_mutex_lock(&j->mu);
	struct jent *q = j->q;
	size_t n = j->nq;
	j->q = NULL;
	j->nq = j->capq = 0;
	pthread_mutex_unlock(&j->mu);
	size_t total = 0, done = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(q[i].line);
	char *buf = total ? malloc(total) : NULL;
	int rv = 0;
	if (total && !buf) {
		rv = SW_ERR_NOMEM;
		snprintf(err, errlen, "%s: out of memory flushing the journal", j->path);
	} else if (total) {
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(q[i].line);
			memcpy(buf + done, q[i].line, l);
			done += l;
		}
		if (write_all(j->fd, buf, total) < 0) {
			rv = SW_ERR_IO;
			snprintf(err, errlen, "%s: journal write failed: %s", j->path, strerror(errno));
		}
	}
	free(buf);
	if (rv < 0) {
		/* Keep them queued, in order, ahead of newer ones. */
		pthread_mutex_lock(&j->mu);
		struct jent *v = realloc(q, (n + j->nq) * sizeof(*v));
		if (v) {
			if (j->nq)
				memcpy(v + n, j->q, j->nq * sizeof(*v));
			free(j->q);
			j->q = v;
			j->nq += n;
			j->capq = j->nq;
			q = NULL;
			n = 0;
		}
		pthread_mutex_unlock(&j->mu);
	} else {
		j->file_bytes += total;
		j->records += n;
	}
	for (size_t i = 0; i < n; i++) {
		if (rv == 0 && j->live && q[i].key) {
			json_t *old = json_object_get(j->live, q[i].key);
			if (old)
				j->live_bytes -= json_string_length(old);
			if (q[i].del)
				json_object_del(j->live, q[i].key);
			else if (json_object_set_new(j->live, q[i].key, json_string(q[i].line)) == 0)
				j->live_bytes += strlen(q[i].line);
		}
		free(q[i].line);
		free(q[i].key);
	}
	free(q);
	uint64_t now = mono_ns();
	if (rv == 0 && (sync || now - j->last_sync_ns >= JOURNAL_SYNC_MS * 1000000ull)) {
		if (fdatasync(j->fd) < 0 && errno != EINVAL) {
			rv = SW_ERR_IO;
			snprintf(err, errlen, "%s: journal sync failed: %s", j->path, strerror(errno));
		}
		j->last_sync_ns = now;
	}
	if (rv == 0 && j->live && j->file_bytes > JOURNAL_COMPACT_MIN && j->file_bytes > 4 * j->live_bytes)
		rv = compact_file(j, err, errlen);
	return rv;
}

uint64_t journal_records(const struct journal *j)
{
	return j ? j->records : 0;
}

const char *journal_path(const struct journal *j)
{
	return j ? j->path : NULL;
}

int journal_close(struct journal **jp, int exit_code, double t, char *err, size_t errlen)
{
	char e2[256];
	int rv = 0;
	if (!jp || !*jp)
		return 0;
	struct journal *j = *jp;
	if (j->fd >= 0) {
		enqueue(j, json_pack("{s:s, s:i, s:f}", "type", "end", "exit_code", exit_code, "t", t), NULL, 0);
		rv = journal_flush(j, 1, err ? err : e2, err ? errlen : sizeof(e2));
		close(j->fd);
	}
	for (size_t i = 0; i < j->nq; i++) {
		free(j->q[i].line);
		free(j->q[i].key);
	}
	free(j->q);
	json_decref(j->live);
	free(j->header);
	free(j->path);
	pthread_mutex_destroy(&j->mu);
	free(j);
	*jp = NULL;
	return rv;
}

/* ------------------------------------------------------------ reading */

static char *dupstr(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static int jr_err(char *err, size_t errlen, const char *path, size_t line, int code, const char *fmt,
                  const char *arg)
{
	int n = snprintf(err, errlen, "%s:%zu: ", path, line);
	if (n > 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, fmt, arg);
	return code;
}

/* A service object id: 36 characters of a UUID. Anything else would be
 * pasted into a DELETE path. */
static int uuid_ok(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return 1;
}

/* A kube path segment: a DNS subdomain-ish token (no '/', '?', '%'). */
static int kube_seg_ok(const char *s, int allow_slash)
{
	if (!s || !*s || strlen(s) > 253)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      (allow_slash && c == '/')))
			return 0;
	}
	return 1;
}

/* The index key of an object (the same scheme as the writer's live set). */
static void obj_key(char *key, size_t len, enum journal_kind k, const char *id, const char *api,
                    const char *res, const char *ns, const char *name)
{
	if (k == JK_KUBE)
		kube_key(key, len, api, res, ns, name);
	else
		snprintf(key, len, "%c:%s", k == JK_CLUSTER ? 'c' : 'i', id);
}

static struct journal_obj *find_obj(struct journal_run *r, json_t *index, const char *key)
{
	json_t *v = json_object_get(index, key);
	return v ? &r->objs[json_integer_value(v)] : NULL;
}

static int add_obj(struct journal_run *r, struct journal_obj *o)
{
	if (r->nobjs == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct journal_obj *v = realloc(r->objs, cap * sizeof(*v));
		if (!v)
			return SW_ERR_NOMEM;
		r->objs = v;
		r->cap = cap;
	}
	r->objs[r->nobjs++] = *o;
	return 0;
}

static void obj_free(struct journal_obj *o)
{
	free(o->id);
	free(o->name);
	free(o->cluster_id);
	free(o->api_version);
	free(o->resource);
	free(o->ns);
}

/* A record of an object already listed (or a deletion): marks it and
 * returns 1; returns 0 for a new object to add. A deletion of an unknown
 * object is ignored (its creation record was cut off). */
static int known(struct journal_run *r, json_t *index, const char *key, int del)
{
	struct journal_obj *prev = find_obj(r, index, key);
	if (prev)
		prev->deleted = del;
	return prev || del;
}

/* One record line (not the header); |index| maps object keys to their
 * index in |r|->objs. Returns JR_OK or an error class with a message. */
static int read_record(struct journal_run *r, json_t *index, json_t *o, const char *path, size_t ln,
                       char *err, size_t errlen)
{
	char key[600];
	const char *type = json_string_value(json_object_get(o, "type"));
	if (!type)
		return jr_err(err, errlen, path, ln, JR_MALFORMED, "record without a \"type\"%s", "");
	if (!strcmp(type, "run")) {
		const char *id = json_string_value(json_object_get(o, "run_id"));
		if (!id || strcmp(id, r->run_id))
			return jr_err(err, errlen, path, ln, JR_MIXED, "a second run (%s) in one journal",
			              id ? id : "?");
		return JR_OK; /* the same run's header again (a compacted file) */
	}
	if (!strcmp(type, "end")) {
		r->ended = 1;
		return JR_OK;
	}
	const char *kind = type;
	int del = !strcmp(type, "deleted");
	if (del && !(kind = json_string_value(json_object_get(o, "kind"))))
		return jr_err(err, errlen, path, ln, JR_MALFORMED, "\"deleted\" record without a \"kind\"%s", "");
	struct journal_obj ob;
	memset(&ob, 0, sizeof(ob));
	if (!strcmp(kind, "cluster") || !strcmp(kind, "infra_env")) {
		ob.kind = !strcmp(kind, "cluster") ? JK_CLUSTER : JK_INFRA_ENV;
		const char *id = json_string_value(json_object_get(o, "id"));
		if (!uuid_ok(id))
			return jr_err(err, errlen, path, ln, JR_MALFORMED, "%s record without a valid \"id\" (a UUID)",
			              kind);
		json_t *cid = json_object_get(o, "cluster_id");
		if (!del && ob.kind == JK_INFRA_ENV && !json_is_null(cid) && cid &&
		    !uuid_ok(json_string_value(cid)))
			return jr_err(err, errlen, path, ln, JR_MALFORMED, "infra_env record with a bad \"cluster_id\"%s",
			              "");
		obj_key(key, sizeof(key), ob.kind, id, NULL, NULL, NULL, NULL);
		if (known(r, index, key, del))
			return JR_OK;
		ob.id = strdup(id);
		ob.name = dupstr(json_object_get(o, "name"));
		ob.cluster_id = dupstr(cid);
	} else if (!strcmp(kind, "kube")) {
		ob.kind = JK_KUBE;
		const char *api = json_string_value(json_object_get(o, "api_version"));
		const char *res = json_string_value(json_object_get(o, "resource"));
		const char *name = json_string_value(json_object_get(o, "name"));
		json_t *nsj = json_object_get(o, "namespace");
		const char *ns = json_string_value(nsj);
		if (!kube_seg_ok(api, 1) || !kube_seg_ok(res, 0) || !kube_seg_ok(name, 0) ||
		    (nsj && !json_is_null(nsj) && !kube_seg_ok(ns, 0)))
			return jr_err(err, errlen, path, ln, JR_MALFORMED, "kube record needs api_version, resource, "
			              "name (and namespace or null) as lower-case names%s", "");
		obj_key(key, sizeof(key), JK_KUBE, NULL, api, res, ns, name);
		if (known(r, index, key, del))
			return JR_OK;
		ob.api_version = strdup(api);
		ob.resource = strdup(res);
		ob.name = strdup(name);
		ob.ns = ns ? strdup(ns) : NULL;
	} else {
		return jr_err(err, errlen, path, ln, JR_MALFORMED, "unknown record type '%s'", kind);
	}
	if (add_obj(r, &ob) < 0 ||
	    json_object_set_new(index, key, json_integer((json_int_t)r->nobjs - 1)) < 0) {
		if (r->nobjs && r->objs[r->nobjs - 1].name == ob.name)
			r->nobjs--;
		obj_free(&ob);
		return jr_err(err, errlen, path, ln, JR_UNREADABLE, "out of memory%s", "");
	}
	return JR_OK;
}

int journal_read(const char *path, struct journal_run *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->path = strdup(path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		journal_run_free(out);
		return JR_UNREADABLE;
	}
	char *line = NULL;
	size_t cap = 0, ln = 0;
	ssize_t n;
	int rv = JR_OK;
	json_t *index = json_object();
	if (!index) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		journal_run_free(out);
		return JR_UNREADABLE;
	}
	while (rv == JR_OK && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		int complete = n > 0 && line[n - 1] == '\n';
		if ((size_t)n > JOURNAL_LINE_MAX) {
			rv = jr_err(err, errlen, path, ln, JR_MALFORMED, "line longer than %s bytes", "65536");
			break;
		}
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)n, 0, &je);
		if (!json_is_object(o)) {
			json_decref(o);
			int last = fgetc(f) == EOF;
			if (!complete && last && ln > 1) {
				out->truncated = 1; /* a write cut short: the record never made it */
				break;
			}
			rv = ln == 1 ? jr_err(err, errlen, path, ln, JR_MALFORMED,
			                      "not a swarm journal (the first line is not a JSON object)%s", "")
			             : jr_err(err, errlen, path, ln, JR_MALFORMED, "not a JSON object: %s", je.text);
			break;
		}
		if (ln == 1) {
			json_t *ver = json_object_get(o, "journal");
			const char *type = json_string_value(json_object_get(o, "type"));
			const char *id = json_string_value(json_object_get(o, "run_id"));
			if (!json_is_integer(ver) || !type || strcmp(type, "run") || !id) {
				rv = jr_err(err, errlen, path, ln, JR_MALFORMED,
				            "not a swarm journal (no run header: {\"journal\": 1, \"type\": \"run\", ...})%s", "");
			} else if (json_integer_value(ver) != JOURNAL_VERSION) {
				char v[32];
				snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(ver));
				rv = jr_err(err, errlen, path, ln, JR_VERSION, "journal version %s; this swarm reads version 1",
				            v);
			} else {
				out->run_id = strdup(id);
				out->mode = dupstr(json_object_get(o, "mode"));
				out->service = dupstr(json_object_get(o, "service"));
				out->shard = (unsigned)json_integer_value(json_object_get(o, "shard"));
				out->shards = (unsigned)json_integer_value(json_object_get(o, "shards"));
			}
		} else {
			rv = read_record(out, index, o, path, ln, err, errlen);
		}
		json_decref(o);
	}
	if (rv == JR_OK && ferror(f))
		rv = jr_err(err, errlen, path, ln, JR_UNREADABLE, "read error%s", "");
	if (rv == JR_OK && !ln)
		rv = jr_err(err, errlen, path, 1, JR_MALFORMED, "empty file: not a swarm journal%s", "");
	free(line);
	fclose(f);
	json_decref(index);
	if (rv != JR_OK)
		journal_run_free(out);
	return rv;
}

void journal_run_free(struct journal_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nobjs; i++)
		obj_free(&r->objs[i]);
	free(r->objs);
	free(r->path);
	free(r->run_id);
	free(r->mode);
	free(r->service);
	memset(r, 0, sizeof(*r));
}
