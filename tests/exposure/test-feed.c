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
#include <sys/resource.h>
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
 * central directory points 300 entries at the same 3 MB of zeros. */
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
				  "    z.writestr('z.json', b'\\0' * (3 << 20))\n"
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
	/* the bomb's file is ~20 KB: only the first few 3 MB inflations fit the budget */
	assert_true(t[1].ok >= 1 && t[1].ok <= 10);
	assert_int_equal(t[1].ok + t[1].refused_budget, 300);
	t_rm_rf(dir);
	free(dir);
}


/* A directory walk never follows links: "ln -s . x" loops would walk forever
 * (and import every record again at each level), a link out would import
 * what nobody put here. A FIFO named like a record is refused, not opened
 * for reading (which would block). */
static void test_dir_links_and_fifos(void **state)
{
	struct advdb *db = NULL;
	struct feed_report rep;
	char *err = NULL, *dir = t_tmpdir(), path[4200], src[4200];
	uint64_t na, ne;
	(void)state;
	snprintf(path, sizeof(path), "%s/feed/sub", dir);
	assert_int_equal(t_mkdirs(path), 0);
	snprintf(src, sizeof(src), "%s", shared("osv-debian12-greenbone/DSA-5650-1.json"));
	char *rec = t_read_file(src, NULL);
	assert_non_null(rec);
	snprintf(path, sizeof(path), "%s/feed/sub/DSA-5650-1.json", dir);
	assert_int_equal(t_write_file(path, rec), 0);
	free(rec);
	snprintf(path, sizeof(path), "%s/feed/x", dir);
	assert_int_equal(symlink(".", path), 0);
	snprintf(path, sizeof(path), "%s/feed/sub/y", dir);
	assert_int_equal(symlink("..", path), 0);
	snprintf(path, sizeof(path), "%s/feed/out.json", dir);
	assert_int_equal(symlink(shared("osv-debian12-greenbone/DSA-5673-1.json"), path), 0);
	snprintf(path, sizeof(path), "%s/feed/pipe.json", dir);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(advdb_open(":memory:", true, &db, &err), 0);
	snprintf(path, sizeof(path), "%s/feed", dir);
	assert_int_equal(feed_import(db, path, &rep, &err), 0);
	assert_int_equal(rep.records, 1); /* sub/DSA-5650-1.json once; neither link followed */
	assert_int_equal(rep.links, 3);
	assert_int_equal(rep.skipped, 1);
	assert_int_equal(rep.n_bad, 1);
	assert_non_null(strstr(rep.bad[0], "pipe.json: not a regular file"));
	feed_report_done(&rep);
	assert_int_equal(advdb_counts(db, &na, &ne), 0);
	assert_int_equal(na, 1);

	/* a FIFO given as the feed itself: refused at once, nothing imported */
	snprintf(path, sizeof(path), "%s/feed/pipe.json", dir);
	assert_int_equal(feed_import(db, path, &rep, &err), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
	feed_report_done(&rep);
	advdb_free(db);
	t_rm_rf(dir);
	free(dir);
}

static int count_ok(void *ud, const char *name, const char *data, size_t len)
{
	(void)name;
	(void)data;
	(void)len;
	(*(size_t *)ud)++;
	return 0;
}

static void count_truncated(void *ud, const char *name, const char *why)
{
	(void)name;
	if (strstr(why, "truncated") || strstr(why, "local header missing"))
		((size_t *)ud)[1]++;
}

/* An archive truncated while it is being read (a download replaced under
 * us): each entry past the new end is reported, and nothing is mapped, so
 * nothing can fault. With the archive mapped, the first read past the end
 * was a SIGBUS that killed moat. */
static void test_zip_truncated_under_us(void **state)
{
	char *dir = t_tmpdir(), path[4200];
	const char *args[] = { NULL, NULL };
	size_t tally[2] = { 0, 0 };
	(void)state;
	args[0] = dir;
	assert_int_equal(t_run_sh("python3 - \"$1\" <<'PY'\n"
				  "import sys, zipfile, os\n"
				  "with zipfile.ZipFile(sys.argv[1] + '/all.zip', 'w', zipfile.ZIP_STORED) as z:\n"
				  "    for i in range(64):\n"
				  "        z.writestr('R-%d.json' % i, os.urandom(16384).hex())\n"
				  "PY\n",
				  NULL, args),
			 0);
	snprintf(path, sizeof(path), "%s/all.zip", dir);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	struct zip *z = NULL;
	char *err = NULL;
	assert_int_equal(zip_open_fd(fd, (uint64_t)st.st_size, &z, &err), 0);
	assert_int_equal(ftruncate(fd, st.st_size / 3), 0);
	assert_int_equal(zip_foreach(z, count_ok, count_truncated, tally), 0);
	assert_true(tally[0] >= 18 && tally[0] <= 22); /* the entries in the first third */
	assert_int_equal(tally[0] + tally[1], 64);
	zip_free(z);
	close(fd);
	t_rm_rf(dir);
	free(dir);
}

/* A 65 KB all.zip whose record inflates to 64 MB of "[0,0,…": the JSON
 * parser made 1.4 GB of it. Now an entry is bounded (4 MB) before it is
 * inflated, and moat's peak memory stays small. */
static void test_zip_record_bomb_memory(void **state)
{
	char *dir = t_tmpdir(), path[4200], db[4200];
	const char *args[] = { NULL, NULL };
	(void)state;
	args[0] = dir;
	assert_int_equal(t_run_sh("python3 - \"$1\" <<'PY'\n"
				  "import sys, zipfile\n"
				  "data = b'[' + b'0,' * ((32 << 20) - 4) + b'0]'\n"
				  "with zipfile.ZipFile(sys.argv[1] + '/all.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n"
				  "    z.writestr('A-1.json', data)\n"
				  "PY\n",
				  NULL, args),
			 0);
	snprintf(path, sizeof(path), "%s/all.zip", dir);
	snprintf(db, sizeof(db), "%s/adv.db", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 100000);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(t_env("MOAT_BIN", "build/moat"), "moat", "feed", "import", "--db", db, path, (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* ASan builds carry their own shadow memory: the bound is for the allocator's sake */
	assert_true(ru.ru_maxrss < 200 * 1024);
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
		cmocka_unit_test(test_dir_links_and_fifos),
		cmocka_unit_test(test_zip_truncated_under_us),
		cmocka_unit_test(test_zip_record_bomb_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
