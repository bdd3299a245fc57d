/*
 * assess: the exposure assessment as one library call (see exposure.h):
 * inventory, release, advisories, matching, the exposure window from
 * dpkg's log and the reach context from /proc.
 */
#include "exposure/exposure.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/array.h"
#include "core/macro.h"
#include "exposure/debver.h"
#include "exposure/feed.h"
#include "exposure/reach.h"
#include "exposure/report.h"
#include "core/rootfs.h"
#include "exposure/window.h"

#define PASSWD_MAX (16u << 20)

struct exposure_priv {
	struct exposure_result pub;
	char *root;
	char *passwd; /* ROOT/etc/passwd, NULL when unreadable */
	size_t passwd_len;
	bool passwd_read;
	size_t cap_notes, cap_stale;
};

static struct exposure_priv *priv_of(struct exposure_result *r)
{
	return (struct exposure_priv *)r;
}

static void note(struct exposure_priv *p, enum exposure_note_level lvl, const char *fmt, ...) _printf_(3, 4);
static void note(struct exposure_priv *p, enum exposure_note_level lvl, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (array_reserve(&p->pub.notes, &p->cap_notes, p->pub.n_notes + 1, sizeof(*p->pub.notes), 8) < 0) {
		free(text);
		return;
	}
	p->pub.notes[p->pub.n_notes++] = (struct exposure_note){ lvl, text };
}

static int fail(char **ret_err, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_err, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ret_err && vasprintf(ret_err, fmt, ap) < 0)
		*ret_err = NULL;
	va_end(ap);
	return r;
}

struct exposure_result *exposure_result_free(struct exposure_result *r)
{
	if (!r)
		return NULL;
	struct exposure_priv *p = priv_of(r);
	match_result_done(&r->match);
	inventory_free(r->inv);
	reach_snapshot_free(r->reach);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].text);
	free(r->notes);
	for (size_t i = 0; i < r->n_stale; i++)
		free(r->stale[i].package);
	free(r->stale);
	free(p->root);
	free(p->passwd);
	free(p);
	return NULL;
}

/* ---- release ---- */

static int release_from_os(const char *root, char *key, size_t cap, char *pretty, size_t pcap)
{
	struct os_release o;
	char tmp[80];
	int r = os_release_load(root, &o);
	if (r < 0)
		return r;
	snprintf(pretty, pcap, "%s", o.pretty);
	if (strcmp(o.id, "ubuntu") == 0 && o.version_id[0]) {
		snprintf(tmp, sizeof(tmp), "ubuntu:%s", o.version_id);
		return feed_release_key(sv_cstr(tmp), key, cap) == 1 ? 0 : -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "debian:%s", o.version_id[0] ? o.version_id : o.codename);
	if (feed_release_key(sv_cstr(tmp), key, cap) == 1)
		return 0;
	/* derivatives name their Debian base in VERSION_CODENAME */
	return feed_release_key(sv_cstr(o.codename), key, cap) == 1 ? 0 : -EINVAL;
}

struct release_hint {
	char list[256];
	size_t n;
};

static int add_release(void *ud, const char *release, uint64_t n)
{
	struct release_hint *h = ud;
	if (h->n < 6) {
		size_t l = strlen(h->list);
		snprintf(h->list + l, sizeof(h->list) - l, "%s%s (%" PRIu64 ")", l ? ", " : "", release, n);
	}
	h->n++;
	return 0;
}

/* ---- advisories ---- */

static void feed_notes(struct exposure_priv *p, const char *path, const struct feed_report *rep)
{
	if (rep->skipped)
		note(p, EXPOSURE_WARNING, "%s: %" PRIu64 " malformed record%s skipped", path, rep->skipped,
		     rep->skipped == 1 ? "" : "s");
	for (size_t i = 0; i < rep->n_bad && i < 5; i++)
		note(p, EXPOSURE_WARNING, "  %s", rep->bad[i]);
	if (rep->links)
		note(p, EXPOSURE_NOTICE, "%s: %" PRIu64 " symbolic link%s not followed", path, rep->links,
		     rep->links == 1 ? "" : "s");
}

static int open_advisories(struct exposure_priv *p, const struct exposure_opts *o, struct advdb **ret,
			   char **ret_err)
{
	_cleanup_(advdb_freep) struct advdb *db = NULL;
	char *err = NULL;
	int r;
	if (o->n_feeds) {
		r = advdb_open(":memory:", true, &db, &err);
		if (r < 0)
			return fail(ret_err, r, "%s", err ? err : strerror(-r));
		for (size_t i = 0; i < o->n_feeds; i++) {
			struct feed_report rep;
			r = feed_import(db, o->feeds[i], &rep, &err);
			if (r < 0) {
				feed_report_done(&rep);
				r = fail(ret_err, r, "--feed %s", err ? err : o->feeds[i]);
				free(err);
				return r;
			}
			feed_notes(p, o->feeds[i], &rep);
			feed_report_done(&rep);
		}
	} else {
		_cleanup_free_ char *path = o->db ? strdup(o->db) : advdb_default_path();
		if (!path)
			return -ENOMEM;
		r = advdb_open(path, false, &db, &err);
		if (r == -ENOENT) {
			free(err);
			return fail(ret_err, r,
				    "no advisories yet (%s does not exist): import some with 'moat feed import FILE|DIR'\n"
				    "  or 'moat feed update', or read a feed directly with --feed PATH",
				    path);
		}
		if (r < 0) {
			r = fail(ret_err, r, "%s", err ? err : strerror(-r));
			free(err);
			return r;
		}
	}
	*ret = TAKE_PTR(db);
	return 0;
}

/* ---- the exposure window ---- */

/* When did the log first show the package at a version below fixed (NULL:
 * any version)? The log's start when it was already installed then. */
static int64_t vulnerable_since(const struct dpkg_history *h, const char *pkg, const char *fixed)
{
	const struct dpkg_change *c;
	size_t n = dpkg_history_of(h, pkg, &c);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 && strcmp(c[i].old_version, "<none>") != 0 &&
		    (!fixed || debver_cmp(c[i].old_version, fixed) < 0))
			return dpkg_history_start(h);
		if (!fixed || debver_cmp(c[i].new_version, fixed) < 0)
			return c[i].time_s;
	}
	return 0;
}

/* Days exposed from dpkg's log: fix published → fixed version installed
 * (or → now while open), starting no earlier than the vulnerable version's
 * installation. */
static void apply_window(struct exposure_priv *p, const char *root, int64_t now)
{
	struct match_result *res = &p->pub.match;
	struct dpkg_history *h = NULL;
	char *err = NULL;
	if (dpkg_history_load(root, &h, &err) < 0) {
		note(p, EXPOSURE_WARNING, "exposure window unavailable: %s", err ? err : "cannot read dpkg.log");
		free(err);
		h = NULL;
	} else {
		if (dpkg_history_bad_lines(h))
			note(p, EXPOSURE_WARNING, "dpkg.log: %" PRIu64 " malformed lines skipped",
			     dpkg_history_bad_lines(h));
		if (dpkg_history_refused(h))
			note(p, EXPOSURE_WARNING, "dpkg.log: %" PRIu64 " names that are not regular files refused",
			     dpkg_history_refused(h));
	}
	for (size_t i = 0; i < res->n; i++) {
		struct finding *f = &res->v[i];
		if (f->published_s <= 0)
			continue;
		if (f->status != FS_FIXED) {
			int64_t start = f->published_s;
			for (size_t b = 0; h && b < f->n_binaries; b++) {
				int64_t vs = vulnerable_since(h, f->binaries[b]->name, NULL);
				if (vs > start)
					start = vs;
			}
			f->days_exposed = report_days(start, now);
			continue;
		}
		for (size_t b = 0; h && b < f->n_binaries; b++) {
			int64_t t, vs;
			if (dpkg_history_fixed_at(h, f->binaries[b]->name, f->fixed, debver_cmp, &t) != 1)
				continue;
			vs = vulnerable_since(h, f->binaries[b]->name, f->fixed);
			if (!vs || vs > t)
				continue; /* the log never shows a vulnerable version */
			int64_t d = report_days(MAX(vs, f->published_s), t);
			if (d > f->days_exposed) {
				f->days_exposed = d;
				f->fixed_installed_s = t;
			}
		}
	}
	dpkg_history_free(h);
}

/* ---- user names ---- */

void exposure_user_name(struct exposure_result *r, uid_t uid, char *buf, size_t size)
{
	struct exposure_priv *p = priv_of(r);
	if (!p->passwd_read) {
		p->passwd_read = true;
		if (rootfs_read_file(p->root, "etc/passwd", PASSWD_MAX, &p->passwd, &p->passwd_len) < 0)
			p->passwd = NULL;
	}
	/* name:password:UID:… */
	struct sv rest = p->passwd ? sv_make(p->passwd, p->passwd_len) : SV_NULL;
	while (rest.n) {
		long nl = sv_chr(rest, '\n');
		struct sv line = nl >= 0 ? sv_make(rest.p, (size_t)nl) : rest;
		rest = nl >= 0 ? sv_skip(rest, (size_t)nl + 1) : SV_NULL;
		long c1 = sv_chr(line, ':');
		if (c1 <= 0)
			continue;
		struct sv name = sv_make(line.p, (size_t)c1), after = sv_skip(line, (size_t)c1 + 1);
		long c2 = sv_chr(after, ':');
		if (c2 < 0)
			continue;
		after = sv_skip(after, (size_t)c2 + 1);
		long c3 = sv_chr(after, ':');
		unsigned long long v;
		if (c3 < 0 || sv_to_u64(sv_make(after.p, (size_t)c3), UINT32_MAX, &v) < 0 || v != uid)
			continue;
		snprintf(buf, size, "%.*s", (int)name.n, name.p);
		return;
	}
	snprintf(buf, size, "#%u", (unsigned)uid);
}

/* ---- reach ---- */

/* How exposed one socket is: remote beats loopback, then TCP. */
static int socket_rank(const struct reach_socket *k)
{
	bool remote = !k->loopback && k->firewall != 0;
	return (remote ? 4 : 0) + (!k->loopback ? 2 : 0) + (k->proto == 6 ? 1 : 0);
}

static int proc_rank(const struct finding_proc *x)
{
	return (x->remote ? 8 : 0) + (x->listening ? 4 : 0) + (x->uid == 0 ? 2 : 0);
}

static void add_proc(struct exposure_priv *p, struct finding_reach *a, const struct reach_proc *rp)
{
	struct finding_proc fp = { .pid = rp->pid, .uid = rp->uid, .n_sockets = (unsigned)rp->n_sockets };
	snprintf(fp.comm, sizeof(fp.comm), "%.*s", (int)sizeof(fp.comm) - 1, rp->comm);
	exposure_user_name(&p->pub, rp->uid, fp.user, sizeof(fp.user));
	const struct reach_socket *best = NULL;
	for (size_t k = 0; k < rp->n_sockets; k++)
		if (!best || socket_rank(&rp->sockets[k]) > socket_rank(best))
			best = &rp->sockets[k];
	if (best) {
		fp.listening = true;
		fp.remote = !best->loopback && best->firewall != 0;
		fp.proto = best->proto;
		fp.port = best->port;
		snprintf(fp.addr, sizeof(fp.addr), "%s", best->addr);
	}
	for (size_t i = 0; i < MIN(a->n_procs, (size_t)FINDING_PROCS_MAX); i++)
		if (a->procs[i].pid == fp.pid)
			return; /* the same process through another binary package */
	a->n_procs++;
	/* keep the most exposed FINDING_PROCS_MAX, ordered */
	size_t k = MIN(a->n_procs, (size_t)FINDING_PROCS_MAX) - 1;
	if (a->n_procs > FINDING_PROCS_MAX && proc_rank(&a->procs[k]) >= proc_rank(&fp))
		return;
	a->procs[k] = fp;
	while (k > 0 && proc_rank(&a->procs[k - 1]) < proc_rank(&a->procs[k])) {
		struct finding_proc t = a->procs[k - 1];
		a->procs[k - 1] = a->procs[k];
		a->procs[k] = t;
		k--;
	}
}

static void assess_one(struct exposure_priv *p, struct finding *f)
{
	struct finding_reach a = { .known = true };
	bool all_sandboxed = true;
	for (size_t b = 0; b < f->n_binaries; b++) {
		struct reach_info ri;
		char name[300];
		const struct inv_pkg *ip = f->binaries[b];
		if (ip->arch[0] && strcmp(ip->arch, "all") != 0)
			snprintf(name, sizeof(name), "%s:%s", ip->name, ip->arch);
		else
			snprintf(name, sizeof(name), "%s", ip->name);
		if (reach_for_package(p->pub.reach, name, &ri) < 0 && reach_for_package(p->pub.reach, ip->name, &ri) < 0)
			continue;
		a.running |= ri.running;
		a.listening |= ri.listening;
		a.remote |= ri.remote;
		a.privileged |= ri.privileged;
		if (ri.running && !ri.sandboxed)
			all_sandboxed = false;
		for (size_t k = 0; k < ri.n_procs; k++)
			add_proc(p, &a, &ri.procs[k]);
		reach_info_done(&ri);
	}
	a.sandboxed = a.running && all_sandboxed && !a.privileged;
	report_set_rung(&a);
	f->reach = a;
}

static void collect_stale(void *ud, const char *package, const struct reach_proc *rp)
{
	struct exposure_priv *p = ud;
	if (array_reserve(&p->pub.stale, &p->cap_stale, p->pub.n_stale + 1, sizeof(*p->pub.stale), 8) < 0)
		return;
	char *pkg = strdup(package);
	if (!pkg)
		return;
	struct exposure_stale *s = &p->pub.stale[p->pub.n_stale++];
	*s = (struct exposure_stale){ .package = pkg, .pid = rp->pid };
	snprintf(s->comm, sizeof(s->comm), "%s", rp->comm);
	snprintf(s->file, sizeof(s->file), "%s", rp->stale_file);
}

static void apply_reach(struct exposure_priv *p, const char *proc, const char *root)
{
	struct match_result *res = &p->pub.match;
	char *err = NULL;
	int r = reach_snapshot_take(proc, root, &p->pub.reach, &err);
	if (r < 0) {
		note(p, EXPOSURE_WARNING, "reach not assessed: %s", err ? err : strerror(-r));
		free(err);
		p->pub.reach = NULL;
		return;
	}
	for (size_t i = 0; i < res->n; i++) {
		struct finding *f = &res->v[i];
		if (f->status == FS_FIXED)
			continue;
		/* findings of the same installed source share their reach */
		for (size_t j = 0; j < i; j++)
			if (res->v[j].reach.known && strcmp(res->v[j].source, f->source) == 0 &&
			    strcmp(res->v[j].source_version, f->source_version) == 0) {
				f->reach = res->v[j].reach;
				break;
			}
		if (!f->reach.known)
			assess_one(p, f);
	}
	if (reach_snapshot_unreadable(p->pub.reach))
		note(p, EXPOSURE_NOTICE, "reach: %" PRIu64 " processes could not be inspected (%s)",
		     reach_snapshot_unreadable(p->pub.reach),
		     geteuid() == 0 ? "denied even to root: another user namespace or a security module"
				    : "run as root to see them all");
	(void)reach_foreach_stale(p->pub.reach, collect_stale, p);
}

/* ---- the whole ---- */

int exposure_assess(const struct exposure_opts *o, struct exposure_result **ret, char **ret_err)
{
	struct exposure_priv *p = calloc(1, sizeof(*p));
	_cleanup_(exposure_result_freep) struct exposure_result *res = p ? &p->pub : NULL;
	_cleanup_(advdb_freep) struct advdb *db = NULL;
	const char *root = o->root && *o->root ? o->root : "/";
	char *err = NULL;
	int r;

	if (!p)
		return -ENOMEM;
	p->root = strdup(root);
	if (!p->root)
		return -ENOMEM;

	/* what is installed, and which release */
	r = inventory_load(root, &res->inv, &err);
	if (r < 0) {
		r = fail(ret_err, r, "%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if (inventory_n_problems(res->inv)) {
		size_t n = inventory_n_problems(res->inv);
		note(p, EXPOSURE_WARNING, "dpkg status: %zu malformed stanza%s skipped", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < 5; i++)
			note(p, EXPOSURE_WARNING, "  %s", inventory_problem(res->inv, i));
	}
	if (o->release) {
		if (feed_release_key(sv_cstr(o->release), res->release, sizeof(res->release)) != 1)
			return fail(ret_err, -EINVAL,
				    "--release: '%s' is not a Debian or Ubuntu release (bookworm, debian:12, ubuntu:22.04)",
				    o->release);
	} else if (release_from_os(root, res->release, sizeof(res->release), res->pretty, sizeof(res->pretty)) < 0) {
		return fail(ret_err, -EINVAL,
			    "cannot tell the release of %s from its os-release; name it with --release (e.g. bookworm)",
			    root);
	}

	/* the advisories */
	char *aerr = NULL;
	r = open_advisories(p, o, &db, &aerr);
	if (r == -ENOENT && o->advisories_optional) {
		note(p, EXPOSURE_NOTICE, "%s", aerr ? aerr : "no advisory database");
		free(aerr);
		if (!o->no_reach && (strcmp(root, "/") == 0 || o->proc))
			apply_reach(p, o->proc ? o->proc : "/proc", root);
		*ret = TAKE_PTR(res);
		return 0;
	}
	if (r < 0) {
		if (ret_err)
			*ret_err = aerr;
		else
			free(aerr);
		return r;
	}
	free(aerr);
	if (advdb_counts(db, &res->n_advisories, &res->n_entries) < 0 || res->n_entries == 0)
		return fail(ret_err, -ENODATA,
			    "the advisory database holds no advisories for Debian or Ubuntu: import a feed first "
			    "('moat feed import FILE|DIR')");

	r = match_run(db, res->inv, res->release, &res->match, &err);
	if (r < 0) {
		r = fail(ret_err, r, "%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if (res->match.entries == 0) {
		struct release_hint h = { .n = 0 };
		h.list[0] = '\0';
		(void)advdb_foreach_release(db, add_release, &h);
		note(p, EXPOSURE_WARNING, "no advisory in the feed names a package of %s for release %s; the feed covers: %s",
		     root, res->release, h.list[0] ? h.list : "nothing");
	}

	apply_window(p, root, o->now_s);
	for (size_t i = 0; i < res->match.n; i++)
		report_set_rung(&res->match.v[i].reach);
	bool this_host = strcmp(root, "/") == 0;
	if (!o->no_reach && (this_host || o->proc))
		apply_reach(p, o->proc ? o->proc : "/proc", root);
	report_sort(&res->match);
	*ret = TAKE_PTR(res);
	return 0;
}
