/* store_add_events' plain version: see store/ahead.h. */
#include "store/ahead.h"
#include "store/store.h"

int store_add_events_plain(struct store *s, const struct event *const *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = store_add_event(s, evs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
