/* arena: zeroed, aligned, big and small objects, reuse after arena_done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "core/pages.h"

static void test_alloc(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 10000);
	assert_null(arena_alloc(&a, 0));
	for (int round = 0; round < 2; round++) {
		char *prev = NULL;
		for (size_t i = 1; i < 3000; i += 7) {
			char *p = arena_alloc(&a, i);
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % (i >= 64 ? 64 : 16), 0);
			for (size_t j = 0; j < i; j++)
				assert_int_equal(p[j], 0);
			memset(p, 0xa5, i); /* no two objects overlap: the next ones are still zero */
			assert_true(p != prev);
			prev = p;
		}
		/* bigger than a chunk: a chunk of its own */
		char *big = arena_alloc(&a, (size_t)5 << 20);
		assert_non_null(big);
		assert_int_equal(big[0], 0);
		assert_int_equal(big[((size_t)5 << 20) - 1], 0);
		assert_true(a.bytes >= ((size_t)5 << 20));
		arena_done(&a);
		assert_int_equal(a.bytes, 0);
	}
}

static void test_pages(void **state)
{
	(void)state;
	size_t sizes[] = { 1, 100, 4096, (size_t)1 << 20, ((size_t)3 << 20) + 5 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = pages_alloc(sizes[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 64, 0);
		assert_int_equal(p[0], 0);
		assert_int_equal(p[sizes[i] - 1], 0);
		p[sizes[i] - 1] = 1;
		pages_free(p, sizes[i]);
	}
	pages_free(NULL, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
