/* hash: see hash.h. */
#include "core/hash.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/macro.h"

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = (1469598103934665603ULL ^ seed) + n, w;

	while (n > 8) {
		h = (h ^ load_u64(b)) * 0x100000001b3ULL;
		h ^= h >> 29;
		b += 8;
		n -= 8;
	}
	/* The last 1-8 bytes as one word, read with loads that stay inside
	 * them (from 4 bytes up, two that overlap). A loop over them ended
	 * after as many bytes as the name has left, which varies from line
	 * to line: its last branch was guessed wrong about once a name (15 ns
	 * a name, against 3 ns for the same names sorted by length). For one
	 * length the word holds every byte, so two tails of that length that
	 * differ make two words that differ; the length itself is in h. */
	if (n >= 4)
		w = load_u32(b) | (uint64_t)load_u32(b + n - 4) << 32;
	else if (n > 0)
		w = (uint64_t)b[0] | (uint64_t)b[n / 2] << 8 | (uint64_t)b[n - 1] << 16;
	else
		w = 0;
	h = (h ^ w) * 0x100000001b3ULL;
	return hash_mix(h);
}

uint64_t hash_random_seed(const void *salt)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	return hash_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)salt);
}
