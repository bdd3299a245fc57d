/*
 * dec-su: su's own log lines. user = the caller (who ran su), target = the
 * account asked for.
 *
 *   (to root) alice on pts/0              util-linux login-utils/su-common.c (Debian ≥ 9)
 *   FAILED SU (to root) alice on pts/0    same, failure
 *   Successful su for root by alice       shadow lib/sulog.c (Debian ≤ 8)
 *   FAILED su for root by alice           same, failure
 *   + pts/0 alice:root                    shadow src/su.c (SYSLOG_SU_ENAB)
 *   - pts/0 alice:root                    same, failure
 *   BAD SU alice to root on /dev/ttyp0    BSD su (OSSEC's su tests)
 *   alice to root on /dev/ttyp1           BSD su, success
 *   failed: ttyq4 changing from alice to root   IRIX su (OSSEC's su tests)
 *
 * pam_unix(su:…) and pam_unix(su-l:…) lines go to dec_pam; the bare bodies
 * of the old "su(pam_unix)[pid]:" program form are handed to it here.
 *
 * Attacker text: the target of a failed su is whatever the caller typed.
 * The caller is a local account (no spaces, no ':' or ')'), so each shape
 * is split at the delimiter that comes after the target, searching from
 * the right where the target comes first.
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

/* shadow writes "???" for a name it could not determine */
static struct sv known(struct sv name)
{
	return sv_eq(name, "???") ? SV_NULL : name;
}

static int fill(struct event *ev, enum event_kind kind, struct sv user, struct sv target, struct sv tty)
{
	if (!target.n)
		return 0;
	ev->kind = kind;
	ev->user = user;
	ev->target = target;
	ev->tty = tty;
	return 1;
}

/* "T) U on TTY" (util-linux, after "(to ") */
static int util_linux(struct sv rest, enum event_kind kind, struct event *ev)
{
	struct sv head, tty, target, user;
	if (!dec_rsplit(rest, " on ", &head, &tty) || !dec_rsplit(head, ") ", &target, &user))
		return 0;
	return fill(ev, kind, user, target, tty);
}

/* "T by U" (shadow sulog) */
static int shadow_sulog(struct sv rest, enum event_kind kind, struct event *ev)
{
	struct sv target, user;
	if (!dec_rsplit(rest, " by ", &target, &user) || sv_chr(user, ' ') >= 0)
		return 0;
	return fill(ev, kind, known(user), target, SV_NULL);
}

/* "TTY U:T" (shadow SYSLOG_SU_ENAB) */
static int shadow_plus(struct sv rest, enum event_kind kind, struct event *ev)
{
	struct sv tty, names, user, target;
	if (!dec_split(rest, " ", &tty, &names) || !dec_split(names, ":", &user, &target) || !tty.n ||
	    sv_chr(user, ' ') >= 0)
		return 0;
	return fill(ev, kind, known(user), known(target), sv_eq(tty, "???") ? SV_NULL : tty);
}

/* "U to T on TTY" (BSD) */
static int bsd(struct sv rest, enum event_kind kind, struct event *ev)
{
	struct sv user, tail, target, tty;
	if (!dec_split(rest, " to ", &user, &tail) || !user.n || sv_chr(user, ' ') >= 0 ||
	    !dec_rsplit(tail, " on ", &target, &tty) || !tty.n || sv_chr(tty, ' ') >= 0)
		return 0;
	return fill(ev, kind, user, target, tty);
}

int dec_su(struct sv msg, struct event *ev)
{
	struct sv rest, tty, names, user, target;

	msg = dec_rtrim(dec_ltrim(msg));
	if (sv_starts(msg, "pam_"))
		return 0; /* decode() hands it to dec_pam */
	if (dec_is_pam_body(msg))
		return dec_pam_service(SV_LIT("su"), msg, ev);
	rest = msg;
	if (sv_consume(&rest, "(to "))
		return util_linux(rest, EV_SU_SUCCESS, ev);
	if (sv_consume(&rest, "FAILED SU (to "))
		return util_linux(rest, EV_SU_FAILURE, ev);
	if (sv_consume(&rest, "Successful su for "))
		return shadow_sulog(rest, EV_SU_SUCCESS, ev);
	if (sv_consume(&rest, "FAILED su for "))
		return shadow_sulog(rest, EV_SU_FAILURE, ev);
	if (sv_consume(&rest, "+ "))
		return shadow_plus(rest, EV_SU_SUCCESS, ev);
	if (sv_consume(&rest, "- "))
		return shadow_plus(rest, EV_SU_FAILURE, ev);
	if (sv_consume(&rest, "BAD SU "))
		return bsd(rest, EV_SU_FAILURE, ev);
	if (sv_consume(&rest, "failed: ")) {
		if (!dec_split(rest, " changing from ", &tty, &names) || !tty.n || sv_chr(tty, ' ') >= 0 ||
		    !dec_split(names, " to ", &user, &target))
			return 0;
		return fill(ev, EV_SU_FAILURE, user, target, tty);
	}
	return bsd(msg, EV_SU_SUCCESS, ev);
}
