/*
 * The forged-blame property: for every sshd line shape that carries an
 * address (and the PAM lines that carry one through sshd's name), lines are
 * composed from random attacker text — user names, certificate key IDs,
 * hostbased client user and host, GSSAPI principals, disconnect messages,
 * KEXINIT offers — holding whole "from A port P ssh2" phrases, spaces,
 * brackets, quotes, "for", "invalid user", NUL and high bytes, and put
 * behind a syslog header. Whatever the text, the decoded source must be the
 * address sshd wrote, or none with EVF_AMBIGUOUS_SOURCE; where sshd wrote
 * none, none at all. Text without an address-like piece ("clean") must give
 * the real address, unambiguous, and the user as written.
 *
 * Seeded and reproducible: MOAT_INJECTION_SEED (default below) and
 * MOAT_INJECTION_LINES (default 2,000,000; 200,000 under a sanitizer) can
 * be set; a failure prints the seed, the line number and the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "parse/decoder.h"
#include "parse/header.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

enum {
	S_ADDR = 1, /* sshd wrote %A: the source is it, or none (ambiguous) */
	S_NOADDR = 2, /* sshd wrote no address: never a source */
	S_PORT = 4, /* sshd wrote %P */
	S_USER = 8, /* clean text: the user is %U as written */
	S_AMBIG = 16, /* the shape is ambiguous even with clean text */
	S_MAYFAIL = 32, /* the decoder may leave it out (not recognised) */
};

struct shape {
	const char *program;
	const char *fmt; /* %U user, %I %J %K other attacker text, %A address, %P port */
	enum event_kind kind;
	unsigned how;
};

#define AP (S_ADDR | S_PORT)
static const struct shape shapes[] = {
	/* auth.c auth_log(): INFO by method */
	{ "sshd", "Failed password for %U from %A port %P ssh2", EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd", "Failed password for invalid user %U from %A port %P ssh2", EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd", "Accepted password for %U from %A port %P ssh2", EV_AUTH_SUCCESS, AP | S_USER },
	{ "sshd-session", "Failed none for invalid user %U from %A port %P ssh2", EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd", "Failed keyboard-interactive/pam for invalid user %U from %A port %P ssh2 [preauth]",
	  EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd", "Failed publickey for %U from %A port %P ssh2: RSA SHA256:kzfjfps/WFgX", EV_AUTH_FAILURE,
	  AP | S_USER },
	{ "sshd", "Accepted publickey for %U from %A port %P ssh2: ED25519-SK SHA256:WPhWvXh, signature count = 12",
	  EV_AUTH_SUCCESS, AP | S_USER },
	{ "sshd", "Failed publickey for %U from %A port %P ssh2: RSA-CERT SHA256:aa ID %I (serial 1) CA RSA SHA256:bb",
	  EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd", "Failed publickey for %U from %A port %P ssh2: RSA-CERT ID %I (serial 9) CA ED25519 SHA256:bb",
	  EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd",
	  "Accepted publickey for %U from %A port %P ssh2: ED25519-SK-CERT SHA256:aa ID %I (serial 18446744073709551615) "
	  "CA ED25519 SHA256:bb, signature count = 3",
	  EV_AUTH_SUCCESS, AP | S_USER },
	{ "sshd", "Failed hostbased for %U from %A port %P ssh2: RSA SHA256:aa, client user \"%I\", client host \"%J\"",
	  EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd",
	  "Failed hostbased for %U from %A port %P ssh2: RSA-CERT SHA256:aa ID %K (serial 1) CA RSA SHA256:bb, client "
	  "user \"%I\", client host \"%J\"",
	  EV_AUTH_FAILURE, AP | S_USER },
	{ "sshd", "Accepted gssapi-with-mic for %U from %A port %P ssh2: %I", EV_AUTH_SUCCESS, AP | S_USER },
	{ "sshd", "Failed %I for %U from %A port %P ssh2", EV_AUTH_FAILURE, AP | S_MAYFAIL },
	{ "sshd", "Accepted rhosts-rsa for %U from %A port %P ruser %I", EV_AUTH_SUCCESS, AP | S_USER },
	{ "sshd", "Failed rsa for %U from %A port %P ssh1", EV_AUTH_FAILURE, AP | S_USER },
	/* auth.c and auth2.c: the user before a right-anchored address */
	{ "sshd", "Invalid user %U from %A port %P", EV_INVALID_USER, AP | S_USER },
	{ "sshd", "Invalid user %U from %A", EV_INVALID_USER, S_ADDR | S_USER },
	{ "sshd", "Illegal user %U from %A", EV_INVALID_USER, S_ADDR | S_USER },
	{ "sshd", "error: maximum authentication attempts exceeded for invalid user %U from %A port %P ssh2 [preauth]",
	  EV_MAX_AUTH, AP | S_USER },
	{ "sshd", "administratively prohibited connection for invalid user %U from %A port %P", EV_USER_NOT_ALLOWED,
	  AP | S_USER },
	{ "sshd", "User %U from %A not allowed because listed in DenyUsers", EV_USER_NOT_ALLOWED,
	  S_ADDR | S_USER },
	{ "sshd", "User %U from %A not allowed because none of user's groups are listed in AllowGroups",
	  EV_USER_NOT_ALLOWED, S_ADDR | S_USER },
	{ "sshd", "User %U not allowed because account is locked", EV_USER_NOT_ALLOWED, S_NOADDR | S_USER },
	{ "sshd", "Close session: user %U from %A port %P id 0", EV_SESSION_CLOSE, AP | S_USER },
	{ "sshd", "Starting session: shell on pts/0 for %U from %A port %P id 0", EV_SESSION_OPEN, AP | S_USER },
	{ "sshd", "error: PAM: Authentication failure for illegal user %U from %A", EV_AUTH_FAILURE,
	  S_ADDR | S_USER },
	{ "sshd", "error: PAM: Authentication failure for %U from %A", EV_AUTH_FAILURE, S_ADDR | S_USER },
	/* packet.c: "[PREAMBLE ]A port P" */
	{ "sshd", "Connection closed by authenticating user %U %A port %P [preauth]", EV_PREAUTH_CLOSE, AP | S_USER },
	{ "sshd", "Connection reset by invalid user %U %A port %P [preauth]", EV_PREAUTH_CLOSE, AP | S_USER },
	{ "sshd", "Disconnected from invalid user %U %A port %P [preauth]", EV_PREAUTH_CLOSE, AP | S_USER },
	{ "sshd", "Disconnected from user %U %A port %P", EV_DISCONNECT, AP | S_USER },
	{ "sshd", "Timeout, client not responding from user %U %A port %P", EV_DISCONNECT, AP | S_USER },
	{ "sshd", "Disconnecting invalid user %U %A port %P: Too many authentication failures [preauth]",
	  EV_PREAUTH_CLOSE, AP | S_USER },
	{ "sshd",
	  "Disconnecting authenticating user %U %A port %P: Change of username or service not allowed: "
	  "(%I,ssh-connection) -> (%J,ssh-connection) [preauth]",
	  EV_PREAUTH_CLOSE, AP | S_USER },
	{ "sshd",
	  "Unable to negotiate with authenticating user %U %A port %P: no matching cipher found. Their offer: %I "
	  "[preauth]",
	  EV_PROTOCOL_ERROR, AP | S_USER },
	{ "sshd", "Unable to negotiate with %A port %P: no matching host key type found. Their offer: %I [preauth]",
	  EV_PROTOCOL_ERROR, AP },
	{ "sshd", "ssh_dispatch_run_fatal: Connection from invalid user %U %A port %P: %I [preauth]",
	  EV_PROTOCOL_ERROR, AP | S_USER },
	/* the client's text after a left-anchored address */
	{ "sshd", "Received disconnect from %A port %P:11: %I [preauth]", EV_DISCONNECT, AP },
	{ "sshd", "error: Received disconnect from %A: 3: %I [preauth]", EV_DISCONNECT, S_ADDR },
	{ "sshd", "Bad protocol version identification '%I' from %A port %P", EV_PROTOCOL_ERROR, AP },
	{ "sshd", "Protocol major versions differ for %A port %P: %I vs. %J", EV_PROTOCOL_ERROR, AP },
	{ "sshd", "scanned from %A port %P with %I.  Don't panic.", EV_PROTOCOL_ERROR, AP },
	/* PAM's fields through sshd (and ruser from a client, as Dovecot sets it) */
	{ "sshd", "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%A  user=%U",
	  EV_AUTH_FAILURE, S_ADDR | S_USER },
	{ "sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%A  user=%U",
	  EV_AUTH_FAILURE, S_ADDR | S_USER },
	{ "auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=%U rhost=%A",
	  EV_AUTH_FAILURE, S_ADDR },
	/* sshd wrote no address, or an older sshd wrote the same text without one */
	{ "sshd", "Disconnecting: Too many authentication failures for %U [preauth]", EV_MAX_AUTH, S_NOADDR | S_USER },
	{ "sshd", "Disconnecting: Too many authentication failures for %U from %A port %P ssh2 [preauth]", EV_MAX_AUTH,
	  S_NOADDR | S_AMBIG },
	{ "sshd", "Postponed keyboard-interactive for invalid user %U from %A port %P ssh2 [preauth]", EV_NONE,
	  S_ADDR | S_MAYFAIL },
	{ "sshd", "input_userauth_request: invalid user %U [preauth]", EV_NONE, S_NOADDR | S_MAYFAIL },
};

/* Real addresses (as written, as parsed) and planted ones. */
static const char *const real_addrs[] = { "1.2.3.4", "203.0.113.77", "2001:db8::a11:beef:7ac0", "::1",
					  "fe80::1%eth0", "::ffff:198.51.100.9" };

static const char *const pieces[] = {
	" from ", "from ", " port ", "port ", "22", "4242", "65535", "99999", " ssh2", " ssh1", ": ", " ssh2: ",
	"ssh2: ", ":", "10.0.0.5", "2001:db8::5", "::ffff:10.0.0.6", "fe80::5%eth0", "evil.example", "@REAL@",
	"RSA ", "RSA-CERT ", "SHA256:abc", " ID ", " (serial 1) CA RSA SHA256:def", ", signature count = 7",
	", client user \"", "\", client host \"", "\"", "'", "invalid user ", "illegal user ", "authenticating user ",
	"user ", " for ", "for ", " [preauth]", "[", "]", "(", ")", " ", "  ", "\t", "\n", "#012", "\xff", "\xc3\xa9",
	"\x1b[31m", "a", "root", " rhost=", "user=", " not allowed because listed in DenyUsers", "Too many",
	" ruser ", "%s", "\\",
	/* whole phrases */
	"x from 10.0.0.5 port 22 ssh2", "from 10.0.0.5 port 22 ssh2: RSA SHA256:abc", "10.0.0.5 port 22: ",
	" from 10.0.0.5 port 22 ssh2: RSA-CERT SHA256:a ID k", " from @REAL@ port 1 ssh2", "@REAL@ port 7: x",
	" from 10.0.0.5 port 22 ruser x", " port 22:11: x", "\", client host \"h from 10.0.0.5 port 2 ssh2: RSA SHA256:q",
	"\0",
};

static uint64_t rng;

static uint64_t rnd(void)
{
	/* splitmix64: every seed gives a good stream */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct buf {
	char p[4096];
	size_t n;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n > sizeof(b->p))
		n = sizeof(b->p) - b->n;
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Attacker text: clean (letters only) or made of pieces, up to 100 bytes
 * as sshd caps a user name (longer for the other fields). */
static void attacker_text(struct buf *t, bool clean, const char *real, size_t cap)
{
	t->n = 0;
	if (clean) {
		size_t n = rnd() % 12;
		for (size_t i = 0; i < n; i++)
			t->p[t->n++] = (char)("abcdefghijklmnopqrstuvwxyz_-"[rnd() % 28]);
		return;
	}
	for (size_t k = rnd() % 9; k > 0; k--) {
		const size_t np = sizeof(pieces) / sizeof(pieces[0]);
		size_t i = rnd() % np;
		const char *pc = pieces[i];
		if (i == np - 1) {
			put(t, "", 1); /* the NUL piece */
		} else if (strstr(pc, "@REAL@")) {
			const char *at = strstr(pc, "@REAL@");
			put(t, pc, (size_t)(at - pc));
			puts_(t, real);
			puts_(t, at + 6);
		} else {
			puts_(t, pc);
		}
	}
	if (t->n > cap)
		t->n = cap;
}

/* Header styles the line is put behind. */
static void header(struct buf *b, const char *program)
{
	switch (rnd() % 4) {
	case 0:
		puts_(b, "Nov  1 00:00:01 host ");
		break;
	case 1:
		puts_(b, "2026-11-01T00:00:01.123456+01:00 bastion ");
		break;
	case 2:
		puts_(b, "<38>Nov 21 12:00:00 h ");
		break;
	default:
		puts_(b, "Nov 21 12:00:00 ");
		break;
	}
	puts_(b, program);
	puts_(b, "[4242]: ");
}

struct stats {
	uint64_t lines, ambiguous, unrecognised, clean;
};

static void fail_line(uint64_t seed, uint64_t i, const struct buf *b, const char *why)
{
	char shown[8192];
	size_t k = 0;
	for (size_t j = 0; j < b->n && k + 5 < sizeof(shown); j++) {
		unsigned char c = (unsigned char)b->p[j];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			shown[k++] = (char)c;
		} else {
			snprintf(shown + k, 5, "\\x%02x", c);
			k += 4;
		}
	}
	shown[k] = '\0';
	fail_msg("seed %" PRIu64 " line %" PRIu64 ": %s: %s", seed, i, why, shown);
}

static void one_line(struct header_ctx *hdr, uint64_t seed, uint64_t i, struct stats *st)
{
	const struct shape *sh = &shapes[rnd() % (sizeof(shapes) / sizeof(shapes[0]))];
	const char *real = real_addrs[rnd() % (sizeof(real_addrs) / sizeof(real_addrs[0]))];
	unsigned port = 1 + (unsigned)(rnd() % 65535);
	bool clean = rnd() % 4 == 0;
	struct buf user, other[3], line = { .n = 0 };
	struct syslog_header h;
	struct event ev;
	struct addr want;
	char pbuf[8];

	attacker_text(&user, clean, real, 100);
	for (int k = 0; k < 3; k++)
		attacker_text(&other[k], clean, real, 200);
	snprintf(pbuf, sizeof(pbuf), "%u", port);
	header(&line, sh->program);
	for (const char *f = sh->fmt; *f; f++) {
		if (f[0] != '%' || !f[1]) {
			put(&line, f, 1);
			continue;
		}
		f++;
		switch (*f) {
		case 'U':
			put(&line, user.p, user.n);
			break;
		case 'I':
		case 'J':
		case 'K':
			put(&line, other[*f - 'I'].p, other[*f - 'I'].n);
			break;
		case 'A':
			puts_(&line, real);
			break;
		case 'P':
			puts_(&line, pbuf);
			break;
		default:
			put(&line, f - 1, 2);
		}
	}
	st->lines++;
	st->clean += clean;
	if (header_parse(hdr, line.p, line.n, &h) != 1)
		fail_line(seed, i, &line, "no header");
	if (decode(&h, &ev) != 1) {
		if (!(sh->how & S_MAYFAIL))
			fail_line(seed, i, &line, "not recognised");
		st->unrecognised++;
		return;
	}
	if (sh->kind != EV_NONE && ev.kind != sh->kind)
		fail_line(seed, i, &line, "wrong kind");
	/* every real host here is an address: a name can only be client text */
	if (ev.source_name.n)
		fail_line(seed, i, &line, "a host name from attacker text");
	if (ev.source.family == ADDR_NONE) {
		if (ev.port)
			fail_line(seed, i, &line, "a port without a source");
		if ((sh->how & S_ADDR) && !(ev.flags & EVF_AMBIGUOUS_SOURCE))
			fail_line(seed, i, &line, "no source, not marked ambiguous");
		if (ev.flags & EVF_AMBIGUOUS_SOURCE)
			st->ambiguous++;
		if (clean && (sh->how & S_ADDR))
			fail_line(seed, i, &line, "clean text, no source");
		if (clean && (sh->how & S_AMBIG) && !(ev.flags & EVF_AMBIGUOUS_SOURCE))
			fail_line(seed, i, &line, "clean text, not marked ambiguous");
		if (clean && !(sh->how & S_AMBIG) && (ev.flags & EVF_AMBIGUOUS_SOURCE))
			fail_line(seed, i, &line, "clean text marked ambiguous");
		if (clean && (sh->how & S_USER) && !(sh->how & S_AMBIG) &&
		    (ev.user.n != user.n || memcmp(ev.user.p, user.p, user.n) != 0))
			fail_line(seed, i, &line, "clean text, another user");
		return;
	}
	if (sh->how & S_NOADDR)
		fail_line(seed, i, &line, "a source where sshd wrote none");
	if (ev.flags & EVF_AMBIGUOUS_SOURCE)
		fail_line(seed, i, &line, "a source on a line marked ambiguous");
	assert_true(addr_parse(sv_cstr(real), &want));
	if (!addr_equal(&ev.source, &want))
		fail_line(seed, i, &line, "FORGED: a source sshd did not write");
	if (ev.port && ev.port != port)
		fail_line(seed, i, &line, "a port sshd did not write");
	if (clean) {
		if ((sh->how & S_PORT) && ev.port != port)
			fail_line(seed, i, &line, "clean text, no port");
		if ((sh->how & S_USER) && (ev.user.n != user.n || memcmp(ev.user.p, user.p, user.n) != 0))
			fail_line(seed, i, &line, "clean text, another user");
	}
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	unsigned long long x;
	if (!v || sv_to_u64(sv_cstr(v), UINT64_MAX, &x) < 0)
		return dflt;
	return x;
}

static void test_property(void **state)
{
	uint64_t seed = env_u64("MOAT_INJECTION_SEED", 20261101);
	uint64_t n = env_u64("MOAT_INJECTION_LINES", SANITIZED ? 200000 : 2000000);
	struct header_ctx *hdr = header_ctx_new("UTC");
	struct stats st = { 0 };
	struct timespec t0, t1;
	double s;

	(void)state;
	assert_non_null(hdr);
	rng = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < n; i++)
		one_line(hdr, seed, i, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("seed %" PRIu64 ": %" PRIu64 " lines over %zu shapes in %.2f s (%.0f lines/s): %" PRIu64
		      " clean, %" PRIu64 " ambiguous (no source), %" PRIu64 " left undecoded (allowed shapes)\n",
		      seed, st.lines, sizeof(shapes) / sizeof(shapes[0]), s, (double)st.lines / (s > 0 ? s : 1),
		      st.clean, st.ambiguous, st.unrecognised);
	/* the property has teeth only if both outcomes occur often */
	assert_true(st.ambiguous > st.lines / 100);
	assert_true(st.lines - st.ambiguous - st.unrecognised > st.lines / 2);
	header_ctx_free(hdr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
