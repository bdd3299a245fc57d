/*
 * report: table, JSON lines and the exposure summary (see report.h).
 */
#include "exposure/report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "core/alert.h"
#include "core/escape.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "exposure/debver.h"

void report_set_rung(struct finding_reach *r)
{
	int level, priv;
	if (!r->known) {
		r->rung = -1;
		snprintf(r->verdict, sizeof(r->verdict), "unknown");
		return;
	}
	if (!r->running) {
		r->rung = 0;
		snprintf(r->verdict, sizeof(r->verdict), "not running");
		return;
	}
	level = r->remote ? 2 : 1;
	priv = r->privileged ? 2 : r->sandboxed ? 0 : 1;
	r->rung = 1 + (level - 1) * 3 + priv;
	snprintf(r->verdict, sizeof(r->verdict), "%s, %s", r->remote ? "exposed-remote" : "local-only",
		 r->privileged ? "privileged" : r->sandboxed ? "sandboxed" : "unprivileged");
}

int64_t report_days(int64_t from_s, int64_t to_s)
{
	return to_s > from_s ? (to_s - from_s) / 86400 : 0;
}

static int order(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int c;
	if ((x->status == FS_FIXED) != (y->status == FS_FIXED))
		return x->status == FS_FIXED ? 1 : -1;
	if (x->reach.rung != y->reach.rung)
		return y->reach.rung - x->reach.rung;
	if (x->severity != y->severity)
		return y->severity - x->severity;
	c = strcmp(x->source, y->source);
	if (c)
		return c;
	c = strcmp(x->source_version, y->source_version);
	if (c)
		return c;
	return strcmp(x->advisory, y->advisory);
}

void report_sort(struct match_result *r)
{
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), order);
}

/* ---- JSON ---- */

static void jstr(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	escape_json(f, sv_cstr(s));
	fputc('"', f);
}

static void jdate(FILE *f, int64_t t_s)
{
	char buf[TIME_STRLEN];
	if (t_s <= 0) {
		fputs("null", f);
		return;
	}
	fprintf(f, "\"%s\"", time_format_rfc3339(t_s * 1000000, buf));
}

static void jbool(FILE *f, bool b)
{
	fputs(b ? "true" : "false", f);
}

/* The space-separated words of s as JSON strings, comma-separated (the brackets are the caller's). */
static void jwords(FILE *f, const char *s)
{
	struct sv rest = sv_cstr(s);
	for (bool first = true; rest.n; first = false) {
		long sp = sv_chr(rest, ' ');
		struct sv a = sp >= 0 ? sv_make(rest.p, (size_t)sp) : rest;
		rest = sp >= 0 ? sv_skip(rest, (size_t)sp + 1) : SV_NULL;
		if (!first)
			fputc(',', f);
		fputc('"', f);
		escape_json(f, a);
		fputc('"', f);
	}
}

void report_json(FILE *f, const struct report_opts *o, const struct match_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];
		if (x->status == FS_FIXED || (o->keep && !o->keep[i]))
			continue;
		fputs("{\"source_package\":", f);
		jstr(f, x->source);
		fputs(",\"binary_packages\":[", f);
		for (size_t b = 0; b < x->n_binaries; b++) {
			if (b)
				fputc(',', f);
			jstr(f, x->binaries[b]->name);
		}
		fputs("],\"binary_versions\":{", f);
		for (size_t b = 0; b < x->n_binaries; b++) {
			if (b)
				fputc(',', f);
			jstr(f, x->binaries[b]->name);
			fputc(':', f);
			jstr(f, x->binaries[b]->version);
		}
		fputs("},\"installed_version\":", f);
		jstr(f, x->source_version);
		fputs(",\"advisory\":", f);
		jstr(f, x->advisory);
		fputs(",\"source\":", f);
		jstr(f, x->kind);
		fputs(",\"aliases\":[", f);
		jwords(f, x->aliases);
		fputs("],\"cves\":[", f);
		char cves[1024];
		report_cves(x, cves, sizeof(cves));
		jwords(f, cves);
		fputs("],\"fixed_version\":", f);
		jstr(f, x->fixed);
		fprintf(f, ",\"status\":\"%s\",\"triage\":", finding_status_name(x->status));
		jstr(f, x->triage);
		fputs(",\"urgency\":", f);
		jstr(f, x->urgency);
		fputs(",\"severity\":", f);
		jstr(f, x->severity >= 0 ? severity_name((enum severity)x->severity) : NULL);
		fputs(",\"severity_guessed\":", f);
		jbool(f, x->severity_guessed);
		fputs(",\"published\":", f);
		jdate(f, x->published_s);
		fputs(",\"days_exposed\":", f);
		if (x->days_exposed >= 0)
			fprintf(f, "%lld", (long long)x->days_exposed);
		else
			fputs("null", f);
		fputs(",\"reach\":", f);
		if (x->reach.known) {
			fputs("{\"running\":", f);
			jbool(f, x->reach.running);
			fputs(",\"listening\":", f);
			jbool(f, x->reach.listening);
			fputs(",\"remote\":", f);
			jbool(f, x->reach.remote);
			fputs(",\"privileged\":", f);
			jbool(f, x->reach.privileged);
			fputs(",\"sandboxed\":", f);
			jbool(f, x->reach.sandboxed);
			fprintf(f, ",\"process_count\":%zu,\"processes\":[", x->reach.n_procs);
			for (size_t k = 0; k < MIN(x->reach.n_procs, (size_t)FINDING_PROCS_MAX); k++) {
				const struct finding_proc *p = &x->reach.procs[k];
				fprintf(f, "%s{\"pid\":%d,\"name\":", k ? "," : "", (int)p->pid);
				jstr(f, p->comm);
				fprintf(f, ",\"uid\":%u,\"user\":", (unsigned)p->uid);
				jstr(f, p->user);
				if (p->listening) {
					fputs(",\"listen\":{\"address\":", f);
					jstr(f, p->addr);
					fprintf(f, ",\"port\":%u,\"proto\":\"%s\",\"remote\":%s}", (unsigned)p->port,
						p->proto == 6 ? "tcp" : "udp", p->remote ? "true" : "false");
				} else {
					fputs(",\"listen\":null", f);
				}
				fputc('}', f);
			}
			fputs("]}", f);
		} else {
			fputs("null", f);
		}
		fputs(",\"verdict\":", f);
		jstr(f, x->reach.verdict[0] ? x->reach.verdict : "unknown");
		fputs(",\"release\":", f);
		jstr(f, o->release);
		fputs(",\"summary\":", f);
		jstr(f, x->summary);
		fputs(",\"exception\":", f);
		const struct report_exception *e = o->exc ? o->exc[i] : NULL;
		if (e) {
			fputs("{\"id\":", f);
			jstr(f, e->id);
			fputs(",\"owner\":", f);
			jstr(f, e->owner);
			fputs(",\"until\":", f);
			jdate(f, e->until_s);
			fputs(",\"state\":", f);
			jstr(f, e->state);
			fputs(",\"detail\":", f);
			jstr(f, e->detail);
			fputs(",\"settled\":", f);
			jbool(f, e->settled);
			fputc('}', f);
		} else {
			fputs("null", f);
		}
		fputs("}\n", f);
	}
}

/* ---- table ---- */

#define TABLE_WIDTH 100
#define DETAIL_INDENT 10

void report_cves(const struct finding *x, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	if (strncmp(x->advisory, "CVE-", 4) == 0)
		n += (size_t)snprintf(buf, size, "%s", x->advisory);
	struct sv rest = sv_cstr(x->aliases);
	while (rest.n && n + 1 < size) {
		long sp = sv_chr(rest, ' ');
		struct sv a = sp >= 0 ? sv_make(rest.p, (size_t)sp) : rest;
		rest = sp >= 0 ? sv_skip(rest, (size_t)sp + 1) : SV_NULL;
		if (a.n < 5 || memcmp(a.p, "CVE-", 4) != 0 || sv_eq(a, x->advisory))
			continue;
		int k = snprintf(buf + n, size - n, "%s%.*s", n ? " " : "", (int)a.n, a.p);
		if (k < 0 || (size_t)k >= size - n) {
			buf[n] = '\0';
			break;
		}
		n += (size_t)k;
	}
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* A left-aligned cell of width w (longer text is cut with "…"; wide: never cut). */
static void cell(FILE *f, const char *s, int w, bool wide)
{
	int len = (int)strlen(s);
	if (!plain(s)) {
		escape_text(f, sv_cstr(s), wide ? 0 : (size_t)w);
		fputs("  ", f);
		return;
	}
	if (len > w && !wide)
		fprintf(f, "%.*s… ", w - 1, s);
	else
		fprintf(f, "%-*s ", w, s);
}

static const char *color_of(const struct report_opts *o, enum finding_status st)
{
	if (!o->color)
		return "";
	switch (st) {
	case FS_FIXABLE:
		return "\033[1;31m";
	case FS_UNFIXED:
		return "\033[31m";
	case FS_END_OF_LIFE:
		return "\033[35m";
	default:
		return "\033[33m";
	}
}

/* Words appended to a detail line, wrapped at TABLE_WIDTH under DETAIL_INDENT (never in wide mode). */
struct wrap {
	FILE *f;
	bool wide;
	int col;
	int lines, max_lines; /* past max_lines: words are counted, not written */
	size_t dropped;
};

static void wrap_start(struct wrap *w, FILE *f, bool wide, int max_lines)
{
	*w = (struct wrap){ .f = f, .wide = wide, .max_lines = max_lines };
}

static void wrap_word(struct wrap *w, const char *word, const char *sep)
{
	int len = (int)strlen(word) + (int)strlen(sep);
	if (w->lines > w->max_lines) {
		w->dropped++;
		return;
	}
	if (w->col == 0) {
		if (w->wide) {
			fputs(" | ", w->f);
			w->col = 3;
		} else {
			fprintf(w->f, "%*s", DETAIL_INDENT, "");
			w->col = DETAIL_INDENT;
		}
		w->lines++;
		sep = "";
		len = (int)strlen(word);
	} else if (!w->wide && w->col + len > TABLE_WIDTH - 8) {
		if (w->lines == w->max_lines) {
			w->lines++;
			w->dropped++;
			return;
		}
		fprintf(w->f, "\n%*s", DETAIL_INDENT, "");
		w->col = DETAIL_INDENT;
		w->lines++;
		sep = "";
		len = (int)strlen(word);
	}
	fputs(sep, w->f);
	escape_text(w->f, sv_cstr(word), 200);
	w->col += len;
}

static void wrap_end(struct wrap *w)
{
	if (w->dropped)
		fprintf(w->f, " +%zu more", w->dropped);
	if (w->col && !w->wide)
		fputc('\n', w->f);
}

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word));) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static const char *short_verdict(const struct finding_reach *r, char *buf, size_t n)
{
	if (!r->known)
		return "unknown";
	if (!r->running)
		return "not running";
	snprintf(buf, n, "%s, %s", r->remote ? "remote" : "local",
		 r->privileged && !r->sandboxed ? "privileged" : r->sandboxed ? "sandboxed" : "unprivileged");
	return buf;
}

static void proc_words(struct wrap *w, const struct finding_reach *r)
{
	for (size_t k = 0; k < MIN(r->n_procs, (size_t)FINDING_PROCS_MAX); k++) {
		const struct finding_proc *p = &r->procs[k];
		char word[160];
		if (p->listening)
			snprintf(word, sizeof(word), "%s (pid %d, user %s) on %s%s%s:%u/%s%s", p->comm, (int)p->pid, p->user,
				 strchr(p->addr, ':') ? "[" : "", p->addr, strchr(p->addr, ':') ? "]" : "", (unsigned)p->port,
				 p->proto == 6 ? "tcp" : "udp", p->remote ? "" : " (not reachable from outside)");
		else
			snprintf(word, sizeof(word), "%s (pid %d, user %s), not listening", p->comm, (int)p->pid, p->user);
		wrap_word(w, word, k ? "; " : "");
	}
	if (r->n_procs > FINDING_PROCS_MAX) {
		char more[48];
		snprintf(more, sizeof(more), "+%zu more process%s", r->n_procs - FINDING_PROCS_MAX,
			 r->n_procs - FINDING_PROCS_MAX == 1 ? "" : "es");
		wrap_word(w, more, "; ");
	}
}

static void exception_words(struct wrap *w, const struct report_exception *e)
{
	char until[TIME_STRLEN], word[400];
	time_format_rfc3339(e->until_s * 1000000, until);
	until[10] = '\0';
	if (strcmp(e->state, "holding") == 0)
		snprintf(word, sizeof(word), "accepted by %s until %s (%s): controls holding", e->owner, until, e->id);
	else if (strcmp(e->state, "bare") == 0)
		snprintf(word, sizeof(word), "accepted by %s until %s (%s): no controls, bare risk acceptance", e->owner,
			 until, e->id);
	else if (strcmp(e->state, "expired") == 0)
		snprintf(word, sizeof(word), "EXPIRED exception %s: accepted by %s until %s", e->id, e->owner, until);
	else if (strcmp(e->state, "review_due") == 0)
		snprintf(word, sizeof(word), "REVIEW DUE: exception %s, accepted by %s until %s", e->id, e->owner, until);
	else
		snprintf(word, sizeof(word), "CONTROL BROKEN: exception %s (accepted by %s until %s): %s", e->id, e->owner,
			 until, e->detail ? e->detail : "a control does not hold");
	wrap_word(w, word, "");
}

size_t report_table(FILE *f, const struct report_opts *o, const struct match_result *r)
{
	size_t rows = 0;
	bool guessed_any = false;
	bool *done = calloc(r->n ? r->n : 1, sizeof(*done));
	if (!done)
		return 0;
	fprintf(f, "%-9s %-16s %-17s %-17s %-11s %4s %s\n", "SEVERITY", "PACKAGE", "INSTALLED", "FIXED IN", "STATUS", "DAYS",
		"REACH");
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];
		const char *best_fixed = NULL;
		size_t counts[FS_FIXED + 1] = { 0 }, n = 0;
		int64_t days = -1;
		int sev = -1;
		bool sev_guessed = true;
		const struct report_exception *ex = NULL;
		if (done[i] || x->status == FS_FIXED || (o->keep && !o->keep[i]))
			continue;
		char cves[2048] = "", advs[1024] = "";
		/* the whole source package: every kept finding of the same installed version */
		for (size_t j = i; j < r->n; j++) {
			const struct finding *y = &r->v[j];
			if (done[j] || y->status == FS_FIXED || (o->keep && !o->keep[j]) || strcmp(y->source, x->source) != 0 ||
			    strcmp(y->source_version, x->source_version) != 0)
				continue;
			done[j] = true;
			counts[y->status]++;
			if (y->fixed && (!best_fixed || debver_cmp(y->fixed, best_fixed) > 0))
				best_fixed = y->fixed;
			if (y->days_exposed > days)
				days = y->days_exposed;
			if (y->severity > sev || (y->severity == sev && !y->severity_guessed)) {
				sev_guessed = y->severity > sev ? y->severity_guessed : sev_guessed && y->severity_guessed;
				sev = y->severity;
			}
			const struct report_exception *ye = o->exc ? o->exc[j] : NULL;
			if (ye && (!ex || (ex->settled && !ye->settled)))
				ex = ye; /* the one that needs a person, if any */
			char c[1024];
			report_cves(y, c, sizeof(c));
			for (struct sv rest = sv_cstr(c); rest.n;) {
				long sp = sv_chr(rest, ' ');
				char one[80];
				snprintf(one, sizeof(one), "%.*s", (int)(sp >= 0 ? (size_t)sp : rest.n), rest.p);
				rest = sp >= 0 ? sv_skip(rest, (size_t)sp + 1) : SV_NULL;
				size_t l = strlen(cves);
				if (!in_list(cves, one) && l + strlen(one) + 2 < sizeof(cves))
					snprintf(cves + l, sizeof(cves) - l, "%s%s", l ? " " : "", one);
			}
			if (strncmp(y->advisory, "CVE-", 4) != 0 && !in_list(advs, y->advisory)) {
				size_t l = strlen(advs);
				if (l + strlen(y->advisory) + 2 < sizeof(advs))
					snprintf(advs + l, sizeof(advs) - l, "%s%s", l ? " " : "", y->advisory);
			}
			n++;
		}
		/* the status that matters most first: what can be fixed today */
		static const enum finding_status show[] = { FS_FIXABLE, FS_UNFIXED, FS_END_OF_LIFE, FS_MINOR };
		enum finding_status lead = FS_MINOR;
		char mix[128] = "";
		for (size_t k = 0, first = 1; k < ELEMENTSOF(show); k++) {
			if (!counts[show[k]])
				continue;
			if (first)
				lead = show[k];
			size_t l = strlen(mix);
			snprintf(mix + l, sizeof(mix) - l, "%s%zu %s", first ? "" : ", ", counts[show[k]],
				 finding_status_name(show[k]));
			first = 0;
		}
		char sevtext[16], verdict[64];
		snprintf(sevtext, sizeof(sevtext), "%s%s", sev >= 0 ? severity_name((enum severity)sev) : "?",
			 sev >= 0 && sev_guessed ? "*" : "");
		guessed_any |= sev >= 0 && sev_guessed;
		cell(f, sevtext, 9, false);
		cell(f, x->source, 16, o->wide);
		cell(f, x->source_version, 17, o->wide);
		cell(f, best_fixed ? best_fixed : "(none yet)", 17, o->wide);
		fputs(color_of(o, lead), f);
		cell(f, finding_status_name(lead), 11, false);
		if (o->color)
			fputs("\033[0m", f);
		if (days >= 0)
			fprintf(f, "%4lld ", (long long)days);
		else
			fprintf(f, "%4s ", "?");
		fputs(short_verdict(&x->reach, verdict, sizeof(verdict)), f);
		if (!o->wide)
			fputc('\n', f);

		/* details: ids and the status mix; who makes it reachable; the exception */
		struct wrap w;
		wrap_start(&w, f, o->wide, o->wide ? 1000 : 2);
		for (struct sv rest = sv_cstr(cves); rest.n;) {
			long sp = sv_chr(rest, ' ');
			char one[80];
			snprintf(one, sizeof(one), "%.*s", (int)(sp >= 0 ? (size_t)sp : rest.n), rest.p);
			rest = sp >= 0 ? sv_skip(rest, (size_t)sp + 1) : SV_NULL;
			wrap_word(&w, one, " ");
		}
		if (advs[0]) {
			char paren[1100];
			snprintf(paren, sizeof(paren), "(%s)", advs);
			wrap_word(&w, paren, " ");
		}
		if (n > 1 || counts[lead] != n) {
			char m[160];
			snprintf(m, sizeof(m), "— %s", mix);
			wrap_word(&w, m, " ");
		}
		wrap_end(&w);
		if (x->reach.known && x->reach.running) {
			wrap_start(&w, f, o->wide, o->wide ? 1000 : 1);
			proc_words(&w, &x->reach);
			wrap_end(&w);
		}
		if (ex) {
			wrap_start(&w, f, o->wide, o->wide ? 1000 : 2);
			exception_words(&w, ex);
			wrap_end(&w);
		}
		if (o->wide)
			fputc('\n', f);
		rows++;
	}
	free(done);
	if (guessed_any)
		fputs("* severity guessed from the advisory's kind (a DSA counts as high): the feed gives none\n", f);
	return rows;
}

/* ---- SARIF ---- */

static const char *sarif_level(int sev)
{
	return sev >= SEV_HIGH ? "error" : sev == SEV_MEDIUM ? "warning" : "note";
}

int report_sarif(FILE *f, const struct report_opts *o, const struct match_result *r, const char *host)
{
	json_t *rules = json_array(), *results = json_array();
	if (!rules || !results) {
		json_decref(rules);
		json_decref(results);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];
		if (x->status == FS_FIXED || (o->keep && !o->keep[i]))
			continue;
		/* one rule per advisory */
		bool have = false;
		size_t k;
		json_t *ru;
		json_array_foreach(rules, k, ru)
		{
			have |= strcmp(json_string_value(json_object_get(ru, "id")), x->advisory) == 0;
		}
		if (!have) {
			static const char *const score[] = { "3.0", "5.5", "7.5", "9.5" };
			json_t *rule = json_pack("{s:s, s:{s:s}, s:{s:s, s:s}}", "id", x->advisory, "shortDescription", "text",
						 x->summary && *x->summary ? x->summary : x->advisory, "properties",
						 "security-severity", x->severity >= 0 ? score[x->severity] : "5.5", "precision",
						 x->severity_guessed ? "low" : "high");
			if (rule)
				json_array_append_new(rules, rule);
		}
		char msg[1200], cves[512];
		report_cves(x, cves, sizeof(cves));
		snprintf(msg, sizeof(msg), "%s %s is affected by %s%s%s%s (%s): %s; reach: %s", x->source, x->source_version,
			 x->advisory, cves[0] ? " (" : "", cves, cves[0] ? ")" : "", finding_status_name(x->status),
			 x->fixed ? "upgrade to the fixed version" : "no fixed version yet",
			 x->reach.verdict[0] ? x->reach.verdict : "unknown");
		if (x->fixed) {
			size_t l = strlen(msg);
			snprintf(msg + l, sizeof(msg) - l, "; fixed in %s", x->fixed);
		}
		char fq[600];
		snprintf(fq, sizeof(fq), "%s/%s", host ? host : "host", x->source);
		json_t *res = json_pack("{s:s, s:s, s:{s:s}, s:[{s:[{s:s, s:s, s:s}]}], s:{s:s, s:s, s:s?, s:s, s:b}}",
					"ruleId", x->advisory, "level", sarif_level(x->severity), "message", "text", msg,
					"locations", "logicalLocations", "name", x->source, "fullyQualifiedName", fq, "kind",
					"package", "properties", "installed_version", x->source_version, "status",
					finding_status_name(x->status), "fixed_version", x->fixed, "release",
					o->release ? o->release : "", "severity_guessed", x->severity_guessed);
		if (!res)
			continue;
		const struct report_exception *e = o->exc ? o->exc[i] : NULL;
		if (e && e->settled) {
			char just[300], until[TIME_STRLEN];
			time_format_rfc3339(e->until_s * 1000000, until);
			snprintf(just, sizeof(just), "exception %s: accepted by %s until %.10s (%s)", e->id, e->owner, until,
				 e->state);
			json_object_set_new(res, "suppressions",
					    json_pack("[{s:s, s:s, s:s}]", "kind", "external", "status", "accepted",
						      "justification", just));
		}
		json_array_append_new(results, res);
	}
	json_t *doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o}]}", "$schema",
				"https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs", "tool", "driver",
				"name", "moat", "semanticVersion", MOAT_VERSION, "rules", rules, "results", results);
	if (!doc)
		return -ENOMEM;
	int rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(doc);
	return rc == 0 ? 0 : -EIO;
}

/* ---- summary ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void report_summary(const struct match_result *r, struct exposure_summary *ret)
{
	struct exposure_summary s = { 0 };
	int64_t *days = malloc((r->n ? r->n : 1) * sizeof(*days));
	if (!days) {
		*ret = s;
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];
		if (x->days_exposed < 0)
			continue;
		days[s.count++] = x->days_exposed;
		if (x->status != FS_FIXED)
			s.open++;
		/* keep the worst, most days first */
		size_t k = s.n_worst < REPORT_WORST ? s.n_worst++ : REPORT_WORST - 1;
		if (k == REPORT_WORST - 1 && s.n_worst == REPORT_WORST && s.worst[k] &&
		    s.worst[k]->days_exposed >= x->days_exposed)
			continue;
		s.worst[k] = x;
		while (k > 0 && s.worst[k - 1]->days_exposed < s.worst[k]->days_exposed) {
			const struct finding *t = s.worst[k - 1];
			s.worst[k - 1] = s.worst[k];
			s.worst[k] = t;
			k--;
		}
	}
	if (s.count) {
		qsort(days, s.count, sizeof(*days), cmp_i64);
		/* nearest-rank percentiles */
		s.median = days[(s.count + 1) / 2 - 1];
		s.p90 = days[(s.count * 9 + 9) / 10 - 1];
		s.max = days[s.count - 1];
	}
	free(days);
	*ret = s;
}

void report_summary_print(FILE *f, const struct report_opts *o, const struct exposure_summary *s)
{
	(void)o;
	if (!s->count) {
		fputs("exposure window: no advisory with a known publication date affected this host\n", f);
		return;
	}
	fprintf(f,
		"exposure window (fix published → fix installed, or → now while open): %zu advisor%s affected this "
		"host (%zu still open); days exposed: median %lld, p90 %lld, max %lld\n",
		s->count, s->count == 1 ? "y" : "ies", s->open, (long long)s->median, (long long)s->p90,
		(long long)s->max);
	for (size_t i = 0; i < s->n_worst; i++) {
		const struct finding *x = s->worst[i];
		fputs("  ", f);
		escape_text(f, sv_cstr(x->advisory), 40);
		fputc(' ', f);
		escape_text(f, sv_cstr(x->source), 40);
		fprintf(f, ": %lld days%s\n", (long long)x->days_exposed,
			x->status == FS_FIXED ? " (fixed since)" : " (still open)");
	}
}
