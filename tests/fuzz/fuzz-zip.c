/* fuzz-zip: the ZIP reader (OSV's all.zip comes from the network) on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exposure/zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_entry(void *ud, const char *name, const char *d, size_t len)
{
	size_t *n = ud;
	/* names are printable, entries bounded and NUL-terminated for the JSON parser */
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			__builtin_trap();
	if (len > ZIP_ENTRY_MAX || d[len] != '\0')
		__builtin_trap();
	(*n)++;
	return 0;
}

static void on_bad(void *ud, const char *name, const char *why)
{
	(void)ud;
	if (!name || !why || !why[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zip *z = NULL;
	char *err = NULL;
	size_t n = 0;
	if (zip_open_buffer(data, size, &z, &err) < 0) {
		if (!err)
			__builtin_trap();
		free(err);
		return 0;
	}
	(void)zip_foreach(z, on_entry, on_bad, &n);
	if (n > zip_count(z))
		__builtin_trap();
	zip_free(z);
	return 0;
}
