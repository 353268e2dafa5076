/*
 * b64: see b64.h. OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock do the work;
 * this adds what they leave out: whitespace (PEM-style line breaks in
 * kubeconfig data), the URL-safe alphabet and its optional padding, and the
 * true length after padding (EVP_DecodeBlock counts padding as zero bytes).
 */
#include "b64.h"

#include <string.h>
#include <openssl/evp.h>

#include "sw_xalloc.h"

char *b64_encode(const void *data, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	out[len < 0 ? 0 : len] = '\0';
	return out;
}

char *b64_decode(const char *s, size_t len, int url, size_t *out_len)
{
	char *clean = xmalloc(len + 4);
	size_t n = 0, pad = 0;
	char *out;
	int got;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (url) {
			if (ch == '+' || ch == '/')
				goto bad; /* not of this alphabet */
			if (ch == '-')
				ch = '+';
			else if (ch == '_')
				ch = '/';
		}
		clean[n++] = ch;
	}
	if (url)
		while (n % 4)
			clean[n++] = '=';
	if (n % 4)
		goto bad;
	while (pad < 2 && n > pad && clean[n - 1 - pad] == '=')
		pad++;
	out = xmalloc(n / 4 * 3 + 1);
	got = n ? EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean, (int)n) : 0;
	free(clean);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return NULL;
	}
	got -= (int)pad;
	out[got] = '\0';
	if (out_len)
		*out_len = (size_t)got;
	return out;
bad:
	free(clean);
	return NULL;
}
