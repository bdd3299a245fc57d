/*
 * cmap: a capped map for state keyed by attacker data. At most cap entries;
 * when full, adding one first evicts the entry touched least recently,
 * which is counted. Entries also expire: cmap_expire drops those not
 * touched since a given time, oldest first. Whatever goes, the owner's
 * drop callback sees it first (to report what the entry holds, and free
 * what it owns).
 *
 * Entries are fixed-size blocks (entry_size bytes, starting with a struct
 * cmap_node) owned by the map: carved from an arena and recycled through a
 * free list, so a map allocates at most cap entries in its life and nothing
 * per key. Keys are exact (see hmap.h): the caller hashes with cmap_seed and
 * compares with its eq().
 *
 * Recency: touching an entry appends a record (entry, time) to a queue
 * instead of relinking the entry in a list, so a touch writes the entry and
 * the queue's tail but never a neighbour entry (in a big table, each of
 * those would be a cache miss). A record is live while it is its entry's
 * newest; the others are skipped when they reach the head. The live records
 * from the head are exactly the entries from least to most recently
 * touched. Times must not decrease from one call to the next.
 *
 *	struct src { struct cmap_node node; struct addr addr; ... };
 *	cmap_init(&m, seed, 65536, sizeof(struct src), src_drop, owner);
 *	uint64_t h = addr_hash(&a, cmap_seed(&m));
 *	struct cmap_node *n = cmap_find(&m, h, src_eq, &a);
 *	if (n)
 *		cmap_touch(&m, n, now);
 *	else if ((n = cmap_add(&m, h, now)))   // zeroed; may have evicted one
 *		container_of(n, struct src, node)->addr = a;
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/hmap.h"

struct cmap_node {
	struct hmap_node h;
	uint64_t qpos; /* private: where its newest record is in the queue */
	int64_t seen; /* when it was last touched (added) */
};

enum cmap_why {
	CMAP_EVICTED, /* pushed out by a new entry while the map was full */
	CMAP_EXPIRED, /* not touched since the time given to cmap_expire */
	CMAP_REMOVED, /* cmap_remove */
};

/* Called before an entry is recycled: the entry is out of the map already
 * (a lookup no longer finds it). It must not add or remove entries of this
 * map. */
typedef void cmap_drop_fn(void *ud, struct cmap_node *n, enum cmap_why why);

struct cmap_rec {
	struct cmap_node *n;
	int64_t seen;
};

struct cmap {
	/* private */
	struct hmap map;
	size_t cap, entry_size;
	struct arena mem;
	void *free_list; /* dropped entries, reused before the arena is asked */
	struct cmap_rec *q; /* ring of qmask + 1 records: positions head..tail-1 */
	uint64_t *live; /* one bit per ring position: the record is its entry's newest */
	uint64_t head, tail;
	size_t qmask;
	uint64_t evictions;
	cmap_drop_fn *drop;
	void *ud;
};

/* An empty map of at most cap (>= 1) entries of entry_size bytes (at least
 * sizeof(struct cmap_node)), hashing with seed; drop may be NULL.
 * 0 or -ENOMEM. */
int cmap_init(struct cmap *m, uint64_t seed, size_t cap, size_t entry_size, cmap_drop_fn *drop, void *ud);
/* Drops every entry, least recently touched first (CMAP_EXPIRED), and frees
 * the map's memory. */
void cmap_done(struct cmap *m);

static inline uint64_t cmap_seed(const struct cmap *m)
{
	return hmap_seed(&m->map);
}
static inline size_t cmap_size(const struct cmap *m)
{
	return hmap_size(&m->map);
}
static inline size_t cmap_cap(const struct cmap *m)
{
	return m->cap;
}
/* Entries evicted so far (see cmap_add). */
static inline uint64_t cmap_evictions(const struct cmap *m)
{
	return m->evictions;
}

/* The entry with this hash for which eq(&entry->h, key) holds, or NULL.
 * Finding does not touch. */
static inline struct cmap_node *cmap_find(const struct cmap *m, uint64_t hash, hmap_eq_fn *eq, const void *key)
{
	struct hmap_node *h = hmap_find(&m->map, hash, eq, key);
	return h ? (struct cmap_node *)(void *)h : NULL;
}
/* Adds a zeroed entry under hash (the caller made sure its key is absent),
 * touched at now. When the map is full the least recently touched entry
 * is evicted first (dropped with CMAP_EVICTED and counted). NULL on OOM. */
struct cmap_node *cmap_add(struct cmap *m, uint64_t hash, int64_t now);
/* Marks n as touched at now (its most recent use). */
void cmap_touch(struct cmap *m, struct cmap_node *n, int64_t now);
/* Drops n (CMAP_REMOVED) and recycles it. */
void cmap_remove(struct cmap *m, struct cmap_node *n);
/* Drops (CMAP_EXPIRED) every entry last touched before `before`, least
 * recently touched first. */
void cmap_expire(struct cmap *m, int64_t before);
/* When the least recently touched entry was touched (INT64_MAX when the
 * map is empty): nothing expires before a time after it. */
int64_t cmap_oldest(struct cmap *m);
/* The least recently touched entry (the next one to evict), or NULL. */
struct cmap_node *cmap_lru(struct cmap *m);
/* Walks the entries from the least recently touched: start with *pos = 0;
 * NULL at the end. The map must not change during the walk. */
struct cmap_node *cmap_next_oldest(const struct cmap *m, uint64_t *pos);
