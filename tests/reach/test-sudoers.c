/*
 * sudoers: parsing (one line per case) and matching, as sudoers(5) says:
 * aliases, runas lists, tags carried from command to command, "!" in lists
 * and commands, host lists against the host's name, Defaults that change
 * whose password is asked, includes (relative, %h, loops, includedir's
 * skipped names, huge files); and the escape table behind the verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reach-test.h"
#include "reach/reach-internal.h"

static const char passwd[] = "root:x:0:0::/root:/bin/bash\n"
			     "alice:x:1001:1001::/home/alice:/bin/bash\n"
			     "carol:x:1003:1003::/home/carol:/bin/bash\n"
			     "deploy:x:1100:1100::/srv:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\nsudo:x:27:alice\nshadow:x:42:\nalice:x:1001:\ncarol:x:1003:\ndeploy:x:1100:\n";

struct fix {
	struct accounts acc;
	struct sudoers *s;
	struct rx_problems pr;
	char got[4096];
	size_t n;
};

static void on_grant(void *ud, const struct sudo_grant *g)
{
	struct fix *f = ud;
	size_t l = strlen(f->got);
	snprintf(f->got + l, sizeof(f->got) - l, "%s%s%s%s%s%s@%u%s%s", l ? "|" : "", g->all ? "ALL" : g->cmd,
		 g->args ? " [" : "", g->args ? g->args : "", g->args ? "]" : "", g->nopasswd ? " nopw" : "", g->line,
		 g->other_pw ? " otherpw" : "", g->sudoedit ? " edit" : "");
	f->n++;
}

static void load(struct fix *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(accounts_parse(&f->acc, passwd, strlen(passwd), group, strlen(group), &f->pr), 0);
	f->s = sudoers_new();
	assert_non_null(f->s);
	assert_int_equal(sudoers_parse(f->s, NULL, "/etc/sudoers", text, strlen(text), "web1.example.org", &f->pr), 0);
}

/* Grants of user acting as target ("root" …) or, with '%' first, as group. */
static const char *grants(struct fix *f, const char *user, const char *target)
{
	struct sudo_ctx ctx = { "web1.example.org", &f->acc };
	f->got[0] = '\0';
	f->n = 0;
	const struct account *u = accounts_by_name(&f->acc, user);
	assert_non_null(u);
	if (target[0] == '%')
		sudoers_grants(f->s, &ctx, u, user, target + 1, on_grant, f);
	else
		sudoers_grants(f->s, &ctx, u, target, NULL, on_grant, f);
	return f->got;
}

static void done(struct fix *f)
{
	sudoers_free(f->s);
	accounts_done(&f->acc);
	rx_problems_done(&f->pr);
}

static bool problem(const struct fix *f, const char *needle)
{
	for (size_t i = 0; i < f->pr.n; i++)
		if (strstr(f->pr.v[i], needle))
			return true;
	return false;
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *text, *user, *target, *want;
	} cases[] = {
		{ "carol ALL = /usr/bin/vim", "carol", "root", "/usr/bin/vim@1" },
		{ "carol ALL = /usr/bin/vim", "carol", "deploy", "" },
		{ "carol ALL = (deploy) /usr/bin/vim", "carol", "root", "" },
		{ "carol ALL = (deploy) /usr/bin/vim", "carol", "deploy", "/usr/bin/vim@1" },
		{ "carol ALL = (ALL:ALL) ALL", "carol", "deploy", "ALL@1" },
		{ "carol ALL = NOPASSWD: /bin/a, /bin/b, PASSWD: /bin/c", "carol", "root", "/bin/a nopw@1|/bin/b nopw@1|/bin/c@1" },
		{ "carol ALL = (root) NOPASSWD: /bin/a, (deploy) /bin/b", "carol", "root", "/bin/a nopw@1" },
		{ "carol ALL = (root) NOPASSWD: /bin/a, (ALL) /bin/b", "carol", "root", "/bin/a nopw@1|/bin/b nopw@1" },
		{ "carol db1 = ALL", "carol", "root", "" },
		{ "carol web1 = ALL", "carol", "root", "ALL@1" },
		{ "carol web1.example.org = ALL", "carol", "root", "ALL@1" },
		{ "carol web* = ALL", "carol", "root", "ALL@1" },
		{ "carol ALL, !web1 = ALL", "carol", "root", "" },
		{ "carol 10.0.0.0/8 = ALL", "carol", "root", "" },
		{ "carol +servers = ALL", "carol", "root", "" },
		{ "ALL, !carol ALL = ALL", "carol", "root", "" },
		{ "ALL, !carol ALL = ALL", "alice", "root", "ALL@1" },
		{ "#1003 ALL = ALL", "carol", "root", "ALL@1" },
		{ "%sudo ALL = ALL", "alice", "root", "ALL@1" },
		{ "%sudo ALL = ALL", "carol", "root", "" },
		{ "%#1003 ALL = ALL", "carol", "root", "ALL@1" },
		{ "carol ALL = ALL, !/bin/su", "carol", "root", "ALL@1" },
		{ "carol ALL = /usr/bin/vim, !/usr/bin/vim", "carol", "root", "" },
		{ "carol ALL = ALL\ncarol ALL = !ALL", "carol", "root", "" },
		{ "carol ALL = /usr/bin/less /var/log/*", "carol", "root", "/usr/bin/less [/var/log/*]@1" },
		{ "carol ALL = /usr/bin/python3 \"\"", "carol", "root", "/usr/bin/python3 []@1" },
		{ "carol ALL = /bin/echo a\\:b\\,c", "carol", "root", "/bin/echo [a\\:b\\,c]@1" },
		{ "carol ALL = sudoedit /etc/motd", "carol", "root", "sudoedit [/etc/motd]@1 edit" },
		{ "carol ALL = (root) sha256:0123abcd TIMEOUT=10 CWD=* NOPASSWD: /bin/x", "carol", "root", "/bin/x nopw@1" },
		{ "carol ALL = (:shadow) /usr/bin/cat", "carol", "%shadow", "/usr/bin/cat@1" },
		{ "carol ALL = (:shadow) /usr/bin/cat", "carol", "root", "" },
		{ "carol ALL = (deploy : shadow) ALL", "carol", "%shadow", "ALL@1" },
		{ "User_Alias OPS = alice, carol\nOPS ALL = ALL", "carol", "root", "ALL@2" },
		{ "User_Alias OPS = alice, !carol\nOPS ALL = ALL", "carol", "root", "" },
		{ "Runas_Alias R = deploy\ncarol ALL = (R) ALL", "carol", "deploy", "ALL@2" },
		{ "Host_Alias H = db*, web1 : H2 = x\ncarol H = ALL", "carol", "root", "ALL@2" },
		{ "Cmnd_Alias C = /bin/a, /bin/b\ncarol ALL = NOPASSWD: C", "carol", "root", "/bin/a nopw@2|/bin/b nopw@2" },
		{ "Cmnd_Alias C = /bin/a, !/bin/b\ncarol ALL = ALL, C", "carol", "root", "ALL@2|/bin/a@2" },
		{ "User_Alias A = B\nUser_Alias B = A\nA ALL = ALL", "carol", "root", "" },
		{ "Defaults !authenticate\ncarol ALL = /bin/x", "carol", "root", "/bin/x nopw@2" },
		{ "Defaults:carol rootpw\ncarol ALL = ALL", "carol", "root", "ALL@2 otherpw" },
		{ "Defaults:alice rootpw\ncarol ALL = ALL", "carol", "root", "ALL@2" },
		{ "Defaults>root targetpw\ncarol ALL = (ALL) ALL", "carol", "root", "ALL@2 otherpw" },
		{ "Defaults targetpw\nDefaults !targetpw\ncarol ALL = ALL", "carol", "root", "ALL@3" },
		{ "carol ALL = \\\n  NOPASSWD: /bin/x", "carol", "root", "/bin/x nopw@1" },
		{ "# comment\n\n   carol ALL = /bin/x # trailing\n", "carol", "root", "/bin/x@3" },
		{ "carol host1 = /bin/a : web1 = /bin/b", "carol", "root", "/bin/b@1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fix f;
		load(&f, cases[i].text);
		const char *got = grants(&f, cases[i].user, cases[i].target);
		if (strcmp(got, cases[i].want) != 0) {
			print_error("case %zu: %s\n  %s as %s: want '%s', got '%s'\n", i, cases[i].text, cases[i].user,
				    cases[i].target, cases[i].want, got);
			for (size_t k = 0; k < f.pr.n; k++)
				print_error("  problem: %s\n", f.pr.v[k]);
			done(&f);
			fail();
		}
		done(&f);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	struct fix f;
	load(&f, "carol ALL = /bin/ok\n"
		 "carol ALL\n"
		 "carol ALL = relative/path\n"
		 "carol ALL = (root /bin/x\n"
		 "Defaults:\n"
		 "User_Alias lower = x\n"
		 "carol ALL = \"unterminated\n"
		 "Cmnd_Alias C = /bin/a, ,\n"
		 "carol ALL = /bin/also_ok\n");
	assert_string_equal(grants(&f, "carol", "root"), "/bin/ok@1|/bin/also_ok@9");
	assert_true(problem(&f, "/etc/sudoers:2: expected '=' after the host list; line skipped"));
	assert_true(problem(&f, "/etc/sudoers:3: a command must be a full path"));
	assert_true(problem(&f, "/etc/sudoers:4: expected ')'"));
	assert_true(problem(&f, "/etc/sudoers:5:"));
	assert_true(problem(&f, "/etc/sudoers:6: an alias name"));
	assert_true(problem(&f, "/etc/sudoers:7: unterminated quote"));
	assert_true(problem(&f, "/etc/sudoers:8:"));
	done(&f);
}

static void test_includes(void **state)
{
	(void)state;
	struct rt t = rt_new("reach-sudoers");
	assert_non_null(t.dir);
	uid_t u = geteuid();
	gid_t g = getegid();
	assert_int_equal(rt_file(&t, "/etc/sudoers", 0440, u, g,
				 "@include sudoers.local\n"
				 "#include /etc/sudoers.%h\n"
				 "#includedir /etc/sudoers.d\n"
				 "@include /etc/loop-a\n"
				 "@include /etc/huge\n"
				 "@include /etc/missing\n"),
			 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.local", 0440, u, g, "carol ALL = /bin/local\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.web1", 0440, u, g, "carol ALL = /bin/host\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.d/10-carol", 0440, u, g, "carol ALL = /bin/dir\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.d/carol.bak", 0440, u, g, "carol ALL = /bin/bak\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.d/carol~", 0440, u, g, "carol ALL = /bin/tilde\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/loop-a", 0440, u, g, "@include /etc/loop-b\ncarol ALL = /bin/a\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/loop-b", 0440, u, g, "@include /etc/loop-a\ncarol ALL = /bin/b\n"), 0);
	char *big = malloc(RX_MAX_CONFIG_BYTES + 100);
	assert_non_null(big);
	memset(big, '#', RX_MAX_CONFIG_BYTES + 99);
	big[RX_MAX_CONFIG_BYTES + 99] = '\0';
	assert_int_equal(rt_file(&t, "/etc/huge", 0440, u, g, big), 0);
	free(big);
	struct fsroot root;
	assert_int_equal(fsroot_open(t.dir, &root), 0);
	struct fix f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(accounts_parse(&f.acc, passwd, strlen(passwd), group, strlen(group), &f.pr), 0);
	f.s = sudoers_new();
	assert_int_equal(sudoers_load(f.s, &root, "web1", &f.pr), 0);
	struct sudo_ctx ctx = { "web1", &f.acc };
	f.got[0] = '\0';
	sudoers_grants(f.s, &ctx, accounts_by_name(&f.acc, "carol"), "root", NULL, on_grant, &f);
	assert_string_equal(f.got, "/bin/local@1|/bin/host@1|/bin/dir@1|/bin/b@2|/bin/a@2");
	assert_true(problem(&f, "/etc/loop-a: included again while it is being read (an include loop), skipped"));
	assert_true(problem(&f, "/etc/huge: larger than 1048576 bytes, skipped"));
	assert_true(problem(&f, "/etc/missing: No such file or directory, skipped"));
	done(&f);
	fsroot_close(&root);
	rt_free(&t);
}

static void test_escape_table(void **state)
{
	(void)state;
	const char *how;
	assert_int_equal(escape_judge("/usr/bin/vim", "/etc/motd", &how), ESCV_SHELL);
	assert_int_equal(escape_judge("/usr/bin/find", NULL, &how), ESCV_SHELL);
	assert_int_equal(escape_judge("/usr/bin/find", "/var/log -name x", &how), ESCV_NONE);
	assert_int_equal(escape_judge("/usr/bin/find", "/var/log/*", &how), ESCV_SHELL);
	assert_int_equal(escape_judge("/usr/bin/python3.11", "", &how), ESCV_SHELL);
	assert_int_equal(escape_judge("/usr/bin/python3", "/opt/tool.py", &how), ESCV_NONE);
	assert_int_equal(escape_judge("/usr/bin/tee", NULL, &how), ESCV_WRITE);
	assert_int_equal(escape_judge("/usr/bin/cat", NULL, &how), ESCV_READ);
	assert_int_equal(escape_judge("/usr/bin/uptime", NULL, &how), ESCV_NONE);
	assert_int_equal(escape_judge("/usr/bin/systemctl", "restart nginx", &how), ESCV_NONE);
	assert_non_null(escape_find("/usr/bin/vim.basic"));
	assert_non_null(escape_find("perl5.36.0"));
	assert_null(escape_find("/usr/bin/3"));
	assert_true(escape_expected_setuid("/usr/bin/passwd"));
	assert_false(escape_expected_setuid("/usr/bin/find"));
}

/* The access check of acl(5), on permissions built by hand. */
static void test_perm(void **state)
{
	(void)state;
	uint32_t staff[] = { 1003, 50 };
	struct rx_who carol = { 1003, staff, 2 };
	struct fperm p = { .uid = 0, .gid = 50, .mode = 0100664 };
	enum rx_via via;
	uint32_t id;
	assert_true(rx_perm(&p, &carol, 2, &via, &id));
	assert_int_equal(via, VIA_GROUP);
	assert_int_equal(id, 50);
	p.gid = 51;
	assert_false(rx_perm(&p, &carol, 2, NULL, NULL));
	assert_true(rx_perm(&p, &carol, 4, &via, NULL));
	assert_int_equal(via, VIA_OTHER);
	/* a named-user ACL entry, limited by the mask */
	p = (struct fperm){ .uid = 0, .gid = 0, .mode = 0100640, .has_acl = true, .acl_group_obj = 4, .acl_mask = 6, .n_acl = 1 };
	p.acl[0] = (struct rx_acl_ent){ RX_ACL_USER, 7, 1003 };
	assert_true(rx_perm(&p, &carol, 2, &via, NULL));
	assert_int_equal(via, VIA_ACL_USER);
	assert_false(rx_perm(&p, &carol, 1, NULL, NULL));
	/* a matching group entry that does not grant denies, even if other would */
	p = (struct fperm){ .uid = 0, .gid = 50, .mode = 0100606, .has_acl = true, .acl_group_obj = 0, .acl_mask = 7 };
	assert_false(rx_perm(&p, &carol, 4, NULL, NULL));
	p.acl[p.n_acl++] = (struct rx_acl_ent){ RX_ACL_GROUP, 4, 50 };
	assert_true(rx_perm(&p, &carol, 4, &via, NULL));
	assert_int_equal(via, VIA_ACL_GROUP);
	/* the owner may chmod: everything */
	p = (struct fperm){ .uid = 1003, .gid = 1003, .mode = 0100400 };
	assert_true(rx_perm(&p, &carol, 2, &via, NULL));
	assert_int_equal(via, VIA_OWNER);
}

/* Resolution stays inside the root: absolute links, "..", loops. */
static void test_resolve(void **state)
{
	(void)state;
	struct rt t = rt_new("reach-resolve");
	assert_non_null(t.dir);
	uid_t u = geteuid();
	gid_t g = getegid();
	assert_int_equal(rt_file(&t, "/etc/real", 0644, u, g, "x"), 0);
	assert_int_equal(rt_link(&t, "/etc/abs", "/etc/real"), 0);
	assert_int_equal(rt_link(&t, "/etc/up", "../../../../etc/real"), 0);
	assert_int_equal(rt_link(&t, "/etc/l1", "l2"), 0);
	assert_int_equal(rt_link(&t, "/etc/l2", "/etc/l1"), 0);
	assert_int_equal(rt_link(&t, "/etc/dir", "/etc"), 0);
	struct fsroot r;
	assert_int_equal(fsroot_open(t.dir, &r), 0);
	struct rx_chain *c = malloc(sizeof(*c));
	assert_int_equal(fsroot_resolve(&r, "/etc/abs", true, c), 0);
	assert_true(c->exists);
	assert_string_equal(c->path, "/etc/real");
	assert_int_equal(c->n, 3);
	assert_int_equal(fsroot_resolve(&r, "/etc/up", true, c), 0);
	assert_string_equal(c->path, "/etc/real");
	assert_int_equal(fsroot_resolve(&r, "/etc/dir/dir/dir/real", true, c), 0);
	assert_string_equal(c->path, "/etc/real");
	assert_int_equal(fsroot_resolve(&r, "/etc/l1", true, c), -ELOOP);
	assert_int_equal(fsroot_resolve(&r, "/etc/abs", false, c), 0);
	assert_string_equal(c->path, "/etc/abs");
	assert_true(S_ISLNK(c->ent[c->n - 1].mode));
	assert_int_equal(fsroot_resolve(&r, "/etc/nope/deeper", true, c), 0);
	assert_false(c->exists);
	assert_int_equal(c->n, 2);
	assert_int_equal(fsroot_resolve(&r, "/etc/real/x", true, c), -ENOTDIR);
	char *text;
	assert_int_equal(fsroot_read(&r, "/etc/up", 100, &text), 1);
	assert_string_equal(text, "x");
	free(text);
	free(c);
	fsroot_close(&r);
	rt_free(&t);
}

static void test_secret_names(void **state)
{
	(void)state;
	const char *kind;
	assert_true(rx_secret_name("/home/a/.ssh", "id_ed25519", &kind));
	assert_false(rx_secret_name("/home/a/.ssh", "id_ed25519.pub", &kind));
	assert_true(rx_secret_name("/etc", "shadow", &kind));
	assert_false(rx_secret_name("/etc/x", "shadow", &kind));
	assert_true(rx_secret_name("/srv/app", ".env.production", &kind));
	assert_false(rx_secret_name("/srv/app", ".env.example", &kind));
	assert_true(rx_secret_name("/home/a/.aws", "credentials", &kind));
	assert_string_equal(kind, "cloud credentials (AWS)");
	assert_true(rx_secret_name("/etc/ssh", "ssh_host_ed25519_key", &kind));
	assert_false(rx_secret_name("/etc/ssh", "ssh_host_ed25519_key.pub", &kind));
	const char *fs;
	assert_true(rx_skip_fs(0x9fa0, &fs));
	assert_string_equal(fs, "proc");
	assert_true(rx_skip_fs(0x6969, &fs));
	assert_false(rx_skip_fs(0xef53 /* ext4 */, &fs));
	assert_false(rx_skip_fs(0x01021994 /* tmpfs: /run's sockets */, &fs));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	   cmocka_unit_test(test_malformed),	cmocka_unit_test(test_includes),
		cmocka_unit_test(test_escape_table), cmocka_unit_test(test_perm),	cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_secret_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
