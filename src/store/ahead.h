/*
 * store/ahead: what store_add_events' look-ahead (add-ahead.c) asks of the
 * store. A failed login is packed onto its source's block (noise.c), found
 * through a hash map whose slot and block are most often cold (an attack
 * spreads over many thousands of sources), and its user name's id through
 * the names cache, as cold; loading them while earlier events are stored
 * hides the wait. The plain version of store_add_events is store_add_event
 * on each event (add-plain.c); test-store compares the two. Private to
 * src/store.
 */
#pragma once

#include "core/event.h"

struct store;

/* Starts loading the hash slot ev's block will be looked up in (a hint:
 * nothing changes). */
void store_preload_slot(const struct store *s, const struct event *ev);
/* Starts loading ev's block itself, its slot being loaded by now. */
void store_preload_entry(const struct store *s, const struct event *ev);

/* store_add_events without the look-ahead: store_add_event on each event. */
int store_add_events_plain(struct store *s, const struct event *const *evs, size_t n);
