/*
 * fuzz-window: the dpkg.log parser on arbitrary bytes. The module reads
 * files only (ROOT/var/log/dpkg.log*), so each input is written to one
 * scratch ROOT's dpkg.log (gzip magic makes it a compressed one) and loaded.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test-tmp.h"
#include "exposure/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *root, *vardir, *logdir, *logpath;

static void cleanup(void)
{
	if (logpath)
		unlink(logpath);
	if (logdir)
		rmdir(logdir);
	if (vardir)
		rmdir(vardir);
	if (root)
		rmdir(root);
	free(root);
	free(vardir);
	free(logdir);
	free(logpath);
}

static int setup(void)
{
	root = test_tmpdir("fuzz-window");
	if (!root)
		return -1;
	atexit(cleanup);
	if (asprintf(&vardir, "%s/var", root) < 0 || asprintf(&logdir, "%s/log", vardir) < 0 ||
	    asprintf(&logpath, "%s/dpkg.log", logdir) < 0)
		return -1;
	if (mkdir(vardir, 0700) < 0 || mkdir(logdir, 0700) < 0)
		return -1;
	return 0;
}

static int vcmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

static void check(const struct dpkg_history *h, const char *package)
{
	const struct dpkg_change *c;
	size_t n = dpkg_history_of(h, package, &c);
	for (size_t i = 0; i < n; i++) {
		if (!c[i].package[0] || !c[i].arch || !c[i].old_version[0] || !c[i].new_version[0])
			__builtin_trap();
		if (c[i].time_s < dpkg_history_start(h))
			__builtin_trap();
		if (strncmp(package, c[i].package, strlen(c[i].package)) != 0)
			__builtin_trap();
	}
	int64_t t;
	if (dpkg_history_fixed_at(h, package, "1.0-1", vcmp, &t) == 1 && t < dpkg_history_start(h))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root && setup() < 0)
		abort();
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	struct dpkg_history *h = NULL;
	char *err = NULL;
	if (dpkg_history_load(root, &h, &err) < 0) {
		free(err);
		return 0;
	}
	static const char *const names[] = { "libssl3", "libssl3:amd64", "libc6", "libc6:i386", "a", "x:" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check(h, names[i]);
	(void)dpkg_history_bad_lines(h);
	dpkg_history_free(h);
	return 0;
}
