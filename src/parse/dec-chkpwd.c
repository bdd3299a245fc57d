/*
 * dec-chkpwd: unix_chkpwd, the setuid helper pam_unix runs to check a
 * password when the program that loaded it is not root (screen lockers,
 * desktop unlock dialogs, a user's own tools): linux-pam
 * modules/pam_unix/unix_chkpwd.c and passverify.c.
 *
 *   password check failed for user (USER)
 *   check pass; user unknown
 *
 * USER is the name the calling program passed: the local account it asks
 * for (a local user can pass any). The caller's own pam_unix line, under
 * its name and pid, tells the same attempt; this one is a module's report
 * (method pam), never a remote one: no address.
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

int dec_chkpwd(struct sv msg, struct event *ev)
{
	struct sv rest = dec_rtrim(msg);

	if (sv_consume(&rest, "password check failed for user (")) {
		if (!sv_consume_end(&rest, ")"))
			return 0;
		ev->kind = EV_AUTH_FAILURE;
		ev->method = AM_PAM;
		ev->user = rest;
		ev->detail = SV_LIT("password check failed (unix_chkpwd)");
		return 1;
	}
	if (sv_eq(rest, "check pass; user unknown")) {
		ev->kind = EV_INVALID_USER;
		ev->method = AM_PAM;
		ev->detail = SV_LIT("unix_chkpwd");
		return 1;
	}
	return 0;
}
