/* cli: the shared option parser (common options, errors and "did you
 * mean"), edit distance and suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/timeutil.h"

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(cli_distance("color", "color", 3), 0);
	assert_int_equal(cli_distance("colr", "color", 3), 1); /* a letter left out */
	assert_int_equal(cli_distance("colour", "color", 3), 1); /* one too many */
	assert_int_equal(cli_distance("clor", "color", 3), 1);
	assert_int_equal(cli_distance("jsno", "json", 3), 1); /* two neighbours swapped: one edit */
	assert_int_equal(cli_distance("scna", "scan", 3), 1);
	assert_int_equal(cli_distance("trcae", "trace", 3), 1);
	assert_int_equal(cli_distance("kitten", "sitting", 3), 3);
	assert_int_equal(cli_distance("abc", "xyzuvw", 1), 2); /* counted up to max + 1 */
	assert_int_equal(cli_distance("", "db", 3), 2);
}

static void test_suggest(void **state)
{
	static const char *const opts[] = { "json", "db", "color", "config", "since", "until", "utc" };
	static const char *const cmds[] = { "scan", "alerts", "trace", "store", "check" };
	char buf[128];
	(void)state;
	assert_string_equal(cli_suggest("colr", opts, 7, "--", buf, sizeof(buf)), "--color");
	assert_string_equal(cli_suggest("co", opts, 7, "--", buf, sizeof(buf)), "--color or --config");
	assert_string_equal(cli_suggest("sinec", opts, 7, "--", buf, sizeof(buf)), "--since");
	assert_string_equal(cli_suggest("verbose", opts, 7, "--", buf, sizeof(buf)), "");
	assert_string_equal(cli_suggest("", opts, 7, "--", buf, sizeof(buf)), "");
	assert_string_equal(cli_suggest("scna", cmds, 5, "", buf, sizeof(buf)), "scan");
	assert_string_equal(cli_suggest("stor", cmds, 5, "", buf, sizeof(buf)), "store");
	assert_string_equal(cli_suggest("alert", cmds, 5, "", buf, sizeof(buf)), "alerts");
	assert_string_equal(cli_suggest("xyzzy", cmds, 5, "", buf, sizeof(buf)), "");
	/* a small buffer is cut, not overrun */
	char small[8];
	assert_string_equal(cli_suggest("co", opts, 7, "--", small, sizeof(small)), "--color");
}

static int usage_calls;
static void usage(FILE *f)
{
	(void)f;
	usage_calls++;
}

/* Runs the parser over argv (NULL-terminated); returns the own options
 * seen as a string of their values ('v', 'x' = 256 …) and the parser. */
static int parse(struct cli *c, const char **args, unsigned flags, char *seen, const char **x_arg)
{
	static const struct option own[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "extra", required_argument, NULL, 256 },
		{ 0 },
	};
	int argc = 0, ch;
	static char *argv[32];
	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	*seen = '\0';
	cli_init(c, "test", usage, flags, "v", own, argc, argv);
	while ((ch = cli_next(c)) != CLI_END) {
		if (ch == CLI_STOP)
			return c->exit;
		strcat(seen, ch == 256 ? "x" : "v");
		if (ch == 256)
			*x_arg = optarg;
	}
	return -1;
}

static void test_parser(void **state)
{
	struct cli c;
	char seen[32];
	const char *x = NULL;
	(void)state;
	time_display_utc(false);
	assert_int_equal(parse(&c, (const char *[]){ "test", "-v", "--color", "never", "--extra=1", "file", "--json",
						      "--db", "/tmp/x.db", "--utc", NULL },
			       CLI_JSON | CLI_DB, seen, &x),
			 -1);
	assert_string_equal(seen, "vx");
	assert_string_equal(x, "1");
	assert_string_equal(c.color, "never");
	assert_true(c.json);
	assert_string_equal(c.db, "/tmp/x.db");
	assert_true(time_display_is_utc());
	time_display_utc(false);
	assert_int_equal(optind, 9); /* the argument, moved after the options */
	/* --color=WHEN; --color last or before an option: always */
	parse(&c, (const char *[]){ "test", "--color=auto", NULL }, 0, seen, &x);
	assert_string_equal(c.color, "auto");
	parse(&c, (const char *[]){ "test", "--color", NULL }, 0, seen, &x);
	assert_string_equal(c.color, "always");
	parse(&c, (const char *[]){ "test", "--color", "-v", NULL }, 0, seen, &x);
	assert_string_equal(c.color, "always");
	assert_string_equal(seen, "v");
	/* --help: usage on stdout, exit 0 */
	usage_calls = 0;
	assert_int_equal(parse(&c, (const char *[]){ "test", "-v", "--help", NULL }, 0, seen, &x), 0);
	assert_int_equal(usage_calls, 1);
	assert_int_equal(parse(&c, (const char *[]){ "test", "-h", NULL }, 0, seen, &x), 0);
	/* errors: exit 2 */
	const char *const *bad[] = {
		(const char *[]){ "test", "--colr", "never", NULL },  (const char *[]){ "test", "--color", "sometimes", NULL },
		(const char *[]){ "test", "--json", NULL },	       /* not asked for */
		(const char *[]){ "test", "--extra", NULL },	       (const char *[]){ "test", "--verbose=1", NULL },
		(const char *[]){ "test", "-q", NULL },		       (const char *[]){ "test", "-vq", NULL },
		(const char *[]){ "test", "--db", "", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(&c, (const char **)bad[i], i == 7 ? CLI_DB : 0, seen, &x), 2);
	/* a verb: '+' stops at it, then the rest is parsed with the verb as argv[0] */
	static const struct option none[] = { { 0 } };
	char *argv[] = { "store", "--json", "stats", "--color", "never", "extra", NULL };
	int argc = 6, ch;
	cli_init(&c, "store", usage, CLI_JSON, "+", none, argc, argv);
	while ((ch = cli_next(&c)) != CLI_END)
		fail();
	assert_int_equal(optind, 2);
	assert_true(c.json);
	cli_init(&c, "store", usage, CLI_JSON, "", none, argc - optind, argv + optind);
	while ((ch = cli_next(&c)) != CLI_END)
		fail();
	assert_string_equal(c.color, "never");
	assert_int_equal(optind, 3);
	assert_string_equal(argv[2 + optind], "extra");
}

static void test_parse_time(void **state)
{
	int64_t t;
	char buf[TIME_STRLEN];
	(void)state;
	setenv("MOAT_NOW", "2026-12-07T14:03:11Z", 1);
	assert_true(cli_now() == INT64_C(1796652191) * 1000000);
	assert_int_equal(cli_parse_time("--since", "2h", false, &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "2026-12-07T12:03:11Z");
	assert_int_equal(cli_parse_time("--since", "yesterday", false, &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "2026-12-06T00:00:00Z"); /* TZ=UTC in the tests */
	assert_int_equal(cli_parse_time("--until", "2026-12-01", true, &t), 0);
	assert_string_equal(time_format_rfc3339(t, buf), "2026-12-01T23:59:59.999999Z");
	assert_int_equal(cli_parse_time("--since", "last week", false, &t), -22);
	unsetenv("MOAT_NOW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_parse_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
