/*
 * Small helpers shared by the exposure tests (header-only, static): reading
 * files, writing fixture trees under a temporary root, running a fixed shell
 * script with arguments (data goes through files and "$1", never into the
 * script text).
 */
#pragma once
#include "../test-tmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *t_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* Reads a whole file into a NUL-terminated heap buffer; NULL when unreadable. */
static inline char *t_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			char *nb = realloc(buf, cap ? cap * 2 : 131072);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 131072;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (ret_len)
		*ret_len = n;
	return buf;
}

static inline int t_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	fputs(content, f);
	return fclose(f) == 0 ? 0 : -errno;
}

/* mkdir -p */
static inline int t_mkdirs(const char *path)
{
	char buf[8192];
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, strlen(path) + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(buf, 0755);
			*p = '/';
		}
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

/* A fresh temporary directory (caller frees the string). */
static inline char *t_tmpdir(void)
{
	return test_tmpdir("exposure");
}

/* Runs /bin/sh -c script with positional arguments ($1 ...), stdout to
 * out_path when not NULL. Returns the exit status, or -1. */
static inline int t_run_sh(const char *script, const char *out_path, const char *const *args)
{
	const char *argv[24];
	size_t n = 0;
	pid_t pid;
	int st;
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n++] = "sh";
	for (size_t i = 0; args && args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(127);
			close(fd);
		}
		execv("/bin/sh", (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Removes a directory that t_tmpdir made. */
static inline void t_rm_rf(const char *dir)
{
	test_rmtree(dir);
}

#ifdef MOAT_TEST_FEED_SINK
#include "exposure/feed.h"

/* A feed sink that writes what it is handed as lines of text:
 *	meta ID kind published aliases=[...] severity=...
 *	entry ID kind package release events=[...] fixed=... status=... urgency=... nodsa=... reason=...
 *	bad ID: why */
struct t_log {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void t_log_open(struct t_log *l)
{
	l->buf = NULL;
	l->len = 0;
	l->f = open_memstream(&l->buf, &l->len);
}

static inline char *t_log_close(struct t_log *l)
{
	fclose(l->f);
	return l->buf;
}

static inline int t_meta(void *ud, const struct adv_meta *m)
{
	struct t_log *l = ud;
	fprintf(l->f, "meta %s %s %lld aliases=[%s] severity=%s\n", m->advisory, m->kind, (long long)m->published_s,
		m->aliases ? m->aliases : "", m->severity ? m->severity : "-");
	return 0;
}

static inline int t_entry(void *ud, const struct adv_entry *e)
{
	struct t_log *l = ud;
	fprintf(l->f, "entry %s %s %s %s events=[%s] fixed=%s status=%s urgency=%s nodsa=%s reason=%s\n", e->advisory,
		e->kind, e->package, e->release, e->events ? e->events : "", e->fixed ? e->fixed : "-", e->status,
		e->urgency ? e->urgency : "-", e->nodsa ? e->nodsa : "-", e->nodsa_reason ? e->nodsa_reason : "-");
	return 0;
}

static inline void t_bad(void *ud, const char *id, const char *why)
{
	struct t_log *l = ud;
	fprintf(l->f, "bad %s: %s\n", id, why);
}
#endif
