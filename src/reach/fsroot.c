/*
 * fsroot: files read inside a root directory, and who may read, write or
 * run them.
 *
 * Paths are resolved by core/rootfs (the resolution "moat exposure --root"
 * reads images with): one component at a time on the root's descriptor, a
 * symlink's target again from the root (absolute) or from where it sits
 * (relative), so a link in an image to /etc/shadow means the image's
 * shadow, never the host's, and ".." stops at the root. Each directory on the way keeps its permissions: a
 * file is writable to an account when the file is, or when a directory
 * above it is (rename the entry away, put another in its place).
 *
 * ACLs come from libacl (acl_get_file on the resolved host path, which
 * holds no symlink by construction).
 */
#include <acl/libacl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/array.h"
#include "core/macro.h"
#include "core/rootfs.h"
#include "reach/reach-internal.h"

/* ---- diagnostics ---- */

void rx_problem(struct rx_problems *p, const char *fmt, ...)
{
	p->total++;
	if (p->n >= RX_MAX_PROBLEMS)
		return;
	if (array_reserve(&p->v, &p->cap, p->n + 1, sizeof(*p->v), 16) < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) >= 0)
		p->v[p->n++] = s;
	va_end(ap);
}

void rx_problems_done(struct rx_problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	*p = (struct rx_problems){ 0 };
}

void rx_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- permissions ---- */

bool rx_in_group(const struct rx_who *who, uint32_t gid)
{
	for (size_t i = 0; i < who->n_gids; i++)
		if (who->gids[i] == gid)
			return true;
	return false;
}

/* POSIX.1e access check (acl(5) "ACCESS CHECK ALGORITHM"): owner, named
 * user, then every matching group entry (granted if any grants), then other. */
bool rx_perm(const struct fperm *p, const struct rx_who *who, unsigned want, enum rx_via *via, uint32_t *via_id)
{
	enum rx_via v = VIA_NONE;
	uint32_t id = 0;
	bool ok = false;
	if (who->uid == 0) {
		v = VIA_ROOT;
		ok = true;
		goto out;
	}
	if (p->uid == who->uid) {
		v = VIA_OWNER;
		ok = true; /* the owner may chmod: every bit is its to take */
		goto out;
	}
	if (p->has_acl) {
		for (size_t i = 0; i < p->n_acl; i++)
			if (p->acl[i].tag == RX_ACL_USER && p->acl[i].id == who->uid) {
				v = VIA_ACL_USER;
				id = who->uid;
				ok = ((p->acl[i].perm & p->acl_mask) & want) == want;
				goto out;
			}
		bool matched = false;
		if (rx_in_group(who, p->gid)) {
			matched = true;
			if (((p->acl_group_obj & p->acl_mask) & want) == want) {
				v = VIA_GROUP;
				id = p->gid;
				ok = true;
				goto out;
			}
		}
		for (size_t i = 0; i < p->n_acl; i++)
			if (p->acl[i].tag == RX_ACL_GROUP && rx_in_group(who, p->acl[i].id)) {
				matched = true;
				if (((p->acl[i].perm & p->acl_mask) & want) == want) {
					v = VIA_ACL_GROUP;
					id = p->acl[i].id;
					ok = true;
					goto out;
				}
			}
		if (matched)
			goto out;
	} else if (rx_in_group(who, p->gid)) {
		v = VIA_GROUP;
		id = p->gid;
		ok = (((p->mode >> 3) & 7) & want) == want;
		goto out;
	}
	v = VIA_OTHER;
	ok = ((p->mode & 7) & want) == want;
out:
	if (via)
		*via = ok ? v : VIA_NONE;
	if (via_id)
		*via_id = id;
	return ok;
}

static void acl_read(const char *host, struct fperm *p)
{
	if (acl_extended_file_nofollow(host) != 1)
		return;
	acl_t acl = acl_get_file(host, ACL_TYPE_ACCESS);
	if (!acl)
		return;
	acl_entry_t e;
	p->has_acl = true;
	p->acl_mask = 7;
	p->acl_group_obj = (p->mode >> 3) & 7;
	for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
		acl_tag_t tag;
		acl_permset_t ps;
		if (acl_get_tag_type(e, &tag) < 0 || acl_get_permset(e, &ps) < 0)
			continue;
		uint8_t perm = (uint8_t)((acl_get_perm(ps, ACL_READ) == 1 ? 4 : 0) |
					 (acl_get_perm(ps, ACL_WRITE) == 1 ? 2 : 0) |
					 (acl_get_perm(ps, ACL_EXECUTE) == 1 ? 1 : 0));
		if (tag == ACL_MASK) {
			p->acl_mask = perm;
		} else if (tag == ACL_GROUP_OBJ) {
			p->acl_group_obj = perm;
		} else if ((tag == ACL_USER || tag == ACL_GROUP) && p->n_acl < RX_MAX_ACL) {
			void *q = acl_get_qualifier(e);
			if (!q)
				continue;
			p->acl[p->n_acl++] = (struct rx_acl_ent){ tag == ACL_USER ? RX_ACL_USER : RX_ACL_GROUP, perm,
								  *(uint32_t *)q };
			acl_free(q);
		}
	}
	acl_free(acl);
}

void fsroot_perm_from_stat(const struct fsroot *r, const char *host, const struct stat *st, struct fperm *p)
{
	*p = (struct fperm){ .uid = st->st_uid, .gid = st->st_gid, .mode = st->st_mode, .dev = st->st_dev,
			     .ino = st->st_ino };
	if (r->acl_read && host && !S_ISLNK(st->st_mode))
		acl_read(host, p);
}

/* ---- the root ---- */

int fsroot_open(const char *root, struct fsroot *ret)
{
	if (!root || !*root)
		root = "/";
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	char *p = strndup(root, n);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	*ret = (struct fsroot){ .fd = fd, .path = p, .acl_read = true };
	return 0;
}

void fsroot_close(struct fsroot *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	r->fd = -1;
	r->path = NULL;
}

/* Host path of a canonical inside path ("/etc" → ROOT/etc). */
static int host_path(const struct fsroot *r, const char *in, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", r->path, in);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

struct chain_walk {
	const struct fsroot *r;
	struct rx_chain *c;
};

/* rootfs_resolve's step: the permissions of each component, one entry per depth. */
static int chain_step(void *ud, size_t depth, const char *path, size_t len, const struct stat *st)
{
	struct chain_walk *w = ud;
	struct rx_chain *c = w->c;
	char host[PATH_MAX + 8];
	if (depth >= RX_MAX_CHAIN)
		return -ENAMETOOLONG;
	if (S_ISLNK(st->st_mode)) /* the last component, not followed: the link itself */
		c->ent[depth] = (struct fperm){ .uid = st->st_uid, .gid = st->st_gid, .mode = st->st_mode };
	else
		fsroot_perm_from_stat(w->r, host_path(w->r, depth == 0 ? "" : path, host, sizeof(host)) == 0 ? host : NULL,
				      st, &c->ent[depth]);
	c->end[depth] = (unsigned short)len;
	return 0;
}

int fsroot_resolve(const struct fsroot *r, const char *path, bool follow_last, struct rx_chain *c)
{
	struct chain_walk w = { r, c };
	c->n = 0;
	c->exists = false;
	int rc = rootfs_resolve(r->fd, path, follow_last ? 0 : ROOTFS_NOFOLLOW_LAST, c->path, sizeof(c->path), chain_step,
				&w);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	/* the entries kept are those of the components of the final path (the
	 * steps at each depth last wrote them), less a missing last one */
	size_t comps = 0;
	for (const char *q = c->path + 1; *q; q++)
		comps += *q == '/';
	comps += c->path[1] != '\0';
	c->n = rc == 0 ? comps : comps + 1;
	c->exists = rc == 1;
	return 0;
}

ssize_t fsroot_read(const struct fsroot *r, const char *path, size_t max, char **ret)
{
	size_t n;
	int rc = rootfs_read_at(r->fd, path, max, ret, &n);
	return rc < 0 ? rc : (ssize_t)n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

ssize_t fsroot_list(const struct fsroot *r, const char *dir, char ***ret)
{
	DIR *d;
	int rc = rootfs_opendir(r->fd, dir, &d);
	if (rc < 0)
		return rc;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n >= RX_MAX_TARGETS)
			break; /* a directory of more entries than this is not configuration */
		char *s = strdup(de->d_name);
		if (!s || array_reserve(&v, &cap, n + 1, sizeof(*v), 16) < 0) {
			free(s);
			rx_strv_free(v, n);
			closedir(d);
			return -ENOMEM;
		}
		v[n++] = s;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	return (ssize_t)n;
}

/* ---- who can do what ---- */

static const char *uname_of(const struct accounts *a, uint32_t uid, char *buf, size_t n)
{
	const struct account *u = a ? accounts_by_uid(a, uid) : NULL;
	if (u)
		return u->name;
	snprintf(buf, n, "%u", uid);
	return buf;
}

static const char *gname_of(const struct accounts *a, uint32_t gid, char *buf, size_t n)
{
	const struct group_ent *g = a ? accounts_group_by_gid(a, gid) : NULL;
	if (g)
		return g->name;
	snprintf(buf, n, "%u", gid);
	return buf;
}

void rx_describe_perm(const struct fperm *p, const struct accounts *names, char *buf, size_t size)
{
	char ub[16], gb[16];
	snprintf(buf, size, "%04o %s:%s%s", p->mode & 07777, uname_of(names, p->uid, ub, sizeof(ub)),
		 gname_of(names, p->gid, gb, sizeof(gb)), p->has_acl ? " +acl" : "");
}

static void via_text(const struct fperm *p, enum rx_via via, uint32_t id, const char *verb,
		     const struct accounts *names, char *why, size_t n)
{
	char pb[96], gb[16];
	rx_describe_perm(p, names, pb, sizeof(pb));
	switch (via) {
	case VIA_OWNER:
		snprintf(why, n, "owned by the account (%s)", pb);
		break;
	case VIA_ACL_USER:
		snprintf(why, n, "an ACL entry lets the account %s (%s)", verb, pb);
		break;
	case VIA_GROUP:
		snprintf(why, n, "group-%s, group %s (%s)", verb, gname_of(names, id, gb, sizeof(gb)), pb);
		break;
	case VIA_ACL_GROUP:
		snprintf(why, n, "an ACL entry lets group %s %s (%s)", gname_of(names, id, gb, sizeof(gb)), verb, pb);
		break;
	case VIA_OTHER:
		snprintf(why, n, "%s by anyone (%s)", strcmp(verb, "write") == 0 ? "writable" : "readable", pb);
		break;
	default:
		snprintf(why, n, "%s", pb);
		break;
	}
}

/* Every directory ent[0..upto) searchable by who. */
static bool searchable(const struct rx_chain *c, size_t upto, const struct rx_who *who)
{
	for (size_t i = 0; i < upto; i++)
		if (!rx_perm(&c->ent[i], who, 1, NULL, NULL))
			return false;
	return true;
}

bool rx_can_write(const struct rx_chain *c, const struct rx_who *who, const struct accounts *names, char *why,
		  size_t whysz)
{
	enum rx_via via;
	uint32_t id;
	if (c->n == 0)
		return false;
	size_t last = c->n - 1;
	/* a symlink's own mode means nothing: its target is checked on its own chain */
	if (c->exists && !S_ISLNK(c->ent[last].mode) && searchable(c, last, who) &&
	    rx_perm(&c->ent[last], who, 2, &via, &id)) {
		via_text(&c->ent[last], via, id, "write", names, why, whysz);
		return true;
	}
	/* a directory above (or, for a missing file, the deepest existing one) that who may write into */
	size_t top = c->exists ? last : c->n;
	for (size_t i = top; i-- > 0;) {
		const struct fperm *d = &c->ent[i];
		if (!S_ISDIR(d->mode) || !searchable(c, i, who) || !rx_perm(d, who, 3, &via, &id))
			continue;
		/* sticky: only the entry's owner (or the directory's) may rename it */
		if ((d->mode & S_ISVTX) && via != VIA_OWNER && i + 1 < c->n && c->ent[i + 1].uid != who->uid)
			continue;
		char inner[160];
		via_text(d, via, id, "write", names, inner, sizeof(inner));
		snprintf(why, whysz, "directory %.*s: %s", (int)c->end[i], c->path, inner);
		return true;
	}
	return false;
}

bool rx_can_read(const struct rx_chain *c, const struct rx_who *who, const struct accounts *names, char *why,
		 size_t whysz)
{
	enum rx_via via;
	uint32_t id;
	if (!c->exists || c->n == 0)
		return false;
	size_t last = c->n - 1;
	if (!searchable(c, last, who) || !rx_perm(&c->ent[last], who, 4, &via, &id))
		return false;
	via_text(&c->ent[last], via, id, "read", names, why, whysz);
	return true;
}

bool rx_can_exec(const struct rx_chain *c, const struct rx_who *who)
{
	if (!c->exists || c->n == 0)
		return false;
	size_t last = c->n - 1;
	/* root needs one x bit somewhere; others the bit that applies */
	if (who->uid == 0)
		return (c->ent[last].mode & 0111) != 0;
	return searchable(c, last, who) && rx_perm(&c->ent[last], who, 1, NULL, NULL);
}
