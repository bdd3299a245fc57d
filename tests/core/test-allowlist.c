/* core/allowlist: entries, lookups (by network, narrowest first; by
 * account), what the detectors leave alone, and what `moat check` says. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/allowlist.h"

static void add_net(struct allowlist *l, const char *text, const char *why)
{
	char *err = NULL;
	int r = allowlist_add_net(l, sv_cstr(text), why, "t.yaml:1", &err);
	if (r < 0)
		fail_msg("%s: %s", text, err ? err : "?");
	free(err);
}

static struct addr A(const char *s)
{
	struct addr a;
	assert_int_equal(addr_parse(sv_cstr(s), &a), 1);
	return a;
}

static const char *found(const struct allowlist *l, const char *addr)
{
	static char buf[64];
	struct addr a = A(addr);
	const struct allow_net *n = allowlist_find_addr(l, &a);
	char t[ADDR_STRLEN];
	if (!n)
		return "-";
	snprintf(buf, sizeof(buf), "%s/%u", addr_format(&n->net, t), n->prefix);
	return buf;
}

static void test_networks(void **state)
{
	struct allowlist l = { 0 };
	(void)state;
	add_net(&l, "127.0.0.1/8", NULL); /* fail2ban's form: host bits cleared */
	add_net(&l, "10.0.0.0/8", "office");
	add_net(&l, "10.20.0.0/16", "VPN");
	add_net(&l, "192.0.2.7", NULL);
	add_net(&l, "2001:db8::/32", NULL);
	add_net(&l, "::1", NULL);
	add_net(&l, "::ffff:198.51.100.0/120", NULL); /* IPv4-mapped: stored as 198.51.100.0/24 */
	add_net(&l, "0.0.0.0/0", NULL);
	/* before sealing nothing is found */
	assert_string_equal(found(&l, "10.1.2.3"), "-");
	assert_int_equal(allowlist_seal(&l), 0);
	assert_string_equal(l.nets[0].why ? l.nets[0].why : "", "");
	assert_string_equal(found(&l, "127.9.9.9"), "127.0.0.0/8");
	assert_string_equal(found(&l, "10.20.3.4"), "10.20.0.0/16"); /* the narrowest */
	assert_string_equal(found(&l, "10.21.3.4"), "10.0.0.0/8");
	assert_string_equal(found(&l, "192.0.2.7"), "192.0.2.7/32");
	assert_string_equal(found(&l, "198.51.100.200"), "198.51.100.0/24");
	assert_string_equal(found(&l, "::ffff:198.51.100.9"), "198.51.100.0/24");
	assert_string_equal(found(&l, "203.0.113.1"), "0.0.0.0/0"); /* every IPv4 address */
	assert_string_equal(found(&l, "2001:db8:ffff::1"), "2001:db8::/32");
	assert_string_equal(found(&l, "2001:db9::1"), "-"); /* 0.0.0.0/0 is IPv4 only */
	assert_string_equal(found(&l, "::1"), "::1/128");
	struct addr none = { 0 };
	assert_null(allowlist_find_addr(&l, &none));
	allowlist_done(&l);
	assert_true(allowlist_empty(&l));
}

static void test_rejects(void **state)
{
	static const char *const bad[] = { "", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8",
					   "host.example.com", "[::1]", "10.0.0.1:22", "::ffff:10.0.0.0/95", "999.1.1.1",
					   "10.0.0.0/-1" };
	struct allowlist l = { 0 };
	char *err = NULL;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(allowlist_add_net(&l, sv_cstr(bad[i]), NULL, "f:3", &err), -EINVAL);
		assert_non_null(err);
		assert_true(strncmp(err, "f:3: ", 5) == 0);
		free(err);
		err = NULL;
	}
	assert_int_equal(allowlist_add_net(&l, sv_cstr("backup.example.com"), NULL, "f:3", &err), -EINVAL);
	assert_non_null(strstr(err, "moat resolves no names"));
	free(err);
	err = NULL;
	static const char *const bad_names[] = { "", "a b", "a:b", "a/b", "a,b", "tab\there",
						 "a-name-longer-than-sixty-four-bytes-is-no-account-name-on-linux-x" };
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(allowlist_add_account(&l, sv_cstr(bad_names[i]), NULL, "f:4", &err), -EINVAL);
		free(err);
		err = NULL;
	}
	assert_int_equal(l.n_nets + l.n_accts, 0);
	/* the cap */
	for (unsigned i = 0; i < ALLOWLIST_MAX; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.%u.%u.0/24", i / 256, i % 256);
		assert_int_equal(allowlist_add_net(&l, sv_cstr(a), NULL, "f:5", NULL), 0);
	}
	assert_int_equal(allowlist_add_net(&l, sv_cstr("192.0.2.1"), NULL, "f:6", &err), -E2BIG);
	assert_non_null(strstr(err, "more than 4096"));
	free(err);
	assert_int_equal(allowlist_seal(&l), 0);
	assert_string_equal(found(&l, "10.15.255.9"), "10.15.255.0/24");
	assert_string_equal(found(&l, "10.16.0.9"), "-");
	allowlist_done(&l);
}

static void test_accounts(void **state)
{
	struct allowlist l = { 0 };
	(void)state;
	assert_int_equal(allowlist_add_account(&l, sv_cstr("nagios"), "monitoring", "f:1", NULL), 0);
	assert_int_equal(allowlist_add_account(&l, sv_cstr("deploy"), NULL, "f:2", NULL), 0);
	assert_int_equal(allowlist_add_account(&l, sv_cstr("a"), NULL, "f:3", NULL), 0);
	assert_int_equal(allowlist_seal(&l), 0);
	assert_string_equal(allowlist_find_account(&l, sv_cstr("nagios"))->why, "monitoring");
	assert_non_null(allowlist_find_account(&l, sv_cstr("deploy")));
	assert_non_null(allowlist_find_account(&l, sv_cstr("a")));
	assert_null(allowlist_find_account(&l, sv_cstr("nagio")));
	assert_null(allowlist_find_account(&l, sv_cstr("nagioss")));
	assert_null(allowlist_find_account(&l, sv_cstr("Nagios")));
	assert_null(allowlist_find_account(&l, sv_cstr("")));
	/* a view, not a C string: the bytes after it do not count */
	assert_non_null(allowlist_find_account(&l, sv_make("deployer", 6)));
	allowlist_done(&l);
}

/* Which events the detectors never see, kind by kind. */
static void test_covers_event(void **state)
{
	struct allowlist l = { 0 };
	struct event ev;
	(void)state;
	add_net(&l, "192.0.2.0/24", NULL);
	assert_int_equal(allowlist_add_account(&l, sv_cstr("nagios"), NULL, "f:1", NULL), 0);
	assert_int_equal(allowlist_seal(&l), 0);

	/* an allow-listed source: whatever it did */
	for (int k = EV_NONE + 1; k < EV_KIND_MAX; k++) {
		event_init(&ev);
		ev.kind = (enum event_kind)k;
		ev.source = A("192.0.2.99");
		ev.user = sv_cstr("root");
		assert_true(allowlist_covers_event(&l, &ev));
		ev.source = A("198.51.100.1");
		assert_false(allowlist_covers_event(&l, &ev));
	}
	/* an allow-listed account: its own doing, not a stranger's failed login naming it */
	static const enum event_kind own[] = { EV_AUTH_SUCCESS, EV_SESSION_OPEN, EV_SESSION_CLOSE, EV_LOGIND_NEW,
					       EV_SUDO_COMMAND, EV_SUDO_FAILURE, EV_SUDO_REFUSED, EV_SU_SUCCESS,
					       EV_SU_FAILURE, EV_ACCOUNT_CHANGE, EV_KEY_CHANGE, EV_DISCONNECT };
	static const enum event_kind door[] = { EV_AUTH_FAILURE, EV_INVALID_USER, EV_USER_NOT_ALLOWED, EV_ROOT_REFUSED,
						EV_MAX_AUTH, EV_PREAUTH_CLOSE };
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		event_init(&ev);
		ev.kind = own[i];
		ev.user = sv_cstr("nagios");
		ev.source = A("203.0.113.5");
		assert_true(allowlist_covers_event(&l, &ev));
		ev.user = sv_cstr("nagios2");
		assert_false(allowlist_covers_event(&l, &ev));
	}
	for (size_t i = 0; i < sizeof(door) / sizeof(door[0]); i++) {
		event_init(&ev);
		ev.kind = door[i];
		ev.user = sv_cstr("nagios");
		ev.source = A("203.0.113.5");
		assert_false(allowlist_covers_event(&l, &ev));
	}
	/* a goodbye before authenticating is the door too */
	event_init(&ev);
	ev.kind = EV_DISCONNECT;
	ev.flags = EVF_PREAUTH;
	ev.user = sv_cstr("nagios");
	assert_false(allowlist_covers_event(&l, &ev));
	/* an empty list covers nothing, and costs nothing */
	struct allowlist empty = { 0 };
	ev.source = A("192.0.2.1");
	assert_false(allowlist_covers_event(&empty, &ev));
	assert_false(allowlist_covers_event(NULL, &ev));
	allowlist_done(&l);
}

static void test_describe(void **state)
{
	struct allowlist l = { 0 };
	char buf[160];
	(void)state;
	add_net(&l, "10.0.0.0/8", NULL);
	add_net(&l, "10.20.3.0/24", NULL);
	add_net(&l, "192.0.2.7", NULL);
	add_net(&l, "2001:db8::/32", NULL);
	add_net(&l, "10.0.0.0/8", NULL);
	assert_int_equal(allowlist_seal(&l), 0);
	allowlist_describe_net(&l.nets[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/8 (16777216 addresses: 10.0.0.0 to 10.255.255.255)");
	allowlist_describe_net(&l.nets[2], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.7 (one address)");
	allowlist_describe_net(&l.nets[3], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32 (2^96 addresses: 2001:db8:: to 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff)");
	assert_null(allowlist_net_covered_by(&l, &l.nets[0])); /* the first of two equal entries adds something */
	assert_ptr_equal(allowlist_net_covered_by(&l, &l.nets[1]), &l.nets[0]);
	assert_null(allowlist_net_covered_by(&l, &l.nets[2]));
	assert_ptr_equal(allowlist_net_covered_by(&l, &l.nets[4]), &l.nets[0]);
	allowlist_done(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_networks),   cmocka_unit_test(test_rejects),  cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_covers_event), cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
