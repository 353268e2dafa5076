/*
 * progress: live progress line (see progress.h).
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sw_xalloc.h"

/* Short labels, in the order hosts move through them. */
static const char *const phase_short[HP_COUNT] = {
	[HP_WAITING] = "wait", [HP_REGISTERING] = "reg", [HP_DISCOVERY] = "disc",
	[HP_INSTALLING] = "inst", [HP_REBOOTED] = "rbt", [HP_DONE] = "done", [HP_FAILED] = "fail",
};

void progress_init(struct progress *p, int live, unsigned width)
{
	memset(p, 0, sizeof(*p));
	p->live = live;
	p->width = width >= 20 ? width : 80;
	hist_init(&p->prev_latency);
}

/* p99 of (cur - prev) bucket-wise: the latency of the last interval only. */
static uint64_t window_p99(const struct hist *cur, const struct hist *prev, uint64_t *n)
{
	uint64_t count = cur->count >= prev->count ? cur->count - prev->count : 0;
	*n = count;
	if (!count)
		return 0;
	uint64_t rank = count - count / 100; /* ceil(0.99 * count) */
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint32_t d = cur->buckets[i] >= prev->buckets[i] ? cur->buckets[i] - prev->buckets[i] : 0;
		seen += d;
		if (seen >= rank) {
			if (i == HIST_BUCKETS - 1)
				return cur->max_ns;
			unsigned g = i / HIST_SUB, sub = i % HIST_SUB;
			uint64_t up = ((uint64_t)(HIST_SUB + sub + 1)) << (HIST_MIN_SHIFT + g - HIST_SUB_BITS);
			return up < cur->max_ns ? up : cur->max_ns;
		}
	}
	return cur->max_ns;
}

size_t progress_format(struct progress *p, const struct swarm_stats *st, uint64_t now_ns,
                       uint64_t elapsed_ns, char *buf, size_t len)
{
	struct hist *all;
	char part[5][160], lat[16];
	uint64_t es = elapsed_ns / 1000000000;
	if (!len)
		return 0;
	buf[0] = '\0';
	/* Allocated after the early return above, which leaked it (cppcheck). */
	all = xmalloc(sizeof(*all));
	hist_init(all);
	for (int e = 0; e < EP_COUNT; e++)
		hist_merge(all, &st->ep[e].service);
	double rps = 0;
	if (p->prev_ns && now_ns > p->prev_ns && st->requests >= p->prev_requests)
		rps = (double)(st->requests - p->prev_requests) * 1e9 / (double)(now_ns - p->prev_ns);
	else if (!p->prev_ns && elapsed_ns)
		rps = (double)st->requests * 1e9 / (double)elapsed_ns;
	uint64_t n = 0, p99 = window_p99(all, &p->prev_latency, &n);

	snprintf(part[0], sizeof(part[0]), "%02llu:%02llu:%02llu", (unsigned long long)(es / 3600),
	         (unsigned long long)(es / 60 % 60), (unsigned long long)(es % 60));
	size_t k = 0;
	k += (size_t)snprintf(part[1], sizeof(part[1]), "hosts");
	for (int i = 0; i < HP_COUNT && k < sizeof(part[1]); i++)
		if (st->hosts_by_phase[i] || i == HP_DONE)
			k += (size_t)snprintf(part[1] + k, sizeof(part[1]) - k, " %s %lld", phase_short[i],
			                      (long long)st->hosts_by_phase[i]);
	snprintf(part[2], sizeof(part[2]), "clusters ok %llu fail %llu of %llu",
	         (unsigned long long)st->clusters_installed, (unsigned long long)st->clusters_failed,
	         (unsigned long long)st->clusters_total);
	snprintf(part[3], sizeof(part[3]), "%.0f req/s err %llu", rps, (unsigned long long)st->errors);
	snprintf(part[4], sizeof(part[4]), "p99 %s", n ? report_fmt_duration(p99, lat, sizeof(lat)) : "-");

	/* Most important first; on a narrow terminal the tail is dropped whole
	 * parts at a time, then the line is cut. */
	static const int order[] = {0, 2, 3, 4, 1};
	int keep[5] = {0};
	size_t limit = p->live ? p->width - 1 : len - 1;
	size_t used = 0;
	for (int i = 0; i < 5; i++) {
		size_t l = strlen(part[order[i]]) + (used ? 3 : 0);
		if (used + l > limit && i > 0)
			continue;
		keep[order[i]] = 1;
		used += l;
	}
	size_t off = 0;
	for (int i = 0; i < 5; i++) {
		if (!keep[i])
			continue;
		int w = snprintf(buf + off, len - off, "%s%s", off ? " | " : "", part[i]);
		if (w < 0)
			break;
		off += (size_t)w;
		if (off >= len) {
			off = len - 1;
			break;
		}
	}
	if (off > limit)
		off = limit;
	buf[off] = '\0';

	p->prev_ns = now_ns;
	p->prev_requests = st->requests;
	memcpy(&p->prev_latency, all, sizeof(*all));
	free(all);
	return off;
}

void progress_print(struct progress *p, FILE *out, const struct swarm_stats *st, uint64_t now_ns,
                    uint64_t elapsed_ns)
{
	char line[512];
	size_t n = progress_format(p, st, now_ns, elapsed_ns, line, sizeof(line));
	if (p->extra && *p->extra && (!p->live || n + 3 + strlen(p->extra) < p->width))
		snprintf(line + n, sizeof(line) - n, " | %s", p->extra);
	if (p->live) {
		fprintf(out, "\r\033[2K%s", line);
		p->dirty = 1;
	} else {
		fprintf(out, "swarm: %s\n", line);
	}
	fflush(out);
}

void progress_finish(struct progress *p, FILE *out)
{
	if (p->live && p->dirty) {
		fputc('\n', out);
		fflush(out);
	}
	p->dirty = 0;
}
