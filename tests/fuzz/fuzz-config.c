/* fuzz-config: the detector configuration YAML. Whatever it is handed, a
 * load either fails with a message or succeeds; a successful load dumps
 * to YAML that loads again to the same dump, comment lines aside (the
 * round trip `moat check` relies on). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const struct detect_config *c)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	detect_config_dump(c, f);
	fclose(f);
	return buf;
}

/* Removes the lines that are comments: the allow-list's say where each
 * entry was written, which a reload changes (values must not change). */
static void drop_comment_lines(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		char *nl = strchr(r, '\n');
		size_t n = nl ? (size_t)(nl - r) + 1 : strlen(r);
		const char *t = r + strspn(r, " ");
		if (*t != '#') {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detect_config *a = NULL, *b = NULL;
	char *err = NULL, *da = NULL, *db = NULL;

	if (detect_config_load_string((const char *)data, size, "fuzz", &a, &err) < 0) {
		if (a || !err)
			__builtin_trap();
		free(err);
		return 0;
	}
	da = dump(a);
	if (!da)
		__builtin_trap();
	if (detect_config_load_string(da, strlen(da), "dump", &b, &err) < 0)
		__builtin_trap();
	db = dump(b);
	if (!db)
		__builtin_trap();
	drop_comment_lines(da);
	drop_comment_lines(db);
	if (strcmp(da, db) != 0)
		__builtin_trap();
	free(da);
	free(db);
	detect_config_free(a);
	detect_config_free(b);
	return 0;
}
