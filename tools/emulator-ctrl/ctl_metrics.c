/*
 * The controllers' Prometheus families, named as controller-runtime and
 * client-go's workqueue name theirs (controller_runtime_reconcile_total
 * {controller,result}, controller_runtime_reconcile_errors_total,
 * controller_runtime_reconcile_time_seconds, controller_runtime_max_
 * concurrent_reconciles, controller_runtime_active_workers, workqueue_depth,
 * workqueue_adds_total, workqueue_retries_total, workqueue_queue_duration_
 * seconds, workqueue_work_duration_seconds; queue name = controller name),
 * plus the emulator's own emulator_controller_conflicts_total and
 * emulator_controller_invalid_writes_total.
 */
#include "ctl_int.h"

#include "prom.h"

static const char *const results[CTL_OUTCOMES] = {"success", "error", "requeue", "requeue_after"};

/* controller-runtime's reconcile_time_seconds buckets */
static const double rt_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4,
                               0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0,
                               3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60};
/* client-go workqueue: ExponentialBuckets(10e-9, 10, 10) */
static const double wq_le[] = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};

static void hist_out(struct evbuffer *out, const char *name, const char *label, const char *value,
                     const struct hist *h, const double *le, size_t n)
{
	uint64_t counts[sizeof(rt_le) / sizeof(rt_le[0]) + 1];
	const char *labels[] = {label, value, NULL};
	hist_to_buckets(h, le, n, counts);
	prom_histogram(out, name, labels, le, counts, n, (double)h->sum_ns / 1e9, h->count);
}

void ctl_metrics_render(void *arg, struct evbuffer *out)
{
	struct ctl *c = arg;
	const size_t nrt = sizeof(rt_le) / sizeof(rt_le[0]), nwq = sizeof(wq_le) / sizeof(wq_le[0]);
	prom_family(out, "controller_runtime_reconcile_total", "counter",
	            "Total number of reconciliations per controller");
	for (int i = 0; i < CTL_COUNT; i++) {
		if (!c->q[i])
			continue;
		const struct ctl_queue_stats *s = ctl_queue_stats(c->q[i]);
		for (int k = 0; k < CTL_OUTCOMES; k++) {
			const char *labels[] = {"controller", ctl_name(i), "result", results[k], NULL};
			prom_sample_u64(out, "controller_runtime_reconcile_total", labels, s->reconciles[k]);
		}
	}
	prom_family(out, "controller_runtime_reconcile_errors_total", "counter",
	            "Total number of reconciliation errors per controller");
	for (int i = 0; i < CTL_COUNT; i++) {
		if (!c->q[i])
			continue;
		const char *labels[] = {"controller", ctl_name(i), NULL};
		prom_sample_u64(out, "controller_runtime_reconcile_errors_total", labels,
		                ctl_queue_stats(c->q[i])->reconciles[CTL_ERROR]);
	}
	prom_family(out, "controller_runtime_reconcile_time_seconds", "histogram",
	            "Length of time per reconciliation per controller");
	for (int i = 0; i < CTL_COUNT; i++)
		if (c->q[i])
			hist_out(out, "controller_runtime_reconcile_time_seconds", "controller", ctl_name(i),
			         &ctl_queue_stats(c->q[i])->work, rt_le, nrt);
	prom_family(out, "controller_runtime_max_concurrent_reconciles", "gauge",
	            "Maximum number of concurrent reconciles per controller");
	prom_family(out, "controller_runtime_active_workers", "gauge",
	            "Number of currently used workers per controller");
	for (int i = 0; i < CTL_COUNT; i++) {
		if (!c->q[i])
			continue;
		const char *labels[] = {"controller", ctl_name(i), NULL};
		prom_sample_u64(out, "controller_runtime_max_concurrent_reconciles", labels,
		                ctl_queue_workers(c->q[i]));
		prom_sample_u64(out, "controller_runtime_active_workers", labels, ctl_queue_active(c->q[i]));
	}
	prom_family(out, "workqueue_depth", "gauge", "Current depth of workqueue");
	prom_family(out, "workqueue_adds_total", "counter", "Total number of adds handled by workqueue");
	prom_family(out, "workqueue_retries_total", "counter",
	            "Total number of retries handled by workqueue");
	for (int i = 0; i < CTL_COUNT; i++) {
		if (!c->q[i])
			continue;
		const struct ctl_queue_stats *s = ctl_queue_stats(c->q[i]);
		const char *labels[] = {"name", ctl_name(i), NULL};
		prom_sample_u64(out, "workqueue_depth", labels, ctl_queue_depth(c->q[i]));
		prom_sample_u64(out, "workqueue_adds_total", labels, s->adds);
		prom_sample_u64(out, "workqueue_retries_total", labels, s->retries);
	}
	prom_family(out, "workqueue_queue_duration_seconds", "histogram",
	            "How long in seconds an item stays in workqueue before being requested.");
	for (int i = 0; i < CTL_COUNT; i++)
		if (c->q[i])
			hist_out(out, "workqueue_queue_duration_seconds", "name", ctl_name(i),
			         &ctl_queue_stats(c->q[i])->queue_wait, wq_le, nwq);
	prom_family(out, "workqueue_work_duration_seconds", "histogram",
	            "How long in seconds processing an item from workqueue takes.");
	for (int i = 0; i < CTL_COUNT; i++)
		if (c->q[i])
			hist_out(out, "workqueue_work_duration_seconds", "name", ctl_name(i),
			         &ctl_queue_stats(c->q[i])->work, wq_le, nwq);
	prom_family(out, "emulator_controller_conflicts_total", "counter",
	            "Controller writes refused with 409 Conflict (stale resourceVersion), by controller.");
	prom_family(out, "emulator_controller_invalid_writes_total", "counter",
	            "Controller writes the CRD schema would prune or refuse (checked with --kube-check-writes).");
	for (int i = 0; i < CTL_COUNT; i++) {
		if (!c->q[i])
			continue;
		const char *labels[] = {"controller", ctl_name(i), NULL};
		prom_sample_u64(out, "emulator_controller_conflicts_total", labels,
		                c->requeues_on_conflict[i]);
		prom_sample_u64(out, "emulator_controller_invalid_writes_total", labels,
		                c->invalid_writes[i]);
	}
}
