/*
 * sw_url: the one parser of the service URLs the swarm is given
 * ("http[s]://host[:port][/path]"), used by sw_client and by the config
 * loader (so a bad URL is reported at its FILE:LINE:COL before any client
 * exists). Pure string work; no resolver, no allocation.
 */
#ifndef SW_URL_H
#define SW_URL_H

#include <stddef.h>

struct sw_url {
	int tls;                 /* https:// */
	char host[256];          /* without the brackets of an IPv6 literal */
	unsigned port;           /* the explicit port, else 80 / 443 */
	int v6;                  /* the host was an [IPv6] literal */
	const char *rest;        /* into the parsed string: path, query or "" */
};

/*
 * Parses |url| into |*u|. Returns 0, or SW_ERR_INVALID with a message in
 * |err| (the reason alone; callers add where the URL came from) naming the
 * part that is wrong: the scheme (only http:// and
 * https://), user info ("user info in URL not supported; use auth keys"),
 * an empty or over-long host, a host with characters no host name or IP
 * literal has, an unterminated [IPv6] literal, a port that is not
 * 1..65535, or a path with a space, control or non-ASCII byte (it would
 * travel in a request line).
 */
int sw_url_parse(const char *url, struct sw_url *u, char *err, size_t errlen);

#endif
