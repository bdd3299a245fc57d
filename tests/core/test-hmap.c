/* hmap: a model test against a plain array over random adds, deletes and
 * finds, with the real seeded hash and with hashes that collide on purpose
 * (every probe run and every backward shift of a deletion is exercised);
 * exact keys (equal hashes never merge two keys); the walk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "core/list.h"

#define KEYS 2000

struct elem {
	struct hmap_node node;
	uint32_t key;
	bool in;
};

static struct elem elems[KEYS];

static bool elem_eq(const struct hmap_node *n, const void *key)
{
	return container_of(n, struct elem, node)->key == *(const uint32_t *)key;
}

enum hashing { REAL, MOD7, ZERO };

static uint64_t hash_of(const struct hmap *m, uint32_t key, enum hashing how)
{
	switch (how) {
	case MOD7:
		return key % 7; /* long runs that wrap round the slots */
	case ZERO:
		return 0;
	default:
		return hmap_hash(m, &key, sizeof(key));
	}
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void model_run(enum hashing how, uint64_t seed, unsigned ops, uint32_t keys, uint32_t *found_out)
{
	struct hmap m;
	assert_int_equal(hmap_init(&m, seed), 0);
	memset(elems, 0, sizeof(elems));
	size_t n = 0;
	for (uint32_t i = 0; i < keys; i++)
		elems[i].key = i;
	for (unsigned op = 0; op < ops; op++) {
		uint32_t k = (uint32_t)(rnd() % keys);
		uint64_t h = hash_of(&m, k, how);
		struct hmap_node *f = hmap_find(&m, h, elem_eq, &k);
		if (found_out)
			found_out[op] = f != NULL;
		assert_true((f != NULL) == elems[k].in);
		if (f)
			assert_ptr_equal(f, &elems[k].node);
		if (rnd() % 3 == 0) {
			if (elems[k].in) {
				hmap_del(&m, &elems[k].node);
				elems[k].in = false;
				n--;
			} else {
				assert_int_equal(hmap_add(&m, &elems[k].node, h), 0);
				elems[k].in = true;
				n++;
			}
		}
		assert_int_equal(hmap_size(&m), n);
		if (op % 997 == 0) {
			/* every key answers right, and the walk sees each present one once */
			size_t pos = 0, seen = 0;
			for (struct hmap_node *w; (w = hmap_next(&m, &pos));) {
				assert_true(container_of(w, struct elem, node)->in);
				seen++;
			}
			assert_int_equal(seen, n);
			for (uint32_t j = 0; j < keys; j++) {
				uint64_t hj = hash_of(&m, j, how);
				assert_true((hmap_find(&m, hj, elem_eq, &j) != NULL) == elems[j].in);
			}
		}
	}
	hmap_clear(&m);
	assert_int_equal(hmap_size(&m), 0);
	for (uint32_t j = 0; j < keys; j++) {
		uint64_t hj = hash_of(&m, j, how);
		assert_null(hmap_find(&m, hj, elem_eq, &j));
	}
	hmap_done(&m);
}

static void test_model_real(void **state)
{
	(void)state;
	model_run(REAL, 12345, 200000, KEYS, NULL);
}

static void test_model_collisions(void **state)
{
	(void)state;
	model_run(MOD7, 1, 60000, 300, NULL);
	model_run(ZERO, 1, 20000, 100, NULL); /* one run holding every key */
}

/* Answers are a function of the keys alone: the same operations with two
 * seeds find the same keys. */
static void test_seed_free(void **state)
{
	(void)state;
	static uint32_t a[50000], b[50000];
	uint64_t s = rnd_state;
	model_run(REAL, 1, 50000, 500, a);
	rnd_state = s;
	model_run(REAL, 0xdeadbeefcafef00dULL, 50000, 500, b);
	assert_memory_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_real),
		cmocka_unit_test(test_model_collisions),
		cmocka_unit_test(test_seed_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
