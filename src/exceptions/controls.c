/*
 * controls: parsing and checking compensating controls on the live host
 * (see controls.h). Processes, sockets and privileges come from reach's
 * snapshot (the same one "moat exposure" judges reach with); nftables from
 * its JSON ruleset; routes from /proc/net; units from `systemctl show`.
 */
#include "exceptions/controls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/spawn.h"
#include "core/strview.h"
#include "exposure/inventory.h"
#include "exposure/reach.h"
#include "core/rootfs.h"

#define MAX_ITEMS 32
#define SYSTEMCTL "/usr/bin/systemctl"

enum ctype {
	C_LISTEN_ONLY,
	C_LOOPBACK_ONLY,
	C_NO_LISTEN,
	C_NOT_RUNNING,
	C_FIREWALL,
	C_NON_ROOT,
	C_NO_CAPS,
	C_NO_NEW_PRIVS,
	C_NAMESPACES,
	C_UNIT_SANDBOXED,
	C_HELD,
	C_NO_ROUTE_OUT,
};

static const struct {
	const char *name;
	enum ctype type;
	int args; /* 0 none, 1 one argument, 2 "PORT/PROTO from NETS" */
} vocab[] = {
	{ "listen-only", C_LISTEN_ONLY, 1 },   { "loopback-only", C_LOOPBACK_ONLY, 0 },
	{ "no-listen", C_NO_LISTEN, 0 },       { "not-running", C_NOT_RUNNING, 0 },
	{ "firewall", C_FIREWALL, 2 },	       { "non-root", C_NON_ROOT, 0 },
	{ "no-caps", C_NO_CAPS, 0 },	       { "no-new-privs", C_NO_NEW_PRIVS, 0 },
	{ "namespaces", C_NAMESPACES, 1 },     { "unit-sandboxed", C_UNIT_SANDBOXED, 0 },
	{ "held", C_HELD, 0 },		       { "no-route-out", C_NO_ROUTE_OUT, 1 },
};

struct port {
	uint16_t port;
	uint8_t proto;
};

struct net {
	uint8_t family;
	uint8_t addr[16];
	unsigned len;
};

struct control {
	enum ctype type;
	struct port ports[MAX_ITEMS];
	size_t n_ports;
	struct net nets[MAX_ITEMS];
	size_t n_nets;
	bool ns_mnt, ns_pid, ns_net;
	char iface[32];
};

const char *control_state_name(enum control_state s)
{
	return s == CONTROL_HOLDS ? "holds" : s == CONTROL_BROKEN ? "broken" : "unknown";
}

_printf_(3, 4) static int bad(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "25/tcp" */
static bool parse_port(const char *s, size_t n, struct port *ret)
{
	const char *slash = memchr(s, '/', n);
	unsigned long long v;
	if (!slash || sv_to_u64(sv_make(s, (size_t)(slash - s)), 65535, &v) < 0 || v == 0)
		return false;
	struct sv proto = sv_make(slash + 1, n - (size_t)(slash - s) - 1);
	if (sv_eq(proto, "tcp"))
		ret->proto = 6;
	else if (sv_eq(proto, "udp"))
		ret->proto = 17;
	else
		return false;
	ret->port = (uint16_t)v;
	return true;
}

/* "10.0.0.0/8", "192.0.2.7", "2001:db8::/32" */
static bool parse_net(const char *s, size_t n, struct net *ret)
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	unsigned long long len = 0;
	if (slash) {
		*slash = '\0';
		if (sv_to_u64(sv_cstr(slash + 1), 128, &len) < 0)
			return false;
	}
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, buf, ret->addr) == 1) {
		ret->family = 4;
		ret->len = slash ? (unsigned)len : 32;
		return ret->len <= 32;
	}
	if (inet_pton(AF_INET6, buf, ret->addr) == 1) {
		ret->family = 6;
		ret->len = slash ? (unsigned)len : 128;
		return true;
	}
	return false;
}

/* Comma-separated items of one argument. */
static int split_list(const char *arg, bool (*one)(const char *, size_t, void *), void *out, char *err, size_t en)
{
	const char *p = arg;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 0 || !one(p, n, out))
			return bad(err, en, "'%.*s' is not valid here", (int)MIN(n, (size_t)60), p);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static bool add_port(const char *s, size_t n, void *ud)
{
	struct control *c = ud;
	return c->n_ports < MAX_ITEMS && parse_port(s, n, &c->ports[c->n_ports++]);
}

static bool add_net(const char *s, size_t n, void *ud)
{
	struct control *c = ud;
	return c->n_nets < MAX_ITEMS && parse_net(s, n, &c->nets[c->n_nets++]);
}

static bool add_ns(const char *s, size_t n, void *ud)
{
	struct control *c = ud;
	struct sv v = sv_make(s, n);
	if (sv_eq(v, "mnt"))
		c->ns_mnt = true;
	else if (sv_eq(v, "pid"))
		c->ns_pid = true;
	else if (sv_eq(v, "net"))
		c->ns_net = true;
	else
		return false;
	return true;
}

static int parse(const char *text, struct control *c, char *err, size_t en)
{
	char words[4][128];
	size_t nw = 0;
	const char *p = text;
	memset(c, 0, sizeof(*c));
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " ");
		if (nw == ELEMENTSOF(words) || n >= sizeof(words[0]))
			return bad(err, en, "too many words, or a word too long");
		memcpy(words[nw], p, n);
		words[nw++][n] = '\0';
		p += n;
	}
	if (nw == 0)
		return bad(err, en, "empty control");
	for (size_t i = 0; i < ELEMENTSOF(vocab); i++) {
		if (strcmp(words[0], vocab[i].name) != 0)
			continue;
		c->type = vocab[i].type;
		if (vocab[i].args == 0)
			return nw == 1 ? 0 : bad(err, en, "'%s' takes no argument", words[0]);
		if (vocab[i].args == 2) {
			if (nw != 4 || strcmp(words[2], "from") != 0)
				return bad(err, en, "expected 'firewall PORT/PROTO from NET[,NET…]'");
			if (!parse_port(words[1], strlen(words[1]), &c->ports[0]))
				return bad(err, en, "'%s' is not PORT/PROTO (25/tcp)", words[1]);
			c->n_ports = 1;
			return split_list(words[3], add_net, c, err, en);
		}
		if (nw != 2)
			return bad(err, en, "'%s' takes one argument", words[0]);
		switch (c->type) {
		case C_LISTEN_ONLY:
			return split_list(words[1], add_port, c, err, en);
		case C_NAMESPACES:
			return split_list(words[1], add_ns, c, err, en);
		default: /* C_NO_ROUTE_OUT */
			if (strlen(words[1]) >= sizeof(c->iface) || strchr(words[1], '/'))
				return bad(err, en, "'%s' is not an interface name", words[1]);
			memcpy(c->iface, words[1], strlen(words[1]) + 1); /* fits: checked above */
			return 0;
		}
	}
	return bad(err, en,
		   "unknown control '%s' (listen-only, loopback-only, no-listen, not-running, firewall, non-root, "
		   "no-caps, no-new-privs, namespaces, unit-sandboxed, held, no-route-out)",
		   words[0]);
}

int control_parse_check(const char *text, char *err, size_t err_size)
{
	struct control c;
	return parse(text, &c, err, err_size);
}

/* ---- processes ---- */

struct procs {
	struct reach_info infos[64];
	size_t n_infos;
	size_t n_missing; /* packages reach could not look up */
};

static void procs_done(struct procs *ps)
{
	for (size_t i = 0; i < ps->n_infos; i++)
		reach_info_done(&ps->infos[i]);
}

/* Each process once (a process may run files of several of the packages). */
#define FOREACH_PROC(ps, p)                                                                       \
	for (size_t _i = 0; _i < (ps)->n_infos; _i++)                                              \
		for (size_t _k = 0; _k < (ps)->infos[_i].n_procs; _k++)                            \
			if (((p) = &(ps)->infos[_i].procs[_k]), !seen_before(ps, _i, _k))

static bool seen_before(const struct procs *ps, size_t i, size_t k)
{
	pid_t pid = ps->infos[i].procs[k].pid;
	for (size_t a = 0; a <= i; a++)
		for (size_t b = 0; b < (a == i ? k : ps->infos[a].n_procs); b++)
			if (ps->infos[a].procs[b].pid == pid)
				return true;
	return false;
}

static int gather(struct control_host *h, const char *const *pkgs, size_t n, struct procs *ps)
{
	for (size_t i = 0; i < n && ps->n_infos < ELEMENTSOF(ps->infos); i++) {
		if (reach_for_package(h->reach, pkgs[i], &ps->infos[ps->n_infos]) < 0) {
			ps->n_missing++;
			continue;
		}
		ps->n_infos++;
	}
	return 0;
}

static void sock_text(const struct reach_socket *k, char *buf, size_t n)
{
	bool v6 = k->family == 6;
	snprintf(buf, n, "%s%s%s:%u/%s", v6 ? "[" : "", k->addr, v6 ? "]" : "", (unsigned)k->port,
		 k->proto == 6 ? "tcp" : "udp");
}

/* "exim4 (pid 812, uid 101)" — comm comes from the process: escaped by whoever prints why */
static void who(const struct reach_proc *p, char *buf, size_t n)
{
	snprintf(buf, n, "%.32s (pid %d, uid %u)", p->comm, (int)p->pid, (unsigned)p->uid);
}

/* ---- units ---- */

/* The systemd unit of pid from PROC/PID/cgroup ("0::/system.slice/exim4.service"). */
static bool unit_of(const char *proc, pid_t pid, char *unit, size_t n)
{
	char path[256], *buf = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, (int)pid);
	if (fs_read_regular(AT_FDCWD, path, 0, 1 << 16, &buf, &len) < 0)
		return false;
	bool found = false;
	for (char *line = buf, *next; line && *line && !found; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *last = strrchr(line, '/');
		if (!last)
			continue;
		last++;
		size_t l = strlen(last);
		if ((l > 8 && strcmp(last + l - 8, ".service") == 0) && l < n) {
			snprintf(unit, n, "%s", last);
			found = true;
		}
	}
	free(buf);
	return found;
}

/* `systemctl show --property=… -- UNIT`. Returns 0 and the output (the caller's), or a negative errno. */
static int systemctl_show(const char *unit, char **ret)
{
	char *const argv[] = { "systemctl", "show", "--property=NoNewPrivileges,ProtectSystem,ProtectHome,PrivateTmp",
			       "--", (char *)unit, NULL };
	size_t n;
	int r = spawn_read(SYSTEMCTL, argv, 10000, 1 << 16, ret, &n);
	if (r > 0) {
		free(*ret);
		return -EIO;
	}
	return r;
}

static const char *prop(const char *text, const char *key, char *buf, size_t n)
{
	size_t kl = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (l > kl && strncmp(line, key, kl) == 0 && line[kl] == '=') {
			snprintf(buf, n, "%.*s", (int)(l - kl - 1), line + kl + 1);
			return buf;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* ---- routes ---- */

/* Is there a default route through iface? 1 yes (why filled), 0 no, <0 unreadable. */
static int default_route_via(const char *proc, const char *iface, char *why, size_t wn)
{
	char path[256], *buf = NULL;
	size_t len;
	int seen = 0;
	snprintf(path, sizeof(path), "%s/net/route", proc);
	int r = fs_read_regular(AT_FDCWD, path, 0, 16u << 20, &buf, &len);
	if (r < 0)
		return r;
	/* "Iface Destination Gateway Flags RefCnt Use Metric Mask …", hex in host byte order */
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char ifn[32], dst[16], gw[16], mask[16];
		char *f[8];
		size_t nf = 0;
		for (char *t = line; nf < 8;) {
			while (*t == ' ' || *t == '\t')
				t++;
			if (!*t)
				break;
			f[nf++] = t;
			while (*t && *t != ' ' && *t != '\t')
				t++;
			if (*t)
				*t++ = '\0';
		}
		if (nf < 8)
			continue;
		snprintf(ifn, sizeof(ifn), "%s", f[0]);
		snprintf(dst, sizeof(dst), "%s", f[1]);
		snprintf(gw, sizeof(gw), "%s", f[2]);
		snprintf(mask, sizeof(mask), "%s", f[7]);
		/* the mask is the network-order word printed as a host integer */
		char *end;
		unsigned long m = strtoul(mask, &end, 16);
		if (strcmp(ifn, iface) == 0 && strlen(mask) == 8 && *end == '\0' &&
		    __builtin_popcount(ntohl((uint32_t)m)) <= 1) {
			if (strcmp(mask, "00000000") == 0)
				snprintf(why, wn, "a default IPv4 route leaves through %s (%s/net/route)", iface, proc);
			else /* 0.0.0.0/1 and 128.0.0.0/1: a VPN's way of replacing the default */
				snprintf(why, wn, "a route to half of the IPv4 space leaves through %s (%s/net/route)", iface,
					 proc);
			seen = 1;
			break;
		}
	}
	free(buf);
	if (seen)
		return 1;
	snprintf(path, sizeof(path), "%s/net/ipv6_route", proc);
	buf = NULL;
	if (fs_read_regular(AT_FDCWD, path, 0, 16u << 20, &buf, &len) < 0)
		return 0; /* no IPv6 */
	/* "dest destlen src srclen nexthop metric refcnt use flags iface" */
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *last = strrchr(line, ' ');
		bool wide = strlen(line) > 36 && line[32] == ' ' && line[33] == '0' && (line[34] == '0' || line[34] == '1') &&
			    line[35] == ' '; /* "/0" or "/1" */
		if (wide && last && strcmp(last + 1, iface) == 0) {
			snprintf(why, wn, "a %s IPv6 route leaves through %s (%s/net/ipv6_route)",
				 line[34] == '0' ? "default" : "half-space", iface, proc);
			seen = 1;
			break;
		}
	}
	free(buf);
	return seen;
}

/* ---- firewall ---- */

static bool net_contains(const struct net *nt, uint8_t family, const uint8_t *a)
{
	if (nt->family != family)
		return false;
	for (unsigned i = 0; i < (family == 4 ? 4u : 16u); i++) {
		int bits = (int)MIN(MAX((int)nt->len - (int)i * 8, 0), 8);
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		if ((a[i] & mask) != (nt->addr[i] & mask))
			return false;
	}
	return true;
}

/* The first address after nt (false when nt reaches the end of the space). */
static bool net_after(const struct net *nt, uint8_t out[16])
{
	size_t len = nt->family == 4 ? 4 : 16;
	memset(out, 0, 16);
	for (size_t i = 0; i < len; i++) {
		int bits = (int)MIN(MAX((int)nt->len - (int)i * 8, 0), 8);
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		out[i] = (uint8_t)(nt->addr[i] | (uint8_t)~mask);
	}
	size_t k = len;
	while (k > 0 && out[k - 1] == 0xff)
		out[--k] = 0;
	if (k == 0)
		return false;
	out[k - 1]++;
	return true;
}

static void addr_text(uint8_t family, const uint8_t *a, char *buf, size_t n)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

static enum control_state check_firewall(const struct control *c, struct control_host *h, char *why, size_t wn)
{
	char *text = NULL;
	int r = h->nft_json ? 0 : reach_nft_ruleset_text(&text);
	if (r < 0) {
		snprintf(why, wn, "cannot read the nftables ruleset (%s): nothing to check against", strerror(-r));
		return CONTROL_UNKNOWN;
	}
	json_t *rs = json_loads(h->nft_json ? h->nft_json : text, 0, NULL);
	free(text);
	if (!rs) {
		snprintf(why, wn, "the nftables ruleset is not JSON");
		return CONTROL_UNKNOWN;
	}
	const struct port *pt = &c->ports[0];
	enum control_state st = CONTROL_HOLDS;
	json_t *items = json_object_get(rs, "nftables"), *it;
	size_t ii, tables = 0;
	json_array_foreach(items, ii, it)
	{
		tables += json_object_get(it, "table") != NULL;
	}
	if (tables == 0) {
		snprintf(why, wn, "no nftables ruleset: nothing moat can see filters %u/%s", (unsigned)pt->port,
			 pt->proto == 6 ? "tcp" : "udp");
		json_decref(rs);
		return CONTROL_BROKEN;
	}
	size_t probes = 0;
	char nets[256] = "";
	for (size_t i = 0; i < c->n_nets; i++) {
		char a[64];
		addr_text(c->nets[i].family, c->nets[i].addr, a, sizeof(a));
		size_t l = strlen(nets);
		snprintf(nets + l, sizeof(nets) - l, "%s%s/%u", i ? "," : "", a, c->nets[i].len);
	}
	for (uint8_t family = 4; family <= 6 && st == CONTROL_HOLDS; family += 2) {
		uint8_t(*b)[16] = NULL;
		size_t nb = 0;
		if (reach_firewall_src_bounds(rs, family, &b, &nb) < 0) {
			snprintf(why, wn, "the nftables ruleset has no nftables array");
			st = CONTROL_UNKNOWN;
			break;
		}
		/* the allowed networks' own edges, and the very first address */
		uint8_t(*all)[16] = realloc(b, (nb + 2 * c->n_nets + 1) * sizeof(*b));
		if (!all) {
			free(b);
			st = CONTROL_UNKNOWN;
			snprintf(why, wn, "out of memory");
			break;
		}
		b = all;
		memset(b[nb++], 0, 16);
		for (size_t i = 0; i < c->n_nets; i++) {
			if (c->nets[i].family != family)
				continue;
			memcpy(b[nb++], c->nets[i].addr, 16);
			if (net_after(&c->nets[i], b[nb]))
				nb++;
		}
		for (size_t i = 0; i < nb && st == CONTROL_HOLDS; i++) {
			bool inside = false;
			for (size_t k = 0; k < c->n_nets && !inside; k++)
				inside = net_contains(&c->nets[k], family, b[i]);
			if (inside)
				continue;
			probes++;
			int v = reach_firewall_eval_from(rs, pt->proto, family, pt->port, b[i]);
			char a[64];
			addr_text(family, b[i], a, sizeof(a));
			if (v == 1) {
				snprintf(why, wn, "nftables lets %s in to %u/%s (outside %s)", a, (unsigned)pt->port,
					 pt->proto == 6 ? "tcp" : "udp", nets);
				st = CONTROL_BROKEN;
			} else if (v < 0) {
				snprintf(why, wn,
					 "nftables' verdict for %s to %u/%s cannot be told (no ruleset, or rules moat does "
					 "not model: jumps, verdict maps, interface names)",
					 a, (unsigned)pt->port, pt->proto == 6 ? "tcp" : "udp");
				st = CONTROL_UNKNOWN;
			}
		}
		free(b);
	}
	json_decref(rs);
	if (st == CONTROL_HOLDS)
		snprintf(why, wn, "nftables refuses %u/%s from every address outside %s (%zu address ranges checked)",
			 (unsigned)pt->port, pt->proto == 6 ? "tcp" : "udp", nets, probes);
	return st;
}

/* ---- the check ---- */

enum control_state control_check(const char *text, const char *const *packages, size_t n_packages,
				 struct control_host *h, char *why, size_t wn)
{
	struct control c;
	char err[200];
	if (parse(text, &c, err, sizeof(err)) < 0) {
		snprintf(why, wn, "not a control: %s", err);
		return CONTROL_UNKNOWN;
	}
	if (c.type == C_FIREWALL)
		return check_firewall(&c, h, why, wn);
	if (c.type == C_NO_ROUTE_OUT) {
		int r = default_route_via(h->proc ? h->proc : "/proc", c.iface, why, wn);
		if (r < 0) {
			snprintf(why, wn, "cannot read the routing table: %s", strerror(-r));
			return CONTROL_UNKNOWN;
		}
		if (r == 0)
			snprintf(why, wn, "no default route (nor a /1 half of one) leaves through %s", c.iface);
		return r ? CONTROL_BROKEN : CONTROL_HOLDS;
	}
	if (c.type == C_HELD) {
		if (!h->inv) {
			snprintf(why, wn, "dpkg's status was not read");
			return CONTROL_UNKNOWN;
		}
		if (n_packages == 0) {
			snprintf(why, wn, "no package to check");
			return CONTROL_UNKNOWN;
		}
		for (size_t i = 0; i < n_packages; i++) {
			char name[256];
			snprintf(name, sizeof(name), "%s", packages[i]);
			char *colon = strchr(name, ':');
			if (colon)
				*colon = '\0';
			const struct inv_pkg *p = inventory_find(h->inv, name);
			if (!p) {
				snprintf(why, wn, "%.64s is not installed", name);
				return CONTROL_BROKEN;
			}
			if (strcmp(p->want, "hold") != 0) {
				snprintf(why, wn, "%.64s is not on hold (dpkg selection '%.16s'): an upgrade may replace it",
					 name, p->want);
				return CONTROL_BROKEN;
			}
		}
		snprintf(why, wn, "%s on hold in dpkg", n_packages == 1 ? "the package is" : "every package is");
		return CONTROL_HOLDS;
	}

	/* process controls */
	if (!h->reach) {
		snprintf(why, wn, "processes were not inspected (another root, or /proc unreadable)");
		return CONTROL_UNKNOWN;
	}
	if (n_packages == 0) {
		snprintf(why, wn, "no package is known for this exception: name one (--package) to check processes");
		return CONTROL_UNKNOWN;
	}
	/* a package dpkg does not know has no file list: "no process runs it" would be a promise */
	for (size_t i = 0; h->inv && i < n_packages; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%s", packages[i]);
		name[strcspn(name, ":")] = '\0';
		if (!inventory_find(h->inv, name)) {
			snprintf(why, wn, "%.64s is not installed: its processes cannot be told from others", name);
			return CONTROL_UNKNOWN;
		}
	}
	struct procs ps = { .n_infos = 0 };
	const struct reach_proc *p;
	enum control_state st = CONTROL_HOLDS;
	size_t nproc = 0;
	char w[120], sk[96];
	gather(h, packages, n_packages, &ps);
	FOREACH_PROC(&ps, p)
	{
		nproc++;
		if (st != CONTROL_HOLDS)
			continue;
		who(p, w, sizeof(w));
		switch (c.type) {
		case C_NOT_RUNNING:
			snprintf(why, wn, "%s runs it", w);
			st = CONTROL_BROKEN;
			break;
		case C_LISTEN_ONLY:
		case C_LOOPBACK_ONLY:
		case C_NO_LISTEN:
			for (size_t k = 0; k < p->n_sockets && st == CONTROL_HOLDS; k++) {
				const struct reach_socket *s = &p->sockets[k];
				bool ok = true;
				if (c.type == C_NO_LISTEN)
					ok = false;
				else if (c.type == C_LOOPBACK_ONLY)
					ok = s->loopback;
				else {
					ok = false;
					for (size_t i = 0; i < c.n_ports; i++)
						ok |= c.ports[i].port == s->port && c.ports[i].proto == s->proto;
				}
				if (!ok) {
					sock_text(s, sk, sizeof(sk));
					snprintf(why, wn, "%s listens on %s", w, sk);
					st = CONTROL_BROKEN;
				}
			}
			break;
		case C_NON_ROOT:
			if (p->unknown_status || p->uid == 0 || p->euid == 0) {
				snprintf(why, wn, "%s runs as root%s", w, p->unknown_status ? " (status unreadable)" : "");
				st = CONTROL_BROKEN;
			}
			break;
		case C_NO_CAPS:
			if (p->unknown_status || p->cap_eff) {
				snprintf(why, wn, "%s has capabilities (CapEff %016llx)", w, (unsigned long long)p->cap_eff);
				st = CONTROL_BROKEN;
			}
			break;
		case C_NO_NEW_PRIVS:
			if (!p->no_new_privs) {
				snprintf(why, wn, "%s runs without NoNewPrivs", w);
				st = CONTROL_BROKEN;
			}
			break;
		case C_NAMESPACES:
			if ((c.ns_mnt && !p->own_mnt_ns) || (c.ns_pid && !p->own_pid_ns) || (c.ns_net && !p->own_net_ns)) {
				snprintf(why, wn, "%s shares the host's %s namespace", w,
					 c.ns_mnt && !p->own_mnt_ns ? "mount" : c.ns_pid && !p->own_pid_ns ? "pid" : "network");
				st = CONTROL_BROKEN;
			}
			break;
		case C_UNIT_SANDBOXED: {
			char unit[256], *out = NULL, v[64];
			if (!unit_of(h->proc ? h->proc : "/proc", p->pid, unit, sizeof(unit))) {
				snprintf(why, wn, "%s does not run in a systemd service", w);
				st = CONTROL_BROKEN;
				break;
			}
			int r = systemctl_show(unit, &out);
			if (r < 0) {
				snprintf(why, wn, "cannot ask systemd about %.64s (%s)", unit, strerror(-r));
				st = CONTROL_UNKNOWN;
				break;
			}
			const char *nnp = prop(out, "NoNewPrivileges", v, sizeof(v));
			bool ok_nnp = nnp && strcmp(nnp, "yes") == 0;
			const char *ps_ = prop(out, "ProtectSystem", v, sizeof(v));
			bool ok_ps = ps_ && (strcmp(ps_, "strict") == 0 || strcmp(ps_, "full") == 0);
			const char *ph = prop(out, "ProtectHome", v, sizeof(v));
			bool ok_ph = ph && (strcmp(ph, "yes") == 0 || strcmp(ph, "read-only") == 0 || strcmp(ph, "tmpfs") == 0);
			const char *pt = prop(out, "PrivateTmp", v, sizeof(v));
			bool ok_pt = pt && strcmp(pt, "yes") == 0;
			free(out);
			if (!(ok_nnp && ok_ps && ok_ph && ok_pt)) {
				snprintf(why, wn, "%s runs in %.64s without %s", w, unit,
					 !ok_nnp ? "NoNewPrivileges=yes" : !ok_ps ? "ProtectSystem=strict|full"
									 : !ok_ph ? "ProtectHome" : "PrivateTmp=yes");
				st = CONTROL_BROKEN;
			}
			break;
		}
		default:
			break;
		}
	}
	size_t unchecked = ps.n_missing + (n_packages - MIN(n_packages, ps.n_infos + ps.n_missing));
	procs_done(&ps);
	if (st == CONTROL_HOLDS && unchecked) {
		/* a package whose processes were not looked at proves nothing */
		snprintf(why, wn, "%zu of the %zu packages could not be checked (%s)", unchecked, n_packages,
			 ps.n_missing ? "their processes could not be looked up" : "more than 64 packages");
		return CONTROL_UNKNOWN;
	}
	if (st == CONTROL_HOLDS) {
		if (nproc == 0)
			snprintf(why, wn, "no process runs the package%s", n_packages == 1 ? "" : "s");
		else
			snprintf(why, wn, "checked %zu process%s", nproc, nproc == 1 ? "" : "es");
	}
	return st;
}
