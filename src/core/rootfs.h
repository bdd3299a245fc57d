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
#include <sys/stat.h>
#include <sys/types.h>

/* Opens DIR as a root (O_PATH directory descriptor). Returns it, or a
 * negative errno. */
int rootfs_open_root(const char *root);

/* The one resolution behind every opener below and behind moat reach's
 * permission chains (src/reach/fsroot.c).
 *
 * Resolves path inside the root, component by component with fstatat and
 * readlinkat: "." is skipped, ".." stops at the root, a symlink's target is
 * put in front of what is left (an absolute one starts again at the root),
 * at most 40 links (-ELOOP). A component that is not a directory with more
 * to come is -ENOTDIR.
 *
 * Writes the canonical path ("/" for the root, else "/a/b", no trailing
 * slash) into out. step, when not NULL, is called with each component as it
 * is found: depth 0 is the root itself (path "/"), depth d the d-th
 * component below it; path[0..len) is that component's canonical path (NUL
 * at len) and st its lstat. After a ".." or an absolute link the depths
 * start again lower: a caller keeping one entry per depth ends with the chain
 * from the root to the file. A negative return from step stops the walk and
 * is returned. flags: ROOTFS_NOFOLLOW_LAST, a symlink as the last component
 * is the result, not followed.
 *
 * Returns 1 when the whole path exists; 0 when only its last component is
 * missing (out names it, so that it can be created); -ENOENT when a
 * directory on the way is missing (out is then the deepest one found); or
 * another negative errno. */
enum {
	ROOTFS_NOFOLLOW_LAST = 1 << 0,
};
typedef int (*rootfs_step_fn)(void *ud, size_t depth, const char *path, size_t len, const struct stat *st);
int rootfs_resolve(int rootfd, const char *path, unsigned flags, char *out, size_t out_size, rootfs_step_fn step,
		   void *ud);

/* Opens rel (relative to the root; a leading "/" is allowed) with flags,
 * every symlink resolved inside the root: an absolute target starts again
 * at the root, ".." stops at it. Returns a descriptor or a negative errno
 * (-ELOOP after 40 links). */
int rootfs_openat(int rootfd, const char *rel, int flags);

/* The same with rootfs_resolve instead of openat2: used where openat2 is
 * missing (ENOSYS) and by the tests, which hold it to rootfs_openat. */
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
/* The same inside a root already open (rootfs_open_root). */
int rootfs_read_at(int rootfd, const char *rel, size_t max, char **ret, size_t *ret_len);

/* Opens a directory inside the root. Returns 0 and *ret, or a negative errno. */
int rootfs_opendir(int rootfd, const char *rel, DIR **ret);

/* strerror, except that -EINVAL from the openers above reads "not a
 * regular file (FIFOs, devices and sockets are refused)". */
const char *rootfs_strerror(int r);
