/* fuzz-tracker: the Debian security tracker's JSON, walked one package at a
 * time; the sink checks every entry carries a known status. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exposure/tracker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_meta(void *ud, const struct adv_meta *m)
{
	(void)ud;
	if (!m->advisory[0])
		__builtin_trap();
	return 0;
}

static int on_entry(void *ud, const struct adv_entry *e)
{
	(void)ud;
	if (strcmp(e->status, "resolved") && strcmp(e->status, "open") && strcmp(e->status, "undetermined"))
		__builtin_trap();
	if (!e->package[0] || !e->release[0])
		__builtin_trap();
	return 0;
}

static void on_bad(void *ud, const char *id, const char *why)
{
	(void)ud;
	(void)id;
	(void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_sink sink = { on_meta, on_entry, on_bad, NULL };
	struct feed_report rep = { 0 };
	char *err = NULL;
	(void)tracker_sniff((const char *)data, size);
	(void)tracker_parse((const char *)data, size, &sink, &rep, &err);
	free(err);
	return 0;
}
