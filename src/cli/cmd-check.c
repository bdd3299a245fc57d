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
	      "file:line:col, and prints the effective values as YAML (like 'sshd -T'),\n"
	      "the allow-list last: each entry with what it covers (\"10.0.0.0/8 (16777216\n"
	      "addresses: 10.0.0.0 to 10.255.255.255)\"), why (its 'why:' or the comment\n"
	      "after it), where it is written, and entries that add nothing.\n"
	      "\n"
	      "The allow-list, in the configuration:\n"
	      "  allowlist:\n"
	      "    addresses:\n"
	      "      - 10.20.0.0/16          # office VPN (this comment is the entry's why)\n"
	      "      - { address: 192.0.2.7, why: backup host pulls over ssh nightly }\n"
	      "    accounts:\n"
	      "      - nagios                # check_by_ssh from the monitoring host\n"
	      "  ignoreip: 127.0.0.1/8 ::1   # fail2ban's: addresses and CIDR, blank or comma\n"
	      "                              # separated (also allowlist.ignoreip)\n"
	      "Events from those addresses, and those accounts' own logins, sessions, sudo,\n"
	      "su and changes, are stored but judged by no detector (see 'moat scan --help').\n"
	      "\n"
	      "Options:\n"
	      "  --config FILE   the file to check\n"
	      "  -q, --quiet     print nothing; only the exit status tells\n"
	      "  -h, --help      this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat check                          # the installed configuration\n"
	      "  moat check --config ./moat.yaml     # a file before installing it\n"
	      "  moat check | sed -n '/^allowlist:/,$p'   # the allow-list alone\n"
	      "  moat check -q --config new.yaml && sudo cp new.yaml " MOAT_SYSCONFDIR "/moat.yaml\n"
	      "\n"
	      "Exit status: 0 valid, 2 invalid or unreadable.\n",
	      f);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	const char *config = NULL;
	struct detect_config *cfg = NULL;
	_cleanup_free_ char *err = NULL;
	bool quiet = false;
	struct cli cl;
	int c;

	cli_init(&cl, "check", usage, 0, "c:q", opts, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case 'c':
			config = optarg;
			break;
		case 'q':
			quiet = true;
			break;
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
