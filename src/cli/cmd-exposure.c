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
#include "exceptions/ledger.h"
#include "exceptions/paths.h"
#include "exceptions/register.h"
#include "exposure/exposure.h"
#include "exposure/report.h"
#include "report/output.h"

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
	      "  --only-fixed     show only what an upgrade fixes today (status fixable)\n"
	      "  --min-severity SEV  show only findings of severity SEV or higher\n"
	      "  --fail-on SEV    exit 1 when a finding of severity SEV or higher is exposed and\n"
	      "                   an upgrade or a decision can settle it: fixable findings, and\n"
	      "                   findings whose exception broke, expired or is due for review\n"
	      "                   (findings an exception in good standing accepts do not count)\n"
	      "  --strict         --fail-on counts every exposed finding, fixable or not\n"
	      "  --json           one JSON object per finding per line (= --format json);\n"
	      "                   exception alerts follow as moat scan's alert objects\n"
	      "  --format FMT     table (default), json, or sarif (SARIF 2.1.0 for CI systems)\n"
	      "  --wide           the table with one line per package, nothing cut\n"
	      "  --ledger FILE    the exceptions' ledger (default: moat ledger path)\n"
	      "  --no-exceptions  ignore exceptions\n"
	      "  --now TIME       assess as of TIME (RFC 3339 or YYYY-MM-DD; default: now)\n"
	      "  --proc DIR       the /proc to read for reach (default: /proc for root /)\n"
	      "  --no-reach       skip the reach assessment\n"
	      "  --color WHEN     auto (default), always, never\n"
	      "  -q, --quiet      no summary\n"
	      "  -h, --help       this help\n"
	      "\n"
	      "Severity is the advisory's CVSS score, else the tracker's urgency, else a\n"
	      "guess from its kind (a DSA counts as high, others as medium), marked '*'.\n"
	      "The table fits 100 columns: one row per package, and below it the CVE ids\n"
	      "and advisories, the processes that make it reachable (name, pid, user,\n"
	      "address:port) and what an exception says: \"accepted by OWNER until DATE:\n"
	      "controls holding\", or loudly that a control broke, the date passed or the\n"
	      "review is due — each of those also an alert (moat exception --help).\n"
	      "\n"
	      "Examples:\n"
	      "  moat feed import all.zip && moat exposure\n"
	      "  moat exposure --feed ./osv-records/ --json | jq 'select(.status==\"fixable\")'\n"
	      "  moat exposure --root /mnt/image --release bookworm --fail-on high\n"
	      "  moat exposure --only-fixed --min-severity high      # what to patch today\n"
	      "  moat exposure --format sarif > moat.sarif           # for a CI system\n"
	      "\n"
	      "Exit status: 0 done, 1 something at or above --fail-on is exposed, 2 bad usage\n"
	      "or unreadable input.\n",
	      f);
}

enum format { FMT_TABLE, FMT_JSON, FMT_SARIF };

struct opts {
	const char *root, *db, *release, *now, *proc, *color, *ledger;
	const char *feeds[16];
	size_t n_feeds;
	int fail_on, min_severity;
	enum format format;
	bool quiet, no_reach, only_fixed, strict, wide, no_exceptions;
};

/* The ledger's exceptions. A ledger that does not verify is not trusted: said loudly, and its
 * exceptions are not honoured (every finding counts as if there were none). Returns 0 when
 * there are exceptions to apply. */
static int load_exceptions(const struct opts *o, struct ledger **ret_l, struct exc_register **ret_r)
{
	_cleanup_free_ char *def = o->ledger ? NULL : ledger_default_path();
	_cleanup_free_ char *heads = state_path("ledger-heads");
	const char *path = o->ledger ? o->ledger : def;
	struct ledger_problem bad;
	char *err = NULL;
	if (!path || !heads)
		return -ENOMEM;
	int r = ledger_load(path, heads, o->ledger != NULL, ret_l, &bad, &err);
	if (r < 0) {
		log_error("exceptions not honoured: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if (r == 1) {
		fputs("moat: error: exceptions not honoured: the ledger does not verify: ", stderr);
		escape_text(stderr, sv_cstr(bad.why), 0);
		fputc('\n', stderr);
		ledger_free(*ret_l);
		*ret_l = NULL;
		return -EBADMSG;
	}
	return register_from_ledger(*ret_l, ret_r);
}

struct alert_out {
	struct output_opts oo;
	FILE *f;
};

static void emit_alert(void *ud, struct alert *a)
{
	struct alert_out *ao = ud;
	output_alert(ao->f, &ao->oo, a);
	alert_free(a);
}

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
	enum {
		O_ROOT = 256,
		O_FEED,
		O_DB,
		O_RELEASE,
		O_FAIL_ON,
		O_JSON,
		O_NOW,
		O_PROC,
		O_NO_REACH,
		O_ONLY_FIXED,
		O_MIN_SEVERITY,
		O_STRICT,
		O_WIDE,
		O_FORMAT,
		O_LEDGER,
		O_NO_EXCEPTIONS,
	};
	static const struct option options[] = {
		{ "root", required_argument, NULL, O_ROOT },	   { "feed", required_argument, NULL, O_FEED },
		{ "db", required_argument, NULL, O_DB },	   { "release", required_argument, NULL, O_RELEASE },
		{ "fail-on", required_argument, NULL, O_FAIL_ON }, { "json", no_argument, NULL, O_JSON },
		{ "now", required_argument, NULL, O_NOW },	   { "proc", required_argument, NULL, O_PROC },
		{ "no-reach", no_argument, NULL, O_NO_REACH },
		{ "quiet", no_argument, NULL, 'q' },		   { "help", no_argument, NULL, 'h' },
		{ "only-fixed", no_argument, NULL, O_ONLY_FIXED }, { "min-severity", required_argument, NULL, O_MIN_SEVERITY },
		{ "strict", no_argument, NULL, O_STRICT },	   { "wide", no_argument, NULL, O_WIDE },
		{ "format", required_argument, NULL, O_FORMAT },   { "ledger", required_argument, NULL, O_LEDGER },
		{ "no-exceptions", no_argument, NULL, O_NO_EXCEPTIONS },
		{ 0 },
	};
	struct opts o = { .root = "/", .fail_on = -1, .min_severity = -1, .color = "auto" };
	struct exposure_result *ex = NULL;
	char *err = NULL;
	int64_t now = (int64_t)time(NULL);
	int c, r, ret = EXIT_USAGE;

	struct cli cl;
	cli_init(&cl, "exposure", usage, 0, "q", options, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
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
			o.format = FMT_JSON;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0)
				o.format = FMT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				o.format = FMT_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				o.format = FMT_SARIF;
			else {
				log_error("--format: table, json or sarif, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_ONLY_FIXED:
			o.only_fixed = true;
			break;
		case O_MIN_SEVERITY:
			o.min_severity = severity_from_name(optarg);
			if (o.min_severity < 0) {
				log_error("--min-severity: '%s' is not a severity (low, medium, high, critical)", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_STRICT:
			o.strict = true;
			break;
		case O_WIDE:
			o.wide = true;
			break;
		case O_LEDGER:
			o.ledger = optarg;
			break;
		case O_NO_EXCEPTIONS:
			o.no_exceptions = true;
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
		case 'q':
			o.quiet = true;
			break;
		}
	}
	o.color = cl.color;
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
	FILE *side = o.format != FMT_TABLE ? stderr : stdout;
	for (size_t i = 0; i < ex->n_stale; i++)
		print_stale(side, &ex->stale[i]);
	const struct match_result *mr = &ex->match;
	const char *release = ex->release;

	/* the exceptions: decisions from the ledger, judged on the live host now */
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	struct exc_evaluation ev = { 0 };
	struct report_exception *rexc = NULL;
	const struct report_exception **exc_of = NULL;
	bool *keep = NULL;
	char **details = NULL;
	if (!o.no_exceptions && load_exceptions(&o, &l, &reg) == 0 &&
	    register_evaluate(reg, ex, o.proc, now, &ev) < 0) {
		log_error("out of memory");
		goto out2;
	}
	size_t nf = mr->n ? mr->n : 1;
	rexc = calloc(ev.n ? ev.n : 1, sizeof(*rexc));
	details = calloc(ev.n ? ev.n : 1, sizeof(*details));
	exc_of = calloc(nf, sizeof(*exc_of));
	keep = calloc(nf, sizeof(*keep));
	if (!rexc || !exc_of || !keep || !details) {
		log_error("out of memory");
		goto out2;
	}
	for (size_t i = 0; i < ev.n; i++) {
		const struct exc_eval *x = &ev.v[i];
		rexc[i] = (struct report_exception){ .id = x->e->id, .owner = x->e->owner ? x->e->owner : "?",
						     .until_s = x->e->until_s, .state = exc_state_name(x->state),
						     .settled = x->state == EXC_HOLDING || x->state == EXC_BARE };
		for (size_t k = 0; k < x->e->n_controls && x->state == EXC_BROKEN; k++)
			if (x->controls[k].state != CONTROL_HOLDS && !x->controls[k].acknowledged) {
				if (asprintf(&details[i], "'%s' %s: %s", x->e->controls[k],
					     x->controls[k].state == CONTROL_BROKEN ? "broken" : "cannot be verified",
					     x->controls[k].why) < 0)
					details[i] = NULL;
				rexc[i].detail = details[i];
				break;
			}
	}
	/* what is shown, and what counts for --fail-on: what an upgrade (fixable) or a decision (an
	 * exception that broke, expired or is due) can settle; --strict: every exposed finding */
	size_t exposed = 0, shown = 0, by[FS_FIXED + 1] = { 0 }, accepted = 0;
	int worst = -1;
	for (size_t i = 0; i < mr->n; i++) {
		const struct finding *f = &mr->v[i];
		by[f->status]++;
		if (f->status == FS_FIXED)
			continue;
		exposed++;
		if (ev.finding_exc && ev.finding_exc[i] != SIZE_MAX)
			exc_of[i] = &rexc[ev.finding_exc[i]];
		keep[i] = (!o.only_fixed || f->status == FS_FIXABLE) && (o.min_severity < 0 || f->severity >= o.min_severity);
		if (!keep[i])
			continue;
		shown++;
		bool settled = exc_of[i] && exc_of[i]->settled;
		accepted += settled;
		bool counts = !settled && (o.strict || f->status == FS_FIXABLE || exc_of[i]);
		if (counts)
			worst = MAX(worst, f->severity);
	}
	struct report_opts ro = {
		.color = o.format == FMT_TABLE && cli_color_on(o.color),
		.wide = o.wide,
		.release = release,
		.now_s = now,
		.keep = keep,
		.exc = exc_of,
	};
	if (o.format == FMT_JSON) {
		report_json(stdout, &ro, mr);
	} else if (o.format == FMT_SARIF) {
		char host[256] = "host";
		(void)gethostname(host, sizeof(host) - 1);
		if (report_sarif(stdout, &ro, mr, strcmp(o.root, "/") ? o.root : host) < 0)
			log_error("cannot write SARIF");
	} else if (shown) {
		report_table(stdout, &ro, mr);
	}
	/* exceptions that need a person: alerts, as the detectors raise them */
	struct alert_out ao = { .oo = { .json = o.format == FMT_JSON, .color = ro.color },
				.f = o.format == FMT_TABLE ? stdout : stderr };
	struct alert_sink sink = { emit_alert, &ao };
	size_t alerts = register_alerts(&ev, NULL, now, &sink);
	if (!o.quiet) {
		struct exposure_summary s;
		fprintf(side,
			"%s%s: %" PRIu64 " binary packages (%" PRIu64 " source) checked against %" PRIu64
			" advisor%s for %s: ",
			o.format != FMT_TABLE ? "moat: " : "", strcmp(o.root, "/") ? o.root : "this host",
			mr->binaries, mr->sources, ex->n_advisories, ex->n_advisories == 1 ? "y" : "ies", release);
		if (exposed)
			fprintf(side, "%zu exposed (%zu fixable, %zu unfixed, %zu minor, %zu end of life)", exposed,
				by[FS_FIXABLE], by[FS_UNFIXED], by[FS_MINOR], by[FS_END_OF_LIFE]);
		else
			fputs("nothing exposed", side);
		if (shown != exposed)
			fprintf(side, "; %zu shown", shown);
		if (accepted)
			fprintf(side, "; %zu accepted by an exception", accepted);
		if (alerts)
			fprintf(side, "; %zu exception alert%s", alerts, alerts == 1 ? "" : "s");
		fputc('\n', side);
		report_summary(mr, &s);
		report_summary_print(side, &ro, &s);
	}
	ret = o.fail_on >= 0 && worst >= o.fail_on ? EXIT_FINDING : EXIT_DONE;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write the output: %s", strerror(errno));
		ret = EXIT_USAGE;
	}
out2:
	for (size_t i = 0; details && i < ev.n; i++)
		free(details[i]);
	free(details);
	free(rexc);
	free(exc_of);
	free(keep);
	exc_evaluation_done(&ev);
	register_free(reg);
	ledger_free(l);
out:
	exposure_result_free(ex);
	free(err);
	return ret;
}
