/*
 * Capped hash tables for attacker-keyed state: open addressing with linear
 * probing and backward-shift deletion (no tombstones, so a flood of new keys
 * cannot degrade lookups) and a recency queue for eviction and expiry
 * (detect/table.h). Dropped entries are kept on a free list and reused, so a
 * table allocates at most cap entries in its life and nothing per event.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/pages.h"
#include "detect/table.h"


/* Starts loading n bytes at p (a hint). */
static inline void prefetch_range(const void *p, size_t n)
{
	for (size_t o = 0; o < n; o += 64)
		__builtin_prefetch((const char *)p + o);
}

static size_t pow2_at_least(size_t x)
{
	size_t p = 16;
	while (p < x)
		p <<= 1;
	return p;
}

static void free_arrays(struct table *t)
{
	pages_free(t->slots, (t->mask + 1) * sizeof(*t->slots));
	pages_free(t->q, (t->qmask + 1) * sizeof(*t->q));
	pages_free(t->qlive, (t->qmask + 1) / 64 * sizeof(*t->qlive));
	t->slots = NULL;
	t->q = NULL;
	t->qlive = NULL;
}

int table_init(struct table *t, size_t cap, size_t entry_size, uint64_t *evictions,
	       void (*drop)(void *, struct tnode *, enum tdrop), void *ud)
{
	*t = (struct table){ .cap = cap ? cap : 1, .entry_size = entry_size, .evictions = evictions, .drop = drop,
			     .ud = ud };
	/* start small; grow up to twice the cap (load factor <= 1/2) */
	size_t slots = pow2_at_least(MIN(t->cap * 2, (size_t)1024));
	/* the queue too: it grows while more than an eighth of it is live (table_squeeze) */
	size_t qsize = MAX(slots, (size_t)64);
	t->mask = slots - 1;
	t->qmask = qsize - 1;
	arena_init(&t->mem, t->cap * entry_size);
	t->slots = pages_alloc(slots * sizeof(*t->slots));
	t->q = pages_alloc(qsize * sizeof(*t->q));
	t->qlive = pages_alloc(qsize / 64 * sizeof(*t->qlive));
	if (!t->slots || !t->q || !t->qlive) {
		free_arrays(t);
		return -ENOMEM;
	}
	return 0;
}

/* The bits set in x, without a call (the x86-64 baseline has no popcnt
 * instruction: the builtin would call libgcc). */
static inline unsigned bits_set(uint64_t x)
{
	x -= x >> 1 & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* The live bits of the records at positions p..end-1 that share p's word
 * of qlive, shifted down so that bit 0 is p's; *ret_span: how many
 * positions they cover (at least 1 when p < end). */
static uint64_t live_word(const struct table *t, uint64_t p, uint64_t end, unsigned *ret_span)
{
	size_t i = p & t->qmask;
	unsigned b = (unsigned)(i % 64), span = 64 - b;
	uint64_t bits = t->qlive[i / 64] >> b;
	if (span > end - p)
		span = (unsigned)(end - p);
	if (span < 64)
		bits &= (UINT64_C(1) << span) - 1;
	*ret_span = span;
	return bits;
}

/* The live records at positions from..to-1: a word of bits at a time. */
static unsigned live_between(const struct table *t, uint64_t from, uint64_t to)
{
	unsigned n = 0, span;
	for (; from < to; from += span)
		n += bits_set(live_word(t, from, to, &span));
	return n;
}

/* The first live record at a position in from..to-1, or to: a word of
 * bits at a time (most records near the head are stale). */
static uint64_t next_live(const struct table *t, uint64_t from, uint64_t to)
{
	unsigned span;
	for (; from < to; from += span) {
		uint64_t bits = live_word(t, from, to, &span);
		if (bits)
			return from + (unsigned)__builtin_ctzll(bits);
	}
	return to;
}

struct tnode *table_next_oldest(const struct table *t, uint64_t *pos)
{
	*pos = next_live(t, *pos < t->qhead ? t->qhead : *pos, t->qtail);
	return *pos < t->qtail ? t->q[(*pos)++ & t->qmask].n : NULL;
}

/* The queue is full: into a ring twice as large when more than an eighth
 * of its records are live, else squeezed in place (the stale records
 * dropped). Records keep their positions in a larger ring (position p is
 * at index p & qmask, and a run of the old ring's length has no two
 * positions on one index of the new one), so growing is a copy in order
 * and touches no entry. A squeeze rewrites each live entry's position (a
 * cache miss each): the ring is kept large enough that this costs at most
 * 1/7 of a write per touch. The live records are at most cap, so the ring
 * stops growing below 16 x cap records. On OOM the ring stays and is
 * squeezed in place. */
void table_squeeze(struct table *t)
{
	size_t size = t->qmask + 1, live = live_between(t, t->qhead, t->qtail);
	if (live * 8 > size) {
		size_t nsize = size * 2, nmask = nsize - 1;
		struct tqrec *nq = pages_alloc(nsize * sizeof(*nq));
		uint64_t *nlive = pages_alloc(nsize / 64 * sizeof(*nlive));
		if (nq && nlive) {
			for (uint64_t p = t->qhead; p < t->qtail; p++) {
				size_t i = p & t->qmask, j = p & nmask;
				nq[j] = t->q[i];
				nlive[j / 64] |= (t->qlive[i / 64] >> (i % 64) & 1) << (j % 64);
			}
			pages_free(t->q, size * sizeof(*t->q));
			pages_free(t->qlive, size / 64 * sizeof(*t->qlive));
			t->q = nq;
			t->qlive = nlive;
			t->qmask = nmask;
			return;
		}
		pages_free(nq, nsize * sizeof(*nq));
		pages_free(nlive, nsize / 64 * sizeof(*nlive));
	}
	/* In place the records keep their positions counted from the head
	 * (the ring may wrap): the k-th live record moves to head + k, never
	 * ahead of where the records are read, so none is overwritten before
	 * it is read. */
	uint64_t base = t->qhead, w = 0;
	/* a word of live bits at a time: the stale records cost nothing */
	for (uint64_t p = t->qhead; p < t->qtail;) {
		size_t i0 = p & t->qmask;
		unsigned span;
		/* a copy: the moves below only write behind the position read */
		uint64_t bits = live_word(t, p, t->qtail, &span);
		while (bits) {
			size_t i = i0 + (size_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			t->qlive[i / 64] &= ~(UINT64_C(1) << (i % 64));
			struct tqrec r = t->q[i];
			size_t j = (base + w) & t->qmask;
			t->q[j] = r;
			t->qlive[j / 64] |= UINT64_C(1) << (j % 64);
			r.n->qpos = base + w++;
		}
		p += span;
	}
	t->qtail = base + w;
	t->pf_ent = t->pf_slot = base; /* the positions changed */
}

/* Appends n's record, stamped n->seen_us: a write at the tail and a bit. */
static void table_queue_push(struct table *t, struct tnode *n)
{
	if (t->qtail - t->qhead > t->qmask)
		table_squeeze(t);
	size_t i = t->qtail & t->qmask;
	t->q[i] = (struct tqrec){ n, n->seen_us };
	t->qlive[i / 64] |= UINT64_C(1) << (i % 64);
	n->qpos = t->qtail++;
}

void table_prefetch_entry(const struct table *t, uint64_t hash)
{
	for (size_t i = hash & t->mask; t->slots[i].n; i = (i + 1) & t->mask)
		if (t->slots[i].hash == hash) {
			prefetch_range(t->slots[i].n, t->entry_size);
			return;
		}
}

static size_t slot_of(const struct table *t, const struct tnode *n)
{
	size_t i = n->hash & t->mask;
	while (t->slots[i].n != n)
		i = (i + 1) & t->mask;
	return i;
}

static void unlink_slot(struct table *t, size_t i)
{
	size_t j = i;
	t->slots[i] = (struct tslot){ 0 };
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slots[j].n)
			return;
		size_t k = t->slots[j].hash & t->mask;
		/* move slots[j] back into the hole at i unless its home k lies cyclically in (i, j] */
		bool stay = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stay) {
			t->slots[i] = t->slots[j];
			t->slots[j] = (struct tslot){ 0 };
			i = j;
		}
	}
}

static void free_node(struct table *t, struct tnode *n, enum tdrop why)
{
	size_t q = n->qpos & t->qmask;
	unlink_slot(t, slot_of(t, n));
	t->qlive[q / 64] &= ~(UINT64_C(1) << (q % 64));
	t->n--;
	if (t->drop)
		t->drop(t->ud, n, why);
	*(void **)n = t->free_list;
	t->free_list = n;
}

void table_remove(struct table *t, struct tnode *n)
{
	free_node(t, n, TDROP_REMOVED);
}

/* How many entries ahead of the head of the queue are being loaded for
 * table_expire and eviction: first their first lines (what free_node and
 * the drop callbacks read), then, once those have arrived, their slots.
 * Entries expire one at a time, dozens of events apart, so a few suffice:
 * on the bench file 3 and 2 took the sweeps 19.7 -> 15.6 Mcycles (rdtsc)
 * against 6 and 3 (keeping more in flight cost more than it saved), and
 * none at all 23.7. */
#define PF_ENTRIES 3
#define PF_SLOTS 2
#define PF_SCAN 512 /* records looked at per call, at most */
#define PF_BYTES 192

/* The oldest live record's entry (dropping the stale records before it),
 * or NULL. The stale records are skipped a word of live bits at a time:
 * every touch leaves one behind, and a branch per record on whether it is
 * live would be a coin toss. */
static struct tqrec *queue_oldest(struct table *t)
{
	t->qhead = next_live(t, t->qhead, t->qtail);
	return t->qhead < t->qtail ? &t->q[t->qhead & t->qmask] : NULL;
}

/* An entry that expires or is evicted has usually not been read for as
 * long as the table remembers: its lines and its slot would be a chain of
 * misses each. The queue says which entries go next, so they are loaded
 * before their turn comes. */
static void expire_prefetch(struct table *t)
{
	unsigned ahead;
	uint64_t lim;

	if (t->pf_slot < t->qhead || t->pf_slot > t->qtail)
		t->pf_slot = t->qhead;
	if (t->pf_ent < t->pf_slot || t->pf_ent > t->qtail)
		t->pf_ent = t->pf_slot;
	ahead = live_between(t, t->qhead, t->pf_slot);
	for (; ahead < PF_SLOTS; ahead++) {
		t->pf_slot = next_live(t, t->pf_slot, t->pf_ent);
		if (t->pf_slot >= t->pf_ent)
			break;
		table_prefetch_slot(t, t->q[t->pf_slot++ & t->qmask].n->hash);
	}
	ahead += live_between(t, t->pf_slot, t->pf_ent);
	lim = t->qtail - t->pf_ent > PF_SCAN ? t->pf_ent + PF_SCAN : t->qtail;
	for (; ahead < PF_ENTRIES; ahead++) {
		t->pf_ent = next_live(t, t->pf_ent, lim);
		if (t->pf_ent >= lim)
			break;
		prefetch_range(t->q[t->pf_ent++ & t->qmask].n, MIN(t->entry_size, (size_t)PF_BYTES));
	}
}

/* How many live records ahead of the one dropped table_drain loads. */
#define DRAIN_AHEAD 8

/* Drops every entry, oldest first, as the loop in table_expire would, but
 * clears the slots at once at the end instead of taking each entry out of
 * its slot (a chain of probes per entry); the live records are found a
 * word of bits at a time. */
static void table_drain(struct table *t)
{
	uint64_t pf = t->qhead;
	unsigned ahead = 0;

	for (uint64_t p = t->qhead;; p++) {
		for (; ahead < DRAIN_AHEAD && (pf = next_live(t, pf, t->qtail)) < t->qtail; ahead++)
			prefetch_range(t->q[pf++ & t->qmask].n, MIN(t->entry_size, (size_t)PF_BYTES));
		p = next_live(t, p, t->qtail);
		if (p >= t->qtail)
			break;
		ahead -= ahead > 0;
		struct tnode *n = t->q[p & t->qmask].n;
		if (t->drop)
			t->drop(t->ud, n, TDROP_EXPIRED);
		*(void **)n = t->free_list;
		t->free_list = n;
	}
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	memset(t->qlive, 0, (t->qmask + 1) / 64 * sizeof(*t->qlive));
	t->qhead = t->qtail;
	t->pf_ent = t->pf_slot = t->qtail;
	t->n = 0;
}

void table_expire(struct table *t, int64_t before)
{
	struct tqrec *r;
	/* Records are stamped in time order: when the newest is older than
	 * before, every entry goes (the end of a scan, a log's long silence).
	 * Then one pass drains the table, unless the slots are so many for
	 * the entries that clearing them all costs more than taking each out. */
	if (t->n && t->q[(t->qtail - 1) & t->qmask].seen_us < before && t->n * 256 >= t->mask + 1) {
		table_drain(t);
		return;
	}
	while ((r = queue_oldest(t))) {
		if (r->seen_us >= before)
			break;
		free_node(t, r->n, TDROP_EXPIRED);
		expire_prefetch(t);
	}
}

void table_done(struct table *t)
{
	if (!t->slots)
		return;
	table_expire(t, INT64_MAX);
	t->free_list = NULL;
	arena_done(&t->mem);
	free_arrays(t);
}

struct tnode *table_find(const struct table *t, uint64_t hash, bool (*eq)(const struct tnode *, const void *),
			 const void *key)
{
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		const struct tslot *sl = &t->slots[i];
		if (!sl->n)
			return NULL;
		if (sl->hash == hash && eq(sl->n, key))
			return sl->n;
	}
}

static int grow(struct table *t)
{
	size_t nslots = (t->mask + 1) * 2;
	struct tslot *s = pages_alloc(nslots * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mask; i++) {
		if (!t->slots[i].n)
			continue;
		size_t j = t->slots[i].hash & (nslots - 1);
		while (s[j].n)
			j = (j + 1) & (nslots - 1);
		s[j] = t->slots[i];
	}
	pages_free(t->slots, (t->mask + 1) * sizeof(*t->slots));
	t->slots = s;
	t->mask = nslots - 1;
	return 0;
}

struct tnode *table_insert(struct table *t, uint64_t hash, int64_t now_us)
{
	struct tnode *n;

	if (t->n >= t->cap) {
		struct tqrec *r = queue_oldest(t);
		if (t->evictions)
			(*t->evictions)++;
		free_node(t, r->n, TDROP_EVICTED);
		expire_prefetch(t);
	}
	if ((t->n + 1) * 2 > t->mask + 1 && grow(t) < 0)
		return NULL;
	if (t->free_list) {
		n = t->free_list;
		t->free_list = *(void **)n;
		memset(n, 0, t->entry_size);
	} else {
		n = arena_alloc(&t->mem, t->entry_size);
		if (!n)
			return NULL;
	}
	n->hash = hash;
	size_t i = hash & t->mask;
	while (t->slots[i].n)
		i = (i + 1) & t->mask;
	t->slots[i] = (struct tslot){ hash, n };
	t->n++;
	n->seen_us = now_us;
	table_queue_push(t, n);
	return n;
}

int64_t table_oldest(const struct table *t)
{
	return t->qhead < t->qtail ? t->q[t->qhead & t->qmask].seen_us : INT64_MAX;
}
