/*
 * legacy: schema 2's read cursors, kept so that an upgrade reads no file
 * twice. Schema 2 named an input by a 64-bit hash (FNV-1a with murmur3's
 * finaliser) of its first 1024 decompressed bytes, or of its first line
 * when it was shorter ("v1:<hex>:<len>"), and trusted a cursor when a line
 * ended there. Each file found so is resumed that way once and gets a
 * cursor of schema 3 (source.h's marks).
 */
#include "source/legacy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/macro.h"

#define V1_LEN 1024

static uint64_t v1_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

int source_legacy_fingerprints(struct source_reader *r, char full[SOURCE_LEGACY_FP_LEN],
			       char first_line[SOURCE_LEGACY_FP_LEN])
{
	size_t n;
	const char *p = source_peek(r, V1_LEN, &n);
	int found = 0;
	full[0] = first_line[0] = '\0';
	if (!p)
		return 0;
	if (n >= V1_LEN) {
		(void)snprintf(full, SOURCE_LEGACY_FP_LEN, "v1:%016" PRIx64 ":%d", v1_hash(p, V1_LEN), V1_LEN);
		found |= 1;
	}
	const char *nl = memchr(p, '\n', MIN(n, (size_t)V1_LEN - 1));
	if (nl) {
		size_t k = (size_t)(nl - p) + 1;
		(void)snprintf(first_line, SOURCE_LEGACY_FP_LEN, "v1:%016" PRIx64 ":%zu", v1_hash(p, k), k);
		found |= 2;
	}
	return found;
}
