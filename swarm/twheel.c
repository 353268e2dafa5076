/*
 * twheel: see twheel.h. Slots are indexed by absolute slot number (time /
 * grid) modulo the wheel size; a two-level bitmap finds the next slot that
 * may hold a timer without walking empty slots. Bits are set on insert and
 * cleared once a slot is seen empty (on cancel or run), so a bit may be
 * stale, never missing.
 */
#include "twheel.h"

#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_xalloc.h"

int tw_init(struct twheel *w, uint64_t grid_ns, unsigned slots_log2, uint64_t now_ns)
{
	memset(w, 0, sizeof(*w));
	if (!grid_ns || slots_log2 < 6 || slots_log2 > 24)
		return SW_ERR_INVALID;
	w->grid_ns = grid_ns;
	w->nslots = (size_t)1 << slots_log2;
	w->nbits = w->nslots / 64;
	w->nsum = (w->nbits + 63) / 64;
	w->slots = xcalloc(w->nslots, sizeof(*w->slots));
	w->bits = xcalloc(w->nbits, sizeof(*w->bits));
	w->sum = xcalloc(w->nsum, sizeof(*w->sum));
	w->cursor = now_ns / grid_ns;
	return 0;
}

void tw_free(struct twheel *w)
{
	if (!w)
		return;
	/* Disarm what is still armed: its owner may cancel it after this
	 * (an owner freed after the runtime), which must then be a no-op. */
	for (size_t i = 0; w->slots && i < w->nslots; i++)
		for (struct tw_timer *t = w->slots[i], *n; t; t = n) {
			n = t->next;
			t->next = NULL;
			t->pprev = NULL;
		}
	free(w->slots);
	free(w->bits);
	free(w->sum);
	memset(w, 0, sizeof(*w));
}

void tw_timer_init(struct tw_timer *t, tw_fn fn)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
}

static void bit_set(struct twheel *w, size_t idx)
{
	w->bits[idx / 64] |= 1ull << (idx % 64);
	w->sum[idx / 4096] |= 1ull << ((idx / 64) % 64);
}

static void bit_clear(struct twheel *w, size_t idx)
{
	w->bits[idx / 64] &= ~(1ull << (idx % 64));
	if (!w->bits[idx / 64])
		w->sum[idx / 4096] &= ~(1ull << ((idx / 64) % 64));
}

/* First slot index in [from, to) whose bit is set, or |to|. */
static size_t next_set(const struct twheel *w, size_t from, size_t to)
{
	size_t word;
	uint64_t b;

	if (from >= to)
		return to;
	word = from / 64;
	b = w->bits[word] & (~0ull << (from % 64));
	for (;;) {
		if (b) {
			size_t r = word * 64 + (size_t)__builtin_ctzll(b);
			return r < to ? r : to;
		}
		word++;
		if (word * 64 >= to)
			return to;
		/* the summary says which words are not zero: skip the others */
		size_t sw = word / 64;
		uint64_t sm = w->sum[sw] & (~0ull << (word % 64));
		while (!sm) {
			sw++;
			if (sw >= w->nsum || sw * 4096 >= to)
				return to;
			sm = w->sum[sw];
		}
		word = sw * 64 + (size_t)__builtin_ctzll(sm);
		if (word * 64 >= to)
			return to;
		b = w->bits[word];
	}
}

static void link_slot(struct twheel *w, struct tw_timer *t, size_t idx)
{
	struct tw_timer **head = &w->slots[idx];

	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
	bit_set(w, idx);
}

void tw_add(struct twheel *w, struct tw_timer *t, uint64_t due_ns)
{
	uint64_t abs = due_ns / w->grid_ns;

	tw_cancel(w, t);
	if (abs < w->cursor)
		abs = w->cursor; /* past due: the first slot still to run */
	t->due_ns = due_ns;
	link_slot(w, t, (size_t)(abs & (w->nslots - 1)));
	w->armed++;
}

void tw_cancel(struct twheel *w, struct tw_timer *t)
{
	if (!t->pprev)
		return;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	/* The timer headed its slot and was the last one in it: the slot is
	 * empty now. */
	if (t->pprev >= w->slots && t->pprev < w->slots + w->nslots && !t->next)
		bit_clear(w, (size_t)(t->pprev - w->slots));
	t->next = NULL;
	t->pprev = NULL;
	w->armed--;
}

/* Runs slot |idx|: fires its timers whose slot number is below |cur|, keeps
 * the others (a later round). */
static size_t run_slot(struct twheel *w, size_t idx, uint64_t cur)
{
	struct tw_timer *list = w->slots[idx], *t;
	size_t n = 0;

	/* Detach the slot: callbacks may arm timers into it again. */
	w->slots[idx] = NULL;
	if (list)
		list->pprev = &list;
	while ((t = list) != NULL) {
		list = t->next;
		if (list)
			list->pprev = &list;
		t->next = NULL;
		if (t->due_ns / w->grid_ns >= cur) {
			link_slot(w, t, idx); /* not its round yet */
			continue;
		}
		t->pprev = NULL;
		w->armed--;
		n++;
		t->fn(t);
	}
	if (!w->slots[idx])
		bit_clear(w, idx);
	return n;
}

size_t tw_run(struct twheel *w, uint64_t now_ns)
{
	uint64_t cur = now_ns / w->grid_ns, from = w->cursor, span;
	size_t n = 0, mask = w->nslots - 1;

	if (cur <= from)
		return 0;
	span = cur - from;
	if (span > w->nslots)
		span = w->nslots;
	/* Timers armed by the callbacks belong to slots from |cur| on. */
	w->cursor = cur;
	size_t a = (size_t)(from & mask), b = a + (size_t)span;
	/* The circular range [a, b) in at most two linear pieces. */
	for (int piece = 0; piece < 2; piece++) {
		size_t lo = piece ? 0 : a, hi = piece ? (b > w->nslots ? b - w->nslots : 0) :
		                             (b < w->nslots ? b : w->nslots);
		for (size_t i = next_set(w, lo, hi); i < hi; i = next_set(w, i + 1, hi))
			n += run_slot(w, i, cur);
	}
	return n;
}

int tw_next(const struct twheel *w, uint64_t *when_ns)
{
	size_t mask = w->nslots - 1, a = (size_t)(w->cursor & mask), i;
	uint64_t d;

	if (!w->armed)
		return 0;
	i = next_set(w, a, w->nslots);
	if (i < w->nslots) {
		d = i - a;
	} else {
		i = next_set(w, 0, a);
		if (i >= a)
			return 0; /* cannot happen while timers are armed */
		d = w->nslots - a + i;
	}
	*when_ns = (w->cursor + d + 1) * w->grid_ns;
	return 1;
}
