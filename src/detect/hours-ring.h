/*
 * detect/hours-ring: emptying buckets of a ring of per-hour counts (the slow
 * brute-force window: one byte per hour, saturating), taking what they held
 * off the ring's sum and count of non-empty hours. Private to src/detect.
 *
 * The ring's room is a whole number of 8-byte words (ROUND_UP(nh, 8)
 * bytes), the bytes past nh always zero.
 *
 * hours_clear_plain (hours-ring.c) is the reference: a word at a time over
 * the range, in plain C. hours_clear_sse2 (hours-ring-sse2.c) tests every
 * byte of a ring of at most 127 hours at once for lying in the range (SSE2;
 * elsewhere it is the plain one). tests/detect/test-brute.c checks that both
 * agree for every ring size, start and length.
 */
#pragma once

#include <stdint.h>

/* Empties n buckets from position from on, round the ring of nh (n <= nh,
 * from < nh), subtracting their sum from *sum and the non-empty ones from
 * *nz. */
void hours_clear_plain(uint8_t *ring, uint32_t nh, uint32_t from, uint32_t n, uint32_t *sum, uint32_t *nz);
/* The same, for nh <= 127. */
void hours_clear_sse2(uint8_t *ring, uint32_t nh, uint32_t from, uint32_t n, uint32_t *sum, uint32_t *nz);

/* The way the scan uses. */
static inline void hours_clear(uint8_t *ring, uint32_t nh, uint32_t from, uint32_t n, uint32_t *sum, uint32_t *nz)
{
	if (nh <= 127)
		hours_clear_sse2(ring, nh, from, n, sum, nz);
	else
		hours_clear_plain(ring, nh, from, n, sum, nz);
}
