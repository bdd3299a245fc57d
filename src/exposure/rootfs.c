/*
 * rootfs: confined path resolution and safe reading (see rootfs.h).
 */
#include "exposure/rootfs.h"

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

/* Drops the last component of a resolved path (kept without a leading or trailing slash). */
static void pop_component(char *resolved)
{
	char *s = strrchr(resolved, '/');
	if (s)
		*s = '\0';
	else
		resolved[0] = '\0';
}

int rootfs_openat_walk(int rootfd, const char *rel, int flags)
{
	/* pending: what is left to resolve; resolved: a symlink-free path below the root */
	char pending[PATH_MAX * 2], resolved[PATH_MAX], comp[NAME_MAX + 1];
	unsigned links = 0;
	if (strlen(rel) >= sizeof(pending))
		return -ENAMETOOLONG;
	snprintf(pending, sizeof(pending), "%s", skip_slashes(rel));
	resolved[0] = '\0';
	for (;;) {
		const char *p = skip_slashes(pending);
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, n);
		comp[n] = '\0';
		memmove(pending, p + n, strlen(p + n) + 1);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			pop_component(resolved); /* ".." at the root is the root */
			continue;
		}
		size_t rl = strlen(resolved);
		if (rl + 1 + n + 1 > sizeof(resolved))
			return -ENAMETOOLONG;
		char cand[PATH_MAX + NAME_MAX + 2];
		snprintf(cand, sizeof(cand), "%s%s%s", resolved, rl ? "/" : "", comp);
		struct stat st;
		if (fstatat(rootfd, cand, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT && (flags & O_CREAT) && !*skip_slashes(pending)) {
				memcpy(resolved, cand, strlen(cand) + 1);
				break;
			}
			return -errno;
		}
		if (!S_ISLNK(st.st_mode)) {
			memcpy(resolved, cand, strlen(cand) + 1); /* fits: checked above */
			continue;
		}
		if (++links > MAX_LINKS)
			return -ELOOP;
		char target[PATH_MAX];
		ssize_t tl = readlinkat(rootfd, cand, target, sizeof(target) - 1);
		if (tl < 0)
			return -errno;
		target[tl] = '\0';
		if (target[0] == '/')
			resolved[0] = '\0'; /* absolute: from the root again */
		size_t pl = strlen(pending);
		if ((size_t)tl + 1 + pl + 1 > sizeof(pending))
			return -ENAMETOOLONG;
		memmove(pending + tl + 1, pending, pl + 1);
		memcpy(pending, target, (size_t)tl);
		pending[tl] = '/';
	}
	int fd = openat(rootfd, resolved[0] ? resolved : ".", flags | O_NOFOLLOW | O_CLOEXEC, 0600);
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

int rootfs_read_file(const char *root, const char *rel, size_t max, char **ret, size_t *ret_len)
{
	int rootfd = rootfs_open_root(root);
	if (rootfd < 0)
		return rootfd;
	int fd = rootfs_open_regular(rootfd, rel);
	close(rootfd);
	return fd < 0 ? fd : read_fd(fd, max, ret, ret_len);
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
