/*
 * arena: memory carved from large chunks and given back all at once.
 *
 * For many objects that live as long as their owner (table entries, blocks
 * kept on a free list by their user): no malloc per object, no per-object
 * header, and the objects of one owner sit together. Chunks from 2 MB up
 * come from core/pages (whole pages, which the kernel may back with huge
 * pages).
 *
 *	struct arena a;
 *	arena_init(&a, expect);           // about how many bytes will be carved
 *	struct thing *t = arena_alloc(&a, sizeof(*t));   // zeroed, or NULL
 *	...
 *	arena_done(&a);                   // every object at once
 */
#pragma once

#include <stddef.h>

struct arena {
	void *chunks; /* private: each chunk begins with the link to the next and its size */
	char *cur;
	size_t left, chunk;
	size_t bytes; /* bytes held in chunks */
};

/* An empty arena whose chunks will hold about expect bytes at most
 * (between 4 kB and 2 MB each); allocates nothing yet. */
void arena_init(struct arena *a, size_t expect);
/* size zeroed bytes that live until arena_done, aligned to 64 bytes when
 * size is 64 or more (an object of a cache line or more starts on one),
 * else to 16; NULL when out of memory or size is 0. */
void *arena_alloc(struct arena *a, size_t size);
/* Frees every chunk; the arena is empty again (and may be used again). */
void arena_done(struct arena *a);
