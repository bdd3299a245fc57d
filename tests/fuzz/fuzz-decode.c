/*
 * fuzz-decode: decode() over hostile messages, for every program it
 * dispatches on.
 *
 * Input: "PROGRAM\0MESSAGE". When the input holds a NUL, the bytes before
 * the first one name a program and the message is decoded under it; the
 * message (or, without a NUL, the whole input) is then decoded under every
 * program name below, so one corpus file exercises every decoder and the
 * pam fallback. The message ends where the input ends, so ASan sees any
 * read past it.
 *
 * Beyond "does not crash", every decoded event is checked against the
 * contract in core/event.h: views point inside the message (detail may
 * also be one of a decoder's constant strings), kinds and enums are in
 * range, count >= 1, and a source address is only ever set together with
 * an event kind that can carry one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/decoder.h"

static const char *const programs[] = {
	"sshd", "sshd-session", "sudo", "su", "systemd-logind", "useradd", "userdel", "usermod",
	"groupadd", "groupdel", "groupmod", "gpasswd", "passwd", "chpasswd", "chage", "chsh",
	"chfn", "adduser", "deluser", "su(pam_unix)", "sudo(pam_unix)", "sshd(pam_unix)",
	"login(pam_unix)", "CRON", "login", "unix_chkpwd", "",
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-decode: %s\n", what);
	abort();
}

/* v is empty or lies inside [base, base + n). */
static void inside(struct sv v, const uint8_t *base, size_t n, const char *what)
{
	const char *b = (const char *)base;
	if (v.n == 0)
		return;
	if (!v.p || v.p < b || v.p > b + n || v.n > (size_t)(b + n - v.p))
		fail(what);
}

static void check(const struct event *ev, const uint8_t *msg, size_t n)
{
	const char *b = (const char *)msg;

	if (ev->kind <= EV_NONE || ev->kind >= EV_KIND_MAX)
		fail("kind out of range");
	if ((unsigned)ev->method >= AM_MAX || (unsigned)ev->acct >= ACCT_MAX)
		fail("enum out of range");
	if ((ev->kind == EV_ACCOUNT_CHANGE) != (ev->acct != ACCT_NONE))
		fail("acct set without account_change or missing");
	if (ev->count < 1)
		fail("count < 1");
	if (ev->source.family != ADDR_NONE && ev->source.family != ADDR_V4 && ev->source.family != ADDR_V6)
		fail("bad address family");
	/* user: a view into the message, or a decoder's constant ("root" for
	 * "ROOT LOGIN REFUSED FROM A", which names no user) */
	if (ev->user.n && ev->user.p >= b && ev->user.p <= b + n)
		inside(ev->user, msg, n, "user overruns the message");
	else if (ev->user.n && (ev->kind != EV_ROOT_REFUSED || !sv_eq(ev->user, "root")))
		fail("user outside the message");
	inside(ev->target, msg, n, "target outside the message");
	inside(ev->source_name, msg, n, "source_name outside the message");
	inside(ev->tty, msg, n, "tty outside the message");
	inside(ev->command, msg, n, "command outside the message");
	inside(ev->key_type, msg, n, "key_type outside the message");
	inside(ev->key_fp, msg, n, "key_fp outside the message");
	/* detail: a view into the message or a decoder's constant */
	if (ev->detail.n && ev->detail.p >= b && ev->detail.p <= b + n)
		inside(ev->detail, msg, n, "detail overruns the message");
	else if (ev->detail.n && memchr(ev->detail.p, '\0', ev->detail.n))
		fail("detail constant holds a NUL");
}

static void run(struct sv program, const uint8_t *msg, size_t n)
{
	struct syslog_header h = {
		.time_us = 0,
		.host = SV_LIT("host"),
		.program = program,
		.pid = 1,
		.msg = sv_make((const char *)msg, n),
		.repeat = 1,
	};
	struct event ev;

	if (decode(&h, &ev) > 0)
		check(&ev, msg, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *msg = data, *nul = size ? memchr(data, '\0', size) : NULL;
	size_t n = size;

	if (nul) {
		size_t plen = (size_t)(nul - data);
		msg = nul + 1;
		n = size - plen - 1;
		run(sv_make((const char *)data, plen), msg, n);
	}
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		run(sv_cstr(programs[i]), msg, n);
	return 0;
}
