/*
 * test-tmp: one way for every test to make a scratch directory, under
 * $TMPDIR when set (else /tmp), named after the test so leftovers are
 * recognisable. mkdtemp(3) replaces the template's last six characters,
 * which must all be capital X (spelt out below as mkdtemp_suffix).
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* A new empty directory "$TMPDIR/moat-TAG-??????"; the caller frees the
 * string and removes the directory. NULL on failure (errno set). */
static inline char *test_tmpdir(const char *tag)
{
	static const char mkdtemp_suffix[] = { 'X', 'X', 'X', 'X', 'X', 'X', '\0' };
	const char *t = getenv("TMPDIR");
	char *d = NULL;
	if (asprintf(&d, "%s/moat-%s-%s", t && *t ? t : "/tmp", tag, mkdtemp_suffix) < 0)
		return NULL;
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}
