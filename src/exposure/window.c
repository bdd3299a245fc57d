/*
 * window: dpkg's own log, read once into a table of version changes per
 * binary package (see window.h).
 *
 * dpkg writes one line per action, in local time:
 *	2024-05-01 10:12:33 startup archives unpack
 *	2024-05-01 10:12:33 upgrade libssl3:amd64 3.0.11-1~deb12u2 3.0.13-1~deb12u1
 *	2024-05-01 10:12:33 install tzdata:all <none> 2024a-0+deb12u1
 *	2024-05-01 10:12:35 configure libssl3:amd64 3.0.13-1~deb12u1 <none>
 *	2024-05-01 10:12:35 status installed libssl3:amd64 3.0.13-1~deb12u1
 *	2024-05-01 10:12:36 remove foo:amd64 1.2-3 <none>
 *	2024-05-01 10:12:36 conffile /etc/foo.conf keep
 * Only install and upgrade lines become changes; "status installed" adds
 * one only when it shows a version the log had not shown for that package
 * (the install/upgrade line was lost, e.g. with a missing rotated file).
 * A package first seen in a "status installed" line was installed before
 * the log began: that tells nothing about when, so it adds nothing.
 *
 * Lines are read into a fixed buffer and parsed as views; only what is
 * kept (names, versions) is copied, into an arena.
 */
#include "core/array.h"
#include "core/hash.h"
#include "core/rootfs.h"
#include "exposure/window.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/macro.h"
#include "core/strview.h"

#define LINE_MAX_BYTES 4096
#define MAX_CHANGES (4u << 20) /* far beyond any real log; bounds a hostile one */
#define MAX_PACKAGES (1u << 20)
#define MAX_NAME 128
#define MAX_ARCH 32
#define MAX_VERSION 256
#define MAX_LOG_FILES 512

/* ---- arena: stable copies of the strings handed out ---- */

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	char data[];
};

static void arena_free(struct arena_block *b)
{
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
}

static const char *arena_dup(struct arena_block **head, struct sv v)
{
	struct arena_block *b = *head;
	if (!b || b->size - b->used < v.n + 1) {
		size_t size = MAX((size_t)64 * 1024, v.n + 1);
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = *head;
		b->used = 0;
		b->size = size;
		*head = b;
	}
	char *s = b->data + b->used;
	if (v.n)
		memcpy(s, v.p, v.n);
	s[v.n] = '\0';
	b->used += v.n + 1;
	return s;
}

/* ---- the history ---- */

struct rec {
	struct dpkg_change c;
	uint64_t seq; /* position in the log, oldest file first */
};

/* One name:arch token as written in the log (or a bare name). */
struct pkg_slot {
	uint64_t hash;
	const char *token; /* NULL: empty slot */
	const char *name, *arch;
	const char *last_version; /* newest version the log showed installed, NULL if none */
};

/* Records of one package name that carry one architecture (or "") form a view. */
struct arch_view {
	const char *arch;
	size_t start, n; /* into view_changes */
};

struct pkg_group {
	const char *name;
	size_t start, n; /* into changes */
	size_t view_start, n_views; /* into views; 0 when the group has a single arch */
};

struct dpkg_history {
	struct arena_block *arena;
	struct rec *recs;
	size_t n_recs, cap_recs;
	struct pkg_slot *slots;
	size_t n_slots, cap_slots;

	struct dpkg_change *changes; /* sorted by (package, seq) */
	struct pkg_group *groups;
	size_t n_groups;
	struct arch_view *views;
	size_t n_views;
	struct dpkg_change *view_changes;
	size_t n_view_changes;

	uint64_t bad_lines;
	uint64_t refused; /* dpkg.log* names that were not regular files */
	uint64_t seed; /* of the package-name hashes */
	uint64_t seq;
	int64_t start;
	bool have_start;

	/* local time → UTC, cached per minute: mktime is slow and logs are long */
	int64_t tc_key;
	int64_t tc_base;
};

struct dpkg_history *dpkg_history_free(struct dpkg_history *h)
{
	if (!h)
		return NULL;
	arena_free(h->arena);
	free(h->recs);
	free(h->slots);
	free(h->changes);
	free(h->groups);
	free(h->views);
	free(h->view_changes);
	free(h);
	return NULL;
}

static void dpkg_history_freep(struct dpkg_history **h)
{
	dpkg_history_free(*h);
}

uint64_t dpkg_history_refused(const struct dpkg_history *h)
{
	return h ? h->refused : 0;
}

uint64_t dpkg_history_bad_lines(const struct dpkg_history *h)
{
	return h ? h->bad_lines : 0;
}

int64_t dpkg_history_start(const struct dpkg_history *h)
{
	return h && h->have_start ? h->start : 0;
}

/* Package names come from the log (a file others may have written): seeded per history. */
static uint64_t hash_sv(const struct dpkg_history *h, struct sv v)
{
	return hash_bytes(v.p, v.n, h->seed);
}

static int slots_grow(struct dpkg_history *h)
{
	size_t cap = h->cap_slots ? h->cap_slots * 2 : 1024;
	struct pkg_slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap_slots; i++) {
		struct pkg_slot *o = &h->slots[i];
		if (!o->token)
			continue;
		size_t j = o->hash & (cap - 1);
		while (s[j].token)
			j = (j + 1) & (cap - 1);
		s[j] = *o;
	}
	free(h->slots);
	h->slots = s;
	h->cap_slots = cap;
	return 0;
}

/* Finds or adds the slot of a name[:arch] token already validated. NULL: OOM or table full. */
static struct pkg_slot *slot_get(struct dpkg_history *h, struct sv token)
{
	if (h->n_slots * 2 >= h->cap_slots) {
		if (h->n_slots >= MAX_PACKAGES || slots_grow(h) < 0)
			return NULL;
	}
	uint64_t hv = hash_sv(h, token);
	size_t j = hv & (h->cap_slots - 1);
	while (h->slots[j].token) {
		struct pkg_slot *s = &h->slots[j];
		if (s->hash == hv && sv_eq(token, s->token))
			return s;
		j = (j + 1) & (h->cap_slots - 1);
	}
	struct pkg_slot *s = &h->slots[j];
	long colon = sv_chr(token, ':');
	struct sv name = colon >= 0 ? sv_make(token.p, (size_t)colon) : token;
	struct sv arch = colon >= 0 ? sv_skip(token, (size_t)colon + 1) : SV_LIT("");
	s->token = arena_dup(&h->arena, token);
	s->name = s->token ? arena_dup(&h->arena, name) : NULL;
	s->arch = s->name ? arena_dup(&h->arena, arch) : NULL;
	if (!s->arch) {
		s->token = NULL;
		return NULL;
	}
	s->hash = hv;
	s->last_version = NULL;
	h->n_slots++;
	return s;
}

/* ---- line syntax ---- */

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '-' || c == '.';
}

/* name or name:arch, as dpkg spells them. */
static bool valid_pkg(struct sv t)
{
	long colon = sv_chr(t, ':');
	size_t nn = colon >= 0 ? (size_t)colon : t.n;
	if (nn == 0 || nn > MAX_NAME)
		return false;
	for (size_t i = 0; i < nn; i++)
		if (!is_name_char(t.p[i]))
			return false;
	if (colon < 0)
		return true;
	struct sv arch = sv_skip(t, nn + 1);
	if (arch.n == 0 || arch.n > MAX_ARCH)
		return false;
	for (size_t i = 0; i < arch.n; i++) {
		char c = arch.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool valid_version(struct sv v, bool allow_none)
{
	if (sv_eq(v, "<none>"))
		return allow_none;
	if (v.n == 0 || v.n > MAX_VERSION)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '+' || c == '-' || c == '~' || c == ':' || c == '_'))
			return false;
	}
	return true;
}

static bool digits(const char *p, size_t n, unsigned *ret)
{
	unsigned x = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*ret = x;
	return true;
}

/* "YYYY-MM-DD HH:MM:SS" in local time → UTC seconds. */
static bool parse_stamp(struct dpkg_history *h, const char *p, int64_t *ret)
{
	unsigned y, mo, d, hh, mi, ss;
	if (p[4] != '-' || p[7] != '-' || p[10] != ' ' || p[13] != ':' || p[16] != ':')
		return false;
	if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || !digits(p + 11, 2, &hh) ||
	    !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &ss))
		return false;
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || hh > 23 || mi > 59 || ss > 60)
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	int64_t key = ((((int64_t)y * 13 + mo) * 32 + d) * 24 + hh) * 60 + mi;
	if (key != h->tc_key) {
		struct tm tm = {
			.tm_year = (int)y - 1900,
			.tm_mon = (int)mo - 1,
			.tm_mday = (int)d,
			.tm_hour = (int)hh,
			.tm_min = (int)mi,
			.tm_isdst = -1,
		};
		time_t t = mktime(&tm);
		if (t == (time_t)-1)
			return false;
		h->tc_key = key;
		h->tc_base = (int64_t)t;
	}
	*ret = h->tc_base + ss;
	return true;
}

#define MAX_TOKENS 6

/* Splits v at single spaces; returns the count, or MAX_TOKENS + 1 when there are more. */
static size_t split(struct sv v, struct sv tok[static MAX_TOKENS])
{
	size_t n = 0;
	while (v.n) {
		if (n == MAX_TOKENS)
			return MAX_TOKENS + 1;
		long sp = sv_chr(v, ' ');
		size_t len = sp >= 0 ? (size_t)sp : v.n;
		tok[n++] = sv_make(v.p, len);
		v = sv_skip(v, len + (sp >= 0));
	}
	return n;
}

static int add_rec(struct dpkg_history *h, int64_t t, struct pkg_slot *slot, struct sv old, struct sv new)
{
	if (h->n_recs >= MAX_CHANGES) {
		h->bad_lines++;
		return 0;
	}
	if (array_reserve(&h->recs, &h->cap_recs, h->n_recs + 1, sizeof(*h->recs), 256) < 0)
		return -ENOMEM;
	const char *o = arena_dup(&h->arena, old);
	const char *n = sv_eq_sv(old, new) ? o : arena_dup(&h->arena, new);
	if (!o || !n)
		return -ENOMEM;
	h->recs[h->n_recs++] = (struct rec){
		.c = { .time_s = t, .package = slot->name, .arch = slot->arch, .old_version = o, .new_version = n },
		.seq = h->seq,
	};
	slot->last_version = n;
	return 0;
}

static bool is_status_word(struct sv s)
{
	static const char *const words[] = { "installed",	"not-installed",    "config-files",
					     "half-installed",	"unpacked",	    "half-configured",
					     "triggers-awaited", "triggers-pending" };
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (sv_eq(s, words[i]))
			return true;
	return false;
}

/* Returns 1 parsed, 0 malformed, <0 OOM. */
static int parse_line(struct dpkg_history *h, struct sv line)
{
	int64_t t;
	if (line.n < 21 || line.p[19] != ' ' || !parse_stamp(h, line.p, &t))
		return 0;
	struct sv tok[MAX_TOKENS];
	size_t n = split(sv_skip(line, 20), tok);
	if (n == 0)
		return 0;
	struct sv act = tok[0];
	bool ok;

	if (sv_eq(act, "startup"))
		ok = n == 3;
	else if (sv_eq(act, "conffile"))
		ok = n >= 3;
	else if (sv_eq(act, "install") || sv_eq(act, "upgrade")) {
		if (n != 4 || !valid_pkg(tok[1]) || !valid_version(tok[2], true) || !valid_version(tok[3], false))
			return 0;
		struct pkg_slot *slot = slot_get(h, tok[1]);
		if (!slot) {
			h->bad_lines++;
			return 1;
		}
		int r = add_rec(h, t, slot, tok[2], tok[3]);
		if (r < 0)
			return r;
		ok = true;
	} else if (sv_eq(act, "remove") || sv_eq(act, "purge")) {
		ok = n == 4 && valid_pkg(tok[1]) && valid_version(tok[2], true) && valid_version(tok[3], true);
		if (ok) {
			struct pkg_slot *slot = slot_get(h, tok[1]);
			if (slot)
				slot->last_version = NULL;
		}
	} else if (sv_eq(act, "configure") || sv_eq(act, "trigproc"))
		ok = n == 4 && valid_pkg(tok[1]) && valid_version(tok[2], true) && valid_version(tok[3], true);
	else if (sv_eq(act, "status")) {
		if (n != 4 || !is_status_word(tok[1]) || !valid_pkg(tok[2]) || !valid_version(tok[3], true))
			return 0;
		ok = true;
		if (sv_eq(tok[1], "installed") && !sv_eq(tok[3], "<none>")) {
			struct pkg_slot *slot = slot_get(h, tok[2]);
			if (slot && slot->last_version && !sv_eq(tok[3], slot->last_version)) {
				int r = add_rec(h, t, slot, sv_cstr(slot->last_version), tok[3]);
				if (r < 0)
					return r;
			}
		}
	} else
		ok = false;

	if (!ok)
		return 0;
	if (!h->have_start || t < h->start) {
		h->start = t;
		h->have_start = true;
	}
	return 1;
}

/* ---- files ---- */

struct logfile {
	int class; /* 0 dateext (dpkg.log-20240501), 1 numbered (dpkg.log.3), 2 dpkg.log */
	unsigned long long num;
	char *name;
};

static int logfile_cmp(const void *a, const void *b)
{
	const struct logfile *x = a, *y = b;
	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	if (x->class == 1) {
		if (x->num != y->num)
			return x->num > y->num ? -1 : 1; /* larger number = older */
		return strcmp(y->name, x->name);	 /* "N.gz" before "N" */
	}
	return strcmp(x->name, y->name);
}

/* Which rotated form a directory entry is; -1 when it is not dpkg's log. */
static int classify(const char *name, unsigned long long *ret_num)
{
	struct sv v = sv_cstr(name);
	if (!sv_consume(&v, "dpkg.log"))
		return -1;
	if (v.n == 0)
		return 2;
	(void)sv_consume_end(&v, ".gz");
	if (sv_consume(&v, ".")) {
		unsigned long long n;
		if (sv_to_u64(v, 1000000, &n) < 0)
			return -1;
		*ret_num = n;
		return 1;
	}
	if (sv_consume(&v, "-") && v.n > 0 && v.n <= 32) {
		for (size_t i = 0; i < v.n; i++)
			if (!((v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '-' || v.p[i] == '_'))
				return -1;
		return 0;
	}
	return -1;
}

static char *strdup_printf(const char *fmt, const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, fmt, a, b) < 0)
		return NULL;
	return s;
}

static int read_file(struct dpkg_history *h, int rootfd, const char *rel, const char *path, char **ret_err)
{
	int fd = rootfs_open_regular(rootfd, rel);
	if (fd < 0) {
		if (fd == -ENOENT)
			return 0; /* rotated away under us */
		if (fd == -EINVAL || fd == -EISDIR) {
			h->refused++; /* a FIFO or device named like a log: never read */
			return 0;
		}
		*ret_err = strdup_printf("%s: %s", path, strerror(-fd));
		return fd;
	}
	gzFile gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	(void)gzbuffer(gz, 128 * 1024);

	/* Own line splitting over gzread: a NUL inside a line stays inside that line. */
	size_t cap = 64 * 1024, have = 0, off = 0;
	char *buf = malloc(cap);
	if (!buf) {
		gzclose(gz);
		return -ENOMEM;
	}
	bool skipping = false, eof = false; /* skipping: inside the tail of an overlong line */
	int r = 0;
	while (r == 0) {
		char *nl = memchr(buf + off, '\n', have - off);
		struct sv line;
		if (nl) {
			line = sv_make(buf + off, (size_t)(nl - (buf + off)));
			off = (size_t)(nl - buf) + 1;
		} else if (!eof) {
			memmove(buf, buf + off, have - off);
			have -= off;
			off = 0;
			if (have == cap) { /* overlong: not dpkg's */
				if (!skipping)
					h->bad_lines++;
				skipping = true;
				have = 0;
			}
			int k = gzread(gz, buf + have, (unsigned)(cap - have));
			if (k <= 0)
				eof = true;
			else
				have += (size_t)k;
			continue;
		} else if (off < have) {
			line = sv_make(buf + off, have - off); /* last line without a newline */
			off = have;
		} else
			break;
		if (skipping) {
			skipping = false;
			continue;
		}
		(void)sv_consume_end(&line, "\r");
		h->seq++;
		if (line.n == 0)
			continue;
		if (line.n > LINE_MAX_BYTES || memchr(line.p, '\0', line.n)) {
			h->bad_lines++;
			continue;
		}
		r = parse_line(h, line);
		if (r == 0)
			h->bad_lines++;
		if (r > 0)
			r = 0;
	}
	free(buf);
	int zerr = 0;
	(void)gzerror(gz, &zerr);
	if (r == 0 && zerr != Z_OK)
		h->bad_lines++; /* corrupt or truncated compressed file: what was read stays */
	gzclose(gz);
	return r;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->c.package, y->c.package);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the records into groups per name, plus per-arch views for names with several arches. */
/* The arch of the group's i-th change already came earlier in the group. */
static bool arch_seen_before(const struct dpkg_history *h, const struct pkg_group *grp, size_t i)
{
	const char *a = h->changes[grp->start + i].arch;
	for (size_t k = 0; k < i; k++)
		if (strcmp(h->changes[grp->start + k].arch, a) == 0)
			return true;
	return false;
}

static int build_index(struct dpkg_history *h)
{
	if (h->n_recs == 0)
		return 0;
	qsort(h->recs, h->n_recs, sizeof(*h->recs), rec_cmp);
	h->changes = malloc(h->n_recs * sizeof(*h->changes));
	h->groups = malloc(h->n_recs * sizeof(*h->groups));
	if (!h->changes || !h->groups)
		return -ENOMEM;
	for (size_t i = 0; i < h->n_recs; i++)
		h->changes[i] = h->recs[i].c;

	size_t n_multi = 0;
	for (size_t i = 0; i < h->n_recs;) {
		size_t j = i + 1;
		bool multi = false;
		while (j < h->n_recs && strcmp(h->changes[j].package, h->changes[i].package) == 0) {
			if (strcmp(h->changes[j].arch, h->changes[i].arch) != 0)
				multi = true;
			j++;
		}
		h->groups[h->n_groups++] = (struct pkg_group){ .name = h->changes[i].package, .start = i, .n = j - i };
		if (multi)
			n_multi += j - i;
		i = j;
	}
	if (n_multi == 0)
		return 0;

	/* Each view holds its arch's records plus the unqualified ones: at most n_multi² in
	 * theory, far less in practice (two arches); sized exactly in a first pass. */
	size_t need_changes = 0, need_views = 0;
	for (size_t g = 0; g < h->n_groups; g++) {
		struct pkg_group *grp = &h->groups[g];
		for (size_t i = 0; i < grp->n; i++) {
			const char *a = h->changes[grp->start + i].arch;
			if (a[0] == '\0' || arch_seen_before(h, grp, i))
				continue;
			need_views++;
			for (size_t k = 0; k < grp->n; k++) {
				const char *b = h->changes[grp->start + k].arch;
				need_changes += strcmp(a, b) == 0 || b[0] == '\0';
			}
		}
	}
	h->views = malloc(MAX(need_views, (size_t)1) * sizeof(*h->views));
	h->view_changes = malloc(MAX(need_changes, (size_t)1) * sizeof(*h->view_changes));
	if (!h->views || !h->view_changes)
		return -ENOMEM;
	for (size_t g = 0; g < h->n_groups; g++) {
		struct pkg_group *grp = &h->groups[g];
		bool multi = false;
		for (size_t i = 1; i < grp->n && !multi; i++)
			multi = strcmp(h->changes[grp->start + i].arch, h->changes[grp->start].arch) != 0;
		if (!multi)
			continue;
		grp->view_start = h->n_views;
		for (size_t i = 0; i < grp->n; i++) {
			const char *a = h->changes[grp->start + i].arch;
			if (a[0] == '\0' || arch_seen_before(h, grp, i))
				continue;
			struct arch_view *v = &h->views[h->n_views++];
			v->arch = a;
			v->start = h->n_view_changes;
			for (size_t k = 0; k < grp->n; k++) {
				const struct dpkg_change *c = &h->changes[grp->start + k];
				if (strcmp(c->arch, a) == 0 || c->arch[0] == '\0')
					h->view_changes[h->n_view_changes++] = *c;
			}
			v->n = h->n_view_changes - v->start;
		}
		grp->n_views = h->n_views - grp->view_start;
	}
	return 0;
}

int dpkg_history_load(const char *root, struct dpkg_history **ret, char **ret_err)
{
	_cleanup_(dpkg_history_freep) struct dpkg_history *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->tc_key = -1;
	h->seed = hash_random_seed(h);
	if (!root || !*root)
		root = "/";
	const char *sep = root[strlen(root) - 1] == '/' ? "" : "/";
	_cleanup_free_ char *dir = strdup_printf("%s%svar/log", root, sep);
	if (!dir)
		return -ENOMEM;

	int rootfd = rootfs_open_root(root);
	if (rootfd == -ENOENT || rootfd == -ENOTDIR) {
		*ret = TAKE_PTR(h); /* no root, no log: an empty history, as for a missing log */
		return 0;
	}
	if (rootfd < 0) {
		if (ret_err)
			*ret_err = strdup_printf("%s: %s", root, strerror(-rootfd));
		return rootfd;
	}
	DIR *d = NULL;
	int dr = rootfs_opendir(rootfd, "var/log", &d);
	if (dr < 0) {
		int r = dr;
		close(rootfd);
		if (r == -ENOENT || r == -ENOTDIR) {
			*ret = TAKE_PTR(h);
			return 0;
		}
		if (ret_err)
			*ret_err = strdup_printf("%s: %s", dir, strerror(-r));
		return r;
	}
	struct logfile files[MAX_LOG_FILES];
	size_t n_files = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned long long num = 0;
		int cls = classify(de->d_name, &num);
		if (cls < 0 || n_files == MAX_LOG_FILES)
			continue;
		char *name = strdup(de->d_name);
		if (!name) {
			r = -ENOMEM;
			break;
		}
		files[n_files++] = (struct logfile){ .class = cls, .num = num, .name = name };
	}
	closedir(d);
	if (r == 0)
		qsort(files, n_files, sizeof(files[0]), logfile_cmp);
	char *err = NULL;
	for (size_t i = 0; i < n_files && r == 0; i++) {
		_cleanup_free_ char *path = strdup_printf("%s/%s", dir, files[i].name);
		_cleanup_free_ char *rel = strdup_printf("%s/%s", "var/log", files[i].name);
		r = path && rel ? read_file(h, rootfd, rel, path, &err) : -ENOMEM;
	}
	close(rootfd);
	for (size_t i = 0; i < n_files; i++)
		free(files[i].name);
	if (r == 0)
		r = build_index(h);
	if (r < 0) {
		if (ret_err && !err)
			err = strdup_printf("%s: %s", dir, strerror(-r));
		if (ret_err)
			*ret_err = err;
		else
			free(err);
		return r;
	}
	free(h->recs); /* the sorted copy in changes is all that is read from now on */
	h->recs = NULL;
	h->n_recs = h->cap_recs = 0;
	free(h->slots);
	h->slots = NULL;
	h->n_slots = h->cap_slots = 0;
	*ret = TAKE_PTR(h);
	return 0;
}

static const struct pkg_group *find_group(const struct dpkg_history *h, struct sv name)
{
	size_t lo = 0, hi = h->n_groups;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *g = h->groups[mid].name;
		size_t gn = strlen(g);
		int c = memcmp(g, name.p, MIN(gn, name.n));
		if (c == 0)
			c = gn < name.n ? -1 : gn > name.n;
		if (c == 0)
			return &h->groups[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t dpkg_history_of(const struct dpkg_history *h, const char *package, const struct dpkg_change **ret)
{
	*ret = NULL;
	if (!h || !package)
		return 0;
	struct sv q = sv_cstr(package);
	long colon = sv_chr(q, ':');
	struct sv name = colon >= 0 ? sv_make(q.p, (size_t)colon) : q;
	const struct pkg_group *g = find_group(h, name);
	if (!g)
		return 0;
	if (colon < 0) {
		*ret = &h->changes[g->start];
		return g->n;
	}
	struct sv arch = sv_skip(q, (size_t)colon + 1);
	if (g->n_views == 0) {
		/* one arch in the log: it is this one, or unqualified (pre-multiarch dpkg) */
		const char *a = h->changes[g->start].arch;
		if (a[0] != '\0' && !sv_eq(arch, a))
			return 0;
		*ret = &h->changes[g->start];
		return g->n;
	}
	for (size_t i = 0; i < g->n_views; i++) {
		const struct arch_view *v = &h->views[g->view_start + i];
		if (sv_eq(arch, v->arch)) {
			*ret = &h->view_changes[v->start];
			return v->n;
		}
	}
	/* only unqualified records and other arches: keep the unqualified ones? They are not
	 * contiguous here, so report none rather than another arch's. */
	return 0;
}

/* The walk over one package's changes (one arch, or unqualified records). */
static int fixed_in(const struct dpkg_change *c, size_t n, const char *fixed, version_cmp_fn cmp, int64_t *ret)
{
	bool have = false, known = false;
	int64_t t = 0;
	for (size_t i = 0; i < n; i++) {
		if (cmp(c[i].new_version, fixed) >= 0) {
			if (have)
				continue;
			have = true;
			/* upgraded from a version already fixed: it got there before the log shows */
			bool before = strcmp(c[i].old_version, "<none>") != 0 && cmp(c[i].old_version, fixed) >= 0;
			known = !before;
			t = c[i].time_s;
		} else
			have = false; /* went back below the fix: the window reopened */
	}
	if (!have || !known)
		return 0;
	*ret = t;
	return 1;
}

int dpkg_history_fixed_at(const struct dpkg_history *h, const char *package, const char *fixed,
			  version_cmp_fn cmp, int64_t *ret_time_s)
{
	if (!h || !package || !fixed || !cmp)
		return 0;
	const struct pkg_group *g = strchr(package, ':') ? NULL : find_group(h, sv_cstr(package));
	if (g && g->n_views > 0) {
		/* several arches of one name (libc6:amd64 and libc6:i386): fixed when the last one is */
		int64_t worst = INT64_MIN;
		for (size_t i = 0; i < g->n_views; i++) {
			const struct arch_view *v = &h->views[g->view_start + i];
			int64_t t;
			if (fixed_in(&h->view_changes[v->start], v->n, fixed, cmp, &t) <= 0)
				return 0;
			worst = MAX(worst, t);
		}
		*ret_time_s = worst;
		return 1;
	}
	const struct dpkg_change *c;
	size_t n = dpkg_history_of(h, package, &c);
	return fixed_in(c, n, fixed, cmp, ret_time_s);
}
