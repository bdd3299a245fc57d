/* Configuration: defaults equal rules/moat.yaml, dump round-trip, errors with file:line:col. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test-tmp.h"
#include "core/allowlist.h"
#include "helpers.h"

static char *dump(const struct detect_config *c)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	detect_config_dump(c, f);
	fclose(f);
	return buf;
}

static void test_defaults_equal_file(void **state)
{
	(void)state;
	const char *root = getenv("MOAT_SOURCE_ROOT");
	char path[4096];
	struct detect_config *a = NULL, *b = NULL;
	char *err = NULL;

	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/rules/moat.yaml", root);
	assert_int_equal(detect_config_load(NULL, &a, &err), 0);
	assert_int_equal(detect_config_load(path, &b, &err), 0);
	char *da = dump(a), *db = dump(b);
	assert_string_equal(da, db);
	assert_non_null(strstr(da, "  window: 10m\n"));
	assert_non_null(strstr(da, "  privileged_groups: [sudo, wheel, adm, docker, lxd, disk, shadow, root]\n"));
	free(da);
	free(db);
	detect_config_free(a);
	detect_config_free(b);
}

static void test_dump_round_trip(void **state)
{
	(void)state;
	static const char y[] = "brute_force:\n  threshold: 7\n  window: 90\n"
				"slow_brute_force: {window: 2d, min_hours: 4}\n"
				"unusual_login:\n  check_hour: no\n"
				"account_change:\n  privileged_groups: [wheel, admin]\n";
	struct detect_config *a = NULL, *b = NULL;
	char *err = NULL;

	assert_int_equal(detect_config_load_string(y, strlen(y), "t.yaml", &a, &err), 0);
	char *da = dump(a);
	assert_non_null(strstr(da, "brute_force:\n  enabled: true\n  window: 90s\n  threshold: 7\n"));
	assert_non_null(strstr(da, "slow_brute_force:\n  enabled: true\n  window: 2d\n"));
	assert_non_null(strstr(da, "  min_hours: 4\n"));
	assert_non_null(strstr(da, "  check_hour: false\n"));
	assert_non_null(strstr(da, "  privileged_groups: [wheel, admin]\n"));
	assert_int_equal(detect_config_load_string(da, strlen(da), "dump", &b, &err), 0);
	char *db = dump(b);
	assert_string_equal(da, db);
	free(da);
	free(db);
	detect_config_free(a);
	detect_config_free(b);
}

/* What a YAML stream cannot hold written out loads back from a dump: a
 * reason with C1 controls ("\x81", "\x9f"), NEL, U+FFFE and U+FFFF (as
 * escapes), and a file name that is not UTF-8 or holds a C1 control (in
 * the dump's comments, as '?'). Before, the dump wrote them as they were
 * and did not load (fuzz-config, CI). */
static void test_dump_unprintable(void **state)
{
	(void)state;
	static const char y[] = "allowlist:\n  addresses:\n"
				"    - { address: \"::ffff:1.2.3.4/120\", why: \"\\x81 \\x85 \\x9f \\uFFFE \\uFFFF \\xa0 \\u00e9\" }\n"
				"  accounts: [ root ]\n";
	struct detect_config *a = NULL, *b = NULL;
	char *err = NULL;

	assert_int_equal(detect_config_load_string(y, strlen(y), "t\xff\xc2\x81\xef\xbf\xbf.yaml", &a, &err), 0);
	char *da = dump(a);
	assert_non_null(strstr(da, "why: \"\\x81 \\x85 \\x9f \\uFFFE \\uFFFF \xc2\xa0 \xc3\xa9\""));
	assert_non_null(strstr(da, "t??????.yaml:"));
	if (detect_config_load_string(da, strlen(da), "dump", &b, &err) < 0)
		fail_msg("the dump does not load: %s", err);
	detect_config_free(b);
	free(da);
	detect_config_free(a);
}

static void expect_error(const char *yaml, const char *msg)
{
	struct detect_config *c = NULL;
	char *err = NULL;
	int r = detect_config_load_string(yaml, strlen(yaml), "t.yaml", &c, &err);
	assert_true(r < 0);
	assert_null(c);
	assert_non_null(err);
	if (strcmp(err, msg) != 0)
		fprintf(stderr, "got: %s\nwanted: %s\n", err, msg);
	assert_string_equal(err, msg);
	free(err);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("brute_force:\n  treshold: 5\n", "t.yaml:2:3: unknown key 'brute_force.treshold'");
	expect_error("bogus: 1\n", "t.yaml:1:1: unknown key 'bogus'");
	expect_error("brute_force:\n  threshold: 0\n", "t.yaml:2:14: brute_force.threshold: 0 is out of range (1..1000000)");
	expect_error("brute_force:\n  threshold: -3\n",
		     "t.yaml:2:14: brute_force.threshold: expected a whole number, not '-3'");
	expect_error("limits:\n  max_sources: 99999999999\n",
		     "t.yaml:2:16: limits.max_sources: 99999999999 is out of range (16..16777216)");
	expect_error("brute_force:\n  enabled: maybe\n",
		     "t.yaml:2:12: brute_force.enabled: expected true or false, not 'maybe'");
	expect_error("brute_force:\n  window: 10y\n",
		     "t.yaml:2:11: brute_force.window: expected a duration (seconds, or a number with s, m, h or d), "
		     "not '10y'");
	expect_error("slow_brute_force:\n  window: 30m\n",
		     "t.yaml:2:11: slow_brute_force.window: 30m is out of range (1h..7d)");
	expect_error("brute_force: 5\n", "t.yaml:1:14: brute_force: expected a mapping of settings");
	expect_error("brute_force:\n  threshold: [1, 2]\n", "t.yaml:2:14: brute_force.threshold: a list is not expected here");
	expect_error("account_change:\n  privileged_groups: [sudo, 'a b']\n",
		     "t.yaml:2:29: account_change.privileged_groups: 'a b' is not a group name");
	expect_error("brute_force:\n  threshold: 5\n  threshold: [\n", "t.yaml:3:14: brute_force.threshold: a list is not expected here");
	expect_error("brute_force: {threshold: 5\n", "t.yaml:2:1: did not find expected ',' or '}'");
	expect_error("brute_force:\n  threshold: 50\n  high: 20\n",
		     "t.yaml:1:1: brute_force.high (20) is below brute_force.threshold (50)");
	expect_error("a: &x 1\nb: *x\n", "t.yaml:1:1: unknown key 'a'");
}

static void test_empty_and_missing(void **state)
{
	(void)state;
	struct detect_config *c = NULL;
	char *err = NULL;
	assert_int_equal(detect_config_load_string("", 0, "e", &c, &err), 0);
	detect_config_free(c);
	assert_int_equal(detect_config_load_string("# nothing\nbrute_force:\n", 22, "e", &c, &err), 0);
	detect_config_free(c);
	assert_true(detect_config_load("/nonexistent/moat.yaml", &c, &err) < 0);
	assert_non_null(strstr(err, "/nonexistent/moat.yaml"));
	free(err);
	err = NULL;

	/* a file is read up to 1 MiB, no further */
	c = NULL;
	char *dir = test_tmpdir("config"), path[4096];
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/moat.yaml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("brute_force:\n  threshold: 5\n", f);
	for (int i = 0; i < (1 << 20) / 8; i++)
		fputs("#commnt\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(detect_config_load(path, &c, &err), -EFBIG);
	assert_null(c);
	assert_non_null(strstr(err, ": larger than 1048576 bytes"));
	free(err);
	err = NULL;
	assert_int_equal(truncate(path, 1 << 20), 0); /* exactly the cap: loads */
	assert_int_equal(detect_config_load(path, &c, &err), 0);
	detect_config_free(c);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* Hostile shapes: NUL, bytes that are not UTF-8, overlong values, keys and
 * lists, deep nesting. Each is refused with a bounded message. */
static void test_hostile(void **state)
{
	(void)state;
	static const char nul[] = "brute_force:\n  threshold: 5\0 6\n";
	struct detect_config *c = NULL;
	char *err = NULL, buf[6000];
	int n;

	assert_true(detect_config_load_string(nul, sizeof(nul) - 1, "t.yaml", &c, &err) < 0);
	assert_null(c);
	assert_string_equal(err, "t.yaml: byte 27: control characters are not allowed");
	free(err);
	err = NULL;
	expect_error("brute_force:\n  threshold: \xc3\x28\n", "t.yaml: byte 27: invalid trailing UTF-8 octet");

	n = snprintf(buf, sizeof(buf), "brute_force:\n  threshold: %05000d\n", 7);
	assert_true(n > 5000 && (size_t)n < sizeof(buf));
	memset(buf + 26, '9', 5000);
	expect_error(buf, "t.yaml:2:14: brute_force.threshold: expected a whole number, not "
			  "'9999999999999999999999999999999999999999'");

	/* a 200-byte key: the message quotes its first 72 bytes */
	n = snprintf(buf, sizeof(buf), "brute_force:\n  %0200d: 1\n", 0);
	memset(buf + 15, 'k', 200);
	{
		char want[128];
		int w = snprintf(want, sizeof(want), "t.yaml:2:3: unknown key 'brute_force.%060d'", 0);
		assert_true(w > 0 && (size_t)w < sizeof(want));
		memset(want + strlen("t.yaml:2:3: unknown key 'brute_force."), 'k', 60);
		expect_error(buf, want);
	}

	expect_error("account_change:\n  privileged_groups: [abcdefghijklmnopqrstuvwxyz0123456789]\n",
		     "t.yaml:2:23: account_change.privileged_groups: 'abcdefghijklmnopqrstuvwxyz0123456789' is not a "
		     "group name");
	n = snprintf(buf, sizeof(buf), "account_change:\n  privileged_groups: [");
	for (int i = 0; i < 33; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%sg%d", i ? ", " : "", i);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "]\n");
	expect_error(buf, "t.yaml:2:173: account_change.privileged_groups: more than 32 groups");

	memset(buf, '[', 1000);
	buf[1000] = '\0';
	expect_error(buf, "t.yaml:1:1: top level: a list is not expected here");
	memset(buf, '{', 1000);
	expect_error(buf, "t.yaml:1:2: expected a key");
}


/* The allow-list: lists, fail2ban's blank- or comma-separated ignoreip,
 * entries with why: or a trailing comment, the dump loading back the same. */
static void test_allowlist(void **state)
{
	(void)state;
	static const char y[] = "allowlist:\n"
				"  addresses:\n"
				"    - 10.20.0.0/16          # office VPN\n"
				"    - { address: 192.0.2.7, why: \"backup \\\"host\\\"\" }   # not this comment\n"
				"    - 198.51.100.1, 198.51.100.2\n"
				"  networks: [2001:db8::/32]\n"
				"  accounts:\n"
				"    - nagios    #   monitoring  \n"
				"    - { name: deploy }\n"
				"  ignoreip: 127.0.0.1/8\n"
				"ignoreip: 127.0.0.1/8 ::1,203.0.113.0/24  # fail2ban's line\n"
				"brute_force:\n  threshold: 5\n";
	struct detect_config *a = NULL, *b = NULL;
	char *err = NULL;
	assert_int_equal(detect_config_load_string(y, strlen(y), "t.yaml", &a, &err), 0);
	const struct allowlist *l = detect_config_allowlist(a);
	assert_int_equal(l->n_nets, 9);
	assert_int_equal(l->n_accts, 2);
	assert_string_equal(l->nets[0].why, "office VPN");
	assert_string_equal(l->nets[0].where, "t.yaml:3");
	assert_string_equal(l->nets[1].why, "backup \"host\"");
	assert_null(l->nets[2].why);
	assert_string_equal(l->nets[8].why, "fail2ban's line"); /* one comment for each entry of its line */
	assert_string_equal(l->nets[7].why, "fail2ban's line");
	assert_string_equal(l->accts[0].name, "nagios");
	assert_string_equal(l->accts[0].why, "monitoring");
	assert_null(l->accts[1].why);
	struct addr ad;
	assert_int_equal(addr_parse(sv_cstr("203.0.113.200"), &ad), 1);
	assert_non_null(allowlist_find_addr(l, &ad)); /* sealed by the load */
	char *da = dump(a);
	assert_non_null(strstr(da, "\nallowlist:\n"));
	assert_non_null(strstr(da, "    # 10.20.0.0/16 (65536 addresses: 10.20.0.0 to 10.20.255.255), t.yaml:3\n"
				   "    - { address: \"10.20.0.0/16\", why: \"office VPN\" }\n"));
	assert_non_null(strstr(da, "    # 127.0.0.0/8 (16777216 addresses: 127.0.0.0 to 127.255.255.255), t.yaml:11; adds "
				   "nothing: within 127.0.0.0/8 (t.yaml:10)\n"
				   "    - { address: \"127.0.0.0/8\", why: \"fail2ban's line\" }\n"));
	assert_non_null(strstr(da, "    # t.yaml:8\n    - { name: \"nagios\", why: \"monitoring\" }\n"));
	assert_int_equal(detect_config_load_string(da, strlen(da), "dump", &b, &err), 0);
	const struct allowlist *m = detect_config_allowlist(b);
	assert_int_equal(m->n_nets, l->n_nets);
	assert_int_equal(m->n_accts, l->n_accts);
	for (size_t i = 0; i < l->n_nets; i++) {
		assert_true(addr_equal(&m->nets[i].net, &l->nets[i].net));
		assert_int_equal(m->nets[i].prefix, l->nets[i].prefix);
		assert_string_equal(m->nets[i].why ? m->nets[i].why : "", l->nets[i].why ? l->nets[i].why : "");
	}
	for (size_t i = 0; i < l->n_accts; i++)
		assert_string_equal(m->accts[i].why ? m->accts[i].why : "", l->accts[i].why ? l->accts[i].why : "");
	free(da);
	detect_config_free(a);
	detect_config_free(b);
	/* none: empty lists in the dump */
	assert_int_equal(detect_config_load_string("ignoreip:\n", 10, "e", &a, &err), 0);
	da = dump(a);
	assert_non_null(strstr(da, "allowlist:\n  addresses: []\n  accounts: []\n"));
	free(da);
	detect_config_free(a);

	expect_error("ignoreip: 127.0.0.1/8 backup.example.com\n",
		     "t.yaml:1:11: ignoreip: 'backup.example.com' is a host name: moat resolves no names (give its "
		     "address)");
	expect_error("allowlist:\n  addresses: [10.0.0.0/33]\n",
		     "t.yaml:2:15: allowlist.addresses: '10.0.0.0/33' is not an address or a network (192.0.2.7, "
		     "10.0.0.0/8, 2001:db8::/32)");
	expect_error("allowlist:\n  accounts:\n    - { name: bob, reason: x }\n",
		     "t.yaml:3:20: allowlist.accounts: unknown key 'reason' in an entry (name and why)");
	expect_error("allowlist:\n  accounts:\n    - { why: x }\n", "t.yaml:3:7: allowlist.accounts: an entry without name");
	expect_error("allowlist:\n  accounts: ['a:b']\n",
		     "t.yaml:2:14: allowlist.accounts: 'a:b' is not an account name (no spaces, ':', '/' or ',', at most "
		     "64 bytes)");
	expect_error("allowlist:\n  addresses: [[10.0.0.1]]\n",
		     "t.yaml:2:15: allowlist.addresses: expected addresses, networks or { address: …, why: … }");
	expect_error("allowlist:\n  hosts: [a]\n", "t.yaml:2:3: unknown key 'allowlist.hosts'");
	expect_error("allowlist:\n  addresses:\n    - { address: [1] }\n",
		     "t.yaml:3:18: allowlist.addresses: address takes a single value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_equal_file),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_dump_unprintable),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_allowlist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
