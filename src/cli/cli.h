/*
 * cli: one file per subcommand (cmd-<name>.c): argument parsing and
 * output, nothing else. Each returns the process exit status:
 *   0 done, 1 a finding at or above --fail-on, 2 bad usage or unreadable input.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

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

/* Checks a --color argument (auto, always, never); logs and returns false
 * when it is none of them. */
bool cli_color_valid(const char *when);

/* True when a valid --color argument asks for colour on stdout: "always",
 * or "auto" and stdout a TTY, $NO_COLOR unset, $TERM not "dumb". */
bool cli_color_on(const char *when);

/* The severity a --fail-on argument names; logs and returns -1 when it
 * names none. */
int cli_fail_on_severity(const char *arg);

/* The configuration file to load: explicit, else the installed one when
 * readable, else NULL (the built-in defaults). */
const char *cli_config_path(const char *explicit_path);

/* An age argument ("90", "90d", "36h": days unless said) in microseconds;
 * logs and returns -EINVAL when malformed. opt names the option. */
int cli_parse_age(const char *opt, const char *arg, int64_t *ret_us);

/* Resolves the store path: explicit, else store_default_path(). Caller frees. */
char *cli_db_path(const char *explicit_path);
