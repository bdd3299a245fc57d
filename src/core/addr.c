#include "core/addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/* Dotted-quad IPv4 exactly as glibc's inet_pton(AF_INET) takes it
 * (resolv/inet_pton.c inet_pton4): four decimal parts 0-255 separated by
 * single dots, no sign, no spaces, and no leading zero ("0" is a part,
 * "01" is not). Returns true and *ret the address bytes in memory order
 * (first part in the lowest byte), or false. Every line that names an
 * address comes through here: no copy, and the parts are kept in a
 * register rather than stored byte by byte and reloaded. */
static inline bool parse_v4(struct sv v, uint32_t *ret)
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

static inline int hex_value(unsigned char c)
{
	if ((unsigned)(c - '0') <= 9)
		return c - '0';
	c |= 0x20; /* 'A'-'F' → 'a'-'f'; nothing else lands there */
	if ((unsigned)(c - 'a') < 6)
		return c - 'a' + 10;
	return -1;
}

/* IPv6 text exactly as glibc's inet_pton(AF_INET6) takes it (resolv/
 * inet_pton.c inet_pton6, glibc 2.26 and later): groups of 1-4 hex digits
 * separated by single colons; one "::" standing for one or more zero
 * groups; a leading ':' only as part of "::", a trailing one only as part
 * of "::"; a dotted quad (parse_v4's rules) in place of the last two
 * groups, after a colon or at the start. inet_pton needs a NUL-terminated
 * copy and costs several times this on every IPv6 line; the differential
 * test in tests/core/test-addr.c holds the two to the same answers. */
static bool parse_v6(struct sv v, uint8_t out[static 16])
{
	uint8_t tmp[16] = { 0 };
	size_t i = 0, tp = 0, tok, colonp = SIZE_MAX;
	unsigned val = 0, nx = 0; /* the group being read and its digit count */

	if (v.n == 0)
		return false;
	if (v.p[0] == ':') {
		/* a leading ':' must be the start of "::" */
		if (v.n < 2 || v.p[1] != ':')
			return false;
		i = 1;
	}
	tok = i;
	while (i < v.n) {
		unsigned char c = (unsigned char)v.p[i++];
		int d = hex_value(c);
		if (d >= 0) {
			if (nx == 4)
				return false;
			val = val << 4 | (unsigned)d;
			nx++;
			continue;
		}
		if (c == ':') {
			tok = i;
			if (nx == 0) {
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
			val = nx = 0;
			continue;
		}
		if (c == '.' && tp + 4 <= 16) {
			/* the rest, from the start of this group, is a dotted quad */
			uint32_t v4;
			if (!parse_v4(sv_make(v.p + tok, v.n - tok), &v4))
				return false;
			tmp[tp++] = (uint8_t)v4;
			tmp[tp++] = (uint8_t)(v4 >> 8);
			tmp[tp++] = (uint8_t)(v4 >> 16);
			tmp[tp++] = (uint8_t)(v4 >> 24);
			nx = 0;
			break;
		}
		return false;
	}
	if (nx > 0) {
		if (tp + 2 > 16)
			return false;
		tmp[tp++] = (uint8_t)(val >> 8);
		tmp[tp++] = (uint8_t)val;
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

const char *addr_format(const struct addr *a, char buf[static ADDR_STRLEN])
{
	buf[0] = '\0';
	if (a->family == ADDR_V4)
		(void)inet_ntop(AF_INET, a->bytes, buf, ADDR_STRLEN);
	else if (a->family == ADDR_V6)
		(void)inet_ntop(AF_INET6, a->bytes, buf, ADDR_STRLEN);
	return buf;
}


struct addr addr_mask(const struct addr *a, unsigned prefix)
{
	struct addr m = *a;
	unsigned bits = a->family == ADDR_V4 ? 32 : a->family == ADDR_V6 ? 128 : 0;
	if (prefix > bits)
		prefix = bits;
	for (unsigned i = prefix; i < bits; i++)
		m.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
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

