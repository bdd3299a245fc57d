/*
 * fileio: reading a whole descriptor into memory, bounded.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads fd to its end into *buf (capacity *cap; both may start at NULL/0
 * and are kept for reuse), NUL-terminated. More than max bytes is -EFBIG.
 * Returns the length read, or a negative errno; *buf stays the caller's to
 * free either way. */
ssize_t read_to_end(int fd, char **buf, size_t *cap, size_t max);
