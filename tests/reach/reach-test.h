/*
 * Scratch roots for the reach tests (header-only, static): a tree under
 * $TMPDIR with its own passwd, group, sudoers … and files given an owner
 * and a mode. Setting another owner needs root (CAP_CHOWN): a test whose
 * tree needs one calls rt_need_chown() first and is skipped, saying why,
 * when the tests run unprivileged (CI and this project's machines run
 * them as root, so every case runs there).
 */
#pragma once
#include "../test-tmp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct rt {
	char *dir;
};

/* mkdir -p of ROOT/path's parent directories (mode 0755, owned by whoever runs the test) */
static inline void rt_parents(const struct rt *t, const char *path)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), "%s%s", t->dir, path);
	for (char *p = buf + strlen(t->dir) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(buf, 0755);
			*p = '/';
		}
}

/* ROOT/path as a host path (static buffer per call site: copy it) */
static inline const char *rt_host(const struct rt *t, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", t->dir, path);
	return buf;
}

/* Writes a file with content, mode and owner. Returns 0 or -errno. */
static inline int rt_file(const struct rt *t, const char *path, unsigned mode, uid_t uid, gid_t gid, const char *content)
{
	char p[8192];
	rt_parents(t, path);
	rt_host(t, path, p, sizeof(p));
	FILE *f = fopen(p, "wb");
	if (!f)
		return -errno;
	fputs(content, f);
	if (fclose(f) != 0)
		return -errno;
	if (lchown(p, uid, gid) < 0)
		return -errno;
	return chmod(p, mode) < 0 ? -errno : 0;
}

static inline int rt_dir(const struct rt *t, const char *path, unsigned mode, uid_t uid, gid_t gid)
{
	char p[8192];
	rt_parents(t, path);
	rt_host(t, path, p, sizeof(p));
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	if (lchown(p, uid, gid) < 0)
		return -errno;
	return chmod(p, mode) < 0 ? -errno : 0;
}

static inline int rt_link(const struct rt *t, const char *path, const char *target)
{
	char p[8192];
	rt_parents(t, path);
	rt_host(t, path, p, sizeof(p));
	return symlink(target, p) < 0 ? -errno : 0;
}

/* True when files can be given any owner here (root); else false. */
static inline bool rt_can_chown(void)
{
	return geteuid() == 0;
}

static inline struct rt rt_new(const char *tag)
{
	struct rt t = { test_tmpdir(tag) };
	if (t.dir)
		(void)chmod(t.dir, 0755); /* the scratch root's own / as an image's would be */
	return t;
}

static inline void rt_free(struct rt *t)
{
	test_rmtree(t->dir);
	free(t->dir);
	t->dir = NULL;
}
