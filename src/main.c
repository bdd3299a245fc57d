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
	{ "trace", cmd_trace, "how far did they get? the timeline of a user, source or session" },
	{ "exposure", cmd_exposure, "which installed packages are vulnerable, since when, reachable?" },
	{ "feed", cmd_feed, "import or update vulnerability advisories" },
	{ "reach", cmd_reach, "what could a stolen account do here? paths to root, readable secrets" },
	{ "exception", cmd_exception, "accepted risks: who, why, until when, resting on which live-checked controls" },
	{ "ledger", cmd_ledger, "the signed, hash-chained trail of every decision; operators' keys" },
	{ "check", cmd_check, "validate the configuration and print the effective values" },
	{ "store", cmd_store, "what the store holds (stats), and pruning old events (prune)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: moat COMMAND [OPTIONS] [ARGS]\n\n"
		   "moat is defence in depth for Linux hosts that are not, or cannot be, fully patched.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun 'moat COMMAND --help' for a command's options.\n"
		   "Exit status: 0 done, 1 a finding at or above --fail-on, 2 bad usage or unreadable input.\n");
}

int main(int argc, char **argv)
{
	log_set_progname("moat");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("moat %s\n", MOAT_VERSION);
		return EXIT_DONE;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
