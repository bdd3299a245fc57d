#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"

static void roundtrip(const char *in, const char *want)
{
	struct addr a;
	char buf[ADDR_STRLEN];
	if (!want) {
		assert_int_equal(addr_parse(sv_cstr(in), &a), 0);
		return;
	}
	assert_int_equal(addr_parse(sv_cstr(in), &a), 1);
	assert_string_equal(addr_format(&a, buf), want);
}

static void test_parse(void **state)
{
	(void)state;
	roundtrip("1.2.3.4", "1.2.3.4");
	roundtrip("2001:db8::a11:beef:7ac0", "2001:db8::a11:beef:7ac0");
	roundtrip("2001:db8::a11:beef:7ac0%abcdefgh1234567", "2001:db8::a11:beef:7ac0");
	roundtrip("::ffff:10.0.0.5", "10.0.0.5");
	roundtrip("::1", "::1");
	roundtrip("", NULL);
	roundtrip("1.2.3", NULL);
	roundtrip("1.2.3.4 ", NULL);
	roundtrip("1.2.3.4%eth0", NULL);
	roundtrip("1.2.3.4%eth:0", NULL); /* a zone after an IPv4 address */
	roundtrip("0.0.0.0", "0.0.0.0");
	roundtrip("255.255.255.255", "255.255.255.255");
	roundtrip("01.2.3.4", NULL); /* inet_pton refuses leading zeros */
	roundtrip("256.1.1.1", NULL);
	roundtrip("[::1]", NULL);
	roundtrip("host.example.com", NULL);
	roundtrip("1.2.3.4:22", NULL);
	/* a NUL inside the view is not an address */
	struct addr a;
	assert_int_equal(addr_parse(sv_make("1.2.3.4\0junk", 12), &a), 0);
}

/* ---- differential: addr_parse against inet_pton ------------------------ */

/* addr.h's contract written with inet_pton alone: IPv4 when the text has no
 * ':', else IPv6 with an optional "%zone" dropped (the rest keeps a ':'),
 * IPv4-mapped IPv6 stored as IPv4; no NUL, shorter than 64 bytes. */
static int ref_parse(const char *s, size_t n, struct addr *ret)
{
	char buf[128];
	struct addr a = { 0 };
	const char *pct;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (n == 0 || n >= 64 || memchr(s, '\0', n))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strchr(buf, ':')) {
		if (inet_pton(AF_INET, buf, a.bytes) != 1)
			return 0;
		a.family = ADDR_V4;
	} else {
		if ((pct = strchr(buf, '%')))
			buf[pct - buf] = '\0';
		if (!strchr(buf, ':') || inet_pton(AF_INET6, buf, a.bytes) != 1)
			return 0;
		a.family = ADDR_V6;
		if (memcmp(a.bytes, mapped, 12) == 0) {
			memmove(a.bytes, a.bytes + 12, 4);
			memset(a.bytes + 4, 0, 12);
			a.family = ADDR_V4;
		}
	}
	*ret = a;
	return 1;
}

static unsigned long n_compared, n_accepted;

static void compare(const char *s, size_t n)
{
	struct addr got = { 0 }, want = { 0 };
	/* an exact-size copy: a read past the view is a sanitizer error */
	char *copy = test_malloc(n ? n : 1);
	int g, w;
	memcpy(copy, s, n);
	g = addr_parse(sv_make(copy, n), &got);
	w = ref_parse(s, n, &want);
	test_free(copy);
	n_compared++;
	if (g != w || (g && !addr_equal(&got, &want)) || (g && memcmp(&got, &want, sizeof(got)) != 0)) {
		char esc[256];
		size_t k = 0;
		for (size_t i = 0; i < n && k + 5 < sizeof(esc); i++)
			k += (size_t)snprintf(esc + k, sizeof(esc) - k, (unsigned char)s[i] >= 0x20 &&
					      (unsigned char)s[i] < 0x7f ? "%c" : "\\x%02x", (unsigned char)s[i]);
		fail_msg("\"%s\": addr_parse %d, inet_pton %d", esc, g, w);
	}
	n_accepted += (unsigned long)g;
}

static void compare_str(const char *s)
{
	compare(s, strlen(s));
}

/* compare() on every string of up to max_len bytes over alphabet. */
static void compare_all_strings(const char *alphabet, size_t max_len)
{
	size_t na = strlen(alphabet);
	char s[16];
	assert_true(max_len <= sizeof(s));
	for (size_t len = 0; len <= max_len; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= na;
		for (size_t c = 0; c < total; c++) {
			size_t x = c;
			for (size_t k = 0; k < len; k++) {
				s[k] = alphabet[x % na];
				x /= na;
			}
			compare(s, len);
		}
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* compare() on count random strings of up to max_len - 1 bytes, every
 * other one over alpha, the others over wild (each without its final NUL). */
static void compare_random_strings(const char *alpha, size_t alpha_n, const char *wild, size_t wild_n,
				   uint32_t max_len, int count)
{
	char s[64];
	assert_true(max_len <= sizeof(s));
	for (int i = 0; i < count; i++) {
		size_t n = rnd(max_len);
		const char *a = i & 1 ? alpha : wild;
		size_t an = i & 1 ? alpha_n : wild_n;
		for (size_t k = 0; k < n; k++)
			s[k] = a[rnd((uint32_t)an)];
		compare(s, n);
	}
}

/* compare() on valid with each of its bytes in turn replaced by every byte value. */
static void compare_every_byte(const char *valid)
{
	size_t n = strlen(valid);
	char s[64];
	assert_true(n <= sizeof(s));
	for (int b = 0; b < 256; b++)
		for (size_t at = 0; at < n; at++) {
			memcpy(s, valid, n);
			s[at] = (char)b;
			compare(s, n);
		}
}

static void test_v4_differential(void **state)
{
	static const char *const edge[] = {
		"0.0.0.0", "255.255.255.255", "256.0.0.0", "0.0.0.256", "00.0.0.0", "0.0.0.00", "1.2.3.04",
		"01.2.3.4", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5", "0x1.2.3.4", "1.2.3.4\n", " 1.2.3.4",
		"+1.2.3.4", "-1.2.3.4", "1.2.3.+4", "1e2.0.0.1", "999.1.1.1", "1.2.3.0255", "1.2.3.2555",
		"1.2.3", "1.2.3.", "1", "1.2", "127.1", "0177.0.0.1", "4294967295", "1.2.3.4 ", "1.2.3.4%",
		"1.2.3.4%eth0", "1.2.3.4%x:y", "1.2.3.4/24", "1,2,3,4", "1.2.3.4:22", "\xd9\xa1.2.3.4",
		"255.255.255.2555", "1000.0.0.0", "100.200.250.255", "9.99.199.249", "10.0.0.5", "000.0.0.0",
		"::ffff:1.2.3.4", "::ffff:01.2.3.4", "::1.2.3.4", "::ffff:1.2.3.4%eth0", "fe80::1%", "%eth0",
		"fe80::1%eth0", "::", ":", "1.2.3.4::", "2001:db8::1.2.3.4", "::ffff:256.1.1.1",
	};
	static const char alpha[] = "0123456789.";
	static const char wild[] = "0123456789.:%+- xaf\0\n/";
	char s[40];
	(void)state;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		compare_str(edge[i]);
	compare("1.2.3.4\0", 8);
	compare("1.2\0.3.4", 8);
	compare("::1\0", 4);

	/* every string of up to 5 bytes over digits and dots that matter */
	compare_all_strings("0129.", 5);
	/* dotted quads with parts 0-999, random leading zeros, random damage */
	for (int i = 0; i < 300000; i++) {
		size_t n = 0;
		int parts = rnd(5) == 0 ? 3 + (int)rnd(3) : 4;
		for (int k = 0; k < parts; k++) {
			int zeros = rnd(8) == 0 ? (int)rnd(3) : 0;
			unsigned v = rnd(4) == 0 ? rnd(1000) : rnd(256);
			if (k)
				s[n++] = '.';
			while (zeros-- > 0)
				s[n++] = '0';
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%u", v);
		}
		if (rnd(4) == 0)
			s[rnd((uint32_t)n)] = wild[rnd(sizeof(wild) - 1)];
		compare(s, n);
	}
	/* random strings over digits and dots, and over a wilder alphabet */
	compare_random_strings(alpha, sizeof(alpha) - 1, wild, sizeof(wild) - 1, 20, 300000);
	/* any byte at any place of a valid address */
	compare_every_byte("10.200.30.4");
	print_message("addr differential: %lu strings, %lu addresses\n", n_compared, n_accepted);
	assert_true(n_accepted > 50000);
}

/* The same with the portable IPv4 parser, where the vector one runs by
 * default: both must give inet_pton's answers. */
static void test_v4_differential_portable(void **state)
{
	addr_test_simd(false);
	test_v4_differential(state);
	addr_test_simd(true);
}

/* IPv6: addr_parse has its own inet_pton6; every answer must be glibc's. */
static void test_v6_differential(void **state)
{
	static const char *const edge[] = {
		"::", ":::", "::::", ":", "1::", "1:", ":1", "::1", "1::1", "1::1::1", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
		"::1:2:3:4:5:6:7:8", "1:2:3::4:5:6:7:8", "1:2:3:4::5:6:7", "12345::", "0000:0:0:0:0:0:0:1",
		"00000::1", "ffff::", "FFFF::", "fffff::", "10000::", "g::", "::g", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:1.2.3.4", "::1.2.3.4", "::ffff:1.2.3.4", "::ffff:1.2.3",
		"::ffff:1.2.3.4.5", "::ffff:01.2.3.4", "::ffff:1.2.3.04", "::ffff:256.2.3.4", "::1.2.3.4:1",
		"1.2.3.4::", "::a1.2.3.4", "::1a.2.3.4", "::.1.2.3.4", "::1.2.3.4.", "1::2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6::1.2.3.4", "1:2:3:4:5:6:7::1.2.3.4", "::ffff:1.2.3.4%eth0", "fe80::1%eth0",
		"fe80::1%", "fe80::1%%", "%", "%fe80::1", "fe80::1%eth0:1", "fe80%::1", "1.2.3.4%::",
		"2001:db8::a11:beef:7ac0", "2001:DB8::A11:BEEF:7AC0", "2001:db8:0:0:1:0:0:1", " ::1", "::1 ",
		"::1\n", "[::1]", "::-1", "::+1", "0x1::", "::0x1", "1:::2", ":1::", "1::2:", "::2:",
		"1:2:3:4:5:6:7:8%x", "::ffff:0.0.0.0", "::ffff:255.255.255.255", "::0.0.0.0", "::ffff:0:1.2.3.4",
		"64:ff9b::1.2.3.4", "2001:db8:cfac:761b::1597", "a:b:c:d:e:f:a:b", "A:B:C:D:E:F:A:B",
	};
	static const char alpha[] = "0123456789abcdefABCDEF:.";
	static const char wild[] = "0123456789abcdefgABCDEFG:.%x \n\0/[]-";
	char s[64];
	unsigned long before = n_accepted;
	(void)state;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		compare_str(edge[i]);
	compare("::1\0", 4);
	compare("::\0001", 4);
	compare("fe80::1%e\0", 10);
	/* every string of up to 7 bytes over ':' '0' 'f' '.' '1' */
	compare_all_strings(":0f.1", 7);
	/* well-formed addresses (1-8 groups of 0-5 hex digits, a "::" or not,
	 * a dotted-quad tail or not, a zone or not), then random damage */
	for (int i = 0; i < 300000; i++) {
		size_t n = 0;
		int groups = 1 + (int)rnd(8), gap = rnd(3) == 0 ? -1 : (int)rnd((uint32_t)groups + 1);
		bool quad = rnd(4) == 0;
		for (int g = 0; g < groups && n < 40; g++) {
			int digits = rnd(10) == 0 ? (int)rnd(6) : 1 + (int)rnd(4);
			if (g == gap)
				s[n++] = ':';
			if (g)
				s[n++] = ':';
			if (g == groups - 1 && quad) {
				n += (size_t)snprintf(s + n, sizeof(s) - n, "%u.%u.%u.%u", rnd(300), rnd(256), rnd(256),
						      rnd(256));
				break;
			}
			for (int k = 0; k < digits; k++)
				s[n++] = "0123456789abcdefABCDEF"[rnd(22)];
		}
		if (gap == groups) {
			s[n++] = ':';
			s[n++] = ':';
		}
		if (rnd(10) == 0)
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%%eth%u", rnd(10));
		switch (rnd(6)) {
		case 0: /* replace a byte */
			if (n)
				s[rnd((uint32_t)n)] = wild[rnd(sizeof(wild) - 1)];
			break;
		case 1: /* drop a byte */
			if (n) {
				size_t at = rnd((uint32_t)n);
				memmove(s + at, s + at + 1, n - at - 1);
				n--;
			}
			break;
		case 2: /* insert a byte */
			if (n < sizeof(s) - 1) {
				size_t at = rnd((uint32_t)n + 1);
				memmove(s + at + 1, s + at, n - at);
				s[at] = wild[rnd(sizeof(wild) - 1)];
				n++;
			}
			break;
		default:
			break;
		}
		compare(s, n);
	}
	/* random strings over hex digits, colons and dots */
	compare_random_strings(alpha, sizeof(alpha) - 1, wild, sizeof(wild) - 1, 48, 300000);
	/* any byte at any place of a valid address */
	compare_every_byte("2001:db8::ffff:1.2.3.4%x");
	print_message("addr v6 differential: %lu addresses accepted\n", n_accepted - before);
	assert_true(n_accepted - before > 50000);
}

/* IPv4 text is written by hand: it must be inet_ntop's, for every octet
 * value in every place and for random addresses. */
static void test_format_v4(void **state)
{
	char got[ADDR_STRLEN], want[INET_ADDRSTRLEN];
	struct addr a = { .family = ADDR_V4 };
	(void)state;
	for (unsigned v = 0; v < 256; v++)
		for (int k = 0; k < 4; k++) {
			memset(a.bytes, k == 0 ? 7 : 0, 4);
			a.bytes[k] = (uint8_t)v;
			assert_non_null(inet_ntop(AF_INET, a.bytes, want, sizeof(want)));
			assert_string_equal(addr_format(&a, got), want);
		}
	for (int i = 0; i < 200000; i++) {
		uint32_t x = rnd(UINT32_MAX);
		memcpy(a.bytes, &x, 4);
		assert_non_null(inet_ntop(AF_INET, a.bytes, want, sizeof(want)));
		assert_string_equal(addr_format(&a, got), want);
	}
}

static void test_mask(void **state)
{
	struct addr a, m;
	char buf[ADDR_STRLEN];
	(void)state;
	assert_int_equal(addr_parse(sv_cstr("192.0.2.77"), &a), 1);
	m = addr_mask(&a, 24);
	assert_string_equal(addr_format(&m, buf), "192.0.2.0");
	assert_int_equal(addr_parse(sv_cstr("2001:db8:1:2:3::9"), &a), 1);
	m = addr_mask(&a, 48);
	assert_string_equal(addr_format(&m, buf), "2001:db8:1::");
	m = addr_mask(&a, 200);
	assert_true(addr_equal(&m, &a));
	/* every prefix, against clearing bit by bit; the bytes past the
	 * family's (v4: 4..15) are left as they were */
	struct addr all = { .family = ADDR_V6 };
	memset(all.bytes, 0xff, 16);
	for (int fam = 0; fam < 2; fam++) {
		unsigned bits = fam ? 128 : 32;
		all.family = fam ? ADDR_V6 : ADDR_V4;
		for (unsigned p = 0; p <= bits + 1; p++) {
			struct addr want = all;
			for (unsigned i = p; i < bits; i++)
				want.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
			m = addr_mask(&all, p);
			assert_memory_equal(m.bytes, want.bytes, 16);
		}
	}
}

static void test_equal_hash(void **state)
{
	struct addr a, b;
	(void)state;
	assert_int_equal(addr_parse(sv_cstr("::ffff:1.2.3.4"), &a), 1);
	assert_int_equal(addr_parse(sv_cstr("1.2.3.4"), &b), 1);
	assert_true(addr_equal(&a, &b));
	assert_true(addr_hash(&a, 7) == addr_hash(&b, 7));
	assert_int_equal(addr_parse(sv_cstr("1.2.3.5"), &b), 1);
	assert_false(addr_equal(&a, &b));
	assert_true(addr_is_loopback(&(struct addr){ .family = ADDR_V4, .bytes = { 127, 0, 0, 1 } }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_v4_differential),
		cmocka_unit_test(test_v4_differential_portable),
		cmocka_unit_test(test_v6_differential),
		cmocka_unit_test(test_format_v4),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_equal_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
