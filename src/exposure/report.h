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

struct report_opts {
	bool color;
	const char *release; /* "debian:12" */
	int64_t now_s;
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

/* One JSON object per line for every exposed finding (not FS_FIXED). */
void report_json(FILE *f, const struct report_opts *o, const struct match_result *r);

/* The table, one row per installed source package with exposed findings.
 * Returns the number of rows. */
size_t report_table(FILE *f, const struct report_opts *o, const struct match_result *r);

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
