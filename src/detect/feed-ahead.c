/* detect_feed_many: detect_feed on each event, with a look-ahead that
 * loads the source entries of the events a few places ahead (see
 * detect/ahead.h; the plain version is feed-plain.c). */
#include "detect/ahead.h"
#include "detect/detect.h"

/* How far ahead the slot, then the entry, are loaded: a load from memory
 * takes longer than an event is judged in, and the entry's load needs its
 * slot. */
#define AHEAD_SLOT 16
#define AHEAD_ENTRY 8
#define RING 32 /* > AHEAD_SLOT, a power of two */

void detect_feed_many(struct detect *d, const struct event *const *evs, size_t n)
{
	/* each event's source hash, from its slot's load on */
	uint64_t h[RING];
	for (size_t i = 0; i < n && i < AHEAD_SLOT; i++)
		h[i] = detect_preload_slot(d, evs[i]);
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD_SLOT < n)
			h[(i + AHEAD_SLOT) % RING] = detect_preload_slot(d, evs[i + AHEAD_SLOT]);
		if (i + AHEAD_ENTRY < n)
			detect_preload_entry(d, h[(i + AHEAD_ENTRY) % RING]);
		detect_feed_hashed(d, evs[i], h[i % RING]);
	}
}
