#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/addr.h"

static void roundtrip(const char *in, const char *want)
{
	struct addr a;
	char buf[ADDR_STRLEN];
	if (!want) {
		assert_int_equal(addr_parse(sv_cstr(in), &a), 0);
		return;
	}
	assert_int_equal(addr_parse(sv_cstr(in), &a), 1);
	assert_string_equal(addr_format(&a, buf), want);
}

static void test_parse(void **state)
{
	(void)state;
	roundtrip("1.2.3.4", "1.2.3.4");
	roundtrip("2001:db8::a11:beef:7ac0", "2001:db8::a11:beef:7ac0");
	roundtrip("2001:db8::a11:beef:7ac0%abcdefgh1234567", "2001:db8::a11:beef:7ac0");
	roundtrip("::ffff:10.0.0.5", "10.0.0.5");
	roundtrip("::1", "::1");
	roundtrip("", NULL);
	roundtrip("1.2.3", NULL);
	roundtrip("1.2.3.4 ", NULL);
	roundtrip("1.2.3.4%eth0", NULL);
	roundtrip("256.1.1.1", NULL);
	roundtrip("[::1]", NULL);
	roundtrip("host.example.com", NULL);
	roundtrip("1.2.3.4:22", NULL);
	/* a NUL inside the view is not an address */
	struct addr a;
	assert_int_equal(addr_parse(sv_make("1.2.3.4\0junk", 12), &a), 0);
}

static void test_mask(void **state)
{
	struct addr a, m;
	char buf[ADDR_STRLEN];
	(void)state;
	assert_int_equal(addr_parse(sv_cstr("192.0.2.77"), &a), 1);
	m = addr_mask(&a, 24);
	assert_string_equal(addr_format(&m, buf), "192.0.2.0");
	assert_int_equal(addr_parse(sv_cstr("2001:db8:1:2:3::9"), &a), 1);
	m = addr_mask(&a, 48);
	assert_string_equal(addr_format(&m, buf), "2001:db8:1::");
	m = addr_mask(&a, 200);
	assert_true(addr_equal(&m, &a));
}

static void test_equal_hash(void **state)
{
	struct addr a, b;
	(void)state;
	assert_int_equal(addr_parse(sv_cstr("::ffff:1.2.3.4"), &a), 1);
	assert_int_equal(addr_parse(sv_cstr("1.2.3.4"), &b), 1);
	assert_true(addr_equal(&a, &b));
	assert_true(addr_hash(&a, 7) == addr_hash(&b, 7));
	assert_int_equal(addr_parse(sv_cstr("1.2.3.5"), &b), 1);
	assert_false(addr_equal(&a, &b));
	assert_true(addr_is_loopback(&(struct addr){ .family = ADDR_V4, .bytes = { 127, 0, 0, 1 } }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_equal_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
