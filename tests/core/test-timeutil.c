#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "../test-tz.h"

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

/* time_local against localtime_r, field by field, in zones with DST
 * (both hemispheres, a half-hour change on Lord Howe, Dublin's negative
 * DST, Casablanca's Ramadan changes, Troll's two hours), odd offsets
 * (Kathmandu, Chatham, St John's) and local mean time before 1900: times
 * walked in random steps (the remembered hour is hit and left), densely
 * around this decade's changes and sparsely from 1890 to 2045. */
static void check_local(const char *zone, struct time_local *c, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm want, got;
	assert_non_null(localtime_r(&tt, &want));
	assert_true(time_local(c, t, &got));
	if (got.tm_sec != want.tm_sec || got.tm_min != want.tm_min || got.tm_hour != want.tm_hour ||
	    got.tm_mday != want.tm_mday || got.tm_mon != want.tm_mon || got.tm_year != want.tm_year ||
	    got.tm_wday != want.tm_wday || got.tm_yday != want.tm_yday || got.tm_isdst != want.tm_isdst ||
	    got.tm_gmtoff != want.tm_gmtoff || strcmp(got.tm_zone, want.tm_zone) != 0)
		fail_msg("%s at %lld: %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d dst %d off %ld %s, libc "
			 "%04d-%02d-%02d %02d:%02d:%02d wday %d yday %d dst %d off %ld %s",
			 zone, (long long)t, got.tm_year + 1900, got.tm_mon + 1, got.tm_mday, got.tm_hour, got.tm_min,
			 got.tm_sec, got.tm_wday, got.tm_yday, got.tm_isdst, got.tm_gmtoff, got.tm_zone,
			 want.tm_year + 1900, want.tm_mon + 1, want.tm_mday, want.tm_hour, want.tm_min, want.tm_sec,
			 want.tm_wday, want.tm_yday, want.tm_isdst, want.tm_gmtoff, want.tm_zone);
}

static void test_local_vs_libc(void **state)
{
	static const char *zones[] = { "UTC",		   "Europe/Berlin",	"America/New_York", "Australia/Lord_Howe",
				       "Europe/Dublin",	   "Africa/Casablanca", "Antarctica/Troll", "Asia/Kathmandu",
				       "Pacific/Chatham", "America/St_Johns",	"Europe/Amsterdam", "America/Sao_Paulo" };
	char *saved = test_tz_save();
	uint64_t x = 88172645463325252ULL;
	unsigned long hits = 0;
	(void)state;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		char path[128];
		snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zones[z]);
		if (z > 0 && access(path, R_OK) != 0)
			fail_msg("%s: no tzdata (install the tzdata package)", path);
		assert_int_equal(setenv("TZ", zones[z], 1), 0);
		tzset();
		struct time_local c = { 0 };
		/* densely: 2019-2030, steps of 1 s to 2 h */
		for (int64_t t = time_days_from_civil(2019, 1, 1) * 86400; t < time_days_from_civil(2031, 1, 1) * 86400;) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			t += (int64_t)(x % 7200) + 1;
			bool hit = c.used && t >= c.lo && t <= c.hi;
			hits += hit;
			check_local(zones[z], &c, t);
			/* and back to the start of its hour (logs of several
			 * files are not in one time order) */
			check_local(zones[z], &c, t - (t % 3600 + 3600) % 3600);
		}
		/* sparsely: 1890-2045, steps up to 3 days, and each step's
		 * neighbours a second and an hour later (in the hour just read) */
		for (int64_t t = time_days_from_civil(1890, 1, 1) * 86400; t < time_days_from_civil(2046, 1, 1) * 86400;) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			t += (int64_t)(x % 259200) + 1;
			check_local(zones[z], &c, t);
			check_local(zones[z], &c, t + 1);
			check_local(zones[z], &c, t + 3599);
		}
	}
	assert_true(hits > 100000); /* the remembered hour was used, not only localtime_r */
	test_tz_restore(saved);
}


/* TZ=zone for one test (tzset told); test_tz_restore puts it back. */
static char *use_tz(const char *zone)
{
	char *saved = test_tz_save();
	setenv("TZ", zone, 1);
	tzset();
	return saved;
}

static int64_t at(const char *rfc3339)
{
	int64_t t;
	assert_int_equal(time_parse_rfc3339(rfc3339, &t), 0);
	return t;
}

static const char *fmt(int64_t t)
{
	static char buf[TIME_STRLEN];
	return time_format_rfc3339(t, buf);
}

/* Relative times against a fixed now, in a zone with summer time. */
static void test_when_relative(void **state)
{
	char *saved = use_tz("Europe/Berlin");
	int64_t now = at("2026-12-07T14:03:11Z"), t; /* 15:03:11 CET */
	(void)state;
	assert_int_equal(time_parse_when("2h", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-07T12:03:11Z");
	assert_int_equal(time_parse_when("30m", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-07T13:33:11Z");
	assert_int_equal(time_parse_when("3d", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-04T14:03:11Z");
	assert_int_equal(time_parse_when("45s", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-07T14:02:26Z");
	assert_int_equal(time_parse_when("1w", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-11-30T14:03:11Z");
	assert_int_equal(time_parse_when("now", now, true, &t), 0);
	assert_true(t == now);
	/* today and yesterday: local midnights (CET is UTC+1) */
	assert_int_equal(time_parse_when("today", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-06T23:00:00Z");
	assert_int_equal(time_parse_when("yesterday", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-05T23:00:00Z");
	/* as the end of a span: through the end of that day */
	assert_int_equal(time_parse_when("yesterday", now, true, &t), 0);
	assert_string_equal(fmt(t), "2026-12-06T22:59:59.999999Z");
	assert_int_equal(time_parse_when("today", now, true, &t), 0);
	assert_string_equal(fmt(t), "2026-12-07T22:59:59.999999Z");
	/* the day summer time begins has 23 hours: yesterday is still a calendar day */
	now = at("2026-03-30T10:00:00Z"); /* Monday, CEST */
	assert_int_equal(time_parse_when("yesterday", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-03-28T23:00:00Z"); /* Sunday 00:00 CET */
	assert_int_equal(time_parse_when("yesterday", now, true, &t), 0);
	assert_string_equal(fmt(t), "2026-03-29T21:59:59.999999Z"); /* Sunday 23:59:59 CEST */
	test_tz_restore(saved);
}

/* Absolute times: with a zone as written, without one in the display zone. */
static void test_when_absolute(void **state)
{
	char *saved = use_tz("Europe/Berlin");
	int64_t now = at("2026-12-07T14:03:11Z"), t;
	(void)state;
	assert_int_equal(time_parse_when("2026-12-01T03:00:00Z", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-01T03:00:00Z");
	assert_int_equal(time_parse_when("2026-12-01T03:00:00+05:30", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-11-30T21:30:00Z");
	assert_int_equal(time_parse_when("2026-12-01", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-11-30T23:00:00Z");
	assert_int_equal(time_parse_when("2026-12-01", now, true, &t), 0);
	assert_string_equal(fmt(t), "2026-12-01T22:59:59.999999Z");
	assert_int_equal(time_parse_when("2026-07-01 14:00", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-07-01T12:00:00Z"); /* CEST */
	assert_int_equal(time_parse_when("2026-07-01T14:00:05", now, true, &t), 0);
	assert_string_equal(fmt(t), "2026-07-01T12:00:05Z"); /* a time is not widened */
	/* --utc: zone-less times are UTC */
	time_display_utc(true);
	assert_int_equal(time_parse_when("2026-12-01", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-01T00:00:00Z");
	assert_int_equal(time_parse_when("today", now, false, &t), 0);
	assert_string_equal(fmt(t), "2026-12-07T00:00:00Z");
	assert_int_equal(time_parse_when("yesterday", now, true, &t), 0);
	assert_string_equal(fmt(t), "2026-12-06T23:59:59.999999Z");
	time_display_utc(false);
	test_tz_restore(saved);
}

static void test_when_reject(void **state)
{
	int64_t t;
	static const char *const bad[] = { "", "2", "90", "2x", "h", "-2h", "2h ago", "2 h", "tomorrow", "Today",
					   "2026-13-01", "2026-12-01T25:00", "2026-12-01T03:00:00+25:00",
					   "2026-12-01 03", "yesterday ", "99999999999d" };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(time_parse_when(bad[i], 0, false, &t) < 0);
}

/* Times for people: one zone, named (letters, or an offset when the zone's
 * abbreviation is a number), and --utc. */
static void test_display(void **state)
{
	char buf[TIME_DISPLAY_STRLEN], z[TIME_ZONE_STRLEN];
	char *saved = use_tz("Europe/Berlin");
	(void)state;
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11.5Z"), buf), "2026-12-07 14:03:11 CET");
	assert_string_equal(time_format_display(at("2026-07-07T13:03:11Z"), buf), "2026-07-07 15:03:11 CEST");
	assert_string_equal(time_display_zone(at("2026-07-07T13:03:11Z"), z), "CEST");
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11Z"), buf), "2026-12-07 18:33:11 IST");
	setenv("TZ", "Asia/Dubai", 1); /* abbreviated "+04" */
	tzset();
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11Z"), buf), "2026-12-07 17:03:11 +04:00");
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11Z"), buf), "2026-12-07 09:33:11 NST");
	setenv("TZ", "<-0330>3:30", 1); /* a POSIX zone with a numeric name, west of UTC */
	tzset();
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11Z"), buf), "2026-12-07 09:33:11 -03:30");
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11Z"), buf), "2026-12-07 13:03:11 UTC");
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	time_display_utc(true);
	assert_true(time_display_is_utc());
	assert_string_equal(time_format_display(at("2026-12-07T13:03:11Z"), buf), "2026-12-07 13:03:11 UTC");
	assert_string_equal(time_format_display(at("1969-12-31T23:59:59Z"), buf), "1969-12-31 23:59:59 UTC");
	time_display_utc(false);
	test_tz_restore(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_format_years),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_format_matches_libc),
		cmocka_unit_test(test_local_vs_libc),
		cmocka_unit_test(test_when_relative),
		cmocka_unit_test(test_when_absolute),
		cmocka_unit_test(test_when_reject),
		cmocka_unit_test(test_display),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
