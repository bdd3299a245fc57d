/*
 * detect/hours-ring: the SSE2 way (see hours-ring.h). Every byte of the
 * ring's room is tested at once, 16 at a time, for being one of the n from
 * position from on (round the ring), instead of a loop over the range's
 * words, whose length and wrapping vary from call to call. A byte's place
 * counted from `from` is (i + nh - from) mod nh, below 2 * nh before the
 * mod: it fits a byte when nh <= 127. The room's bytes past nh are zeros
 * (emptying them changes nothing).
 */
#include "detect/hours-ring.h"

#ifdef __SSE2__
#include <emmintrin.h>

#include "core/macro.h"

void hours_clear_sse2(uint8_t *ring, uint32_t nh, uint32_t from, uint32_t n, uint32_t *ret_sum, uint32_t *ret_nz)
{
	const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	const __m128i vnh = _mm_set1_epi8((char)nh), vn = _mm_set1_epi8((char)n), one = _mm_set1_epi8(1);
	const __m128i zero = _mm_setzero_si128(), shift = _mm_set1_epi8((char)(nh - from));
	const uint32_t room = ROUND_UP(nh, 8);
	__m128i sum = zero, nz = zero;

	for (uint32_t o = 0; o < room; o += 16) {
		__m128i t = _mm_add_epi8(_mm_add_epi8(lane, _mm_set1_epi8((char)o)), shift);
		/* t mod nh (t < 2 * nh): nh off where t >= nh */
		__m128i rel = _mm_sub_epi8(t, _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(t, vnh), t), vnh));
		/* in the range: rel < n, i.e. not max(rel, n) == rel (none for n = 0) */
		__m128i out = _mm_cmpeq_epi8(_mm_max_epu8(rel, vn), rel);
		__m128i x = room - o >= 16 ? _mm_loadu_si128((const __m128i *)(const void *)(ring + o))
					   : _mm_loadl_epi64((const __m128i *)(const void *)(ring + o));
		__m128i gone = _mm_andnot_si128(out, x);
		sum = _mm_add_epi64(sum, _mm_sad_epu8(gone, zero));
		nz = _mm_add_epi64(nz, _mm_sad_epu8(_mm_min_epu8(gone, one), zero));
		x = _mm_and_si128(out, x);
		if (room - o >= 16)
			_mm_storeu_si128((__m128i *)(void *)(ring + o), x);
		else
			_mm_storel_epi64((__m128i *)(void *)(ring + o), x);
	}
	sum = _mm_add_epi64(sum, _mm_unpackhi_epi64(sum, sum));
	nz = _mm_add_epi64(nz, _mm_unpackhi_epi64(nz, nz));
	*ret_sum -= (uint32_t)_mm_cvtsi128_si32(sum);
	*ret_nz -= (uint32_t)_mm_cvtsi128_si32(nz);
}
#else
void hours_clear_sse2(uint8_t *ring, uint32_t nh, uint32_t from, uint32_t n, uint32_t *sum, uint32_t *nz)
{
	hours_clear_plain(ring, nh, from, n, sum, nz);
}
#endif
