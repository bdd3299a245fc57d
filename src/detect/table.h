/*
 * detect/table: the capped hash table the detectors keep their
 * attacker-keyed state in (sources by address, accounts by host + user
 * name, baselines): open addressing with linear probing and backward-shift
 * deletion, a recency queue for eviction and expiry, entries carved from an
 * arena and recycled. Private to src/detect.
 *
 * The recency order is a queue of (entry, time) records, one appended per
 * touch: a touch writes the entry, one bit and the queue's tail, never a
 * neighbour entry. A record is live while it is its entry's newest (its bit
 * is set); the stale ones are skipped when they reach the head, or squeezed
 * out when the queue is full. The live records, oldest first, are exactly
 * the least-recently-seen order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

struct tnode {
	uint64_t hash;
	uint64_t qpos; /* where its newest record is in the table's queue */
	int64_t seen_us; /* last activity: the LRU order */
};

struct tqrec {
	struct tnode *n;
	int64_t seen_us;
};

/* A slot keeps its entry's hash: a probe compares hashes without reading
 * the entries it passes. */
struct tslot {
	uint64_t hash;
	struct tnode *n; /* NULL: empty */
};

/* Why an entry goes (the drop callback's argument). */
enum tdrop {
	TDROP_EXPIRED, /* not seen for the table's time to live, or the end of input */
	TDROP_EVICTED, /* pushed out by a new entry while the table was full */
	TDROP_REMOVED, /* table_remove: forgotten on purpose, nothing to report */
};

struct table {
	/* private */
	struct tslot *slots; /* open addressing, linear probing */
	size_t mask; /* slots - 1 (power of two) */
	size_t n, cap;
	size_t entry_size;
	struct tqrec *q; /* ring of qmask + 1 records: positions head..tail-1 */
	uint64_t *qlive; /* one bit per ring slot: the record is its entry's newest */
	uint64_t qhead, qtail;
	size_t qmask;
	uint64_t pf_ent, pf_slot; /* table.c: the next entries to expire, being loaded */
	void *free_list; /* dropped entries kept for reuse (at most cap) */
	struct arena mem; /* where the entries come from */
	uint64_t *evictions; /* counter bumped when a live entry is pushed out */
	/* Called before an entry is recycled: emit what it holds, then free
	 * what it owns (not the entry itself). */
	void (*drop)(void *ud, struct tnode *n, enum tdrop why);
	void *ud;
};

/* An empty table of at most cap entries of entry_size bytes (starting with
 * a struct tnode). evictions may be NULL. 0 or -ENOMEM. */
int table_init(struct table *t, size_t cap, size_t entry_size, uint64_t *evictions,
	       void (*drop)(void *, struct tnode *, enum tdrop), void *ud);
/* Drops every entry (oldest first, TDROP_EXPIRED) and frees the table. */
void table_done(struct table *t);
/* Finds an entry: eq(entry, key) decides among equal hashes. */
struct tnode *table_find(const struct table *t, uint64_t hash, bool (*eq)(const struct tnode *, const void *),
			 const void *key);
/* Adds a zeroed entry with this hash (the caller checked it is absent),
 * evicting the least recently seen entry when the table is full. NULL on OOM. */
struct tnode *table_insert(struct table *t, uint64_t hash, int64_t now_us);
/* Makes room in a full queue (table.c). */
void table_squeeze(struct table *t);
/* Marks n as seen at now_us (times never decrease): its previous record
 * is no longer live, a new one goes at the queue's tail. */
static inline void table_touch(struct table *t, struct tnode *n, int64_t now_us)
{
	size_t old = n->qpos & t->qmask;
	t->qlive[old / 64] &= ~(UINT64_C(1) << (old % 64));
	n->seen_us = now_us;
	if (t->qtail - t->qhead > t->qmask)
		table_squeeze(t);
	size_t i = t->qtail & t->qmask;
	t->q[i] = (struct tqrec){ n, n->seen_us };
	t->qlive[i / 64] |= UINT64_C(1) << (i % 64);
	n->qpos = t->qtail++;
}
/* Hints, for a caller that knows a key well before it looks it up (a
 * source's entry is usually cold: it was last touched hours ago): start
 * loading the slot where the lookup of hash begins, or the entry the slot
 * leads to (maybe another key's: the lookup checks). */
static inline void table_prefetch_slot(const struct table *t, uint64_t hash)
{
	__builtin_prefetch(&t->slots[hash & t->mask]);
}
void table_prefetch_entry(const struct table *t, uint64_t hash);
/* Walks the entries from the least recently seen: start with *pos = 0;
 * NULL at the end. The table must not change during the walk. */
struct tnode *table_next_oldest(const struct table *t, uint64_t *pos);
/* Drops (TDROP_REMOVED) and recycles one entry. */
void table_remove(struct table *t, struct tnode *n);
/* Drops entries not seen since before `before`, oldest first. The drop
 * callback must not look anything up in t. */
void table_expire(struct table *t, int64_t before);
/* When the least recently seen entry was seen, or INT64_MAX when the table
 * is empty: table_expire(before) drops nothing for before up to it. (A
 * stale head record may make this early; never late.) */
int64_t table_oldest(const struct table *t);
static inline size_t table_size(const struct table *t)
{
	return t->n;
}
