#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "core/strview.h"

static void test_basic(void **state)
{
	struct sv v = sv_cstr("Failed password for root from 1.2.3.4 port 22 ssh2");
	unsigned long long x;
	(void)state;
	assert_true(sv_consume(&v, "Failed "));
	assert_true(sv_starts(v, "password"));
	assert_true(sv_consume_end(&v, " ssh2"));
	assert_int_equal(sv_rfind(v, " from "), 17);
	assert_int_equal(sv_find(v, "port"), 31);
	assert_int_equal(sv_chr(v, '.'), 24);
	assert_int_equal(sv_rchr(v, '.'), 28);
	assert_int_equal(sv_rfind(v, "nothere"), -1);
	assert_int_equal(sv_to_u64(sv_cstr("22"), 65535, &x), 0);
	assert_int_equal((int)x, 22);
	assert_int_equal(sv_to_u64(sv_cstr("65536"), 65535, &x), -ERANGE);
	assert_int_equal(sv_to_u64(sv_cstr("9"), 2, &x), -ERANGE); /* one digit above a small max */
	assert_int_equal(sv_to_u64(sv_cstr("2"), 2, &x), 0);
	assert_int_equal(sv_to_u64(sv_cstr(""), 65535, &x), -EINVAL);
	assert_int_equal(sv_to_u64(sv_cstr("1a"), 65535, &x), -EINVAL);
	assert_int_equal(sv_to_u64(sv_cstr("99999999999999999999999"), ~0ULL, &x), -EINVAL);
	uint64_t h = 0;
	assert_true(sv_hex_u64(sv_cstr("ffffffffffffffff"), &h));
	assert_true(h == UINT64_MAX);
	assert_true(sv_hex_u64(sv_cstr("0aB9"), &h));
	assert_true(h == 0xab9);
	assert_false(sv_hex_u64(sv_cstr(""), &h));
	assert_false(sv_hex_u64(sv_cstr("10000000000000000"), &h)); /* 17 digits */
	assert_false(sv_hex_u64(sv_cstr("12g"), &h));
	assert_false(sv_hex_u64(sv_make("1\0", 2), &h));
	char *d = sv_dup(sv_make("ab\0c", 4));
	assert_memory_equal(d, "ab\0c", 5);
	free(d);
	v = sv_cstr("x");
	assert_false(sv_consume(&v, "xy"));
	assert_true(sv_empty(sv_skip(v, 5)));
}

/* Whether a view lies in a buffer: at both ends, one byte over, before
 * it, empty anywhere, and lengths that would wrap an address. */
static void test_within(void **state)
{
	char buf[16] = { 0 };
	(void)state;
	assert_true(sv_within(sv_make(buf, 16), buf, 16));
	assert_true(sv_within(sv_make(buf + 15, 1), buf, 16));
	assert_true(sv_within(sv_make(buf + 16, 0), buf, 16));
	assert_true(sv_within(SV_NULL, buf, 16)); /* empty: nothing to keep */
	assert_false(sv_within(sv_make(buf, 17), buf, 16));
	assert_false(sv_within(sv_make(buf + 15, 2), buf, 16));
	assert_false(sv_within(sv_make(buf + 4, 1), buf + 5, 8)); /* one byte before */
	assert_false(sv_within(sv_make(buf + 8, SIZE_MAX), buf, 16)); /* a length that wraps */
	assert_false(sv_within(sv_make(buf, 1), NULL, 0)); /* no buffer */
	assert_true(sv_within(sv_make(buf + 3, 4), buf + 3, 4));
	assert_false(sv_within(sv_make(buf + 3, 5), buf + 3, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_within),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
