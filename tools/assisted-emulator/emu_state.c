/* --state-dir: snapshot + journal of the model (see emu_state.h for the
 * format, the fsync policy and the bounds). */
#include "emu_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "emu_util.h"
#include "sw_xalloc.h"
#include "sw_err.h"
#include "sw_http.h"

#define SNAPSHOT_FILE "snapshot.bin"
#define SNAPSHOT_TMP "snapshot.tmp"
#define CONFIG_FILE "config"
#define STATE_MAGIC "EMUSTAT1"
#define DEF_FSYNC_INTERVAL_NS (100ull * 1000000ull)
#define DEF_JOURNAL_MAX ((uint64_t)64 * 1024 * 1024)
/* A record larger than this is not one we wrote: the journal is corrupt there. */
#define MAX_RECORD ((uint32_t)64 * 1024 * 1024)
#define MAX_SEGMENTS 4096
#define REAP_MS 100

enum rec_type { REC_REQUEST = 1, REC_MONITOR = 2 };

struct emu_state {
	struct emu_state_cfg cfg;
	char *dir;
	struct emu_model *m;
	int dirfd;
	int jfd;                      /* current journal segment */
	uint64_t seg_start;           /* sequence number where it starts */
	uint64_t seq;                 /* end of the last record written (bytes, over all segments) */
	unsigned char *buf;           /* record being assembled */
	size_t cap, len;
	int broken;                   /* a journal write failed: journaling stopped */
	uint64_t pair_mono, pair_real; /* one instant in the model's monotonic clock and the wall
	                                * clock (the last record's; at start, now) */
	struct emu_state_stats st;
	pid_t child;                  /* compaction in progress */
	uint64_t child_covers;        /* the sequence its snapshot covers */
	struct event *tick_ev;        /* batch fsyncs, child reaping */
	/* fdatasync helper thread (batch and always) */
	int thr_started;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sync_fd;                  /* owned by the thread */
	int next_fd;                  /* a new segment handed to the thread, or -1 */
	uint64_t want, done;          /* sync up to |want|; |done| is durable */
	uint64_t fsyncs;              /* counted by the thread */
	int stop;
	int pipe_rd, pipe_wr;         /* the thread wakes the loop */
	struct event *pipe_ev;
	uint64_t durable;             /* |done| as the loop last saw it */
	emu_state_durable_fn durable_fn;
	void *durable_arg;
};

const char *emu_fsync_name(enum emu_fsync f)
{
	return f == EMU_FSYNC_ALWAYS ? "always" : f == EMU_FSYNC_NEVER ? "never" : "batch";
}

int emu_fsync_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "batch") == 0)
		return EMU_FSYNC_BATCH;
	if (strcmp(s, "always") == 0)
		return EMU_FSYNC_ALWAYS;
	if (strcmp(s, "never") == 0)
		return EMU_FSYNC_NEVER;
	return -1;
}

static uint64_t real_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void logf_(const struct emu_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const struct emu_state *st, const char *fmt, ...)
{
	if (st->cfg.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "assisted-emulator: state: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- file helpers ------------------------------------------------------------------------ */

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads file |name| (relative to |dirfd|) into a malloc'ed buffer. Returns 0,
 * 1 when it does not exist, -1 on error (errno set). */
static int read_file(int dirfd, const char *name, unsigned char **out, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	size_t n = (size_t)sb.st_size;
	unsigned char *b = malloc(n + 1);
	size_t got = 0;
	while (b && got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!b || got != n) {
		free(b);
		errno = b ? EIO : ENOMEM;
		return -1;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static void segment_name(uint64_t start, char *out, size_t len)
{
	snprintf(out, len, "journal-%016llx.log", (unsigned long long)start);
}

/* ---- snapshot files ---------------------------------------------------------------------- */

struct sink {
	int fd;
	uint32_t crc;
	unsigned char buf[64 * 1024];
	size_t n;
	int err;
};

static int sink_flush(struct sink *s)
{
	if (!s->err && s->n && write_all(s->fd, s->buf, s->n) != 0)
		s->err = errno ? errno : EIO;
	s->n = 0;
	return s->err ? SW_ERR_IO : 0;
}

static int sink_write(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;
	const unsigned char *b = p;
	s->crc = (uint32_t)crc32(s->crc, b, (uInt)n);
	while (n) {
		size_t k = sizeof(s->buf) - s->n < n ? sizeof(s->buf) - s->n : n;
		memcpy(s->buf + s->n, b, k);
		s->n += k;
		b += k;
		n -= k;
		if (s->n == sizeof(s->buf) && sink_flush(s) != 0)
			return SW_ERR_IO;
	}
	return 0;
}

/*
 * snapshot.bin: "EMUSTAT1", u64 covered sequence, u64 monotonic and u64
 * wall-clock ns at writing (the clock pair the model's times belong to),
 * the model (emu_model_snapshot), u32 CRC-32 of everything before it.
 * Written to snapshot.tmp, fsynced, renamed over snapshot.bin, directory
 * fsynced: a crash leaves the old snapshot or the new one, never half.
 */
static int write_snapshot(struct emu_state *st, uint64_t covers, char *err, size_t errlen)
{
	struct sink *s = malloc(sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return SW_ERR_NOMEM;
	}
	s->fd = openat(st->dirfd, SNAPSHOT_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	s->crc = (uint32_t)crc32(0, Z_NULL, 0);
	s->n = 0;
	s->err = 0;
	if (s->fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", st->dir, SNAPSHOT_TMP, strerror(errno));
		free(s);
		return SW_ERR_IO;
	}
	uint64_t hdr[3] = {covers, st->pair_mono, st->pair_real};
	sink_write(s, STATE_MAGIC, 8);
	sink_write(s, hdr, sizeof(hdr));
	int rv = emu_model_snapshot(st->m, sink_write, s);
	uint32_t crc = s->crc;
	if (rv == 0)
		rv = sink_write(s, &crc, sizeof(crc));
	if (rv == 0)
		rv = sink_flush(s);
	if (rv == 0 && fsync(s->fd) != 0)
		rv = SW_ERR_IO;
	int e = s->err ? s->err : errno;
	close(s->fd);
	free(s);
	if (rv == 0 && renameat(st->dirfd, SNAPSHOT_TMP, st->dirfd, SNAPSHOT_FILE) != 0) {
		e = errno;
		rv = SW_ERR_IO;
	}
	if (rv == 0)
		fsync(st->dirfd);
	if (rv != 0)
		snprintf(err, errlen, "writing %s/%s: %s", st->dir, SNAPSHOT_FILE, strerror(e));
	return rv;
}

/* Loads snapshot.bin into the model. Returns 0 (or 1 when there is none),
 * setting *covers and the clock pair; -1 with a message otherwise. */
static int load_snapshot(struct emu_state *st, uint64_t *covers, uint64_t *mono, uint64_t *real,
                         char *err, size_t errlen)
{
	unsigned char *b = NULL;
	size_t n = 0;
	int rv = read_file(st->dirfd, SNAPSHOT_FILE, &b, &n);
	if (rv == 1)
		return 1;
	if (rv < 0) {
		snprintf(err, errlen, "%s/%s: %s", st->dir, SNAPSHOT_FILE, strerror(errno));
		return -1;
	}
	const size_t hl = 8 + 3 * sizeof(uint64_t);
	uint32_t crc = 0;
	if (n >= hl + 4)
		memcpy(&crc, b + n - 4, 4);
	if (n < hl + 4 || memcmp(b, STATE_MAGIC, 8) != 0 ||
	    crc != (uint32_t)crc32(crc32(0, Z_NULL, 0), b, (uInt)(n - 4))) {
		snprintf(err, errlen, "%s/%s is corrupt (bad header or checksum); remove the directory "
		         "to start empty", st->dir, SNAPSHOT_FILE);
		free(b);
		return -1;
	}
	uint64_t hdr[3];
	memcpy(hdr, b + 8, sizeof(hdr));
	char merr[256];
	if (emu_model_restore(st->m, b + hl, n - hl - 4, merr, sizeof(merr)) != 0) {
		snprintf(err, errlen, "%s/%s: %s", st->dir, SNAPSHOT_FILE, merr);
		free(b);
		return -1;
	}
	free(b);
	*covers = hdr[0];
	*mono = hdr[1];
	*real = hdr[2];
	return 0;
}

/* ---- journal records --------------------------------------------------------------------- */

static int buf_room(struct emu_state *st, size_t more)
{
	if (st->len + more <= st->cap)
		return 0;
	size_t cap = st->cap ? st->cap : 4096;
	while (cap < st->len + more)
		cap *= 2;
	unsigned char *b = realloc(st->buf, cap);
	if (!b)
		return SW_ERR_NOMEM;
	st->buf = b;
	st->cap = cap;
	return 0;
}

static void add(struct emu_state *st, const void *p, size_t n)
{
	if (n && buf_room(st, n) == 0) {
		memcpy(st->buf + st->len, p, n);
		st->len += n;
	}
}

static void add_u64(struct emu_state *st, uint64_t v)
{
	add(st, &v, sizeof(v));
}

static void add_bytes(struct emu_state *st, const void *p, size_t n, int present)
{
	uint32_t l = present ? (uint32_t)n : UINT32_MAX;
	add(st, &l, sizeof(l));
	if (present)
		add(st, p, n);
}

static void add_str(struct emu_state *st, const char *s)
{
	add_bytes(st, s, s ? strlen(s) : 0, s != NULL);
}

static void sync_request(struct emu_state *st, uint64_t seq);
static void maybe_compact(struct emu_state *st);

/* Frames and writes the record assembled after the 8-byte header slot. */
static uint64_t emit(struct emu_state *st)
{
	if (st->len < 8 || st->cap < st->len) {
		st->broken = 1;
		st->st.write_errors++;
		fprintf(stderr, "assisted-emulator: state: out of memory building a journal record; "
		        "journaling stopped\n");
		return 0;
	}
	/* Compaction happens here, before the new record: records are journaled
	 * before the model runs them, so only now does the model hold the effect
	 * of every record written so far, which is what the snapshot must cover. */
	maybe_compact(st);
	uint32_t plen = (uint32_t)(st->len - 8);
	uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), st->buf + 8, plen);
	memcpy(st->buf, &plen, 4);
	memcpy(st->buf + 4, &crc, 4);
	if (write_all(st->jfd, st->buf, st->len) != 0) {
		st->broken = 1;
		st->st.write_errors++;
		fprintf(stderr, "assisted-emulator: state: journal write in %s failed: %s; journaling "
		        "stopped (the state kept from here on is the memory only)\n", st->dir,
		        strerror(errno));
		return 0;
	}
	st->seq += st->len;
	st->st.records++;
	st->st.bytes += st->len;
	uint64_t seq = st->seq;
	if (st->cfg.fsync == EMU_FSYNC_ALWAYS)
		sync_request(st, seq);
	return seq;
}

uint64_t emu_state_log_request(struct emu_state *st, const struct emu_request *req)
{
	if (!st || st->broken)
		return 0;
	st->len = 8;
	uint8_t type = REC_REQUEST, agent = (uint8_t)(req->is_agent != 0);
	st->pair_mono = req->now_ns;
	st->pair_real = real_now_ns();
	add(st, &type, 1);
	add_u64(st, req->now_ns);
	add_u64(st, (uint64_t)req->wall_s);
	add_u64(st, st->pair_real);
	add(st, &agent, 1);
	add_u64(st, req->body_total);
	add_str(st, req->method);
	add_str(st, req->path);
	add_str(st, req->query);
	add_str(st, req->content_type);
	add_str(st, req->agent_version_header);
	add_bytes(st, req->body, req->body_len, 1);
	return emit(st);
}

uint64_t emu_state_log_monitor(struct emu_state *st, uint64_t now_ns, int64_t wall_s)
{
	if (!st || st->broken)
		return 0;
	st->len = 8;
	uint8_t type = REC_MONITOR;
	st->pair_mono = now_ns;
	st->pair_real = real_now_ns();
	add(st, &type, 1);
	add_u64(st, now_ns);
	add_u64(st, (uint64_t)wall_s);
	add_u64(st, st->pair_real);
	return emit(st);
}

struct cursor {
	const unsigned char *p;
	size_t left;
	int bad;
};

static const void *cur_take(struct cursor *c, size_t n)
{
	if (c->bad || n > c->left) {
		c->bad = 1;
		return NULL;
	}
	const void *p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static uint64_t cur_u64(struct cursor *c)
{
	uint64_t v = 0;
	const void *p = cur_take(c, 8);
	if (p)
		memcpy(&v, p, 8);
	return v;
}

/* A length-prefixed field as a NUL-terminated copy (NULL when absent). */
static char *cur_str(struct cursor *c, size_t *len)
{
	uint32_t l = UINT32_MAX;
	const void *p = cur_take(c, 4);
	if (p)
		memcpy(&l, p, 4);
	if (c->bad || l == UINT32_MAX) {
		if (len)
			*len = 0;
		return NULL;
	}
	const char *s = cur_take(c, l);
	char *out = s ? malloc((size_t)l + 1) : NULL;
	if (!out) {
		c->bad = 1;
		return NULL;
	}
	memcpy(out, s, l);
	out[l] = '\0';
	if (len)
		*len = l;
	return out;
}

/* Replays one record's payload into the model. Returns 0, or -1 when it
 * does not parse (treated like a torn record). Sets the clock pair. */
static int replay_record(struct emu_state *st, const unsigned char *p, size_t n, uint64_t *mono,
                         uint64_t *real)
{
	struct cursor c = {p, n, 0};
	const uint8_t *type = cur_take(&c, 1);
	if (!type)
		return -1;
	uint64_t now = cur_u64(&c);
	int64_t wall = (int64_t)cur_u64(&c);
	uint64_t rl = cur_u64(&c);
	if (c.bad)
		return -1;
	if (*type == REC_MONITOR) {
		if (c.left)
			return -1;
		emu_model_monitor(st->m, now, wall);
	} else if (*type == REC_REQUEST) {
		const uint8_t *agent = cur_take(&c, 1);
		uint64_t total = cur_u64(&c);
		size_t blen = 0;
		char *method = cur_str(&c, NULL), *path = cur_str(&c, NULL), *query = cur_str(&c, NULL);
		char *ctype = cur_str(&c, NULL), *av = cur_str(&c, NULL), *body = cur_str(&c, &blen);
		int ok = !c.bad && c.left == 0 && agent && method && path && query && body;
		if (ok) {
			struct emu_request req = {
				.method = method, .path = path, .query = query, .body = body,
				.body_len = blen, .body_total = total, .content_type = ctype,
				.agent_version_header = av, .is_agent = *agent, .now_ns = now, .wall_s = wall,
			};
			struct emu_response resp;
			memset(&resp, 0, sizeof(resp));
			emu_model_handle(st->m, &req, &resp);
			free(resp.body);
		}
		free(method);
		free(path);
		free(query);
		free(ctype);
		free(av);
		free(body);
		if (!ok)
			return -1;
	} else {
		return -1;
	}
	*mono = now;
	*real = rl;
	return 0;
}

/* ---- recovery ------------------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Journal segment start numbers found in the directory, sorted. */
static int list_segments(struct emu_state *st, uint64_t *out, size_t max, size_t *n)
{
	int fd = dup(st->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	struct dirent *e;
	*n = 0;
	while ((e = readdir(d))) {
		unsigned long long s;
		char tail[8];
		if (sscanf(e->d_name, "journal-%16llx.%7s", &s, tail) != 2 || strcmp(tail, "log") != 0)
			continue;
		if (*n == max) {
			closedir(d);
			errno = EMFILE;
			return -1;
		}
		out[(*n)++] = s;
	}
	closedir(d);
	qsort(out, *n, sizeof(*out), cmp_u64);
	return 0;
}

static void remove_segment(struct emu_state *st, uint64_t start)
{
	char name[64];
	segment_name(start, name, sizeof(name));
	unlinkat(st->dirfd, name, 0);
}

/*
 * Replays the segments from |from| on. A record cut short, failing its CRC
 * or not parsing ends the journal: the segment is truncated there and the
 * later segments removed, each with a log line. Sets st->seq to the end.
 */
static int replay_segments(struct emu_state *st, uint64_t from, uint64_t *mono, uint64_t *real,
                           char *err, size_t errlen)
{
	uint64_t *segs = malloc(MAX_SEGMENTS * sizeof(*segs));
	size_t nseg = 0;
	if (!segs || list_segments(st, segs, MAX_SEGMENTS, &nseg) != 0) {
		snprintf(err, errlen, "listing %s: %s", st->dir, strerror(errno));
		free(segs);
		return -1;
	}
	st->seq = from;
	int torn = 0;
	for (size_t i = 0; i < nseg; i++) {
		char name[64];
		segment_name(segs[i], name, sizeof(name));
		if (segs[i] < from || torn) {
			/* Covered by the snapshot, or after a torn record. */
			if (torn)
				logf_(st, "removed %s: it follows a torn record", name);
			remove_segment(st, segs[i]);
			continue;
		}
		if (segs[i] != st->seq) {
			snprintf(err, errlen, "%s/%s starts at %llu but the journal before it ends at %llu: "
			         "segments are missing", st->dir, name, (unsigned long long)segs[i],
			         (unsigned long long)st->seq);
			free(segs);
			return -1;
		}
		unsigned char *b = NULL;
		size_t n = 0;
		if (read_file(st->dirfd, name, &b, &n) != 0) {
			snprintf(err, errlen, "%s/%s: %s", st->dir, name, strerror(errno));
			free(segs);
			return -1;
		}
		size_t off = 0;
		while (off < n) {
			uint32_t plen = 0, crc = 0;
			int ok = n - off >= 8;
			if (ok) {
				memcpy(&plen, b + off, 4);
				memcpy(&crc, b + off + 4, 4);
				ok = plen <= MAX_RECORD && n - off - 8 >= plen &&
				     crc == (uint32_t)crc32(crc32(0, Z_NULL, 0), b + off + 8, plen);
			}
			if (ok)
				ok = replay_record(st, b + off + 8, plen, mono, real) == 0;
			if (!ok) {
				fprintf(stderr, "assisted-emulator: state: %s/%s: torn or corrupt record at "
				        "offset %zu; dropped it and the %zu bytes after it\n", st->dir, name, off,
				        n - off);
				st->st.torn_bytes += n - off;
				int fd = openat(st->dirfd, name, O_WRONLY | O_CLOEXEC);
				if (fd < 0 || ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0) {
					snprintf(err, errlen, "truncating %s/%s: %s", st->dir, name, strerror(errno));
					if (fd >= 0)
						close(fd);
					free(b);
					free(segs);
					return -1;
				}
				close(fd);
				torn = 1;
				break;
			}
			st->st.recovered_records++;
			off += 8 + plen;
		}
		st->seq += off;
		free(b);
	}
	free(segs);
	return 0;
}

/* The configuration replay depends on must be the one the directory was written with. */
static int check_config(struct emu_state *st, int have_data, char *err, size_t errlen)
{
	char want[2048];
	if (emu_model_cfg_describe(st->m, want, sizeof(want)) < 0) {
		snprintf(err, errlen, "configuration too long to record");
		return -1;
	}
	unsigned char *have = NULL;
	size_t n = 0;
	int rv = read_file(st->dirfd, CONFIG_FILE, &have, &n);
	if (rv == 1) {
		if (have_data) {
			snprintf(err, errlen, "%s has a journal or snapshot but no %s file: not a state "
			         "directory of this emulator", st->dir, CONFIG_FILE);
			return -1;
		}
		int fd = openat(st->dirfd, CONFIG_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		                0600);
		if (fd < 0 || write_all(fd, want, strlen(want)) != 0 || fsync(fd) != 0 ||
		    renameat(st->dirfd, CONFIG_FILE ".tmp", st->dirfd, CONFIG_FILE) != 0) {
			snprintf(err, errlen, "%s/%s: %s", st->dir, CONFIG_FILE, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		fsync(st->dirfd);
		return 0;
	}
	if (rv < 0) {
		snprintf(err, errlen, "%s/%s: %s", st->dir, CONFIG_FILE, strerror(errno));
		return -1;
	}
	if (strcmp((char *)have, want) != 0) {
		/* Name the first setting that differs. */
		const char *a = (char *)have, *b = want;
		while (*a && *b) {
			const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
			size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
			if (la != lb || memcmp(a, b, la) != 0) {
				snprintf(err, errlen, "%s was written with --%.*s; this run has --%.*s (start it "
				         "with the same options, or use another --state-dir)", st->dir, (int)la,
				         a, (int)lb, b);
				free(have);
				return -1;
			}
			a += la + (ea ? 1 : 0);
			b += lb + (eb ? 1 : 0);
		}
		snprintf(err, errlen, "%s/%s does not describe this configuration", st->dir, CONFIG_FILE);
		free(have);
		return -1;
	}
	free(have);
	return 0;
}

static int open_segment(struct emu_state *st, uint64_t start, char *err, size_t errlen)
{
	char name[64];
	segment_name(start, name, sizeof(name));
	int fd = openat(st->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", st->dir, name, strerror(errno));
		return -1;
	}
	fsync(st->dirfd); /* the new name survives a power loss */
	st->jfd = fd;
	st->seg_start = start;
	return 0;
}

/* ---- fdatasync thread ------------------------------------------------------------------- */

static void *sync_main(void *arg)
{
	struct emu_state *st = arg;
	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (!st->stop && st->want <= st->done && st->next_fd < 0)
			pthread_cond_wait(&st->cv, &st->mu);
		if (st->stop && st->want <= st->done && st->next_fd < 0)
			break;
		int old = -1;
		if (st->next_fd >= 0) {
			old = st->sync_fd;
			st->sync_fd = st->next_fd;
			st->next_fd = -1;
		}
		uint64_t target = st->want;
		int fd = st->sync_fd;
		pthread_mutex_unlock(&st->mu);
		/* The records of a finished segment first, then the current one. */
		if (old >= 0) {
			fdatasync(old);
			close(old);
		}
		fdatasync(fd);
		pthread_mutex_lock(&st->mu);
		if (target > st->done)
			st->done = target;
		st->fsyncs++;
		uint64_t d = st->done;
		pthread_mutex_unlock(&st->mu);
		/* A full pipe already has a wake-up in it; the loop reads |done| itself. */
		if (write(st->pipe_wr, &d, sizeof(d)) < 0 && errno != EAGAIN)
			(void)0;
		pthread_mutex_lock(&st->mu);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

static void sync_request(struct emu_state *st, uint64_t seq)
{
	if (!st->thr_started)
		return;
	pthread_mutex_lock(&st->mu);
	if (seq > st->want) {
		st->want = seq;
		pthread_cond_signal(&st->cv);
	}
	pthread_mutex_unlock(&st->mu);
}

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct emu_state *st = arg;
	uint64_t buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&st->mu);
	uint64_t d = st->done;
	st->st.fsyncs = st->fsyncs;
	pthread_mutex_unlock(&st->mu);
	if (d > st->durable) {
		st->durable = d;
		if (st->durable_fn)
			st->durable_fn(st->durable_arg, d);
	}
}

static int start_thread(struct emu_state *st, char *err, size_t errlen)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	st->pipe_rd = p[0];
	st->pipe_wr = p[1];
	st->pipe_ev = event_new(st->cfg.base, st->pipe_rd, EV_READ | EV_PERSIST, on_pipe, st);
	st->sync_fd = dup(st->jfd);
	if (!st->pipe_ev || st->sync_fd < 0 || event_add(st->pipe_ev, NULL) != 0) {
		snprintf(err, errlen, "cannot set up the fsync thread");
		return -1;
	}
	st->want = st->done = st->durable = st->seq;
	if (pthread_create(&st->thr, NULL, sync_main, st) != 0) {
		snprintf(err, errlen, "cannot start the fsync thread");
		return -1;
	}
	st->thr_started = 1;
	return 0;
}

/* ---- compaction ------------------------------------------------------------------------ */

static void reap_child(struct emu_state *st, int block)
{
	if (!st->child)
		return;
	int status = 0;
	pid_t r = waitpid(st->child, &status, block ? 0 : WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return;
	st->child = 0;
	if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		st->st.snapshots++;
		/* Everything before the snapshot's sequence is in it now. */
		uint64_t *segs = malloc(MAX_SEGMENTS * sizeof(*segs));
		size_t n = 0;
		if (segs && list_segments(st, segs, MAX_SEGMENTS, &n) == 0)
			for (size_t i = 0; i < n; i++)
				if (segs[i] < st->child_covers)
					remove_segment(st, segs[i]);
		free(segs);
		logf_(st, "compacted: snapshot covers %llu journal bytes",
		      (unsigned long long)st->child_covers);
	} else {
		st->st.snapshot_failures++;
		fprintf(stderr, "assisted-emulator: state: compaction (snapshot) failed; the journal "
		        "keeps growing until the next try\n");
	}
}

/* The compaction child must not hold client connections or the listener
 * open (a dropped connection would not close while it runs). */
static void close_fds_except(int keep)
{
	if ((keep <= 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0u, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (max > 0 ? max : 65536); fd++)
		if (fd != keep)
			close((int)fd);
}

static void maybe_compact(struct emu_state *st)
{
	if (st->child || st->seq - st->seg_start < st->cfg.journal_max_bytes)
		return;
	char err[256];
	int old = st->jfd;
	uint64_t covers = st->seq;
	if (open_segment(st, covers, err, sizeof(err)) != 0) {
		fprintf(stderr, "assisted-emulator: state: %s; compaction skipped\n", err);
		return;
	}
	/* The helper thread gets the new segment after syncing the old one. */
	if (st->thr_started) {
		int dupfd = dup(st->jfd);
		pthread_mutex_lock(&st->mu);
		if (st->next_fd >= 0)
			close(st->next_fd);
		st->next_fd = dupfd;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
	}
	close(old);
	pid_t pid = fork();
	if (pid < 0) {
		st->st.snapshot_failures++;
		fprintf(stderr, "assisted-emulator: state: fork for compaction: %s\n", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* The child: the model as of the fork, written whole. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		close_fds_except(st->dirfd);
		if (write_snapshot(st, covers, err, sizeof(err)) == 0)
			_exit(0);
		fprintf(stderr, "assisted-emulator: state: compaction: %s\n", err);
		_exit(1);
	}
	st->child = pid;
	st->child_covers = covers;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct emu_state *st = arg;
	if (st->cfg.fsync == EMU_FSYNC_BATCH)
		sync_request(st, st->seq);
	reap_child(st, 0);
}

/* ---- open / close ------------------------------------------------------------------------ */

struct emu_state *emu_state_open(const struct emu_state_cfg *cfg, struct emu_model *m,
                                 char *err, size_t errlen)
{
	struct emu_state *st = xcalloc(1, sizeof(*st));
	st->cfg = *cfg;
	if (!st->cfg.fsync_interval_ns)
		st->cfg.fsync_interval_ns = DEF_FSYNC_INTERVAL_NS;
	if (!st->cfg.journal_max_bytes)
		st->cfg.journal_max_bytes = DEF_JOURNAL_MAX;
	st->dir = xstrdup(cfg->dir);
	st->cfg.dir = st->dir;
	st->m = m;
	st->dirfd = st->jfd = st->sync_fd = st->pipe_rd = st->pipe_wr = -1;
	st->next_fd = -1;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	if (mkdir(st->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "--state-dir %s: %s", st->dir, strerror(errno));
		goto fail;
	}
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		snprintf(err, errlen, "--state-dir %s: %s", st->dir, strerror(errno));
		goto fail;
	}
	/* A snapshot left half-written by a crash is not the snapshot. */
	unlinkat(st->dirfd, SNAPSHOT_TMP, 0);
	uint64_t covers = 0, mono = 0, real = 0, segs[1];
	size_t nseg = 0;
	struct stat sb;
	int have_snap = fstatat(st->dirfd, SNAPSHOT_FILE, &sb, 0) == 0;
	int have_journal = list_segments(st, segs, 1, &nseg) == 0 ? nseg > 0 : errno == EMFILE;
	if (check_config(st, have_snap || have_journal, err, errlen) != 0)
		goto fail;
	int lr = load_snapshot(st, &covers, &mono, &real, err, errlen);
	if (lr < 0)
		goto fail;
	if (replay_segments(st, covers, &mono, &real, err, errlen) != 0)
		goto fail;
	if (lr == 0 || st->st.recovered_records) {
		/* The recovered times belong to the old process's clock: move them
		 * by the wall-clock time between then and now. */
		uint64_t now_mono = sw_now_ns(), now_real = real_now_ns();
		uint64_t gone = now_real > real ? now_real - real : 0;
		int64_t delta = (int64_t)(now_mono - gone) - (int64_t)mono;
		if (gone > now_mono)
			delta = -(int64_t)mono;
		emu_model_rebase(m, delta);
		st->st.rebase_ns = delta;
		logf_(st, "recovered from %s: %s, %llu journal records replayed, %.1f s since the last",
		      st->dir, lr == 0 ? "snapshot" : "no snapshot",
		      (unsigned long long)st->st.recovered_records, (double)gone / 1e9);
	}
	/* A fresh snapshot of what was recovered, in this process's clock; the
	 * replayed segments go. */
	st->pair_mono = sw_now_ns();
	st->pair_real = real_now_ns();
	if (write_snapshot(st, st->seq, err, errlen) != 0)
		goto fail;
	st->st.snapshots++;
	uint64_t *all = malloc(MAX_SEGMENTS * sizeof(*all));
	size_t nall = 0;
	if (all && list_segments(st, all, MAX_SEGMENTS, &nall) == 0)
		for (size_t i = 0; i < nall; i++)
			remove_segment(st, all[i]);
	free(all);
	if (open_segment(st, st->seq, err, errlen) != 0)
		goto fail;
	st->tick_ev = event_new(cfg->base, -1, EV_PERSIST, on_tick, st);
	uint64_t tick_ns = st->cfg.fsync == EMU_FSYNC_BATCH ? st->cfg.fsync_interval_ns
	                                                     : (uint64_t)REAP_MS * 1000000u;
	struct timeval tv = {(time_t)(tick_ns / 1000000000ull),
	                     (suseconds_t)(tick_ns % 1000000000ull / 1000)};
	if (!st->tick_ev || event_add(st->tick_ev, &tv) != 0) {
		snprintf(err, errlen, "cannot create the state timer");
		goto fail;
	}
	if (st->cfg.fsync != EMU_FSYNC_NEVER && start_thread(st, err, errlen) != 0)
		goto fail;
	return st;
fail:
	emu_state_close(&st);
	return NULL;
}

void emu_state_set_durable_cb(struct emu_state *st, emu_state_durable_fn fn, void *arg)
{
	if (!st)
		return;
	st->durable_fn = fn;
	st->durable_arg = arg;
}

int emu_state_durable(const struct emu_state *st, uint64_t seq)
{
	if (!st || st->cfg.fsync != EMU_FSYNC_ALWAYS || !st->thr_started)
		return 1;
	return seq <= st->durable;
}

void emu_state_waiting(struct emu_state *st, int delta)
{
	if (!st)
		return;
	if (delta < 0 && st->st.durable_waiting)
		st->st.durable_waiting--;
	else if (delta > 0)
		st->st.durable_waiting++;
}

void emu_state_get_stats(const struct emu_state *st, struct emu_state_stats *out)
{
	if (!st) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = st->st;
}

void emu_state_close(struct emu_state **stp)
{
	if (!stp || !*stp)
		return;
	struct emu_state *st = *stp;
	reap_child(st, 1);
	if (st->thr_started) {
		pthread_mutex_lock(&st->mu);
		if (st->seq > st->want)
			st->want = st->seq; /* the last records become durable before we go */
		st->stop = 1;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->thr, NULL);
		if (st->next_fd >= 0)
			close(st->next_fd);
		if (st->sync_fd >= 0)
			close(st->sync_fd);
	} else if (st->jfd >= 0 && st->cfg.fsync != EMU_FSYNC_NEVER) {
		fdatasync(st->jfd);
	}
	if (st->pipe_ev)
		event_free(st->pipe_ev);
	if (st->tick_ev)
		event_free(st->tick_ev);
	if (st->pipe_rd >= 0)
		close(st->pipe_rd);
	if (st->pipe_wr >= 0)
		close(st->pipe_wr);
	if (st->jfd >= 0)
		close(st->jfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st->buf);
	free(st->dir);
	free(st);
	*stp = NULL;
}
