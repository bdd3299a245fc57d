/*
 * paths: the state directory and safe opening (see paths.h).
 */
#include "exceptions/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"

static int set_err(char **ret_err, int r, const char *fmt, const char *a)
{
	if (ret_err && !*ret_err) {
		char *s = NULL;
		if (asprintf(&s, fmt, a, strerror(-r)) >= 0)
			*ret_err = s;
	}
	return r;
}

char *state_dir(void)
{
	const char *e = getenv("MOAT_STATE_DIR");
	char *p = NULL;
	if (e && *e)
		return strdup(e);
	if (geteuid() == 0)
		return strdup("/var/lib/moat");
	e = getenv("XDG_STATE_HOME");
	if (e && *e && e[0] == '/')
		return asprintf(&p, "%s/moat", e) < 0 ? NULL : p;
	e = getenv("HOME");
	if (!e || !*e)
		e = "/";
	return asprintf(&p, "%s/.local/state/moat", e) < 0 ? NULL : p;
}

char *state_path(const char *name)
{
	_cleanup_free_ char *d = state_dir();
	char *p = NULL;
	if (!d || asprintf(&p, "%s/%s", d, name) < 0)
		return NULL;
	return p;
}

int state_mkdirs(const char *dir)
{
	char buf[PATH_MAX];
	size_t l = strlen(dir);
	if (l == 0 || l >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, l + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int trail_open(const char *path, int flags, mode_t mode, bool private_file, char **ret_err)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, mode);
	struct stat st;
	if (fd < 0) {
		if (errno == ELOOP)
			return set_err(ret_err, -ELOOP, "%s: a symbolic link; refused (%s)", path);
		return set_err(ret_err, -errno, "%s: %s", path);
	}
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return set_err(ret_err, r, "%s: %s", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (ret_err && !*ret_err && asprintf(ret_err, "%s: not a regular file; refused", path) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		if (ret_err && !*ret_err &&
		    asprintf(ret_err, "%s: owned by uid %u, not by you (uid %u); refused", path, (unsigned)st.st_uid,
			     (unsigned)geteuid()) < 0)
			*ret_err = NULL;
		return -EPERM;
	}
	if (st.st_mode & 022) {
		close(fd);
		if (ret_err && !*ret_err &&
		    asprintf(ret_err, "%s: mode %04o lets others write it; refused (chmod go-w it)", path,
			     (unsigned)(st.st_mode & 07777)) < 0)
			*ret_err = NULL;
		return -EACCES;
	}
	if (private_file && (st.st_mode & 077)) {
		close(fd);
		if (ret_err && !*ret_err &&
		    asprintf(ret_err, "%s: mode %04o lets others read or write it; refused (chmod 600 it)", path,
			     (unsigned)(st.st_mode & 07777)) < 0)
			*ret_err = NULL;
		return -EACCES;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int trail_write_file(const char *path, const void *data, size_t n, mode_t mode, char **ret_err)
{
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return -ENOMEM;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return set_err(ret_err, -errno, "%s: %s", tmp);
	int r = 0;
	size_t done = 0;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (r == 0 && done < n) {
		ssize_t k = write(fd, (const char *)data + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		else
			done += (size_t)k;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return set_err(ret_err, r, "%s: %s", path);
	}
	return 0;
}
