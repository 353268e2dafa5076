/* The work queue of ctl_queue.h: a hash table of keys, a FIFO of ready keys,
 * a min-heap of delayed keys and an array of workers. */
#include "ctl_queue.h"

#include <stdlib.h>
#include <string.h>

#include "sw_xalloc.h"

#define NS_PER_S 1000000000ull
#define BACKOFF_BASE_NS (5ull * 1000000ull)      /* 5 ms */
#define BACKOFF_MAX_NS (1000ull * NS_PER_S)      /* 1000 s */
#define BUCKET_QPS 10.0
#define BUCKET_BURST 100.0

struct item {
	struct item *hnext;          /* hash chain */
	struct item *prev, *next;    /* ready FIFO */
	char *ns, *name;             /* one allocation: "ns\0name\0" */
	uint64_t hash;
	uint64_t ready_at;           /* delayed: when it becomes ready */
	uint64_t added_ns;           /* when it entered the ready FIFO */
	size_t heap_idx;             /* position in the heap, or SIZE_MAX */
	unsigned failures;           /* rate limiter: consecutive requeues */
	uint8_t queued;              /* in the ready FIFO */
	uint8_t running;             /* taken by a worker */
	uint8_t dirty;               /* added while running: queue it when done */
};

struct worker {
	struct item *it;             /* NULL when free */
	uint64_t started_ns, busy_until;
	struct ctl_result res;
};

struct ctl_queue {
	char *name;
	ctl_reconcile_fn fn;
	void *arg;
	double scale;
	struct item **buckets;
	size_t nbuckets, nitems;
	struct item *head, *tail;    /* ready FIFO */
	unsigned depth;
	struct item **heap;          /* delayed, by ready_at */
	size_t nheap, capheap;
	struct worker *workers;
	unsigned nworkers, active;
	double tokens;
	uint64_t tokens_at;
	int tokens_init;
	struct ctl_queue_stats st;
};

static uint64_t hash_key(const char *ns, const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = ns; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static struct item *find(const struct ctl_queue *q, const char *ns, const char *name, uint64_t h)
{
	for (struct item *it = q->buckets[h & (q->nbuckets - 1)]; it; it = it->hnext)
		if (it->hash == h && strcmp(it->ns, ns) == 0 && strcmp(it->name, name) == 0)
			return it;
	return NULL;
}

static void rehash(struct ctl_queue *q)
{
	size_t n = q->nbuckets * 2;
	struct item **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < q->nbuckets; i++) {
		struct item *it = q->buckets[i];
		while (it) {
			struct item *next = it->hnext;
			it->hnext = b[it->hash & (n - 1)];
			b[it->hash & (n - 1)] = it;
			it = next;
		}
	}
	free(q->buckets);
	q->buckets = b;
	q->nbuckets = n;
}

static struct item *get_item(struct ctl_queue *q, const char *ns, const char *name)
{
	uint64_t h = hash_key(ns, name);
	struct item *it = find(q, ns, name, h);
	if (it)
		return it;
	if (q->nitems >= q->nbuckets)
		rehash(q);
	size_t ln = strlen(ns), lm = strlen(name);
	it = xcalloc(1, sizeof(*it));
	it->ns = xmalloc(ln + lm + 2);
	memcpy(it->ns, ns, ln + 1);
	it->name = it->ns + ln + 1;
	memcpy(it->name, name, lm + 1);
	it->hash = h;
	it->heap_idx = SIZE_MAX;
	it->hnext = q->buckets[h & (q->nbuckets - 1)];
	q->buckets[h & (q->nbuckets - 1)] = it;
	q->nitems++;
	return it;
}

/* Frees |it| when nothing refers to it any more (forgotten, idle). */
static void maybe_drop(struct ctl_queue *q, struct item *it)
{
	if (it->queued || it->running || it->heap_idx != SIZE_MAX || it->failures)
		return;
	struct item **pp = &q->buckets[it->hash & (q->nbuckets - 1)];
	while (*pp != it)
		pp = &(*pp)->hnext;
	*pp = it->hnext;
	q->nitems--;
	free(it->ns);
	free(it);
}

/* ---- delayed heap ---- */

static void heap_swap(struct ctl_queue *q, size_t a, size_t b)
{
	struct item *t = q->heap[a];
	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->heap[a]->heap_idx = a;
	q->heap[b]->heap_idx = b;
}

static void heap_up(struct ctl_queue *q, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (q->heap[p]->ready_at <= q->heap[i]->ready_at)
			break;
		heap_swap(q, p, i);
		i = p;
	}
}

static void heap_down(struct ctl_queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->nheap && q->heap[l]->ready_at < q->heap[m]->ready_at)
			m = l;
		if (r < q->nheap && q->heap[r]->ready_at < q->heap[m]->ready_at)
			m = r;
		if (m == i)
			return;
		heap_swap(q, i, m);
		i = m;
	}
}

static void heap_push(struct ctl_queue *q, struct item *it)
{
	if (q->nheap == q->capheap) {
		q->capheap = q->capheap ? q->capheap * 2 : 64;
		q->heap = xrealloc(q->heap, q->capheap * sizeof(*q->heap));
	}
	it->heap_idx = q->nheap;
	q->heap[q->nheap++] = it;
	heap_up(q, it->heap_idx);
}

static struct item *heap_pop(struct ctl_queue *q)
{
	struct item *top = q->heap[0];
	q->nheap--;
	if (q->nheap) {
		q->heap[0] = q->heap[q->nheap];
		q->heap[0]->heap_idx = 0;
		heap_down(q, 0);
	}
	top->heap_idx = SIZE_MAX;
	return top;
}

/* ---- the queue proper ---- */

/* client-go's Add: dedupe while waiting, mark dirty while running. */
static void add_item(struct ctl_queue *q, struct item *it, uint64_t now_ns)
{
	q->st.adds++;
	if (it->queued)
		return;
	if (it->running) {
		it->dirty = 1;
		return;
	}
	it->queued = 1;
	it->added_ns = now_ns;
	it->prev = q->tail;
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->depth++;
}

static void add_after(struct ctl_queue *q, struct item *it, uint64_t delay_ns, uint64_t now_ns)
{
	if (delay_ns == 0) {
		add_item(q, it, now_ns);
		return;
	}
	uint64_t at = now_ns + delay_ns;
	if (it->heap_idx != SIZE_MAX) {
		/* the delaying queue keeps the earliest time */
		if (at < it->ready_at) {
			it->ready_at = at;
			heap_up(q, it->heap_idx);
		}
		return;
	}
	it->ready_at = at;
	heap_push(q, it);
}

static uint64_t scaled(const struct ctl_queue *q, uint64_t ns)
{
	return (uint64_t)((double)ns / q->scale);
}

/* controller-runtime's DefaultTypedControllerRateLimiter: the max of the
 * per-item exponential backoff and the overall token bucket. */
static uint64_t rate_limit_delay(struct ctl_queue *q, struct item *it, uint64_t now_ns)
{
	uint64_t backoff = BACKOFF_MAX_NS;
	if (it->failures < 40) {
		backoff = BACKOFF_BASE_NS << it->failures;
		if (backoff > BACKOFF_MAX_NS)
			backoff = BACKOFF_MAX_NS;
	}
	it->failures++;
	double rate = BUCKET_QPS * q->scale;
	if (!q->tokens_init) {
		q->tokens = BUCKET_BURST;
		q->tokens_at = now_ns;
		q->tokens_init = 1;
	}
	q->tokens += (double)(now_ns - q->tokens_at) / 1e9 * rate;
	if (q->tokens > BUCKET_BURST)
		q->tokens = BUCKET_BURST;
	q->tokens_at = now_ns;
	q->tokens -= 1.0;
	uint64_t bucket = q->tokens < 0 ? (uint64_t)(-q->tokens / rate * 1e9) : 0;
	uint64_t b = scaled(q, backoff);
	return b > bucket ? b : bucket;
}

struct ctl_queue *ctl_queue_new(const char *name, unsigned workers, double time_scale,
                                ctl_reconcile_fn fn, void *arg)
{
	struct ctl_queue *q = xcalloc(1, sizeof(*q));
	q->name = xstrdup(name);
	q->fn = fn;
	q->arg = arg;
	q->scale = time_scale >= 1.0 ? time_scale : 1.0;
	q->nbuckets = 64;
	q->buckets = xcalloc(q->nbuckets, sizeof(*q->buckets));
	q->nworkers = workers ? workers : 1;
	q->workers = xcalloc(q->nworkers, sizeof(*q->workers));
	hist_init(&q->st.queue_wait);
	hist_init(&q->st.work);
	return q;
}

void ctl_queue_free(struct ctl_queue **qp)
{
	if (!qp || !*qp)
		return;
	struct ctl_queue *q = *qp;
	for (size_t i = 0; i < q->nbuckets; i++) {
		struct item *it = q->buckets[i];
		while (it) {
			struct item *next = it->hnext;
			free(it->ns);
			free(it);
			it = next;
		}
	}
	free(q->buckets);
	free(q->heap);
	free(q->workers);
	free(q->name);
	free(q);
	*qp = NULL;
}

void ctl_queue_add(struct ctl_queue *q, const char *ns, const char *name, uint64_t now_ns)
{
	add_item(q, get_item(q, ns ? ns : "", name), now_ns);
}

void ctl_queue_add_after(struct ctl_queue *q, const char *ns, const char *name, uint64_t delay_ns,
                         uint64_t now_ns)
{
	add_after(q, get_item(q, ns ? ns : "", name), delay_ns, now_ns);
}

/* Releases worker |w|: counts the outcome and requeues as the reconcile asked
 * (controller-runtime's reconcileHandler), then Done(). */
static void finish(struct ctl_queue *q, struct worker *w, uint64_t now_ns)
{
	struct item *it = w->it;
	const struct ctl_result *r = &w->res;
	hist_record(&q->st.work, w->busy_until - w->started_ns);
	w->it = NULL;
	q->active--;
	it->running = 0;
	if (r->error) {
		q->st.reconciles[CTL_ERROR]++;
		q->st.retries++;
		add_after(q, it, rate_limit_delay(q, it, now_ns), now_ns);
	} else if (r->requeue_after_ns) {
		q->st.reconciles[CTL_REQUEUE_AFTER]++;
		it->failures = 0;  /* Forget */
		add_after(q, it, r->requeue_after_ns, now_ns);
	} else if (r->requeue) {
		q->st.reconciles[CTL_REQUEUE]++;
		q->st.retries++;
		add_after(q, it, rate_limit_delay(q, it, now_ns), now_ns);
	} else {
		q->st.reconciles[CTL_OK]++;
		it->failures = 0;
	}
	if (it->dirty) {
		it->dirty = 0;
		add_item(q, it, now_ns);
		q->st.adds--; /* the add was counted when it was made */
	}
	maybe_drop(q, it);
}

unsigned ctl_queue_run(struct ctl_queue *q, uint64_t now_ns, unsigned max_reconciles)
{
	unsigned ran = 0;
	while (q->nheap && q->heap[0]->ready_at <= now_ns) {
		struct item *it = heap_pop(q);
		add_item(q, it, now_ns);
	}
	for (unsigned i = 0; i < q->nworkers; i++)
		if (q->workers[i].it && q->workers[i].busy_until <= now_ns)
			finish(q, &q->workers[i], now_ns);
	for (unsigned i = 0; i < q->nworkers && q->head; i++) {
		struct worker *w = &q->workers[i];
		while (!w->it && q->head && (!max_reconciles || ran < max_reconciles)) {
			struct item *it = q->head;
			q->head = it->next;
			if (q->head)
				q->head->prev = NULL;
			else
				q->tail = NULL;
			q->depth--;
			it->queued = 0;
			it->running = 1;
			hist_record(&q->st.queue_wait, now_ns - it->added_ns);
			w->it = it;
			w->started_ns = now_ns;
			q->active++;
			memset(&w->res, 0, sizeof(w->res));
			q->fn(q->arg, it->ns, it->name, now_ns, &w->res);
			w->busy_until = now_ns + w->res.busy_ns;
			ran++;
			/* a reconcile that took no emulated time frees its worker at once */
			if (w->busy_until <= now_ns)
				finish(q, w, now_ns);
		}
	}
	return ran;
}

uint64_t ctl_queue_next_due(const struct ctl_queue *q, uint64_t now_ns)
{
	uint64_t due = UINT64_MAX;
	if (q->head && q->active < q->nworkers)
		return now_ns;
	for (unsigned i = 0; i < q->nworkers; i++)
		if (q->workers[i].it && q->workers[i].busy_until < due)
			due = q->workers[i].busy_until;
	if (q->nheap && q->heap[0]->ready_at < due)
		due = q->heap[0]->ready_at;
	return due < now_ns ? now_ns : due;
}

const char *ctl_queue_name(const struct ctl_queue *q)
{
	return q->name;
}

unsigned ctl_queue_workers(const struct ctl_queue *q)
{
	return q->nworkers;
}

unsigned ctl_queue_depth(const struct ctl_queue *q)
{
	return q->depth;
}

unsigned ctl_queue_active(const struct ctl_queue *q)
{
	return q->active;
}

unsigned ctl_queue_keys(const struct ctl_queue *q)
{
	return (unsigned)q->nitems;
}

const struct ctl_queue_stats *ctl_queue_stats(const struct ctl_queue *q)
{
	return &q->st;
}
