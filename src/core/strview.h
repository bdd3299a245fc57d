/*
 * strview: a borrowed (pointer, length) view into someone else's bytes.
 * Parsers hand these out instead of copying (no allocation on the hot path);
 * a view is valid only as long as the buffer it points into.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sv {
	const char *p;
	size_t n;
};

#define SV_NULL ((struct sv){ NULL, 0 })
#define SV_LIT(s) ((struct sv){ (s), sizeof(s) - 1 })

static inline struct sv sv_make(const char *p, size_t n)
{
	return (struct sv){ p, n };
}

static inline struct sv sv_cstr(const char *s)
{
	return (struct sv){ s, s ? strlen(s) : 0 };
}

static inline bool sv_empty(struct sv v)
{
	return v.n == 0;
}

static inline bool sv_eq(struct sv v, const char *s)
{
	size_t n = strlen(s);
	return v.n == n && (n == 0 || memcmp(v.p, s, n) == 0);
}

static inline bool sv_eq_sv(struct sv a, struct sv b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool sv_starts(struct sv v, const char *prefix)
{
	size_t n = strlen(prefix);
	return v.n >= n && memcmp(v.p, prefix, n) == 0;
}

static inline bool sv_ends(struct sv v, const char *suffix)
{
	size_t n = strlen(suffix);
	return v.n >= n && memcmp(v.p + v.n - n, suffix, n) == 0;
}

/* Drop n bytes from the front (n is clamped to the length). */
static inline struct sv sv_skip(struct sv v, size_t n)
{
	if (n > v.n)
		n = v.n;
	return (struct sv){ v.p + n, v.n - n };
}

/* Drop n bytes from the back (clamped). */
static inline struct sv sv_cut(struct sv v, size_t n)
{
	if (n > v.n)
		n = v.n;
	return (struct sv){ v.p, v.n - n };
}

/* v is empty or lies wholly in p[0, n) (compared as addresses, without
 * an overflow: v may point anywhere). */
static inline bool sv_within(struct sv v, const char *p, size_t n)
{
	size_t at = (size_t)((uintptr_t)v.p - (uintptr_t)p); /* huge when v.p < p */
	return !v.n || (at <= n && v.n <= n - at);
}

/* Returns true and advances *v past prefix when v starts with it. */
static inline bool sv_consume(struct sv *v, const char *prefix)
{
	if (!sv_starts(*v, prefix))
		return false;
	*v = sv_skip(*v, strlen(prefix));
	return true;
}

/* Returns true and shortens *v when it ends with suffix. */
static inline bool sv_consume_end(struct sv *v, const char *suffix)
{
	if (!sv_ends(*v, suffix))
		return false;
	*v = sv_cut(*v, strlen(suffix));
	return true;
}

/* Index of the first occurrence of c, or -1. */
static inline long sv_chr(struct sv v, char c)
{
	const char *q = v.n ? memchr(v.p, c, v.n) : NULL;
	return q ? (long)(q - v.p) : -1;
}

/* Index of the last occurrence of c, or -1. */
static inline long sv_rchr(struct sv v, char c)
{
	const char *q = v.n ? memrchr(v.p, c, v.n) : NULL;
	return q ? (long)(q - v.p) : -1;
}

/* Index of the first occurrence of needle, or -1. */
static inline long sv_find(struct sv v, const char *needle)
{
	size_t n = strlen(needle);
	const char *q = v.n >= n ? memmem(v.p, v.n, needle, n) : NULL;
	return q ? (long)(q - v.p) : -1;
}

/* Index of the last occurrence of needle, or -1. */
long sv_rfind(struct sv v, const char *needle);

/* Parses a decimal unsigned integer that fills all of v (no sign, no
 * spaces), at most max. Returns 0 and writes *ret, or -EINVAL/-ERANGE. */
int sv_to_u64(struct sv v, unsigned long long max, unsigned long long *ret);
/* Parses 1 to 16 hex digits (either case) that fill all of v. Returns
 * true and writes *ret, or false. */
bool sv_hex_u64(struct sv v, uint64_t *ret);

/* Copies v into a new NUL-terminated string (NULL on OOM). */
char *sv_dup(struct sv v);
