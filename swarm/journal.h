/*
 * journal: what a run created on the service (and the hub), appended as it
 * goes, so `swarm cleanup` can delete everything of the run afterwards,
 * also after a crash or SIGKILL (README "Cleanup journal" documents the
 * format and the fsync policy).
 *
 * Writing: any shard thread appends records with journal_cluster() & co.
 * (a mutex-protected queue; never a system call on a shard loop); the main
 * thread calls journal_flush() every 100 ms, which writes the queued lines
 * with one write() (whole lines only, O_APPEND) and fdatasync()s at most
 * once a second and at journal_close(). A SIGKILL therefore loses at most
 * the records of the last 100 ms (the page cache survives the process);
 * power loss at most the last second. With compaction on (soak runs), the
 * main thread keeps the live records and rewrites the file (atomically)
 * once it is four times larger than them, so it stays bounded.
 *
 * Reading: journal_read() parses one file into a struct journal_run.
 *
 * Format: JSON lines; the first is the run header
 *   {"journal": 1, "type": "run", "run_id", "mode", "service", "shard", "shards", "pid",
 *    "start_time", "plan", "results"}
 * then records:
 *   {"type": "cluster", "id", "name", "t"}
 *   {"type": "infra_env", "id", "name", "cluster_id" (or null), "t"}
 *   {"type": "kube", "api_version", "resource", "namespace" (null: cluster-scoped), "name", "t"}
 *   {"type": "deleted", "kind": "cluster" | "infra_env" | "kube", "id" | kube fields, "t"}
 *   {"type": "end", "exit_code", "t"}
 */
#ifndef SWARM_JOURNAL_H
#define SWARM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_VERSION 1
#define JOURNAL_FLUSH_MS 100
#define JOURNAL_SYNC_MS 1000

struct journal;

/* The run header. Strings are copied. */
struct journal_info {
	const char *run_id;
	const char *mode;        /* "rest" or "kube" */
	const char *service;     /* service endpoint */
	unsigned shard, shards;  /* --shard I/N (0/1 for a single process) */
	const char *plan, *results;
	double start_wall;       /* UNIX seconds */
	int compact;             /* keep live records and compact the file (soak) */
};

/*
 * Creates the journal at |path| and writes (and syncs) its header. A file
 * already there is kept: it is renamed to "<path>.<its run id>" (or
 * "<path>.old") and |renamed| (may be NULL, 4096 bytes) gets the new name.
 * Returns 0, SW_ERR_IO (message in |err|) or SW_ERR_NOMEM.
 * Frees: journal_close().
 */
int journal_open(struct journal **out, const char *path, const struct journal_info *info,
                 char *renamed, char *err, size_t errlen);

/* Thread-safe, NULL-safe (|j| NULL: nothing). |t| is seconds since the run
 * started. Strings are copied; a NULL |cluster_id| or |ns| is written as null. */
void journal_cluster(struct journal *j, const char *id, const char *name, double t);
void journal_infra_env(struct journal *j, const char *id, const char *name, const char *cluster_id,
                       double t);
void journal_kube(struct journal *j, const char *api_version, const char *resource, const char *ns,
                  const char *name, double t);
/* |kind| "cluster" or "infra_env". */
void journal_deleted(struct journal *j, const char *kind, const char *id, double t);
void journal_kube_deleted(struct journal *j, const char *api_version, const char *resource,
                          const char *ns, const char *name, double t);

/*
 * Main thread: writes the queued records (and syncs when JOURNAL_SYNC_MS
 * passed since the last sync, or |sync| is set). Returns 0 or SW_ERR_IO
 * (message in |err|; the records stay queued and the next flush retries).
 */
int journal_flush(struct journal *j, int sync, char *err, size_t errlen);
/* Records written so far (for the summary). */
uint64_t journal_records(const struct journal *j);
const char *journal_path(const struct journal *j);

/* Appends the "end" record, flushes, syncs, closes and frees. NULL-safe;
 * sets *jp = NULL. Returns 0 or SW_ERR_IO with a message. */
int journal_close(struct journal **jp, int exit_code, double t, char *err, size_t errlen);

/* ---------------------------------------------------------- reading */

enum journal_kind { JK_CLUSTER, JK_INFRA_ENV, JK_KUBE };

struct journal_obj {
	enum journal_kind kind;
	char *id;                /* cluster / infra-env id; NULL for kube */
	char *name;
	char *cluster_id;        /* infra-env: its cluster, or NULL */
	char *api_version, *resource, *ns;  /* kube; |ns| NULL when cluster-scoped */
	int deleted;             /* a later "deleted" record names it */
};

struct journal_run {
	char *path;
	char *run_id, *mode, *service;
	unsigned shard, shards;
	int ended;               /* has its "end" record */
	int truncated;           /* the last line was cut short (ignored) */
	struct journal_obj *objs;
	size_t nobjs, cap;
};

/* Error classes of journal_read() (the cleanup command's exit codes). */
enum journal_read_err {
	JR_OK = 0,
	JR_UNREADABLE = 3,       /* cannot open or read */
	JR_VERSION = 4,          /* another journal version */
	JR_MALFORMED = 5,        /* not a journal, or a malformed record (named by line) */
	JR_MIXED = 7,            /* headers of two runs in one file */
};

/*
 * Reads |path| into |out| (zeroed here). A last line without its newline
 * that does not parse is ignored (a write cut short) and |out->truncated|
 * set. Returns JR_OK or an error class with "FILE:LINE: why" in |err|.
 * Frees: journal_run_free().
 */
int journal_read(const char *path, struct journal_run *out, char *err, size_t errlen);
void journal_run_free(struct journal_run *r);

#endif
