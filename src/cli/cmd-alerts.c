/* moat alerts: the alerts earlier scans stored, filtered, as the scan
 * prints them. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alert.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "report/output.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fputs("usage: moat alerts [OPTIONS]\n"
	      "\n"
	      "Shows the alerts 'moat scan' stored, oldest first, as the scan printed them:\n"
	      "a second scan of the same logs raises nothing new, and this is where the\n"
	      "alerts of every earlier run are found again.\n"
	      "\n"
	      "Filters (all must match):\n"
	      "  --since TIME       alerts still active at or after TIME (their last event)\n"
	      "  --until TIME       alerts that began at or before TIME (a date alone: the\n"
	      "                     end of that day)\n"
	      "                     TIME: 2026-12-07, '2026-12-07 14:00', 2026-12-07T14:00:00Z\n"
	      "                     (without a zone: the zone shown, local unless --utc),\n"
	      "                     an age before now (30m, 2h, 3d, 1w), today, yesterday\n"
	      "  --kind KIND        this kind only (repeat, or separate with commas):\n",
	      f);
	/* the kinds a scan raises (the exception kinds are moat exception's) */
	size_t col = 21;
	bool first = true;
	fputs("                     ", f);
	for (int k = 0; k < AK_MAX; k++) {
		const char *name = alert_kind_name((enum alert_kind)k);
		if (strncmp(name, "exception_", 10) == 0)
			continue;
		if (!first)
			fputc(',', f);
		if (!first && col + strlen(name) + 2 > 78) {
			fputs("\n                     ", f);
			col = 21;
		} else if (!first) {
			fputc(' ', f);
			col += 2;
		}
		fputs(name, f);
		col += strlen(name);
		first = false;
	}
	fputs("\n"
	      "  --min-severity SEV low, medium, high or critical and above\n"
	      "  --user NAME        about this account\n"
	      "  --source ADDR      from this address, or from a network (203.0.113.0/24)\n"
	      "  --host NAME        on this host (as its logs name it)\n"
	      "\n"
	      "Options:\n"
	      "  --fail-on SEV      exit 1 when an alert shown is of severity SEV or higher\n"
	      "  --json             one JSON object per alert per line, as 'moat scan --json'\n"
	      "                     writes them (times in RFC 3339, UTC)\n"
	      "  --db PATH          the store (default: $MOAT_DB, ~/.local/state/moat/moat.db,\n"
	      "                     /var/lib/moat/moat.db for root)\n"
	      "  --utc              show times in UTC (default: the local zone, named)\n"
	      "  --color WHEN       auto (default), always, never\n"
	      "  -q, --quiet        no summary on stderr\n"
	      "  -h, --help         this help\n"
	      "\n"
	      "Examples:\n"
	      "  moat alerts                                  # everything stored\n"
	      "  moat alerts --since yesterday --min-severity high\n"
	      "  moat alerts --since 2h --kind brute_force,password_spray\n"
	      "  moat alerts --source 203.0.113.0/24 --json | jq .why\n"
	      "  moat alerts --since today --fail-on high || page-the-admin\n"
	      "\n"
	      "Exit status: 0 done (also when no alert matches), 1 an alert shown is at or\n"
	      "above --fail-on, 2 bad usage or a store that cannot be read.\n",
	      f);
}

struct shown {
	struct output_opts out;
	uint32_t kinds; /* bit per enum alert_kind; 0: any */
	const char *host;
	bool have_net;
	struct addr net;
	unsigned prefix;
	uint64_t n, by_sev[SEV_MAX], unknown;
	int max_severity;
	int err;
};

/* The stored form (JSON arrays of reasons and evidence) back into the
 * struct the scan printed. */
static int to_alert(const struct stored_alert *sa, struct alert **ret)
{
	int kind = alert_kind_from_name(sa->kind), sev = severity_from_name(sa->severity);
	_cleanup_(alert_freep) struct alert *a = NULL;
	json_t *why, *ev;
	size_t i;
	json_t *v;

	if (kind < 0 || sev < 0)
		return 0;
	a = alert_new((enum alert_kind)kind, (enum severity)sev);
	if (!a || alert_set_host(a, sv_cstr(sa->host)) < 0 || alert_set_user(a, sv_cstr(sa->user)) < 0)
		return -ENOMEM;
	if (sa->source[0])
		(void)addr_parse(sv_cstr(sa->source), &a->source);
	a->first_us = sa->first_us;
	a->last_us = sa->last_us;
	a->count = sa->count;
	why = json_loads(sa->why_json, 0, NULL);
	json_array_foreach(why, i, v)
		if (json_is_string(v) && alert_add_why(a, "%s", json_string_value(v)) < 0) {
			json_decref(why);
			return -ENOMEM;
		}
	json_decref(why);
	ev = json_loads(sa->evidence_json, 0, NULL);
	json_array_foreach(ev, i, v) {
		const char *file = json_string_value(json_object_get(v, "file"));
		json_int_t line = json_integer_value(json_object_get(v, "line"));
		struct origin o = { .file = file ? file : "-", .line = line > 0 ? (uint64_t)line : 0 };
		if (alert_add_evidence(a, &o) < 0) {
			json_decref(ev);
			return -ENOMEM;
		}
	}
	json_decref(ev);
	a->evidence_total = MAX(sa->evidence_total, (uint64_t)a->n_evidence);
	*ret = TAKE_PTR(a);
	return 1;
}

static int show(void *ud, const struct stored_alert *sa)
{
	struct shown *s = ud;
	struct alert *a = NULL;
	int kind = alert_kind_from_name(sa->kind);

	if (s->kinds && (kind < 0 || !(s->kinds & (1u << kind))))
		return 0;
	if (s->host && strcmp(s->host, sa->host) != 0)
		return 0;
	if (s->have_net) {
		struct addr src;
		if (!sa->source[0] || addr_parse(sv_cstr(sa->source), &src) != 1 || src.family != s->net.family)
			return 0;
		struct addr m = addr_mask(&src, s->prefix);
		if (!addr_equal(&m, &s->net))
			return 0;
	}
	int r = to_alert(sa, &a);
	if (r < 0)
		return r;
	if (r == 0) {
		/* stored by a moat that knows more kinds: said in the summary */
		s->unknown++;
		return 0;
	}
	output_alert(stdout, &s->out, a);
	s->n++;
	s->by_sev[a->severity]++;
	if ((int)a->severity > s->max_severity)
		s->max_severity = (int)a->severity;
	alert_free(a);
	return ferror(stdout) ? -EIO : 0;
}

/* --kind a,b: bits of the kinds named; -1 (said) when one is unknown. */
static int parse_kinds(const char *arg, uint32_t *kinds)
{
	const char *names[AK_MAX];
	char buf[64], hint[160];
	for (int k = 0; k < AK_MAX; k++)
		names[k] = alert_kind_name((enum alert_kind)k);
	for (const char *p = arg; *p;) {
		size_t n = strcspn(p, ",");
		int k;
		if (n == 0 || n >= sizeof(buf)) {
			log_error("--kind: '%s' is not a list of kinds", arg);
			return -1;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		for (char *c = buf; *c; c++)
			if (*c == '-')
				*c = '_'; /* brute-force: the same */
		k = alert_kind_from_name(buf);
		if (k < 0) {
			if (cli_suggest(buf, names, AK_MAX, "", hint, sizeof(hint))[0])
				log_error("--kind: '%s' is not a kind of alert (did you mean %s?)", buf, hint);
			else
				log_error("--kind: '%s' is not a kind of alert (moat alerts --help lists them)", buf);
			return -1;
		}
		*kinds |= 1u << k;
		p += n + (p[n] == ',');
	}
	return 0;
}

int cmd_alerts(int argc, char **argv)
{
	enum { O_SINCE = 256, O_UNTIL, O_KIND, O_MIN_SEV, O_USER, O_SOURCE, O_HOST, O_FAIL_ON };
	static const struct option opts[] = {
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "kind", required_argument, NULL, O_KIND },
		{ "min-severity", required_argument, NULL, O_MIN_SEV },
		{ "user", required_argument, NULL, O_USER },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "host", required_argument, NULL, O_HOST },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	struct alert_filter f = { .since_us = INT64_MIN, .until_us = INT64_MAX };
	struct shown s = { .max_severity = -1 };
	struct cli cl;
	int fail_on = -1, c, r;
	bool quiet = false;
	_cleanup_free_ char *dbpath = NULL;
	_cleanup_(store_freep) struct store *st = NULL;

	cli_init(&cl, "alerts", usage, CLI_JSON | CLI_DB, "q", opts, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_SINCE:
			if (cli_parse_time("--since", optarg, false, &f.since_us) < 0)
				return EXIT_USAGE;
			break;
		case O_UNTIL:
			if (cli_parse_time("--until", optarg, true, &f.until_us) < 0)
				return EXIT_USAGE;
			break;
		case O_KIND:
			if (parse_kinds(optarg, &s.kinds) < 0)
				return EXIT_USAGE;
			break;
		case O_MIN_SEV:
			f.min_severity = cli_severity("--min-severity", optarg);
			if (f.min_severity < 0)
				return EXIT_USAGE;
			break;
		case O_USER:
			if (!*optarg) {
				log_error("--user needs a name");
				return EXIT_USAGE;
			}
			f.user = optarg;
			break;
		case O_SOURCE: {
			long slash = sv_chr(sv_cstr(optarg), '/');
			unsigned long long prefix;
			struct sv a = slash >= 0 ? sv_make(optarg, (size_t)slash) : sv_cstr(optarg);
			if (addr_parse(a, &s.net) != 1 ||
			    (slash >= 0 && (sv_to_u64(sv_cstr(optarg + slash + 1), s.net.family == ADDR_V4 ? 32 : 128,
						      &prefix) < 0 || !optarg[slash + 1]))) {
				log_error("--source: '%s' is not an address or a network (203.0.113.7, 203.0.113.0/24)",
					  optarg);
				return EXIT_USAGE;
			}
			s.prefix = slash >= 0 ? (unsigned)prefix : s.net.family == ADDR_V4 ? 32 : 128;
			s.net = addr_mask(&s.net, s.prefix);
			s.have_net = true;
			break;
		}
		case O_HOST:
			s.host = optarg;
			break;
		case O_FAIL_ON:
			fail_on = cli_fail_on_severity(optarg);
			if (fail_on < 0)
				return EXIT_USAGE;
			break;
		case 'q':
			quiet = true;
			break;
		}
	}
	if (optind < argc) {
		log_error("moat alerts: unexpected argument '%.64s' (filters are options: --user NAME, --source ADDR, "
			  "--kind KIND …)",
			  argv[optind]);
		return EXIT_USAGE;
	}
	if (f.since_us > f.until_us) {
		log_error("--since is after --until");
		return EXIT_USAGE;
	}
	s.out.json = cl.json;
	s.out.color = !cl.json && cli_color_on(cl.color);

	dbpath = cli_db_path(cl.db);
	if (!dbpath) {
		log_error("out of memory");
		return EXIT_USAGE;
	}
	st = cli_store_read(dbpath);
	if (!st)
		return EXIT_USAGE;
	(void)signal(SIGPIPE, SIG_IGN);
	r = store_query_alerts(st, &f, show, &s);
	if (r < 0 || fflush(stdout) != 0 || ferror(stdout)) {
		if (r == -EIO || r >= 0)
			log_error("cannot write the output: %s", strerror(errno ? errno : EIO));
		else if (r == -ENOMEM)
			log_error("out of memory");
		else
			log_error("%s: %s", dbpath, store_last_error(st));
		return EXIT_USAGE;
	}
	if (!quiet) {
		bool filtered = f.since_us != INT64_MIN || f.until_us != INT64_MAX || s.kinds || f.min_severity ||
				f.user || s.have_net || s.host;
		fprintf(stderr, "moat: %" PRIu64 " alert%s", s.n, s.n == 1 ? "" : "s");
		if (s.n) {
			const char *sep = " (";
			for (int k = SEV_MAX - 1; k >= 0; k--)
				if (s.by_sev[k]) {
					fprintf(stderr, "%s%" PRIu64 " %s", sep, s.by_sev[k], severity_name((enum severity)k));
					sep = ", ";
				}
			fputc(')', stderr);
		}
		fprintf(stderr, "%s in the store ", filtered ? " matching" : "");
		escape_text(stderr, sv_cstr(dbpath), 0);
		if (s.unknown)
			fprintf(stderr, "; %" PRIu64 " of kinds this moat does not know (stored by a newer one), not shown",
				s.unknown);
		if (!s.n && !filtered)
			fputs(" (scan logs first: moat scan /var/log/auth.log*)", stderr);
		fputc('\n', stderr);
	}
	return fail_on >= 0 && s.max_severity >= fail_on ? EXIT_FINDING : EXIT_DONE;
}
