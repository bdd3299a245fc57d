/*
 * Unit tests for the sshd decoder (src/parse/dec-sshd.c): the fields of
 * each shape, hostile user names and key text (the source must never come
 * from attacker text), malformed input, and coverage of the real logs in
 * ../shared/data (auth-real-cseanburns/auth.log, loghub OpenSSH_2k.log).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "parse/decoder.h"

/* Decodes a C string. */
static int dec(const char *msg, struct event *ev)
{
	event_init(ev);
	return dec_sshd(sv_cstr(msg), ev);
}

static void assert_sv(struct sv v, const char *want)
{
	if (!sv_eq(v, want))
		fail_msg("got \"%.*s\", want \"%s\"", (int)v.n, v.p ? v.p : "", want);
}

static void assert_source(const struct event *ev, const char *want)
{
	char buf[ADDR_STRLEN];
	assert_string_equal(addr_format(&ev->source, buf), want);
}

/* One table row: a message and the fields it must give. */
struct row {
	const char *msg;
	enum event_kind kind;
	const char *user;
	const char *source; /* "" = none */
	uint16_t port;
	enum auth_method method;
	uint32_t flags;
};

static void test_shapes(void **state)
{
	static const struct row rows[] = {
		{ "Failed password for root from 1.2.3.4 port 22 ssh2", EV_AUTH_FAILURE, "root", "1.2.3.4", 22,
		  AM_PASSWORD, 0 },
		{ "Failed password for invalid user bob from 2001:db8::1 port 2222 ssh2", EV_AUTH_FAILURE, "bob",
		  "2001:db8::1", 2222, AM_PASSWORD, EVF_INVALID_USER },
		{ "Failed none for invalid user admin from 5.188.10.180 port 52631 ssh2", EV_AUTH_FAILURE, "admin",
		  "5.188.10.180", 52631, AM_NONE_METHOD, EVF_INVALID_USER },
		{ "Failed keyboard-interactive/pam for invalid user warez from 192.241.237.101 port 54197 ssh2",
		  EV_AUTH_FAILURE, "warez", "192.241.237.101", 54197, AM_KBDINT, EVF_INVALID_USER },
		{ "Failed hostbased for root from 10.0.0.1 port 1 ssh2", EV_AUTH_FAILURE, "root", "10.0.0.1", 1,
		  AM_HOSTBASED, 0 },
		{ "Accepted password for fztu from 119.137.62.142 port 49116 ssh2", EV_AUTH_SUCCESS, "fztu",
		  "119.137.62.142", 49116, AM_PASSWORD, 0 },
		{ "Accepted gssapi-with-mic for grace from 10.1.2.4 port 60001 ssh2: grace@EXAMPLE.ORG",
		  EV_AUTH_SUCCESS, "grace", "10.1.2.4", 60001, AM_GSSAPI, 0 },
		{ "Accepted password for root from ::ffff:192.0.2.80 port 2222 ssh2", EV_AUTH_SUCCESS, "root",
		  "192.0.2.80", 2222, AM_PASSWORD, 0 },
		{ "Accepted password for root from fe80::1%eth0 port 2222 ssh2", EV_AUTH_SUCCESS, "root", "fe80::1",
		  2222, AM_PASSWORD, 0 },
		{ "Invalid user admin from 141.98.11.11 port 30422", EV_INVALID_USER, "admin", "141.98.11.11", 30422,
		  AM_NONE, EVF_INVALID_USER },
		{ "Invalid user  from 64.62.197.214 port 63699", EV_INVALID_USER, "", "64.62.197.214", 63699, AM_NONE,
		  EVF_INVALID_USER },
		{ "Invalid user webmaster from 173.234.31.186", EV_INVALID_USER, "webmaster", "173.234.31.186", 0,
		  AM_NONE, EVF_INVALID_USER },
		{ "Illegal user guest from 192.0.2.99", EV_INVALID_USER, "guest", "192.0.2.99", 0, AM_NONE,
		  EVF_INVALID_USER },
		{ "Connection closed by invalid user admin 116.203.19.15 port 54366 [preauth]", EV_PREAUTH_CLOSE,
		  "admin", "116.203.19.15", 54366, AM_NONE, EVF_INVALID_USER | EVF_PREAUTH },
		{ "Connection closed by authenticating user root 116.203.19.15 port 54358 [preauth]", EV_PREAUTH_CLOSE,
		  "root", "116.203.19.15", 54358, AM_NONE, EVF_PREAUTH },
		{ "Connection closed by 185.233.19.215 port 47460 [preauth]", EV_PREAUTH_CLOSE, "", "185.233.19.215",
		  47460, AM_NONE, EVF_PREAUTH },
		{ "Connection reset by invalid user postgres 210.91.254.26 port 35541 [preauth]", EV_PREAUTH_CLOSE,
		  "postgres", "210.91.254.26", 35541, AM_NONE, EVF_INVALID_USER | EVF_PREAUTH },
		{ "Disconnected from authenticating user root 141.98.11.11 port 20778 [preauth]", EV_PREAUTH_CLOSE,
		  "root", "141.98.11.11", 20778, AM_NONE, EVF_PREAUTH },
		{ "Disconnected from user alice 192.0.2.10 port 50544", EV_DISCONNECT, "alice", "192.0.2.10", 50544,
		  AM_NONE, 0 },
		{ "Invalid user a from 1.2.3.4 port 0000000022", EV_INVALID_USER, "a", "1.2.3.4", 22, AM_NONE,
		  EVF_INVALID_USER },
		{ "Invalid user a from 1.2.3.4 port 65535", EV_INVALID_USER, "a", "1.2.3.4", 65535, AM_NONE,
		  EVF_INVALID_USER },
		/* the client's goodbye: a disconnect, before authentication too */
		{ "Received disconnect from 141.98.11.11 port 30422:11: Bye Bye [preauth]", EV_DISCONNECT, "",
		  "141.98.11.11", 30422, AM_NONE, EVF_PREAUTH },
		{ "Received disconnect from 103.237.33.58: 11: Bye Bye [preauth]", EV_DISCONNECT, "",
		  "103.237.33.58", 0, AM_NONE, EVF_PREAUTH },
		{ "error: Received disconnect from 95.9.156.208: 3: com.jcraft.jsch.JSchException: Auth fail "
		  "[preauth]",
		  EV_PREAUTH_CLOSE, "", "95.9.156.208", 0, AM_NONE, EVF_PREAUTH | EVF_CLIENT_FAILED },
		{ "error: Received disconnect from 2001:db8::a11:beef:7ac0: 14: No supported authentication methods "
		  "available [preauth]",
		  EV_PREAUTH_CLOSE, "", "2001:db8::a11:beef:7ac0", 0, AM_NONE, EVF_PREAUTH | EVF_CLIENT_FAILED },
		{ "Disconnected from invalid user admin 141.98.11.11 port 20778 [preauth]", EV_PREAUTH_CLOSE, "admin",
		  "141.98.11.11", 20778, AM_NONE, EVF_INVALID_USER | EVF_PREAUTH },
		{ "Connection reset by 185.233.19.215 port 47460 [preauth]", EV_PREAUTH_CLOSE, "", "185.233.19.215",
		  47460, AM_NONE, EVF_PREAUTH },
		{ "Magic value check failed (4289475479) on obfuscated handshake from 94.232.46.213 port 62730",
		  EV_PROTOCOL_ERROR, "", "94.232.46.213", 62730, AM_NONE, 0 },
		{ "Magic value check failed (1) on obfuscated handshake from 2001:db8::5", EV_PROTOCOL_ERROR, "",
		  "2001:db8::5", 0, AM_NONE, 0 },
		{ "Received disconnect from 217.180.201.39 port 26670:11: disconnected by user", EV_DISCONNECT, "",
		  "217.180.201.39", 26670, AM_NONE, 0 },
		{ "error: maximum authentication attempts exceeded for invalid user admin from 61.80.1.19 port 43352 "
		  "ssh2 [preauth]",
		  EV_MAX_AUTH, "admin", "61.80.1.19", 43352, AM_NONE, EVF_INVALID_USER | EVF_PREAUTH },
		{ "Disconnecting invalid user admin 61.80.1.19 port 43352: Too many authentication failures [preauth]",
		  EV_PREAUTH_CLOSE, "admin", "61.80.1.19", 43352, AM_NONE, EVF_INVALID_USER | EVF_PREAUTH },
		{ "error: PAM: Authentication failure for illegal user x from 6.6.6.6", EV_AUTH_FAILURE, "x",
		  "6.6.6.6", 0, AM_PAM, EVF_INVALID_USER },
		{ "User root from 192.168.1.1 not allowed because not listed in AllowUsers", EV_USER_NOT_ALLOWED,
		  "root", "192.168.1.1", 0, AM_NONE, 0 },
		{ "User carol not allowed because account is locked", EV_USER_NOT_ALLOWED, "carol", "", 0, AM_NONE,
		  0 },
		{ "ROOT LOGIN REFUSED FROM 2001:db8::a11:beef:7ac1 port 14423 [preauth]", EV_ROOT_REFUSED, "root",
		  "2001:db8::a11:beef:7ac1", 14423, AM_NONE, EVF_PREAUTH },
		{ "refused connect from example.com (192.168.1.1)", EV_CONN_REFUSED, "", "192.168.1.1", 0, AM_NONE,
		  0 },
		{ "Bad protocol version identification 'GET / HTTP/1.1' from 192.0.2.60 port 52000",
		  EV_PROTOCOL_ERROR, "", "192.0.2.60", 52000, AM_NONE, 0 },
		{ "Did not receive identification string from 5.20.95.202 port 56452", EV_PROTOCOL_ERROR, "",
		  "5.20.95.202", 56452, AM_NONE, 0 },
		{ "error: kex_exchange_identification: Connection closed by remote host", EV_PROTOCOL_ERROR, "", "",
		  0, AM_NONE, 0 },
		{ "kex_exchange_identification: read: Connection reset by peer", EV_PROTOCOL_ERROR, "", "", 0,
		  AM_NONE, 0 },
		{ "banner exchange: Connection from 59.91.122.57 port 34388: invalid format", EV_PROTOCOL_ERROR, "",
		  "59.91.122.57", 34388, AM_NONE, 0 },
		{ "Unable to negotiate with 35.230.66.101 port 25477: no matching key exchange method found. Their "
		  "offer: diffie-hellman-group1-sha1 [preauth]",
		  EV_PROTOCOL_ERROR, "", "35.230.66.101", 25477, AM_NONE, EVF_PREAUTH },
		{ "drop connection #10 from [203.0.113.80]:40000 on [192.0.2.1]:22 past MaxStartups", EV_MAXSTARTUPS,
		  "", "203.0.113.80", 40000, AM_NONE, 0 },
		{ "error: beginning MaxStartups throttling", EV_MAXSTARTUPS, "", "", 0, AM_NONE, 0 },
		{ "Connection from 203.0.113.77 port 51514 on 192.0.2.1 port 22", EV_CONNECT, "", "203.0.113.77",
		  51514, AM_NONE, 0 },
		{ "Timeout before authentication for 192.0.2.90 port 1234", EV_PREAUTH_CLOSE, "", "192.0.2.90", 1234,
		  AM_NONE, 0 },
		{ "fatal: Timeout before authentication for 192.168.9.212 port 47056", EV_PREAUTH_CLOSE, "",
		  "192.168.9.212", 47056, AM_NONE, 0 },
		{ "Close session: user ansible from 192.168.1.1 port 34928 id 0", EV_SESSION_CLOSE, "ansible",
		  "192.168.1.1", 34928, AM_NONE, 0 },
		{ "Starting session: shell on pts/0 for alice from 192.0.2.10 port 50544 id 0", EV_SESSION_OPEN,
		  "alice", "192.0.2.10", 50544, AM_NONE, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct event ev;
		if (dec(r->msg, &ev) != 1)
			fail_msg("not recognised: %s", r->msg);
		assert_int_equal(ev.kind, r->kind);
		assert_sv(ev.user, r->user);
		assert_source(&ev, r->source);
		assert_int_equal(ev.port, r->port);
		assert_int_equal(ev.method, r->method);
		assert_int_equal(ev.flags, r->flags);
		assert_int_equal(ev.count, 1);
	}
}

static void test_key_fields(void **state)
{
	struct event ev;
	(void)state;
	assert_int_equal(dec("Accepted publickey for vagrant from 192.168.121.1 port 45652 ssh2: RSA "
			     "SHA256:kzfjfps/WFgXAdNgzvHBLuI072Y+f+91rpinXJAAvkM",
			     &ev),
			 1);
	assert_sv(ev.key_type, "RSA");
	assert_sv(ev.key_fp, "SHA256:kzfjfps/WFgXAdNgzvHBLuI072Y+f+91rpinXJAAvkM");
	assert_true(sv_empty(ev.detail));

	assert_int_equal(dec("Accepted publickey for erin from 192.0.2.50 port 52244 ssh2: RSA-CERT SHA256:abc ID "
			     "erin@corp (serial 1001) CA ED25519 SHA256:def",
			     &ev),
			 1);
	assert_sv(ev.user, "erin");
	assert_source(&ev, "192.0.2.50");
	assert_sv(ev.key_type, "RSA-CERT");
	assert_sv(ev.key_fp, "SHA256:abc");
	assert_sv(ev.detail, "ID erin@corp (serial 1001) CA ED25519 SHA256:def");

	assert_int_equal(dec("Failed publickey for root from 203.0.113.5 port 41234 ssh2: ED25519-SK "
			     "SHA256:WPhW, signature count = 12",
			     &ev),
			 1);
	assert_int_equal(ev.kind, EV_AUTH_FAILURE);
	assert_sv(ev.key_type, "ED25519-SK");
	assert_sv(ev.key_fp, "SHA256:WPhW");
	assert_sv(ev.detail, "signature count = 12");

	assert_int_equal(dec("Accepted publickey for dave from 192.0.2.44 port 39811 ssh2: RSA "
			     "9f:0e:2c:61:22:b5:6f:3d:a1:3c:54:0b:8a:9e:1f:aa",
			     &ev),
			 1);
	assert_sv(ev.key_fp, "9f:0e:2c:61:22:b5:6f:3d:a1:3c:54:0b:8a:9e:1f:aa");

	assert_int_equal(dec("Failed hostbased for root from 203.0.113.6 port 41237 ssh2: RSA SHA256:xyz, client "
			     "user \"root\", client host \"evil.example\"",
			     &ev),
			 1);
	assert_source(&ev, "203.0.113.6");
	assert_sv(ev.detail, "client user \"root\", client host \"evil.example\"");
}

static void test_pam_and_names(void **state)
{
	struct event ev;
	(void)state;
	assert_int_equal(dec("PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
			     "rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
			     &ev),
			 1);
	assert_int_equal(ev.kind, EV_AUTH_FAILURE);
	assert_int_equal(ev.method, AM_PAM);
	assert_int_equal(ev.count, 5);
	assert_sv(ev.user, "root");
	assert_int_equal(ev.source.family, ADDR_NONE);
	assert_sv(ev.source_name, "5.36.59.76.dynamic-dsl-ip.omantel.net.om");

	assert_int_equal(dec("PAM 4 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= "
			     "rhost=5.188.10.180 ",
			     &ev),
			 1);
	assert_int_equal(ev.count, 4);
	assert_source(&ev, "5.188.10.180");
	assert_true(sv_empty(ev.user));

	/* UseDNS: a host name, never parsed as an address */
	assert_int_equal(dec("User bob from gw.example.org not allowed because listed in DenyUsers", &ev), 1);
	assert_int_equal(ev.source.family, ADDR_NONE);
	assert_sv(ev.source_name, "gw.example.org");
	assert_sv(ev.detail, "listed in DenyUsers");

	/* sshd writes a numeric address in auth_log(): a name there is not sshd's line */
	assert_int_equal(dec("Failed password for root from host.example.com port 22 ssh2", &ev), 0);

	/* pam_ lines are dec_pam's */
	assert_int_equal(dec("pam_unix(sshd:session): session opened for user fztu(uid=1000) by (uid=0)", &ev), 0);
	assert_int_equal(dec("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
			     "ruser= rhost=1.2.3.4  user=root",
			     &ev),
			 0);
}

static void test_not_recognised(void **state)
{
	static const char *const lines[] = {
		"",
		" ",
		"[preauth]",
		" [preauth]",
		"error: ",
		"fatal: ",
		"Server listening on 0.0.0.0 port 22.",
		"Received signal 15; terminating.",
		"Received SIGHUP; restarting.",
		"Partial publickey for alice from 192.0.2.1 port 50000 ssh2: ED25519 SHA256:abc",
		("Postponed keyboard-interactive for invalid user warez from 192.241.237.101 port 54197 ssh2 "
		 "[preauth]"),
		"input_userauth_request: invalid user webmaster [preauth]",
		"PAM service(sshd) ignoring max retries; 6 > 3",
		"Failed password for root from 1.2.3.999 port 22 ssh2",
		"Failed password for root from 1.2.3.4 port 65536 ssh2",
		"Failed password for root from 1.2.3.4 port -1 ssh2",
		"Failed password",
		"Failed ",
		"Invalid user x from",
		"Invalid user x from ",
		"Invalid user x from 1.2.3.4 port ",
		"Connection closed by",
		"Connection closed by somebody 1.2.3.4 port 22",
		"Disconnected from totobad user ftp 92.255.85.135 port 26138 [preauth]",
		"Received disconnect from x port 1:11: bye",
		"drop connection #1 from [1.2.3.4]",
		"User child is on pid 4242",
		"debug1: Connection from 1.2.3.4 port 22: x",
		"ROOT LOGIN REFUSED FROM 1.2.3.4 port 22 extra",
		"Invalid user a from 1.2.3.4 port 00000000022", /* 11 digits */
		"Invalid user a from 1.2.3.4 port 4294967318", /* 2^32 + 22 */
		"Magic value check failed (x) on obfuscated handshake from 1.2.3.4 port 1",
		"Magic value check failed () on obfuscated handshake from 1.2.3.4 port 1",
		"Magic value check failed (1) on obfuscated handshake from 1.2.3.4 port 1 extra",
		"Magic value check failed (1) on handshake from 1.2.3.4 port 1",
		"Magic value check failed (1) on obfuscated handshake from 10.0.0.5 from 1.2.3.4",
		"Magic value check failed (1) on obfuscated handshake from host.example port 1",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct event ev;
		if (dec(lines[i], &ev) != 0)
			fail_msg("recognised, should not be: \"%s\"", lines[i]);
	}
}

/* ---- hostile text ------------------------------------------------------ */

/* Attacker-chosen user names: each is tried in every shape that carries a
 * user name; the real address is 1.2.3.4 port 4242, the planted one 10.0.0.5. */
static const char *const hostile_users[] = {
	"x from 10.0.0.5 port 22",
	"x from 10.0.0.5 port 22 ssh2",
	"x from 10.0.0.5",
	" from 10.0.0.5 port 22",
	"for root",
	"for invalid user root from 10.0.0.5 port 22",
	"invalid user y",
	"root from 10.0.0.5 port 22 ssh2: RSA SHA256:abcd",
	"x 10.0.0.5 port 22",
	"x 10.0.0.5 port 22:",
	"x 10.0.0.5 port 22: Too many authentication failures",
	"authenticating user y 10.0.0.5 port 22",
	"x 10.0.0.5 port 22 [preauth]",
	"x from 10.0.0.5 port 22 [preauth]",
	"::1",
	"2001:db8::5 port 22",
	"x from 2001:db8::5 port 22",
	"x from ::ffff:10.0.0.5 port 22",
	"x from fe80::5%eth0 port 22",
	"x not allowed because listed in DenyUsers from 10.0.0.5",
	"\\012Accepted password for root from 10.0.0.5 port 22 ssh2",
	"x ssh2",
	"from",
	" ",
	"",
	"(10.0.0.5)",
	"x\tfrom\t10.0.0.5",
};

enum shape_flags {
	SH_EXACT_USER = 1, /* the user must come back unchanged */
	SH_MAY_BE_AMBIGUOUS = 2, /* "no source" is an acceptable answer */
	SH_NO_PORT = 4, /* the shape has no port */
	SH_VALID = 8, /* the shape names a valid user (no "invalid user") */
};

struct shape {
	const char *fmt; /* %s = user */
	enum event_kind kind;
	unsigned how;
};

static const struct shape shapes[] = {
	{ "Failed password for invalid user %s from 1.2.3.4 port 4242 ssh2", EV_AUTH_FAILURE, SH_EXACT_USER },
	{ "Failed none for invalid user %s from 1.2.3.4 port 4242 ssh2", EV_AUTH_FAILURE, SH_EXACT_USER },
	{ "Failed publickey for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA SHA256:kzfjfps/WFgX",
	  EV_AUTH_FAILURE, SH_EXACT_USER },
	{ "Failed publickey for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA-CERT SHA256:aa ID k (serial 1) "
	  "CA RSA SHA256:bb",
	  EV_AUTH_FAILURE, SH_MAY_BE_AMBIGUOUS },
	{ "Failed hostbased for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA SHA256:aa, client user \"u\", "
	  "client host \"h\"",
	  EV_AUTH_FAILURE, SH_MAY_BE_AMBIGUOUS },
	{ "Invalid user %s from 1.2.3.4 port 4242", EV_INVALID_USER, SH_EXACT_USER },
	{ "Invalid user %s from 1.2.3.4", EV_INVALID_USER, SH_EXACT_USER | SH_NO_PORT },
	{ "Connection closed by invalid user %s 1.2.3.4 port 4242 [preauth]", EV_PREAUTH_CLOSE, SH_EXACT_USER },
	{ "Connection reset by invalid user %s 1.2.3.4 port 4242 [preauth]", EV_PREAUTH_CLOSE, SH_EXACT_USER },
	{ "Disconnected from invalid user %s 1.2.3.4 port 4242 [preauth]", EV_PREAUTH_CLOSE, SH_EXACT_USER },
	{ "Disconnecting invalid user %s 1.2.3.4 port 4242: Too many authentication failures [preauth]",
	  EV_PREAUTH_CLOSE, SH_MAY_BE_AMBIGUOUS },
	{ "error: maximum authentication attempts exceeded for invalid user %s from 1.2.3.4 port 4242 ssh2 "
	  "[preauth]",
	  EV_MAX_AUTH, SH_EXACT_USER },
	{ "error: PAM: Authentication failure for illegal user %s from 1.2.3.4", EV_AUTH_FAILURE,
	  SH_EXACT_USER | SH_NO_PORT },
	{ "administratively prohibited connection for invalid user %s from 1.2.3.4 port 4242", EV_USER_NOT_ALLOWED,
	  SH_EXACT_USER },
	{ "User %s from 1.2.3.4 not allowed because listed in DenyUsers", EV_USER_NOT_ALLOWED,
	  SH_EXACT_USER | SH_NO_PORT | SH_VALID },
	{ "Close session: user %s from 1.2.3.4 port 4242 id 0", EV_SESSION_CLOSE, SH_EXACT_USER | SH_VALID },
	{ "Disconnected from user %s 1.2.3.4 port 4242", EV_DISCONNECT, SH_EXACT_USER | SH_VALID },
	{ "Unable to negotiate with invalid user %s 1.2.3.4 port 4242: no matching cipher found. Their offer: "
	  "aes128-cbc [preauth]",
	  EV_PROTOCOL_ERROR, SH_MAY_BE_AMBIGUOUS },
	{ "ssh_dispatch_run_fatal: Connection from invalid user %s 1.2.3.4 port 4242: message authentication "
	  "code incorrect [preauth]",
	  EV_PROTOCOL_ERROR, SH_MAY_BE_AMBIGUOUS },
};

/* Decodes msg (n bytes, may hold NUL) and checks the source is the real one
 * (or, when allowed, none), never the planted one. */
static void check_hostile(const char *msg, size_t n, const struct shape *sh, const char *user, size_t ulen)
{
	struct event ev;
	char buf[ADDR_STRLEN];
	event_init(&ev);
	if (dec_sshd(sv_make(msg, n), &ev) != 1)
		fail_msg("not recognised: %.*s", (int)n, msg);
	assert_int_equal(ev.kind, sh->kind);
	addr_format(&ev.source, buf);
	if (ev.source.family == ADDR_NONE && (sh->how & SH_MAY_BE_AMBIGUOUS)) {
		assert_true(sv_empty(ev.source_name));
		assert_int_equal(ev.port, 0);
		return;
	}
	if (strcmp(buf, "1.2.3.4") != 0)
		fail_msg("source %s from: %.*s", buf, (int)n, msg);
	assert_true(sv_empty(ev.source_name));
	assert_int_equal(ev.port, sh->how & SH_NO_PORT ? 0 : 4242);
	if (sh->how & SH_EXACT_USER) {
		if (ev.user.n != ulen || (ulen && memcmp(ev.user.p, user, ulen) != 0))
			fail_msg("user \"%.*s\", want \"%.*s\" from: %.*s", (int)ev.user.n, ev.user.p, (int)ulen,
				 user, (int)n, msg);
		if (!(sh->how & SH_VALID))
			assert_true(ev.flags & EVF_INVALID_USER);
	}
}

/* Builds sh->fmt with user (ulen bytes) into buf; returns the length. */
static size_t build(char *buf, size_t cap, const char *fmt, const char *user, size_t ulen)
{
	const char *pct = strstr(fmt, "%s");
	size_t a = (size_t)(pct - fmt), b = strlen(pct + 2);
	assert_true(a + ulen + b <= cap);
	memcpy(buf, fmt, a);
	memcpy(buf + a, user, ulen);
	memcpy(buf + a + ulen, pct + 2, b);
	return a + ulen + b;
}

static void test_hostile_users(void **state)
{
	char buf[4096];
	(void)state;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (size_t u = 0; u < sizeof(hostile_users) / sizeof(hostile_users[0]); u++) {
			const char *user = hostile_users[u];
			size_t n = build(buf, sizeof(buf), shapes[s].fmt, user, strlen(user));
			check_hostile(buf, n, &shapes[s], user, strlen(user));
		}
}

/* The example from the brief, spelled out. */
static void test_brief_example(void **state)
{
	struct event ev;
	(void)state;
	assert_int_equal(dec("Failed password for invalid user x from 10.0.0.5 port 22 from 1.2.3.4 port 4242 ssh2",
			     &ev),
			 1);
	assert_source(&ev, "1.2.3.4");
	assert_int_equal(ev.port, 4242);
	assert_sv(ev.user, "x from 10.0.0.5 port 22");
	assert_int_equal(ev.flags, EVF_INVALID_USER);
}

/* A 1 KiB user name, and user names holding NUL bytes. */
static void test_long_and_nul_users(void **state)
{
	char user[1024], buf[4096];
	(void)state;
	for (size_t i = 0; i < sizeof(user); i++)
		user[i] = "from 10.0.0.5 port 22 "[i % 23];
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t n = build(buf, sizeof(buf), shapes[s].fmt, user, sizeof(user));
		check_hostile(buf, n, &shapes[s], user, sizeof(user));
	}
	static const char nul_user[] = "a\0from 10.0.0.5 port 22\0b";
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t n = build(buf, sizeof(buf), shapes[s].fmt, nul_user, sizeof(nul_user) - 1);
		check_hostile(buf, n, &shapes[s], nul_user, sizeof(nul_user) - 1);
	}
}

/* xorshift: deterministic pseudo-random user names made of the pieces an
 * attacker would use. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const pieces[] = {
	" from ", " port ", "10.0.0.5", "22", " ssh2", ": ", " ssh2: ", "RSA ", "SHA256:x", "invalid user ",
	"authenticating user ", "user ", " [preauth]", "a", " ", ":", "2001:db8::5", " for ", " ID ",
	"(serial 1) CA RSA SHA256:y", ", client user \"", "\"", "Too many authentication failures", "\0",
};

static size_t random_user(char *out, size_t cap)
{
	size_t n = 0, k = rnd() % 12;
	for (size_t i = 0; i < k; i++) {
		size_t p = rnd() % (sizeof(pieces) / sizeof(pieces[0]));
		size_t l = p == sizeof(pieces) / sizeof(pieces[0]) - 1 ? 1 : strlen(pieces[p]);
		if (n + l > cap)
			break;
		memcpy(out + n, pieces[p], l);
		n += l;
	}
	return n;
}

static void test_random_hostile_users(void **state)
{
	char user[512], buf[4096];
	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t s = rnd() % (sizeof(shapes) / sizeof(shapes[0]));
		size_t ul = random_user(user, sizeof(user));
		size_t n = build(buf, sizeof(buf), shapes[s].fmt, user, ul);
		check_hostile(buf, n, &shapes[s], user, ul);
	}
}

/* Attacker text on the right of the address too: certificate key IDs,
 * hostbased client names, disconnect messages and KEXINIT offers. The
 * planted address must never win, whatever both sides hold. */
static void test_random_hostile_both_sides(void **state)
{
	static const char *const fmts[] = {
		"Failed publickey for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA-CERT SHA256:aa ID %s "
		"(serial 1) CA RSA SHA256:bb",
		"Failed publickey for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA-CERT ID %s (serial 1) CA RSA "
		"SHA256:bb",
		"Failed hostbased for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA SHA256:aa, client user \"%s\", "
		"client host \"h\"",
		"Failed hostbased for invalid user %s from 1.2.3.4 port 4242 ssh2: RSA SHA256:aa, client user \"u\", "
		"client host \"%s\"",
		"Disconnecting invalid user %s 1.2.3.4 port 4242: Change of username or service not allowed: (%s,s) "
		"-> (b,s) [preauth]",
		"Unable to negotiate with invalid user %s 1.2.3.4 port 4242: no matching cipher found. Their offer: "
		"%s [preauth]",
		"Received disconnect from 1.2.3.4 port 4242:11: %s %s [preauth]",
		"Bad protocol version identification '%s%s' from 1.2.3.4 port 4242",
	};
	char a[512], b[512], buf[4096];
	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		const char *fmt = fmts[rnd() % (sizeof(fmts) / sizeof(fmts[0]))];
		const char *p1 = strstr(fmt, "%s"), *p2 = strstr(p1 + 2, "%s");
		size_t al = random_user(a, sizeof(a)), bl = random_user(b, sizeof(b)), n = 0;
		struct event ev;
		char ab[ADDR_STRLEN];
		memcpy(buf + n, fmt, (size_t)(p1 - fmt));
		n += (size_t)(p1 - fmt);
		memcpy(buf + n, a, al);
		n += al;
		memcpy(buf + n, p1 + 2, (size_t)(p2 - p1 - 2));
		n += (size_t)(p2 - p1 - 2);
		memcpy(buf + n, b, bl);
		n += bl;
		memcpy(buf + n, p2 + 2, strlen(p2 + 2));
		n += strlen(p2 + 2);
		event_init(&ev);
		if (dec_sshd(sv_make(buf, n), &ev) != 1)
			continue; /* e.g. a user ending the remote id early: no event at all is fine */
		addr_format(&ev.source, ab);
		if (ev.source.family != ADDR_NONE && strcmp(ab, "1.2.3.4") != 0)
			fail_msg("source %s from: %.*s", ab, (int)n, buf);
		if (ev.source.family != ADDR_NONE)
			assert_int_equal(ev.port, 4242);
		assert_true(sv_empty(ev.source_name));
	}
}

/* Every prefix of real lines, and every single-bit flip: never a crash, every
 * view inside the input or a literal, and an address only if one parses. */
static void test_truncation_and_flips(void **state)
{
	static const char *const seeds[] = {
		("Accepted publickey for erin from 192.0.2.50 port 52244 ssh2: RSA-CERT SHA256:abc ID e (serial 1) "
		 "CA ED25519 SHA256:def"),
		"Failed password for invalid user  0101 from 5.188.10.180 port 36279 ssh2",
		"Connection closed by invalid user admin 116.203.19.15 port 54366 [preauth]",
		"Received disconnect from 2001:db8::a11:beef:7ac0: 11: Bye Bye [preauth]",
		"Disconnecting invalid user admin 61.80.1.19 port 43352: Too many authentication failures [preauth]",
		"PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76  user=root",
		"drop connection #3 from [2001:db8::80]:40001 on [2001:db8::1]:22 penalty: failed authentication",
		"refused connect from example.com (192.168.1.1)",
		"Starting session: shell on pts/0 for alice from 192.0.2.10 port 50544 id 0",
		"Unable to negotiate with 1.2.3.4 port 22: no matching cipher found. Their offer: x",
		"User bob from gw.example.org not allowed because listed in DenyUsers",
		"Timeout before authentication for connection from 1.2.3.4 to 192.168.0.2, pid = 35557",
	};
	(void)state;
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		size_t len = strlen(seeds[s]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *copy = malloc(cut ? cut : 1);
			struct event ev;
			assert_non_null(copy);
			memcpy(copy, seeds[s], cut);
			event_init(&ev);
			(void)dec_sshd(sv_make(copy, cut), &ev);
			free(copy);
		}
		for (size_t bit = 0; bit < len * 8; bit++) {
			char *copy = malloc(len);
			struct event ev;
			const struct sv *fields[] = { &ev.user, &ev.source_name, &ev.key_type, &ev.key_fp, &ev.tty };
			assert_non_null(copy);
			memcpy(copy, seeds[s], len);
			copy[bit / 8] ^= (char)(1u << (bit % 8));
			event_init(&ev);
			if (dec_sshd(sv_make(copy, len), &ev) == 1) {
				assert_true(ev.kind > EV_NONE && ev.kind < EV_KIND_MAX);
				assert_true(ev.count >= 1);
				for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
					if (fields[f]->n && !sv_eq(*fields[f], "root"))
						assert_true(fields[f]->p >= copy &&
							    fields[f]->p + fields[f]->n <= copy + len);
			}
			free(copy);
		}
	}
}

/* ---- the real logs ------------------------------------------------------ */

/* Templates left undecoded on purpose, and why. */
static const struct {
	const char *prefix;
	const char *why;
} left_out[] = {
	{ "pam_", "dec_pam's (decoders.c falls back to it for every program)" },
	{ "input_userauth_request: invalid user ", "repeats \"Invalid user U from A\" of the same pid, no address" },
	{ "reverse mapping checking getaddrinfo for ", "DNS hygiene, not an authentication event" },
	{ "PAM service(sshd) ignoring max retries; ", "PAM configuration note, no user or address" },
};

static const char *left_out_reason(struct sv msg)
{
	for (size_t i = 0; i < sizeof(left_out) / sizeof(left_out[0]); i++)
		if (sv_starts(msg, left_out[i].prefix))
			return left_out[i].why;
	return NULL;
}

/* "Mon DD HH:MM:SS host prog[pid]: msg": *prog and *msg, or false. */
static bool split_syslog(struct sv line, struct sv *prog, struct sv *msg)
{
	long sp, e;
	if (line.n < 16)
		return false;
	line = sv_skip(line, 16);
	sp = sv_chr(line, ' ');
	if (sp < 0)
		return false;
	line = sv_skip(line, (size_t)sp + 1);
	e = sv_find(line, ": ");
	if (e < 0)
		return false;
	*prog = sv_make(line.p, (size_t)e);
	if (prog->n && prog->p[prog->n - 1] == ']' && sv_chr(*prog, '[') > 0)
		prog->n = (size_t)sv_chr(*prog, '[');
	*msg = sv_skip(line, (size_t)e + 2);
	/* rsyslog's "message repeated N times: [ msg]" (the header parser unwraps it) */
	if (sv_starts(*msg, "message repeated ")) {
		long b = sv_find(*msg, ": [ ");
		if (b > 0 && sv_ends(*msg, "]")) {
			*msg = sv_skip(*msg, (size_t)b + 4);
			msg->n--;
		}
	}
	return true;
}

struct coverage {
	unsigned sshd, decoded, left_out, unexpected;
};

static struct coverage scan_file(const char *rel)
{
	const char *root = getenv("MOAT_SHARED_DATA");
	struct coverage c = { 0 };
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (!root)
		root = "../shared/data";
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f) {
		print_message("no %s: skipped\n", path);
		skip();
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct sv prog, msg;
		struct event ev;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) /* loghub has CRLF */
			line[--n] = '\0';
		if (!split_syslog(sv_make(line, (size_t)n), &prog, &msg))
			continue;
		if (!sv_eq(prog, "sshd") && !sv_eq(prog, "sshd-session") && !sv_eq(prog, "sshd-auth"))
			continue;
		c.sshd++;
		event_init(&ev);
		if (dec_sshd(msg, &ev) == 1) {
			c.decoded++;
			assert_true(ev.kind > EV_NONE && ev.kind < EV_KIND_MAX);
		} else if (left_out_reason(msg)) {
			c.left_out++;
		} else {
			c.unexpected++;
			print_message("undecoded: %s\n", line);
		}
	}
	free(line);
	fclose(f);
	print_message("%s: %u sshd lines, %u decoded, %u left out on purpose, %u unexpected\n", rel, c.sshd,
		      c.decoded, c.left_out, c.unexpected);
	return c;
}

/* " port N" is cut from the right 8 bytes at a time where the message is
 * long enough, digit by digit otherwise (8 or more digits): every port
 * text must give one answer, the one of the rule (1-10 digits, leading
 * zeros allowed, at most 65535). */
static void test_port_forms(void **state)
{
	static const char *const fmt[] = {
		"Connection closed by %s port %s",
		"Connection closed by %s port %s [preauth]",
		"Failed password for root from %s port %s ssh2",
		"Invalid user admin from %s port %s",
	};
	static const char *const addrs[] = { "10.1.2.3", "::1", "2001:db8::7", "1.2.3.4" };
	uint64_t rng = 0x452821e638d01377ull;
	unsigned long n_ports = 0;
	(void)state;
	for (int i = 0; i < 200000; i++) {
		char port[24], msg[160];
		size_t nd;
		struct event ev;
		unsigned long long want = 0;
		bool all_digits = true;
		int r;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		nd = (size_t)(rng % 14);
		for (size_t k = 0; k < nd; k++) {
			unsigned x = (unsigned)(rng >> (4 + 3 * k % 50)) % 12;
			port[k] = x < 10 ? (char)('0' + x) : x == 10 ? 'x' : '\x80';
			if (k < 3 && (rng >> 61) == 0)
				port[k] = '0';
			all_digits &= x < 10 || port[k] == '0';
		}
		port[nd] = '\0';
		for (size_t k = 0; k < nd && all_digits; k++)
			want = want * 10 + (unsigned)(port[k] - '0');
		snprintf(msg, sizeof(msg), fmt[(rng >> 32) % 4], addrs[(rng >> 40) % 4], port);
		r = dec(msg, &ev);
		if (nd >= 1 && nd <= 10 && all_digits && want <= 65535) {
			if (r != 1 || ev.port != want || ev.source.family == ADDR_NONE)
				fail_msg("%s: r %d port %u, want port %llu", msg, r, ev.port, want);
			n_ports++;
		} else if (r == 1 && ev.port != 0) {
			fail_msg("%s: took port %u", msg, ev.port);
		}
	}
	assert_true(n_ports > 20000);
}

static void test_real_auth_log(void **state)
{
	struct coverage c = scan_file("auth-real-cseanburns/auth.log");
	(void)state;
	/* every auth-relevant line decodes; what is left out is listed above */
	assert_int_equal(c.unexpected, 0);
	assert_int_equal(c.sshd, 5944);
	/* every line, the two "userauth_pubkey: parse request failed" included */
	assert_int_equal(c.left_out, 0);
	assert_int_equal(c.decoded, 5944);
}

static void test_real_loghub(void **state)
{
	struct coverage c = scan_file("loghub/OpenSSH_OpenSSH_2k.log");
	(void)state;
	assert_int_equal(c.sshd, 2000);
	assert_int_equal(c.unexpected, 0);
	/* 836 left out (41.8 %): 631 pam_unix lines (dec_pam's), 113
	 * input_userauth_request and 85 reverse-mapping lines, 7 "PAM service
	 * ignoring max retries"; everything else decodes */
	assert_int_equal(c.left_out, 836);
	assert_int_equal(c.decoded, 1164);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_pam_and_names),
		cmocka_unit_test(test_not_recognised),
		cmocka_unit_test(test_brief_example),
		cmocka_unit_test(test_hostile_users),
		cmocka_unit_test(test_long_and_nul_users),
		cmocka_unit_test(test_random_hostile_users),
		cmocka_unit_test(test_random_hostile_both_sides),
		cmocka_unit_test(test_truncation_and_flips),
		cmocka_unit_test(test_port_forms),
		cmocka_unit_test(test_real_auth_log),
		cmocka_unit_test(test_real_loghub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
