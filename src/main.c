/* moat: subcommand dispatch only. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "core/log.h"
#include "core/macro.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "scan", cmd_scan, "read auth logs and raise explained alerts" },
	{ "alerts", cmd_alerts, "the alerts earlier scans stored: filter by time, kind, severity, user, source" },
	{ "trace", cmd_trace, "how far did they get? the timeline of a user, source or session" },
	{ "exposure", cmd_exposure, "which installed packages are vulnerable, since when, reachable?" },
	{ "feed", cmd_feed, "import or update vulnerability advisories" },
	{ "reach", cmd_reach, "what could a stolen account do here? paths to root, readable secrets" },
	{ "exception", cmd_exception, "accepted risks: who, why, until when, resting on which live-checked controls" },
	{ "ledger", cmd_ledger, "the signed, hash-chained trail of every decision; operators' keys" },
	{ "check", cmd_check, "validate the configuration (thresholds, allow-list) and print the effective values" },
	{ "store", cmd_store, "what the store holds (stats), and pruning old events (prune)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: moat COMMAND [OPTIONS] [ARGS]\n"
		   "       moat -V | --version\n\n"
		   "moat is defence in depth for Linux hosts that are not, or cannot be, fully patched.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n"
		   "Every command takes:\n"
		   "  -h, --help       its options, with examples\n"
		   "  --color WHEN     auto (default: colour on a terminal, unless NO_COLOR is set),\n"
		   "                   always, never (commands that print no colour ignore it)\n"
		   "  --utc            show times in UTC (default: the local zone, TZ; every time\n"
		   "                   shown names its zone, e.g. '2026-12-07 14:03:11 CET')\n"
		   "and those that read the store or write JSON take --db PATH and --json.\n"
		   "--since and --until take dates and times (2026-12-07, '2026-12-07 14:00',\n"
		   "2026-12-07T14:00:00Z; without a zone in the zone shown) or ages before now\n"
		   "(30m, 2h, 3d, 1w), today, yesterday.\n"
		   "\n"
		   "Examples:\n"
		   "  moat scan                        # this host's auth logs\n"
		   "  moat alerts --since yesterday    # what earlier scans found\n"
		   "  moat trace --user alice --since 2h\n"
		   "\n"
		   "Run 'moat COMMAND --help' for a command's options.\n"
		   "Exit status: 0 done, 1 a finding at or above --fail-on, 2 bad usage or a\n"
		   "runtime error (unreadable input, a store that cannot be read or written).\n");
}

int main(int argc, char **argv)
{
	const char *names[ELEMENTSOF(commands) + 2];
	char hint[256];

	log_set_progname("moat");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("moat %s\n", MOAT_VERSION);
		return fflush(stdout) == 0 ? EXIT_DONE : EXIT_USAGE;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		names[i] = commands[i].name;
	names[ELEMENTSOF(commands)] = "help";
	names[ELEMENTSOF(commands) + 1] = "version";
	(void)cli_suggest(argv[1], names, ELEMENTSOF(names), "", hint, sizeof(hint));
	if (argv[1][0] == '-')
		log_error("'%.64s' is not a command: options go after it (moat COMMAND [OPTIONS])", argv[1]);
	else if (hint[0])
		log_error("unknown command '%.64s' (did you mean %s?)", argv[1], hint);
	else
		log_error("unknown command '%.64s'", argv[1]);
	fprintf(stderr, "Run 'moat --help' for the commands.\n");
	return EXIT_USAGE;
}
