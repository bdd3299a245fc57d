/*
 * moat reach on scratch roots: one root per kind of path to root and per
 * kind of secret, each with the near misses that must not count (a
 * writable file root never runs, a sudo rule for another host, a NOPASSWD
 * rule for a harmless command, a group-writable file of a group the
 * account is not in). Accounts: alice (sudo, staff), bob (docker), carol
 * (nothing), dave, deploy (nologin, a sudo target), root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/acl.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "reach-test.h"
#include "reach/reach.h"

#define ROOT 0
#define ALICE 1001
#define BOB 1002
#define CAROL 1003
#define DAVE 1004
#define DEPLOY 1100
#define G_DOCKER 998
#define G_STAFF 50
#define G_SUDO 27
#define G_SHADOW 42

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "alice:x:1001:1001::/home/alice:/bin/bash\n"
			     "bob:x:1002:1002::/home/bob:/bin/bash\n"
			     "carol:x:1003:1003::/home/carol:/bin/bash\n"
			     "dave:x:1004:1004::/home/dave:/bin/bash\n"
			     "deploy:x:1100:1100::/srv/deploy:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\n"
			    "daemon:x:1:\n"
			    "sudo:x:27:alice\n"
			    "shadow:x:42:\n"
			    "staff:x:50:alice\n"
			    "docker:x:998:bob\n"
			    "alice:x:1001:\n"
			    "bob:x:1002:\n"
			    "carol:x:1003:\n"
			    "dave:x:1004:\n"
			    "deploy:x:1100:\n";

/* An ordinary root: everything root's, homes their owners', shadow 0640 root:shadow. */
static struct rt base(const char *tag)
{
	struct rt t = rt_new(tag);
	assert_non_null(t.dir);
	assert_int_equal(rt_dir(&t, "/etc", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_file(&t, "/etc/passwd", 0644, ROOT, ROOT, passwd), 0);
	assert_int_equal(rt_file(&t, "/etc/group", 0644, ROOT, ROOT, group), 0);
	assert_int_equal(rt_file(&t, "/etc/hostname", 0644, ROOT, ROOT, "web1\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/shadow", 0640, ROOT, G_SHADOW, "root:$6$x:1::::::\n"), 0);
	assert_int_equal(rt_dir(&t, "/root", 0700, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/home", 0755, ROOT, ROOT), 0);
	static const struct {
		const char *home;
		uid_t uid;
	} homes[] = { { "/home/alice", ALICE }, { "/home/bob", BOB }, { "/home/carol", CAROL }, { "/home/dave", DAVE } };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(rt_dir(&t, homes[i].home, 0750, homes[i].uid, homes[i].uid), 0);
	assert_int_equal(rt_dir(&t, "/usr", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/usr/bin", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/usr/local", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/usr/local/bin", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/opt", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/srv", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_file(&t, "/usr/bin/vim", 0755, ROOT, ROOT, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_file(&t, "/usr/bin/uptime", 0755, ROOT, ROOT, "#!/bin/sh\n"), 0);
	return t;
}

struct got {
	struct reach_summary s;
	char *text; /* the text output for that user */
};

static struct got run(const struct rt *t, const char *user)
{
	struct reach *r = NULL;
	char *err = NULL;
	struct got g = { 0 };
	int rc = reach_new(&(struct reach_opts){ .root = t->dir }, &r, &err);
	if (rc < 0)
		print_error("reach_new: %s\n", err ? err : "?");
	assert_int_equal(rc, 0);
	rc = reach_summarize(r, user, &g.s);
	assert_true(rc == 0 || rc == -ENOENT);
	size_t n = 0;
	FILE *m = open_memstream(&g.text, &n);
	assert_non_null(m);
	const char *users[] = { user };
	reach_print(r, m, &(struct reach_print_opts){ .format = REACH_TEXT, .users = users, .n_users = 1, .verbose = true });
	fclose(m);
	reach_free(r);
	return g;
}

static void expect(const struct rt *t, const char *user, int steps, const char *needle)
{
	struct got g = run(t, user);
	if (g.s.root_steps != steps || (needle && !strstr(g.text, needle))) {
		print_error("%s: expected %d steps and \"%s\"; got %d:\n%s\n", user, steps, needle ? needle : "",
			    g.s.root_steps, g.text);
		free(g.text);
		fail();
	}
	free(g.text);
}

#define NEED_ROOT()                                                                          \
	do {                                                                                 \
		if (!rt_can_chown()) {                                                       \
			print_message("skipped: files of other owners need root (CAP_CHOWN)\n"); \
			skip();                                                              \
		}                                                                            \
	} while (0)

/* ---- sudo ---- */

static void test_sudo_escape(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-sudo");
	assert_int_equal(rt_file(&t, "/etc/sudoers", 0440, ROOT, ROOT,
				 "Defaults env_reset\n"
				 "root ALL=(ALL:ALL) ALL\n"
				 "@includedir /etc/sudoers.d\n"),
			 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.d/dave", 0440, ROOT, ROOT,
				 "# dave edits the web config\n"
				 "\n"
				 "dave ALL=(root) NOPASSWD: /usr/bin/vim /etc/nginx/nginx.conf\n"),
			 0);
	/* the near misses: another host; a harmless command; a file sudo skips (it has a '.') */
	assert_int_equal(rt_file(&t, "/etc/sudoers.d/carol", 0440, ROOT, ROOT,
				 "carol db1 = NOPASSWD: ALL\n"
				 "carol ALL = NOPASSWD: /usr/bin/uptime\n"),
			 0);
	assert_int_equal(rt_file(&t, "/etc/sudoers.d/bob.disabled", 0440, ROOT, ROOT, "bob ALL=(ALL) NOPASSWD: ALL\n"), 0);
	struct got g = run(&t, "dave");
	assert_int_equal(g.s.root_steps, 1);
	assert_non_null(strstr(g.s.verdict, "dave: root in 1 step (sudo NOPASSWD /usr/bin/vim /etc/nginx/nginx.conf — runs a shell"));
	assert_non_null(strstr(g.s.verdict, "evidence /etc/sudoers.d/dave:3"));
	assert_false(g.s.needs_password);
	free(g.text);
	expect(&t, "carol", -1, "no known escape");
	expect(&t, "bob", -1, "bob: no path to root");
	rt_free(&t);
}

static void test_sudo_group_alias_password(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-sudo-alias");
	assert_int_equal(rt_file(&t, "/etc/sudoers", 0440, ROOT, ROOT,
				 "User_Alias OPS = carol, %staff\n"
				 "Host_Alias WEB = web*, db1\n"
				 "Cmnd_Alias PAGERS = /usr/bin/less, /usr/bin/more\n"
				 "Defaults:dave targetpw\n"
				 "%sudo ALL=(ALL:ALL) ALL\n"
				 "OPS WEB = (root) PAGERS\n"
				 "dave ALL=(ALL) ALL\n"
				 "bob ALL=(ALL) ALL, !ALL\n"),
			 0);
	/* alice: the sudo group rule (her password), carol: the alias on host web1 */
	struct got g = run(&t, "alice");
	assert_int_equal(g.s.root_steps, 1);
	assert_true(g.s.needs_password);
	assert_non_null(strstr(g.s.verdict, "sudo (with alice's password) ALL"));
	assert_non_null(strstr(g.s.verdict, "evidence /etc/sudoers:5"));
	free(g.text);
	expect(&t, "carol", 1, "/usr/bin/less — runs a shell from the pager");
	/* dave's rule asks for root's password; bob's is taken back by !ALL */
	expect(&t, "dave", -1, "asks for the target's password");
	expect(&t, "bob", -1, "bob: no path to root");
	rt_free(&t);
}

static void test_sudo_two_steps(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-two-steps");
	assert_int_equal(rt_file(&t, "/etc/sudoers", 0440, ROOT, ROOT, "dave ALL=(deploy) NOPASSWD: /usr/bin/bash\n"), 0);
	assert_int_equal(rt_file(&t, "/usr/bin/bash", 0755, ROOT, ROOT, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_dir(&t, "/srv/deploy", 0755, DEPLOY, DEPLOY), 0);
	assert_int_equal(rt_file(&t, "/srv/deploy/backup.sh", 0755, DEPLOY, DEPLOY, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/cron.d/backup", 0644, ROOT, ROOT,
				 "SHELL=/bin/sh\n"
				 "17 3 * * * root /srv/deploy/backup.sh >/dev/null\n"),
			 0);
	expect(&t, "dave", 2, "as deploy");
	struct got g = run(&t, "dave");
	assert_non_null(strstr(g.s.verdict, "/etc/cron.d/backup:2"));
	free(g.text);
	expect(&t, "carol", -1, NULL);
	rt_free(&t);
}

/* ---- groups, sockets ---- */

static void test_docker_group(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-docker");
	/* the group counts when the daemon is there: a socket would be made by dockerd; its binary is enough */
	assert_int_equal(rt_file(&t, "/usr/bin/dockerd", 0755, ROOT, ROOT, "\x7f" "ELF"), 0);
	expect(&t, "bob", 1, "docker group");
	expect(&t, "carol", -1, NULL);
	rt_free(&t);
}

/* ---- files root runs ---- */

static void test_writable_root_run(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-rootrun");
	/* dave owns the program a root unit starts */
	assert_int_equal(rt_dir(&t, "/opt/app", 0755, DAVE, DAVE), 0);
	assert_int_equal(rt_file(&t, "/opt/app/run", 0755, DAVE, DAVE, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/systemd/system/app.service", 0644, ROOT, ROOT,
				 "[Unit]\nDescription=app\n\n[Service]\nExecStart=-/opt/app/run --serve\n"),
			 0);
	/* a unit run as deploy: writing its program is deploy, not root */
	assert_int_equal(rt_file(&t, "/opt/worker", 0777, ROOT, ROOT, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/systemd/system/worker.service", 0644, ROOT, ROOT,
				 "[Service]\nUser=deploy\nExecStart=/opt/worker\n"),
			 0);
	/* near misses: a world-writable file nothing runs; a cron file of a group carol is not in */
	assert_int_equal(rt_file(&t, "/opt/unused.sh", 0666, ROOT, ROOT, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/cron.d/staffjob", 0664, ROOT, G_STAFF, "* * * * * root /bin/true\n"), 0);
	expect(&t, "dave", 1, "/etc/systemd/system/app.service:5");
	expect(&t, "carol", -1, NULL);
	/* alice is in staff: the group-writable cron file is hers to fill */
	expect(&t, "alice", 1, "group-write, group staff");
	rt_free(&t);
}

static void test_writable_dirs(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-dirs");
	/* a directory of root's PATH writable by staff (alice), the python module path by anyone */
	assert_int_equal(rt_dir(&t, "/usr/local/sbin", 0775, ROOT, G_STAFF), 0);
	expect(&t, "alice", 1, "/usr/local/sbin (a directory: put a file in it)");
	expect(&t, "carol", -1, NULL);
	assert_int_equal(rt_dir(&t, "/usr/lib/python3/dist-packages", 0777, ROOT, ROOT), 0);
	expect(&t, "carol", 1, "module path");
	rt_free(&t);

	t = base("reach-ld");
	/* ld.so.conf.d names a library directory that dave owns */
	assert_int_equal(rt_file(&t, "/etc/ld.so.conf", 0644, ROOT, ROOT, "include /etc/ld.so.conf.d/*.conf\n"), 0);
	assert_int_equal(rt_file(&t, "/etc/ld.so.conf.d/app.conf", 0644, ROOT, ROOT, "# app\n/opt/applib\n"), 0);
	assert_int_equal(rt_dir(&t, "/opt/applib", 0755, DAVE, DAVE), 0);
	expect(&t, "dave", 1, "/etc/ld.so.conf.d/app.conf:2");
	expect(&t, "carol", -1, NULL);
	/* a sticky world-writable directory is not anyone's to replace files in */
	assert_int_equal(rt_dir(&t, "/etc/profile.d", 01777, ROOT, ROOT), 0);
	assert_int_equal(rt_file(&t, "/etc/profile.d/a.sh", 0644, ROOT, ROOT, "umask 022\n"), 0);
	struct got g = run(&t, "carol");
	assert_null(strstr(g.text, "/etc/profile.d/a.sh"));
	free(g.text);
	rt_free(&t);
}

/* ---- setuid, capabilities ---- */

static void test_setuid(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-setuid");
	assert_int_equal(rt_file(&t, "/usr/bin/find", 04755, ROOT, ROOT, "\x7f" "ELF"), 0);
	expect(&t, "carol", 1, "setuid /usr/bin/find — runs a shell (-exec /bin/sh)");
	rt_free(&t);
	/* passwd is setuid by design; a setuid file carol cannot execute is not hers */
	t = base("reach-setuid-ok");
	assert_int_equal(rt_file(&t, "/usr/bin/passwd", 04755, ROOT, ROOT, "\x7f" "ELF"), 0);
	assert_int_equal(rt_file(&t, "/usr/bin/python3.11", 04750, ROOT, G_STAFF, "\x7f" "ELF"), 0);
	expect(&t, "carol", -1, NULL);
	expect(&t, "alice", 1, "setuid /usr/bin/python3.11");
	rt_free(&t);
}

static void test_file_caps(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-caps");
	char p[8192];
	assert_int_equal(rt_file(&t, "/usr/bin/python3.11", 0755, ROOT, ROOT, "\x7f" "ELF"), 0);
	assert_int_equal(rt_file(&t, "/usr/bin/ping", 0755, ROOT, ROOT, "\x7f" "ELF"), 0);
	static const struct {
		const char *path, *caps;
	} set[] = { { "/usr/bin/python3.11", "cap_setuid+ep" }, { "/usr/bin/ping", "cap_net_raw+ep" } };
	for (size_t i = 0; i < 2; i++) {
		cap_t c = cap_from_text(set[i].caps);
		assert_non_null(c);
		if (cap_set_file(rt_host(&t, set[i].path, p, sizeof(p)), c) < 0) {
			cap_free(c);
			rt_free(&t);
			print_message("skipped: this file system keeps no file capabilities\n");
			skip();
		}
		cap_free(c);
	}
	expect(&t, "carol", 1, "runs /usr/bin/python3.11 with file capabilities cap_setuid=ep");
	struct got g = run(&t, "carol");
	assert_null(strstr(g.text, "/usr/bin/ping"));
	free(g.text);
	rt_free(&t);
}

/* A unix socket at path in the root, root-owned with gid and mode; skips the
 * test (freeing t) where $TMPDIR makes the path too long for a socket. */
static void sock_at(struct rt *t, const char *path, unsigned mode, gid_t gid)
{
	char p[8192];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	rt_host(t, path, p, sizeof(p));
	if (strlen(p) >= sizeof(a.sun_path)) {
		close(fd);
		rt_free(t);
		print_message("skipped: $TMPDIR too long for a socket path\n");
		skip();
	}
	memcpy(a.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(lchown(p, ROOT, gid), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void test_socket_and_acl(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-socket");
	char p[8192];
	assert_int_equal(rt_dir(&t, "/run", 0755, ROOT, ROOT), 0);
	static const struct {
		const char *path;
		unsigned mode;
		gid_t gid;
	} socks[] = { { "/run/docker.sock", 0660, G_DOCKER }, { "/run/other.sock", 0666, ROOT } };
	for (size_t i = 0; i < 2; i++)
		sock_at(&t, socks[i].path, socks[i].mode, socks[i].gid);
	expect(&t, "bob", 1, "can write root's socket /run/docker.sock");
	expect(&t, "carol", -1, "can write root's socket /run/other.sock (what the daemon allows is not judged)");
	/* an ACL entry gives carol a cron file whose mode says root only */
	assert_int_equal(rt_file(&t, "/etc/cron.d/job", 0644, ROOT, ROOT, "* * * * * root /bin/true\n"), 0);
	acl_t acl = acl_from_text("u::rw-,u:1003:rw-,g::r--,m::rw-,o::r--");
	assert_non_null(acl);
	int rc = acl_set_file(rt_host(&t, "/etc/cron.d/job", p, sizeof(p)), ACL_TYPE_ACCESS, acl);
	acl_free(acl);
	if (rc < 0) {
		rt_free(&t);
		print_message("skipped: this file system keeps no ACLs\n");
		skip();
	}
	expect(&t, "carol", 1, "an ACL entry lets the account write");
	expect(&t, "dave", -1, NULL);
	rt_free(&t);
}

/* ---- doas, polkit ---- */

static void test_doas_polkit(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-doas");
	assert_int_equal(rt_file(&t, "/etc/doas.conf", 0600, ROOT, ROOT,
				 "# doas rules\n"
				 "permit nopass dave as root cmd /usr/bin/less\n"
				 "permit carol as root cmd /usr/bin/uptime args\n"
				 "permit bob as root\n"
				 "deny bob as root\n"
				 "allow everyone\n"),
			 0);
	expect(&t, "dave", 1, "doas NOPASSWD /usr/bin/less");
	expect(&t, "carol", -1, "no known escape");
	expect(&t, "bob", -1, NULL);
	rt_free(&t);

	t = base("reach-polkit");
	assert_int_equal(rt_file(&t, "/usr/share/polkit-1/rules.d/40-debian-sudo.rules", 0644, ROOT, ROOT,
				 "// members of sudo are administrators\n"
				 "polkit.addAdminRule(function(action, subject) {\n"
				 "    return [\"unix-group:sudo\"];\n"
				 "});\n"),
			 0);
	assert_int_equal(rt_file(&t, "/etc/polkit-1/localauthority/50-local.d/carol.pkla", 0644, ROOT, ROOT,
				 "[carol may run anything]\n"
				 "Identity=unix-user:carol\n"
				 "Action=org.freedesktop.policykit.*\n"
				 "ResultActive=yes\n"
				 "\n"
				 "[dave may suspend]\n"
				 "Identity=unix-user:dave\n"
				 "Action=org.freedesktop.login1.suspend\n"
				 "ResultActive=yes\n"),
			 0);
	expect(&t, "alice", 1, "admin via polkit");
	expect(&t, "carol", 1, "org.freedesktop.policykit.exec");
	expect(&t, "dave", -1, NULL);
	rt_free(&t);
}

/* ---- secrets ---- */

static void test_secrets(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-secrets");
	static const char key[] = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
	assert_int_equal(rt_dir(&t, "/home/alice", 0755, ALICE, ALICE), 0);
	assert_int_equal(rt_dir(&t, "/home/alice/.ssh", 0755, ALICE, ALICE), 0);
	assert_int_equal(rt_file(&t, "/home/alice/.ssh/id_ed25519", 0644, ALICE, ALICE, key), 0);
	assert_int_equal(rt_file(&t, "/home/alice/.bash_history", 0644, ALICE, ALICE, "mysql -p hunter2\n"), 0);
	assert_int_equal(rt_dir(&t, "/home/alice/.aws", 0755, ALICE, ALICE), 0);
	assert_int_equal(rt_file(&t, "/home/alice/.aws/credentials", 0644, ALICE, ALICE, "[default]\n"), 0);
	assert_int_equal(rt_dir(&t, "/srv/app", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_file(&t, "/srv/app/.env", 0644, ROOT, ROOT, "DB_PASSWORD=x\n"), 0);
	/* near misses: a certificate is no private key; a key in a home nobody else may enter */
	assert_int_equal(rt_file(&t, "/srv/app/server.pem", 0644, ROOT, ROOT, "-----BEGIN CERTIFICATE-----\n"), 0);
	assert_int_equal(rt_dir(&t, "/home/bob/.ssh", 0700, BOB, BOB), 0);
	assert_int_equal(rt_file(&t, "/home/bob/.ssh/id_rsa", 0644, BOB, BOB, key), 0);
	/* the shadow group reads the hashes */
	assert_int_equal(rt_file(&t, "/etc/group", 0644, ROOT, ROOT, "root:x:0:\nshadow:x:42:dave\nalice:x:1001:\n"), 0);
	struct got g = run(&t, "carol");
	assert_int_equal(g.s.secrets, 4);
	assert_non_null(strstr(g.text, "secret: /home/alice/.ssh/id_ed25519 (private SSH key"));
	assert_non_null(strstr(g.text, "secret: /home/alice/.bash_history (shell history"));
	assert_non_null(strstr(g.text, "secret: /home/alice/.aws/credentials (cloud credentials (AWS)"));
	assert_non_null(strstr(g.text, "secret: /srv/app/.env (environment file"));
	assert_null(strstr(g.text, "server.pem"));
	assert_null(strstr(g.text, "/home/bob/.ssh/id_rsa"));
	assert_null(strstr(g.text, "/etc/shadow"));
	free(g.text);
	g = run(&t, "dave");
	assert_int_equal(g.s.secrets, 5);
	assert_non_null(strstr(g.text, "secret: /etc/shadow (password hashes; group-read, group shadow"));
	free(g.text);
	/* her own keys are not a thief's news */
	g = run(&t, "alice");
	assert_int_equal(g.s.secrets, 1);
	assert_non_null(strstr(g.s.verdict, "reads 1 secret outside /home/alice (/srv/app/.env)"));
	free(g.text);
	rt_free(&t);
}

/* The kinds the other tests leave out, each with its evidence: an init
 * script, /etc/ld.so.preload, a perl module path, containerd's socket, the
 * lxd group (with LXD present; without it, a note and no step), the groups
 * that read (systemd-journal, video: notes, never a step), Google Cloud
 * credentials. */
static void test_more_kinds(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-kinds");
	assert_int_equal(rt_file(&t, "/etc/init.d/app", 0775, ROOT, G_STAFF, "#!/bin/sh\n"), 0);
	expect(&t, "alice", 1, "/etc/init.d/app");
	expect(&t, "carol", -1, NULL);
	rt_free(&t);

	t = base("reach-preload");
	assert_int_equal(rt_file(&t, "/etc/ld.so.preload", 0666, ROOT, ROOT, ""), 0);
	expect(&t, "carol", 1, "/etc/ld.so.preload");
	rt_free(&t);

	t = base("reach-perl");
	assert_int_equal(rt_dir(&t, "/usr/share/perl5", 0775, ROOT, G_STAFF), 0);
	expect(&t, "alice", 1, "/usr/share/perl5");
	expect(&t, "carol", -1, NULL);
	rt_free(&t);

	t = base("reach-containerd");
	assert_int_equal(rt_dir(&t, "/run", 0755, ROOT, ROOT), 0);
	assert_int_equal(rt_dir(&t, "/run/containerd", 0755, ROOT, ROOT), 0);
	sock_at(&t, "/run/containerd/containerd.sock", 0660, G_STAFF);
	expect(&t, "alice", 1, "can write root's socket /run/containerd/containerd.sock");
	expect(&t, "carol", -1, NULL);
	rt_free(&t);

	static const char groups[] = "root:x:0:\nshadow:x:42:\nlxd:x:130:carol\nsystemd-journal:x:101:dave\n"
				     "video:x:44:dave\ncarol:x:1003:\ndave:x:1004:\n";
	t = base("reach-lxd");
	assert_int_equal(rt_file(&t, "/etc/group", 0644, ROOT, ROOT, groups), 0);
	expect(&t, "carol", -1, "lxd group: no daemon found that gives it power (no step) [/etc/group:3]");
	assert_int_equal(rt_file(&t, "/usr/bin/lxd", 0755, ROOT, ROOT, "\x7f" "ELF"), 0);
	expect(&t, "carol", 1, "lxd group: LXD starts a privileged container");
	expect(&t, "dave", -1, "systemd-journal group: reads the whole journal");
	expect(&t, "dave", -1, "video group: reads the screen");
	rt_free(&t);

	t = base("reach-gcloud");
	assert_int_equal(rt_dir(&t, "/home/alice", 0755, ALICE, ALICE), 0);
	assert_int_equal(rt_dir(&t, "/home/alice/.config", 0755, ALICE, ALICE), 0);
	assert_int_equal(rt_dir(&t, "/home/alice/.config/gcloud", 0755, ALICE, ALICE), 0);
	assert_int_equal(rt_file(&t, "/home/alice/.config/gcloud/application_default_credentials.json", 0644, ALICE,
				 ALICE, "{}\n"),
			 0);
	struct got g = run(&t, "carol");
	assert_int_equal(g.s.secrets, 1);
	assert_non_null(strstr(g.text, "secret: /home/alice/.config/gcloud/application_default_credentials.json "
					"(cloud credentials (Google Cloud)"));
	free(g.text);
	rt_free(&t);
}

static void test_nothing(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-nothing");
	struct got g = run(&t, "carol");
	assert_string_equal(g.s.verdict, "carol: no path to root; reads no secret outside /home/carol");
	free(g.text);
	g = run(&t, "root");
	assert_string_equal(g.s.verdict, "root: is root");
	free(g.text);
	g = run(&t, "nosuch");
	assert_false(g.s.exists);
	free(g.text);
	rt_free(&t);
}

/* ---- hostile roots ---- */

static void test_symlinks_stay_inside(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-links");
	/* sudoers as an absolute symlink: the root's file, not the host's */
	assert_int_equal(rt_file(&t, "/etc/sudoers.real", 0440, ROOT, ROOT, "carol ALL=(ALL) NOPASSWD: ALL\n"), 0);
	assert_int_equal(rt_link(&t, "/etc/sudoers", "/etc/sudoers.real"), 0);
	/* a loop, a link out of the root with "..": neither followed out */
	assert_int_equal(rt_link(&t, "/etc/loop1", "/etc/loop2"), 0);
	assert_int_equal(rt_link(&t, "/etc/loop2", "loop1"), 0);
	assert_int_equal(rt_link(&t, "/etc/crontab", "../../../../../../../../etc/crontab.here"), 0);
	assert_int_equal(rt_file(&t, "/etc/crontab.here", 0644, ROOT, ROOT, "* * * * * root /opt/job\n"), 0);
	assert_int_equal(rt_file(&t, "/opt/job", 0666, ROOT, ROOT, "#!/bin/sh\n"), 0);
	assert_int_equal(rt_link(&t, "/opt/dirloop", "/opt"), 0);
	expect(&t, "carol", 1, "sudo NOPASSWD ALL");
	expect(&t, "dave", 1, "/etc/crontab:1");
	rt_free(&t);
}

static void test_hostile_names(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-hostile");
	assert_int_equal(rt_file(&t, "/etc/passwd", 0644, ROOT, ROOT,
				 "root:x:0:0::/root:/bin/bash\n"
				 "ev\x1b[31mil:x:1200:1200::/home/evil:/bin/sh\n"
				 "toor:x:0:0::/root:/bin/sh\n"
				 "broken line\n"),
			 0);
	struct reach *r;
	char *err;
	assert_int_equal(reach_new(&(struct reach_opts){ .root = t.dir }, &r, &err), 0);
	char *out = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&out, &n);
	reach_print(r, m, &(struct reach_print_opts){ .format = REACH_TEXT });
	fclose(m);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "ev\\x1b[31mil: no path to root"));
	assert_non_null(strstr(out, "toor: is root (uid 0), evidence /etc/passwd:3"));
	bool found = false;
	for (size_t i = 0; i < reach_problem_count(r); i++)
		found |= strstr(reach_problem(r, i), "/etc/passwd:4: not a passwd line") != NULL;
	assert_true(found);
	free(out);
	m = open_memstream(&out, &n);
	reach_print(r, m, &(struct reach_print_opts){ .format = REACH_JSON });
	fclose(m);
	assert_non_null(strstr(out, "\"account\":\"ev\\u001b[31mil\""));
	free(out);
	reach_free(r);
	rt_free(&t);
}

/* A directory the caller cannot read is counted and named, never fatal:
 * run by an unprivileged process (as root, a child drops to nobody). */
static void test_unreadable_dir(void **state)
{
	(void)state;
	struct rt t = rt_new("reach-unreadable");
	assert_non_null(t.dir);
	uid_t me = geteuid();
	assert_int_equal(rt_file(&t, "/etc/passwd", 0644, me, getegid(), "carol:x:1003:1003::/home/carol:/bin/sh\n"), 0);
	assert_int_equal(rt_dir(&t, "/secret", 0700, me, getegid()), 0);
	assert_int_equal(rt_file(&t, "/secret/x", 0600, me, getegid(), "x"), 0);
	char host[8192];
	rt_host(&t, "/", host, sizeof(host));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (me == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		if (me != 0) {
			rt_host(&t, "/secret", host, sizeof(host));
			(void)chmod(host, 0);
		}
		struct reach *r;
		char *err;
		if (reach_new(&(struct reach_opts){ .root = t.dir }, &r, &err) < 0)
			_exit(4);
		struct reach_stats st;
		reach_stats(r, &st);
		bool named = false;
		for (size_t i = 0; i < reach_problem_count(r); i++)
			named |= strstr(reach_problem(r, i), "/secret: Permission denied, not walked") != NULL;
		reach_free(r);
		free(t.dir); /* valgrind checks the child's leaks too */
		_exit(st.unreadable_dirs == 1 && named ? 0 : 5);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rt_host(&t, "/secret", host, sizeof(host));
	(void)chmod(host, 0700);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	rt_free(&t);
}

static void test_verdict_cache(void **state)
{
	(void)state;
	NEED_ROOT();
	struct rt t = base("reach-cache");
	assert_int_equal(rt_file(&t, "/etc/sudoers", 0440, ROOT, ROOT, "carol ALL=(ALL) NOPASSWD: ALL\n"), 0);
	struct reach_summary s;
	assert_int_equal(reach_verdict(t.dir, "carol", &s), 0);
	assert_int_equal(s.root_steps, 1);
	/* cached: a change on disk is not seen until reset */
	assert_int_equal(rt_file(&t, "/etc/sudoers", 0440, ROOT, ROOT, "\n"), 0);
	assert_int_equal(reach_verdict(t.dir, "carol", &s), 0);
	assert_int_equal(s.root_steps, 1);
	reach_verdict_reset();
	assert_int_equal(reach_verdict(t.dir, "carol", &s), 0);
	assert_int_equal(s.root_steps, -1);
	assert_int_equal(reach_verdict(t.dir, "mallory", &s), -ENOENT);
	assert_false(s.exists);
	reach_verdict_reset();
	rt_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sudo_escape),
		cmocka_unit_test(test_sudo_group_alias_password),
		cmocka_unit_test(test_sudo_two_steps),
		cmocka_unit_test(test_docker_group),
		cmocka_unit_test(test_writable_root_run),
		cmocka_unit_test(test_writable_dirs),
		cmocka_unit_test(test_setuid),
		cmocka_unit_test(test_file_caps),
		cmocka_unit_test(test_socket_and_acl),
		cmocka_unit_test(test_doas_polkit),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_more_kinds),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_symlinks_stay_inside),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_unreadable_dir),
		cmocka_unit_test(test_verdict_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
