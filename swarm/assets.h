/*
 * assets: the generated files the emulated hosts and controller upload,
 * built once per shard on first use and kept until the shard ends:
 *  - a tiny logs archive (.tar.gz with one file, logs/installer.log), the
 *    body of every host and controller log upload;
 *  - a self-signed ingress CA certificate (EC P-256, CA:TRUE, PEM), the
 *    body of the controller's ingress-cert upload.
 * Owned by the shard's runtime (rt->assets); not thread-safe.
 */
#ifndef SWARM_ASSETS_H
#define SWARM_ASSETS_H

#include <stddef.h>
#include "ids.h"

struct assets {
	unsigned char *logs_tgz;
	size_t logs_tgz_len;
	char *ingress_ca;                /* PEM certificate */
};

/* Returns the logs archive (built on first use) and stores its length in
 * |*len|; NULL (|*len| 0) when zlib failed to build it. Owned by |a|. */
const unsigned char *assets_logs_tgz(struct assets *a, size_t *len);

/* Returns the ingress CA certificate in PEM (made on first use, its serial
 * number drawn from |rng|), or NULL when OpenSSL failed to make it (tried
 * again on the next call). Owned by |a|. */
const char *assets_ingress_ca(struct assets *a, struct ids_rng *rng);

/* Frees what |a| built; |a| stays usable (empty). NULL-safe. */
void assets_free(struct assets *a);

#endif
