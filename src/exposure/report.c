/*
 * report: table, JSON lines and the exposure summary (see report.h).
 */
#include "exposure/report.h"

#include <stdlib.h>
#include <string.h>

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

void report_json(FILE *f, const struct report_opts *o, const struct match_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];
		if (x->status == FS_FIXED)
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
		struct sv rest = sv_cstr(x->aliases);
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
			fputc('}', f);
		} else {
			fputs("null", f);
		}
		fputs(",\"verdict\":", f);
		jstr(f, x->reach.verdict[0] ? x->reach.verdict : "unknown");
		fputs(",\"release\":", f);
		jstr(f, o->release);
		fputs(",\"summary\":", f);
		jstr(f, x->summary);
		fputs("}\n", f);
	}
}

/* ---- table ---- */

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* A left-aligned cell of width w (text longer than w is cut with "…"). */
static void cell(FILE *f, const char *s, int w)
{
	int len = (int)strlen(s);
	if (!plain(s)) {
		escape_text(f, sv_cstr(s), (size_t)w);
		fputs("  ", f);
		return;
	}
	if (len > w)
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

size_t report_table(FILE *f, const struct report_opts *o, const struct match_result *r)
{
	size_t rows = 0;
	bool *done = calloc(r->n ? r->n : 1, sizeof(*done));
	if (!done)
		return 0;
	fprintf(f, "%-24s %-22s %-24s %-20s %-34s %5s  %s\n", "PACKAGE", "INSTALLED", "FIXED IN", "STATUS",
		"ADVISORIES", "DAYS", "REACH");
	for (size_t i = 0; i < r->n; i++) {
		const struct finding *x = &r->v[i];
		const char *best_fixed = NULL;
		size_t counts[FS_FIXED + 1] = { 0 }, n = 0;
		int64_t days = -1;
		char advs[256], status[64];
		size_t al = 0;
		if (done[i] || x->status == FS_FIXED)
			continue;
		/* the whole source package: every finding of the same installed version */
		for (size_t j = i; j < r->n; j++) {
			const struct finding *y = &r->v[j];
			if (done[j] || y->status == FS_FIXED || strcmp(y->source, x->source) != 0 ||
			    strcmp(y->source_version, x->source_version) != 0)
				continue;
			done[j] = true;
			counts[y->status]++;
			if (y->fixed && (!best_fixed || debver_cmp(y->fixed, best_fixed) > 0))
				best_fixed = y->fixed;
			if (y->days_exposed > days)
				days = y->days_exposed;
			if (n < 2) {
				int k = snprintf(advs + al, sizeof(advs) - al, "%s%s", n ? " " : "", y->advisory);
				if (k > 0 && (size_t)k < sizeof(advs) - al)
					al += (size_t)k;
			}
			n++;
		}
		if (n > 2)
			snprintf(advs + al, sizeof(advs) - al, " +%zu", n - 2);
		/* the status that matters most first: what can be fixed today */
		static const enum finding_status show[] = { FS_FIXABLE, FS_UNFIXED, FS_END_OF_LIFE, FS_MINOR };
		enum finding_status lead = FS_MINOR;
		size_t sl = 0;
		status[0] = '\0';
		for (size_t k = 0; k < ELEMENTSOF(show); k++) {
			int w;
			if (!counts[show[k]])
				continue;
			if (sl == 0) {
				lead = show[k];
				w = counts[show[k]] > 1 ? snprintf(status, sizeof(status), "%zu %s", counts[show[k]],
								   finding_status_name(show[k]))
							: snprintf(status, sizeof(status), "%s", finding_status_name(show[k]));
			} else {
				w = snprintf(status + sl, sizeof(status) - sl, " +%zu %s", counts[show[k]],
					     finding_status_name(show[k]));
			}
			if (w > 0 && (size_t)w < sizeof(status) - sl)
				sl += (size_t)w;
		}
		cell(f, x->source, 24);
		cell(f, x->source_version, 22);
		cell(f, best_fixed ? best_fixed : "(no fix yet)", 24);
		fputs(color_of(o, lead), f);
		cell(f, status, 20);
		if (o->color)
			fputs("\033[0m", f);
		cell(f, advs, 34);
		if (days >= 0)
			fprintf(f, "%5lld  ", (long long)days);
		else
			fprintf(f, "%5s  ", "?");
		fprintf(f, "%s\n", x->reach.verdict[0] ? x->reach.verdict : "unknown");
		rows++;
	}
	free(done);
	return rows;
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
