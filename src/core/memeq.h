/*
 * memeq: whether two byte ranges of one length are equal: names compared
 * on every line (a host, a program, a user against the one before, a
 * cache's entry), mostly a few bytes long, where a call to memcmp cost
 * more than the compare. mem_eq reads each range with at most two
 * overlapping loads that stay inside it (up to 16 bytes; memcmp past
 * that); mem_eq_plain is memcmp. test-memeq compares the two on every
 * length and place of a difference.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core/macro.h"

static inline bool mem_eq_plain(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static inline bool mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	if (n >= 8) {
		if (n > 16)
			return memcmp(x, y, n) == 0;
		return ((load_u64(x) ^ load_u64(y)) | (load_u64(x + n - 8) ^ load_u64(y + n - 8))) == 0;
	}
	if (n >= 4)
		return ((load_u32(x) ^ load_u32(y)) | (load_u32(x + n - 4) ^ load_u32(y + n - 4))) == 0;
	if (n == 0)
		return true;
	/* 1-3 bytes: the first, middle and last (together, every byte) */
	return ((x[0] ^ y[0]) | (x[n / 2] ^ y[n / 2]) | (x[n - 1] ^ y[n - 1])) == 0;
}
