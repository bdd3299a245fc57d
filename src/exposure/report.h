/*
 * report: what "moat exposure" prints. A table for a person (one row per
 * installed source package: installed, fixed in, status, advisories, days
 * exposed, reach) or one JSON object per finding; the per-host summary of
 * days exposed; the reach ladder's rung and verdict.
 *
 * Everything from feeds and status files is escaped on output.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exposure/match.h"

/* What an exception says about a finding, as the report shows it
 * (filled by the caller from the exception register). */
struct report_exception {
	const char *id; /* "E1" */
	const char *owner;
	int64_t until_s;
	const char *state; /* "holding", "bare", "broken", "review_due", "expired" */
	const char *detail; /* broken: the first broken control and why; NULL otherwise */
	bool settled; /* in good standing: the finding needs no action now */
};

struct report_opts {
	bool color;
	bool wide; /* one line per row, nothing cut */
	const char *release; /* "debian:12" */
	int64_t now_s;
	const bool *keep; /* per finding: shown (NULL: every exposed finding) */
	const struct report_exception *const *exc; /* per finding: its exception, or NULL (NULL: none) */
};

/* Sets r->rung and r->verdict from its booleans (r->known must be set):
 * exposed-remote > local-only > not running, then privileged > unprivileged
 * > sandboxed. Unknown reach has rung -1, verdict "unknown". */
void report_set_rung(struct finding_reach *r);

/* Days between two UTC times, rounded down, never negative. */
int64_t report_days(int64_t from_s, int64_t to_s);

/* Orders findings: exposed ones before FS_FIXED, then rung (worst first),
 * severity (highest first), source package, advisory. */
void report_sort(struct match_result *r);

/* One JSON object per line for every exposed finding (not FS_FIXED) kept. */
void report_json(FILE *f, const struct report_opts *o, const struct match_result *r);

/* The table, one row per installed source package with exposed findings,
 * in 100 columns: severity (the worst; "*" when guessed), package,
 * installed, fixed in, status, days, reach; then, indented below, the CVE
 * ids and advisories, the processes that make it reachable (name, pid,
 * user, address and port) and what an exception says. --wide: one line per
 * row, nothing cut. Returns the number of rows. */
size_t report_table(FILE *f, const struct report_opts *o, const struct match_result *r);

/* SARIF 2.1.0 (one run, one rule per advisory, one result per kept
 * finding; findings an exception settles carry an external suppression).
 * Returns 0 or -ENOMEM. */
int report_sarif(FILE *f, const struct report_opts *o, const struct match_result *r, const char *host);

/* The CVE ids of a finding: the advisory itself when it is one, and its
 * CVE aliases; space-separated into buf. */
void report_cves(const struct finding *x, char *buf, size_t size);

/* Days exposed over every finding that has them (exposed now, and fixed
 * ones the dpkg log shows were once exposed). */
#define REPORT_WORST 5
struct exposure_summary {
	size_t count, open;
	int64_t median, p90, max;
	const struct finding *worst[REPORT_WORST]; /* most days first */
	size_t n_worst;
};
void report_summary(const struct match_result *r, struct exposure_summary *ret);
void report_summary_print(FILE *f, const struct report_opts *o, const struct exposure_summary *s);
