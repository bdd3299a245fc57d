/* hmap: see hmap.h. */
#include "core/hmap.h"

#include <errno.h>
#include <string.h>

#include "core/pages.h"

#define SLOTS_MIN 16

static int alloc_slots(struct hmap *m, size_t n)
{
	struct hmap_slot *s = pages_alloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	m->slots = s;
	m->mask = n - 1;
	return 0;
}

int hmap_init(struct hmap *m, uint64_t seed)
{
	*m = (struct hmap){ .seed = seed };
	return alloc_slots(m, SLOTS_MIN);
}

void hmap_done(struct hmap *m)
{
	if (m->slots)
		pages_free(m->slots, (m->mask + 1) * sizeof(*m->slots));
	m->slots = NULL;
	m->mask = 0;
	m->n = 0;
}

struct hmap_node *hmap_find(const struct hmap *m, uint64_t hash, hmap_eq_fn *eq, const void *key)
{
	for (size_t i = hash & m->mask;; i = (i + 1) & m->mask) {
		const struct hmap_slot *s = &m->slots[i];
		if (!s->node)
			return NULL;
		if (s->hash == hash && eq(s->node, key))
			return s->node;
	}
}

static void place(struct hmap_slot *slots, size_t mask, uint64_t hash, struct hmap_node *n)
{
	size_t i = hash & mask;
	while (slots[i].node)
		i = (i + 1) & mask;
	slots[i] = (struct hmap_slot){ hash, n };
}

static int grow(struct hmap *m)
{
	struct hmap old = *m;
	if (alloc_slots(m, (old.mask + 1) * 2) < 0) {
		*m = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i <= old.mask; i++)
		if (old.slots[i].node)
			place(m->slots, m->mask, old.slots[i].hash, old.slots[i].node);
	pages_free(old.slots, (old.mask + 1) * sizeof(*old.slots));
	return 0;
}

int hmap_add(struct hmap *m, struct hmap_node *n, uint64_t hash)
{
	/* at most half full: probes stay short whatever the keys */
	if ((m->n + 1) * 2 > m->mask + 1 && grow(m) < 0)
		return -ENOMEM;
	n->hash = hash;
	place(m->slots, m->mask, hash, n);
	m->n++;
	return 0;
}

void hmap_del(struct hmap *m, struct hmap_node *n)
{
	size_t i = n->hash & m->mask;
	while (m->slots[i].node != n)
		i = (i + 1) & m->mask;
	/* Shift the run after the hole back: a node moves into the hole unless
	 * its home slot lies cyclically in (hole, its slot], where a lookup
	 * reaches it without passing the hole. */
	for (size_t j = i;;) {
		m->slots[i] = (struct hmap_slot){ 0 };
		for (;;) {
			j = (j + 1) & m->mask;
			if (!m->slots[j].node) {
				m->n--;
				return;
			}
			size_t home = m->slots[j].hash & m->mask;
			bool reachable = i <= j ? (i < home && home <= j) : (i < home || home <= j);
			if (!reachable)
				break;
		}
		m->slots[i] = m->slots[j];
		i = j;
	}
}

void hmap_clear(struct hmap *m)
{
	memset(m->slots, 0, (m->mask + 1) * sizeof(*m->slots));
	m->n = 0;
}

struct hmap_node *hmap_next(const struct hmap *m, size_t *pos)
{
	for (; *pos <= m->mask; (*pos)++)
		if (m->slots[*pos].node)
			return m->slots[(*pos)++].node;
	return NULL;
}
