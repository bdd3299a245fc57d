/* cmap: a model test against a plain LRU (every entry stamped with a touch
 * counter, the least recently touched found by a full scan) over random
 * finds, touches, adds, removals and expiries: the same entries, the same
 * evictions and expiries in the same order, the same walk; recycled
 * entries come back zeroed; a flood of keys stays within the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmap.h"
#include "core/list.h"

#define KEYS 400

struct ent {
	struct cmap_node node;
	uint32_t key;
	uint32_t payload[13];
};

/* the model */
static struct {
	bool in;
	uint64_t stamp; /* touch order */
	int64_t seen;
} model[KEYS];
static uint64_t stamp;

/* what the drop callback saw, and what the model expects */
struct drop {
	uint32_t key;
	enum cmap_why why;
};
static struct drop got[KEYS * 2], want[KEYS * 2];
static size_t n_got, n_want;

static bool ent_eq(const struct hmap_node *n, const void *key)
{
	return container_of(n, struct ent, node.h)->key == *(const uint32_t *)key;
}

static void on_drop(void *ud, struct cmap_node *n, enum cmap_why why)
{
	struct cmap *m = ud;
	struct ent *e = container_of(n, struct ent, node);
	/* out of the map already */
	assert_null(cmap_find(m, hmap_hash(&m->map, &e->key, 4), ent_eq, &e->key));
	assert_true(n_got < sizeof(got) / sizeof(got[0]));
	got[n_got++] = (struct drop){ e->key, why };
	memset(e->payload, 0xee, sizeof(e->payload));
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static size_t model_size(void)
{
	size_t n = 0;
	for (int k = 0; k < KEYS; k++)
		n += model[k].in;
	return n;
}

/* The present key touched least recently (-1: none). */
static int model_oldest(void)
{
	int best = -1;
	for (int k = 0; k < KEYS; k++)
		if (model[k].in && (best < 0 || model[k].stamp < model[best].stamp))
			best = k;
	return best;
}

static void model_drop(int k, enum cmap_why why)
{
	model[k].in = false;
	want[n_want++] = (struct drop){ (uint32_t)k, why };
}

static void check_drops(void)
{
	assert_int_equal(n_got, n_want);
	for (size_t i = 0; i < n_got; i++) {
		assert_int_equal(got[i].key, want[i].key);
		assert_int_equal(got[i].why, want[i].why);
	}
	n_got = n_want = 0;
}

static void run(size_t cap, unsigned ops, uint32_t keys)
{
	struct cmap m;
	int64_t now = 1000;
	uint64_t evictions = 0;

	memset(model, 0, sizeof(model));
	n_got = n_want = 0;
	assert_int_equal(cmap_init(&m, 42, cap, sizeof(struct ent), on_drop, &m), 0);
	for (unsigned op = 0; op < ops; op++) {
		uint32_t k = (uint32_t)(rnd() % keys);
		uint64_t h = hmap_hash(&m.map, &k, 4);
		unsigned what = (unsigned)(rnd() % 100);
		now += (int64_t)(rnd() % 4); /* often the same time: ties broken by touch order */
		struct cmap_node *n = cmap_find(&m, h, ent_eq, &k);
		assert_true((n != NULL) == model[k].in);
		if (what < 60) { /* touch or add */
			if (n) {
				cmap_touch(&m, n, now);
			} else {
				if (model_size() >= cap) {
					model_drop(model_oldest(), CMAP_EVICTED);
					evictions++;
				}
				n = cmap_add(&m, h, now);
				assert_non_null(n);
				struct ent *e = container_of(n, struct ent, node);
				for (size_t i = 0; i < sizeof(e->payload) / sizeof(e->payload[0]); i++)
					assert_int_equal(e->payload[i], 0);
				e->key = k;
				model[k].in = true;
			}
			model[k].stamp = ++stamp;
			model[k].seen = now;
		} else if (what < 70) {
			if (n) {
				cmap_remove(&m, n);
				model_drop((int)k, CMAP_REMOVED);
			}
		} else if (what < 75) {
			int64_t before = now - (int64_t)(rnd() % 200);
			for (int o; (o = model_oldest()) >= 0 && model[o].seen < before;)
				model_drop(o, CMAP_EXPIRED);
			cmap_expire(&m, before);
		}
		check_drops();
		assert_int_equal(cmap_size(&m), model_size());
		assert_true(cmap_size(&m) <= cap);
		assert_int_equal(cmap_evictions(&m), evictions);
		int o = model_oldest();
		assert_true(cmap_oldest(&m) == (o < 0 ? INT64_MAX : model[o].seen));
		struct cmap_node *lru = cmap_lru(&m);
		if (o < 0)
			assert_null(lru);
		else
			assert_int_equal(container_of(lru, struct ent, node)->key, o);
		if (op % 251 == 0) {
			/* the walk: least recently touched first */
			uint64_t pos = 0, last = 0;
			size_t seen = 0;
			for (struct cmap_node *w; (w = cmap_next_oldest(&m, &pos));) {
				uint32_t key = container_of(w, struct ent, node)->key;
				assert_true(model[key].in);
				assert_true(model[key].stamp > last);
				last = model[key].stamp;
				seen++;
			}
			assert_int_equal(seen, model_size());
		}
	}
	/* cmap_done drops what is left, oldest first */
	for (int o; (o = model_oldest()) >= 0;)
		model_drop(o, CMAP_EXPIRED);
	cmap_done(&m);
	check_drops();
}

static void test_model(void **state)
{
	(void)state;
	run(64, 300000, KEYS); /* full most of the time: evictions */
	run(KEYS, 200000, KEYS); /* never full: the queue grows and squeezes */
	run(1, 20000, 5);
}

/* A flood of distinct keys through a small map: memory for cap entries,
 * every key beyond the cap evicts one. */
static void test_flood(void **state)
{
	(void)state;
	struct cmap m;
	const size_t cap = 1000;
	assert_int_equal(cmap_init(&m, 7, cap, sizeof(struct ent), NULL, NULL), 0);
	for (uint32_t k = 0; k < 500000; k++) {
		uint64_t h = hmap_hash(&m.map, &k, 4);
		struct cmap_node *n = cmap_add(&m, h, k / 100);
		assert_non_null(n);
		container_of(n, struct ent, node)->key = k;
	}
	assert_int_equal(cmap_size(&m), cap);
	assert_int_equal(cmap_evictions(&m), 500000 - cap);
	/* entries of a cache line or more start on one: 72 bytes take 128 */
	assert_true(m.mem.bytes <= cap * 128 + 64 * 1024);
	/* the last cap keys are the ones kept */
	for (uint32_t k = 500000 - cap; k < 500000; k++)
		assert_non_null(cmap_find(&m, hmap_hash(&m.map, &k, 4), ent_eq, &k));
	cmap_expire(&m, INT64_MAX);
	assert_int_equal(cmap_size(&m), 0);
	assert_int_equal(cmap_oldest(&m), INT64_MAX);
	cmap_done(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
