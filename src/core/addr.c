#include "core/addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "core/macro.h"

/* Dotted-quad IPv4 exactly as glibc's inet_pton(AF_INET) takes it
 * (resolv/inet_pton.c inet_pton4): four decimal parts 0-255 separated by
 * single dots, no sign, no spaces, and no leading zero ("0" is a part,
 * "01" is not). Returns true and *ret the address bytes in memory order
 * (first part in the lowest byte), or false.
 *
 * This one reads a digit at a time, keeping the parts in a register; it
 * serves where the vector one below cannot run, and tests hold the two
 * to the same answers. */
static inline bool parse_v4_scalar(struct sv v, uint32_t *ret)
{
	const unsigned char *p = (const unsigned char *)v.p, *e = p + v.n;
	uint32_t bytes = 0;

	if (v.n < 7 || v.n > 15)
		return false;
	for (unsigned part = 0;; part++) {
		unsigned x;
		if (p >= e || (unsigned)(*p - '0') > 9)
			return false;
		x = (unsigned)(*p++ - '0');
		if (p < e && (unsigned)(*p - '0') <= 9) {
			if (x == 0) /* a leading zero */
				return false;
			x = x * 10 + (unsigned)(*p++ - '0');
			if (p < e && (unsigned)(*p - '0') <= 9) {
				x = x * 10 + (unsigned)(*p++ - '0');
				if (x > 255 || (p < e && (unsigned)(*p - '0') <= 9))
					return false;
			}
		}
		bytes |= (uint32_t)x << (8 * part);
		if (part == 3) {
			if (p != e)
				return false;
			*ret = bytes;
			return true;
		}
		if (p >= e || *p != '.')
			return false;
		p++;
	}
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
/* Every line that names an address comes through here, and in an attack
 * how many digits each part has is as random as the addresses: the parser
 * above branches on each digit and guesses wrong about once a part. With
 * SSSE3 (x86-64 processors since 2006; checked at run time) the text is
 * one vector: a compare finds its dots and digits, the dots give the four
 * lengths, and a byte shuffle chosen by them lines the digits up for two
 * multiply-adds that make the four parts at once. */
#include <tmmintrin.h>

/* For each of the 81 length patterns (1-3 digits a part): where each
 * part's hundreds, tens and units are in the text (0x80: none, read as
 * 0), the first digits of the parts that have several (a '0' there is a
 * leading zero), and the text's dots, digits and length, which the input
 * must match exactly. A pattern is found by a multiplicative hash of the
 * dots and the length, which tells the 81 apart (v4_simd_init checks it):
 * one multiply instead of finding the dots one after the other. */
struct v4_pattern {
	uint8_t shuffle[16];
	uint64_t want; /* dots | digits << 16 | length << 32 */
	uint16_t first;
};
#define V4_NONE 81 /* the pattern no input matches */
#define V4_HASH 0x052c84c1u
static struct v4_pattern v4_patterns[82] __attribute__((aligned(64))); /* 32 bytes each: no load crosses a line */
static uint8_t v4_index[256];
static bool v4_simd; /* the processor has SSSE3 (and tests have not said no) */

static unsigned v4_hash(unsigned dots, unsigned n)
{
	return (unsigned)(((dots | n << 16) * V4_HASH) >> 24);
}

/* Filled once, before main: the parser then tests no flag of its own, and
 * no two threads can race to fill the table. */
__attribute__((constructor)) static void v4_simd_init(void)
{
	bool ok = true;
	memset(v4_index, V4_NONE, sizeof(v4_index));
	v4_patterns[V4_NONE].want = ~UINT64_C(0); /* no text has every bit */
	for (unsigned i = 0; i < 81; i++) {
		struct v4_pattern *pt = &v4_patterns[i];
		unsigned len[4] = { i / 27 + 1, i / 9 % 3 + 1, i / 3 % 3 + 1, i % 3 + 1 }, at = 0, dots = 0;
		memset(pt->shuffle, 0x80, sizeof(pt->shuffle));
		pt->first = 0;
		for (unsigned k = 0; k < 4; k++) {
			for (unsigned j = 0; j < len[k]; j++) /* right-aligned in bytes 4k..4k+2 */
				pt->shuffle[4 * k + 3 - len[k] + j] = (uint8_t)(at + j);
			if (len[k] > 1)
				pt->first |= (uint16_t)(1u << at);
			at += len[k];
			if (k < 3)
				dots |= 1u << at;
			at++;
		}
		unsigned n = at - 1, digits = ((1u << n) - 1) & ~dots, h = v4_hash(dots, n);
		pt->want = dots | (uint64_t)digits << 16 | (uint64_t)n << 32;
		if (v4_index[h] != V4_NONE)
			ok = false; /* two patterns on one slot: the portable parser serves */
		v4_index[h] = (uint8_t)i;
	}
	__builtin_cpu_init(); /* a constructor may run before libgcc's own */
	v4_simd = ok && __builtin_cpu_supports("ssse3");
}

__attribute__((target("ssse3"))) static bool parse_v4_ssse3(struct sv v, uint32_t *ret)
{
	const unsigned char *p = (const unsigned char *)v.p;
	const unsigned n = (unsigned)v.n;
	uint64_t lo, hi;

	if (n < 7 || n > 15)
		return false;
	/* bytes 0-7 and 8-14 (x86: the first byte in the low bits), zero
	 * past the text: no load leaves it */
	if (n >= 8) {
		lo = load_u64(p);
		hi = load_u64(p + n - 8) >> 8 >> (8 * (15 - n));
	} else {
		lo = load_u32(p) | (uint64_t)(load_u32(p + 3) >> 8) << 32;
		hi = 0;
	}
	const __m128i x = _mm_set_epi64x((long long)hi, (long long)lo);
	const unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
	const unsigned digits = (unsigned)_mm_movemask_epi8(
		_mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))));
	/* the pattern these dots and this length would be: the text is it
	 * when its dots, digits and length are exactly the pattern's (every
	 * byte a digit or a dot, three dots, every part 1-3 digits) */
	const struct v4_pattern *pt = &v4_patterns[v4_index[v4_hash(dots, n)]];
	const uint64_t have = dots | (uint64_t)digits << 16 | (uint64_t)n << 32;
	/* hundreds, tens and units of each part in its 4 bytes, then
	 * 100h + 10t and u side by side, then their sums */
	const __m128i dv = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	const __m128i lined = _mm_shuffle_epi8(dv, _mm_loadu_si128((const __m128i *)(const void *)pt->shuffle));
	const __m128i pairs = _mm_maddubs_epi16(lined, _mm_set1_epi32(0x00010a64)); /* bytes 100, 10, 1, 0 */
	const __m128i parts = _mm_madd_epi16(pairs, _mm_set1_epi16(1));
	const unsigned big = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi32(parts, _mm_set1_epi32(255)));
	const unsigned zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0')));
	if (have != pt->want || big || (zeros & pt->first))
		return false;
	const __m128i b = _mm_packus_epi16(_mm_packs_epi32(parts, parts), parts);
	*ret = (uint32_t)_mm_cvtsi128_si32(b);
	return true;
}

static inline bool parse_v4(struct sv v, uint32_t *ret)
{
	return v4_simd ? parse_v4_ssse3(v, ret) : parse_v4_scalar(v, ret);
}

void addr_test_simd(bool on)
{
	v4_simd = on && __builtin_cpu_supports("ssse3");
}
#else
#define parse_v4 parse_v4_scalar

void addr_test_simd(bool on)
{
	(void)on;
}
#endif

/* A byte's hex digit value plus one; 0: not a hex digit. */
static const uint8_t hex1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,	['6'] = 7,  ['7'] = 8,
	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* IPv6 text exactly as glibc's inet_pton(AF_INET6) takes it (resolv/
 * inet_pton.c inet_pton6, glibc 2.26 and later): groups of 1-4 hex digits
 * separated by single colons; one "::" standing for one or more zero
 * groups; a leading ':' only as part of "::", a trailing one only as part
 * of "::"; a dotted quad (parse_v4's rules) in place of the last two
 * groups, after a colon or at the start. inet_pton needs a NUL-terminated
 * copy and costs several times this on every IPv6 line; the differential
 * test in tests/core/test-addr.c holds the two to the same answers.
 *
 * A group at a time: its length (0-4 digits) and value come from four
 * table loads without a branch per digit (group lengths vary from one
 * address to the next, and a branch on each digit would be mispredicted
 * at every group's end); the copy into b, padded with zeros (no hex
 * digit), lets those loads run past the end. */
static bool parse_v6(struct sv v, uint8_t out[static 16])
{
	uint8_t tmp[16] = { 0 };
	unsigned char b[64 + 8];
	size_t i = 0, tp = 0, colonp = SIZE_MAX;

	if (v.n == 0 || v.n > 64)
		return false;
	memcpy(b, v.p, v.n);
	memset(b + v.n, 0, 8);
	if (b[0] == ':') {
		/* a leading ':' must be the start of "::" */
		if (v.n < 2 || b[1] != ':')
			return false;
		i = 1;
	}
	for (;;) {
		const size_t g = i; /* the group's start */
		const unsigned h0 = hex1[b[i]], h1 = hex1[b[i + 1]], h2 = hex1[b[i + 2]], h3 = hex1[b[i + 3]];
		const unsigned d0 = h0 != 0, d1 = d0 & (h1 != 0), d2 = d1 & (h2 != 0), d3 = d2 & (h3 != 0);
		const unsigned len = d0 + d1 + d2 + d3;
		/* the digits past len are garbage, shifted out */
		const unsigned val = (((h0 - 1) & 15) << 12 | ((h1 - 1) & 15) << 8 | ((h2 - 1) & 15) << 4 |
				      ((h3 - 1) & 15)) >> (4 * (4 - len));
		i += len; /* a fifth digit is no ':' or '.': refused below */
		if (i == v.n) {
			/* the end: an empty group here ends "::" (or is the
			 * whole "::"); a trailing single ':' failed below */
			if (len) {
				if (tp + 2 > 16)
					return false;
				tmp[tp++] = (uint8_t)(val >> 8);
				tmp[tp++] = (uint8_t)val;
			}
			break;
		}
		if (b[i] == ':') {
			i++;
			if (len == 0) {
				/* the second colon of "::"; a second "::" is an error */
				if (colonp != SIZE_MAX)
					return false;
				colonp = tp;
				continue;
			}
			if (i == v.n || tp + 2 > 16) /* a trailing single ':'; too many groups */
				return false;
			tmp[tp++] = (uint8_t)(val >> 8);
			tmp[tp++] = (uint8_t)val;
			continue;
		}
		if (b[i] == '.' && tp + 4 <= 16) {
			/* the rest, from the start of this group, is a dotted quad */
			uint32_t v4;
			if (!parse_v4(sv_make(v.p + g, v.n - g), &v4))
				return false;
			tmp[tp++] = (uint8_t)v4;
			tmp[tp++] = (uint8_t)(v4 >> 8);
			tmp[tp++] = (uint8_t)(v4 >> 16);
			tmp[tp++] = (uint8_t)(v4 >> 24);
			break;
		}
		return false;
	}
	if (colonp != SIZE_MAX) {
		/* "::" stands for at least one zero group */
		size_t n = tp - colonp;
		if (tp == 16)
			return false;
		memmove(tmp + 16 - n, tmp + colonp, n);
		memset(tmp + colonp, 0, 16 - n - colonp);
		tp = 16;
	}
	if (tp != 16)
		return false;
	memcpy(out, tmp, 16);
	return true;
}

/* addr_parse past the IPv4 form: kept out of line so that the IPv4 path,
 * taken by nearly every line, needs no stack frame. */
__attribute__((noinline)) static int addr_parse_v6(struct sv v, struct addr *ret)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct addr a = { 0 };
	long pct;

	/* parse_v4 takes everything inet_pton(AF_INET) does: without a ':'
	 * there is nothing left to try */
	if (!memchr(v.p, ':', v.n) || memchr(v.p, '\0', v.n))
		return 0;
	pct = sv_chr(v, '%');
	if (pct >= 0)
		v.n = (size_t)pct; /* the zone index is dropped */
	/* a zone index only makes sense on IPv6: the address keeps a ':' */
	if (v.n == 0 || v.n > INET6_ADDRSTRLEN || !memchr(v.p, ':', v.n))
		return 0;
	if (!parse_v6(v, a.bytes))
		return 0;
	if (memcmp(a.bytes, mapped, 12) == 0) {
		memmove(a.bytes, a.bytes + 12, 4);
		memset(a.bytes + 4, 0, 12);
		a.family = ADDR_V4;
	} else {
		a.family = ADDR_V6;
	}
	*ret = a;
	return 1;
}

int addr_parse(struct sv v, struct addr *ret)
{
	uint32_t v4;

	if (v.n == 0 || v.n >= 64)
		return 0;
	if (parse_v4(v, &v4)) {
		const uint8_t b[4] = { (uint8_t)v4, (uint8_t)(v4 >> 8), (uint8_t)(v4 >> 16), (uint8_t)(v4 >> 24) };
		memset(ret, 0, sizeof(*ret));
		ret->family = ADDR_V4;
		memcpy(ret->bytes, b, 4);
		return 1;
	}
	return addr_parse_v6(v, ret);
}

/* "a.b.c.d" as inet_ntop writes it, without its sprintf (--events formats
 * an address on every line). */
static void format_v4(const uint8_t b[4], char *out)
{
	for (int k = 0; k < 4; k++) {
		unsigned v = b[k];
		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = k < 3 ? '.' : '\0';
	}
}

const char *addr_format(const struct addr *a, char buf[static ADDR_STRLEN])
{
	buf[0] = '\0';
	if (a->family == ADDR_V4)
		format_v4(a->bytes, buf);
	else if (a->family == ADDR_V6)
		(void)inet_ntop(AF_INET6, a->bytes, buf, ADDR_STRLEN);
	return buf;
}


struct addr addr_mask(const struct addr *a, unsigned prefix)
{
	struct addr m = *a;
	unsigned bits = a->family == ADDR_V4 ? 32 : a->family == ADDR_V6 ? 128 : 0;
	if (prefix >= bits)
		return m;
	/* a byte at a time: the allow-list masks every event's source */
	unsigned full = prefix / 8, rest = prefix % 8;
	if (rest)
		m.bytes[full++] &= (uint8_t)(0xff00u >> rest);
	memset(m.bytes + full, 0, bits / 8 - full);
	return m;
}

bool addr_is_loopback(const struct addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	if (a->family == ADDR_V4)
		return a->bytes[0] == 127;
	if (a->family == ADDR_V6)
		return memcmp(a->bytes, v6lo, 16) == 0;
	return false;
}

