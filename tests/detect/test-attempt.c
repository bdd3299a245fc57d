/*
 * One attempt counted once: real sshd, pam_unix, su and sudo lines run
 * through the header parser and the decoders, then the detectors. Each case
 * asserts how many attempts the detectors counted (a brute-force threshold
 * of one makes every source with an attempt an alert whose count is its
 * attempts; a privilege-escalation minimum of one does the same per user).
 *
 * Line shapes: OpenSSH auth.c/auth2.c/packet.c/auth-pam.c, linux-pam
 * pam_unix support.c, util-linux su, sudo logging.c; the LogHub OpenSSH_2k
 * sequence is copied from ../shared/data/loghub/OpenSSH_OpenSSH_2k.log.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "parse/decoder.h"
#include "parse/header.h"

/* every source with an attempt is an alert whose count is its attempts */
static const char *const COUNT_ALL = "brute_force: {threshold: 1}\n"
				     "slow_brute_force: {enabled: false}\n"
				     "password_spray: {enabled: false}\n"
				     "login_after_failures: {enabled: false}\n"
				     "privilege_escalation: {min_failures: 1, mistypes_forgiven: 0}\n";

/* The attempts counted for source src (0: no alert for it). */
static uint64_t attempts_from(const struct collect *c, const char *src)
{
	char ab[ADDR_STRLEN];
	uint64_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i]->kind == AK_BRUTE_FORCE && strcmp(addr_format(&c->v[i]->source, ab), src) == 0)
			n += c->v[i]->count;
	return n;
}

static uint64_t run(const char *const *lines, const char *src)
{
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(COUNT_ALL, &c, &cfg, NULL);
	feed_lines(d, lines);
	detect_finish(d);
	uint64_t n = attempts_from(&c, src);
	tdone(d, cfg, &c);
	return n;
}

/* (a) pam_unix's line, then sshd's Failed lines, then pam_unix's summary */
static void test_sshd_pam_and_failed(void **state)
{
	(void)state;
	static const char *const three[] = {
		"Mar  3 10:00:01 web1 sshd[2101]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		"tty=ssh ruser= rhost=203.0.113.5  user=root",
		"Mar  3 10:00:03 web1 sshd[2101]: Failed password for root from 203.0.113.5 port 40000 ssh2",
		"Mar  3 10:00:06 web1 sshd[2101]: Failed password for root from 203.0.113.5 port 40000 ssh2",
		"Mar  3 10:00:09 web1 sshd[2101]: Failed password for root from 203.0.113.5 port 40000 ssh2",
		"Mar  3 10:00:09 web1 sshd[2101]: error: maximum authentication attempts exceeded for root from "
		"203.0.113.5 port 40000 ssh2 [preauth]",
		"Mar  3 10:00:09 web1 sshd[2101]: Disconnecting authenticating user root 203.0.113.5 port 40000: Too "
		"many authentication failures [preauth]",
		"Mar  3 10:00:09 web1 sshd[2101]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh "
		"ruser= rhost=203.0.113.5  user=root",
		NULL,
	};
	assert_int_equal(run(three, "203.0.113.5"), 3);

	/* rhost= a host name: the pam line names no address; the Failed line
	 * that does carries the attempt (nothing lost) */
	static const char *const named[] = {
		"Mar  3 10:00:01 web1 sshd[2102]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		"tty=ssh ruser= rhost=scanner.example.net  user=root",
		"Mar  3 10:00:03 web1 sshd[2102]: Failed password for root from 203.0.113.6 port 40001 ssh2",
		NULL,
	};
	assert_int_equal(run(named, "203.0.113.6"), 1);

	/* LogHub OpenSSH_2k lines 2-7: an unknown user, four lines, one attempt */
	static const char *const loghub[] = {
		"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
		"Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]",
		"Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown",
		"Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		"tty=ssh ruser= rhost=173.234.31.186 ",
		"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port "
		"38926 ssh2",
		"Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 173.234.31.186 [preauth]",
		NULL,
	};
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(COUNT_ALL, &c, &cfg, NULL);
	for (size_t i = 0; loghub[i]; i++) {
		/* input_userauth_request is debug chatter, not an event */
		if (strstr(loghub[i], "input_userauth_request"))
			continue;
		feed_line(d, loghub[i]);
	}
	detect_finish(d);
	assert_int_equal(attempts_from(&c, "173.234.31.186"), 1);
	tdone(d, cfg, &c);

	/* keyboard-interactive through PAM: pam_unix once, sshd's "PAM:" error
	 * and its Failed line for each attempt, pam_unix's summary at the end */
	static const char *const kbdint[] = {
		"Mar  3 11:00:01 web1 sshd[2201]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		"tty=ssh ruser= rhost=198.51.100.20  user=admin",
		"Mar  3 11:00:01 web1 sshd[2201]: error: PAM: Authentication failure for admin from 198.51.100.20",
		"Mar  3 11:00:01 web1 sshd[2201]: Failed keyboard-interactive/pam for admin from 198.51.100.20 port "
		"51000 ssh2",
		"Mar  3 11:00:04 web1 sshd[2201]: error: PAM: Authentication failure for admin from 198.51.100.20",
		"Mar  3 11:00:04 web1 sshd[2201]: Failed keyboard-interactive/pam for admin from 198.51.100.20 port "
		"51000 ssh2",
		"Mar  3 11:00:05 web1 sshd[2201]: PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh "
		"ruser= rhost=198.51.100.20  user=admin",
		NULL,
	};
	assert_int_equal(run(kbdint, "198.51.100.20"), 2);

	/* the same process id later, from another address: another connection */
	static const char *const reused[] = {
		"Mar  3 12:00:01 web1 sshd[2301]: Failed password for root from 192.0.2.31 port 40000 ssh2",
		"Mar  3 12:00:02 web1 sshd[2301]: Connection closed by authenticating user root 192.0.2.31 port 40000 "
		"[preauth]",
		"Mar  3 12:00:05 web1 sshd[2301]: Connection closed by authenticating user root 192.0.2.32 port 40100 "
		"[preauth]",
		NULL,
	};
	assert_int_equal(run(reused, "192.0.2.31"), 1);
	assert_int_equal(run(reused, "192.0.2.32"), 1);
}

/* The privilege-escalation alert of user (NULL when none). */
static const struct alert *privesc_of(const struct collect *c, const char *user)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i]->kind == AK_PRIVILEGE_ESCALATION && strcmp(c->v[i]->user, user) == 0)
			return c->v[i];
	return NULL;
}

/* (b) su: pam_unix's failure and su's own FAILED SU line are one attempt */
static void test_su(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"2026-11-12T03:17:09.040000+00:00 web1 su[11562]: pam_unix(su:auth): authentication failure; "
		"logname=carol uid=1003 euid=0 tty=/dev/pts/1 ruser=carol rhost=  user=root",
		"2026-11-12T03:17:11.040000+00:00 web1 su[11562]: FAILED SU (to root) carol on pts/1",
		/* a second su, a second attempt */
		"2026-11-12T03:18:09.040000+00:00 web1 su[11590]: pam_unix(su:auth): authentication failure; "
		"logname=carol uid=1003 euid=0 tty=/dev/pts/1 ruser=carol rhost=  user=root",
		"2026-11-12T03:18:11.040000+00:00 web1 su[11590]: FAILED SU (to root) carol on pts/1",
		NULL,
	};
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(COUNT_ALL, &c, &cfg, NULL);
	feed_lines(d, lines);
	detect_finish(d);
	const struct alert *a = privesc_of(&c, "carol");
	assert_non_null(a);
	assert_int_equal(a->count, 2);
	assert_why(a, "su failed ×2 (to root)");
	assert_int_equal(a->evidence_total, 2);
	tdone(d, cfg, &c);
}

/* (c) sudo: pam_unix's lines (no pid) and sudo's summary tell the same tries */
static void test_sudo(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"2026-11-12T03:18:00.040000+00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; "
		"logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
		"2026-11-12T03:18:03.040000+00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; "
		"logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
		"2026-11-12T03:18:06.040000+00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; "
		"logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
		"2026-11-12T03:18:08.040000+00:00 web1 sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; "
		"PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
		/* the next sudo: pam_unix once, sudo's summary says two */
		"2026-11-12T03:19:00.040000+00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; "
		"logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
		"2026-11-12T03:19:08.040000+00:00 web1 sudo:    alice : 2 incorrect password attempts ; TTY=pts/0 ; "
		"PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
		/* and one more that ends in Ctrl-C: only pam_unix saw it */
		"2026-11-12T03:20:00.040000+00:00 web1 sudo: pam_unix(sudo:auth): authentication failure; "
		"logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
		NULL,
	};
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(COUNT_ALL, &c, &cfg, NULL);
	feed_lines(d, lines);
	detect_finish(d);
	const struct alert *a = privesc_of(&c, "alice");
	assert_non_null(a);
	assert_int_equal(a->count, 6);
	assert_why(a, "sudo wrong password ×6");
	tdone(d, cfg, &c);
}

/* (d) pre-auth closes and key-exchange failures */
static void test_preauth(void **state)
{
	(void)state;
	/* public-key probing: each connection shows only as its close */
	static const char *const probes[] = {
		"Jan 24 15:32:31 server sshd[2651912]: Disconnected from authenticating user root 179.43.183.98 port "
		"59402 [preauth]",
		"Jan 24 15:32:32 server sshd[2654543]: Connection closed by authenticating user root 179.43.183.98 port "
		"38260 [preauth]",
		"Jan 24 15:32:33 server sshd[2657307]: Connection reset by authenticating user root 179.43.183.98 port "
		"45326 [preauth]",
		"Jan 24 15:32:34 server sshd[2660116]: Disconnected from invalid user admin 179.43.183.98 port 52414 "
		"[preauth]",
		NULL,
	};
	assert_int_equal(run(probes, "179.43.183.98"), 4);

	/* a close that follows a counted attempt of its connection adds nothing */
	static const char *const after[] = {
		"Mar  3 10:00:00 web1 sshd[5637]: Failed password for root from 203.0.113.5 port 35278 ssh2",
		"Mar  3 10:00:01 web1 sshd[5637]: Connection closed by authenticating user root 203.0.113.5 port 35278 "
		"[preauth]",
		"Mar  3 10:01:00 web1 sshd[6976]: Invalid user admin from 203.0.113.5 port 61384",
		"Mar  3 10:01:02 web1 sshd[6976]: Failed password for invalid user admin from 203.0.113.5 port 61384 ssh2",
		"Mar  3 10:01:03 web1 sshd[6976]: Connection closed by invalid user admin 203.0.113.5 port 61384 "
		"[preauth]",
		"Mar  3 10:02:00 web1 sshd[7001]: Invalid user oracle from 203.0.113.5 port 61390",
		"Mar  3 10:02:03 web1 sshd[7001]: Disconnected from invalid user oracle 203.0.113.5 port 61390 [preauth]",
		NULL,
	};
	assert_int_equal(run(after, "203.0.113.5"), 3);

	/* key exchange and banner failures: once per connection */
	static const char *const kex[] = {
		"Jun  7 04:07:10 server sshd[1941162]: Unable to negotiate with 206.189.59.169 port 34386: no matching "
		"host key type found. Their offer: ssh-rsa,ssh-dss [preauth]",
		"Jun  7 04:07:10 server sshd[1941162]: Unable to negotiate with 206.189.59.169 port 34386: no matching "
		"host key type found. Their offer: ssh-rsa,ssh-dss [preauth]",
		"Jun  7 04:07:11 server sshd[1941170]: Unable to negotiate with 206.189.59.169 port 34390: no matching "
		"key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
		/* the error names no address; the banner line of the same process does */
		"Jun  7 04:07:12 server sshd[1941175]: error: kex_exchange_identification: banner line too long",
		"Jun  7 04:07:12 server sshd[1941175]: banner exchange: Connection from 206.189.59.169 port 44105: "
		"invalid format",
		NULL,
	};
	assert_int_equal(run(kex, "206.189.59.169"), 3);

	/* connections that never spoke SSH, and closes naming no user: not attempts */
	static const char *const silent[] = {
		"Mar  3 10:00:00 web1 sshd[8001]: Did not receive identification string from 192.0.2.50 port 50000",
		"Mar  3 10:00:10 web1 sshd[8002]: error: kex_exchange_identification: Connection closed by remote host",
		"Mar  3 10:00:10 web1 sshd[8002]: Connection closed by 192.0.2.50 port 50001",
		"Mar  3 10:00:20 web1 sshd[8003]: Connection closed by 192.0.2.50 port 50002 [preauth]",
		"Mar  3 10:00:30 web1 sshd[8004]: Received disconnect from 192.0.2.50 port 50003:11: Bye Bye [preauth]",
		"Mar  3 10:00:40 web1 sshd[8005]: Timeout before authentication for 192.0.2.50 port 50004",
		NULL,
	};
	assert_int_equal(run(silent, "192.0.2.50"), 0);

	/* a user who logs in and out is never an attempt */
	static const char *const legit[] = {
		"Mar  3 09:00:00 web1 sshd[9001]: Accepted publickey for alice from 198.51.100.10 port 50100 ssh2: "
		"ED25519 SHA256:q3X0rV1mB0l4yVdI5bYc3S7o4rj1Ue8mV0m2B2X9k00",
		"Mar  3 09:00:00 web1 sshd[9001]: pam_unix(sshd:session): session opened for user alice(uid=1000) by "
		"(uid=0)",
		"Mar  3 09:30:00 web1 sshd[9001]: Received disconnect from 198.51.100.10 port 50100:11: disconnected by "
		"user",
		"Mar  3 09:30:00 web1 sshd[9001]: Disconnected from user alice 198.51.100.10 port 50100",
		"Mar  3 09:30:00 web1 sshd[9001]: pam_unix(sshd:session): session closed for user alice",
		/* even a pre-auth shaped close of that connection does not count */
		"Mar  3 09:30:01 web1 sshd[9001]: Connection closed by authenticating user alice 198.51.100.10 port 50100 "
		"[preauth]",
		NULL,
	};
	assert_int_equal(run(legit, "198.51.100.10"), 0);
}

/* 100 connections from 50 sources open at once (sshd's MaxStartups
 * default), their lines interleaved: every attempt counted once (the
 * cache holds them all: 4096 records in sets of four, so a set full of
 * live connections has odds of about one in ten thousand here). */
static void test_interleaved_connections(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(COUNT_ALL, &c, &cfg, NULL);
	char line[512];
	struct attempts_stats st;

	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < 100; i++) {
			int pid = 30000 + i, src = i % 50;
			if (pass == 0)
				snprintf(line, sizeof(line),
					 "Mar  3 10:00:%02d web1 sshd[%d]: pam_unix(sshd:auth): authentication failure; "
					 "logname= uid=0 euid=0 tty=ssh ruser= rhost=10.9.0.%d  user=root",
					 i % 60, pid, src);
			else if (pass == 1)
				snprintf(line, sizeof(line),
					 "Mar  3 10:01:%02d web1 sshd[%d]: Failed password for root from 10.9.0.%d port "
					 "%d ssh2",
					 i % 60, pid, src, 20000 + i);
			else
				snprintf(line, sizeof(line),
					 "Mar  3 10:02:%02d web1 sshd[%d]: Connection closed by authenticating user root "
					 "10.9.0.%d port %d [preauth]",
					 i % 60, pid, src, 20000 + i);
			feed_line(d, line);
		}
	detect_finish(d);
	attempts_get_stats(tattempts(), &st);
	assert_int_equal(st.evictions, 0);
	for (int s = 0; s < 50; s++) {
		char a[32];
		snprintf(a, sizeof(a), "10.9.0.%d", s);
		assert_int_equal(attempts_from(&c, a), 2);
	}
	tdone(d, cfg, &c);
}

/* A flood of connections: the cache stays fixed, counts stay exact per
 * line, and live records pushed out are counted. */
static void test_flood_bounded(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("brute_force: {threshold: 1000000, high: 1000000}\n"
				   "slow_brute_force: {enabled: false}\n"
				   "password_spray: {enabled: false}\n"
				   "distributed: {enabled: false}\n"
				   "login_after_failures: {enabled: false}\n",
				   &c, &cfg, NULL);
	char line[256];
	struct attempts_stats st;

	/* 200k connections within one minute: more than the cache holds */
	for (int i = 0; i < 200000; i++) {
		snprintf(line, sizeof(line),
			 "Mar  3 10:00:%02d web1 sshd[%d]: Connection closed by authenticating user root 10.%d.%d.%d "
			 "port 40000 [preauth]",
			 i / 4000, 100000 + i, (i >> 16) & 255, (i >> 8) & 255, i & 255);
		feed_line(d, line);
	}
	attempts_get_stats(tattempts(), &st);
	assert_true(st.evictions > 0);
	assert_true(st.evictions <= 200000);
	assert_true(st.tracked <= 4096 + 16384); /* the sets and the spill beside them */
	assert_int_equal(c.n, 0);
	tdone(d, cfg, &c);
}

static struct event stage_line(struct attempts *a, const char *line)
{
	static struct header_ctx *hdr;
	struct syslog_header h;
	struct event ev;
	if (!hdr) {
		hdr = header_ctx_new("UTC");
		assert_non_null(hdr);
		header_ctx_set_mtime(hdr, T0 + 300 * DAY_S);
	}
	assert_true(header_parse(hdr, line, strlen(line), &h) > 0);
	assert_true(decode(&h, &ev) > 0);
	attempts_apply(a, &ev);
	return ev;
}

/* The stage alone: a connection whose set is full of live ones goes
 * beside the sets (the spill, 16384); a spill full of live connections
 * pushes out the least recently seen and counts it (a later line of that
 * connection then counts again); records of connections that went quiet
 * are reused without a count. Every connection either finds room or
 * pushes one out: tracked + evictions is the number of records made. */
static void test_stage_eviction(void **state)
{
	(void)state;
	struct detect_config *cfg = NULL;
	char *err = NULL, line[256];
	struct attempts_stats st;
	uint64_t again = 0;
	const int N = 50000;
	assert_int_equal(detect_config_load(NULL, &cfg, &err), 0);
	struct attempts *a = attempts_new(cfg);
	assert_non_null(a);

	/* 50000 connections within a minute: more than the cache's 4096 records and the spill's 16384 */
	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line), "Mar  3 10:00:%02d web1 sshd[%d]: Failed password for root from 10.1.%d.%d port 40000 ssh2",
			 i / 1000, 100000 + i, (i >> 8) & 255, i & 255);
		assert_int_equal(stage_line(a, line).attempts, 1);
	}
	attempts_get_stats(a, &st);
	assert_true(st.tracked <= 4096 + 16384);
	assert_true(st.tracked > 4000 + 16384); /* the sets fill evenly, the spill takes the rest */
	assert_int_equal(st.tracked + st.evictions, (uint64_t)N);
	/* each connection's second line: a repeat, unless its record was pushed out */
	for (int i = 0; i < N; i++) {
		snprintf(line, sizeof(line), "Mar  3 10:01:%02d web1 sshd[%d]: error: maximum authentication attempts exceeded for root from 10.1.%d.%d port 40000 ssh2 [preauth]",
			 i / 1000, 100000 + i, (i >> 8) & 255, i & 255);
		again += stage_line(a, line).attempts;
	}
	assert_true(again >= (uint64_t)N - 4096 - 16384);
	attempts_get_stats(a, &st);
	assert_int_equal(st.tracked + st.evictions, (uint64_t)N + again);

	/* an hour later every record is quiet: 2500 new connections reuse
	 * their ways uncounted (only a set that gets more than four of them
	 * pushes one of those out: a few dozen, where counting the quiet
	 * ones would count about 2500) */
	uint64_t before = st.evictions;
	for (int i = 0; i < 2500; i++) {
		snprintf(line, sizeof(line), "Mar  3 11:00:%02d web1 sshd[%d]: Failed password for root from 10.3.%d.%d port 40000 ssh2",
			 i / 200, 300000 + i, (i >> 8) & 255, i & 255);
		assert_int_equal(stage_line(a, line).attempts, 1);
	}
	attempts_get_stats(a, &st);
	assert_true(st.evictions - before < 500);
	assert_true(st.tracked <= 4096 + 16384);
	attempts_free(a);
	detect_config_free(cfg);
}

/* Which connections share a set is the seeded hash's choice: it must not
 * change what is counted. 3000 connections live at once (more than a set
 * of four holds for some sets, whatever the seed), each with two failures
 * and a close: every stage (each with its own seed) counts the same, and
 * nothing is pushed out. */
static void test_counts_do_not_depend_on_the_seed(void **state)
{
	(void)state;
	struct detect_config *cfg = NULL;
	char *err = NULL, line[256];
	assert_int_equal(detect_config_load(NULL, &cfg, &err), 0);
	for (int run = 0; run < 4; run++) {
		struct attempts *a = attempts_new(cfg);
		struct attempts_stats st;
		uint64_t total = 0;
		assert_non_null(a);
		for (int round = 0; round < 3; round++)
			for (int i = 0; i < 3000; i++) {
				if (round < 2)
					snprintf(line, sizeof(line),
						 "Mar  3 10:0%d:%02d web1 sshd[%d]: Failed password for root from 10.2.%d.%d port 40000 ssh2",
						 round, i / 100, 200000 + i, (i >> 8) & 255, i & 255);
				else
					snprintf(line, sizeof(line),
						 "Mar  3 10:02:%02d web1 sshd[%d]: Connection closed by authenticating user root "
						 "10.2.%d.%d port 40000 [preauth]",
						 i / 100, 200000 + i, (i >> 8) & 255, i & 255);
				total += stage_line(a, line).attempts;
			}
		attempts_get_stats(a, &st);
		assert_int_equal(st.evictions, 0);
		/* two failures each; the close proves nothing more */
		assert_int_equal(total, 6000);
		attempts_free(a);
	}
	detect_config_free(cfg);
}

/* A logged-in connection keeps its record for a day of quiet, wherever
 * the seeded hash put it. pid 4242 logs in before 8000 connections come
 * (every set gets some; before, a quiet logged-in record's way was taken
 * by the first of them to land in its set, so whether a later line of the
 * session was tied to its address depended on the seed); pid 4343 logs in
 * just after them, when its set is full (it is kept beside the sets, and
 * moves to the sessions there, which outlive the 10 minutes the other
 * connections beside the sets are kept). Lines of either session without
 * an address still take its address half an hour later, in every stage;
 * a day and a second later the same pid is another connection. Once a
 * session closed, its connection is kept only 10 minutes more. */
static void test_logged_in_kept(void **state)
{
	(void)state;
	struct detect_config *cfg = NULL;
	char *err = NULL, line[256], ab[ADDR_STRLEN];
	assert_int_equal(detect_config_load(NULL, &cfg, &err), 0);
	for (int run = 0; run < 4; run++) {
		struct attempts *a = attempts_new(cfg);
		struct attempts_stats st;
		struct event ev;
		assert_non_null(a);
		stage_line(a, "Mar  3 10:00:00 web1 sshd[4242]: Accepted password for carol from 198.51.100.14 port 39296 ssh2");
		for (int i = 0; i < 8000; i++) {
			snprintf(line, sizeof(line),
				 "Mar  3 10:20:%02d web1 sshd[%d]: Failed password for root from 10.4.%d.%d port 40000 ssh2",
				 i / 200, 300000 + i, (i >> 8) & 255, i & 255);
			assert_int_equal(stage_line(a, line).attempts, 1);
		}
		stage_line(a, "Mar  3 10:20:41 web1 sshd[4343]: Accepted password for dave from 198.51.100.15 port 39297 ssh2");
		attempts_get_stats(a, &st);
		assert_int_equal(st.evictions, 0);
		ev = stage_line(a, "Mar  3 10:50:00 web1 sshd[4242]: error: kex_exchange_identification: Connection closed by remote host");
		assert_int_equal(ev.source.family, ADDR_V4);
		assert_string_equal(addr_format(&ev.source, ab), "198.51.100.14");
		assert_true(ev.flags & EVF_SOURCE_CONN);
		ev = stage_line(a, "Mar  3 10:50:00 web1 sshd[4343]: error: kex_exchange_identification: Connection closed by remote host");
		assert_int_equal(ev.source.family, ADDR_V4);
		assert_string_equal(addr_format(&ev.source, ab), "198.51.100.15");
		/* the flood's connections, beside the sets, are gone: 10 minutes of quiet */
		attempts_get_stats(a, &st);
		assert_true(st.tracked < 4096 + 2);
		ev = stage_line(a, "Mar  4 10:50:01 web1 sshd[4242]: error: kex_exchange_identification: Connection closed by remote host");
		assert_int_equal(ev.source.family, ADDR_NONE);
		/* a closed session: 10 minutes more */
		stage_line(a, "Mar  5 08:00:00 web1 sshd[4444]: Accepted password for erin from 198.51.100.16 port 39298 ssh2");
		stage_line(a, "Mar  5 12:00:00 web1 sshd[4444]: pam_unix(sshd:session): session closed for user erin");
		ev = stage_line(a, "Mar  5 12:09:00 web1 sshd[4444]: error: kex_exchange_identification: Connection closed by remote host");
		assert_string_equal(addr_format(&ev.source, ab), "198.51.100.16");
		ev = stage_line(a, "Mar  5 12:20:00 web1 sshd[4444]: error: kex_exchange_identification: Connection closed by remote host");
		assert_int_equal(ev.source.family, ADDR_NONE);
		attempts_free(a);
	}
	detect_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshd_pam_and_failed),
		cmocka_unit_test(test_su),
		cmocka_unit_test(test_sudo),
		cmocka_unit_test(test_preauth),
		cmocka_unit_test(test_interleaved_connections),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_stage_eviction),
		cmocka_unit_test(test_counts_do_not_depend_on_the_seed),
		cmocka_unit_test(test_logged_in_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
