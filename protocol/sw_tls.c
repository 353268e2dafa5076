#include "sw_tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "sw_err.h"

void sw_tls_errstr(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	if (e) {
		char tmp[256];
		ERR_error_string_n(e, tmp, sizeof(tmp));
		snprintf(buf, len, "%s", tmp);
	} else {
		snprintf(buf, len, "%s", fallback);
	}
	ERR_clear_error();
}

/* Adds every certificate of the PEM text |pem| to |ctx|'s trust store.
 * Returns the number added (0: none found, the OpenSSL error is queued). */
static int load_ca_pem(SSL_CTX *ctx, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509 *x;
	int n = 0;
	if (!b)
		return 0;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	/* The loop ends on "no start line" after the last certificate: not an error. */
	if (n > 0)
		ERR_clear_error();
	BIO_free(b);
	return n;
}

/* Uses the first certificate of |pem| as the client certificate and the
 * rest as its chain. Returns 1 or 0 (error queued). */
static int use_cert_pem(SSL_CTX *ctx, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int ok = 0;
	if (!b)
		return 0;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (x && SSL_CTX_use_certificate(ctx, x) == 1) {
		X509 *ca;
		ok = 1;
		while ((ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
			if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
				X509_free(ca);
				ok = 0;
				break;
			}
		}
		if (ok)
			ERR_clear_error();
	}
	X509_free(x);
	BIO_free(b);
	return ok;
}

static int use_key_pem(SSL_CTX *ctx, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	int ok = k && SSL_CTX_use_PrivateKey(ctx, k) == 1;
	EVP_PKEY_free(k);
	BIO_free(b);
	return ok;
}

SSL_CTX *sw_tls_ctx_new(const struct sw_client_cfg *cfg, char *err, size_t errlen)
{
	char e[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		sw_tls_errstr(e, sizeof(e), "out of memory");
		snprintf(err, errlen, "SSL_CTX_new: %s", e);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* RELEASE_BUFFERS keeps idle connections small (the 16 KiB record
	 * buffers are freed between reads); PARTIAL/MOVING let us write straight
	 * from evbuffer chunks whose address may change between retries. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Read-ahead fetches whole socket contents per read() instead of one
	 * syscall for each record header and body; the client drains SSL_read
	 * until WANT_READ, so nothing is left behind in the SSL buffer. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_IGNORE_UNEXPECTED_EOF);

	if (cfg->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (cfg->ca_pem) {
			if (load_ca_pem(ctx, cfg->ca_pem) == 0) {
				sw_tls_errstr(e, sizeof(e), "no certificate found");
				snprintf(err, errlen, "CA data: %s", e);
				goto fail;
			}
		} else if (cfg->ca_file) {
			if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
				sw_tls_errstr(e, sizeof(e), "unreadable");
				snprintf(err, errlen, "ca_file %s: %s", cfg->ca_file, e);
				goto fail;
			}
		} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
			sw_tls_errstr(e, sizeof(e), "failed");
			snprintf(err, errlen, "default CA store: %s", e);
			goto fail;
		}
	}
	if (cfg->cert_pem || cfg->key_pem) {
		if (!cfg->cert_pem || !cfg->key_pem) {
			snprintf(err, errlen, "client certificate and key data must be given together");
			goto fail;
		}
		if (!use_cert_pem(ctx, cfg->cert_pem)) {
			sw_tls_errstr(e, sizeof(e), "no certificate found");
			snprintf(err, errlen, "client certificate data: %s", e);
			goto fail;
		}
		if (!use_key_pem(ctx, cfg->key_pem)) {
			sw_tls_errstr(e, sizeof(e), "no private key found");
			snprintf(err, errlen, "client key data: %s", e);
			goto fail;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			sw_tls_errstr(e, sizeof(e), "mismatch");
			snprintf(err, errlen, "client key data does not match the certificate: %s", e);
			goto fail;
		}
	} else if (cfg->cert_file || cfg->key_file) {
		if (!cfg->cert_file || !cfg->key_file) {
			snprintf(err, errlen, "cert_file and key_file must be given together");
			goto fail;
		}
		if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
			sw_tls_errstr(e, sizeof(e), "unreadable");
			snprintf(err, errlen, "cert_file %s: %s", cfg->cert_file, e);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
			sw_tls_errstr(e, sizeof(e), "unreadable");
			snprintf(err, errlen, "key_file %s: %s", cfg->key_file, e);
			goto fail;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			sw_tls_errstr(e, sizeof(e), "mismatch");
			snprintf(err, errlen, "key_file %s does not match cert_file %s: %s",
			         cfg->key_file, cfg->cert_file, e);
			goto fail;
		}
	}

	static const unsigned char alpn_auto[] = "\x02h2\x08http/1.1";
	static const unsigned char alpn_h2[] = "\x02h2";
	static const unsigned char alpn_h1[] = "\x08http/1.1";
	int rv;
	if (cfg->proto == SW_PROTO_H2)
		rv = SSL_CTX_set_alpn_protos(ctx, alpn_h2, sizeof(alpn_h2) - 1);
	else if (cfg->proto == SW_PROTO_H1)
		rv = SSL_CTX_set_alpn_protos(ctx, alpn_h1, sizeof(alpn_h1) - 1);
	else
		rv = SSL_CTX_set_alpn_protos(ctx, alpn_auto, sizeof(alpn_auto) - 1);
	if (rv != 0) {
		snprintf(err, errlen, "ALPN set-up failed");
		goto fail;
	}
	if (!cfg->no_session_resumption)
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int sw_tls_prepare(SSL *ssl, const char *host, int is_ip, const char *sni, int insecure)
{
	const char *name = sni ? sni : (is_ip ? NULL : host);
	if (name && SSL_set_tlsext_host_name(ssl, name) != 1)
		return SW_ERR_TLS;
	if (insecure)
		return 0;
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
			return SW_ERR_TLS;
	} else {
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
			return SW_ERR_TLS;
	}
	return 0;
}
