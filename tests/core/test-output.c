#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "report/output.h"
#include "../test-tz.h"

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


static int64_t at(const char *t)
{
	int64_t us;
	assert_int_equal(time_parse_rfc3339(t, &us), 0);
	return us;
}

/* An alert's span in the zone shown, named: one time, one day, or two
 * full times (a day apart, or across a change of the clock); JSON stays
 * RFC 3339 in UTC. */
static void test_span_shown(void **state)
{
	(void)state;
	char *saved = test_tz_save();
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	struct alert *a = alert_new(AK_BRUTE_FORCE, SEV_MEDIUM);
	alert_touch(a, at("2026-12-07T13:03:11Z"));
	alert_touch(a, at("2026-12-07T13:03:11Z"));
	a->count = 1;
	char *s = render(a, false);
	assert_non_null(strstr(s, "\n  2026-12-07 14:03:11 CET, 1 event\n"));
	free(s);
	alert_touch(a, at("2026-12-07T13:09:40Z"));
	s = render(a, false);
	assert_non_null(strstr(s, "\n  2026-12-07 14:03:11 .. 14:09:40 CET, 1 event\n"));
	free(s);
	s = render(a, true);
	assert_non_null(strstr(s, "\"first\":\"2026-12-07T13:03:11Z\",\"last\":\"2026-12-07T13:09:40Z\""));
	free(s);
	alert_touch(a, at("2026-12-07T23:30:00Z"));
	s = render(a, false);
	assert_non_null(strstr(s, "\n  2026-12-07 14:03:11 CET .. 2026-12-08 00:30:00 CET, 1 event\n"));
	free(s);
	alert_free(a);
	/* the night the clocks go back: one date, two zones */
	a = alert_new(AK_BRUTE_FORCE, SEV_MEDIUM);
	alert_touch(a, at("2026-10-24T23:30:00Z"));
	alert_touch(a, at("2026-10-25T01:30:00Z"));
	a->count = 2;
	s = render(a, false);
	assert_non_null(strstr(s, "\n  2026-10-25 01:30:00 CEST .. 2026-10-25 02:30:00 CET, 2 events\n"));
	free(s);
	time_display_utc(true);
	s = render(a, false);
	assert_non_null(strstr(s, "\n  2026-10-24 23:30:00 UTC .. 2026-10-25 01:30:00 UTC, 2 events\n"));
	free(s);
	time_display_utc(false);
	alert_free(a);
	test_tz_restore(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_hint),
		cmocka_unit_test(test_source_hint),
		cmocka_unit_test(test_span_shown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
