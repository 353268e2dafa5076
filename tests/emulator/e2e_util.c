#include "e2e_util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sw_err.h"

/* The port of the first complete line of |buf| containing |what| (0: none yet). */
static int line_port(const char *buf, const char *what)
{
	const char *l = strstr(buf, what);
	const char *nl = l ? strchr(l, '\n') : NULL;
	const char *colon = l;
	if (!l || !nl)
		return 0;
	for (const char *q = l; q < nl; q++)
		if (*q == ':' && q[1] >= '0' && q[1] <= '9')
			colon = q;
	return atoi(colon + 1);
}

int e2e_child_start(char *const argv[], struct e2e_child *c)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	c->pid = pid;
	c->port = 0;
	c->kube_port = 0;
	int want_kube = 0;
	for (int i = 1; argv[i]; i++)
		want_kube |= !strcmp(argv[i], "--kube-api");
	char buf[1024];
	size_t len = 0;
	uint64_t deadline = sw_now_ns() + 10000000000ull;
	while (sw_now_ns() < deadline && len < sizeof(buf) - 1) {
		struct pollfd p = {fds[0], POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		c->port = line_port(buf, "listening on ");
		if (want_kube)
			c->kube_port = line_port(buf, "kube-api listening on ");
		if (c->port > 0 && (!want_kube || c->kube_port > 0))
			break;
	}
	close(fds[0]); /* the emulator writes nothing else to stdout */
	if (c->port <= 0) {
		fprintf(stderr, "emulator did not report its port (got '%.*s')\n", (int)len, buf);
		e2e_child_stop(c);
		return -1;
	}
	return 0;
}

int e2e_child_stop(struct e2e_child *c)
{
	if (c->pid <= 0)
		return -1;
	kill(c->pid, SIGTERM);
	int st = 0;
	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid) {
			c->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	c->pid = 0;
	return -1;
}

struct pending_call {
	int done;
	struct e2e_res *res;
};

static void on_resp(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct pending_call *p = arg;
	struct e2e_res *r = p->res;
	p->done = 1;
	r->err = err;
	if (err) {
		fprintf(stderr, "  transport error %s: %s\n", sw_err_name(err), msg ? msg : "");
		return;
	}
	r->status = resp->status;
	size_t len = resp->body ? evbuffer_get_length(resp->body) : 0;
	r->body = malloc(len + 1);
	if (len)
		evbuffer_remove(resp->body, r->body, len);
	r->body[len] = '\0';
	r->len = len;
	const char *ct = sw_hdrs_get(&resp->hdrs, "content-type");
	snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
	if (len && (strstr(r->ctype, "json") || r->body[0] == '{' || r->body[0] == '['))
		r->json = json_loadb(r->body, len, 0, NULL);
}

/* The Accept a go-swagger client sends: the operation's produces, which is
 * application/octet-stream for the file downloads this driver makes. */
static const char *default_accept(const char *method, const char *path)
{
	const char *q = strchr(path, '?');
	size_t n = q ? (size_t)(q - path) : strlen(path);
	static const char *const files[] = {"/downloads/files", "/downloads/ignition",
	                                    "/downloads/credentials"};
	if (strcmp(method, "GET") == 0)
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			size_t l = strlen(files[i]);
			if (n >= l && memcmp(path + n - l, files[i], l) == 0)
				return "application/octet-stream";
		}
	return "application/json";
}

int e2e_call(struct e2e_http *h, const char *method, const char *path, const char *const *hdrs,
             const char *ctype, const void *body, size_t len, struct e2e_res *res)
{
	memset(res, 0, sizeof(*res));
	struct sw_req *req = sw_req_new(method, path);
	if (!req) {
		res->err = SW_ERR_NOMEM;
		return res->err;
	}
	int own_accept = 0;
	for (size_t i = 0; hdrs && hdrs[i] && hdrs[i + 1]; i += 2) {
		own_accept |= strcasecmp(hdrs[i], "accept") == 0;
		if (*hdrs[i + 1] || strcasecmp(hdrs[i], "accept") != 0)
			sw_req_header(req, hdrs[i], hdrs[i + 1]);
	}
	/* "accept" with an empty value in |hdrs|: no Accept at all. */
	if (!own_accept)
		sw_req_header(req, "accept", default_accept(method, path));
	if (body) {
		if (!ctype || strcmp(ctype, "application/json") == 0) {
			sw_req_json(req, body, len);
		} else {
			sw_req_header(req, "content-type", ctype);
			evbuffer_add(req->body, body, len);
		}
	}
	req->timeout_ms = h->timeout_ms;
	struct pending_call p = {0, res};
	h->calls++;
	int rv = sw_client_request(h->client, NULL, req, on_resp, &p);
	if (rv != 0) {
		res->err = rv;
		return rv;
	}
	while (!p.done)
		event_base_loop(h->base, EVLOOP_ONCE);
	return res->err;
}

int e2e_http_h2c(struct e2e_http *h, int port, char *err, size_t errlen)
{
	char url[64];
	struct sw_client_cfg cfg;
	memset(h, 0, sizeof(*h));
	h->timeout_ms = 10000;
	h->base = event_base_new();
	if (!h->base) {
		snprintf(err, errlen, "cannot create an event loop");
		return -1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.proto = SW_PROTO_H2;
	h->client = sw_client_new(h->base, &cfg, err, errlen);
	return h->client ? 0 : -1;
}

void e2e_http_close(struct e2e_http *h)
{
	sw_client_free(&h->client);
	if (h->base)
		event_base_free(h->base);
	h->base = NULL;
}

void e2e_res_free(struct e2e_res *res)
{
	free(res->body);
	json_decref(res->json);
	memset(res, 0, sizeof(*res));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

void e2e_sleep(struct e2e_http *h, unsigned ms)
{
	int fired = 0;
	struct event *ev = evtimer_new(h->base, on_timer, &fired);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(ev, &tv);
	while (!fired)
		event_base_loop(h->base, EVLOOP_ONCE);
	event_free(ev);
}

int e2e_make_cert(const char *cert_path, const char *key_path, char **pem)
{
	int rv = -1;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	unsigned char serial[8];
	RAND_bytes(serial, sizeof(serial));
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(serial[0] & 0x7f) << 8 | serial[1]);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
	if (!ext || !X509_add_ext(x, ext, -1))
		goto out;
	if (!X509_sign(x, key, EVP_sha256()))
		goto out;
	f = fopen(cert_path, "w");
	if (!f || !PEM_write_X509(f, x))
		goto out;
	fclose(f);
	f = fopen(key_path, "w");
	if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	fclose(f);
	f = NULL;
	if (pem) {
		BIO *b = BIO_new(BIO_s_mem());
		PEM_write_bio_X509(b, x);
		char *data = NULL;
		long n = BIO_get_mem_data(b, &data);
		*pem = malloc((size_t)n + 1);
		memcpy(*pem, data, (size_t)n);
		(*pem)[n] = '\0';
		BIO_free(b);
	}
	rv = 0;
out:
	if (f)
		fclose(f);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rv;
}

void e2e_uuid(char out[37])
{
	unsigned char b[16];
	RAND_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}
