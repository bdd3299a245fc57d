/* moat check: validate the configuration and print the effective values. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "core/log.h"
#include "core/macro.h"
#include "detect/detect.h"

static void usage(FILE *f)
{
	fputs("usage: moat check [--config FILE] [-q]\n"
	      "\n"
	      "Loads the detector configuration as 'moat scan' would (FILE, else " MOAT_SYSCONFDIR "/moat.yaml\n"
	      "when present, else the built-in defaults), reports the first error with\n"
	      "file:line:col, and prints the effective values as YAML (like 'sshd -T').\n"
	      "\n"
	      "Options:\n"
	      "  --config FILE   the file to check\n"
	      "  -q, --quiet     print nothing; only the exit status tells\n"
	      "  -h, --help      this help\n"
	      "\n"
	      "Exit status: 0 valid, 2 invalid or unreadable.\n",
	      f);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL;
	struct detect_config *cfg = NULL;
	_cleanup_free_ char *err = NULL;
	bool quiet = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (did you mean --config %s?)", argv[optind], argv[optind]);
		return EXIT_USAGE;
	}
	config = cli_config_path(config);
	if (detect_config_load(config, &cfg, &err) < 0) {
		log_error("%s", err ? err : "cannot load the configuration");
		return EXIT_USAGE;
	}
	if (!quiet) {
		printf("# effective configuration (%s)\n", config ? config : "built-in defaults");
		detect_config_dump(cfg, stdout);
	}
	detect_config_free(cfg);
	return EXIT_DONE;
}
