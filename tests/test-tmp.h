/*
 * test-tmp: one way for every test to make a scratch directory, under
 * $TMPDIR when set (else /tmp), named after the test so leftovers are
 * recognisable. mkdtemp(3) requires its template to end in six 'X'
 * characters, which it replaces.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* A new empty directory "$TMPDIR/moat-TAG-??????"; the caller frees the
 * string and removes the directory. NULL on failure (errno set). */
static inline char *test_tmpdir(const char *tag)
{
	const char *t = getenv("TMPDIR");
	char *d = NULL;
	if (asprintf(&d, "%s/moat-%s-XXXXXX", t && *t ? t : "/tmp", tag) < 0)
		return NULL;
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}
