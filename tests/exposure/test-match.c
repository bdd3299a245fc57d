/*
 * match: OSV range semantics, CVSS severities, the known real positive
 * (DSA-5650-1 against osv-scalibr's valid status), and every tracker
 * triage state against a crafted inventory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/alert.h"
#include "exposure-test.h"
#include "exposure/match.h"

static void test_events(void **state)
{
	static const struct {
		const char *events, *version;
		int affected;
		const char *fixed;
	} cases[] = {
		{ "i=0 f=2.38.1-5+deb12u1", "2.38.1-5", 1, "2.38.1-5+deb12u1" },
		{ "i=0 f=2.38.1-5+deb12u1", "2.38.1-5+b1", 1, "2.38.1-5+deb12u1" },
		{ "i=0 f=2.38.1-5+deb12u1", "2.38.1-5+deb12u1", 0, NULL },
		{ "i=0 f=2.38.1-5+deb12u1", "2.38.1-5+deb12u2", 0, NULL },
		{ "i=0 f=1.0-1", "1.0-1~bpo12+1", 1, "1.0-1" }, /* a backport sorts below */
		{ "i=0 f=114.0-2~deb12u1", "114.0-2~deb12u1", 0, NULL },
		{ "i=1.9.0-1 l=1.9.13p3-1+deb12u1", "1.9.13p3-1+deb12u1", 1, NULL },
		{ "i=1.9.0-1 l=1.9.13p3-1+deb12u1", "1.9.13p3-1+deb12u2", 0, NULL },
		{ "i=1.9.0-1 l=1.9.13p3-1+deb12u1", "1.8.0-1", 0, NULL },
		{ "i=0 f=2.36-9+deb12u4 | i=2.37-1 f=2.37-5", "2.36-9+deb12u7", 0, NULL },
		{ "i=0 f=2.36-9+deb12u4 | i=2.37-1 f=2.37-5", "2.37-2", 1, "2.37-5" },
		{ "i=0 f=2.36-9+deb12u4 | i=2.37-1 f=2.37-5", "2.36-9", 1, "2.36-9+deb12u4" },
		/* events in any order within a range */
		{ "f=3.0-1 i=2.0-1", "2.5-1", 1, "3.0-1" },
		{ "f=3.0-1 i=2.0-1", "1.5-1", 0, NULL },
		{ "i=0", "99:9", 1, NULL },
		{ "x=1:1.2.13.dfsg-1 | x=1:1.2.13.dfsg-1+b1", "1:1.2.13.dfsg-1+b1", 1, NULL },
		{ "x=1:1.2.13.dfsg-1", "1:1.2.13.dfsg-2", 0, NULL },
		{ "", "1.0", 0, NULL },
		{ "garbage tokens | f=", "1.0", 0, NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sv fixed = SV_LIT("unset");
		int r = match_events(cases[i].events, sv_cstr(cases[i].version), &fixed);
		if (r != cases[i].affected) {
			print_error("case %zu: '%s' vs %s: %d\n", i, cases[i].events, cases[i].version, r);
			fail();
		}
		if (r == 1) {
			if (cases[i].fixed)
				assert_true(sv_eq(fixed, cases[i].fixed));
			else
				assert_int_equal(fixed.n, 0);
		}
	}
}

static void test_severity(void **state)
{
	int s = 0;
	(void)state;
	assert_int_equal(match_severity_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s), SEV_CRITICAL);
	assert_int_equal(s, 98);
	assert_int_equal(match_severity_of("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", &s), SEV_HIGH);
	assert_int_equal(s, 78);
	assert_int_equal(match_severity_of("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", &s), SEV_MEDIUM);
	assert_int_equal(s, 61);
	assert_int_equal(match_severity_of("CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L", &s), SEV_LOW);
	assert_int_equal(s, 20);
	assert_int_equal(match_severity_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", &s), SEV_LOW);
	assert_int_equal(s, 0);
	assert_int_equal(match_severity_of("CVSS:3.1/AV:X/AC:L", NULL), -1);
	assert_int_equal(match_severity_of("high", NULL), SEV_HIGH);
	assert_int_equal(match_severity_of("low**", NULL), SEV_LOW);
	assert_int_equal(match_severity_of("not yet assigned", NULL), -1);
	assert_int_equal(match_severity_of(NULL, NULL), -1);
}

static struct advdb *db_with(const char *const *paths)
{
	struct advdb *db = NULL;
	char *err = NULL;
	assert_int_equal(advdb_open(":memory:", true, &db, &err), 0);
	for (size_t i = 0; paths[i]; i++) {
		struct feed_report rep;
		assert_int_equal(feed_import(db, paths[i], &rep, &err), 0);
		feed_report_done(&rep);
	}
	return db;
}

static const struct finding *find(const struct match_result *r, const char *advisory)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].advisory, advisory) == 0)
			return &r->v[i];
	return NULL;
}

/* The known real positive: util-linux-extra 2.38.1-5+b1 (source util-linux 2.38.1-5). */
static void test_known_positive(void **state)
{
	char p1[4096], p2[4096];
	struct match_result res;
	struct inventory *inv = NULL;
	char *err = NULL;
	size_t len = 0, current = 0;
	(void)state;
	snprintf(p1, sizeof(p1), "%s/osv-debian12-greenbone", t_env("MOAT_SHARED_DATA", "../shared/data"));
	snprintf(p2, sizeof(p2), "%s/debver/osv-scalibr-dpkg-status/valid", t_env("MOAT_SHARED_DATA", "../shared/data"));
	const char *paths[] = { p1, NULL };
	struct advdb *db = db_with(paths);
	char *buf = t_read_file(p2, &len);
	assert_non_null(buf);
	assert_int_equal(inventory_parse(buf, len, "valid", &inv), 0);
	free(buf);
	assert_int_equal(match_run(db, inv, "debian:12", &res, &err), 0);
	assert_int_equal(res.binaries, 7);
	assert_int_equal(res.sources, 6);
	for (size_t i = 0; i < res.n; i++)
		if (res.v[i].status != FS_FIXED)
			current++;
	assert_int_equal(current, 1);
	const struct finding *f = find(&res, "DSA-5650-1");
	assert_non_null(f);
	assert_int_equal(f->status, FS_FIXABLE);
	assert_string_equal(f->source, "util-linux");
	assert_string_equal(f->source_version, "2.38.1-5");
	assert_string_equal(f->fixed, "2.38.1-5+deb12u1");
	assert_string_equal(f->aliases, "CVE-2024-28085");
	assert_int_equal(f->n_binaries, 1);
	assert_string_equal(f->binaries[0]->name, "util-linux-extra");
	assert_int_equal(f->published_s, 1711929600);
	assert_int_equal(f->severity, SEV_HIGH); /* a DSA without a score */
	assert_true(f->severity_guessed);
	match_result_done(&res);
	/* another release: nothing */
	assert_int_equal(match_run(db, inv, "debian:11", &res, &err), 0);
	assert_int_equal(res.n, 0);
	match_result_done(&res);
	inventory_free(inv);
	advdb_free(db);
}

static void test_tracker_states(void **state)
{
	static const char status[] =
		"Package: util-linux\nStatus: install ok installed\nVersion: 2.38.1-5+b1\nSource: util-linux (2.38.1-5)\n\n"
		"Package: mount\nStatus: install ok installed\nVersion: 2.38.1-5+b1\nSource: util-linux (2.38.1-5)\n\n"
		"Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u2\nSource: openssh\n\n"
		"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u7\nSource: glibc\n\n"
		"Package: oldlib1\nStatus: install ok installed\nVersion: 1.0-1\nSource: oldlib\n";
	char p1[4096], p2[4096];
	struct match_result res;
	struct inventory *inv = NULL;
	char *err = NULL;
	(void)state;
	snprintf(p1, sizeof(p1), "%s/tests/exposure/data/tracker.json", t_env("MOAT_SOURCE_ROOT", "."));
	snprintf(p2, sizeof(p2), "%s/osv-debian12-greenbone", t_env("MOAT_SHARED_DATA", "../shared/data"));
	const char *paths[] = { p1, p2, NULL };
	struct advdb *db = db_with(paths);
	assert_int_equal(inventory_parse(status, sizeof(status) - 1, "status", &inv), 0);
	assert_int_equal(match_run(db, inv, "debian:12", &res, &err), 0);

	/* util-linux: DSA-5650-1 speaks for CVE-2024-28085 (the tracker duplicate is folded) */
	const struct finding *f = find(&res, "DSA-5650-1");
	assert_non_null(f);
	assert_int_equal(f->status, FS_FIXABLE);
	assert_int_equal(f->n_binaries, 2);
	assert_string_equal(f->urgency, "not yet assigned");
	assert_null(find(&res, "CVE-2024-28085"));
	f = find(&res, "CVE-2099-0001");
	assert_int_equal(f->status, FS_MINOR);
	assert_string_equal(f->triage, "unimportant");
	assert_int_equal(f->severity, SEV_LOW);

	/* openssh 1:9.2p1-2+deb12u2: regreSSHion (DSA-5724-1, speaking for CVE-2024-6387) is fixable,
	 * DSA-5586-1 is fixed, CVE-2099-0002 never affected, -0003 postponed */
	f = find(&res, "DSA-5724-1");
	assert_non_null(f);
	assert_int_equal(f->status, FS_FIXABLE);
	assert_string_equal(f->fixed, "1:9.2p1-2+deb12u3");
	assert_null(find(&res, "CVE-2024-6387"));
	f = find(&res, "DSA-5586-1");
	assert_int_equal(f->status, FS_FIXED);
	assert_null(find(&res, "CVE-2099-0002"));
	f = find(&res, "CVE-2099-0003");
	assert_int_equal(f->status, FS_MINOR);
	assert_string_equal(f->triage, "postponed");

	/* glibc: ignored → minor, open high → unfixed, undetermined → unfixed */
	f = find(&res, "CVE-2099-0004");
	assert_int_equal(f->status, FS_MINOR);
	assert_string_equal(f->triage, "ignored");
	f = find(&res, "CVE-2099-0005");
	assert_int_equal(f->status, FS_UNFIXED);
	assert_null(f->triage);
	assert_int_equal(f->severity, SEV_HIGH);
	f = find(&res, "CVE-2099-0006");
	assert_int_equal(f->status, FS_UNFIXED);
	assert_string_equal(f->triage, "undetermined");

	/* oldlib: end of life */
	f = find(&res, "CVE-2099-0007");
	assert_int_equal(f->status, FS_END_OF_LIFE);
	assert_string_equal(f->triage, "end-of-life");

	match_result_done(&res);
	inventory_free(inv);
	advdb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_known_positive),
		cmocka_unit_test(test_tracker_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
