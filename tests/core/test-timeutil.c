#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <time.h>

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

/* What gmtime_r and printf write for t (inside 0000..9999). */
static void reference(int64_t t_us, char out[TIME_STRLEN])
{
	int64_t s = t_us / 1000000, us = t_us % 1000000;
	if (us < 0) {
		us += 1000000;
		s--;
	}
	time_t tt = (time_t)s;
	struct tm tm;
	assert_non_null(gmtime_r(&tt, &tm));
	int n = snprintf(out, TIME_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (us)
		snprintf(out + n, (size_t)(TIME_STRLEN - n), ".%06lldZ", (long long)us);
	else
		snprintf(out + n, (size_t)(TIME_STRLEN - n), "Z");
}

/* The hand-written formatter against libc's calendar: the ends of the
 * range, leap days and centuries, both sides of 1970, and a million
 * pseudo-random times (seconds and microseconds) over the whole range. */
static void test_format_matches_libc(void **state)
{
	static const int64_t fixed[] = {
		TIME_US_MIN, TIME_US_MAX, 0, -1, 1, 999999, -1000000, -1000001, 86399999999, 86400000000,
		INT64_C(951782400) * 1000000,  /* 2000-02-29 */
		INT64_C(4107542400) * 1000000, /* 2100-03-01 */
		INT64_C(-2203977600) * 1000000, /* 1900-02-28 */
		INT64_C(-62135596800) * 1000000, /* 0001-01-01 */
		INT64_C(-62162035201) * 1000000, /* 0000-02-29T23:59:59 */
		INT64_C(253402214400) * 1000000, /* 9999-12-31 */
	};
	char got[TIME_STRLEN], want[TIME_STRLEN];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		reference(fixed[i], want);
		assert_string_equal(time_format_rfc3339(fixed[i], got), want);
	}
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t span = (uint64_t)(TIME_US_MAX - TIME_US_MIN) + 1;
		int64_t t = TIME_US_MIN + (int64_t)(x % span);
		if (i & 1)
			t -= t % 1000000; /* whole seconds: no fraction written */
		reference(t, want);
		assert_string_equal(time_format_rfc3339(t, got), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_format_years),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_format_matches_libc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
