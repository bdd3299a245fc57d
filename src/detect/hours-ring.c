/* detect/hours-ring: the plain way (see hours-ring.h). */
#include "detect/hours-ring.h"

#include <string.h>

/* The sum of a word's 8 bytes, and how many of them are not zero. */
static inline void word_sum_nz(uint64_t v, uint32_t *sum, uint32_t *nz)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL, even = 0x00ff00ff00ff00ffULL;
	uint64_t pairs = (v & even) + (v >> 8 & even); /* four sums of two, each < 511 */
	*sum += (uint32_t)((pairs * 0x0001000100010001ULL) >> 48);
	/* a byte's top bit set when it is not zero; the bits added up */
	*nz += (uint32_t)((((((v & lo7) + lo7) | v) & ~lo7) >> 7) * 0x0101010101010101ULL >> 56);
}

/* Empties buckets from..to-1 (from <= to <= nh), a word at a time: the
 * range's bytes are masked in, summed, counted and cleared, and a word's
 * bytes outside the range are kept. */
static void hours_empty(uint8_t *ring, uint32_t from, uint32_t to, uint32_t *sum, uint32_t *nz)
{
	uint32_t s = 0, z = 0;
	uint64_t first = ~UINT64_C(0) << (8 * (from % 8));

	for (uint32_t w = from & ~7u; w < to; w += 8) {
		uint32_t left = to - w;
		uint64_t m = first & (left >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * left)) - 1), x;
		first = ~UINT64_C(0);
		memcpy(&x, ring + w, sizeof(x));
		word_sum_nz(x & m, &s, &z);
		x &= ~m;
		memcpy(ring + w, &x, sizeof(x));
	}
	*sum -= s;
	*nz -= z;
}

void hours_clear_plain(uint8_t *ring, uint32_t nh, uint32_t from, uint32_t n, uint32_t *sum, uint32_t *nz)
{
	if (from + n > nh) {
		hours_empty(ring, from, nh, sum, nz);
		n -= nh - from;
		from = 0;
	}
	hours_empty(ring, from, from + n, sum, nz);
}
