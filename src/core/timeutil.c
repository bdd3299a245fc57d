#include "core/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil algorithm. */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Howard Hinnant's civil_from_days (public domain algorithm). */
void time_civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*ret_d = doy - (153 * mp + 2) / 5 + 1;
	*ret_m = mp < 10 ? mp + 3 : mp - 9;
	*ret_y = (int64_t)yoe + era * 400 + (*ret_m <= 2);
}

static bool same_offset(int64_t t, long off)
{
	time_t tt = (time_t)t;
	struct tm tm;
	return localtime_r(&tt, &tm) && tm.tm_gmtoff == off;
}

bool time_local(struct time_local *c, int64_t t, struct tm *ret)
{
	if (!c->used || t < c->lo || t > c->hi) {
		time_t tt = (time_t)t;
		if ((int64_t)tt != t || !localtime_r(&tt, ret))
			return false;
		int64_t h0 = time_floor_div(t, 3600) * 3600;
		c->used = true;
		c->base = *ret;
		if (same_offset(h0, ret->tm_gmtoff) && same_offset(h0 + 3599, ret->tm_gmtoff)) {
			c->lo = h0;
			c->hi = h0 + 3599;
		} else {
			c->lo = 1; /* a change inside the hour: nothing remembered */
			c->hi = 0;
		}
		return true;
	}
	int64_t l = t + c->base.tm_gmtoff, days = time_floor_div(l, 86400), y;
	unsigned sod = (unsigned)(l - days * 86400), m, d;
	time_civil_from_days(days, &y, &m, &d);
	*ret = c->base;
	ret->tm_sec = (int)(sod % 60);
	ret->tm_min = (int)(sod / 60 % 60);
	ret->tm_hour = (int)(sod / 3600);
	ret->tm_mday = (int)d;
	ret->tm_mon = (int)m - 1;
	ret->tm_year = (int)(y - 1900);
	ret->tm_wday = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	ret->tm_yday = (int)(days - time_days_from_civil(y, 1, 1));
	return true;
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

const char *time_format_rfc3339(int64_t t_us, char buf[static TIME_STRLEN])
{
	/* RFC 3339 years have four digits: a time outside 0000-9999 is
	 * written as the nearest one inside */
	if (t_us < TIME_US_MIN)
		t_us = TIME_US_MIN;
	if (t_us > TIME_US_MAX)
		t_us = TIME_US_MAX;
	int64_t s = time_floor_div(t_us, 1000000), us = t_us - s * 1000000;
	int64_t days = time_floor_div(s, 86400), sod = s - days * 86400, y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	/* written by hand, not with gmtime_r and snprintf: --events writes
	 * one per line, and those two calls cost more than the line's scan */
	char *p = buf;
	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (unsigned)(sod / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(sod / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(sod % 60));
	if (us) {
		*p++ = '.';
		for (int i = 5; i >= 0; i--) {
			p[i] = (char)('0' + us % 10);
			us /= 10;
		}
		p += 6;
	}
	*p++ = 'Z';
	*p = '\0';
	return buf;
}

static int digits(const char **p, int n, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		unsigned d = (unsigned char)(*p)[i] - '0';
		if (d > 9)
			return -EINVAL;
		v = v * 10 + (int)d;
	}
	*p += n;
	*ret = v;
	return 0;
}

/* The fields of "YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|±HH[:]MM]"; has_zone
 * says whether a zone was written (off_s is then its offset east of UTC). */
struct when_fields {
	int y, mo, d, h, mi, sec;
	int64_t us, off_s;
	bool has_time, has_zone;
};

static int parse_fields(const char *s, struct when_fields *w)
{
	int oh = 0, om = 0, sign = 1;
	const char *p = s;
	*w = (struct when_fields){ 0 };
	if (digits(&p, 4, &w->y) || *p++ != '-' || digits(&p, 2, &w->mo) || *p++ != '-' || digits(&p, 2, &w->d))
		return -EINVAL;
	if (w->mo < 1 || w->mo > 12 || w->d < 1 || w->d > 31)
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		w->has_time = true;
		if (digits(&p, 2, &w->h) || *p++ != ':' || digits(&p, 2, &w->mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &w->sec))
				return -EINVAL;
			if (*p == '.' || *p == ',') {
				int64_t scale = 100000;
				p++;
				if (*p < '0' || *p > '9')
					return -EINVAL;
				while (*p >= '0' && *p <= '9') {
					w->us += (*p - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
		if (w->h > 23 || w->mi > 59 || w->sec > 60)
			return -EINVAL;
		if (*p == 'Z' || *p == 'z') {
			p++;
			w->has_zone = true;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				return -EINVAL;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om))
				return -EINVAL;
			if (oh > 23 || om > 59)
				return -EINVAL;
			w->has_zone = true;
			w->off_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return -EINVAL;
	return 0;
}

/* The fields' wall-clock time read in UTC, minus the written offset. */
static int64_t fields_utc(const struct when_fields *w)
{
	int64_t t = time_days_from_civil(w->y, (unsigned)w->mo, (unsigned)w->d) * 86400 + w->h * 3600 +
		    w->mi * 60 + w->sec;
	return (t - w->off_s) * 1000000 + w->us;
}

int time_parse_rfc3339(const char *s, int64_t *ret)
{
	struct when_fields w;
	if (parse_fields(s, &w) < 0)
		return -EINVAL;
	*ret = fields_utc(&w);
	return 0;
}

/* ---- times for people ---- */

static bool display_utc;

void time_display_utc(bool utc)
{
	display_utc = utc;
}

bool time_display_is_utc(void)
{
	return display_utc;
}

/* t (seconds) broken down in the display zone; false outside struct tm. */
static bool display_tm(int64_t t, struct tm *ret)
{
	static struct time_local cache;
	static char *cache_tz;
	const char *tz = getenv("TZ");
	if (display_utc) {
		int64_t days = time_floor_div(t, 86400), y;
		unsigned m, d, sod = (unsigned)(t - days * 86400);
		time_civil_from_days(days, &y, &m, &d);
		*ret = (struct tm){ .tm_year = (int)(y - 1900), .tm_mon = (int)m - 1, .tm_mday = (int)d,
				    .tm_hour = (int)(sod / 3600), .tm_min = (int)(sod / 60 % 60), .tm_sec = (int)(sod % 60),
				    .tm_zone = "UTC" };
		return true;
	}
	/* the cache holds one zone's hour: a new TZ (tests, --tz) starts it again */
	if ((tz == NULL) != (cache_tz == NULL) || (tz && strcmp(tz, cache_tz) != 0)) {
		free(cache_tz);
		cache_tz = tz ? strdup(tz) : NULL;
		cache = (struct time_local){ 0 };
	}
	return time_local(&cache, t, ret);
}

/* The zone as shown: its abbreviation when it has one in letters ("CET",
 * "UTC"), else its offset ("+05:30": zones such as Asia/Dubai abbreviate
 * with "+04", which reads like a number). */
const char *time_zone_name(const struct tm *tm, char buf[static TIME_ZONE_STRLEN])
{
	const char *z = tm->tm_zone;
	bool letters = z && *z;
	for (const char *p = z; letters && *p; p++)
		letters = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
	if (letters && strlen(z) < TIME_ZONE_STRLEN) {
		memcpy(buf, z, strlen(z) + 1);
		return buf;
	}
	long off = tm->tm_gmtoff, a = off < 0 ? -off : off;
	snprintf(buf, TIME_ZONE_STRLEN, "%c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600 % 100, a / 60 % 60);
	return buf;
}

const char *time_display_zone(int64_t t_us, char buf[static TIME_ZONE_STRLEN])
{
	struct tm tm;
	if (!display_tm(time_floor_div(t_us, 1000000), &tm)) {
		snprintf(buf, TIME_ZONE_STRLEN, "UTC");
		return buf;
	}
	return time_zone_name(&tm, buf);
}

const char *time_format_display(int64_t t_us, char buf[static TIME_DISPLAY_STRLEN])
{
	struct tm tm;
	char zone[TIME_ZONE_STRLEN];
	if (t_us < TIME_US_MIN)
		t_us = TIME_US_MIN;
	if (t_us > TIME_US_MAX)
		t_us = TIME_US_MAX;
	if (!display_tm(time_floor_div(t_us, 1000000), &tm)) {
		/* outside what struct tm holds: UTC, said so */
		(void)time_format_rfc3339(t_us, buf);
		return buf;
	}
	(void)time_zone_name(&tm, zone);
	snprintf(buf, TIME_DISPLAY_STRLEN, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	return buf;
}

/* A wall-clock time in the display zone -> UTC microseconds. A time the
 * zone skips (the hour a clock is put forward) is read with the offset
 * before the change, as mktime does. */
static int display_to_utc(int y, int mo, int d, int h, int mi, int sec, int64_t *ret)
{
	if (display_utc) {
		*ret = (time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000;
		return 0;
	}
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_sec = sec, .tm_isdst = -1 };
	errno = 0;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 && errno)
		return -ERANGE;
	*ret = (int64_t)t * 1000000;
	return 0;
}

/* Midnight in the display zone that starts the day of t, plus days days. */
static int day_start(int64_t t_us, int days, int64_t *ret)
{
	struct tm tm;
	if (!display_tm(time_floor_div(t_us, 1000000), &tm))
		return -ERANGE;
	/* mktime normalises mday out of range (day 0 = the last of the month before) */
	if (display_utc) {
		int64_t z = time_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) + days;
		*ret = z * 86400 * 1000000;
		return 0;
	}
	return display_to_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday + days, 0, 0, 0, ret);
}

/* "30s", "30m", "2h", "3d", "1w": an age in microseconds; -EINVAL when
 * s is not one. */
static int parse_age_unit(const char *s, int64_t *ret)
{
	int64_t v = 0, unit;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > INT64_C(100000000))
			return -ERANGE;
	}
	switch (*p++) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*ret = v * unit * 1000000;
	return 0;
}

int time_parse_when(const char *s, int64_t now_us, bool end, int64_t *ret)
{
	struct when_fields w;
	int64_t t, age;
	int r;

	if (strcmp(s, "now") == 0) {
		*ret = now_us;
		return 0;
	}
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		int back = s[0] == 'y' ? -1 : 0;
		r = day_start(now_us, back + (end ? 1 : 0), &t);
		if (r < 0)
			return r;
		*ret = end ? t - 1 : t;
		return 0;
	}
	r = parse_age_unit(s, &age);
	if (r != -EINVAL) {
		if (r < 0)
			return r;
		*ret = now_us - age;
		return 0;
	}
	if (parse_fields(s, &w) < 0)
		return -EINVAL;
	if (w.has_zone) {
		*ret = fields_utc(&w);
		return 0;
	}
	if (!w.has_time && end) {
		/* a date alone as the end of a span: through the end of that day */
		r = display_to_utc(w.y, w.mo, w.d + 1, 0, 0, 0, &t);
		if (r < 0)
			return r;
		*ret = t - 1;
		return 0;
	}
	r = display_to_utc(w.y, w.mo, w.d, w.h, w.mi, w.sec, &t);
	if (r < 0)
		return r;
	*ret = t + w.us;
	return 0;
}
