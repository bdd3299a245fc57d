/*
 * feed: vulnerability advisories, normalised from OSV records (osv.c) and
 * the Debian security tracker's JSON (tracker.c), kept in an SQLite file of
 * their own, "advisories.db" next to the store (tables prefixed adv_, so the
 * same schema could live inside the store later without clashing).
 *
 * One advisory is one id (DSA-5650-1, CVE-2024-28085) with metadata, and one
 * entry per (source package, release) it affects:
 *
 *	OSV:     events from affected[].ranges (ECOSYSTEM only), status "osv"
 *	tracker: status resolved / open / undetermined, fixed_version, urgency,
 *	         nodsa, nodsa_reason — exactly as Debian triaged it
 *
 * Releases are normalised to "debian:12", "ubuntu:22.04": OSV "Debian:12",
 * "Ubuntu:22.04:LTS" and tracker codenames ("bookworm") map onto the same
 * keys, and so does the host's os-release.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strview.h"

/* ---- normalised records, handed from the parsers to a sink ---- */

/* Events of one affected entry, as text: ranges separated by " | ", each a
 * list of "i=VERSION" (introduced), "f=" (fixed), "l=" (last_affected),
 * "x=" (an exact affected version, from OSV "versions" when no range is
 * given). "i=0" means from the beginning. Versions are validated. */
#define ADV_EVENTS_MAX 8192

struct adv_entry {
	const char *advisory; /* "DSA-5650-1", "CVE-2024-28085" */
	const char *kind; /* "osv" or "tracker" */
	const char *package; /* source package */
	const char *release; /* "debian:12" */
	const char *events; /* OSV only; "" for the tracker */
	const char *fixed; /* first fixed version, or NULL */
	const char *status; /* "osv", "resolved", "open", "undetermined" */
	const char *urgency; /* tracker: "low", "unimportant", "end-of-life", … or NULL */
	const char *nodsa; /* tracker: the no-dsa note, or NULL */
	const char *nodsa_reason; /* tracker: "ignored", "postponed", or NULL */
};

struct adv_meta {
	const char *advisory;
	const char *kind;
	int64_t published_s, modified_s; /* 0 when unknown */
	const char *summary; /* may be NULL */
	const char *aliases; /* space-separated ids (CVE-…), may be "" */
	const char *severity; /* OSV severity score (a CVSS vector) or NULL */
};

struct feed_sink {
	/* meta is called before the entries of its advisory. Return < 0 to abort. */
	int (*meta)(void *ud, const struct adv_meta *m);
	int (*entry)(void *ud, const struct adv_entry *e);
	/* a malformed record, skipped: id may be a file name when there is no id */
	void (*bad)(void *ud, const char *id, const char *why);
	void *ud;
};

/* "Debian:12" → "debian:12", "Ubuntu:22.04:LTS" → "ubuntu:22.04",
 * "bookworm" → "debian:12", "debian:bookworm" → "debian:12", "sid" →
 * "debian:sid". Writes a NUL-terminated key into buf; returns 1, or 0 when
 * v names no Debian or Ubuntu release. */
int feed_release_key(struct sv v, char *buf, size_t cap);

/* ---- the advisory database ---- */

struct advdb;

/* The default path: advisories.db in the store's directory (caller frees). */
char *advdb_default_path(void);

/* Opens (creating when create is true) the database; ":memory:" allowed.
 * Returns 0, -ENOENT when it does not exist and !create, or another negative
 * errno, with *ret_err. */
int advdb_open(const char *path, bool create, struct advdb **ret, char **ret_err);
struct advdb *advdb_free(struct advdb *db);
static inline void advdb_freep(struct advdb **db)
{
	advdb_free(*db);
}

/* Counts advisories and entries (for "nothing imported yet" messages). */
int advdb_counts(struct advdb *db, uint64_t *ret_advisories, uint64_t *ret_entries);

/* ---- importing ---- */

#define FEED_MAX_BAD 50

struct feed_report {
	const char *kind; /* "osv", "osv-zip", "tracker" (static) */
	uint64_t files, records, entries, skipped, withdrawn, other;
	uint64_t links; /* symbolic links inside a directory: never followed */
	char *bad[FEED_MAX_BAD]; /* "DSA-1-1: affected[0].ranges[0]: fixed 'x y' is not a Debian version" */
	size_t n_bad;
};
void feed_report_done(struct feed_report *r);

/* Imports a feed: a directory of OSV records (*.json, recursively, links
 * not followed; FIFOs and devices refused as bad records), one OSV
 * record (or an array of them), an OSV all.zip, or the Debian security
 * tracker's JSON (told apart by content). All in one transaction: a
 * malformed record is skipped and reported, anything that stops the import
 * (unreadable file, broken JSON syntax, a damaged archive directory) rolls
 * everything back. A tracker import replaces the previous tracker data;
 * an OSV record replaces the previous one with the same id.
 * Returns 0, or a negative errno with *ret_err. */
int feed_import(struct advdb *db, const char *path, struct feed_report *rep, char **ret_err);

/* Where "moat feed update" downloads from, and the ETag / Last-Modified it
 * saw last time (NULL when none). Strings are copies (caller frees). */
int advdb_source_get(struct advdb *db, const char *url, char **ret_etag, char **ret_last_modified);
int advdb_source_put(struct advdb *db, const char *url, const char *etag, const char *last_modified);

/* ---- querying (match.c) ---- */

/* A stored entry with its advisory's metadata; strings valid during the callback. */
struct adv_row {
	struct adv_entry e;
	struct adv_meta m;
};

/* Calls fn for every entry of package in release. fn returning < 0 stops. */
int advdb_foreach_entry(struct advdb *db, const char *package, const char *release,
			int (*fn)(void *ud, const struct adv_row *row), void *ud);

/* Distinct releases present (for "no advisories for your release" hints). */
int advdb_foreach_release(struct advdb *db, int (*fn)(void *ud, const char *release, uint64_t n), void *ud);
