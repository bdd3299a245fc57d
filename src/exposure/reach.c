/*
 * reach: snapshots, package queries, stale processes and the verdict
 * ladder (see reach.h). The /proc walk is procs.c, sockets sockets.c,
 * nftables firewall.c.
 *
 * A query streams the package's dpkg file list once and looks each line
 * up in the table of files that processes run or map: one hash lookup
 * per line, no per-package set to build.
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
#include "core/macro.h"
#include "exposure/reach-internal.h"
#include "core/rootfs.h"

#define MAX_RULESET_FILE (64u << 20)

struct reach_snapshot *reach_snapshot_free(struct reach_snapshot *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_procs; i++)
		free(s->procs[i].socks);
	free(s->procs);
	for (size_t i = 0; i < s->n_paths; i++)
		free(s->paths[i].key);
	free(s->paths);
	free(s->path_index);
	free(s->uses);
	for (size_t i = 0; i < s->n_netns; i++)
		reach_sock_table_done(&s->netns[i]);
	free(s->netns);
	json_decref(s->ruleset);
	for (size_t i = 0; i < s->n_info_multi; i++)
		free(s->info_multi[i]);
	free(s->info_multi);
	free(s->buf);
	free(s->proc_root);
	free(s->root);
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s);
	return NULL;
}

static void reach_snapshot_freep(struct reach_snapshot **s)
{
	reach_snapshot_free(*s);
}

uint64_t reach_snapshot_unreadable(const struct reach_snapshot *s)
{
	return s ? s->unreadable : 0;
}

size_t reach_snapshot_processes(const struct reach_snapshot *s)
{
	return s ? s->n_procs : 0;
}

static void set_err(char **ret_err, const char *what, int r)
{
	if (ret_err && asprintf(ret_err, "%s: %s", what, strerror(-r)) < 0)
		*ret_err = NULL;
}

int reach_snapshot_take(const char *proc_root, const char *root, struct reach_snapshot **ret, char **ret_err)
{
	_cleanup_(reach_snapshot_freep) struct reach_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rootfd = -1;
	s->seed = hash_random_seed(s);
	if (!proc_root || !*proc_root)
		proc_root = "/proc";
	if (!root || !*root)
		root = "/";
	s->proc_root = strdup(proc_root);
	if (!s->proc_root)
		return -ENOMEM;
	char real[PATH_MAX];
	if (!realpath(root, real)) {
		int r = -errno;
		set_err(ret_err, root, r);
		return r;
	}
	s->root = strdup(strcmp(real, "/") == 0 ? "" : real);
	if (!s->root)
		return -ENOMEM;
	s->root_len = strlen(s->root);
	s->rootfd = rootfs_open_root(real);
	if (s->rootfd < 0) {
		set_err(ret_err, root, s->rootfd);
		return s->rootfd;
	}

	/* /usr-merge: /lib → usr/lib makes /lib/x and /usr/lib/x one file */
	static const char *const dirs[6] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		char t[PATH_MAX];
		ssize_t n = readlinkat(s->rootfd, dirs[i] + 1, t, sizeof(t) - 1);
		if (n <= 0)
			continue;
		t[n] = '\0';
		const char *want = dirs[i] + 1;
		s->merged[i] = (strncmp(t, "usr/", 4) == 0 && strcmp(t + 4, want) == 0) ||
			       (strncmp(t, "/usr/", 5) == 0 && strcmp(t + 5, want) == 0);
	}

	int r = reach_procs_scan(s);
	if (r < 0) {
		set_err(ret_err, proc_root, r);
		return r;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---- firewall ---- */

int reach_snapshot_set_ruleset(struct reach_snapshot *s, const char *json)
{
	json_t *root = NULL;
	if (json) {
		root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
		if (!root)
			return -EINVAL;
	}
	json_decref(s->ruleset);
	s->ruleset = root;
	s->fw_state = root ? 1 : -1;
	return 0;
}

static void fw_load(struct reach_snapshot *s)
{
	if (s->fw_state != 0)
		return;
	s->fw_state = -1;
	const char *file = getenv("MOAT_NFT_JSON");
	json_t *root = NULL;
	if (file && *file)
		root = json_load_file(file, JSON_REJECT_DUPLICATES, NULL);
	else {
		char *out = NULL;
		if (reach_nft_list_ruleset(&out) < 0)
			return; /* no nft, or not allowed to read the ruleset: unknown */
		root = json_loads(out, 0, NULL);
		free(out);
	}
	if (!root)
		return;
	s->ruleset = root;
	s->fw_state = 1;
}

static int combine(int a, int b)
{
	if (a == 1 || b == 1)
		return 1;
	if (a < 0 || b < 0)
		return -1;
	return 0;
}

static int socket_firewall(struct reach_snapshot *s, const struct rproc *p, const struct reach_socket *k)
{
	if (k->loopback)
		return -1;
	if (p->ns_net && s->self_net && p->ns_net != s->self_net)
		return -1; /* nft shows our namespace's ruleset, not this one's */
	fw_load(s);
	if (s->fw_state != 1)
		return -1;
	if (k->family == 4 || strncmp(k->addr, "::ffff:", 7) == 0)
		return reach_firewall_eval(s->ruleset, k->proto, 4, k->port);
	int v6 = reach_firewall_eval(s->ruleset, k->proto, 6, k->port);
	if (strcmp(k->addr, "::") == 0) /* dual-stack wildcard: IPv4 reaches it too */
		return combine(v6, reach_firewall_eval(s->ruleset, k->proto, 4, k->port));
	return v6;
}

/* ---- stale ---- */

static bool use_stale(struct reach_snapshot *s, const struct ruse *u)
{
	if (u->deleted)
		return true;
	struct rpath *p = &s->paths[u->path];
	const struct reach_proc *pr = &s->procs[u->proc].pub;
	/* Comparing inodes needs the process to see the files we stat: not one in another mount
	 * namespace or a chroot (a container's libc is another file at the same path). */
	if (!p->rooted || !u->has_ino || pr->own_mnt_ns || pr->chrooted)
		return false;
	if (p->disk == 0) {
		struct stat st;
		int fd = rootfs_openat(s->rootfd, p->key, O_PATH);
		p->disk = fd >= 0 && fstat(fd, &st) == 0 ? 1 : -1;
		if (fd >= 0)
			close(fd);
		if (p->disk == 1) {
			p->disk_major = major(st.st_dev);
			p->disk_minor = minor(st.st_dev);
			p->disk_ino = (uint64_t)st.st_ino;
		}
	}
	/* same file system, another inode: replaced under the running process. (Another device
	 * is not evidence: overlayfs shows the lower layer's device in maps.) */
	return p->disk == 1 && p->disk_major == u->major && p->disk_minor == u->minor && p->disk_ino != u->ino;
}

/* ---- dpkg lists ---- */

static bool valid_package(const char *pkg)
{
	size_t n = strlen(pkg);
	const char *colon = strchr(pkg, ':');
	size_t nn = colon ? (size_t)(colon - pkg) : n;
	if (nn == 0 || nn > 128 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = pkg[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
			  c == '-' || (c == '.' && i > 0 && i < nn) || (c == ':' && pkg + i == colon);
		if (!ok)
			return false;
	}
	return !colon || colon[1] != '\0';
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of every *.list in the info directory, sorted, read once. */
static int info_index(struct reach_snapshot *s)
{
	if (s->info_read)
		return 0;
	DIR *d = NULL;
	int dr = rootfs_opendir(s->rootfd, "var/lib/dpkg/info", &d);
	s->info_read = true;
	if (dr < 0)
		return dr == -ENOENT ? 0 : dr;
	size_t cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct sv n = sv_cstr(de->d_name);
		if (!sv_consume_end(&n, ".list") || n.n == 0)
			continue;
		if (array_reserve(&s->info_multi, &cap, s->n_info_multi + 1, sizeof(*s->info_multi), 1024) < 0) {
			r = -ENOMEM;
			break;
		}
		char *name = sv_dup(n);
		if (!name) {
			r = -ENOMEM;
			break;
		}
		s->info_multi[s->n_info_multi++] = name;
	}
	closedir(d);
	if (s->n_info_multi)
		qsort(s->info_multi, s->n_info_multi, sizeof(char *), str_cmp);
	return r;
}

struct hits {
	size_t *v;
	size_t n, cap;
};

/* Streams one list file: marks the processes using its files (gen) and their first stale file.
 * only_stale: count a process only through a stale use. Returns 1 read, 0 no such list, <0. */
static int scan_list(struct reach_snapshot *s, const char *name, bool only_stale, struct hits *h)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "var/lib/dpkg/info/%s.list", name);
	int fd = rootfs_open_regular(s->rootfd, path);
	if (fd < 0)
		return fd == -ENOENT || fd == -EINVAL || fd == -EISDIR ? 0 : fd; /* a FIFO is no file list */
	FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	char *line = NULL;
	size_t lcap = 0;
	ssize_t n;
	int r = 1;
	char key[PATH_MAX];
	while ((n = getline(&line, &lcap, f)) > 0) {
		struct sv l = sv_make(line, (size_t)n);
		(void)sv_consume_end(&l, "\n");
		if (l.n == 0 || l.p[0] != '/')
			continue;
		size_t kn = reach_path_key(s, l, key, sizeof(key));
		size_t pi = kn ? reach_path_find(s, sv_make(key, kn)) : SIZE_MAX;
		if (pi == SIZE_MAX)
			continue;
		for (size_t ui = s->paths[pi].first_use; ui != SIZE_MAX; ui = s->uses[ui].next) {
			const struct ruse *u = &s->uses[ui];
			if (!u->exec)
				continue; /* data files (locale archives, fonts) are not the package running */
			bool stale = use_stale(s, u);
			if (only_stale && !stale)
				continue;
			struct rproc *p = &s->procs[u->proc];
			if (p->gen != s->gen) {
				p->gen = s->gen;
				p->stale_path = SIZE_MAX;
				if (array_reserve(&h->v, &h->cap, h->n + 1, sizeof(*h->v), 16) < 0) {
					r = -ENOMEM;
					goto out;
				}
				h->v[h->n++] = u->proc;
			}
			if (stale && p->stale_path == SIZE_MAX)
				p->stale_path = pi;
		}
	}
out:
	free(line);
	fclose(f);
	return r;
}

static int pid_cmp(const void *a, const void *b, void *ud)
{
	const struct reach_snapshot *s = ud;
	pid_t x = s->procs[*(const size_t *)a].pub.pid, y = s->procs[*(const size_t *)b].pub.pid;
	return x < y ? -1 : x > y;
}

/* The public view of one process for the current query; sockets are a fresh copy. */
static int fill_proc(struct reach_snapshot *s, size_t pi, struct reach_proc *out)
{
	struct rproc *p = &s->procs[pi];
	*out = p->pub;
	out->sockets = NULL;
	out->n_sockets = 0;
	out->stale = p->stale_path != SIZE_MAX;
	out->stale_file[0] = '\0';
	if (out->stale)
		snprintf(out->stale_file, sizeof(out->stale_file), "%s", s->paths[p->stale_path].key);
	if (p->n_socks) {
		out->sockets = calloc(p->n_socks, sizeof(*out->sockets));
		if (!out->sockets)
			return -ENOMEM;
		for (size_t i = 0; i < p->n_socks; i++) {
			out->sockets[i] = p->socks[i];
			out->sockets[i].firewall = socket_firewall(s, p, &p->socks[i]);
		}
		out->n_sockets = p->n_socks;
	}
	return 0;
}

static bool proc_privileged(const struct reach_proc *p)
{
	return p->unknown_status || p->uid == 0 || p->euid == 0 || p->cap_eff != 0;
}

static bool proc_sandboxed(const struct reach_proc *p)
{
	return (p->own_mnt_ns && p->own_pid_ns) || p->own_net_ns || p->seccomp == 1 ||
	       (p->seccomp == 2 && p->no_new_privs) || p->chrooted;
}

static void set_verdict(struct reach_info *r)
{
	bool priv_open = false;
	r->running = r->n_procs > 0;
	r->sandboxed = r->running;
	for (size_t i = 0; i < r->n_procs; i++) {
		const struct reach_proc *p = &r->procs[i];
		bool sb = proc_sandboxed(p), pv = proc_privileged(p);
		r->privileged |= pv;
		r->sandboxed &= sb;
		priv_open |= pv && !sb;
		for (size_t k = 0; k < p->n_sockets; k++) {
			r->listening = true;
			if (!p->sockets[k].loopback && p->sockets[k].firewall != 0)
				r->remote = true;
		}
	}
	if (!r->running) {
		snprintf(r->verdict, sizeof(r->verdict), "not running");
		return;
	}
	snprintf(r->verdict, sizeof(r->verdict), "%s, %s", r->remote ? "exposed-remote" : "local-only",
		 r->sandboxed ? "sandboxed" : priv_open ? "privileged" : "unprivileged");
}

void reach_info_done(struct reach_info *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_procs; i++)
		free(r->procs[i].sockets);
	free(r->procs);
	*r = (struct reach_info){ 0 };
}

static int build_info(struct reach_snapshot *s, struct hits *h, struct reach_info *ret)
{
	struct reach_info info = { 0 };
	if (h->n) {
		qsort_r(h->v, h->n, sizeof(size_t), pid_cmp, s);
		info.procs = calloc(h->n, sizeof(*info.procs));
		if (!info.procs)
			return -ENOMEM;
		for (size_t i = 0; i < h->n; i++) {
			int r = fill_proc(s, h->v[i], &info.procs[info.n_procs]);
			if (r < 0) {
				reach_info_done(&info);
				return r;
			}
			info.n_procs++;
		}
	}
	set_verdict(&info);
	*ret = info;
	return 0;
}

int reach_for_package(struct reach_snapshot *s, const char *package, struct reach_info *ret)
{
	if (!s || !package || !valid_package(package))
		return -EINVAL;
	s->gen++;
	struct hits h = { 0 };
	int r;
	const char *colon = strchr(package, ':');
	if (colon) {
		/* Multi-Arch: same packages have NAME:ARCH.list, the others NAME.list */
		r = scan_list(s, package, false, &h);
		if (r == 0) {
			char name[256];
			snprintf(name, sizeof(name), "%.*s", (int)(colon - package), package);
			r = scan_list(s, name, false, &h);
		}
	} else {
		r = scan_list(s, package, false, &h);
		if (r == 0 && (r = info_index(s)) == 0) {
			size_t n = strlen(package);
			for (size_t i = 0; i < s->n_info_multi && r >= 0; i++) {
				const char *f = s->info_multi[i];
				if (strncmp(f, package, n) == 0 && f[n] == ':')
					r = scan_list(s, f, false, &h);
			}
		}
	}
	if (r >= 0)
		r = build_info(s, &h, ret);
	free(h.v);
	return r < 0 ? r : 0;
}

int reach_foreach_stale(struct reach_snapshot *s,
			void (*fn)(void *ud, const char *package, const struct reach_proc *p), void *ud)
{
	if (!s || !fn)
		return -EINVAL;
	bool any = false;
	for (size_t i = 0; i < s->n_uses && !any; i++)
		any = s->uses[i].exec && use_stale(s, &s->uses[i]);
	if (!any)
		return 0; /* nothing runs replaced code: no list to read */
	int r = info_index(s);
	if (r < 0)
		return r;
	struct hits h = { 0 };
	for (size_t i = 0; i < s->n_info_multi && r >= 0; i++) {
		s->gen++;
		h.n = 0;
		r = scan_list(s, s->info_multi[i], true, &h);
		if (r <= 0 || h.n == 0)
			continue;
		char pkg[256];
		snprintf(pkg, sizeof(pkg), "%s", s->info_multi[i]);
		char *c = strchr(pkg, ':');
		if (c)
			*c = '\0';
		qsort_r(h.v, h.n, sizeof(size_t), pid_cmp, s);
		for (size_t k = 0; k < h.n; k++) {
			struct reach_proc p;
			r = fill_proc(s, h.v[k], &p);
			if (r < 0)
				break;
			fn(ud, pkg, &p);
			free(p.sockets);
		}
	}
	free(h.v);
	return r < 0 ? r : 0;
}

int reach_nft_ruleset_text(char **ret)
{
	const char *file = getenv("MOAT_NFT_JSON");
	if (file && *file) {
		char *buf = NULL;
		size_t len;
		int r = fs_read_regular(AT_FDCWD, file, 0, MAX_RULESET_FILE, &buf, &len);
		if (r < 0)
			return r;
		*ret = buf;
		return 0;
	}
	return reach_nft_list_ruleset(ret);
}
