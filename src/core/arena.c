/* arena: see arena.h. */
#include "core/arena.h"

#include <stdint.h>

#include "core/macro.h"
#include "core/pages.h"

#define CHUNK_MAX ((size_t)2 << 20)
#define CHUNK_MIN ((size_t)4096)
#define CHUNK_HEAD ((size_t)64) /* the link to the next chunk and the chunk's size, padded to a line */

void arena_init(struct arena *a, size_t expect)
{
	size_t c = ROUND_UP(expect + CHUNK_HEAD, CHUNK_MIN);
	*a = (struct arena){ .chunk = MIN(MAX(c, CHUNK_MIN), CHUNK_MAX) };
}

static size_t pad_for(const char *p, size_t align)
{
	return (align - ((uintptr_t)p & (align - 1))) & (align - 1);
}

void *arena_alloc(struct arena *a, size_t size)
{
	size_t align = size >= 64 ? 64 : 16;
	size_t pad = a->cur ? pad_for(a->cur, align) : 0;

	if (size == 0 || size > SIZE_MAX / 2)
		return NULL;
	if (!a->cur || a->left < pad + size) {
		/* a new chunk; what was left of the last one is not used again */
		size_t csize = MAX(a->chunk, ROUND_UP(size + CHUNK_HEAD, CHUNK_MIN));
		char *c = pages_alloc(csize);
		if (!c)
			return NULL;
		((void **)c)[0] = a->chunks;
		((size_t *)c)[1] = csize;
		a->chunks = c;
		a->cur = c + CHUNK_HEAD;
		a->left = csize - CHUNK_HEAD;
		a->bytes += csize;
		pad = 0; /* CHUNK_HEAD keeps the chunk's 64-byte alignment */
	}
	void *p = a->cur + pad;
	a->cur += pad + size;
	a->left -= pad + size;
	return p;
}

void arena_done(struct arena *a)
{
	size_t chunk = a->chunk;
	while (a->chunks) {
		char *c = a->chunks;
		a->chunks = ((void **)c)[0];
		pages_free(c, ((size_t *)c)[1]);
	}
	*a = (struct arena){ .chunk = chunk };
}
