/* timeutil: UTC microsecond times and their RFC 3339 form. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Writes "2026-11-01T00:00:01Z" (or with ".123456" when usec != 0) into buf,
 * which must hold TIME_STRLEN bytes; returns buf. The year always has four
 * digits ("0001-…"); times before TIME_US_MIN or after TIME_US_MAX are
 * written as those. */
#define TIME_STRLEN 40
/* 9999-12-31T23:59:59.999999Z, the last time an RFC 3339 year can say:
 * no parsed time is later (the detectors' windows and their end at
 * INT64_MAX need room above it) */
#define TIME_US_MAX INT64_C(253402300799999999)
/* 0000-01-01T00:00:00Z, the first (time_format_rfc3339 writes earlier
 * times as this one) */
#define TIME_US_MIN (INT64_C(-62167219200) * 1000000)
const char *time_format_rfc3339(int64_t t_us, char buf[static TIME_STRLEN]);

/* Parses what time_format_rfc3339 writes, plus a date alone ("2026-11-01",
 * midnight UTC), "YYYY-MM-DD HH:MM[:SS]" (UTC) and offsets (+02:00).
 * Returns 0 and *ret, or -EINVAL. */
int time_parse_rfc3339(const char *s, int64_t *ret);

/* a / b rounded toward minus infinity (b != 0): the day or hour of a time
 * before 1970 too. */
static inline int64_t time_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return q - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no time zone, no
 * libc): used by parsers to build UTC times fast. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Its inverse: the proleptic Gregorian date of a day counted from
 * 1970-01-01. */
void time_civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d);

/* localtime_r with a memory of the last UTC hour it read: a time in that
 * hour is broken down by hand with the hour's offset (localtime_r takes a
 * lock and walks the zone's rules: about 100 ns, once per login). An hour
 * is remembered only when the offset at its first and its last second is
 * the one of the time asked for, i.e. when the zone does not change inside
 * it (the header's per-hour cache assumes the same: no zone changes twice
 * within an hour). Start with a zeroed struct; after TZ changes (setenv +
 * tzset), zero it again. */
struct time_local {
	int64_t lo, hi; /* the UTC seconds remembered: lo..hi (none while lo > hi) */
	struct tm base; /* localtime_r's answer inside them: its offset, isdst and zone */
	bool used;
};
/* false when localtime_r fails (the time is outside what struct tm holds). */
bool time_local(struct time_local *c, int64_t t, struct tm *ret);

/* ---- times for people ----
 *
 * Every time a person reads is in one zone, named: the process's local
 * zone (TZ, /etc/localtime), or UTC after time_display_utc(true) (`--utc`).
 * Machines (JSON) get RFC 3339 in UTC. */
void time_display_utc(bool utc);
bool time_display_is_utc(void);

/* "2026-12-07 14:03:11 CET": the zone's abbreviation when it is letters,
 * else its offset ("2026-12-07 18:33:11 +05:30"); "… UTC" in UTC. Seconds
 * only. Returns buf. */
#define TIME_DISPLAY_STRLEN 64
const char *time_format_display(int64_t t_us, char buf[static TIME_DISPLAY_STRLEN]);
/* The display zone's name at t, as time_format_display writes it. */
#define TIME_ZONE_STRLEN 16
const char *time_display_zone(int64_t t_us, char buf[static TIME_ZONE_STRLEN]);
/* The name of tm's zone as time_format_display writes it (tm from
 * localtime_r or time_local): its abbreviation, or its offset. */
const char *time_zone_name(const struct tm *tm, char buf[static TIME_ZONE_STRLEN]);

/* A time a person typed (--since, --until), now_us being now:
 *   2026-12-07T14:00:00Z, …+01:00   that instant (RFC 3339)
 *   2026-12-07, 2026-12-07 14:00[:05], 2026-12-07T14:00
 *                                   a wall-clock time in the display zone
 *                                   (a date alone: its midnight)
 *   30s, 30m, 2h, 3d, 1w            that long before now
 *   now, today, yesterday           now; the midnight that began today,
 *                                   yesterday (in the display zone)
 * With end (the end of a span, --until), a date alone, today and yesterday
 * mean the last microsecond of that day. Returns 0 and *ret, -EINVAL when
 * s is none of these, -ERANGE when it is out of range. */
int time_parse_when(const char *s, int64_t now_us, bool end, int64_t *ret);
