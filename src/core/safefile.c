/* safefile: see safefile.h. */
#include "core/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"

_printf_(3, 4) static int fail(char **ret_err, int r, const char *fmt, ...)
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

/* The directory part of path (caller frees). */
static char *dir_of(const char *path)
{
	char *copy = strdup(path), *d;
	if (!copy)
		return NULL;
	d = strdup(dirname(copy));
	free(copy);
	return d;
}

int safe_dir_shared(const char *path, bool *ret_shared, char **ret_err)
{
	_cleanup_free_ char *dir = dir_of(path);
	struct stat st;
	if (!dir)
		return fail(ret_err, -ENOMEM, "out of memory");
	if (stat(dir, &st) < 0)
		return fail(ret_err, -errno, "%s: %s", dir, strerror(errno));
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return fail(ret_err, -EPERM,
			    "%s is writable by everyone without the sticky bit: any user could replace %s; "
			    "use another directory",
			    dir, path);
	*ret_shared = (st.st_mode & (S_IWOTH | S_IWGRP)) || (st.st_uid != geteuid() && st.st_uid != 0);
	return 0;
}

int safe_open(const char *path, int flags, mode_t mode, char **ret_err)
{
	bool shared = false;
	struct stat st;
	int fd, r;

	r = safe_dir_shared(path, &shared, ret_err);
	if (r < 0)
		return r;
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY | (shared ? O_NOFOLLOW : 0), mode);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP && shared)
			return fail(ret_err, r,
				    "%s is a symbolic link in a directory other users can write: not followed "
				    "(remove it, or use a path in a directory of your own)",
				    path);
		return fail(ret_err, r, "%s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return fail(ret_err, r, "%s: %s", path, strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(ret_err, -EINVAL, "%s is not a regular file", path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return fail(ret_err, -EPERM,
			    "%s belongs to another user (uid %u): not used (a file someone else made could hold "
			    "anything; use a path of your own)",
			    path, (unsigned)st.st_uid);
	}
	return fd;
}
