/*
 * tracker: the Debian security tracker's JSON (a fixture in its shape,
 * tests/exposure/data/tracker.json) normalised into feed entries, each
 * triage state kept; malformed entries reported and skipped; broken JSON
 * rejected with a byte offset; OSV told apart from tracker JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define MOAT_TEST_FEED_SINK
#include "exposure-test.h"
#include "exposure/tracker.h"

static char *run(const char *buf, size_t len, struct feed_report *rep, int *ret)
{
	struct t_log l;
	char *err = NULL;
	struct feed_sink sink = { t_meta, t_entry, t_bad, &l };
	t_log_open(&l);
	*ret = tracker_parse(buf, len, &sink, rep, &err);
	if (err)
		fprintf(l.f, "error %s\n", err);
	free(err);
	return t_log_close(&l);
}

static void test_fixture(void **state)
{
	char path[4096];
	size_t len = 0;
	struct feed_report rep = { 0 };
	int r;
	(void)state;
	snprintf(path, sizeof(path), "%s/tests/exposure/data/tracker.json", t_env("MOAT_SOURCE_ROOT", "."));
	char *buf = t_read_file(path, &len);
	assert_non_null(buf);
	assert_int_equal(tracker_sniff(buf, len), 1);
	char *got = run(buf, len, &rep, &r);
	assert_int_equal(r, 0);
	static const char want[] =
		"meta CVE-2024-28085 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2024-28085 tracker util-linux debian:12 events=[] fixed=2.38.1-5+deb12u1 status=resolved "
		"urgency=not yet assigned nodsa=- reason=-\n"
		"entry CVE-2024-28085 tracker util-linux debian:11 events=[] fixed=- status=open urgency=not yet "
		"assigned nodsa=Minor issue reason=-\n"
		"entry CVE-2024-28085 tracker util-linux debian:sid events=[] fixed=2.39.3-11 status=resolved "
		"urgency=not yet assigned nodsa=- reason=-\n"
		"meta CVE-2099-0001 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0001 tracker util-linux debian:12 events=[] fixed=- status=open urgency=unimportant "
		"nodsa=- reason=-\n"
		"meta CVE-2024-6387 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2024-6387 tracker openssh debian:12 events=[] fixed=1:9.2p1-2+deb12u3 status=resolved "
		"urgency=not yet assigned nodsa=- reason=-\n"
		"meta CVE-2099-0002 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0002 tracker openssh debian:12 events=[] fixed=0 status=resolved urgency=unimportant "
		"nodsa=- reason=-\n"
		"meta CVE-2099-0003 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0003 tracker openssh debian:12 events=[] fixed=- status=open urgency=low "
		"nodsa=Minor issue; can be fixed via point release reason=postponed\n"
		"meta CVE-2099-0004 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0004 tracker glibc debian:12 events=[] fixed=- status=open urgency=low nodsa=Not worth "
		"a DSA reason=ignored\n"
		"meta CVE-2099-0005 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0005 tracker glibc debian:12 events=[] fixed=- status=open urgency=high nodsa=- "
		"reason=-\n"
		"meta CVE-2099-0006 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0006 tracker glibc debian:12 events=[] fixed=- status=undetermined urgency=not yet "
		"assigned nodsa=- reason=-\n"
		"meta CVE-2099-0007 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0007 tracker oldlib debian:12 events=[] fixed=- status=open urgency=end-of-life "
		"nodsa=- reason=-\n"
		"entry CVE-2099-0007 tracker oldlib debian:2.2 events=[] fixed=- status=open urgency=end-of-life "
		"nodsa=- reason=-\n"
		"bad broken/CVE-2099-0008: release bookworm: status missing or not resolved/open/undetermined\n"
		"bad broken/CVE-2099-0009: release bookworm: fixed_version is not a Debian version\n"
		"bad broken/CVE-2099-0010: releases missing or not an object\n"
		"bad broken/CVE-2099-0011: release bookworm: urgency is not a string\n"
		"meta CVE-2099-0012 tracker 0 aliases=[] severity=-\n"
		"entry CVE-2099-0012 tracker broken debian:12 events=[] fixed=1.0-2 status=resolved urgency=- nodsa=- "
		"reason=-\n"
		"bad not a package: not a package name\n"
		"bad arraypkg: package entry is not an object\n";
	assert_string_equal(got, want);
	assert_int_equal(rep.records, 10);
	assert_int_equal(rep.skipped, 6);
	assert_int_equal(rep.other, 1); /* "mysteryrelease" */
	free(got);
	free(buf);
}

static void test_broken(void **state)
{
	static const struct {
		const char *in, *err;
	} cases[] = {
		{ "", "error tracker JSON, byte 0: expected a JSON object of packages\n" },
		{ "[]", "error tracker JSON, byte 0: expected a JSON object of packages\n" },
		{ "{\"a\": {}", "error tracker JSON, byte 8: expected ',' or '}'\n" },
		{ "{\"a\" {}}", "error tracker JSON, byte 5: expected ':'\n" },
		{ "{\"a\": {} } x", "error tracker JSON, byte 11: data after the end of the object\n" },
		{ "{1: {}}", "error tracker JSON, byte 1: expected a package name\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct feed_report rep = { 0 };
		int r;
		char *got = run(cases[i].in, strlen(cases[i].in), &rep, &r);
		assert_int_equal(r, -EINVAL);
		assert_string_equal(got, cases[i].err);
		free(got);
	}
	/* a syntax error inside a package's value */
	struct feed_report rep = { 0 };
	int r;
	const char *in = "{\"a\": {\"CVE-1\": {\"releases\": {}}}, \"b\": {\"CVE-2\": [1,}}";
	char *got = run(in, strlen(in), &rep, &r);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(got, "error tracker JSON, byte"));
	free(got);
	/* empty object: nothing, no error */
	got = run("{ }", 3, &rep, &r);
	assert_int_equal(r, 0);
	assert_string_equal(got, "");
	free(got);
}

static void test_sniff(void **state)
{
	(void)state;
	assert_int_equal(tracker_sniff("{\"id\": \"DSA-1\"}", 15), 0);
	assert_int_equal(tracker_sniff(" {\"schema_version\": \"1\"}", 24), 0);
	assert_int_equal(tracker_sniff("[{}]", 4), 0);
	assert_int_equal(tracker_sniff("{\"openssl\": {}}", 15), 1);
	assert_int_equal(tracker_sniff("{}", 2), 1);
	assert_int_equal(tracker_sniff("", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_sniff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
