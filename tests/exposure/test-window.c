/* Tests for exposure/window: dpkg.log history, rotation, fixed_at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../test-tmp.h"
#include "../test-tz.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/timeutil.h"
#include "exposure/window.h"

/* The crafted versions order the same under strverscmp(3) as under dpkg. */
static int vcmp(const char *a, const char *b)
{
	return strverscmp(a, b);
}

static int64_t utc(int y, unsigned mo, unsigned d, int hh, int mi, int ss)
{
	return time_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss;
}

static char *slurp(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	char tmp[4096];
	size_t k;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		fwrite(tmp, 1, k, m);
	fclose(f);
	fclose(m);
	*ret_n = n;
	return buf;
}

static void write_file(const char *path, const char *data, size_t n, bool gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		assert_non_null(g);
		if (n)
			assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
		assert_int_equal(gzclose(g), Z_OK);
		return;
	}
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static char *make_root(void)
{
	char *root = test_tmpdir("window");
	assert_non_null(root);
	char path[512];
	snprintf(path, sizeof(path), "%s/var", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/var/log", root);
	assert_int_equal(mkdir(path, 0755), 0);
	return root;
}

static void rm_root(char *root)
{
	test_rmtree(root);
	free(root);
}

/* Copies window-data/NAME into ROOT/var/log/AS (gzip-compressed when AS ends in .gz). */
static void install_log(const char *root, const char *name, const char *as)
{
	char src[1024], dst[1024];
	snprintf(src, sizeof(src), "%s/tests/exposure/window-data/%s", getenv("MOAT_SOURCE_ROOT"), name);
	snprintf(dst, sizeof(dst), "%s/var/log/%s", root, as);
	size_t n;
	char *data = slurp(src, &n);
	size_t l = strlen(as);
	write_file(dst, data, n, l > 3 && strcmp(as + l - 3, ".gz") == 0);
	free(data);
}

static struct dpkg_history *load_fixture(char **ret_root)
{
	char *root = make_root();
	install_log(root, "dpkg.log.3", "dpkg.log.3.gz");
	install_log(root, "dpkg.log.2", "dpkg.log.2.gz");
	install_log(root, "dpkg.log.1", "dpkg.log.1");
	install_log(root, "dpkg.log", "dpkg.log");
	struct dpkg_history *h = NULL;
	char *err = NULL;
	assert_int_equal(dpkg_history_load(root, &h, &err), 0);
	assert_null(err);
	assert_non_null(h);
	*ret_root = root;
	return h;
}

static void test_rotation_order(void **state)
{
	(void)state;
	char *root;
	struct dpkg_history *h = load_fixture(&root);
	const struct dpkg_change *c;
	size_t n = dpkg_history_of(h, "libssl3", &c);
	assert_int_equal(n, 5);
	/* oldest (.3.gz) first, current log last */
	assert_true(c[0].time_s == utc(2024, 1, 5, 9, 0, 0));
	assert_string_equal(c[0].old_version, "<none>");
	assert_string_equal(c[0].new_version, "3.0.11-1");
	assert_string_equal(c[0].arch, "amd64");
	assert_string_equal(c[0].package, "libssl3");
	assert_true(c[1].time_s == utc(2024, 2, 10, 10, 0, 0));
	assert_string_equal(c[1].new_version, "3.0.13-1");
	assert_true(c[2].time_s == utc(2024, 3, 1, 8, 0, 0));
	assert_string_equal(c[2].old_version, "3.0.13-1");
	assert_string_equal(c[2].new_version, "3.0.11-1");
	assert_true(c[3].time_s == utc(2024, 3, 20, 12, 30, 0));
	assert_string_equal(c[3].new_version, "3.0.14-1");
	/* a re-install is a change too (same version both sides) */
	assert_true(c[4].time_s == utc(2024, 4, 2, 7, 0, 0));
	assert_string_equal(c[4].old_version, "3.0.14-1");
	assert_string_equal(c[4].new_version, "3.0.14-1");
	for (size_t i = 1; i < n; i++)
		assert_true(c[i - 1].time_s <= c[i].time_s);

	assert_true(dpkg_history_start(h) == utc(2024, 1, 5, 9, 0, 0));
	/* "not from dpkg", Feb 31, a short upgrade, an unknown action, five fields,
	 * a non-ASCII name, shell characters in a version */
	assert_int_equal(dpkg_history_bad_lines(h), 7);
	assert_int_equal(dpkg_history_of(h, "tzdata", &c), 0); /* only a status line: no change */
	assert_int_equal(dpkg_history_of(h, "evil", &c), 0);
	assert_int_equal(dpkg_history_of(h, "nonexistent", &c), 0);
	assert_int_equal(dpkg_history_of(h, "", &c), 0);
	dpkg_history_free(h);
	rm_root(root);
}

static void test_fixed_at_downgrade(void **state)
{
	(void)state;
	char *root;
	struct dpkg_history *h = load_fixture(&root);
	int64_t t = 0;
	/* fixed on 02-10, downgraded on 03-01 (window reopened), fixed again on 03-20 */
	assert_int_equal(dpkg_history_fixed_at(h, "libssl3", "3.0.13-1", vcmp, &t), 1);
	assert_true(t == utc(2024, 3, 20, 12, 30, 0));
	assert_int_equal(dpkg_history_fixed_at(h, "libssl3:amd64", "3.0.13-1", vcmp, &t), 1);
	assert_true(t == utc(2024, 3, 20, 12, 30, 0));
	assert_int_equal(dpkg_history_fixed_at(h, "libssl3:amd64", "3.0.11-1", vcmp, &t), 1);
	assert_true(t == utc(2024, 1, 5, 9, 0, 0));
	t = 42;
	assert_int_equal(dpkg_history_fixed_at(h, "libssl3", "3.0.15-1", vcmp, &t), 0);
	assert_true(t == 42); /* untouched when not shown */
	assert_int_equal(dpkg_history_fixed_at(h, "libssl3:i386", "3.0.13-1", vcmp, &t), 0);
	assert_int_equal(dpkg_history_fixed_at(h, "nonexistent", "1", vcmp, &t), 0);
	dpkg_history_free(h);
	rm_root(root);
}

static void test_fixed_before_log(void **state)
{
	(void)state;
	char *root;
	struct dpkg_history *h = load_fixture(&root);
	int64_t t;
	/* the first record upgrades from a version that was already fixed: when is unknown */
	assert_int_equal(dpkg_history_fixed_at(h, "openssh-server", "9.2p1-1", vcmp, &t), 0);
	assert_int_equal(dpkg_history_fixed_at(h, "openssh-server", "9.2p1-3", vcmp, &t), 1);
	assert_true(t == utc(2024, 1, 6, 10, 0, 0));
	dpkg_history_free(h);
	rm_root(root);
}

static void test_status_and_reinstall(void **state)
{
	(void)state;
	char *root;
	struct dpkg_history *h = load_fixture(&root);
	const struct dpkg_change *c;
	/* install 1.2.12; a "status installed 1.2.13" with no upgrade line; removed; re-installed 1.2.12 */
	assert_int_equal(dpkg_history_of(h, "zlib1g:amd64", &c), 3);
	assert_true(c[1].time_s == utc(2024, 3, 15, 8, 0, 0));
	assert_string_equal(c[1].old_version, "1.2.12-1");
	assert_string_equal(c[1].new_version, "1.2.13-1");
	assert_string_equal(c[2].old_version, "<none>");
	assert_string_equal(c[2].new_version, "1.2.12-1");
	int64_t t;
	assert_int_equal(dpkg_history_fixed_at(h, "zlib1g", "1.2.13-1", vcmp, &t), 0);
	assert_int_equal(dpkg_history_fixed_at(h, "zlib1g", "1.2.12-1", vcmp, &t), 1);
	assert_true(t == utc(2024, 1, 6, 10, 0, 0));
	dpkg_history_free(h);
	rm_root(root);
}

static void test_arch(void **state)
{
	(void)state;
	char *root;
	struct dpkg_history *h = load_fixture(&root);
	const struct dpkg_change *c;
	int64_t t;
	/* unqualified (pre-multiarch) records count for every arch of the name */
	assert_int_equal(dpkg_history_of(h, "bash", &c), 2);
	assert_string_equal(c[0].arch, "");
	assert_string_equal(c[1].arch, "amd64");
	assert_int_equal(dpkg_history_of(h, "bash:amd64", &c), 2);
	assert_int_equal(dpkg_history_of(h, "bash:i386", &c), 0);
	assert_int_equal(dpkg_history_fixed_at(h, "bash:amd64", "5.2-15", vcmp, &t), 1);
	assert_true(t == utc(2024, 1, 5, 9, 0, 3));

	/* multiarch: each arch its own history; the bare name is fixed when the last arch is */
	assert_int_equal(dpkg_history_of(h, "libc6", &c), 2);
	assert_int_equal(dpkg_history_of(h, "libc6:amd64", &c), 1);
	assert_string_equal(c[0].arch, "amd64");
	assert_int_equal(dpkg_history_of(h, "libc6:i386", &c), 1);
	assert_string_equal(c[0].arch, "i386");
	assert_int_equal(dpkg_history_fixed_at(h, "libc6:amd64", "2.36-10", vcmp, &t), 1);
	assert_true(t == utc(2024, 3, 10, 8, 0, 0));
	assert_int_equal(dpkg_history_fixed_at(h, "libc6:i386", "2.36-10", vcmp, &t), 1);
	assert_true(t == utc(2024, 4, 3, 7, 0, 0));
	assert_int_equal(dpkg_history_fixed_at(h, "libc6", "2.36-10", vcmp, &t), 1);
	assert_true(t == utc(2024, 4, 3, 7, 0, 0));
	assert_int_equal(dpkg_history_fixed_at(h, "libc6:armhf", "2.36-10", vcmp, &t), 0);
	dpkg_history_free(h);
	rm_root(root);
}

static void test_local_time(void **state)
{
	(void)state;
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0) {
		print_message("no tzdata: skipping the local-time case\n");
		skip();
	}
	char *old = test_tz_save();
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	char *root = make_root();
	char path[512];
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log", root);
	const char *log = "2024-01-15 10:00:00 upgrade a:amd64 1 2\n"	/* CET: UTC+1 */
			  "2024-07-15 10:00:00 upgrade b:amd64 1 2\n"	/* CEST: UTC+2 */
			  "2024-07-15 10:00:59 upgrade c:amd64 1 2\n"; /* same minute, cached */
	write_file(path, log, strlen(log), false);
	struct dpkg_history *h = NULL;
	assert_int_equal(dpkg_history_load(root, &h, NULL), 0);
	const struct dpkg_change *c;
	assert_int_equal(dpkg_history_of(h, "a", &c), 1);
	assert_true(c[0].time_s == utc(2024, 1, 15, 9, 0, 0));
	assert_int_equal(dpkg_history_of(h, "b", &c), 1);
	assert_true(c[0].time_s == utc(2024, 7, 15, 8, 0, 0));
	assert_int_equal(dpkg_history_of(h, "c", &c), 1);
	assert_true(c[0].time_s == utc(2024, 7, 15, 8, 0, 59));
	dpkg_history_free(h);
	rm_root(root);
	test_tz_restore(old);
}

static void test_missing_and_empty(void **state)
{
	(void)state;
	struct dpkg_history *h = NULL;
	char *err = NULL;
	assert_int_equal(dpkg_history_load("/nonexistent-moat-root", &h, &err), 0);
	assert_null(err);
	const struct dpkg_change *c;
	assert_int_equal(dpkg_history_of(h, "libssl3", &c), 0);
	assert_true(dpkg_history_start(h) == 0);
	assert_int_equal(dpkg_history_bad_lines(h), 0);
	dpkg_history_free(h);
	assert_null(dpkg_history_free(NULL));

	/* empty, garbage-only and a broken .gz */
	char *root = make_root();
	char path[512];
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log", root);
	write_file(path, "", 0, false);
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log.2.gz", root);
	write_file(path, "\x1f\x8b\x08\x00garbage", 12, false);
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log.1", root);
	write_file(path, "2024-01-01 00:00:00 upgrade x 1 2\n", 34, false);
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log.old", root); /* not a rotation name */
	write_file(path, "2024-01-01 00:00:00 upgrade y 1 2\n", 34, false);
	assert_int_equal(dpkg_history_load(root, &h, &err), 0);
	assert_true(dpkg_history_bad_lines(h) >= 1);
	assert_int_equal(dpkg_history_of(h, "x", &c), 1);
	assert_int_equal(dpkg_history_of(h, "y", &c), 0);
	dpkg_history_free(h);
	rm_root(root);
}

static void test_overlong_and_nul(void **state)
{
	(void)state;
	char *root = make_root();
	char path[512];
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log", root);
	size_t big = 10000;
	char *data = malloc(big + 200);
	size_t n = 0;
	n += (size_t)snprintf(data + n, 200, "2024-01-01 00:00:00 upgrade ");
	memset(data + n, 'a', big);
	n += big;
	data[n++] = '\n';
	static const char tail[] = "2024-01-01 00:00:01 upgrade ok:amd64 1 2\n2024-01-01 00:00:02 upgrade n\0l 1 2\n";
	memcpy(data + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	write_file(path, data, n, false);
	free(data);
	struct dpkg_history *h = NULL;
	assert_int_equal(dpkg_history_load(root, &h, NULL), 0);
	assert_int_equal(dpkg_history_bad_lines(h), 2);
	const struct dpkg_change *c;
	assert_int_equal(dpkg_history_of(h, "ok", &c), 1);
	assert_true(c[0].time_s == utc(2024, 1, 1, 0, 0, 1));
	dpkg_history_free(h);
	rm_root(root);
}

/* Deterministic mutation (bit flips, truncation) of the fixture: never a crash, every
 * record still well formed. */
static void test_mutation(void **state)
{
	(void)state;
	char src[1024];
	snprintf(src, sizeof(src), "%s/tests/exposure/window-data/dpkg.log.1", getenv("MOAT_SOURCE_ROOT"));
	size_t n;
	char *orig = slurp(src, &n);
	char *root = make_root();
	char path[512];
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log", root);
	uint32_t x = 12345;
	for (int round = 0; round < 300; round++) {
		char *m = malloc(n);
		memcpy(m, orig, n);
		for (int k = 0; k < 4; k++) {
			x = x * 1103515245u + 12345u;
			m[(x >> 8) % n] ^= (char)(1u << ((x >> 4) % 8));
		}
		x = x * 1103515245u + 12345u;
		size_t len = (round % 3 == 0) ? (x >> 8) % n : n;
		write_file(path, m, len, false);
		free(m);
		struct dpkg_history *h = NULL;
		assert_int_equal(dpkg_history_load(root, &h, NULL), 0);
		const struct dpkg_change *c;
		size_t k = dpkg_history_of(h, "libssl3", &c);
		for (size_t i = 0; i < k; i++) {
			assert_non_null(c[i].new_version);
			assert_true(strlen(c[i].new_version) > 0);
		}
		int64_t t;
		(void)dpkg_history_fixed_at(h, "libssl3", "3.0.13-1", vcmp, &t);
		dpkg_history_free(h);
	}
	free(orig);
	rm_root(root);
}

/* A 100k-line log (a busy host's year) loads quickly: the minute cache keeps mktime rare. */
static void test_large(void **state)
{
	(void)state;
	char *root = make_root();
	char path[512];
	snprintf(path, sizeof(path), "%s/var/log/dpkg.log", root);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 25000; i++) {
		int day = 1 + (i / 1000) % 28, hour = (i / 60) % 24, min = i % 60;
		fprintf(f, "2024-05-%02d %02d:%02d:00 upgrade pkg%d:amd64 1.%d 1.%d\n", day, hour, min, i % 2000,
			i, i + 1);
		fprintf(f, "2024-05-%02d %02d:%02d:01 status unpacked pkg%d:amd64 1.%d\n", day, hour, min, i % 2000,
			i + 1);
		fprintf(f, "2024-05-%02d %02d:%02d:02 configure pkg%d:amd64 1.%d <none>\n", day, hour, min,
			i % 2000, i + 1);
		fprintf(f, "2024-05-%02d %02d:%02d:03 status installed pkg%d:amd64 1.%d\n", day, hour, min, i % 2000,
			i + 1);
	}
	fclose(f);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct dpkg_history *h = NULL;
	assert_int_equal(dpkg_history_load(root, &h, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("100000 lines in %.3f s\n", s);
	assert_int_equal(dpkg_history_bad_lines(h), 0);
	const struct dpkg_change *c;
	assert_int_equal(dpkg_history_of(h, "pkg7", &c), 13); /* i = 7, 2007, ..., 24007 */
	assert_string_equal(c[12].new_version, "1.24008");
	dpkg_history_free(h);
	rm_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_order),	 cmocka_unit_test(test_fixed_at_downgrade),
		cmocka_unit_test(test_fixed_before_log), cmocka_unit_test(test_status_and_reinstall),
		cmocka_unit_test(test_arch),		 cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_missing_and_empty), cmocka_unit_test(test_overlong_and_nul),
		cmocka_unit_test(test_mutation),	 cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
