/* detect/hosts: see hosts.h. */
#include "detect/hosts.h"

#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "core/list.h"
#include "core/memeq.h"

struct host {
	struct hmap_node node;
	uint16_t id;
	size_t len;
	char name[]; /* NUL-terminated */
};

struct hosts {
	struct hmap map;
	struct host **by_id; /* [0] unused: id 0 is "" */
	uint32_t n, max;
	struct host *last; /* logs come from few hosts: the last answer is usually right */
};

static bool host_eq(const struct hmap_node *n, const void *key)
{
	const struct host *h = container_of(n, struct host, node);
	const struct sv *k = key;
	return h->len == k->n && mem_eq(h->name, k->p, k->n);
}

struct hosts *hosts_new(uint32_t max, uint64_t seed)
{
	struct hosts *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->max = max;
	h->by_id = calloc((size_t)max + 1, sizeof(*h->by_id));
	if (!h->by_id || hmap_init(&h->map, seed) < 0) {
		free(h->by_id);
		free(h);
		return NULL;
	}
	return h;
}

struct hosts *hosts_free(struct hosts *h)
{
	if (!h)
		return NULL;
	for (uint32_t i = 1; i <= h->n; i++)
		free(h->by_id[i]);
	free(h->by_id);
	hmap_done(&h->map);
	free(h);
	return NULL;
}

uint16_t hosts_id(struct hosts *h, struct sv name)
{
	if (name.n == 0)
		return 0;
	if (h->last && host_eq(&h->last->node, &name))
		return h->last->id;
	uint64_t hash = hmap_hash(&h->map, name.p, name.n);
	struct hmap_node *n = hmap_find(&h->map, hash, host_eq, &name);
	if (n) {
		h->last = container_of(n, struct host, node);
		return h->last->id;
	}
	if (h->n >= h->max || memchr(name.p, '\0', name.n))
		return 0;
	struct host *e = malloc(sizeof(*e) + name.n + 1);
	if (!e)
		return 0;
	memcpy(e->name, name.p, name.n);
	e->name[name.n] = '\0';
	e->len = name.n;
	e->id = (uint16_t)(h->n + 1);
	if (hmap_add(&h->map, &e->node, hash) < 0) {
		free(e);
		return 0;
	}
	h->by_id[++h->n] = e;
	h->last = e;
	return e->id;
}

const char *hosts_name(const struct hosts *h, uint16_t id)
{
	return id >= 1 && id <= h->n ? h->by_id[id]->name : "";
}
