/*
 * detect/ahead: what detect_feed_many's look-ahead (feed-ahead.c) asks of
 * the front door. A failure's source entry is most often cold (an attack
 * spreads over many thousands of sources); loading it while earlier events
 * are judged hides the wait. The plain version of detect_feed_many is
 * detect_feed on each event (feed-plain.c); test-detect-ahead compares
 * the two. Private to src/detect.
 */
#pragma once

#include "core/event.h"

struct detect;

/* Starts loading the table slot of ev's source entry (a hint: nothing
 * changes) and returns the hash it is found by (0 when ev is not a
 * failure with a source: nothing to load). */
uint64_t detect_preload_slot(const struct detect *d, const struct event *ev);
/* Starts loading the source entry of hash src_h (0: none) itself, its
 * slot being loaded by now. */
void detect_preload_entry(const struct detect *d, uint64_t src_h);
/* detect_feed, given ev's source hash as detect_preload_slot returned it
 * (0: computed here). */
void detect_feed_hashed(struct detect *d, const struct event *ev, uint64_t src_h);

/* detect_feed_many without the look-ahead: detect_feed on each event. */
void detect_feed_plain(struct detect *d, const struct event *const *evs, size_t n);
