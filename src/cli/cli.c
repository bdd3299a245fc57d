#include "cli/cli.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/alert.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "store/store.h"

/* the common options' getopt values, above any command's own */
enum { CLI_O_COLOR = 0x1000, CLI_O_UTC, CLI_O_JSON, CLI_O_DB };

static bool use_color(int fd)
{
	const char *term = getenv("TERM");
	if (getenv("NO_COLOR"))
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd);
}

char *cli_db_path(const char *explicit_path)
{
	if (explicit_path)
		return strdup(explicit_path);
	return store_default_path();
}

bool cli_color_valid(const char *when)
{
	if (strcmp(when, "auto") == 0 || strcmp(when, "always") == 0 || strcmp(when, "never") == 0)
		return true;
	log_error("--color: expected auto, always or never, not '%s'", when);
	return false;
}

bool cli_color_on(const char *when)
{
	return strcmp(when, "always") == 0 || (strcmp(when, "auto") == 0 && use_color(STDOUT_FILENO));
}

int cli_severity(const char *opt, const char *arg)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };
	char hint[64];
	int sev = severity_from_name(arg);
	if (sev >= 0)
		return sev;
	if (cli_suggest(arg, names, ELEMENTSOF(names), "", hint, sizeof(hint))[0])
		log_error("%s: '%.64s' is not a severity (low, medium, high, critical; did you mean %s?)", opt, arg, hint);
	else
		log_error("%s: '%.64s' is not a severity (low, medium, high, critical)", opt, arg);
	return -1;
}

int cli_fail_on_severity(const char *arg)
{
	return cli_severity("--fail-on", arg);
}

const char *cli_config_path(const char *explicit_path)
{
	if (!explicit_path && access(MOAT_SYSCONFDIR "/moat.yaml", R_OK) == 0)
		return MOAT_SYSCONFDIR "/moat.yaml";
	return explicit_path;
}

/* ---- the option parser ---- */

void cli_init(struct cli *c, const char *cmd, void (*usage)(FILE *f), unsigned flags, const char *shorts,
	      const struct option *own, int argc, char **argv)
{
	static const struct option common[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "color", optional_argument, NULL, CLI_O_COLOR },
		{ "utc", no_argument, NULL, CLI_O_UTC },
		{ "json", no_argument, NULL, CLI_O_JSON },
		{ "db", required_argument, NULL, CLI_O_DB },
	};
	size_t n = 0;
	bool stop = shorts && shorts[0] == '+';

	*c = (struct cli){ .cmd = cmd, .usage = usage, .flags = flags, .color = "auto", .argc = argc, .argv = argv };
	for (; own && own[n].name; n++) {
		assert(n < CLI_OPTS_MAX - ELEMENTSOF(common) - 1);
		c->all[n] = own[n];
	}
	size_t n_own = n;
	for (size_t i = 0; i < ELEMENTSOF(common); i++) {
		bool taken = false;
		if ((common[i].val == CLI_O_JSON && !(flags & CLI_JSON)) || (common[i].val == CLI_O_DB && !(flags & CLI_DB)))
			continue;
		for (size_t k = 0; k < n_own && !taken; k++)
			taken = strcmp(own[k].name, common[i].name) == 0;
		if (!taken)
			c->all[n++] = common[i];
	}
	c->all[n] = (struct option){ 0 };
	/* ':' first: a missing value is told apart from an unknown option */
	(void)snprintf(c->shortopts, sizeof(c->shortopts), "%s:%sh", stop ? "+" : "", shorts ? shorts + stop : "");
	optind = 0; /* glibc: start afresh, reading '+' again */
	opterr = 0;
}

/* The long option arg ("--name[=value]") names, exactly or as the only
 * option it abbreviates; NULL when none. */
static const struct option *long_named(const struct cli *c, const char *arg)
{
	const struct option *found = NULL;
	size_t n = strcspn(arg + 2, "=");
	for (const struct option *o = c->all; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (o->name[n] == '\0')
			return o;
		found = found ? c->all + CLI_OPTS_MAX - 1 : o; /* two: ambiguous */
	}
	return found == c->all + CLI_OPTS_MAX - 1 ? NULL : found;
}

/* The option as typed, without "=value": "--colr", "-x". getopt says
 * which in optopt (0: an unknown long option; else the option's value)
 * and leaves a long option at argv[optind - 1]; a short one may sit in
 * the middle of a cluster ("-qx"), so that element is trusted only when
 * it is the long option of that value. */
static void typed_option(const struct cli *c, char *buf, size_t size)
{
	const char *arg = optind >= 1 && optind - 1 < c->argc ? c->argv[optind - 1] : "";
	bool is_long = arg[0] == '-' && arg[1] == '-' && arg[2];
	if (is_long && optopt) {
		const struct option *o = long_named(c, arg);
		is_long = o && o->val == optopt;
	}
	if (!is_long) {
		(void)snprintf(buf, size, "-%c", optopt > 32 && optopt < 127 ? optopt : '?');
		return;
	}
	size_t n = strcspn(arg, "=");
	(void)snprintf(buf, size, "%.*s", (int)MIN(n, (size_t)64), arg);
}

static int cli_fail(struct cli *c)
{
	fprintf(stderr, "Run 'moat %s --help' for its options and examples.\n", c->cmd);
	c->exit = EXIT_USAGE;
	return CLI_STOP;
}

static int bad_option(struct cli *c, int code)
{
	char typed[80], buf[256];
	const char *names[CLI_OPTS_MAX];
	size_t n = 0;

	typed_option(c, typed, sizeof(typed));
	if (code == ':') {
		log_error("%s needs a value", typed);
		return cli_fail(c);
	}
	if (typed[1] == '-' && optopt && long_named(c, typed)) {
		log_error("%s takes no value", typed);
		return cli_fail(c);
	}
	if (typed[1] == '-') {
		for (const struct option *o = c->all; o->name; o++)
			names[n++] = o->name;
		if (strcmp(typed, "--json") == 0 || strcmp(typed, "--db") == 0) {
			log_error("'moat %s' has no %s option", c->cmd, typed);
			return cli_fail(c);
		}
		(void)cli_suggest(typed + 2, names, n, "--", buf, sizeof(buf));
	} else {
		buf[0] = '\0';
	}
	if (buf[0])
		log_error("unknown option '%s' (did you mean %s?)", typed, buf);
	else
		log_error("unknown option '%s'", typed);
	return cli_fail(c);
}

int cli_next(struct cli *c)
{
	for (;;) {
		int ch = getopt_long(c->argc, c->argv, c->shortopts, c->all, NULL);
		switch (ch) {
		case -1:
			return CLI_END;
		case 'h':
			c->usage(stdout);
			c->exit = EXIT_DONE;
			return CLI_STOP;
		case CLI_O_COLOR: {
			/* --color=WHEN, --color WHEN; --color last or before
			 * another option: always (as ls and grep) */
			const char *when = optarg;
			if (!when && optind < c->argc && c->argv[optind][0] != '-')
				when = c->argv[optind++];
			if (!when)
				when = "always";
			if (!cli_color_valid(when))
				return cli_fail(c);
			c->color = when;
			break;
		}
		case CLI_O_UTC:
			time_display_utc(true);
			break;
		case CLI_O_JSON:
			c->json = true;
			break;
		case CLI_O_DB:
			if (!*optarg) {
				log_error("--db needs a path");
				return cli_fail(c);
			}
			c->db = optarg;
			break;
		case '?':
		case ':':
			return bad_option(c, ch);
		default:
			return ch;
		}
	}
}

/* ---- did you mean ---- */

size_t cli_distance(const char *a, const char *b, size_t max)
{
	size_t na = strlen(a), nb = strlen(b);
	/* three rows of the optimal-string-alignment table; names are short */
	size_t rows[3][65], *pp = rows[0], *prev = rows[1], *cur = rows[2];
	if (na > 64 || nb > 64)
		return max + 1;
	if ((na > nb ? na - nb : nb - na) > max)
		return max + 1;
	for (size_t j = 0; j <= nb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t best;
		cur[0] = best = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = MIN(MIN(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = MIN(v, pp[j - 2] + 1);
			cur[j] = v;
			best = MIN(best, v);
		}
		if (best > max)
			return max + 1;
		size_t *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return MIN(prev[nb], max + 1);
}

char *cli_suggest(const char *word, const char *const *names, size_t n, const char *prefix, char *buf, size_t size)
{
	/* a third of the word's length, at least one edit, at most three */
	size_t len = strlen(word), max = MIN(MAX(len / 3, (size_t)1), (size_t)3), k = 0, pos = 0;
	struct {
		const char *name;
		size_t d;
	} best[4];

	buf[0] = '\0';
	if (!len)
		return buf;
	for (size_t i = 0; i < n; i++) {
		size_t d = strncmp(names[i], word, len) == 0 ? 0 : cli_distance(word, names[i], max);
		if (d > max)
			continue;
		/* keep the three closest, in order (ties: as listed) */
		size_t at = k;
		while (at > 0 && best[at - 1].d > d)
			at--;
		if (at >= 3)
			continue;
		memmove(&best[at + 1], &best[at], (MIN(k, (size_t)3) - at) * sizeof(best[0]));
		best[at].name = names[i];
		best[at].d = d;
		k = MIN(k + 1, (size_t)3);
	}
	for (size_t i = 0; i < k && pos < size; i++) {
		int w = snprintf(buf + pos, size - pos, "%s%s%s", i == 0 ? "" : i + 1 == k ? " or " : ", ", prefix,
				 best[i].name);
		if (w < 0)
			break;
		pos += (size_t)w;
	}
	return buf;
}

/* ---- times ---- */

int64_t cli_now(void)
{
	const char *fixed = getenv("MOAT_NOW");
	int64_t t;
	struct timespec ts;
	if (fixed && time_parse_rfc3339(fixed, &t) == 0)
		return t;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int cli_parse_time(const char *opt, const char *arg, bool until, int64_t *ret_us)
{
	int r = time_parse_when(arg, cli_now(), until, ret_us);
	if (r < 0) {
		log_error("%s: '%s' is not a time: give a date or time (2026-12-07, '2026-12-07 14:00', "
			  "2026-12-07T14:00:00Z; without a zone it is %s), an age (30m, 2h, 3d, 1w), today or yesterday",
			  opt, arg, time_display_is_utc() ? "UTC (--utc)" : "local time");
		return -EINVAL;
	}
	return 0;
}

struct store *cli_store_read(const char *dbpath)
{
	struct store *st = NULL;
	_cleanup_free_ char *err = NULL;
	int r = store_open_readonly(dbpath, &st, &err);
	if (r == -ENOENT)
		log_error("no store at %s: scan logs first (moat scan /var/log/auth.log*), or use --db PATH", dbpath);
	else if (r < 0)
		log_error("%s", err ? err : strerror(-r));
	return r < 0 ? NULL : st;
}
