/* Small helpers shared by every module: cleanup attributes, array sizes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _unused_ __attribute__((unused))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

/* Hand a cleanup-owned pointer to the caller: p = TAKE_PTR(q) leaves q NULL. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_ = (p);    \
		(p) = NULL;                  \
		_tp_;                        \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
/* x rounded up to a multiple of k (k > 0) */
#define ROUND_UP(x, k) (((x) + (k)-1) / (k) * (k))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* 8 or 4 bytes at p, unaligned, as a number in the machine's byte order
 * (one load: the compiler turns the memcpy into it). */
static inline uint64_t load_u64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load_u32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}
