/*
 * feed: release keys; importing real OSV records (a directory, an all.zip
 * made from them, a ZIP64 archive), the tracker fixture, re-imports, and
 * that a failing import leaves the database as it was (one transaction).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exposure-test.h"
#include "core/macro.h"
#include "exposure/feed.h"
#include "exposure/zip.h"

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

static void test_release_key(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "Debian:12", "debian:12" },	      { "debian:bookworm", "debian:12" }, { "bookworm", "debian:12" },
		{ "Debian:4.0", "debian:4" },	      { "etch", "debian:4" },		  { "sid", "debian:sid" },
		{ "12", "debian:12" },		      { "Ubuntu:22.04:LTS", "ubuntu:22.04" },
		{ "Ubuntu:Pro:18.04:LTS", "ubuntu:pro:18.04" }, { "ubuntu:jammy", "ubuntu:22.04" },
		{ " Debian:11 ", "debian:11" },
	};
	static const char *const bad[] = { "", "PyPI", "Debian", "debian:", "Alpine:v3.18", "Debian:12 extra",
					   "Debian:1\n2", "x:y", "mysteryrelease" };
	char buf[64];
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
		assert_int_equal(feed_release_key(sv_cstr(ok[i].in), buf, sizeof(buf)), 1);
		assert_string_equal(buf, ok[i].out);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (feed_release_key(sv_cstr(bad[i]), buf, sizeof(buf)) != 0) {
			print_error("'%s' accepted as %s\n", bad[i], buf);
			fail();
		}
}

struct collect {
	char text[4096];
	size_t n;
};

static int collect_row(void *ud, const struct adv_row *row)
{
	struct collect *c = ud;
	int k = snprintf(c->text + c->n, sizeof(c->text) - c->n, "%s %s fixed=%s published=%lld aliases=%s\n",
			 row->e.kind, row->e.advisory, row->e.fixed ? row->e.fixed : "-",
			 (long long)row->m.published_s, row->m.aliases);
	if (k > 0)
		c->n += (size_t)k;
	return 0;
}

static void expect_rows(struct advdb *db, const char *pkg, const char *rel, const char *want)
{
	struct collect c = { .n = 0 };
	c.text[0] = '\0';
	assert_int_equal(advdb_foreach_entry(db, pkg, rel, collect_row, &c), 0);
	assert_string_equal(c.text, want);
}

static void test_import_dir(void **state)
{
	struct advdb *db = NULL;
	struct feed_report rep;
	char *err = NULL;
	uint64_t na, ne;
	(void)state;
	assert_int_equal(advdb_open(":memory:", true, &db, &err), 0);
	assert_int_equal(feed_import(db, shared("osv-debian12-greenbone"), &rep, &err), 0);
	assert_int_equal(rep.files, 352);
	assert_int_equal(rep.records, 352);
	assert_int_equal(rep.skipped, 0);
	assert_int_equal(advdb_counts(db, &na, &ne), 0);
	assert_int_equal(na, 352);
	assert_int_equal(ne, rep.entries);
	feed_report_done(&rep);
	expect_rows(db, "util-linux", "debian:12",
		    "osv DSA-5650-1 fixed=2.38.1-5+deb12u1 published=1711929600 aliases=CVE-2024-28085\n");
	/* again: the same records replace themselves, nothing doubles */
	assert_int_equal(feed_import(db, shared("osv-debian12-greenbone"), &rep, &err), 0);
	assert_int_equal(advdb_counts(db, &na, &ne), 0);
	assert_int_equal(na, 352);
	feed_report_done(&rep);

	/* the crafted directory: good records in, bad ones reported by id */
	assert_int_equal(feed_import(db, fixture("osv"), &rep, &err), 0);
	assert_int_equal(rep.records, 4);
	assert_int_equal(rep.skipped, 3);
	assert_int_equal(rep.withdrawn, 1);
	assert_int_equal(rep.n_bad, 3);
	assert_non_null(strstr(rep.bad[0], "DSA-9007-1: affected[0]: fixed '7.88 beta' is not a Debian version"));
	assert_non_null(strstr(rep.bad[1], "no-id.json[0]: record without a valid id"));
	assert_non_null(strstr(rep.bad[2], "truncated.json"));
	feed_report_done(&rep);
	advdb_free(db);
}

static void test_import_tracker(void **state)
{
	struct advdb *db = NULL;
	struct feed_report rep;
	char *err = NULL, *dir = t_tmpdir(), path[4200];
	uint64_t na, ne, na2, ne2;
	(void)state;
	snprintf(path, sizeof(path), "%s/adv.db", dir);
	assert_int_equal(advdb_open(path, false, &db, &err), -ENOENT);
	free(err);
	err = NULL;
	assert_int_equal(advdb_open(path, true, &db, &err), 0);
	assert_int_equal(feed_import(db, fixture("tracker.json"), &rep, &err), 0);
	assert_string_equal(rep.kind, "tracker");
	assert_int_equal(rep.records, 10);
	assert_int_equal(rep.skipped, 6);
	feed_report_done(&rep);
	expect_rows(db, "openssh", "debian:12",
		    "tracker CVE-2024-6387 fixed=1:9.2p1-2+deb12u3 published=0 aliases=\n"
		    "tracker CVE-2099-0002 fixed=0 published=0 aliases=\n"
		    "tracker CVE-2099-0003 fixed=- published=0 aliases=\n");
	assert_int_equal(advdb_counts(db, &na, &ne), 0);

	/* a broken tracker file: the import fails and the previous data stays */
	snprintf(path, sizeof(path), "%s/broken.json", dir);
	assert_int_equal(t_write_file(path, "{\"openssh\": {\"CVE-2099-7\": {\"releases\": {}}}, \"x\": [}"), 0);
	assert_int_equal(feed_import(db, path, &rep, &err), -EINVAL);
	assert_non_null(err);
	assert_non_null(strstr(err, "tracker JSON, byte"));
	free(err);
	err = NULL;
	feed_report_done(&rep);
	assert_int_equal(advdb_counts(db, &na2, &ne2), 0);
	assert_int_equal(na2, na);
	assert_int_equal(ne2, ne);
	expect_rows(db, "openssh", "debian:12",
		    "tracker CVE-2024-6387 fixed=1:9.2p1-2+deb12u3 published=0 aliases=\n"
		    "tracker CVE-2099-0002 fixed=0 published=0 aliases=\n"
		    "tracker CVE-2099-0003 fixed=- published=0 aliases=\n");

	/* a newer tracker file replaces the old one whole */
	snprintf(path, sizeof(path), "%s/new.json", dir);
	assert_int_equal(t_write_file(path, "{\"openssh\": {\"CVE-2099-7\": {\"releases\": {\"bookworm\": "
					    "{\"status\": \"open\", \"urgency\": \"low\"}}}}}"),
			 0);
	assert_int_equal(feed_import(db, path, &rep, &err), 0);
	feed_report_done(&rep);
	expect_rows(db, "openssh", "debian:12", "tracker CVE-2099-7 fixed=- published=0 aliases=\n");
	expect_rows(db, "glibc", "debian:12", "");

	/* missing path */
	assert_int_equal(feed_import(db, "/nonexistent/feed.json", &rep, &err), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/feed.json"));
	free(err);
	advdb_free(db);
	t_rm_rf(dir);
	free(dir);
}

/* An all.zip made with Python's zipfile from the real records, with one
 * damaged member; and a ZIP64 archive (more than 65,535 entries). */
static void test_import_zip(void **state)
{
	struct advdb *db = NULL;
	struct feed_report rep;
	char *err = NULL, *dir = t_tmpdir(), path[4200];
	const char *args[] = { NULL, NULL, NULL };
	uint64_t na, ne;
	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0) {
		skip();
		return;
	}
	args[0] = dir;
	args[1] = shared("osv-debian12-greenbone");
	assert_int_equal(t_run_sh("python3 - \"$1\" \"$2\" <<'PY'\n"
				  "import os, sys, zipfile\n"
				  "out, src = sys.argv[1], sys.argv[2]\n"
				  "with zipfile.ZipFile(out + '/all.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
				  "    for n in sorted(os.listdir(src)):\n"
				  "        if n.endswith('.json'):\n"
				  "            z.write(os.path.join(src, n), n)\n"
				  "    z.writestr('README.txt', 'not a record')\n"
				  "    z.writestr('broken.json', '{\"id\": ')\n"
				  "with zipfile.ZipFile(out + '/big.zip', 'w', zipfile.ZIP_STORED) as z:\n"
				  "    for i in range(66000):\n"
				  "        z.writestr('e/%d.txt' % i, '')\n"
				  "    z.write(os.path.join(src, 'DSA-5650-1.json'), 'last/DSA-5650-1.json')\n"
				  "PY\n",
				  NULL, args),
			 0);
	assert_int_equal(advdb_open(":memory:", true, &db, &err), 0);
	snprintf(path, sizeof(path), "%s/all.zip", dir);
	assert_int_equal(feed_import(db, path, &rep, &err), 0);
	assert_string_equal(rep.kind, "osv-zip");
	assert_int_equal(rep.records, 352);
	assert_int_equal(rep.skipped, 1);
	assert_int_equal(rep.n_bad, 1);
	assert_non_null(strstr(rep.bad[0], "broken.json: broken.json: "));
	feed_report_done(&rep);
	assert_int_equal(advdb_counts(db, &na, &ne), 0);
	assert_int_equal(na, 352);
	advdb_free(db);

	assert_int_equal(advdb_open(":memory:", true, &db, &err), 0);
	snprintf(path, sizeof(path), "%s/big.zip", dir);
	assert_int_equal(feed_import(db, path, &rep, &err), 0);
	assert_int_equal(rep.records, 1);
	feed_report_done(&rep);
	expect_rows(db, "util-linux", "debian:12",
		    "osv DSA-5650-1 fixed=2.38.1-5+deb12u1 published=1711929600 aliases=CVE-2024-28085\n");

	/* a truncated archive is refused whole */
	args[0] = path;
	assert_int_equal(t_run_sh("head -c 100000 \"$1\" > \"$1.cut\"", NULL, args), 0);
	snprintf(path, sizeof(path), "%s/big.zip.cut", dir);
	assert_int_equal(feed_import(db, path, &rep, &err), -EINVAL);
	assert_non_null(strstr(err, "not a zip archive"));
	free(err);
	feed_report_done(&rep);
	advdb_free(db);
	t_rm_rf(dir);
	free(dir);
}

struct zip_tally {
	unsigned ok, refused_ratio, refused_budget;
};

static int zip_ok(void *ud, const char *name, const char *data, size_t len)
{
	(void)name;
	(void)data;
	(void)len;
	((struct zip_tally *)ud)->ok++;
	return 0;
}

static void zip_bad(void *ud, const char *name, const char *why)
{
	struct zip_tally *t = ud;
	(void)name;
	if (strstr(why, "more than deflate can expand"))
		t->refused_ratio++;
	else if (strstr(why, "inflates to over 1100 times"))
		t->refused_budget++;
}

/* Hostile archives: an entry claiming an impossible size, and a bomb whose
 * central directory points 300 entries at the same 10 MB of zeros. */
static void test_zip_hostile(void **state)
{
	char *dir = t_tmpdir(), path[4200];
	const char *args[] = { NULL, NULL };
	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0) {
		skip();
		return;
	}
	args[0] = dir;
	assert_int_equal(t_run_sh("python3 - \"$1\" <<'PY'\n"
				  "import sys, zipfile, struct\n"
				  "out = sys.argv[1]\n"
				  "with zipfile.ZipFile(out + '/ratio.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
				  "    z.writestr('a.json', '{}')\n"
				  "b = bytearray(open(out + '/ratio.zip', 'rb').read())\n"
				  "cd = b.rfind(b'PK\\x01\\x02')\n"
				  "struct.pack_into('<I', b, cd + 24, 1000000)\n"
				  "open(out + '/ratio.zip', 'wb').write(b)\n"
				  "with zipfile.ZipFile(out + '/one.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
				  "    z.writestr('z.json', b'\\0' * (10 << 20))\n"
				  "b = open(out + '/one.zip', 'rb').read()\n"
				  "cd = b.rfind(b'PK\\x01\\x02'); end = b.rfind(b'PK\\x05\\x06')\n"
				  "entry = b[cd:end]; n = 300\n"
				  "eocd = bytearray(b[end:end + 22])\n"
				  "struct.pack_into('<HHII', eocd, 8, n, n, len(entry) * n, cd)\n"
				  "open(out + '/bomb.zip', 'wb').write(b[:cd] + entry * n + bytes(eocd))\n"
				  "PY\n",
				  NULL, args),
			 0);
	static const char *const names[] = { "ratio.zip", "bomb.zip" };
	struct zip_tally t[2] = { { 0 } };
	for (int i = 0; i < 2; i++) {
		size_t len = 0;
		char *err = NULL, *buf;
		struct zip *z = NULL;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		buf = t_read_file(path, &len);
		assert_non_null(buf);
		assert_int_equal(zip_open_buffer(buf, len, &z, &err), 0);
		assert_int_equal(zip_foreach(z, zip_ok, zip_bad, &t[i]), 0);
		zip_free(z);
		free(buf);
	}
	assert_int_equal(t[0].ok, 0);
	assert_int_equal(t[0].refused_ratio, 1);
	/* the bomb's file is ~30 KB: only the first few 10 MB inflations fit the budget */
	assert_true(t[1].ok >= 1 && t[1].ok <= 10);
	assert_int_equal(t[1].ok + t[1].refused_budget, 300);
	t_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_key),
		cmocka_unit_test(test_import_dir),
		cmocka_unit_test(test_import_tracker),
		cmocka_unit_test(test_import_zip),
		cmocka_unit_test(test_zip_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
