/* Capped tables: eviction counters, and a flood of distinct addresses that
 * must not grow memory (2 million addresses through a 1024-entry table). */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
		detect_feed(d, &ev);
	}
	before = mallinfo2();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 4 * cap; i < N; i++) {
		struct event ev = flood_event(i, user, sizeof(user));
		detect_feed(d, &ev);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eviction_counter),
		cmocka_unit_test(test_flood_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
