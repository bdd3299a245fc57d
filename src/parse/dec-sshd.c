/*
 * dec-sshd: OpenSSH's sshd, sshd-session (9.8+, where authentication is
 * logged) and sshd-auth (10.0+). Message shapes are those OpenSSH 5.0 to 9.9
 * writes (auth.c auth_log, allowed_user, auth_maxtries_exceeded; auth2.c;
 * packet.c sshpkt_vfatal and ssh_packet_disconnect; kex.c; sshd.c;
 * sshd-session.c; serverloop.c; session.c; auth-pam.c), plus the two
 * libpam/tcp-wrappers lines that land under sshd's name.
 *
 * Attacker text: the user name (up to 100 bytes, any byte but NUL, spaces
 * included), the SSH method name, the client version, disconnect messages,
 * KEXINIT offers, certificate key IDs and hostbased client user/host are all
 * chosen by the remote side. An address is only ever taken from the place
 * sshd writes it, found from the end of the message that sshd controls:
 *
 *   - most shapes end in server text (" port N", " ssh2", " [preauth]", a
 *     fixed reason): those are cut from the right, and the host is the token
 *     after the LAST " from " (a user name cannot follow it);
 *   - where attacker text can sit on both sides of the address (a failed
 *     certificate or hostbased key after " ssh2: ", a "Disconnecting …:"
 *     reason that quotes user names, a KEXINIT offer after an authenticated
 *     user), every position where sshd's structure could be is enumerated;
 *     the address is used only when exactly one fits. Text injected on either
 *     side then makes the line ambiguous (no source) but can never move the
 *     source to an address of the attacker's choosing.
 *
 * Lines starting "pam_" are left to dec_pam (decoders.c falls back to it).
 * No allocation: every field is a view into msg or a string literal.
 */
#include "parse/decoder.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/macro.h"
#include "parse/dec-util.h"

/* What a log preamble ("authenticating user U" …) said about the session. */
enum pre {
	PRE_NONE, /* no preamble: before the user name was known */
	PRE_AUTHENTICATING, /* valid user, not yet authenticated */
	PRE_INVALID, /* no such user */
	PRE_USER, /* authenticated */
};

/* The first sizeof(lit) - 1 bytes of m, which the caller has seen start with lit. */
#define HEAD(m, lit) sv_make((m).p, sizeof(lit) - 1)

static const struct sv ambiguous = SV_LIT("ambiguous source: attacker text repeats sshd's address field");

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static struct sv trim_end(struct sv v)
{
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\r' ||
		       v.p[v.n - 1] == '\n'))
		v.n--;
	return v;
}

/* Digits at the start of v (at most 10), as a number no larger than max.
 * Returns how many bytes were used, 0 when there is no number there. */
static size_t take_uint(struct sv v, unsigned long max, unsigned long *ret)
{
	uint64_t x = 0;
	size_t i = 0;
	while (i < v.n && i < 10 && is_digit(v.p[i])) {
		x = x * 10 + (uint64_t)(v.p[i] - '0');
		i++;
	}
	if (i == 0 || (i < v.n && is_digit(v.p[i])) || x > max)
		return 0;
	*ret = (unsigned long)x;
	return i;
}

/* v is all digits and at most max. */
static bool parse_uint(struct sv v, unsigned long max, unsigned long *ret)
{
	return v.n > 0 && take_uint(v, max, ret) == v.n;
}

/* Cuts " port N" off the end of *s. */
static inline __attribute__((always_inline)) bool cut_port(struct sv *s, uint16_t *port)
{
	size_t i = s->n;
	if (s->n >= 8) {
		/* the last 8 bytes at once: the digits at their end, and their
		 * value (fewer than 8 digits: else the loop below decides) */
		uint64_t w = dec_load8(s->p + s->n - 8), nondigit = dec_nondigits8(w), x;
		if (nondigit) {
			unsigned top = (63u - (unsigned)__builtin_clzll(nondigit)) / 8; /* last non-digit byte */
			unsigned nd = 7 - top;
			if (nd == 0)
				return false;
			i = s->n - nd;
			if (i < 6 || memcmp(s->p + i - 6, " port ", 6) != 0)
				return false;
			/* the non-digit bytes masked off become leading zeros */
			x = dec_value8((w >> (8 * (top + 1)) << (8 * (top + 1))) - ((DEC_ONES * '0') << (8 * (top + 1))));
			if (x > 65535)
				return false;
			*port = (uint16_t)x;
			s->n = i - 6;
			return true;
		}
	}
	uint64_t x = 0, mul = 1;
	/* the number is read while scanning back to its start (as parse_uint
	 * would read it: leading zeros allowed, at most 10 digits) */
	while (i > 0 && is_digit(s->p[i - 1])) {
		if (s->n - i == 10)
			return false;
		x += (uint64_t)(s->p[i - 1] - '0') * mul;
		mul *= 10;
		i--;
	}
	if (i == s->n || x > 65535 || i < 6 || memcmp(s->p + i - 6, " port ", 6) != 0)
		return false;
	*port = (uint16_t)x;
	s->n = i - 6;
	return true;
}

/* Cuts " from HOST" off the end of *s, where HOST is the text after the
 * last " from " and holds no space. Since HOST has no space, that " from "
 * must end at the last space of *s: one memrchr and one compare, instead
 * of a search for the separator. */
static inline __attribute__((always_inline)) bool cut_from(struct sv *s, struct sv *host)
{
	long sp = dec_rchr(*s, ' ');
	if (sp < 5 || (size_t)sp + 1 == s->n || memcmp(s->p + sp - 5, " from", 5) != 0)
		return false;
	*host = sv_skip(*s, (size_t)sp + 1);
	s->n = (size_t)sp - 5;
	return true;
}

/* Fills the source from a host token: an address, or (allow_name) a host name. */
static bool set_source(struct event *ev, struct sv tok, bool allow_name)
{
	if (addr_parse(tok, &ev->source))
		return true;
	if (allow_name && dec_hostname_ok(tok)) {
		ev->source_name = tok;
		return true;
	}
	return false;
}

/* The user part of a message: "INVALID U" or "U", where INVALID is the
 * words sshd puts before a name that has no account ("invalid user ", or
 * "illegal user " in auth-pam.c); NULL where the shape has none. */
#define INVALID_LEN 13 /* both spellings: a fixed-size compare, no strlen */
_Static_assert(sizeof("invalid user ") - 1 == INVALID_LEN && sizeof("illegal user ") - 1 == INVALID_LEN,
	       "INVALID_LEN");

static void set_user(struct event *ev, struct sv u, const char *invalid)
{
	if (invalid && u.n >= INVALID_LEN && memcmp(u.p, invalid, INVALID_LEN) == 0) {
		u = sv_skip(u, INVALID_LEN);
		ev->flags |= EVF_INVALID_USER;
	}
	ev->user = u;
}

/* sshd's log preamble (packet.c sshpkt_fmt_connection_id): empty,
 * "authenticating user U", "invalid user U" or "user U". The monitor writes
 * "authenticatinguser U" (a missing space in monitor.c since 7.5). */
static bool take_preamble(struct sv pre, struct event *ev, enum pre *kind)
{
	if (pre.n == 0) {
		*kind = PRE_NONE;
		return true;
	}
	if (sv_consume(&pre, "authenticating user ") || sv_consume(&pre, "authenticatinguser "))
		*kind = PRE_AUTHENTICATING;
	else if (sv_consume(&pre, "invalid user ")) {
		*kind = PRE_INVALID;
		ev->flags |= EVF_INVALID_USER;
	} else if (sv_consume(&pre, "user "))
		*kind = PRE_USER;
	else
		return false;
	ev->user = pre;
	return true;
}

/* A remote id that ends the text: "[PREAMBLE ]ADDR[ port N]". */
static bool parse_remote_id(struct sv s, struct event *ev, enum pre *kind)
{
	uint16_t port = 0;
	long sp;
	(void)cut_port(&s, &port);
	sp = dec_rchr(s, ' ');
	if (!set_source(ev, sp < 0 ? s : sv_skip(s, (size_t)sp + 1), false))
		return false;
	if (!take_preamble(sp < 0 ? SV_NULL : sv_make(s.p, (size_t)sp), ev, kind))
		return false;
	ev->port = port;
	return true;
}

/* One way to read "…[PREAMBLE ]ADDR port N: REST". */
struct rid {
	struct event ev; /* user, flags, source, port */
	enum pre pre;
	struct sv rest;
};

/* Enumerates every split of s as "[PREAMBLE ]ADDR port N: REST" with a
 * numeric ADDR and a well-formed preamble. Returns 0 (none), 1 (all splits
 * name one address; *one is the first, its port 0 when they disagree on the
 * port) or 2 (they name different addresses). */
static int find_remote_ids(struct sv s, const struct event *base, struct rid *one)
{
	int found = 0;
	size_t from = 0;
	while (from < s.n) {
		long at = dec_find(sv_skip(s, from), " port ");
		size_t j, k, tok_start;
		unsigned long port;
		struct rid c;
		const char *sp;
		if (at < 0)
			break;
		j = from + (size_t)at;
		from = j + 1;
		k = take_uint(sv_skip(s, j + 6), 65535, &port);
		if (k == 0 || !sv_starts(sv_skip(s, j + 6 + k), ": "))
			continue;
		sp = j ? memrchr(s.p, ' ', j) : NULL;
		tok_start = sp ? (size_t)(sp - s.p) + 1 : 0;
		c.ev = *base;
		if (!addr_parse(sv_make(s.p + tok_start, j - tok_start), &c.ev.source))
			continue;
		if (!take_preamble(sv_make(s.p, tok_start ? tok_start - 1 : 0), &c.ev, &c.pre))
			continue;
		c.ev.port = (uint16_t)port;
		c.rest = sv_skip(s, j + 6 + k + 2);
		if (found++ == 0)
			*one = c;
		else if (!addr_equal(&one->ev.source, &c.ev.source))
			return 2;
		else if (one->ev.port != c.ev.port)
			one->ev.port = 0;
	}
	return found ? 1 : 0;
}

static enum auth_method method_of(struct sv m)
{
	if (sv_eq(m, "password"))
		return AM_PASSWORD;
	if (sv_eq(m, "publickey"))
		return AM_PUBLICKEY;
	if (sv_starts(m, "keyboard-interactive") || sv_eq(m, "challenge-response"))
		return AM_KBDINT;
	if (sv_starts(m, "gssapi"))
		return AM_GSSAPI;
	if (sv_eq(m, "hostbased"))
		return AM_HOSTBASED;
	if (sv_eq(m, "none"))
		return AM_NONE_METHOD;
	if (sv_eq(m, "rsa")) /* SSH-1 RSA authentication */
		return AM_PUBLICKEY;
	if (sv_eq(m, "rhosts-rsa") || sv_eq(m, "rhosts"))
		return AM_HOSTBASED;
	return AM_NONE;
}

/* Character classes of key text, one table look-up per byte (a key line
 * has ~50 fingerprint bytes, checked twice). */
enum { KC_TYPE = 1, KC_B64 = 2, KC_HEX = 4 };
static const uint8_t key_class[256] = {
	['0' ... '9'] = KC_TYPE | KC_B64 | KC_HEX,
	['a' ... 'f'] = KC_TYPE | KC_B64 | KC_HEX,
	['A' ... 'F'] = KC_TYPE | KC_B64 | KC_HEX,
	['g' ... 'z'] = KC_TYPE | KC_B64,
	['G' ... 'Z'] = KC_TYPE | KC_B64,
	['-'] = KC_TYPE,
	['+'] = KC_B64,
	['/'] = KC_B64,
	['='] = KC_B64,
	['.'] = KC_B64,
	[':'] = KC_B64 | KC_HEX,
};

/* All bytes of v are in class c. */
static bool all_in(struct sv v, unsigned c)
{
	unsigned acc = c;
	for (size_t i = 0; i < v.n; i++)
		acc &= key_class[(unsigned char)v.p[i]];
	return acc == c;
}

/* sshkey_type(): "RSA", "ED25519-SK", "RSA-CERT", "unknown" … */
static bool key_type_ok(struct sv t)
{
	return t.n > 0 && t.n <= 32 && all_in(t, KC_TYPE);
}

/* sshkey_fingerprint(): "SHA256:base64", "MD5:hex:…", bare "hex:…" (before
 * 6.8) or "(null)". No quote, comma or space can be part of one. */
static bool key_fp_ok(struct sv f)
{
	static const char *const hashes[] = { "SHA256:", "SHA384:", "SHA512:", "SHA1:", "MD5:" };
	bool prefixed = false;
	if (sv_eq(f, "(null)"))
		return true;
	if (f.n > 7 && memcmp(f.p, "SHA256:", 7) == 0) { /* what sshd logs by default */
		f = sv_skip(f, 7);
		prefixed = true;
	} else {
		for (size_t i = 0; i < ELEMENTSOF(hashes); i++) {
			size_t n = strlen(hashes[i]);
			if (f.n > n && strncasecmp(f.p, hashes[i], n) == 0) {
				f = sv_skip(f, n);
				prefixed = true;
				break;
			}
		}
	}
	if (f.n == 0)
		return false;
	if (prefixed)
		return all_in(f, KC_B64);
	return f.n >= 3 && all_in(f, KC_HEX) && memchr(f.p, ':', f.n) != NULL;
}

/* Splits key text "TYPE FP…" into type, fingerprint and what follows it
 * (", signature count = N", " ID … CA …", ", client user …"). The old
 * certificate form "TYPE ID …" has no fingerprint of its own. */
static bool split_key(struct sv info, struct sv *type, struct sv *fp, struct sv *after)
{
	long sp = sv_chr(info, ' ');
	struct sv rest;
	size_t n = 0;
	if (sp <= 0 || !key_type_ok(sv_make(info.p, (size_t)sp)))
		return false;
	*type = sv_make(info.p, (size_t)sp);
	rest = sv_skip(info, (size_t)sp + 1);
	if (sv_starts(rest, "ID ")) {
		*fp = SV_NULL;
		*after = rest;
		return true;
	}
	while (n < rest.n && rest.p[n] != ' ' && rest.p[n] != ',')
		n++;
	if (!key_fp_ok(sv_make(rest.p, n)))
		return false;
	*fp = sv_make(rest.p, n);
	*after = sv_skip(rest, n);
	return true;
}

/* Key text with no room for attacker text: "TYPE FP" or
 * "TYPE FP, signature count = N" (security keys). */
static bool key_info_strict(struct sv info, struct sv *type, struct sv *fp, struct sv *after)
{
	struct sv rest;
	unsigned long n;
	if (!split_key(info, type, fp, after) || fp->n == 0)
		return false;
	if (after->n == 0)
		return true;
	rest = *after;
	return sv_consume(&rest, ", signature count = ") && parse_uint(rest, 4294967295UL, &n);
}

/* What auth_log() may append after " ssh2: " (auth.c format_method_key,
 * and what auth2_record_info() recorded), by method. */
enum info_kind {
	INFO_NONE, /* password, keyboard-interactive, none: nothing */
	INFO_KEY, /* publickey: key text, where a certificate's key ID is the
		   * text of whoever made the certificate (any CA, for a failure) */
	INFO_HOSTBASED, /* key text, then the client user and host the client sent */
	INFO_FREE, /* gssapi (the client's principal), ssh1 rhosts' ruser,
		    * and methods we do not know: any text */
};

static enum info_kind info_kind_of(struct sv m)
{
	if (sv_eq(m, "password") || sv_eq(m, "none") || sv_starts(m, "keyboard-interactive") ||
	    sv_eq(m, "challenge-response"))
		return INFO_NONE;
	if (sv_eq(m, "publickey") || sv_eq(m, "rsa"))
		return INFO_KEY;
	if (sv_eq(m, "hostbased"))
		return INFO_HOSTBASED;
	return INFO_FREE;
}

/* A certificate's " (serial N) CA TYPE FP" at the end of v, read from the
 * right (none of it is attacker text): where it starts, or -1. */
static long cert_tail(struct sv v)
{
	long sp = sv_rchr(v, ' ');
	long open;
	struct sv num;

	if (sp < 0 || !key_fp_ok(sv_skip(v, (size_t)sp + 1)))
		return -1;
	v.n = (size_t)sp;
	sp = sv_rchr(v, ' ');
	if (sp < 0 || !key_type_ok(sv_skip(v, (size_t)sp + 1)))
		return -1;
	v.n = (size_t)sp;
	if (!sv_consume_end(&v, ") CA"))
		return -1;
	open = dec_rfind(v, " (serial ");
	if (open < 0)
		return -1;
	num = sv_skip(v, (size_t)open + 9);
	/* a 64-bit serial: up to 20 digits */
	if (num.n == 0 || num.n > 20)
		return -1;
	for (size_t k = 0; k < num.n; k++)
		if (!is_digit(num.p[k]))
			return -1;
	return open;
}

/* Key text as format_method_key() and the older pubkey_auth_info() write
 * it, without what auth2_record_info() adds: "TYPE FP", "TYPE FP ID KEYID
 * (serial N) CA TYPE FP" (a certificate, 7.x+), "TYPE ID KEYID (serial N)
 * CA TYPE FP" (a certificate, 6.3-6.9). KEYID may be anything. */
static bool key_text_ok(struct sv t)
{
	struct sv type, fp, after;
	long tail;
	if (!split_key(t, &type, &fp, &after))
		return false;
	if (after.n == 0)
		return fp.n > 0;
	if (fp.n == 0) /* split_key left "ID KEYID …" */
		return (tail = cert_tail(after)) >= 3 && sv_starts(after, "ID ");
	return sv_starts(after, " ID ") && (tail = cert_tail(after)) >= 4;
}

/* Could info be what auth_log() appends for a method of kind ik? */
static bool info_ok(struct sv info, enum info_kind ik)
{
	struct sv t = info;
	unsigned long n;
	long from = 0, at;

	switch (ik) {
	case INFO_NONE:
		return info.n == 0;
	case INFO_FREE:
		return true;
	case INFO_KEY:
		/* security keys add ", signature count = N" (no ", " in key text) */
		at = dec_rfind(t, ", signature count = ");
		if (at >= 0 && parse_uint(sv_skip(t, (size_t)at + 20), 4294967295UL, &n))
			t.n = (size_t)at;
		return info.n == 0 || key_text_ok(t);
	case INFO_HOSTBASED:
		if (info.n == 0)
			return true;
		/* KEY, client user "CU", client host "CH": CU and CH are the
		 * client's and may hold the separators; any split will do */
		if (!sv_ends(info, "\""))
			return false;
		while ((at = dec_find(sv_skip(info, (size_t)from), ", client user \"")) >= 0) {
			size_t p = (size_t)from + (size_t)at;
			struct sv rest = sv_make(info.p + p + 15, info.n - p - 15 - 1); /* without the closing quote */
			from = (long)p + 1;
			if (rest.n + 1 < 17 || dec_find(rest, "\", client host \"") < 0)
				continue;
			if (key_text_ok(sv_make(info.p, p)))
				return true;
		}
		return false;
	}
	return false;
}

/* Key text split by split_key into the event. */
static void apply_key(struct sv type, struct sv fp, struct sv after, struct event *ev)
{
	ev->key_type = type;
	ev->key_fp = fp;
	if (!sv_consume(&after, ", "))
		(void)sv_consume(&after, " ");
	if (after.n)
		ev->detail = after;
}

static void apply_info(struct sv info, enum info_kind ik, struct event *ev)
{
	struct sv type, fp, after;
	if (info.n == 0)
		return; /* most lines: nothing after " ssh2" */
	if (ik != INFO_NONE && split_key(info, &type, &fp, &after))
		apply_key(type, fp, after, ev);
	else
		ev->detail = info; /* gssapi-with-mic: the client's principal */
}

/* "[INVALID]U from HOST[ port N]" (core of several shapes; see set_user). */
static bool parse_user_from(struct sv core, struct event *ev, bool allow_name, const char *invalid)
{
	struct sv host;
	uint16_t port = 0;
	(void)cut_port(&core, &port);
	if (!cut_from(&core, &host) || !set_source(ev, host, allow_name))
		return false;
	ev->port = port;
	set_user(ev, core, invalid);
	return true;
}

/* No source: attacker text could have written the address the line shows. */
static void set_ambiguous(struct event *ev)
{
	ev->source = (struct addr){ .family = ADDR_NONE };
	ev->source_name = SV_NULL;
	ev->port = 0;
	ev->user = SV_NULL;
	ev->flags &= ~(uint32_t)EVF_INVALID_USER;
	ev->flags |= EVF_AMBIGUOUS_SOURCE;
	ev->detail = ambiguous;
}

/* One way to read auth_log()'s "[invalid user ]U from A port P ssh2[: INFO]". */
struct reading {
	struct addr src;
	uint16_t port;
	struct sv user; /* "[invalid user ]U" */
	struct sv info; /* what followed " ssh2: " (or " ruser "), may be empty */
};

/* What follows " port N" in a reading: nothing (SSH1 before 6.3, or
 * hand-written), " ssh2"/" ssh1", " ssh2: INFO", or SSH1 rhosts' " ruser X"
 * (before 6.3). */
static bool tail_ok(struct sv tail, enum info_kind ik, struct sv *info)
{
	*info = SV_NULL;
	if (tail.n == 0)
		return true;
	if (sv_consume(&tail, " ssh2") || sv_consume(&tail, " ssh1")) {
		if (tail.n == 0)
			return true;
		if (!sv_consume(&tail, ":"))
			return false;
		(void)sv_consume(&tail, " ");
		*info = tail;
		return info_ok(tail, ik);
	}
	if (ik == INFO_FREE && (sv_starts(tail, " ruser ") || sv_eq(tail, " ruser"))) {
		*info = sv_skip(tail, 1);
		return true;
	}
	return false;
}

/* Every way to read s as "[invalid user ]U from A port P<tail>" with a
 * numeric A (auth_log writes ssh_remote_ipaddr(), never a name) and a tail
 * that fits the method. U and INFO are the client's and may repeat the
 * whole phrase, so every " port " is a candidate. Returns 0 (none), 1 (one
 * address in all readings; *one is the first, *port_agrees false when they
 * disagree on the port) or 2 (readings disagree on the address). */
static int authlog_readings(struct sv s, enum info_kind ik, struct reading *one, bool *port_agrees)
{
	int n = 0;
	size_t from = 0;
	long at;

	*port_agrees = true;
	while ((at = dec_find(sv_skip(s, from), " port ")) >= 0) {
		size_t j = from + (size_t)at, k;
		unsigned long port;
		struct reading r;
		const char *sp;

		from = j + 1;
		k = take_uint(sv_skip(s, j + 6), 65535, &port);
		if (k == 0 || !tail_ok(sv_skip(s, j + 6 + k), ik, &r.info))
			continue;
		sp = j ? memrchr(s.p, ' ', j) : NULL;
		if (!sp || sp - s.p < 5 || memcmp(sp - 5, " from", 5) != 0 ||
		    !addr_parse(sv_make(sp + 1, (size_t)(s.p + j - sp - 1)), &r.src))
			continue;
		r.port = (uint16_t)port;
		r.user = sv_make(s.p, (size_t)(sp - 5 - s.p));
		if (n == 0) {
			*one = r;
			n = 1;
		} else if (!addr_equal(&one->src, &r.src)) {
			return 2;
		} else if (one->port != r.port) {
			*port_agrees = false;
		}
	}
	return n;
}

/* auth.c auth_log():
 *   "Accepted|Failed METHOD[/SUB] for [invalid user ]U from A port P ssh2[: INFO]"
 * (5.x: "… port P ssh2" via its info argument; 6.3–7.4 also " ssh1"; the
 * same function's "Partial" and "Postponed" are not decoded, see dispatch()).
 *
 * U is the client's (up to 100 bytes, spaces included) and so, for some
 * methods, is part of INFO (a certificate's key ID, hostbased's client user
 * and host, a GSSAPI principal). The address is taken only when every way
 * the line can be read under that method's INFO grammar gives the same
 * one; otherwise the line is ambiguous and blames no one. */
static int dec_authlog(struct sv rest, enum event_kind kind, bool accepted, struct event *ev)
{
	long sp = dec_chr(rest, ' ');
	struct sv meth, s, core, ktype, kfp, kafter;
	enum info_kind ik;
	struct reading r;
	bool port_agrees;
	long i;

	if (sp <= 0)
		return 0;
	meth = sv_make(rest.p, (size_t)sp);
	s = sv_skip(rest, (size_t)sp + 1);
	if (!sv_consume(&s, "for ")) {
		/* an unknown method is whatever the client sent, spaces included
		 * (sshd without privilege separation logged it as sent); sshd
		 * accepts only its own ("Accepted key … found at …" and
		 * "Accepted certificate ID …" are other, verbose messages) */
		long f = accepted ? -1 : dec_find(rest, " for ");
		if (f <= 0)
			return 0;
		meth = sv_make(rest.p, (size_t)f);
		s = sv_skip(rest, (size_t)f + 5);
	}
	ev->kind = kind;
	ev->method = method_of(meth);
	ik = info_kind_of(meth);

	/* Fast paths, where no other reading can exist. A line ending in
	 * " ssh2" is read from the right unless INFO may end that way too
	 * (key text ends in a fingerprint or a count, hostbased's in a quote). */
	if (ik != INFO_FREE && (sv_ends(s, " ssh2") || sv_ends(s, " ssh1"))) {
		core = sv_cut(s, 5);
		return parse_user_from(core, ev, false, "invalid user ") ? 1 : 0;
	}
	/* Key text with no free text in it (no certificate) cannot hold
	 * " ssh2: ", so the last one is sshd's. */
	if (ik == INFO_KEY && (i = dec_rfind(s, " ssh2: ")) >= 0 &&
	    key_info_strict(sv_skip(s, (size_t)i + 7), &ktype, &kfp, &kafter) &&
	    parse_user_from(sv_make(s.p, (size_t)i), ev, false, "invalid user ")) {
		apply_key(ktype, kfp, kafter, ev);
		return 1;
	}
	switch (authlog_readings(s, ik, &r, &port_agrees)) {
	case 0:
		return 0;
	case 1:
		ev->source = r.src;
		ev->port = port_agrees ? r.port : 0;
		set_user(ev, r.user, "invalid user ");
		apply_info(r.info, ik, ev);
		return 1;
	default:
		set_ambiguous(ev);
		return 1;
	}
}

/* "Connection closed by", "Connection reset by", "Disconnected from",
 * "Connection from … timed out", "Timeout, client not responding from …":
 * rid is the remote id. */
static int dec_close(struct sv rid, struct sv what, struct event *ev)
{
	enum pre pre;
	if (!parse_remote_id(rid, ev, &pre))
		return 0;
	ev->kind = (ev->flags & EVF_PREAUTH) || pre == PRE_AUTHENTICATING || pre == PRE_INVALID
			   ? EV_PREAUTH_CLOSE
			   : EV_DISCONNECT;
	ev->detail = what;
	return 1;
}

/* Keeps the text of a found remote id and the kind it implies. */
static int use_rid(const struct rid *c, int n, enum event_kind preauth_kind, enum event_kind post_kind,
		   struct event *ev)
{
	bool preauth;
	if (n != 1) {
		ev->kind = preauth_kind;
		set_ambiguous(ev);
		return 1;
	}
	*ev = c->ev;
	preauth = (ev->flags & EVF_PREAUTH) || c->pre != PRE_USER;
	ev->kind = preauth ? preauth_kind : post_kind;
	ev->detail = c->rest;
	return 1;
}

/* packet.c ssh_packet_disconnect(): "Disconnecting PREAMBLE ADDR port P: REASON"
 * (7.5+); the reason may quote user and service names. */
static int dec_disconnecting(struct sv rest, struct event *ev)
{
	struct rid c;
	int n = find_remote_ids(rest, ev, &c);
	if (n == 0)
		return 0;
	return use_rid(&c, n, EV_PREAUTH_CLOSE, EV_DISCONNECT, ev);
}

/* Before 7.5: "Disconnecting: REASON", with no address. "Too many
 * authentication failures for U" (before 6.7) or "… for [invalid user ]U
 * from A port P ssh2" (6.7-7.4): the two cannot be told apart when U ends
 * in " from A port P ssh2", so a line with the address may be a user name
 * of an older sshd and blames no one (the same connection's Failed lines
 * carry the address). "Too many authentication failures" alone (no user
 * known yet); a client that changed user name or service midway; the rest
 * are packet and key-exchange errors (bad DH value, corrupt packets). */
static int dec_disconnecting_old(struct sv rest, struct event *ev)
{
	struct sv core = rest, user;
	struct event probe = *ev;
	if (sv_eq(rest, "Too many authentication failures")) {
		ev->kind = EV_MAX_AUTH;
		return 1;
	}
	if (!sv_consume(&core, "Too many authentication failures for ")) {
		if (rest.n == 0)
			return 0;
		ev->kind = sv_starts(rest, "Change of username or service not allowed") ? EV_PREAUTH_CLOSE
											  : EV_PROTOCOL_ERROR;
		ev->detail = rest;
		return 1;
	}
	user = core;
	ev->kind = EV_MAX_AUTH;
	if ((sv_consume_end(&core, " ssh2") || sv_consume_end(&core, " ssh1")) &&
	    parse_user_from(core, &probe, false, "invalid user ") && probe.source.family != ADDR_NONE) {
		set_ambiguous(ev);
		return 1;
	}
	set_user(ev, user, NULL);
	return 1;
}

/* "Received disconnect from A port P:R: MSG" (7.2+), "… from A: R: MSG",
 * "… from A: MSG" (older). The client said goodbye (SSH_MSG_DISCONNECT),
 * usually with nothing to say about an attack ("11: Bye Bye [preauth]":
 * a disconnect, EVF_PREAUTH when it left before authenticating). But some
 * goodbyes are the client's own report that it failed to log in: reason 14
 * (SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE: "No supported
 * authentication methods available") and JSch's "Auth fail" (sent as
 * reason 3): a pre-auth close with EVF_CLIENT_FAILED. That proves a failed
 * attempt which sshd may not have logged itself (public-key failures are
 * logged only at VERBOSE); where sshd did ("Failed password …" before it)
 * it is the same attempt told twice. MSG is the client's text. */
static int dec_received_disconnect(struct sv rest, struct event *ev)
{
	long sp = sv_chr(rest, ' ');
	struct sv tok, msg;
	unsigned long x;
	size_t k;

	if (sp > 0 && sv_starts(sv_skip(rest, (size_t)sp), " port ")) {
		tok = sv_make(rest.p, (size_t)sp);
		msg = sv_skip(rest, (size_t)sp + 6);
		k = take_uint(msg, 65535, &x);
		if (k == 0 || k >= msg.n || msg.p[k] != ':')
			return 0;
		ev->port = (uint16_t)x;
		msg = sv_skip(msg, k + 1);
	} else {
		long c = dec_find(rest, ": ");
		if (c <= 0)
			return 0;
		tok = sv_make(rest.p, (size_t)c);
		msg = sv_skip(rest, (size_t)c + 2);
	}
	if (!set_source(ev, tok, false))
		return 0;
	/* reason code, then the peer's own text */
	k = take_uint(msg, 4294967295UL, &x);
	if (k && sv_starts(sv_skip(msg, k), ": "))
		msg = sv_skip(msg, k + 2);
	else if (k && sv_starts(sv_skip(msg, k), ":"))
		msg = sv_skip(msg, k + 1);
	else
		k = 0;
	(void)sv_consume(&msg, " ");
	ev->kind = EV_DISCONNECT;
	ev->detail = msg;
	if ((k && x == 14) || sv_ends(msg, "JSchException: Auth fail")) {
		ev->kind = EV_PREAUTH_CLOSE;
		ev->flags |= EVF_CLIENT_FAILED;
	}
	return 1;
}

/* auth.c allowed_user(). The reason is sshd's own text; some name the
 * remote host (an address, or a name with UseDNS), others do not. */
static int dec_user_not_allowed(struct sv rest, struct event *ev)
{
	static const char *const with_host[] = {
		"listed in DenyUsers",
		"not listed in AllowUsers",
		"not in any group",
		"a group is listed in DenyGroups",
		"none of user's groups are listed in AllowGroups",
	};
	long i = dec_rfind(rest, " not allowed because ");
	struct sv left, reason, host;
	bool from = false, known = false;

	if (i < 0)
		return 0;
	left = sv_make(rest.p, (size_t)i);
	reason = sv_skip(rest, (size_t)i + 21);
	if (reason.n == 0)
		return 0;
	for (size_t k = 0; k < ELEMENTSOF(with_host); k++)
		if (sv_eq(reason, with_host[k]))
			from = known = true;
	if (!known && (sv_eq(reason, "account is locked") || sv_starts(reason, "shell ") ||
		       sv_ends(reason, " exists")))
		known = true; /* no host in these: "x from 1.2.3.4" is all user name */
	if (!known) {
		/* a reason we do not know: take a host only when it is an address */
		struct sv l = left;
		from = cut_from(&l, &host) && addr_parse(host, &ev->source);
	}
	if (from) {
		if (!cut_from(&left, &host) || !set_source(ev, host, true))
			return 0;
	}
	ev->kind = EV_USER_NOT_ALLOWED;
	ev->user = left;
	ev->detail = reason;
	return 1;
}

/* auth-pam.c: "PAM: MSG for [illegal user ]U from HOST" (HOST is a name
 * with UseDNS). MSG is pam_strerror() text. */
static int dec_pam_error(struct sv rest, struct event *ev)
{
	/* pam_strerror() texts that contain " for " themselves */
	static const char *const long_msgs[] = {
		"Have exhausted maximum number of retries for service.",
		"Cannot make/remove an entry for the specified session",
	};
	size_t skip = 0;
	long f;
	struct sv core;

	for (size_t k = 0; k < ELEMENTSOF(long_msgs); k++)
		if (sv_starts(rest, long_msgs[k]))
			skip = strlen(long_msgs[k]);
	f = dec_find(sv_skip(rest, skip), " for ");
	if (f < 0)
		return 0;
	core = sv_skip(rest, skip + (size_t)f + 5);
	if (!parse_user_from(core, ev, true, "illegal user "))
		return 0;
	ev->kind = EV_AUTH_FAILURE;
	ev->method = AM_PAM;
	ev->detail = sv_make(rest.p, skip + (size_t)f);
	return 1;
}

/* pam_unix through sshd's name: "PAM N more authentication failure[s];
 * logname= uid=0 euid=0 tty=ssh ruser= rhost=HOST[  user=U]". sshd sets no
 * ruser, so nothing the client chose comes before rhost. */
static int dec_pam_more(struct sv rest, struct event *ev)
{
	unsigned long n;
	size_t k = take_uint(rest, 1000000, &n);
	struct sv s, host;
	long r, e, u;

	if (k == 0 || !sv_starts(sv_skip(rest, k), " more authentication failure"))
		return 0;
	s = sv_skip(rest, k);
	r = dec_find(s, " rhost=");
	if (r < 0)
		return 0;
	s = sv_skip(s, (size_t)r + 7);
	e = sv_chr(s, ' ');
	host = e < 0 ? s : sv_make(s.p, (size_t)e);
	if (host.n && !set_source(ev, host, true))
		return 0;
	if (e >= 0) {
		s = sv_skip(s, (size_t)e);
		u = dec_find(s, " user=");
		if (u >= 0)
			ev->user = sv_skip(s, (size_t)u + 6);
	}
	ev->kind = EV_AUTH_FAILURE;
	ev->method = AM_PAM;
	ev->count = n ? (uint32_t)n : 1;
	ev->detail = SV_LIT("more authentication failures");
	return 1;
}

/* "Bad protocol version identification 'X' from A[ port P]" (≤ 7.9). */
static int dec_bad_version(struct sv rest, struct event *ev)
{
	struct sv host;
	uint16_t port = 0;
	(void)cut_port(&rest, &port);
	if (!cut_from(&rest, &host) || !set_source(ev, host, false))
		return 0;
	if (rest.n >= 2 && rest.p[0] == '\'' && rest.p[rest.n - 1] == '\'')
		rest = sv_make(rest.p + 1, rest.n - 2);
	ev->kind = EV_PROTOCOL_ERROR;
	ev->port = port;
	ev->detail = rest;
	return 1;
}

/* An address at the start of rest, then optionally " port P", then what
 * follows (returned). For shapes where the address follows a fixed prefix. */
static bool take_lead_addr(struct sv *rest, struct event *ev, const char *sep)
{
	long sp = sv_chr(*rest, ' ');
	long c = sep ? dec_find(*rest, sep) : -1;
	struct sv tok;
	unsigned long x;
	size_t k;

	if (sp < 0 && c < 0) {
		if (!set_source(ev, *rest, false))
			return false;
		*rest = SV_NULL;
		return true;
	}
	if (c >= 0 && (sp < 0 || c < sp)) {
		/* "A: …" (old, no port; an IPv6 address holds no ": ") */
		tok = sv_make(rest->p, (size_t)c);
		if (!set_source(ev, tok, false))
			return false;
		*rest = sv_skip(*rest, (size_t)c);
		return true;
	}
	tok = sv_make(rest->p, (size_t)sp);
	if (!set_source(ev, tok, false))
		return false;
	*rest = sv_skip(*rest, (size_t)sp);
	if (sv_starts(*rest, " port ")) {
		k = take_uint(sv_skip(*rest, 6), 65535, &x);
		if (k == 0)
			return false;
		ev->port = (uint16_t)x;
		*rest = sv_skip(*rest, 6 + k);
	}
	return true;
}

/* sshd-session.c: "Connection from A port P on B port Q[ rdomain "R"]"
 * (5.x: "Connection from A port P"). */
static int dec_connection_from(struct sv rest, struct event *ev)
{
	struct sv r = rest;
	if (sv_ends(rest, " timed out")) /* packet.c: "Connection from ID timed out" */
		return dec_close(sv_cut(rest, 10), SV_LIT("Connection timed out"), ev);
	if (!take_lead_addr(&r, ev, NULL) || ev->port == 0)
		return 0;
	if (r.n && !sv_consume(&r, " on "))
		return 0;
	ev->kind = EV_CONNECT;
	if (r.n)
		ev->detail = r;
	return 1;
}

/* "TAG: Connection from [PREAMBLE ]A port P: ERR" (packet.c sshpkt_vfatal,
 * 7.5+: "banner exchange", "ssh_dispatch_run_fatal", …). TAG and ERR are
 * sshd's; the preamble may hold a user name. */
static int dec_tagged_connection(struct sv msg, struct event *ev)
{
	long i = dec_find(msg, ": Connection from ");
	struct rid c;
	int n;
	if (i <= 0 || sv_starts(msg, "debug"))
		return 0;
	for (long k = 0; k < i; k++) {
		char ch = msg.p[k];
		if (!is_alpha(ch) && !is_digit(ch) && ch != '_' && ch != ' ' && ch != ':' && ch != '-')
			return 0;
	}
	n = find_remote_ids(sv_skip(msg, (size_t)i + 18), ev, &c);
	if (n == 0)
		return 0;
	return use_rid(&c, n, EV_PROTOCOL_ERROR, EV_DISCONNECT, ev);
}

/* packet.c: "Unable to negotiate with [PREAMBLE ]A port P: no matching …
 * found. Their offer: …" (7.3+), "… with A: …" (7.0–7.2). The offer is the
 * client's. */
static int dec_unable_negotiate(struct sv rest, struct event *ev)
{
	struct rid c;
	int n = find_remote_ids(rest, ev, &c);
	if (n == 0) {
		struct sv r = rest;
		if (!take_lead_addr(&r, ev, ": ") || !sv_consume(&r, ": "))
			return 0;
		ev->kind = EV_PROTOCOL_ERROR;
		ev->detail = r;
		return 1;
	}
	return use_rid(&c, n, EV_PROTOCOL_ERROR, EV_PROTOCOL_ERROR, ev);
}

/* sshd.c drop_connection(): "drop connection #N from [A]:P on [B]:Q REASON"
 * (REASON "past MaxStartups", or 9.8+ "Maxstartups", "penalty: …"). */
static int dec_drop(struct sv rest, struct event *ev)
{
	unsigned long x;
	size_t k = take_uint(rest, 4294967295UL, &x);
	long e;
	if (k == 0)
		return 0;
	rest = sv_skip(rest, k);
	if (!sv_consume(&rest, " from ["))
		return 0;
	e = sv_chr(rest, ']');
	if (e <= 0 || !set_source(ev, sv_make(rest.p, (size_t)e), false))
		return 0;
	rest = sv_skip(rest, (size_t)e + 1);
	if (!sv_consume(&rest, ":") || (k = take_uint(rest, 65535, &x)) == 0)
		return 0;
	ev->port = (uint16_t)x;
	rest = sv_skip(rest, k);
	if (!sv_consume(&rest, " on ["))
		return 0;
	e = sv_chr(rest, ' ');
	ev->kind = EV_MAXSTARTUPS;
	if (e > 0)
		ev->detail = sv_skip(rest, (size_t)e + 1);
	return 1;
}

/* tcp wrappers: "refused connect from HOST (A)" or "… from A". */
static int dec_refused(struct sv rest, struct event *ev)
{
	long o = dec_rfind(rest, " (");
	ev->kind = EV_CONN_REFUSED;
	if (o >= 0 && sv_ends(rest, ")")) {
		struct sv a = sv_make(rest.p + o + 2, rest.n - (size_t)o - 3);
		struct sv name = sv_make(rest.p, (size_t)o);
		if (!set_source(ev, a, false))
			return 0;
		if (!sv_eq_sv(name, a) && dec_hostname_ok(name))
			ev->source_name = name;
		return 1;
	}
	return set_source(ev, rest, true) ? 1 : 0;
}

/* session.c: "Starting session: TYPE[ on TTY] for U from A port P id N". */
static int dec_starting_session(struct sv rest, struct event *ev)
{
	struct sv host;
	unsigned long x;
	uint16_t port = 0;
	long i, on;

	i = dec_rfind(rest, " id ");
	if (i >= 0 && parse_uint(sv_skip(rest, (size_t)i + 4), 4294967295UL, &x))
		rest.n = (size_t)i;
	if (!cut_port(&rest, &port) || !cut_from(&rest, &host) || !set_source(ev, host, false))
		return 0;
	i = dec_rfind(rest, " for ");
	if (i < 0)
		return 0;
	ev->user = sv_skip(rest, (size_t)i + 5);
	rest.n = (size_t)i;
	on = dec_rfind(rest, " on ");
	if (on >= 0 && sv_chr(sv_skip(rest, (size_t)on + 4), ' ') < 0) {
		ev->tty = sv_skip(rest, (size_t)on + 4);
		rest.n = (size_t)on;
	}
	ev->kind = EV_SESSION_OPEN;
	ev->port = port;
	ev->detail = rest;
	return 1;
}

/* session.c: "Close session: user U from A port P id N". */
static int dec_close_session(struct sv rest, struct event *ev)
{
	long i;
	unsigned long x;
	if (!sv_consume(&rest, "user "))
		return 0;
	i = dec_rfind(rest, " id ");
	if (i >= 0 && parse_uint(sv_skip(rest, (size_t)i + 4), 4294967295UL, &x))
		rest.n = (size_t)i;
	if (!parse_user_from(rest, ev, false, NULL))
		return 0;
	ev->kind = EV_SESSION_CLOSE;
	return 1;
}

/* "Timeout before authentication for A[ port P]" (≤ 9.7) or
 * "… for connection from A[ to B], pid = N[ (early)]" (9.8+). */
static int dec_login_timeout(struct sv msg, struct sv rest, struct event *ev)
{
	if (sv_consume(&rest, "connection from ")) {
		long e = sv_chr(rest, ' ');
		long c = sv_chr(rest, ',');
		long end = e < 0 ? c : (c < 0 ? e : MIN(e, c));
		if (!set_source(ev, end < 0 ? rest : sv_make(rest.p, (size_t)end), false))
			return 0;
	} else {
		struct sv r = rest;
		if (!take_lead_addr(&r, ev, NULL) || r.n)
			return 0;
	}
	ev->kind = EV_PREAUTH_CLOSE;
	ev->detail = HEAD(msg, "Timeout before authentication");
	return 1;
}

/* "Protocol major versions differ: 2 vs. 1" (8.0+) or
 * "… differ for A[ port P]: X vs. Y" (older; X and Y are version strings). */
static int dec_major_versions(struct sv rest, struct event *ev)
{
	ev->kind = EV_PROTOCOL_ERROR;
	if (sv_consume(&rest, ": ")) {
		ev->detail = rest;
		return 1;
	}
	if (!sv_consume(&rest, " for ") || !take_lead_addr(&rest, ev, ": ") || !sv_consume(&rest, ": "))
		return 0;
	ev->detail = rest;
	return 1;
}

/* "Read error from remote host A[ port P]: ERR" (serverloop.c, after login). */
static int dec_read_error(struct sv rest, struct event *ev)
{
	if (!take_lead_addr(&rest, ev, ": ") || !sv_consume(&rest, ": "))
		return 0;
	ev->kind = EV_DISCONNECT;
	ev->detail = rest;
	return 1;
}

/* "probed|scanned from A[ port P] with VERSION. Don't panic." (sshd.c
 * ≤ 7.9, kex.c 8.x): a client version of a known scanner. */
static int dec_scanned(struct sv rest, struct event *ev)
{
	if (!take_lead_addr(&rest, ev, NULL) || !sv_consume(&rest, " with "))
		return 0;
	(void)sv_consume_end(&rest, ". Don't panic.");
	ev->kind = EV_PROTOCOL_ERROR;
	ev->detail = rest;
	return 1;
}

/* The obfuscated-handshake patch (portable OpenSSH with ObfuscatedPort,
 * widely deployed on VPS images): "Magic value check failed (N) on
 * obfuscated handshake from A port P". N is a 32-bit number the server
 * computed; everything else is fixed text, cut from the right. */
static int dec_magic(struct sv rest, struct event *ev)
{
	struct sv host;
	unsigned long x;
	uint16_t port = 0;
	size_t k = take_uint(rest, 4294967295UL, &x);

	if (k == 0)
		return 0;
	rest = sv_skip(rest, k);
	(void)cut_port(&rest, &port);
	if (!cut_from(&rest, &host) || !sv_eq(rest, ") on obfuscated handshake") ||
	    !set_source(ev, host, false))
		return 0;
	ev->kind = EV_PROTOCOL_ERROR;
	ev->port = port;
	ev->detail = SV_LIT("Magic value check failed on obfuscated handshake");
	return 1;
}

static int dispatch(struct sv m, struct event *ev)
{
	struct sv r = m;

	switch (m.p[0]) {
	case 'A':
		if (sv_consume(&r, "Accepted "))
			return dec_authlog(r, EV_AUTH_SUCCESS, true, ev);
		if (sv_consume(&r, "Access denied for user ") &&
		    sv_consume_end(&r, " by PAM account configuration")) {
			ev->kind = EV_USER_NOT_ALLOWED;
			ev->user = r;
			ev->detail = sv_make(r.p + r.n + 4, 25); /* "PAM account configuration" */
			return 1;
		}
		return 0;
	case 'B':
		if (sv_consume(&r, "Bad protocol version identification "))
			return dec_bad_version(r, ev);
		if (sv_starts(m, "Bad packet length ") || sv_starts(m, "Bad remote protocol version identification")) {
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = m;
			return 1;
		}
		return 0;
	case 'C':
		if (sv_consume(&r, "Connection closed by "))
			return dec_close(r, HEAD(m, "Connection closed"), ev);
		if (sv_consume(&r, "Connection reset by "))
			return dec_close(r, HEAD(m, "Connection reset"), ev);
		if (sv_consume(&r, "Connection from "))
			return dec_connection_from(r, ev);
		if (sv_consume(&r, "Close session: "))
			return dec_close_session(r, ev);
		if (sv_starts(m, "Corrupted MAC on input")) {
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = m;
			return 1;
		}
		return 0;
	case 'D':
		if (sv_consume(&r, "Disconnected from "))
			return dec_close(r, HEAD(m, "Disconnected"), ev);
		if (sv_consume(&r, "Disconnecting: "))
			return dec_disconnecting_old(r, ev);
		if (sv_consume(&r, "Disconnecting "))
			return dec_disconnecting(r, ev);
		if (sv_consume(&r, "Did not receive identification string from ")) {
			if (!take_lead_addr(&r, ev, NULL) || r.n)
				return 0;
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = HEAD(m, "Did not receive identification string");
			return 1;
		}
		return 0;
	case 'F':
		if (sv_consume(&r, "Failed "))
			return dec_authlog(r, EV_AUTH_FAILURE, false, ev);
		return 0;
	case 'I':
		if (sv_consume(&r, "Invalid user ") || sv_consume(&r, "Illegal user ")) {
			if (!parse_user_from(r, ev, false, NULL))
				return 0;
			ev->kind = EV_INVALID_USER;
			ev->flags |= EVF_INVALID_USER;
			return 1;
		}
		return 0;
	case 'M':
		if (sv_consume(&r, "Magic value check failed ("))
			return dec_magic(r, ev);
		return 0;
	case 'P':
		/* "Partial" (one of several required methods passed) and
		 * "Postponed" (waiting for a PAM conversation) are neither a login
		 * nor a failure, and the final Accepted/Failed line follows. */
		if (sv_consume(&r, "PAM: "))
			return dec_pam_error(r, ev);
		if (sv_consume(&r, "PAM "))
			return dec_pam_more(r, ev);
		if (sv_consume(&r, "Protocol major versions differ"))
			return dec_major_versions(r, ev);
		return 0;
	case 'R':
		/* packet.c: the connection broke (no address: the connection's) */
		if (sv_starts(m, "Read from socket failed: ")) {
			ev->kind = (ev->flags & EVF_PREAUTH) ? EV_PREAUTH_CLOSE : EV_DISCONNECT;
			ev->detail = m;
			return 1;
		}
		if (sv_consume(&r, "Received disconnect from "))
			return dec_received_disconnect(r, ev);
		if (sv_consume(&r, "ROOT LOGIN REFUSED FROM ")) {
			if (!take_lead_addr(&r, ev, NULL) || r.n)
				return 0;
			ev->kind = EV_ROOT_REFUSED;
			ev->user = SV_LIT("root");
			return 1;
		}
		if (sv_consume(&r, "Read error from remote host "))
			return dec_read_error(r, ev);
		return 0;
	case 'S':
		if (sv_consume(&r, "Starting session: "))
			return dec_starting_session(r, ev);
		return 0;
	case 'T':
		if (sv_consume(&r, "Timeout before authentication for "))
			return dec_login_timeout(m, r, ev);
		if (sv_consume(&r, "Timeout, client not responding from "))
			return dec_close(r, HEAD(m, "Timeout, client not responding"), ev);
		return 0;
	case 'U':
		if (sv_consume(&r, "User "))
			return dec_user_not_allowed(r, ev);
		if (sv_consume(&r, "Unable to negotiate with "))
			return dec_unable_negotiate(r, ev);
		if (sv_starts(m, "Unable to negotiate a key exchange method")) {
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = m;
			return 1;
		}
		return 0;
	case 'W':
		if (sv_starts(m, "Write failed: ")) {
			ev->kind = (ev->flags & EVF_PREAUTH) ? EV_PREAUTH_CLOSE : EV_DISCONNECT;
			ev->detail = m;
			return 1;
		}
		return 0;
	case 'a':
		/* monitor.c (9.9, RefuseConnection) */
		if (sv_consume(&r, "administratively prohibited connection for ")) {
			if (!parse_user_from(r, ev, false, "invalid user "))
				return 0;
			ev->kind = EV_USER_NOT_ALLOWED;
			ev->detail = HEAD(m, "administratively prohibited connection");
			return 1;
		}
		break;
	case 'b':
		if (sv_starts(m, "beginning MaxStartups throttling")) {
			ev->kind = EV_MAXSTARTUPS;
			ev->detail = m;
			return 1;
		}
		break;
	case 'd':
		if (sv_consume(&r, "drop connection #"))
			return dec_drop(r, ev);
		break;
	case 'n':
		/* kex.c before 7.3: "no matching cipher found: client X server Y",
		 * also mac, comp; "no hostkey alg" (no address: the connection's) */
		if ((sv_starts(m, "no matching ") && dec_find(m, " found") > 0) || sv_starts(m, "no hostkey alg")) {
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = m;
			return 1;
		}
		break;
	case 'k':
		if (sv_consume(&r, "kex_exchange_identification: ")) {
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = r;
			return 1;
		}
		break;
	case 'm':
		if (sv_consume(&r, "maximum authentication attempts exceeded for ")) {
			if (!sv_consume_end(&r, " ssh2"))
				(void)sv_consume_end(&r, " ssh1");
			if (!parse_user_from(r, ev, false, "invalid user "))
				return 0;
			ev->kind = EV_MAX_AUTH;
			return 1;
		}
		break;
	case 'p':
		if (sv_consume(&r, "probed from "))
			return dec_scanned(r, ev);
		break;
	case 'r':
		if (sv_consume(&r, "refused connect from "))
			return dec_refused(r, ev);
		break;
	case 's':
		if (sv_consume(&r, "scanned from "))
			return dec_scanned(r, ev);
		break;
	case 'u':
		/* auth2-*.c: a malformed authentication request ("userauth_pubkey:
		 * parse request failed: incomplete message") */
		if (dec_find(m, ": parse request failed") > 0 && sv_starts(m, "userauth_")) {
			ev->kind = EV_PROTOCOL_ERROR;
			ev->detail = m;
			return 1;
		}
		break;
	case 't':
		if (sv_consume(&r, "terminating inactive connection from "))
			return dec_close(r, HEAD(m, "terminating inactive connection"), ev);
		break;
	default:
		if (m.p[0] < 'a' || m.p[0] > 'z')
			return 0;
		break;
	}
	/* lower case: maybe "TAG: Connection from …: ERR" */
	return dec_tagged_connection(m, ev);
}

int dec_sshd(struct sv msg, struct event *ev)
{
	struct sv m = trim_end(msg);

	if (m.n == 0 || m.p == NULL)
		return 0;
	if (m.p[0] == 'p' && sv_starts(m, "pam_"))
		return 0; /* dec_pam's */
	/* log.c prefixes error and fatal levels */
	if (m.p[0] == 'e')
		(void)sv_consume(&m, "error: ");
	else if (m.p[0] == 'f')
		(void)sv_consume(&m, "fatal: ");
	if (sv_consume_end(&m, " [preauth]"))
		ev->flags |= EVF_PREAUTH;
	if (m.n == 0)
		return 0;
	return dispatch(m, ev);
}
