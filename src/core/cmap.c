/* cmap: see cmap.h. */
#include "core/cmap.h"

#include <errno.h>
#include <string.h>

#include "core/macro.h"
#include "core/pages.h"

_Static_assert(offsetof(struct cmap_node, h) == 0, "a cmap_node starts with its hmap_node");

#define QUEUE_MIN 64 /* records; a multiple of 64 (one word of live bits) */

static bool rec_live(const struct cmap *m, uint64_t pos)
{
	size_t i = pos & m->qmask;
	return m->live[i / 64] >> (i % 64) & 1;
}

static void set_live(struct cmap *m, uint64_t pos, bool on)
{
	size_t i = pos & m->qmask;
	uint64_t bit = UINT64_C(1) << (i % 64);
	if (on)
		m->live[i / 64] |= bit;
	else
		m->live[i / 64] &= ~bit;
}

static void free_queue(struct cmap_rec *q, uint64_t *live, size_t size)
{
	pages_free(q, size * sizeof(*q));
	pages_free(live, size / 64 * sizeof(*live));
}

int cmap_init(struct cmap *m, uint64_t seed, size_t cap, size_t entry_size, cmap_drop_fn *drop, void *ud)
{
	*m = (struct cmap){ .cap = MAX(cap, (size_t)1), .entry_size = MAX(entry_size, sizeof(struct cmap_node)),
			    .drop = drop, .ud = ud, .qmask = QUEUE_MIN - 1 };
	arena_init(&m->mem, m->cap * m->entry_size);
	m->q = pages_alloc(QUEUE_MIN * sizeof(*m->q));
	m->live = pages_alloc(QUEUE_MIN / 64 * sizeof(*m->live));
	if (!m->q || !m->live || hmap_init(&m->map, seed) < 0) {
		free_queue(m->q, m->live, QUEUE_MIN);
		m->q = NULL;
		m->live = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The queue is full. When more than an eighth of its records are live it
 * doubles: positions are kept (position p is at index p & qmask, and a run
 * of the old ring's length puts no two positions on one index of the new
 * one), so no entry is rewritten. Otherwise (or when the memory is not
 * there) it is squeezed in place: the k-th live record moves to head + k
 * and its entry learns its new position. The live records are at most cap,
 * so the ring stops growing below 16 x cap records, and a squeeze frees at
 * least 7/8 of it: each touch pays for at most 1/7 of an entry rewrite. */
static void squeeze(struct cmap *m)
{
	size_t size = m->qmask + 1, live = 0;
	for (uint64_t p = m->head; p < m->tail; p++)
		live += rec_live(m, p);
	if (live * 8 > size) {
		size_t nsize = size * 2, nmask = nsize - 1;
		struct cmap_rec *nq = pages_alloc(nsize * sizeof(*nq));
		uint64_t *nlive = pages_alloc(nsize / 64 * sizeof(*nlive));
		if (nq && nlive) {
			for (uint64_t p = m->head; p < m->tail; p++) {
				size_t j = p & nmask;
				nq[j] = m->q[p & m->qmask];
				if (rec_live(m, p))
					nlive[j / 64] |= UINT64_C(1) << (j % 64);
			}
			free_queue(m->q, m->live, size);
			m->q = nq;
			m->live = nlive;
			m->qmask = nmask;
			return;
		}
		free_queue(nq, nlive, nsize);
	}
	/* The target position never passes the one read (the ring may wrap:
	 * positions head..tail-1 are all on different indices), so no record
	 * is overwritten before it is read. */
	uint64_t w = m->head;
	for (uint64_t p = m->head; p < m->tail; p++) {
		if (!rec_live(m, p))
			continue;
		struct cmap_rec r = m->q[p & m->qmask];
		set_live(m, p, false);
		m->q[w & m->qmask] = r;
		set_live(m, w, true);
		r.n->qpos = w++;
	}
	m->tail = w;
}

/* Appends n's record, stamped n->seen. */
static void push(struct cmap *m, struct cmap_node *n)
{
	if (m->tail - m->head > m->qmask)
		squeeze(m);
	m->q[m->tail & m->qmask] = (struct cmap_rec){ n, n->seen };
	set_live(m, m->tail, true);
	n->qpos = m->tail++;
}

void cmap_touch(struct cmap *m, struct cmap_node *n, int64_t now)
{
	set_live(m, n->qpos, false); /* its older record is no longer its newest */
	n->seen = now;
	push(m, n);
}

/* The least recently touched entry's record (the stale records before it
 * are dropped from the queue), or NULL. */
static struct cmap_rec *head_rec(struct cmap *m)
{
	while (m->head < m->tail && !rec_live(m, m->head))
		m->head++;
	return m->head < m->tail ? &m->q[m->head & m->qmask] : NULL;
}

static void recycle(struct cmap *m, struct cmap_node *n)
{
	*(void **)n = m->free_list;
	m->free_list = n;
}

static void drop_node(struct cmap *m, struct cmap_node *n, enum cmap_why why)
{
	hmap_del(&m->map, &n->h);
	set_live(m, n->qpos, false);
	if (m->drop)
		m->drop(m->ud, n, why);
	recycle(m, n);
}

void cmap_remove(struct cmap *m, struct cmap_node *n)
{
	drop_node(m, n, CMAP_REMOVED);
}

/* Drops every entry, oldest first: out of the map at once, then each
 * dropped (one pass instead of taking each out of its slot). */
static void drop_all(struct cmap *m)
{
	hmap_clear(&m->map);
	for (uint64_t p = m->head; p < m->tail; p++) {
		if (!rec_live(m, p))
			continue;
		struct cmap_node *n = m->q[p & m->qmask].n;
		set_live(m, p, false);
		if (m->drop)
			m->drop(m->ud, n, CMAP_EXPIRED);
		recycle(m, n);
	}
	m->head = m->tail;
}

void cmap_expire(struct cmap *m, int64_t before)
{
	struct cmap_rec *r;
	/* the newest record is live unless its entry was removed: when it
	 * expires, every entry does */
	if (m->tail > m->head && rec_live(m, m->tail - 1) && m->q[(m->tail - 1) & m->qmask].seen < before) {
		drop_all(m);
		return;
	}
	while ((r = head_rec(m)) && r->seen < before)
		drop_node(m, r->n, CMAP_EXPIRED);
}

int64_t cmap_oldest(struct cmap *m)
{
	struct cmap_rec *r = head_rec(m);
	return r ? r->seen : INT64_MAX;
}

struct cmap_node *cmap_lru(struct cmap *m)
{
	struct cmap_rec *r = head_rec(m);
	return r ? r->n : NULL;
}

struct cmap_node *cmap_add(struct cmap *m, uint64_t hash, int64_t now)
{
	struct cmap_node *n;

	if (cmap_size(m) >= m->cap) {
		struct cmap_rec *r = head_rec(m);
		m->evictions++;
		drop_node(m, r->n, CMAP_EVICTED);
	}
	if (m->free_list) {
		n = m->free_list;
		m->free_list = *(void **)n;
		memset(n, 0, m->entry_size);
	} else if (!(n = arena_alloc(&m->mem, m->entry_size))) {
		return NULL;
	}
	if (hmap_add(&m->map, &n->h, hash) < 0) {
		recycle(m, n);
		return NULL;
	}
	n->seen = now;
	push(m, n);
	return n;
}

struct cmap_node *cmap_next_oldest(const struct cmap *m, uint64_t *pos)
{
	uint64_t p = MAX(*pos, m->head);
	while (p < m->tail && !rec_live(m, p))
		p++;
	if (p >= m->tail) {
		*pos = p;
		return NULL;
	}
	*pos = p + 1;
	return m->q[p & m->qmask].n;
}

void cmap_done(struct cmap *m)
{
	if (!m->q)
		return;
	drop_all(m);
	hmap_done(&m->map);
	arena_done(&m->mem);
	free_queue(m->q, m->live, m->qmask + 1);
	*m = (struct cmap){ 0 };
}
