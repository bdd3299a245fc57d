/* The alerts are a function of the input alone: never of the per-process
 * hash seed (each detector set draws its own), of the memory a line was
 * read into, or of which detector set judged it. Real logs, fed line by
 * line through one reused buffer (so that a view a detector kept without
 * copying would be overwritten), give the same alerts in the same order
 * from several detector sets, with the default tables and with tables so
 * small that entries are evicted all the time. Episodes that end at one
 * moment come out in the documented order (detect.h): by detector in
 * registry order, then in the order they went quiet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/macro.h"
#include "detect/ahead.h"
#include "helpers.h"
#include "parse/decoder.h"
#include "parse/header.h"
#include "report/output.h"

struct text {
	char *buf;
	size_t len;
	FILE *f;
	size_t n;
};

static void emit_text(void *ud, struct alert *a)
{
	struct text *t = ud;
	struct output_opts o = { .json = true };
	output_alert(t->f, &o, a);
	t->n++;
	alert_free(a);
}

/* The files' events, decoded and through one attempt stage, in order. The
 * attempt stage's connection cache picks a record's set by a seeded hash:
 * when a set is full of live connections, which one is pushed out (and so
 * whether a later line of it counts again) depends on the seed, so it runs
 * once here and the detector sets are compared on the same events. */
struct events {
	struct event *v;
	size_t n;
	char **lines;
	size_t n_lines;
};

static void load(const char *const *paths, struct events *out)
{
	struct detect_config *cfg = NULL;
	char *err = NULL;
	struct header_ctx *hdr = header_ctx_new("UTC");
	assert_non_null(hdr);
	assert_int_equal(detect_config_load(NULL, &cfg, &err), 0);
	struct attempts *att = attempts_new(cfg);
	assert_non_null(att);
	*out = (struct events){ 0 };
	for (size_t i = 0; paths[i]; i++) {
		FILE *f = fopen(paths[i], "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		uint64_t no = 0;
		if (!f) {
			fprintf(stderr, "cannot open %s\n", paths[i]);
			fail();
		}
		header_ctx_set_mtime(hdr, T0 + 300 * DAY_S);
		while ((n = getline(&line, &cap, f)) > 0) {
			struct syslog_header h;
			struct event ev;
			no++;
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			event_init(&ev);
			if (header_parse(hdr, line, (size_t)n, &h) <= 0 || decode(&h, &ev) <= 0)
				continue;
			ev.origin.file = paths[i];
			ev.origin.line = no;
			attempts_apply(att, &ev);
			out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
			out->lines = realloc(out->lines, (out->n_lines + 1) * sizeof(*out->lines));
			assert_non_null(out->v);
			assert_non_null(out->lines);
			out->v[out->n++] = ev;
			/* the line stays: the event's views point into it */
			out->lines[out->n_lines++] = line;
			line = NULL;
			cap = 0;
		}
		free(line);
		fclose(f);
	}
	attempts_free(att);
	detect_config_free(cfg);
	header_ctx_free(hdr);
}

static void unload(struct events *e)
{
	for (size_t i = 0; i < e->n_lines; i++)
		free(e->lines[i]);
	free(e->lines);
	free(e->v);
}

enum feed_way {
	FEED_EACH, /* detect_feed, one event at a time */
	FEED_MANY, /* detect_feed_many (the look-ahead), batches of 1 to 70 */
	FEED_PLAIN, /* detect_feed_plain, its plain version, the same batches */
};

/* All alerts of one detector set over the events, fed one way, as JSON
 * lines; *ret_n their number. */
static char *run_way(const struct events *e, const char *yaml, enum feed_way way, size_t *ret_n)
{
	struct detect_config *cfg = NULL;
	char *err = NULL;
	struct text t = { 0 };

	assert_int_equal(yaml ? detect_config_load_string(yaml, strlen(yaml), "test.yaml", &cfg, &err)
			      : detect_config_load(NULL, &cfg, &err),
			 0);
	t.f = open_memstream(&t.buf, &t.len);
	assert_non_null(t.f);
	struct detect *d = detect_new(cfg, NULL, (struct alert_sink){ emit_text, &t });
	assert_non_null(d);
	if (way == FEED_EACH) {
		for (size_t i = 0; i < e->n; i++)
			detect_feed(d, &e->v[i]);
	} else {
		const struct event **evs = malloc(e->n * sizeof(*evs));
		assert_non_null(evs);
		for (size_t i = 0; i < e->n; i++)
			evs[i] = &e->v[i];
		for (size_t i = 0, k = 1; i < e->n; i += k, k = k % 70 + 1) {
			size_t m = MIN(k, e->n - i);
			if (way == FEED_MANY)
				detect_feed_many(d, evs + i, m);
			else
				detect_feed_plain(d, evs + i, m);
		}
		free(evs);
	}
	assert_int_equal(detect_finish(d), 0);
	detect_free(d);
	detect_config_free(cfg);
	fclose(t.f);
	*ret_n = t.n;
	return t.buf;
}

static char *run(const struct events *e, const char *yaml, size_t *ret_n)
{
	return run_way(e, yaml, FEED_EACH, ret_n);
}

static const char small_tables[] =
	"limits: {max_sources: 16, max_accounts: 16, max_baselines: 16, max_hosts: 2, max_names_per_source: 4,"
	" max_sources_per_account: 4}\n"
	"password_spray: {min_users: 2, high_users: 4}\n"
	"distributed: {min_sources: 2, high_sources: 4}\n";

static void test_same_alerts(void **state)
{
	const char *root = getenv("MOAT_SOURCE_ROOT"), *shared = getenv("MOAT_SHARED_DATA");
	char sample[4096], real[4096], openssh[4096], linux_[4096];
	(void)state;

	assert_non_null(root);
	assert_non_null(shared);
	snprintf(sample, sizeof(sample), "%s/samples/auth.log", root);
	snprintf(real, sizeof(real), "%s/auth-real-cseanburns/auth.log", shared);
	snprintf(openssh, sizeof(openssh), "%s/loghub/OpenSSH_OpenSSH_2k.log", shared);
	snprintf(linux_, sizeof(linux_), "%s/loghub/Linux_Linux_2k.log", shared);
	/* in time order (RFC 3164 years from the same mtime): June, September,
	 * October to December 7, December 10 */
	const char *paths[] = { linux_, real, sample, openssh, NULL };
	const char *configs[] = { NULL, small_tables };
	struct events e;

	load(paths, &e);
	for (size_t c = 0; c < ELEMENTSOF(configs); c++) {
		size_t n0, n;
		char *a0 = run(&e, configs[c], &n0);
		assert_true(n0 > 10); /* the sample alone raises every kind */
		for (int k = 0; k < 4; k++) {
			char *a = run(&e, configs[c], &n);
			assert_int_equal(n, n0);
			assert_string_equal(a, a0);
			free(a);
		}
		free(a0);
	}
	unload(&e);
}

/* Real logs and a flood of 6,000 sources (far more than the small tables
 * hold: entries loaded ahead are pushed out before their turn): the
 * look-ahead of detect_feed_many, its plain version and detect_feed on
 * each event give the same alerts in the same order. */
static void test_feed_many_same(void **state)
{
	const char *root = getenv("MOAT_SOURCE_ROOT"), *shared = getenv("MOAT_SHARED_DATA");
	char sample[4096], real[4096];
	const char *configs[] = { NULL, small_tables };
	static char addrs[6000][24];
	static const char *users[] = { "root", "admin", "oracle", "test", "ubuntu", "git" };
	struct events e;
	(void)state;

	assert_non_null(root);
	assert_non_null(shared);
	snprintf(sample, sizeof(sample), "%s/samples/auth.log", root);
	snprintf(real, sizeof(real), "%s/auth-real-cseanburns/auth.log", shared);
	const char *paths[] = { real, sample, NULL };
	load(paths, &e);
	/* then the flood, after the logs' last time, through an attempt stage */
	{
		struct detect_config *cfg = NULL;
		char *err = NULL;
		int64_t t = e.v[e.n - 1].time_us;
		uint64_t x = 88172645463325252ull;
		assert_int_equal(detect_config_load(NULL, &cfg, &err), 0);
		struct attempts *att = attempts_new(cfg);
		assert_non_null(att);
		e.v = realloc(e.v, (e.n + 40000) * sizeof(*e.v));
		assert_non_null(e.v);
		for (size_t i = 0; i < ELEMENTSOF(addrs); i++)
			snprintf(addrs[i], sizeof(addrs[i]), "10.%zu.%zu.%zu", i / 62500, i / 250 % 250, i % 250 + 1);
		for (int i = 0; i < 40000; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			struct event ev = tev(i % 97 == 0 ? EV_AUTH_SUCCESS : EV_AUTH_FAILURE, 0, users[x % 6],
					      addrs[(x >> 8) % ELEMENTSOF(addrs)], (uint16_t)(1024 + i % 60000));
			t += (int64_t)(x >> 40) % 2000000;
			ev.time_us = t;
			ev.pid = 100000 + i;
			attempts_apply(att, &ev);
			e.v[e.n++] = ev;
		}
		attempts_free(att);
		detect_config_free(cfg);
	}
	for (size_t c = 0; c < ELEMENTSOF(configs); c++) {
		size_t n0, n1, n2;
		char *a0 = run_way(&e, configs[c], FEED_EACH, &n0);
		char *a1 = run_way(&e, configs[c], FEED_MANY, &n1);
		char *a2 = run_way(&e, configs[c], FEED_PLAIN, &n2);
		assert_true(n0 > 100);
		assert_int_equal(n1, n0);
		assert_int_equal(n2, n0);
		assert_string_equal(a1, a0);
		assert_string_equal(a2, a0);
		free(a0);
		free(a1);
		free(a2);
	}
	unload(&e);
}

/* Three bursts and a distributed attack all end at the end of input: the
 * brute forces first (the detector listed first), the one that went quiet
 * first before the other; then the distributed attack. */
static void test_order_at_finish(void **state)
{
	struct collect c;
	struct detect_config *cfg;
	struct detect *d = tdetect("slow_brute_force: {enabled: false}\n"
				   "distributed: {min_sources: 3}\n",
				   &c, &cfg, NULL);
	(void)state;

	/* 203.0.113.9 goes quiet at 40 s, 203.0.113.7 at 50 s; three other
	 * sources try "admin" once each */
	for (int i = 0; i < 12; i++) {
		q(tev(EV_AUTH_FAILURE, 10 + 3 * i, "root", "203.0.113.7", (uint16_t)(40000 + i)));
		q(tev(EV_AUTH_FAILURE, 5 + 3 * i, "root", "203.0.113.9", (uint16_t)(41000 + i)));
	}
	q(tev(EV_AUTH_FAILURE, 20, "admin", "198.51.100.1", 42001));
	q(tev(EV_AUTH_FAILURE, 21, "admin", "198.51.100.2", 42002));
	q(tev(EV_AUTH_FAILURE, 22, "admin", "198.51.100.3", 42003));
	qfeed(d);
	assert_int_equal(c.n, 0); /* nothing ended yet */
	assert_int_equal(detect_finish(d), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.v[0]->kind, AK_BRUTE_FORCE);
	assert_int_equal(c.v[1]->kind, AK_BRUTE_FORCE);
	char ab[ADDR_STRLEN];
	assert_string_equal(addr_format(&c.v[0]->source, ab), "203.0.113.9");
	assert_string_equal(addr_format(&c.v[1]->source, ab), "203.0.113.7");
	assert_int_equal(c.v[2]->kind, AK_DISTRIBUTED_ATTACK);
	tdone(d, cfg, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_alerts),
		cmocka_unit_test(test_feed_many_same),
		cmocka_unit_test(test_order_at_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
