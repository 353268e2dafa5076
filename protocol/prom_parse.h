/*
 * prom_parse: reader of the Prometheus text exposition format (0.0.4), the
 * counterpart of prom.h: the swarm scrapes a service's /metrics with it.
 * Strict and bounded: a line longer than PROM_PARSE_MAX_LINE, more than
 * PROM_PARSE_MAX_LABELS labels, a bad name, label or value is an error
 * naming the line; nothing is allocated but one line buffer.
 */
#ifndef PROM_PARSE_H
#define PROM_PARSE_H

#include <stddef.h>

#define PROM_PARSE_MAX_LINE 16384
#define PROM_PARSE_MAX_LABELS 32

/* One sample: |labels| holds |nlabels| name/value pairs (labels[2i],
 * labels[2i+1], unescaped), valid during the call. Return nonzero to stop. */
typedef int (*prom_sample_fn)(void *arg, const char *name, const char *const *labels,
                              size_t nlabels, double value);
/* A "# TYPE name type" line. Return nonzero to stop. May be NULL. */
typedef int (*prom_type_fn)(void *arg, const char *name, const char *type);

/*
 * Parses |len| bytes of |text|, calling |on_type| and |on_sample| in order.
 * Returns 0 (also when a callback stopped it), or SW_ERR_PARSE with
 * "line N: why" in |err|, or SW_ERR_NOMEM.
 */
int prom_parse(const char *text, size_t len, prom_type_fn on_type, prom_sample_fn on_sample,
               void *arg, char *err, size_t errlen);

#endif
