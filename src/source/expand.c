/*
 * source_expand: command-line arguments → an ordered list of inputs.
 *
 * Rotated sets are recognised by name: base, base.N, base.N.gz,
 * base-DIGITS[.gz] (logrotate's dateext, at least 8 digits). Oldest first:
 * dated ones by date, numbered ones by N descending, then the live file.
 * Whether a file is gzip is decided by its magic bytes when it is opened
 * here to check that it can be read.
 */
#include "core/array.h"
#include "source/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/strview.h"
#include "source/source-internal.h"

#define HINT_EACCES "run moat with sudo, or as a member of group adm (sudo usermod -aG adm $USER, then log in again)"

enum rot_class {
	ROT_DATE, /* base-20240107[.gz]: oldest first by date */
	ROT_NUM, /* base.N[.gz]: oldest first by N descending */
	ROT_LIVE, /* base (or base.gz) */
};

/* A directory entry that may be read, with its place in a rotated set. */
struct cand {
	char *path; /* owned */
	const char *name; /* inside path */
	size_t base_len; /* name[0, base_len) is the set's base name */
	enum rot_class cls;
	uint64_t num; /* ROT_NUM */
	const char *date; /* ROT_DATE: digits inside name */
	size_t date_len;
	bool gz_name; /* name ends in ".gz" */
};

/* Growable list being built; moved into the caller's source_list at the end. */
struct builder {
	struct source_input *v;
	size_t n, cap;
	char **warn;
	size_t n_warn, cap_warn;
};

static void builder_done(struct builder *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].path);
	free(b->v);
	for (size_t i = 0; i < b->n_warn; i++)
		free(b->warn[i]);
	free(b->warn);
	*b = (struct builder){ 0 };
}

_printf_(2, 3) static int builder_warn(struct builder *b, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int r;
	if (array_reserve(&b->warn, &b->cap_warn, b->n_warn + 1, sizeof(*b->warn), 16) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	b->warn[b->n_warn++] = s;
	return 0;
}

/* Takes ownership of path. */
static int builder_add(struct builder *b, char *path, const struct stat *st, bool gzip)
{
	if (array_reserve(&b->v, &b->cap, b->n + 1, sizeof(*b->v), 16) < 0) {
		free(path);
		return -ENOMEM;
	}
	b->v[b->n++] = (struct source_input){
		.path = path,
		.mtime_s = st ? (int64_t)st->st_mtim.tv_sec : 0,
		.size = st && S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0,
		.gzip = gzip,
	};
	return 0;
}

_printf_(3, 4) static int set_err(char **ret_err, int r, const char *fmt, ...)
{
	va_list ap;
	if (!ret_err)
		return r;
	va_start(ap, fmt);
	if (vasprintf(ret_err, fmt, ap) < 0)
		*ret_err = NULL;
	va_end(ap);
	return r;
}

int source_path_err(char **ret_err, int r, const char *path)
{
	if (r == -EACCES || r == -EPERM)
		return set_err(ret_err, r, "%s: %s; %s", path, strerror(-r), HINT_EACCES);
	return set_err(ret_err, r, "%s: %s", path, strerror(-r));
}

static const char *type_name(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory (directories inside directories are not read)";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

/* Opens a regular file to prove it can be read and to look for the gzip
 * magic. 1 gzip, 0 not, < 0 error. */
static int probe(const char *path)
{
	unsigned char m[2];
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		k = pread(fd, m, sizeof(m), 0);
	while (k < 0 && errno == EINTR);
	int r = k < 0 ? -errno : (k == 2 && m[0] == 0x1f && m[1] == 0x8b);
	close(fd);
	return r;
}

static char *path_join(const char *dir, const char *name)
{
	size_t l = strlen(dir);
	char *p;
	while (l > 1 && dir[l - 1] == '/')
		l--;
	if (asprintf(&p, "%.*s%s%s", (int)l, dir, l && dir[l - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	return p;
}

/* Splits name into base + rotation suffix. */
static void rot_parse(struct cand *c)
{
	const char *s = c->name;
	size_t e = strlen(s), d;
	c->gz_name = e > 3 && sv_ends(sv_make(s, e), ".gz");
	if (c->gz_name)
		e -= 3;
	c->cls = ROT_LIVE;
	c->base_len = e;
	d = e;
	while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
		d--;
	if (d == e || d < 2)
		return;
	unsigned long long v;
	if (s[d - 1] == '.' && sv_to_u64(sv_make(s + d, e - d), UINT64_MAX, &v) == 0) {
		c->cls = ROT_NUM;
		c->num = v;
		c->base_len = d - 1;
	} else if (s[d - 1] == '-' && e - d >= 8) {
		c->cls = ROT_DATE;
		c->date = s + d;
		c->date_len = e - d;
		c->base_len = d - 1;
	}
}

static int cmp_digits(const char *a, size_t al, const char *b, size_t bl)
{
	while (al > 1 && *a == '0')
		a++, al--;
	while (bl > 1 && *b == '0')
		b++, bl--;
	if (al != bl)
		return al < bl ? -1 : 1;
	return memcmp(a, b, al);
}

/* Order within one set: oldest first. 0 only for name.N vs name.N.gz. */
static int cmp_rot(const struct cand *a, const struct cand *b)
{
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	switch (a->cls) {
	case ROT_DATE:
		return cmp_digits(a->date, a->date_len, b->date, b->date_len);
	case ROT_NUM:
		return a->num == b->num ? 0 : a->num > b->num ? -1 : 1;
	case ROT_LIVE:
		return a->gz_name == b->gz_name ? 0 : a->gz_name ? -1 : 1;
	}
	return 0;
}

static int cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	size_t l = MIN(a->base_len, b->base_len);
	int c = memcmp(a->name, b->name, l);
	if (c)
		return c;
	if (a->base_len != b->base_len)
		return a->base_len < b->base_len ? -1 : 1;
	c = cmp_rot(a, b);
	if (c)
		return c;
	/* same rank: plain name.N before name.N.gz (the .gz is dropped) */
	return a->gz_name == b->gz_name ? 0 : a->gz_name ? 1 : -1;
}

static bool base_is(const struct cand *c, const char *base)
{
	return c->base_len == strlen(base) && memcmp(c->name, base, c->base_len) == 0;
}

struct cands {
	struct cand *v;
	size_t n, cap;
};

static void cands_done(struct cands *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].path);
	free(cs->v);
	*cs = (struct cands){ 0 };
}

/* Reads a directory's non-hidden entry names. -errno on failure to open. */
static int list_dir(const char *dir, struct cands *cs)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return -errno;
	errno = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (array_reserve(&cs->v, &cs->cap, cs->n + 1, sizeof(*cs->v), 16) < 0)
			goto oom;
		char *p = path_join(dir, de->d_name);
		if (!p)
			goto oom;
		struct cand *c = &cs->v[cs->n++];
		*c = (struct cand){ .path = p, .name = p + strlen(p) - strlen(de->d_name) };
		rot_parse(c);
		errno = 0;
	}
	int r = errno ? -errno : 0;
	closedir(d);
	return r;
oom:
	closedir(d);
	return -ENOMEM;
}

/* name.N and name.N.gz both present: gzip(1) is still writing the .gz. */
static bool compressing(const struct cand *plain, const struct cand *gz)
{
	return gz->gz_name && !plain->gz_name && gz->cls != ROT_LIVE && plain->base_len == gz->base_len &&
	       memcmp(plain->name, gz->name, gz->base_len) == 0 && cmp_rot(plain, gz) == 0;
}

/* Adds the selected candidates (sel[i] true) of a sorted array, checking
 * each: regular, readable. Unreadable → -EACCES with *ret_err. */
static int add_cands(struct builder *b, struct cands *cs, const bool *sel, char **ret_err)
{
	int r;
	for (size_t i = 0; i < cs->n; i++) {
		struct cand *c = &cs->v[i];
		struct stat st;
		if (!sel[i])
			continue;
		if (i > 0 && compressing(&cs->v[i - 1], c)) {
			r = builder_warn(b, "%s: %s exists too: compression in progress, not read", c->path,
					 cs->v[i - 1].path);
			if (r < 0)
				return r;
			continue;
		}
		if (stat(c->path, &st) < 0) {
			r = builder_warn(b, "%s: %s, not read", c->path, strerror(errno));
			if (r < 0)
				return r;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			r = builder_warn(b, "%s: %s, not read", c->path, type_name(st.st_mode));
			if (r < 0)
				return r;
			continue;
		}
		r = probe(c->path);
		if (r < 0)
			return source_path_err(ret_err, r, c->path);
		r = builder_add(b, TAKE_PTR(c->path), &st, r == 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Marks the members of base's set (and warns about auth.log.bak-like
 * names that only look like members). Returns how many were marked. */
static int select_set(struct builder *b, struct cands *cs, bool *sel, const char *base)
{
	size_t bl = strlen(base), n = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const struct cand *c = &cs->v[i];
		if (base_is(c, base)) {
			sel[i] = true;
			n++;
		} else if (strncmp(c->name, base, bl) == 0 && (c->name[bl] == '.' || c->name[bl] == '-')) {
			if (builder_warn(b, "%s: not a rotation of %s, not read", c->path, base) < 0)
				return -ENOMEM;
		}
	}
	return (int)n;
}

/* A named directory, or (is_default) the host's /var/log: auth.log, else secure. */
static int expand_dir(struct builder *b, const char *dir, bool is_default, char **ret_err)
{
	struct cands cs = { 0 };
	bool *sel = NULL;
	int r = list_dir(dir, &cs);
	if (r < 0) {
		if (is_default && r == -ENOENT)
			r = 0;
		else
			r = source_path_err(ret_err, r, dir);
		goto out;
	}
	if (cs.n == 0)
		goto out;
	qsort(cs.v, cs.n, sizeof(*cs.v), cmp_cand);
	sel = calloc(cs.n, sizeof(*sel));
	if (!sel) {
		r = -ENOMEM;
		goto out;
	}
	bool has_auth = false, has_secure = false;
	for (size_t i = 0; i < cs.n; i++) {
		has_auth |= base_is(&cs.v[i], "auth.log");
		has_secure |= base_is(&cs.v[i], "secure");
	}
	if (has_auth || has_secure) {
		/* a /var/log: its auth sets only (the array is sorted: auth.log's
		 * set comes first); the default reads secure only without auth.log */
		if (has_auth && (r = select_set(b, &cs, sel, "auth.log")) < 0)
			goto out;
		if (has_secure && !(is_default && has_auth) && (r = select_set(b, &cs, sel, "secure")) < 0)
			goto out;
	} else if (is_default) {
		goto out;
	} else {
		for (size_t i = 0; i < cs.n; i++)
			sel[i] = true;
	}
	r = add_cands(b, &cs, sel, ret_err);
out:
	free(sel);
	cands_done(&cs);
	return r < 0 ? r : 0;
}

static int expand_arg(struct builder *b, const char *arg, char **ret_err)
{
	struct stat st;
	int r;
	if (strcmp(arg, "-") == 0) {
		char *p = strdup("-");
		return p ? builder_add(b, p, NULL, false) : -ENOMEM;
	}
	if (stat(arg, &st) < 0)
		return source_path_err(ret_err, -errno, arg);
	if (S_ISDIR(st.st_mode))
		return expand_dir(b, arg, false, ret_err);
	if (S_ISSOCK(st.st_mode))
		return set_err(ret_err, -EINVAL, "%s: is a socket, not a file to read", arg);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		/* /dev/zero would be read forever, a disk would be read whole */
		return set_err(ret_err, -EINVAL,
			       "%s: is %s, not a log to read (to read a terminal or a device anyway, "
			       "redirect it to stdin and name '-')",
			       arg, type_name(st.st_mode));
	r = 0;
	if (S_ISREG(st.st_mode)) {
		r = probe(arg);
		if (r < 0)
			return source_path_err(ret_err, r, arg);
	} else {
		/* a FIFO (<(zcat …), /dev/stdin of a pipe): opened when read */
		if (access(arg, R_OK) < 0)
			return source_path_err(ret_err, -errno, arg);
	}
	char *p = strdup(arg);
	return p ? builder_add(b, p, &st, r == 1) : -ENOMEM;
}

static void builder_move(struct builder *b, struct source_list *ret)
{
	*ret = (struct source_list){ .v = b->v, .n = b->n, .warnings = b->warn, .n_warnings = b->n_warn };
	*b = (struct builder){ 0 };
}

int source_expand_default(const char *root, struct source_list *ret, char **ret_err)
{
	struct builder b = { 0 };
	_cleanup_free_ char *dir = path_join(root && *root ? root : "/", "var/log");
	int r;
	if (!dir)
		return -ENOMEM;
	r = expand_dir(&b, dir, true, ret_err);
	if (r < 0) {
		builder_done(&b);
		return r;
	}
	builder_move(&b, ret);
	return 0;
}

int source_expand(char *const *args, size_t n, struct source_list *ret, char **ret_err)
{
	struct builder b = { 0 };
	if (n == 0)
		return source_expand_default("/", ret, ret_err);
	for (size_t i = 0; i < n; i++) {
		int r = expand_arg(&b, args[i], ret_err);
		if (r < 0) {
			builder_done(&b);
			return r;
		}
	}
	builder_move(&b, ret);
	return 0;
}

void source_list_free(struct source_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	for (size_t i = 0; i < l->n_warnings; i++)
		free(l->warnings[i]);
	free(l->warnings);
	*l = (struct source_list){ 0 };
}
