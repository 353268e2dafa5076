/*
 * emu_jwt: the ES256 JSON Web Tokens of the service's "local" auth mode
 * (protocol/README.md §2): an EC P-256 key pair generated at start (OpenSSL 3
 * EVP), tokens "base64url(header).base64url(claims).base64url(r||s)" with
 * header {"alg":"ES256","typ":"JWT"} and one string claim such as
 * {"infra_env_id":"<uuid>"}, and their verification with the error texts
 * of the Go jwt library the service uses. No I/O, no global state.
 */
#ifndef EMU_JWT_H
#define EMU_JWT_H

#include <stddef.h>
#include <stdint.h>

struct emu_jwt_key;

/* Generates a fresh P-256 key pair. Returns NULL on failure (OpenSSL error
 * or allocation). Frees: emu_jwt_key_free(). */
struct emu_jwt_key *emu_jwt_key_new(void);
/* Frees |*kp| and sets it to NULL. NULL-safe. */
void emu_jwt_key_free(struct emu_jwt_key **kp);

/* Loads a P-256 private key from PEM text (|len| bytes; what
 * emu_jwt_key_pem() wrote). Returns NULL when it is not one. */
struct emu_jwt_key *emu_jwt_key_from_pem(const char *pem, size_t len);
/* Writes the private key as PEM into a malloc'ed string *|out| (caller frees).
 * Returns 0, SW_ERR_NOMEM or SW_ERR_TLS. */
int emu_jwt_key_pem(const struct emu_jwt_key *key, char **out);

/*
 * Signs a token whose claims are {|claim|: |value|} into |out| (|outlen|
 * bytes, NUL-terminated; 512 is plenty for a UUID value). Returns the token
 * length (> 0), SW_ERR_TOO_BIG when |out| is too small, SW_ERR_INVALID for
 * NULL arguments, SW_ERR_NOMEM/SW_ERR_TLS when OpenSSL fails.
 */
int emu_jwt_sign(const struct emu_jwt_key *key, const char *claim, const char *value,
                 char *out, size_t outlen);

/* What a verified token claims (the two claims the service reads). */
struct emu_jwt_claims {
	char infra_env_id[64];   /* "" when absent */
	char cluster_id[64];     /* "" when absent */
};

/*
 * Verifies |token| (|len| bytes, not necessarily NUL-terminated): three
 * base64url segments, header alg ES256, a valid signature by |key|, a JSON
 * object as claims, and "exp"/"nbf" against |now_s| (wall clock) when present.
 * On success fills |claims| and returns 0. Otherwise returns SW_ERR_INVALID
 * (or SW_ERR_NOMEM) and writes the Go-style reason ("token contains an invalid
 * number of segments", "signing method HS256 is invalid",
 * "crypto/ecdsa: verification error", "Token is expired", ...) into |reason|.
 */
int emu_jwt_verify(const struct emu_jwt_key *key, const char *token, size_t len, int64_t now_s,
                   struct emu_jwt_claims *claims, char *reason, size_t reasonlen);

/*
 * base64url without padding: encodes |len| bytes of |in| into |out|
 * (NUL-terminated). Returns the encoded length or SW_ERR_TOO_BIG.
 */
int emu_b64url_encode(const void *in, size_t len, char *out, size_t outlen);
/* Decodes |len| chars of base64url (padding optional) into |out|. Returns the
 * decoded length, SW_ERR_TOO_BIG, or SW_ERR_PARSE for an illegal character/length. */
int emu_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outlen);

#endif
