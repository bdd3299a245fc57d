#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"

static char *run(void (*fn)(FILE *, struct sv), const char *in, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, sv_make(in, n));
	fclose(f);
	return buf;
}

static void text0(FILE *f, struct sv v)
{
	escape_text(f, v, 0);
}

static void test_json(void **state)
{
	char *s;
	(void)state;
	s = run(escape_json, "a\"b\\c\n\x1b[31m", 11);
	assert_string_equal(s, "a\\\"b\\\\c\\u000a\\u001b[31m");
	free(s);
	s = run(escape_json, "caf\xc3\xa9 \xff\x00x", 9);
	assert_string_equal(s, "caf\xc3\xa9 \\u00ff\\u0000x");
	free(s);
	/* overlong encoding and surrogates are invalid */
	s = run(escape_json, "\xc0\xaf\xed\xa0\x80", 5);
	assert_string_equal(s, "\\u00c0\\u00af\\u00ed\\u00a0\\u0080");
	free(s);
}

static void test_text(void **state)
{
	char *s;
	(void)state;
	s = run(text0, "root\x1b]0;pwned\x07 \\ \xc2\x9b", 19);
	assert_string_equal(s, "root\\x1b]0;pwned\\x07 \\\\ \\xc2\\x9b");
	free(s);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	escape_text(f, sv_cstr("abcdef"), 3);
	fclose(f);
	assert_string_equal(buf, "abc…");
	free(buf);
}

/* obuf: numbers at their extremes, pieces that cross the buffer's end,
 * and a piece longer than the buffer, all in order. */
static void test_obuf(void **state)
{
	char *buf = NULL, *want;
	size_t len = 0, wn = 0;
	FILE *f = open_memstream(&buf, &len);
	struct obuf o;
	(void)state;
	obuf_init(&o, f);
	obuf_write(&o, NULL, 0); /* an empty view's pointer may be NULL */
	obuf_json(&o, (struct sv){ NULL, 0 });
	obuf_text(&o, (struct sv){ NULL, 0 }, 0);
	obuf_u64(&o, 0);
	obuf_putc(&o, ' ');
	obuf_u64(&o, UINT64_MAX);
	obuf_putc(&o, ' ');
	obuf_i64(&o, INT64_MIN);
	obuf_putc(&o, ' ');
	obuf_i64(&o, -7);
	obuf_putc(&o, '|');
	obuf_flush(&o);
	fflush(f);
	assert_string_equal(buf, "0 18446744073709551615 -9223372036854775808 -7|");

	/* 3 x 3000 bytes then 10000: the second piece crosses the end, the
	 * last is written through */
	want = malloc(3 * 3000 + 10000 + 1);
	assert_non_null(want);
	rewind(f);
	obuf_init(&o, f);
	for (int k = 0; k < 4; k++) {
		size_t n = k < 3 ? 3000 : 10000;
		char *piece = malloc(n);
		assert_non_null(piece);
		for (size_t i = 0; i < n; i++)
			piece[i] = (char)('a' + (k * 7 + i) % 26);
		obuf_write(&o, piece, n);
		memcpy(want + wn, piece, n);
		wn += n;
		free(piece);
	}
	want[wn] = '\0';
	obuf_flush(&o);
	fclose(f);
	assert_int_equal(len, wn);
	assert_memory_equal(buf, want, wn);
	free(want);
	free(buf);
}

/* A long value escaped through the buffer (runs copied at once, escapes
 * between them, the buffer filled several times) is what escaping each
 * byte alone gives. */
static void test_long_values(void **state)
{
	enum { N = 20000 };
	char *in = malloc(N), *s, *piecewise = NULL;
	size_t plen = 0;
	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < N; i++)
		in[i] = i % 97 == 0 ? '"' : i % 89 == 0 ? '\x01' : i % 83 == 0 ? '\\' : (char)('A' + i % 26);
	s = run(escape_json, in, N);
	FILE *f = open_memstream(&piecewise, &plen);
	for (size_t i = 0; i < N; i++)
		escape_json(f, sv_make(in + i, 1));
	fclose(f);
	assert_string_equal(s, piecewise);
	free(s);
	free(piecewise);
	piecewise = NULL;
	s = run(text0, in, N);
	f = open_memstream(&piecewise, &plen);
	for (size_t i = 0; i < N; i++)
		escape_text(f, sv_make(in + i, 1), 0);
	fclose(f);
	assert_string_equal(s, piecewise);
	free(s);
	free(piecewise);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_obuf),
		cmocka_unit_test(test_long_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
