/*
 * emu_state: --state-dir, the emulator's model kept across a crash the way
 * the real service keeps its database. The directory holds a snapshot of
 * the model (snapshot.bin, written whole and renamed into place) and an
 * append-only journal (journal-<seq>.log segments) of everything the model
 * was given since: each request that reached an operation and each monitor
 * pass, with the times the model saw. The model is deterministic in its
 * inputs, so snapshot + replay rebuilds it exactly.
 *
 * Records: [u32 payload length][u32 CRC-32 of the payload][payload], written
 * with one write() before the model runs the request, so a reply never
 * leaves before its record is in the kernel: a SIGKILL loses nothing that
 * was answered. Power loss is what --fsync decides (see enum emu_fsync);
 * fdatasync runs on a helper thread, never on the event loop. A record cut
 * short or failing its CRC ends the journal there: it and anything after it
 * are dropped with a log line (a torn tail after a crash).
 *
 * Compaction: once the current segment passes journal_max_bytes the process
 * forks; the child writes the model as of the fork into snapshot.tmp,
 * fsyncs it and renames it to snapshot.bin while the parent goes on in a
 * new segment; the segments the snapshot covers are then deleted. On
 * start the model is recovered (snapshot + replay), its monotonic times are
 * moved into this process's clock by the wall-clock time that passed (so a
 * host silent for the downtime has been silent that long, as with the
 * service's database timestamps), and a fresh snapshot is written before
 * anything is served.
 *
 * Bound on the loop: one write() per journaled request (a page-cache copy
 * of its record, at most the largest accepted body plus ~200 bytes) and a
 * fork() per compaction. Single-threaded API, on the front's event loop.
 */
#ifndef EMU_STATE_H
#define EMU_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "emu_model.h"

enum emu_fsync {
	/* fdatasync every fsync_interval_ns on the helper thread (default 100 ms):
	 * a power loss loses at most that much of what was answered. */
	EMU_FSYNC_BATCH = 0,
	/* a reply waits until an fdatasync covering its record has completed
	 * (group commit on the helper thread): nothing answered is lost. */
	EMU_FSYNC_ALWAYS,
	/* no fdatasync: the kernel writes back when it likes (about 30 s). */
	EMU_FSYNC_NEVER,
};

struct emu_state_cfg {
	const char *dir;              /* created when missing */
	enum emu_fsync fsync;
	uint64_t fsync_interval_ns;   /* batch: 0 = 100 ms */
	uint64_t journal_max_bytes;   /* compaction threshold; 0 = 64 MiB */
	struct event_base *base;
	int quiet;                    /* no log lines on stderr (errors still go there) */
};

struct emu_state_stats {
	uint64_t records;             /* journal records written by this process */
	uint64_t bytes;               /* journal bytes written by this process */
	uint64_t fsyncs;              /* fdatasync calls completed */
	uint64_t snapshots;           /* snapshots written (the one at start included) */
	uint64_t snapshot_failures;
	uint64_t write_errors;        /* journal writes that failed (persistence stops) */
	uint64_t recovered_records;   /* records replayed at start */
	uint64_t torn_bytes;          /* bytes dropped from a torn journal tail at start */
	int64_t rebase_ns;            /* how far recovered monotonic times were moved */
	uint64_t durable_waiting;     /* replies waiting for their fsync (always) */
};

struct emu_state;

/*
 * Opens |cfg->dir| (creating it), recovers |m| from it and prepares the
 * journal. |m| must be new and empty and built from the configuration the
 * directory was written with: a different configuration (time scale, API
 * generation, auth mode, seed, images, service switches) fails, naming the
 * setting and both values, because replaying under another one would
 * build another state. Returns NULL with a message in |err| on failure.
 * Frees: emu_state_close().
 */
struct emu_state *emu_state_open(const struct emu_state_cfg *cfg, struct emu_model *m,
                                 char *err, size_t errlen);

/* Called on the loop when every record up to |seq| is durable (always mode). */
typedef void (*emu_state_durable_fn)(void *arg, uint64_t seq);
void emu_state_set_durable_cb(struct emu_state *st, emu_state_durable_fn fn, void *arg);

/*
 * Journals |req| before the model runs it (with the wall clock, for the
 * rebase after a restart). Returns the record's sequence number (> 0), or 0
 * when the journal is not written (no state, or after a write error).
 */
uint64_t emu_state_log_request(struct emu_state *st, const struct emu_request *req);
/* Journals one monitor call with the times the model is given. Same return. */
uint64_t emu_state_log_monitor(struct emu_state *st, uint64_t now_ns, int64_t wall_s);

/* 1 when the reply of record |seq| may leave now: always mode waits for its
 * fdatasync, the other modes never wait. */
int emu_state_durable(const struct emu_state *st, uint64_t seq);

/* Counts a reply waiting for durability (+1) or released (-1), for the stats. */
void emu_state_waiting(struct emu_state *st, int delta);

void emu_state_get_stats(const struct emu_state *st, struct emu_state_stats *out);

/* Makes the journal durable (fdatasync), waits for a running compaction,
 * stops the helper thread, closes and frees; sets *stp = NULL. NULL-safe. */
void emu_state_close(struct emu_state **stp);

/* Name of |f| ("batch", "always", "never"); parse returns -1 when unknown. */
const char *emu_fsync_name(enum emu_fsync f);
int emu_fsync_parse(const char *s);

#endif
