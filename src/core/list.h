/*
 * list: an intrusive doubly linked list. The node lives inside the element
 * (no allocation to link anything) and list_entry() gets the element back.
 *
 * A head is a node whose prev and next point at itself when the list is
 * empty. Elements are pushed at the front, so a list ordered by when each
 * element was last pushed has its oldest element at the back: that is how
 * every caller keeps "what went quiet first" at hand.
 *
 * A node that is on no list has next == NULL (a zeroed node is unlinked),
 * so list_unlink() of an unlinked node is a no-op.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *prev, *next;
};

#ifndef container_of
#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))
#endif
/* The element of type whose member node is p. */
#define list_entry(p, type, member) container_of(p, type, member)

/* Each node of the list at head h, front (newest) to back (oldest). The
 * loop must not unlink pos. */
#define list_for_each(pos, h) for (struct list *pos = (h)->next; pos != (h); pos = pos->next)

static inline void list_init(struct list *h)
{
	h->prev = h->next = h;
}

static inline bool list_empty(const struct list *h)
{
	return h->next == h;
}

/* Whether the node is on a list (a zeroed node is not). */
static inline bool list_linked(const struct list *n)
{
	return n->next != NULL;
}

/* Takes n off its list; a no-op when it is on none. */
static inline void list_unlink(struct list *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* Puts n at the front of h (taking it off its list first). */
static inline void list_push(struct list *h, struct list *n)
{
	list_unlink(n);
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

/* The back (oldest) node, or NULL when the list is empty. */
static inline struct list *list_oldest(const struct list *h)
{
	return h->prev == h ? NULL : h->prev;
}

/* The front (newest) node, or NULL when the list is empty. */
static inline struct list *list_newest(const struct list *h)
{
	return h->next == h ? NULL : h->next;
}
