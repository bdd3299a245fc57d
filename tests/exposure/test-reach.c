/*
 * Tests for exposure/reach: parsers, the nftables decision on real `nft -j`
 * output, fake /proc trees for the edge cases, and live processes this test
 * starts itself (a loopback listener, one inside its own network namespace,
 * one as nobody, seccomp ones, stale executables).
 *
 * The live children are copies of this very binary, exec'd with
 * "child ROLE FD": each package of the fake dpkg root lists its own copy, so
 * each verdict is about one kind of process. Children block reading stdin (a
 * pipe this test holds), so they die with the test whatever happens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../test-tmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exposure/reach-internal.h"
#include "exposure/reach.h"

static char self_path[4096];

/* ------------------------------------------------------------------ helpers */

static char *data_path(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/tests/exposure/reach-data/%s", getenv("MOAT_SOURCE_ROOT"), name) > 0);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	char tmp[4096];
	size_t k;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		fwrite(tmp, 1, k, m);
	fclose(f);
	fclose(m);
	return buf;
}

static char *ruleset(const char *name)
{
	char *p = data_path(name);
	char *j = slurp(p);
	free(p);
	return j;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(buf, 0755);
			*p = '/';
		}
	(void)mkdir(buf, 0755);
}

static void fmt_path(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fmt_path(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	assert_true(k > 0 && (size_t)k < n);
}

static char *make_tmp(void)
{
	char *d = test_tmpdir("reach");
	assert_non_null(d);
	assert_int_equal(chmod(d, 0755), 0); /* nobody must reach the copies inside */
	return d;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	assert_true(in >= 0);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(out >= 0);
	char buf[65536];
	ssize_t k;
	while ((k = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)k), k);
	close(in);
	assert_int_equal(close(out), 0);
	assert_int_equal(chmod(to, mode), 0);
}

static const struct reach_proc *find_pid(const struct reach_info *in, pid_t pid)
{
	for (size_t i = 0; i < in->n_procs; i++)
		if (in->procs[i].pid == pid)
			return &in->procs[i];
	return NULL;
}

/* ------------------------------------------------------------------ parsers */

static void test_parse_status(void **state)
{
	(void)state;
	struct reach_proc p = { .uid = (uid_t)-1, .euid = (uid_t)-1 };
	const char *st = "Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
			 "CapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\nNoNewPrivs:\t1\nSeccomp:\t2\n"
			 "Seccomp_filters:\t3\n";
	assert_int_equal(reach_parse_status(sv_cstr(st), &p), 1);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.euid, 0);
	assert_true(p.cap_eff == 0x1ffffffffffULL);
	assert_true(p.no_new_privs);
	assert_int_equal(p.seccomp, 2);

	struct reach_proc q = { .uid = 7, .euid = 7 };
	/* no Uid line, garbage values: reported as not parsed, nothing invented */
	assert_int_equal(reach_parse_status(sv_cstr("Name:\tx\nCapEff:\tzz\nSeccomp:\t9\nNoNewPrivs:\t-1\n"), &q), 0);
	assert_int_equal(q.uid, 7);
	assert_true(q.cap_eff == 0);
	assert_int_equal(q.seccomp, 0);
	assert_false(q.no_new_privs);
	assert_int_equal(reach_parse_status(sv_cstr("Uid:\t-1\t0\n"), &q), 0);
	assert_int_equal(reach_parse_status(sv_cstr("Uid:\t5"), &q), 0);
	assert_int_equal(reach_parse_status(sv_cstr(""), &q), 0);
	assert_int_equal(reach_parse_status(sv_cstr("Uid:\t99999999999\t1\n"), &q), 0);
	assert_int_equal(reach_parse_status(sv_make("Uid:\t4\t5\n\0junk", 14), &q), 1);
	assert_int_equal(q.euid, 5);
}

static void test_parse_ns(void **state)
{
	(void)state;
	assert_true(reach_parse_ns_link(sv_cstr("net:[4026531840]")) == 4026531840ULL);
	assert_true(reach_parse_ns_link(sv_cstr("socket:[15281]")) == 15281);
	assert_true(reach_parse_ns_link(sv_cstr("net:[]")) == 0);
	assert_true(reach_parse_ns_link(sv_cstr("net:[12")) == 0);
	assert_true(reach_parse_ns_link(sv_cstr("net:[1x2]")) == 0);
	assert_true(reach_parse_ns_link(sv_cstr("")) == 0);
}

/* One /proc/net line, addresses printed the way the kernel does on this host. */
static void net_line(char *buf, size_t n, int family, const char *laddr, unsigned lport, const char *raddr,
		     unsigned rport, const char *st, unsigned long inode)
{
	uint8_t la[16], ra[16];
	int af = family == 4 ? AF_INET : AF_INET6;
	assert_int_equal(inet_pton(af, laddr, la), 1);
	assert_int_equal(inet_pton(af, raddr, ra), 1);
	char l[40] = "", r[40] = "";
	for (int i = 0; i < (family == 4 ? 1 : 4); i++) {
		uint32_t w;
		memcpy(&w, la + 4 * i, 4);
		snprintf(l + 8 * i, 9, "%08X", w);
		memcpy(&w, ra + 4 * i, 4);
		snprintf(r + 8 * i, 9, "%08X", w);
	}
	fmt_path(buf, n,
		 "   3: %s:%04X %s:%04X %s 00000000:00000000 00:00000000 00000000     0        0 %lu 1 0000000000000000 100 0 0 10 0\n",
		 l, lport, r, rport, st, inode);
}

static void test_parse_net(void **state)
{
	(void)state;
	char line[512];
	struct sock_entry e;

	net_line(line, sizeof(line), 4, "127.0.0.1", 631, "0.0.0.0", 0, "0A", 1001);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 4, &e), 1);
	assert_true(e.inode == 1001);
	assert_string_equal(e.s.addr, "127.0.0.1");
	assert_int_equal(e.s.port, 631);
	assert_true(e.s.loopback);
	assert_int_equal(e.s.proto, 6);
	assert_int_equal(e.s.family, 4);
	assert_int_equal(e.s.firewall, -1);

	net_line(line, sizeof(line), 4, "0.0.0.0", 22, "0.0.0.0", 0, "0A", 1002);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 4, &e), 1);
	assert_string_equal(e.s.addr, "0.0.0.0");
	assert_false(e.s.loopback);

	/* established TCP: not listening */
	net_line(line, sizeof(line), 4, "10.0.0.5", 22, "198.51.100.9", 50000, "01", 1003);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 4, &e), 0);

	net_line(line, sizeof(line), 6, "::", 443, "::", 0, "0A", 1004);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 6, &e), 1);
	assert_string_equal(e.s.addr, "::");
	assert_false(e.s.loopback);

	net_line(line, sizeof(line), 6, "::1", 25, "::", 0, "0A", 1005);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 6, &e), 1);
	assert_true(e.s.loopback);

	net_line(line, sizeof(line), 6, "::ffff:127.0.0.53", 53, "::", 0, "0A", 1006);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 6, &e), 1);
	assert_true(e.s.loopback);

	net_line(line, sizeof(line), 6, "2001:db8::1", 8443, "::", 0, "0A", 1007);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 6, 6, &e), 1);
	assert_string_equal(e.s.addr, "2001:db8::1");
	assert_int_equal(e.s.port, 8443);

	/* UDP: bound with no peer listens (state 07), connected does not */
	net_line(line, sizeof(line), 4, "0.0.0.0", 53, "0.0.0.0", 0, "07", 1008);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 17, 4, &e), 1);
	assert_int_equal(e.s.proto, 17);
	net_line(line, sizeof(line), 4, "10.0.0.5", 40000, "9.9.9.9", 53, "01", 1009);
	assert_int_equal(reach_parse_net_line(sv_cstr(line), 17, 4, &e), 0);

	/* header and malformed lines */
	const char *bad[] = {
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
		"",
		"   0: 0100007F:0277",
		"   0: 0100007G:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 15281 1",
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 0 1",
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x 1",
		"   x: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5 1",
		"   0: 0100007F0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(reach_parse_net_line(sv_cstr(bad[i]), 6, 4, &e), 0);
	/* a v4-length address in the v6 table */
	assert_int_equal(reach_parse_net_line(sv_cstr("   0: 0100007F:0277 00000000:0000 0A 0:0 0:0 0 0 0 5 1"), 6, 6,
					      &e),
			 0);
}

/* ------------------------------------------------------------------ firewall */

static void test_firewall_basic(void **state)
{
	(void)state;
	char *j = ruleset("basic.json");
	/* policy drop; lo, established, 22, {80,443}, udp 53, @allowed {8000-8100, 9443},
	 * 5432 from 10/8 only, udp 123, 2222 dropped */
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 22), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 22), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 443), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 80), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 8200), 0);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 8080), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 7999), 0);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 8000), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 8100), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 8101), 0);
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 9443), 1);
	assert_int_equal(reach_firewall_verdict(j, 17, 4, 53), 1);
	assert_int_equal(reach_firewall_verdict(j, 17, 4, 22), 0);	/* tcp dport 22 is not udp */
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 53), 0);	/* udp dport 53 is not tcp */
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 5432), 1);	/* from 10/8: from somewhere */
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 5432), 0);	/* "ip saddr" is IPv4 only */
	assert_int_equal(reach_firewall_verdict(j, 17, 6, 123), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 2222), 0);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 3306), 0);
	/* bad arguments and text */
	assert_int_equal(reach_firewall_verdict(j, 1, 4, 22), -1);
	assert_int_equal(reach_firewall_verdict(j, 6, 5, 22), -1);
	assert_int_equal(reach_firewall_verdict(NULL, 6, 4, 22), -1);
	assert_int_equal(reach_firewall_verdict("{\"nftables\": [", 6, 4, 22), -1);
	assert_int_equal(reach_firewall_verdict("[]", 6, 4, 22), -1);
	free(j);
}

static void test_firewall_tables(void **state)
{
	(void)state;
	char *j = ruleset("v4only.json");
	/* ip table: policy drop but 22; inet table: policy accept but tcp 8080 and udp 5353 */
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 22), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 80), 0);
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 80), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 8080), 0);
	assert_int_equal(reach_firewall_verdict(j, 17, 6, 5353), 0);
	assert_int_equal(reach_firewall_verdict(j, 17, 6, 5354), 1);
	free(j);

	j = ruleset("jump.json");
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 22), 1);
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 443), 1);  /* the IPv6-only jump does not apply */
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 25), 0);
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 443), -1); /* behind a jump: not followed */
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 25), -1);
	assert_int_equal(reach_firewall_verdict(j, 6, 6, 22), 1);
	free(j);

	j = ruleset("empty.json");
	assert_int_equal(reach_firewall_verdict(j, 6, 4, 22), -1); /* nftables not in use */
	free(j);

	/* hand-written shapes nft also prints: no policy (accept), nat chain on input ignored,
	 * ct state new, th dport, ranges, ordered compare */
	const char *h = "{\"nftables\":[{\"table\":{\"family\":\"inet\",\"name\":\"t\"}},"
			"{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"n\",\"type\":\"nat\",\"hook\":\"input\",\"policy\":\"drop\"}},"
			"{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"in\",\"type\":\"filter\",\"hook\":\"input\",\"policy\":\"drop\"}},"
			"{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"in\",\"expr\":["
			"{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":\"new\"}},"
			"{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"th\",\"field\":\"dport\"}},\"right\":{\"range\":[6000,6010]}}},"
			"{\"accept\":null}]}},"
			"{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"in\",\"expr\":["
			"{\"match\":{\"op\":\">=\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":60000}},"
			"{\"accept\":null}]}},"
			"{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"in\",\"expr\":["
			"{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"eth1\"}},"
			"{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":7000}},"
			"{\"accept\":null}]}}]}";
	assert_int_equal(reach_firewall_verdict(h, 17, 4, 6005), 1);
	assert_int_equal(reach_firewall_verdict(h, 6, 6, 6010), 1);
	assert_int_equal(reach_firewall_verdict(h, 6, 4, 6011), 0);
	assert_int_equal(reach_firewall_verdict(h, 6, 4, 60001), 1);
	assert_int_equal(reach_firewall_verdict(h, 17, 4, 60001), 0);
	assert_int_equal(reach_firewall_verdict(h, 6, 4, 7000), 1); /* only on eth1: still from outside */
	const char *open = "{\"nftables\":[{\"table\":{\"family\":\"ip\",\"name\":\"t\"}},"
			   "{\"chain\":{\"family\":\"ip\",\"table\":\"t\",\"name\":\"in\",\"type\":\"filter\",\"hook\":\"input\"}}]}";
	assert_int_equal(reach_firewall_verdict(open, 6, 4, 1), 1);
	assert_int_equal(reach_firewall_verdict(open, 6, 6, 1), 1); /* no ip6/inet chain: nothing filters */
}

/* ------------------------------------------------------------------ fake /proc */

struct fake {
	char *tmp;
	char proc[4096], root[4096];
};

static void fake_file(struct fake *f, const char *rel, const char *text)
{
	char p[4096], dir[4096];
	fmt_path(p, sizeof(p), "%s/%s", f->proc, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	write_text(p, text);
}

static void fake_link(struct fake *f, const char *rel, const char *target)
{
	char p[4096], dir[4096];
	fmt_path(p, sizeof(p), "%s/%s", f->proc, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	assert_int_equal(symlink(target, p), 0);
}

static void fake_proc(struct fake *f, int pid, const char *exe, const char *maps, const char *status, const char *net,
		      const char *root)
{
	char rel[256];
	if (exe) {
		fmt_path(rel, sizeof(rel), "%d/exe", pid);
		fake_link(f, rel, exe);
	}
	fmt_path(rel, sizeof(rel), "%d/maps", pid);
	fake_file(f, rel, maps);
	if (status) {
		fmt_path(rel, sizeof(rel), "%d/status", pid);
		fake_file(f, rel, status);
		fmt_path(rel, sizeof(rel), "%d/comm", pid);
		fake_file(f, rel, "daemon\n");
	}
	if (net) {
		fmt_path(rel, sizeof(rel), "%d/ns/net", pid);
		fake_link(f, rel, net);
		fmt_path(rel, sizeof(rel), "%d/ns/mnt", pid);
		fake_link(f, rel, "mnt:[4026531841]");
		fmt_path(rel, sizeof(rel), "%d/ns/pid", pid);
		fake_link(f, rel, "pid:[4026531836]");
	}
	if (root) {
		fmt_path(rel, sizeof(rel), "%d/root", pid);
		fake_link(f, rel, root);
	}
}

static const char *status_root = "Name:\tdaemon\nUid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\nNoNewPrivs:\t0\nSeccomp:\t0\n";
static const char *status_user = "Name:\tdaemon\nUid:\t101\t101\t101\t101\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t0\n";

static void fake_setup(struct fake *f)
{
	f->tmp = make_tmp();
	fmt_path(f->proc, sizeof(f->proc), "%s/proc", f->tmp);
	fmt_path(f->root, sizeof(f->root), "%s/root", f->tmp);
	char p[4096];
	/* ROOT: merged /usr, dpkg lists, the library on disk */
	fmt_path(p, sizeof(p), "%s/usr/lib/x86_64-linux-gnu", f->root);
	mkdirs(p);
	fmt_path(p, sizeof(p), "%s/lib", f->root);
	assert_int_equal(symlink("usr/lib", p), 0);
	fmt_path(p, sizeof(p), "%s/usr/lib/x86_64-linux-gnu/libfake.so.1", f->root);
	write_text(p, "not really a library\n");
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info", f->root);
	mkdirs(p);
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/fakedaemon.list", f->root);
	write_text(p, "/.\n/usr\n/usr/sbin\n/usr/sbin/fakedaemon\n");
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/libfake1:amd64.list", f->root);
	write_text(p, "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libfake.so.1\n");
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/fakedata.list", f->root);
	write_text(p, "/usr/share/fake/data.bin\n");
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/fakecat.list", f->root);
	write_text(p, "/usr/bin/cat\n");
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/idle.list", f->root);
	write_text(p, "/usr/bin/idle\n");

	struct stat st;
	fmt_path(p, sizeof(p), "%s/usr/lib/x86_64-linux-gnu/libfake.so.1", f->root);
	assert_int_equal(stat(p, &st), 0);
	char same[8192], other[8192];
	/* the library as mapped through ROOT: once the very file on disk, once another inode
	 * on the same device (replaced under the process) */
	fmt_path(same, sizeof(same),
		 "7f0000000000-7f0000001000 r-xp 00000000 %02x:%02x %lu %s/usr/lib/x86_64-linux-gnu/libfake.so.1\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino, f->root);
	fmt_path(other, sizeof(other),
		 "7f0000000000-7f0000001000 r-xp 00000000 %02x:%02x %lu %s/usr/lib/x86_64-linux-gnu/libfake.so.1\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino + 1000000, f->root);

	fake_link(f, "self", "100");
	fake_link(f, "1/ns/net", "net:[4026531840]");
	fake_link(f, "1/ns/mnt", "mnt:[4026531841]");
	fake_link(f, "1/ns/pid", "pid:[4026531836]");

	char tcp[2048], l1[256], l2[256], l3[256];
	net_line(l1, sizeof(l1), 4, "0.0.0.0", 22, "0.0.0.0", 0, "0A", 5001);
	net_line(l2, sizeof(l2), 4, "127.0.0.1", 631, "0.0.0.0", 0, "0A", 5002);
	net_line(l3, sizeof(l3), 4, "10.1.2.3", 3306, "0.0.0.0", 0, "0A", 5003);
	fmt_path(tcp, sizeof(tcp), "  sl  local_address rem_address   st ...\n%s%s%s", l1, l2, l3);

	/* 100: root daemon, listens on *:22 and 127.0.0.1:631, maps the library (same inode) */
	char maps[16384];
	fmt_path(maps, sizeof(maps),
		 "55d000000000-55d000001000 r--p 00000000 08:01 777 /usr/sbin/fakedaemon\n"
		 "55d000001000-55d000002000 r-xp 00001000 08:01 777 /usr/sbin/fakedaemon\n"
		 "%s"
		 "7f0000100000-7f0000101000 r--p 00000000 08:01 999 /usr/share/fake/data.bin\n"
		 "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
		 "7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]\n",
		 same);
	fake_proc(f, 100, "/usr/sbin/fakedaemon", maps, status_root, "net:[4026531840]", "/");
	fake_link(f, "100/fd/0", "/dev/null");
	fake_link(f, "100/fd/3", "socket:[5001]");
	fake_link(f, "100/fd/4", "socket:[5002]");
	fake_link(f, "100/fd/5", "socket:[5001]"); /* dup'ed descriptor: one socket */
	fake_link(f, "100/fd/6", "socket:[424242]"); /* not listening */
	fake_file(f, "100/net/tcp", tcp);

	/* 200: same daemon as a worker: unprivileged, maps the library deleted on disk */
	fmt_path(maps, sizeof(maps),
		 "55d000000000-55d000001000 r-xp 00000000 08:01 777 /usr/sbin/fakedaemon\n"
		 "7f0000000000-7f0000001000 r-xp 00000000 08:01 31337 /usr/lib/x86_64-linux-gnu/libfake.so.1 (deleted)\n");
	fake_proc(f, 200, "/usr/sbin/fakedaemon", maps, status_user, "net:[4026531840]", "/");
	fake_link(f, "200/fd/3", "socket:[5003]");
	fake_file(f, "200/net/tcp", tcp);

	/* 300: status without a Uid line, no comm, no ns, in a chroot; maps the library replaced */
	fmt_path(maps, sizeof(maps), "%s", other);
	fake_proc(f, 300, NULL, maps, "Name:\tbroken\nCapEff:\tnothex\n", NULL, "/");
	fmt_path(p, sizeof(p), "%s/300/comm", f->proc);
	assert_int_equal(unlink(p), 0);

	/* 400: another network namespace, listening on its own address */
	fake_proc(f, 400, "/usr/sbin/fakedaemon", "55d000000000-55d000001000 r-xp 00000000 08:01 777 /usr/sbin/fakedaemon\n",
		  status_user, "net:[4026532999]", "/");
	fake_link(f, "400/fd/7", "socket:[6001]");
	char tcp2[1024];
	net_line(l1, sizeof(l1), 4, "10.77.0.1", 9999, "0.0.0.0", 0, "0A", 6001);
	fmt_path(tcp2, sizeof(tcp2), "%s", l1);
	fake_file(f, "400/net/tcp", tcp2);

	/* 500: a kernel thread (no exe, empty maps); 600: maps only data; "self"-like junk names */
	fake_proc(f, 500, NULL, "", status_root, NULL, NULL);
	fake_proc(f, 600, "/usr/bin/cat", "7f0000100000-7f0000101000 r--p 00000000 08:01 999 /usr/share/fake/data.bin\n"
					   "garbage line\n\n7f00-7f01 r-xp 0 zz:01 5 /x\n",
		  status_user, NULL, NULL);
	fake_link(f, "600/root", "/srv/jail");
	/* 700: in a mount namespace of its own (a container): its libfake is another file at the
	 * same path, not a replaced one */
	fake_proc(f, 700, NULL, other, status_user, NULL, "/");
	fake_link(f, "700/ns/mnt", "mnt:[4026532500]");
	fake_link(f, "700/ns/pid", "pid:[4026532501]");
	fake_file(f, "notapid/maps", "");
	fake_file(f, "0/maps", "");
}

static void fake_teardown(struct fake *f)
{
	test_rmtree(f->tmp);
	free(f->tmp);
}

static void test_fake_tree(void **state)
{
	(void)state;
	struct fake f;
	fake_setup(&f);
	struct reach_snapshot *s = NULL;
	char *err = NULL;
	assert_int_equal(reach_snapshot_take(f.proc, f.root, &s, &err), 0);
	assert_null(err);
	assert_int_equal(reach_snapshot_processes(s), 6); /* 100 200 300 400 600 700 */
	assert_int_equal(reach_snapshot_unreadable(s), 0);
	char *j = ruleset("basic.json");
	assert_int_equal(reach_snapshot_set_ruleset(s, j), 0);
	free(j);

	struct reach_info in;
	assert_int_equal(reach_for_package(s, "fakedaemon", &in), 0);
	assert_int_equal(in.n_procs, 3); /* 100 200 400 */
	const struct reach_proc *p = find_pid(&in, 100);
	assert_non_null(p);
	assert_string_equal(p->comm, "daemon");
	assert_string_equal(p->exe, "/usr/sbin/fakedaemon");
	assert_int_equal(p->uid, 0);
	assert_true(p->cap_eff == 0x1ffffffffffULL);
	assert_false(p->own_net_ns);
	assert_false(p->chrooted);
	assert_false(p->stale);
	assert_int_equal(p->n_sockets, 2);
	assert_string_equal(p->sockets[0].addr, "0.0.0.0");
	assert_int_equal(p->sockets[0].port, 22);
	assert_int_equal(p->sockets[0].firewall, 1); /* basic.json lets 22 in */
	assert_string_equal(p->sockets[1].addr, "127.0.0.1");
	assert_true(p->sockets[1].loopback);
	assert_int_equal(p->sockets[1].firewall, -1);
	p = find_pid(&in, 200);
	assert_non_null(p);
	assert_int_equal(p->uid, 101);
	assert_true(p->no_new_privs);
	assert_int_equal(p->n_sockets, 1);
	assert_int_equal(p->sockets[0].port, 3306);
	assert_int_equal(p->sockets[0].firewall, 0); /* 3306 is not let in */
	assert_false(p->stale); /* the deleted file is libfake's, not fakedaemon's */
	p = find_pid(&in, 400);
	assert_non_null(p);
	assert_true(p->own_net_ns);
	assert_int_equal(p->n_sockets, 1);
	assert_string_equal(p->sockets[0].addr, "10.77.0.1");
	assert_int_equal(p->sockets[0].firewall, -1); /* another namespace's ruleset: unknown */
	assert_true(in.running && in.listening && in.remote && in.privileged);
	assert_false(in.sandboxed);
	assert_string_equal(in.verdict, "exposed-remote, privileged");
	reach_info_done(&in);
	assert_null(in.procs);

	/* the library: listed as /lib/… (usr-merge), mapped as /usr/lib/… */
	assert_int_equal(reach_for_package(s, "libfake1", &in), 0);
	assert_int_equal(in.n_procs, 4); /* 100 200 300 700 */
	p = find_pid(&in, 700);
	assert_true(p->own_mnt_ns && p->own_pid_ns);
	assert_false(p->stale);
	p = find_pid(&in, 100);
	assert_false(p->stale);
	p = find_pid(&in, 200);
	assert_true(p->stale); /* "(deleted)" */
	assert_string_equal(p->stale_file, "/usr/lib/x86_64-linux-gnu/libfake.so.1");
	p = find_pid(&in, 300);
	assert_true(p->stale); /* same device, another inode than the file now on disk */
	assert_true(p->unknown_status);
	assert_false(p->chrooted);
	assert_string_equal(p->comm, "");
	assert_string_equal(in.verdict, "exposed-remote, privileged");
	reach_info_done(&in);
	assert_int_equal(reach_for_package(s, "libfake1:amd64", &in), 0);
	assert_int_equal(in.n_procs, 4);
	reach_info_done(&in);
	assert_int_equal(reach_for_package(s, "libfake1:i386", &in), 0);
	assert_int_equal(in.n_procs, 0);
	reach_info_done(&in);

	/* chrooted, unprivileged: sandboxed */
	assert_int_equal(reach_for_package(s, "fakecat", &in), 0);
	assert_int_equal(in.n_procs, 1);
	assert_true(in.procs[0].chrooted);
	assert_int_equal(in.procs[0].uid, 101);
	assert_false(in.privileged);
	assert_string_equal(in.verdict, "local-only, sandboxed");
	reach_info_done(&in);

	/* a data file mapped read-only is not the package running */
	assert_int_equal(reach_for_package(s, "fakedata", &in), 0);
	assert_false(in.running);
	assert_string_equal(in.verdict, "not running");
	reach_info_done(&in);
	assert_int_equal(reach_for_package(s, "idle", &in), 0);
	assert_string_equal(in.verdict, "not running");
	reach_info_done(&in);
	assert_int_equal(reach_for_package(s, "no-such-package", &in), 0);
	assert_string_equal(in.verdict, "not running");
	reach_info_done(&in);
	assert_int_equal(reach_for_package(s, "../../etc/passwd", &in), -EINVAL);
	assert_int_equal(reach_for_package(s, "a/b", &in), -EINVAL);
	assert_int_equal(reach_for_package(s, "", &in), -EINVAL);
	assert_int_equal(reach_for_package(s, "x:", &in), -EINVAL);
	assert_int_equal(reach_for_package(s, ".hidden", &in), -EINVAL);

	reach_snapshot_free(s);
	assert_null(reach_snapshot_free(NULL));
	fake_teardown(&f);
}

struct stale_seen {
	char pkg[8][64];
	pid_t pid[8];
	char file[8][256];
	int n;
};

static void on_stale(void *ud, const char *package, const struct reach_proc *p)
{
	struct stale_seen *s = ud;
	assert_true(p->stale);
	if (s->n < 8) {
		snprintf(s->pkg[s->n], sizeof(s->pkg[0]), "%s", package);
		s->pid[s->n] = p->pid;
		snprintf(s->file[s->n], sizeof(s->file[0]), "%s", p->stale_file);
		s->n++;
	}
}

static void test_fake_stale_and_firewall(void **state)
{
	(void)state;
	struct fake f;
	fake_setup(&f);
	struct reach_snapshot *s = NULL;
	assert_int_equal(reach_snapshot_take(f.proc, f.root, &s, NULL), 0);
	struct stale_seen seen = { 0 };
	assert_int_equal(reach_foreach_stale(s, on_stale, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.pkg[0], "libfake1"); /* without ":amd64" */
	assert_int_equal(seen.pid[0], 200);
	assert_string_equal(seen.file[0], "/usr/lib/x86_64-linux-gnu/libfake.so.1");
	assert_string_equal(seen.pkg[1], "libfake1");
	assert_int_equal(seen.pid[1], 300);

	/* no nftables: every non-loopback port counts as reachable */
	assert_int_equal(reach_snapshot_set_ruleset(s, NULL), 0);
	struct reach_info in;
	assert_int_equal(reach_for_package(s, "fakedaemon", &in), 0);
	const struct reach_proc *p = find_pid(&in, 200);
	assert_int_equal(p->sockets[0].firewall, -1);
	assert_true(in.remote);
	reach_info_done(&in);
	assert_int_equal(reach_snapshot_set_ruleset(s, "not json"), -EINVAL);

	/* a ruleset that drops everything from outside: only the other namespace stays remote */
	const char *drop = "{\"nftables\":[{\"table\":{\"family\":\"inet\",\"name\":\"t\"}},"
			   "{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"in\",\"type\":\"filter\",\"hook\":\"input\",\"policy\":\"drop\"}}]}";
	assert_int_equal(reach_snapshot_set_ruleset(s, drop), 0);
	assert_int_equal(reach_for_package(s, "fakedaemon", &in), 0);
	assert_int_equal(find_pid(&in, 100)->sockets[0].firewall, 0);
	assert_int_equal(find_pid(&in, 200)->sockets[0].firewall, 0);
	assert_true(in.remote); /* pid 400's namespace: unknown, not known blocked */
	reach_info_done(&in);
	reach_snapshot_free(s);

	/* the same through MOAT_NFT_JSON, read on first need */
	char *path = data_path("basic.json");
	setenv("MOAT_NFT_JSON", path, 1);
	assert_int_equal(reach_snapshot_take(f.proc, f.root, &s, NULL), 0);
	assert_int_equal(reach_for_package(s, "fakedaemon", &in), 0);
	assert_int_equal(find_pid(&in, 100)->sockets[0].firewall, 1);
	assert_int_equal(find_pid(&in, 200)->sockets[0].firewall, 0);
	reach_info_done(&in);
	reach_snapshot_free(s);
	unsetenv("MOAT_NFT_JSON");
	free(path);

	/* missing proc root and root */
	char *err = NULL;
	assert_int_equal(reach_snapshot_take("/nonexistent-proc", f.root, &s, &err), -ENOENT);
	assert_non_null(err);
	assert_non_null(strstr(err, "/nonexistent-proc"));
	free(err);
	err = NULL;
	assert_int_equal(reach_snapshot_take(f.proc, "/nonexistent-root", &s, &err), -ENOENT);
	free(err);
	fake_teardown(&f);
}

/* ------------------------------------------------------------------ live children */

static int child_listen(int family, const char *addr, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			return -1;
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			return -1;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return -1;
	if (type == SOCK_STREAM && listen(fd, 4) < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				 : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int write_file_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t k = write(fd, s, strlen(s));
	close(fd);
	return k == (ssize_t)strlen(s) ? 0 : -1;
}

/* A network namespace of our own with 10.77.0.1 on its lo: reachable from nowhere. */
static const char *child_netns(void)
{
	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			return "unshare(CLONE_NEWNET) failed";
	} else {
		uid_t uid = getuid();
		gid_t gid = getgid();
		char map[64];
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			return "unshare(CLONE_NEWUSER|CLONE_NEWNET) failed (user namespaces disabled?)";
		(void)write_file_str("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if (write_file_str("/proc/self/uid_map", map) < 0)
			return "uid_map";
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		if (write_file_str("/proc/self/gid_map", map) < 0)
			return "gid_map";
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	memcpy(ifr.ifr_name, "lo", 3);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return "SIOCGIFFLAGS";
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return "SIOCSIFFLAGS lo up";
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo:1", 5);
	struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, "10.77.0.1", &a->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		return "SIOCSIFADDR 10.77.0.1";
	close(fd);
	return NULL;
}

static int child_main(const char *role, const char *fdtext)
{
	int out = (int)strtol(fdtext, NULL, 10);
	char msg[128];
	int port = 0;
	if (strcmp(role, "lo") == 0) {
		port = child_listen(AF_INET, "127.0.0.1", SOCK_STREAM);
		if (port > 0 && child_listen(AF_INET6, "::1", SOCK_DGRAM) < 0)
			port = -1;
	} else if (strcmp(role, "netns") == 0) {
		const char *why = child_netns();
		if (why) {
			snprintf(msg, sizeof(msg), "SKIP %s\n", why);
			(void)!write(out, msg, strlen(msg));
			return 0;
		}
		port = child_listen(AF_INET, "10.77.0.1", SOCK_STREAM);
		if (port > 0 && child_listen(AF_INET, "10.77.0.1", SOCK_DGRAM) < 0)
			port = -1;
	} else if (strcmp(role, "filter") == 0) {
		port = child_listen(AF_INET, "127.0.0.1", SOCK_STREAM);
		struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		struct sock_fprog prog = { .len = 1, .filter = allow };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			port = -1;
	} else if (strcmp(role, "strict") == 0) {
		snprintf(msg, sizeof(msg), "OK 0\n");
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) < 0)
			snprintf(msg, sizeof(msg), "ERR seccomp strict\n");
		/* from here on only read, write and exit */
		(void)!write(out, msg, strlen(msg));
		char c;
		while (read(0, &c, 1) > 0)
			;
		return 0;
	} else if (strcmp(role, "idle") == 0)
		port = 0;
	else
		port = -1;
	if (port < 0)
		snprintf(msg, sizeof(msg), "ERR %s: %s\n", role, strerror(errno));
	else
		snprintf(msg, sizeof(msg), "OK %d\n", port);
	(void)!write(out, msg, strlen(msg));
	close(out);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

struct child {
	pid_t pid;
	int port; /* -1 error, -2 skipped */
	char why[128];
};

struct live {
	char *tmp;   /* ROOT */
	int hold[2]; /* children's stdin: they exit when it closes */
	struct child lo, netns, nobody, filter, strict;
	pid_t stale_del, stale_repl;
	bool root;
};

static void add_pkg(struct live *L, const char *pkg, const char *bin, const char *copy_from)
{
	char p[4096], list[4096];
	fmt_path(p, sizeof(p), "%s/opt/%s", L->tmp, pkg);
	mkdirs(p);
	fmt_path(p, sizeof(p), "%s/opt/%s/%s", L->tmp, pkg, bin);
	copy_file(copy_from, p, 0755);
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info", L->tmp);
	mkdirs(p);
	fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/%s.list", L->tmp, pkg);
	fmt_path(list, sizeof(list), "/.\n/opt\n/opt/%s\n/opt/%s/%s\n", pkg, pkg, bin);
	write_text(p, list);
}

/* Starts the copy of this binary for pkg in ROLE and waits for "OK port". */
static void start_child(struct live *L, struct child *c, const char *pkg, const char *role, bool as_nobody)
{
	char bin[4096];
	fmt_path(bin, sizeof(bin), "%s/opt/%s/reach-child", L->tmp, pkg);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(L->hold[0], 0);
		int w = dup(p[1]); /* without CLOEXEC: survives the exec */
		char fd[16];
		snprintf(fd, sizeof(fd), "%d", w);
		if (as_nobody && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
			_exit(111);
		char *argv[] = { "reach-child", "child", (char *)role, fd, NULL };
		execv(bin, argv);
		_exit(112);
	}
	close(p[1]);
	c->pid = pid;
	c->port = -1;
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	char buf[160] = "";
	if (poll(&pf, 1, 20000) == 1) {
		ssize_t k = read(p[0], buf, sizeof(buf) - 1);
		buf[k > 0 ? k : 0] = '\0';
	}
	close(p[0]);
	if (strncmp(buf, "OK ", 3) == 0)
		c->port = (int)strtol(buf + 3, NULL, 10);
	else if (strncmp(buf, "SKIP ", 5) == 0)
		c->port = -2;
	snprintf(c->why, sizeof(c->why), "%.127s", buf);
}

static pid_t start_sleep(struct live *L, const char *pkg)
{
	char bin[4096];
	fmt_path(bin, sizeof(bin), "%s/opt/%s/sleep", L->tmp, pkg);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(L->hold[0], 0);
		char *argv[] = { "sleep", "300", NULL };
		execv(bin, argv);
		_exit(112);
	}
	/* wait until the exec happened: the exe link then points at the copy */
	char link[4096], want[4096];
	fmt_path(want, sizeof(want), "/proc/%d/exe", pid);
	for (int i = 0; i < 2000; i++) {
		ssize_t n = readlink(want, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			if (strstr(link, "/opt/") && strstr(link, "/sleep"))
				return pid;
		}
		usleep(1000);
	}
	fail_msg("sleep child did not exec");
	return pid;
}

static int live_setup(void **state)
{
	struct live *L = calloc(1, sizeof(*L));
	L->tmp = make_tmp();
	L->root = geteuid() == 0;
	if (pipe2(L->hold, O_CLOEXEC) < 0)
		return -1;
	static const char *const pkgs[] = { "lopkg", "nspkg", "nobodypkg", "filterpkg", "strictpkg", "idlepkg" };
	for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++)
		add_pkg(L, pkgs[i], "reach-child", self_path);
	add_pkg(L, "stalepkg", "sleep", "/bin/sleep");
	{
		/* this test binary itself, by its own path (outside ROOT) */
		char p[4096], list[4200];
		fmt_path(p, sizeof(p), "%s/var/lib/dpkg/info/selfpkg.list", L->tmp);
		fmt_path(list, sizeof(list), "%s\n", self_path);
		write_text(p, list);
	}
	add_pkg(L, "replpkg", "sleep", "/bin/sleep");
	start_child(L, &L->lo, "lopkg", "lo", false);
	start_child(L, &L->netns, "nspkg", "netns", false);
	start_child(L, &L->filter, "filterpkg", "filter", false);
	start_child(L, &L->strict, "strictpkg", "strict", false);
	if (L->root)
		start_child(L, &L->nobody, "nobodypkg", "idle", true);
	L->stale_del = start_sleep(L, "stalepkg");
	L->stale_repl = start_sleep(L, "replpkg");
	*state = L;
	return 0;
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int live_teardown(void **state)
{
	struct live *L = *state;
	close(L->hold[1]);
	close(L->hold[0]);
	reap(L->lo.pid);
	reap(L->netns.pid);
	reap(L->filter.pid);
	reap(L->strict.pid);
	reap(L->nobody.pid);
	reap(L->stale_del);
	reap(L->stale_repl);
	test_rmtree(L->tmp);
	free(L->tmp);
	free(L);
	return 0;
}

static struct reach_snapshot *live_snapshot(struct live *L)
{
	struct reach_snapshot *s = NULL;
	char *err = NULL;
	assert_int_equal(reach_snapshot_take("/proc", L->tmp, &s, &err), 0);
	assert_null(err);
	assert_int_equal(reach_snapshot_set_ruleset(s, NULL), 0); /* never the host's ruleset here */
	return s;
}

static void test_live_loopback(void **state)
{
	struct live *L = *state;
	if (L->lo.port <= 0)
		fail_msg("loopback child: %s", L->lo.why);
	struct reach_snapshot *s = live_snapshot(L);
	struct reach_info in;
	assert_int_equal(reach_for_package(s, "lopkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	const struct reach_proc *p = &in.procs[0];
	assert_int_equal(p->pid, L->lo.pid);
	assert_string_equal(p->comm, "reach-child");
	assert_non_null(strstr(p->exe, "/opt/lopkg/reach-child"));
	assert_int_equal(p->uid, geteuid());
	assert_false(p->own_net_ns);
	assert_false(p->stale);
	assert_int_equal(p->n_sockets, 2);
	bool tcp = false, udp = false;
	for (size_t i = 0; i < p->n_sockets; i++) {
		const struct reach_socket *k = &p->sockets[i];
		assert_true(k->loopback);
		if (k->proto == 6) {
			tcp = true;
			assert_int_equal(k->family, 4);
			assert_string_equal(k->addr, "127.0.0.1");
			assert_int_equal(k->port, L->lo.port);
		} else {
			udp = true;
			assert_int_equal(k->family, 6);
			assert_string_equal(k->addr, "::1");
		}
	}
	assert_true(tcp && udp);
	assert_true(in.running && in.listening);
	assert_false(in.remote);
	assert_false(in.sandboxed);
	assert_string_equal(in.verdict, L->root ? "local-only, privileged" : "local-only, unprivileged");
	reach_info_done(&in);

	/* a package whose list exists but nothing runs it */
	assert_int_equal(reach_for_package(s, "idlepkg", &in), 0);
	assert_false(in.running);
	assert_string_equal(in.verdict, "not running");
	reach_info_done(&in);
	reach_snapshot_free(s);
}

static void test_live_netns(void **state)
{
	struct live *L = *state;
	if (L->netns.port == -2) {
		print_message("skipping the network namespace case: %s", L->netns.why);
		skip();
	}
	if (L->netns.port <= 0)
		fail_msg("netns child: %s", L->netns.why);
	struct reach_snapshot *s = live_snapshot(L);
	struct reach_info in;
	assert_int_equal(reach_for_package(s, "nspkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	const struct reach_proc *p = &in.procs[0];
	assert_int_equal(p->pid, L->netns.pid);
	assert_true(p->own_net_ns);
	assert_int_equal(p->n_sockets, 2);
	for (size_t i = 0; i < p->n_sockets; i++) {
		assert_string_equal(p->sockets[i].addr, "10.77.0.1");
		assert_false(p->sockets[i].loopback);
		assert_int_equal(p->sockets[i].firewall, -1);
		if (p->sockets[i].proto == 6)
			assert_int_equal(p->sockets[i].port, L->netns.port);
	}
	assert_true(in.remote && in.sandboxed);
	assert_string_equal(in.verdict, "exposed-remote, sandboxed");
	reach_info_done(&in);
	reach_snapshot_free(s);
}

static void test_live_nobody(void **state)
{
	struct live *L = *state;
	if (!L->root) {
		print_message("not root: skipping the other-uid case\n");
		skip();
	}
	if (L->nobody.port < 0)
		fail_msg("nobody child: %s", L->nobody.why);
	struct reach_snapshot *s = live_snapshot(L);
	struct reach_info in;
	assert_int_equal(reach_for_package(s, "nobodypkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	const struct reach_proc *p = &in.procs[0];
	assert_int_equal(p->uid, 65534);
	assert_int_equal(p->euid, 65534);
	assert_true(p->cap_eff == 0);
	assert_false(p->unknown_status);
	assert_int_equal(p->n_sockets, 0);
	assert_false(in.privileged);
	assert_string_equal(in.verdict, "local-only, unprivileged");
	reach_info_done(&in);
	reach_snapshot_free(s);
}

static void test_live_seccomp(void **state)
{
	struct live *L = *state;
	if (L->filter.port <= 0)
		fail_msg("filter child: %s", L->filter.why);
	if (L->strict.port < 0)
		fail_msg("strict child: %s", L->strict.why);
	struct reach_snapshot *s = live_snapshot(L);
	struct reach_info in;
	assert_int_equal(reach_for_package(s, "filterpkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	assert_int_equal(in.procs[0].seccomp, 2);
	assert_true(in.procs[0].no_new_privs);
	assert_int_equal(in.procs[0].n_sockets, 1);
	assert_true(in.sandboxed);
	assert_string_equal(in.verdict, "local-only, sandboxed");
	reach_info_done(&in);

	assert_int_equal(reach_for_package(s, "strictpkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	assert_int_equal(in.procs[0].seccomp, 1);
	assert_false(in.listening);
	assert_string_equal(in.verdict, "local-only, sandboxed");
	reach_info_done(&in);
	reach_snapshot_free(s);
}

static void test_live_stale(void **state)
{
	struct live *L = *state;
	struct reach_snapshot *s = live_snapshot(L);
	struct reach_info in;
	struct stale_seen seen = { 0 };
	/* freshly started: nothing stale */
	assert_int_equal(reach_for_package(s, "stalepkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	assert_int_equal(in.procs[0].pid, L->stale_del);
	assert_false(in.procs[0].stale);
	reach_info_done(&in);
	assert_int_equal(reach_foreach_stale(s, on_stale, &seen), 0);
	assert_int_equal(seen.n, 0);
	reach_snapshot_free(s);

	/* delete one executable, replace the other (new inode, as dpkg's rename does) */
	char p[4096], tmp[4096];
	fmt_path(p, sizeof(p), "%s/opt/stalepkg/sleep", L->tmp);
	assert_int_equal(unlink(p), 0);
	fmt_path(p, sizeof(p), "%s/opt/replpkg/sleep", L->tmp);
	fmt_path(tmp, sizeof(tmp), "%s/opt/replpkg/sleep.dpkg-new", L->tmp);
	copy_file("/bin/sleep", tmp, 0755);
	assert_int_equal(rename(tmp, p), 0);

	s = live_snapshot(L);
	assert_int_equal(reach_for_package(s, "stalepkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	assert_true(in.procs[0].stale);
	assert_string_equal(in.procs[0].stale_file, "/opt/stalepkg/sleep");
	assert_non_null(strstr(in.procs[0].exe, " (deleted)"));
	reach_info_done(&in);
	assert_int_equal(reach_for_package(s, "replpkg", &in), 0);
	assert_int_equal(in.n_procs, 1);
	assert_true(in.procs[0].stale);
	assert_string_equal(in.procs[0].stale_file, "/opt/replpkg/sleep");
	/* renamed over: the old inode lost its last name, as with dpkg's upgrade */
	assert_non_null(strstr(in.procs[0].exe, " (deleted)"));
	reach_info_done(&in);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(reach_foreach_stale(s, on_stale, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.pkg[0], "replpkg");
	assert_int_equal(seen.pid[0], L->stale_repl);
	assert_string_equal(seen.pkg[1], "stalepkg");
	assert_int_equal(seen.pid[1], L->stale_del);
	reach_snapshot_free(s);
}


/* Runs fn in a forked child and returns its exit status (0 pass, 77 skip, else the failing step). */
static int in_child(int (*fn)(struct live *L), struct live *L)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(L));
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int nft_child(struct live *L)
{
	if (child_netns() != NULL)
		return 77;
	/* load basic.nft into this throw-away namespace with the real nft */
	char *src = NULL;
	if (asprintf(&src, "%s/tests/exposure/reach-data/basic.nft", getenv("MOAT_SOURCE_ROOT")) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "nft", "-f", src, NULL };
		char *envp[] = { "PATH=/usr/sbin:/usr/bin", NULL };
		execve(REACH_NFT_PATH, argv, envp);
		_exit(127);
	}
	int st;
	bool loaded = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	free(src);
	if (!loaded)
		return 2;
	/* fixed ports: this namespace is empty, so they are free */
	int s22 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s3306 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_port = htons(22);
	if (bind(s22, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s22, 1) < 0)
		return 3;
	sa.sin_port = htons(3306);
	if (bind(s3306, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s3306, 1) < 0)
		return 4;
	char *json = NULL;
	if (reach_nft_list_ruleset(&json) < 0 || !strstr(json, "\"nftables\""))
		return 5;
	free(json);
	struct reach_snapshot *s = NULL;
	if (reach_snapshot_take("/proc", L->tmp, &s, NULL) < 0)
		return 6;
	struct reach_info in;
	if (reach_for_package(s, "selfpkg", &in) < 0)
		return 7;
	const struct reach_proc *me = find_pid(&in, getpid());
	if (!me)
		return 8;
	int seen = 0;
	for (size_t i = 0; i < me->n_sockets; i++) {
		const struct reach_socket *k = &me->sockets[i];
		if (k->port == 22 && k->firewall == 1)
			seen |= 1; /* basic.nft lets 22 in */
		if (k->port == 3306 && k->firewall == 0)
			seen |= 2; /* and nothing else */
	}
	if (seen != 3)
		return 9;
	if (!in.remote || strncmp(in.verdict, "exposed-remote, ", 16) != 0)
		return 10;
	reach_info_done(&in);
	reach_snapshot_free(s);
	return 0;
}

/* The whole firewall path for real: nft run by reach inside a namespace of our own. */
static void test_live_nft(void **state)
{
	struct live *L = *state;
	if (access(REACH_NFT_PATH, X_OK) != 0) {
		print_message("no %s: skipping\n", REACH_NFT_PATH);
		skip();
	}
	int r = in_child(nft_child, L);
	if (r == 77) {
		print_message("cannot create a network namespace: skipping the nft case\n");
		skip();
	}
	assert_int_equal(r, 0);
}

static int unpriv_child(struct live *L)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return 1;
	char *json = NULL;
	if (reach_nft_list_ruleset(&json) >= 0) /* nobody may not read the ruleset */
		return 2;
	struct reach_snapshot *s = NULL;
	if (reach_snapshot_take("/proc", L->tmp, &s, NULL) < 0)
		return 3;
	if (reach_snapshot_unreadable(s) == 0) /* root's processes */
		return 4;
	struct reach_info in;
	if (reach_for_package(s, "nobodypkg", &in) < 0 || in.n_procs != 1 || in.procs[0].pid != L->nobody.pid)
		return 5;
	reach_info_done(&in);
	if (reach_for_package(s, "lopkg", &in) < 0 || in.running) /* root's: cannot be seen */
		return 6;
	reach_info_done(&in);
	reach_snapshot_free(s);
	return 0;
}

/* Unprivileged, as moat's engine runs: others' processes are counted as unreadable. */
static void test_live_unprivileged(void **state)
{
	struct live *L = *state;
	if (!L->root) {
		print_message("not root: skipping the unprivileged-reader case\n");
		skip();
	}
	assert_int_equal(in_child(unpriv_child, L), 0);
}

/* On this host's own root: the test itself maps libc, listed by dpkg as /lib/… on a
 * merged-/usr system and mapped as /usr/lib/…. */
static void test_live_host_libc(void **state)
{
	(void)state;
	const char *lists[] = { "/var/lib/dpkg/info/libc6:amd64.list", "/var/lib/dpkg/info/libc6:arm64.list",
				"/var/lib/dpkg/info/libc6.list" };
	bool have = false;
	for (size_t i = 0; i < 3; i++)
		have |= access(lists[i], R_OK) == 0;
	if (!have) {
		print_message("no dpkg database with libc6: skipping the host case\n");
		skip();
	}
	struct reach_snapshot *s = NULL;
	assert_int_equal(reach_snapshot_take("/proc", "/", &s, NULL), 0);
	assert_int_equal(reach_snapshot_set_ruleset(s, NULL), 0);
	struct reach_info in;
	assert_int_equal(reach_for_package(s, "libc6", &in), 0);
	const struct reach_proc *me = find_pid(&in, getpid());
	if (!me) {
		/* under valgrind the exe is valgrind's and libc is still ours: must be found */
		fail_msg("this process is not among libc6's %zu processes", in.n_procs);
	}
	assert_true(in.running);
	reach_info_done(&in);
	reach_snapshot_free(s);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2], argv[3]);
	if (!realpath(argv[0], self_path)) {
		perror(argv[0]);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_parse_status),	   cmocka_unit_test(test_parse_ns),
		cmocka_unit_test(test_parse_net),	   cmocka_unit_test(test_firewall_basic),
		cmocka_unit_test(test_firewall_tables),	   cmocka_unit_test(test_fake_tree),
		cmocka_unit_test(test_fake_stale_and_firewall), cmocka_unit_test(test_live_host_libc),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_loopback), cmocka_unit_test(test_live_netns),
		cmocka_unit_test(test_live_nobody),   cmocka_unit_test(test_live_seccomp),
		cmocka_unit_test(test_live_stale),    cmocka_unit_test(test_live_nft),
		cmocka_unit_test(test_live_unprivileged),
	};
	int r = cmocka_run_group_tests_name("reach", unit, NULL, NULL);
	r |= cmocka_run_group_tests_name("reach-live", live, live_setup, live_teardown);
	return r;
}
