/*
 * svcmetrics: the optional scrape of the service's own /metrics during a
 * run (service config `service_metrics: {url, interval, families}`). Runs on
 * the main thread's event loop with its own sw_client, so the shards never
 * wait for it; keeps only the listed metric names (at most
 * SVCM_MAX_SAMPLES series each) and hands every successful scrape to the
 * time series (series_set_service_metrics()), where the interval it falls
 * in records it. Also the URL helpers the Pushgateway client shares.
 */
#ifndef SWARM_SVCMETRICS_H
#define SWARM_SVCMETRICS_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <jansson.h>
#include "config.h"
#include "series.h"

#define SVCM_MAX_SAMPLES 32
#define SVCM_MAX_BODY (16u << 20)

struct svcm;

/*
 * Starts scraping |svc|->service_metrics on |base| (first scrape at once,
 * then every interval). |ser| (may be NULL: counted, not recorded) is
 * borrowed and must outlive the scraper. Returns NULL with a message naming
 * the config key in |err| on failure. Frees: svcm_free().
 */
struct svcm *svcm_new(struct event_base *base, const struct swarm_service *svc, struct series *ser,
                      char *err, size_t errlen);
/* Stops and frees (a scrape in flight is cancelled). NULL-safe; sets *mp = NULL. */
void svcm_free(struct svcm **mp);
/* {"url", "interval_seconds", "families", "scrapes", "failures", "last_error"}. */
json_t *svcm_status_json(const struct svcm *m);

/*
 * Parses one exposition |text| and returns the compact JSON object text
 * {"<family>": {"type": "counter", "samples": [{"labels": {...}, "value": v}],
 * "dropped": n}} of the |nfam| names in |fam| (malloc'd), or NULL with a
 * message in |err| (bad exposition or no memory).
 */
char *svcm_extract(const char *text, size_t len, char *const *fam, size_t nfam, char *err,
                   size_t errlen);

/* The path (with query) of an http(s) URL, "/" when it has none. */
const char *svcm_url_path(const char *url);
/* An sw_client for |url| on |base| with |svc|'s TLS settings (CA,
 * client certificate, insecure) and |timeout_ms| per request. NULL with a
 * message in |err|. Frees: sw_client_free(). */
struct sw_client *svcm_client_new(struct event_base *base, const struct swarm_service *svc,
                                  const char *url, unsigned timeout_ms, char *err, size_t errlen);

#endif
