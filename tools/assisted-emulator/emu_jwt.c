#include "emu_jwt.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* Tokens longer than this are refused before any decoding (a peer can not
 * make us allocate much). */
#define JWT_MAX_LEN 8192
#define ES256_SIG_LEN 64

struct emu_jwt_key {
	EVP_PKEY *pkey;
};

struct emu_jwt_key *emu_jwt_key_new(void)
{
	struct emu_jwt_key *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->pkey = EVP_EC_gen("P-256");
	if (!k->pkey) {
		free(k);
		return NULL;
	}
	return k;
}

void emu_jwt_key_free(struct emu_jwt_key **kp)
{
	if (!kp || !*kp)
		return;
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

struct emu_jwt_key *emu_jwt_key_from_pem(const char *pem, size_t len)
{
	if (!pem || len > INT32_MAX)
		return NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	/* Only the kind of key this module makes: EC on P-256. */
	char group[32];
	size_t glen = 0;
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	struct emu_jwt_key *k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	k->pkey = pk;
	return k;
}

int emu_jwt_key_pem(const struct emu_jwt_key *key, char **out)
{
	if (!key || !out)
		return SW_ERR_INVALID;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return SW_ERR_NOMEM;
	int rv = SW_ERR_TLS;
	char *data = NULL;
	if (PEM_write_bio_PrivateKey(b, key->pkey, NULL, NULL, 0, NULL, NULL) == 1) {
		long n = BIO_get_mem_data(b, &data);
		*out = n > 0 ? malloc((size_t)n + 1) : NULL;
		if (!*out) {
			rv = SW_ERR_NOMEM;
		} else {
			memcpy(*out, data, (size_t)n);
			(*out)[n] = '\0';
			rv = 0;
		}
	}
	BIO_free(b);
	return rv;
}

int emu_b64url_encode(const void *in, size_t len, char *out, size_t outlen)
{
	size_t need = 4 * ((len + 2) / 3) + 1; /* EVP_EncodeBlock writes padding and NUL */
	if (need > outlen || len > INT32_MAX)
		return SW_ERR_TOO_BIG;
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return n;
}

int emu_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1 || len > JWT_MAX_LEN)
		return SW_ERR_PARSE;
	size_t padded = (len + 3) / 4 * 4;
	size_t pad = padded - len;
	if (padded / 4 * 3 > outlen + pad)
		return SW_ERR_TOO_BIG;
	char tmp[JWT_MAX_LEN + 4];
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			return SW_ERR_PARSE; /* standard alphabet is not base64url */
		tmp[i] = c;
	}
	memset(tmp + len, '=', pad);
	if (padded == 0)
		return 0;
	unsigned char buf[JWT_MAX_LEN];
	int n = EVP_DecodeBlock(buf, (const unsigned char *)tmp, (int)padded);
	if (n < 0)
		return SW_ERR_PARSE;
	n -= (int)pad;
	if ((size_t)n > outlen)
		return SW_ERR_TOO_BIG;
	memcpy(out, buf, (size_t)n);
	return n;
}

/* Converts a DER ECDSA signature into the JOSE raw r||s form (RFC 7518 §3.4). */
static int der_to_raw(const unsigned char *der, size_t derlen, unsigned char raw[ES256_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (!sig)
		return SW_ERR_TLS;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG_get0(sig, &r, &s);
	int ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : SW_ERR_TLS;
}

/* The reverse, for EVP_DigestVerify. Returns the DER length or a negative code. */
static int raw_to_der(const unsigned char raw[ES256_SIG_LEN], unsigned char *der, size_t derlen)
{
	int rv = SW_ERR_NOMEM;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL);
	BIGNUM *s = BN_bin2bn(raw + 32, 32, NULL);
	if (!sig || !r || !s)
		goto out;
	if (!ECDSA_SIG_set0(sig, r, s))
		goto out;
	r = s = NULL; /* owned by sig now */
	int n = i2d_ECDSA_SIG(sig, NULL);
	if (n <= 0 || (size_t)n > derlen) {
		rv = SW_ERR_TOO_BIG;
		goto out;
	}
	unsigned char *p = der;
	rv = i2d_ECDSA_SIG(sig, &p);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rv;
}

int emu_jwt_sign(const struct emu_jwt_key *key, const char *claim, const char *value,
                 char *out, size_t outlen)
{
	static const char header[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
	if (!key || !claim || !value || !out)
		return SW_ERR_INVALID;
	int rv = SW_ERR_NOMEM;
	char *payload = NULL;
	EVP_MD_CTX *ctx = NULL;
	json_t *obj = json_pack("{ss}", claim, value);
	if (!obj)
		goto out;
	payload = json_dumps(obj, JSON_COMPACT);
	if (!payload)
		goto out;
	int hl = emu_b64url_encode(header, sizeof(header) - 1, out, outlen);
	if (hl < 0 || (size_t)hl + 1 >= outlen) {
		rv = SW_ERR_TOO_BIG;
		goto out;
	}
	out[hl] = '.';
	int pl = emu_b64url_encode(payload, strlen(payload), out + hl + 1, outlen - (size_t)hl - 1);
	if (pl < 0) {
		rv = pl;
		goto out;
	}
	size_t signed_len = (size_t)hl + 1 + (size_t)pl;
	unsigned char der[128];
	size_t derlen = sizeof(der);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)out, signed_len) != 1) {
		rv = SW_ERR_TLS;
		goto out;
	}
	unsigned char raw[ES256_SIG_LEN];
	rv = der_to_raw(der, derlen, raw);
	if (rv < 0)
		goto out;
	if (signed_len + 1 >= outlen) {
		rv = SW_ERR_TOO_BIG;
		goto out;
	}
	out[signed_len] = '.';
	int sl = emu_b64url_encode(raw, sizeof(raw), out + signed_len + 1, outlen - signed_len - 1);
	if (sl < 0) {
		rv = sl;
		goto out;
	}
	rv = (int)(signed_len + 1 + (size_t)sl);
out:
	EVP_MD_CTX_free(ctx);
	free(payload);
	json_decref(obj);
	return rv;
}

static void set_reason(char *reason, size_t len, const char *msg)
{
	if (reason && len)
		snprintf(reason, len, "%s", msg);
}

/* Decodes one segment as a JSON object. */
static json_t *decode_json_segment(const char *seg, size_t len, char *reason, size_t rlen)
{
	unsigned char buf[JWT_MAX_LEN];
	int n = emu_b64url_decode(seg, len, buf, sizeof(buf));
	if (n < 0) {
		set_reason(reason, rlen, "illegal base64 data at input byte 0");
		return NULL;
	}
	json_error_t jerr;
	json_t *j = json_loadb((const char *)buf, (size_t)n, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		set_reason(reason, rlen, "invalid character looking for beginning of value");
		return NULL;
	}
	return j;
}

static void copy_claim(json_t *claims, const char *name, char *dst, size_t dstlen)
{
	const char *v = json_string_value(json_object_get(claims, name));
	dst[0] = '\0';
	if (v && strlen(v) < dstlen)
		memcpy(dst, v, strlen(v) + 1);
}

int emu_jwt_verify(const struct emu_jwt_key *key, const char *token, size_t len, int64_t now_s,
                   struct emu_jwt_claims *claims, char *reason, size_t reasonlen)
{
	int rv = SW_ERR_INVALID;
	json_t *hdr = NULL, *cl = NULL;
	EVP_MD_CTX *ctx = NULL;
	if (!key || !token || !claims) {
		set_reason(reason, reasonlen, "invalid arguments");
		return SW_ERR_INVALID;
	}
	memset(claims, 0, sizeof(*claims));
	if (len > JWT_MAX_LEN) {
		set_reason(reason, reasonlen, "token too long");
		return SW_ERR_INVALID;
	}
	const char *d1 = memchr(token, '.', len);
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
		set_reason(reason, reasonlen, "token contains an invalid number of segments");
		return SW_ERR_INVALID;
	}
	hdr = decode_json_segment(token, (size_t)(d1 - token), reason, reasonlen);
	if (!hdr)
		goto out;
	cl = decode_json_segment(d1 + 1, (size_t)(d2 - d1 - 1), reason, reasonlen);
	if (!cl)
		goto out;
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	if (!alg || strcmp(alg, "ES256") != 0) {
		char msg[160];
		snprintf(msg, sizeof(msg), "signing method %.64s is invalid", alg ? alg : "(none)");
		set_reason(reason, reasonlen, msg);
		goto out;
	}
	unsigned char raw[ES256_SIG_LEN + 4];
	int sl = emu_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), raw, sizeof(raw));
	if (sl != ES256_SIG_LEN) {
		set_reason(reason, reasonlen, sl < 0 ? "illegal base64 data at input byte 0"
		                                     : "crypto/ecdsa: verification error");
		goto out;
	}
	unsigned char der[128];
	int dl = raw_to_der(raw, der, sizeof(der));
	if (dl < 0) {
		rv = dl == SW_ERR_NOMEM ? SW_ERR_NOMEM : SW_ERR_INVALID;
		set_reason(reason, reasonlen, "crypto/ecdsa: verification error");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rv = SW_ERR_NOMEM;
		set_reason(reason, reasonlen, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestVerify(ctx, der, (size_t)dl, (const unsigned char *)token,
	                     (size_t)(d2 - token)) != 1) {
		set_reason(reason, reasonlen, "crypto/ecdsa: verification error");
		goto out;
	}
	json_t *exp = json_object_get(cl, "exp");
	if (json_is_number(exp) && (double)now_s > json_number_value(exp)) {
		set_reason(reason, reasonlen, "Token is expired");
		goto out;
	}
	json_t *nbf = json_object_get(cl, "nbf");
	if (json_is_number(nbf) && (double)now_s < json_number_value(nbf)) {
		set_reason(reason, reasonlen, "Token is not valid yet");
		goto out;
	}
	copy_claim(cl, "infra_env_id", claims->infra_env_id, sizeof(claims->infra_env_id));
	copy_claim(cl, "cluster_id", claims->cluster_id, sizeof(claims->cluster_id));
	rv = 0;
out:
	EVP_MD_CTX_free(ctx);
	json_decref(hdr);
	json_decref(cl);
	return rv;
}
