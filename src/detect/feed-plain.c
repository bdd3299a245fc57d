/* detect_feed_many's plain version: see detect/ahead.h. */
#include "detect/ahead.h"
#include "detect/detect.h"

void detect_feed_plain(struct detect *d, const struct event *const *evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		detect_feed(d, evs[i]);
}
