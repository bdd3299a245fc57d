/*
 * paths: where the decision trail lives, and opening its files safely.
 *
 * The state directory is $MOAT_STATE_DIR, else $XDG_STATE_HOME/moat (or
 * ~/.local/state/moat), /var/lib/moat when running as root. It holds
 * "ledger" (the signed decisions), "keys/" (operators' Ed25519 keys) and
 * "ledger-heads" (the last head this host saw of each ledger).
 *
 * The ledger, keys and heads are evidence: they are opened without
 * following a symlink (someone who can write the directory could plant one
 * pointing at a file of ours) and refused when another user owns them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The state directory (caller frees). NULL on OOM. */
char *state_dir(void);

/* STATE/NAME (caller frees). */
char *state_path(const char *name);

/* mkdir -p with mode 0700 for the directories made. Returns 0 or a negative errno. */
int state_mkdirs(const char *dir);

/* Opens path with flags | O_NOFOLLOW | O_CLOEXEC (mode when creating), then
 * refuses it unless it is a regular file owned by the effective user (-EPERM
 * with *ret_err saying whose it is) that no one else may write (-EACCES),
 * and, when private, that no one else may read either (-EACCES). Returns a descriptor or a negative errno
 * with *ret_err. */
int trail_open(const char *path, int flags, mode_t mode, bool private_file, char **ret_err);

/* Writes data to path atomically (a temporary file beside it, fsync,
 * rename), mode as given. Returns 0 or a negative errno with *ret_err. */
int trail_write_file(const char *path, const void *data, size_t n, mode_t mode, char **ret_err);
