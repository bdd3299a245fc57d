/*
 * debver: Debian version strings, as deb-version(7) defines them:
 *
 *	[epoch:]upstream_version[-debian_revision]
 *
 * Comparison: epochs numerically; then upstream, then revision, each split
 * into alternating non-digit and digit runs. Non-digit runs compare
 * character by character where '~' sorts before everything (even the end of
 * the run), then the end, then letters, then every other character in ASCII
 * order; digit runs compare as (arbitrarily long) numbers. A missing
 * revision equals "0".
 *
 * Versions come from feeds and status files: hostile text. Nothing here
 * allocates; the parsed form is a set of views into the caller's string.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/strview.h"

struct debver {
	uint32_t epoch; /* 0 when absent */
	struct sv upstream; /* never empty once parsed */
	struct sv revision; /* empty when absent */
};

/* Parses s the way dpkg accepts a version: leading and trailing blanks are
 * ignored; rejected are an empty string, embedded blanks, a non-numeric,
 * negative or too big (> INT32_MAX) epoch, nothing after the epoch's colon,
 * an empty revision after the last '-', an upstream that is empty or does not
 * start with a digit, and characters outside [A-Za-z0-9.+~-:] (upstream) or
 * [A-Za-z0-9.+~] (revision).
 * Returns 1 and fills *ret (views into s), or 0 with *ret_why (a static
 * English phrase; may be NULL) when s is not a valid version. */
int debver_parse(struct sv s, struct debver *ret, const char **ret_why);

/* Splits s without judging it, as dpkg does when it only warns: epoch when
 * the text before the first ':' is all digits (else 0, and the whole text
 * is the upstream), revision after the last '-'. Never fails; used to
 * compare strings that did not parse. */
void debver_split(struct sv s, struct debver *ret);

/* <0, 0, >0 as a sorts before, equal to, after b. */
int debver_cmp_parsed(const struct debver *a, const struct debver *b);

/* Compares two version strings: each is parsed (debver_parse, or
 * debver_split when invalid) and compared. Total and safe on any bytes. */
int debver_cmp_sv(struct sv a, struct sv b);
int debver_cmp(const char *a, const char *b);

/* True when s is a valid version (debver_parse returns 1). */
bool debver_valid(const char *s);
