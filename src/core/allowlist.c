#include "core/allowlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"

static char *dup_or_null(const char *s, size_t max)
{
	return s ? strndup(s, max) : NULL;
}

static int fail(char **ret_err, int r, const char *fmt, const char *where, struct sv v)
{
	if (ret_err && asprintf(ret_err, fmt, where, (int)MIN(v.n, (size_t)80), v.p) < 0)
		*ret_err = NULL;
	return r;
}

/* "ADDR[/PREFIX]" -> network; 0 and *ret, or -EINVAL. */
static int parse_net(struct sv v, struct addr *ret, unsigned *ret_prefix)
{
	long slash = sv_chr(v, '/');
	struct sv a = slash >= 0 ? sv_make(v.p, (size_t)slash) : v;
	unsigned long long prefix;
	struct addr ad;
	unsigned bits;

	if (addr_parse(a, &ad) != 1)
		return -EINVAL;
	bits = ad.family == ADDR_V4 ? 32 : 128;
	if (slash < 0) {
		prefix = bits;
	} else {
		struct sv p = sv_skip(v, (size_t)slash + 1);
		if (p.n == 0 || p.n > 3 || sv_to_u64(p, 128, &prefix) < 0)
			return -EINVAL;
		/* an IPv4-mapped IPv6 network is stored as IPv4 (addr.h) */
		if (ad.family == ADDR_V4 && sv_chr(a, ':') >= 0) {
			if (prefix < 96)
				return -EINVAL;
			prefix -= 96;
		}
		if (prefix > bits)
			return -EINVAL;
	}
	*ret = addr_mask(&ad, (unsigned)prefix);
	*ret_prefix = (unsigned)prefix;
	return 0;
}

int allowlist_add_net(struct allowlist *l, struct sv text, const char *why, const char *where, char **ret_err)
{
	struct addr net;
	unsigned prefix;

	if (parse_net(text, &net, &prefix) < 0) {
		bool name = text.n && ((text.p[0] >= 'a' && text.p[0] <= 'z') || (text.p[0] >= 'A' && text.p[0] <= 'Z')) &&
			    sv_chr(text, ':') < 0;
		return fail(ret_err, -EINVAL,
			    name ? "%s: '%.*s' is a host name: moat resolves no names (give its address)"
				 : "%s: '%.*s' is not an address or a network (192.0.2.7, 10.0.0.0/8, 2001:db8::/32)",
			    where, text);
	}
	if (l->n_nets >= ALLOWLIST_MAX)
		return fail(ret_err, -E2BIG, "%s: more than 4096 networks ('%.*s')", where, text);
	struct allow_net *n = realloc(l->nets, (l->n_nets + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->nets = n;
	n += l->n_nets;
	*n = (struct allow_net){ .net = net, .prefix = (uint8_t)prefix };
	n->why = dup_or_null(why, ALLOWLIST_WHY_MAX);
	n->where = strdup(where);
	if ((why && !n->why) || !n->where) {
		free(n->why);
		free(n->where);
		return -ENOMEM;
	}
	l->n_nets++;
	l->sealed = false;
	return 0;
}

static bool name_ok(struct sv v)
{
	if (v.n == 0 || v.n > ALLOWLIST_NAME_MAX)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		if (ch <= ' ' || ch == 0x7f || ch == ':' || ch == '/' || ch == ',')
			return false;
	}
	return true;
}

int allowlist_add_account(struct allowlist *l, struct sv name, const char *why, const char *where, char **ret_err)
{
	if (!name_ok(name))
		return fail(ret_err, -EINVAL,
			    "%s: '%.*s' is not an account name (no spaces, ':', '/' or ',', at most "
			    "64 bytes)",
			    where, name);
	if (l->n_accts >= ALLOWLIST_MAX)
		return fail(ret_err, -E2BIG, "%s: more than 4096 accounts ('%.*s')", where, name);
	struct allow_account *a = realloc(l->accts, (l->n_accts + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	l->accts = a;
	a += l->n_accts;
	*a = (struct allow_account){ .name = sv_dup(name), .why = dup_or_null(why, ALLOWLIST_WHY_MAX),
				     .where = strdup(where) };
	if (!a->name || (why && !a->why) || !a->where) {
		free(a->name);
		free(a->why);
		free(a->where);
		return -ENOMEM;
	}
	l->n_accts++;
	l->sealed = false;
	return 0;
}

/* ---- lookup order ---- */

static int net_cmp(const struct allow_net *a, const struct allow_net *b)
{
	if (a->net.family != b->net.family)
		return a->net.family < b->net.family ? -1 : 1;
	/* the longest prefix first: the narrowest match is found first */
	if (a->prefix != b->prefix)
		return a->prefix > b->prefix ? -1 : 1;
	return memcmp(a->net.bytes, b->net.bytes, 16);
}

static const struct allowlist *sort_list; /* qsort has no user pointer */

static int net_order_cmp(const void *x, const void *y)
{
	return net_cmp(&sort_list->nets[*(const uint32_t *)x], &sort_list->nets[*(const uint32_t *)y]);
}

static int acct_order_cmp(const void *x, const void *y)
{
	return strcmp(sort_list->accts[*(const uint32_t *)x].name, sort_list->accts[*(const uint32_t *)y].name);
}

int allowlist_seal(struct allowlist *l)
{
	free(l->net_order);
	free(l->acct_order);
	free(l->runs);
	l->n_runs = 0;
	l->net_order = calloc(l->n_nets + 1, sizeof(uint32_t));
	l->acct_order = calloc(l->n_accts + 1, sizeof(uint32_t));
	l->runs = calloc(l->n_nets + 1, sizeof(*l->runs));
	if (!l->net_order || !l->acct_order || !l->runs)
		return -ENOMEM;
	for (size_t i = 0; i < l->n_nets; i++)
		l->net_order[i] = (uint32_t)i;
	for (size_t i = 0; i < l->n_accts; i++)
		l->acct_order[i] = (uint32_t)i;
	sort_list = l;
	if (l->n_nets > 1)
		qsort(l->net_order, l->n_nets, sizeof(uint32_t), net_order_cmp);
	if (l->n_accts > 1)
		qsort(l->acct_order, l->n_accts, sizeof(uint32_t), acct_order_cmp);
	sort_list = NULL;
	for (size_t i = 0; i < l->n_nets; i++) {
		const struct allow_net *n = &l->nets[l->net_order[i]];
		struct allow_run *r = l->n_runs ? &l->runs[l->n_runs - 1] : NULL;
		if (!r || r->family != n->net.family || r->prefix != n->prefix) {
			r = &l->runs[l->n_runs++];
			*r = (struct allow_run){ .family = n->net.family, .prefix = n->prefix, .start = (uint32_t)i };
		}
		r->end = (uint32_t)i + 1;
	}
	l->sealed = true;
	return 0;
}

void allowlist_done(struct allowlist *l)
{
	for (size_t i = 0; i < l->n_nets; i++) {
		free(l->nets[i].why);
		free(l->nets[i].where);
	}
	for (size_t i = 0; i < l->n_accts; i++) {
		free(l->accts[i].name);
		free(l->accts[i].why);
		free(l->accts[i].where);
	}
	free(l->nets);
	free(l->accts);
	free(l->net_order);
	free(l->acct_order);
	free(l->runs);
	*l = (struct allowlist){ 0 };
}

const struct allow_net *allowlist_find_addr(const struct allowlist *l, const struct addr *a)
{
	if (!l || !l->sealed || !l->n_nets || a->family == ADDR_NONE)
		return NULL;
	/* one binary search per run of one (family, prefix), longest prefix first */
	for (size_t i = 0; i < l->n_runs; i++) {
		const struct allow_run *r = &l->runs[i];
		if (r->family != a->family)
			continue;
		struct allow_net key = { .net = addr_mask(a, r->prefix), .prefix = r->prefix };
		size_t lo = r->start, hi = r->end;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = net_cmp(&key, &l->nets[l->net_order[mid]]);
			if (c == 0)
				return &l->nets[l->net_order[mid]];
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return NULL;
}

const struct allow_account *allowlist_find_account(const struct allowlist *l, struct sv user)
{
	size_t lo = 0, hi;
	if (!l || !l->sealed || !l->n_accts || user.n == 0 || user.n > ALLOWLIST_NAME_MAX)
		return NULL;
	hi = l->n_accts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = l->accts[l->acct_order[mid]].name;
		size_t n = strlen(name);
		int c = memcmp(user.p, name, MIN(n, user.n));
		if (c == 0)
			c = user.n < n ? -1 : user.n > n;
		if (c == 0)
			return &l->accts[l->acct_order[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool allowlist_covers_event(const struct allowlist *l, const struct event *ev)
{
	if (allowlist_empty(l))
		return false;
	if (allowlist_find_addr(l, &ev->source))
		return true;
	if (ev->kind == EV_DISCONNECT && (ev->flags & EVF_PREAUTH))
		return false; /* a goodbye before authenticating: the door again */
	return !event_kind_from_outside(ev->kind) && allowlist_find_account(l, ev->user);
}

void allowlist_describe_net(const struct allow_net *n, char *buf, size_t size)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	unsigned bits = n->net.family == ADDR_V4 ? 32 : 128, host = bits - n->prefix;
	struct addr last = n->net;
	(void)addr_format(&n->net, a);
	if (host == 0) {
		(void)snprintf(buf, size, "%s (one address)", a);
		return;
	}
	for (unsigned i = n->prefix; i < bits; i++)
		last.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	(void)addr_format(&last, b);
	if (host < 64)
		(void)snprintf(buf, size, "%s/%u (%llu addresses: %s to %s)", a, n->prefix, 1ULL << host, a, b);
	else
		(void)snprintf(buf, size, "%s/%u (2^%u addresses: %s to %s)", a, n->prefix, host, a, b);
}

const struct allow_net *allowlist_net_covered_by(const struct allowlist *l, const struct allow_net *n)
{
	const struct allow_net *best = NULL;
	for (size_t i = 0; i < l->n_nets; i++) {
		const struct allow_net *o = &l->nets[i];
		if (o == n || o->net.family != n->net.family || o->prefix > n->prefix)
			continue;
		if (o->prefix == n->prefix && o > n)
			continue; /* of two equal entries, the later one is said to repeat the first */
		struct addr m = addr_mask(&n->net, o->prefix);
		if (addr_equal(&m, &o->net) && (!best || o->prefix < best->prefix))
			best = o;
	}
	return best;
}
