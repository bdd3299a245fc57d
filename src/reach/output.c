/*
 * output: verdicts, and the graph as text, JSON lines or Graphviz DOT.
 * Every name, path and rule text came from the host (an attacker may have
 * chosen a user name or a file name): text goes through escape_text, JSON
 * through escape_json, DOT through dot_escape.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/macro.h"
#include "reach/graph-internal.h"

#define SHOW_SECRETS 10

static void put_text(FILE *f, const char *s)
{
	escape_text(f, sv_cstr(s), 400);
}

static void put_json(FILE *f, const char *s)
{
	fputc('"', f);
	escape_json(f, sv_cstr(s ? s : ""));
	fputc('"', f);
}

/* Graphviz: inside "…" only '"' and '\\' are special; control bytes and
 * invalid UTF-8 are written as \xNN text (escape_text's spelling). */
static void dot_escape(FILE *f, const char *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	if (!m)
		return;
	escape_text(m, sv_cstr(s), 300);
	fclose(m);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '"')
			fputs("\\\"", f);
		else if (buf[i] == '\\')
			fputs("\\\\", f);
		else
			fputc(buf[i], f);
	}
	free(buf);
}

static const char *node_name(const struct reach *r, size_t n, char *buf, size_t size)
{
	if (n == rx_node_root(&r->g))
		return "root";
	if (n < r->acc.n)
		return r->acc.u[n].name;
	snprintf(buf, size, "group %s", r->acc.g[n - r->acc.n].name);
	return buf;
}

static unsigned secrets_of(const struct reach *r, size_t account)
{
	unsigned k = 0;
	for (size_t i = 0; i < r->g.n_secrets; i++)
		k += r->g.secrets[i].account == account;
	return k;
}

/* The verdict sentence, escaped, into a memory stream. */
static void verdict(const struct reach *r, size_t i, FILE *m, bool *needs_pw)
{
	const struct account *u = &r->acc.u[i];
	const struct rx_graph *g = &r->g;
	put_text(m, u->name);
	*needs_pw = false;
	if (u->uid == 0 && strcmp(u->name, "root") == 0) {
		fputs(": is root", m);
		return;
	}
	int d = g->dist ? g->dist[i] : -1;
	if (u->uid == 0) {
		fprintf(m, ": is root (uid 0), evidence /etc/passwd:%u", u->line);
		return;
	}
	if (d < 0) {
		fputs(": no path to root", m);
	} else {
		fprintf(m, ": root in %d step%s (", d, d == 1 ? "" : "s");
		/* the steps; a group joined or an account become leads into the next */
		size_t n = i;
		bool lead = true; /* the next step follows a lead-in, not ", then " */
		char ev[2048] = "";
		size_t evn = 0;
		for (unsigned guard = 0; n != rx_node_root(g) && g->next[n] != SIZE_MAX && guard < 64; guard++) {
			const struct rx_edge *e = &g->e[g->next[n]];
			if (e->password)
				*needs_pw = true;
			if (!lead)
				fputs(", then ", m);
			put_text(m, e->what);
			n = e->to;
			if (e->kind == EDGE_MEMBER) {
				fputs(": ", m);
				lead = true;
				continue;
			}
			int w = snprintf(ev + evn, sizeof(ev) - evn, "%s%s", evn ? ", " : "", e->evidence);
			if (w > 0 && (size_t)w < sizeof(ev) - evn)
				evn += (size_t)w;
			lead = false;
			if (n != rx_node_root(g) && n < r->acc.n) {
				fputs(" → as ", m);
				put_text(m, r->acc.u[n].name);
				fputs(": ", m);
				lead = true;
			}
		}
		fputs("), evidence ", m);
		put_text(m, ev);
	}
	unsigned s = secrets_of(r, i);
	const char *home = u->home[0] ? u->home : "/";
	if (!r->walked)
		fputs("; secrets not searched (--no-walk)", m);
	else if (s == 0) {
		fputs("; reads no secret outside ", m);
		put_text(m, home);
	} else {
		fprintf(m, "; reads %u secret%s outside ", s, s == 1 ? "" : "s");
		put_text(m, home);
		fputs(" (", m);
		unsigned k = 0;
		for (size_t j = 0; j < g->n_secrets && k < 3; j++)
			if (g->secrets[j].account == i) {
				if (k++)
					fputs(", ", m);
				put_text(m, r->walk.found[g->secrets[j].found].path);
			}
		if (s > 3)
			fputs(", …", m);
		fputs(")", m);
	}
}

static void fill_summary(const struct reach *r, size_t i, struct reach_summary *ret)
{
	const struct account *u = &r->acc.u[i];
	*ret = (struct reach_summary){ .exists = true, .login = u->login, .is_root = u->uid == 0 };
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	if (m) {
		put_text(m, u->name);
		fclose(m);
		snprintf(ret->user, sizeof(ret->user), "%s", buf);
		free(buf);
		buf = NULL;
	}
	ret->root_steps = u->uid == 0 ? 0 : r->g.dist ? r->g.dist[i] : -1;
	ret->secrets = secrets_of(r, i);
	m = open_memstream(&buf, &n);
	if (!m)
		return;
	verdict(r, i, m, &ret->needs_password);
	fclose(m);
	snprintf(ret->verdict, sizeof(ret->verdict), "%s", buf);
	if (n >= sizeof(ret->verdict))
		memcpy(ret->verdict + sizeof(ret->verdict) - 4, "…", 4);
	free(buf);
}

static bool shown_by_default(const struct reach *r, size_t i)
{
	return r->acc.u[i].login || r->acc.u[i].uid == 0;
}

size_t reach_count(const struct reach *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->acc.n; i++)
		n += shown_by_default(r, i);
	return n;
}

void reach_summary_at(const struct reach *r, size_t k, struct reach_summary *ret)
{
	for (size_t i = 0; i < r->acc.n; i++)
		if (shown_by_default(r, i) && k-- == 0) {
			fill_summary(r, i, ret);
			return;
		}
	*ret = (struct reach_summary){ .root_steps = -1 };
}

int reach_summarize(const struct reach *r, const char *user, struct reach_summary *ret)
{
	const struct account *u = accounts_by_name(&r->acc, user);
	if (!u) {
		*ret = (struct reach_summary){ .root_steps = -1 };
		char *buf = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&buf, &n);
		if (m) {
			put_text(m, user);
			fputs(": no such account in /etc/passwd", m);
			fclose(m);
			snprintf(ret->verdict, sizeof(ret->verdict), "%s", buf);
			free(buf);
		}
		return -ENOENT;
	}
	size_t i = (size_t)(u - r->acc.u);
	fill_summary(r, i, ret);
	if (!r->g.analysed[i]) {
		/* its edges were not computed: say so rather than "no path" */
		ret->root_steps = -1;
		char *buf = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&buf, &n);
		if (m) {
			put_text(m, user);
			fputs(": not analysed (it cannot log in and no rule makes anyone it; name it to analyse it)", m);
			fclose(m);
			snprintf(ret->verdict, sizeof(ret->verdict), "%s", buf);
			free(buf);
		}
	}
	return 0;
}

/* ---- the cache of reach_verdict ---- */

static struct {
	char *root;
	struct reach *r;
	int err;
} cache;

void reach_verdict_reset(void)
{
	cache.r = reach_free(cache.r);
	free(cache.root);
	cache.root = NULL;
	cache.err = 0;
}

/* Is user in root's passwd? Read without the walk: an alert about an
 * account this root does not have costs one read of passwd, not seconds. */
static int account_exists(const char *root, const char *user)
{
	struct fsroot fr;
	struct accounts acc;
	struct rx_problems pr = { 0 };
	int rc = fsroot_open(root, &fr);
	if (rc < 0)
		return rc;
	rc = accounts_load(&fr, &acc, &pr);
	fsroot_close(&fr);
	rx_problems_done(&pr);
	if (rc < 0)
		return rc;
	rc = accounts_by_name(&acc, user) ? 1 : 0;
	accounts_done(&acc);
	return rc;
}

int reach_verdict(const char *root, const char *user, struct reach_summary *ret)
{
	if (!root)
		root = "/";
	if (!cache.root || strcmp(cache.root, root) != 0) {
		int e = account_exists(root, user);
		if (e == 0) {
			*ret = (struct reach_summary){ .root_steps = -1 };
			return -ENOENT;
		}
		reach_verdict_reset();
		cache.root = strdup(root);
		if (!cache.root)
			return -ENOMEM;
		char *err = NULL;
		cache.err = reach_new(&(struct reach_opts){ .root = root }, &cache.r, &err);
		free(err);
	}
	if (cache.err < 0) {
		*ret = (struct reach_summary){ .root_steps = -1 };
		return cache.err;
	}
	return reach_summarize(cache.r, user, ret);
}

/* ---- printing ---- */

static bool want(const struct reach *r, const struct reach_print_opts *o, size_t i)
{
	if (!o->users || !o->n_users)
		return shown_by_default(r, i);
	for (size_t k = 0; k < o->n_users; k++)
		if (strcmp(o->users[k], r->acc.u[i].name) == 0)
			return true;
	return false;
}

static void print_edge_text(const struct reach *r, FILE *f, const struct rx_edge *e, const char *lead)
{
	char b1[300], b2[300];
	fputs(lead, f);
	put_text(f, node_name(r, e->from, b1, sizeof(b1)));
	fputs(" → ", f);
	put_text(f, node_name(r, e->to, b2, sizeof(b2)));
	fputs(": ", f);
	put_text(f, e->what);
	fputs(" [", f);
	put_text(f, e->evidence);
	if (e->detail && *e->detail) {
		fputs("; ", f);
		put_text(f, e->detail);
	}
	fputs("]\n", f);
}

static void print_text(const struct reach *r, FILE *f, const struct reach_print_opts *o, size_t i)
{
	const struct rx_graph *g = &r->g;
	struct reach_summary s;
	fill_summary(r, i, &s);
	fputs(s.verdict, f);
	fputc('\n', f);
	/* the path, one step a line, with its evidence */
	size_t n = i;
	for (unsigned guard = 0; g->dist && g->dist[i] > 0 && n != rx_node_root(g) && g->next[n] != SIZE_MAX && guard < 64;
	     guard++) {
		const struct rx_edge *e = &g->e[g->next[n]];
		print_edge_text(r, f, e, "  step: ");
		n = e->to;
	}
	unsigned shown = 0, total = 0;
	for (size_t j = 0; j < g->n_secrets; j++) {
		if (g->secrets[j].account != i)
			continue;
		total++;
		if (!o->verbose && shown >= SHOW_SECRETS)
			continue;
		shown++;
		const struct rx_found *x = &r->walk.found[g->secrets[j].found];
		fputs("  secret: ", f);
		put_text(f, x->path);
		fputs(" (", f);
		put_text(f, x->info);
		fputs("; ", f);
		put_text(f, g->secrets[j].via);
		fputs(")\n", f);
	}
	if (total > shown)
		fprintf(f, "  secret: … and %u more (--verbose lists them)\n", total - shown);
	for (size_t j = 0; j < g->n_notes; j++)
		if (g->notes[j].account == i) {
			fputs("  note: ", f);
			put_text(f, g->notes[j].text);
			fputc('\n', f);
		}
	if (o->verbose) {
		const struct account *u = &r->acc.u[i];
		for (size_t k = 0; k < g->n_e; k++) {
			const struct rx_edge *e = &g->e[k];
			bool mine = e->from == i;
			for (size_t m = 0; !mine && m < u->n_gids; m++) {
				const struct group_ent *ge = accounts_group_by_gid(&r->acc, u->gids[m]);
				mine = ge && e->from == rx_node_group(g, (size_t)(ge - r->acc.g));
			}
			if (mine)
				print_edge_text(r, f, e, "  edge: ");
		}
	}
}

static void print_json_edge(const struct reach *r, FILE *f, const struct rx_edge *e)
{
	char b1[300], b2[300];
	fputs("{\"from\":", f);
	put_json(f, node_name(r, e->from, b1, sizeof(b1)));
	fputs(",\"to\":", f);
	put_json(f, node_name(r, e->to, b2, sizeof(b2)));
	fputs(",\"what\":", f);
	put_json(f, e->what);
	fputs(",\"evidence\":", f);
	put_json(f, e->evidence);
	fputs(",\"detail\":", f);
	put_json(f, e->detail ? e->detail : "");
	fprintf(f, ",\"needs_password\":%s}", e->password ? "true" : "false");
}

static void print_json(const struct reach *r, FILE *f, size_t i)
{
	const struct rx_graph *g = &r->g;
	const struct account *u = &r->acc.u[i];
	struct reach_summary s;
	fill_summary(r, i, &s);
	fputs("{\"account\":", f);
	put_json(f, u->name);
	fprintf(f, ",\"uid\":%u,\"login\":%s,\"root_steps\":", u->uid, u->login ? "true" : "false");
	if (s.root_steps >= 0)
		fprintf(f, "%d", s.root_steps);
	else
		fputs("null", f);
	fprintf(f, ",\"needs_password\":%s,\"verdict\":", s.needs_password ? "true" : "false");
	put_json(f, s.verdict);
	fputs(",\"path\":[", f);
	size_t n = i;
	bool first = true;
	for (unsigned guard = 0; g->dist && g->dist[i] > 0 && n != rx_node_root(g) && g->next[n] != SIZE_MAX && guard < 64;
	     guard++) {
		const struct rx_edge *e = &g->e[g->next[n]];
		if (!first)
			fputc(',', f);
		first = false;
		print_json_edge(r, f, e);
		n = e->to;
	}
	fputs("],\"secrets\":[", f);
	first = true;
	for (size_t j = 0; j < g->n_secrets; j++) {
		if (g->secrets[j].account != i)
			continue;
		const struct rx_found *x = &r->walk.found[g->secrets[j].found];
		if (!first)
			fputc(',', f);
		first = false;
		fputs("{\"path\":", f);
		put_json(f, x->path);
		fputs(",\"kind\":", f);
		put_json(f, x->info);
		fputs(",\"via\":", f);
		put_json(f, g->secrets[j].via);
		fputc('}', f);
	}
	fputs("],\"notes\":[", f);
	first = true;
	for (size_t j = 0; j < g->n_notes; j++)
		if (g->notes[j].account == i) {
			if (!first)
				fputc(',', f);
			first = false;
			put_json(f, g->notes[j].text);
		}
	fputs("]}\n", f);
}

static void print_dot(const struct reach *r, FILE *f, const struct reach_print_opts *o)
{
	const struct rx_graph *g = &r->g;
	size_t nn = rx_node_root(g) + 1;
	bool *keep = calloc(nn, sizeof(bool));
	if (!keep)
		return;
	/* the accounts shown, the groups they are in, and everything on their ways to root */
	for (size_t i = 0; i < r->acc.n; i++) {
		if (!want(r, o, i))
			continue;
		keep[i] = true;
		for (size_t n = i; g->next && g->next[n] != SIZE_MAX; n = g->e[g->next[n]].to) {
			keep[g->e[g->next[n]].to] = true;
			if (keep[g->e[g->next[n]].to] && g->e[g->next[n]].to == rx_node_root(g))
				break;
		}
		for (size_t k = 0; k < g->n_e; k++)
			if (g->e[k].from == i && g->e[k].kind == EDGE_MEMBER)
				keep[g->e[k].to] = true;
	}
	keep[rx_node_root(g)] = true;
	fputs("digraph reach {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n", f);
	char b[300];
	for (size_t n = 0; n < nn; n++) {
		if (!keep[n])
			continue;
		fprintf(f, "  n%zu [label=\"", n);
		dot_escape(f, node_name(r, n, b, sizeof(b)));
		fprintf(f, "\", shape=%s%s];\n", n == rx_node_root(g) ? "doubleoctagon" : n < r->acc.n ? "box" : "ellipse",
			n == rx_node_root(g) ? ", style=filled, fillcolor=\"#f4cccc\"" : "");
	}
	for (size_t k = 0; k < g->n_e; k++) {
		const struct rx_edge *e = &g->e[k];
		if (!keep[e->from] || !keep[e->to])
			continue;
		bool on_path = g->next && g->next[e->from] == k;
		fprintf(f, "  n%zu -> n%zu [label=\"", e->from, e->to);
		dot_escape(f, e->what);
		fputs("\\n", f);
		dot_escape(f, e->evidence);
		fprintf(f, "\"%s%s];\n", e->kind == EDGE_MEMBER ? ", style=dashed" : "", on_path ? ", penwidth=2, color=\"#cc0000\"" : "");
	}
	fputs("}\n", f);
	free(keep);
}

void reach_print(const struct reach *r, FILE *f, const struct reach_print_opts *o)
{
	if (o->format == REACH_DOT) {
		print_dot(r, f, o);
		return;
	}
	/* names asked for that passwd does not have */
	for (size_t k = 0; o->users && k < o->n_users; k++) {
		if (accounts_by_name(&r->acc, o->users[k]))
			continue;
		if (o->format == REACH_JSON) {
			fputs("{\"account\":", f);
			put_json(f, o->users[k]);
			fputs(",\"exists\":false}\n", f);
		} else {
			put_text(f, o->users[k]);
			fputs(": no such account in /etc/passwd\n", f);
		}
	}
	for (size_t i = 0; i < r->acc.n; i++) {
		if (!want(r, o, i))
			continue;
		if (o->format == REACH_JSON)
			print_json(r, f, i);
		else
			print_text(r, f, o, i);
	}
}
