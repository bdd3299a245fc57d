/*
 * exposure: the whole assessment behind "moat exposure", as one call that
 * the CLI, "moat exception verify" and the tests share:
 *
 *   inventory (dpkg status) → release (os-release or given) → advisories
 *   (the advisory database, or feeds read directly) → matching → exposure
 *   window (dpkg.log) → reach context (/proc, sockets, nftables)
 *
 * Nothing here prints: what a person should hear about (malformed stanzas,
 * skipped feed records, an unreadable dpkg.log, processes that could not be
 * inspected) comes back as notes, and processes that run replaced code as
 * the stale list.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exposure/inventory.h"
#include "exposure/match.h"

struct reach_snapshot;

struct exposure_opts {
	const char *root; /* the root whose dpkg database is read; NULL or "/" for this host */
	const char *const *feeds; /* read directly (no import) when n_feeds > 0 */
	size_t n_feeds;
	const char *db; /* the advisory database; NULL: advdb_default_path() */
	const char *release; /* NULL: from ROOT's os-release */
	int64_t now_s; /* "now" for days exposed */
	const char *proc; /* the /proc to read for reach; NULL: /proc when root is this host's, else none */
	bool no_reach; /* skip reach altogether */
	bool advisories_optional; /* no advisory database yet: assess inventory and reach only (a note says so) */
};

enum exposure_note_level { EXPOSURE_WARNING, EXPOSURE_NOTICE };

struct exposure_note {
	enum exposure_note_level level;
	char *text; /* may hold file names from the root or feed: escape before printing */
};

/* A process that still maps a replaced or deleted file of a package:
 * "fixed on disk, vulnerable in memory". */
struct exposure_stale {
	char *package;
	pid_t pid;
	char comm[64];
	char file[256];
};

struct exposure_result {
	struct inventory *inv;
	struct match_result match; /* sorted: report_sort() order */
	char release[64]; /* "debian:12" */
	char pretty[128]; /* os-release PRETTY_NAME, "" when the release was given */
	uint64_t n_advisories, n_entries; /* what the advisory database holds */
	struct reach_snapshot *reach; /* NULL when reach was not assessed */
	struct exposure_note *notes;
	size_t n_notes;
	struct exposure_stale *stale;
	size_t n_stale;
};

/* Runs the assessment. Returns 0 and *ret (free with exposure_result_free),
 * or a negative errno with *ret_err saying why in words a person can act on
 * (-ENOENT: no advisory database yet; -ENODATA: it holds no advisories;
 * -EINVAL: the release cannot be told; others: unreadable input). */
int exposure_assess(const struct exposure_opts *o, struct exposure_result **ret, char **ret_err);

struct exposure_result *exposure_result_free(struct exposure_result *r);
static inline void exposure_result_freep(struct exposure_result **r)
{
	exposure_result_free(*r);
}

/* The user name of uid in ROOT/etc/passwd (this host's for "/"), read once
 * per result; writes "#UID" when the file does not name it. */
void exposure_user_name(struct exposure_result *r, uid_t uid, char *buf, size_t size);
