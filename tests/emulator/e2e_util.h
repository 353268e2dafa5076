/*
 * e2e_util: helpers of the emulator end-to-end driver test: start and stop
 * the assisted-emulator child process (port read from its "listening on"
 * line), blocking-style HTTP calls on top of the asynchronous sw_client (each
 * call runs the event loop until its answer arrives, bounded by a timeout),
 * sleeping on the loop, and a self-signed certificate made with OpenSSL (for
 * TLS and the ingress-cert upload). Test code only: failures abort the test
 * with a message.
 */
#ifndef E2E_UTIL_H
#define E2E_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <event2/event.h>
#include <jansson.h>

#include "sw_client.h"

struct e2e_child {
	pid_t pid;
	int port;
	int kube_port;  /* with --kube-api: the "kube-api listening on" port */
};

/* Starts |argv| (argv[0] = emulator path; NULL-terminated) with stdout on a
 * pipe, waits (10 s max) for "listening on ...:PORT" (and, when |argv| has
 * --kube-api, for "kube-api listening on ...:PORT") and fills |c|.
 * Returns 0 or -1 (message on stderr). */
int e2e_child_start(char *const argv[], struct e2e_child *c);
/* Sends SIGTERM, waits (10 s max, then SIGKILL) and returns the exit status
 * (0 clean, >0 exit code, -1 killed by a signal or unknown). */
int e2e_child_stop(struct e2e_child *c);

/* One answered call. body is NUL-terminated (may contain NULs for binaries). */
struct e2e_res {
	int err;        /* 0 or the SW_ERR_* of the transport */
	int status;
	char *body;
	size_t len;
	json_t *json;   /* parsed body when it is JSON, else NULL */
	char ctype[128];
};

struct e2e_http {
	struct event_base *base;
	struct sw_client *client;
	unsigned timeout_ms;
	uint64_t calls;
};

/* Extra request headers: NULL-terminated name/value pairs, may be NULL. An
 * "accept" pair replaces the default Accept (the operation's produces, as a
 * go-swagger client sends it); an empty value sends none. */
/* Runs one request and waits for it. |body| (JSON text or raw bytes with
 * |ctype|) may be NULL. Fills |res| (free with e2e_res_free). Returns res->err. */
int e2e_call(struct e2e_http *h, const char *method, const char *path, const char *const *hdrs,
             const char *ctype, const void *body, size_t len, struct e2e_res *res);
void e2e_res_free(struct e2e_res *res);

/* Sets |h| up with its own loop and an h2c (prior knowledge) client to
 * 127.0.0.1:|port|, calls timing out after 10 s. Returns 0, or -1 with the
 * reason in |err|. Frees: e2e_http_close(). */
int e2e_http_h2c(struct e2e_http *h, int port, char *err, size_t errlen);
/* Frees the client and the loop of |h|. */
void e2e_http_close(struct e2e_http *h);

/* Runs the loop for |ms| milliseconds. */
void e2e_sleep(struct e2e_http *h, unsigned ms);

/* Writes a fresh self-signed EC certificate for CN/SAN 127.0.0.1 to |cert_path| and
 * its key to |key_path|; returns 0 or -1. |pem| (optional) receives the
 * certificate PEM (malloc'ed). */
int e2e_make_cert(const char *cert_path, const char *key_path, char **pem);

/* Random RFC 4122 v4 UUID string (37 bytes). */
void e2e_uuid(char out[37]);

#endif
