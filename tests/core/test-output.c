#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/output.h"

static char *render(const struct alert *a, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct output_opts o = { .json = json };
	output_alert(f, &o, a);
	fclose(f);
	return buf;
}

static void test_trace_hint(void **state)
{
	(void)state;
	struct alert *a = alert_new(AK_UNUSUAL_LOGIN, SEV_HIGH);
	alert_touch(a, 1794453129LL * 1000000);
	assert_int_equal(alert_set_user(a, sv_cstr("carol")), 0);
	char *s = render(a, false);
	assert_non_null(strstr(s, "  trace: moat trace --user carol --since 2026-11-12T02:12:09Z\n"));
	free(s);
	/* an attacker-invented name gets no ready-made shell command */
	assert_int_equal(alert_set_user(a, sv_cstr("x; rm -rf / #")), 0);
	s = render(a, false);
	assert_null(strstr(s, "trace:"));
	free(s);
	/* JSON carries no hint, and escapes the name */
	s = render(a, true);
	assert_null(strstr(s, "trace"));
	assert_non_null(strstr(s, "\"user\":\"x; rm -rf / #\""));
	free(s);
	alert_free(a);
}

static void test_source_hint(void **state)
{
	(void)state;
	struct alert *a = alert_new(AK_BRUTE_FORCE, SEV_MEDIUM);
	alert_touch(a, 0);
	assert_int_equal(addr_parse(sv_cstr("203.0.113.5"), &a->source), 1);
	char *s = render(a, false);
	assert_non_null(strstr(s, "  trace: moat trace --source 203.0.113.5\n"));
	assert_non_null(strstr(s, "medium brute_force from 203.0.113.5"));
	free(s);
	alert_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_hint),
		cmocka_unit_test(test_source_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
