#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

/* Every byte of the text counts: changing any one byte of a text of any
 * length up to 40 changes the hash (a byte the hash skipped would make
 * two user names, or two hosts, one key). */
static void test_every_byte(void **state)
{
	unsigned char buf[48];
	(void)state;
	for (size_t n = 1; n <= 40; n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)('a' + (i * 7 + n) % 26);
		uint64_t h = hash_bytes(buf, n, 42);
		for (size_t i = 0; i < n; i++) {
			for (unsigned d = 1; d < 256; d += 37) {
				buf[i] = (unsigned char)(buf[i] ^ d);
				assert_true(hash_bytes(buf, n, 42) != h);
				buf[i] = (unsigned char)(buf[i] ^ d);
			}
		}
		assert_true(hash_bytes(buf, n, 42) == h);
	}
}

/* The length counts (a text and its prefix differ), and so does the seed. */
static void test_length_and_seed(void **state)
{
	static const char zeros[16] = { 0 };
	(void)state;
	for (size_t n = 0; n < 16; n++) {
		assert_true(hash_bytes(zeros, n, 7) != hash_bytes(zeros, n + 1, 7));
		assert_true(hash_bytes(zeros, n, 7) != hash_bytes(zeros, n, 8));
	}
	assert_true(hash_bytes("root", 4, 1) == hash_bytes("root", 4, 1));
	assert_true(hash_bytes("root", 4, 1) != hash_bytes("toor", 4, 1));
	assert_true(hash_bytes("ab", 2, 1) != hash_bytes("ba", 2, 1));
	assert_true(hash_bytes("abc", 3, 1) != hash_bytes("acb", 3, 1));
}

/* The hashes of all 26^4 four-letter names collide in their low 32 bits
 * about as often as chance has it (some 24 pairs): a weak mix would show. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_spread(void **state)
{
	enum { N = 26 * 26 * 26 * 26 };
	uint64_t *h = test_malloc(N * sizeof(*h));
	size_t same = 0;
	char s[4];
	(void)state;
	for (size_t i = 0; i < N; i++) {
		size_t k = i;
		for (size_t j = 0; j < 4; j++, k /= 26)
			s[j] = (char)('a' + k % 26);
		h[i] = hash_bytes(s, 4, 99) & 0xffffffffu;
	}
	qsort(h, N, sizeof(*h), cmp_u64);
	for (size_t i = 1; i < N; i++)
		same += h[i] == h[i - 1];
	/* 457k keys in 2^32 values: about 24 pairs expected */
	assert_true(same < 100);
	test_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_length_and_seed),
		cmocka_unit_test(test_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
