/*
 * kubeconfig: how the swarm reaches the hub in kube mode. Finds and reads a
 * kubeconfig (libyaml) the way kubectl does for one file: the service
 * config's `kubeconfig`, else the first existing file of $KUBECONFIG, else
 * ~/.kube/config; its current-context names a cluster (server,
 * certificate-authority or certificate-authority-data,
 * insecure-skip-tls-verify, tls-server-name) and a user (token or tokenFile,
 * client-certificate(-data) and client-key(-data)). With no kubeconfig
 * file at all, the in-cluster service account of a pod:
 * KUBERNETES_SERVICE_HOST/PORT and the mounted token and ca.crt (their
 * folder, /var/run/secrets/kubernetes.io/serviceaccount, can be moved with
 * SWARM_SERVICEACCOUNT_DIR for tests).
 *
 * Relative file paths in a kubeconfig are relative to its folder, as
 * kubectl resolves them. exec and auth-provider plugins are not run.
 */
#ifndef SWARM_KUBECONFIG_H
#define SWARM_KUBECONFIG_H

#include <stddef.h>
#include "sw_client.h"

#define KUBECONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kubeconfig {
	char *source;        /* the file read, or "in-cluster service account (DIR)" */
	char *context;       /* context used (NULL in-cluster) */
	char *server;        /* "https://host:port" */
	char *tls_server_name;
	char *ca_file;       /* certificate-authority (resolved), or NULL */
	char *ca_pem;        /* certificate-authority-data (decoded), or NULL */
	char *cert_file, *key_file;
	char *cert_pem, *key_pem;
	char *token;         /* bearer token (token, or tokenFile's first line) */
	int insecure;        /* insecure-skip-tls-verify */
};

/*
 * Finds and loads the hub connection into |out| (zeroed first): |path| is
 * the service config's `kubeconfig` (NULL: $KUBECONFIG, ~/.kube/config,
 * then in-cluster). Returns 0; SW_ERR_PARSE for a malformed kubeconfig
 * (message "FILE:LINE:COL: ..."; the swarm exits 2); or another negative
 * code for a missing or unusable one (no file, no context, a context naming
 * no cluster or user, an unreadable token, CA or certificate file, an
 * unsupported auth plugin; the swarm exits 4), the message in |err|.
 * |out| is freed on failure.
 */
int kubeconfig_load(const char *path, struct kubeconfig *out, char *err, size_t errlen);

/* Fills |cfg| (sw_client_cfg_init first) with the server and TLS settings of
 * |kc|; the strings stay owned by |kc|. */
void kubeconfig_client_cfg(const struct kubeconfig *kc, struct sw_client_cfg *cfg);

/* Frees the strings (NULL-safe, idempotent). */
void kubeconfig_free(struct kubeconfig *kc);

#endif
