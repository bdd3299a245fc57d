/* hash: see hash.h. */
#include "core/hash.h"

#include <string.h>

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL ^ seed;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		b += 8;
		n -= 8;
	}
	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return hash_mix(h);
}
