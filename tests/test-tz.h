/*
 * test-tz: tests that set TZ put it back as they found it (other tests in
 * the same binary, and their time zone, come after them).
 */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A copy of TZ as it is now (NULL: unset), for test_tz_restore. */
static inline char *test_tz_save(void)
{
	const char *old = getenv("TZ");
	return old ? strdup(old) : NULL;
}

/* TZ as test_tz_save found it (and libc told); frees saved. */
static inline void test_tz_restore(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}
