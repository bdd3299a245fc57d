/* fuzz-osv: OSV JSON (one record or an array) into a sink that checks what
 * it is handed: every entry names a package and a release key, and its
 * events match-evaluate without trouble. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exposure/match.h"
#include "exposure/osv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_meta(void *ud, const struct adv_meta *m)
{
	(void)ud;
	if (!m->advisory || !m->advisory[0] || !m->aliases)
		__builtin_trap();
	return 0;
}

static int on_entry(void *ud, const struct adv_entry *e)
{
	struct sv fixed;
	(void)ud;
	if (!e->package[0] || (strncmp(e->release, "debian:", 7) && strncmp(e->release, "ubuntu:", 7)))
		__builtin_trap();
	(void)match_events(e->events, sv_cstr("1.0-1"), &fixed);
	(void)match_events(e->events, sv_cstr(e->fixed ? e->fixed : "0"), &fixed);
	return 0;
}

static void on_bad(void *ud, const char *id, const char *why)
{
	(void)ud;
	if (!id || !why)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_sink sink = { on_meta, on_entry, on_bad, NULL };
	struct feed_report rep = { 0 };
	char *err = NULL;
	(void)osv_parse((const char *)data, size, "fuzz", &sink, &rep, &err);
	free(err);
	return 0;
}
