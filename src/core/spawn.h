/*
 * spawn: running one of the system's own tools (nft, systemctl) and reading
 * what it prints, as DESIGN.md asks of any program moat runs: a fixed path,
 * an argv the caller builds, a minimal environment, no shell; stdin and
 * stderr on /dev/null; bounded in time and in output.
 */
#pragma once

#include <stddef.h>

/* Runs path with argv (argv[0] included, NULL-terminated) and the
 * environment PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C SYSTEMD_PAGER=,
 * reading its standard output until it closes. More than max bytes is
 * -EFBIG, longer than timeout_ms -ETIMEDOUT (the program is then killed).
 * Returns the program's exit status (>= 0; 128+N when killed by signal N)
 * with *ret (NUL-terminated, the caller's) and *ret_len, or a negative
 * errno: -ENOENT when path is not an executable. */
int spawn_read(const char *path, char *const argv[], int timeout_ms, size_t max, char **ret, size_t *ret_len);
