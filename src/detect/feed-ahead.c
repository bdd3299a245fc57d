/* detect_feed_many: detect_feed on each event, with a look-ahead that
 * loads the source entries of the events a few places ahead (see
 * detect/ahead.h; the plain version is feed-plain.c). */
#include "detect/ahead.h"
#include "detect/detect.h"

/* How far ahead the slot, then the entry, are loaded: an event is judged
 * in about the time one load takes, and the entry's load needs its slot. */
#define AHEAD_SLOT 6
#define AHEAD_ENTRY 3

void detect_feed_many(struct detect *d, const struct event *const *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD_SLOT < n)
			detect_preload_slot(d, evs[i + AHEAD_SLOT]);
		if (i + AHEAD_ENTRY < n)
			detect_preload_entry(d, evs[i + AHEAD_ENTRY]);
		detect_feed(d, evs[i]);
	}
}
