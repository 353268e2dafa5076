/* assets: the logs archive is a gzip'd ustar archive with one file; the
 * ingress CA is a self-signed EC P-256 CA certificate; both built once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "assets.h"

static void test_logs_tgz(void **state)
{
	struct assets a;
	const unsigned char *tgz;
	unsigned char tar[4096];
	size_t len = 0, len2 = 0;
	unsigned sum = 0, want;
	z_stream zs;
	(void)state;

	memset(&a, 0, sizeof(a));
	tgz = assets_logs_tgz(&a, &len);
	assert_non_null(tgz);
	assert_true(len > 20 && tgz[0] == 0x1f && tgz[1] == 0x8b); /* gzip */
	assert_ptr_equal(assets_logs_tgz(&a, &len2), tgz);          /* built once */
	assert_int_equal(len2, len);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (unsigned char *)tgz;
	zs.avail_in = (uInt)len;
	zs.next_out = tar;
	zs.avail_out = sizeof(tar);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, 2048); /* header, one data block, two zero blocks */
	inflateEnd(&zs);
	assert_string_equal((char *)tar, "logs/installer.log");
	assert_memory_equal(tar + 257, "ustar", 6);
	for (size_t i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : tar[i];
	want = (unsigned)strtoul((char *)tar + 148, NULL, 8);
	assert_int_equal(sum, want);
	assert_int_equal(strtoul((char *)tar + 124, NULL, 8), strlen((char *)tar + 512));
	assert_non_null(strstr((char *)tar + 512, "dry-run installer logs"));
	for (size_t i = 1024; i < 2048; i++)
		assert_int_equal(tar[i], 0);
	assets_free(&a);
	assert_null(a.logs_tgz);
	assets_free(&a);
	assets_free(NULL);
}

static void test_ingress_ca(void **state)
{
	struct assets a;
	struct ids_rng rng;
	const char *pem;
	BIO *bio;
	X509 *x;
	EVP_PKEY *key;
	char cn[64];
	(void)state;

	memset(&a, 0, sizeof(a));
	ids_rng_seed(&rng, 7);
	pem = assets_ingress_ca(&a, &rng);
	assert_non_null(pem);
	assert_ptr_equal(assets_ingress_ca(&a, &rng), pem);
	bio = BIO_new_mem_buf(pem, -1);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	assert_true(X509_check_ca(x) > 0);
	key = X509_get0_pubkey(x);
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(key), 256);
	assert_int_equal(X509_verify(x, key), 1); /* self-signed */
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
	                                      sizeof(cn)) > 0);
	assert_string_equal(cn, "ingress-operator@swarm");
	X509_free(x);
	BIO_free(bio);
	assets_free(&a);
	assert_null(a.ingress_ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logs_tgz),
		cmocka_unit_test(test_ingress_ca),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
