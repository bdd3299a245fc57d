/* trace output: text for a person, one JSON object for a program.
 * Every string that came from a log line goes through core/escape. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "trace/trace-internal.h"
#include "trace/trace.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[1;31m"
#define C_YELLOW "\033[33m"
#define C_GREEN "\033[32m"

/* Longest attacker string shown in text. */
#define TEXT_MAX 200
/* Longest verdict shown: a verdict is read whole (the attacker text in it,
 * a sudo command, is a part of it). */
#define VERDICT_TEXT_MAX 2000
/* Events outside sessions listed in text before "… and N more". */
#define OUTSIDE_TEXT_MAX 50

struct out {
	FILE *f;
	bool color;
};

static const char *c(const struct out *o, const char *code)
{
	return o->color ? code : "";
}

static void put_text(FILE *f, const char *s)
{
	escape_text(f, sv_cstr(s), TEXT_MAX);
}

static const char *by_name(enum trace_by by)
{
	switch (by) {
	case TRACE_USER:
		return "user";
	case TRACE_SOURCE:
		return "source";
	case TRACE_RECENT:
		return "recent";
	default:
		return "session";
	}
}

/* --- text ------------------------------------------------------------ */

static const char *event_color(const struct out *o, const struct trace_event *e)
{
	switch (e->kind) {
	case EV_SUDO_COMMAND:
	case EV_SU_SUCCESS:
	case EV_ACCOUNT_CHANGE:
	case EV_KEY_CHANGE:
		return c(o, C_RED);
	case EV_AUTH_FAILURE:
	case EV_INVALID_USER:
	case EV_USER_NOT_ALLOWED:
	case EV_ROOT_REFUSED:
	case EV_MAX_AUTH:
	case EV_SUDO_FAILURE:
	case EV_SUDO_REFUSED:
	case EV_SU_FAILURE:
		return c(o, C_YELLOW);
	default:
		return "";
	}
}

static void from_words(FILE *f, const struct trace_event *e)
{
	if (e->source[0] || e->source_name[0]) {
		fputs(" from ", f);
		put_text(f, e->source[0] ? e->source : e->source_name);
		if (e->port)
			fprintf(f, " port %u", e->port);
	}
}

/* One event as words: "accepted publickey for alice from 203.0.113.7 …". */
static void event_words(FILE *f, const struct trace_event *e)
{
	const char *m = auth_method_name(e->method);
	switch (e->kind) {
	case EV_AUTH_SUCCESS:
		fprintf(f, "login accepted (%s) for ", m[0] ? m : "unknown method");
		put_text(f, e->user);
		from_words(f, e);
		if (e->key_fp[0]) {
			fputs(" key ", f);
			put_text(f, e->key_type);
			fputc(' ', f);
			put_text(f, e->key_fp);
		}
		break;
	case EV_AUTH_FAILURE:
		fprintf(f, "failed %s for %s", m[0] ? m : "login", e->flags & EVF_INVALID_USER ? "invalid user " : "");
		put_text(f, e->user);
		from_words(f, e);
		break;
	case EV_INVALID_USER:
		fputs("invalid user ", f);
		put_text(f, e->user);
		from_words(f, e);
		break;
	case EV_USER_NOT_ALLOWED:
		fputs("user ", f);
		put_text(f, e->user);
		fputs(" not allowed", f);
		from_words(f, e);
		break;
	case EV_ROOT_REFUSED:
		fputs("root login refused", f);
		from_words(f, e);
		break;
	case EV_MAX_AUTH:
		fputs("too many authentication attempts for ", f);
		put_text(f, e->user);
		from_words(f, e);
		break;
	case EV_SESSION_OPEN:
		fputs("session opened for ", f);
		put_text(f, e->user);
		break;
	case EV_SESSION_CLOSE:
		fputs("session closed for ", f);
		put_text(f, e->user);
		break;
	case EV_DISCONNECT:
		fputs("disconnected", f);
		if (e->user[0]) {
			fputs(" user ", f);
			put_text(f, e->user);
		}
		from_words(f, e);
		break;
	case EV_SUDO_COMMAND:
		fputs("sudo by ", f);
		put_text(f, e->user);
		fputs(" as ", f);
		put_text(f, e->target[0] ? e->target : "root");
		if (e->tty[0]) {
			fputs(" on ", f);
			put_text(f, e->tty);
		}
		fputs(": ", f);
		put_text(f, e->command);
		break;
	case EV_SUDO_FAILURE:
		fputs("sudo wrong password by ", f);
		put_text(f, e->user);
		if (e->count > 1)
			fprintf(f, " (%u attempts)", e->count);
		break;
	case EV_SUDO_REFUSED:
		fputs("sudo REFUSED for ", f);
		put_text(f, e->user);
		if (e->command[0]) {
			fputs(": ", f);
			put_text(f, e->command);
		}
		break;
	case EV_SU_SUCCESS:
		fputs("su to ", f);
		put_text(f, e->target[0] ? e->target : "root");
		fputs(" by ", f);
		put_text(f, e->user);
		break;
	case EV_SU_FAILURE:
		fputs("su to ", f);
		put_text(f, e->target[0] ? e->target : "root");
		fputs(" FAILED by ", f);
		put_text(f, e->user);
		break;
	case EV_ACCOUNT_CHANGE:
	case EV_KEY_CHANGE:
		trace_change_words(f, e, put_text);
		break;
	case EV_LOGIND_NEW:
		fputs("logind session ", f);
		put_text(f, e->detail);
		fputs(" started for ", f);
		put_text(f, e->user);
		break;
	case EV_LOGIND_REMOVED:
		fputs("logind session ", f);
		put_text(f, e->detail);
		fputs(" removed", f);
		break;
	default:
		fputs(event_kind_name(e->kind), f);
		if (e->user[0]) {
			fputs(" ", f);
			put_text(f, e->user);
		}
		from_words(f, e);
		break;
	}
	if (e->tty[0] && e->kind != EV_SUDO_COMMAND) {
		fputs(" (", f);
		put_text(f, e->tty);
		fputc(')', f);
	}
	if (e->detail[0] && e->kind != EV_KEY_CHANGE && e->kind != EV_LOGIND_NEW && e->kind != EV_LOGIND_REMOVED) {
		fputs(" [", f);
		put_text(f, e->detail);
		fputc(']', f);
	}
}

static void event_line_note(const struct out *o, const char *indent, const struct trace_event *e, const char *note)
{
	char tb[TIME_DISPLAY_STRLEN];
	FILE *f = o->f;
	fprintf(f, "%s%s%s%s  ", indent, c(o, C_DIM), time_format_display(e->time_us, tb), c(o, C_RESET));
	put_text(f, e->program[0] ? e->program : "?");
	if (e->pid >= 0)
		fprintf(f, "[%" PRId32 "]", e->pid);
	fputs("  ", f);
	fputs(event_color(o, e), f);
	event_words(f, e);
	fputs(c(o, C_RESET), f);
	if (e->n_sessions > 1)
		fputs(" (also in another session)", f);
	if (note)
		fputs(note, f);
	fputc('\n', f);
}

static void event_line(const struct out *o, const char *indent, const struct trace_event *e)
{
	event_line_note(o, indent, e, NULL);
}

/* sshd's two logout lines, "Received disconnect from A port P:11:
 * disconnected by user" and "Disconnected from user U A port P": the same
 * connection (host, pid) in the same second. */
static bool disconnect_pair(const struct trace_event *a, const struct trace_event *b)
{
	return a->kind == EV_DISCONNECT && b->kind == EV_DISCONNECT && a->pid >= 0 && a->pid == b->pid &&
	       strcmp(a->host, b->host) == 0 && a->time_us / 1000000 == b->time_us / 1000000;
}

/* One line for the pair: the user from one ("Disconnected from user U"),
 * the reason from the other ("Received disconnect …: REASON"). */
static void disconnect_line(const struct out *o, const char *indent, const struct trace_event *a,
			    const struct trace_event *b)
{
	const struct trace_event *named = !a->user[0] && b->user[0] ? b : a, *other = named == a ? b : a;
	struct trace_event m = *named;
	m.time_us = a->time_us;
	if ((!m.detail[0] || strcmp(m.detail, "Disconnected") == 0) && other->detail[0])
		m.detail = other->detail;
	if (!m.port)
		m.port = other->port;
	if (!m.source[0] && !m.source_name[0]) {
		m.source = other->source;
		m.source_name = other->source_name;
	}
	m.n_sessions = MAX(a->n_sessions, b->n_sessions);
	event_line_note(o, indent, &m, NULL);
}

static bool held(const struct trace_event *const *v, size_t n, const struct trace_event *e)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == e)
			return true;
	return false;
}

static void failures_text(const struct out *o, const char *indent, const char *label,
			  const struct trace_failures *fs, bool list)
{
	if (fs->events == 0 && fs->noise == 0)
		return;
	fprintf(o->f, "%s%s%s: ", indent, label, "");
	trace_failure_words(o->f, fs);
	fputc('\n', o->f);
	/* A few are listed; hundreds are a sentence. */
	if (list && fs->events + fs->noise <= TRACE_LIST_MAX) {
		char sub[16];
		snprintf(sub, sizeof(sub), "%s  ", indent);
		for (unsigned i = 0; i < fs->n_kept; i++)
			event_line(o, sub, fs->kept[i]);
	}
}

static void verdict_text(const struct out *o, const char *label, const char *v)
{
	if (!v)
		v = ""; /* a trace that found nothing has no verdict */
	const char *col = strncmp(v, "PRIVILEGE", 9) == 0 ? C_RED
			  : strstr(v, "PRIVILEGE GAINED") ? C_RED
			  : strncmp(v, "no privilege", 12) == 0 ? C_GREEN
							      : C_YELLOW;
	if (label[0])
		fprintf(o->f, "%s%s%s ", c(o, C_BOLD), label, c(o, C_RESET));
	fputs(c(o, col), o->f);
	escape_text(o->f, sv_cstr(v), VERDICT_TEXT_MAX);
	fprintf(o->f, "%s\n", c(o, C_RESET));
}

void trace_pam_words(FILE *f, const struct trace_pam_sessions *g, void (*put)(FILE *, const char *))
{
	uint64_t n = g->opened ? g->opened : g->closed;
	put(f, g->service);
	fprintf(f, " %s %" PRIu64 " %s for ", g->opened ? "opened" : "closed", n, trace_plural(n, "session", "sessions"));
	put(f, g->user);
	if (g->by[0]) {
		fputs(" by ", f);
		put(f, g->by);
	}
}

/* Other services' PAM sessions, one line per service and user. */
static void pam_text(const struct out *o, const struct trace *t)
{
	char a[TIME_DISPLAY_STRLEN], b[TIME_DISPLAY_STRLEN];
	uint64_t lines = t->pam_other;
	FILE *f = o->f;

	if (!t->n_pam && !t->pam_other)
		return;
	for (size_t i = 0; i < t->n_pam; i++)
		lines += t->pam[i].opened + t->pam[i].closed;
	fprintf(f, "\n%sPAM sessions of other services%s (%" PRIu64 " %s, counted; -v lists them):\n", c(o, C_BOLD),
		c(o, C_RESET), lines, trace_plural(lines, "line", "lines"));
	for (size_t i = 0; i < t->n_pam; i++) {
		const struct trace_pam_sessions *g = &t->pam[i];
		fputs("  ", f);
		trace_pam_words(f, g, put_text);
		time_format_display(g->first_us, a);
		if (g->first_us == g->last_us)
			fprintf(f, " at %s\n", a);
		else
			fprintf(f, " between %s and %s\n", a, time_format_display(g->last_us, b));
	}
	if (t->pam_other)
		fprintf(f, "  %" PRIu64 " more %s of other services and users\n", t->pam_other,
			trace_plural(t->pam_other, "line", "lines"));
}

/* Text as a terminal shows it, into a new string (NULL when out of memory). */
static char *escaped(const char *s, size_t max)
{
	char *r = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&r, &n);
	if (!m)
		return NULL;
	escape_text(m, sv_cstr(s), max);
	if (fclose(m) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

/* Columns on a terminal: UTF-8 characters (escaped text has no controls). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void cell(FILE *f, const char *s, size_t w)
{
	fputs(s, f);
	for (size_t i = width(s); i < w; i++)
		fputc(' ', f);
	fputs("  ", f);
}

enum { COL_ID, COL_USER, COL_FROM, COL_METHOD, COL_DURATION, N_COLS };

/* TRACE_RECENT: the newest sessions, one line each, and how to go on. */
static void recent_text(const struct out *o, const struct trace *t)
{
	static const char *const head[N_COLS] = { "SESSION", "USER", "FROM", "METHOD", "DURATION" };
	char a[TIME_DISPLAY_STRLEN], b[TIME_DISPLAY_STRLEN];
	size_t w[N_COLS];
	FILE *f = o->f;

	fprintf(f, "%srecent login sessions%s: ", c(o, C_BOLD), c(o, C_RESET));
	if (t->sessions_earlier)
		fprintf(f, "the %zu most recent of %" PRIu64, t->n_sessions, t->n_sessions + t->sessions_earlier);
	else
		fprintf(f, "%zu", t->n_sessions);
	time_format_display(t->since_us, a);
	time_format_display(t->until_us, b);
	if (t->recent_default)
		fprintf(f, " in the last 24 h of store time (%s to %s, the newest event stored)", a, b);
	else if (t->since_us != INT64_MIN && t->until_us != INT64_MAX)
		fprintf(f, " between %s and %s", a, b);
	else if (t->since_us != INT64_MIN)
		fprintf(f, " since %s", a);
	else
		fprintf(f, " until %s", b);
	fputs(t->n_sessions > 1 ? ", newest first\n" : "\n", f);

	if (t->n_sessions) {
		char *(*cells)[N_COLS] = calloc(t->n_sessions, sizeof(*cells));
		if (!cells)
			return;
		for (size_t j = 0; j < N_COLS; j++)
			w[j] = strlen(head[j]);
		for (size_t i = 0; i < t->n_sessions; i++) {
			const struct trace_session *ss = &t->sessions[i];
			const char *m = auth_method_name(ss->method);
			char d[32];
			if (ss->closed)
				trace_duration(ss->end_us - ss->start_us, d);
			else
				snprintf(d, sizeof(d), "still open");
			cells[i][COL_ID] = escaped(ss->id, 60);
			cells[i][COL_USER] = escaped(ss->user, 32);
			cells[i][COL_FROM] = escaped(ss->source[0] ? ss->source : "-", 60);
			cells[i][COL_METHOD] = strdup(m[0] ? m : "-");
			cells[i][COL_DURATION] = strdup(d);
			for (size_t j = 0; j < N_COLS; j++)
				w[j] = MAX(w[j], cells[i][j] ? width(cells[i][j]) : 0);
		}
		fputs("\n  ", f);
		for (size_t j = 0; j < N_COLS; j++)
			cell(f, head[j], w[j]);
		fputs("VERDICT\n", f);
		for (size_t i = t->n_sessions; i-- > 0;) {
			const struct trace_session *ss = &t->sessions[i];
			fputs("  ", f);
			for (size_t j = 0; j < N_COLS; j++)
				cell(f, cells[i][j] ? cells[i][j] : "?", w[j]);
			verdict_text(o, "", ss->brief);
			for (size_t j = 0; j < N_COLS; j++)
				free(cells[i][j]);
		}
		free(cells);
		if (t->sessions_earlier)
			fprintf(f, "  … and %" PRIu64 " earlier %s (narrow the time with --since/--until)\n",
				t->sessions_earlier, trace_plural(t->sessions_earlier, "session", "sessions"));
	}
	if (t->failures.events || t->failures.noise) {
		fputc('\n', f);
		failures_text(o, "", "failed logins and probes", &t->failures, false);
	}
	fputc('\n', f);
	verdict_text(o, "overall:", t->verdict);
	fputs("\nto drill down:\n"
	      "  moat trace --session ID     one session's timeline (ids above)\n"
	      "  moat trace --user NAME      everything one account did\n"
	      "  moat trace --source ADDR    everything from one address\n"
	      "  moat trace --since TIME     this list for another time (with --until)\n",
	      f);
}

void trace_write_text(FILE *f, const struct trace *t, bool color)
{
	struct out o = { f, color };
	char a[TIME_DISPLAY_STRLEN], b[TIME_DISPLAY_STRLEN];

	if (t->by == TRACE_RECENT) {
		recent_text(&o, t);
		return;
	}
	fprintf(f, "%strace %s ", c(&o, C_BOLD), by_name(t->by));
	put_text(f, t->subject);
	fprintf(f, "%s: %" PRIu64 " %s", c(&o, C_RESET), t->n_events, trace_plural(t->n_events, "event", "events"));
	if (t->n_events)
		fprintf(f, " from %s to %s", time_format_display(t->first_us, a), time_format_display(t->last_us, b));
	fprintf(f, ", %zu login %s\n", t->n_sessions, trace_plural(t->n_sessions, "session", "sessions"));
	if (t->events_dropped)
		fprintf(f, "  (%" PRIu64 " events not kept: over the limit of %d)\n", t->events_dropped, TRACE_EVENTS_MAX);

	if (t->failures.events || t->failures.noise) {
		fputc('\n', f);
		failures_text(&o, "", t->by == TRACE_USER ? "failed logins" : "failed logins and probes", &t->failures,
			      true);
	}

	for (size_t i = 0; i < t->n_sessions; i++) {
		const struct trace_session *ss = &t->sessions[i];
		fprintf(f, "\n%ssession %s", c(&o, C_BOLD), c(&o, C_RESET));
		put_text(f, ss->id);
		fputs("  ", f);
		put_text(f, ss->user);
		if (ss->source[0]) {
			fputs(" from ", f);
			put_text(f, ss->source);
		}
		if (ss->method != AM_NONE)
			fprintf(f, " (%s)", auth_method_name(ss->method));
		fputs(" on ", f);
		put_text(f, ss->host);
		if (ss->before.tries)
			fprintf(f, ", %safter %" PRIu64 " failed %s from this source%s", c(&o, C_YELLOW), ss->before.tries,
				trace_plural(ss->before.tries, "attempt", "attempts"), c(&o, C_RESET));
		fputc('\n', f);
		failures_text(&o, "  ", "before the login, from this source", &ss->before, false);
		for (size_t j = 0; j < ss->n_events; j++) {
			const struct trace_event *e = ss->events[j];
			const char *note = NULL;
			if (j + 1 < ss->n_events && disconnect_pair(e, ss->events[j + 1])) {
				disconnect_line(&o, "  ", e, ss->events[j + 1]);
				j++;
				continue;
			}
			if (held(ss->other_changes, ss->n_other_changes, e))
				note = " (on the host, after another session's sudo/su)";
			else if (held(ss->changes, ss->n_changes, e) && !ss->priv.gained)
				note = " (no sudo/su seen before it!)";
			event_line_note(&o, "  ", e, note);
		}
		if (!ss->closed)
			fprintf(f, "  %s(no logout seen)%s\n", c(&o, C_YELLOW), c(&o, C_RESET));
		fputs("  ", f);
		verdict_text(&o, "verdict:", ss->verdict);
	}

	if (t->n_outside) {
		fprintf(f, "\n%soutside any login session%s (%zu %s):\n", c(&o, C_BOLD), c(&o, C_RESET), t->n_outside,
			trace_plural(t->n_outside, "event", "events"));
		for (size_t i = 0; i < t->n_outside && i < OUTSIDE_TEXT_MAX; i++)
			event_line(&o, "  ", t->outside[i]);
		if (t->n_outside > OUTSIDE_TEXT_MAX)
			fprintf(f, "  … and %zu more (use --json for all)\n", t->n_outside - OUTSIDE_TEXT_MAX);
	}
	pam_text(&o, t);
	fputc('\n', f);
	verdict_text(&o, "overall:", t->verdict);
}

/* --- JSON ------------------------------------------------------------ */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	escape_json(f, sv_cstr(s));
	fputc('"', f);
}

static void jkey(FILE *f, bool *first, const char *k)
{
	fprintf(f, "%s\"%s\":", *first ? "" : ",", k);
	*first = false;
}

static void jopt(FILE *f, bool *first, const char *k, const char *v)
{
	if (!v || !*v)
		return;
	jkey(f, first, k);
	jstr(f, v);
}

static void jtime(FILE *f, bool *first, const char *k, int64_t t, bool valid)
{
	char tb[TIME_STRLEN];
	jkey(f, first, k);
	if (valid)
		fprintf(f, "\"%s\"", time_format_rfc3339(t, tb));
	else
		fputs("null", f);
}

static void event_json(FILE *f, const struct trace_event *e)
{
	bool first = true;
	fputc('{', f);
	jkey(f, &first, "id");
	fprintf(f, "%" PRId64, e->id);
	jtime(f, &first, "time", e->time_us, true);
	jkey(f, &first, "kind");
	jstr(f, event_kind_name(e->kind));
	jkey(f, &first, "host");
	jstr(f, e->host);
	jkey(f, &first, "program");
	jstr(f, e->program);
	jkey(f, &first, "pid");
	fprintf(f, "%" PRId32, e->pid);
	jopt(f, &first, "user", e->user);
	jopt(f, &first, "target", e->target);
	jopt(f, &first, "source", e->source);
	jopt(f, &first, "source_name", e->source_name);
	if (e->port) {
		jkey(f, &first, "port");
		fprintf(f, "%u", e->port);
	}
	jopt(f, &first, "method", auth_method_name(e->method));
	if (e->kind == EV_ACCOUNT_CHANGE)
		jopt(f, &first, "account_op", account_op_name(e->acct));
	jopt(f, &first, "key_type", e->key_type);
	jopt(f, &first, "key_fp", e->key_fp);
	jopt(f, &first, "tty", e->tty);
	jopt(f, &first, "command", e->command);
	jopt(f, &first, "detail", e->detail);
	if (e->count > 1) {
		jkey(f, &first, "count");
		fprintf(f, "%u", e->count);
	}
	jopt(f, &first, "file", e->file);
	if (e->line) {
		jkey(f, &first, "line");
		fprintf(f, "%" PRIu64, e->line);
	}
	if (e->n_sessions > 1) {
		jkey(f, &first, "shared");
		fputs("true", f);
	}
	fputc('}', f);
}

static void events_json(FILE *f, const struct trace_event *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		event_json(f, v[i]);
	}
	fputc(']', f);
}

static void failures_json(FILE *f, const struct trace_failures *fs)
{
	bool first = true;
	char *s = NULL;
	size_t n = 0;
	fputc('{', f);
	jkey(f, &first, "attempts");
	fprintf(f, "%" PRIu64, fs->attempts);
	jkey(f, &first, "passwords");
	fprintf(f, "%" PRIu64, fs->passwords);
	jkey(f, &first, "other_methods");
	fprintf(f, "%" PRIu64, fs->other_methods);
	jkey(f, &first, "invalid_users");
	fprintf(f, "%" PRIu64, fs->invalid_users);
	jkey(f, &first, "refused");
	fprintf(f, "%" PRIu64, fs->refused);
	jkey(f, &first, "preauth_noise");
	fprintf(f, "%" PRIu64, fs->noise);
	jkey(f, &first, "failed_attempts");
	fprintf(f, "%" PRIu64, fs->tries);
	jkey(f, &first, fs->by_source ? "sources" : "users");
	fprintf(f, "%" PRIu64, fs->users);
	bool any = fs->events || fs->noise;
	jtime(f, &first, "first", fs->first_us, any);
	jtime(f, &first, "last", fs->last_us, any);
	jkey(f, &first, "summary");
	if (any) {
		FILE *m = open_memstream(&s, &n);
		if (m) {
			trace_failure_words(m, fs);
			fclose(m);
		}
		jstr(f, s ? s : "");
		free(s);
	} else {
		fputs("null", f);
	}
	if (any && fs->events + fs->noise <= TRACE_LIST_MAX) {
		jkey(f, &first, "events");
		events_json(f, fs->kept, fs->n_kept);
	}
	fputc('}', f);
}

static void privilege_json(FILE *f, const struct trace_privilege *p)
{
	fprintf(f, "{\"gained\":%s,\"how\":", p->gained ? "true" : "false");
	if (p->how_text)
		jstr(f, p->how_text);
	else
		fputs("null", f);
	fputs(",\"event\":", f);
	if (p->how)
		event_json(f, p->how);
	else
		fputs("null", f);
	fprintf(f,
		",\"attempts\":{\"sudo_refused\":%" PRIu64 ",\"sudo_failed\":%" PRIu64 ",\"su_failed\":%" PRIu64
		"},\"sudo_ok\":%" PRIu64 ",\"su_ok\":%" PRIu64 "}",
		p->sudo_refused, p->sudo_failed, p->su_failed, p->sudo_ok, p->su_ok);
}

static void put_raw(FILE *f, const char *s)
{
	fputs(s, f);
}

/* A JSON array of account changes, each in words ("user mallory added to group sudo"). */
static void changes_json(FILE *f, const struct trace_event *const *changes, size_t n_changes)
{
	fputc('[', f);
	for (size_t i = 0; i < n_changes; i++) {
		char *s = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&s, &n);
		if (m) {
			trace_change_words(m, changes[i], put_raw);
			fclose(m);
		}
		if (i)
			fputc(',', f);
		jstr(f, s ? s : "");
		free(s);
	}
	fputc(']', f);
}

static void session_json(FILE *f, const struct trace_session *ss)
{
	bool first = true;
	fputc('{', f);
	jkey(f, &first, "id");
	jstr(f, ss->id);
	jkey(f, &first, "host");
	jstr(f, ss->host);
	jkey(f, &first, "pid");
	fprintf(f, "%" PRId32, ss->pid);
	jkey(f, &first, "user");
	jstr(f, ss->user);
	jkey(f, &first, "source");
	if (ss->source[0])
		jstr(f, ss->source);
	else
		fputs("null", f);
	jkey(f, &first, "method");
	jstr(f, auth_method_name(ss->method));
	jtime(f, &first, "start", ss->start_us, true);
	jtime(f, &first, "end", ss->end_us, ss->closed);
	jkey(f, &first, "duration_s");
	if (ss->closed)
		fprintf(f, "%" PRId64, (ss->end_us - ss->start_us) / 1000000);
	else
		fputs("null", f);
	jkey(f, &first, "closed");
	fputs(ss->closed ? "true" : "false", f);
	jkey(f, &first, "failures_before");
	failures_json(f, &ss->before);
	jkey(f, &first, "events");
	events_json(f, ss->events, ss->n_events);
	jkey(f, &first, "privilege");
	privilege_json(f, &ss->priv);
	jkey(f, &first, "account_changes");
	changes_json(f, ss->changes, ss->n_changes);
	jkey(f, &first, "account_changes_unexplained");
	fprintf(f, "%zu", ss->n_unexplained);
	jkey(f, &first, "other_account_changes");
	changes_json(f, ss->other_changes, ss->n_other_changes);
	jkey(f, &first, "shared_events");
	fprintf(f, "%u", ss->n_shared);
	jkey(f, &first, "logind_session");
	if (ss->logind_new)
		jstr(f, ss->logind_new->detail);
	else
		fputs("null", f);
	jtime(f, &first, "logind_removed", ss->logind_removed ? ss->logind_removed->time_us : 0,
	      ss->logind_removed != NULL);
	jkey(f, &first, "verdict");
	jstr(f, ss->verdict);
	fputc('}', f);
}

void trace_write_json(FILE *f, const struct trace *t)
{
	bool first = true;
	fputc('{', f);
	jkey(f, &first, "subject");
	fprintf(f, "{\"by\":\"%s\",\"value\":", by_name(t->by));
	if (t->by == TRACE_RECENT)
		fputs("null", f);
	else
		jstr(f, t->subject);
	fputc('}', f);
	jtime(f, &first, "since", t->since_us, t->since_us != INT64_MIN);
	jtime(f, &first, "until", t->until_us, t->until_us != INT64_MAX);
	jkey(f, &first, "found");
	fputs(trace_found(t) ? "true" : "false", f);
	jkey(f, &first, "n_events");
	fprintf(f, "%" PRIu64, t->n_events);
	jtime(f, &first, "first", t->first_us, t->n_events > 0);
	jtime(f, &first, "last", t->last_us, t->n_events > 0);
	jkey(f, &first, "failures");
	failures_json(f, &t->failures);
	jkey(f, &first, "sessions");
	fputc('[', f);
	for (size_t i = 0; i < t->n_sessions; i++) {
		if (i)
			fputc(',', f);
		session_json(f, &t->sessions[i]);
	}
	fputc(']', f);
	jkey(f, &first, "sessions_earlier");
	fprintf(f, "%" PRIu64, t->sessions_earlier);
	jkey(f, &first, "logged_in_as");
	fputc('[', f);
	for (size_t i = 0; i < t->n_logged_in_as && i < TRACE_LOGGED_IN_AS_MAX; i++) {
		if (i)
			fputc(',', f);
		jstr(f, t->logged_in_as[i]);
	}
	fputc(']', f);
	jkey(f, &first, "outside");
	events_json(f, t->outside, t->n_outside);
	jkey(f, &first, "pam_sessions");
	fputc('[', f);
	for (size_t i = 0; i < t->n_pam; i++) {
		const struct trace_pam_sessions *g = &t->pam[i];
		bool gf = true;
		char *s = NULL;
		size_t n = 0;
		if (i)
			fputc(',', f);
		fputc('{', f);
		jkey(f, &gf, "service");
		jstr(f, g->service);
		jkey(f, &gf, "user");
		jstr(f, g->user);
		jopt(f, &gf, "by", g->by);
		jkey(f, &gf, "opened");
		fprintf(f, "%" PRIu64, g->opened);
		jkey(f, &gf, "closed");
		fprintf(f, "%" PRIu64, g->closed);
		jtime(f, &gf, "first", g->first_us, true);
		jtime(f, &gf, "last", g->last_us, true);
		FILE *m = open_memstream(&s, &n);
		if (m) {
			trace_pam_words(m, g, put_raw);
			fclose(m);
		}
		jkey(f, &gf, "summary");
		jstr(f, s ? s : "");
		free(s);
		fputc('}', f);
	}
	fputc(']', f);
	jkey(f, &first, "pam_sessions_other");
	fprintf(f, "%" PRIu64, t->pam_other);
	jkey(f, &first, "outside_privilege");
	privilege_json(f, &t->outside_priv);
	jkey(f, &first, "privilege_gained");
	fputs(t->n_gained || t->outside_priv.gained ? "true" : "false", f);
	jkey(f, &first, "sessions_open");
	fprintf(f, "%zu", t->n_open);
	jkey(f, &first, "sessions_dropped");
	fprintf(f, "%" PRIu64, t->sessions_dropped);
	jkey(f, &first, "events_dropped");
	fprintf(f, "%" PRIu64, t->events_dropped);
	jkey(f, &first, "verdict");
	jstr(f, t->verdict);
	fputs("}\n", f);
}
