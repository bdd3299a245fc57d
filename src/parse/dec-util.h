/*
 * dec-util: small view helpers shared by the decoders (private to parse/).
 *
 * Everything here works on borrowed views and never allocates; every
 * helper is total (any input, including embedded NUL bytes, gives a
 * defined answer).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/macro.h"
#include "core/strview.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Counts decoded from log text are capped here: no program we read logs
 * more than a handful of attempts per line, and a bound keeps the
 * multiplication by the header's repeat count far from overflow. */
#define DEC_COUNT_MAX 100000u

/* ---- 8 bytes at a time (SWAR) ------------------------------------------ */

#define DEC_ONES 0x0101010101010101ull
#define DEC_HIGH 0x8080808080808080ull

/* 8 bytes of text as one word, the first byte in the low bits. */
static inline uint64_t dec_load8(const char *p)
{
	uint64_t w = load_u64(p);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The high bit of each byte of w that is not '0'-'9' (exact per byte). */
static inline uint64_t dec_nondigits8(uint64_t w)
{
	uint64_t low7 = w & ~DEC_HIGH;
	return (~(low7 + DEC_ONES * (0x80 - '0')) | (low7 + DEC_ONES * (0x80 - '9' - 1)) | w) & DEC_HIGH;
}

/* The number written by 8 digit values 0-9, one per byte of v, the first
 * byte the most significant (bytes of 0 before the digits are leading
 * zeros): three multiplications instead of eight. */
static inline uint64_t dec_value8(uint64_t v)
{
	v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffull;
	v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffull;
	return (v * 10000 + (v >> 32)) & 0xffffffffull;
}

/* sv_chr and sv_rchr for a byte that is usually within 16 bytes of the
 * start (the space after sshd's method name) or of the end (the space
 * before an IPv4 address): one compare of 16 bytes inside the view, where
 * memchr and memrchr branch on lengths that vary from line to line (and
 * were guessed wrong about once a call: 5.9 ns a call in an attack's
 * order, 2.3 ns sorted). Elsewhere, or when the byte is not there, the
 * libc call. */
static inline long dec_chr(struct sv v, char c)
{
#ifdef __SSE2__
	if (v.n >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)v.p), _mm_set1_epi8(c)));
		if (m)
			return __builtin_ctz(m);
	}
#endif
	return sv_chr(v, c);
}

static inline long dec_rchr(struct sv v, char c)
{
#ifdef __SSE2__
	if (v.n >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(v.p + v.n - 16)), _mm_set1_epi8(c)));
		if (m)
			return (long)(v.n - 16) + (31 - __builtin_clz(m));
	}
#endif
	return sv_rchr(v, c);
}

/* Drops leading blanks (sudo pads its user name: "%8s : "). */
static inline struct sv dec_ltrim(struct sv v)
{
	while (v.n && (v.p[0] == ' ' || v.p[0] == '\t'))
		v = sv_skip(v, 1);
	return v;
}

/* Drops trailing blanks, CR/LF and rsyslog's "#012" for a newline the
 * program left at the end of its message (userdel, groupdel do). */
static inline struct sv dec_rtrim(struct sv v)
{
	for (;;) {
		if (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\n' ||
			    v.p[v.n - 1] == '\r'))
			v = sv_cut(v, 1);
		else if (!sv_consume_end(&v, "#012"))
			return v;
	}
}

/* Index of the first occurrence of needle in v, or -1: sv_find() without
 * glibc memmem's per-call set-up, which on log-line lengths costs more
 * than the search. memchr finds the needle's first byte that is not a
 * space (spaces are everywhere in a log line), one compare confirms. */
static inline long dec_find(struct sv v, const char *needle)
{
	size_t n = strlen(needle), k;
	const char *p, *end, *q;
	if (n == 0)
		return 0;
	if (v.n < n)
		return -1;
	k = needle[0] == ' ' && n > 1;
	/* needle[k] sits at offsets k .. v.n - n + k */
	p = v.p + k;
	end = v.p + v.n - n + k + 1;
	while (p < end && (q = memchr(p, needle[k], (size_t)(end - p)))) {
		if (memcmp(q - k, needle, n) == 0)
			return (long)(q - k - v.p);
		p = q + 1;
	}
	return -1;
}

/* Index of the last occurrence of needle in v, or -1 (sv_rfind(), the
 * same way as dec_find). */
static inline long dec_rfind(struct sv v, const char *needle)
{
	size_t n = strlen(needle), k, len;
	const char *q;
	if (n == 0)
		return (long)v.n;
	if (v.n < n)
		return -1;
	k = needle[0] == ' ' && n > 1;
	len = v.n - n + 1; /* possible starts: 0 .. len - 1 */
	while (len > 0 && (q = memrchr(v.p + k, needle[k], len))) {
		size_t start = (size_t)(q - v.p) - k;
		if (memcmp(v.p + start, needle, n) == 0)
			return (long)start;
		len = start;
	}
	return -1;
}

/* Splits v at the first occurrence of sep into *head and *tail (either may
 * be NULL). Returns false, writing nothing, when sep does not occur. */
static inline bool dec_split(struct sv v, const char *sep, struct sv *head, struct sv *tail)
{
	long i = dec_find(v, sep);
	if (i < 0)
		return false;
	if (head)
		*head = sv_make(v.p, (size_t)i);
	if (tail)
		*tail = sv_skip(v, (size_t)i + strlen(sep));
	return true;
}

/* As dec_split, at the last occurrence of sep. */
static inline bool dec_rsplit(struct sv v, const char *sep, struct sv *head, struct sv *tail)
{
	long i = dec_rfind(v, sep);
	if (i < 0)
		return false;
	if (head)
		*head = sv_make(v.p, (size_t)i);
	if (tail)
		*tail = sv_skip(v, (size_t)i + strlen(sep));
	return true;
}

/* Number of (non-overlapping) occurrences of needle in v. */
static inline size_t dec_count(struct sv v, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	long i;
	while ((i = dec_find(v, needle)) >= 0) {
		n++;
		v = sv_skip(v, (size_t)i + len);
	}
	return n;
}

/* A decimal count in 1..DEC_COUNT_MAX filling all of v. */
static inline bool dec_count_parse(struct sv v, uint32_t *ret)
{
	unsigned long long x;
	if (sv_to_u64(v, DEC_COUNT_MAX, &x) < 0 || x == 0)
		return false;
	*ret = (uint32_t)x;
	return true;
}

/* True when v is 1..max bytes of [A-Za-z0-9] (logind session ids). */
static inline bool dec_is_alnum(struct sv v, size_t max)
{
	if (v.n == 0 || v.n > max)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

/* A DNS name as a program logs one for a remote host (sshd with UseDNS,
 * login -h): letters, digits, '.', '-', '_', at least one letter, at most
 * 253 bytes; resolvers refuse anything else. */
static inline bool dec_hostname_ok(struct sv v)
{
	bool letter = false;
	if (v.n == 0 || v.n > 253 || v.p[0] == '-' || v.p[0] == '.')
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			letter = true;
		else if (!(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_')
			return false;
	}
	return letter;
}

/* The first space-delimited token of v (all of v when it has no space). */
static inline struct sv dec_word(struct sv v)
{
	long i = sv_chr(v, ' ');
	return i < 0 ? v : sv_make(v.p, (size_t)i);
}

/* A pam_unix message body without its "pam_unix(SERVICE:TYPE): " prefix:
 * what the old "su(pam_unix)[pid]:" program form logs. */
static inline bool dec_is_pam_body(struct sv msg)
{
	struct sv num;
	return sv_starts(msg, "authentication failure; ") || sv_starts(msg, "session opened for user ") ||
	       sv_starts(msg, "session closed for user ") || sv_eq(msg, "check pass; user unknown") ||
	       (dec_split(msg, " more authentication failure", &num, NULL) && num.n && num.n <= 6 &&
		num.p[0] >= '0' && num.p[0] <= '9');
}
