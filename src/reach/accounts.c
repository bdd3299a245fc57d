/*
 * accounts: ROOT/etc/passwd and ROOT/etc/group, read as text (never through
 * NSS: the root may be an image, and the host's own users are not its).
 * An account's groups are its primary group and every group that lists it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array.h"
#include "core/macro.h"
#include "reach/reach-internal.h"

/* Splits a colon-separated line into at most max fields; returns the count. */
static size_t split_colon(struct sv line, struct sv *f, size_t max)
{
	size_t n = 0;
	while (n < max) {
		long c = sv_chr(line, ':');
		if (c < 0) {
			f[n++] = line;
			break;
		}
		f[n++] = sv_make(line.p, (size_t)c);
		line = sv_skip(line, (size_t)c + 1);
	}
	return n;
}

static int parse_id(struct sv v, uint32_t *ret)
{
	unsigned long long x;
	if (sv_to_u64(v, UINT32_MAX - 1, &x) < 0)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* A shell that lets nobody in (login(1) and sshd run it, and it refuses). */
static bool shell_refuses(struct sv s)
{
	static const char *const no[] = { "nologin", "false", "sync", "halt", "shutdown", "true" };
	long slash = sv_rchr(s, '/');
	struct sv base = slash >= 0 ? sv_skip(s, (size_t)slash + 1) : s;
	for (size_t i = 0; i < ELEMENTSOF(no); i++)
		if (sv_eq(base, no[i]))
			return true;
	return false;
}

typedef void (*line_fn)(void *ud, struct sv line, unsigned lineno);

static void each_line(const char *text, size_t len, line_fn fn, void *ud)
{
	struct sv t = sv_make(text, len);
	unsigned no = 0;
	while (t.n) {
		long nl = sv_chr(t, '\n');
		struct sv line = nl < 0 ? t : sv_make(t.p, (size_t)nl);
		t = nl < 0 ? SV_NULL : sv_skip(t, (size_t)nl + 1);
		no++;
		if (line.n && line.p[line.n - 1] == '\r')
			line = sv_cut(line, 1);
		fn(ud, line, no);
	}
}

struct pctx {
	struct accounts *a;
	struct rx_problems *pr;
	size_t cap;
	int err;
	const char *file;
};

static bool has_nul(struct sv v)
{
	return v.n && memchr(v.p, '\0', v.n) != NULL;
}

static void passwd_line(void *ud, struct sv line, unsigned no)
{
	struct pctx *c = ud;
	struct sv f[8];
	if (c->err || line.n == 0 || line.p[0] == '#')
		return;
	if (line.p[0] == '+' || line.p[0] == '-') {
		rx_problem(c->pr, "%s:%u: NIS compat entry not followed", c->file, no);
		return;
	}
	size_t n = split_colon(line, f, 8);
	uint32_t uid, gid;
	if (n != 7 || f[0].n == 0 || f[0].n > 256 || has_nul(line) || parse_id(f[2], &uid) < 0 ||
	    parse_id(f[3], &gid) < 0) {
		rx_problem(c->pr, "%s:%u: not a passwd line (name:pw:uid:gid:gecos:home:shell), skipped", c->file, no);
		return;
	}
	if (c->a->n >= RX_MAX_ACCOUNTS) {
		rx_problem(c->pr, "%s:%u: more than %u accounts; the rest skipped", c->file, no, RX_MAX_ACCOUNTS);
		return;
	}
	if (array_reserve(&c->a->u, &c->cap, c->a->n + 1, sizeof(*c->a->u), 64) < 0) {
		c->err = -ENOMEM;
		return;
	}
	struct account *u = &c->a->u[c->a->n];
	*u = (struct account){ .name = sv_dup(f[0]), .uid = uid, .gid = gid, .home = sv_dup(f[5]),
			       .shell = sv_dup(f[6]), .line = no, .login = !shell_refuses(f[6]) };
	if (!u->name || !u->home || !u->shell) {
		free(u->name);
		free(u->home);
		free(u->shell);
		c->err = -ENOMEM;
		return;
	}
	c->a->n++;
}

static void group_line(void *ud, struct sv line, unsigned no)
{
	struct pctx *c = ud;
	struct sv f[5];
	if (c->err || line.n == 0 || line.p[0] == '#')
		return;
	size_t n = split_colon(line, f, 5);
	uint32_t gid;
	if (n != 4 || f[0].n == 0 || f[0].n > 256 || has_nul(line) || parse_id(f[2], &gid) < 0) {
		rx_problem(c->pr, "%s:%u: not a group line (name:pw:gid:members), skipped", c->file, no);
		return;
	}
	if (c->a->ng >= RX_MAX_GROUPS) {
		rx_problem(c->pr, "%s:%u: more than %u groups; the rest skipped", c->file, no, RX_MAX_GROUPS);
		return;
	}
	if (array_reserve(&c->a->g, &c->cap, c->a->ng + 1, sizeof(*c->a->g), 64) < 0) {
		c->err = -ENOMEM;
		return;
	}
	struct group_ent *g = &c->a->g[c->a->ng];
	*g = (struct group_ent){ .name = sv_dup(f[0]), .gid = gid, .line = no };
	if (!g->name) {
		c->err = -ENOMEM;
		return;
	}
	c->a->ng++;
	struct sv m = f[3];
	size_t mcap = 0;
	while (m.n) {
		long comma = sv_chr(m, ',');
		struct sv one = comma < 0 ? m : sv_make(m.p, (size_t)comma);
		m = comma < 0 ? SV_NULL : sv_skip(m, (size_t)comma + 1);
		while (one.n && (one.p[0] == ' ' || one.p[0] == '\t'))
			one = sv_skip(one, 1);
		while (one.n && (one.p[one.n - 1] == ' ' || one.p[one.n - 1] == '\t'))
			one = sv_cut(one, 1);
		if (!one.n || g->n_members >= RX_MAX_ACCOUNTS)
			continue;
		char *s = sv_dup(one);
		if (!s || array_reserve(&g->members, &mcap, g->n_members + 1, sizeof(*g->members), 8) < 0) {
			free(s);
			c->err = -ENOMEM;
			return;
		}
		g->members[g->n_members++] = s;
	}
}

static int add_gid(struct account *u, size_t *cap, uint32_t gid, unsigned line)
{
	for (size_t i = 0; i < u->n_gids; i++)
		if (u->gids[i] == gid)
			return 0;
	size_t cap2 = *cap;
	if (array_reserve(&u->gids, cap, u->n_gids + 1, sizeof(*u->gids), 8) < 0 ||
	    array_reserve(&u->gid_lines, &cap2, u->n_gids + 1, sizeof(*u->gid_lines), 8) < 0)
		return -ENOMEM;
	u->gids[u->n_gids] = gid;
	u->gid_lines[u->n_gids++] = line;
	return 0;
}

static const struct accounts *sort_accounts;

static int cmp_ix(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = strcmp(sort_accounts->u[i].name, sort_accounts->u[j].name);
	return c ? c : (i > j) - (i < j);
}

int accounts_parse(struct accounts *a, const char *passwd, size_t plen, const char *group, size_t glen,
		   struct rx_problems *pr)
{
	*a = (struct accounts){ 0 };
	struct pctx c = { .a = a, .pr = pr, .file = "/etc/passwd" };
	each_line(passwd, plen, passwd_line, &c);
	if (!c.err && group) {
		c.cap = 0;
		c.file = "/etc/group";
		each_line(group, glen, group_line, &c);
	}
	if (c.err)
		return c.err;
	/* memberships: the primary group, then each group naming the account
	 * (n × members: a group table is at most RX_MAX_GROUPS lines) */
	for (size_t i = 0; i < a->n; i++) {
		struct account *u = &a->u[i];
		size_t cap = 0;
		if (add_gid(u, &cap, u->gid, 0) < 0)
			return -ENOMEM;
		(void)cap;
	}
	/* names sorted once: a hostile group file of many members costs a
	 * binary search per member, not a pass over passwd */
	size_t *ix = a->n ? malloc(a->n * sizeof(*ix)) : NULL;
	if (a->n && !ix)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++)
		ix[i] = i;
	sort_accounts = a;
	if (a->n)
		qsort(ix, a->n, sizeof(*ix), cmp_ix);
	for (size_t j = 0; j < a->ng; j++) {
		struct group_ent *g = &a->g[j];
		for (size_t k = 0; k < g->n_members; k++) {
			size_t lo = 0, hi = a->n;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int cmp = strcmp(a->u[ix[mid]].name, g->members[k]);
				if (cmp < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			/* every account of that name (duplicates in passwd are all members) */
			for (; lo < a->n && strcmp(a->u[ix[lo]].name, g->members[k]) == 0; lo++) {
				struct account *u = &a->u[ix[lo]];
				size_t cap = u->n_gids; /* realloc grows it past the count */
				if (add_gid(u, &cap, g->gid, g->line) < 0) {
					free(ix);
					return -ENOMEM;
				}
			}
		}
	}
	free(ix);
	return 0;
}

int accounts_load(const struct fsroot *r, struct accounts *ret, struct rx_problems *pr)
{
	char *pw = NULL, *gr = NULL;
	ssize_t pn = fsroot_read(r, "/etc/passwd", RX_MAX_CONFIG_BYTES * 16, &pw);
	if (pn < 0)
		return (int)pn;
	ssize_t gn = fsroot_read(r, "/etc/group", RX_MAX_CONFIG_BYTES * 16, &gr);
	if (gn < 0) {
		rx_problem(pr, "/etc/group: %s; only primary groups known", strerror((int)-gn));
		gr = NULL;
		gn = 0;
	}
	int rc = accounts_parse(ret, pw, (size_t)pn, gr, (size_t)gn, pr);
	free(pw);
	free(gr);
	if (rc < 0)
		return rc;
	/* authorized keys make an account one that logs in, whatever its shell */
	struct rx_chain *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < ret->n; i++) {
		struct account *u = &ret->u[i];
		char p[4200];
		if (u->home[0] != '/')
			continue;
		snprintf(p, sizeof(p), "%s/.ssh/authorized_keys", u->home);
		if (fsroot_resolve(r, p, true, c) == 0 && c->exists && S_ISREG(c->ent[c->n - 1].mode)) {
			u->has_keys = true;
			u->login = true;
		}
	}
	free(c);
	return 0;
}

void accounts_done(struct accounts *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->u[i].name);
		free(a->u[i].home);
		free(a->u[i].shell);
		free(a->u[i].gids);
		free(a->u[i].gid_lines);
	}
	for (size_t j = 0; j < a->ng; j++) {
		free(a->g[j].name);
		rx_strv_free(a->g[j].members, a->g[j].n_members);
	}
	free(a->u);
	free(a->g);
	*a = (struct accounts){ 0 };
}

const struct account *accounts_by_name(const struct accounts *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->u[i].name, name) == 0)
			return &a->u[i];
	return NULL;
}

const struct account *accounts_by_uid(const struct accounts *a, uint32_t uid)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->u[i].uid == uid)
			return &a->u[i];
	return NULL;
}

const struct group_ent *accounts_group_by_name(const struct accounts *a, const char *name)
{
	for (size_t j = 0; j < a->ng; j++)
		if (strcmp(a->g[j].name, name) == 0)
			return &a->g[j];
	return NULL;
}

const struct group_ent *accounts_group_by_gid(const struct accounts *a, uint32_t gid)
{
	for (size_t j = 0; j < a->ng; j++)
		if (a->g[j].gid == gid)
			return &a->g[j];
	return NULL;
}
