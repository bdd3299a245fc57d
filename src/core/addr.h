/*
 * addr: a validated IPv4 or IPv6 address. IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are stored as IPv4, so one attacker has one key.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/hash.h"
#include "core/strview.h"

enum { ADDR_NONE = 0, ADDR_V4 = 4, ADDR_V6 = 6 };

struct addr {
	uint8_t family; /* ADDR_NONE, ADDR_V4 or ADDR_V6 */
	uint8_t bytes[16]; /* network order; v4 uses the first 4 bytes */
};

/* Longest text addr_format() writes, with the NUL. */
#define ADDR_STRLEN 46

/* Parses text with inet_pton. Accepts "a.b.c.d", IPv6, IPv6 with a
 * "%zone" suffix (the zone is dropped) and IPv4-mapped IPv6. Nothing
 * else: no brackets, no port, no spaces. Returns 1 and fills *ret on
 * success, 0 when v is not an address. */
int addr_parse(struct sv v, struct addr *ret);
/* Tests: whether addr_parse may use its vector IPv4 parser (where the
 * processor has one; the default), or only the portable one. */
void addr_test_simd(bool on);

/* Writes the canonical text form into buf (ADDR_STRLEN bytes); returns buf.
 * ADDR_NONE formats as "". */
const char *addr_format(const struct addr *a, char buf[static ADDR_STRLEN]);

/* The same family and bytes (v4: the first 4). */
static inline bool addr_equal(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == ADDR_V4)
		return memcmp(a->bytes, b->bytes, 4) == 0;
	return memcmp(a->bytes, b->bytes, 16) == 0;
}

/* Masks a to its first prefix bits (e.g. 24 for v4, 48 for v6). */
struct addr addr_mask(const struct addr *a, unsigned prefix);

/* Loopback, link-local, private (RFC 1918, ULA) … used for reporting. */
bool addr_is_loopback(const struct addr *a);

/* A 64-bit hash for tables keyed by address (seeded per process): v4 is
 * one word, v6 two, then one hash_mix. */
static inline uint64_t addr_hash(const struct addr *a, uint64_t seed)
{
	uint64_t w0 = 0, w1 = 0;
	if (a->family == ADDR_V4) {
		uint32_t v;
		memcpy(&v, a->bytes, 4);
		w0 = v;
	} else {
		memcpy(&w0, a->bytes, 8);
		memcpy(&w1, a->bytes + 8, 8);
	}
	return hash_mix((w0 ^ seed) * 0x9e3779b97f4a7c15ULL ^ (w1 + a->family) * 0xc2b2ae3d27d4eb4fULL);
}
