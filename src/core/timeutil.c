#include "core/timeutil.h"

#include <errno.h>
#include <string.h>
#include <time.h>

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

const char *time_format_rfc3339(int64_t t_us, char buf[static TIME_STRLEN])
{
	struct tm tm;
	time_t tt;
	/* RFC 3339 years have four digits: a time outside 0000-9999 is
	 * written as the nearest one inside */
	if (t_us < TIME_US_MIN)
		t_us = TIME_US_MIN;
	if (t_us > TIME_US_MAX)
		t_us = TIME_US_MAX;
	int64_t s = t_us / 1000000, us = t_us % 1000000;
	if (us < 0) {
		us += 1000000;
		s--;
	}
	tt = (time_t)s;
	if (!gmtime_r(&tt, &tm)) {
		strcpy(buf, "1970-01-01T00:00:00Z");
		return buf;
	}
	/* not strftime's %Y: it writes year 1 as "1", not "0001" (the
	 * clamp above keeps the year to four digits: 19 characters) */
	int n = snprintf(buf, TIME_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n != 19) {
		strcpy(buf, "1970-01-01T00:00:00Z");
		return buf;
	}
	if (us)
		snprintf(buf + n, TIME_STRLEN - 19, ".%06lldZ", (long long)us);
	else
		snprintf(buf + n, TIME_STRLEN - 19, "Z");
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
