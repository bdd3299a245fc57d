/* moat scan: read auth logs, decode, detect, print explained alerts. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config.h"
#include "core/log.h"
#include "detect/detect.h"
#include "parse/decoder.h"
#include "parse/header.h"
#include "report/output.h"
#include "source/source.h"
#include "store/store.h"

struct scan {
	struct output_opts out;
	bool events; /* --events: print every decoded event instead of alerts */
	int fail_on; /* severity, or -1 */
	struct header_ctx *hdr;
	struct store *store;
	struct detect *det;
	uint64_t n_lines, n_syslog, n_events, n_alerts, n_store_errors;
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
	      "or /var/log/secure*. Scanning the same bytes twice adds nothing twice.\n"
	      "\n"
	      "Options:\n"
	      "  --json             one JSON object per alert (or event) per line\n"
	      "  --events           print every decoded event instead of alerts\n"
	      "  --fail-on SEV      exit 1 when an alert of severity SEV or higher is raised\n"
	      "                     (low, medium, high, critical)\n"
	      "  --db PATH          the store (default: $MOAT_DB, ~/.local/state/moat/moat.db,\n"
	      "                     /var/lib/moat/moat.db for root)\n"
	      "  --no-store         keep nothing: no baselines, no cursors, read everything\n"
	      "  --config FILE      detector thresholds (YAML; default: " MOAT_SYSCONFDIR "/moat.yaml\n"
	      "                     when present, else built-in defaults equal to rules/moat.yaml)\n"
	      "  --tz ZONE          time zone of zone-less timestamps (default: local)\n"
	      "  --color WHEN       auto (default), always, never\n"
	      "  -q, --quiet        no summary on stderr\n"
	      "  -h, --help         this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat scan                              # this host's auth logs\n"
	      "  moat scan /var/log/auth.log.2.gz      # one rotated file\n"
	      "  journalctl -o json -u ssh | moat scan -\n"
	      "  moat scan --json --fail-on high logs/ | jq .\n"
	      "\n"
	      "Exit status: 0 done, 1 an alert at or above --fail-on, 2 bad usage or\n"
	      "unreadable input.\n",
	      f);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void emit(void *ud, struct alert *a)
{
	struct scan *s = ud;
	s->n_alerts++;
	if ((int)a->severity > s->max_severity)
		s->max_severity = (int)a->severity;
	if (s->store && store_add_alert(s->store, a) < 0)
		s->n_store_errors++;
	if (!s->events)
		output_alert(stdout, &s->out, a);
	alert_free(a);
}

static int on_line(void *ud, const char *line, size_t len, uint32_t flags, const struct origin *o)
{
	struct scan *s = ud;
	struct syslog_header h;
	struct event local, *ev = detect_slot(s->det);

	if (!ev)
		ev = &local;
	s->n_lines++;
	if (header_parse(s->hdr, line, len, &h) <= 0)
		return 0;
	s->n_syslog++;
	if (decode(&h, ev) <= 0)
		return 0;
	ev->origin = *o;
	ev->flags |= flags;
	s->n_events++;
	if (s->events)
		output_event(stdout, &s->out, ev);
	if (s->store && store_add_event(s->store, ev) < 0)
		s->n_store_errors++;
	/* the line stays as it is until on_release: the look-ahead keeps
	 * its pieces without copying them (and needs not look at them when
	 * the header's views, which the decoders' come from, are in the line:
	 * not so for journal JSON, unescaped elsewhere) */
	if (ev != &local && h.in_line)
		detect_feed_slot(s->det, line, len);
	else
		detect_feed_from(s->det, ev, line, len);
	return 0;
}

static void on_release(void *ud)
{
	struct scan *s = ud;
	detect_flush(s->det);
}

static void on_progress(void *ud, const struct source_input *in, uint64_t done)
{
	struct scan *s = ud;
	double t = now_s();
	if (!s->progress || t - s->last_progress < 0.2)
		return;
	s->last_progress = t;
	s->progress_shown = true;
	if (in->size)
		fprintf(stderr, "\r\033[Kreading %s: %3.0f%% (%.1f of %.1f MB)", in->path,
			100.0 * (double)done / (double)in->size, (double)done / 1e6, (double)in->size / 1e6);
	else
		fprintf(stderr, "\r\033[Kreading %s: %.1f MB", in->path, (double)done / 1e6);
}

int cmd_scan(int argc, char **argv)
{
	enum { O_JSON = 256, O_EVENTS, O_FAIL_ON, O_DB, O_NO_STORE, O_CONFIG, O_TZ, O_COLOR };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "events", no_argument, NULL, O_EVENTS },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "db", required_argument, NULL, O_DB },
		{ "no-store", no_argument, NULL, O_NO_STORE },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "tz", required_argument, NULL, O_TZ },
		{ "color", required_argument, NULL, O_COLOR },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct scan s = { .fail_on = -1, .max_severity = -1 };
	const char *db = NULL, *config = NULL, *tz = NULL, *color = "auto";
	bool no_store = false, quiet = false;
	struct source_list inputs = { 0 };
	struct detect_config *cfg = NULL;
	char *err = NULL, *dbpath = NULL;
	int c, r, ret = EXIT_USAGE;
	struct source_stats st = { 0 };
	uint64_t n_inputs_read = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_JSON:
			s.out.json = true;
			break;
		case O_EVENTS:
			s.events = true;
			break;
		case O_FAIL_ON:
			s.fail_on = cli_fail_on_severity(optarg);
			if (s.fail_on < 0)
				return EXIT_USAGE;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_NO_STORE:
			no_store = true;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_TZ:
			tz = optarg;
			break;
		case O_COLOR:
			if (!cli_color_valid(optarg))
				return EXIT_USAGE;
			color = optarg;
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
	s.out.color = !s.out.json && cli_color_on(color);
	s.progress = !quiet && isatty(STDERR_FILENO);

	/* the installed config file, when present, unless --config names another */
	config = cli_config_path(config);
	r = detect_config_load(config, &cfg, &err);
	if (r < 0) {
		log_error("%s", err ? err : "cannot load the configuration");
		goto out;
	}
	if (optind == argc && getenv("MOAT_ROOT"))
		/* tests point the default log paths at a temporary root */
		r = source_expand_default(getenv("MOAT_ROOT"), &inputs, &err);
	else
		r = source_expand(argv + optind, (size_t)(argc - optind), &inputs, &err);
	if (r < 0) {
		log_error("%s", err ? err : "cannot read the inputs");
		goto out;
	}
	for (size_t i = 0; i < inputs.n_warnings; i++)
		log_warning("%s", inputs.warnings[i]);
	if (inputs.n == 0) {
		log_error("no auth logs found: neither /var/log/auth.log* nor /var/log/secure* exists here\n"
			  "  (this host may log only to the journal: try 'journalctl -o json | moat scan -').\n"
			  "  Point moat at logs with 'moat scan FILE|DIR|-', or try the bundled sample:\n"
			  "  moat scan %s/samples/auth.log",
			  access(MOAT_SOURCE_ROOT "/samples/auth.log", R_OK) == 0 ? MOAT_SOURCE_ROOT : MOAT_DATADIR);
		goto out;
	}
	s.hdr = header_ctx_new(tz);
	if (!s.hdr) {
		log_error("--tz: unknown time zone '%s'", tz ? tz : "");
		goto out;
	}
	if (!no_store) {
		dbpath = cli_db_path(db);
		if (!dbpath) {
			log_error("out of memory");
			goto out;
		}
		r = store_open(dbpath, &s.store, &err);
		if (r < 0) {
			log_error("store %s: %s (use --db PATH, or --no-store)", dbpath, err ? err : strerror(-r));
			goto out;
		}
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
	s.det = detect_new(cfg, s.store, (struct alert_sink){ emit, &s });
	if (!s.det) {
		log_error("out of memory");
		goto out;
	}
	/* judge each event 16 lines late: their state loads meanwhile (with
	 * the detectors' batches, 16 beat 32 on the bench file: fewer loads
	 * in flight at once) */
	detect_set_lookahead(s.det, 16);

	ret = EXIT_DONE;
	for (size_t i = 0; i < inputs.n; i++) {
		struct source_opts so = {
			.store = s.store,
			.on_line = on_line,
			.on_progress = on_progress,
			.on_release = on_release,
			.userdata = &s,
		};
		header_ctx_set_mtime(s.hdr, inputs.v[i].mtime_s);
		if (s.store)
			(void)store_begin(s.store);
		free(err);
		err = NULL;
		r = source_read(&inputs.v[i], &so, &st, &err);
		detect_flush(s.det); /* this input's alerts in this input's transaction */
		if (s.store && store_commit(s.store) < 0)
			s.n_store_errors++;
		if (r < 0) {
			if (s.progress_shown)
				fputs("\r\033[K", stderr);
			log_error("%s", err ? err : inputs.v[i].path);
			ret = EXIT_USAGE;
			continue;
		}
		n_inputs_read++;
	}
	if (s.progress_shown)
		fputs("\r\033[K", stderr);
	if (s.store)
		(void)store_begin(s.store);
	r = detect_finish(s.det);
	if (s.store && store_commit(s.store) < 0)
		s.n_store_errors++;
	if (r < 0)
		log_error_errno(r, "cannot save baselines");
	fflush(stdout);

	if (!quiet) {
		struct detect_stats ds;
		detect_get_stats(s.det, &ds);
		fprintf(stderr,
			"moat: %" PRIu64 " file%s, %" PRIu64 " lines (%.1f MB), %" PRIu64
			" events decoded, %" PRIu64 " alert%s",
			n_inputs_read, n_inputs_read == 1 ? "" : "s", st.lines, (double)st.bytes / 1e6,
			s.n_events, s.n_alerts, s.n_alerts == 1 ? "" : "s");
		if (s.n_lines > s.n_syslog)
			fprintf(stderr, "; %" PRIu64 " lines were not syslog lines", s.n_lines - s.n_syslog);
		if (st.truncated_lines)
			fprintf(stderr, "; %" PRIu64 " overlong lines cut", st.truncated_lines);
		if (st.skipped_bytes)
			fprintf(stderr, "; %.1f MB already scanned earlier, skipped", (double)st.skipped_bytes / 1e6);
		if (ds.evictions)
			fprintf(stderr, "; %" PRIu64 " tracked entries evicted (tables full)", ds.evictions);
		fputc('\n', stderr);
	}
	if (s.n_store_errors)
		log_warning("%" PRIu64 " records could not be written to the store", s.n_store_errors);
	if (ret == EXIT_DONE && s.fail_on >= 0 && s.max_severity >= s.fail_on)
		ret = EXIT_FINDING;
out:
	detect_free(s.det);
	store_free(s.store);
	header_ctx_free(s.hdr);
	detect_config_free(cfg);
	source_list_free(&inputs);
	free(err);
	free(dbpath);
	return ret;
}
