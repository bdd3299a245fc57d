/* moat trace: how far did they get? Arguments and output only; the
 * timeline and verdicts are built by trace/. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/store.h"
#include "trace/trace.h"

static void usage(FILE *f)
{
	fputs("usage: moat trace [--user NAME | --source ADDR | --session ID] [OPTIONS]\n"
	      "\n"
	      "How far did they get? Shows, from the events 'moat scan' stored, the timeline\n"
	      "of one account, one source address or one login session, from connection to\n"
	      "logout: each SSH login with its session lines, every sudo, su, account and\n"
	      "key change in between, the failures that came before it from the same\n"
	      "source, and a verdict per session and overall, for example:\n"
	      "\n"
	      "  no privilege gained: sudo refused \u00d73, su refused \u00d71; session closed after 14 min\n"
	      "  PRIVILEGE GAINED: sudo to root at 03:12:09 (COMMAND=/bin/bash)\n"
	      "\n"
	      "sudo and su run under their own pids: they are matched to a session by user,\n"
	      "host and time (and terminal, when sessions of one user overlap); a line that\n"
	      "could belong to two sessions is shown in both.\n"
	      "\n"
	      "systemd-logind's session lines go with the SSH login they belong to. PAM\n"
	      "sessions of other services (cron, sudo, systemd-user …) are counted in one\n"
	      "line each (\"cron opened 412 sessions for root\"); -v lists them.\n"
	      "\n"
	      "Subject (at most one):\n"
	      "  --user NAME        an account: its logins, sessions, sudo/su, failures\n"
	      "  --source ADDR      an address (or the host name sshd logged): every event\n"
	      "                     from it (hundreds of failures become one line), then the\n"
	      "                     sessions it opened and the accounts it logged in as\n"
	      "  --session ID       one session, by the id trace prints (HOST:PID:START)\n"
	      "  (none)             a first look: the most recent sessions of every account\n"
	      "                     in the last 24 h of store time (up to the newest event\n"
	      "                     stored; --since/--until choose another time), with id,\n"
	      "                     user, source, method, duration and verdict each\n"
	      "\n"
	      "Options:\n"
	      "  --since TIME       only events at or after TIME\n"
	      "  --until TIME       only events up to TIME (a date alone: to the end of that day)\n"
	      "                     TIME: 2026-12-07, '2026-12-07 14:00', 2026-12-07T14:00:00Z\n"
	      "                     (without a zone: the zone shown, local unless --utc), an\n"
	      "                     age before now (30m, 2h, 3d, 1w), today, yesterday\n"
	      "  --db PATH          the store (default: $MOAT_DB, ~/.local/state/moat/moat.db,\n"
	      "                     /var/lib/moat/moat.db for root)\n"
	      "  --json             one JSON object: subject, sessions (id, user, source,\n"
	      "                     method, start, end, duration_s, events, privilege, verdict),\n"
	      "                     verdict\n"
	      "  --fail-on WHAT     exit 1 when WHAT is found: privilege (sudo/su to another\n"
	      "                     user succeeded), change (account or key changes during a\n"
	      "                     session), any (either); without a subject: in the\n"
	      "                     sessions listed\n"
	      "  -v, --verbose      list other services' PAM session lines one by one\n"
	      "  --utc              show times in UTC (default: the local zone, named)\n"
	      "  --color WHEN       auto (default), always, never\n"
	      "  -h, --help         this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat scan /var/log/auth.log*                # store the events first\n"
	      "  moat trace                                  # the latest sessions: where to look\n"
	      "  moat trace --user alice                     # everything alice did\n"
	      "  moat trace --source 203.0.113.7 --since 2026-03-01\n"
	      "  moat trace --user alice --since 3d --until yesterday\n"
	      "  moat trace --session web-1:4242:1772334000  # one session, from its id\n"
	      "  moat trace --user deploy --json | jq '.sessions[] | select(.privilege.gained)'\n"
	      "  moat trace --user alice --fail-on privilege || echo 'alice got root'\n"
	      "\n"
	      "Exit status: 0 done (also when the store knows nothing of the subject, or\n"
	      "nothing at all), 1 --fail-on matched, 2 bad usage or an unreadable store.\n",
	      f);
}

int cmd_trace(int argc, char **argv)
{
	enum { O_USER = 256, O_SOURCE, O_SESSION, O_SINCE, O_UNTIL, O_FAIL_ON };
	static const char *const what[] = { "user", "source", "session" };
	static const struct option opts[] = {
		{ "user", required_argument, NULL, O_USER },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "session", required_argument, NULL, O_SESSION },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 },
	};
	struct trace_query q = { .by = TRACE_RECENT, .since_us = INT64_MIN, .until_us = INT64_MAX };
	bool fail_priv = false, fail_change = false;
	int n_subjects = 0, c, r, ret = EXIT_USAGE;
	struct cli cl;
	_cleanup_free_ char *dbpath = NULL, *err = NULL;
	_cleanup_(store_freep) struct store *s = NULL;
	_cleanup_(trace_freep) struct trace *t = NULL;

	cli_init(&cl, "trace", usage, CLI_JSON | CLI_DB, "v", opts, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_USER:
		case O_SOURCE:
		case O_SESSION:
			q.by = c == O_USER ? TRACE_USER : c == O_SOURCE ? TRACE_SOURCE : TRACE_SESSION;
			q.value = optarg;
			n_subjects++;
			if (!*optarg) {
				log_error("--%s needs a value", what[c - O_USER]);
				return EXIT_USAGE;
			}
			break;
		case O_SINCE:
			if (cli_parse_time("--since", optarg, false, &q.since_us) < 0)
				return EXIT_USAGE;
			break;
		case O_UNTIL:
			if (cli_parse_time("--until", optarg, true, &q.until_us) < 0)
				return EXIT_USAGE;
			break;
		case O_FAIL_ON:
			if (strcmp(optarg, "privilege") == 0)
				fail_priv = true;
			else if (strcmp(optarg, "change") == 0)
				fail_change = true;
			else if (strcmp(optarg, "any") == 0)
				fail_priv = fail_change = true;
			else {
				log_error("--fail-on: expected privilege, change or any, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			q.verbose = true;
			break;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (did you mean --user %s?)", argv[optind], argv[optind]);
		return EXIT_USAGE;
	}
	if (n_subjects > 1) {
		log_error("give only one of --user, --source, --session");
		return EXIT_USAGE;
	}
	if (q.since_us > q.until_us) {
		log_error("--since is after --until");
		return EXIT_USAGE;
	}

	dbpath = cli_db_path(cl.db);
	if (!dbpath) {
		log_error("out of memory");
		return EXIT_USAGE;
	}
	s = cli_store_read(dbpath);
	if (!s)
		return EXIT_USAGE;

	r = trace_build(s, &q, &t, &err);
	if (r < 0) {
		if (r == -EINVAL)
			log_error("%s", err ? err : "bad subject");
		else
			log_error("%s: %s", dbpath, err ? err : strerror(-r));
		return EXIT_USAGE;
	}

	if (cl.json) {
		trace_write_json(stdout, t);
	} else if (!trace_found(t) && q.by == TRACE_RECENT) {
		printf("no events in the store %s", dbpath);
		if (q.since_us != INT64_MIN || q.until_us != INT64_MAX)
			fputs(" in that time range", stdout);
		fputs(" (scan logs first: moat scan /var/log/auth.log*)\n", stdout);
	} else if (!trace_found(t)) {
		printf("no events for %s ", what[q.by]);
		escape_text(stdout, sv_cstr(q.value), 200);
		printf(" in the store %s", dbpath);
		if (q.since_us != INT64_MIN || q.until_us != INT64_MAX)
			fputs(" in that time range", stdout);
		fputs(" (scan logs first: moat scan /var/log/auth.log*)\n", stdout);
	} else {
		trace_write_text(stdout, t, cli_color_on(cl.color));
	}
	if (fflush(stdout) != 0) {
		log_error("cannot write the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	ret = EXIT_DONE;
	if (fail_priv && (t->n_gained || t->outside_priv.gained))
		ret = EXIT_FINDING;
	if (fail_change && t->n_with_changes)
		ret = EXIT_FINDING;
	return ret;
}
