/*
 * openvex: OpenVEX documents out of and into the register (see openvex.h).
 */
#include "exceptions/openvex.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/array.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "exposure/exposure.h"

#define OPENVEX_CONTEXT "https://openvex.dev/ns/v0.2.0"

static void date_only(int64_t t_s, char out[16])
{
	char t[TIME_STRLEN];
	time_format_rfc3339(t_s * 1000000, t);
	snprintf(out, 16, "%.10s", t);
}

static json_t *time_value(int64_t t_s)
{
	char t[TIME_STRLEN];
	return json_string(time_format_rfc3339(t_s * 1000000, t));
}

/* "pkg:deb/debian/NAME": a purl; package names are [a-z0-9.+-] (dpkg), so nothing needs escaping
 * but '+', which purl percent-encodes. */
static json_t *product(const char *pkg)
{
	char buf[600];
	size_t n = 0;
	n += (size_t)snprintf(buf, sizeof(buf), "pkg:deb/debian/");
	for (const char *c = pkg; *c && n + 4 < sizeof(buf); c++) {
		if (*c == '+')
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%%2B");
		else
			buf[n++] = *c;
	}
	buf[n] = '\0';
	return json_pack("{s:s}", "@id", buf);
}

static char *notes_of(const struct exception *e)
{
	char until[16], review[16];
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	if (!m)
		return NULL;
	date_only(e->until_s, until);
	fprintf(m, "moat: id=%s; owner=%s; until=%s", e->id, e->owner ? e->owner : "", until);
	if (e->review_s) {
		date_only(e->review_s, review);
		fprintf(m, "; review=%s", review);
	}
	if (e->n_controls) {
		fputs("; controls=", m);
		for (size_t i = 0; i < e->n_controls; i++)
			fprintf(m, "%s%s", i ? " | " : "", e->controls[i]);
	}
	fclose(m);
	return s;
}

static json_t *statement(const struct exception *e, const char *advisory, const char *const *pkgs, size_t n_pkgs,
			 const char *host_product)
{
	char until[16];
	date_only(e->until_s, until);
	json_t *st = json_object(), *prods = json_array();
	if (!st || !prods) {
		json_decref(st);
		json_decref(prods);
		return NULL;
	}
	json_object_set_new(st, "vulnerability", json_pack("{s:s}", "name", advisory));
	json_object_set_new(st, "timestamp", time_value(e->added_s));
	if (e->changed_s != e->added_s)
		json_object_set_new(st, "last_updated", time_value(e->changed_s));
	for (size_t i = 0; i < n_pkgs; i++)
		json_array_append_new(prods, product(pkgs[i]));
	if (n_pkgs == 0)
		json_array_append_new(prods, json_pack("{s:s}", "@id", host_product));
	json_object_set_new(st, "products", prods);
	if (e->kind == EXC_NOT_AFFECTED) {
		json_object_set_new(st, "status", json_string("not_affected"));
		if (e->justification)
			json_object_set_new(st, "justification", json_string(e->justification));
		json_object_set_new(st, "impact_statement", json_string(e->reason ? e->reason : "(no reason given)"));
	} else {
		char *act = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&act, &n);
		if (m) {
			fprintf(m, "Risk accepted by %s until %s: %s.", e->owner ? e->owner : "?", until,
				e->reason ? e->reason : "(no reason given)");
			if (e->n_controls) {
				fputs(" Compensating controls, checked by moat on the live host:", m);
				for (size_t i = 0; i < e->n_controls; i++)
					fprintf(m, "%s %s", i ? ";" : "", e->controls[i]);
				fputc('.', m);
			} else {
				fputs(" No compensating control: bare risk acceptance.", m);
			}
			fclose(m);
		}
		json_object_set_new(st, "status", json_string("affected"));
		json_object_set_new(st, "action_statement", json_string(act ? act : "Risk accepted."));
		json_object_set_new(st, "action_statement_timestamp", time_value(e->changed_s));
		free(act);
	}
	char *notes = notes_of(e);
	if (notes)
		json_object_set_new(st, "status_notes", json_string(notes));
	free(notes);
	return st;
}

int openvex_export(const struct exc_register *r, const struct exposure_result *ex, const char *author,
		   const char *doc_id, int64_t now_s, char **ret, size_t *ret_left_out)
{
	json_t *doc = json_object(), *sts = json_array();
	size_t left_out = 0;
	if (!doc || !sts) {
		json_decref(doc);
		json_decref(sts);
		return -ENOMEM;
	}
	json_object_set_new(doc, "@context", json_string(OPENVEX_CONTEXT));
	json_object_set_new(doc, "@id", json_string(doc_id));
	json_object_set_new(doc, "author", json_string(author));
	json_object_set_new(doc, "role", json_string("operator"));
	json_object_set_new(doc, "timestamp", time_value(now_s));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "tooling", json_string("moat " MOAT_VERSION));
	for (size_t i = 0; i < r->n; i++) {
		const struct exception *e = &r->v[i];
		if (e->revoked)
			continue;
		if (e->scope == EXC_ADVISORY) {
			const char *pk[1] = { e->package };
			json_t *st = statement(e, e->advisory, pk, e->package ? 1 : 0, "urn:moat:host");
			if (st)
				json_array_append_new(sts, st);
			continue;
		}
		/* package and host: one statement per advisory of the exposed findings it covers */
		size_t made = 0;
		for (size_t k = 0; ex && k < ex->match.n; k++) {
			const struct finding *f = &ex->match.v[k];
			bool dup = false;
			if (f->status == FS_FIXED || !exception_covers(e, f))
				continue;
			for (size_t j = 0; j < k && !dup; j++)
				dup = ex->match.v[j].status != FS_FIXED && exception_covers(e, &ex->match.v[j]) &&
				      strcmp(ex->match.v[j].advisory, f->advisory) == 0 &&
				      strcmp(ex->match.v[j].source, f->source) == 0;
			if (dup)
				continue;
			const char *pk[1] = { f->source };
			json_t *st = statement(e, f->advisory, pk, 1, "urn:moat:host");
			if (st) {
				json_array_append_new(sts, st);
				made++;
			}
		}
		if (!made)
			left_out++;
	}
	if (json_array_size(sts) == 0) {
		json_decref(sts);
		json_decref(doc);
		*ret = NULL;
		*ret_left_out = left_out;
		return -ENODATA; /* OpenVEX needs at least one statement */
	}
	json_object_set_new(doc, "statements", sts);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	*ret = text;
	*ret_left_out = left_out;
	return 0;
}

/* ---- import ---- */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

void vex_proposals_free(struct vex_proposal *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].advisory);
		free(v[i].package);
		free(v[i].justification);
		free(v[i].reason);
		free(v[i].owner);
		for (size_t k = 0; k < v[i].n_controls; k++)
			free(v[i].controls[k]);
	}
	free(v);
}

/* The package of a product: pkg:deb/VENDOR/NAME[@VERSION][?…] (its purl as @id or identifiers.purl). */
static char *package_of(json_t *prod)
{
	const char *purl = jstr(prod, "@id");
	json_t *ids = json_object_get(prod, "identifiers");
	if ((!purl || strncmp(purl, "pkg:deb/", 8) != 0) && ids)
		purl = jstr(ids, "purl");
	if (!purl || strncmp(purl, "pkg:deb/", 8) != 0)
		return NULL;
	const char *name = strchr(purl + 8, '/');
	if (!name)
		return NULL;
	name++;
	size_t n = strcspn(name, "@?#");
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '%' && i + 2 < n + 1 && strncasecmp(name + i, "%2B", 3) == 0) {
			*o++ = '+';
			i += 2;
		} else {
			*o++ = name[i];
		}
	}
	*o = '\0';
	return out;
}

static int64_t date_of(const char *s, size_t n)
{
	char buf[40];
	int64_t us;
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return time_parse_rfc3339(buf, &us) == 0 ? us / 1000000 : 0;
}

/* "moat: id=E1; owner=alice; until=…; review=…; controls=A | B" */
static void read_notes(const char *notes, struct vex_proposal *p)
{
	if (!notes || strncmp(notes, "moat: ", 6) != 0)
		return;
	for (const char *f = notes + 6; *f;) {
		size_t n = strcspn(f, ";");
		const char *eq = memchr(f, '=', n);
		if (eq) {
			size_t kl = (size_t)(eq - f), vl = n - kl - 1;
			const char *v = eq + 1;
			if (kl == 5 && strncmp(f, "owner", 5) == 0 && vl)
				p->owner = strndup(v, vl);
			else if (kl == 5 && strncmp(f, "until", 5) == 0)
				p->until_s = date_of(v, vl);
			else if (kl == 6 && strncmp(f, "review", 6) == 0)
				p->review_s = date_of(v, vl);
			else if (kl == 8 && strncmp(f, "controls", 8) == 0) {
				for (const char *c = v; c < v + vl && p->n_controls < EXC_CONTROLS_MAX;) {
					size_t cl = strcspn(c, "|");
					if (c + cl > v + vl)
						cl = (size_t)(v + vl - c);
					size_t a = 0, b = cl;
					while (a < b && c[a] == ' ')
						a++;
					while (b > a && c[b - 1] == ' ')
						b--;
					if (b > a)
						p->controls[p->n_controls++] = strndup(c + a, b - a);
					c += cl + 1;
				}
			}
		}
		f += n;
		while (*f == ';' || *f == ' ')
			f++;
	}
}

/* "Risk accepted by OWNER until DATE: REASON. Compensating …" → REASON (our own export); else the whole text. */
static char *reason_of_action(const char *act)
{
	const char *p = strncmp(act, "Risk accepted by ", 17) == 0 ? strstr(act, ": ") : NULL;
	if (!p)
		return strdup(act);
	p += 2;
	const char *end = strstr(p, ". Compensating controls");
	if (!end)
		end = strstr(p, ". No compensating control");
	return end ? strndup(p, (size_t)(end - p)) : strdup(p);
}

static void note(char ***notes, size_t *n, size_t *cap, size_t idx, const char *why)
{
	char *s = NULL;
	if (asprintf(&s, "statement %zu: %s", idx + 1, why) < 0)
		return;
	if (array_reserve(notes, cap, *n + 1, sizeof(char *), 8) < 0) {
		free(s);
		return;
	}
	(*notes)[(*n)++] = s;
}

int openvex_import(const char *buf, size_t len, struct vex_proposal **ret, size_t *ret_n, char ***ret_notes,
		   size_t *ret_n_notes, char **ret_err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	struct vex_proposal *v = NULL;
	char **notes = NULL;
	size_t n = 0, cap = 0, nn = 0, ncap = 0;
	if (!doc) {
		if (ret_err && asprintf(ret_err, "line %d: %s", jerr.line, jerr.text) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	const char *ctx = jstr(doc, "@context");
	json_t *sts = json_object_get(doc, "statements");
	if (!ctx || strncmp(ctx, "https://openvex.dev/ns", 22) != 0 || !json_is_array(sts)) {
		json_decref(doc);
		if (ret_err && asprintf(ret_err, "not an OpenVEX document (no openvex.dev @context or no statements)") < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	size_t i;
	json_t *st;
	json_array_foreach(sts, i, st)
	{
		if (i >= VEX_MAX_STATEMENTS) {
			note(&notes, &nn, &ncap, i, "and the rest: more statements than moat reads");
			break;
		}
		const char *status = jstr(st, "status");
		json_t *vul = json_object_get(st, "vulnerability");
		const char *name = vul ? jstr(vul, "name") : NULL;
		if (!status || !name || !*name) {
			note(&notes, &nn, &ncap, i, "no status or no vulnerability name: skipped");
			continue;
		}
		bool na = strcmp(status, "not_affected") == 0;
		if (!na && strcmp(status, "affected") != 0) {
			char why[96];
			snprintf(why, sizeof(why), "status %.40s proposes no exception", status);
			note(&notes, &nn, &ncap, i, why);
			continue;
		}
		json_t *prods = json_object_get(st, "products"), *pr;
		size_t np = json_is_array(prods) ? json_array_size(prods) : 0;
		/* one proposal per package named (or one for the host when none is a Debian package) */
		for (size_t k = 0; k < (np ? np : 1); k++) {
			pr = np ? json_array_get(prods, k) : NULL;
			char *pkg = pr ? package_of(pr) : NULL;
			if (np > 1 && !pkg)
				continue;
			if (array_reserve(&v, &cap, n + 1, sizeof(*v), 8) < 0) {
				free(pkg);
				goto oom;
			}
			struct vex_proposal *p = &v[n++];
			*p = (struct vex_proposal){ .kind = na ? EXC_NOT_AFFECTED : EXC_ACCEPT, .package = pkg };
			p->advisory = strdup(name);
			const char *j = jstr(st, "justification");
			p->justification = j ? strdup(j) : NULL;
			const char *text = na ? jstr(st, "impact_statement") : jstr(st, "action_statement");
			p->reason = na ? (text ? strdup(text) : NULL) : (text ? reason_of_action(text) : NULL);
			read_notes(jstr(st, "status_notes"), p);
			if (!p->advisory)
				goto oom;
		}
	}
	json_decref(doc);
	*ret = v;
	*ret_n = n;
	*ret_notes = notes;
	*ret_n_notes = nn;
	return 0;
oom:
	json_decref(doc);
	vex_proposals_free(v, n);
	for (size_t k = 0; k < nn; k++)
		free(notes[k]);
	free(notes);
	return -ENOMEM;
}
