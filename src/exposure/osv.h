/*
 * osv: OSV records (https://ossf.github.io/osv-schema/) for Debian and
 * Ubuntu, normalised into feed entries (feed.h). Only affected[] entries of
 * Debian and Ubuntu ecosystems are kept; ranges of type ECOSYSTEM give the
 * events (introduced, fixed, last_affected; "limit" is ignored); when there
 * is no ECOSYSTEM range, the enumerated "versions" are used. CVE ids come
 * from "aliases" and, in Debian's export, "upstream". Withdrawn records are
 * counted and skipped.
 */
#pragma once

#include <stddef.h>

#include "exposure/feed.h"

/* Parses one record (a JSON object) or an array of records from buf.
 * origin (a file name) names records in messages. Malformed records go to
 * sink->bad and are counted in rep->skipped; good ones to sink->meta and
 * sink->entry and are counted in rep->records / rep->entries.
 * Returns 0; -EINVAL when buf is not JSON at all (with *ret_err); or the
 * sink's negative value. */
int osv_parse(const char *buf, size_t len, const char *origin, const struct feed_sink *sink,
	      struct feed_report *rep, char **ret_err);
