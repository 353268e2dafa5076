/*
 * sw_tls: OpenSSL set-up for the client side of protocol/.
 *
 * Owns: building the client SSL_CTX from an sw_client_cfg (verification,
 * CA store, client certificate and key, ALPN offer, memory-saving modes,
 * client session cache mode) and preparing one SSL object for one
 * connection (SNI, host name / IP verification). Sockets, I/O and the
 * session store itself live in sw_client.c.
 */
#ifndef SW_TLS_H
#define SW_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "sw_client.h"

/*
 * Creates an SSL_CTX for |cfg| (TLS >= 1.2, peer verification unless
 * cfg->insecure, cfg->ca_file or the default paths, client cert/key, ALPN
 * list derived from cfg->proto). On failure returns NULL and writes a
 * message naming the file or option into |err| (|errlen| bytes).
 * Frees: SSL_CTX_free().
 */
SSL_CTX *sw_tls_ctx_new(const struct sw_client_cfg *cfg, char *err, size_t errlen);

/*
 * Prepares |ssl| for a connection to |host| (|is_ip| nonzero for an IP
 * literal): SNI (|sni| if set, else |host| unless it is an IP) and, unless
 * |insecure|, host name or IP verification. Returns 0 or SW_ERR_TLS.
 */
int sw_tls_prepare(SSL *ssl, const char *host, int is_ip, const char *sni, int insecure);

/* Writes the first queued OpenSSL error (or |fallback|) into |buf| and clears
 * the thread's error queue. */
void sw_tls_errstr(char *buf, size_t len, const char *fallback);

#endif
