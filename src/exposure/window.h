/*
 * window: when each package version was installed, from dpkg's own log
 * (ROOT/var/log/dpkg.log and its rotated .N / .N.gz files, oldest first).
 * Used to tell how long a host was exposed: fix published → fixed version
 * installed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct dpkg_history;

/* One "install"/"upgrade" (or "status installed") record. Strings owned by the history. */
struct dpkg_change {
	int64_t time_s; /* UTC seconds (dpkg.log is local time: converted with the process TZ) */
	const char *package; /* binary package name, without ":arch" */
	const char *arch; /* may be "" */
	const char *old_version; /* "<none>" for first installs */
	const char *new_version;
};

/* Reads ROOT/var/log/dpkg.log* (root "/" for this host). Malformed lines are
 * counted (dpkg_history_bad_lines) and skipped, never fatal. A missing log is
 * an empty history. Returns 0 or a negative errno with *ret_err. */
int dpkg_history_load(const char *root, struct dpkg_history **ret, char **ret_err);
struct dpkg_history *dpkg_history_free(struct dpkg_history *h);
uint64_t dpkg_history_bad_lines(const struct dpkg_history *h);
/* dpkg.log* names that were FIFOs, devices or directories: refused, not read. Symlinks are
 * followed inside the root only. */
uint64_t dpkg_history_refused(const struct dpkg_history *h);
/* Earliest time covered by the log (0 when empty): exposure before it is unknown. */
int64_t dpkg_history_start(const struct dpkg_history *h);

/* Changes of one binary package in time order (log order, oldest file first); returns the count
 * and sets *ret (borrowed, valid until dpkg_history_free). package is "name" (every arch of it) or
 * "name:arch" (that arch, plus records an old dpkg wrote without any arch).
 * Only install/upgrade lines are changes (a re-install has old == new), plus a "status installed"
 * line that shows a version the log had not shown being installed (old = the last one shown). */
size_t dpkg_history_of(const struct dpkg_history *h, const char *package, const struct dpkg_change **ret);

/* Version comparison is injected so this module does not depend on debver. */
typedef int (*version_cmp_fn)(const char *a, const char *b);

/* When did package first reach a version >= fixed (and stay there, ignoring later downgrades
 * below fixed by resetting)? Returns 1 and *ret_time_s, or 0 when the log does not show it
 * (never reached, gone back below fixed, or already fixed in the first record: before the log).
 * A bare name installed for several arches is fixed when its last arch is. */
int dpkg_history_fixed_at(const struct dpkg_history *h, const char *package, const char *fixed,
			  version_cmp_fn cmp, int64_t *ret_time_s);
