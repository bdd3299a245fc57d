/* mem_eq (word loads inside the ranges) against mem_eq_plain (memcmp):
 * every length from 0 to 40, equal ranges and a difference at every
 * place, at every alignment of 0 to 7, with the ranges at the very end of
 * their buffers (a load past the end would be caught by ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/memeq.h"

static void test_same_as_memcmp(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t n = 0; n <= 40; n++)
		for (size_t off = 0; off < 8; off++) {
			/* each range ends its own allocation */
			unsigned char *a = malloc(off + n + 1), *b = malloc(n + 1);
			assert_non_null(a);
			assert_non_null(b);
			unsigned char *pa = a + off + 1, *pb = b + 1;
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				pa[i] = pb[i] = (unsigned char)x;
			}
			assert_true(mem_eq(pa, pb, n));
			assert_true(mem_eq_plain(pa, pb, n));
			for (size_t i = 0; i < n; i++)
				for (unsigned bit = 0; bit < 8; bit++) {
					pb[i] ^= (unsigned char)(1u << bit);
					assert_int_equal(mem_eq(pa, pb, n), mem_eq_plain(pa, pb, n));
					assert_false(mem_eq(pa, pb, n));
					pb[i] ^= (unsigned char)(1u << bit);
				}
			free(a);
			free(b);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_memcmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
