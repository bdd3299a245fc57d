/*
 * header: the syslog header parser (see header.h for the shapes).
 *
 * Hot path: an RFC 3164 line costs a month switch, a few digit pairs, two
 * cache probes (year of (month, day); UTC offset of the local hour) and a
 * short scan for the host and program tokens. Nothing allocates except the
 * journal JSON path (jansson).
 *
 * Time zones: a named zone is read once from its TZif file (RFC 8536) into
 * a transition table plus the footer's POSIX TZ rule for times past the
 * table; the process zone (tz NULL) asks libc's localtime_r. Either way a
 * local→UTC offset is computed only on a cache miss, once per local hour.
 */
#include "parse/header.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/timeutil.h"
#include "parse/dec-util.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 255
#define TZIF_SIZE_MAX (1u << 20)
#define TZIF_COUNT_MAX 100000u
#define OFF_CACHE_SLOTS 32 /* local hours remembered (direct-mapped) */
#define PROG_MAX 128 /* longest program name taken as one */
#define HOST_MAX 255
#define SCRATCH_MAX (64u << 20) /* longest journal JSON line we unescape */
#define PREV_MAX 8192u /* longest line kept for "last message repeated" */

enum tz_kind {
	TZK_UTC,
	TZK_LIBC, /* the process's zone: localtime_r */
	TZK_DATA, /* a TZif file we read ourselves */
};

/* A POSIX TZ rule date: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
struct tz_rule_date {
	char kind; /* 'J', 'n' or 'M' */
	int m, w, d;
	int32_t time; /* seconds after local midnight (may be negative or > 24h) */
};

struct tz_rule {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct tz_rule_date start, end;
};

struct off_slot {
	int64_t hour; /* local hour number (local seconds / 3600, floored) */
	int32_t off;
	bool used;
};

struct header_ctx {
	enum tz_kind kind;
	/* TZK_DATA: at[i] (UTC s) begins offset off[i]; before at[0], off_first */
	size_t n_trans;
	int64_t *at;
	int32_t *off;
	int32_t off_first;
	bool have_rule; /* the footer rule applies from the last transition on */
	struct tz_rule rule;

	struct off_slot cache[OFF_CACHE_SLOTS];

	/* year inference: local date of the file's mtime */
	int mt_year;
	int64_t mt_days;
	unsigned yc_mon, yc_day; /* last (month, day) → yc_days; yc_mon 0: empty */
	int64_t yc_days;

	/* RFC 3164 times: the last "Mmm dd hh:" seen (fixed layout) and the
	 * UTC second of its minute 0; hc_ok false: empty. Lines of one hour
	 * share it, so most lines cost one 16-byte check and two digit pairs:
	 * each byte of "Mmm dd hh:mm:ss" lies between hc_lo's and hc_hi's
	 * (equal to the hour's "Mmm dd hh:", '0'-'5' and '0'-'9' for the
	 * minute's and second's digits, ':' between; the 16th byte any). */
	uint8_t hc_lo[16], hc_hi[16];
	bool hc_ok;
	int64_t hc_base;

	int64_t last_time_us; /* for lines without a usable time */

	char *scratch; /* journal JSON: unescaped fields */
	size_t scratch_size;
	struct journal_fields jf; /* the last JSON entry's (views into scratch) */

	/* The last text line with a header, for a following "last message
	 * repeated N times" (which names no program): a copy, since the
	 * caller's line buffer moves on. Forgotten when a new input starts. */
	char *prev; /* PREV_MAX bytes, allocated with the context */
	size_t prev_len; /* 0: none (or it was longer than PREV_MAX) */
	/* header_ctx_keep_lines: the line before, where the caller keeps it
	 * (NULL: prev holds it, if anything) */
	bool keep;
	const char *ref;
	size_t ref_len;
};

/* ---- calendar ---------------------------------------------------------- */

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ---- POSIX TZ rules (the TZif footer) ---------------------------------- */

static const char *tzs_name(const char *p)
{
	const char *s = p;
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' && p - s > 1 ? p + 1 : NULL;
	}
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]h[h][:mm[:ss]] with hours up to max_h; returns the end or NULL. */
static const char *tzs_hms(const char *p, int max_h, int32_t *ret)
{
	int sign = 1, v[3] = { 0, 0, 0 };
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (int i = 0; i < 3; i++) {
		int n = 0;
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		while (*p >= '0' && *p <= '9' && n < 3) {
			v[i] = v[i] * 10 + (*p++ - '0');
			n++;
		}
		if (n == 0 || (i > 0 && v[i] > 59))
			return NULL;
	}
	if (v[0] > max_h)
		return NULL;
	*ret = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	return p;
}

static const char *tzs_num(const char *p, int lo, int hi, int *ret)
{
	int v = 0, n = 0;
	while (*p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || v < lo || v > hi)
		return NULL;
	*ret = v;
	return p;
}

static const char *tzs_date(const char *p, struct tz_rule_date *r)
{
	if (*p == 'J') {
		r->kind = 'J';
		p = tzs_num(p + 1, 1, 365, &r->d);
	} else if (*p == 'M') {
		r->kind = 'M';
		p = tzs_num(p + 1, 1, 12, &r->m);
		if (p && *p == '.')
			p = tzs_num(p + 1, 1, 5, &r->w);
		else
			p = NULL;
		if (p && *p == '.')
			p = tzs_num(p + 1, 0, 6, &r->d);
		else
			p = NULL;
	} else {
		r->kind = 'n';
		p = tzs_num(p, 0, 365, &r->d);
	}
	if (!p)
		return NULL;
	r->time = 7200;
	if (*p == '/')
		p = tzs_hms(p + 1, 167, &r->time);
	return p;
}

/* Parses "CET-1CEST,M3.5.0,M10.5.0/3" (POSIX offsets are west-positive). */
static int tz_rule_parse(const char *s, struct tz_rule *r)
{
	const char *p = tzs_name(s);
	int32_t v;
	*r = (struct tz_rule){ 0 };
	if (!p || !(p = tzs_hms(p, 24, &v)))
		return -EINVAL;
	r->std_off = -v;
	if (*p == '\0')
		return 0;
	if (!(p = tzs_name(p)))
		return -EINVAL;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = tzs_hms(p, 24, &v)))
			return -EINVAL;
		r->dst_off = -v;
	}
	if (*p == '\0') {
		/* no rule given: the US rules, as glibc assumes */
		r->start = (struct tz_rule_date){ 'M', 3, 2, 0, 7200 };
		r->end = (struct tz_rule_date){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (*p != ',' || !(p = tzs_date(p + 1, &r->start)) || *p != ',' ||
	    !(p = tzs_date(p + 1, &r->end)) || *p != '\0')
		return -EINVAL;
	return 0;
}

/* Local seconds (since the epoch, in the zone's then-current offset) at
 * which rule date r falls in year y. */
static int64_t tz_rule_local(const struct tz_rule_date *r, int64_t y)
{
	int64_t day;
	if (r->kind == 'J') {
		day = time_days_from_civil(y, 1, 1) + r->d - 1;
		if (is_leap(y) && r->d >= 60)
			day++;
	} else if (r->kind == 'n') {
		day = time_days_from_civil(y, 1, 1) + r->d;
	} else {
		int64_t first = time_days_from_civil(y, (unsigned)r->m, 1);
		int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		day = first + (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
		while (day >= first + days_in_month(y, (unsigned)r->m))
			day -= 7;
	}
	return day * 86400 + r->time;
}

static int32_t tz_rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y, s, e;
	unsigned m, d;
	if (!r->has_dst)
		return r->std_off;
	time_civil_from_days(time_floor_div(t + r->std_off, 86400), &y, &m, &d);
	s = tz_rule_local(&r->start, y) - r->std_off;
	e = tz_rule_local(&r->end, y) - r->dst_off;
	if (s < e)
		return t >= s && t < e ? r->dst_off : r->std_off;
	return t >= e && t < s ? r->std_off : r->dst_off;
}

/* ---- TZif files (RFC 8536) --------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	size_t isut, isstd, leap, time, type, chars;
};

static int tzif_header(const uint8_t *b, size_t n, struct tzif_counts *c)
{
	size_t v[6];
	if (n < 44 || memcmp(b, "TZif", 4) != 0)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		v[i] = be32(b + 20 + 4 * i);
		if (v[i] > TZIF_COUNT_MAX)
			return -EINVAL;
	}
	*c = (struct tzif_counts){ v[0], v[1], v[2], v[3], v[4], v[5] };
	if (c->type == 0)
		return -EINVAL;
	return 0;
}

static size_t tzif_block_size(const struct tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd +
	       c->isut;
}

static int tzif_parse(struct header_ctx *ctx, const uint8_t *b, size_t n)
{
	struct tzif_counts c;
	size_t tsize = 4, pos = 0, blk;
	int r = tzif_header(b, n, &c);
	if (r < 0)
		return r;
	blk = tzif_block_size(&c, 4);
	if (b[4] >= '2') {
		/* skip the 32-bit block: the 64-bit one follows with its own header */
		pos = 44 + blk;
		if (pos > n || (r = tzif_header(b + pos, n - pos, &c)) < 0)
			return -EINVAL;
		tsize = 8;
		blk = tzif_block_size(&c, 8);
	}
	if (blk > n - pos - 44)
		return -EINVAL;
	const uint8_t *times = b + pos + 44;
	const uint8_t *idx = times + c.time * tsize;
	const uint8_t *types = idx + c.time;
	ctx->at = calloc(c.time ? c.time : 1, sizeof(int64_t));
	ctx->off = calloc(c.time ? c.time : 1, sizeof(int32_t));
	if (!ctx->at || !ctx->off)
		return -ENOMEM;
	for (size_t i = 0; i < c.time; i++) {
		if (idx[i] >= c.type)
			return -EINVAL;
		ctx->at[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
		ctx->off[i] = (int32_t)be32(types + 6 * idx[i]);
		if (i > 0 && ctx->at[i] <= ctx->at[i - 1])
			return -EINVAL;
		if (ctx->off[i] < -26 * 3600 || ctx->off[i] > 26 * 3600)
			return -EINVAL;
	}
	ctx->n_trans = c.time;
	ctx->off_first = (int32_t)be32(types);
	if (ctx->off_first < -26 * 3600 || ctx->off_first > 26 * 3600)
		return -EINVAL;
	pos += 44 + blk;
	if (tsize == 8 && pos < n && b[pos] == '\n') {
		const uint8_t *nl = memchr(b + pos + 1, '\n', n - pos - 1);
		if (nl && nl > b + pos + 1) {
			char foot[128];
			size_t fl = (size_t)(nl - (b + pos + 1));
			if (fl < sizeof(foot)) {
				memcpy(foot, b + pos + 1, fl);
				foot[fl] = '\0';
				ctx->have_rule = tz_rule_parse(foot, &ctx->rule) >= 0;
			}
		}
	}
	return 0;
}

static bool tz_name_ok(const char *tz)
{
	size_t n = strlen(tz);
	if (n == 0 || n > TZ_NAME_MAX || tz[0] == '/' || tz[0] == '.')
		return false;
	for (const char *p = tz; *p; p++) {
		/* no "..": a name must stay inside the zoneinfo tree */
		if (p[0] == '.' && p[1] == '.')
			return false;
		if ((unsigned char)*p <= ' ')
			return false;
	}
	return true;
}

static int tz_load(struct header_ctx *ctx, const char *tz)
{
	char path[sizeof(ZONEINFO_DIR) + TZ_NAME_MAX + 2];
	struct stat st;
	uint8_t *buf;
	ssize_t k;
	int fd, r;

	if (!tz_name_ok(tz))
		return -EINVAL;
	memcpy(path, ZONEINFO_DIR "/", sizeof(ZONEINFO_DIR));
	memcpy(path + sizeof(ZONEINFO_DIR), tz, strlen(tz) + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 44 || st.st_size > TZIF_SIZE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	k = read(fd, buf, (size_t)st.st_size);
	close(fd);
	r = k == st.st_size ? tzif_parse(ctx, buf, (size_t)k) : -EIO;
	free(buf);
	return r;
}

/* ---- offsets ----------------------------------------------------------- */

/* The zone's UTC offset (seconds east) at UTC second t. */
static int32_t utc_offset(const struct header_ctx *ctx, int64_t t)
{
	switch (ctx->kind) {
	case TZK_UTC:
		return 0;
	case TZK_LIBC: {
		time_t tt = (time_t)t;
		struct tm tm;
		if (!localtime_r(&tt, &tm))
			return 0;
		return (int32_t)tm.tm_gmtoff;
	}
	case TZK_DATA:
		break;
	}
	if (ctx->n_trans == 0)
		return ctx->have_rule ? tz_rule_offset(&ctx->rule, t) : ctx->off_first;
	if (t < ctx->at[0])
		return ctx->off_first;
	size_t lo = 0, hi = ctx->n_trans; /* at[lo] <= t < at[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ctx->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == ctx->n_trans - 1 && ctx->have_rule)
		return tz_rule_offset(&ctx->rule, t);
	return ctx->off[lo];
}

/* The offset to subtract from local second l. An ambiguous local time (the
 * hour repeated when clocks go back) takes the earlier instant, i.e. the
 * offset in force before the change; a local time skipped when clocks go
 * forward is read with the offset in force before the change too. */
static int32_t local_offset(const struct header_ctx *ctx, int64_t l)
{
	int32_t before = utc_offset(ctx, l - 86400), after = utc_offset(ctx, l + 86400);
	bool ok_before = utc_offset(ctx, l - before) == before;
	bool ok_after = utc_offset(ctx, l - after) == after;
	if (ok_before && ok_after)
		return before > after ? before : after; /* earlier instant = larger offset */
	if (ok_after)
		return after;
	return before;
}

/* The offset of every second of local hour `hour`, when the zone has one
 * offset for the whole hour (no change inside it): true and *ret. Looked
 * up in the per-hour cache, computed and cached on a miss. */
static bool hour_offset(struct header_ctx *ctx, int64_t hour, int32_t *ret)
{
	struct off_slot *slot;
	int32_t o0, o1;
	if (ctx->kind == TZK_UTC) {
		*ret = 0;
		return true;
	}
	slot = &ctx->cache[(uint64_t)hour % OFF_CACHE_SLOTS];
	if (_likely_(slot->used && slot->hour == hour)) {
		*ret = slot->off;
		return true;
	}
	o0 = local_offset(ctx, hour * 3600);
	o1 = local_offset(ctx, hour * 3600 + 3599);
	if (o0 != o1)
		return false; /* a change inside this hour: no caching */
	*slot = (struct off_slot){ hour, o0, true };
	*ret = o0;
	return true;
}

static inline int64_t local_to_utc(struct header_ctx *ctx, int64_t l)
{
	int32_t off;
	if (ctx->kind == TZK_UTC)
		return l;
	if (_likely_(hour_offset(ctx, time_floor_div(l, 3600), &off)))
		return l - off;
	return l - local_offset(ctx, l);
}

/* ---- context ----------------------------------------------------------- */

struct header_ctx *header_ctx_new(const char *tz)
{
	struct header_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->prev = malloc(PREV_MAX);
	if (!ctx->prev)
		return header_ctx_free(ctx);
	if (!tz) {
		tzset();
		ctx->kind = TZK_LIBC;
	} else if (strcmp(tz, "UTC") == 0) {
		ctx->kind = TZK_UTC;
	} else {
		ctx->kind = TZK_DATA;
		if (tz_load(ctx, tz) < 0)
			return header_ctx_free(ctx);
	}
	header_ctx_set_mtime(ctx, 0);
	return ctx;
}

struct header_ctx *header_ctx_free(struct header_ctx *ctx)
{
	if (!ctx)
		return NULL;
	free(ctx->at);
	free(ctx->off);
	free(ctx->scratch);
	free(ctx->prev);
	free(ctx);
	return NULL;
}

void header_ctx_set_mtime(struct header_ctx *ctx, int64_t mtime_s)
{
	int64_t y;
	unsigned m, d;
	if (mtime_s == 0)
		mtime_s = (int64_t)time(NULL);
	ctx->mt_days = time_floor_div(mtime_s + utc_offset(ctx, mtime_s), 86400);
	time_civil_from_days(ctx->mt_days, &y, &m, &d);
	ctx->mt_year = (int)y;
	ctx->yc_mon = 0;
	ctx->hc_ok = false;
	ctx->last_time_us = mtime_s * 1000000;
	ctx->prev_len = 0;
	ctx->ref = NULL;
}

void header_ctx_keep_lines(struct header_ctx *ctx)
{
	ctx->keep = true;
}

void header_ctx_release(struct header_ctx *ctx)
{
	if (!ctx->ref)
		return;
	memcpy(ctx->prev, ctx->ref, ctx->ref_len);
	ctx->prev_len = ctx->ref_len;
	ctx->ref = NULL;
}

/* Day number of (month, day) in the year inferred from the mtime: the
 * latest such date no more than one day after the mtime's local date. */
static bool bsd_days(struct header_ctx *ctx, unsigned mon, unsigned day, int64_t *ret)
{
	int64_t y = ctx->mt_year, dn;
	if (ctx->yc_mon == mon && ctx->yc_day == day) {
		*ret = ctx->yc_days;
		return true;
	}
	if (day < 1 || day > (mon == 2 ? 29 : days_in_month(2001, mon)))
		return false;
	dn = time_days_from_civil(y, mon, day);
	if (dn > ctx->mt_days + 1)
		y--;
	if (mon == 2 && day == 29)
		while (!is_leap(y))
			y--;
	dn = time_days_from_civil(y, mon, day);
	ctx->yc_mon = mon;
	ctx->yc_day = day;
	ctx->yc_days = dn;
	*ret = dn;
	return true;
}

/* ---- lexing helpers ---------------------------------------------------- */

static inline int digit(char c)
{
	unsigned v = (unsigned)(unsigned char)c - '0';
	return v <= 9 ? (int)v : -1;
}

static inline int two(const char *p)
{
	int a = digit(p[0]), b = digit(p[1]);
	return a < 0 || b < 0 ? -1 : a * 10 + b;
}

#define M3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))

static unsigned month_of(const char *p)
{
	switch (M3(p[0], p[1], p[2])) {
	case M3('J', 'a', 'n'): return 1;
	case M3('F', 'e', 'b'): return 2;
	case M3('M', 'a', 'r'): return 3;
	case M3('A', 'p', 'r'): return 4;
	case M3('M', 'a', 'y'): return 5;
	case M3('J', 'u', 'n'): return 6;
	case M3('J', 'u', 'l'): return 7;
	case M3('A', 'u', 'g'): return 8;
	case M3('S', 'e', 'p'): return 9;
	case M3('O', 'c', 't'): return 10;
	case M3('N', 'o', 'v'): return 11;
	case M3('D', 'e', 'c'): return 12;
	default: return 0;
	}
}

/* "HH:MM:SS" at p (8 bytes available): seconds of the day, or -1. */
static int hms(const char *p)
{
	int h = two(p), m = two(p + 3), s = two(p + 6);
	if (h < 0 || m < 0 || s < 0 || p[2] != ':' || p[5] != ':' || h > 23 || m > 59 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

/* ".ffffff" (any number of digits; µs kept): advances *pp. */
static int64_t fraction(const char **pp, const char *e)
{
	const char *p = *pp;
	int64_t us = 0, scale = 100000;
	if (p >= e || (*p != '.' && *p != ',') || p + 1 >= e || digit(p[1]) < 0)
		return 0;
	for (p++; p < e && digit(*p) >= 0; p++) {
		us += digit(*p) * scale;
		scale /= 10;
	}
	*pp = p;
	return us;
}

/* "Nov  1 00:00:01[.frac]" (day space- or zero-padded, or unpadded):
 * returns the end, and *ret_us the UTC time, or NULL.
 *
 * Fast path: the fixed layout "Mmm dd hh:mm:ss" whose first 10 bytes are
 * those of an earlier line this parser accepted (ctx->hc_key) differs from
 * it only in minutes and seconds; within the hour the offset is the same
 * (hc_ok is set only for hours without an offset change), so the time is
 * the hour's base plus mm:ss. Second 60 (a leap second, which local_to_utc
 * files under the next hour) and anything else unusual take the slow path,
 * so the result is always the slow path's. */
__attribute__((noinline)) static const char *parse_bsd_time_slow(struct header_ctx *ctx, const char *p,
									 const char *e, int64_t *ret_us)
{
	const char *start = p;
	unsigned mon, day;
	int64_t days, us;
	int secs, hour;
	int32_t off;
	bool fixed;

	if (e - p < 14 || !(mon = month_of(p)) || p[3] != ' ')
		return NULL;
	p += 4;
	fixed = true;
	if (*p == ' ') {
		if (digit(p[1]) < 0)
			return NULL;
		day = (unsigned)digit(p[1]);
		p += 2;
	} else if (digit(p[0]) >= 0 && digit(p[1]) >= 0) {
		day = (unsigned)two(p);
		p += 2;
	} else if (digit(p[0]) >= 0) {
		day = (unsigned)digit(p[0]);
		p += 1;
		fixed = false;
	} else {
		return NULL;
	}
	if (e - p < 9 || *p != ' ' || (secs = hms(p + 1)) < 0)
		return NULL;
	hour = two(p + 1);
	p += 9;
	us = fraction(&p, e);
	if (!bsd_days(ctx, mon, day, &days))
		return NULL;
	if (fixed) {
		int64_t l = days * 86400 + hour * 3600;
		ctx->hc_ok = hour_offset(ctx, time_floor_div(l, 3600), &off);
		if (ctx->hc_ok) {
			memcpy(ctx->hc_lo, start, 10);
			memcpy(ctx->hc_lo + 10, "00:00", 5);
			ctx->hc_lo[15] = 0;
			memcpy(ctx->hc_hi, start, 10);
			memcpy(ctx->hc_hi + 10, "59:59", 5);
			ctx->hc_hi[15] = 0xff;
			ctx->hc_base = l - off;
		}
	}
	*ret_us = local_to_utc(ctx, days * 86400 + secs) * 1000000 + us;
	return p;
}

/* Whether the 16 bytes at p lie between ctx's hc_lo and hc_hi, byte by byte. */
static inline bool hour_cached(const struct header_ctx *ctx, const char *p)
{
#ifdef __SSE2__
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)ctx->hc_lo);
	const __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)ctx->hc_hi);
	return _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, lo), lo),
					       _mm_cmpeq_epi8(_mm_max_epu8(v, hi), hi))) == 0xffff;
#else
	for (size_t i = 0; i < 16; i++)
		if ((uint8_t)p[i] < ctx->hc_lo[i] || (uint8_t)p[i] > ctx->hc_hi[i])
			return false;
	return true;
#endif
}

static inline const char *parse_bsd_time(struct header_ctx *ctx, const char *p, const char *e, int64_t *ret_us)
{
	/* 16 bytes: the time and the space after it */
	if (_likely_(ctx->hc_ok && e - p >= 16 && hour_cached(ctx, p))) {
		int m = two(p + 10), s = two(p + 13);
		int64_t us = 0;
		p += 15;
		if (_unlikely_(p < e && (*p == '.' || *p == ',')))
			us = fraction(&p, e);
		*ret_us = (ctx->hc_base + m * 60 + s) * 1000000 + us;
		return p;
	}
	return parse_bsd_time_slow(ctx, p, e, ret_us);
}

/* "2026-11-01T00:00:01[.frac][Z|±HH:MM|±HHMM]": returns the end and
 * *ret_us, or NULL. Zone-less times are local (ctx's zone). With ret_spaced
 * non-NULL, a space may stand for the 'T' (macOS, multilog/s6-log
 * "tai64nlocal" output) and *ret_spaced says whether one did. */
static const char *parse_iso_time(struct header_ctx *ctx, const char *p, const char *e, int64_t *ret_us,
				  bool *ret_spaced)
{
	int y, mo, d, secs, oh, om;
	int64_t us, t;
	if (e - p < 19 || p[4] != '-' || p[7] != '-')
		return NULL;
	if (p[10] != 'T' && p[10] != 't') {
		if (p[10] != ' ' || !ret_spaced)
			return NULL;
		*ret_spaced = true;
	}
	if ((y = two(p)) < 0 || (oh = two(p + 2)) < 0)
		return NULL;
	y = y * 100 + oh;
	mo = two(p + 5);
	d = two(p + 8);
	if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
		return NULL;
	if ((secs = hms(p + 11)) < 0)
		return NULL;
	p += 19;
	us = fraction(&p, e);
	t = time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + secs;
	if (p < e && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < e && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		if (e - p < 5 || (oh = two(p + 1)) < 0 || oh > 23)
			return NULL;
		p += 3;
		if (*p == ':') {
			if (e - p < 3)
				return NULL;
			p++;
		}
		if ((om = two(p)) < 0 || om > 59)
			return NULL;
		p += 2;
		t -= sign * (oh * 3600 + om * 60);
	} else {
		t = local_to_utc(ctx, t);
	}
	*ret_us = t * 1000000 + us;
	return p;
}

/* The bytes that end a name token: ' ', '[' and ':'. */
static const bool tok_stop[256] = { [' '] = true, ['['] = true, [':'] = true };

/* The digits at p (8 bytes readable) when there are 1 to 7 of them (a
 * pid): their count, and *ret their value; -1 otherwise (the caller reads
 * them one by one). One 8-byte load finds where the digits end (SWAR: each
 * byte compared at once) and three multiplications add them up, instead of
 * a compare, a branch and a multiply per digit. */
static inline int swar_pid(const char *p, int64_t *ret)
{
	uint64_t w = dec_load8(p), nondigit = dec_nondigits8(w);
	unsigned nd;

	if (!nondigit)
		return -1;
	nd = (unsigned)__builtin_ctzll(nondigit) / 8;
	if (nd == 0)
		return -1;
	/* the digits' values, moved to the top bytes: the bytes below them
	 * are leading zeros */
	*ret = (int64_t)dec_value8((w - DEC_ONES * '0') << (8 * (8 - nd)));
	return (int)nd;
}

/* A program token at p: "name[pid]:", "name:", "[name]:" or "[name]".
 * Returns the end of the token (the byte after ':' or ']') when the token
 * is one and is followed by a space or the end of the line, else NULL.
 * no_colon: only "name[pid]" followed by a space (rsyslog templates that
 * drop the colon). */
static inline __attribute__((always_inline)) const char *parse_prog_x(const char *p, const char *e, struct sv *ret_prog, int32_t *ret_pid,
				bool no_colon)
{
	struct sv name;
	const char *s, *q, *lim;
	int64_t pid = -1;

	if (p < e && *p == '[') {
		s = q = p + 1;
		while (q < e && *q != ']' && *q != ' ' && *q != '[' && q - s <= PROG_MAX)
			q++;
		if (q == s || q >= e || *q != ']')
			return NULL;
		name = sv_make(s, (size_t)(q - s));
		q++;
		if (q < e && *q == ':')
			q++;
		if (q < e && *q != ' ')
			return NULL;
		*ret_prog = name;
		*ret_pid = -1;
		return q;
	}
	/* the name: up to PROG_MAX bytes before ' ', '[' or ':' (one more
	 * byte of name is too long) */
	s = q = p;
	lim = e - p > PROG_MAX ? p + PROG_MAX + 1 : e;
	while (q < lim && !tok_stop[(unsigned char)*q])
		q++;
	if (q - s > PROG_MAX || q == s || q >= e || *q == ' ')
		return NULL;
	name = sv_make(s, (size_t)(q - s));
	if (*q == '[') {
		const char *ds = ++q, *dlim = e - q > 10 ? q + 10 : e; /* at most 10 digits */
		int nd = e - q >= 8 ? swar_pid(q, &pid) : -1;
		if (nd >= 0) {
			q += nd;
		} else {
			pid = 0;
			while (q < dlim && (unsigned)(*q - '0') <= 9)
				pid = pid * 10 + (*q++ - '0');
		}
		if (q == ds || pid > INT32_MAX || q >= e || *q != ']')
			return NULL;
		q++;
		if (no_colon) {
			if (q >= e || *q != ' ')
				return NULL;
		} else {
			if (q >= e || *q != ':')
				return NULL;
			q++;
		}
	} else if (no_colon) {
		return NULL;
	} else {
		/* "name:" must end the token: "fe80::1" is a host, not a program */
		q++;
	}
	if (q < e && *q != ' ')
		return NULL;
	*ret_prog = name;
	*ret_pid = (int32_t)pid;
	return q;
}

static inline const char *parse_prog(const char *p, const char *e, struct sv *ret_prog, int32_t *ret_pid)
{
	return parse_prog_x(p, e, ret_prog, ret_pid, false);
}

/* ---- message post-processing ------------------------------------------- */

/* rsyslog's "message repeated N times: [ MSG]" → MSG, repeat N. The
 * closing bracket may be followed by a CR (a file with CRLF line ends) or
 * blanks. */
static void unwrap_repeat(struct syslog_header *h)
{
	struct sv m = h->msg;
	unsigned long long n;
	long i;
	if (!sv_consume(&m, "message repeated ") || (i = sv_find(m, " times: [")) < 0 ||
	    sv_to_u64(sv_make(m.p, (size_t)i), UINT32_MAX, &n) < 0 || n == 0)
		return;
	m = sv_skip(m, (size_t)i + strlen(" times: ["));
	(void)sv_consume(&m, " ");
	while (m.n && (m.p[m.n - 1] == '\r' || m.p[m.n - 1] == ' ' || m.p[m.n - 1] == '\t'))
		m.n--;
	if (sv_consume_end(&m, "]"))
		(void)sv_consume_end(&m, " ");
	h->msg = m;
	h->repeat = (uint32_t)n;
}

/* Classic syslogd's "last message repeated N times" (sysklogd, the BSDs;
 * macOS and newer FreeBSD wrap it in "--- … ---"), a line of its own with
 * no program: N, or 0 when msg is not one. */
static uint32_t last_repeated(struct sv m)
{
	unsigned long long n;
	long i;
	while (m.n && (m.p[m.n - 1] == '\r' || m.p[m.n - 1] == ' '))
		m.n--;
	if (sv_consume(&m, "--- "))
		(void)sv_consume_end(&m, " ---");
	if (!sv_consume(&m, "last message repeated ") ||
	    (!sv_consume_end(&m, " times") && !sv_consume_end(&m, " time")))
		return 0;
	i = (long)m.n;
	if (i == 0 || sv_to_u64(m, UINT32_MAX, &n) < 0 || n == 0)
		return 0;
	return (uint32_t)n;
}

/* Solaris' "[ID 123456 auth.info] " message prefix. */
static void strip_solaris_id(struct syslog_header *h)
{
	struct sv m = h->msg;
	size_t i = 0;
	if (!sv_consume(&m, "[ID "))
		return;
	while (i < m.n && digit(m.p[i]) >= 0)
		i++;
	if (i == 0 || i >= m.n || m.p[i] != ' ')
		return;
	m = sv_skip(m, i + 1);
	i = 0;
	while (i < m.n && m.p[i] != ']' && m.p[i] != ' ' && m.p[i] != '[')
		i++;
	if (i == 0 || i >= m.n || m.p[i] != ']')
		return;
	m = sv_skip(m, i + 1);
	if (m.n > 0 && m.p[0] != ' ')
		return;
	h->msg = sv_skip(m, 1);
}

/* ---- tokens ----------------------------------------------------------- */

static const char *token_end(const char *p, const char *e)
{
	const char *q = memchr(p, ' ', (size_t)(e - p));
	return q ? q : e;
}

/* ---- banner forms (tried only when the usual ones fail) --------------- */

static bool sv_in(struct sv v, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sv_eq(v, list[i]))
			return true;
	return false;
}

/* "auth.info", "authpriv.notice", "local0.err": syslog(3)'s facility and
 * level names, as busybox, socklog and FreeBSD's syslogd -vv print them. */
static bool is_facility_level(struct sv v)
{
	static const char *const fac[] = { "auth",   "authpriv", "cron",   "daemon", "ftp",    "kern",
					   "lpr",    "mail",     "mark",   "news",   "ntp",    "security",
					   "syslog", "user",     "uucp",   "console", "local0", "local1",
					   "local2", "local3",   "local4", "local5", "local6", "local7" };
	static const char *const lvl[] = { "emerg", "panic", "alert", "crit",  "err",   "error",
					   "warn",  "warning", "notice", "info", "debug", "none" };
	long dot = v.n <= 32 ? sv_chr(v, '.') : -1;
	if (dot <= 0)
		return false;
	return sv_in(sv_make(v.p, (size_t)dot), fac, ELEMENTSOF(fac)) &&
	       sv_in(sv_skip(v, (size_t)dot + 1), lvl, ELEMENTSOF(lvl));
}

/* FreeBSD syslogd -v: "<10.5>" (facility.priority numbers); -vv: "<auth.info>". */
static bool is_fac_pri_tag(struct sv v)
{
	size_t i = 0, a = 0, b = 0;
	if (v.n < 5 || v.p[0] != '<' || v.p[v.n - 1] != '>')
		return false;
	v = sv_make(v.p + 1, v.n - 2);
	if (is_facility_level(v))
		return true;
	while (i < v.n && digit(v.p[i]) >= 0 && a < 3)
		i++, a++;
	if (a == 0 || i >= v.n || v.p[i++] != '.')
		return false;
	while (i < v.n && digit(v.p[i]) >= 0 && b < 3)
		i++, b++;
	return b > 0 && i == v.n;
}

/* "[host ]prog[pid]: msg" at p: fills host and program; returns the end of
 * the program token, or NULL when there is none (host may then be set). */
static const char *host_prog(const char *p, const char *e, struct syslog_header *h)
{
	const char *q = parse_prog(p, e, &h->program, &h->pid), *t;
	if (q)
		return q;
	t = token_end(p, e);
	if (t - p > HOST_MAX)
		return NULL;
	h->host = sv_make(p, (size_t)(t - p));
	return t < e ? parse_prog(t + 1, e, &h->program, &h->pid) : NULL;
}

/* The tail had no program in the usual place. Forms seen in the wild
 * (SSHGuard's "Banner formats" tests):
 *   FreeBSD syslogd -v   "<10.5> host prog[pid]: msg"
 *   busybox syslogd      "host auth.info prog[pid]: msg"
 *   rsyslog, no colon    "host prog[pid] msg"
 * Returns the end of the program token and commits host/program/pid to *h,
 * or NULL leaving *h as it was. */
static const char *tail_unusual(const char *p, const char *e, struct syslog_header *h)
{
	struct syslog_header t = *h;
	const char *q, *host_end;

	q = token_end(p, e);
	if (*p == '<' && q < e && is_fac_pri_tag(sv_make(p, (size_t)(q - p)))) {
		t.host = SV_NULL;
		if ((q = host_prog(q + 1, e, &t)))
			goto found;
		return NULL;
	}
	if (q - p > HOST_MAX || q >= e)
		return NULL;
	t.host = sv_make(p, (size_t)(q - p));
	host_end = q + 1;
	q = token_end(host_end, e);
	if (q < e && is_facility_level(sv_make(host_end, (size_t)(q - host_end))) &&
	    (q = parse_prog(q + 1, e, &t.program, &t.pid)))
		goto found;
	if ((q = parse_prog_x(host_end, e, &t.program, &t.pid, true)))
		goto found;
	return NULL;
found:
	*h = t;
	return q;
}

/* socklog/svlogd: "TIME auth.info: [Mmm dd hh:mm:ss ][host ]prog[pid]: msg",
 * or no program at all ("TIME auth.info: msg"). p is past "auth.info:".
 * The outer time stays (the inner one is the same instant, less precise). */
static int tail_socklog(struct header_ctx *ctx, const char *p, const char *e, struct syslog_header *h)
{
	const char *q, *body;
	int64_t inner;

	h->host = SV_NULL;
	h->program = SV_NULL;
	h->pid = -1;
	while (p < e && *p == ' ')
		p++;
	if (p < e && digit(*p) < 0 && (q = parse_bsd_time(ctx, p, e, &inner)) && q < e && *q == ' ')
		p = q + 1;
	body = p;
	q = p < e ? host_prog(p, e, h) : NULL;
	if (q) {
		p = q;
	} else {
		h->host = SV_NULL;
		h->program = SV_NULL;
		h->pid = -1;
		p = body;
	}
	while (p < e && *p == ' ')
		p++;
	h->msg = sv_make(p, (size_t)(e - p));
	return 1;
}

/* ---- host, program, message -------------------------------------------- */

/* What follows the timestamp and its space: "[host ]prog[pid]: msg".
 * spaced: the time had a space for its 'T' ("2018-06-26 13:22:02.1"):
 * multilog/s6-log write that before a program's own stderr, so a line
 * with no program form is one message with no host. */
static int parse_tail(struct header_ctx *ctx, const char *p, const char *e, struct syslog_header *h, bool spaced)
{
	const char *start = p, *q, *t;
	if (p >= e || *p == ' ')
		return 0;
	/* The usual first token is a host name: it ends at a space with no '['
	 * or ':' before, which no program form does. One scan finds it. */
	for (t = p; t < e && !tok_stop[(unsigned char)*t]; t++)
		;
	if (_likely_(t < e && *t == ' ' && t > p))
		q = NULL;
	else
		q = parse_prog(p, e, &h->program, &h->pid);
	if (q) {
		/* "auth.info:" where a program would be: a socklog banner */
		if (_unlikely_(h->pid < 0 && *p != '[' && memchr(p, '.', (size_t)(q - p)) &&
			       is_facility_level(h->program)))
			return tail_socklog(ctx, q, e, h);
	} else {
		/* no program first: this token is the host */
		if (t >= e || *t != ' ')
			t = token_end(p, e);
		if (t - p > HOST_MAX)
			return 0;
		h->host = sv_make(p, (size_t)(t - p));
		p = t < e ? t + 1 : e;
		while (_unlikely_(p < e && *p == ' ')) /* "host  prog[1]:" */
			p++;
		q = parse_prog(p, e, &h->program, &h->pid);
		if (!q)
			q = tail_unusual(start, e, h);
		else if (_unlikely_(*start == '<') && is_fac_pri_tag(h->host))
			h->host = SV_NULL; /* FreeBSD -v, no host: "<10.5> prog[pid]: msg" */
		if (!q && spaced) {
			h->host = SV_NULL;
			p = start;
		}
	}
	if (q)
		p = q < e ? q + 1 : e;
	h->msg = sv_make(p, (size_t)(e - p));
	if (_unlikely_(p < e && (*p == 'm' || *p == '['))) {
		unwrap_repeat(h);
		strip_solaris_id(h);
	}
	return 1;
}

/* RFC 5424 after "<PRI>": "1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]". */
static const char *field5424(const char *p, const char *e, size_t max, struct sv *ret)
{
	const char *t = token_end(p, e);
	if (t == p || t >= e || (size_t)(t - p) > max)
		return NULL;
	*ret = (t - p == 1 && *p == '-') ? sv_make(p, 0) : sv_make(p, (size_t)(t - p));
	return t + 1;
}

static int parse_5424(struct header_ctx *ctx, const char *p, const char *e, struct syslog_header *h)
{
	struct sv procid, msgid;
	unsigned long long pid;
	const char *q;
	int n = 0;
	while (p < e && digit(*p) >= 0 && n < 3) {
		p++;
		n++;
	}
	if (n == 0 || p >= e || *p != ' ')
		return 0;
	p++;
	if (p < e && *p == '-') {
		h->time_guessed = 1;
		h->time_us = ctx->last_time_us;
		p++;
	} else if (!(p = parse_iso_time(ctx, p, e, &h->time_us, NULL))) {
		return 0;
	}
	if (p >= e || *p != ' ')
		return 0;
	p++;
	if (!(p = field5424(p, e, HOST_MAX, &h->host)) || !(p = field5424(p, e, 48, &h->program)) ||
	    !(p = field5424(p, e, 128, &procid)) || !(p = field5424(p, e, 32, &msgid)))
		return 0;
	if (sv_to_u64(procid, INT32_MAX, &pid) == 0)
		h->pid = (int32_t)pid;
	/* STRUCTURED-DATA: "-" or one or more [id k="v" …] (\" \\ \] escaped) */
	if (p < e && *p == '-') {
		p++;
	} else if (p < e && *p == '[') {
		while (p < e && *p == '[') {
			bool quoted = false;
			for (p++; p < e; p++) {
				if (quoted && *p == '\\' && p + 1 < e)
					p++;
				else if (*p == '"')
					quoted = !quoted;
				else if (!quoted && *p == ']')
					break;
			}
			if (p >= e)
				return 0;
			p++;
		}
	} else {
		return 0;
	}
	if (p < e) {
		if (*p != ' ')
			return 0;
		p++;
	}
	q = p;
	if (e - q >= 3 && memcmp(q, "\xEF\xBB\xBF", 3) == 0)
		q += 3;
	h->msg = sv_make(q, (size_t)(e - q));
	unwrap_repeat(h);
	strip_solaris_id(h);
	return 1;
}

/* ---- journalctl -o json ------------------------------------------------ */

/* Copies a journal field value (string, byte array, or an array of values
 * for a repeated field: the first) into the scratch buffer at *used. */
static bool json_field(struct header_ctx *ctx, json_t *v, size_t *used, struct sv *ret)
{
	char *dst = ctx->scratch + *used;
	size_t room = ctx->scratch_size - *used, n = 0;

	if (json_is_array(v) && json_array_size(v) > 0 && !json_is_integer(json_array_get(v, 0)))
		v = json_array_get(v, 0); /* a field logged more than once */
	if (json_is_string(v)) {
		n = json_string_length(v);
		if (n > room)
			return false;
		memcpy(dst, json_string_value(v), n);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *b;
		if (json_array_size(v) > room)
			return false;
		json_array_foreach(v, i, b) {
			json_int_t x = json_is_integer(b) ? json_integer_value(b) : -1;
			if (x < 0 || x > 255)
				return false;
			dst[n++] = (char)x;
		}
	} else {
		return false;
	}
	*ret = sv_make(dst, n);
	*used += n;
	return true;
}

/* An optional field: empty when absent or unreadable. */
static void json_opt_field(struct header_ctx *ctx, json_t *o, const char *name, size_t *used, struct sv *ret)
{
	json_t *v = json_object_get(o, name);
	if (!v || !json_field(ctx, v, used, ret))
		*ret = SV_NULL;
}

static bool json_digits(json_t *v, unsigned long long max, unsigned long long *ret)
{
	return json_is_string(v) &&
	       sv_to_u64(sv_make(json_string_value(v), json_string_length(v)), max, ret) == 0;
}

static int parse_json(struct header_ctx *ctx, const char *line, size_t len, struct syslog_header *h)
{
	json_error_t jerr;
	json_t *o, *v;
	size_t used = 0;
	unsigned long long x;
	int r = 0;

	if (len > SCRATCH_MAX)
		return 0;
	if (ctx->scratch_size < len) {
		size_t sz = len < 4096 ? 4096 : len;
		char *s = realloc(ctx->scratch, sz);
		if (!s)
			return 0;
		ctx->scratch = s;
		ctx->scratch_size = sz;
	}
	o = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	if (!o)
		return 0;
	if (!json_is_object(o) || !json_field(ctx, json_object_get(o, "MESSAGE"), &used, &h->msg))
		goto out;
	if ((v = json_object_get(o, "_HOSTNAME")) && !json_field(ctx, v, &used, &h->host))
		h->host = SV_NULL;
	v = json_object_get(o, "SYSLOG_IDENTIFIER");
	if (!v)
		v = json_object_get(o, "_COMM");
	if (v && !json_field(ctx, v, &used, &h->program))
		h->program = SV_NULL;
	if (json_digits(json_object_get(o, "_PID"), INT32_MAX, &x) ||
	    json_digits(json_object_get(o, "SYSLOG_PID"), INT32_MAX, &x))
		h->pid = (int32_t)x;
	/* who wrote it, as journald saw it (source/journal.h judges) */
	ctx->jf = (struct journal_fields){ .uid = -1, .pid = -1 };
	/* the program is one of these two, already copied: not twice (the
	 * scratch holds as many bytes as the line) */
	if (json_object_get(o, "SYSLOG_IDENTIFIER")) {
		ctx->jf.identifier = h->program;
		json_opt_field(ctx, o, "_COMM", &used, &ctx->jf.comm);
	} else {
		ctx->jf.comm = h->program;
	}
	json_opt_field(ctx, o, "_EXE", &used, &ctx->jf.exe);
	json_opt_field(ctx, o, "_SYSTEMD_UNIT", &used, &ctx->jf.unit);
	json_opt_field(ctx, o, "_TRANSPORT", &used, &ctx->jf.transport);
	json_opt_field(ctx, o, "_MACHINE_ID", &used, &ctx->jf.machine_id);
	json_opt_field(ctx, o, "__CURSOR", &used, &ctx->jf.cursor);
	if (json_digits(json_object_get(o, "_UID"), UINT32_MAX, &x))
		ctx->jf.uid = (int64_t)x;
	if (json_digits(json_object_get(o, "_PID"), INT32_MAX, &x))
		ctx->jf.pid = (int32_t)x;
	h->journal = &ctx->jf;
	if (json_digits(json_object_get(o, "__REALTIME_TIMESTAMP"), TIME_US_MAX, &x)) {
		h->time_us = (int64_t)x;
	} else {
		h->time_guessed = 1;
		h->time_us = ctx->last_time_us;
	}
	r = 1;
out:
	json_decref(o);
	return r;
}

/* ---- entry point ------------------------------------------------------- */

/* One line's header into *h (set up by the caller); 1 or 0. */
static int parse_line(struct header_ctx *ctx, const char *line, size_t len, struct syslog_header *h)
{
	const char *p = line, *e = line + len;
	bool spaced = false;
	int r;

	if (len == 0)
		return 0;
	if (*p == '{') {
		r = parse_json(ctx, line, len, h);
		goto done;
	}
	if (*p == '<') {
		/* <PRI>: 1-3 digits, at most 191 (facility 23, severity 7) */
		int pri = 0, n = 0;
		for (p++; p < e && digit(*p) >= 0 && n < 3; p++, n++)
			pri = pri * 10 + digit(*p);
		if (n == 0 || pri > 191 || p >= e || *p != '>')
			return 0;
		p++;
		/* RFC 5424 has a VERSION ("1 "); RFC 3339 starts "2026-" */
		for (n = 0; p + n < e && n < 4 && digit(p[n]) >= 0;)
			n++;
		if (n >= 1 && n <= 3 && p + n < e && p[n] == ' ') {
			r = parse_5424(ctx, p, e, h);
			goto done;
		}
	}
	if (p < e && digit(*p) >= 0)
		p = parse_iso_time(ctx, p, e, &h->time_us, &spaced);
	else
		p = parse_bsd_time(ctx, p, e, &h->time_us);
	if (!p || p >= e || *p != ' ')
		return 0;
	/* more than one space: rsyslog's empty %HOSTNAME% ("TIME  prog[1]: …"),
	 * macOS log's two ("…-0700  localhost sshd[1]: …") */
	do
		p++;
	while (_unlikely_(p < e && *p == ' '));
	r = parse_tail(ctx, p, e, h, spaced);
done:
	if (r <= 0)
		return 0;
	if (!h->time_guessed)
		ctx->last_time_us = h->time_us;
	return 1;
}

int header_parse(struct header_ctx *ctx, const char *line, size_t len, struct syslog_header *ret)
{
	struct syslog_header h = { .pid = -1, .repeat = 1 };
	uint32_t n;

	if (!parse_line(ctx, line, len, &h))
		return 0;
	if (_unlikely_(h.program.n == 0 && (n = last_repeated(h.msg)) > 0)) {
		/* the previous line again, n more times, until this line's time */
		struct syslog_header again = { .pid = -1, .repeat = 1 };
		const char *pl = ctx->ref ? ctx->ref : ctx->prev;
		size_t pn = ctx->ref ? ctx->ref_len : ctx->prev_len;
		if (pn && parse_line(ctx, pl, pn, &again)) {
			uint64_t c = (uint64_t)again.repeat * n;
			again.repeat = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
			again.time_us = h.time_us;
			again.time_guessed = h.time_guessed;
			h = again;
		}
	} else if (line[0] != '{') {
		/* the line this one was: kept for a "last message repeated" after
		 * it (where the caller keeps it, else copied) */
		size_t kept = len <= PREV_MAX ? len : 0;
		if (ctx->keep) {
			ctx->ref = line;
			ctx->ref_len = kept;
		} else {
			ctx->prev_len = kept;
			memcpy(ctx->prev, line, kept);
		}
	} else {
		ctx->prev_len = 0; /* journald never writes such a line */
		ctx->ref = NULL;
	}
	/* Copied one word at a time, as the parse stored them: a struct copy
	 * becomes 16-byte loads of pairs of 8-byte stores still in the store
	 * buffer, which cannot be forwarded (a stall on every line). The
	 * signal fences (compiler barriers: no instruction) keep the compiler
	 * from merging the copies again. */
#define WORD_BARRIER() atomic_signal_fence(memory_order_seq_cst)
	ret->time_us = h.time_us;
	WORD_BARRIER();
	ret->host.p = h.host.p;
	WORD_BARRIER();
	ret->host.n = h.host.n;
	WORD_BARRIER();
	ret->program.p = h.program.p;
	WORD_BARRIER();
	ret->program.n = h.program.n;
	WORD_BARRIER();
	ret->pid = h.pid;
	ret->msg.p = h.msg.p;
	WORD_BARRIER();
	ret->msg.n = h.msg.n;
	WORD_BARRIER();
	ret->time_guessed = h.time_guessed;
#undef WORD_BARRIER
	ret->repeat = h.repeat;
	ret->journal = h.journal;
	return 1;
}
