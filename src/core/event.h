/*
 * event: one decoded log line. This is the contract between parse/,
 * detect/ and store/ (like SSHGuard's attack_t): small, fixed, public.
 *
 * Every struct sv in an event is a borrowed view into the line buffer the
 * source lent (or into the header parser's scratch buffer): valid only until
 * the next line is read. Anything that keeps an event past that copies it
 * (store/ does; detectors copy the few fields they key on).
 */
#pragma once

#include <stdint.h>

#include "core/addr.h"
#include "core/strview.h"

enum event_kind {
	EV_NONE = 0,
	EV_AUTH_FAILURE, /* Failed password/publickey/…; pam_unix auth failure with rhost */
	EV_INVALID_USER, /* "Invalid user X from A" (no password tried yet) */
	EV_AUTH_SUCCESS, /* "Accepted METHOD for U from A port P" */
	EV_USER_NOT_ALLOWED, /* "User U from A not allowed because …" */
	EV_ROOT_REFUSED, /* "ROOT LOGIN REFUSED FROM A" */
	EV_MAX_AUTH, /* "maximum authentication attempts exceeded for U from A" */
	EV_PREAUTH_CLOSE, /* closed/reset/disconnected/timed out before authentication ([preauth]) */
	EV_DISCONNECT, /* "Disconnected from user U A port P"; "Received disconnect" (the client's
			* goodbye, with EVF_PREAUTH when it left before authenticating) */
	EV_CONNECT, /* "Connection from A port P on …" */
	EV_PROTOCOL_ERROR, /* bad protocol version, no identification string, kex/banner errors, Unable to negotiate */
	EV_CONN_REFUSED, /* "refused connect from" (tcp wrappers) */
	EV_MAXSTARTUPS, /* "drop connection #N from [A]:P past MaxStartups" */
	EV_SESSION_OPEN, /* pam_unix(sshd:session): session opened for user U */
	EV_SESSION_CLOSE, /* … session closed for user U */
	EV_LOGIND_NEW, /* systemd-logind: New session N of user U. */
	EV_LOGIND_REMOVED, /* systemd-logind: Removed session N. */
	EV_SUDO_COMMAND, /* sudo: U : TTY=… ; PWD=… ; USER=T ; COMMAND=C */
	EV_SUDO_FAILURE, /* wrong password(s) for sudo (incl. pam_unix(sudo:auth)) */
	EV_SUDO_REFUSED, /* user NOT in sudoers / command not allowed */
	EV_SU_SUCCESS, /* su: (to T) U on TTY / pam_unix(su:session) opened */
	EV_SU_FAILURE, /* FAILED SU (to T) U on TTY / pam_unix(su:auth) failure */
	EV_ACCOUNT_CHANGE, /* shadow-utils: see enum account_op */
	EV_KEY_CHANGE, /* authorized_keys changed (later issues) */
	EV_KIND_MAX
};

enum auth_method {
	AM_NONE = 0, /* not applicable / unknown */
	AM_PASSWORD,
	AM_PUBLICKEY,
	AM_KBDINT, /* keyboard-interactive (incl. /pam) */
	AM_GSSAPI, /* gssapi-with-mic, gssapi-keyex */
	AM_HOSTBASED,
	AM_NONE_METHOD, /* the SSH "none" method */
	AM_PAM, /* a PAM conversation outside sshd's own methods */
	AM_MAX
};

enum account_op {
	ACCT_NONE = 0,
	ACCT_USER_ADD,
	ACCT_USER_DEL,
	ACCT_USER_MOD,
	ACCT_GROUP_ADD,
	ACCT_GROUP_DEL,
	ACCT_GROUP_MEMBER_ADD, /* user added to a group: event.target = group */
	ACCT_GROUP_MEMBER_DEL,
	ACCT_PASSWORD_CHANGE,
	ACCT_GROUP_MOD, /* group renamed, GID/password/administrators changed: event.target = group */
	ACCT_MAX
};

enum {
	EVF_INVALID_USER = 1u << 0, /* sshd said "invalid user" */
	EVF_PREAUTH = 1u << 1, /* line ended in "[preauth]" */
	EVF_TRUNCATED = 1u << 2, /* the source cut an overlong line */
	EVF_TIME_GUESSED = 1u << 3, /* no usable timestamp: time is inferred */
	EVF_AMBIGUOUS_SOURCE = 1u << 4, /* attacker text (a user name, key ID, client
					 * text) could have written the address the
					 * line shows: no source, user or port taken */
	EVF_SOURCE_CONN = 1u << 5, /* the line named no address: source is its connection's (detect/attempt.h) */
	EVF_CLIENT_FAILED = 1u << 6, /* the client's own report that its authentication
				      * failed (SSH disconnect reason 14, JSch's "Auth fail"):
				      * proof of a failed attempt that sshd may not have
				      * logged (public-key failures: only at VERBOSE) */
};

/* Where the line came from; file points at a string that lives for the
 * whole run (owned by the source). */
struct origin {
	const char *file;
	uint64_t line; /* 1-based */
	uint64_t offset; /* byte offset of the line in the (decompressed) stream */
};

struct event {
	int64_t time_us; /* UTC, microseconds since the epoch */
	struct sv host;
	struct sv program; /* as logged: "sshd", "sshd-session", "sudo" … */
	int32_t pid; /* -1 when the line had none */
	enum event_kind kind;
	enum auth_method method;
	enum account_op acct; /* EV_ACCOUNT_CHANGE only */
	uint32_t flags; /* EVF_* */
	struct sv user; /* the account acted on or acting (login user, sudo/su caller) */
	struct sv target; /* sudo USER=, su target, group name for account changes */
	struct addr source; /* validated; family ADDR_NONE when there is none */
	struct sv source_name; /* host name where sshd logged one (UseDNS) instead of an address */
	uint16_t port; /* 0 when none */
	struct sv key_type; /* "RSA", "ED25519" … */
	struct sv key_fp; /* "SHA256:…" or MD5 colon form */
	struct sv tty;
	struct sv command; /* sudo COMMAND= */
	struct sv detail; /* free text kept for the reader: reason, session id, … */
	uint32_t count; /* repetitions the line stands for (e.g. "3 incorrect password attempts"); >= 1 */
	uint32_t attempts; /* new login attempts the line adds (detect/attempt.h sets it; 0 until then) */
	struct origin origin;
};

/* Resets *ev to an empty event (pid -1, count 1). */
void event_init(struct event *ev);

/* Stable lower-case names used in JSON and the store ("auth_failure" …).
 * Never NULL; out-of-range values give "unknown". */
const char *event_kind_name(enum event_kind k);
const char *auth_method_name(enum auth_method m); /* "" for AM_NONE */
const char *account_op_name(enum account_op op);

/* Inverse of the *_name functions; return the enum or -1. */
/* A failed or refused login, or the noise around one: what a stranger at
 * the door can make sshd write, naming any account (the store packs them
 * per source; the allow-list's accounts do not cover them). */
bool event_kind_from_outside(enum event_kind k);
int event_kind_from_name(const char *s);
int auth_method_from_name(const char *s);
int account_op_from_name(const char *s);
