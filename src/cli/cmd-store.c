/* moat store: what the store holds, and pruning it. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fputs("usage: moat store stats [--db PATH] [--json]\n"
	      "       moat store prune [--db PATH] [--older-than AGE | --before TIME] [--vacuum]\n"
	      "                        [--wait SECONDS]\n"
	      "       moat store export [--db PATH]\n"
	      "\n"
	      "stats: what the store holds — events kept in full (login sessions, privileged and\n"
	      "account events), failed logins and pre-auth noise (kept packed per source), alerts,\n"
	      "baselines, read cursors — its size on disk, and that size against the bytes of logs\n"
	      "it was built from.\n"
	      "\n"
	      "export: everything the store knows, one JSON object per line (events in time order,\n"
	      "then alerts, then baselines): for other tools, and to compare two stores.\n"
	      "\n"
	      "prune: removes events and alerts older than AGE of store time (the newest event\n"
	      "stored, so that logs from another host or year keep their own clock), then gives\n"
	      "the free pages back to the file system. 'moat scan' prunes at the end of each run\n"
	      "with its --retention (default 90 days).\n"
	      "\n"
	      "Options:\n"
	      "  --db PATH          the store (default: $MOAT_DB, ~/.local/state/moat/moat.db,\n"
	      "                     /var/lib/moat/moat.db for root)\n"
	      "  --older-than AGE   prune what is older than AGE: days, or a number with h or d\n"
	      "                     (default 90d), before the newest event stored\n"
	      "  --before TIME      prune what is older than TIME instead: a date or time\n"
	      "                     (2026-06-01, '2026-06-01 12:00', …T12:00:00Z; local time\n"
	      "                     unless --utc or a zone), or an age before now (30d, 2w)\n"
	      "  --vacuum           rewrite the whole file afterwards (needs room for a copy;\n"
	      "                     needed once for stores made by moat before schema 3)\n"
	      "  --wait SECONDS     wait this long for a scan writing the store (default 600;\n"
	      "                     0: fail at once)\n"
	      "  --json             stats as one JSON object (times in RFC 3339, UTC)\n"
	      "  --utc              show times in UTC (default: the local zone, named)\n"
	      "  -h, --help         this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat store stats\n"
	      "  moat store prune --older-than 30d\n"
	      "  moat store prune --before 2026-06-01\n"
	      "  moat store stats --utc     # times in UTC\n"
	      "\n"
	      "Exit status: 0 done, 2 bad usage, or the store could not be read or written.\n",
	      f);
}

/* AGE: "90", "90d", "36h" -> microseconds; -1 when malformed. */
static int64_t parse_age(const char *s)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	int64_t unit = 86400;
	if (*end == 'h')
		unit = 3600, end++;
	else if (*end == 'd')
		end++;
	if (*end || v > INT64_MAX / 1000000 / unit)
		return -1;
	return (int64_t)v * unit * 1000000;
}

int cli_parse_age(const char *opt, const char *arg, int64_t *ret_us)
{
	int64_t v = parse_age(arg);
	if (v < 0) {
		log_error("%s: expected an age in days, or a number with h or d (90, 90d, 36h), not '%s'", opt, arg);
		return -EINVAL;
	}
	*ret_us = v;
	return 0;
}

static void fmt_time(int64_t us, bool json, char buf[static TIME_DISPLAY_STRLEN])
{
	if (!us)
		snprintf(buf, TIME_DISPLAY_STRLEN, "-");
	else if (json)
		(void)time_format_rfc3339(us, buf);
	else
		(void)time_format_display(us, buf);
}

static void on_wait(void *ud, const char *who)
{
	(void)ud;
	log_notice("the store is being written by %s: waiting for it to finish (--wait)", who);
}

static int do_stats(struct store *s, bool json)
{
	struct store_stats t;
	char first[TIME_DISPLAY_STRLEN], last[TIME_DISPLAY_STRLEN];
	int r = store_get_stats(s, &t);
	if (r < 0) {
		log_error("%s: %s", store_path(s), store_last_error(s));
		return EXIT_USAGE;
	}
	fmt_time(t.first_us, json, first);
	fmt_time(t.last_us, json, last);
	double ratio = t.log_bytes ? 100.0 * (double)t.file_bytes / (double)t.log_bytes : 0.0;
	if (json) {
		fputs("{\"path\":\"", stdout);
		escape_json(stdout, sv_cstr(store_path(s)));
		printf("\",\"file_bytes\":%" PRIu64 ",\"log_bytes\":%" PRIu64 ",\"kept_events\":%" PRIu64
		       ",\"kept_rows\":%" PRIu64 ",\"noise_events\":%" PRIu64 ",\"noise_rows\":%" PRIu64
		       ",\"schema2_events\":%" PRIu64 ",\"alerts\":%" PRIu64 ",\"baselines\":%" PRIu64
		       ",\"cursors\":%" PRIu64 ",\"runs\":%" PRIu64 ",\"run_open\":%s,\"first\":",
		       t.file_bytes, t.log_bytes, t.kept_events, t.kept_segments, t.noise_events, t.noise_rows,
		       t.legacy_events, t.alerts, t.baselines, t.cursors, t.runs, t.run_open ? "true" : "false");
		if (t.first_us)
			printf("\"%s\",\"last\":\"%s\"}\n", first, last);
		else
			printf("null,\"last\":null}\n");
	} else {
		fputs("store ", stdout);
		escape_text(stdout, sv_cstr(store_path(s)), 0);
		printf("\n  size on disk        %.1f MB", (double)t.file_bytes / 1e6);
		if (t.log_bytes)
			printf(" (%.1f%% of the %.1f MB of logs read)", ratio, (double)t.log_bytes / 1e6);
		printf("\n  events kept in full %" PRIu64 " (login sessions, privileged and account events; %" PRIu64
		       " rows)\n"
		       "  failed logins, noise %" PRIu64 " (packed per source; %" PRIu64 " rows)\n",
		       t.kept_events, t.kept_segments, t.noise_events, t.noise_rows);
		if (t.legacy_events)
			printf("  schema 2 events     %" PRIu64 " (kept as they were stored)\n", t.legacy_events);
		printf("  time range          %s .. %s\n"
		       "  alerts              %" PRIu64 "\n"
		       "  baselines           %" PRIu64 "\n"
		       "  read cursors        %" PRIu64 "\n"
		       "  runs                %" PRIu64 "%s\n",
		       first, last, t.alerts, t.baselines, t.cursors, t.runs,
		       t.run_open ? " (one is open: writing now, or interrupted; the next scan finishes it)" : "");
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write the output: %s", strerror(errno ? errno : EIO));
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

static void jstr(const char *name, const char *v)
{
	printf(",\"%s\":\"", name);
	escape_json(stdout, sv_cstr(v));
	putchar('"');
}

static int export_event(void *ud, const struct stored_event *e)
{
	char t[TIME_STRLEN];
	(void)ud;
	(void)time_format_rfc3339(e->time_us, t);
	printf("{\"type\":\"event\",\"time\":\"%s\",\"kind\":\"%s\"", t, event_kind_name(e->kind));
	jstr("host", e->host);
	jstr("program", e->program);
	printf(",\"pid\":%d,\"method\":\"%s\",\"acct\":\"%s\",\"flags\":%u", e->pid, auth_method_name(e->method),
	       e->acct ? account_op_name(e->acct) : "", e->flags);
	jstr("user", e->user);
	jstr("target", e->target);
	jstr("source", e->source);
	jstr("source_name", e->source_name);
	printf(",\"port\":%u", e->port);
	jstr("key_type", e->key_type);
	jstr("key_fp", e->key_fp);
	jstr("tty", e->tty);
	jstr("command", e->command);
	jstr("detail", e->detail);
	printf(",\"count\":%u,\"attempts\":%u", e->count, e->attempts);
	/* a failed login's line is its block's evidence, not its own: which
	 * lines a block names depends on when the batches were committed */
	if (!e->packed) {
		jstr("file", e->file);
		printf(",\"line\":%" PRIu64, e->line);
	}
	printf("}\n");
	return ferror(stdout) ? -EIO : 0;
}

static int export_alert(void *ud, const struct stored_alert *a)
{
	char f[TIME_STRLEN], l[TIME_STRLEN];
	(void)ud;
	(void)time_format_rfc3339(a->first_us, f);
	(void)time_format_rfc3339(a->last_us, l);
	printf("{\"type\":\"alert\"");
	jstr("kind", a->kind);
	jstr("severity", a->severity);
	jstr("host", a->host);
	jstr("source", a->source);
	jstr("user", a->user);
	printf(",\"first\":\"%s\",\"last\":\"%s\",\"count\":%" PRIu64 ",\"why\":%s,\"evidence\":%s,"
	       "\"evidence_total\":%" PRIu64 "}\n",
	       f, l, a->count, a->why_json[0] ? a->why_json : "[]", a->evidence_json[0] ? a->evidence_json : "[]",
	       a->evidence_total);
	return ferror(stdout) ? -EIO : 0;
}

static int export_baseline(void *ud, const char *host, const char *user, const char *blob)
{
	(void)ud;
	printf("{\"type\":\"baseline\"");
	jstr("host", host);
	jstr("user", user);
	printf(",\"baseline\":%s}\n", blob[0] ? blob : "null");
	return ferror(stdout) ? -EIO : 0;
}

static int do_export(struct store *s)
{
	struct event_filter f;
	struct alert_filter af = { .since_us = INT64_MIN, .until_us = INT64_MAX };
	int r;
	event_filter_init(&f);
	r = store_query_events(s, &f, export_event, NULL);
	if (r >= 0)
		r = store_query_alerts(s, &af, export_alert, NULL);
	if (r >= 0)
		r = store_baseline_foreach(s, export_baseline, NULL);
	if (r < 0 || fflush(stdout) != 0 || ferror(stdout)) {
		if (r == -EIO || r >= 0)
			log_error("cannot write the output: %s", strerror(errno ? errno : EIO));
		else
			log_error("%s: %s", store_path(s), store_last_error(s));
		return EXIT_USAGE;
	}
	return EXIT_DONE;
}

/* Prunes before the cutoff `before` (INT64_MIN: age_us before the store's time). */
static int do_prune(struct store *s, int64_t age_us, int64_t before, bool vacuum)
{
	struct store_pruned p = { 0 };
	int64_t cutoff = before;
	uint64_t pages = 0;
	char when[TIME_DISPLAY_STRLEN];
	int r = before != INT64_MIN ? 0 : store_prune_cutoff(s, age_us, &cutoff);
	if (r >= 0)
		r = store_begin(s);
	if (r >= 0)
		r = store_prune(s, cutoff, &p);
	if (r >= 0)
		r = store_commit(s);
	else
		store_rollback(s);
	if (r >= 0)
		r = store_vacuum(s, vacuum, &pages);
	if (r < 0) {
		log_error("%s: %s", store_path(s), store_last_error(s));
		return EXIT_USAGE;
	}
	if (cutoff == INT64_MIN) {
		printf("nothing to prune: the store holds no events\n");
		return EXIT_DONE;
	}
	(void)time_format_display(cutoff, when);
	printf("pruned what is older than %s: %" PRIu64 " events, %" PRIu64 " alerts, %" PRIu64
	       " read cursors; %.1f MB given back\n",
	       when, p.events, p.alerts, p.cursors, (double)pages * 16384 / 1e6);
	return EXIT_DONE;
}

int cmd_store(int argc, char **argv)
{
	enum { O_OLDER = 256, O_BEFORE, O_VACUUM, O_WAIT };
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, O_OLDER },
		{ "before", required_argument, NULL, O_BEFORE },
		{ "vacuum", no_argument, NULL, O_VACUUM },
		{ "wait", required_argument, NULL, O_WAIT },
		{ 0 },
	};
	struct cli cl;
	const char *what;
	int64_t age = 90 * 86400 * INT64_C(1000000);
	int64_t before = INT64_MIN;
	bool vacuum = false, json = false, age_given = false;
	int wait_s = 600, c, ret;
	_cleanup_free_ char *dbpath = NULL, *err = NULL;
	_cleanup_(store_freep) struct store *s = NULL;

	cli_init(&cl, "store", usage, CLI_JSON | CLI_DB, "", opts, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_OLDER:
			if (cli_parse_age("--older-than", optarg, &age) < 0)
				return EXIT_USAGE;
			age_given = true;
			break;
		case O_BEFORE:
			if (cli_parse_time("--before", optarg, false, &before) < 0)
				return EXIT_USAGE;
			break;
		case O_VACUUM:
			vacuum = true;
			break;
		case O_WAIT: {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (!end || *end || end == optarg || v < -1 || v > 86400 * 7) {
				log_error("--wait: expected seconds (0 to fail at once, -1 to wait forever), not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			wait_s = (int)v;
			break;
		}
		}
	}
	json = cl.json;
	if (optind != argc - 1) {
		log_error(optind == argc ? "moat store: stats, prune or export?" : "moat store: one of stats, prune or export");
		usage(stderr);
		return EXIT_USAGE;
	}
	what = argv[optind];
	if (strcmp(what, "stats") != 0 && strcmp(what, "prune") != 0 && strcmp(what, "export") != 0) {
		static const char *const verbs[] = { "stats", "prune", "export" };
		char hint[64];
		if (cli_suggest(what, verbs, ELEMENTSOF(verbs), "", hint, sizeof(hint))[0])
			log_error("moat store: '%.64s' is not stats, prune or export (did you mean %s?)", what, hint);
		else
			log_error("moat store: '%.64s' is not stats, prune or export", what);
		return EXIT_USAGE;
	}
	if (before != INT64_MIN && (strcmp(what, "prune") != 0 || age_given)) {
		log_error(strcmp(what, "prune") != 0 ? "moat store: --before is for prune"
						      : "moat store prune: give --older-than or --before, not both");
		return EXIT_USAGE;
	}
	dbpath = cli_db_path(cl.db);
	if (!dbpath) {
		log_error("out of memory");
		return EXIT_USAGE;
	}
	if (strcmp(what, "stats") == 0 || strcmp(what, "export") == 0) {
		if (store_open_readonly(dbpath, &s, &err) < 0) {
			log_error("%s", err ? err : dbpath);
			return EXIT_USAGE;
		}
		(void)signal(SIGPIPE, SIG_IGN);
		return strcmp(what, "stats") == 0 ? do_stats(s, json) : do_export(s);
	}
	if (store_open(dbpath, &s, &err) < 0) {
		log_error("store %s: %s", dbpath, err ? err : "cannot open");
		return EXIT_USAGE;
	}
	if (store_lock(s, wait_s, on_wait, NULL) < 0) {
		log_error("%s", store_last_error(s));
		return EXIT_USAGE;
	}
	ret = do_prune(s, age, before, vacuum);
	return ret;
}
