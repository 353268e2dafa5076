/*
 * results: writes the results file (schema: scenarios/RESULTS.md and
 * scenarios/results.schema.json): the summary document of report_json(),
 * plus the exactly mergeable run histograms (results_add_histograms()) and
 * the time series (series.h), streamed so that a long run's series never
 * exists as one JSON tree in memory.
 */
#ifndef SWARM_RESULTS_H
#define SWARM_RESULTS_H

#include <stddef.h>
#include <jansson.h>
#include "report.h"
#include "series.h"
#include "stats.h"

/* What the results file carries besides the stats; every member may be NULL. */
struct results_extra {
	const struct series *series;      /* -> "series" */
	json_t *service_metrics;          /* -> "service_metrics" (scraper status), borrowed */
	json_t *push;                     /* -> "push" (Pushgateway outcome), borrowed */
	json_t *members;                  /* every member of this object is added (thresholds,
	                                   * shard, journal, soak: orch.c), borrowed */
};

/* {"kind": "log-linear", "unit": "ns", "sub_bucket_bits", "min_shift",
 * "buckets", "encoding": "runs"}: how to read every "histogram" of the file. */
json_t *results_hist_layout(void);

/*
 * Adds to |doc| (a report_json() document) "histogram_layout", each
 * endpoint's "service_histogram"/"intended_histogram", the schedule's
 * lateness/start-delay/send-delay histograms and "send_delay_seconds", and
 * the clusters_time histograms. Returns 0 or SW_ERR_NOMEM.
 */
int results_add_histograms(json_t *doc, const struct swarm_stats *st);

/*
 * Writes |doc| (a JSON object) and, when |ser| is not NULL, the member
 * "series" to |path| through a temporary file renamed into place (a reader
 * never sees half a file). Returns 0, SW_ERR_NOMEM or SW_ERR_IO with a
 * message naming the file in |err|.
 */
int results_write(const char *path, const json_t *doc, const struct series *ser, char *err,
                  size_t errlen);

/*
 * Checks before the run that the results can be written to |path| at its
 * end: not a directory, and its directory takes a new file (the temporary
 * file results_write() renames into place is created and removed). Returns
 * 0, or SW_ERR_INVALID with a message naming |path| and the reason.
 */
int results_check_path(const char *path, char *err, size_t errlen);

/*
 * The whole results file of a run: report_json(), results_add_histograms(),
 * "series_interval_seconds" and the members of |x|, written with
 * results_write(). Returns 0, SW_ERR_NOMEM or SW_ERR_IO with a message.
 */
int results_write_run(const char *path, const struct swarm_stats *st, const struct report_run *run,
                      const struct results_extra *x, char *err, size_t errlen);

#endif
