/*
 * dec-shadow: account changes logged by shadow-utils (useradd, userdel,
 * usermod, groupadd, groupdel, groupmod, gpasswd, passwd, chage, chsh,
 * chfn) and by Debian's adduser/deluser, which run them. Formats from
 * shadow-maint/shadow src/useradd.c, usermod.c … (SYSLOG calls); user = the account acted
 * on, target = the group.
 *
 *   new user: name=U, UID=…, GID=…, home=…, shell=…[, from=TTY]   user_add
 *   new group: name=G, GID=N                                      group_add
 *   add 'U' to group 'G'                                          group_member_add
 *   delete 'U' from group 'G'                                     group_member_del
 *   delete user 'U'                                               user_del
 *   removed group 'G' owned by 'U'  /  group 'G' removed          group_del
 *   change user 'U' password                                      password_change
 *   change user 'U' shell from 'a' to 'b', lock user 'U' password … user_mod
 *   change user name 'A' to 'B'                                   user_mod (user A)
 *   user U added by R to group G / user U removed by R from group G   (gpasswd)
 *   members of group G set by R to M,…                            group_member_add (detail says which)
 *   password of group G changed by R, administrators of group G set by R to …   group_mod
 *   group changed in /etc/group (group G/GID, new name: H)        group_mod
 *   password for 'U' changed by 'R'                               password_change (passwd)
 *   changed password expiry for U                                 user_mod (chage)
 *
 * Each change is logged once: the copies shadow writes for /etc/gshadow
 * ("… shadow group …", "group added to /etc/gshadow", "group 'G' removed
 * from /etc/group") repeat a line we already took and are not events.
 * userdel/groupdel end some messages with a newline ("#012" after rsyslog);
 * it is trimmed.
 *
 * These programs run as root and validate the names they log, so the
 * names are an administrator's text; still, fields are split only at the
 * fixed literals around them and every view stays inside the message.
 */
#include "parse/decoder.h"

#include "parse/dec-util.h"

static int change(struct event *ev, enum account_op op, struct sv user, struct sv target, struct sv detail)
{
	if (!user.n && !target.n)
		return 0;
	ev->kind = EV_ACCOUNT_CHANGE;
	ev->acct = op;
	ev->user = user;
	ev->target = target;
	ev->detail = detail;
	return 1;
}

/* "'X'" → X, or an empty view when v is not exactly one quoted name. */
static struct sv quoted(struct sv v)
{
	if (v.n < 2 || v.p[0] != '\'' || v.p[v.n - 1] != '\'')
		return SV_NULL;
	v = sv_make(v.p + 1, v.n - 2);
	return sv_chr(v, '\'') >= 0 ? SV_NULL : v;
}

/* "new user: name=U, UID=…, …, from=TTY" */
static int new_user(struct sv rest, struct event *ev)
{
	struct sv name, detail, from;
	if (!dec_split(rest, ", ", &name, &detail) || !name.n)
		return 0;
	if (dec_rsplit(detail, ", from=", NULL, &from) && !sv_eq(from, "none"))
		ev->tty = from;
	return change(ev, ACCT_USER_ADD, name, SV_NULL, detail);
}

/* "'U' to group 'G'" / "'U' from group 'G'" after "add " / "delete " */
static int membership(struct sv rest, const char *sep, enum account_op op, struct event *ev)
{
	struct sv user, group;
	if (!dec_split(rest, sep, &user, &group))
		return 0;
	user = quoted(user);
	group = quoted(group);
	if (!user.n || !group.n)
		return 0;
	return change(ev, op, user, group, SV_NULL);
}

/* usermod: "change user 'U' …", "lock user 'U' password", "unlock user 'U' password" */
static int usermod(struct sv msg, struct sv rest, struct event *ev)
{
	struct sv user, what;

	if (sv_consume(&rest, "name ")) {
		/* "change user name 'A' to 'B'" */
		if (!dec_split(rest, " to ", &user, NULL) || !(user = quoted(user)).n)
			return 0;
		return change(ev, ACCT_USER_MOD, user, SV_NULL, msg);
	}
	if (!sv_consume(&rest, "'") || !dec_split(rest, "' ", &user, &what) || !user.n || !what.n)
		return 0;
	if (sv_starts(msg, "change ") && sv_eq(what, "password"))
		return change(ev, ACCT_PASSWORD_CHANGE, user, SV_NULL, SV_NULL);
	return change(ev, ACCT_USER_MOD, user, SV_NULL, msg);
}

/* gpasswd: "user U added by R to group G[ in /etc/group]" and "removed … from" */
static int gpasswd_member(struct sv msg, struct sv rest, struct event *ev)
{
	struct sv user, tail, group;
	enum account_op op;

	if (dec_split(rest, " added by ", &user, &tail) && dec_rsplit(tail, " to group ", NULL, &group))
		op = ACCT_GROUP_MEMBER_ADD;
	else if (dec_split(rest, " removed by ", &user, &tail) && dec_rsplit(tail, " from group ", NULL, &group))
		op = ACCT_GROUP_MEMBER_DEL;
	else
		return 0;
	group = dec_word(group); /* drop " in /etc/group" */
	if (!user.n || sv_chr(user, ' ') >= 0 || !group.n)
		return 0;
	return change(ev, op, user, group, msg);
}

/* gpasswd: "… of group G …" / "access to group G restricted by R" */
static int gpasswd_group(struct sv msg, struct sv rest, enum account_op op, struct event *ev)
{
	struct sv group = dec_word(rest);
	if (!group.n)
		return 0;
	return change(ev, op, SV_NULL, group, msg);
}

/* groupmod: "group changed in PATH (group G/GID, …)"; only the
 * /etc/group line counts (gshadow and passwd copies follow). */
static int groupmod(struct sv rest, struct event *ev)
{
	struct sv path, inner, group;
	if (!dec_split(rest, " (", &path, &inner) || !sv_consume_end(&inner, ")"))
		return 0;
	if (!sv_eq(path, "group") && !sv_ends(path, "/group"))
		return 0;
	if (!sv_starts(inner, "group ") || !dec_split(sv_skip(inner, 6), "/", &group, NULL) || !group.n)
		return 0;
	return change(ev, ACCT_GROUP_MOD, SV_NULL, group, inner);
}

int dec_shadow(struct sv msg, struct event *ev)
{
	struct sv rest, a, b;

	msg = dec_rtrim(dec_ltrim(msg));
	rest = msg;
	/* useradd, groupadd */
	if (sv_consume(&rest, "new user: name="))
		return new_user(rest, ev);
	if (sv_consume(&rest, "new group: name=")) {
		if (!dec_split(rest, ", ", &a, &b) || !a.n)
			return 0;
		return change(ev, ACCT_GROUP_ADD, SV_NULL, a, b);
	}
	/* useradd, usermod; "add 'U' to shadow group 'G'" repeats it */
	if (sv_consume(&rest, "add "))
		return membership(rest, " to group ", ACCT_GROUP_MEMBER_ADD, ev);
	/* userdel */
	if (sv_consume(&rest, "delete user ")) {
		a = quoted(rest);
		return change(ev, ACCT_USER_DEL, a, SV_NULL, SV_NULL);
	}
	if (sv_consume(&rest, "delete "))
		return membership(rest, " from group ", ACCT_GROUP_MEMBER_DEL, ev);
	if (sv_consume(&rest, "removed group ")) {
		if (!dec_split(rest, " owned by ", &a, &b))
			return 0;
		a = quoted(a);
		if (!a.n)
			return 0;
		return change(ev, ACCT_GROUP_DEL, quoted(b), a, SV_NULL);
	}
	/* groupdel: "group 'G' removed"; "… removed from /etc/group" repeats it */
	if (sv_consume(&rest, "group ") && sv_consume_end(&rest, " removed")) {
		a = quoted(rest);
		return change(ev, ACCT_GROUP_DEL, SV_NULL, a, SV_NULL);
	}
	rest = msg;
	if (sv_consume(&rest, "group changed in "))
		return groupmod(rest, ev);
	/* usermod */
	if (sv_consume(&rest, "change user ") || sv_consume(&rest, "lock user ") || sv_consume(&rest, "unlock user "))
		return usermod(msg, rest, ev);
	/* gpasswd */
	if (sv_consume(&rest, "user "))
		return gpasswd_member(msg, rest, ev);
	if (sv_consume(&rest, "members of group "))
		return gpasswd_group(msg, rest, ACCT_GROUP_MEMBER_ADD, ev);
	if (sv_consume(&rest, "administrators of group ") || sv_consume(&rest, "password of group ") ||
	    sv_consume(&rest, "access to group "))
		return gpasswd_group(msg, rest, ACCT_GROUP_MOD, ev);
	/* passwd: "password for 'U' changed by 'R'" */
	if (sv_consume(&rest, "password for ")) {
		if (!dec_split(rest, " changed by ", &a, NULL))
			return 0;
		return change(ev, ACCT_PASSWORD_CHANGE, quoted(a), SV_NULL, msg);
	}
	/* chage */
	if (sv_consume(&rest, "changed password expiry for "))
		return change(ev, ACCT_USER_MOD, sv_chr(rest, ' ') < 0 ? rest : SV_NULL, SV_NULL, msg);
	/* chsh: "changed user 'U' shell to 'S'", chfn: "changed user 'U' information" */
	if (sv_consume(&rest, "changed user '")) {
		if (!dec_split(rest, "' ", &a, NULL))
			return 0;
		return change(ev, ACCT_USER_MOD, a, SV_NULL, msg);
	}
	return 0;
}
