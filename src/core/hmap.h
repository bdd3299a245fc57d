/*
 * hmap: a seeded hash map of intrusive nodes with exact keys.
 *
 * The element embeds a struct hmap_node; the caller hashes its key with the
 * map's seed (hmap_seed, or hmap_hash for bytes) and decides equality with
 * its own eq() on the element's full key. The hash only finds candidates:
 * two keys are one key exactly when eq says so, so what the map answers is
 * a function of the keys alone, never of the seed. The seed (one per
 * process, see hash_random_seed) keeps an attacker who chooses the keys
 * (addresses, user names) from aiming them at one slot.
 *
 * Open addressing with linear probing; each slot keeps its node's hash, so a
 * probe compares hashes without reading the elements it passes. Deletion
 * shifts the following slots back (no tombstones: a flood of keys added and
 * removed does not slow lookups down). The slots grow by doubling and stay
 * at most half full. The map owns only its slots: elements are the caller's.
 *
 *	struct thing { struct hmap_node node; char name[32]; };
 *	static bool thing_eq(const struct hmap_node *n, const void *key)
 *	{
 *		return strcmp(container_of(n, struct thing, node)->name, key) == 0;
 *	}
 *	uint64_t h = hmap_hash(&m, name, strlen(name));
 *	struct hmap_node *n = hmap_find(&m, h, thing_eq, name);
 *	if (!n && hmap_add(&m, &t->node, h) < 0) ...   // -ENOMEM
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

struct hmap_node {
	uint64_t hash; /* set by hmap_add */
};

/* Whether node n holds key (the caller's key type). */
typedef bool hmap_eq_fn(const struct hmap_node *n, const void *key);

struct hmap_slot {
	uint64_t hash;
	struct hmap_node *node; /* NULL: empty */
};

struct hmap {
	/* private */
	struct hmap_slot *slots;
	size_t mask; /* slots - 1 (a power of two) */
	size_t n;
	uint64_t seed;
};

/* An empty map hashing with seed. 0 or -ENOMEM. */
int hmap_init(struct hmap *m, uint64_t seed);
/* Frees the slots (not the elements). */
void hmap_done(struct hmap *m);

static inline uint64_t hmap_seed(const struct hmap *m)
{
	return m->seed;
}

/* The hash of n bytes at p with the map's seed. */
static inline uint64_t hmap_hash(const struct hmap *m, const void *p, size_t n)
{
	return hash_bytes(p, n, m->seed);
}

static inline size_t hmap_size(const struct hmap *m)
{
	return m->n;
}

/* The node with this hash for which eq(node, key) holds, or NULL. */
struct hmap_node *hmap_find(const struct hmap *m, uint64_t hash, hmap_eq_fn *eq, const void *key);
/* Adds n under hash. The caller makes sure its key is not in the map yet
 * (hmap_find); n stays the caller's. 0, or -ENOMEM (the map unchanged). */
int hmap_add(struct hmap *m, struct hmap_node *n, uint64_t hash);
/* Takes n (which is in the map) out. */
void hmap_del(struct hmap *m, struct hmap_node *n);
/* Takes every node out at once. */
void hmap_clear(struct hmap *m);
/* Walks the nodes in no particular order: start with *pos = 0; NULL at the
 * end. The map must not change during the walk. */
struct hmap_node *hmap_next(const struct hmap *m, size_t *pos);
