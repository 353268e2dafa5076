/* sw_url: service URL parsing (see sw_url.h). */
#include "sw_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_err.h"

static int url_err(char *err, size_t errlen, const char *url, const char *what)
{
	(void)url;
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return SW_ERR_INVALID;
}

/* Characters of a host name or of an IPv4 / IPv6 literal (zone ids aside). */
static int host_char(char ch, int v6)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || (v6 && ch == ':');
}

int sw_url_parse(const char *url, struct sw_url *u, char *err, size_t errlen)
{
	const char *p, *hs, *he, *auth_end;

	memset(u, 0, sizeof(*u));
	if (!url)
		return url_err(err, errlen, "(null)", "no URL");
	if (strncasecmp(url, "https://", 8) == 0) {
		u->tls = 1;
		u->port = 443;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		u->port = 80;
		p = url + 7;
	} else {
		return url_err(err, errlen, url, "scheme must be http:// or https://");
	}
	/* The authority ends at the first '/', '?' or '#'; an '@' inside it
	 * is user info (RFC 3986 §3.2.1), which would otherwise be read as a
	 * host and a strange port. */
	auth_end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(auth_end - p)))
		return url_err(err, errlen, url, "user info in URL not supported; use auth keys");
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(auth_end - hs));
		if (!he)
			return url_err(err, errlen, url, "unterminated [IPv6] host");
		u->v6 = 1;
		p = he + 1;
	} else {
		hs = p;
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	if (he == hs)
		return url_err(err, errlen, url, "no host");
	if ((size_t)(he - hs) >= sizeof(u->host))
		return url_err(err, errlen, url, "host longer than 255 bytes");
	for (const char *q = hs; q < he; q++)
		if (!host_char(*q, u->v6))
			return url_err(err, errlen, url, "bad character in host");
	memcpy(u->host, hs, (size_t)(he - hs));
	u->host[he - hs] = '\0';
	if (*p == ':') {
		char *end;
		unsigned long v;
		if (p[1] < '0' || p[1] > '9')
			return url_err(err, errlen, url, "bad port (expected 1-65535)");
		v = strtoul(p + 1, &end, 10);
		if (v == 0 || v > 65535 || (*end && !strchr("/?#", *end)))
			return url_err(err, errlen, url, "bad port (expected 1-65535)");
		u->port = (unsigned)v;
		p = end;
	} else if (*p && !strchr("/?#", *p)) {
		return url_err(err, errlen, url, "bad host");
	}
	/* The rest goes into request lines: a space or control byte there
	 * would split or smuggle a request (HTTP/1.1). */
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return url_err(err, errlen, url, "space, control or non-ASCII byte in path (percent-encode it)");
	u->rest = p;
	return 0;
}
