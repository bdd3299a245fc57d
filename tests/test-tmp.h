/*
 * test-tmp: one way for every test to make a scratch directory, under
 * $TMPDIR when set (else /tmp), named after the test so leftovers are
 * recognisable. mkdtemp(3) replaces the template's last six characters,
 * which must all be capital X (spelt out below as mkdtemp_suffix).
 */
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where scratch directories go: $TMPDIR, else /tmp. */
static inline const char *test_tmpbase(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

/* A new empty directory "$TMPDIR/moat-TAG-??????"; the caller frees the
 * string and removes the directory (test_rmtree). NULL on failure (errno set). */
static inline char *test_tmpdir(const char *tag)
{
	static const char mkdtemp_suffix[] = { 'X', 'X', 'X', 'X', 'X', 'X', '\0' };
	char *d = NULL;
	if (asprintf(&d, "%s/moat-%s-%s", test_tmpbase(), tag, mkdtemp_suffix) < 0)
		return NULL;
	if (!mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static inline int test_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Removes a directory test_tmpdir made, with what is under it (links not
 * followed). Only a path "$TMPDIR/moat-..." without "/..": a wrong
 * argument cannot remove anything else. NULL: nothing. */
static inline void test_rmtree(const char *dir)
{
	const char *base = test_tmpbase();
	size_t n = strlen(base);
	if (dir && strncmp(dir, base, n) == 0 && strncmp(dir + n, "/moat-", 6) == 0 && !strstr(dir + n, "/.."))
		(void)nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
