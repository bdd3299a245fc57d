/*
 * firewall: does nftables let a port in from outside?
 *
 * The ruleset comes from `nft -j list ruleset` (libnftables' JSON schema,
 * libnftables-json(5)). A packet from outside to (proto, port) is modelled
 * by what we know of it — its family, layer-4 protocol and destination port,
 * an input interface other than lo, conntrack state "new" — and walked
 * through every base chain on the input hook of the ip/ip6/inet tables; it
 * must pass all of them. Conditions about anything else (source address,
 * interface names, marks, rate limits) may hold for some outside packets:
 * such an accept rule lets the port in from somewhere (1), such a drop rule
 * lets the rest go on. Jumps, verdict maps and the like are not followed:
 * the answer is then unknown (-1), never a guess that hides a port.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "core/array.h"
#include "core/macro.h"
#include "core/spawn.h"
#include "exposure/reach-internal.h"

#define NFT_OUTPUT_MAX (64u << 20)
#define NFT_TIMEOUT_MS 10000

enum { TV_F = 0, TV_T = 1, TV_U = 2 }; /* false, true, depends on what we do not model */

struct fw_pkt {
	json_t *items;
	uint8_t proto, family;
	uint16_t port;
	bool has_src; /* the source address is known (a control's probe); else any outside address */
	uint8_t src[16]; /* 4 bytes used for IPv4 */
};

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* What the right-hand side is asked about. */
enum want { W_PORT, W_PROTO, W_NFPROTO, W_CTSTATE, W_SADDR };

static size_t alen(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static bool parse_ip(uint8_t family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	return inet_pton(family == 4 ? AF_INET : AF_INET6, s, out) == 1;
}

/* Is the packet's source inside the prefix addr/len? */
static bool in_prefix(const struct fw_pkt *pk, const uint8_t *net, json_int_t len)
{
	size_t n = alen(pk->family);
	if (len < 0 || (size_t)len > n * 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		int bits = (int)MIN(MAX(len - (json_int_t)i * 8, 0), 8);
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		if ((pk->src[i] & mask) != (net[i] & mask))
			return false;
	}
	return true;
}

static json_t *named_set(const struct fw_pkt *pk, const char *family, const char *table, const char *name)
{
	size_t i;
	json_t *it;
	json_array_foreach(pk->items, i, it)
	{
		json_t *set = json_object_get(it, "set");
		if (set && streq(jstr(set, "name"), name) && streq(jstr(set, "family"), family) &&
		    streq(jstr(set, "table"), table))
			return set;
	}
	return NULL;
}

struct where {
	const char *family, *table;
};

static int contains(const struct fw_pkt *pk, const struct where *w, json_t *v, enum want want, int depth)
{
	if (depth > 8)
		return TV_U;
	if (want == W_SADDR) {
		uint8_t a[16], b[16];
		json_t *x;
		if (json_is_string(v) && json_string_value(v)[0] != '@')
			return parse_ip(pk->family, json_string_value(v), a) && memcmp(a, pk->src, alen(pk->family)) == 0
				       ? TV_T
				       : parse_ip(pk->family, json_string_value(v), a) ? TV_F : TV_U;
		if (json_is_object(v) && (x = json_object_get(v, "prefix"))) {
			json_t *addr = json_object_get(x, "addr"), *len = json_object_get(x, "len");
			if (!json_is_string(addr) || !json_is_integer(len) || !parse_ip(pk->family, json_string_value(addr), a))
				return TV_U;
			return in_prefix(pk, a, json_integer_value(len)) ? TV_T : TV_F;
		}
		if (json_is_object(v) && (x = json_object_get(v, "range")) && json_is_array(x) && json_array_size(x) == 2) {
			json_t *lo = json_array_get(x, 0), *hi = json_array_get(x, 1);
			if (!json_is_string(lo) || !json_is_string(hi) || !parse_ip(pk->family, json_string_value(lo), a) ||
			    !parse_ip(pk->family, json_string_value(hi), b))
				return TV_U;
			size_t n = alen(pk->family);
			return memcmp(a, pk->src, n) <= 0 && memcmp(pk->src, b, n) <= 0 ? TV_T : TV_F;
		}
		/* sets, elements and named sets: below, element by element */
		if (json_is_integer(v))
			return TV_U;
	}
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		switch (want) {
		case W_PORT:
			return x == pk->port ? TV_T : TV_F;
		case W_PROTO:
			return x == pk->proto ? TV_T : TV_F;
		case W_NFPROTO:
			return x == (pk->family == 4 ? 2 : 10) ? TV_T : TV_F;
		default:
			return TV_U;
		}
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (s[0] == '@') {
			json_t *set = named_set(pk, w->family, w->table, s + 1);
			json_t *elem = set ? json_object_get(set, "elem") : NULL;
			if (!set)
				return TV_U;
			if (!elem)
				return TV_F; /* empty set */
			return contains(pk, w, elem, want, depth + 1);
		}
		switch (want) {
		case W_PROTO:
			return streq(s, pk->proto == 6 ? "tcp" : "udp") ? TV_T : TV_F;
		case W_NFPROTO:
			return streq(s, pk->family == 4 ? "ipv4" : "ipv6") ? TV_T : TV_F;
		case W_CTSTATE:
			return streq(s, "new") ? TV_T : TV_F;
		case W_PORT:
		default:
			return TV_U; /* a service name: not resolved here */
		}
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		int res = TV_F;
		json_array_foreach(v, i, e)
		{
			int r = contains(pk, w, e, want, depth + 1);
			if (r == TV_T)
				return TV_T;
			if (r == TV_U)
				res = TV_U;
		}
		return res;
	}
	if (json_is_object(v)) {
		json_t *x;
		if ((x = json_object_get(v, "set")))
			return contains(pk, w, x, want, depth + 1);
		if ((x = json_object_get(v, "elem")))
			return contains(pk, w, json_object_get(x, "val"), want, depth + 1);
		if ((x = json_object_get(v, "range")) && json_is_array(x) && json_array_size(x) == 2 && want == W_PORT) {
			json_t *a = json_array_get(x, 0), *b = json_array_get(x, 1);
			if (!json_is_integer(a) || !json_is_integer(b))
				return TV_U;
			return json_integer_value(a) <= pk->port && pk->port <= json_integer_value(b) ? TV_T : TV_F;
		}
	}
	return TV_U;
}

static bool is_l4(const char *p)
{
	return streq(p, "tcp") || streq(p, "udp") || streq(p, "th") || streq(p, "sctp") || streq(p, "dccp") ||
	       streq(p, "udplite");
}

static int eval_match(const struct fw_pkt *pk, const struct where *w, json_t *m)
{
	const char *op = jstr(m, "op");
	json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right");
	json_t *x;
	int res = TV_U;
	bool ordered = streq(op, "<") || streq(op, ">") || streq(op, "<=") || streq(op, ">=");
	if (!left || !right)
		return TV_U;

	if ((x = json_object_get(left, "payload"))) {
		const char *proto = jstr(x, "protocol"), *fld = jstr(x, "field");
		const char *mine = pk->proto == 6 ? "tcp" : "udp";
		if (is_l4(proto)) {
			/* "tcp dport …" only ever matches TCP packets, whatever the operator */
			if (!streq(proto, "th") && !streq(proto, mine))
				return TV_F;
			if (!streq(fld, "dport"))
				return TV_U;
			if (ordered) {
				if (!json_is_integer(right))
					return TV_U;
				json_int_t r = json_integer_value(right), p = pk->port;
				bool b = streq(op, "<") ? p < r : streq(op, ">") ? p > r : streq(op, "<=") ? p <= r : p >= r;
				return b ? TV_T : TV_F;
			}
			res = contains(pk, w, right, W_PORT, 0);
		} else if (streq(proto, "ip") || streq(proto, "ip6")) {
			/* an ip match implies IPv4 (and ip6 IPv6) in inet tables */
			if ((pk->family == 4) != streq(proto, "ip"))
				return TV_F;
			if (streq(fld, "protocol") || streq(fld, "nexthdr"))
				res = contains(pk, w, right, W_PROTO, 0);
			else if (streq(fld, "saddr") && pk->has_src && !ordered)
				res = contains(pk, w, right, W_SADDR, 0);
			else
				return TV_U; /* addresses, ttl …: some outside packets */
		} else
			return TV_U;
	} else if ((x = json_object_get(left, "meta"))) {
		const char *key = jstr(x, "key");
		if (streq(key, "l4proto"))
			res = contains(pk, w, right, W_PROTO, 0);
		else if (streq(key, "nfproto"))
			res = contains(pk, w, right, W_NFPROTO, 0);
		else if (streq(key, "iif") || streq(key, "iifname")) {
			/* from outside means not on lo; other interface names depend on the path */
			if (!(json_is_string(right) && streq(json_string_value(right), "lo")))
				return TV_U;
			res = TV_F;
		} else if (streq(key, "iiftype")) {
			if (!(json_is_string(right) && streq(json_string_value(right), "loopback")))
				return TV_U;
			res = TV_F;
		} else
			return TV_U;
	} else if ((x = json_object_get(left, "ct"))) {
		if (!streq(jstr(x, "key"), "state"))
			return TV_U;
		res = contains(pk, w, right, W_CTSTATE, 0);
	} else
		return TV_U;

	if (ordered)
		return TV_U;
	if (streq(op, "!="))
		return res == TV_U ? TV_U : res == TV_T ? TV_F : TV_T;
	if (op && !streq(op, "==") && !streq(op, "in"))
		return TV_U;
	return res;
}

enum verdict { V_NONE, V_ACCEPT, V_DROP, V_RETURN, V_OTHER };

static int eval_rule(const struct fw_pkt *pk, const struct where *w, json_t *expr, enum verdict *ret)
{
	int cond = TV_T;
	*ret = V_NONE;
	size_t i;
	json_t *e;
	if (!json_is_array(expr))
		return TV_U;
	json_array_foreach(expr, i, e)
	{
		json_t *m;
		if ((m = json_object_get(e, "match"))) {
			int r = eval_match(pk, w, m);
			if (r == TV_F)
				return TV_F;
			if (r == TV_U)
				cond = TV_U;
		} else if (json_object_get(e, "accept"))
			*ret = V_ACCEPT;
		else if (json_object_get(e, "drop") || json_object_get(e, "reject"))
			*ret = V_DROP;
		else if (json_object_get(e, "return"))
			*ret = V_RETURN;
		else if (json_object_get(e, "jump") || json_object_get(e, "goto") || json_object_get(e, "vmap") ||
			 json_object_get(e, "queue") || json_object_get(e, "continue"))
			*ret = V_OTHER;
		else if (json_object_get(e, "limit") || json_object_get(e, "quota") || json_object_get(e, "xt"))
			cond = TV_U; /* passes some packets only, or an iptables match we cannot read */
		/* counter, log, ct/meta set, set updates …: no effect on the path */
	}
	return cond;
}

static int eval_chain(const struct fw_pkt *pk, json_t *chain)
{
	const char *family = jstr(chain, "family"), *table = jstr(chain, "table"), *name = jstr(chain, "name");
	const char *policy = jstr(chain, "policy");
	struct where w = { family, table };
	int pol = streq(policy, "drop") ? TV_F : TV_T;
	size_t i;
	json_t *it;
	json_array_foreach(pk->items, i, it)
	{
		json_t *rule = json_object_get(it, "rule");
		if (!rule || !streq(jstr(rule, "family"), family) || !streq(jstr(rule, "table"), table) ||
		    !streq(jstr(rule, "chain"), name))
			continue;
		enum verdict v;
		int cond = eval_rule(pk, &w, json_object_get(rule, "expr"), &v);
		if (cond == TV_F || v == V_NONE)
			continue;
		switch (v) {
		case V_ACCEPT:
			return TV_T; /* from everywhere, or at least from somewhere */
		case V_DROP:
			if (cond == TV_T)
				return TV_F;
			continue;
		case V_RETURN:
			if (cond == TV_T || pol == TV_T)
				return pol;
			continue;
		default:
			return TV_U;
		}
	}
	return pol;
}

static int eval_pkt(json_t *ruleset, struct fw_pkt pk);

int reach_firewall_eval(json_t *ruleset, uint8_t proto, uint8_t family, uint16_t port)
{
	struct fw_pkt pk = { .proto = proto, .family = family, .port = port };
	return eval_pkt(ruleset, pk);
}

int reach_firewall_eval_from(json_t *ruleset, uint8_t proto, uint8_t family, uint16_t port, const uint8_t *src)
{
	struct fw_pkt pk = { .proto = proto, .family = family, .port = port, .has_src = true };
	memcpy(pk.src, src, alen(family));
	return eval_pkt(ruleset, pk);
}

/* Adds the start of v's addresses and the first address after them. */
static int add_bounds(uint8_t family, json_t *v, uint8_t (**out)[16], size_t *n, size_t *cap, int depth)
{
	uint8_t a[16], b[16];
	json_t *x;
	size_t i, len = alen(family);
	if (depth > 8)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			int r = add_bounds(family, x, out, n, cap, depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (json_is_object(v) && ((x = json_object_get(v, "set")) || (x = json_object_get(v, "elem"))))
		return add_bounds(family, json_is_object(x) ? json_object_get(x, "val") : x, out, n, cap, depth + 1);
	bool have = false;
	if (json_is_string(v) && parse_ip(family, json_string_value(v), a)) {
		memcpy(b, a, 16);
		have = true;
	} else if (json_is_object(v) && (x = json_object_get(v, "prefix"))) {
		json_t *addr = json_object_get(x, "addr"), *l = json_object_get(x, "len");
		if (json_is_string(addr) && json_is_integer(l) && parse_ip(family, json_string_value(addr), a)) {
			json_int_t bits = json_integer_value(l);
			for (size_t k = 0; k < len; k++) {
				int keep = (int)MIN(MAX(bits - (json_int_t)k * 8, 0), 8);
				uint8_t mask = (uint8_t)(keep ? 0xff << (8 - keep) : 0);
				a[k] &= mask;
				b[k] = (uint8_t)(a[k] | (uint8_t)~mask);
			}
			have = true;
		}
	} else if (json_is_object(v) && (x = json_object_get(v, "range")) && json_is_array(x) && json_array_size(x) == 2) {
		json_t *lo = json_array_get(x, 0), *hi = json_array_get(x, 1);
		have = json_is_string(lo) && json_is_string(hi) && parse_ip(family, json_string_value(lo), a) &&
		       parse_ip(family, json_string_value(hi), b);
	}
	if (!have)
		return 0;
	/* b + 1, unless b is the last address */
	size_t k = len;
	while (k > 0 && b[k - 1] == 0xff)
		b[--k] = 0;
	bool wrap = k == 0;
	if (!wrap)
		b[k - 1]++;
	for (int which = 0; which < (wrap ? 1 : 2); which++) {
		if (array_reserve(out, cap, *n + 1, sizeof(**out), 16) < 0)
			return -ENOMEM;
		memset((*out)[*n], 0, 16);
		memcpy((*out)[*n], which == 0 ? a : b, len);
		(*n)++;
	}
	return 0;
}

int reach_firewall_src_bounds(json_t *ruleset, uint8_t family, uint8_t (**ret)[16], size_t *ret_n)
{
	json_t *items = json_object_get(ruleset, "nftables"), *it;
	uint8_t(*out)[16] = NULL;
	size_t n = 0, cap = 0, i;
	if (!json_is_array(items))
		return -EINVAL;
	json_array_foreach(items, i, it)
	{
		json_t *set = json_object_get(it, "set"), *rule = json_object_get(it, "rule");
		int r = 0;
		if (set)
			r = add_bounds(family, json_object_get(set, "elem"), &out, &n, &cap, 0);
		if (rule) {
			size_t j;
			json_t *e;
			json_array_foreach(json_object_get(rule, "expr"), j, e)
			{
				json_t *m = json_object_get(e, "match"), *left = m ? json_object_get(m, "left") : NULL;
				json_t *pl = left ? json_object_get(left, "payload") : NULL;
				if (pl && streq(jstr(pl, "field"), "saddr"))
					r = add_bounds(family, json_object_get(m, "right"), &out, &n, &cap, 0);
				if (r < 0)
					break;
			}
		}
		if (r < 0) {
			free(out);
			return r;
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static int eval_pkt(json_t *ruleset, struct fw_pkt pk)
{
	json_t *items = json_object_get(ruleset, "nftables");
	if (!json_is_array(items))
		return -1;
	pk.items = items;
	uint8_t family = pk.family;
	bool tables = false, unknown = false;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (json_object_get(it, "table"))
			tables = true;
		json_t *c = json_object_get(it, "chain");
		if (!c || !streq(jstr(c, "hook"), "input"))
			continue;
		const char *type = jstr(c, "type"), *fam = jstr(c, "family");
		if (type && !streq(type, "filter"))
			continue;
		if (!(streq(fam, "inet") || streq(fam, family == 4 ? "ip" : "ip6")))
			continue;
		int v = eval_chain(&pk, c);
		if (v == TV_F)
			return 0; /* every chain must pass it: one that drops it decides */
		if (v == TV_U)
			unknown = true;
	}
	if (!tables)
		return -1; /* nftables not in use */
	return unknown ? -1 : 1;
}

int reach_firewall_verdict(const char *ruleset_json, uint8_t proto, uint8_t family, uint16_t port)
{
	if (!ruleset_json || (proto != 6 && proto != 17) || (family != 4 && family != 6))
		return -1;
	json_t *root = json_loads(ruleset_json, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		return -1;
	int v = reach_firewall_eval(root, proto, family, port);
	json_decref(root);
	return v;
}

int reach_nft_list_ruleset(char **ret_json)
{
	char *const argv[] = { "nft", "-j", "list", "ruleset", NULL };
	char *out = NULL;
	size_t n;
	int r = spawn_read(REACH_NFT_PATH, argv, NFT_TIMEOUT_MS, NFT_OUTPUT_MAX, &out, &n);
	if (r < 0)
		return r;
	if (r > 0) {
		free(out);
		return -EPERM; /* usually: not allowed to read the ruleset unprivileged */
	}
	*ret_json = out;
	return 0;
}
