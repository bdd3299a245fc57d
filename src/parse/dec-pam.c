/*
 * dec-pam: PAM module messages, whatever program loaded the module.
 *
 * Shapes (linux-pam modules/pam_unix/support.c, pam_unix_sess.c,
 * passverify.c; pam_faillock.c; pam_tally2.c before its removal; sssd
 * src/sss_client/pam_sss.c):
 *
 *   pam_unix(SVC:auth): authentication failure; logname=L uid=N euid=N tty=T ruser=R rhost=H  user=U
 *   pam_unix(SVC:auth): N more authentication failures; logname=… rhost=H  user=U
 *   pam_unix(SVC:auth): check pass; user unknown
 *   pam_unix(SVC:session): session opened for user U(uid=N) by L(uid=M)
 *   pam_unix(SVC:session): session opened for user U by L(uid=M)          (before pam 1.5)
 *   pam_unix(SVC:session): session closed for user U
 *   pam_unix(SVC:chpasswd): password changed for U
 *   pam_faillock(SVC:auth): Consecutive login failures for user U account temporarily locked
 *   pam_tally2(SVC:auth): user U (UID) tally N, deny M
 *   pam_sss(SVC:auth): authentication failure; logname=… rhost=H user=U  (one space before user=)
 *   pam_sss(SVC:auth): authentication success; logname=… rhost=H user=U
 * and the same bodies without the "pam_unix(SVC:TYPE): " prefix under the
 * old "sshd(pam_unix)[pid]:" program form (RHEL 4 era, loghub Linux).
 *
 * The service decides the kind: su/su-l → su_success/su_failure, sudo →
 * sudo_failure blamed on ruser, the person who ran sudo (the user= whose
 * password was asked, root with rootpw/targetpw, is the target when it is
 * another account), and sudo's own session lines keep caller/target as the
 * sudo command line does; everything else → auth_failure, session_open …
 * with method "pam" and detail = the service.
 *
 * Attacker text: ruser (some services put the client's login name there),
 * user (the name the client asked for) and rhost (a DNS name under the
 * client's control when the service resolved it). Field order is fixed by
 * the format, so the one " rhost=" splits the line: ruser before it, user
 * after it. A second " rhost=" means someone wrote one into a name: the
 * line still counts, but no field is taken from it (detail says so).
 * rhost becomes the source only when addr_parse() accepts all of it;
 * otherwise it is kept as source_name. Nothing is ever taken from inside
 * a user name.
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

/* "fields" of an authentication failure/success line, all views. */
struct pam_fields {
	struct sv logname, tty, ruser, rhost, user;
	bool ambiguous;
};

static const struct sv ambiguous_detail = SV_LIT("ambiguous fields (rhost= written twice)");

/* Parses "logname=L uid=N euid=N tty=T ruser=R rhost=H  user=U". */
static void parse_fields(struct sv v, struct pam_fields *f)
{
	struct sv left, right;

	*f = (struct pam_fields){ 0 };
	if (sv_consume(&v, "logname=")) {
		struct sv rest;
		if (dec_split(v, " uid=", &f->logname, &rest))
			v = rest;
		else
			f->logname = SV_NULL;
	}
	if (dec_count(v, " rhost=") > 1) {
		f->ambiguous = true;
		return;
	}
	if (!dec_split(v, " rhost=", &left, &right)) {
		/* truncated line: take no address, and no user (we cannot tell
		 * where a user= would start) */
		left = v;
		right = SV_NULL;
	}
	/* left: "uid=N euid=N tty=T ruser=R"; tty is the service's own text */
	{
		struct sv t, r;
		if (dec_split(left, "tty=", NULL, &t)) {
			if (dec_split(t, " ruser=", &f->tty, &r))
				f->ruser = r;
			else
				f->tty = t;
		} else if (dec_split(left, "ruser=", NULL, &r)) {
			f->ruser = r;
		}
	}
	if (right.p) {
		struct sv after;
		f->rhost = dec_word(right);
		after = dec_ltrim(sv_skip(right, f->rhost.n));
		if (sv_consume(&after, "user="))
			f->user = dec_rtrim(after);
	}
}

static bool is_su(struct sv service)
{
	return sv_eq(service, "su") || sv_eq(service, "su-l");
}

static bool is_sudo(struct sv service)
{
	return sv_eq(service, "sudo") || sv_eq(service, "sudo-i");
}

static struct sv first_nonempty(struct sv a, struct sv b)
{
	return a.n ? a : b;
}

/* An authentication failure (count N) or, for pam_sss, success. */
static int auth_line(struct sv service, struct sv fields, bool success, uint32_t count, struct event *ev)
{
	struct pam_fields f;

	parse_fields(fields, &f);
	ev->method = AM_PAM;
	ev->count = count;
	ev->detail = f.ambiguous ? ambiguous_detail : service;
	if (f.ambiguous)
		ev->flags |= EVF_AMBIGUOUS_SOURCE;
	ev->tty = f.tty;
	if (is_su(service)) {
		if (success)
			return 0; /* su logs its own success line and pam_unix a session */
		ev->kind = EV_SU_FAILURE;
		ev->user = first_nonempty(f.ruser, f.logname);
		ev->target = f.user;
		return 1;
	}
	if (is_sudo(service)) {
		if (success)
			return 0; /* the sudo command line tells the story */
		/* sudo sets ruser to the person who ran it; user is the account
		 * whose password was asked: their own, or the target's (root)
		 * with rootpw/targetpw. The one who ran sudo is who failed. */
		ev->kind = EV_SUDO_FAILURE;
		ev->user = first_nonempty(f.ruser, first_nonempty(f.logname, f.user));
		if (f.user.n && !sv_eq_sv(f.user, ev->user))
			ev->target = f.user;
		return 1;
	}
	ev->kind = success ? EV_AUTH_SUCCESS : EV_AUTH_FAILURE;
	ev->user = first_nonempty(f.user, f.ruser);
	if (f.rhost.n && !addr_parse(f.rhost, &ev->source))
		ev->source_name = f.rhost;
	return 1;
}

/* "U(uid=N)" → "U"; anything else unchanged. */
static struct sv strip_uid(struct sv v)
{
	struct sv head, tail;
	if (sv_ends(v, ")") && dec_rsplit(v, "(uid=", &head, &tail))
		return head;
	return v;
}

/* "U(uid=N) by L(uid=M)", "U by L(uid=M)", "U by (uid=M)", "U". */
static int session_opened(struct sv service, struct sv rest, struct event *ev)
{
	struct sv user = rest, by = SV_NULL;

	/* L is a login name (getlogin()) and U an account that just
	 * authenticated: both local names, so the last " by " splits them */
	(void)dec_rsplit(rest, " by ", &user, &by);
	user = strip_uid(dec_rtrim(user));
	by = strip_uid(dec_rtrim(by));
	if (!user.n)
		return 0;
	ev->method = AM_PAM;
	ev->detail = service;
	if (is_su(service)) {
		ev->kind = EV_SU_SUCCESS;
		ev->user = by;
		ev->target = user;
	} else if (is_sudo(service)) {
		ev->kind = EV_SESSION_OPEN;
		ev->user = by;
		ev->target = user;
	} else {
		ev->kind = EV_SESSION_OPEN;
		ev->user = user;
	}
	return 1;
}

static int session_closed(struct sv service, struct sv user, struct event *ev)
{
	user = dec_rtrim(user);
	if (!user.n)
		return 0;
	ev->kind = EV_SESSION_CLOSE;
	ev->method = AM_PAM;
	ev->detail = service;
	/* su/sudo: the session belongs to the target; the caller is not logged */
	if (is_su(service) || is_sudo(service))
		ev->target = user;
	else
		ev->user = user;
	return 1;
}

int dec_pam_service(struct sv service, struct sv body, struct event *ev)
{
	struct sv rest, head;
	uint32_t n;

	body = dec_rtrim(dec_ltrim(body));
	if (sv_consume(&body, "authentication failure; "))
		return auth_line(service, body, false, 1, ev);
	if (sv_consume(&body, "authentication success; "))
		return auth_line(service, body, true, 1, ev);
	if (sv_eq(body, "check pass; user unknown")) {
		ev->kind = EV_INVALID_USER;
		ev->method = AM_PAM;
		ev->detail = service;
		return 1;
	}
	if (sv_consume(&body, "session opened for user "))
		return session_opened(service, body, ev);
	if (sv_consume(&body, "session closed for user "))
		return session_closed(service, body, ev);
	if (sv_consume(&body, "password changed for ")) {
		/* "… for U" or, for NIS, "… for U on MASTER" */
		struct sv user = dec_word(body);
		if (!user.n)
			return 0;
		ev->kind = EV_ACCOUNT_CHANGE;
		ev->acct = ACCT_PASSWORD_CHANGE;
		ev->user = user;
		ev->detail = service;
		return 1;
	}
	if (sv_consume(&body, "Consecutive login failures for user ")) {
		if (!dec_split(body, " account temporarily locked", &head, NULL) || !head.n)
			return 0;
		ev->kind = EV_MAX_AUTH;
		ev->method = AM_PAM;
		ev->user = head;
		ev->detail = SV_LIT("account temporarily locked");
		return 1;
	}
	/* "N more authentication failure(s); …" */
	if (dec_split(body, " more authentication failure", &head, &rest) && dec_count_parse(head, &n)) {
		if (!sv_consume(&rest, "s; ") && !sv_consume(&rest, "; "))
			return 0;
		return auth_line(service, rest, false, n, ev);
	}
	/* pam_tally2: "user U (UID) tally N, deny M" — logged when it denies */
	if (sv_consume(&body, "user ")) {
		long i = dec_rfind(body, ") tally ");
		if (i < 0 || !dec_rsplit(sv_make(body.p, (size_t)i), " (", &head, NULL) || !head.n)
			return 0;
		ev->kind = EV_MAX_AUTH;
		ev->method = AM_PAM;
		ev->user = head;
		ev->detail = sv_skip(body, (size_t)i + 2); /* "tally N, deny M" */
		return 1;
	}
	return 0;
}

int dec_pam(struct sv msg, struct event *ev)
{
	struct sv module, inside, body, service;

	msg = dec_ltrim(msg);
	if (!sv_starts(msg, "pam_"))
		/* the old "sshd(pam_unix)[pid]:" form: the program names the
		 * service, the message is the bare body */
		return dec_pam_service(SV_NULL, msg, ev);
	/* "pam_MODULE(SERVICE:TYPE): BODY"; the service name is the
	 * program's configuration, not client text */
	if (!dec_split(msg, "(", &module, &inside) || !dec_split(inside, "): ", &inside, &body))
		return 0;
	if (module.n > 64 || sv_chr(module, ' ') >= 0)
		return 0;
	if (!dec_split(inside, ":", &service, NULL))
		service = inside;
	return dec_pam_service(service, body, ev);
}
