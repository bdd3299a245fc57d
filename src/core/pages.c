/* pages: see pages.h. */
#include "core/pages.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/macro.h"

#define HUGE_UNIT ((size_t)2 << 20)
#define MAPPED_MIN ((size_t)1 << 20)

static size_t mapped_size(size_t size)
{
	return ROUND_UP(size, HUGE_UNIT);
}

void *pages_alloc(size_t size)
{
	if (size < MAPPED_MIN) {
		size_t sz = ROUND_UP(size ? size : 1, (size_t)64);
		void *p = aligned_alloc(64, sz);
		if (p)
			memset(p, 0, sz);
		return p;
	}
	size = mapped_size(size);
	/* 2 MB aligned: map one unit more and trim both ends */
	char *p = mmap(NULL, size + HUGE_UNIT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *q = (char *)(((uintptr_t)p + HUGE_UNIT - 1) & ~(uintptr_t)(HUGE_UNIT - 1));
	if (q > p)
		(void)munmap(p, (size_t)(q - p));
	if (q + size < p + size + HUGE_UNIT)
		(void)munmap(q + size, (size_t)(p + size + HUGE_UNIT - (q + size)));
#ifdef MADV_HUGEPAGE
	(void)madvise(q, size, MADV_HUGEPAGE); /* a hint: without it, small pages */
#endif
	return q;
}

void pages_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < MAPPED_MIN)
		free(p);
	else
		(void)munmap(p, mapped_size(size));
}
