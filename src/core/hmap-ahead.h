/*
 * hmap-ahead: hints for a look-ahead over a batch (store/add-ahead.c's),
 * kept out of hmap.h: start loading the slot a hash is found at, or, the
 * slot being loaded by then, the first n bytes of the node with that hash.
 * Nothing changes; a map that changes meanwhile costs only the wasted load.
 */
#pragma once

#include "core/hmap.h"

static inline void hmap_prefetch_slot(const struct hmap *m, uint64_t hash)
{
	__builtin_prefetch(&m->slots[hash & m->mask]);
}

static inline void hmap_prefetch_node(const struct hmap *m, uint64_t hash, size_t n)
{
	for (size_t i = hash & m->mask; m->slots[i].node; i = (i + 1) & m->mask)
		if (m->slots[i].hash == hash) {
			for (size_t o = 0; o < n; o += 64)
				__builtin_prefetch((const char *)m->slots[i].node + o);
			return;
		}
}
