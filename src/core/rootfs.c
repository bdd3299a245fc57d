/*
 * rootfs: confined path resolution and safe reading (see rootfs.h).
 */
#include "core/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/macro.h"

#define MAX_LINKS 40 /* as the kernel's own path walk */

int rootfs_open_root(const char *root)
{
	int fd = open(root && *root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static const char *skip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

int rootfs_resolve(int rootfd, const char *path, unsigned flags, char *out, size_t out_size, rootfs_step_fn step,
		   void *ud)
{
	/* pending: what is left to resolve (a link's target is put in front of it) */
	char pending[PATH_MAX * 2];
	size_t len = 1, depth = 0; /* out is "/" or "/a/b"; len = strlen(out) */
	unsigned links = 0;
	struct stat st;
	int r;
	if (out_size < 2 || strlen(path) >= sizeof(pending))
		return -ENAMETOOLONG;
	memcpy(pending, path, strlen(path) + 1);
	out[0] = '/';
	out[1] = '\0';
	if (fstatat(rootfd, ".", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (step && (r = step(ud, 0, out, 1, &st)) < 0)
		return r;
	const char *p = pending;
	for (;;) {
		p = skip_slashes(p);
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		const char *e = p + n;
		bool last = !*skip_slashes(e);
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 1 && p[0] == '.') {
			p = e;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (depth > 0) { /* ".." at the root is the root */
				char *s = strrchr(out, '/');
				len = s == out ? 1 : (size_t)(s - out);
				out[len] = '\0';
				depth--;
			}
			p = e;
			continue;
		}
		size_t base = len == 1 ? 0 : len;
		if (base + 1 + n >= out_size)
			return -ENAMETOOLONG;
		out[base] = '/';
		memcpy(out + base + 1, p, n);
		size_t nlen = base + 1 + n;
		out[nlen] = '\0';
		if (fstatat(rootfd, out + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			if (r == -ENOENT && !last)
				out[len] = '\0'; /* the deepest directory found */
			return r == -ENOENT && last ? 0 : r;
		}
		if (S_ISLNK(st.st_mode) && !(last && (flags & ROOTFS_NOFOLLOW_LAST))) {
			if (++links > MAX_LINKS)
				return -ELOOP;
			char target[PATH_MAX], rest[sizeof(pending)];
			ssize_t tl = readlinkat(rootfd, out + 1, target, sizeof(target) - 1);
			if (tl <= 0)
				return tl < 0 ? -errno : -ENOENT;
			size_t after = strlen(e);
			if ((size_t)tl + 1 + after + 1 > sizeof(pending))
				return -ENAMETOOLONG;
			memcpy(rest, e, after + 1);
			memcpy(pending, target, (size_t)tl);
			pending[tl] = '/';
			memcpy(pending + tl + 1, rest, after + 1);
			p = pending;
			if (target[0] == '/') { /* absolute: from the root again */
				len = 1;
				depth = 0;
			}
			out[len] = '\0';
			continue;
		}
		depth++;
		if (step && (r = step(ud, depth, out, nlen, &st)) < 0)
			return r;
		len = nlen;
		if (!last && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		p = e;
	}
	return 1;
}

int rootfs_openat_walk(int rootfd, const char *rel, int flags)
{
	char path[PATH_MAX];
	int r = rootfs_resolve(rootfd, rel, 0, path, sizeof(path), NULL, NULL);
	if (r < 0)
		return r;
	if (r == 0 && !(flags & O_CREAT))
		return -ENOENT;
	int fd = openat(rootfd, path[1] ? path + 1 : ".", flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int rootfs_openat(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? 0600 : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *p = skip_slashes(rel);
	long fd = syscall(SYS_openat2, rootfd, *p ? p : ".", &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS)
		return rootfs_openat_walk(rootfd, rel, flags);
	return -errno;
}

/* After an O_NONBLOCK open: a regular file, made blocking again. */
static int check_regular(int fd)
{
	struct stat st;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int fs_open_regular(int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (flags & O_NOFOLLOW));
	return check_regular(fd < 0 ? -errno : fd);
}

int rootfs_open_regular(int rootfd, const char *rel)
{
	return check_regular(rootfs_openat(rootfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK));
}

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = read_to_end(fd, &buf, &cap, max);
	close(fd);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	if (!buf) {
		buf = strdup("");
		if (!buf)
			return -ENOMEM;
	}
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

int fs_read_regular(int dirfd, const char *path, int flags, size_t max, char **ret, size_t *ret_len)
{
	int fd = fs_open_regular(dirfd, path, flags);
	return fd < 0 ? fd : read_fd(fd, max, ret, ret_len);
}

int rootfs_read_at(int rootfd, const char *rel, size_t max, char **ret, size_t *ret_len)
{
	int fd = rootfs_open_regular(rootfd, rel);
	return fd < 0 ? fd : read_fd(fd, max, ret, ret_len);
}

int rootfs_read_file(const char *root, const char *rel, size_t max, char **ret, size_t *ret_len)
{
	int rootfd = rootfs_open_root(root);
	if (rootfd < 0)
		return rootfd;
	int r = rootfs_read_at(rootfd, rel, max, ret, ret_len);
	close(rootfd);
	return r;
}

int rootfs_opendir(int rootfd, const char *rel, DIR **ret)
{
	int fd = rootfs_openat(rootfd, rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int r = -errno;
		close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

const char *rootfs_strerror(int r)
{
	if (r == -EINVAL)
		return "not a regular file (FIFOs, devices and sockets are refused)";
	return strerror(-r);
}
