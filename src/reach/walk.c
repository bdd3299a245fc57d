/*
 * walk: one pass over the root's file systems for what the graph needs
 * from all of them: setuid and setgid programs, file capabilities, files
 * whose names say "secret" (and, for keys, whose first bytes do), root
 * daemons' sockets, and files or directories that someone besides root may
 * write under the directories root loads code from.
 *
 * Bounded and hostile-proof: directories are opened with O_NOFOLLOW (a
 * symlink is never followed), every directory's (device, inode) is kept so
 * a bind mount of a parent below itself is entered once, pseudo and network
 * file systems are skipped by their statfs magic, depth and entry counts
 * are capped, and a directory that cannot be read is counted and named,
 * not fatal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/array.h"
#include "core/hash.h"
#include "core/macro.h"
#include "reach/reach-internal.h"

#define WALK_MAX_DEPTH 128
#define WALK_DEFAULT_MAX (5u * 1000 * 1000)
#define WALK_PROGRESS_EVERY 8192

/* Pseudo and network file systems (statfs(2) f_type values, linux/magic.h):
 * nothing there is a program on disk or a secret at rest, and a network
 * mount can be slow or hang. tmpfs is walked: /run holds the sockets. */
static const struct {
	int64_t magic;
	const char *name;
} skipped_fs[] = {
	{ 0x9fa0, "proc" },	    { 0x62656572, "sysfs" },	 { 0x1cd1, "devpts" },
	{ 0x27e0eb, "cgroup" },	    { 0x63677270, "cgroup2" },	 { 0x64626720, "debugfs" },
	{ 0x74726163, "tracefs" },  { 0x73636673, "securityfs" }, { 0x6165676c, "pstore" },
	{ 0xcafe4a11, "bpf" },	    { 0x62656570, "configfs" },	 { 0x65735543, "fusectl" },
	{ 0x19800202, "mqueue" },   { 0x958458f6, "hugetlbfs" }, { 0x42494e4d, "binfmt_misc" },
	{ 0x0187, "autofs" },	    { 0xde5e81e4, "efivarfs" },	 { 0x6969, "nfs" },
	{ 0x517b, "smb" },	    { 0xff534d42, "cifs" },	 { 0xfe534d42, "smb2" },
	{ 0x73757245, "coda" },	    { 0x5346414f, "afs" },	 { 0x00c36400, "ceph" },
	{ 0x65735546, "fuse" },	    { 0x01021997, "9p" },	 { 0x6e736673, "nsfs" },
	{ 0xf97cff8c, "selinuxfs" }, { 0x67596969, "rpc_pipefs" }, { 0x47504653, "gpfs" },
};

bool rx_skip_fs(int64_t magic, const char **name)
{
	for (size_t i = 0; i < ELEMENTSOF(skipped_fs); i++)
		if (skipped_fs[i].magic == (int64_t)(uint32_t)magic || skipped_fs[i].magic == magic) {
			*name = skipped_fs[i].name;
			return true;
		}
	return false;
}

/* Directories root loads code from: a file or directory there that someone
 * else can write is code they put in root's hands. */
static const char *const code_prefixes[] = {
	"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/",
	"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/",
	"/usr/share/perl", "/usr/local/share/perl", "/etc/perl/", "/usr/share/python",
	"/etc/cron", "/etc/systemd/", "/etc/init.d/", "/etc/profile.d/", "/etc/update-motd.d/",
	"/etc/sudoers.d/", "/etc/apt/apt.conf.d/", "/etc/logrotate.d/",
};

static bool under_code(const char *path)
{
	for (size_t i = 0; i < ELEMENTSOF(code_prefixes); i++)
		if (strncmp(path, code_prefixes[i], strlen(code_prefixes[i])) == 0)
			return true;
	return false;
}

/* Where packages keep their own test keys and sample certificates: not a
 * host's secrets. */
static bool secret_exempt(const char *path)
{
	return strncmp(path, "/usr/", 5) == 0 || strncmp(path, "/snap/", 6) == 0 ||
	       strncmp(path, "/var/lib/dpkg/", 14) == 0;
}

enum { SK_KEYCHECK = 1 };

struct secret_name {
	const char *name; /* exact base name; with suffix true, a suffix */
	const char *dir;  /* the directory must end so (NULL: anywhere) */
	bool suffix;
	unsigned flags;
	const char *kind;
};

static const struct secret_name secret_names[] = {
	{ "id_rsa", NULL, false, SK_KEYCHECK, "private SSH key" },
	{ "id_dsa", NULL, false, SK_KEYCHECK, "private SSH key" },
	{ "id_ecdsa", NULL, false, SK_KEYCHECK, "private SSH key" },
	{ "id_ed25519", NULL, false, SK_KEYCHECK, "private SSH key" },
	{ "id_ecdsa_sk", NULL, false, SK_KEYCHECK, "private SSH key" },
	{ "id_ed25519_sk", NULL, false, SK_KEYCHECK, "private SSH key" },
	{ "identity", "/.ssh", false, SK_KEYCHECK, "private SSH key" },
	{ "_key", "/etc/ssh", true, SK_KEYCHECK, "SSH host private key" },
	{ "shadow", "/etc", false, 0, "password hashes" },
	{ "gshadow", "/etc", false, 0, "group password hashes" },
	{ "shadow-", "/etc", false, 0, "password hashes (backup)" },
	{ "gshadow-", "/etc", false, 0, "group password hashes (backup)" },
	{ ".bash_history", NULL, false, 0, "shell history" },
	{ ".zsh_history", NULL, false, 0, "shell history" },
	{ ".sh_history", NULL, false, 0, "shell history" },
	{ ".history", NULL, false, 0, "shell history" },
	{ ".mysql_history", NULL, false, 0, "SQL history" },
	{ ".psql_history", NULL, false, 0, "SQL history" },
	{ ".python_history", NULL, false, 0, "interpreter history" },
	{ ".env", NULL, false, 0, "environment file (credentials)" },
	{ "credentials", "/.aws", false, 0, "cloud credentials (AWS)" },
	{ ".boto", NULL, false, 0, "cloud credentials (boto)" },
	{ ".s3cfg", NULL, false, 0, "cloud credentials (s3cmd)" },
	{ "application_default_credentials.json", "/gcloud", false, 0, "cloud credentials (Google Cloud)" },
	{ "credentials.db", "/gcloud", false, 0, "cloud credentials (Google Cloud)" },
	{ "access_tokens.db", "/gcloud", false, 0, "cloud credentials (Google Cloud)" },
	{ "accessTokens.json", "/.azure", false, 0, "cloud credentials (Azure)" },
	{ "msal_token_cache.json", "/.azure", false, 0, "cloud credentials (Azure)" },
	{ "config", "/.kube", false, 0, "Kubernetes credentials" },
	{ "config.json", "/.docker", false, 0, "registry credentials (Docker)" },
	{ ".git-credentials", NULL, false, 0, "credentials file (git)" },
	{ ".netrc", NULL, false, 0, "credentials file (netrc)" },
	{ ".pgpass", NULL, false, 0, "credentials file (PostgreSQL)" },
	{ ".my.cnf", NULL, false, 0, "credentials file (MySQL)" },
	{ ".npmrc", NULL, false, 0, "credentials file (npm)" },
	{ ".pypirc", NULL, false, 0, "credentials file (PyPI)" },
	{ ".vault-token", NULL, false, 0, "credentials file (Vault)" },
	{ ".pem", NULL, true, SK_KEYCHECK, "private key" },
	{ ".key", NULL, true, SK_KEYCHECK, "private key" },
	{ ".ppk", NULL, true, SK_KEYCHECK, "private key (PuTTY)" },
	{ ".p12", NULL, true, 0, "key store (PKCS#12)" },
	{ ".pfx", NULL, true, 0, "key store (PKCS#12)" },
	{ ".kdbx", NULL, true, 0, "password database (KeePass)" },
};

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

static const struct secret_name *secret_lookup(const char *dir, const char *name)
{
	size_t nl = strlen(name), dl = strlen(dir);
	for (size_t i = 0; i < ELEMENTSOF(secret_names); i++) {
		const struct secret_name *s = &secret_names[i];
		bool ok = s->suffix ? ends_with(name, nl, s->name) && nl > strlen(s->name) : strcmp(name, s->name) == 0;
		if (!ok && strcmp(s->name, ".env") == 0)
			ok = strncmp(name, ".env.", 5) == 0 && !ends_with(name, nl, ".example") &&
			     !ends_with(name, nl, ".sample");
		if (ok && s->dir && !ends_with(dir, dl, s->dir))
			ok = false;
		if (ok)
			return s;
	}
	return NULL;
}

bool rx_secret_name(const char *dir, const char *name, const char **kind)
{
	const struct secret_name *s = secret_lookup(dir, name);
	if (s)
		*kind = s->kind;
	return s != NULL;
}

/* ---- visited directories ---- */

struct seen {
	uint64_t *k; /* pairs: dev, ino; (0, 0) empty */
	size_t cap, n;
};

static int seen_add(struct seen *s, uint64_t dev, uint64_t ino)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint64_t *k = calloc(cap * 2, sizeof(*k));
		if (!k)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->k[2 * i] && !s->k[2 * i + 1])
				continue;
			size_t j = hash_mix(s->k[2 * i] * 31 + s->k[2 * i + 1]) & (cap - 1);
			while (k[2 * j] || k[2 * j + 1])
				j = (j + 1) & (cap - 1);
			k[2 * j] = s->k[2 * i];
			k[2 * j + 1] = s->k[2 * i + 1];
		}
		free(s->k);
		s->k = k;
		s->cap = cap;
	}
	if (!dev && !ino)
		ino = 1; /* (0, 0) marks an empty slot */
	size_t j = hash_mix(dev * 31 + ino) & (s->cap - 1);
	while (s->k[2 * j] || s->k[2 * j + 1]) {
		if (s->k[2 * j] == dev && s->k[2 * j + 1] == ino)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->k[2 * j] = dev;
	s->k[2 * j + 1] = ino;
	s->n++;
	return 1;
}

/* ---- the walk ---- */

struct wst {
	const struct fsroot *r;
	const struct rx_walk_opts *o;
	struct rx_walk *w;
	struct rx_problems *pr;
	struct seen seen;
	char path[4096]; /* inside the root: "" at the root, "/etc" … */
	size_t len;
	uint64_t max, next_progress;
	bool stop;
	int err;
};

static void host_of(const struct wst *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", s->r->path, s->len ? s->path : "/");
}

static int add_found(struct wst *s, uint8_t kind, size_t dir, const struct fperm *p, const char *info, uint64_t caps)
{
	struct rx_walk *w = s->w;
	if (w->n_found >= RX_MAX_FOUND) {
		w->dropped++;
		return 0;
	}
	if (array_reserve(&w->found, &w->cap_found, w->n_found + 1, sizeof(*w->found), 256) < 0)
		return -ENOMEM;
	char *path = strdup(s->path);
	char *inf = info ? strdup(info) : NULL;
	if (!path || (info && !inf)) {
		free(path);
		free(inf);
		return -ENOMEM;
	}
	w->found[w->n_found++] = (struct rx_found){ kind, path, dir, *p, inf, caps };
	return 0;
}

/* The dangerous capabilities of a file, as a bit set of CAP_* numbers. */
static const int dangerous_caps[] = { CAP_SETUID, CAP_SETGID, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
				      CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_CHOWN, CAP_FOWNER,
				      CAP_SYS_RAWIO };

static int file_caps(struct wst *s, const char *host, size_t dir, const struct fperm *p)
{
	cap_t c = cap_get_file(host);
	if (!c)
		return 0;
	uint64_t bits = 0;
	for (size_t i = 0; i < ELEMENTSOF(dangerous_caps); i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(c, dangerous_caps[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			bits |= 1ull << dangerous_caps[i];
	}
	char *text = cap_to_text(c, NULL);
	int rc = add_found(s, FOUND_CAPS, dir, p, text ? text : "?", bits);
	cap_free(text);
	cap_free(c);
	return rc;
}

/* A key file is a secret only when it holds a private key. 1 yes, 0 no, -1 unreadable. */
static int holds_private_key(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	char buf[4097];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return memmem(buf, (size_t)n, "PRIVATE KEY", 11) || memmem(buf, (size_t)n, "PuTTY-User-Key-File", 19) ? 1 : 0;
}

static void progress(struct wst *s)
{
	if (s->o && s->o->progress && s->w->files >= s->next_progress) {
		s->next_progress = s->w->files + WALK_PROGRESS_EVERY;
		s->o->progress(s->o->progress_ud, s->w->files, s->len ? s->path : "/");
	}
}

static void walk_dir(struct wst *s, int dfd, size_t dir_index, uint64_t dev, unsigned depth);

static void entry(struct wst *s, int dfd, const char *name, size_t dir_index, uint64_t dev, unsigned depth)
{
	struct stat st;
	char host[4200];
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return; /* gone since readdir: nothing to judge */
	s->w->files++;
	if (s->w->files > s->max) {
		if (!s->stop)
			rx_problem(s->pr, "walk stopped after %llu entries (--max-files)", (unsigned long long)s->max);
		s->stop = true;
		return;
	}
	progress(s);
	mode_t m = st.st_mode;
	host_of(s, host, sizeof(host));
	if (S_ISDIR(m)) {
		if (depth >= WALK_MAX_DEPTH) {
			rx_problem(s->pr, "%s: deeper than %d directories, not walked", s->path, WALK_MAX_DEPTH);
			return;
		}
		int r = seen_add(&s->seen, st.st_dev, st.st_ino);
		if (r < 0) {
			s->err = r;
			s->stop = true;
			return;
		}
		if (r == 0) {
			s->w->loops++; /* a bind mount (or a loop) showing a directory already walked */
			return;
		}
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			s->w->unreadable++;
			rx_problem(s->pr, "%s: %s, not walked", s->path, strerror(errno));
			return;
		}
		if ((uint64_t)st.st_dev != dev) {
			struct statfs sf;
			const char *fsname;
			if (fstatfs(fd, &sf) == 0 && rx_skip_fs((int64_t)sf.f_type, &fsname)) {
				s->w->skipped_fs++;
				close(fd);
				return;
			}
		}
		if (array_reserve(&s->w->dirs, &s->w->cap_dirs, s->w->n_dirs + 1, sizeof(*s->w->dirs), 1024) < 0) {
			close(fd);
			s->err = -ENOMEM;
			s->stop = true;
			return;
		}
		size_t me = s->w->n_dirs++;
		s->w->dirs[me].parent = dir_index;
		fsroot_perm_from_stat(s->r, host, &st, &s->w->dirs[me].perm);
		if (under_code(s->path) && (st.st_uid != 0 || (m & 022) || s->w->dirs[me].perm.has_acl) &&
		    !((m & S_ISVTX) && st.st_uid == 0 && !(m & 020) && !s->w->dirs[me].perm.has_acl))
			(void)add_found(s, FOUND_LOOSE, dir_index, &s->w->dirs[me].perm, "directory", 0);
		walk_dir(s, fd, me, st.st_dev, depth + 1);
		close(fd);
		return;
	}
	struct fperm p;
	if (S_ISSOCK(m)) {
		if (st.st_uid == 0) {
			fsroot_perm_from_stat(s->r, host, &st, &p);
			if ((m & 022) || p.has_acl)
				(void)add_found(s, FOUND_SOCKET, dir_index, &p, name, 0);
		}
		return;
	}
	if (!S_ISREG(m))
		return;
	bool perm_read = false;
	if ((m & S_ISUID) || ((m & S_ISGID) && (m & 010))) {
		fsroot_perm_from_stat(s->r, host, &st, &p);
		perm_read = true;
		if (m & S_ISUID)
			(void)add_found(s, FOUND_SETUID, dir_index, &p, NULL, 0);
		if ((m & S_ISGID) && (m & 010))
			(void)add_found(s, FOUND_SETGID, dir_index, &p, NULL, 0);
	}
	if ((m & 0111) && lgetxattr(host, "security.capability", NULL, 0) > 0) {
		if (!perm_read)
			fsroot_perm_from_stat(s->r, host, &st, &p);
		perm_read = true;
		(void)file_caps(s, host, dir_index, &p);
	}
	const struct secret_name *sn;
	char dir[4096];
	size_t dl = s->len - strlen(name) - 1;
	memcpy(dir, s->path, dl);
	dir[dl] = '\0';
	/* An ACL entry grants a bit only through the mask, and the mask is
	 * what the mode's group bits show: without group or other read bits,
	 * nobody but the owner reads the file, ACL or not (acl(5)). */
	if ((m & 044) && !secret_exempt(s->path) && (sn = secret_lookup(dir, name))) {
		if (!perm_read)
			fsroot_perm_from_stat(s->r, host, &st, &p);
		perm_read = true;
		int k = sn->flags & SK_KEYCHECK ? holds_private_key(dfd, name) : 1;
		if (k != 0) {
			char info[96];
			snprintf(info, sizeof(info), "%s%s", sn->kind, k < 0 ? " (by its name; content unread)" : "");
			(void)add_found(s, FOUND_SECRET, dir_index, &p, info, 0);
		}
	}
	/* the same for write: group or other write bits, or another owner */
	if ((st.st_uid != 0 || (m & 022)) && under_code(s->path)) {
		if (!perm_read)
			fsroot_perm_from_stat(s->r, host, &st, &p);
		(void)add_found(s, FOUND_LOOSE, dir_index, &p, "file", 0);
	}
}

static void walk_dir(struct wst *s, int dfd, size_t dir_index, uint64_t dev, unsigned depth)
{
	int fd = dup(dfd);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	size_t saved = s->len;
	while (!s->stop && (de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
			continue;
		size_t nl = strlen(n);
		if (saved + 1 + nl >= sizeof(s->path)) {
			rx_problem(s->pr, "%.200s/…: path longer than %zu bytes, not walked", s->path, sizeof(s->path));
			continue;
		}
		s->path[saved] = '/';
		memcpy(s->path + saved + 1, n, nl + 1);
		s->len = saved + 1 + nl;
		entry(s, dfd, n, dir_index, dev, depth);
		s->len = saved;
		s->path[saved] = '\0';
	}
	closedir(d);
}

int rx_walk_run(const struct fsroot *r, const struct rx_walk_opts *o, struct rx_walk *w, struct rx_problems *pr)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*w = (struct rx_walk){ 0 };
	struct wst s = { .r = r, .o = o, .w = w, .pr = pr, .max = o && o->max_files ? o->max_files : WALK_DEFAULT_MAX };
	int fd = openat(r->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (array_reserve(&w->dirs, &w->cap_dirs, 1, sizeof(*w->dirs), 1024) < 0 ||
	    seen_add(&s.seen, st.st_dev, st.st_ino) < 0) {
		close(fd);
		free(s.seen.k);
		return -ENOMEM;
	}
	w->n_dirs = 1;
	w->dirs[0].parent = SIZE_MAX;
	char host[4200];
	snprintf(host, sizeof(host), "%s/", r->path);
	fsroot_perm_from_stat(r, host, &st, &w->dirs[0].perm);
	walk_dir(&s, fd, 0, st.st_dev, 0);
	close(fd);
	free(s.seen.k);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	w->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return s.err;
}

void rx_walk_done(struct rx_walk *w)
{
	for (size_t i = 0; i < w->n_found; i++) {
		free(w->found[i].path);
		free(w->found[i].info);
	}
	free(w->found);
	free(w->dirs);
	*w = (struct rx_walk){ 0 };
}

void rx_walk_chain(const struct rx_walk *w, const struct rx_found *f, struct rx_chain *c)
{
	/* directories from the found file's up to the root, then reversed */
	size_t idx[RX_MAX_CHAIN];
	size_t n = 0;
	for (size_t d = f->dir; d != SIZE_MAX && n < RX_MAX_CHAIN - 1; d = w->dirs[d].parent)
		idx[n++] = d;
	c->n = 0;
	for (size_t i = n; i-- > 0;)
		c->ent[c->n++] = w->dirs[idx[i]].perm;
	c->ent[c->n++] = f->perm;
	snprintf(c->path, sizeof(c->path), "%s", f->path);
	/* ends of the directories' paths: at each '/' of the file's path */
	size_t k = 0;
	c->end[k++] = 1;
	for (size_t i = 1; c->path[i] && k < c->n; i++)
		if (c->path[i] == '/')
			c->end[k++] = (unsigned short)i;
	if (k < c->n)
		c->end[k] = (unsigned short)strlen(c->path);
	c->exists = true;
}
