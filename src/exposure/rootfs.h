/*
 * rootfs: reading the files of a root (this host's "/", or --root DIR: a
 * container image, a mounted disk) without ever leaving it.
 *
 * An image is someone else's tree: its var/lib/dpkg/status may be an
 * absolute symlink ("/var/lib/dpkg/status", meant for the image's own
 * root), "../../../etc" may climb out, and any name may be a FIFO (opening
 * it would block) or a device. Paths are therefore resolved as if the root
 * were "/" (openat2's RESOLVE_IN_ROOT; a component-by-component walk that
 * does the same where the kernel lacks openat2), and files opened for
 * reading must be regular files.
 */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens DIR as a root (O_PATH directory descriptor). Returns it, or a
 * negative errno. */
int rootfs_open_root(const char *root);

/* Opens rel (relative to the root; a leading "/" is allowed) with flags,
 * every symlink resolved inside the root: an absolute target starts again
 * at the root, ".." stops at it. Returns a descriptor or a negative errno
 * (-ELOOP after 40 links). */
int rootfs_openat(int rootfd, const char *rel, int flags);

/* The same resolution without openat2: a walk over the components with
 * readlinkat. Used where openat2 is missing (ENOSYS) and by the tests, which
 * hold it to rootfs_openat. */
int rootfs_openat_walk(int rootfd, const char *rel, int flags);

/* Opens a regular file for reading (O_NONBLOCK while opening, so a FIFO
 * cannot stall us, then cleared). Returns a descriptor, -EINVAL for
 * anything but a regular file (see rootfs_strerror), or another negative
 * errno. dirfd/path as for openat(2): not confined to a root; flags may add
 * O_NOFOLLOW (-ELOOP for a link). */
int fs_open_regular(int dirfd, const char *path, int flags);
/* The same inside a root. */
int rootfs_open_regular(int rootfd, const char *rel);

/* Reads a whole regular file (at most max bytes: -EFBIG beyond) into a
 * NUL-terminated heap buffer (*ret, caller frees). read(2), never mmap: a
 * file truncated while we read it is a short read, not a SIGBUS.
 * Returns 0 or a negative errno. */
int fs_read_regular(int dirfd, const char *path, int flags, size_t max, char **ret, size_t *ret_len);
int rootfs_read_file(const char *root, const char *rel, size_t max, char **ret, size_t *ret_len);

/* Opens a directory inside the root. Returns 0 and *ret, or a negative errno. */
int rootfs_opendir(int rootfd, const char *rel, DIR **ret);

/* strerror, except that -EINVAL from the openers above reads "not a
 * regular file (FIFOs, devices and sockets are refused)". */
const char *rootfs_strerror(int r);
