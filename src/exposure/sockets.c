/*
 * sockets: the listening sockets of one network namespace, from
 * /proc/PID/net/{tcp,tcp6,udp,udp6}, keyed by inode so that a process's
 * "socket:[INODE]" descriptors can be looked up.
 *
 * The kernel prints addresses as the in-memory 32-bit words of the
 * network-order address, in hex: "0100007F" is 127.0.0.1 on a
 * little-endian host. Reading each word back as a native integer and
 * copying its bytes gives the address on either endianness.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/macro.h"
#include "exposure/reach-internal.h"

/* The value of one hex digit, or -1. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool hex_u32(const char *p, uint32_t *ret)
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++) {
		int d = hex_digit(p[i]);
		if (d < 0)
			return false;
		x = x << 4 | (unsigned)d;
	}
	*ret = x;
	return true;
}

/* "HEX:PORT" → 4 or 16 address bytes and the port. */
static bool parse_endpoint(struct sv f, uint8_t family, uint8_t addr[16], uint16_t *port)
{
	size_t words = family == 4 ? 1 : 4;
	if (f.n != words * 8 + 5 || f.p[words * 8] != ':')
		return false;
	for (size_t i = 0; i < words; i++) {
		uint32_t w;
		if (!hex_u32(f.p + i * 8, &w))
			return false;
		memcpy(addr + i * 4, &w, 4);
	}
	uint32_t p = 0;
	for (size_t i = words * 8 + 1; i < f.n; i++) {
		int d = hex_digit(f.p[i]);
		if (d < 0)
			return false;
		p = p << 4 | (unsigned)d;
	}
	*port = (uint16_t)p;
	return true;
}

static struct sv field(struct sv *v)
{
	while (v->n && v->p[0] == ' ')
		*v = sv_skip(*v, 1);
	size_t i = 0;
	while (i < v->n && v->p[i] != ' ')
		i++;
	struct sv f = sv_make(v->p, i);
	*v = sv_skip(*v, i);
	return f;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool is_loopback(uint8_t family, const uint8_t a[16])
{
	static const uint8_t v6_lo[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (family == 4)
		return a[0] == 127;
	if (memcmp(a, v6_lo, 16) == 0)
		return true;
	return memcmp(a, v4_mapped, 12) == 0 && a[12] == 127;
}

int reach_parse_net_line(struct sv line, uint8_t proto, uint8_t family, struct sock_entry *ret)
{
	struct sv sl = field(&line), local = field(&line), rem = field(&line), st = field(&line);
	if (!sv_consume_end(&sl, ":"))
		return 0;
	unsigned long long x;
	if (sv_to_u64(sl, UINT32_MAX, &x) < 0)
		return 0;
	for (int i = 0; i < 5; i++) /* tx:rx, tr:when, retrnsmt, uid, timeout */
		(void)field(&line);
	struct sv ino = field(&line);
	uint8_t la[16] = { 0 }, ra[16] = { 0 };
	uint16_t lport, rport;
	unsigned long long inode;
	if (!parse_endpoint(local, family, la, &lport) || !parse_endpoint(rem, family, ra, &rport) || st.n != 2 ||
	    sv_to_u64(ino, UINT64_MAX, &inode) < 0 || inode == 0)
		return 0;
	bool listening;
	if (proto == 6)
		listening = sv_eq(st, "0A"); /* TCP_LISTEN */
	else
		listening = rport == 0 && all_zero(ra, family == 4 ? 4 : 16); /* bound, no peer */
	if (!listening)
		return 0;
	struct sock_entry e = { .inode = inode };
	e.s.proto = proto;
	e.s.family = family;
	e.s.port = lport;
	e.s.loopback = is_loopback(family, la);
	e.s.firewall = -1;
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, la, e.s.addr, sizeof(e.s.addr)))
		return 0;
	*ret = e;
	return 1;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct sock_entry *x = a, *y = b;
	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

int reach_sock_table_read(struct reach_snapshot *s, int dirfd, struct sock_table *t)
{
	static const struct {
		const char *name;
		uint8_t proto, family;
	} files[] = {
		{ "net/tcp", 6, 4 },
		{ "net/tcp6", 6, 6 },
		{ "net/udp", 17, 4 },
		{ "net/udp6", 17, 6 },
	};
	for (size_t f = 0; f < ELEMENTSOF(files); f++) {
		ssize_t k = reach_read_at(s, dirfd, files[f].name, 256u << 20);
		if (k == -ENOMEM)
			return -ENOMEM;
		if (k <= 0)
			continue; /* no IPv6, gone, or not readable: nothing listens there for us */
		struct sv text = sv_make(s->buf, (size_t)k);
		while (text.n) {
			long nl = sv_chr(text, '\n');
			size_t n = nl >= 0 ? (size_t)nl : text.n;
			struct sv line = sv_make(text.p, n);
			text = sv_skip(text, n + (nl >= 0));
			struct sock_entry e;
			if (reach_parse_net_line(line, files[f].proto, files[f].family, &e) != 1)
				continue;
			if (array_reserve(&t->v, &t->cap, t->n + 1, sizeof(*t->v), 64) < 0)
				return -ENOMEM;
			t->v[t->n++] = e;
		}
	}
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
	return 0;
}

const struct sock_entry *reach_sock_table_find(const struct sock_table *t, uint64_t inode)
{
	struct sock_entry key = { .inode = inode };
	if (!t->n)
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), entry_cmp);
}

void reach_sock_table_done(struct sock_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
