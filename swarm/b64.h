/*
 * b64: base64 both ways (standard alphabet with padding, and the URL-safe
 * alphabet of JWTs), on OpenSSL's encoder and decoder: kubeconfig *-data
 * fields, Secret data, the claims of the infra-env token in an ISO URL.
 */
#ifndef SWARM_B64_H
#define SWARM_B64_H

#include <stddef.h>

/* Standard base64 of |n| bytes of |data|, NUL-terminated. Never NULL
 * (aborts when out of memory). Frees: free(). */
char *b64_encode(const void *data, size_t n);

/* Decodes |len| characters of standard base64 (whitespace ignored, padding
 * required as written by encoders), or of base64url when |url| (padding
 * optional). Returns the bytes, NUL-terminated, with their count in |*out_len|,
 * or NULL when the text is not valid base64. Frees: free(). */
char *b64_decode(const char *s, size_t len, int url, size_t *out_len);

#endif
