/*
 * The real binary: 'moat exposure' and 'moat feed' on a crafted root
 * (tests/exposure/data/roots/host1: dpkg status, os-release, dpkg.log) with
 * real advisories (../shared/data/osv-debian12-greenbone) and the tracker
 * fixture; golden outputs in tests/exposure/data/golden (regenerate with
 * MOAT_UPDATE_GOLDEN=1 and review the diff); exit statuses; the known
 * real positive on osv-scalibr's status file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/macro.h"
#include "exposure-test.h"

static char *tmp;
static char greenbone[4096], tracker[4096], host1[4096], golden_dir[4096];

/* Runs moat with the arguments up to NULL; stdout and stderr into files;
 * returns the exit status. */
static int moat(char **ret_out, char **ret_err, ...)
{
	char out[4200], err[4200];
	const char *args[22] = { err, t_env("MOAT_BIN", "build/moat") };
	size_t n = 2;
	va_list ap;
	va_start(ap, ret_err);
	for (const char *a; n < ELEMENTSOF(args) - 1 && (a = va_arg(ap, const char *));)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	snprintf(out, sizeof(out), "%s/stdout", tmp);
	snprintf(err, sizeof(err), "%s/stderr", tmp);
	int r = t_run_sh("e=\"$1\"; shift; exec \"$@\" 2>\"$e\"", out, args);
	if (ret_out)
		*ret_out = t_read_file(out, NULL);
	if (ret_err)
		*ret_err = t_read_file(err, NULL);
	return r;
}
#define END ((const char *)NULL)

static void golden(const char *name, const char *got)
{
	char path[8400];
	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (getenv("MOAT_UPDATE_GOLDEN")) {
		assert_int_equal(t_write_file(path, got), 0);
		return;
	}
	char *want = t_read_file(path, NULL);
	if (!want) {
		print_error("missing golden file %s (run with MOAT_UPDATE_GOLDEN=1)\n", path);
		fail();
	}
	if (strcmp(want, got) != 0) {
		print_error("output differs from %s:\n--- got ---\n%s\n", path, got);
		free(want);
		fail();
	}
	free(want);
}

static int setup(void **state)
{
	(void)state;
	tmp = t_tmpdir();
	snprintf(greenbone, sizeof(greenbone), "%s/osv-debian12-greenbone", t_env("MOAT_SHARED_DATA", "../shared/data"));
	snprintf(tracker, sizeof(tracker), "%s/tests/exposure/data/tracker.json", t_env("MOAT_SOURCE_ROOT", "."));
	snprintf(host1, sizeof(host1), "%s/tests/exposure/data/roots/host1", t_env("MOAT_SOURCE_ROOT", "."));
	snprintf(golden_dir, sizeof(golden_dir), "%s/tests/exposure/data/golden", t_env("MOAT_SOURCE_ROOT", "."));
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	t_rm_rf(tmp);
	free(tmp);
	return 0;
}

static void test_json_golden(void **state)
{
	char *out, *err;
	(void)state;
	int r = moat(&out, &err, "exposure", "--root", host1, "--feed", greenbone, "--feed", tracker, "--now",
		     "2025-01-01", "--json", END);
	assert_int_equal(r, 0);
	golden("host1.jsonl", out);
	/* the summary goes to stderr in JSON mode; the malformed stanza is reported */
	assert_non_null(strstr(err, "status:35: package broken-entry has an invalid Version"));
	assert_non_null(strstr(err, "host1: 5 binary packages (4 source) checked against 362 advisories for debian:12: "
				    "8 exposed (2 fixable, 2 unfixed, 3 minor, 1 end of life)"));
	/* the known exposures are there with their days: DSA-5650-1 since 2024-04-01, DSA-5724-1 since 2024-07-01 */
	assert_non_null(strstr(out, "\"advisory\":\"DSA-5650-1\",\"source\":\"osv\",\"aliases\":[\"CVE-2024-28085\"],"
				    "\"cves\":[\"CVE-2024-28085\"],\"fixed_version\":\"2.38.1-5+deb12u1\",\"status\":\"fixable\""));
	assert_non_null(strstr(out, "\"published\":\"2024-04-01T00:00:00Z\",\"days_exposed\":275,"));
	assert_non_null(strstr(out, "\"published\":\"2024-07-01T00:00:00Z\",\"days_exposed\":184,"));
	/* from dpkg.log: five fixes installed 2 to 16 days after publication, two still open */
	assert_non_null(strstr(err, "7 advisories affected this host (2 still open); days exposed: median 5, p90 275, "
				    "max 275"));
	assert_non_null(strstr(err, "DSA-5673-1 glibc: 16 days (fixed since)"));
	free(out);
	free(err);
}

static void test_table_golden(void **state)
{
	char *out, *err;
	(void)state;
	int r = moat(&out, &err, "exposure", "--root", host1, "--feed", greenbone, "--feed", tracker, "--now",
		     "2025-01-01", "--no-reach", END);
	assert_int_equal(r, 0);
	/* the table without the summary lines (they depend on the window build) */
	char *summary = strstr(out, "checked against");
	assert_non_null(summary);
	char *line = summary;
	while (line > out && line[-1] != '\n')
		line--;
	*line = '\0';
	golden("host1.table", out);
	free(out);
	free(err);
}

/* The feed imported into a database gives the same findings as --feed. */
static void test_db_equals_feed(void **state)
{
	char db[4200], *out1, *out2, *err;
	(void)state;
	snprintf(db, sizeof(db), "%s/adv.db", tmp);
	assert_int_equal(moat(&out1, &err, "feed", "import", "--db", db, greenbone, tracker, END), 0);
	assert_non_null(strstr(out1, "osv-debian12-greenbone: osv, 352 records imported (352 package entries)"));
	assert_non_null(strstr(out1, "tracker.json: tracker, 10 records imported (13 package entries), 1 for other "
				     "ecosystems or releases ignored, 6 malformed skipped"));
	assert_non_null(strstr(err, "skipped broken/CVE-2099-0009: release bookworm: fixed_version is not a Debian "
				    "version"));
	free(out1);
	free(err);
	assert_int_equal(moat(&out1, &err, "feed", "status", "--db", db, END), 0);
	assert_non_null(strstr(out1, "362 advisories, 365 package entries"));
	free(out1);
	free(err);
	assert_int_equal(moat(&out1, &err, "exposure", "--root", host1, "--db", db, "--now", "2025-01-01", "--json",
			      "-q", END),
			 0);
	free(err);
	assert_int_equal(moat(&out2, &err, "exposure", "--root", host1, "--feed", greenbone, "--feed", tracker,
			      "--now", "2025-01-01", "--json", END),
			 0);
	assert_string_equal(out1, out2);
	free(out1);
	free(out2);
	free(err);
	/* a broken feed file imports nothing and fails */
	char bad[4200];
	snprintf(bad, sizeof(bad), "%s/tests/exposure/data/osv/truncated.json", t_env("MOAT_SOURCE_ROOT", "."));
	assert_int_equal(moat(&out1, &err, "feed", "import", "--db", db, bad, END), 2);
	assert_non_null(strstr(err, "nothing was imported from it"));
	free(out1);
	free(err);
	/* update: no network here (or a real one): either way it ends cleanly */
	int r = moat(&out1, &err, "feed", "update", "--db", db, "--dir", tmp, "debian-tracker", END);
	if (r != 0) {
		assert_int_equal(r, 2);
		assert_non_null(strstr(err, "security-tracker.debian.org"));
	}
	free(out1);
	free(err);
}

static void test_exit_status(void **state)
{
	char *out, *err;
	(void)state;
	/* high: DSAs count as high without a score; the tracker's "high" urgency too */
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--feed", greenbone, "--now", "2025-01-01",
			      "--fail-on", "high", "-q", END),
			 1);
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--feed", greenbone, "--now", "2025-01-01",
			      "--fail-on", "critical", "-q", END),
			 0);
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--fail-on", "severe", END), 2);
	assert_non_null(strstr(err, "not a severity"));
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--root", "/nonexistent", "--feed", greenbone, END),
			 2);
	assert_non_null(strstr(err, "/nonexistent/var/lib/dpkg/status"));
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--release", "hamster", "--feed", greenbone, END),
			 2);
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--db", "/nonexistent/adv.db", END),
			 2);
	assert_non_null(strstr(err, "moat feed import"));
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--now", "yesterday", END), 2);
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--help", END), 0);
	assert_non_null(strstr(out, "--fail-on SEV"));
	assert_non_null(strstr(out, "fixed on disk, vulnerable in memory"));
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "feed", "frobnicate", END), 2);
	free(out);
	free(err);
	/* --fail-on counts what an upgrade can settle: the tracker's unfixed glibc CVE is high but has no
	 * fix (0); --strict counts it (1) */
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--feed", tracker, "--now", "2025-01-01",
			      "--fail-on", "high", "-q", END),
			 0);
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--feed", tracker, "--now", "2025-01-01",
			      "--fail-on", "high", "--strict", "-q", END),
			 1);
	free(out);
	free(err);
	/* what to patch today: fixable and high only; every line within 100 columns */
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--feed", tracker, "--feed", greenbone, "--now",
			      "2025-01-01", "--only-fixed", "--min-severity", "high", "-q", END),
			 0);
	assert_non_null(strstr(out, "util-linux"));
	assert_non_null(strstr(out, "CVE-2024-28085 (DSA-5650-1)"));
	assert_null(strstr(out, "glibc"));
	assert_null(strstr(out, "oldlib"));
	for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		size_t cols = 0;
		for (char *c = line; c < (nl ? nl : line + strlen(line)); c++)
			cols += ((unsigned char)*c & 0xc0) != 0x80; /* UTF-8: count characters */
		assert_true(cols <= 100);
	}
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--min-severity", "urgent", END), 2);
	free(out);
	free(err);
	assert_int_equal(moat(&out, &err, "exposure", "--format", "xml", END), 2);
	free(out);
	free(err);
	/* another release: bullseye has only the tracker's util-linux entry */
	assert_int_equal(moat(&out, &err, "exposure", "--root", host1, "--feed", tracker, "--release", "bullseye",
			      "--json", "-q", END),
			 0);
	assert_non_null(strstr(out, "\"advisory\":\"CVE-2024-28085\""));
	assert_non_null(strstr(out, "\"status\":\"minor\",\"triage\":\"no-dsa: Minor issue\""));
	free(out);
	free(err);
}

/* The known real positive: osv-scalibr's status file flags exactly DSA-5650-1. */
static void test_known_positive(void **state)
{
	char root[4200], path[8400], *out, *err;
	(void)state;
	snprintf(root, sizeof(root), "%s/scalibr", tmp);
	snprintf(path, sizeof(path), "%s/var/lib/dpkg", root);
	assert_int_equal(t_mkdirs(path), 0);
	snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", root);
	char src[4200];
	snprintf(src, sizeof(src), "%s/debver/osv-scalibr-dpkg-status/valid", t_env("MOAT_SHARED_DATA", "../shared/data"));
	char *status = t_read_file(src, NULL);
	assert_non_null(status);
	assert_int_equal(t_write_file(path, status), 0);
	free(status);
	assert_int_equal(moat(&out, &err, "exposure", "--root", root, "--release", "bookworm", "--feed", greenbone,
			      "--now", "2025-01-01", "--json", "-q", END),
			 0);
	assert_non_null(strstr(out, "{\"source_package\":\"util-linux\",\"binary_packages\":[\"util-linux-extra\"],"
				    "\"binary_versions\":{\"util-linux-extra\":\"2.38.1-5+b1\"},\"installed_version\":"
				    "\"2.38.1-5\",\"advisory\":\"DSA-5650-1\""));
	/* exactly one line */
	char *nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_golden),
		cmocka_unit_test(test_table_golden),
		cmocka_unit_test(test_db_equals_feed),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_known_positive),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
