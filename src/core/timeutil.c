#include "core/timeutil.h"

#include <errno.h>

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

int time_parse_rfc3339(const char *s, int64_t *ret)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 1;
	int64_t us = 0;
	const char *p = s;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -EINVAL;
			if (*p == '.' || *p == ',') {
				int64_t scale = 100000;
				p++;
				if (*p < '0' || *p > '9')
					return -EINVAL;
				while (*p >= '0' && *p <= '9') {
					us += (*p - '0') * scale;
					scale /= 10;
					p++;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -EINVAL;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				return -EINVAL;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om))
				return -EINVAL;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	int64_t t = time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	*ret = t * 1000000 + us;
	return 0;
}
