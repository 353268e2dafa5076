#include "emu_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw_duration.h"
#include "sw_err.h"

#ifndef EMU_VERSION
#define EMU_VERSION "unknown"
#endif

enum {
	OPT_LISTEN = 256, OPT_TLS_CERT, OPT_TLS_KEY, OPT_AUTH, OPT_PULL_SECRET_TOKEN, OPT_USER_TOKEN,
	OPT_LOCAL_ALLOW_USER_TOKEN, OPT_LOCAL_STRICT_SCOPE, OPT_TIME_SCALE, OPT_API_GENERATION,
	OPT_AGENT_IMAGE, OPT_RELEASE_TAG, OPT_IMAGE_SERVICE_BASE, OPT_SEED, OPT_CHECK_CLUSTER_VERSION,
	OPT_SNO_DNSMASQ, OPT_RECORD, OPT_QUIET, OPT_FAULT_ERROR, OPT_FAULT_LATENCY, OPT_FAULT_RESET,
	OPT_GOAWAY_AFTER, OPT_RESTART_EVERY, OPT_H2_MAX_STREAMS, OPT_IDLE_TIMEOUT, OPT_HELP,
	OPT_VERSION, OPT_KUBE_API, OPT_KUBE_TLS_CERT, OPT_KUBE_TLS_KEY, OPT_KUBE_TOKEN,
	OPT_KUBE_TOKEN_FILE, OPT_KUBE_WATCH_WINDOW, OPT_KUBE_BOOKMARK_INTERVAL,
	OPT_KUBE_NO_CONTROLLERS, OPT_CONVERGED, OPT_NO_CONVERGED, OPT_NO_PAUSE_PROVISIONED,
	OPT_KUBE_WORKERS, OPT_KUBE_CALL_LATENCY, OPT_KUBE_CHECK_WRITES,
	OPT_PULL_SECRET_TOKEN_FILE, OPT_USER_TOKEN_FILE, OPT_LOCAL_USER_TOKEN_FILE,
	OPT_HEADER_TIMEOUT, OPT_BODY_TIMEOUT, OPT_MAX_CONNS, OPT_MAX_BODY_TOTAL, OPT_STATE_DIR,
	OPT_FSYNC, OPT_FSYNC_INTERVAL, OPT_JOURNAL_MAX,
};

static const struct option long_opts[] = {
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	{"tls-key", required_argument, NULL, OPT_TLS_KEY},
	{"auth", required_argument, NULL, OPT_AUTH},
	{"pull-secret-token", required_argument, NULL, OPT_PULL_SECRET_TOKEN},
	{"user-token", required_argument, NULL, OPT_USER_TOKEN},
	{"local-allow-user-token", required_argument, NULL, OPT_LOCAL_ALLOW_USER_TOKEN},
	{"local-strict-scope", no_argument, NULL, OPT_LOCAL_STRICT_SCOPE},
	{"time-scale", required_argument, NULL, OPT_TIME_SCALE},
	{"api-generation", required_argument, NULL, OPT_API_GENERATION},
	{"agent-image", required_argument, NULL, OPT_AGENT_IMAGE},
	{"release-tag", required_argument, NULL, OPT_RELEASE_TAG},
	{"image-service-base", required_argument, NULL, OPT_IMAGE_SERVICE_BASE},
	{"seed", required_argument, NULL, OPT_SEED},
	{"check-cluster-version", no_argument, NULL, OPT_CHECK_CLUSTER_VERSION},
	{"enable-single-node-dnsmasq", no_argument, NULL, OPT_SNO_DNSMASQ},
	{"record", required_argument, NULL, OPT_RECORD},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"fault-error", required_argument, NULL, OPT_FAULT_ERROR},
	{"fault-latency", required_argument, NULL, OPT_FAULT_LATENCY},
	{"fault-reset", required_argument, NULL, OPT_FAULT_RESET},
	{"goaway-after", required_argument, NULL, OPT_GOAWAY_AFTER},
	{"restart-every", required_argument, NULL, OPT_RESTART_EVERY},
	{"h2-max-streams", required_argument, NULL, OPT_H2_MAX_STREAMS},
	{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	{"kube-api", required_argument, NULL, OPT_KUBE_API},
	{"kube-tls-cert", required_argument, NULL, OPT_KUBE_TLS_CERT},
	{"kube-tls-key", required_argument, NULL, OPT_KUBE_TLS_KEY},
	{"kube-token", required_argument, NULL, OPT_KUBE_TOKEN},
	{"kube-token-file", required_argument, NULL, OPT_KUBE_TOKEN_FILE},
	{"kube-watch-window", required_argument, NULL, OPT_KUBE_WATCH_WINDOW},
	{"kube-bookmark-interval", required_argument, NULL, OPT_KUBE_BOOKMARK_INTERVAL},
	{"kube-no-controllers", no_argument, NULL, OPT_KUBE_NO_CONTROLLERS},
	{"converged-flow", no_argument, NULL, OPT_CONVERGED},
	{"no-converged-flow", no_argument, NULL, OPT_NO_CONVERGED},
	{"no-pause-provisioned-bmhs", no_argument, NULL, OPT_NO_PAUSE_PROVISIONED},
	{"kube-workers", required_argument, NULL, OPT_KUBE_WORKERS},
	{"kube-call-latency", required_argument, NULL, OPT_KUBE_CALL_LATENCY},
	{"kube-check-writes", no_argument, NULL, OPT_KUBE_CHECK_WRITES},
	{"pull-secret-token-file", required_argument, NULL, OPT_PULL_SECRET_TOKEN_FILE},
	{"user-token-file", required_argument, NULL, OPT_USER_TOKEN_FILE},
	{"local-allow-user-token-file", required_argument, NULL, OPT_LOCAL_USER_TOKEN_FILE},
	{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	{"body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT},
	{"max-connections", required_argument, NULL, OPT_MAX_CONNS},
	{"max-body-total", required_argument, NULL, OPT_MAX_BODY_TOTAL},
	{"state-dir", required_argument, NULL, OPT_STATE_DIR},
	{"fsync", required_argument, NULL, OPT_FSYNC},
	{"fsync-interval", required_argument, NULL, OPT_FSYNC_INTERVAL},
	{"journal-max", required_argument, NULL, OPT_JOURNAL_MAX},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

void emu_cli_usage(FILE *out)
{
	fputs(
"Usage: assisted-emulator [OPTIONS]\n"
"Emulates the OpenShift assisted-service REST API (/api/assisted-install/v2) on\n"
"loopback for the swarm: clusters, infra-envs, hosts, steps, installation.\n"
"\n"
"Server:\n"
"  --listen ADDR:PORT          listen address (default 127.0.0.1:8090; ':0' picks a port,\n"
"                              printed on stdout as 'listening on ...')\n"
"  --tls-cert FILE --tls-key FILE\n"
"                              serve TLS with ALPN h2/http1.1; without them the port\n"
"                              speaks h2c (prior knowledge) and HTTP/1.1\n"
"  --h2-max-streams N          SETTINGS_MAX_CONCURRENT_STREAMS (default 256)\n"
"  --idle-timeout DURATION     close idle connections after this (default 120s; an\n"
"                              HTTP/2 connection without streams too, PINGs or not)\n"
"  --header-timeout DURATION   a request head must be complete this long after its\n"
"                              first byte, a new connection's first head (TLS\n"
"                              handshake included) after accept (default 30s; 408)\n"
"  --body-timeout DURATION     a request body must be complete this long after its\n"
"                              head (default 300s; 408)\n"
"  --max-connections N         connections open at once; more are closed at accept\n"
"                              (default: the descriptor limit - 64)\n"
"  --max-body-total SIZE       request-body bytes held in memory over all requests;\n"
"                              a body that would pass it gets 503 (default 512MiB).\n"
"                              Each operation has its own limit (413): 2 MiB of JSON,\n"
"                              250 MB for log uploads (counted, not kept)\n"
"\n"
"Authentication (named after AUTH_TYPE of the real service):\n"
"  --auth none|rhsso|local     none (default): everything allowed.\n"
"                              rhsso (also spelt token): agents send --pull-secret-token\n"
"                              in X-Secret-Key, users 'Authorization: Bearer <--user-token>'.\n"
"                              local: agents send the ES256 JWT of their infra-env in\n"
"                              X-Secret-Key (the token is in the infra-env's ISO URL\n"
"                              '/byapikey/<JWT>/'); user calls are refused (401).\n"
"  --pull-secret-token TOKEN   rhsso mode: the agent credential (required)\n"
"  --user-token TOKEN          rhsso mode: the user Bearer token (default: any)\n"
"  --local-allow-user-token TOKEN\n"
"                              EMULATOR ONLY, not in the real service: in local mode\n"
"                              accept 'Authorization: Bearer TOKEN' for user calls so\n"
"                              tests can create clusters over REST\n"
"  --local-strict-scope        local mode: 403 when an agent token belongs to another\n"
"                              infra-env than the path (the real service allows it)\n"
"  --pull-secret-token-file FILE, --user-token-file FILE,\n"
"  --local-allow-user-token-file FILE\n"
"                              the same secrets from the first line of FILE, or from\n"
"                              the environment: " EMU_ENV_PULL_SECRET_TOKEN ",\n"
"                              " EMU_ENV_USER_TOKEN ", " EMU_ENV_LOCAL_USER_TOKEN "\n"
"                              (so they stay out of the process list)\n"
"\n"
"Service behaviour:\n"
"  --time-scale X              divide monitor periods, poll intervals and timeouts by X\n"
"                              (X >= 1; default 1 = the real timings)\n"
"  --api-generation current|2023\n"
"                              which API generation to answer like (default current)\n"
"  --agent-image IMG           discovery agent image (versions[\"discovery-agent\"])\n"
"  --release-tag TAG           release_tag of component-versions\n"
"  --image-service-base URL    base of ISO download URLs\n"
"  --check-cluster-version     CHECK_CLUSTER_VERSION=true: 'cvo' is a monitored operator\n"
"  --enable-single-node-dnsmasq\n"
"                              ENABLE_SINGLE_NODE_DNSMASQ=true\n"
"  --seed N                    seed of ids, step ids and fault decisions (default 1)\n"
"\n"
"State (the service restarting on its database):\n"
"  --state-dir DIR             keep the model in DIR (snapshot + journal of every\n"
"                              request and monitor pass): a restart, even after\n"
"                              SIGKILL, resumes where it was. Start it again with the\n"
"                              same service options.\n"
"  --fsync batch|always|never  batch (default): fdatasync every --fsync-interval;\n"
"                              always: a reply waits for its record's fdatasync;\n"
"                              never: the kernel decides. Every answered request is\n"
"                              in the journal before its reply (SIGKILL loses none);\n"
"                              the mode decides what a power loss loses\n"
"  --fsync-interval DURATION   batch period (default 100ms)\n"
"  --journal-max SIZE          compact (new snapshot) past this journal size\n"
"                              (default 64MiB)\n"
"\n"
"Faults (repeatable; OP is a swagger operationId, e.g. v2GetNextSteps, or '*'):\n"
"  --fault-error OP:RATE:STATUS     answer STATUS (400..599) with probability RATE\n"
"  --fault-latency OP:fixed:D | OP:uniform:DMIN:DMAX | OP:lognormal:MEDIAN:SIGMA\n"
"                                   delay the answer (durations: 500us, 50ms, 2s, 1m)\n"
"  --fault-reset OP:RATE            reset the stream (HTTP/1.1: close) with probability RATE\n"
"  --goaway-after N                 send GOAWAY after N requests per connection\n"
"  --restart-every DURATION         drop every connection periodically, keeping the state\n"
"                                   (also: POST /debug/restart)\n"
"\n"
"Kube API (the emulated hub: a kube-apiserver subset, see README):\n"
"  --kube-api ADDR:PORT        serve the Kubernetes API on its own listener (':0' picks\n"
"                              a port, printed as 'kube-api listening on ...')\n"
"  --kube-tls-cert FILE --kube-tls-key FILE\n"
"                              TLS for it (default: --tls-cert/--tls-key when given)\n"
"  --kube-token TOKEN | --kube-token-file FILE\n"
"                              require 'Authorization: Bearer TOKEN' (401 Status otherwise)\n"
"  --kube-watch-window N       watch events kept per resource (default 10000); a watch\n"
"                              from an older resourceVersion gets 410 Expired\n"
"  --kube-bookmark-interval D  BOOKMARK period of watches that allow them (default 60s)\n"
"Kube controllers (the assisted-service controllers and hive's part, acting on the\n"
"same service the REST API serves; on with --kube-api):\n"
"  --kube-no-controllers       serve the kube API without the controllers\n"
"  --converged-flow            ALLOW_CONVERGED_FLOW=true (default, as today's hubs):\n"
"                              BMAC boots hosts through their PreprovisioningImage\n"
"                              (created by the client acting as the BareMetal Operator)\n"
"                              and spec.customDeploy\n"
"  --no-converged-flow         the flow of the original swarm: BMAC sets spec.image\n"
"  --no-pause-provisioned-bmhs PAUSE_PROVISIONED_BMHS=false\n"
"  --kube-workers CONTROLLER=N MaxConcurrentReconciles of a controller (repeatable;\n"
"                              default 1 for each, BMAC_MAX_CONCURRENT_RECONCILES=1):\n"
"                              infraenv, clusterdeployment, agentclusterinstall, agent,\n"
"                              bmac, preprovisioningimage, hive\n"
"  --kube-call-latency D       each API write and database call of a reconcile holds\n"
"                              its worker this long, divided by --time-scale (default 2ms)\n"
"  --kube-check-writes         check every controller write against its CRD schema and\n"
"                              count what it would prune or refuse (tests)\n"
"  Faults select kube requests with OP 'kube:VERB' or 'kube:VERB/RESOURCE' (VERB get,\n"
"  list, watch, create, update, patch, delete, deletecollection or '*'), e.g.\n"
"  --fault-error kube:create/baremetalhosts:0.1:503, --fault-reset 'kube:*:0.01'.\n"
"\n"
"Output:\n"
"  --record FILE               append one JSON line per API exchange to FILE\n"
"  --quiet                     no log lines\n"
"  --help, --version\n"
"\n"
"Durations are Go-style, as in the swarm's configuration: 500us, 50ms, 2s, 1m30s;\n"
"a number needs its unit (only 0 may go without).\n"
"\n"
"Endpoints besides the API: GET /health, /ready, /metrics (Prometheus), /debug/state\n"
"(JSON dump of the model, tokens masked), /debug/faults (what each fault kind did per\n"
"operation: reached the client or lost), POST /debug/restart.\n"
"Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime error, 2 on a usage error or a\n"
"--state-dir written with other options or damaged.\n",
	      out);
}

static int usage_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a ? a : "", b ? b : "");
	return EMU_CLI_USAGE;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return SW_ERR_INVALID;
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return SW_ERR_INVALID;
	*v = x;
	return 0;
}

/* "1024", "64KiB", "512MiB", "2GiB" (also KB/MB/GB as powers of 1000). */
static int parse_size(const char *s, uint64_t *v)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{"", 1}, {"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
		{"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000},
	};
	if (!s || !*s || *s == '-' || *s == '+')
		return SW_ERR_INVALID;
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s)
		return SW_ERR_INVALID;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (x > UINT64_MAX / units[i].mult)
			return SW_ERR_INVALID;
		*v = x * units[i].mult;
		return 0;
	}
	return SW_ERR_INVALID;
}

/* Reads a secret: the first line of regular file |path| (at most 64 KiB),
 * without its line end; no control characters. Returns a malloc'ed string
 * or NULL with a message in |err|. */
static char *read_secret(const char *opt, const char *path, char *err, size_t errlen)
{
	char buf[65536 + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", opt, path);
		close(fd);
		return NULL;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || n == (ssize_t)sizeof(buf) - 1) {
		snprintf(err, errlen, "%s %s: %s", opt, path, n < 0 ? strerror(errno) : "larger than 64 KiB");
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	for (const char *p = buf; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "%s %s: control character in the secret", opt, path);
			return NULL;
		}
	}
	if (!buf[0]) {
		snprintf(err, errlen, "%s %s: the first line is empty", opt, path);
		return NULL;
	}
	char *s = strdup(buf);
	if (!s)
		snprintf(err, errlen, "%s: out of memory", opt);
	return s;
}

/* One secret from --X, --X-file or the environment (in that order; --X and
 * --X-file together are an error). Returns 0 or EMU_CLI_USAGE. */
static int secret(struct emu_opts *o, int slot, const char **dst, const char *opt,
                  const char *file, const char *env, char *err, size_t errlen)
{
	if (*dst && file) {
		snprintf(err, errlen, "%s and %s-file exclude each other", opt, opt);
		return EMU_CLI_USAGE;
	}
	if (file) {
		char fopt[64];
		snprintf(fopt, sizeof(fopt), "%s-file", opt);
		o->secrets[slot] = read_secret(fopt, file, err, errlen);
		if (!o->secrets[slot])
			return EMU_CLI_USAGE;
		*dst = o->secrets[slot];
	} else if (!*dst) {
		const char *v = getenv(env);
		if (v && *v)
			*dst = v;
	}
	return 0;
}

int emu_cli_parse(int argc, char **argv, struct emu_opts *o, FILE *out, char *err, size_t errlen)
{
	const char *ps_file = NULL, *user_file = NULL, *local_file = NULL;
	const char *fault_error[EMU_CLI_MAX_FAULTS], *fault_latency[EMU_CLI_MAX_FAULTS],
	           *fault_reset[EMU_CLI_MAX_FAULTS];
	size_t n_error = 0, n_latency = 0, n_reset = 0;
	unsigned long long u = 0;
	uint64_t ns = 0;
	int ctl_opts = 0;  /* a controller option was given (they need --kube-api) */

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:8090";
	o->auth = EMU_AUTH_NONE;
	o->time_scale = 1.0;
	o->api = EMU_API_CURRENT;
	o->seed = 1;
	o->converged_flow = 1;
	o->kube_call_latency_ns = 2000000ull;
	err[0] = '\0';

	optind = 0; /* GNU: full re-initialisation, so tests can parse several times */
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, ":", long_opts, NULL);
		if (c == -1)
			break;
		const char *arg = optarg;
		switch (c) {
		case OPT_LISTEN:
			if (!*arg)
				return usage_err(err, errlen, "--listen needs ADDR:PORT%s%s", NULL, NULL);
			o->listen = arg;
			break;
		case OPT_TLS_CERT: o->tls_cert = arg; break;
		case OPT_TLS_KEY: o->tls_key = arg; break;
		case OPT_AUTH:
			if (strcmp(arg, "none") == 0)
				o->auth = EMU_AUTH_NONE;
			else if (strcmp(arg, "rhsso") == 0 || strcmp(arg, "token") == 0)
				o->auth = EMU_AUTH_TOKEN; /* the real rhsso's credentials; "token": old name */
			else if (strcmp(arg, "local") == 0)
				o->auth = EMU_AUTH_LOCAL;
			else
				return usage_err(err, errlen, "--auth '%s': expected none, rhsso (or token) or local%s",
				                 arg, NULL);
			break;
		case OPT_PULL_SECRET_TOKEN: o->pull_secret_token = arg; break;
		case OPT_USER_TOKEN: o->user_token = arg; break;
		case OPT_LOCAL_ALLOW_USER_TOKEN: o->local_user_token = arg; break;
		case OPT_PULL_SECRET_TOKEN_FILE: ps_file = arg; break;
		case OPT_USER_TOKEN_FILE: user_file = arg; break;
		case OPT_LOCAL_USER_TOKEN_FILE: local_file = arg; break;
		case OPT_HEADER_TIMEOUT:
		case OPT_BODY_TIMEOUT:
			if (sw_duration_parse(arg, &ns) != 0 || ns < 1000000ull ||
			    ns / 1000000ull > UINT32_MAX)
				return usage_err(err, errlen, "--%s '%s': expected a duration of at least 1ms "
				                 "(e.g. 30s)", c == OPT_HEADER_TIMEOUT ? "header-timeout"
				                                                     : "body-timeout", arg);
			if (c == OPT_HEADER_TIMEOUT)
				o->header_timeout_ms = (unsigned)(ns / 1000000ull);
			else
				o->body_timeout_ms = (unsigned)(ns / 1000000ull);
			break;
		case OPT_MAX_CONNS:
			if (parse_uint(arg, UINT32_MAX, &u) != 0 || u == 0)
				return usage_err(err, errlen, "--max-connections '%s': expected a positive "
				                 "count%s", arg, NULL);
			o->max_conns = (unsigned)u;
			break;
		case OPT_MAX_BODY_TOTAL:
		case OPT_JOURNAL_MAX: {
			uint64_t v = 0;
			if (parse_size(arg, &v) != 0 || v < 4096)
				return usage_err(err, errlen, "--%s '%s': expected a size of at least 4096 "
				                 "bytes (e.g. 512MiB)", c == OPT_MAX_BODY_TOTAL ? "max-body-total"
				                                                                : "journal-max", arg);
			if (c == OPT_MAX_BODY_TOTAL)
				o->max_body_total = v;
			else
				o->journal_max = v;
			break;
		}
		case OPT_STATE_DIR:
			if (!*arg)
				return usage_err(err, errlen, "--state-dir needs a directory%s%s", NULL, NULL);
			o->state_dir = arg;
			break;
		case OPT_FSYNC: {
			int f = emu_fsync_parse(arg);
			if (f < 0)
				return usage_err(err, errlen, "--fsync '%s': expected batch, always or never%s",
				                 arg, NULL);
			o->fsync = (enum emu_fsync)f;
			break;
		}
		case OPT_FSYNC_INTERVAL:
			if (sw_duration_parse(arg, &ns) != 0 || ns < 1000000ull || ns > 60000000000ull)
				return usage_err(err, errlen, "--fsync-interval '%s': expected 1ms..60s%s", arg,
				                 NULL);
			o->fsync_interval_ns = ns;
			break;
		case OPT_LOCAL_STRICT_SCOPE: o->local_strict_scope = 1; break;
		case OPT_TIME_SCALE: {
			char *end = NULL;
			errno = 0;
			double v = strtod(arg, &end);
			if (errno || end == arg || *end || !isfinite(v) || v < 1.0 || v > 1e6)
				return usage_err(err, errlen, "--time-scale '%s': expected a number from 1 to "
				                 "1000000%s", arg, NULL);
			o->time_scale = v;
			break;
		}
		case OPT_API_GENERATION:
			if (strcmp(arg, "current") == 0)
				o->api = EMU_API_CURRENT;
			else if (strcmp(arg, "2023") == 0)
				o->api = EMU_API_2023;
			else
				return usage_err(err, errlen, "--api-generation '%s': expected current or 2023%s",
				                 arg, NULL);
			break;
		case OPT_AGENT_IMAGE: o->agent_image = arg; break;
		case OPT_RELEASE_TAG: o->release_tag = arg; break;
		case OPT_IMAGE_SERVICE_BASE: o->image_service_base = arg; break;
		case OPT_SEED:
			if (parse_uint(arg, UINT64_MAX, &u) != 0)
				return usage_err(err, errlen, "--seed '%s': expected an unsigned integer%s",
				                 arg, NULL);
			o->seed = u;
			break;
		case OPT_CHECK_CLUSTER_VERSION: o->check_cluster_version = 1; break;
		case OPT_SNO_DNSMASQ: o->single_node_dnsmasq = 1; break;
		case OPT_RECORD: o->record = arg; break;
		case OPT_QUIET: o->quiet = 1; break;
		case OPT_FAULT_ERROR:
		case OPT_FAULT_LATENCY:
		case OPT_FAULT_RESET: {
			const char **list = c == OPT_FAULT_ERROR ? fault_error
			                  : c == OPT_FAULT_LATENCY ? fault_latency : fault_reset;
			size_t *n = c == OPT_FAULT_ERROR ? &n_error
			          : c == OPT_FAULT_LATENCY ? &n_latency : &n_reset;
			if (*n == EMU_CLI_MAX_FAULTS)
				return usage_err(err, errlen, "too many --fault-* options (at most 64 of each "
				                 "kind)%s%s", NULL, NULL);
			list[(*n)++] = arg;
			break;
		}
		case OPT_GOAWAY_AFTER:
			if (parse_uint(arg, UINT32_MAX, &u) != 0)
				return usage_err(err, errlen, "--goaway-after '%s': expected a request count%s",
				                 arg, NULL);
			o->goaway_after = (unsigned)u;
			break;
		case OPT_RESTART_EVERY:
			if (sw_duration_parse(arg, &ns) != 0 || ns < 1000000ull)
				return usage_err(err, errlen, "--restart-every '%s': expected a duration of at "
				                 "least 1ms (e.g. 30s)%s", arg, NULL);
			o->restart_every_ns = ns;
			break;
		case OPT_H2_MAX_STREAMS:
			if (parse_uint(arg, 1u << 20, &u) != 0 || u == 0)
				return usage_err(err, errlen, "--h2-max-streams '%s': expected 1..1048576%s",
				                 arg, NULL);
			o->h2_max_streams = (unsigned)u;
			break;
		case OPT_IDLE_TIMEOUT:
			if (sw_duration_parse(arg, &ns) != 0 || ns < 1000000ull ||
			    ns / 1000000ull > UINT32_MAX)
				return usage_err(err, errlen, "--idle-timeout '%s': expected a duration (e.g. "
				                 "120s)%s", arg, NULL);
			o->idle_timeout_ms = (unsigned)(ns / 1000000ull);
			break;
		case OPT_KUBE_API:
			if (!*arg)
				return usage_err(err, errlen, "--kube-api needs ADDR:PORT%s%s", NULL, NULL);
			o->kube_listen = arg;
			break;
		case OPT_KUBE_TLS_CERT: o->kube_tls_cert = arg; break;
		case OPT_KUBE_TLS_KEY: o->kube_tls_key = arg; break;
		case OPT_KUBE_TOKEN:
			if (!*arg)
				return usage_err(err, errlen, "--kube-token needs a non-empty TOKEN%s%s", NULL, NULL);
			o->kube_token = arg;
			break;
		case OPT_KUBE_TOKEN_FILE: o->kube_token_file = arg; break;
		case OPT_KUBE_WATCH_WINDOW:
			if (parse_uint(arg, 100000000ull, &u) != 0 || u == 0)
				return usage_err(err, errlen, "--kube-watch-window '%s': expected 1..100000000%s",
				                 arg, NULL);
			o->kube_watch_window = (size_t)u;
			break;
		case OPT_KUBE_BOOKMARK_INTERVAL:
			if (sw_duration_parse(arg, &ns) != 0 || ns < 1000000ull)
				return usage_err(err, errlen, "--kube-bookmark-interval '%s': expected a duration "
				                 "of at least 1ms (e.g. 60s)%s", arg, NULL);
			o->kube_bookmark_ns = ns;
			break;
		case OPT_KUBE_NO_CONTROLLERS: o->kube_no_controllers = ctl_opts = 1; break;
		case OPT_CONVERGED: o->converged_flow = ctl_opts = 1; break;
		case OPT_NO_CONVERGED: o->converged_flow = 0; ctl_opts = 1; break;
		case OPT_NO_PAUSE_PROVISIONED: o->no_pause_provisioned = ctl_opts = 1; break;
		case OPT_KUBE_CHECK_WRITES: o->kube_check_writes = ctl_opts = 1; break;
		case OPT_KUBE_WORKERS: {
			ctl_opts = 1;
			char name[64];
			const char *eq = strchr(arg, '=');
			int id = -1;
			if (eq && (size_t)(eq - arg) < sizeof(name)) {
				memcpy(name, arg, (size_t)(eq - arg));
				name[eq - arg] = '\0';
				id = ctl_find(name);
			}
			if (id < 0 || parse_uint(eq + 1, 1024, &u) != 0 || u == 0)
				return usage_err(err, errlen, "--kube-workers '%s': expected CONTROLLER=N with N "
				                 "1..1024 and CONTROLLER one of infraenv, clusterdeployment, "
				                 "agentclusterinstall, agent, bmac, preprovisioningimage, hive%s",
				                 arg, NULL);
			o->kube_workers[id] = (unsigned)u;
			break;
		}
		case OPT_KUBE_CALL_LATENCY:
			if (sw_duration_parse(arg, &ns) != 0 || ns > 60000000000ull)
				return usage_err(err, errlen, "--kube-call-latency '%s': expected a duration "
				                 "from 0 to 60s%s", arg, NULL);
			o->kube_call_latency_ns = ns;
			ctl_opts = 1;
			break;
		case OPT_HELP:
			emu_cli_usage(out);
			return EMU_CLI_DONE;
		case OPT_VERSION:
			fprintf(out, "assisted-emulator %s\n", EMU_VERSION);
			return EMU_CLI_DONE;
		case ':':
			return usage_err(err, errlen, "option '%s' needs an argument%s", argv[optind - 1], NULL);
		default:
			if (optopt > 0 && optopt < 256) {
				snprintf(err, errlen, "unknown option '-%c'", optopt);
				return EMU_CLI_USAGE;
			}
			return usage_err(err, errlen, "unknown option '%s' (see --help)%s",
			                 argv[optind - 1], NULL);
		}
	}
	if (optind < argc)
		return usage_err(err, errlen, "unexpected argument '%s'%s", argv[optind], NULL);
	if (!o->tls_cert != !o->tls_key)
		return usage_err(err, errlen, "--tls-cert and --tls-key go together%s%s", NULL, NULL);
	if (!o->kube_tls_cert != !o->kube_tls_key)
		return usage_err(err, errlen, "--kube-tls-cert and --kube-tls-key go together%s%s", NULL, NULL);
	if (o->kube_token && o->kube_token_file)
		return usage_err(err, errlen, "--kube-token and --kube-token-file exclude each other%s%s",
		                 NULL, NULL);
	if (!o->kube_listen && (o->kube_tls_cert || o->kube_token || o->kube_token_file ||
	                        o->kube_watch_window || o->kube_bookmark_ns || ctl_opts))
		return usage_err(err, errlen, "the --kube-* and controller options need --kube-api ADDR:PORT%s%s", NULL, NULL);
	if (o->kube_listen && !o->kube_tls_cert) {
		o->kube_tls_cert = o->tls_cert;
		o->kube_tls_key = o->tls_key;
	}
	if (secret(o, 0, &o->pull_secret_token, "--pull-secret-token", ps_file,
	           EMU_ENV_PULL_SECRET_TOKEN, err, errlen) ||
	    secret(o, 1, &o->user_token, "--user-token", user_file, EMU_ENV_USER_TOKEN, err, errlen) ||
	    secret(o, 2, &o->local_user_token, "--local-allow-user-token", local_file,
	           EMU_ENV_LOCAL_USER_TOKEN, err, errlen))
		return EMU_CLI_USAGE;
	/* Secrets from the environment apply to the modes that use them only. */
	if (o->auth != EMU_AUTH_TOKEN && !user_file && o->user_token == getenv(EMU_ENV_USER_TOKEN))
		o->user_token = NULL;
	if (o->auth != EMU_AUTH_LOCAL && !local_file &&
	    o->local_user_token == getenv(EMU_ENV_LOCAL_USER_TOKEN))
		o->local_user_token = NULL;
	if ((o->fsync != EMU_FSYNC_BATCH || o->fsync_interval_ns || o->journal_max) && !o->state_dir)
		return usage_err(err, errlen, "--fsync, --fsync-interval and --journal-max need "
		                 "--state-dir%s%s", NULL, NULL);
	if (o->auth == EMU_AUTH_TOKEN && (!o->pull_secret_token || !*o->pull_secret_token))
		return usage_err(err, errlen, "--auth rhsso needs --pull-secret-token TOKEN%s%s", NULL, NULL);
	if (o->local_user_token && o->auth != EMU_AUTH_LOCAL)
		return usage_err(err, errlen, "--local-allow-user-token only applies to --auth local%s%s",
		                 NULL, NULL);
	if (o->user_token && o->auth != EMU_AUTH_TOKEN)
		return usage_err(err, errlen, "--user-token only applies to --auth rhsso%s%s", NULL, NULL);

	o->faults = emu_faults_new(o->seed ^ 0x66617532756c7473ull); /* own stream, seed-derived */
	for (size_t i = 0; i < n_error; i++)
		if (emu_faults_add_error(o->faults, fault_error[i], err, errlen) != 0)
			return EMU_CLI_USAGE;
	for (size_t i = 0; i < n_latency; i++)
		if (emu_faults_add_latency(o->faults, fault_latency[i], err, errlen) != 0)
			return EMU_CLI_USAGE;
	for (size_t i = 0; i < n_reset; i++)
		if (emu_faults_add_reset(o->faults, fault_reset[i], err, errlen) != 0)
			return EMU_CLI_USAGE;
	return EMU_CLI_RUN;
}

void emu_cli_free(struct emu_opts *o)
{
	if (!o)
		return;
	emu_faults_free(&o->faults);
	for (size_t i = 0; i < sizeof(o->secrets) / sizeof(o->secrets[0]); i++) {
		free(o->secrets[i]);
		o->secrets[i] = NULL;
	}
}
