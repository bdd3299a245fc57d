/*
 * spawn: a system tool run with a built argv and its output read (see spawn.h).
 */
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int spawn_read(const char *path, char *const argv[], int timeout_ms, size_t max, char **ret, size_t *ret_len)
{
	if (access(path, X_OK) < 0)
		return -ENOENT;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_PAGER=", NULL };
	pid_t pid;
	int r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return -r;
	}

	char *out = NULL;
	size_t n = 0, cap = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = 0;
	for (;;) {
		long ms = elapsed_ms(&start);
		if (ms >= timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int k = poll(&p, 1, (int)(timeout_ms - ms));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -ETIMEDOUT;
			break;
		}
		if (cap - n < 4096) { /* at most twice max: past max is an error below */
			size_t nc = cap ? cap * 2 : 8192;
			char *b = realloc(out, nc);
			if (!b) {
				r = -ENOMEM;
				break;
			}
			out = b;
			cap = nc;
		}
		ssize_t got = read(pfd[0], out + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got < 0)
				r = -errno;
			break;
		}
		n += (size_t)got;
		if (n > max) {
			r = -EFBIG;
			break;
		}
	}
	close(pfd[0]);
	if (r < 0)
		(void)kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		free(out);
		return r;
	}
	if (!out && !(out = malloc(1)))
		return -ENOMEM;
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}
