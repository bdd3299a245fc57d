/*
 * Unit tests for src/parse/missed.c: how a line that was not understood is
 * classified (reason, program, masked first words, all escaped and capped),
 * and the bounded table of rows (counts, order, overflow once full).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "parse/header.h"
#include "parse/missed.h"

static struct header_ctx *hdr;

/* Classifies a whole log line the way the scan does: its header, or none. */
static void classify(const char *line, struct missed_shape *ret)
{
	struct syslog_header h;
	if (header_parse(hdr, line, strlen(line), &h) > 0)
		missed_classify(&h, line, strlen(line), ret);
	else
		missed_classify(NULL, line, strlen(line), ret);
}

static void test_classify(void **state)
{
	static const struct {
		const char *line;
		enum missed_why why;
		const char *program, *words;
	} cases[] = {
		{ "Nov  1 00:00:01 host sshd[1]: Server listening on 0.0.0.0 port 22.", MISSED_NOT_UNDERSTOOD, "sshd",
		  "Server listening on" },
		{ "Nov  1 00:00:01 host sshd[1]: Received signal 15; terminating.", MISSED_NOT_UNDERSTOOD, "sshd",
		  "Received signal <n>;" },
		{ "Nov  1 00:00:01 host sshd[1]: input_userauth_request: invalid user admin [preauth]",
		  MISSED_NOT_UNDERSTOOD, "sshd", "input_userauth_request: invalid user" },
		{ "Nov  1 00:00:01 host sshd[1]: Address 1.2.3.4 maps to x.example, but this does not map back",
		  MISSED_NOT_UNDERSTOOD, "sshd", "Address <addr> maps" },
		{ "Nov  1 00:00:01 host sshd[1]: Accepted key RSA SHA256:kzfjfps/WFgXAdNgzvHBLuI072Y found at x",
		  MISSED_NOT_UNDERSTOOD, "sshd", "Accepted key RSA" },
		{ "Nov  1 00:00:01 host sshd[1]: error: Bind to port 22 on 0.0.0.0 failed", MISSED_NOT_UNDERSTOOD, "sshd",
		  "error: Bind to" },
		{ "Nov  1 00:00:01 host sudo: a very_long_word_that_is_surely_a_variable_part x", MISSED_NOT_UNDERSTOOD,
		  "sudo", "a <*> x" },
		{ "Nov  1 00:00:01 host CRON[5]: (root) CMD (true)", MISSED_NO_DECODER, "CRON", "" },
		{ "Nov  1 00:00:01 host kernel: [ 12.345] usb 1-1: new device", MISSED_NO_DECODER, "kernel", "" },
		/* pam modules are read under any program: a message a module wrote is "not understood" */
		{ "Nov  1 00:00:01 host CRON[5]: pam_env(cron:session): Unable to open env file", MISSED_NOT_UNDERSTOOD,
		  "CRON", "pam_env(cron:session): Unable to" },
		{ "Nov  1 00:00:01 host -- MARK --", MISSED_NO_PROGRAM, "", "-- MARK --" },
		{ "hello world, this is not syslog", MISSED_NO_HEADER, "", "hello world, this" },
		{ "", MISSED_NO_HEADER, "", "" },
		{ "2026/11/01 00:00:01 app: x", MISSED_NO_HEADER, "", "<*> <*> app:" },
		/* hostile text: escaped, never raw */
		{ "Nov  1 00:00:01 host ev\x1b" "il\xff[1]: x", MISSED_NO_DECODER, "ev\\x1bil\\xff", "" },
		{ "Nov  1 00:00:01 host ev\x1b[31mil[1]: x", MISSED_NO_PROGRAM, "", "<*> x" },
		{ "Nov  1 00:00:01 host sshd[1]: \x1b]pwned\x07 \xff\xfe caf\xc3\xa9", MISSED_NOT_UNDERSTOOD, "sshd",
		  "\\x1b]pwned\\x07 \\xff\\xfe caf\xc3\xa9" },
		{ "Nov  1 00:00:01 host sshd[1]: a\\b", MISSED_NOT_UNDERSTOOD, "sshd", "a\\\\b" },
	};
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct missed_shape s;
		classify(cases[i].line, &s);
		if (s.why != cases[i].why || strcmp(s.program, cases[i].program) != 0 ||
		    strcmp(s.words, cases[i].words) != 0)
			fail_msg("%s: got %s / \"%s\" / \"%s\"", cases[i].line, missed_why_id(s.why), s.program,
				 s.words);
	}
}

/* Caps: a long program name and long words end in "…" within bounds. */
static void test_caps(void **state)
{
	char line[4096], want[MISSED_PROGRAM_MAX + 4];
	struct missed_shape s;
	struct syslog_header h = { .pid = -1, .repeat = 1 };
	(void)state;
	memset(line, 'p', 100);
	h.program = sv_make(line, 100);
	h.msg = SV_LIT("x");
	missed_classify(&h, "", 0, &s);
	assert_int_equal(s.why, MISSED_NO_DECODER);
	memset(want, 'p', MISSED_PROGRAM_MAX);
	memcpy(want + MISSED_PROGRAM_MAX, "\xe2\x80\xa6", 4);
	assert_string_equal(s.program, want);
	/* control bytes take four bytes each: the cap holds for escaped text */
	memset(line, '\x01', sizeof(line));
	h.program = sv_make(line, sizeof(line));
	h.msg = sv_make(line, sizeof(line));
	missed_classify(&h, "", 0, &s);
	assert_true(strlen(s.program) <= MISSED_PROGRAM_MAX + 3);
	h.program = SV_LIT("sshd");
	missed_classify(&h, "", 0, &s);
	assert_int_equal(s.why, MISSED_NOT_UNDERSTOOD);
	assert_true(strlen(s.words) <= MISSED_SHAPE_MAX + 3);
	assert_true(strlen(s.words) > 0);
	/* a word of NUL bytes, short: escaped */
	h.msg = sv_make("a\0b c", 5);
	missed_classify(&h, "", 0, &s);
	assert_string_equal(s.words, "a\\x00b c");
}

static void test_table(void **state)
{
	struct missed *m = missed_new();
	const struct missed_row *r;
	struct missed_stats st;
	struct missed_shape s;
	(void)state;
	assert_non_null(m);
	assert_null(missed_row(m, 0));
	for (int i = 0; i < 5; i++) {
		char line[128];
		snprintf(line, sizeof(line), "Nov  1 00:00:0%d host CRON[%d]: (root) CMD (true)", i, 100 + i);
		struct syslog_header h;
		assert_int_equal(header_parse(hdr, line, strlen(line), &h), 1);
		missed_note(m, &h, line, strlen(line), &s);
		assert_int_equal(s.why, MISSED_NO_DECODER);
	}
	for (int i = 0; i < 3; i++) {
		char line[128];
		snprintf(line, sizeof(line), "Nov  1 00:00:0%d host sshd[%d]: Server listening on 10.0.0.%d port 22.", i,
			 i, i);
		struct syslog_header h;
		assert_int_equal(header_parse(hdr, line, strlen(line), &h), 1);
		missed_note(m, &h, line, strlen(line), NULL);
	}
	missed_note(m, NULL, "garbage", 7, NULL);
	missed_get_stats(m, &st);
	assert_int_equal(st.lines, 9);
	assert_int_equal(st.by_why[MISSED_NO_DECODER], 5);
	assert_int_equal(st.by_why[MISSED_NOT_UNDERSTOOD], 3);
	assert_int_equal(st.by_why[MISSED_NO_HEADER], 1);
	assert_int_equal(st.folded, 0);
	r = missed_row(m, 0);
	assert_non_null(r);
	assert_int_equal(r->n, 5);
	assert_string_equal(r->program, "CRON");
	r = missed_row(m, 1);
	assert_int_equal(r->n, 3);
	assert_string_equal(r->program, "sshd");
	assert_string_equal(r->words, "Server listening on");
	assert_int_equal(r->why, MISSED_NOT_UNDERSTOOD);
	r = missed_row(m, 2);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->why, MISSED_NO_HEADER);
	assert_null(missed_row(m, 3));
	assert_null(missed_free(m));
	assert_null(missed_free(NULL));
}

/* More shapes than the table holds: one row per reason takes the rest,
 * and every line is still counted. */
static void test_overflow(void **state)
{
	struct missed *m = missed_new();
	struct missed_stats st;
	const struct missed_row *r;
	uint64_t total = 0;
	size_t rows = 0;
	(void)state;
	assert_non_null(m);
	for (int i = 0; i < 10000; i++) {
		char prog[32];
		struct syslog_header h = { .pid = -1, .repeat = 1 };
		snprintf(prog, sizeof(prog), "p%c%c%c", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676 % 26);
		h.program = sv_cstr(prog);
		h.msg = SV_LIT("m");
		missed_note(m, &h, "", 0, NULL);
	}
	missed_get_stats(m, &st);
	assert_int_equal(st.lines, 10000);
	assert_int_equal(st.folded, 10000 - MISSED_ROWS_MAX);
	for (size_t i = 0; (r = missed_row(m, i)); i++) {
		total += r->n;
		rows++;
	}
	assert_int_equal(total, 10000);
	assert_int_equal(rows, MISSED_ROWS_MAX + 1);
	r = missed_row(m, 0);
	assert_int_equal(r->n, 10000 - MISSED_ROWS_MAX);
	assert_string_equal(r->program, "\xe2\x80\xa6");
	missed_free(m);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(missed_why_name(MISSED_NO_HEADER), "no syslog header");
	assert_string_equal(missed_why_id(MISSED_NOT_UNDERSTOOD), "not_understood");
	assert_string_equal(missed_why_id(MISSED_WHY_MAX), "unknown");
}

static int setup(void **state)
{
	(void)state;
	hdr = header_ctx_new("UTC");
	return hdr ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	header_ctx_free(hdr);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify), cmocka_unit_test(test_caps),  cmocka_unit_test(test_table),
		cmocka_unit_test(test_overflow), cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
