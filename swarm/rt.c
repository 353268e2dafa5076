#include "rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <event2/buffer.h>
#include "agent.h"
#include "as_model.h"
#include "cluster.h"
#include "sw_err.h"
#include "xalloc.h"

void rt_init(struct swarm_rt *rt, struct event_base *base, struct sw_client *client,
             struct swarm_stats *stats, const struct swarm_ctx *ctx, uint64_t seed)
{
	memset(rt, 0, sizeof(*rt));
	rt->base = base;
	rt->client = client;
	rt->stats = stats;
	rt->ctx = ctx;
	rt->plan = ctx->plan;
	rt->svc = ctx->svc;
	rt->scale = ctx->plan && ctx->plan->timings.time_scale > 1e-6 ? ctx->plan->timings.time_scale : 1.0;
	rt->jitter = ctx->plan ? ctx->plan->timings.jitter : 0.0;
	if (rt->jitter < 0)
		rt->jitter = 0;
	if (rt->jitter > 0.9)
		rt->jitter = 0.9;
	rt->verbose = ctx->opts ? ctx->opts->verbose : 0;
	rt->dedicated = ctx->svc && ctx->svc->policy == SWARM_CONN_DEDICATED;
	rt->vip_legacy = -1;
	rt->timer_prio = -1;
	if (ctx->versions_known) {
		/* main asked the service before the shards started */
		rt->d0_state = 2;
		rt->agent_image = ctx->agent_image ? xstrdup(ctx->agent_image) : NULL;
	}
	if (ctx->svc && ctx->svc->api_generation) {
		if (!strcmp(ctx->svc->api_generation, "2023")) {
			rt->vip_legacy = 1;
			rt->cpc_refused = 1;
		} else if (!strcmp(ctx->svc->api_generation, "current")) {
			rt->vip_legacy = 0;
		}
	}
	ids_rng_seed(&rt->rng, seed);
	if (ctx->svc && ctx->svc->auth == SWARM_AUTH_RHSSO)
		rt->agent_token = rt_token_from_service(ctx->svc);
}

char *rt_token_from_service(const struct swarm_service *svc)
{
	json_t *ps, *auth;
	char *tok = NULL;

	if (svc->agent_token && *svc->agent_token)
		return xstrdup(svc->agent_token);
	if (!svc->pull_secret)
		return NULL;
	/* rhsso: the raw base64 of auths["cloud.openshift.com"].auth (protocol/README.md §2). */
	ps = json_loads(svc->pull_secret, 0, NULL);
	auth = json_object_get(json_object_get(json_object_get(ps, "auths"), "cloud.openshift.com"),
	                       "auth");
	if (json_is_string(auth))
		tok = xstrdup(json_string_value(auth));
	json_decref(ps);
	return tok;
}

static void call_unlink_free(struct rt_call *c);

void rt_cleanup(struct swarm_rt *rt)
{
	if (!rt)
		return;
	while (rt->calls) {
		struct rt_call *c = rt->calls;
		if (c->retry_armed)
			event_del(&c->retry_ev);
		call_unlink_free(c);
	}
	free(rt->logs_tgz);
	rt->logs_tgz = NULL;
	free(rt->ingress_ca);
	rt->ingress_ca = NULL;
	free(rt->agent_image);
	rt->agent_image = NULL;
	free(rt->agent_token);
	rt->agent_token = NULL;
}

uint64_t rt_scaled_ns(const struct swarm_rt *rt, double ms)
{
	double ns = ms * 1e6 / rt->scale;
	return ns <= 0 ? 0 : (uint64_t)ns;
}

uint64_t rt_delay_ns(struct swarm_rt *rt, double ms)
{
	double f = 1.0;
	if (rt->jitter > 0)
		f = 1.0 - rt->jitter + 2.0 * rt->jitter * ids_rng_double(&rt->rng);
	return rt_scaled_ns(rt, ms * f);
}

uint64_t rt_uniform_ns(struct swarm_rt *rt, double lo_ms, double hi_ms)
{
	return rt_scaled_ns(rt, lo_ms + (hi_ms - lo_ms) * ids_rng_double(&rt->rng));
}

/* The common timeout for |tv| (|delay_ns|), created on first use; NULL when
 * the shard has used all its slots. */
static const struct timeval *common_timeout(struct swarm_rt *rt, uint64_t delay_ns,
                                            const struct timeval *tv)
{
	const struct timeval *ctv;
	unsigned i;

	for (i = 0; i < rt->ncommon; i++)
		if (rt->common[i].ns == delay_ns)
			return rt->common[i].tv;
	if (rt->ncommon == sizeof(rt->common) / sizeof(rt->common[0]))
		return NULL;
	ctv = event_base_init_common_timeout(rt->base, tv);
	if (ctv) {
		rt->common[rt->ncommon].ns = delay_ns;
		rt->common[rt->ncommon].tv = ctv;
		rt->ncommon++;
	}
	return ctv;
}

uint64_t rt_timer(struct swarm_rt *rt, struct event *ev, uint64_t delay_ns, int common)
{
	uint64_t due = sw_now_ns() + delay_ns;
	const struct timeval *ctv = NULL;
	struct timeval tv;

	tv.tv_sec = (time_t)(delay_ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)((delay_ns % 1000000000ull) / 1000);
	if (common)
		ctv = common_timeout(rt, delay_ns, &tv);
	event_add(ev, ctv ? ctv : &tv);
	return due;
}

void rt_timer_fired(struct swarm_rt *rt, uint64_t due_ns)
{
	uint64_t now = sw_now_ns();

	hist_record(&rt->stats->lateness, now > due_ns ? now - due_ns : 0);
}

void rt_timer_assign(struct swarm_rt *rt, struct event *ev, event_callback_fn cb, void *arg)
{
	event_assign(ev, rt->base, -1, 0, cb, arg);
	if (rt->timer_prio >= 0)
		event_priority_set(ev, rt->timer_prio);
}

void rt_log(struct swarm_rt *rt, int always, const char *fmt, ...)
{
	va_list ap;

	/* Non-verbose runs print the first few problems only: at 10^5 hosts a
	 * systematic error would otherwise flood the terminal. */
	if (!rt->verbose && !always && rt->log_lines >= 20)
		return;
	rt->log_lines++;
	va_start(ap, fmt);
	fputs("swarm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (!rt->verbose && !always && rt->log_lines == 20)
		fputs("swarm: (further diagnostics suppressed; use --verbose)\n", stderr);
}

int rt_path(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, len, "%s", AS_API_BASE);

	if (n < 0 || (size_t)n >= len)
		return -1;
	va_start(ap, fmt);
	n += vsnprintf(out + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return n;
}

struct rt_call *rt_call_new(struct swarm_rt *rt, struct swarm_cluster *cl, int host,
                            enum swarm_ep ep, const char *method, const char *path)
{
	struct rt_call *c = xcalloc(1, sizeof(*c));
	size_t blen = strlen(AS_API_BASE), plen = strlen(path);

	c->rt = rt;
	c->cl = cl;
	c->host = host;
	c->ep = ep;
	c->method = xstrdup(method);
	if (!strncmp(path, "/v2/", 4)) {
		c->path = xmalloc(blen + plen + 1);
		memcpy(c->path, AS_API_BASE, blen);
		memcpy(c->path + blen, path, plen + 1);
	} else {
		c->path = xstrdup(path);
	}
	c->intended_ns = sw_now_ns();
	c->auth = RT_AUTH_NONE;
	c->retry = RT_RETRY_NONE;
	/* Link the call now: the owner counts it in flight until it is freed. */
	c->next = rt->calls;
	if (rt->calls)
		rt->calls->prev = c;
	rt->calls = c;
	rt->calls_live++;
	if (cl) {
		cl->inflight++;
		if (host >= 0 && (unsigned)host < cl->nhosts)
			cl->hosts[host].inflight++;
	}
	return c;
}

void rt_call_json(struct rt_call *c, const char *json, size_t len)
{
	free(c->body);
	c->body = xmalloc(len + 1);
	memcpy(c->body, json, len);
	c->body[len] = 0;
	c->body_len = len;
	free(c->ctype);
	c->ctype = xstrdup("application/json");
}

void rt_call_body(struct rt_call *c, unsigned char *body, size_t len, const char *ctype)
{
	free(c->body);
	c->body = body;
	c->body_len = len;
	free(c->ctype);
	c->ctype = xstrdup(ctype);
}

static void call_unlink_free(struct rt_call *c)
{
	struct swarm_rt *rt = c->rt;
	struct swarm_cluster *cl = c->cl;
	int host = c->host;

	if (c->prev)
		c->prev->next = c->next;
	else
		rt->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	rt->calls_live--;
	free(c->method);
	free(c->path);
	free(c->body);
	free(c->ctype);
	free(c);
	if (cl) {
		cl->inflight--;
		if (host >= 0 && (unsigned)host < cl->nhosts) {
			cl->hosts[host].inflight--;
			agent_maybe_drop_link(&cl->hosts[host]);
		}
	}
}

/* Frees |c| and lets a finished cluster tell the shard it is idle. */
static void call_done_free(struct rt_call *c)
{
	struct swarm_cluster *cl = c->cl;
	struct swarm_rt *rt = c->rt;

	call_unlink_free(c);
	if (cl && !rt->stopping)
		cluster_check_idle(cl);
}

static int transient_err(int err)
{
	switch (err) {
	case SW_ERR_RESOLVE:
	case SW_ERR_CONNECT:
	case SW_ERR_CONNECT_TIMEOUT:
	case SW_ERR_TLS_TIMEOUT:
	case SW_ERR_TIMEOUT:
	case SW_ERR_CLOSED:
	case SW_ERR_RESET:
	case SW_ERR_GOAWAY:
	case SW_ERR_IO:
	case SW_ERR_RETRIES:
		return 1;
	default:
		return 0;
	}
}

/* Returns the delay before the next attempt in ns, or 0 for "no retry". */
static uint64_t retry_delay(struct rt_call *c, int err, int status)
{
	unsigned max;
	int retryable;

	switch (c->retry) {
	case RT_RETRY_AGENT:
		max = 3;
		retryable = err ? transient_err(err) : (status == 503 || status == 504);
		break;
	case RT_RETRY_INSTALLER:
	case RT_RETRY_CONTROLLER:
		max = c->retry == RT_RETRY_INSTALLER ? 3 : 15;
		retryable = err ? transient_err(err) :
		            (status == 408 || status == 429 || (status >= 500 && status <= 599));
		break;
	case RT_RETRY_DRIVER:
		max = 3;
		retryable = err ? transient_err(err) : (status >= 500 && status <= 599);
		if (retryable && c->attempts <= max)
			return rt_uniform_ns(c->rt, 1000, 2000);
		return 0;
	case RT_RETRY_NONE:
	default:
		return 0;
	}
	if (!retryable || c->attempts > max)
		return 0;
	/* The Go clients' exponential jitter stays between 2 and 10 s. */
	return rt_uniform_ns(c->rt, 2000, 10000) + 1;
}

static int call_submit(struct rt_call *c);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct rt_call *c = arg;
	int rv;

	(void)fd;
	(void)what;
	c->retry_armed = 0;
	if (c->rt->stopping) {
		call_done_free(c);
		return;
	}
	rv = call_submit(c);
	if (rv < 0) {
		rt_done_fn done = c->done;
		stats_record_call(c->rt->stats, c->ep, rv, 0, c->intended_ns, sw_now_ns(), sw_now_ns());
		if (done)
			done(c, rv, "submit failed", NULL);
		call_done_free(c);
	}
}

static void on_resp(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct rt_call *c = arg;
	struct swarm_rt *rt = c->rt;
	uint64_t now = sw_now_ns(), sent, done_ns, delay;
	int status = (!err && resp) ? resp->status : 0;

	if (!err && !resp)
		err = SW_ERR_PROTO;
	if (rt->stopping) {
		/* Shutdown cancels whatever is in flight: not a service error. */
		call_done_free(c);
		return;
	}
	sent = (resp && resp->t_sent_ns) ? resp->t_sent_ns : c->submit_ns;
	done_ns = (resp && resp->t_done_ns) ? resp->t_done_ns : now;
	stats_record_call(rt->stats, c->ep, err, status, c->intended_ns, sent, done_ns);
	delay = retry_delay(c, err, status);
	if (delay) {
		if (rt->verbose)
			rt_log(rt, 0, "%s %s: %s, retrying", c->method, c->path,
			       err ? (msg ? msg : sw_err_name(err)) : "unavailable");
		rt_timer_assign(rt, &c->retry_ev, on_retry, c);
		c->retry_armed = 1;
		rt_timer(rt, &c->retry_ev, delay, 0);
		return;
	}
	if (c->done)
		c->done(c, err, msg, err ? NULL : resp);
	call_done_free(c);
}

static int call_submit(struct rt_call *c)
{
	struct swarm_rt *rt = c->rt;
	struct sw_req *req;
	struct sw_link *link = NULL;
	struct agent *a = NULL;
	const char *key;
	int rv = 0;

	if (!rt->submit)
		return SW_ERR_STATE;
	req = sw_req_new(c->method, c->path);
	if (!req)
		x_oom(0);
	if (c->cl && c->host >= 0 && (unsigned)c->host < c->cl->nhosts)
		a = &c->cl->hosts[c->host];
	rv |= sw_req_header(req, "accept", "application/json");
	if (c->auth == RT_AUTH_AGENT || c->auth == RT_AUTH_HOST) {
		key = c->cl && c->cl->agent_key ? c->cl->agent_key : rt->agent_token;
		if (key)
			rv |= sw_req_header(req, "x-secret-key", key);
		if (c->auth == RT_AUTH_HOST && a && a->version)
			rv |= sw_req_header(req, "discovery_agent_version", a->version);
	} else if (c->auth == RT_AUTH_USER && rt->svc && rt->svc->auth != SWARM_AUTH_NONE &&
	           rt->svc->user_token && *rt->svc->user_token) {
		char bearer[4096];
		snprintf(bearer, sizeof(bearer), "Bearer %s", rt->svc->user_token);
		rv |= sw_req_header(req, "authorization", bearer);
	}
	if (c->body) {
		if (evbuffer_add(req->body, c->body, c->body_len) != 0)
			x_oom(c->body_len);
		rv |= sw_req_header(req, "content-type", c->ctype ? c->ctype : "application/json");
	}
	if (rv)
		x_oom(0);
	if (a && rt->dedicated && rt->link_new && c->auth != RT_AUTH_NONE) {
		if (!a->link)
			a->link = rt->link_new(rt->submit_arg);
		link = a->link;
	}
	c->attempts++;
	c->submit_ns = sw_now_ns();
	return rt->submit(rt->submit_arg, link, req, on_resp, c);
}

int rt_call_send(struct rt_call *c, rt_done_fn done)
{
	int rv;

	c->done = done;
	if (c->rt->stopping) {
		call_done_free(c);
		return SW_ERR_CANCELLED;
	}
	rv = call_submit(c);
	if (rv < 0) {
		stats_record_call(c->rt->stats, c->ep, rv, 0, c->intended_ns, sw_now_ns(), sw_now_ns());
		call_done_free(c);
	}
	return rv;
}

json_t *rt_resp_json(struct sw_resp *resp)
{
	size_t len;
	unsigned char *p;

	if (!resp || !resp->body)
		return NULL;
	len = evbuffer_get_length(resp->body);
	if (!len)
		return NULL;
	p = evbuffer_pullup(resp->body, -1);
	if (!p)
		return NULL;
	return json_loadb((const char *)p, len, JSON_DECODE_ANY, NULL);
}

char *rt_versions_agent_image(struct sw_resp *resp)
{
	json_t *j = rt_resp_json(resp), *v;
	char *img = NULL;

	v = json_is_object(j) ? json_object_get(j, "versions") : NULL;
	v = json_is_object(v) ? json_object_get(v, "discovery-agent") : NULL;
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 512)
		img = xstrdup(json_string_value(v));
	json_decref(j);
	return img;
}

/* ---- shared assets ---- */

static void tar_octal(char *field, size_t width, unsigned long long v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, v);
}

const unsigned char *rt_logs_tgz(struct swarm_rt *rt, size_t *len)
{
	static const char content[] =
		"swarm emulated host: dry-run installer logs\n"
		"Read disk 3.7 GiB/3.7 GiB (100%)\n";
	unsigned char tar[512 * 4];
	unsigned char *hdr = tar;
	unsigned sum = 0;
	size_t i, clen = sizeof(content) - 1, cap;
	z_stream zs;

	if (rt->logs_tgz) {
		*len = rt->logs_tgz_len;
		return rt->logs_tgz;
	}
	memset(tar, 0, sizeof(tar));
	snprintf((char *)hdr, 100, "%s", "logs/installer.log");
	tar_octal((char *)hdr + 100, 8, 0644);
	tar_octal((char *)hdr + 108, 8, 0);
	tar_octal((char *)hdr + 116, 8, 0);
	tar_octal((char *)hdr + 124, 12, clen);
	tar_octal((char *)hdr + 136, 12, 1700000000ull);
	memset(hdr + 148, ' ', 8);
	hdr[156] = '0';
	memcpy(hdr + 257, "ustar", 6);
	memcpy(hdr + 263, "00", 2);
	snprintf((char *)hdr + 265, 32, "root");
	snprintf((char *)hdr + 297, 32, "root");
	for (i = 0; i < 512; i++)
		sum += hdr[i];
	snprintf((char *)hdr + 148, 8, "%06o", sum);
	hdr[155] = ' ';
	memcpy(tar + 512, content, clen);
	/* tar = header + one data block + two zero blocks (end of archive) */

	cap = compressBound(sizeof(tar)) + 64;
	rt->logs_tgz = xmalloc(cap);
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		x_oom(cap);
	zs.next_in = tar;
	zs.avail_in = sizeof(tar);
	zs.next_out = rt->logs_tgz;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(rt->logs_tgz);
		rt->logs_tgz = NULL;
		*len = 0;
		return NULL;
	}
	rt->logs_tgz_len = zs.total_out;
	deflateEnd(&zs);
	*len = rt->logs_tgz_len;
	return rt->logs_tgz;
}

const char *rt_ingress_ca(struct swarm_rt *rt)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	BIO *bio = NULL;
	char *data;
	long n;

	if (rt->ingress_ca)
		return rt->ingress_ca;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	bio = BIO_new(BIO_s_mem());
	if (!key || !x || !bio)
		goto out;
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(ids_rng_next(&rt->rng) & 0x7fffffff)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 24 * 3600) ||
	    !X509_set_pubkey(x, key))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)"ingress-operator@swarm", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		goto out;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	if (!ext || !X509_add_ext(x, ext, -1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	if (!ext || !X509_add_ext(x, ext, -1))
		goto out;
	if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_bio_X509(bio, x))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n > 0) {
		rt->ingress_ca = xmalloc((size_t)n + 1);
		memcpy(rt->ingress_ca, data, (size_t)n);
		rt->ingress_ca[n] = 0;
	}
out:
	X509_EXTENSION_free(ext);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
	return rt->ingress_ca;
}
