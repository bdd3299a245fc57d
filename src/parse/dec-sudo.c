/*
 * dec-sudo: sudo's own log lines (sudo lib/eventlog/eventlog.c new_logline,
 * plugins/sudoers/logging.c). sudo writes "%8s : %s" — the caller padded
 * to eight columns — then an optional reason and the fields, in this fixed
 * order, each "KEY=value ; ":
 *
 *   [REASON ; ] [HOST=h ; ] [TTY=t ; ] [CHROOT=c ; ] [PWD=d ; ] [USER=u ; ]
 *   [GROUP=g ; ] [TSID=s ; ] [ENV=a=b c=d ; ] COMMAND=cmd args…
 *
 *   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash   → sudo_command
 *   alice : 3 incorrect password attempts ; TTY=… ; COMMAND=…             → sudo_failure, count 3
 *   alice : user NOT in sudoers ; TTY=… ; COMMAND=…                       → sudo_refused
 *   alice : command not allowed ; …  /  a password is required ; …        → sudo_refused
 *
 * pam_unix(sudo:…) lines go to dec_pam (decode() falls back to it);
 * "(command continued)" lines, sudo's split of an overlong line, are
 * not events of their own.
 *
 * Attacker text: the command and its arguments, PWD (a directory the
 * caller created), ENV and CHROOT. We parse the fixed fields left to
 * right and take COMMAND= as the rest of the line. Since sudo 1.9.13
 * arguments holding spaces are quoted, but a directory name or an older
 * sudo can still put " ; USER=" or " ; COMMAND=" into the line; when the
 * command we took holds such a field again we say so in detail
 * ("ambiguous fields") instead of guessing which copy is sudo's.
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

static const struct sv ambiguous_detail = SV_LIT("ambiguous fields (a field name repeated in the command)");

/* Reads "KEY=" at the start of *v: returns the key (without '='), or an
 * empty view when *v does not start with an upper-case key. */
static struct sv field_key(struct sv v)
{
	size_t i = 0;
	while (i < v.n && i < 16 && v.p[i] >= 'A' && v.p[i] <= 'Z')
		i++;
	if (i == 0 || i >= v.n || v.p[i] != '=')
		return SV_NULL;
	return sv_make(v.p, i);
}

/* The reason sudo put before the fields; returns the kind it means. */
static enum event_kind reason_kind(struct sv reason, uint32_t *count)
{
	struct sv num, rest;

	if (dec_split(reason, " incorrect password attempt", &num, &rest) && (sv_eq(rest, "") || sv_eq(rest, "s"))) {
		if (!dec_count_parse(num, count))
			*count = 1; /* sudo's own digits; an odd value still means a failure */
		return EV_SUDO_FAILURE;
	}
	/* "user NOT in sudoers", "user NOT authorized on host", "command not
	 * allowed", "a password is required", "setid command rejected in
	 * intercept mode", "no tty present and no askpass program specified",
	 * PAM account errors …: in every case the command did not run. */
	return EV_SUDO_REFUSED;
}

int dec_sudo(struct sv msg, struct event *ev)
{
	struct sv user, rest, reason = SV_NULL;
	struct sv tty = SV_NULL, target = SV_NULL, command = SV_NULL;
	bool have_command = false, ambiguous = false;
	uint32_t count = 1;
	enum event_kind kind;

	msg = dec_rtrim(dec_ltrim(msg));
	if (sv_starts(msg, "pam_"))
		return 0; /* decode() hands it to dec_pam */
	/* the old "sudo(pam_unix)[pid]:" program form */
	if (dec_is_pam_body(msg))
		return dec_pam_service(SV_LIT("sudo"), msg, ev);
	if (!dec_split(msg, " : ", &user, &rest))
		return 0;
	/* a local account name: never empty, never spaced */
	if (!user.n || user.n > 256 || sv_chr(user, ' ') >= 0)
		return 0;
	if (sv_starts(rest, "(command continued) "))
		return 0;

	if (!field_key(rest).n) {
		/* "REASON ; " or "REASON : ERRSTR ; " */
		if (!dec_split(rest, " ; ", &reason, &rest))
			return 0;
		if (!reason.n)
			return 0;
	}
	/* the fields, left to right, up to COMMAND= which takes the rest */
	while (rest.n) {
		struct sv key = field_key(rest), value;
		if (!key.n)
			break;
		rest = sv_skip(rest, key.n + 1);
		if (sv_eq(key, "COMMAND")) {
			command = rest;
			have_command = true;
			ambiguous = dec_find(rest, " ; USER=") >= 0 || dec_find(rest, " ; COMMAND=") >= 0 ||
				    dec_find(rest, " ; TTY=") >= 0;
			break;
		}
		if (!dec_split(rest, " ; ", &value, &rest)) {
			value = rest;
			rest = SV_NULL;
		}
		if (sv_eq(key, "TTY"))
			tty = value;
		else if (sv_eq(key, "USER"))
			target = value;
	}
	if (!have_command && !reason.n)
		return 0; /* neither a command nor a refusal: some other notice */

	kind = reason.n ? reason_kind(reason, &count) : EV_SUDO_COMMAND;
	ev->kind = kind;
	ev->user = user;
	ev->target = target;
	ev->tty = tty;
	ev->command = command;
	ev->count = count;
	if (kind == EV_SUDO_REFUSED)
		ev->detail = reason;
	if (ambiguous)
		ev->detail = ambiguous_detail;
	return 1;
}
