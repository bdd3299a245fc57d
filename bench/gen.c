/*
 * gen: a deterministic generator of attack-heavy auth logs for benchmarks.
 *
 *   gen --mb 120 [--seed N] [--sources N]   an sshd/sudo/pam mix, ~N MB, on stdout
 *   gen --distinct 10000000                 one failed login from each of N distinct
 *                                           addresses (the memory-bound test)
 *
 * The same arguments always give the same bytes (own PRNG, fixed clock).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const users[] = { "root", "admin", "test", "oracle", "postgres", "git", "ubuntu",
				     "pi", "user", "ftpuser", "www-data", "backup", "support", "guest",
				     "jenkins", "hadoop", "mysql", "dev", "tomcat", "nagios", "debian",
				     "usuario", "test1", "test2", "ansible", "steam", "minecraft", "es" };
static const char *const real_users[] = { "deploy", "alice", "bob", "carol" };

struct clock {
	int mon, day, h, m, s;
};

static void tick(struct clock *c, unsigned secs)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	c->s += (int)secs;
	while (c->s >= 60) {
		c->s -= 60;
		if (++c->m == 60) {
			c->m = 0;
			if (++c->h == 24) {
				c->h = 0;
				if (++c->day > mdays[c->mon]) {
					c->day = 1;
					c->mon = (c->mon + 1) % 12;
				}
			}
		}
	}
}

static void addr4(char *buf, size_t n, uint32_t x)
{
	snprintf(buf, n, "%u.%u.%u.%u", (x >> 24) & 255, (x >> 16) & 255, (x >> 8) & 255, x & 255);
}

static int distinct(uint64_t n)
{
	struct clock c = { 10, 1, 0, 0, 0 };
	char a[32];
	for (uint64_t i = 0; i < n; i++) {
		/* spread over 1.0.0.0 .. 223.255.255.255 without repeats: a bijection of i */
		uint32_t x = (uint32_t)(0x01000000u + (uint32_t)((i * 2654435761u) % 0xdeffffffu));
		addr4(a, sizeof(a), x);
		if (i % 64 == 0)
			tick(&c, 1);
		printf("%s %2d %02d:%02d:%02d bench sshd[%" PRIu64 "]: Failed password for root from %s port %u ssh2\n",
		       months[c.mon], c.day, c.h, c.m, c.s, 1000 + i % 60000, a, 1024 + (unsigned)(i % 60000));
	}
	return 0;
}

static int mix(uint64_t bytes, unsigned nsources)
{
	struct clock c = { 10, 1, 0, 0, 0 };
	uint64_t out = 0;
	unsigned pid = 1000;
	char a[64];
	while (out < bytes) {
		unsigned r = below(1000), port = 1024 + below(64000);
		const char *u = users[below(sizeof(users) / sizeof(users[0]))];
		uint32_t src = 0x2d000000u + below(nsources) * 7919u;
		int n;
		char ts[32];
		tick(&c, below(3));
		pid = 1000 + (pid + below(50)) % 4000000;
		snprintf(ts, sizeof(ts), "%s %2d %02d:%02d:%02d", months[c.mon], c.day, c.h, c.m, c.s);
		if (below(20) == 0)
			snprintf(a, sizeof(a), "2001:db8:%x:%x::%x", below(65536), below(65536), below(65536));
		else
			addr4(a, sizeof(a), src);
		if (r < 300)
			n = printf("%s bench sshd[%u]: Failed password for %s from %s port %u ssh2\n", ts, pid, u, a, port);
		else if (r < 450)
			n = printf("%s bench sshd[%u]: Failed password for invalid user %s from %s port %u ssh2\n", ts, pid, u, a, port);
		else if (r < 580)
			n = printf("%s bench sshd[%u]: Invalid user %s from %s port %u\n", ts, pid, u, a, port);
		else if (r < 700)
			n = printf("%s bench sshd[%u]: Connection closed by authenticating user %s %s port %u [preauth]\n", ts, pid, u, a, port);
		else if (r < 760)
			n = printf("%s bench sshd[%u]: Received disconnect from %s port %u:11: Bye Bye [preauth]\n", ts, pid, a, port);
		else if (r < 800)
			n = printf("%s bench sshd[%u]: Disconnected from invalid user %s %s port %u [preauth]\n", ts, pid, u, a, port);
		else if (r < 830)
			n = printf("%s bench sshd[%u]: error: maximum authentication attempts exceeded for invalid user %s from %s port %u ssh2 [preauth]\n", ts, pid, u, a, port);
		else if (r < 850)
			n = printf("%s bench sshd[%u]: error: kex_exchange_identification: Connection closed by remote host\n", ts, pid);
		else if (r < 865)
			n = printf("%s bench sshd[%u]: Unable to negotiate with %s port %u: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]\n", ts, pid, a, port);
		else if (r < 880)
			n = printf("%s bench sshd[%u]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s\n", ts, pid, a, u);
		else if (r < 890)
			n = printf("%s bench sshd[%u]: Connection closed by %s port %u [preauth]\n", ts, pid, a, port);
		else if (r < 905) {
			const char *ru = real_users[below(4)];
			n = printf("%s bench sshd[%u]: Accepted publickey for %s from 198.51.100.%u port %u ssh2: ED25519 SHA256:q3X0rV1mB0l4yVdI5bYc3S7o4rj1Ue8mV0m2B2X9k%02u\n", ts, pid, ru, below(30), port, below(4));
			n += printf("%s bench sshd[%u]: pam_unix(sshd:session): session opened for user %s(uid=1000) by (uid=0)\n", ts, pid, ru);
		} else if (r < 915)
			n = printf("%s bench sshd[%u]: pam_unix(sshd:session): session closed for user %s\n", ts, pid, real_users[below(4)]);
		else if (r < 935)
			n = printf("%s bench sudo:   %s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n", ts, real_users[below(4)], below(9), real_users[below(4)]);
		else if (r < 940)
			n = printf("%s bench sudo:   %s : user NOT in sudoers ; TTY=pts/%u ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash\n", ts, real_users[below(4)], below(9));
		else if (r < 950)
			n = printf("%s bench systemd-logind[412]: New session %u of user %s.\n", ts, below(100000), real_users[below(4)]);
		else if (r < 960)
			n = printf("%s bench CRON[%u]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n", ts, pid);
		else if (r < 975)
			n = printf("%s bench sshd[%u]: Disconnected from authenticating user root %s port %u [preauth]\n", ts, pid, a, port);
		else
			n = printf("%s bench kernel: [%u.%06u] IN=eth0 OUT= MAC=00:00:00:00:00:00 SRC=%s DST=10.0.0.1 LEN=40 PROTO=TCP SPT=%u DPT=22\n", ts, below(100000), below(1000000), a, port);
		if (n < 0)
			return 1;
		out += (uint64_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t mb = 0, n_distinct = 0;
	unsigned sources = 50000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--mb") == 0)
			mb = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--distinct") == 0)
			n_distinct = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0)
			rng_state ^= strtoull(argv[i + 1], NULL, 10) * 0x2545F4914F6CDD1DULL;
		else if (strcmp(argv[i], "--sources") == 0)
			sources = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	static char buf[1 << 20];
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	if (n_distinct)
		return distinct(n_distinct);
	if (mb)
		return mix(mb * 1000000, sources ? sources : 1);
	fprintf(stderr, "usage: gen --mb N [--seed S] [--sources N] | gen --distinct N\n");
	return 2;
}
