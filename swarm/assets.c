/*
 * assets: generated upload bodies (see assets.h). The archive is a ustar
 * header, one data block and the two zero blocks that end an archive,
 * gzip-compressed; its fixed mtime keeps it identical between runs. The CA
 * only has to parse as a CA certificate on the service's side.
 */
#include "assets.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "sw_xalloc.h"

void assets_free(struct assets *a)
{
	if (!a)
		return;
	free(a->logs_tgz);
	a->logs_tgz = NULL;
	a->logs_tgz_len = 0;
	free(a->ingress_ca);
	a->ingress_ca = NULL;
}

static void tar_octal(char *field, size_t width, unsigned long long v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, v);
}

const unsigned char *assets_logs_tgz(struct assets *a, size_t *len)
{
	static const char content[] =
		"swarm emulated host: dry-run installer logs\n"
		"Read disk 3.7 GiB/3.7 GiB (100%)\n";
	unsigned char tar[512 * 4];
	unsigned char *hdr = tar;
	unsigned sum = 0;
	size_t i, clen = sizeof(content) - 1, cap;
	z_stream zs;

	if (a->logs_tgz) {
		*len = a->logs_tgz_len;
		return a->logs_tgz;
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
	a->logs_tgz = xmalloc(cap);
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		x_oom(cap);
	zs.next_in = tar;
	zs.avail_in = sizeof(tar);
	zs.next_out = a->logs_tgz;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(a->logs_tgz);
		a->logs_tgz = NULL;
		*len = 0;
		return NULL;
	}
	a->logs_tgz_len = zs.total_out;
	deflateEnd(&zs);
	*len = a->logs_tgz_len;
	return a->logs_tgz;
}

const char *assets_ingress_ca(struct assets *a, struct ids_rng *rng)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	BIO *bio = NULL;
	char *data;
	long n;

	if (a->ingress_ca)
		return a->ingress_ca;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	bio = BIO_new(BIO_s_mem());
	if (!key || !x || !bio)
		goto out;
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(ids_rng_next(rng) & 0x7fffffff)) ||
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
		a->ingress_ca = xmalloc((size_t)n + 1);
		memcpy(a->ingress_ca, data, (size_t)n);
		a->ingress_ca[n] = 0;
	}
out:
	X509_EXTENSION_free(ext);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
	return a->ingress_ca;
}
