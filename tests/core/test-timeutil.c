#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timeutil.h"

static void test_roundtrip(void **state)
{
	char buf[TIME_STRLEN];
	int64_t t;
	(void)state;
	assert_int_equal(time_parse_rfc3339("2026-11-01T00:00:01Z", &t), 0);
	assert_true(t == 1793491201LL * 1000000);
	assert_string_equal(time_format_rfc3339(t, buf), "2026-11-01T00:00:01Z");
	assert_int_equal(time_parse_rfc3339("2026-11-01T01:00:01.5+01:00", &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "2026-11-01T00:00:01.500000Z");
	assert_int_equal(time_parse_rfc3339("2024-02-29", &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "2024-02-29T00:00:00Z");
	assert_int_equal(time_parse_rfc3339("1969-12-31T23:59:59Z", &t), 0);
	assert_true(t == -1000000);
	assert_string_equal(time_format_rfc3339(t, buf), "1969-12-31T23:59:59Z");
}

/* Four-digit years at both ends, and what lies beyond them clamped. */
static void test_format_years(void **state)
{
	char buf[TIME_STRLEN];
	int64_t t;
	(void)state;
	assert_int_equal(time_parse_rfc3339("0001-01-01T00:00:00Z", &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "0001-01-01T00:00:00Z");
	assert_int_equal(time_parse_rfc3339("0999-12-31T23:59:59.25Z", &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "0999-12-31T23:59:59.250000Z");
	assert_int_equal(time_parse_rfc3339("0000-01-01T00:00:00Z", &t), 0);
	assert_true(t == TIME_US_MIN);
	assert_string_equal(time_format_rfc3339(t, buf), "0000-01-01T00:00:00Z");
	/* an offset can put a year-0000 time before year 0 */
	assert_int_equal(time_parse_rfc3339("0000-01-01T00:30:00+01:00", &t), 0);
	assert_true(t < TIME_US_MIN);
	assert_string_equal(time_format_rfc3339(t, buf), "0000-01-01T00:00:00Z");
	assert_string_equal(time_format_rfc3339(INT64_MIN, buf), "0000-01-01T00:00:00Z");
	assert_string_equal(time_format_rfc3339(TIME_US_MAX, buf), "9999-12-31T23:59:59.999999Z");
	assert_string_equal(time_format_rfc3339(INT64_MAX, buf), "9999-12-31T23:59:59.999999Z");
}

static void test_reject(void **state)
{
	int64_t t;
	(void)state;
	assert_int_equal(time_parse_rfc3339("", &t), -22);
	assert_int_equal(time_parse_rfc3339("2026-13-01", &t), -22);
	assert_int_equal(time_parse_rfc3339("2026-11-01T25:00:00Z", &t), -22);
	assert_int_equal(time_parse_rfc3339("2026-11-01Tjunk", &t), -22);
	assert_int_equal(time_parse_rfc3339("2026-11-01T00:00:00Zx", &t), -22);
}

static void test_civil(void **state)
{
	(void)state;
	assert_true(time_days_from_civil(1970, 1, 1) == 0);
	assert_true(time_days_from_civil(2000, 3, 1) == 11017);
	assert_true(time_days_from_civil(1969, 12, 31) == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_format_years),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_civil),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
