/*
 * safefile: opening the files moat keeps for itself (its store and the
 * store's -wal and -shm, feed files, the ledger) without being led
 * astray by other users.
 *
 * A directory "others can write" is world- or group-writable, or owned by
 * another user than the caller (and not by root). There, a symbolic link
 * as the last component is never followed (another user may have planted
 * it to make moat write over their target), and a world-writable directory
 * without the sticky bit is refused outright (anyone could swap the file
 * after it was checked). Anywhere, the file must be a regular file owned by
 * the caller: a store another user made could carry triggers, a planted
 * feed file could carry anything.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* open(2) with the rules above (flags may hold O_CREAT, O_EXCL, O_TRUNC …;
 * O_CLOEXEC and O_NOCTTY are added). Returns the descriptor, or a negative
 * errno with *ret_err saying why in words (caller frees; may be NULL):
 * -ELOOP a symlink in a directory others can write, -EPERM owned by another
 * user or an unsafe directory, -EINVAL not a regular file, or open's own. */
int safe_open(const char *path, int flags, mode_t mode, char **ret_err);

/* True when the directory holding path can be written by other users
 * (see above). *ret_err is set when it cannot even be looked at. */
int safe_dir_shared(const char *path, bool *ret_shared, char **ret_err);
