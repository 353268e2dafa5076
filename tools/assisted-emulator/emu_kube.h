/*
 * emu_kube: the emulator's kube-api listener (--kube-api): a second
 * sw_server on its own address serving the emulated hub (tools/emulator-hub),
 * with its TLS files, bearer token (--kube-token / --kube-token-file), watch
 * window and bookmark period, and the --fault-* rules that select kube
 * requests ("kube:VERB/RESOURCE"), counted in the emulator's fault metrics;
 * and the emulated controllers (tools/emulator-ctrl) on that hub and the
 * emulator's service model.
 */
#ifndef EMU_KUBE_H
#define EMU_KUBE_H

#include <stdint.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "emu_faults.h"
#include "emu_metrics.h"
#include "ctl.h"
#include "hub.h"

struct emu_kube_cfg {
	struct event_base *base;
	const char *listen;          /* ADDR:PORT */
	const char *cert_file, *key_file;  /* TLS when set */
	const char *token;           /* bearer token, or NULL */
	const char *token_file;      /* file whose first line is the token, or NULL */
	size_t watch_window;         /* 0 = hub default */
	uint64_t bookmark_ns;        /* 0 = hub default */
	uint64_t seed;
	unsigned idle_timeout_ms, h2_max_streams;  /* 0 = server defaults */
	struct emu_faults *faults;   /* borrowed, may be NULL */
	struct emu_metrics *metrics; /* borrowed, may be NULL: fault counts */
	/* the controllers: ctl.model NULL = none; hub and base are filled here */
	struct ctl_cfg ctl;
};

struct emu_kube;

/* Creates the hub and its listener. Returns NULL with a message in |err|
 * naming the file or address. Frees: emu_kube_free(). */
struct emu_kube *emu_kube_start(const struct emu_kube_cfg *cfg, char *err, size_t errlen);
/* Port actually bound. */
int emu_kube_port(const struct emu_kube *k);
/* The hub (for the controllers and /metrics). */
struct hub *emu_kube_hub(struct emu_kube *k);
/* Appends the hub's metric families (an emu_front extra-metrics hook; |arg| = the emu_kube). */
void emu_kube_metrics(void *arg, struct evbuffer *out);
/* Stops the hub, then its server; *kp = NULL. NULL-safe. */
void emu_kube_free(struct emu_kube **kp);

#endif
