/*
 * Unit tests for the decoders other than sshd: sudo, su, pam, logind,
 * shadow-utils. tests/golden/parse/{sudo,su,pam,logind,shadow}.txt hold
 * the line-by-line shapes; this file checks the properties a table of
 * lines cannot: what decode() copies from the header, that views point
 * into the caller's buffer, attacker text (address-shaped names, repeated
 * fields, NUL bytes, overlong names), deterministic mutation of real lines
 * (OpenSSH-style bit flips and truncation) and the table itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/dec-util.h"
#include "parse/decoder.h"

/* Decodes "msg" under program in a buffer of exactly its size (so a read
 * past the end is a sanitizer error) and returns decode()'s result. The
 * buffer stays allocated in *ret_buf for view checks; free it after. */
static int run(const char *program, const char *msg, size_t n, struct event *ev, char **ret_buf)
{
	struct syslog_header h = {
		.time_us = 1700000000000000,
		.host = SV_LIT("web1"),
		.program = sv_cstr(program),
		.pid = 4242,
		.repeat = 1,
	};
	char *buf = malloc(n ? n : 1);
	int r;
	assert_non_null(buf);
	memcpy(buf, msg, n);
	h.msg = sv_make(buf, n);
	r = decode(&h, ev);
	*ret_buf = buf;
	return r;
}

static int run_str(const char *program, const char *msg, struct event *ev, char **ret_buf)
{
	return run(program, msg, strlen(msg), ev, ret_buf);
}

static void assert_sv(struct sv v, const char *want)
{
	if (!sv_eq(v, want))
		fail_msg("got \"%.*s\", want \"%s\"", (int)v.n, v.p ? v.p : "", want);
}

/* v is empty or lies inside buf[0..n). */
static void assert_inside(struct sv v, const char *buf, size_t n)
{
	if (v.n == 0)
		return;
	assert_true(v.p >= buf);
	assert_true(v.p + v.n <= buf + n);
}

static void assert_views_inside(const struct event *ev, const char *buf, size_t n)
{
	assert_inside(ev->user, buf, n);
	assert_inside(ev->target, buf, n);
	assert_inside(ev->source_name, buf, n);
	assert_inside(ev->tty, buf, n);
	assert_inside(ev->command, buf, n);
}

static void test_header_fields(void **state)
{
	struct event ev;
	char *buf;
	size_t n;
	struct syslog_header h = {
		.time_us = 1700000000123456,
		.host = SV_LIT("db2"),
		.program = SV_LIT("sudo"),
		.pid = 77,
		.msg = SV_LIT("    mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls"),
		.repeat = 4,
		.time_guessed = 1,
	};
	(void)state;
	assert_int_equal(decode(&h, &ev), 1);
	assert_int_equal(ev.kind, EV_SUDO_FAILURE);
	assert_true(ev.time_us == 1700000000123456);
	assert_sv(ev.host, "db2");
	assert_sv(ev.program, "sudo");
	assert_int_equal(ev.pid, 77);
	/* "3 attempts" logged 4 times by rsyslog's repeat reduction */
	assert_int_equal(ev.count, 12);
	assert_true(ev.flags & EVF_TIME_GUESSED);

	/* a repeat count the header accepts (up to UINT32_MAX) times the
	 * line's own count saturates instead of wrapping (2 * 2^31 was 0) */
	h.msg = SV_LIT("mike : 2 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls");
	h.repeat = 2147483648u;
	assert_int_equal(decode(&h, &ev), 1);
	assert_true(ev.count == UINT32_MAX);
	h.repeat = UINT32_MAX;
	assert_int_equal(decode(&h, &ev), 1);
	assert_true(ev.count == UINT32_MAX);

	/* the views point into the caller's message: no copies */
	assert_int_equal(run_str("sudo", "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id", &ev, &buf), 1);
	assert_ptr_equal(ev.user.p, buf);
	n = strlen("alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id");
	assert_ptr_equal(ev.command.p, buf + n - strlen("/bin/id"));
	assert_views_inside(&ev, buf, n);
	free(buf);
}

static void test_table(void **state)
{
	(void)state;
	assert_ptr_equal(decoder_for(SV_LIT("sudo")), dec_sudo);
	assert_ptr_equal(decoder_for(SV_LIT("su")), dec_su);
	assert_ptr_equal(decoder_for(SV_LIT("systemd-logind")), dec_logind);
	assert_ptr_equal(decoder_for(SV_LIT("su(pam_unix)")), dec_su);
	assert_ptr_equal(decoder_for(SV_LIT("sshd(pam_unix)")), dec_pam);
	const char *shadow[] = { "useradd", "userdel",  "usermod", "groupadd", "groupdel", "groupmod", "gpasswd",
				 "passwd",  "chpasswd", "chage",   "chsh",     "chfn",     "adduser",  "deluser" };
	for (size_t i = 0; i < sizeof(shadow) / sizeof(shadow[0]); i++)
		assert_ptr_equal(decoder_for(sv_cstr(shadow[i])), dec_shadow);
	assert_null(decoder_for(SV_LIT("sud")));
	assert_null(decoder_for(SV_LIT("sudoo")));
	assert_null(decoder_for(SV_LIT("")));
	assert_null(decoder_for(sv_make("sudo\0", 5)));
	assert_null(decoder_for(SV_LIT("kernel")));
	assert_null(decoder_for(SV_LIT("CRON")));
	assert_true(decoder_table_ok());

	/* a program logged with its path dispatches on the last component */
	assert_ptr_equal(decoder_for(SV_LIT("/usr/sbin/sshd")), dec_sshd);
	assert_ptr_equal(decoder_for(SV_LIT("/usr/lib/openssh/sshd-session")), dec_sshd);
	assert_ptr_equal(decoder_for(SV_LIT("/usr/bin/sudo")), dec_sudo);
	assert_ptr_equal(decoder_for(SV_LIT("/bin/su")), dec_su);
	assert_ptr_equal(decoder_for(SV_LIT("sbin/useradd")), dec_shadow);
	assert_ptr_equal(decoder_for(SV_LIT("/sshd")), dec_sshd);
	assert_null(decoder_for(SV_LIT("/usr/sbin/")));
	assert_null(decoder_for(SV_LIT("/")));
	assert_null(decoder_for(SV_LIT("/usr/sbin/sshdx")));
	assert_null(decoder_for(SV_LIT("/usr/sbin/sshd/")));
	assert_null(decoder_for(SV_LIT("/usr/sbin/xsshd")));

	/* the account op added for groupmod/gpasswd has a stable name */
	assert_string_equal(account_op_name(ACCT_GROUP_MOD), "group_mod");
	assert_int_equal(account_op_from_name("group_mod"), ACCT_GROUP_MOD);
}

/* A whole syslog line whose program carries its path: the event keeps the
 * program as logged, the sshd decoder reads the message. */
static void test_program_path(void **state)
{
	static const char line[] =
		"Nov  1 00:00:01 web1 /usr/sbin/sshd[123]: Failed password for root from 192.0.2.7 port 22 ssh2";
	struct header_ctx *ctx = header_ctx_new("UTC");
	struct syslog_header h;
	struct event ev;
	char ab[ADDR_STRLEN];
	(void)state;
	assert_non_null(ctx);
	assert_int_equal(header_parse(ctx, line, sizeof(line) - 1, &h), 1);
	assert_sv(h.program, "/usr/sbin/sshd");
	assert_int_equal(decode(&h, &ev), 1);
	assert_int_equal(ev.kind, EV_AUTH_FAILURE);
	assert_sv(ev.program, "/usr/sbin/sshd");
	assert_int_equal(ev.pid, 123);
	assert_sv(ev.user, "root");
	assert_string_equal(addr_format(&ev.source, ab), "192.0.2.7");
	header_ctx_free(ctx);
}

/* SSHGuard's "Banner formats": whole lines through header_parse() and
 * decode(), with no fallback (the peer suite also tries a line as a bare
 * sshd message, which would hide a header that was not understood). */
static void test_banner_lines(void **state)
{
	static const struct {
		const char *line, *source, *program;
		enum event_kind kind;
	} rows[] = {
		{ "2018-06-26 13:22:02.108781500 Failed password for woold from 10.10.10.76 port 34718 ssh2",
		  "10.10.10.76", "", EV_AUTH_FAILURE },
		{ "2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: Invalid user git from 185.52.1.9 port 35968",
		  "185.52.1.9", "sshd", EV_INVALID_USER },
		{ "2020-05-29T11:28:56.058908+02:00 bastion sshd[20974] error: PAM: Authentication error for illegal "
		  "user plop from 10.11.12.13",
		  "10.11.12.13", "sshd", EV_AUTH_FAILURE },
		{ "Jun 20 02:18:39 vps auth.info sshd[13482]: Invalid user admin from 2001:db8::a11:beef:7ac0",
		  "2001:db8::a11:beef:7ac0", "sshd", EV_INVALID_USER },
		{ "May 9 11:11:17 sshd[30876]: Invalid user www from 139.59.34.17 port 51066", "139.59.34.17", "sshd",
		  EV_INVALID_USER },
		{ "Jan  1 00:00:00 <10.5> foxtrot sshd[1234]: Invalid user admin from 1.2.3.4", "1.2.3.4", "sshd",
		  EV_INVALID_USER },
		{ "2015-05-27T04:31:28.10040 auth.info: May 27 04:31:28 sshd[30993]: Invalid user admin from 1.2.3.4",
		  "1.2.3.4", "sshd", EV_INVALID_USER },
		{ "2015-05-27T04:31:28.10040 auth.info: sshd[30993]:  Invalid user admin from 1.2.3.4", "1.2.3.4", "sshd",
		  EV_INVALID_USER },
		{ "2015-05-27T04:31:27.46667 auth.info: Invalid user admin from 192.168.2.1", "192.168.2.1", "",
		  EV_INVALID_USER },
		{ "Apr  9 13:24:07 quasar sshd[44787]: Received disconnect from 103.237.33.58: 11: Bye Bye [preauth]",
		  "103.237.33.58", "sshd", EV_DISCONNECT },
		{ "Oct 10 01:48:14 username sshd[386400]: Magic value check failed (4289475479) on obfuscated handshake "
		  "from 94.232.46.213 port 62730",
		  "94.232.46.213", "sshd", EV_PROTOCOL_ERROR },
	};
	struct header_ctx *ctx = header_ctx_new("UTC");
	(void)state;
	assert_non_null(ctx);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct syslog_header h;
		struct event ev;
		char ab[ADDR_STRLEN];
		if (header_parse(ctx, rows[i].line, strlen(rows[i].line), &h) != 1 || decode(&h, &ev) != 1)
			fail_msg("not decoded: %s", rows[i].line);
		if (ev.kind != rows[i].kind || strcmp(addr_format(&ev.source, ab), rows[i].source) != 0 ||
		    !sv_eq(ev.program, rows[i].program))
			fail_msg("%s: got %s from %s (program \"%.*s\")", rows[i].line, event_kind_name(ev.kind),
				 addr_format(&ev.source, ab), (int)ev.program.n, ev.program.p ? ev.program.p : "");
	}
	header_ctx_free(ctx);
}

/* dec_find/dec_rfind (memchr on a non-space byte, then a compare) agree
 * with strview's sv_find/sv_rfind on every haystack and needle over a
 * small alphabet, from exact-size copies. */
static void test_find_differential(void **state)
{
	static const char *const needles[] = { " ", "a", " a", "a ", " ab ", "  ", " port ", " from ", "ab", "b a",
					       " rhost=", "x" };
	static const char alpha[3] = { ' ', 'a', 'b' };
	uint64_t x = 12345;
	(void)state;
	for (int i = 0; i < 200000; i++) {
		char hay[24];
		size_t n;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = x % sizeof(hay);
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			hay[k] = alpha[x % 3];
		}
		char *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, hay, n);
		for (size_t k = 0; k < sizeof(needles) / sizeof(needles[0]); k++) {
			struct sv v = sv_make(copy, n);
			if (dec_find(v, needles[k]) != sv_find(v, needles[k]) ||
			    dec_rfind(v, needles[k]) != sv_rfind(v, needles[k]))
				fail_msg("\"%.*s\" / \"%s\": find %ld/%ld rfind %ld/%ld", (int)n, hay, needles[k],
					 dec_find(v, needles[k]), sv_find(v, needles[k]), dec_rfind(v, needles[k]),
					 sv_rfind(v, needles[k]));
		}
		free(copy);
	}
	assert_int_equal(dec_find(SV_LIT("a port b port c"), " port "), 1);
	assert_int_equal(dec_rfind(SV_LIT("a port b port c"), " port "), 8);
	assert_int_equal(dec_find(SV_LIT(" port"), " port "), -1);
	assert_int_equal(dec_rfind(SV_NULL, "x"), -1);
	assert_int_equal(dec_find(SV_LIT("abc"), ""), 0);
	assert_int_equal(dec_rfind(SV_LIT("abc"), ""), 3);
}

/* dec_chr/dec_rchr (one 16-byte compare at the start or the end, else
 * memchr/memrchr) agree with sv_chr/sv_rchr on haystacks up to 47 bytes
 * where the byte is everywhere, rare or missing, from exact-size copies. */
static void test_chr_differential(void **state)
{
	uint64_t x = 777;
	(void)state;
	for (int i = 0; i < 300000; i++) {
		char hay[48];
		size_t n;
		unsigned rare;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = x % sizeof(hay);
		rare = 1u + (unsigned)(x >> 32) % 40; /* about one byte in rare is a space */
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			hay[k] = x % rare == 0 ? ' ' : (char)('a' + x % 3);
		}
		char *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, hay, n);
		struct sv v = sv_make(n ? copy : NULL, n);
		for (const char *c = " ab"; *c; c++)
			if (dec_chr(v, *c) != sv_chr(v, *c) || dec_rchr(v, *c) != sv_rchr(v, *c))
				fail_msg("\"%.*s\" / '%c': chr %ld/%ld rchr %ld/%ld", (int)n, hay, *c, dec_chr(v, *c),
					 sv_chr(v, *c), dec_rchr(v, *c), sv_rchr(v, *c));
		free(copy);
	}
}

/* pam lines reach dec_pam from any program, including ones with no row */
static void test_pam_fallback(void **state)
{
	struct event ev;
	char *buf;
	(void)state;
	assert_int_equal(run_str("some-daemon",
				 "pam_unix(other:auth): authentication failure; logname= uid=0 euid=0 tty= ruser= "
				 "rhost=192.0.2.7  user=carol",
				 &ev, &buf),
			 1);
	assert_int_equal(ev.kind, EV_AUTH_FAILURE);
	assert_int_equal(ev.method, AM_PAM);
	assert_int_equal(ev.source.family, ADDR_V4);
	assert_memory_equal(ev.source.bytes, ((uint8_t[]){ 192, 0, 2, 7 }), 4);
	assert_sv(ev.user, "carol");
	assert_sv(ev.detail, "other");
	assert_sv(ev.program, "some-daemon");
	free(buf);

	/* an unknown program's own text is not decoded */
	assert_int_equal(run_str("some-daemon", "authentication failure; rhost=192.0.2.7 user=carol", &ev, &buf), 0);
	free(buf);

	/* the service, not the program, decides the kind */
	assert_int_equal(run_str("sshd",
				 "pam_unix(su:auth): authentication failure; logname=bob uid=1000 euid=0 tty=pts/1 "
				 "ruser=bob rhost=  user=root",
				 &ev, &buf),
			 1);
	assert_int_equal(ev.kind, EV_SU_FAILURE);
	assert_sv(ev.user, "bob");
	assert_sv(ev.target, "root");
	free(buf);

	/* dec_pam_service directly, as the old "su(pam_unix)" form uses it */
	struct sv body = SV_LIT("session opened for user root(uid=0) by bob(uid=1000)");
	event_init(&ev);
	assert_int_equal(dec_pam_service(SV_LIT("su-l"), body, &ev), 1);
	assert_int_equal(ev.kind, EV_SU_SUCCESS);
	assert_sv(ev.user, "bob");
	assert_sv(ev.target, "root");
	event_init(&ev);
	assert_int_equal(dec_pam_service(SV_NULL, SV_LIT("nothing we know"), &ev), 0);
}

/* Never an address from inside a user name, whatever the decoder. */
static void test_no_address_from_names(void **state)
{
	static const struct {
		const char *program, *msg;
	} lines[] = {
		{ "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
			  "rhost=evil.example  user=10.0.0.1" },
		{ "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
			  "rhost=  user=x rhost=10.0.0.1" },
		{ "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
			  "rhost=evil.example  user=x rhost=10.0.0.1" },
		{ "auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot "
			  "ruser=y rhost=10.0.0.1 z rhost=evil.example" },
		{ "sshd", "pam_unix(sshd:auth): 3 more authentication failures; logname= uid=0 euid=0 tty=ssh "
			  "ruser=10.0.0.1 rhost=  user=10.0.0.2" },
		{ "sshd", "pam_sss(sshd:auth): authentication success; logname= uid=0 euid=0 tty=ssh ruser= "
			  "rhost= user=10.0.0.1" },
		{ "su", "pam_unix(su:auth): authentication failure; logname=a uid=1 euid=0 tty=pts/0 ruser=a "
			"rhost=10.0.0.1  user=root" },
		{ "sudo", "10.0.0.1 : TTY=pts/0 ; PWD=/ ; USER=10.0.0.2 ; COMMAND=/bin/ping 10.0.0.3" },
		{ "su", "(to 10.0.0.1) 10.0.0.2 on pts/0" },
		{ "useradd", "new user: name=10.0.0.1, UID=1, GID=1, home=/, shell=/bin/sh, from=10.0.0.2" },
		{ "systemd-logind", "New session 1 of user 10.0.0.1." },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct event ev;
		char *buf;
		int r = run_str(lines[i].program, lines[i].msg, &ev, &buf);
		if (r != 1)
			fail_msg("line %zu not decoded", i);
		if (ev.source.family != ADDR_NONE)
			fail_msg("line %zu: address taken from a name", i);
		free(buf);
	}
}

/* Fields written twice by the attacker are flagged, not trusted. */
static void test_repeated_fields(void **state)
{
	struct event ev;
	char *buf;
	(void)state;
	assert_int_equal(run_str("sudo",
				 "alice : TTY=pts/0 ; PWD=/tmp/d ; USER=nobody ; COMMAND=/bin/true ; USER=root ; "
				 "COMMAND=/usr/bin/id",
				 &ev, &buf),
			 1);
	assert_int_equal(ev.kind, EV_SUDO_COMMAND);
	assert_true(sv_starts(ev.detail, "ambiguous"));
	/* the whole tail is kept as the command, so the reader sees all of it */
	assert_sv(ev.command, "/bin/true ; USER=root ; COMMAND=/usr/bin/id");
	free(buf);

	assert_int_equal(run_str("sshd",
				 "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
				 "rhost=203.0.113.5  user=x rhost=198.51.100.1",
				 &ev, &buf),
			 1);
	assert_int_equal(ev.kind, EV_AUTH_FAILURE);
	assert_true(sv_starts(ev.detail, "ambiguous"));
	assert_int_equal(ev.source.family, ADDR_NONE);
	assert_true(sv_empty(ev.user));
	assert_true(sv_empty(ev.source_name));
	free(buf);

	/* quoted arguments holding " ; " are not a repeated field */
	assert_int_equal(run_str("sudo", "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c 'a ; b'", &ev, &buf),
			 1);
	assert_true(sv_empty(ev.detail));
	free(buf);
}

/* NUL bytes are ordinary bytes inside a view; nothing stops at them. */
static void test_nul_bytes(void **state)
{
	static const char msg[] = "alice : TTY=pts/0 ; PWD=/ ; USER=ro\0ot ; COMMAND=/bin/s\0h -c x";
	static const char pam[] = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
				  "ruser= rhost=1.2.3.4\0  user=root";
	struct event ev;
	char *buf;
	(void)state;
	assert_int_equal(run("sudo", msg, sizeof(msg) - 1, &ev, &buf), 1);
	assert_int_equal(ev.target.n, 5);
	assert_memory_equal(ev.target.p, "ro\0ot", 5);
	assert_int_equal(ev.command.n, strlen("/bin/s") + 1 + strlen("h -c x"));
	free(buf);

	/* "1.2.3.4\0" is no address: it is kept as a name, never parsed past the NUL */
	assert_int_equal(run("sshd", pam, sizeof(pam) - 1, &ev, &buf), 1);
	assert_int_equal(ev.source.family, ADDR_NONE);
	assert_int_equal(ev.source_name.n, 8);
	free(buf);
}

/* Overlong attacker text: decoded in one pass, views as long as the text. */
static void test_overlong(void **state)
{
	enum { BIG = 1 << 20 };
	static char msg[BIG + 128];
	const char *pre = "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=";
	size_t np = strlen(pre);
	struct event ev;
	char *buf;
	(void)state;
	memcpy(msg, pre, np);
	memset(msg + np, 'a', BIG);
	assert_int_equal(run("sudo", msg, np + BIG, &ev, &buf), 1);
	assert_int_equal(ev.command.n, BIG);
	free(buf);

	/* a megabyte-long user name after a pam rhost */
	pre = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=";
	np = strlen(pre);
	memcpy(msg, pre, np);
	memset(msg + np, 'u', BIG - np);
	assert_int_equal(run("sshd", msg, BIG, &ev, &buf), 1);
	assert_int_equal(ev.user.n, BIG - np);
	assert_int_equal(ev.source.family, ADDR_V4);
	free(buf);

	/* a megabyte of " rhost=": ambiguous, no source, linear time */
	pre = "pam_unix(sshd:auth): authentication failure; logname=";
	np = strlen(pre);
	memcpy(msg, pre, np);
	for (size_t i = np; i + 7 <= BIG; i += 7)
		memcpy(msg + i, " rhost=", 7);
	assert_int_equal(run("sshd", msg, BIG - (BIG - np) % 7, &ev, &buf), 1);
	assert_int_equal(ev.source.family, ADDR_NONE);
	free(buf);
}

/* Real lines from the golden files, mutated deterministically: every
 * truncation and single-bit flip decodes or not, without reading outside
 * the buffer, and every view stays inside it. */
static void test_mutation(void **state)
{
	static const struct {
		const char *program, *msg;
	} seeds[] = {
		{ "sudo", "    mike : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls" },
		{ "sudo", "cplummer : TTY=pts/2 ; PWD=/home/cplummer1 ; USER=root ; TSID=0000UM ; COMMAND=/bin/bash" },
		{ "su", "FAILED SU (to root) mmoorcro on pts/0" },
		{ "su", "+ pts/0 alice:root" },
		{ "su(pam_unix)", "authentication failure; logname= uid=1342 euid=0 tty= ruser=dcid rhost=  user=osaudit" },
		{ "sshd(pam_unix)", "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
				    "rhost=211.46.224.253  user=guest" },
		{ "sshd", "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)" },
		{ "sudo", "pam_tally2(sudo:auth): user zbadguy (4001) tally 6, deny 5" },
		{ "sshd", "pam_unix(sshd:auth): 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
			  "rhost=2001:db8::5  user=root" },
		{ "systemd-logind", "New session '7' of user 'carol' with class 'user' and type 'tty'." },
		{ "systemd-logind", "Removed session 59." },
		{ "useradd", "new user: name=mallory, UID=1001, GID=1001, home=/home/mallory, shell=/bin/bash, from=/dev/pts/0" },
		{ "gpasswd", "user alice added by root to group sudo" },
		{ "groupmod", "group changed in /etc/group (group wheel/10, new gid: 0)" },
		{ "userdel", "removed group 'mallory' owned by 'mallory'#012" },
	};
	unsigned long decoded = 0, runs = 0;
	(void)state;
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		size_t n = strlen(seeds[s].msg);
		char *m = malloc(n);
		assert_non_null(m);
		for (size_t cut = 0; cut <= n; cut++) {
			struct event ev;
			char *buf;
			runs++;
			if (run(seeds[s].program, seeds[s].msg, cut, &ev, &buf) > 0) {
				decoded++;
				assert_views_inside(&ev, buf, cut);
				assert_true(ev.count >= 1);
			}
			free(buf);
		}
		for (size_t i = 0; i < n; i++) {
			for (int bit = 0; bit < 8; bit++) {
				struct event ev;
				char *buf;
				memcpy(m, seeds[s].msg, n);
				m[i] ^= (char)(1 << bit);
				runs++;
				if (run(seeds[s].program, m, n, &ev, &buf) > 0) {
					decoded++;
					assert_views_inside(&ev, buf, n);
					assert_true(ev.kind > EV_NONE && ev.kind < EV_KIND_MAX);
				}
				free(buf);
			}
		}
		/* the untouched seed decodes */
		{
			struct event ev;
			char *buf;
			assert_int_equal(run(seeds[s].program, seeds[s].msg, n, &ev, &buf), 1);
			free(buf);
		}
		free(m);
	}
	/* most single-bit flips land in names and still decode */
	assert_true(decoded > runs / 4);
}

/* Each decoder's refusals: nothing half-filled escapes as an event. */
static void test_not_recognised(void **state)
{
	static const struct {
		const char *program, *msg;
	} lines[] = {
		{ "sudo", "" },
		{ "sudo", " : " },
		{ "sudo", "alice : (command continued) rest" },
		{ "sudo", "alice : TTY=pts/0 ; PWD=/" },
		{ "su", "" },
		{ "su", "(to " },
		{ "su", "FAILED SU (to ) alice on pts/0" },
		{ "systemd-logind", "New session" },
		{ "systemd-logind", "Removed session ." },
		{ "useradd", "new user: name=" },
		{ "usermod", "add 'x' to shadow group 'y'" },
		{ "groupdel", "group 'x' removed from /etc/gshadow" },
		{ "sshd", "pam_unix(sshd:auth): " },
		{ "sshd", "pam_unix(" },
		{ "sshd", "pam_unix(sshd:auth): session opened for user (uid=0)" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct event ev;
		char *buf;
		if (run_str(lines[i].program, lines[i].msg, &ev, &buf) != 0)
			fail_msg("line %zu (%s: %s) decoded", i, lines[i].program, lines[i].msg);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_program_path),
		cmocka_unit_test(test_banner_lines),
		cmocka_unit_test(test_find_differential),
		cmocka_unit_test(test_pam_fallback),
		cmocka_unit_test(test_no_address_from_names),
		cmocka_unit_test(test_repeated_fields),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_chr_differential),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_mutation),
		cmocka_unit_test(test_not_recognised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
