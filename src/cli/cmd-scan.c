/* moat scan: read auth logs, decode, detect, print explained alerts. */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "detect/detect.h"
#include "report/output.h"
#include "scan/pipeline.h"
#include "source/journal.h"
#include "source/source.h"
#include "store/store.h"

struct scan {
	struct output_opts out;
	bool events; /* --events: print every decoded event instead of alerts */
	bool print_missed; /* --missed: print every line not understood instead of alerts */
	int fail_on; /* severity, or -1 */
	uint64_t n_alerts_old; /* raised again, already stored by an earlier run */
	int max_severity;
	bool progress; /* stderr is a TTY */
	bool progress_shown;
	double last_progress;
};

static void usage(FILE *f)
{
	fputs("usage: moat scan [OPTIONS] [FILE|DIR|-]...\n"
	      "\n"
	      "Reads authentication logs and raises explained alerts: brute force, password\n"
	      "spraying, distributed attacks, logins after failures, privilege-escalation\n"
	      "attempts, account changes, and unusual logins (a valid credential used from a\n"
	      "network, at an hour or with a method the account has never shown).\n"
	      "\n"
	      "Inputs: files (plain or .gz), directories (their auth.log*/secure* sets),\n"
	      "rotated sets read oldest first, and - for stdin. With none: /var/log/auth.log*\n"
	      "or /var/log/secure*, and where neither exists (a journal-only host, as a stock\n"
	      "Debian 12) the systemd journal. Scanning the same bytes twice adds nothing twice.\n"
	      "Files named one by one are read in the order given: name a rotated set oldest\n"
	      "first (auth.log.1 before auth.log), or give its directory; the detectors' clock\n"
	      "never goes back, so lines older than those before them are judged late.\n"
	      "\n"
	      "The journal (--journal, --journal-dir): the entries of sshd, sudo, su, login,\n"
	      "systemd-logind, unix_chkpwd and the shadow-utils tools (useradd, usermod,\n"
	      "passwd, chage, gpasswd …), PAM lines included, read natively with where the\n"
	      "scan stopped kept in the store (the next scan reads only what is new). An entry\n"
	      "is believed only when journald's own record of its writer (_COMM, _EXE, _UID)\n"
	      "is the program it claims to be, installed in a system directory (/usr/sbin,\n"
	      "/usr/bin, /sbin, /bin, /usr/local/*, /usr/lib/openssh, /usr/libexec,\n"
	      "/usr/lib/systemd …): sshd (sshd, sshd-session or sshd-auth), login,\n"
	      "systemd-logind and the tools only root runs (useradd, usermod, groupadd …) as\n"
	      "root; the set-uid ones users run (sudo, su, passwd, chage, gpasswd,\n"
	      "unix_chkpwd) under any uid. Anything else claiming to be one of them\n"
	      "('logger -t sshd \"Accepted password for root …\"' by a user) is a forgery: a\n"
	      "forged_entry alert (high) naming the real writer, and never read as that\n"
	      "program. Entries without those fields (exported or forwarded from another\n"
	      "host) are read on their word and counted as untrusted in the summary; a\n"
	      "user's process that exited before journald could name it, claiming a set-uid\n"
	      "program (sudo, su, passwd …), is not read and is counted. The same rule holds\n"
	      "for 'journalctl -o json | moat scan -', resumed by each entry's __CURSOR.\n"
	      "Evidence names an entry as STREAM:SEQNUM (the i= of its __CURSOR, in decimal).\n"
	      "\n"
	      "Options:\n"
	      "  --json             one JSON object per alert (or event) per line\n"
	      "  --events           print every decoded event instead of alerts\n"
	      "  --missed           print every line moat did not understand (file:line, why,\n"
	      "                     the line) instead of alerts; with --events, both\n"
	      "  --fail-on SEV      exit 1 when this run raises a new alert of severity SEV or\n"
	      "                     higher (low, medium, high, critical); alerts earlier runs\n"
	      "                     stored do not count (the summary says when there are\n"
	      "                     some: 'moat alerts --fail-on SEV' judges those)\n"
	      "  --db PATH          the store (default: $MOAT_DB, ~/.local/state/moat/moat.db,\n"
	      "                     /var/lib/moat/moat.db for root)\n"
	      "  --no-store         keep nothing: no baselines, no cursors, read everything\n"
	      "  --journal          read this host's systemd journal (/var/log/journal and\n"
	      "                     /run/log/journal: root, or the groups systemd-journal or adm)\n"
	      "  --journal-dir PATH read the journal in PATH instead: a directory of journal\n"
	      "                     files (and its MACHINE-ID/ folders) or one journal file;\n"
	      "                     another machine's (a disk image's /var/log/journal, the\n"
	      "                     output of systemd-journal-remote). Repeatable\n"
	      "  --since TIME       journal entries at or after TIME (a date, a time, an age as\n"
	      "                     2h or 3d, today, yesterday); never what an earlier scan read\n"
	      "                     (--no-store reads it all)\n"
	      "  --until TIME       journal entries up to TIME (a date alone: its end); the next\n"
	      "                     scan goes on from there\n"
	      "  --retention AGE    keep events of the last AGE of store time (days, or a number\n"
	      "                     with h or d; default 90d; 0: keep all); older ones are pruned\n"
	      "                     at the end (see also 'moat store prune')\n"
	      "  --wait SECONDS     one scan writes a store at a time: wait this long for another\n"
	      "                     (default 600; 0: fail at once; -1: forever)\n"
	      "  --config FILE      detector thresholds and the allow-list (YAML; default:\n"
	      "                     " MOAT_SYSCONFDIR "/moat.yaml when present, else built-in defaults\n"
	      "                     equal to rules/moat.yaml)\n"
	      "  --tz ZONE          time zone of zone-less timestamps, of the hours unusual\n"
	      "                     logins are judged in, and of the times shown (default: local)\n"
	      "  --utc              show times in UTC (the hours judged stay in --tz's zone)\n"
	      "  --reach-root DIR   judge unusual logins against the accounts of DIR (default /,\n"
	      "                     for logs of this host only): the alert says what the account\n"
	      "                     could reach ('moat reach'), and a path to root of at most two\n"
	      "                     steps raises its severity one level\n"
	      "  --no-reach         alerts carry no reach verdict\n"
	      "  --color WHEN       auto (default), always, never\n"
	      "  -q, --quiet        no summary on stderr\n"
	      "  -h, --help         this help\n"
	      "\n"
	      "Alerts go to the store too: a second scan of the same logs raises nothing new,\n"
	      "and 'moat alerts' shows what earlier runs found (the summary says how many).\n"
	      "Times are shown in the local zone, named ('2026-12-07 14:03:11 CET'); --json\n"
	      "writes RFC 3339 in UTC.\n"
	      "\n"
	      "The allow-list (the config's allowlist: addresses, networks, accounts; or\n"
	      "fail2ban's ignoreip): every event from an allow-listed address, and an\n"
	      "allow-listed account's own logins, sessions, sudo, su and changes, are stored\n"
	      "(moat trace shows them) but fed to no detector, so no alert of any kind is\n"
	      "raised from them and no baseline learns from them. A failed login that names\n"
	      "an allow-listed account from elsewhere still counts against its source (that\n"
	      "name is what an attacker would guess). 'moat check' lists the entries.\n"
	      "\n"
	      "Examples:\n"
	      "  moat scan                              # this host's auth logs\n"
	      "  moat scan /var/log/auth.log.2.gz      # one rotated file\n"
	      "  moat scan --journal --since 2026-12-01   # this host's journal from Dec 1\n"
	      "  moat scan --journal-dir /mnt/image/var/log/journal   # another machine's\n"
	      "  journalctl -o json | moat scan -\n"
	      "  moat scan --json --fail-on high logs/ | jq .\n"
	      "  moat scan --missed --no-store /var/log/auth.log   # what moat skipped, and why\n"
	      "\n"
	      "Exit status: 0 done, 1 a new alert at or above --fail-on, 2 bad usage,\n"
	      "unreadable input, or a store that cannot be written.\n",
	      f);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_progress(struct scan *s)
{
	if (s->progress_shown)
		fputs("\r\033[K", stderr);
	s->progress_shown = false;
}

static void on_alert(void *ud, const struct alert *a, bool is_new)
{
	struct scan *s = ud;
	if (!is_new) {
		/* finishing an interrupted run: stored (and shown) by it */
		s->n_alerts_old++;
		return;
	}
	if ((int)a->severity > s->max_severity)
		s->max_severity = (int)a->severity;
	if (!s->events && !s->print_missed)
		output_alert(stdout, &s->out, a);
}

static void on_event(void *ud, const struct event *ev)
{
	struct scan *s = ud;
	output_event(stdout, &s->out, ev);
}

static void on_missed(void *ud, const struct origin *at, const struct missed_shape *why, struct sv line)
{
	struct scan *s = ud;
	output_missed(stdout, &s->out, at, why, line);
}

/* "sshd 400, sudo 12, +2 more": the programs of the rows of reason why,
 * most lines first. */
static void print_programs(FILE *f, struct missed *m, enum missed_why why)
{
	struct {
		const char *program;
		uint64_t n;
	} p[MISSED_ROWS_MAX + MISSED_WHY_MAX];
	const struct missed_row *r;
	size_t np = 0, shown = 0;

	for (size_t i = 0; (r = missed_row(m, i)); i++) {
		size_t k = 0;
		if (r->why != why)
			continue;
		while (k < np && strcmp(p[k].program, r->program) != 0)
			k++;
		if (k == np) {
			p[np].program = r->program;
			p[np++].n = 0;
		}
		p[k].n += r->n;
	}
	/* a program's rows add up: sort again (insertion: a few programs) */
	for (size_t i = 1; i < np; i++)
		for (size_t j = i; j > 0 && p[j].n > p[j - 1].n; j--) {
			__typeof__(p[0]) t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	for (; shown < np && shown < 3; shown++)
		fprintf(f, "%s%s %" PRIu64, shown ? ", " : "", p[shown].program, p[shown].n);
	if (np > shown)
		fprintf(f, ", +%zu more", np - shown);
}

/* The summary's words on the lines not understood (program names were
 * escaped by missed_classify) and the events that blamed no one. */
static void print_missed_summary(FILE *f, const struct scan *s, struct missed *m, uint64_t ambiguous)
{
	struct missed_stats st;
	uint64_t nu;
	missed_get_stats(m, &st);
	nu = st.by_why[MISSED_NOT_UNDERSTOOD] + st.by_why[MISSED_NO_PROGRAM] + st.by_why[MISSED_NO_HEADER];
	if (nu) {
		const char *sep = "";
		fprintf(f, "; %" PRIu64 " line%s not understood (", nu, nu == 1 ? "" : "s");
		if (st.by_why[MISSED_NOT_UNDERSTOOD]) {
			print_programs(f, m, MISSED_NOT_UNDERSTOOD);
			sep = "; ";
		}
		if (st.by_why[MISSED_NO_HEADER]) {
			fprintf(f, "%s%" PRIu64 " without a syslog header", sep, st.by_why[MISSED_NO_HEADER]);
			sep = "; ";
		}
		if (st.by_why[MISSED_NO_PROGRAM])
			fprintf(f, "%s%" PRIu64 " without a program name", sep, st.by_why[MISSED_NO_PROGRAM]);
		fputc(')', f);
	}
	if (st.by_why[MISSED_NO_DECODER]) {
		fprintf(f, "; %" PRIu64 " line%s of programs moat does not read (", st.by_why[MISSED_NO_DECODER],
			st.by_why[MISSED_NO_DECODER] == 1 ? "" : "s");
		print_programs(f, m, MISSED_NO_DECODER);
		fputc(')', f);
	}
	if (st.lines && !s->print_missed)
		fputs(" [moat scan --missed lists them]", f);
	if (ambiguous)
		fprintf(f,
			"; %" PRIu64 " event%s with an ambiguous source (attacker text could have written the "
			"address in the line: not taken from it)",
			ambiguous, ambiguous == 1 ? "" : "s");
}

/* A word a shell takes as it is (a path to paste into a hint). */
static bool shell_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("/._-+,:@%", *s)))
			return false;
	return true;
}

/* The alerts earlier runs stored: how many, of which severity, since when. */
struct earlier {
	uint64_t n, by_sev[SEV_MAX];
	int64_t first_us;
};

static int count_earlier(void *ud, const struct stored_alert *a)
{
	struct earlier *e = ud;
	int sev = severity_from_name(a->severity);
	if (e->n++ == 0 || a->first_us < e->first_us)
		e->first_us = a->first_us;
	if (sev >= 0)
		e->by_sev[sev]++;
	return 0;
}

/* "3 alerts from earlier runs are in the store (1 high, 2 medium): moat
 * alerts --since 2026-10-22", and what --fail-on did not count. */
static void print_earlier(const struct scan *s, struct store *st, int64_t run_start_us, const char *db_opt)
{
	struct alert_filter f = { .since_us = INT64_MIN, .until_us = INT64_MAX, .created_before_us = run_start_us };
	struct earlier e = { 0 };
	char day[TIME_DISPLAY_STRLEN];
	const char *sep = " (";
	uint64_t above = 0;

	if (store_query_alerts(st, &f, count_earlier, &e) < 0) {
		log_warning("cannot count the alerts of earlier runs: %s", store_last_error(st));
		return;
	}
	if (!e.n)
		return;
	(void)time_format_display(e.first_us, day);
	day[10] = '\0'; /* the date, in the zone shown: the --since below reads it back so */
	fprintf(stderr, "moat: %" PRIu64 " alert%s from earlier runs %s in the store", e.n, e.n == 1 ? "" : "s",
		e.n == 1 ? "is" : "are");
	for (int k = SEV_MAX - 1; k >= 0; k--)
		if (e.by_sev[k]) {
			fprintf(stderr, "%s%" PRIu64 " %s", sep, e.by_sev[k], severity_name((enum severity)k));
			sep = ", ";
		}
	fprintf(stderr, "): moat alerts --since %s%s%s%s\n", day, time_display_is_utc() ? " --utc" : "",
		db_opt ? " --db " : "", !db_opt ? "" : shell_word(db_opt) ? db_opt : "PATH");
	if (s->fail_on < 0)
		return;
	for (int k = s->fail_on; k < SEV_MAX; k++)
		above += e.by_sev[k];
	if (above)
		fprintf(stderr,
			"moat: --fail-on %s counts this run's new alerts only; %" PRIu64
			" from earlier runs %s at or above it: moat alerts --min-severity %s --fail-on %s\n",
			severity_name((enum severity)s->fail_on), above, above == 1 ? "is" : "are",
			severity_name((enum severity)s->fail_on), severity_name((enum severity)s->fail_on));
}

/* The summary's words on journal entries not believed or not read. */
static void print_journal_summary(FILE *f, const struct pipeline_stats *st)
{
	if (st->forged)
		fprintf(f, "; %" PRIu64 " forged journal entr%s (claiming a program that did not write %s: alerts, not read)",
			st->forged, st->forged == 1 ? "y" : "ies", st->forged == 1 ? "it" : "them");
	if (st->no_writer)
		fprintf(f,
			"; %" PRIu64 " journal entr%s without trusted fields (_COMM, _EXE, _UID: exported or forwarded) "
			"read on %s word, untrusted",
			st->no_writer, st->no_writer == 1 ? "y" : "ies", st->no_writer == 1 ? "its" : "their");
	if (st->unverified)
		fprintf(f,
			"; %" PRIu64 " journal entr%s of a user's process journald could not name, claiming a set-uid "
			"program: not read",
			st->unverified, st->unverified == 1 ? "y" : "ies");
	if (st->not_syslog)
		fprintf(f, "; %" PRIu64 " kernel/audit journal entr%s not read", st->not_syslog,
			st->not_syslog == 1 ? "y" : "ies");
	if (st->journal_seen)
		fprintf(f, "; %" PRIu64 " journal entr%s already read by an earlier scan (by __CURSOR), skipped",
			st->journal_seen, st->journal_seen == 1 ? "y" : "ies");
	if (st->journal_streams_over)
		fprintf(f, "; %" PRIu64 " journal entr%s of too many journals in one input not resumable by cursor",
			st->journal_streams_over, st->journal_streams_over == 1 ? "y" : "ies");
}

static void on_notice(void *ud, const char *msg)
{
	struct scan *s = ud;
	clear_progress(s);
	log_notice("%s", msg);
}

static void on_wait(void *ud, const char *who)
{
	(void)ud;
	log_notice("the store is being written by %s: waiting for it to finish (--wait)", who);
}

static void on_progress(void *ud, const struct source_input *in, uint64_t done)
{
	struct scan *s = ud;
	double t = now_s();
	if (!s->progress || t - s->last_progress < 0.2)
		return;
	s->last_progress = t;
	s->progress_shown = true;
	fputs("\r\033[Kreading ", stderr);
	escape_text(stderr, sv_cstr(in->path), 60);
	if (in->size)
		fprintf(stderr, ": %3.0f%% (%.1f of %.1f MB)", 100.0 * (double)done / (double)in->size,
			(double)done / 1e6, (double)in->size / 1e6);
	else
		fprintf(stderr, ": %.1f MB", (double)done / 1e6);
}

int cmd_scan(int argc, char **argv)
{
	enum { O_EVENTS = 256, O_MISSED, O_FAIL_ON, O_NO_STORE, O_CONFIG, O_TZ, O_WAIT, O_REACH_ROOT, O_NO_REACH,
	       O_RETENTION, O_JOURNAL, O_JOURNAL_DIR, O_SINCE, O_UNTIL };
	static const struct option opts[] = {
		{ "events", no_argument, NULL, O_EVENTS },
		{ "missed", no_argument, NULL, O_MISSED },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "no-store", no_argument, NULL, O_NO_STORE },
		{ "reach-root", required_argument, NULL, O_REACH_ROOT },
		{ "no-reach", no_argument, NULL, O_NO_REACH },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "tz", required_argument, NULL, O_TZ },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "retention", required_argument, NULL, O_RETENTION },
		{ "journal", no_argument, NULL, O_JOURNAL },
		{ "journal-dir", required_argument, NULL, O_JOURNAL_DIR },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	struct scan s = { .fail_on = -1, .max_severity = -1 };
	const char *config = NULL, *tz = NULL, *reach_root = "/";
	struct cli cl;
	bool no_store = false, quiet = false, journal = false;
	struct journal_spec jspec = { .root = "/" };
	int wait_s = 600;
	int64_t run_start_us = 0;
	int64_t retention = 90 * 86400 * INT64_C(1000000);
	struct source_list inputs = { 0 };
	struct detect_config *cfg = NULL;
	struct store *store = NULL;
	struct pipeline *pl = NULL;
	struct pipeline_stats st = { 0 };
	char *err = NULL, *dbpath = NULL;
	int c, r, ret = EXIT_USAGE;

	cli_init(&cl, "scan", usage, CLI_JSON | CLI_DB, "q", opts, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_EVENTS:
			s.events = true;
			break;
		case O_MISSED:
			s.print_missed = true;
			break;
		case O_FAIL_ON:
			s.fail_on = cli_fail_on_severity(optarg);
			if (s.fail_on < 0)
				return EXIT_USAGE;
			break;
		case O_NO_STORE:
			no_store = true;
			break;
		case O_REACH_ROOT:
			reach_root = optarg;
			break;
		case O_NO_REACH:
			reach_root = NULL;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_TZ:
			tz = optarg;
			break;
		case O_WAIT: {
			char *end = NULL;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || !end || *end || end == optarg || v < -1 || v > 86400 * 7) {
				log_error("--wait: expected seconds (0 to fail at once, -1 to wait forever), not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			wait_s = (int)v;
			break;
		}
		case O_RETENTION:
			if (cli_parse_age("--retention", optarg, &retention) < 0)
				return EXIT_USAGE;
			break;
		case O_JOURNAL:
			journal = true;
			break;
		case O_JOURNAL_DIR:
			if (jspec.n_paths == JOURNAL_PATHS_MAX) {
				log_error("--journal-dir: at most %d", JOURNAL_PATHS_MAX);
				return EXIT_USAGE;
			}
			jspec.paths[jspec.n_paths++] = optarg;
			journal = true;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (cli_parse_time(c == O_SINCE ? "--since" : "--until", optarg, c == O_UNTIL,
					   c == O_SINCE ? &jspec.since_us : &jspec.until_us) < 0)
				return EXIT_USAGE;
			break;
		case 'q':
			quiet = true;
			break;
		}
	}
	s.out.json = cl.json;
	s.out.color = !s.out.json && cli_color_on(cl.color);
	s.progress = !quiet && isatty(STDERR_FILENO);
	/* a reader that went away is a write error like a full disk: said,
	 * and the exit status tells (not a silent death by SIGPIPE) */
	(void)signal(SIGPIPE, SIG_IGN);

	/* the installed config file, when present, unless --config names another */
	config = cli_config_path(config);
	r = detect_config_load(config, &cfg, &err);
	if (r < 0) {
		log_error("%s", err ? err : "cannot load the configuration");
		goto out;
	}
	/* tests point the default log paths at a temporary root */
	if (getenv("MOAT_ROOT"))
		jspec.root = getenv("MOAT_ROOT");
	if (journal && optind < argc) {
		log_error("--journal or --journal-dir, or files: not both (rsyslog writes the journal's lines to "
			  "auth.log: the same events would be read twice)");
		goto out;
	}
	if (jspec.since_us && jspec.until_us && jspec.since_us > jspec.until_us) {
		log_error("--since is after --until");
		goto out;
	}
	if (journal)
		r = 0;
	else if (optind == argc && getenv("MOAT_ROOT"))
		r = source_expand_default(getenv("MOAT_ROOT"), &inputs, &err);
	else
		r = source_expand(argv + optind, (size_t)(argc - optind), &inputs, &err);
	if (r < 0) {
		log_error("%s", err ? err : "cannot read the inputs");
		goto out;
	}
	for (size_t i = 0; i < inputs.n_warnings; i++)
		log_warning("%s", inputs.warnings[i]);
	if (!journal && inputs.n == 0 && optind == argc && journal_host_has(jspec.root)) {
		/* a journal-only host */
		journal = true;
		if (!quiet)
			log_notice("no /var/log/auth.log* or /var/log/secure* here: reading the systemd journal");
	}
	if (!journal && (jspec.since_us || jspec.until_us)) {
		log_error("--since and --until choose journal entries; log files are read whole, from where the last "
			  "scan stopped: add --journal to read this host's journal");
		goto out;
	}
	if (journal) {
		inputs.v = calloc(1, sizeof(*inputs.v));
		if (!inputs.v || journal_spec_stream(&jspec, &inputs.v[0].path) < 0) {
			log_error("out of memory");
			goto out;
		}
		inputs.v[0].journal = true;
		inputs.n = 1;
	}
	if (inputs.n == 0) {
		log_error("no auth logs found: neither /var/log/auth.log* nor /var/log/secure* nor a systemd journal\n"
			  "  (/var/log/journal, /run/log/journal) exists here.\n"
			  "  Point moat at logs with 'moat scan FILE|DIR|-', at another machine's journal with\n"
			  "  'moat scan --journal-dir DIR', or try the bundled sample:\n"
			  "  moat scan %s/samples/auth.log",
			  access(MOAT_SOURCE_ROOT "/samples/auth.log", R_OK) == 0 ? MOAT_SOURCE_ROOT : MOAT_DATADIR);
		goto out;
	}
	if (!no_store) {
		dbpath = cli_db_path(cl.db);
		if (!dbpath) {
			log_error("out of memory");
			goto out;
		}
		r = store_open(dbpath, &store, &err);
		if (r < 0) {
			log_error("store %s: %s (use --db PATH, or --no-store)", dbpath, err ? err : strerror(-r));
			goto out;
		}
		r = store_lock(store, wait_s, on_wait, &s);
		if (r < 0) {
			log_error("%s", store_last_error(store));
			goto out;
		}
		/* the alerts stored before now are earlier runs' (one writer at a time) */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		run_start_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	if (tz) {
		/* the detectors judge hours of the day (unusual logins) in the
		 * process's zone: make it the zone asked for (the header parser
		 * reads its own zone files and needs no TZ) */
		if (setenv("TZ", tz, 1) < 0) {
			log_error_errno(-errno, "--tz: cannot set TZ");
			goto out;
		}
		tzset();
	}
	/* tests make batches small to crash a scan between many commits */
	uint64_t batch_bytes = 0;
	if (getenv("MOAT_BATCH_BYTES"))
		batch_bytes = strtoull(getenv("MOAT_BATCH_BYTES"), NULL, 10);
	struct pipeline_config pc = {
		.detect = cfg,
		.batch_bytes = batch_bytes,
		.store = store,
		.tz = tz,
		.reach_root = reach_root,
		.retention_us = retention,
		.on_event = s.events ? on_event : NULL,
		.on_alert = on_alert,
		.on_progress = on_progress,
		.on_notice = on_notice,
		.on_missed = s.print_missed ? on_missed : NULL,
		.ud = &s,
	};
	free(err);
	err = NULL;
	r = pipeline_new(&pc, &inputs, &pl, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		goto out;
	}

	ret = EXIT_DONE;
	for (size_t i = 0; i < inputs.n && !pipeline_failed(pl); i++) {
		free(err);
		err = NULL;
		if (inputs.v[i].journal)
			r = pipeline_read_journal(pl, &jspec, &inputs.v[i], &err);
		else
			r = pipeline_read(pl, &inputs.v[i], &err);
		if (r < 0) {
			clear_progress(&s);
			log_error("%s", err ? err : inputs.v[i].path);
			ret = EXIT_USAGE;
		}
	}
	clear_progress(&s);
	if (!pipeline_failed(pl)) {
		free(err);
		err = NULL;
		r = pipeline_finish(pl, &err);
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			ret = EXIT_USAGE;
		}
	}
	if (pipeline_failed(pl)) {
		log_error("nothing after the last commit was kept; the store is as the last complete batch left it, "
			  "and the next scan goes on from there");
		ret = EXIT_USAGE;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write the output: %s", strerror(errno ? errno : EIO));
		ret = EXIT_USAGE;
	}
	pipeline_get_stats(pl, &st);

	if (!quiet) {
		uint64_t evictions = pipeline_evictions(pl);
		if (journal)
			fprintf(stderr,
				"moat: the journal, %" PRIu64 " entr%s of auth programs (%.1f MB), %" PRIu64
				" events decoded, %" PRIu64 " alert%s",
				st.journal_entries, st.journal_entries == 1 ? "y" : "ies", (double)st.source.bytes / 1e6,
				st.events, st.alerts_new, st.alerts_new == 1 ? "" : "s");
		else
			fprintf(stderr,
				"moat: %" PRIu64 " file%s, %" PRIu64 " lines (%.1f MB), %" PRIu64
				" events decoded, %" PRIu64 " alert%s",
				st.inputs, st.inputs == 1 ? "" : "s", st.source.lines, (double)st.source.bytes / 1e6,
				st.events, st.alerts_new, st.alerts_new == 1 ? "" : "s");
		print_journal_summary(stderr, &st);
		print_missed_summary(stderr, &s, pipeline_missed(pl), st.ambiguous);
		if (st.allowlisted)
			fprintf(stderr, "; %" PRIu64 " event%s allow-listed (stored, judged by no detector)",
				st.allowlisted, st.allowlisted == 1 ? "" : "s");
		if (st.source.truncated_lines)
			fprintf(stderr, "; %" PRIu64 " overlong lines cut", st.source.truncated_lines);
		if (st.source.skipped_bytes)
			fprintf(stderr, "; %.1f MB already scanned earlier, skipped",
				(double)st.source.skipped_bytes / 1e6);
		if (st.replayed)
			fprintf(stderr, "; %" PRIu64 " lines read again to finish an interrupted run", st.replayed);
		if (s.n_alerts_old)
			fprintf(stderr, "; %" PRIu64 " alert%s already stored by it", s.n_alerts_old,
				s.n_alerts_old == 1 ? "" : "s");
		if (st.pruned_events)
			fprintf(stderr, "; %" PRIu64 " events older than the retention pruned", st.pruned_events);
		if (st.unfinished)
			fprintf(stderr, "; %" PRIu64 " unfinished last line%s left for the next scan", st.unfinished,
				st.unfinished == 1 ? "" : "s");
		if (evictions)
			fprintf(stderr, "; %" PRIu64 " tracked entries evicted (tables full)", evictions);
		fputc('\n', stderr);
		if (store && !pipeline_failed(pl))
			print_earlier(&s, store, run_start_us, cl.db);
	}
	if (ret == EXIT_DONE && s.fail_on >= 0 && s.max_severity >= s.fail_on)
		ret = EXIT_FINDING;
out:
	pipeline_free(pl);
	store_free(store);
	detect_config_free(cfg);
	source_list_free(&inputs);
	free(err);
	free(dbpath);
	return ret;
}
