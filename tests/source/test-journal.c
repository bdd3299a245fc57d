/*
 * source/journal: the trust rule, one case per line (who wrote an entry
 * against what it claims), journal JSON's trusted fields through the header
 * parser, and cursor text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parse/header.h"
#include "source/journal.h"

#define NONE -1

static const struct {
	const char *program; /* SYSLOG_IDENTIFIER (NULL: absent; the header then has _COMM) */
	const char *comm, *exe; /* NULL: absent */
	int64_t uid; /* NONE: absent */
	const char *transport;
	const char *msg;
	enum journal_trust want;
	const char *claimed; /* NULL: none */
} cases[] = {
	/* the programs themselves */
	{ "sshd", "sshd", "/usr/sbin/sshd", 0, "syslog", "Accepted password for a from 192.0.2.1 port 1 ssh2", JT_TRUSTED, "sshd" },
	{ "sshd", "sshd", "/usr/sbin/sshd (deleted)", 0, "syslog", "x", JT_TRUSTED, "sshd" },
	{ "sshd-session", "sshd-session", "/usr/lib/openssh/sshd-session", 0, "syslog", "x", JT_TRUSTED, "sshd" },
	{ "sshd", "sshd-session", "/usr/libexec/openssh/sshd-session", 0, "syslog", "x", JT_TRUSTED, "sshd" },
	{ "sshd", "sshd-auth", "/usr/libexec/sshd-auth", 0, "syslog", "x", JT_TRUSTED, "sshd" },
	{ "sshd", "sshd-auth", "/usr/libexec/sshd-auth", 105, "syslog", "x", JT_FORGED, "sshd" },
	{ "sshd", "sshd", "/usr/sbin/sshd", 0, "stdout", "x", JT_TRUSTED, "sshd" },
	{ "sudo", "sudo", "/usr/bin/sudo", 1000, "syslog", "  alice : TTY=pts/0 ; …", JT_TRUSTED, "sudo" },
	{ "sudo", "sudo", "/usr/bin/sudo", 1000, "syslog", "pam_unix(sudo:auth): authentication failure; …", JT_TRUSTED, "sudo" },
	{ "su", "su", "/bin/su", 1000, "syslog", "pam_unix(su-l:session): session opened for user root", JT_TRUSTED, "su" },
	{ "systemd-logind", "systemd-logind", "/lib/systemd/systemd-logind", 0, "journal", "New session 1 of user a.", JT_TRUSTED, "systemd-logind" },
	{ "useradd", "useradd", "/usr/sbin/useradd", 0, "syslog", "new user: name=x", JT_TRUSTED, "useradd" },
	{ "passwd", "passwd", "/usr/bin/passwd", 1000, "syslog", "pam_unix(passwd:chauthtok): password changed for a", JT_TRUSTED, "passwd" },
	{ "unix_chkpwd", "unix_chkpwd", "/usr/sbin/unix_chkpwd", 1000, "syslog", "password check failed for user (a)", JT_TRUSTED, "unix_chkpwd" },
	{ "adduser", "adduser", "/usr/bin/perl", 0, "syslog", "x", JT_TRUSTED, "adduser" },
	{ "adduser", "adduser", "/usr/bin/perl5.36.0", 0, "syslog", "x", JT_TRUSTED, "adduser" },
	{ "login", "login", "/usr/bin/login", 0, "syslog", "FAILED LOGIN (1) on '/dev/tty1' FOR 'a'", JT_TRUSTED, "login" },
	{ "/usr/sbin/sshd", "sshd", "/usr/sbin/sshd", 0, "syslog", "x", JT_TRUSTED, "sshd" },
	/* no identifier: the program is _COMM, and its _EXE must agree */
	{ NULL, "sshd", "/usr/sbin/sshd", 0, "stdout", "x", JT_TRUSTED, "sshd" },
	{ NULL, "sshd", "/tmp/sshd", 1000, "stdout", "x", JT_FORGED, "sshd" },
	/* root without _COMM/_EXE (exited first): believed, root writes what it likes */
	{ "usermod", NULL, NULL, 0, "syslog", "add 'a' to group 'adm'", JT_TRUSTED, "usermod" },
	/* programs moat does not read claim nothing */
	{ "cron", "cron", "/usr/sbin/cron", 0, "syslog", "(root) CMD (true)", JT_TRUSTED, NULL },
	{ "myapp", "python3", "/usr/bin/python3.11", 1000, "syslog", "Accepted password for x", JT_TRUSTED, NULL },
	/* forgeries */
	{ "sshd", "logger", "/usr/bin/logger", 1000, "syslog", "Accepted password for root from 203.0.113.1 port 22 ssh2", JT_FORGED, "sshd" },
	{ "sshd", "logger", "/usr/bin/logger", 0, "syslog", "Accepted password for root from 203.0.113.1 port 22 ssh2", JT_FORGED, "sshd" },
	{ "sshd", "sshd", "/home/eve/sshd", 1000, "syslog", "x", JT_FORGED, "sshd" },
	{ "sshd", "sshd", "/usr/sbin/sshd", 1000, "syslog", "x", JT_FORGED, "sshd" }, /* a user's own sshd */
	{ "sshd", "sshd", "/usr/sbin/../../tmp/sshd", 0, "syslog", "x", JT_FORGED, "sshd" },
	{ "sshd", "sshd", "sshd", 0, "syslog", "x", JT_FORGED, "sshd" },
	{ "sshd", "sshd", NULL, 1000, "syslog", "x", JT_FORGED, "sshd" },
	{ "sshd", NULL, NULL, 1000, "syslog", "x", JT_FORGED, "sshd" }, /* root only: the uid says enough */
	{ "sudo", "python3", "/usr/bin/python3.11", 1000, "journal", "  a : TTY=pts/0 ; USER=root ; COMMAND=/bin/sh", JT_FORGED, "sudo" },
	{ "sudo", "sudo", "/usr/local/lib/sudo", 1000, "syslog", "x", JT_FORGED, "sudo" },
	{ "systemd-logind", "systemd-logind", "/lib/systemd/systemd-logind", 1000, "syslog", "x", JT_FORGED, "systemd-logind" },
	{ "adduser", "adduser", "/usr/bin/python3", 0, "syslog", "x", JT_FORGED, "adduser" },
	{ "useradd", "useradd", "/usr/sbin/useradd", 1000, "syslog", "new user: name=x", JT_FORGED, "useradd" },
	/* a PAM line naming a service moat reads, from another program */
	{ "cron", "cron", "/usr/sbin/cron", 0, "syslog", "pam_unix(sshd:auth): authentication failure; rhost=203.0.113.9 user=root", JT_FORGED, "sshd" },
	{ "sudo", "sudo", "/usr/bin/sudo", 1000, "syslog", "pam_unix(su:auth): authentication failure", JT_FORGED, "su" },
	{ "cron", "cron", "/usr/sbin/cron", 0, "syslog", "pam_unix(cron:session): session opened for user root", JT_TRUSTED, NULL },
	/* a user's process journald could not name, claiming a set-uid program */
	{ "sudo", NULL, NULL, 1000, "syslog", "  a : TTY=pts/0 ; USER=root ; COMMAND=/bin/sh", JT_UNVERIFIED, "sudo" },
	{ "su", NULL, NULL, 1000, "syslog", "FAILED SU (to root) a on pts/1", JT_UNVERIFIED, "su" },
	/* no trusted fields at all: exported or forwarded */
	{ "sshd", NULL, NULL, NONE, NULL, "Failed password for root from 203.0.113.1 port 22 ssh2", JT_NO_WRITER, "sshd" },
	/* not a program's message */
	{ "sshd", "sshd", "/usr/sbin/sshd", 0, "audit", "USER_AUTH pid=1 …", JT_NOT_SYSLOG, NULL },
	{ "kernel", NULL, NULL, NONE, "kernel", "x", JT_NOT_SYSLOG, NULL },
};

static void test_trust_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct journal_fields f = {
			.identifier = sv_cstr(cases[i].program),
			.comm = sv_cstr(cases[i].comm),
			.exe = sv_cstr(cases[i].exe),
			.transport = sv_cstr(cases[i].transport),
			.uid = cases[i].uid,
			.pid = 42,
		};
		struct syslog_header h = {
			.program = cases[i].program ? sv_cstr(cases[i].program) : sv_cstr(cases[i].comm),
			.msg = sv_cstr(cases[i].msg),
			.pid = 42,
			.repeat = 1,
			.journal = &f,
		};
		struct journal_verdict v;
		journal_trust(&h, &v);
		if (v.trust != cases[i].want || (cases[i].claimed && (!v.claimed || strcmp(v.claimed, cases[i].claimed))) ||
		    (!cases[i].claimed && v.trust != JT_NOT_SYSLOG && v.claimed)) {
			fprintf(stderr, "case %zu (%s by %s %s uid %lld): verdict %d claimed %s, want %d %s\n", i,
				cases[i].program ? cases[i].program : "-", cases[i].comm ? cases[i].comm : "-",
				cases[i].exe ? cases[i].exe : "-", (long long)cases[i].uid, v.trust,
				v.claimed ? v.claimed : "-", cases[i].want, cases[i].claimed ? cases[i].claimed : "-");
			fail();
		}
	}
}

static void test_text_lines_are_not_judged(void **state)
{
	struct syslog_header h = { .program = SV_LIT("sshd"), .msg = SV_LIT("x"), .pid = 1, .repeat = 1 };
	struct journal_verdict v;
	(void)state;
	journal_trust(&h, &v);
	assert_int_equal(v.trust, JT_TRUSTED);
	assert_null(v.claimed);
}

static void test_writers_text(void **state)
{
	(void)state;
	assert_string_equal(journal_writers("sshd"), "sshd, sshd-session or sshd-auth as root");
	assert_string_equal(journal_writers("sshd-session"), "sshd, sshd-session or sshd-auth as root");
	assert_string_equal(journal_writers("sudo"), "sudo");
	assert_null(journal_writers("cron"));
	/* every name the decoders read is claimable, and listed for the matches */
	size_t n = 0;
	while (journal_program_name(n))
		n++;
	assert_true(n >= 20);
	assert_string_equal(journal_program_name(0), "sshd");
	assert_null(journal_program_name(n));
}

/* journalctl -o json: the header parser keeps the trusted fields */
static void test_json_fields(void **state)
{
	static const char line[] =
		"{\"__CURSOR\":\"s=0123456789abcdef0123456789abcdef;i=1f;b=11111111111111111111111111111111;m=1;"
		"t=6600bad51f440;x=7\",\"__REALTIME_TIMESTAMP\":\"1794453129000000\",\"_HOSTNAME\":\"web1\","
		"\"SYSLOG_IDENTIFIER\":\"sshd\",\"_COMM\":\"logger\",\"_EXE\":\"/usr/bin/logger\",\"_UID\":\"1000\","
		"\"_PID\":\"999\",\"SYSLOG_PID\":\"1\",\"_TRANSPORT\":\"syslog\",\"_SYSTEMD_UNIT\":\"session-7.scope\","
		"\"_MACHINE_ID\":\"22222222222222222222222222222222\","
		"\"MESSAGE\":\"Accepted password for root from 1.2.3.4 port 22 ssh2\"}";
	struct header_ctx *ctx = header_ctx_new("UTC");
	struct syslog_header h;
	struct journal_verdict v;
	(void)state;
	assert_non_null(ctx);
	assert_int_equal(header_parse(ctx, line, sizeof(line) - 1, &h), 1);
	assert_non_null(h.journal);
	assert_true(sv_eq(h.program, "sshd"));
	assert_int_equal(h.pid, 999); /* journald's, not the client's SYSLOG_PID */
	assert_true(sv_eq(h.journal->identifier, "sshd"));
	assert_true(sv_eq(h.journal->comm, "logger"));
	assert_true(sv_eq(h.journal->exe, "/usr/bin/logger"));
	assert_true(sv_eq(h.journal->unit, "session-7.scope"));
	assert_true(sv_eq(h.journal->transport, "syslog"));
	assert_true(sv_eq(h.journal->machine_id, "22222222222222222222222222222222"));
	assert_int_equal(h.journal->uid, 1000);
	assert_int_equal(h.journal->pid, 999);
	assert_true(sv_starts(h.journal->cursor, "s=0123456789abcdef"));
	journal_trust(&h, &v);
	assert_int_equal(v.trust, JT_FORGED);
	assert_string_equal(v.claimed, "sshd");

	/* an entry without trusted fields */
	static const char bare[] = "{\"SYSLOG_IDENTIFIER\":\"sshd\",\"MESSAGE\":\"x\"}";
	assert_int_equal(header_parse(ctx, bare, sizeof(bare) - 1, &h), 1);
	assert_non_null(h.journal);
	assert_int_equal(h.journal->uid, -1);
	assert_int_equal(h.journal->pid, -1);
	assert_int_equal(h.journal->comm.n, 0);
	journal_trust(&h, &v);
	assert_int_equal(v.trust, JT_NO_WRITER);

	/* a text line has none */
	static const char text[] = "2026-11-12T03:12:09Z web1 sshd[1]: x";
	assert_int_equal(header_parse(ctx, text, sizeof(text) - 1, &h), 1);
	assert_null(h.journal);
	header_ctx_free(ctx);
}

static void test_cursor_text(void **state)
{
	char sid[64];
	uint64_t seq = 0;
	(void)state;
	assert_int_equal(journal_cursor_seqnum(SV_LIT("s=0a1b;i=1f;b=2;m=3;t=6600bad51f440;x=4"), sid, sizeof(sid), &seq), 1);
	assert_string_equal(sid, "0a1b");
	assert_int_equal(seq, 31);
	assert_int_equal(journal_cursor_seqnum(SV_LIT("i=1f;b=2"), sid, sizeof(sid), &seq), 0);
	assert_int_equal(journal_cursor_seqnum(SV_LIT("s=XYZ;i=1f"), sid, sizeof(sid), &seq), 0);
	assert_int_equal(journal_cursor_seqnum(SV_LIT("s=0a;i=11111111111111111"), sid, sizeof(sid), &seq), 0);
	assert_int_equal(journal_cursor_seqnum(SV_LIT("s=0a;i="), sid, sizeof(sid), &seq), 0);
	assert_int_equal(journal_cursor_seqnum(SV_LIT(""), sid, sizeof(sid), &seq), 0);
	assert_int_equal(journal_cursor_seqnum(SV_LIT("s=0a1b;i=1"), sid, 4, &seq), 0); /* no room */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust_table),
		cmocka_unit_test(test_text_lines_are_not_judged),
		cmocka_unit_test(test_writers_text),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_cursor_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
