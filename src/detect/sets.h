/*
 * detect/sets: small bounded sets keyed by 64-bit hashes of attacker data
 * (an account's failing sources, a burst's user names). Private to
 * src/detect.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* ---- bounded sets of keys with counts (an account's sources) ----
 *
 * Keys are 64-bit hashes kept as 32 bits (a collision merges two
 * sources: one in four billion pairs). The keys are one flat array,
 * compared in vector registers a block at a time (a few dozen compares
 * beat a hashed index, whose probes and deletions branch at random); a
 * recency list (most recently touched first, so ordered by last_s: event
 * time never goes backwards) gives the stalest item in O(1) and lets
 * sset_active stop at the first item outside its window. The list is a
 * ring (the head's prev is the stalest item): reusing the stalest item
 * for a new key moves the head back one place and relinks nothing, so a
 * full set takes a new key or counts an overflow without a branch on
 * which (on an attacked account, a coin toss on nearly every touch). The
 * live count is a flat count of compares too: walking the list's edge
 * instead branched at random on every touch. */

/* A 64-bit key as the sets keep it (never 0: 0 marks "none"). */
static inline uint32_t key32(uint64_t k)
{
	uint32_t x = (uint32_t)(k ^ (k >> 32));
	return x ? x : 1;
}

struct sitem {
	uint32_t count;
	uint32_t last_s; /* seconds since the epoch */
	uint16_t prev, next; /* recency ring: indices into v */
};

struct sset {
	/* one allocation: keys and live_s, room for alloc rounded up to 16
	 * each (zeros past n), then the alloc items */
	uint32_t *keys; /* keys[i] is v[i]'s */
	uint32_t *live_s; /* v[i].last_s + 1 when v[i].count, else 0 */
	struct sitem *v;
	uint16_t n, alloc, head; /* head: the newest item (when n > 0) */
	uint32_t overflow; /* events whose key was not kept: the set was full of fresh keys
			    * (the distinct count is then "at least n") */
};

/* Finds or adds key and adds n to its count (growing up to cap <= 1024;
 * when full, replaces the stalest item if older than stale_s, else counts
 * an overflow and returns NULL). *ret_new says whether the key was not in
 * the set (or stale there: its count restarts); *ret_prev_s is when it was
 * seen before (0: never). A set is always touched with the same stale_s
 * and nondecreasing now_s. */
struct sitem *sset_touch(struct sset *s, uint64_t key, uint32_t now_s, uint32_t stale_s, uint32_t cap, uint32_t n,
			 bool *ret_new, uint32_t *ret_prev_s);
/* sset_active(s, since, 0, NULL) for since = now_s - stale_s (0 when
 * now_s < stale_s): a count of compares, without a branch per item. */
uint32_t sset_live(const struct sset *s, uint32_t now_s, uint32_t stale_s);
/* The item of key, or NULL. */
struct sitem *sset_find(const struct sset *s, uint64_t key);
/* Sets an item's count to 0 (it no longer counts as active). */
void sset_zero(struct sset *s, struct sitem *it);
/* Items seen at or after since_s with a count, and the sum of their counts,
 * skipping skip_key (0: none). */
uint32_t sset_active(const struct sset *s, uint32_t since_s, uint64_t skip_key, uint32_t *ret_sum);
void sset_done(struct sset *s);

/* ---- a burst's user names: keys and when each was last tried ----
 *
 * A few dozen at most (limits.max_names_per_source), so a plain array
 * scanned whole beats any index: the first NSET_INLINE live inside the
 * burst's block (no pointer to follow), the rest on the heap. Keys are
 * 64-bit hashes kept as 32 bits (key32), as in struct sset. */

#define NSET_INLINE 16

struct nitem {
	uint32_t key;
	uint32_t last_s;
	uint32_t tries; /* attempts noted for it while it was kept */
};

struct nameset {
	struct nitem in[NSET_INLINE];
	struct nitem *more; /* items NSET_INLINE.. (room for more_cap of them) */
	size_t more_cap;
	uint16_t n;
	uint32_t overflow; /* names not kept: the set was full of names tried within the window */
	uint32_t replaced_s; /* when the name the last touch pushed out was last tried (0: none was) */
};

/* Notes that key was tried at now_s (tries attempts). *ret_new: it was not
 * in the set, or last tried more than stale_s before (before the window);
 * *ret_prev_s: when it was tried before (0: never). When the set holds cap
 * keys, a new one takes the place of one tried before the window (its last
 * time goes to s->replaced_s), else it counts an overflow and false is
 * returned. *ret_live: the keys tried within the window, this one included
 * (when true is returned). */
bool nset_touch(struct nameset *s, uint64_t key, uint32_t now_s, uint32_t stale_s, uint32_t cap, uint32_t tries,
		bool *ret_new, uint32_t *ret_prev_s, uint32_t *ret_live);
/* The attempts noted for the names in the set. */
uint64_t nset_tries(const struct nameset *s);
void nset_clear(struct nameset *s);
void nset_done(struct nameset *s);
