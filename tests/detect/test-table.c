/* Capped tables: eviction counters, and a flood of distinct addresses that
 * must not grow memory (2 million addresses through a 1024-entry table). */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detect/sets.h"
#include "detect/table.h"
#include "helpers.h"

static struct event flood_event(uint32_t i, char *user, size_t ulen)
{
	struct event ev;
	event_init(&ev);
	ev.kind = EV_INVALID_USER;
	ev.time_us = (T0 + i / 1000) * INT64_C(1000000);
	ev.host = SV_LIT("web1");
	ev.program = SV_LIT("sshd");
	snprintf(user, ulen, "u%u", i % 50000);
	ev.user = sv_cstr(user);
	if (i & 1) {
		ev.source.family = ADDR_V4;
		ev.source.bytes[0] = 10;
		ev.source.bytes[1] = (uint8_t)(i >> 16);
		ev.source.bytes[2] = (uint8_t)(i >> 8);
		ev.source.bytes[3] = (uint8_t)i;
	} else {
		ev.source.family = ADDR_V6;
		ev.source.bytes[0] = 0x20;
		ev.source.bytes[1] = 0x01;
		ev.source.bytes[2] = 0x0d;
		ev.source.bytes[3] = 0xb8;
		memcpy(ev.source.bytes + 12, &i, 4);
	}
	ev.port = 1000;
	ev.origin.file = "flood.log";
	ev.origin.line = i + 1;
	return ev;
}

static void test_eviction_counter(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect_stats st;
	static char addrs[100][24], users[100][16];
	struct detect *d = tdetect("limits: {max_sources: 16, max_accounts: 16}\n", &c, &cfg, NULL);

	/* an attacker that crossed the threshold, then 100 others push it out */
	for (int i = 0; i < 12; i++)
		feed(d, tev(EV_AUTH_FAILURE, i, "root", "203.0.113.1", 1000));
	for (int i = 0; i < 100; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "192.0.2.%d", i + 1);
		snprintf(users[i], sizeof(users[i]), "user%d", i);
		feed(d, tev(EV_AUTH_FAILURE, 20 + i, users[i], addrs[i], 1000));
	}
	/* the evicted attacker was reported, not lost */
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, NULL), 1);
	detect_get_stats(d, &st);
	assert_int_equal(st.tracked_sources, 16);
	assert_int_equal(st.tracked_users, 16);
	/* sources: 101 - 16 evicted; accounts: root + 100 users - 16 */
	assert_int_equal(st.evictions, (101 - 16) + (101 - 16));
	assert_int_equal(st.events, 112);
	detect_finish(d);
	tdone(d, cfg, &c);
}

static void test_flood_is_bounded(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect_stats st;
	char user[16];
	const uint32_t N = 2000000, cap = 1024;
	struct detect *d = tdetect("limits: {max_sources: 1024, max_accounts: 1024, max_baselines: 64}\n", &c, &cfg, NULL);
	struct mallinfo2 before, after;
	struct timespec t0, t1;

	/* warm up to the cap, then measure the heap across the rest */
	for (uint32_t i = 0; i < 4 * cap; i++) {
		struct event ev = flood_event(i, user, sizeof(user));
		tfeed(d, &ev);
	}
	before = mallinfo2();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 4 * cap; i < N; i++) {
		struct event ev = flood_event(i, user, sizeof(user));
		tfeed(d, &ev);
		if ((i & 0xffff) == 0) {
			detect_get_stats(d, &st);
			assert_true(st.tracked_sources <= cap);
			assert_true(st.tracked_users <= cap);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = mallinfo2();
	detect_get_stats(d, &st);
	assert_int_equal(st.tracked_sources, cap);
	assert_int_equal(st.tracked_users, cap);
	/* every address beyond the cap pushed one out; user names repeat every 50000 */
	assert_true(st.evictions >= (uint64_t)(N - cap));
	/* the heap did not grow with the flood (allow 1 MB of slack) */
	assert_true(after.uordblks < before.uordblks + (1u << 20));
	fprintf(stderr, "# %u events, %.0f ns/event, heap %zu -> %zu bytes, %llu evictions\n", N - 4 * cap,
		((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (N - 4 * cap),
		before.uordblks, after.uordblks, (unsigned long long)st.evictions);
	detect_finish(d);
	assert_int_equal(c.n, 0); /* one invalid-user line per address is no attack */
	tdone(d, cfg, &c);
}

/* Bounded sets: find, the stalest replaced only once out of the window,
 * the live count equal to a full scan at every step, zeroed items. */
static void test_sset(void **state)
{
	(void)state;
	struct sset s = { 0 };
	bool fresh;
	uint32_t prev, sum;
	struct sitem *it;
	uint64_t rnd = 88172645463325252ULL;

	/* 8 keys at t = 100..107, cap 8, window 10 s */
	for (uint32_t k = 0; k < 8; k++) {
		it = sset_touch(&s, 1000 + k, 100 + k, 10, 8, 2, &fresh, &prev);
		assert_non_null(it);
		assert_true(fresh);
		assert_int_equal(it->count, 2);
	}
	assert_int_equal(s.n, 8);
	assert_int_equal(sset_live(&s, 107, 10), 8);
	/* full of fresh keys: a new one overflows */
	assert_null(sset_touch(&s, 2000, 108, 10, 8, 1, &fresh, &prev));
	assert_int_equal(s.overflow, 1);
	/* key 1000 again: not fresh, count grows, now the newest */
	it = sset_touch(&s, 1000, 109, 10, 8, 1, &fresh, &prev);
	assert_false(fresh);
	assert_int_equal(prev, 100);
	assert_int_equal(it->count, 3);
	/* at 112, 1001 (seen at 101) left the window and is the stalest: replaced */
	it = sset_touch(&s, 2000, 112, 10, 8, 1, &fresh, &prev);
	assert_non_null(it);
	assert_null(sset_find(&s, 1001));
	assert_non_null(sset_find(&s, 2000));
	assert_int_equal(sset_live(&s, 112, 10), sset_active(&s, 102, 0, NULL));
	/* zeroed items do not count */
	sset_zero(&s, sset_find(&s, 1000));
	assert_int_equal(sset_live(&s, 112, 10), sset_active(&s, 102, 0, &sum));
	assert_int_equal(sset_active(&s, 0, 2000, NULL), 6);
	sset_done(&s);

	/* random touches: the live count always equals the scan */
	uint32_t now = 1000;
	for (int i = 0; i < 200000; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		now += (uint32_t)(rnd % 3);
		it = sset_touch(&s, rnd % 97, now, 30, 64, 1, &fresh, &prev);
		if (it && rnd % 11 == 0)
			sset_zero(&s, it);
		assert_int_equal(sset_live(&s, now, 30), sset_active(&s, now - 30, 0, NULL));
		assert_true(s.n <= 64);
	}
	sset_done(&s);
}

/* A plain model of a bounded set: the stalest item is the one touched
 * longest ago (a touch counter, not a list). */
struct mitem {
	uint32_t key, count, last_s;
	uint64_t touched;
};
struct mset {
	struct mitem v[64];
	uint32_t n, overflow;
	uint64_t clock;
};

static struct mitem *mset_touch(struct mset *m, uint32_t key, uint32_t now_s, uint32_t stale_s, uint32_t cap,
				uint32_t n, bool *ret_new, uint32_t *ret_prev_s)
{
	struct mitem *it = NULL;
	*ret_prev_s = 0;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->v[i].key == key)
			it = &m->v[i];
	if (it) {
		*ret_prev_s = it->last_s;
		*ret_new = now_s > it->last_s && now_s - it->last_s > stale_s;
		if (*ret_new)
			it->count = 0;
		it->count += n;
		it->last_s = now_s;
		it->touched = ++m->clock;
		return it;
	}
	*ret_new = true;
	if (m->n < cap) {
		it = &m->v[m->n++];
	} else {
		it = &m->v[0];
		for (uint32_t i = 1; i < m->n; i++)
			if (m->v[i].touched < it->touched)
				it = &m->v[i];
		if (!(now_s > it->last_s && now_s - it->last_s > stale_s)) {
			m->overflow++;
			return NULL;
		}
	}
	*it = (struct mitem){ key, n, now_s, ++m->clock };
	return it;
}

/* The set against the model over random touches, zeroings and windows:
 * the same answers, the same items kept (so the same one replaced when
 * full), the same active counts and sums. */
static void test_sset_model(void **state)
{
	static const struct {
		uint32_t keys, cap, stale, step;
	} runs[] = { { 40, 16, 20, 3 }, { 400, 64, 30, 2 }, { 20, 16, 5, 4 }, { 3, 2, 1, 2 }, { 1000, 1, 3, 3 } };
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	(void)state;
	for (size_t r = 0; r < ELEMENTSOF(runs); r++) {
		struct sset s = { 0 };
		struct mset m = { .n = 0 };
		uint32_t now = 1000, replaced = 0, overflowed = 0;
		for (int i = 0; i < 100000; i++) {
			bool fa, fb;
			uint32_t pa, pb, sum_a, sum_b, na, nb;
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			now += (uint32_t)(rnd % runs[r].step);
			uint32_t key = key32(1 + rnd % runs[r].keys), cnt = 1 + (uint32_t)(rnd >> 40) % 3;
			uint32_t was_n = s.n;
			struct sitem *a = sset_touch(&s, key, now, runs[r].stale, runs[r].cap, cnt, &fa, &pa);
			struct mitem *b = mset_touch(&m, key, now, runs[r].stale, runs[r].cap, cnt, &fb, &pb);
			assert_int_equal(a != NULL, b != NULL);
			assert_int_equal(fa, fb);
			assert_int_equal(pa, pb);
			assert_int_equal(s.overflow, m.overflow);
			if (a) {
				assert_int_equal(a->count, b->count);
				assert_int_equal(a->last_s, b->last_s);
				replaced += was_n == runs[r].cap && fa && pa == 0;
				if ((rnd >> 20) % 13 == 0) {
					sset_zero(&s, a);
					b->count = 0;
				}
			} else {
				overflowed++;
			}
			assert_int_equal(s.n, m.n);
			for (uint32_t j = 0; j < m.n; j++) {
				struct sitem *f = sset_find(&s, m.v[j].key);
				assert_non_null(f);
				assert_int_equal(f->count, m.v[j].count);
				assert_int_equal(f->last_s, m.v[j].last_s);
			}
			uint32_t since = now - MIN(now, (uint32_t)(rnd >> 32) % (2 * runs[r].stale + 1));
			uint32_t skip = (rnd >> 8) % 4 == 0 ? key : 0;
			na = sset_active(&s, since, skip ? 1 + rnd % runs[r].keys : 0, &sum_a);
			nb = sum_b = 0;
			for (uint32_t j = 0; j < m.n; j++)
				if (m.v[j].last_s >= since && m.v[j].count && m.v[j].key != skip) {
					nb++;
					sum_b += m.v[j].count;
				}
			assert_int_equal(na, nb);
			assert_int_equal(sum_a, sum_b);
		}
		print_message("sset model %zu: %u replaced when full, %u overflowed\n", r, replaced, overflowed);
		assert_true(replaced > 100 || runs[r].keys <= runs[r].cap);
		sset_done(&s);
	}
}

/* The recency queue against a model: after many touches (the queue is
 * squeezed and grows several times) the walk, eviction and expiry follow
 * the exact least-recently-seen order. */
static uint64_t dropped[64];
static size_t n_dropped;

static void record_drop(void *ud, struct tnode *n, enum tdrop why)
{
	(void)ud;
	(void)why;
	dropped[n_dropped++] = n->hash;
}

static unsigned wrap_drops;

static void count_drop(void *ud, struct tnode *n, enum tdrop why)
{
	(void)ud;
	(void)n;
	(void)why;
	wrap_drops++;
}

/* The recency queue is a ring: once its head has moved on, a squeeze in
 * place wraps around it. Every entry must keep its record through that, or
 * it would never expire (nor be dropped: what it holds would be lost). */
static void test_queue_wraps(void **state)
{
	struct table t;
	struct tnode *n[16];
	uint64_t ev = 0, x = 12345;
	(void)state;

	wrap_drops = 0;
	assert_int_equal(table_init(&t, 16, sizeof(struct tnode) + 8, &ev, count_drop, NULL), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_non_null(n[i] = table_insert(&t, hash_mix(i + 1), 1000));
	for (int64_t now = 2000; now < 2000 + 20000; now++) {
		/* some entries touched often, others rarely: live records end
		 * up on both sides of the ring's end; the expiry walk skips the
		 * stale records at the head, so the head moves on */
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned i = (unsigned)(x >> 33) % 64;
		table_touch(&t, n[i < 48 ? i % 4 : i % 16], now);
		table_expire(&t, 0);
		assert_int_equal(t.n, 16);
	}
	/* the least recently seen first, each once */
	uint64_t pos = 0;
	unsigned seen = 0;
	for (struct tnode *y; (y = table_next_oldest(&t, &pos));)
		seen++;
	assert_int_equal(seen, 16);
	table_expire(&t, INT64_MAX);
	assert_int_equal(t.n, 0);
	assert_int_equal(wrap_drops, 16);
	assert_int_equal(ev, 0);
	table_done(&t);
}

/* When every entry expires, table_expire drains the table in one pass: it
 * drops what taking the entries out one at a time drops, in the same order
 * (the order alerts come out at the end of a scan), and leaves an empty
 * table that works as before: nothing is found, new entries are. */
#define DRAIN_N 5000
static uint64_t drain_order[2][2 * DRAIN_N];
static size_t drain_n[2];
static bool drain_ending; /* evicted (forced) until then, expired after */

static void drain_drop(void *ud, struct tnode *n, enum tdrop why)
{
	size_t w = *(const size_t *)ud;
	assert_int_equal(why == TDROP_EVICTED, !drain_ending);
	assert_true(drain_n[w] < 2 * DRAIN_N);
	drain_order[w][drain_n[w]++] = n->hash;
}

static bool hash_is(const struct tnode *n, const void *key)
{
	return n->hash == *(const uint64_t *)key;
}

static void test_drain(void **state)
{
	static const size_t which[2] = { 0, 1 };
	struct table t[2];
	static struct tnode *n[2][DRAIN_N];
	uint64_t ev[2] = { 0, 0 }, x;
	(void)state;

	drain_n[0] = drain_n[1] = 0;
	drain_ending = false;
	for (size_t w = 0; w < 2; w++) {
		assert_int_equal(table_init(&t[w], 4096, sizeof(struct tnode) + 40, &ev[w], drain_drop,
					    (void *)&which[w]), 0);
		x = 777; /* the same inserts and touches in both */
		for (unsigned i = 0; i < DRAIN_N; i++) {
			int64_t now = 1000 + i;
			/* inserts past the cap (evictions), touches that leave
			 * stale records behind (squeezes, growth, a wrapped ring) */
			n[w][i] = table_insert(&t[w], hash_mix(i + 1), now);
			assert_non_null(n[w][i]);
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			/* one of the last 1,000 inserted: fewer than 2,000
			 * entries (those inserted or touched since) are newer,
			 * so it is still in the table */
			unsigned j = i - (unsigned)(x >> 33) % (i < 1000 ? i + 1 : 1000);
			table_touch(&t[w], n[w][j], now);
		}
	}
	assert_int_equal(ev[0], DRAIN_N - 4096);
	/* the evictions already dropped the same entries in both */
	size_t before = drain_n[0];
	assert_int_equal(drain_n[1], before);
	assert_int_equal(t[1].n, 4096);

	drain_ending = true;
	/* t[0]: one entry at a time, oldest first */
	static struct tnode *oldest[DRAIN_N];
	size_t k = 0;
	uint64_t pos = 0;
	for (struct tnode *y; (y = table_next_oldest(&t[0], &pos));)
		oldest[k++] = y;
	assert_int_equal(k, 4096);
	for (size_t i = 0; i < k; i++)
		table_remove(&t[0], oldest[i]);
	/* t[1]: all expire at once (the drain) */
	table_expire(&t[1], INT64_MAX);
	assert_int_equal(drain_n[0], before + 4096);
	assert_int_equal(drain_n[1], drain_n[0]);
	assert_memory_equal(drain_order[0], drain_order[1], drain_n[0] * sizeof(drain_order[0][0]));

	/* empty and usable: no slot or live record left behind */
	assert_int_equal(t[1].n, 0);
	for (size_t i = 0; i <= t[1].mask; i++)
		assert_null(t[1].slots[i].n);
	for (size_t i = 0; i < (t[1].qmask + 1) / 64; i++)
		assert_int_equal(t[1].qlive[i], 0);
	for (unsigned i = 0; i < DRAIN_N; i++) {
		uint64_t h = hash_mix(i + 1);
		assert_null(table_find(&t[1], h, hash_is, &h));
	}
	for (unsigned i = 0; i < 100; i++)
		assert_non_null(table_insert(&t[1], hash_mix(100000 + i), 100000 + i));
	for (unsigned i = 0; i < 100; i++) {
		uint64_t h = hash_mix(100000 + i);
		assert_non_null(table_find(&t[1], h, hash_is, &h));
	}
	assert_int_equal(t[1].n, 100);
	table_expire(&t[1], 100000 + 50);
	assert_int_equal(t[1].n, 50);
	assert_int_equal(drain_n[1], before + 4096 + 50);
	/* 20 left among 8,192 slots: the end takes them out one at a time */
	assert_int_equal(t[1].mask + 1, 8192);
	table_expire(&t[1], 100000 + 80);
	assert_int_equal(t[1].n, 20);
	table_done(&t[0]);
	table_done(&t[1]);
	assert_int_equal(drain_n[1], before + 4096 + 100);
}

/* A source's user names: new, known, stale, and the live count. */
/* Whether the set holds key. */
static bool has(const struct nameset *s, uint64_t key)
{
	for (uint32_t i = 0; i < s->n; i++)
		if ((i < NSET_INLINE ? s->in[i].key : s->more[i - NSET_INLINE].key) == key32(key))
			return true;
	return false;
}

static void test_nameset(void **state)
{
	struct nameset s = { 0 };
	bool fresh;
	uint32_t prev, live;
	(void)state;

	assert_true(nset_touch(&s, 111, 1000, 3600, 64, 1, &fresh, &prev, &live));
	assert_true(fresh);
	assert_int_equal(prev, 0);
	assert_int_equal(live, 1);
	/* the same name within the window: known, tried at 1000 */
	assert_true(nset_touch(&s, 111, 2000, 3600, 64, 1, &fresh, &prev, &live));
	assert_false(fresh);
	assert_int_equal(prev, 1000);
	assert_int_equal(live, 1);
	assert_true(nset_touch(&s, 222, 3000, 3600, 64, 1, &fresh, &prev, &live));
	assert_true(fresh);
	assert_int_equal(live, 2);
	/* 111 was last tried at 2000: at 5601 it is 3601 s old, out of the window */
	assert_true(nset_touch(&s, 333, 5601, 3600, 64, 1, &fresh, &prev, &live));
	assert_int_equal(live, 2); /* 222 (3000) and 333 */
	assert_true(nset_touch(&s, 111, 5601, 3600, 64, 1, &fresh, &prev, &live));
	assert_true(fresh); /* stale: counts as new again */
	assert_int_equal(prev, 2000);
	assert_int_equal(live, 3);
	assert_int_equal(s.n, 3);
	assert_true(has(&s, 222));
	assert_false(has(&s, 444));

	/* past the inline items, onto the heap, and back to empty */
	for (uint64_t k = 1; k <= 40; k++)
		assert_true(nset_touch(&s, k * 7919, 6000, 3600, 64, 1, &fresh, &prev, &live));
	assert_int_equal(s.n, 43);
	assert_int_equal(live, 43);
	for (uint64_t k = 1; k <= 40; k++)
		assert_true(has(&s, k * 7919));
	assert_true(nset_touch(&s, 20 * 7919, 6001, 3600, 64, 1, &fresh, &prev, &live));
	assert_false(fresh);
	assert_int_equal(prev, 6000);
	nset_clear(&s);
	assert_int_equal(s.n, 0);
	assert_false(has(&s, 7919));
	nset_done(&s);
}

/* Full of names tried within the window: a new one is counted, not kept;
 * once one is out of the window, a new one takes its place. */
static void test_nameset_full(void **state)
{
	struct nameset s = { 0 };
	bool fresh;
	uint32_t prev, live;
	(void)state;

	for (uint64_t k = 1; k <= 20; k++)
		assert_true(nset_touch(&s, k, k == 1 ? 100 : 1000, 3600, 20, 1, &fresh, &prev, &live));
	assert_false(nset_touch(&s, 99, 1500, 3600, 20, 1, &fresh, &prev, &live));
	assert_true(fresh);
	assert_int_equal(s.overflow, 1);
	assert_false(has(&s, 99));
	/* at 3701, key 1 (tried at 100) left the window: 99 replaces it */
	assert_int_equal(s.replaced_s, 0);
	assert_true(nset_touch(&s, 99, 3701, 3600, 20, 1, &fresh, &prev, &live));
	assert_true(fresh);
	assert_int_equal(s.replaced_s, 100); /* key 1's last try went */
	assert_int_equal(live, 20);
	assert_int_equal(s.n, 20);
	assert_true(has(&s, 99));
	assert_false(has(&s, 1));
	assert_int_equal(s.overflow, 1);
	nset_done(&s);
}

static void test_recency_queue(void **state)
{
	(void)state;
	struct table t;
	uint64_t evictions = 0, model[16], pos = 0, x = 12345;
	struct tnode *nodes[16];
	int64_t now = 1;

	assert_int_equal(table_init(&t, 16, sizeof(struct tnode), &evictions, record_drop, NULL), 0);
	for (uint64_t i = 0; i < 16; i++) {
		nodes[i] = table_insert(&t, i + 1, now++);
		assert_non_null(nodes[i]);
		model[i] = i + 1; /* model[0]: the least recently seen */
	}
	for (int k = 0; k < 5000; k++) {
		/* touch a pseudo-random entry, skewed to a few hot ones */
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned j = (unsigned)(x >> 33) % ((x >> 20) & 1 ? 3 : 16);
		table_touch(&t, nodes[j], now++);
		size_t m = 0;
		while (model[m] != j + 1)
			m++;
		memmove(&model[m], &model[m + 1], (15 - m) * sizeof(model[0]));
		model[15] = j + 1;
	}
	for (size_t i = 0; i < 16; i++) {
		struct tnode *n = table_next_oldest(&t, &pos);
		assert_non_null(n);
		assert_int_equal(n->hash, model[i]);
	}
	assert_null(table_next_oldest(&t, &pos));
	/* a new key pushes out the least recently seen */
	assert_non_null(table_insert(&t, 100, now++));
	assert_int_equal(evictions, 1);
	assert_int_equal(n_dropped, 1);
	assert_int_equal(dropped[0], model[0]);
	/* expiry: oldest first, up to the cut */
	int64_t cut = nodes[model[8] - 1]->seen_us;
	table_expire(&t, cut);
	assert_int_equal(n_dropped, 8);
	for (size_t i = 1; i < 8; i++)
		assert_int_equal(dropped[i], model[i]);
	assert_int_equal(t.n, 9);
	table_done(&t);
	assert_int_equal(n_dropped, 17);
	assert_int_equal(dropped[16], 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eviction_counter),
		cmocka_unit_test(test_flood_is_bounded),
		cmocka_unit_test(test_sset),
		cmocka_unit_test(test_sset_model),
		cmocka_unit_test(test_recency_queue),
		cmocka_unit_test(test_queue_wraps),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_nameset),
		cmocka_unit_test(test_nameset_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
