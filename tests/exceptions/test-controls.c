/* Unit tests for exceptions/controls: a process control proves something
 * only for the packages whose processes were looked at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exceptions/controls.h"
#include "exposure/reach.h"

static struct reach_snapshot *snap(void)
{
	struct reach_snapshot *s = NULL;
	char *err = NULL;
	assert_int_equal(reach_snapshot_take("/proc", "/", &s, &err), 0);
	free(err);
	return s;
}

/* A package name reach cannot look up: its processes are unknown, so the
 * control is unknown, never "no process runs the package". */
static void test_unlooked_package_unknown(void **state)
{
	(void)state;
	struct control_host h = { .reach = snap(), .proc = "/proc" };
	const char *pkgs[] = { "bad!name" };
	char why[256];
	assert_int_equal(control_check("listen-only 25/tcp", pkgs, 1, &h, why, sizeof(why)), CONTROL_UNKNOWN);
	assert_non_null(strstr(why, "could not be checked"));
	reach_snapshot_free(h.reach);
}

/* More packages than one check looks at: unknown, saying so. */
static void test_too_many_packages_unknown(void **state)
{
	(void)state;
	struct control_host h = { .reach = snap(), .proc = "/proc" };
	enum { N = 70 };
	char names[N][32];
	const char *pkgs[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "moat-no-such-pkg-%d", i);
		pkgs[i] = names[i];
	}
	char why[256];
	enum control_state st = control_check("no-listen", pkgs, N, &h, why, sizeof(why));
	assert_int_equal(st, CONTROL_UNKNOWN);
	assert_non_null(strstr(why, "could not be checked"));
	/* a few of them: none runs, and that is what it says */
	st = control_check("no-listen", pkgs, 3, &h, why, sizeof(why));
	assert_int_equal(st, CONTROL_HOLDS);
	assert_non_null(strstr(why, "no process runs"));
	reach_snapshot_free(h.reach);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlooked_package_unknown),
		cmocka_unit_test(test_too_many_packages_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
