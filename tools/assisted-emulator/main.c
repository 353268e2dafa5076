/*
 * assisted-emulator: stands in for the OpenShift assisted-service on
 * loopback. Thin wiring: options (emu_cli) -> auth, model, state dir
 * (recovery), faults, metrics, record -> front (request path) -> HTTP
 * server; runs the event loop until SIGINT/SIGTERM, then frees everything.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "emu_auth.h"
#include "emu_cli.h"
#include "emu_front.h"
#include "emu_kube.h"
#include "emu_metrics.h"
#include "emu_model.h"
#include "emu_record.h"
#include "emu_state.h"
#include "sw_fdlimit.h"
#include "sw_server.h"

#define LOCAL_KEY_FILE "local-auth-key.pem"

/* Lets the authenticator look up infra-envs before the model exists. */
struct app {
	struct emu_model *model;
};

static int infraenv_exists(void *arg, const char *id)
{
	struct app *a = arg;
	return a->model && emu_model_infraenv_exists(a->model, id);
}

static int cluster_exists(void *arg, const char *id)
{
	struct app *a = arg;
	return a->model && emu_model_cluster_exists(a->model, id);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static const char *auth_name(enum emu_auth_mode m)
{
	return m == EMU_AUTH_TOKEN ? "token" : m == EMU_AUTH_LOCAL ? "local" : "none";
}

/* Local auth with --state-dir: the signing key lives next to the state, so
 * the agents' tokens stay valid across a restart. Reads it (NULL when there
 * is none yet). */
static char *read_local_key(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, LOCAL_KEY_FILE);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *pem = calloc(1, 16384);
	size_t n = pem ? fread(pem, 1, 16383, f) : 0;
	fclose(f);
	if (!n) {
		free(pem);
		return NULL;
	}
	return pem;
}

static int write_local_key(const char *dir, const struct emu_auth *auth)
{
	char path[4096], tmp[4100];
	char *pem = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, LOCAL_KEY_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (emu_auth_key_pem(auth, &pem) != 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t n = strlen(pem);
	int ok = fd >= 0 && write(fd, pem, n) == (ssize_t)n && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	free(pem);
	return ok && rename(tmp, path) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct emu_opts o;
	char err[512];
	int rc = 1;
	struct app app = {0};
	struct event_base *base = NULL;
	struct emu_auth *auth = NULL;
	struct emu_metrics *metrics = NULL;
	struct emu_record *record = NULL;
	struct emu_state *state = NULL;
	struct emu_front *front = NULL;
	struct emu_kube *kube = NULL;
	char *local_key = NULL;
	struct sw_server *server = NULL;
	struct event *sigint_ev = NULL, *sigterm_ev = NULL;
	char service_url[128]; /* the controllers' eventsURL base: lives as long as they do */

	int cli = emu_cli_parse(argc, argv, &o, stdout, err, sizeof(err));
	if (cli != EMU_CLI_RUN) {
		if (cli == EMU_CLI_USAGE)
			fprintf(stderr, "assisted-emulator: %s\n(try --help)\n", err);
		emu_cli_free(&o);
		return cli == EMU_CLI_DONE ? 0 : 2;
	}
	signal(SIGPIPE, SIG_IGN);
	{
		/* One descriptor per connection: --max-connections (plus the
		 * server's reserve) when given, else as many as the hard limit
		 * allows (the default cap follows the soft limit). */
		struct sw_fdlimit lim;
		char msg[320];
		struct rlimit rl;
		uint64_t want = o.max_conns ? (uint64_t)o.max_conns + 128 :
		                getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY ?
		                (uint64_t)rl.rlim_max : 0;
		int lrv = want ? sw_fdlimit_raise(want, &lim, msg, sizeof(msg)) : 0;
		if (lrv < 0 || (o.max_conns && msg[0] && !o.quiet))
			fprintf(stderr, "assisted-emulator: %s%s\n", msg,
			        lrv < 0 && o.max_conns ? ": fewer connections than --max-connections are "
			        "accepted (the rest are closed at accept)" : "");
	}

	base = event_base_new();
	if (!base) {
		fprintf(stderr, "assisted-emulator: cannot create the event loop\n");
		goto out;
	}
	struct emu_auth_cfg acfg = {
		.mode = o.auth,
		.pull_secret_token = o.pull_secret_token,
		.user_token = o.user_token,
		.local_user_token = o.local_user_token,
		.local_strict_scope = o.local_strict_scope,
		.local_key_pem = NULL,
		.infraenv_exists = infraenv_exists,
		.cluster_exists = cluster_exists,
		.exists_arg = &app,
	};
	if (o.state_dir && o.auth == EMU_AUTH_LOCAL)
		acfg.local_key_pem = local_key = read_local_key(o.state_dir);
	auth = emu_auth_new(&acfg, err, sizeof(err));
	if (!auth) {
		fprintf(stderr, "assisted-emulator: %s\n", err);
		goto out;
	}
	struct emu_model_cfg mcfg;
	emu_model_cfg_init(&mcfg);
	mcfg.api = o.api;
	mcfg.auth = o.auth;
	mcfg.time_scale = o.time_scale;
	if (o.agent_image)
		mcfg.agent_image = o.agent_image;
	if (o.release_tag)
		mcfg.release_tag = o.release_tag;
	mcfg.release_images = o.release_images;
	mcfg.os_images = o.os_images;
	if (o.image_service_base)
		mcfg.image_service_base = o.image_service_base;
	mcfg.seed = o.seed;
	mcfg.check_cluster_version = o.check_cluster_version;
	mcfg.enable_single_node_dnsmasq = o.single_node_dnsmasq;
	mcfg.make_infraenv_token = emu_auth_make_infraenv_token;
	mcfg.token_arg = auth;
	app.model = emu_model_new(&mcfg);
	if (!app.model) {
		fprintf(stderr, "assisted-emulator: cannot create the service model\n");
		goto out;
	}
	if (o.state_dir) {
		struct emu_state_cfg stcfg = {
			.dir = o.state_dir, .fsync = o.fsync, .fsync_interval_ns = o.fsync_interval_ns,
			.journal_max_bytes = o.journal_max, .base = base, .quiet = o.quiet,
		};
		state = emu_state_open(&stcfg, app.model, err, sizeof(err));
		if (!state) {
			fprintf(stderr, "assisted-emulator: %s\n", err);
			rc = 2;
			goto out;
		}
		if (o.auth == EMU_AUTH_LOCAL && !local_key && write_local_key(o.state_dir, auth) != 0) {
			fprintf(stderr, "assisted-emulator: %s/%s: %s\n", o.state_dir, LOCAL_KEY_FILE,
			        strerror(errno));
			goto out;
		}
	}
	metrics = emu_metrics_new();
	if (o.record) {
		record = emu_record_open(o.record, err, sizeof(err));
		if (!record) {
			fprintf(stderr, "assisted-emulator: %s\n", err);
			goto out;
		}
	}
	struct emu_front_cfg fcfg = {
		.base = base, .model = app.model, .auth = auth, .faults = o.faults,
		.metrics = metrics, .record = record, .state = state,
		.restart_every_ns = o.restart_every_ns,
		.goaway_after = o.goaway_after, .quiet = o.quiet,
	};
	front = emu_front_new(&fcfg);
	struct sw_server_cfg scfg = {
		.listen = o.listen,
		.cert_file = o.tls_cert,
		.key_file = o.tls_key,
		.idle_timeout_ms = o.idle_timeout_ms,
		.header_timeout_ms = o.header_timeout_ms,
		.body_timeout_ms = o.body_timeout_ms,
		.max_conns = o.max_conns,
		.max_body_total = (size_t)o.max_body_total,
		.h2_max_streams = o.h2_max_streams,
		.goaway_after = o.goaway_after,
		.body_policy = emu_front_body_policy,
	};
	server = sw_server_new(base, &scfg, emu_front_handler, front, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "assisted-emulator: %s\n", err);
		goto out;
	}
	emu_front_set_server(front, server);
	if (o.kube_listen) {
		struct emu_kube_cfg kcfg = {
			.base = base, .listen = o.kube_listen, .cert_file = o.kube_tls_cert,
			.key_file = o.kube_tls_key, .token = o.kube_token, .token_file = o.kube_token_file,
			.watch_window = o.kube_watch_window, .bookmark_ns = o.kube_bookmark_ns,
			.seed = o.seed, .idle_timeout_ms = o.idle_timeout_ms, .h2_max_streams = o.h2_max_streams,
			.faults = o.faults, .metrics = metrics, .quiet = o.quiet,
		};
		if (!o.kube_no_controllers) {
			const char *colon = strrchr(o.listen, ':');
			int hl = colon ? (int)(colon - o.listen) : 0;
			snprintf(service_url, sizeof(service_url), "%s://%.*s:%d", o.tls_cert ? "https" : "http",
			         hl ? hl : 9, hl ? o.listen : "127.0.0.1", sw_server_port(server));
			kcfg.ctl = (struct ctl_cfg){
				.model = app.model, .time_scale = o.time_scale,
				.converged_flow = o.converged_flow, .no_pause_provisioned = o.no_pause_provisioned,
				.call_latency_ns = o.kube_call_latency_ns, .check_writes = o.kube_check_writes,
				.service_url = service_url, .local_auth = o.auth == EMU_AUTH_LOCAL,
				.infraenv_token = emu_auth_make_infraenv_token, .token_arg = auth,
			};
			memcpy(kcfg.ctl.workers, o.kube_workers, sizeof(kcfg.ctl.workers));
		}
		kube = emu_kube_start(&kcfg, err, sizeof(err));
		if (!kube) {
			fprintf(stderr, "assisted-emulator: %s\n", err);
			goto out;
		}
		emu_front_set_extra_metrics(front, emu_kube_metrics, kube);
	}
	sigint_ev = evsignal_new(base, SIGINT, on_signal, base);
	sigterm_ev = evsignal_new(base, SIGTERM, on_signal, base);
	if (!sigint_ev || !sigterm_ev || evsignal_add(sigint_ev, NULL) || evsignal_add(sigterm_ev, NULL)) {
		fprintf(stderr, "assisted-emulator: cannot install signal handlers\n");
		goto out;
	}
	/* Tests and scripts parse this line to learn the port of ":0". */
	const char *host = o.listen;
	const char *colon = strrchr(o.listen, ':');
	int hostlen = colon ? (int)(colon - host) : (int)strlen(host);
	printf("assisted-emulator: listening on %s://%.*s:%d (auth %s, time scale %g, pid %ld)\n",
	       o.tls_cert ? "https" : "http", hostlen ? hostlen : 9, hostlen ? host : "127.0.0.1",
	       sw_server_port(server), auth_name(o.auth), o.time_scale, (long)getpid());
	if (kube) {
		const char *kc = strrchr(o.kube_listen, ':');
		int khl = kc ? (int)(kc - o.kube_listen) : 0;
		printf("assisted-emulator: kube-api listening on %s://%.*s:%d\n",
		       o.kube_tls_cert ? "https" : "http", khl ? khl : 9, khl ? o.kube_listen : "127.0.0.1",
		       emu_kube_port(kube));
	}
	fflush(stdout);

	event_base_dispatch(base);
	rc = 0;
	if (!o.quiet)
		fprintf(stderr, "assisted-emulator: shutting down\n");
out:
	if (sigint_ev)
		event_free(sigint_ev);
	if (sigterm_ev)
		event_free(sigterm_ev);
	/* Pending delayed exchanges are reset while their server still exists. */
	emu_front_free(&front);
	emu_kube_free(&kube);
	sw_server_free(&server);
	emu_state_close(&state);
	emu_record_close(&record);
	emu_metrics_free(&metrics);
	emu_model_free(&app.model);
	emu_auth_free(&auth);
	free(local_key);
	emu_cli_free(&o);
	if (base)
		event_base_free(base);
	return rc;
}
