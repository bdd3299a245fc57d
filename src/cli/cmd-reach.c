/* moat reach: what could a stolen account do on this host? */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/escape.h"
#include "core/log.h"
#include "reach/reach.h"

static void usage(FILE *f)
{
	fputs("usage: moat reach [OPTIONS] [USER...]\n"
	      "\n"
	      "If an account's password or key leaked tomorrow, how far would the thief get?\n"
	      "For each account that can log in (a login shell or authorized_keys; or the\n"
	      "USERs named), moat reach builds a graph from the account through its groups\n"
	      "to what each grants, and prints the shortest path to root with the evidence\n"
	      "of every step (file:line, mode, owner), or says there is none; then the\n"
	      "secrets it can read outside its home.\n"
	      "\n"
	      "What counts as a step:\n"
	      "  - sudo rules (includes, aliases, runas, NOPASSWD, wildcards, negation,\n"
	      "    Defaults targetpw/rootpw, the host part matched against the host's name),\n"
	      "    doas.conf, polkit (admin identities, .pkla, rules saying yes to a group);\n"
	      "    a rule for a program that escapes to a shell (editors, pagers, interpreters,\n"
	      "    find, tar… as GTFOBins lists them) is a root shell;\n"
	      "  - setuid and setgid programs and file capabilities that are known escapes;\n"
	      "  - powerful groups (docker, lxd, disk, libvirt …);\n"
	      "  - files and directories root runs or reads as code that the account can\n"
	      "    write: cron, systemd units and their programs, root's PATH, profile.d,\n"
	      "    init scripts, ld.so.preload and library paths, python and perl module\n"
	      "    paths, sudoers.d, PAM …; other accounts' start-up files and keys;\n"
	      "  - root daemons' sockets it can write (docker.sock, containerd.sock …).\n"
	      "Secrets: private SSH and TLS keys, /etc/shadow, others' shell history,\n"
	      "credential and .env files, cloud credentials.\n"
	      "A step that asks for the account's own password counts: the thief has it.\n"
	      "Permissions are modelled for the account's uid and all its groups, with\n"
	      "POSIX ACLs. Run as root to see everything; unprivileged, what cannot be read\n"
	      "is reported, not guessed.\n"
	      "\n"
	      "Options:\n"
	      "  --root DIR        read another root (an image, a mounted disk): its passwd,\n"
	      "                    group, sudoers, units …; symlinks resolve inside DIR\n"
	      "  --hostname NAME   the host name sudoers' host lists are matched against\n"
	      "                    (default: DIR/etc/hostname)\n"
	      "  --json            one JSON object per account per line\n"
	      "  --dot             a Graphviz graph (moat reach --dot | dot -Tsvg > reach.svg)\n"
	      "  -v, --verbose     every edge and every secret, not only the shortest path\n"
	      "  --fail-on WHAT    exit 1 when a shown account (other than root itself) has:\n"
	      "                      root      any path to root\n"
	      "                      root:N    a path to root of at most N steps\n"
	      "                      secret    a readable secret outside its home\n"
	      "  --no-walk         skip the file-system walk (setuid, capabilities, secrets,\n"
	      "                    sockets, loose files under code directories): fast, partial\n"
	      "  --max-files N     stop the walk after N entries (default 5000000)\n"
	      "  --progress WHEN   walk progress on stderr: auto (a TTY), always, never\n"
	      "  -q, --quiet       no summary and no diagnostics on stderr\n"
	      "  -h, --help        this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat reach                          every account that can log in\n"
	      "  moat reach dave carol               those two (login or not)\n"
	      "  moat reach --root /mnt/image --fail-on root:1\n"
	      "  moat reach --json | jq 'select(.root_steps != null) | .account'\n"
	      "  moat reach --dot dave | dot -Tpng > dave.png\n"
	      "\n"
	      "Output: 'dave: root in 1 step (sudo NOPASSWD /usr/bin/vim — runs a shell (:!sh)),\n"
	      "evidence /etc/sudoers.d/dave:3; reads no secret outside /home/dave', then\n"
	      "'step:', 'secret:' and 'note:' lines (notes are near misses and things to\n"
	      "review that are not steps).\n"
	      "\n"
	      "Exit status: 0 done, 1 something at or above --fail-on, 2 bad usage or an\n"
	      "unreadable root.\n",
	      f);
}

struct fail_on {
	int root_steps; /* -1 off, else the most steps that fail */
	bool secret;
};

static int parse_fail_on(const char *arg, struct fail_on *ret)
{
	if (strcmp(arg, "root") == 0) {
		ret->root_steps = 1000000;
		return 0;
	}
	if (strcmp(arg, "secret") == 0) {
		ret->secret = true;
		return 0;
	}
	if (strncmp(arg, "root:", 5) == 0) {
		unsigned long long n;
		if (sv_to_u64(sv_cstr(arg + 5), 1000, &n) == 0 && n >= 1) {
			ret->root_steps = (int)n;
			return 0;
		}
	}
	log_error("--fail-on: expected root, root:N (N from 1) or secret, not '%s'", arg);
	return -EINVAL;
}

static void progress(void *ud, uint64_t files, const char *path)
{
	(void)ud;
	fprintf(stderr, "\rmoat reach: %" PRIu64 " entries walked, at ", files);
	escape_text(stderr, sv_cstr(path), 50);
	fputs("\033[K", stderr);
}

int cmd_reach(int argc, char **argv)
{
	enum { O_ROOT = 256, O_HOST, O_JSON, O_DOT, O_FAIL, O_NOWALK, O_MAX, O_PROGRESS };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "hostname", required_argument, NULL, O_HOST },
		{ "json", no_argument, NULL, O_JSON },
		{ "dot", no_argument, NULL, O_DOT },
		{ "fail-on", required_argument, NULL, O_FAIL },
		{ "no-walk", no_argument, NULL, O_NOWALK },
		{ "max-files", required_argument, NULL, O_MAX },
		{ "progress", required_argument, NULL, O_PROGRESS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct reach_opts ro = { .root = "/" };
	struct reach_print_opts po = { .format = REACH_TEXT };
	struct fail_on fo = { .root_steps = -1 };
	const char *prog = "auto";
	bool quiet = false, json = false, dot = false;
	int c;
	struct cli cl;
	cli_init(&cl, "reach", usage, 0, "vq", opts, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_ROOT:
			ro.root = optarg;
			break;
		case O_HOST:
			ro.hostname = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case O_DOT:
			dot = true;
			break;
		case O_FAIL:
			if (parse_fail_on(optarg, &fo) < 0)
				return EXIT_USAGE;
			break;
		case O_NOWALK:
			ro.no_walk = true;
			break;
		case O_MAX: {
			unsigned long long n;
			if (sv_to_u64(sv_cstr(optarg), UINT64_MAX, &n) < 0 || n == 0) {
				log_error("--max-files: expected a positive number, not '%s'", optarg);
				return EXIT_USAGE;
			}
			ro.max_files = n;
			break;
		}
		case O_PROGRESS:
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "always") != 0 && strcmp(optarg, "never") != 0) {
				log_error("--progress: expected auto, always or never, not '%s'", optarg);
				return EXIT_USAGE;
			}
			prog = optarg;
			break;
		case 'v':
			po.verbose = true;
			break;
		case 'q':
			quiet = true;
			break;
		}
	}
	if (json && dot) {
		log_error("--json and --dot: choose one");
		return EXIT_USAGE;
	}
	po.format = json ? REACH_JSON : dot ? REACH_DOT : REACH_TEXT;
	po.users = (const char *const *)argv + optind;
	po.n_users = (size_t)(argc - optind);
	ro.users = po.users;
	ro.n_users = po.n_users;
	bool show_progress = strcmp(prog, "always") == 0 || (strcmp(prog, "auto") == 0 && !quiet && isatty(STDERR_FILENO));
	if (show_progress)
		ro.progress = progress;

	struct reach *r = NULL;
	char *err = NULL;
	int rc = reach_new(&ro, &r, &err);
	if (show_progress)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		log_error("%s", err ? err : strerror(-rc));
		free(err);
		return EXIT_USAGE;
	}
	reach_print(r, stdout, &po);

	if (!quiet) {
		size_t np = reach_problem_count(r);
		for (size_t i = 0; i < np && i < 20; i++) {
			fputs("moat reach: ", stderr);
			escape_text(stderr, sv_cstr(reach_problem(r, i)), 400);
			fputc('\n', stderr);
		}
		uint64_t total = reach_problem_total(r);
		if (total > 20)
			fprintf(stderr, "moat reach: … %" PRIu64 " diagnostics in all (--json lists the verdicts only)\n", total);
		struct reach_stats st;
		reach_stats(r, &st);
		fprintf(stderr, "moat reach: %zu account%s that can log in; host '", reach_count(r), reach_count(r) == 1 ? "" : "s");
		escape_text(stderr, sv_cstr(*st.host ? st.host : "(unknown: no /etc/hostname)"), 80);
		if (st.walked)
			fprintf(stderr, "'; walked %" PRIu64 " entries in %.2f s (%" PRIu64 " unreadable directories, %" PRIu64
					" pseudo/network mounts skipped, %" PRIu64 " repeated directories)\n",
				st.files, st.walk_seconds, st.unreadable_dirs, st.skipped_fs, st.loops);
		else
			fputs("'; no walk (--no-walk)\n", stderr);
	}

	/* --fail-on over the accounts shown */
	int status = EXIT_DONE;
	size_t n = po.n_users ? po.n_users : reach_count(r);
	for (size_t k = 0; k < n; k++) {
		struct reach_summary s;
		if (po.n_users) {
			if (reach_summarize(r, po.users[k], &s) < 0)
				continue;
		} else {
			reach_summary_at(r, k, &s);
		}
		if (s.is_root)
			continue;
		if (fo.root_steps >= 0 && s.root_steps >= 1 && s.root_steps <= fo.root_steps)
			status = EXIT_FINDING;
		if (fo.secret && s.secrets > 0)
			status = EXIT_FINDING;
	}
	reach_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("writing the output failed");
		return EXIT_USAGE;
	}
	return status;
}
