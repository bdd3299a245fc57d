/*
 * dec-login: login(1) on a console, a serial line or behind telnetd and
 * rlogind. Two programs write it:
 *
 *   shadow-utils (Debian up to 12, RHEL):
 *     FAILED LOGIN (N) on 'TTY'[ from 'HOST'] FOR 'USER', PAM_MESSAGE
 *     TOO MANY LOGIN TRIES (N) on 'TTY'[ from 'HOST'] FOR 'USER'
 *   util-linux (Debian 13, Fedora, Arch):
 *     FAILED LOGIN N FROM HOST FOR USER, PAM_MESSAGE
 *     TOO MANY LOGIN TRIES (N) FROM HOST FOR USER, PAM_MESSAGE
 *     FAILED LOGIN SESSION FROM HOST FOR USER, PAM_MESSAGE
 *
 * (shadow src/login.c, util-linux login-utils/login.c). N counts the
 * failures of this login process: each line is one attempt. HOST is the
 * remote host telnetd or rlogind passed with -h (an address or a DNS
 * name), or, for util-linux without -h, the terminal's name ("tty1").
 * USER is what was typed at the prompt — attacker text, any bytes —
 * "UNKNOWN" (shadow) or "(unknown)" (util-linux) when login.defs says not
 * to log unknown names. Everything before USER is the program's, so it is
 * read from the left up to " FOR "; PAM_MESSAGE is pam_strerror()'s fixed
 * text (none holds "', " or ", "), so USER ends at the last separator.
 *
 * pam_unix(login:auth) lines repeat these attempts; decoders.c hands them
 * to dec_pam.
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

/* A terminal's name as util-linux logs it where a host would be. */
static bool is_tty(struct sv h)
{
	return sv_chr(h, '/') >= 0 || sv_starts(h, "tty") || sv_starts(h, "hvc") || sv_eq(h, "console");
}

/* The remote host, or (util-linux) the terminal. */
static void set_host(struct sv h, struct event *ev)
{
	if (addr_parse(h, &ev->source))
		return;
	if (is_tty(h))
		ev->tty = h;
	else if (dec_hostname_ok(h))
		ev->source_name = h;
}

static void set_user(struct sv u, struct event *ev)
{
	/* names login.defs told login not to log (LOG_UNKFAIL_ENAB no) */
	if (!sv_eq(u, "UNKNOWN") && !sv_eq(u, "(unknown)"))
		ev->user = u;
}

/* shadow: "on 'TTY'[ from 'HOST'] FOR 'USER'[, MSG]" (rest starts at "on").
 * with_msg: the line ends ", MSG" (FAILED LOGIN), else it ends at USER's
 * closing quote (TOO MANY LOGIN TRIES). */
static int shadow_tail(struct sv rest, bool with_msg, struct event *ev)
{
	struct sv tty, host, user;
	long q;

	if (!sv_consume(&rest, "on '") || (q = sv_chr(rest, '\'')) < 0)
		return 0;
	tty = sv_make(rest.p, (size_t)q);
	rest = sv_skip(rest, (size_t)q + 1);
	if (sv_consume(&rest, " from '")) {
		if ((q = sv_chr(rest, '\'')) < 0)
			return 0;
		host = sv_make(rest.p, (size_t)q);
		rest = sv_skip(rest, (size_t)q + 1);
		set_host(host, ev);
	}
	if (!sv_consume(&rest, " FOR '"))
		return 0;
	if (with_msg) {
		if (!dec_rsplit(rest, "', ", &user, &ev->detail))
			return 0;
	} else {
		if (!sv_consume_end(&rest, "'"))
			return 0;
		user = rest;
	}
	ev->tty = tty;
	set_user(user, ev);
	return 1;
}

/* util-linux: "FROM HOST FOR USER, MSG" (rest starts at "FROM"). */
static int util_linux_tail(struct sv rest, struct event *ev)
{
	struct sv host, user;
	long sp;

	if (!sv_consume(&rest, "FROM ") || (sp = sv_chr(rest, ' ')) <= 0)
		return 0;
	host = sv_make(rest.p, (size_t)sp);
	rest = sv_skip(rest, (size_t)sp);
	if (!sv_consume(&rest, " FOR ") || !dec_rsplit(rest, ", ", &user, &ev->detail))
		return 0;
	set_host(host, ev);
	set_user(user, ev);
	return 1;
}

/* "(N) " or "N " at the start of *rest: a failure count of this login. */
static bool take_count(struct sv *rest, bool parens)
{
	size_t i = 0;
	if (parens && !sv_consume(rest, "("))
		return false;
	while (i < rest->n && i < 10 && rest->p[i] >= '0' && rest->p[i] <= '9')
		i++;
	if (i == 0)
		return false;
	*rest = sv_skip(*rest, i);
	if (parens && !sv_consume(rest, ")"))
		return false;
	return sv_consume(rest, " ");
}

int dec_login(struct sv msg, struct event *ev)
{
	struct sv rest = dec_rtrim(msg);
	int r;

	if (sv_consume(&rest, "FAILED LOGIN SESSION ")) {
		r = util_linux_tail(rest, ev);
	} else if (sv_consume(&rest, "FAILED LOGIN ")) {
		if (sv_starts(rest, "("))
			r = take_count(&rest, true) && shadow_tail(rest, true, ev);
		else
			r = take_count(&rest, false) && util_linux_tail(rest, ev);
	} else if (sv_consume(&rest, "TOO MANY LOGIN TRIES ")) {
		if (!take_count(&rest, true))
			return 0;
		r = sv_starts(rest, "on '") ? shadow_tail(rest, false, ev) : util_linux_tail(rest, ev);
		if (r > 0) {
			ev->kind = EV_MAX_AUTH;
			ev->method = AM_PASSWORD;
			if (!ev->detail.n)
				ev->detail = SV_LIT("too many login tries");
		}
		return r;
	} else {
		return 0;
	}
	if (r <= 0)
		return 0;
	ev->kind = EV_AUTH_FAILURE;
	ev->method = AM_PASSWORD;
	return 1;
}
