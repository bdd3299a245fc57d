/*
 * hash: the hashes of in-memory tables (seeded per process: an attacker
 * cannot aim keys at one slot). Not stable across versions: nothing hashed
 * here may be written to disk.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* splitmix64's finaliser: every input bit moves every output bit. */
static inline uint64_t hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* n bytes, 8 at a time (the last 1-8 as one word, and the length), then
 * hash_mix. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

/* A seed for a table keyed by attacker text: from getrandom, or, where
 * that fails, the time, the pid and salt (an address of the caller's). */
uint64_t hash_random_seed(const void *salt);
