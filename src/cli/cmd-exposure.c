/* moat exposure: which installed packages are vulnerable, since when, and can anything reach them? */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alert.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "exposure/exposure.h"
#include "exposure/report.h"

static void usage(FILE *f)
{
	fputs("usage: moat exposure [OPTIONS]\n"
	      "\n"
	      "Lists the installed packages that published advisories say are vulnerable on\n"
	      "this release, since when the host has been exposed, and whether anything that\n"
	      "runs them is reachable:\n"
	      "  - inventory: dpkg's status database (source packages and versions);\n"
	      "  - advisories: OSV records and the Debian security tracker, imported with\n"
	      "    'moat feed import' / 'moat feed update', or read directly with --feed;\n"
	      "  - status of each finding: fixable (a fixed version exists: upgrade today),\n"
	      "    unfixed (no fix yet), minor (Debian's triage: no-dsa, postponed, ignored,\n"
	      "    unimportant) or end_of_life (no fix will come);\n"
	      "  - days exposed: from the fix's publication to its installation (dpkg.log),\n"
	      "    or to now while still open;\n"
	      "  - reach: running? listening beyond loopback (and let in by nftables)?\n"
	      "    privileged, unprivileged or sandboxed? Findings are ordered by that rung,\n"
	      "    then by severity. A process that still maps a replaced file of a package\n"
	      "    is 'fixed on disk, vulnerable in memory' and must be restarted.\n"
	      "\n"
	      "Options:\n"
	      "  --root DIR       inspect another root (a container image, a mounted disk):\n"
	      "                   DIR/var/lib/dpkg/status, DIR/etc/os-release, DIR/var/log/dpkg.log*\n"
	      "                   (reach is then not assessed unless --proc is given)\n"
	      "  --feed PATH      use advisories from PATH directly, without importing them: an\n"
	      "                   OSV record, a directory of them, an all.zip, or the tracker's\n"
	      "                   JSON (repeatable)\n"
	      "  --db PATH        the advisory database (default: advisories.db next to the store)\n"
	      "  --release REL    the release to match (default: from os-release), e.g. bookworm,\n"
	      "                   debian:12, ubuntu:22.04\n"
	      "  --fail-on SEV    exit 1 when a finding of severity SEV or higher is exposed\n"
	      "                   (low, medium, high, critical)\n"
	      "  --json           one JSON object per finding per line\n"
	      "  --now TIME       assess as of TIME (RFC 3339 or YYYY-MM-DD; default: now)\n"
	      "  --proc DIR       the /proc to read for reach (default: /proc for root /)\n"
	      "  --no-reach       skip the reach assessment\n"
	      "  --color WHEN     auto (default), always, never\n"
	      "  -q, --quiet      no summary\n"
	      "  -h, --help       this help\n"
	      "\n"
	      "Severity is the advisory's CVSS score, else the tracker's urgency, else a\n"
	      "guess from its kind (a DSA counts as high, others as medium).\n"
	      "\n"
	      "Examples:\n"
	      "  moat feed import all.zip && moat exposure\n"
	      "  moat exposure --feed ./osv-records/ --json | jq 'select(.status==\"fixable\")'\n"
	      "  moat exposure --root /mnt/image --release bookworm --fail-on high\n"
	      "\n"
	      "Exit status: 0 done, 1 something at or above --fail-on is exposed, 2 bad usage\n"
	      "or unreadable input.\n",
	      f);
}

struct opts {
	const char *root, *db, *release, *now, *proc, *color;
	const char *feeds[16];
	size_t n_feeds;
	int fail_on;
	bool json, quiet, no_reach;
};

static void print_stale(FILE *f, const struct exposure_stale *st)
{
	fputs("fixed on disk, vulnerable in memory: restart ", f);
	escape_text(f, sv_cstr(st->comm), 64);
	fprintf(f, " (pid %d) [", (int)st->pid);
	escape_text(f, sv_cstr(st->package), 80);
	if (st->file[0]) {
		fputs(": ", f);
		escape_text(f, sv_cstr(st->file), 200);
	}
	fputs("]\n", f);
}

static void print_notes(const struct exposure_result *res)
{
	for (size_t i = 0; i < res->n_notes; i++) {
		const struct exposure_note *n = &res->notes[i];
		char buf[1024];
		FILE *m = fmemopen(buf, sizeof(buf), "w");
		if (!m)
			continue;
		escape_text(m, sv_cstr(n->text), 900);
		fclose(m);
		buf[sizeof(buf) - 1] = '\0';
		if (n->level == EXPOSURE_WARNING)
			log_warning("%s", buf);
		else
			log_notice("%s", buf);
	}
}

int cmd_exposure(int argc, char **argv)
{
	enum { O_ROOT = 256, O_FEED, O_DB, O_RELEASE, O_FAIL_ON, O_JSON, O_NOW, O_PROC, O_NO_REACH, O_COLOR };
	static const struct option options[] = {
		{ "root", required_argument, NULL, O_ROOT },	   { "feed", required_argument, NULL, O_FEED },
		{ "db", required_argument, NULL, O_DB },	   { "release", required_argument, NULL, O_RELEASE },
		{ "fail-on", required_argument, NULL, O_FAIL_ON }, { "json", no_argument, NULL, O_JSON },
		{ "now", required_argument, NULL, O_NOW },	   { "proc", required_argument, NULL, O_PROC },
		{ "no-reach", no_argument, NULL, O_NO_REACH },	   { "color", required_argument, NULL, O_COLOR },
		{ "quiet", no_argument, NULL, 'q' },		   { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .root = "/", .fail_on = -1, .color = "auto" };
	struct exposure_result *ex = NULL;
	char *err = NULL;
	int64_t now = (int64_t)time(NULL);
	int c, r, ret = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
		switch (c) {
		case O_ROOT:
			o.root = optarg;
			break;
		case O_FEED:
			if (o.n_feeds == ELEMENTSOF(o.feeds)) {
				log_error("--feed: at most %zu feeds", ELEMENTSOF(o.feeds));
				return EXIT_USAGE;
			}
			o.feeds[o.n_feeds++] = optarg;
			break;
		case O_DB:
			o.db = optarg;
			break;
		case O_RELEASE:
			o.release = optarg;
			break;
		case O_FAIL_ON:
			o.fail_on = cli_fail_on_severity(optarg);
			if (o.fail_on < 0)
				return EXIT_USAGE;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_NOW:
			o.now = optarg;
			break;
		case O_PROC:
			o.proc = optarg;
			break;
		case O_NO_REACH:
			o.no_reach = true;
			break;
		case O_COLOR:
			if (!cli_color_valid(optarg))
				return EXIT_USAGE;
			o.color = optarg;
			break;
		case 'q':
			o.quiet = true;
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
		log_error("unexpected argument '%s' (feeds are given with --feed PATH)", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.now) {
		int64_t us;
		if (time_parse_rfc3339(o.now, &us) < 0) {
			log_error("--now: '%s' is not a time (2025-01-31 or 2025-01-31T12:00:00Z)", o.now);
			return EXIT_USAGE;
		}
		now = us / 1000000;
	}

	struct exposure_opts eo = {
		.root = o.root,
		.feeds = o.feeds,
		.n_feeds = o.n_feeds,
		.db = o.db,
		.release = o.release,
		.now_s = now,
		.proc = o.proc,
		.no_reach = o.no_reach,
	};
	r = exposure_assess(&eo, &ex, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		goto out;
	}
	if (!o.quiet)
		print_notes(ex);
	FILE *side = o.json ? stderr : stdout;
	for (size_t i = 0; i < ex->n_stale; i++)
		print_stale(side, &ex->stale[i]);
	const struct match_result *mr = &ex->match;
	const char *release = ex->release;

	struct report_opts ro = {
		.color = !o.json && cli_color_on(o.color),
		.release = release,
		.now_s = now,
	};
	size_t exposed = 0, by[FS_FIXED + 1] = { 0 };
	int worst = -1;
	for (size_t i = 0; i < mr->n; i++) {
		by[mr->v[i].status]++;
		if (mr->v[i].status == FS_FIXED)
			continue;
		exposed++;
		worst = MAX(worst, mr->v[i].severity);
	}
	if (o.json) {
		report_json(stdout, &ro, mr);
	} else if (exposed) {
		report_table(stdout, &ro, mr);
	}
	if (!o.quiet) {
		struct exposure_summary s;
		fprintf(side,
			"%s%s: %" PRIu64 " binary packages (%" PRIu64 " source) checked against %" PRIu64
			" advisor%s for %s: ",
			o.json ? "moat: " : "", strcmp(o.root, "/") ? o.root : "this host",
			mr->binaries, mr->sources, ex->n_advisories, ex->n_advisories == 1 ? "y" : "ies", release);
		if (exposed)
			fprintf(side, "%zu exposed (%zu fixable, %zu unfixed, %zu minor, %zu end of life)\n", exposed,
				by[FS_FIXABLE], by[FS_UNFIXED], by[FS_MINOR], by[FS_END_OF_LIFE]);
		else
			fputs("nothing exposed\n", side);
		report_summary(mr, &s);
		report_summary_print(side, &ro, &s);
	}
	fflush(stdout);
	ret = o.fail_on >= 0 && worst >= o.fail_on ? EXIT_FINDING : EXIT_DONE;
out:
	exposure_result_free(ex);
	free(err);
	return ret;
}
