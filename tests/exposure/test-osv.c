/*
 * osv: real Debian OSV records (../shared/data/osv-debian-samples,
 * osv-debian12-greenbone) and crafted ones (tests/exposure/data/osv)
 * normalised into feed entries; malformed records reported and skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define MOAT_TEST_FEED_SINK
#include "exposure-test.h"
#include "exposure/osv.h"

static char *parse_path(const char *path, struct feed_report *rep, int *ret)
{
	struct t_log l;
	size_t len = 0;
	char *buf = t_read_file(path, &len), *err = NULL;
	struct feed_sink sink = { t_meta, t_entry, t_bad, &l };
	if (!buf) {
		print_error("cannot read %s\n", path);
		fail();
	}
	t_log_open(&l);
	*ret = osv_parse(buf, len, "rec", &sink, rep, &err);
	if (err)
		fprintf(l.f, "error %s\n", err);
	free(err);
	free(buf);
	return t_log_close(&l);
}

static char *shared(const char *rel)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s", t_env("MOAT_SHARED_DATA", "../shared/data"), rel);
	return p;
}

static char *fixture(const char *rel)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/tests/exposure/data/%s", t_env("MOAT_SOURCE_ROOT", "."), rel);
	return p;
}

static void expect(const char *path, const char *want, uint64_t records, uint64_t skipped)
{
	struct feed_report rep = { 0 };
	int r;
	char *got = parse_path(path, &rep, &r);
	assert_int_equal(r, 0);
	assert_string_equal(got, want);
	assert_int_equal(rep.records, records);
	assert_int_equal(rep.skipped, skipped);
	free(got);
}

static void test_real_records(void **state)
{
	(void)state;
	expect(shared("osv-debian12-greenbone/DSA-5650-1.json"),
	       "meta DSA-5650-1 osv 1711929600 aliases=[CVE-2024-28085] severity=-\n"
	       "entry DSA-5650-1 osv util-linux debian:12 events=[i=0 f=2.38.1-5+deb12u1] fixed=2.38.1-5+deb12u1 "
	       "status=osv urgency=- nodsa=- reason=-\n",
	       1, 0);
	/* Debian's own export: CVEs in "upstream", DEBIAN-CVE-* duplicates dropped, etch is "4.0" */
	expect(shared("osv-debian-samples/DSA-1543-1.json"),
	       "meta DSA-1543-1 osv 1207699200 aliases=[CVE-2007-6681 CVE-2007-6682 CVE-2007-6683 CVE-2008-0073 "
	       "CVE-2008-0295 CVE-2008-0296 CVE-2008-0984 CVE-2008-1489] severity=-\n"
	       "entry DSA-1543-1 osv vlc debian:4 events=[i=0 f=0.8.6-svn20061012.debian-5.1+etch2] "
	       "fixed=0.8.6-svn20061012.debian-5.1+etch2 status=osv urgency=- nodsa=- reason=-\n",
	       1, 0);
	expect(shared("osv-debian-samples/DLA-3051-1.json"),
	       "meta DLA-3051-1 osv 1655251200 aliases=[] severity=-\n"
	       "entry DLA-3051-1 osv tzdata debian:9 events=[i=0 f=2021a-0+deb9u4] fixed=2021a-0+deb9u4 status=osv "
	       "urgency=- nodsa=- reason=-\n",
	       1, 0);
}

static void test_crafted(void **state)
{
	(void)state;
	expect(fixture("osv/DSA-9001-1.json"),
	       "meta DSA-9001-1 osv 1736467200 aliases=[CVE-2099-1001] "
	       "severity=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n"
	       "entry DSA-9001-1 osv sudo debian:12 events=[i=1.9.0-1 l=1.9.13p3-1+deb12u1] fixed=- status=osv "
	       "urgency=- nodsa=- reason=-\n",
	       1, 0);
	expect(fixture("osv/multi.json"),
	       "meta USN-9002-1 osv 1738413000 aliases=[CVE-2099-1002] severity=-\n"
	       "entry USN-9002-1 osv openssl ubuntu:22.04 events=[i=0 f=3.0.2-0ubuntu1.15] fixed=3.0.2-0ubuntu1.15 "
	       "status=osv urgency=- nodsa=- reason=-\n"
	       "meta DSA-9003-1 osv 1740787200 aliases=[CVE-2099-1003 DEBIAN-CVE-2099-1004] severity=-\n"
	       "entry DSA-9003-1 osv glibc debian:12 events=[i=0 f=2.36-9+deb12u4 | i=2.37-1 f=2.37-5] "
	       "fixed=2.36-9+deb12u4 status=osv urgency=- nodsa=- reason=-\n"
	       "entry DSA-9003-1 osv glibc debian:11 events=[i=0 f=2.31-13+deb11u8] fixed=2.31-13+deb11u8 status=osv "
	       "urgency=- nodsa=- reason=-\n",
	       2, 0);
	expect(fixture("osv/versions-only.json"),
	       "meta DLA-9004-1 osv 1743465600 aliases=[] severity=-\n"
	       "entry DLA-9004-1 osv zlib debian:12 events=[x=1:1.2.13.dfsg-1 | x=1:1.2.13.dfsg-1+b1] fixed=- "
	       "status=osv urgency=- nodsa=- reason=-\n",
	       1, 0);
	expect(fixture("osv/withdrawn.json"), "", 0, 0);
	expect(fixture("osv/pypi.json"), "", 0, 0);
	expect(fixture("osv/bad-fixed.json"),
	       "bad DSA-9007-1: affected[0]: fixed '7.88 beta' is not a Debian version\n", 0, 1);
	expect(fixture("osv/no-id.json"), "bad rec[0]: record without a valid id\n", 0, 1);
}

static void test_broken_json(void **state)
{
	struct feed_report rep = { 0 };
	int r;
	char *got = parse_path(fixture("osv/truncated.json"), &rep, &r);
	(void)state;
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(got, "error rec: line 1 column"));
	free(got);
}

/* Every real greenbone record parses into exactly one Debian 12 entry. */
static void test_all_greenbone(void **state)
{
	char dir[4096];
	unsigned n = 0;
	(void)state;
	snprintf(dir, sizeof(dir), "%s", shared("osv-debian12-greenbone"));
	DIR *d = opendir(dir);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[8192];
		struct feed_report rep = { 0 };
		int r;
		if (!strstr(de->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		char *got = parse_path(path, &rep, &r);
		assert_int_equal(r, 0);
		assert_int_equal(rep.records, 1);
		assert_int_equal(rep.skipped, 0);
		assert_true(rep.entries >= 1);
		assert_non_null(strstr(got, " debian:12 "));
		free(got);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 352);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_records),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_broken_json),
		cmocka_unit_test(test_all_greenbone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
