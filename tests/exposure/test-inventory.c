/*
 * inventory: dpkg status parsing on osv-scalibr's fixtures
 * (../shared/data/debver/osv-scalibr-dpkg-status), crafted roots, this
 * host's own status file (checked against dpkg-query), and os-release.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exposure-test.h"
#include "exposure/inventory.h"

static struct inventory *load_fixture(const char *name)
{
	char path[4096];
	size_t len = 0;
	struct inventory *inv = NULL;
	snprintf(path, sizeof(path), "%s/debver/osv-scalibr-dpkg-status/%s", t_env("MOAT_SHARED_DATA", "../shared/data"),
		 name);
	char *buf = t_read_file(path, &len);
	assert_non_null(buf);
	assert_int_equal(inventory_parse(buf, len, name, &inv), 0);
	free(buf);
	return inv;
}

static void expect_pkg(const struct inventory *inv, const char *name, const char *version, const char *arch,
		       const char *source, const char *source_version)
{
	const struct inv_pkg *p = inventory_find(inv, name);
	if (!p) {
		print_error("package %s missing\n", name);
		fail();
	}
	assert_string_equal(p->version, version);
	assert_string_equal(p->arch, arch);
	assert_string_equal(p->source, source);
	assert_string_equal(p->source_version, source_version);
}

static void test_valid(void **state)
{
	struct inventory *inv = load_fixture("valid");
	(void)state;
	assert_int_equal(inventory_count(inv), 7);
	assert_int_equal(inventory_n_problems(inv), 0);
	expect_pkg(inv, "accountsservice", "22.08.8-6", "amd64", "accountsservice", "22.08.8-6");
	expect_pkg(inv, "adduser", "3.131", "all", "adduser", "3.131");
	expect_pkg(inv, "attr", "1:2.5.1-4", "amd64", "attr", "1:2.5.1-4");
	expect_pkg(inv, "libacl1", "2.3.1-3", "amd64", "acl", "2.3.1-3");
	/* a binNMU: binary version +b1, source version without it */
	expect_pkg(inv, "util-linux-extra", "2.38.1-5+b1", "amd64", "util-linux", "2.38.1-5");
	assert_int_equal(inventory_get(inv, 0)->line, 1);
	assert_string_equal(inventory_get(inv, 0)->status, "installed");
	inventory_free(inv);
}

static void test_edge_fixtures(void **state)
{
	struct inventory *inv;
	(void)state;

	inv = load_fixture("empty");
	assert_int_equal(inventory_count(inv), 0);
	assert_int_equal(inventory_n_problems(inv), 0);
	inventory_free(inv);

	/* "asdf", "", "yolo": two stanzas, neither is "Field: value" */
	inv = load_fixture("invalid");
	assert_int_equal(inventory_count(inv), 0);
	assert_int_equal(inventory_n_problems(inv), 2);
	assert_string_equal(inventory_problem(inv, 0), "invalid:1: line is not 'Field: value'; stanza skipped");
	assert_string_equal(inventory_problem(inv, 1), "invalid:3: line is not 'Field: value'; stanza skipped");
	inventory_free(inv);

	inv = load_fixture("nopackage");
	assert_int_equal(inventory_count(inv), 2);
	expect_pkg(inv, "foo", "1.0", "", "foo", "1.0");
	expect_pkg(inv, "bar", "2.0", "", "bar", "2.0");
	assert_int_equal(inventory_n_problems(inv), 1);
	assert_string_equal(inventory_problem(inv, 0), "nopackage:5: stanza has no Package field; skipped");
	inventory_free(inv);

	inv = load_fixture("noversion");
	assert_int_equal(inventory_count(inv), 2);
	assert_null(inventory_find(inv, "acl"));
	assert_int_equal(inventory_n_problems(inv), 1);
	assert_string_equal(inventory_problem(inv, 0), "noversion:5: package acl has no Version field; skipped");
	inventory_free(inv);

	/* files on disk: installed, unpacked, half-installed; not config-files */
	inv = load_fixture("statusfield");
	assert_int_equal(inventory_count(inv), 5);
	assert_non_null(inventory_find(inv, "wantinstall_installed"));
	assert_non_null(inventory_find(inv, "wantdeinstall_installed"));
	assert_non_null(inventory_find(inv, "wantpurge_installed"));
	assert_non_null(inventory_find(inv, "wantinstall_unpacked"));
	assert_non_null(inventory_find(inv, "wantinstall_halfinstalled"));
	assert_null(inventory_find(inv, "wantdeinstall_configfiles"));
	assert_string_equal(inventory_find(inv, "wantinstall_unpacked")->status, "unpacked");
	assert_int_equal(inventory_n_problems(inv), 1);
	assert_string_equal(inventory_problem(inv, 0),
			    "statusfield:25: package wantnostatus has no (valid) Status field; skipped");
	inventory_free(inv);

	inv = load_fixture("trailingnewlines");
	assert_int_equal(inventory_count(inv), 1);
	assert_int_equal(inventory_n_problems(inv), 0);
	inventory_free(inv);

	inv = load_fixture("transitional");
	expect_pkg(inv, "iceweasel", "78.13.0esr-1~deb10u1", "all", "firefox-esr", "78.13.0esr-1~deb10u1");
	inventory_free(inv);
	inv = load_fixture("transitional_dummy");
	expect_pkg(inv, "git-core", "1:2.14.2-1", "all", "git", "1:2.14.2-1");
	inventory_free(inv);
}

static void test_crafted(void **state)
{
	static const char text[] =
		"Package: bad-version\r\n"
		"Status: install ok installed\r\n"
		"Version: 1.0 beta\r\n"
		"\r\n"
		"Package: ok\r\n"
		"Status: install ok installed\r\n"
		"Architecture: arm64\r\n"
		"Source: okay-src (1:2.0-1)\r\n"
		"Version: 1:2.0-1+b3\r\n"
		"\n"
		"Package: gone\n"
		"Status: deinstall ok not-installed\n"
		"\n"
		"package: lower\n"
		"status: install ok triggers-pending\n"
		"version: 3\n"
		"\n"
		"Package: badsrc\n"
		"Status: install ok installed\n"
		"Source: x (not a version!)\n"
		"Version: 1\n"
		"\n"
		"Package: nul\0hidden\n"
		"Status: install ok installed\n"
		"Version: 2\n";
	struct inventory *inv = NULL;
	(void)state;
	assert_int_equal(inventory_parse(text, sizeof(text) - 1, "crafted", &inv), 0);
	assert_int_equal(inventory_count(inv), 3);
	expect_pkg(inv, "ok", "1:2.0-1+b3", "arm64", "okay-src", "1:2.0-1");
	expect_pkg(inv, "lower", "3", "", "lower", "3");
	/* an embedded NUL cuts the name: never read past it */
	expect_pkg(inv, "nul", "2", "", "nul", "2");
	assert_int_equal(inventory_n_problems(inv), 2);
	assert_string_equal(inventory_problem(inv, 0),
			    "crafted:1: package bad-version has an invalid Version; skipped: version string has "
			    "embedded spaces");
	assert_string_equal(inventory_problem(inv, 1),
			    "crafted:18: package badsrc has an invalid Source version; skipped");
	inventory_free(inv);
}

static void test_load_root(void **state)
{
	char *root = t_tmpdir(), path[4200];
	struct inventory *inv = NULL;
	struct os_release osr;
	char *err = NULL;
	(void)state;
	assert_non_null(root);
	assert_int_equal(inventory_load(root, &inv, &err), -ENOENT);
	assert_non_null(err);
	assert_non_null(strstr(err, "var/lib/dpkg/status"));
	free(err);
	assert_int_equal(os_release_load(root, &osr), -ENOENT);

	snprintf(path, sizeof(path), "%s/var/lib/dpkg", root);
	assert_int_equal(t_mkdirs(path), 0);
	snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", root);
	assert_int_equal(t_write_file(path, "Package: a\nStatus: install ok installed\nVersion: 1\n"), 0);
	snprintf(path, sizeof(path), "%s/usr/lib", root);
	assert_int_equal(t_mkdirs(path), 0);
	snprintf(path, sizeof(path), "%s/usr/lib/os-release", root);
	assert_int_equal(t_write_file(path, "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nID=debian\n"
					    "VERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n"),
			 0);
	assert_int_equal(inventory_load(root, &inv, &err), 0);
	assert_int_equal(inventory_count(inv), 1);
	inventory_free(inv);
	assert_int_equal(os_release_load(root, &osr), 0);
	assert_string_equal(osr.id, "debian");
	assert_string_equal(osr.version_id, "11");
	assert_string_equal(osr.codename, "bullseye");
	assert_string_equal(osr.pretty, "Debian GNU/Linux 11 (bullseye)");
	t_rm_rf(root);
	free(root);
}

/* This host: the same packages as dpkg-query lists with files on disk. */
static void test_this_host(void **state)
{
	struct inventory *inv = NULL;
	char *err = NULL, *dir, out[4200];
	size_t expected = 0;
	(void)state;
	if (access("/var/lib/dpkg/status", R_OK) != 0 || access("/usr/bin/dpkg-query", X_OK) != 0) {
		skip();
		return;
	}
	assert_int_equal(inventory_load("/", &inv, &err), 0);
	assert_int_equal(inventory_n_problems(inv), 0);
	dir = t_tmpdir();
	snprintf(out, sizeof(out), "%s/q", dir);
	assert_int_equal(t_run_sh("dpkg-query -W -f '${db:Status-Status} ${binary:Package} ${Version} "
				  "${source:Package} ${source:Version}\\n' | grep -v -e '^not-installed' -e '^config-files'",
				  out, NULL),
			 0);
	char *q = t_read_file(out, NULL);
	assert_non_null(q);
	for (char *save = NULL, *line = strtok_r(q, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char st[64], name[256], ver[256], src[256], srcver[256];
		if (sscanf(line, "%63s %255s %255s %255s %255s", st, name, ver, src, srcver) != 5)
			continue;
		char *colon = strchr(name, ':');
		if (colon)
			*colon = '\0';
		const struct inv_pkg *p = inventory_find(inv, name);
		if (!p) {
			print_error("dpkg-query lists %s, the inventory does not\n", name);
			fail();
		}
		if (strcmp(p->arch, "all") == 0 || !colon) {
			assert_string_equal(p->version, ver);
			assert_string_equal(p->source, src);
			assert_string_equal(p->source_version, srcver);
		}
		expected++;
	}
	assert_int_equal(inventory_count(inv), expected);
	assert_true(expected > 50);
	free(q);
	inventory_free(inv);
	t_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_edge_fixtures),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_load_root),
		cmocka_unit_test(test_this_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
