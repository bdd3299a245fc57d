/*
 * procs: one pass over PROC/[0-9]* — executable, comm, status, maps,
 * namespaces, root, and the sockets behind its file descriptors.
 *
 * Every file a process runs or maps is interned once (struct rpath) with a
 * chain of uses (struct ruse): asking which processes use a package is then
 * one hash lookup per line of the package's file list.
 *
 * Everything under /proc is racy: a process may exit between two reads. A
 * file that vanished is treated like an empty one; nothing here is fatal
 * except running out of memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/array.h"
#include "core/hash.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "exposure/reach-internal.h"

/* Paths come from the host (a local user chooses what it maps): the table is seeded per snapshot. */
static uint64_t hash_sv(const struct reach_snapshot *s, struct sv v)
{
	return hash_bytes(v.p, v.n, s->seed);
}

ssize_t reach_read_at(struct reach_snapshot *s, int dirfd, const char *name, size_t max)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_to_end(fd, &s->buf, &s->buf_cap, max);
	close(fd);
	return n;
}

/* ---- paths ---- */

static const char *const merged_dirs[6] = { "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/" };

size_t reach_path_key(const struct reach_snapshot *s, struct sv path, char *buf, size_t size)
{
	struct sv pre = SV_NULL;
	for (size_t i = 0; i < ELEMENTSOF(merged_dirs); i++)
		if (s->merged[i] && sv_starts(path, merged_dirs[i])) {
			pre = SV_LIT("/usr");
			break;
		}
	if (pre.n + path.n + 1 > size)
		return 0;
	memcpy(buf, pre.p ? pre.p : "", pre.n);
	memcpy(buf + pre.n, path.p, path.n);
	buf[pre.n + path.n] = '\0';
	return pre.n + path.n;
}

size_t reach_path_find(const struct reach_snapshot *s, struct sv key)
{
	if (!s->cap_index)
		return SIZE_MAX;
	uint64_t h = hash_sv(s, key);
	for (size_t j = h & (s->cap_index - 1);; j = (j + 1) & (s->cap_index - 1)) {
		size_t i = s->path_index[j];
		if (i == SIZE_MAX)
			return SIZE_MAX;
		if (s->paths[i].hash == h && sv_eq(key, s->paths[i].key))
			return i;
	}
}

static int index_grow(struct reach_snapshot *s)
{
	size_t cap = s->cap_index ? s->cap_index * 2 : 4096;
	size_t *ix = malloc(cap * sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	for (size_t j = 0; j < cap; j++)
		ix[j] = SIZE_MAX;
	for (size_t i = 0; i < s->n_paths; i++) {
		size_t j = s->paths[i].hash & (cap - 1);
		while (ix[j] != SIZE_MAX)
			j = (j + 1) & (cap - 1);
		ix[j] = i;
	}
	free(s->path_index);
	s->path_index = ix;
	s->cap_index = cap;
	return 0;
}

int reach_path_intern(struct reach_snapshot *s, struct sv raw, size_t *ret)
{
	bool rooted = s->root_len == 0;
	if (s->root_len && raw.n > s->root_len && memcmp(raw.p, s->root, s->root_len) == 0 &&
	    raw.p[s->root_len] == '/') {
		raw = sv_skip(raw, s->root_len);
		rooted = true;
	}
	char key[PATH_MAX + 8];
	size_t n = reach_path_key(s, raw, key, sizeof(key));
	if (n == 0)
		return -ENAMETOOLONG;
	struct sv k = sv_make(key, n);
	size_t i = reach_path_find(s, k);
	if (i != SIZE_MAX) {
		*ret = i;
		return 0;
	}
	if ((s->n_paths + 1) * 2 > s->cap_index && index_grow(s) < 0)
		return -ENOMEM;
	if (array_reserve(&s->paths, &s->cap_paths, s->n_paths + 1, sizeof(*s->paths), 1024) < 0)
		return -ENOMEM;
	char *dup = sv_dup(k);
	if (!dup)
		return -ENOMEM;
	i = s->n_paths++;
	s->paths[i] = (struct rpath){ .key = dup, .hash = hash_sv(s, k), .rooted = rooted, .first_use = SIZE_MAX };
	size_t j = s->paths[i].hash & (s->cap_index - 1);
	while (s->path_index[j] != SIZE_MAX)
		j = (j + 1) & (s->cap_index - 1);
	s->path_index[j] = i;
	*ret = i;
	return 0;
}

/* Records that process pi uses path (raw, as /proc shows it); one use per (process, file). */
static int add_use(struct reach_snapshot *s, size_t pi, struct sv raw, bool deleted, bool exec, bool has_ino,
		   unsigned major, unsigned minor, uint64_t ino, size_t *count)
{
	size_t path;
	int r = reach_path_intern(s, raw, &path);
	if (r == -ENAMETOOLONG) {
		s->dropped++;
		return 0;
	}
	if (r < 0)
		return r;
	struct rpath *p = &s->paths[path];
	if (p->first_use != SIZE_MAX && s->uses[p->first_use].proc == pi) {
		/* same process again (several segments of one library) */
		struct ruse *u = &s->uses[p->first_use];
		u->deleted |= deleted;
		u->exec |= exec;
		if (!u->has_ino && has_ino) {
			u->has_ino = true;
			u->major = major;
			u->minor = minor;
			u->ino = ino;
		}
		return 0;
	}
	if (*count >= REACH_MAX_FILES_PER_PROC || s->n_uses >= REACH_MAX_USES) {
		s->dropped++;
		return 0;
	}
	if (array_reserve(&s->uses, &s->cap_uses, s->n_uses + 1, sizeof(*s->uses), 4096) < 0)
		return -ENOMEM;
	size_t ui = s->n_uses++;
	s->uses[ui] = (struct ruse){ .proc = pi, .path = path, .next = p->first_use, .major = major,
				     .minor = minor, .ino = ino, .has_ino = has_ino, .deleted = deleted,
				     .exec = exec };
	p->first_use = ui;
	(*count)++;
	return 0;
}

/* ---- small parsers ---- */

uint64_t reach_parse_ns_link(struct sv link)
{
	long a = sv_chr(link, '[');
	if (a < 0 || !sv_consume_end(&link, "]"))
		return 0;
	unsigned long long v;
	if (sv_to_u64(sv_skip(link, (size_t)a + 1), UINT64_MAX, &v) < 0)
		return 0;
	return v;
}

static struct sv next_field(struct sv *v)
{
	while (v->n && (v->p[0] == ' ' || v->p[0] == '\t'))
		*v = sv_skip(*v, 1);
	size_t i = 0;
	while (i < v->n && v->p[i] != ' ' && v->p[i] != '\t')
		i++;
	struct sv f = sv_make(v->p, i);
	*v = sv_skip(*v, i);
	return f;
}

static struct sv next_line(struct sv *text)
{
	long nl = sv_chr(*text, '\n');
	size_t n = nl >= 0 ? (size_t)nl : text->n;
	struct sv line = sv_make(text->p, n);
	*text = sv_skip(*text, n + (nl >= 0));
	return line;
}

int reach_parse_status(struct sv text, struct reach_proc *p)
{
	bool have_uid = false;
	while (text.n) {
		struct sv line = next_line(&text);
		struct sv f;
		unsigned long long v;
		uint64_t x;
		if (sv_consume(&line, "Uid:")) {
			struct sv ruid = next_field(&line), euid = next_field(&line);
			unsigned long long r, e;
			if (sv_to_u64(ruid, UINT32_MAX, &r) == 0 && sv_to_u64(euid, UINT32_MAX, &e) == 0) {
				p->uid = (uid_t)r;
				p->euid = (uid_t)e;
				have_uid = true;
			}
		} else if (sv_consume(&line, "CapEff:")) {
			f = next_field(&line);
			if (sv_hex_u64(f, &x))
				p->cap_eff = x;
		} else if (sv_consume(&line, "NoNewPrivs:")) {
			f = next_field(&line);
			if (sv_to_u64(f, 1, &v) == 0)
				p->no_new_privs = v == 1;
		} else if (sv_consume(&line, "Seccomp:")) {
			f = next_field(&line);
			if (sv_to_u64(f, 2, &v) == 0)
				p->seccomp = (int)v;
		}
	}
	return have_uid;
}

/* "start-end perms offset maj:min inode   path" */
static int parse_maps(struct reach_snapshot *s, size_t pi, struct sv text, size_t *count)
{
	while (text.n) {
		struct sv line = next_line(&text);
		struct sv range = next_field(&line), perms = next_field(&line), off = next_field(&line);
		struct sv dev = next_field(&line), inode = next_field(&line);
		(void)range;
		(void)off;
		while (line.n && (line.p[0] == ' ' || line.p[0] == '\t'))
			line = sv_skip(line, 1);
		if (line.n == 0 || line.p[0] != '/' || perms.n < 3)
			continue;
		unsigned long long ino;
		long colon = sv_chr(dev, ':');
		uint64_t maj, min;
		if (sv_to_u64(inode, UINT64_MAX, &ino) < 0 || ino == 0 || colon < 0 ||
		    !sv_hex_u64(sv_make(dev.p, (size_t)colon), &maj) || !sv_hex_u64(sv_skip(dev, (size_t)colon + 1), &min))
			continue;
		bool deleted = sv_consume_end(&line, " (deleted)");
		int r = add_use(s, pi, line, deleted, perms.p[2] == 'x', true, (unsigned)maj, (unsigned)min, ino,
				count);
		if (r < 0)
			return r;
	}
	return 0;
}

static uint64_t ns_at(int dirfd, const char *name)
{
	char buf[64];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	return reach_parse_ns_link(sv_make(buf, (size_t)n));
}

static struct sock_table *netns_table(struct reach_snapshot *s, uint64_t ns, int dirfd)
{
	for (size_t i = 0; i < s->n_netns; i++)
		if (s->netns[i].ns == ns)
			return &s->netns[i];
	if (s->n_netns >= REACH_MAX_NETNS)
		return NULL;
	struct sock_table *v = realloc(s->netns, (s->n_netns + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->netns = v;
	struct sock_table *t = &s->netns[s->n_netns];
	*t = (struct sock_table){ .ns = ns };
	if (reach_sock_table_read(s, dirfd, t) < 0) {
		reach_sock_table_done(t);
		return NULL;
	}
	s->n_netns++;
	return t;
}

static int add_socket(struct rproc *p, const struct sock_entry *e, struct reach_snapshot *s)
{
	for (size_t i = 0; i < p->n_socks; i++)
		if (p->socks[i].proto == e->s.proto && p->socks[i].port == e->s.port &&
		    p->socks[i].family == e->s.family && strcmp(p->socks[i].addr, e->s.addr) == 0)
			return 0;
	if (p->n_socks >= REACH_MAX_SOCKETS_PER_PROC) {
		s->dropped++;
		return 0;
	}
	struct reach_socket *v = realloc(p->socks, (p->n_socks + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->socks = v;
	p->socks[p->n_socks++] = e->s;
	return 0;
}

static int scan_fds(struct reach_snapshot *s, struct rproc *p, int dirfd)
{
	int fd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	struct sock_table *t = NULL, tmp = { 0 };
	bool tried = false;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char link[64];
		ssize_t n = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		struct sv l = sv_make(link, (size_t)n);
		if (!sv_starts(l, "socket:["))
			continue;
		uint64_t inode = reach_parse_ns_link(l);
		if (!inode)
			continue;
		if (!tried) {
			tried = true;
			if (p->ns_net)
				t = netns_table(s, p->ns_net, dirfd);
			else if (reach_sock_table_read(s, dirfd, &tmp) == 0)
				t = &tmp; /* namespace unknown: this process's view, not shared */
		}
		if (!t)
			break;
		const struct sock_entry *e = reach_sock_table_find(t, inode);
		if (e && (r = add_socket(p, e, s)) < 0)
			break;
	}
	closedir(d);
	reach_sock_table_done(&tmp);
	return r;
}

static void copy_text(char *dst, size_t size, struct sv v)
{
	size_t n = MIN(v.n, size - 1);
	memcpy(dst, v.p, n);
	dst[n] = '\0';
}

static int scan_one(struct reach_snapshot *s, int procfd, const char *pid_name, pid_t pid)
{
	int dirfd = openat(procfd, pid_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0; /* gone */
	if (s->n_procs == s->cap_procs) {
		size_t cap = s->cap_procs ? s->cap_procs * 2 : 256;
		if (cap > REACH_MAX_PROCS) {
			close(dirfd);
			return 0;
		}
		struct rproc *v = realloc(s->procs, cap * sizeof(*v));
		if (!v) {
			close(dirfd);
			return -ENOMEM;
		}
		s->procs = v;
		s->cap_procs = cap;
	}
	size_t pi = s->n_procs;
	struct rproc *p = &s->procs[pi];
	*p = (struct rproc){ .stale_path = SIZE_MAX };
	p->pub.pid = pid;
	p->pub.uid = p->pub.euid = (uid_t)-1;
	bool denied = false;
	size_t files = 0;
	int r = 0;

	char exe[PATH_MAX];
	ssize_t n = readlinkat(dirfd, "exe", exe, sizeof(exe) - 1);
	if (n < 0 && (errno == EACCES || errno == EPERM))
		denied = true;
	if (n > 0) {
		struct sv e = sv_make(exe, (size_t)n);
		copy_text(p->pub.exe, sizeof(p->pub.exe), e);
		bool deleted = sv_consume_end(&e, " (deleted)");
		struct stat st;
		bool has = e.n && e.p[0] == '/' && fstatat(dirfd, "exe", &st, 0) == 0;
		if (e.n && e.p[0] == '/' &&
		    (r = add_use(s, pi, e, deleted, true, has, has ? major(st.st_dev) : 0, has ? minor(st.st_dev) : 0,
				 has ? (uint64_t)st.st_ino : 0, &files)) < 0)
			goto out;
	}

	ssize_t k = reach_read_at(s, dirfd, "maps", 256u << 20);
	if (k == -EACCES || k == -EPERM)
		denied = true;
	else if (k > 0 && (r = parse_maps(s, pi, sv_make(s->buf, (size_t)k), &files)) < 0)
		goto out;

	if (files == 0) {
		/* kernel thread, zombie, or nothing we may read: not attributable to a package */
		if (denied)
			s->unreadable++;
		goto out;
	}

	k = reach_read_at(s, dirfd, "comm", 4096);
	if (k > 0) {
		struct sv c = sv_make(s->buf, (size_t)k);
		(void)sv_consume_end(&c, "\n");
		copy_text(p->pub.comm, sizeof(p->pub.comm), c);
	}
	k = reach_read_at(s, dirfd, "status", 1u << 20);
	p->pub.unknown_status = k <= 0 || reach_parse_status(sv_make(s->buf, (size_t)k), &p->pub) != 1;

	p->ns_net = ns_at(dirfd, "ns/net");
	p->ns_mnt = ns_at(dirfd, "ns/mnt");
	p->ns_pid = ns_at(dirfd, "ns/pid");
	p->pub.own_net_ns = p->ns_net && s->ref_net && p->ns_net != s->ref_net;
	p->pub.own_mnt_ns = p->ns_mnt && s->ref_mnt && p->ns_mnt != s->ref_mnt;
	p->pub.own_pid_ns = p->ns_pid && s->ref_pid && p->ns_pid != s->ref_pid;
	char root[PATH_MAX];
	n = readlinkat(dirfd, "root", root, sizeof(root) - 1);
	p->pub.chrooted = n > 0 && !(n == 1 && root[0] == '/');

	r = scan_fds(s, p, dirfd);
	if (r == -EACCES) {
		denied = true;
		r = 0;
	}
	if (denied)
		s->unreadable++;
	if (r == 0)
		s->n_procs++;
out:
	if (s->n_procs == pi) {
		/* not kept: forget its uses (they are the newest ones) */
		while (s->n_uses && s->uses[s->n_uses - 1].proc == pi) {
			struct ruse *u = &s->uses[--s->n_uses];
			s->paths[u->path].first_use = u->next;
		}
		free(p->socks);
	}
	close(dirfd);
	return r;
}

int reach_procs_scan(struct reach_snapshot *s)
{
	int procfd = open(s->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	/* reference namespaces: pid 1's, or ours when pid 1's cannot be read (containers, hidepid) */
	static const char *const refs[] = { "1", "self" };
	for (size_t i = 0; i < ELEMENTSOF(refs) && !s->ref_net; i++) {
		int fd = openat(procfd, refs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		s->ref_net = ns_at(fd, "ns/net");
		s->ref_mnt = ns_at(fd, "ns/mnt");
		s->ref_pid = ns_at(fd, "ns/pid");
		close(fd);
	}
	int sfd = openat(procfd, "self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd >= 0) {
		s->self_net = ns_at(sfd, "ns/net");
		close(sfd);
	}

	DIR *d = fdopendir(procfd);
	if (!d) {
		int r = -errno;
		close(procfd);
		return r;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned long long pid;
		if (sv_to_u64(sv_cstr(de->d_name), INT32_MAX, &pid) < 0 || pid == 0)
			continue;
		r = scan_one(s, dirfd(d), de->d_name, (pid_t)pid);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}
