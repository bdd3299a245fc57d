/* Shared by the store and trace tests: temporary directories and events. */
#pragma once
#include "../test-tmp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/event.h"
#include "core/timeutil.h"

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes it. */
static inline char *tmpdir_new(void)
{
	return test_tmpdir("store");
}

static inline void tmpdir_remove(char *d)
{
	test_rmtree(d);
	free(d);
}

static inline char *path_join(const char *a, const char *b)
{
	char *r = NULL;
	if (asprintf(&r, "%s/%s", a, b) < 0)
		return NULL;
	return r;
}

/* "2026-03-01T03:00:00Z" -> microseconds; aborts on a typo in a test. */
static inline int64_t T(const char *s)
{
	int64_t t;
	if (time_parse_rfc3339(s, &t) < 0)
		abort();
	return t;
}
