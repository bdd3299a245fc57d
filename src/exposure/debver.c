/*
 * debver: Debian version parsing and ordering, written from deb-version(7)
 * (see debver.h for the rules). Tested against dpkg --compare-versions on
 * real and adversarial versions (tests/exposure/test-debver.c).
 */
#include "exposure/debver.h"

#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static struct sv trim_blanks(struct sv s)
{
	while (s.n && is_blank(s.p[0]))
		s = sv_skip(s, 1);
	while (s.n && is_blank(s.p[s.n - 1]))
		s = sv_cut(s, 1);
	return s;
}

/* Sort key of one character of a non-digit run; END stands for the end of
 * the run (a digit or the end of the string). '~' < END < letters < others. */
#define RANK_END 1
static int rank(unsigned char c)
{
	if (c == '~')
		return 0;
	if (is_alpha((char)c))
		return 2 + c;
	return 2 + 256 + c;
}

/* Compares two upstream versions or two revisions. */
static int cmp_part(struct sv a, struct sv b)
{
	size_t i = 0, j = 0;

	while (i < a.n || j < b.n) {
		/* the non-digit runs, one character at a time */
		while ((i < a.n && !is_digit(a.p[i])) || (j < b.n && !is_digit(b.p[j]))) {
			int ra = i < a.n && !is_digit(a.p[i]) ? rank((unsigned char)a.p[i]) : RANK_END;
			int rb = j < b.n && !is_digit(b.p[j]) ? rank((unsigned char)b.p[j]) : RANK_END;
			if (ra != rb)
				return ra < rb ? -1 : 1;
			/* equal ranks: both are the same non-digit character */
			i++;
			j++;
		}
		/* the digit runs, as numbers of any length: no leading zeros, then
		 * the longer is bigger, then the first differing digit decides */
		while (i < a.n && a.p[i] == '0')
			i++;
		while (j < b.n && b.p[j] == '0')
			j++;
		size_t la = 0, lb = 0;
		while (i + la < a.n && is_digit(a.p[i + la]))
			la++;
		while (j + lb < b.n && is_digit(b.p[j + lb]))
			lb++;
		if (la != lb)
			return la < lb ? -1 : 1;
		if (la) {
			int d = memcmp(a.p + i, b.p + j, la);
			if (d)
				return d < 0 ? -1 : 1;
		}
		i += la;
		j += lb;
	}
	return 0;
}

int debver_cmp_parsed(const struct debver *a, const struct debver *b)
{
	int r;
	if (a->epoch != b->epoch)
		return a->epoch < b->epoch ? -1 : 1;
	r = cmp_part(a->upstream, b->upstream);
	if (r)
		return r;
	/* an absent revision compares as "0", and cmp_part("", "0") is 0 already */
	return cmp_part(a->revision, b->revision);
}

static bool upstream_char(char c)
{
	return is_digit(c) || is_alpha(c) || c == '.' || c == '+' || c == '~' || c == '-' || c == ':';
}

static bool revision_char(char c)
{
	return is_digit(c) || is_alpha(c) || c == '.' || c == '+' || c == '~';
}

static int reject(const char **ret_why, const char *why)
{
	if (ret_why)
		*ret_why = why;
	return 0;
}

int debver_parse(struct sv s, struct debver *ret, const char **ret_why)
{
	struct debver v = { 0 };
	long colon, hyphen;

	s = trim_blanks(s);
	if (s.n == 0)
		return reject(ret_why, "version string is empty");
	for (size_t i = 0; i < s.n; i++)
		if (is_blank(s.p[i]))
			return reject(ret_why, "version string has embedded spaces");

	colon = sv_chr(s, ':');
	if (colon >= 0) {
		uint64_t e = 0;
		if (colon == 0)
			return reject(ret_why, "epoch in version is empty");
		if (s.p[0] == '-')
			return reject(ret_why, "epoch in version is negative");
		for (long i = 0; i < colon; i++) {
			if (!is_digit(s.p[i]))
				return reject(ret_why, "epoch in version is not number");
			e = e * 10 + (uint64_t)(s.p[i] - '0');
			if (e > INT32_MAX)
				return reject(ret_why, "epoch in version is too big");
		}
		v.epoch = (uint32_t)e;
		s = sv_skip(s, (size_t)colon + 1);
		if (s.n == 0)
			return reject(ret_why, "nothing after colon in version number");
	}

	hyphen = sv_rchr(s, '-');
	if (hyphen >= 0) {
		v.revision = sv_skip(s, (size_t)hyphen + 1);
		if (v.revision.n == 0)
			return reject(ret_why, "revision number is empty");
		v.upstream = sv_make(s.p, (size_t)hyphen);
	} else {
		v.upstream = s;
	}
	if (v.upstream.n == 0)
		return reject(ret_why, "version number is empty");
	if (!is_digit(v.upstream.p[0]))
		return reject(ret_why, "version number does not start with digit");
	for (size_t i = 0; i < v.upstream.n; i++)
		if (!upstream_char(v.upstream.p[i]))
			return reject(ret_why, "invalid character in version number");
	for (size_t i = 0; i < v.revision.n; i++)
		if (!revision_char(v.revision.p[i]))
			return reject(ret_why, "invalid character in revision number");
	*ret = v;
	return 1;
}

void debver_split(struct sv s, struct debver *ret)
{
	struct debver v = { 0 };
	long colon, hyphen;

	s = trim_blanks(s);
	colon = sv_chr(s, ':');
	if (colon > 0) {
		uint64_t e = 0;
		bool ok = true;
		for (long i = 0; i < colon && ok; i++) {
			ok = is_digit(s.p[i]);
			e = e * 10 + (uint64_t)(s.p[i] - '0');
			if (e > INT32_MAX)
				ok = false;
		}
		if (ok) {
			v.epoch = (uint32_t)e;
			s = sv_skip(s, (size_t)colon + 1);
		}
	}
	hyphen = sv_rchr(s, '-');
	if (hyphen >= 0) {
		v.revision = sv_skip(s, (size_t)hyphen + 1);
		v.upstream = sv_make(s.p, (size_t)hyphen);
	} else {
		v.upstream = s;
	}
	*ret = v;
}

int debver_cmp_sv(struct sv a, struct sv b)
{
	struct debver va, vb;
	if (debver_parse(a, &va, NULL) <= 0)
		debver_split(a, &va);
	if (debver_parse(b, &vb, NULL) <= 0)
		debver_split(b, &vb);
	return debver_cmp_parsed(&va, &vb);
}

int debver_cmp(const char *a, const char *b)
{
	return debver_cmp_sv(sv_cstr(a), sv_cstr(b));
}

bool debver_valid(const char *s)
{
	struct debver v;
	return debver_parse(sv_cstr(s), &v, NULL) == 1;
}
