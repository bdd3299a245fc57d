/*
 * match: judging installed source packages against advisory entries (see
 * match.h for the rules).
 */
#include "core/array.h"
#include "exposure/match.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alert.h"
#include "core/macro.h"
#include "exposure/debver.h"

const char *finding_status_name(enum finding_status s)
{
	switch (s) {
	case FS_FIXABLE:
		return "fixable";
	case FS_UNFIXED:
		return "unfixed";
	case FS_MINOR:
		return "minor";
	case FS_END_OF_LIFE:
		return "end_of_life";
	case FS_FIXED:
		return "fixed";
	}
	return "unknown";
}

/* ---- events ---- */

struct range_event {
	char type; /* 'i', 'f', 'l', 'x' */
	struct sv ver;
	bool zero; /* introduced "0": before everything */
};

static int event_cmp(const void *a, const void *b)
{
	const struct range_event *x = a, *y = b;
	if (x->zero || y->zero)
		return (int)y->zero - (int)x->zero;
	return debver_cmp_sv(x->ver, y->ver);
}

static int range_contains(struct range_event *ev, size_t n, struct sv v, struct sv *ret_fixed)
{
	bool affected = false;
	struct sv fixed = SV_NULL;

	for (size_t i = 0; i < n; i++)
		if (ev[i].type == 'x' && debver_cmp_sv(ev[i].ver, v) == 0) {
			*ret_fixed = SV_NULL;
			return 1;
		}
	qsort(ev, n, sizeof(*ev), event_cmp);
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == 'x')
			continue;
		int c = ev[i].zero ? -1 : debver_cmp_sv(ev[i].ver, v);
		if (c > 0) {
			if (affected && ev[i].type == 'f')
				fixed = ev[i].ver;
			if (affected)
				break;
			continue;
		}
		if (ev[i].type == 'i')
			affected = true;
		else if (ev[i].type == 'f')
			affected = false;
		else if (ev[i].type == 'l' && c < 0)
			affected = false;
	}
	if (!affected)
		return 0;
	*ret_fixed = fixed;
	return 1;
}

int match_events(const char *events, struct sv version, struct sv *ret_fixed)
{
	struct sv rest = sv_cstr(events);
	struct range_event ev[32];
	size_t n = 0;

	for (;;) {
		/* next token */
		while (rest.n && rest.p[0] == ' ')
			rest = sv_skip(rest, 1);
		long sp = sv_chr(rest, ' ');
		struct sv tok = sp >= 0 ? sv_make(rest.p, (size_t)sp) : rest;
		bool end = rest.n == 0;
		if (end || sv_eq(tok, "|")) {
			if (n && range_contains(ev, n, version, ret_fixed))
				return 1;
			n = 0;
			if (end)
				return 0;
		} else if (tok.n > 2 && tok.p[1] == '=' && strchr("iflx", tok.p[0]) && n < ELEMENTSOF(ev)) {
			struct sv ver = sv_skip(tok, 2);
			ev[n++] = (struct range_event){ .type = tok.p[0], .ver = ver, .zero = tok.p[0] == 'i' && sv_eq(ver, "0") };
		}
		rest = sv_skip(rest, tok.n);
	}
}

/* ---- severity ---- */

static double cvss_metric(const char *vec, const char *key, const char *letters, const double *values)
{
	const char *p = strstr(vec, key);
	if (!p)
		return -1;
	p += strlen(key);
	const char *q = strchr(letters, *p);
	if (!*p || !q)
		return -1;
	return values[q - letters];
}

/* Non-negative only: no libm needed. */
static long round_pos(double x)
{
	return (long)(x + 0.5);
}

/* CVSS "Roundup": the smallest one-decimal number >= x (done in integers
 * to avoid floating-point surprises, as the specification advises). */
static double roundup1(double x)
{
	long i = round_pos(x * 100000);
	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (double)(i / 10000 + 1) / 10.0;
}

static double pow15(double x)
{
	double r = 1;
	for (int i = 0; i < 15; i++)
		r *= x;
	return r;
}

/* CVSS v3.x base score from its vector (FIRST's specification). */
static int cvss3_score10(const char *vec)
{
	static const double av[] = { 0.85, 0.62, 0.55, 0.2 }, ac[] = { 0.77, 0.44 }, ui[] = { 0.85, 0.62 },
			    cia[] = { 0.56, 0.22, 0 }, pr_u[] = { 0.85, 0.62, 0.27 }, pr_c[] = { 0.85, 0.68, 0.5 };
	bool changed = strstr(vec, "/S:C") != NULL;
	double a = cvss_metric(vec, "/AV:", "NALP", av), c = cvss_metric(vec, "/AC:", "LH", ac);
	double p = cvss_metric(vec, "/PR:", "NLH", changed ? pr_c : pr_u), u = cvss_metric(vec, "/UI:", "NR", ui);
	double ci = cvss_metric(vec, "/C:", "HLN", cia), ii = cvss_metric(vec, "/I:", "HLN", cia),
	       ai = cvss_metric(vec, "/A:", "HLN", cia);
	double iss, impact, expl, base;
	if (a < 0 || c < 0 || p < 0 || u < 0 || ci < 0 || ii < 0 || ai < 0 || (!changed && !strstr(vec, "/S:U")))
		return -1;
	iss = 1 - (1 - ci) * (1 - ii) * (1 - ai);
	impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow15(iss - 0.02) : 6.42 * iss;
	expl = 8.22 * a * c * p * u;
	if (impact <= 0)
		base = 0;
	else if (changed)
		base = roundup1(MIN(1.08 * (impact + expl), 10.0));
	else
		base = roundup1(MIN(impact + expl, 10.0));
	return (int)round_pos(base * 10);
}

int match_severity_of(const char *score, int *ret_score10)
{
	static const struct {
		const char *word;
		int sev;
	} words[] = { { "negligible", SEV_LOW }, { "unimportant", SEV_LOW }, { "low", SEV_LOW },
		      { "medium", SEV_MEDIUM },	 { "moderate", SEV_MEDIUM },   { "high", SEV_HIGH },
		      { "important", SEV_HIGH },  { "critical", SEV_CRITICAL } };
	char w[32];
	size_t n = 0;
	if (!score)
		return -1;
	if (strncmp(score, "CVSS:3.", 7) == 0) {
		int s = cvss3_score10(score);
		if (s < 0)
			return -1;
		if (ret_score10)
			*ret_score10 = s;
		return s >= 90 ? SEV_CRITICAL : s >= 70 ? SEV_HIGH : s >= 40 ? SEV_MEDIUM : SEV_LOW;
	}
	/* a word, possibly with the tracker's "**" (not yet confirmed) */
	for (; score[n] && score[n] != '*' && n + 1 < sizeof(w); n++)
		w[n] = (char)((score[n] >= 'A' && score[n] <= 'Z') ? score[n] - 'A' + 'a' : score[n]);
	w[n] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcmp(w, words[i].word) == 0)
			return words[i].sev;
	return -1;
}

/* ---- findings ---- */

struct group {
	const char *source, *version;
	const struct inv_pkg **bins;
	size_t n_bins;
};

struct matcher {
	struct match_result *res;
	size_t cap;
	struct group *g;
	int err;
};

static int cmp_pkg_ptr(const void *a, const void *b)
{
	const struct inv_pkg *x = *(const struct inv_pkg *const *)a, *y = *(const struct inv_pkg *const *)b;
	int c = strcmp(x->source, y->source);
	if (c)
		return c;
	c = strcmp(x->source_version, y->source_version);
	if (c)
		return c;
	return strcmp(x->name, y->name);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void finding_done(struct finding *f)
{
	free(f->source);
	free(f->source_version);
	free(f->binaries);
	free(f->advisory);
	free(f->kind);
	free(f->aliases);
	free(f->fixed);
	free(f->triage);
	free(f->urgency);
	free(f->summary);
}

static int add_finding(struct matcher *m, const struct adv_row *row, enum finding_status st, const char *fixed,
		       const char *triage)
{
	struct match_result *r = m->res;
	struct finding *f;
	if (array_reserve(&r->v, &m->cap, r->n + 1, sizeof(*r->v), 64) < 0)
		return -ENOMEM;
	f = &r->v[r->n];
	*f = (struct finding){ .status = st, .severity = -1, .days_exposed = -1 };
	f->source = strdup(m->g->source);
	f->source_version = strdup(m->g->version);
	f->binaries = malloc(m->g->n_bins * sizeof(*f->binaries));
	f->advisory = strdup(row->e.advisory);
	f->kind = strdup(row->e.kind);
	f->aliases = strdup(row->m.aliases ? row->m.aliases : "");
	f->fixed = dup_or_null(fixed);
	f->triage = dup_or_null(triage);
	f->urgency = dup_or_null(row->e.urgency);
	f->summary = dup_or_null(row->m.summary);
	f->published_s = row->m.published_s;
	if (!f->source || !f->source_version || !f->binaries || !f->advisory || !f->kind || !f->aliases ||
	    (fixed && !f->fixed) || (triage && !f->triage) || (row->e.urgency && !f->urgency) ||
	    (row->m.summary && !f->summary)) {
		finding_done(f);
		return -ENOMEM;
	}
	memcpy(f->binaries, m->g->bins, m->g->n_bins * sizeof(*f->binaries));
	f->n_binaries = m->g->n_bins;
	/* severity: a score, else the tracker's urgency, else a guess from the kind of advisory */
	f->severity = match_severity_of(row->m.severity, NULL);
	if (f->severity < 0)
		f->severity = match_severity_of(row->e.urgency, NULL);
	if (f->severity < 0) {
		f->severity_guessed = true;
		f->severity = strncmp(f->advisory, "DSA-", 4) == 0 ? SEV_HIGH : SEV_MEDIUM;
	}
	r->n++;
	return 0;
}

static int judge(void *ud, const struct adv_row *row)
{
	struct matcher *m = ud;
	struct sv v = sv_cstr(m->g->version);
	const struct adv_entry *e = &row->e;
	char triage[300];
	const char *urg = e->urgency ? e->urgency : "";

	m->res->entries++;
	if (strcmp(e->kind, "osv") == 0) {
		struct sv fixed;
		char fbuf[300];
		if (match_events(e->events, v, &fixed) != 1) {
			/* not affected now; if a fix exists, the host may have been once */
			if (e->fixed && debver_cmp(m->g->version, e->fixed) >= 0)
				return add_finding(m, row, FS_FIXED, e->fixed, NULL);
			return 0;
		}
		if (fixed.n == 0)
			return add_finding(m, row, FS_UNFIXED, NULL, NULL);
		snprintf(fbuf, sizeof(fbuf), "%.*s", (int)MIN(fixed.n, sizeof(fbuf) - 1), fixed.p);
		return add_finding(m, row, FS_FIXABLE, fbuf, NULL);
	}

	/* the tracker: Debian's own triage, kept as it is */
	triage[0] = '\0';
	if (e->nodsa_reason)
		snprintf(triage, sizeof(triage), "%s", e->nodsa_reason);
	else if (e->nodsa)
		snprintf(triage, sizeof(triage), *e->nodsa ? "no-dsa: %.200s" : "no-dsa%.200s", e->nodsa);
	else if (strncmp(urg, "unimportant", 11) == 0)
		snprintf(triage, sizeof(triage), "unimportant");
	if (strcmp(e->status, "resolved") == 0) {
		if (!e->fixed || strcmp(e->fixed, "0") == 0)
			return 0; /* never affected in this release */
		if (debver_cmp(m->g->version, e->fixed) >= 0)
			return add_finding(m, row, FS_FIXED, e->fixed, triage[0] ? triage : NULL);
		return add_finding(m, row, FS_FIXABLE, e->fixed, triage[0] ? triage : NULL);
	}
	if (strcmp(e->status, "undetermined") == 0)
		return add_finding(m, row, FS_UNFIXED, NULL, "undetermined");
	/* open */
	if (strncmp(urg, "end-of-life", 11) == 0)
		return add_finding(m, row, FS_END_OF_LIFE, NULL, triage[0] ? triage : "end-of-life");
	if (triage[0])
		return add_finding(m, row, FS_MINOR, NULL, triage);
	return add_finding(m, row, FS_UNFIXED, NULL, NULL);
}

/* Which record speaks for a CVE reached several ways: lower wins. */
static int kind_rank(const struct finding *f)
{
	if (strcmp(f->kind, "tracker") == 0)
		return 4;
	if (strncmp(f->advisory, "DSA-", 4) == 0)
		return 0;
	if (strncmp(f->advisory, "DLA-", 4) == 0)
		return 1;
	if (strncmp(f->advisory, "DEBIAN-", 7) == 0)
		return 3;
	return 2;
}

/* Is the vulnerability id (CVE-…) among f's id and aliases? */
static bool covers(const struct finding *f, struct sv id)
{
	struct sv own = sv_cstr(f->advisory), rest = sv_cstr(f->aliases);
	(void)sv_consume(&own, "DEBIAN-");
	if (sv_eq_sv(own, id))
		return true;
	while (rest.n) {
		long sp = sv_chr(rest, ' ');
		struct sv a = sp >= 0 ? sv_make(rest.p, (size_t)sp) : rest;
		(void)sv_consume(&a, "DEBIAN-");
		if (sv_eq_sv(a, id))
			return true;
		rest = sp >= 0 ? sv_skip(rest, (size_t)sp + 1) : SV_NULL;
	}
	return false;
}

/* Findings [from, to) share one installed group: fold duplicates of the same CVE. */
static void fold_group(struct match_result *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct finding *f = &r->v[i];
		struct sv own = sv_cstr(f->advisory);
		if (!f->source)
			continue;
		(void)sv_consume(&own, "DEBIAN-");
		if (!sv_starts(own, "CVE-"))
			continue; /* a DSA/DLA stands on its own */
		for (size_t j = from; j < to; j++) {
			struct finding *g = &r->v[j];
			if (j == i || !g->source || kind_rank(g) >= kind_rank(f) ||
			    (g->status == FS_FIXED) != (f->status == FS_FIXED) || !covers(g, own))
				continue;
			/* g speaks for f's CVE: keep the tracker's word on urgency */
			if (!g->urgency && f->urgency) {
				g->urgency = f->urgency;
				f->urgency = NULL;
				if (g->severity_guessed) {
					int s = match_severity_of(g->urgency, NULL);
					if (s >= 0) {
						g->severity = s;
						g->severity_guessed = false;
					}
				}
			}
			if (!g->triage && f->triage && g->status == f->status) {
				g->triage = f->triage;
				f->triage = NULL;
			}
			finding_done(f);
			f->source = NULL; /* folded */
			break;
		}
	}
}

int match_run(struct advdb *db, const struct inventory *inv, const char *release, struct match_result *ret,
	      char **ret_err)
{
	size_t n = inventory_count(inv);
	_cleanup_free_ const struct inv_pkg **pk = malloc((n ? n : 1) * sizeof(*pk));
	struct match_result res = { 0 };
	struct matcher m = { .res = &res };
	int r = 0;

	if (!pk)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		pk[i] = inventory_get(inv, i);
	qsort(pk, n, sizeof(*pk), cmp_pkg_ptr);
	res.binaries = n;
	for (size_t i = 0; i < n && r >= 0;) {
		size_t j = i + 1;
		while (j < n && strcmp(pk[j]->source, pk[i]->source) == 0 &&
		       strcmp(pk[j]->source_version, pk[i]->source_version) == 0)
			j++;
		struct group g = { pk[i]->source, pk[i]->source_version, pk + i, j - i };
		size_t first = res.n;
		m.g = &g;
		res.sources++;
		r = advdb_foreach_entry(db, g.source, release, judge, &m);
		if (r >= 0)
			fold_group(&res, first, res.n);
		i = j;
	}
	/* drop folded slots */
	size_t w = 0;
	for (size_t i = 0; i < res.n; i++)
		if (res.v[i].source)
			res.v[w++] = res.v[i];
	res.n = w;
	if (r < 0) {
		match_result_done(&res);
		if (ret_err && asprintf(ret_err, "reading advisories: %s", strerror(-r)) < 0)
			*ret_err = NULL;
		return r;
	}
	*ret = res;
	return 0;
}

void match_result_done(struct match_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		finding_done(&r->v[i]);
	free(r->v);
	*r = (struct match_result){ 0 };
}
