/*
 * emu_cli: the command line of assisted-emulator (getopt_long): option
 * table, defaults, validation, --help and --version texts. Builds the fault
 * rule set (emu_faults) from the --fault-* options once --seed is known.
 * Secrets (the tokens) can come from the command line, a file
 * (--X-file FILE: its first line) or an environment variable, so they need
 * not show in the process list. Never exits: the caller maps the return
 * code to an exit status.
 */
#ifndef EMU_CLI_H
#define EMU_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl.h"
#include "emu_faults.h"
#include "emu_model.h"
#include "emu_state.h"

enum emu_cli_rc {
	EMU_CLI_RUN = 0,    /* options valid: run the emulator */
	EMU_CLI_DONE = 1,   /* --help or --version printed: exit 0 */
	EMU_CLI_USAGE = 2,  /* usage error, message in err: exit 2 */
};

#define EMU_CLI_MAX_FAULTS 64

/* Environment variables read when neither --X nor --X-file gives a secret. */
#define EMU_ENV_PULL_SECRET_TOKEN "ASSISTED_EMULATOR_PULL_SECRET_TOKEN"
#define EMU_ENV_USER_TOKEN "ASSISTED_EMULATOR_USER_TOKEN"
#define EMU_ENV_LOCAL_USER_TOKEN "ASSISTED_EMULATOR_LOCAL_USER_TOKEN"

struct emu_opts {
	const char *listen;            /* default 127.0.0.1:8090 */
	const char *tls_cert, *tls_key;
	enum emu_auth_mode auth;
	const char *pull_secret_token; /* token mode (option, file or environment) */
	const char *user_token;        /* token mode */
	const char *local_user_token;  /* local mode escape (emulator only) */
	char *secrets[3];              /* secrets read from files (owned) */
	int local_strict_scope;
	double time_scale;             /* default 1 */
	enum emu_api_generation api;
	const char *agent_image, *release_tag, *image_service_base; /* NULL = model default */
	uint64_t seed;                 /* default 1 */
	int check_cluster_version;
	int single_node_dnsmasq;
	const char *record;
	int quiet;
	unsigned goaway_after;
	uint64_t restart_every_ns;
	unsigned h2_max_streams;       /* 0 = server default */
	unsigned idle_timeout_ms;      /* 0 = server default */
	unsigned header_timeout_ms;    /* 0 = server default (30 s) */
	unsigned body_timeout_ms;      /* 0 = server default (300 s) */
	unsigned max_conns;            /* 0 = server default (descriptor limit - 64) */
	uint64_t max_body_total;       /* 0 = server default (512 MiB) */
	const char *state_dir;         /* --state-dir, or NULL */
	enum emu_fsync fsync;
	uint64_t fsync_interval_ns;    /* 0 = default (100 ms) */
	uint64_t journal_max;          /* 0 = default (64 MiB) */
	struct emu_faults *faults;     /* owned; always set after EMU_CLI_RUN */
	/* kube-api (emu_kube.h) */
	const char *kube_listen;       /* NULL = no kube-api listener */
	const char *kube_tls_cert, *kube_tls_key;  /* default: --tls-cert/--tls-key */
	const char *kube_token, *kube_token_file;
	size_t kube_watch_window;      /* 0 = hub default */
	uint64_t kube_bookmark_ns;     /* 0 = hub default */
	/* the kube-api controllers (tools/emulator-ctrl, ctl.h) */
	int kube_no_controllers;
	int converged_flow;            /* ALLOW_CONVERGED_FLOW; default 1 */
	int no_pause_provisioned;      /* PAUSE_PROVISIONED_BMHS=false */
	unsigned kube_workers[CTL_COUNT]; /* MaxConcurrentReconciles; 0 = default (1) */
	uint64_t kube_call_latency_ns; /* per API write / database call; default 2 ms */
	int kube_check_writes;
};

/*
 * Parses |argc|/|argv| into |o| (string fields point into |argv|). Prints
 * --help / --version to |out|. Returns an enum emu_cli_rc; on
 * EMU_CLI_USAGE a one-line message is in |err|. Call emu_cli_free() in
 * every case. Uses getopt_long (resets optind; not reentrant).
 */
int emu_cli_parse(int argc, char **argv, struct emu_opts *o, FILE *out, char *err, size_t errlen);

/* Frees what emu_cli_parse() allocated (the fault rules, secrets read from
 * files). NULL-safe. */
void emu_cli_free(struct emu_opts *o);

/* Writes the --help text to |out|. */
void emu_cli_usage(FILE *out);

#endif
