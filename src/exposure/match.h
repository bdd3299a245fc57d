/*
 * match: installed source packages × advisories for this release.
 *
 * For each installed (source package, source version) every advisory entry
 * of the host's release is judged:
 *
 *   OSV      affected when a range's events contain the version (introduced
 *            ≤ v < fixed, or ≤ last_affected, or an exact listed version)
 *   tracker  resolved with fixed_version "0": never affected; resolved: affected
 *            while v < fixed_version; open: affected, and how Debian triaged it
 *            (end-of-life, no-dsa, postponed, ignored, unimportant) is kept;
 *            undetermined: shown as unfixed, "undetermined"
 *
 * Each affected pair becomes a finding: fixable (a fixed version exists),
 * unfixed (no fix yet), minor (Debian judged it minor: no-dsa, postponed,
 * ignored, unimportant) or end_of_life. Nothing triaged is dropped. The same
 * CVE reached through several records (DSA, DEBIAN-CVE, tracker) is one
 * finding: the advisory (DSA > DLA > other OSV > DEBIAN-CVE > tracker) keeps
 * it, and takes the tracker's urgency.
 *
 * Findings with status FS_FIXED are advisories whose fix is installed now:
 * they feed the exposure-window summary (did this host ever run the
 * vulnerable version?), not the list of what is exposed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/strview.h"
#include "exposure/feed.h"
#include "exposure/inventory.h"

enum finding_status { FS_FIXABLE, FS_UNFIXED, FS_MINOR, FS_END_OF_LIFE, FS_FIXED };

/* "fixable", "unfixed", "minor", "end_of_life", "fixed" */
const char *finding_status_name(enum finding_status s);

/* One process that runs a package, as the report names it. */
#define FINDING_PROCS_MAX 3
struct finding_proc {
	pid_t pid;
	uid_t uid;
	char comm[32];
	char user[32]; /* from the root's passwd, "#UID" when it has no name */
	bool listening; /* proto/port/addr: its most exposed listening socket */
	bool remote; /* that socket is bound beyond loopback and nftables does not block it */
	uint8_t proto; /* 6 tcp, 17 udp */
	uint16_t port;
	char addr[46];
	unsigned n_sockets;
};

struct finding_reach {
	bool known; /* false: not assessed (another root, no /proc access) */
	bool running, listening, remote, privileged, sandboxed;
	int rung; /* ordering: higher is worse (see report.c) */
	char verdict[96];
	struct finding_proc procs[FINDING_PROCS_MAX]; /* the most exposed first */
	size_t n_procs; /* every process of the package (may exceed FINDING_PROCS_MAX) */
};

struct finding {
	char *source; /* source package */
	char *source_version; /* installed source version */
	const struct inv_pkg **binaries; /* borrowed from the inventory */
	size_t n_binaries;
	char *advisory; /* DSA-5650-1, CVE-2024-28085 */
	char *kind; /* "osv" or "tracker" */
	char *aliases; /* space-separated, may be "" */
	char *fixed; /* NULL when no fix yet */
	enum finding_status status;
	char *triage; /* "no-dsa: Minor issue", "postponed", "ignored", "unimportant", "undetermined", NULL */
	char *urgency; /* tracker urgency, NULL when none */
	int severity; /* enum severity (core/alert.h), or -1 unknown */
	bool severity_guessed; /* from the advisory kind, not from a score */
	int64_t published_s; /* 0 unknown */
	char *summary; /* may be NULL */
	/* filled by exposure_assess (window and reach) */
	int64_t days_exposed; /* -1 unknown */
	int64_t fixed_installed_s; /* FS_FIXED: when the fix was installed; 0 unknown */
	struct finding_reach reach;
};

struct match_result {
	struct finding *v;
	size_t n;
	uint64_t binaries, sources; /* what was examined */
	uint64_t entries; /* advisory entries examined */
};

/* Judges every installed package against db for release (a key from
 * feed_release_key). Returns 0 or a negative errno (*ret_err). */
int match_run(struct advdb *db, const struct inventory *inv, const char *release, struct match_result *ret,
	      char **ret_err);
void match_result_done(struct match_result *r);

/* Does an events text (feed.h: "i=0 f=1.2-3 | x=2.0") contain version?
 * Returns 1 with *ret_fixed (a view into events, or SV_NULL when the
 * matching range has no fix), 0 when not. */
int match_events(const char *events, struct sv version, struct sv *ret_fixed);

/* Severity from a CVSS v3 vector ("CVSS:3.1/AV:N/…"), a word ("high"),
 * or -1. Exposed for tests. *ret_score gets the base score (×10) when known. */
int match_severity_of(const char *score, int *ret_score10);
