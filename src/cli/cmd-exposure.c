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
#include "exposure/debver.h"
#include "exposure/feed.h"
#include "exposure/inventory.h"
#include "exposure/match.h"
#include "exposure/report.h"
#ifdef HAVE_EXPOSURE_WINDOW
#include "exposure/window.h"
#endif
#ifdef HAVE_EXPOSURE_REACH
#include "exposure/reach.h"
#endif

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

static int release_from_os(const char *root, char *key, size_t cap, char *pretty, size_t pcap)
{
	struct os_release o;
	char tmp[80];
	int r = os_release_load(root, &o);
	if (r < 0)
		return r;
	snprintf(pretty, pcap, "%s", o.pretty);
	if (strcmp(o.id, "ubuntu") == 0 && o.version_id[0]) {
		snprintf(tmp, sizeof(tmp), "ubuntu:%s", o.version_id);
		return feed_release_key(sv_cstr(tmp), key, cap) == 1 ? 0 : -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "debian:%s", o.version_id[0] ? o.version_id : o.codename);
	if (feed_release_key(sv_cstr(tmp), key, cap) == 1)
		return 0;
	/* derivatives name their Debian base in VERSION_CODENAME */
	return feed_release_key(sv_cstr(o.codename), key, cap) == 1 ? 0 : -EINVAL;
}

static void print_feed_report(const char *path, const struct feed_report *rep)
{
	if (rep->skipped)
		log_warning("%s: %" PRIu64 " malformed record%s skipped", path, rep->skipped, rep->skipped == 1 ? "" : "s");
	for (size_t i = 0; i < rep->n_bad && i < 5; i++)
		log_warning("  %s", rep->bad[i]);
}

#ifdef HAVE_EXPOSURE_WINDOW
/* When did the log first show the package at a version below fixed (NULL:
 * any version)? The log's start when it was already installed then. */
static int64_t vulnerable_since(const struct dpkg_history *h, const char *pkg, const char *fixed)
{
	const struct dpkg_change *c;
	size_t n = dpkg_history_of(h, pkg, &c);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 && strcmp(c[i].old_version, "<none>") != 0 &&
		    (!fixed || debver_cmp(c[i].old_version, fixed) < 0))
			return dpkg_history_start(h);
		if (!fixed || debver_cmp(c[i].new_version, fixed) < 0)
			return c[i].time_s;
	}
	return 0;
}

/* Days exposed from dpkg's log: fix published → fixed version installed
 * (or → now while open), starting no earlier than the vulnerable version's
 * installation. */
static void apply_window(struct match_result *res, const char *root, int64_t now, bool quiet)
{
	struct dpkg_history *h = NULL;
	char *err = NULL;
	if (dpkg_history_load(root, &h, &err) < 0) {
		log_warning("exposure window unavailable: %s", err ? err : "cannot read dpkg.log");
		free(err);
		h = NULL;
	} else if (!quiet && dpkg_history_bad_lines(h)) {
		log_warning("dpkg.log: %" PRIu64 " malformed lines skipped", dpkg_history_bad_lines(h));
	}
	for (size_t i = 0; i < res->n; i++) {
		struct finding *f = &res->v[i];
		if (f->published_s <= 0)
			continue;
		if (f->status != FS_FIXED) {
			int64_t start = f->published_s;
			for (size_t b = 0; h && b < f->n_binaries; b++) {
				int64_t vs = vulnerable_since(h, f->binaries[b]->name, NULL);
				if (vs > start)
					start = vs;
			}
			f->days_exposed = report_days(start, now);
			continue;
		}
		for (size_t b = 0; h && b < f->n_binaries; b++) {
			int64_t t, vs;
			if (dpkg_history_fixed_at(h, f->binaries[b]->name, f->fixed, debver_cmp, &t) != 1)
				continue;
			vs = vulnerable_since(h, f->binaries[b]->name, f->fixed);
			if (!vs || vs > t)
				continue; /* the log never shows a vulnerable version */
			int64_t d = report_days(MAX(vs, f->published_s), t);
			if (d > f->days_exposed) {
				f->days_exposed = d;
				f->fixed_installed_s = t;
			}
		}
	}
	dpkg_history_free(h);
}
#else
static void apply_window(struct match_result *res, const char *root, int64_t now, bool quiet)
{
	(void)root;
	if (!quiet)
		log_notice("exposure window: this build reads no dpkg.log; days exposed count from publication");
	for (size_t i = 0; i < res->n; i++)
		if (res->v[i].status != FS_FIXED && res->v[i].published_s > 0)
			res->v[i].days_exposed = report_days(res->v[i].published_s, now);
}
#endif

#ifdef HAVE_EXPOSURE_REACH
static void print_stale(void *ud, const char *package, const struct reach_proc *p)
{
	FILE *f = ud;
	fputs("fixed on disk, vulnerable in memory: restart ", f);
	escape_text(f, sv_cstr(p->comm), 64);
	fprintf(f, " (pid %d) [", (int)p->pid);
	escape_text(f, sv_cstr(package), 80);
	if (p->stale_file[0]) {
		fputs(": ", f);
		escape_text(f, sv_cstr(p->stale_file), 200);
	}
	fputs("]\n", f);
}

static int apply_reach(struct match_result *res, const char *proc, const char *root, FILE *out, bool quiet)
{
	struct reach_snapshot *snap = NULL;
	char *err = NULL;
	(void)quiet;
	int r = reach_snapshot_take(proc, root, &snap, &err);
	if (r < 0) {
		log_warning("reach not assessed: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	for (size_t i = 0; i < res->n; i++) {
		struct finding *f = &res->v[i];
		struct finding_reach a = { .known = true };
		bool all_sandboxed = true;
		if (f->status == FS_FIXED)
			continue;
		/* findings of the same installed source share their reach */
		for (size_t j = 0; j < i; j++)
			if (res->v[j].reach.known && strcmp(res->v[j].source, f->source) == 0 &&
			    strcmp(res->v[j].source_version, f->source_version) == 0) {
				f->reach = res->v[j].reach;
				break;
			}
		if (f->reach.known)
			continue;
		for (size_t b = 0; b < f->n_binaries; b++) {
			struct reach_info ri;
			char name[300];
			const struct inv_pkg *p = f->binaries[b];
			if (p->arch[0] && strcmp(p->arch, "all") != 0)
				snprintf(name, sizeof(name), "%s:%s", p->name, p->arch);
			else
				snprintf(name, sizeof(name), "%s", p->name);
			if (reach_for_package(snap, name, &ri) < 0 && reach_for_package(snap, p->name, &ri) < 0)
				continue;
			a.running |= ri.running;
			a.listening |= ri.listening;
			a.remote |= ri.remote;
			a.privileged |= ri.privileged;
			if (ri.running && !ri.sandboxed)
				all_sandboxed = false;
			reach_info_done(&ri);
		}
		a.sandboxed = a.running && all_sandboxed && !a.privileged;
		report_set_rung(&a);
		f->reach = a;
	}
	if (reach_snapshot_unreadable(snap))
		log_notice("reach: %" PRIu64 " processes could not be inspected (%s)", reach_snapshot_unreadable(snap),
			   geteuid() == 0 ? "denied even to root: another user namespace or a security module"
					  : "run as root to see them all");
	(void)reach_foreach_stale(snap, print_stale, out);
	reach_snapshot_free(snap);
	return 0;
}
#else
static int apply_reach(struct match_result *res, const char *proc, const char *root, FILE *out, bool quiet)
{
	(void)res;
	(void)proc;
	(void)root;
	(void)out;
	if (!quiet)
		log_notice("reach: this build does not inspect processes; reach is unknown");
	return -EOPNOTSUPP;
}
#endif

struct release_hint {
	char list[256];
	size_t n;
};

static int add_release(void *ud, const char *release, uint64_t n)
{
	struct release_hint *h = ud;
	if (h->n < 6) {
		size_t l = strlen(h->list);
		snprintf(h->list + l, sizeof(h->list) - l, "%s%s (%" PRIu64 ")", l ? ", " : "", release, n);
	}
	h->n++;
	return 0;
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
	struct inventory *inv = NULL;
	struct advdb *db = NULL;
	struct match_result res = { 0 };
	char release[64], pretty[128] = "", *err = NULL, *dbpath = NULL;
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

	/* what is installed, and which release */
	r = inventory_load(o.root, &inv, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		goto out;
	}
	if (!o.quiet && inventory_n_problems(inv)) {
		log_warning("dpkg status: %zu malformed stanza%s skipped", inventory_n_problems(inv),
			    inventory_n_problems(inv) == 1 ? "" : "s");
		for (size_t i = 0; i < inventory_n_problems(inv) && i < 5; i++)
			log_warning("  %s", inventory_problem(inv, i));
	}
	if (o.release) {
		if (feed_release_key(sv_cstr(o.release), release, sizeof(release)) != 1) {
			log_error("--release: '%s' is not a Debian or Ubuntu release (bookworm, debian:12, ubuntu:22.04)",
				  o.release);
			goto out;
		}
	} else if (release_from_os(o.root, release, sizeof(release), pretty, sizeof(pretty)) < 0) {
		log_error("cannot tell the release of %s from its os-release; name it with --release (e.g. bookworm)",
			  o.root);
		goto out;
	}

	/* the advisories */
	if (o.n_feeds) {
		r = advdb_open(":memory:", true, &db, &err);
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			goto out;
		}
		for (size_t i = 0; i < o.n_feeds; i++) {
			struct feed_report rep;
			free(err);
			err = NULL;
			r = feed_import(db, o.feeds[i], &rep, &err);
			if (r < 0) {
				log_error("--feed %s", err ? err : o.feeds[i]);
				feed_report_done(&rep);
				goto out;
			}
			if (!o.quiet)
				print_feed_report(o.feeds[i], &rep);
			feed_report_done(&rep);
		}
	} else {
		dbpath = o.db ? strdup(o.db) : advdb_default_path();
		if (!dbpath) {
			log_error("out of memory");
			goto out;
		}
		r = advdb_open(dbpath, false, &db, &err);
		if (r == -ENOENT) {
			log_error("no advisories yet (%s does not exist): import some with 'moat feed import FILE|DIR'\n"
				  "  or 'moat feed update', or read a feed directly with --feed PATH",
				  dbpath);
			goto out;
		}
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			goto out;
		}
	}
	uint64_t n_adv = 0, n_ent = 0;
	if (advdb_counts(db, &n_adv, &n_ent) < 0 || n_ent == 0) {
		log_error("the advisory database holds no advisories for Debian or Ubuntu: import a feed first "
			  "('moat feed import FILE|DIR')");
		goto out;
	}

	r = match_run(db, inv, release, &res, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		goto out;
	}
	if (res.entries == 0 && !o.quiet) {
		struct release_hint h = { .n = 0 };
		h.list[0] = '\0';
		(void)advdb_foreach_release(db, add_release, &h);
		log_warning("no advisory in the feed names a package of %s for release %s; the feed covers: %s", o.root,
			    release, h.list[0] ? h.list : "nothing");
	}

	apply_window(&res, o.root, now, o.quiet);
	for (size_t i = 0; i < res.n; i++)
		report_set_rung(&res.v[i].reach);
	FILE *side = o.json ? stderr : stdout;
	bool this_host = strcmp(o.root, "/") == 0;
	if (!o.no_reach && (this_host || o.proc))
		(void)apply_reach(&res, o.proc ? o.proc : "/proc", o.root, side, o.quiet);
	report_sort(&res);

	struct report_opts ro = {
		.color = !o.json && cli_color_on(o.color),
		.release = release,
		.now_s = now,
	};
	size_t exposed = 0, by[FS_FIXED + 1] = { 0 };
	int worst = -1;
	for (size_t i = 0; i < res.n; i++) {
		by[res.v[i].status]++;
		if (res.v[i].status == FS_FIXED)
			continue;
		exposed++;
		worst = MAX(worst, res.v[i].severity);
	}
	if (o.json) {
		report_json(stdout, &ro, &res);
	} else if (exposed) {
		report_table(stdout, &ro, &res);
	}
	if (!o.quiet) {
		struct exposure_summary s;
		fprintf(side,
			"%s%s: %" PRIu64 " binary packages (%" PRIu64 " source) checked against %" PRIu64
			" advisor%s for %s: ",
			o.json ? "moat: " : "", strcmp(o.root, "/") ? o.root : "this host",
			res.binaries, res.sources, n_adv, n_adv == 1 ? "y" : "ies", release);
		if (exposed)
			fprintf(side, "%zu exposed (%zu fixable, %zu unfixed, %zu minor, %zu end of life)\n", exposed,
				by[FS_FIXABLE], by[FS_UNFIXED], by[FS_MINOR], by[FS_END_OF_LIFE]);
		else
			fputs("nothing exposed\n", side);
		report_summary(&res, &s);
		report_summary_print(side, &ro, &s);
	}
	fflush(stdout);
	ret = o.fail_on >= 0 && worst >= o.fail_on ? EXIT_FINDING : EXIT_DONE;
out:
	match_result_done(&res);
	advdb_free(db);
	inventory_free(inv);
	free(err);
	free(dbpath);
	return ret;
}
