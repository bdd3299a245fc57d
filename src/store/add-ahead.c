/* store_add_events: store_add_event on each event, with a look-ahead that
 * loads the blocks of the failed logins a few places ahead (see
 * store/ahead.h; the plain version is add-plain.c). */
#include "store/ahead.h"
#include "store/store.h"

/* How far ahead the slot, then the entry, are loaded: a load from memory
 * takes longer than an event is stored in, and the entry's load needs its
 * slot. */
#define AHEAD_SLOT 16
#define AHEAD_ENTRY 8

int store_add_events(struct store *s, const struct event *const *evs, size_t n)
{
	/* the first events' slots, then each event's a few places ahead */
	for (size_t i = 0; i < n && i < AHEAD_SLOT; i++)
		store_preload_slot(s, evs[i]);
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD_SLOT < n)
			store_preload_slot(s, evs[i + AHEAD_SLOT]);
		if (i + AHEAD_ENTRY < n)
			store_preload_entry(s, evs[i + AHEAD_ENTRY]);
		int r = store_add_event(s, evs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
