/*
 * cmd: the swarm's pipeline commands besides a run (README "Pipelines and
 * scale-out"): `swarm check` (= `swarm --check`: validate, reach the
 * service, print the schedule), `swarm cleanup` (delete everything of a
 * run from its journal or results), `swarm merge` (N shards' results into
 * one) and `swarm publish` (Pushgateway, Elasticsearch/OpenSearch _bulk
 * NDJSON, report). One file per command; this header is their entry
 * points and their shared exit codes.
 */
#ifndef SWARM_CMD_H
#define SWARM_CMD_H

#include "config.h"

/* Exit codes of cleanup, merge and publish (check uses the run's 0/2/4). */
enum cmd_exit {
	CMD_OK = 0,
	CMD_PARTIAL = 1,        /* cleanup: some objects could not be deleted */
	CMD_USAGE = 2,          /* bad option, service config error */
	CMD_UNREADABLE = 3,     /* an input cannot be read, is not JSON, or is truncated */
	CMD_VERSION = 4,        /* another results schema_version / journal version */
	CMD_MALFORMED = 5,      /* not a swarm results file or journal, or a malformed member */
	CMD_WRITE = 6,          /* an output cannot be written */
	CMD_MIXED = 7,          /* inputs of different runs (run id, plan, series interval) */
	CMD_SHARDS = 8,         /* merge: a shard given twice, missing, or not a shard */
	CMD_UNREACHABLE = 9,    /* the service (cleanup) or a publish target cannot be reached */
};

/* 1 when |name| is a command run by cmd_main() (cleanup, merge, publish). */
int cmd_find(const char *name);
/* Runs command argv[0] with its arguments. Returns the exit code. */
int cmd_main(int argc, char **argv);

/* `swarm check` / `swarm --check` with the run's parsed options. Returns 0
 * (ready to run), 2 (configuration) or 4 (service unreachable or refused). */
int cmd_check_opts(const struct swarm_opts *o);

int cmd_cleanup(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_publish(int argc, char **argv);

/* Prints "swarm CMD: " + the message to stderr and returns |code|. */
int cmd_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
