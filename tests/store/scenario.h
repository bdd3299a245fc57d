/*
 * Realistic sessions written straight into a store, as 'moat scan' would
 * after decoding a Debian 12 auth.log (the shapes follow OpenSSH 9.2,
 * sudo 1.9 and shadow-utils 4.13 messages). Used by test-trace and
 * test-trace-e2e.
 *
 * alice  203.0.113.7   web-1 pid 4242  03:00:05-03:14:05  sudo refused x3, su failed x1
 * bob    198.51.100.20 web-1 pid 4300  03:10:00-03:20:00  sudo wrong password, then sudo to root
 *                                                         (COMMAND=/bin/bash); mallory added to sudo
 * carol  192.0.2.10    web-1 pid 6000  10:00:00-11:00:00  } overlapping: tty tells sudo/su apart
 * carol  192.0.2.11    web-1 pid 6100  10:10:00-10:50:00  }
 * dave   192.0.2.50    web-1 pid 7000  12:00:00-         no logout seen
 * admin  203.0.113.99  web-1 pid 9000  02:00:00-02:01:00  after 412 failed passwords for 37 users
 */
#pragma once

#include <stdio.h>

#include "core/addr.h"
#include "core/event.h"
#include "detect/attempt.h"
#include "detect/detect.h"
#include "store/store.h"
#include "test-helpers.h"

struct sc {
	struct store *s;
	int failures;
	uint64_t line; /* the lines of one log, in order: the order of one instant's events */
};

/* The attempt stage the scan runs before the store (detect/attempt.h), one
 * per scenario: a new one when a scenario writes its first line (kept in
 * statics, so nothing is left unfreed at exit). */
static struct attempts *sc_stage(bool fresh)
{
	static struct detect_config *cfg;
	static struct attempts *att;
	char *err = NULL;
	if (!cfg && detect_config_load(NULL, &cfg, &err) < 0)
		abort();
	if (fresh || !att) {
		attempts_free(att);
		att = attempts_new(cfg);
		if (!att)
			abort();
	}
	return att;
}

static inline void sc_add(struct sc *sc, const char *t, const char *prog, int pid, enum event_kind k,
			  const char *user, const char *src, void (*more)(struct event *ev, const void *arg),
			  const void *arg)
{
	struct attempts *att = sc_stage(sc->line == 0);
	struct event ev;
	event_init(&ev);
	ev.time_us = T(t);
	ev.host = SV_LIT("web-1");
	ev.program = sv_cstr(prog);
	ev.pid = pid;
	ev.kind = k;
	ev.user = sv_cstr(user);
	if (src && addr_parse(sv_cstr(src), &ev.source) != 1)
		abort();
	ev.origin.file = "/var/log/auth.log";
	ev.origin.line = ++sc->line;
	if (more)
		more(&ev, arg);
	attempts_apply(att, &ev);
	if (store_add_event(sc->s, &ev) < 0)
		sc->failures++;
}

static inline void m_password(struct event *ev, const void *arg)
{
	ev->method = AM_PASSWORD;
	ev->port = (uint16_t)(uintptr_t)arg;
}

static inline void m_pubkey(struct event *ev, const void *arg)
{
	(void)arg;
	ev->method = AM_PUBLICKEY;
	ev->port = 40000;
	ev->key_type = SV_LIT("ED25519");
	ev->key_fp = SV_LIT("SHA256:Jm8zZQ0m7b0wQpJxH5c1vGZx4cQ1n9yFh2kA7s3dE4o");
}

struct sudo_arg {
	const char *tty, *target, *command;
	uint32_t count;
};

static inline void m_sudo(struct event *ev, const void *arg)
{
	const struct sudo_arg *a = arg;
	ev->tty = sv_cstr(a->tty);
	ev->target = sv_cstr(a->target);
	ev->command = sv_cstr(a->command);
	if (a->count)
		ev->count = a->count;
}

static inline void m_group_add(struct event *ev, const void *arg)
{
	ev->acct = ACCT_GROUP_MEMBER_ADD;
	ev->target = sv_cstr(arg);
}

/* The full set above. */
static inline int scenario_write(struct store *s)
{
	struct sc sc = { .s = s };
	char t[32], u[16];
	const char *sshd = "sshd";

	if (store_begin(s) < 0)
		return -1;

	/* admin from 203.0.113.99: a spray of 412 failed passwords over 37
	 * user names, then a successful login that does nothing else. */
	for (int i = 0; i < 412; i++) {
		snprintf(t, sizeof(t), "2026-03-01T01:%02d:%02dZ", i / 60 % 60, i % 60);
		snprintf(u, sizeof(u), "user%02d", i % 37);
		sc_add(&sc, t, sshd, 8000 + i / 3, EV_AUTH_FAILURE, u, "203.0.113.99", m_password,
		       (const void *)(uintptr_t)(30000 + i));
	}
	sc_add(&sc, "2026-03-01T01:59:00Z", sshd, 8999, EV_PREAUTH_CLOSE, "", "203.0.113.99", NULL, NULL);
	sc_add(&sc, "2026-03-01T02:00:00Z", sshd, 9000, EV_AUTH_SUCCESS, "admin", "203.0.113.99", m_password,
	       (const void *)(uintptr_t)31000);
	sc_add(&sc, "2026-03-01T02:00:00Z", sshd, 9000, EV_SESSION_OPEN, "admin", NULL, NULL, NULL);
	sc_add(&sc, "2026-03-01T02:01:00Z", sshd, 9000, EV_DISCONNECT, "admin", "203.0.113.99", NULL, NULL);
	sc_add(&sc, "2026-03-01T02:01:00Z", sshd, 9000, EV_SESSION_CLOSE, "admin", NULL, NULL, NULL);

	/* alice from 203.0.113.7: four guesses at other names first, one
	 * wrong password in the same connection, then in. */
	sc_add(&sc, "2026-03-01T02:58:01Z", sshd, 4100, EV_INVALID_USER, "oracle", "203.0.113.7", NULL, NULL);
	sc_add(&sc, "2026-03-01T02:58:02Z", sshd, 4100, EV_AUTH_FAILURE, "oracle", "203.0.113.7", m_password,
	       (const void *)(uintptr_t)50001);
	sc_add(&sc, "2026-03-01T02:59:00Z", sshd, 4101, EV_AUTH_FAILURE, "root", "203.0.113.7", m_password,
	       (const void *)(uintptr_t)50010);
	sc_add(&sc, "2026-03-01T02:59:40Z", sshd, 4102, EV_AUTH_FAILURE, "root", "203.0.113.7", m_password,
	       (const void *)(uintptr_t)50011);
	sc_add(&sc, "2026-03-01T03:00:00Z", sshd, 4242, EV_AUTH_FAILURE, "alice", "203.0.113.7", m_password,
	       (const void *)(uintptr_t)50022);
	sc_add(&sc, "2026-03-01T03:00:05Z", sshd, 4242, EV_AUTH_SUCCESS, "alice", "203.0.113.7", m_password,
	       (const void *)(uintptr_t)50022);
	sc_add(&sc, "2026-03-01T03:00:05Z", sshd, 4242, EV_SESSION_OPEN, "alice", NULL, NULL, NULL);
	static const struct sudo_arg a_refused = { "pts/0", "root", "/bin/bash", 0 };
	sc_add(&sc, "2026-03-01T03:02:00Z", "sudo", 5001, EV_SUDO_REFUSED, "alice", NULL, m_sudo, &a_refused);
	sc_add(&sc, "2026-03-01T03:03:00Z", "sudo", 5002, EV_SUDO_REFUSED, "alice", NULL, m_sudo, &a_refused);
	static const struct sudo_arg a_refused2 = { "pts/0", "root", "/usr/bin/cat /etc/shadow", 0 };
	sc_add(&sc, "2026-03-01T03:04:00Z", "sudo", 5003, EV_SUDO_REFUSED, "alice", NULL, m_sudo, &a_refused2);
	static const struct sudo_arg a_su = { "pts/0", "root", "", 0 };
	sc_add(&sc, "2026-03-01T03:06:00Z", "su", 5004, EV_SU_FAILURE, "alice", NULL, m_sudo, &a_su);
	sc_add(&sc, "2026-03-01T03:06:00Z", "su", 5004, EV_SU_FAILURE, "alice", NULL, m_sudo, &a_su);
	sc_add(&sc, "2026-03-01T03:14:05Z", sshd, 4242, EV_DISCONNECT, "", "203.0.113.7", NULL, NULL);
	sc_add(&sc, "2026-03-01T03:14:05Z", sshd, 4242, EV_DISCONNECT, "alice", "203.0.113.7", NULL, NULL);
	sc_add(&sc, "2026-03-01T03:14:05Z", sshd, 4242, EV_SESSION_CLOSE, "alice", NULL, NULL, NULL);

	/* bob: a key login, one wrong sudo password (pam_unix and sudo's own
	 * line for the same run), then sudo to root, then a group change. */
	sc_add(&sc, "2026-03-01T03:10:00Z", sshd, 4300, EV_AUTH_SUCCESS, "bob", "198.51.100.20", m_pubkey, NULL);
	sc_add(&sc, "2026-03-01T03:10:00Z", sshd, 4300, EV_SESSION_OPEN, "bob", NULL, NULL, NULL);
	static const struct sudo_arg b_pam = { "pts/1", "", "", 0 };
	static const struct sudo_arg b_fail = { "pts/1", "root", "/bin/bash", 1 };
	static const struct sudo_arg b_ok = { "pts/1", "root", "/bin/bash", 0 };
	sc_add(&sc, "2026-03-01T03:12:00Z", "sudo", 5100, EV_SUDO_FAILURE, "bob", NULL, m_sudo, &b_pam);
	sc_add(&sc, "2026-03-01T03:12:03Z", "sudo", 5100, EV_SUDO_FAILURE, "bob", NULL, m_sudo, &b_fail);
	sc_add(&sc, "2026-03-01T03:12:09Z", "sudo", 5101, EV_SUDO_COMMAND, "bob", NULL, m_sudo, &b_ok);
	sc_add(&sc, "2026-03-01T03:13:00Z", "usermod", 5200, EV_ACCOUNT_CHANGE, "mallory", NULL, m_group_add, "sudo");
	sc_add(&sc, "2026-03-01T03:20:00Z", sshd, 4300, EV_DISCONNECT, "bob", "198.51.100.20", NULL, NULL);
	sc_add(&sc, "2026-03-01T03:20:00Z", sshd, 4300, EV_SESSION_CLOSE, "bob", NULL, NULL, NULL);

	/* carol: two overlapping sessions. */
	sc_add(&sc, "2026-03-01T10:00:00Z", sshd, 6000, EV_AUTH_SUCCESS, "carol", "192.0.2.10", m_password,
	       (const void *)(uintptr_t)41000);
	sc_add(&sc, "2026-03-01T10:00:00Z", sshd, 6000, EV_SESSION_OPEN, "carol", NULL, NULL, NULL);
	sc_add(&sc, "2026-03-01T10:10:00Z", sshd, 6100, EV_AUTH_SUCCESS, "carol", "192.0.2.11", m_password,
	       (const void *)(uintptr_t)41001);
	sc_add(&sc, "2026-03-01T10:10:00Z", sshd, 6100, EV_SESSION_OPEN, "carol", NULL, NULL, NULL);
	static const struct sudo_arg c_ref0 = { "pts/0", "root", "/bin/ls /root", 0 };
	static const struct sudo_arg c_ok1 = { "pts/1", "root", "/usr/bin/id", 0 };
	static const struct sudo_arg c_su0 = { "pts/0", "root", "", 0 };
	static const struct sudo_arg c_ref_notty = { "", "root", "/bin/true", 0 };
	sc_add(&sc, "2026-03-01T10:05:00Z", "sudo", 6500, EV_SUDO_REFUSED, "carol", NULL, m_sudo, &c_ref0);
	sc_add(&sc, "2026-03-01T10:20:00Z", "sudo", 6501, EV_SUDO_COMMAND, "carol", NULL, m_sudo, &c_ok1);
	sc_add(&sc, "2026-03-01T10:30:00Z", "su", 6502, EV_SU_SUCCESS, "carol", NULL, m_sudo, &c_su0);
	sc_add(&sc, "2026-03-01T10:40:00Z", "sudo", 6503, EV_SUDO_REFUSED, "carol", NULL, m_sudo, &c_ref_notty);
	sc_add(&sc, "2026-03-01T10:50:00Z", sshd, 6100, EV_DISCONNECT, "carol", "192.0.2.11", NULL, NULL);
	sc_add(&sc, "2026-03-01T10:50:00Z", sshd, 6100, EV_SESSION_CLOSE, "carol", NULL, NULL, NULL);
	sc_add(&sc, "2026-03-01T11:00:00Z", sshd, 6000, EV_DISCONNECT, "carol", "192.0.2.10", NULL, NULL);
	sc_add(&sc, "2026-03-01T11:00:00Z", sshd, 6000, EV_SESSION_CLOSE, "carol", NULL, NULL, NULL);

	/* dave: in, and no logout in the logs. */
	sc_add(&sc, "2026-03-01T12:00:00Z", "sshd-session", 7000, EV_AUTH_SUCCESS, "dave", "192.0.2.50", m_pubkey,
	       NULL);
	sc_add(&sc, "2026-03-01T12:00:00Z", "sshd-session", 7000, EV_SESSION_OPEN, "dave", NULL, NULL, NULL);

	if (store_commit(s) < 0)
		return -1;
	return sc.failures ? -1 : 0;
}
