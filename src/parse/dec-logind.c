/*
 * dec-logind: systemd-logind's session lines (systemd src/login/logind-session.c).
 *
 *   New session 42 of user alice.                                   → logind_new_session, detail "42"
 *   New session '42' of user 'alice' with class 'user' and type 'tty'.   (systemd ≥ 256)
 *   Removed session 42.                                             → logind_removed_session, detail "42"
 *
 * "Session 42 logged out. Waiting for processes to exit." is left out on
 * purpose: logind writes it only when KillUserProcesses=no leaves the
 * session's processes running, and "Removed session 42." follows when the
 * last of them exits. The removal is the end of what the session could
 * do, so it alone closes the session; taking both would close it twice.
 *
 * Session ids are short [A-Za-z0-9] strings ("42", "c1"); anything else is
 * not a logind line. User names come from logind's user records (local
 * accounts).
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

/* logind ids are "%u", "c%u" or the audit session id: keep a wide margin */
#define SESSION_ID_MAX 32

/* Strips one pair of single quotes, when both are there. */
static struct sv unquote(struct sv v)
{
	if (v.n >= 2 && v.p[0] == '\'' && v.p[v.n - 1] == '\'')
		return sv_make(v.p + 1, v.n - 2);
	return v;
}

static int new_session(struct sv rest, struct event *ev)
{
	struct sv id, user, tail;

	if (!dec_split(rest, " of user ", &id, &user))
		return 0;
	if (sv_starts(id, "'")) {
		/* 'ID' of user 'U' with class 'C' and type 'T'. */
		if (!dec_rsplit(user, " with class ", &user, &tail))
			return 0;
	} else if (!sv_consume_end(&user, ".")) {
		return 0;
	}
	id = unquote(id);
	user = unquote(user);
	if (!dec_is_alnum(id, SESSION_ID_MAX) || !user.n)
		return 0;
	ev->kind = EV_LOGIND_NEW;
	ev->user = user;
	ev->detail = id;
	return 1;
}

int dec_logind(struct sv msg, struct event *ev)
{
	msg = dec_rtrim(msg);
	if (sv_consume(&msg, "New session "))
		return new_session(msg, ev);
	if (sv_consume(&msg, "Removed session ")) {
		if (!sv_consume_end(&msg, "."))
			return 0;
		msg = unquote(msg);
		if (!dec_is_alnum(msg, SESSION_ID_MAX))
			return 0;
		ev->kind = EV_LOGIND_REMOVED;
		ev->detail = msg;
		return 1;
	}
	return 0;
}
