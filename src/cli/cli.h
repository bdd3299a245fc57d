/*
 * cli: one file per subcommand (cmd-<name>.c): argument parsing and
 * output, nothing else. Each returns the process exit status:
 *   0 done, 1 a finding at or above --fail-on, 2 bad usage or unreadable input.
 */
#pragma once

struct store;

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { EXIT_DONE = 0, EXIT_FINDING = 1, EXIT_USAGE = 2 };

int cmd_scan(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_exposure(int argc, char **argv);
int cmd_feed(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_reach(int argc, char **argv);
int cmd_exception(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_alerts(int argc, char **argv);

/* Checks a --color argument (auto, always, never); logs and returns false
 * when it is none of them. */
bool cli_color_valid(const char *when);

/* True when a valid --color argument asks for colour on stdout: "always",
 * or "auto" and stdout a TTY, $NO_COLOR unset, $TERM not "dumb". */
bool cli_color_on(const char *when);

/* The severity a --fail-on argument names; logs and returns -1 when it
 * names none. */
int cli_fail_on_severity(const char *arg);
/* The same for option opt (--min-severity …). */
int cli_severity(const char *opt, const char *arg);

/* The configuration file to load: explicit, else the installed one when
 * readable, else NULL (the built-in defaults). */
const char *cli_config_path(const char *explicit_path);

/* An age argument ("90", "90d", "36h": days unless said) in microseconds;
 * logs and returns -EINVAL when malformed. opt names the option. */
int cli_parse_age(const char *opt, const char *arg, int64_t *ret_us);

/* Resolves the store path: explicit, else store_default_path(). Caller frees. */
char *cli_db_path(const char *explicit_path);
/* Opens the store at dbpath read-only for a command that reads it; says
 * why not once (no store yet: scan first). Returns it, or NULL. */
struct store *cli_store_read(const char *dbpath);

/* ---- one option parser for every subcommand ----
 *
 * getopt_long with what every command shares: --help/-h (the command's
 * usage on stdout, exit 0), --color WHEN (checked; commands that print no
 * colour accept and ignore it), --utc (times shown in UTC, see
 * core/timeutil.h), and on request --json and --db PATH. Errors are said
 * once, with "did you mean" for a misspelled option, and end the command
 * with exit status 2.
 *
 *	struct cli c;
 *	cli_init(&c, "trace", usage, CLI_JSON | CLI_DB, "v", opts, argc, argv);
 *	while ((ch = cli_next(&c)) != CLI_END)
 *		switch (ch) {
 *		case CLI_STOP:
 *			return c.exit;
 *		case 'v': …
 *		}
 *	// c.json, c.db, c.color; arguments from optind
 *
 * An option of the command's own with the name of a common one replaces it
 * (exposure's --db is the advisory database). */
enum {
	CLI_JSON = 1 << 0, /* --json: c.json */
	CLI_DB = 1 << 1, /* --db PATH: the event store, c.db */
};
enum { CLI_END = -1, CLI_STOP = -2 };
#define CLI_OPTS_MAX 48

struct cli {
	const char *cmd; /* "trace", "store": for messages */
	void (*usage)(FILE *f);
	unsigned flags;
	const char *color; /* "auto" unless --color said otherwise */
	bool json;
	const char *db; /* NULL unless --db */
	int exit; /* after CLI_STOP: the command's exit status */
	int argc;
	char **argv;
	struct option all[CLI_OPTS_MAX];
	char shortopts[64];
};

/* own: the command's long options ({ 0 }-terminated, NULL: none); shorts:
 * its short ones in getopt's syntax ("qv", "c:"; a leading '+' stops at
 * the first argument, as for a verb), -h is added. Starts getopt afresh.
 * Commands with verbs parse what precedes the verb with '+', then call
 * cli_init again on (argc - optind, argv + optind): the verb is argv[0]. */
void cli_init(struct cli *c, const char *cmd, void (*usage)(FILE *f), unsigned flags, const char *shorts,
	      const struct option *own, int argc, char **argv);
/* The next option of the command's own (its val, optarg set), CLI_END
 * after the last (arguments start at optind), or CLI_STOP: --help was
 * printed or an error said; return c->exit. */
int cli_next(struct cli *c);

/* Edit distance (Damerau: a swap of two neighbours is one edit) between
 * a and b, counted up to max + 1. */
size_t cli_distance(const char *a, const char *b, size_t max);
/* Writes "X", "X or Y", "X, Y or Z" (prefix before each) into buf: the
 * names closest to word (a few edits, or word a prefix of them), best
 * first; "" when none is close. Returns buf. */
char *cli_suggest(const char *word, const char *const *names, size_t n, const char *prefix, char *buf, size_t size);

/* A --since/--until argument (time_parse_when: absolute, 2h, 3d, today,
 * yesterday …; until: the end of a day named alone); logs and returns
 * -EINVAL when malformed. now: cli_now(). */
int cli_parse_time(const char *opt, const char *arg, bool until, int64_t *ret_us);
/* Now (microseconds); $MOAT_NOW (RFC 3339) when set: tests fix it. */
int64_t cli_now(void);
