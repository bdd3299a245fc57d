/*
 * pages: zeroed memory for large arrays and arena chunks.
 *
 * Sizes below 1 MB come from the C allocator, aligned to a cache line.
 * From 1 MB up the memory is mapped in whole 2 MB units, 2 MB aligned, and
 * marked for transparent huge pages where the kernel offers them: tables
 * read at random miss the TLB far less often on huge pages. pages_free
 * needs the size given to pages_alloc.
 */
#pragma once

#include <stddef.h>

/* size zeroed bytes, 64-byte aligned (NULL on OOM). */
void *pages_alloc(size_t size);
/* Frees what pages_alloc(size) returned; a no-op for NULL. */
void pages_free(void *p, size_t size);
