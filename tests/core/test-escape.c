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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
