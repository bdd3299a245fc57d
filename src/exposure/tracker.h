/*
 * tracker: the Debian security tracker's JSON
 * (security-tracker.debian.org/tracker/data/json):
 *
 *	{ "PACKAGE": { "CVE-…": { "description": …, "scope": …,
 *	    "releases": { "bookworm": { "status": "resolved"|"open"|"undetermined",
 *	        "fixed_version": "…", "urgency": "low"|"unimportant"|"end-of-life"|…,
 *	        "nodsa": "…", "nodsa_reason": "ignored"|"postponed", "repositories": {…} } } } } }
 *
 * The file is large (a hundred MB): the top-level object is walked one
 * package at a time, so memory holds one package's tree, not the file's.
 */
#pragma once

#include <stddef.h>

#include "exposure/feed.h"

/* Normalises every (package, CVE, release) into an entry (advisory = the
 * CVE id, kind "tracker"). A malformed package or CVE entry is skipped and
 * reported (sink->bad with "PACKAGE/CVE"); the rest goes on. Releases that
 * are not known Debian codenames are counted in rep->other.
 * Returns 0; -EINVAL when the JSON itself is broken (with *ret_err: byte
 * offset and why), or the sink's negative value. */
int tracker_parse(const char *buf, size_t len, const struct feed_sink *sink, struct feed_report *rep,
		  char **ret_err);

/* True when buf looks like tracker JSON rather than an OSV record: a JSON
 * object whose first key is not an OSV field. */
int tracker_sniff(const char *buf, size_t len);
