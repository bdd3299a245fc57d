/* spawn: a tool's output read whole, its exit status returned; a tool that
 * hangs is killed at the deadline, one that prints without end at the
 * bound; its environment is the fixed minimal one, never the caller's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/spawn.h"

static void test_output_and_status(void **state)
{
	(void)state;
	char *out = NULL;
	size_t n = 0;
	char *const echo[] = { "sh", "-c", "printf 'a b\\n'; printf 'c\\n'", NULL };
	assert_int_equal(spawn_read("/bin/sh", echo, 5000, 1024, &out, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(out, "a b\nc\n");
	free(out);
	char *const fail[] = { "sh", "-c", "echo partial; exit 3", NULL };
	assert_int_equal(spawn_read("/bin/sh", fail, 5000, 1024, &out, &n), 3);
	assert_string_equal(out, "partial\n");
	free(out);
	char *const quiet[] = { "true", NULL };
	assert_int_equal(spawn_read("/bin/true", quiet, 5000, 1024, &out, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
	free(out);
	char *const killed[] = { "sh", "-c", "kill -9 $$", NULL };
	assert_int_equal(spawn_read("/bin/sh", killed, 5000, 1024, &out, &n), 128 + 9);
	free(out);
	/* stderr goes nowhere, stdin is empty */
	char *const io[] = { "sh", "-c", "echo err >&2; cat; echo done", NULL };
	assert_int_equal(spawn_read("/bin/sh", io, 5000, 1024, &out, &n), 0);
	assert_string_equal(out, "done\n");
	free(out);
}

static void test_environment_fixed(void **state)
{
	(void)state;
	char *out = NULL;
	size_t n;
	setenv("MOAT_SPAWN_LEAK", "leaked", 1);
	char *const env[] = { "env", NULL };
	assert_int_equal(spawn_read("/usr/bin/env", env, 5000, 4096, &out, &n), 0);
	assert_null(strstr(out, "MOAT_SPAWN_LEAK"));
	assert_non_null(strstr(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_non_null(strstr(out, "LC_ALL=C\n"));
	free(out);
}

static void test_bounds(void **state)
{
	(void)state;
	char *out = (char *)"untouched";
	size_t n = 7;
	char *const hang[] = { "sleep", "30", NULL };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(spawn_read("/bin/sleep", hang, 300, 1024, &out, &n), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 10); /* killed, not waited for */
	char *const endless[] = { "yes", NULL };
	assert_int_equal(spawn_read("/usr/bin/yes", endless, 20000, 100000, &out, &n), -EFBIG);
	char *const none[] = { "nothing", NULL };
	assert_int_equal(spawn_read("/nonexistent/nothing", none, 1000, 1024, &out, &n), -ENOENT);
	/* on error the out-parameters are not written */
	assert_string_equal(out, "untouched");
	assert_int_equal(n, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_environment_fixed),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
