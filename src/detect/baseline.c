/*
 * Baselines: what an account's successful logins look like. Bounded: at
 * most unusual_login.max_networks networks and max_keys key fingerprints
 * (the least used one is replaced, and the replacement counted), a 24-hour
 * histogram and per-method counts. Persisted as compact JSON through the
 * store, so a later scan continues learning:
 *
 *   {"v":1,"n":34,"days":9,"last_day":20400,"first":…,"last":…,
 *    "hours":[…24…],"methods":{"publickey":34},
 *    "nets":[["198.51.100.0/24",30,1700000000],…],"keys":[["SHA256:…",34,…]],
 *    "nets_dropped":0,"keys_dropped":0,
 *    "priv":[["sudo root /usr/bin/systemctl restart nginx",12,…],…],"priv_dropped":0}
 *
 * ("priv": the privileges the account used, sudo commands with their
 * target and su targets; only written when there are some.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/macro.h"
#include "core/strview.h"
#include "detect/baseline.h"

#define FP_MAX 100

int baseline_init(struct baseline *b, const struct detect_config *c)
{
	*b = (struct baseline){ .last_day = INT64_MIN };
	b->nets = calloc(c->ul_max_networks, sizeof(*b->nets));
	b->keys = calloc(c->ul_max_keys, sizeof(*b->keys));
	if (!b->nets || !b->keys) {
		baseline_done(b);
		return -ENOMEM;
	}
	return 0;
}

void baseline_done(struct baseline *b)
{
	for (uint32_t i = 0; i < b->n_priv; i++)
		free(b->priv[i].what);
	b->n_priv = 0;
	if (b->keys)
		for (uint32_t i = 0; i < b->n_keys; i++)
			free(b->keys[i].fp);
	free(b->keys);
	free(b->nets);
	b->keys = NULL;
	b->nets = NULL;
	b->n_keys = b->n_nets = 0;
}

struct addr baseline_net_of(const struct detect_config *c, const struct addr *a, uint8_t *ret_prefix)
{
	uint8_t prefix = (uint8_t)(a->family == ADDR_V4 ? c->ul_v4_prefix : c->ul_v6_prefix);
	*ret_prefix = prefix;
	return addr_mask(a, prefix);
}

/* The slot to (re)use when full: the least used, the oldest among equals. */
static uint32_t victim_net(const struct baseline *b)
{
	uint32_t v = 0;
	for (uint32_t i = 1; i < b->n_nets; i++)
		if (b->nets[i].count < b->nets[v].count ||
		    (b->nets[i].count == b->nets[v].count && b->nets[i].last_s < b->nets[v].last_s))
			v = i;
	return v;
}

static uint32_t victim_key(const struct baseline *b)
{
	uint32_t v = 0;
	for (uint32_t i = 1; i < b->n_keys; i++)
		if (b->keys[i].count < b->keys[v].count ||
		    (b->keys[i].count == b->keys[v].count && b->keys[i].last_s < b->keys[v].last_s))
			v = i;
	return v;
}

static void add_net(struct baseline *b, const struct detect_config *c, const struct addr *net, uint8_t prefix,
		    uint32_t count, int64_t last_s)
{
	for (uint32_t i = 0; i < b->n_nets; i++)
		if (b->nets[i].prefix == prefix && addr_equal(&b->nets[i].net, net)) {
			b->nets[i].count += count;
			if (last_s > b->nets[i].last_s)
				b->nets[i].last_s = last_s;
			return;
		}
	uint32_t i = b->n_nets;
	if (i >= c->ul_max_networks) {
		i = victim_net(b);
		b->nets_dropped++;
	} else {
		b->n_nets++;
	}
	b->nets[i] = (struct bnet){ .net = *net, .prefix = prefix, .count = count, .last_s = last_s };
}

static void add_key(struct baseline *b, const struct detect_config *c, struct sv fp, uint32_t count, int64_t last_s)
{
	char *s;
	fp.n = MIN(fp.n, (size_t)FP_MAX);
	for (uint32_t i = 0; i < b->n_keys; i++)
		if (sv_eq(fp, b->keys[i].fp)) {
			b->keys[i].count += count;
			if (last_s > b->keys[i].last_s)
				b->keys[i].last_s = last_s;
			return;
		}
	s = strndup(fp.p, fp.n);
	if (!s)
		return;
	uint32_t i = b->n_keys;
	if (i >= c->ul_max_keys) {
		i = victim_key(b);
		free(b->keys[i].fp);
		b->keys_dropped++;
	} else {
		b->n_keys++;
	}
	b->keys[i] = (struct bkey){ .fp = s, .count = count, .last_s = last_s };
}

void baseline_priv_of(const struct event *ev, char *buf)
{
	struct sv t = ev->target.n ? ev->target : SV_LIT("root");
	int tn = (int)MIN(t.n, (size_t)64);
	if (ev->kind == EV_SU_SUCCESS)
		snprintf(buf, BASELINE_PRIV_LEN + 1, "su %.*s", tn, t.p);
	else
		snprintf(buf, BASELINE_PRIV_LEN + 1, "sudo %.*s %.*s", tn, t.p, (int)MIN(ev->command.n, (size_t)BASELINE_PRIV_LEN),
			 ev->command.p ? ev->command.p : "");
	/* a NUL in attacker text ends the string: what is kept is what was compared */
}

uint32_t baseline_priv_seen(const struct baseline *b, const char *what)
{
	for (uint32_t i = 0; i < b->n_priv; i++)
		if (strcmp(b->priv[i].what, what) == 0)
			return b->priv[i].count;
	return 0;
}

static void add_priv(struct baseline *b, const char *what, uint32_t count, int64_t last_s)
{
	for (uint32_t i = 0; i < b->n_priv; i++)
		if (strcmp(b->priv[i].what, what) == 0) {
			b->priv[i].count += count;
			if (last_s > b->priv[i].last_s)
				b->priv[i].last_s = last_s;
			return;
		}
	char *s = strndup(what, BASELINE_PRIV_LEN);
	if (!s)
		return;
	uint32_t i = b->n_priv;
	if (i >= BASELINE_PRIV_MAX) {
		/* the least used, the oldest among equals */
		i = 0;
		for (uint32_t k = 1; k < b->n_priv; k++)
			if (b->priv[k].count < b->priv[i].count ||
			    (b->priv[k].count == b->priv[i].count && b->priv[k].last_s < b->priv[i].last_s))
				i = k;
		free(b->priv[i].what);
		b->priv_dropped++;
	} else {
		b->n_priv++;
	}
	b->priv[i] = (struct bpriv){ .what = s, .count = count, .last_s = last_s };
}

void baseline_priv_learn(struct baseline *b, const char *what, int64_t now_s)
{
	add_priv(b, what, 1, now_s);
}

void baseline_learn(struct baseline *b, const struct detect_config *c, const struct event *ev, int64_t now_s,
		    int hour, int64_t day)
{
	if (b->n == 0)
		b->first_s = now_s;
	b->n++;
	b->last_s = now_s;
	if (b->days == 0 || day != b->last_day) {
		b->days++;
		b->last_day = day;
	}
	if (hour >= 0 && hour < 24)
		b->hours[hour]++;
	if ((unsigned)ev->method < AM_MAX)
		b->methods[ev->method]++;
	if (ev->source.family != ADDR_NONE) {
		uint8_t prefix;
		struct addr net = baseline_net_of(c, &ev->source, &prefix);
		add_net(b, c, &net, prefix, 1, now_s);
	}
	if (ev->method == AM_PUBLICKEY && ev->key_fp.n)
		add_key(b, c, ev->key_fp, 1, now_s);
}

char *baseline_to_json(const struct baseline *b)
{
	json_t *o = json_object(), *hours = json_array(), *methods = json_object(), *nets = json_array(),
	       *keys = json_array();
	char ab[ADDR_STRLEN], nb[ADDR_STRLEN + 8];
	char *s = NULL;

	if (!o || !hours || !methods || !nets || !keys)
		goto out;
	for (int i = 0; i < 24; i++)
		json_array_append_new(hours, json_integer(b->hours[i]));
	for (int m = 1; m < AM_MAX; m++)
		if (b->methods[m])
			json_object_set_new(methods, auth_method_name((enum auth_method)m), json_integer(b->methods[m]));
	for (uint32_t i = 0; i < b->n_nets; i++) {
		snprintf(nb, sizeof(nb), "%s/%u", addr_format(&b->nets[i].net, ab), b->nets[i].prefix);
		json_array_append_new(nets, json_pack("[s,I,I]", nb, (json_int_t)b->nets[i].count,
						      (json_int_t)b->nets[i].last_s));
	}
	for (uint32_t i = 0; i < b->n_keys; i++)
		json_array_append_new(keys, json_pack("[s,I,I]", b->keys[i].fp, (json_int_t)b->keys[i].count,
						      (json_int_t)b->keys[i].last_s));
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "n", json_integer(b->n));
	json_object_set_new(o, "days", json_integer(b->days));
	json_object_set_new(o, "last_day", json_integer(b->days ? b->last_day : 0));
	json_object_set_new(o, "first", json_integer(b->first_s));
	json_object_set_new(o, "last", json_integer(b->last_s));
	json_object_set(o, "hours", hours);
	json_object_set(o, "methods", methods);
	json_object_set(o, "nets", nets);
	json_object_set(o, "keys", keys);
	json_object_set_new(o, "nets_dropped", json_integer(b->nets_dropped));
	json_object_set_new(o, "keys_dropped", json_integer(b->keys_dropped));
	if (b->n_priv) {
		json_t *priv = json_array();
		for (uint32_t i = 0; priv && i < b->n_priv; i++)
			json_array_append_new(priv, json_pack("[s,I,I]", b->priv[i].what, (json_int_t)b->priv[i].count,
							      (json_int_t)b->priv[i].last_s));
		json_object_set_new(o, "priv", priv);
		json_object_set_new(o, "priv_dropped", json_integer(b->priv_dropped));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	json_decref(hours);
	json_decref(methods);
	json_decref(nets);
	json_decref(keys);
	return s;
}

static uint32_t u32_of(json_t *v)
{
	json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
	return x < 0 ? 0 : x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

static int64_t i64_of(json_t *v)
{
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* A corrupt blob is an error (the caller starts the account afresh). */
int baseline_from_json(struct baseline *b, const struct detect_config *c, const char *text)
{
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *v;
	size_t i;
	int r = -EINVAL;

	if (!json_is_object(o) || i64_of(json_object_get(o, "v")) != 1)
		goto out;
	b->n = u32_of(json_object_get(o, "n"));
	b->days = u32_of(json_object_get(o, "days"));
	b->last_day = b->days ? i64_of(json_object_get(o, "last_day")) : INT64_MIN;
	b->first_s = i64_of(json_object_get(o, "first"));
	b->last_s = i64_of(json_object_get(o, "last"));
	b->nets_dropped = u32_of(json_object_get(o, "nets_dropped"));
	b->keys_dropped = u32_of(json_object_get(o, "keys_dropped"));
	v = json_object_get(o, "hours");
	if (!json_is_array(v) || json_array_size(v) != 24)
		goto out;
	for (i = 0; i < 24; i++)
		b->hours[i] = u32_of(json_array_get(v, i));
	v = json_object_get(o, "methods");
	if (!json_is_object(v))
		goto out;
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		int m = auth_method_from_name(k);
		if (m > 0 && m < AM_MAX)
			b->methods[m] = u32_of(x);
	}
	v = json_object_get(o, "nets");
	if (!json_is_array(v))
		goto out;
	json_array_foreach(v, i, x) {
		const char *t = json_string_value(json_array_get(x, 0));
		struct addr a;
		long slash;
		uint8_t prefix;
		if (!t)
			goto out;
		slash = sv_chr(sv_cstr(t), '/');
		if (slash < 0 || addr_parse(sv_make(t, (size_t)slash), &a) != 1)
			goto out;
		/* re-masked with today's prefixes: a changed config merges networks */
		struct addr net = baseline_net_of(c, &a, &prefix);
		add_net(b, c, &net, prefix, u32_of(json_array_get(x, 1)), i64_of(json_array_get(x, 2)));
	}
	v = json_object_get(o, "keys");
	if (!json_is_array(v))
		goto out;
	json_array_foreach(v, i, x) {
		const char *t = json_string_value(json_array_get(x, 0));
		if (!t)
			goto out;
		add_key(b, c, sv_cstr(t), u32_of(json_array_get(x, 1)), i64_of(json_array_get(x, 2)));
	}
	/* privileges the account used (absent from baselines written before them) */
	v = json_object_get(o, "priv");
	if (v && !json_is_array(v))
		goto out;
	json_array_foreach(v, i, x) {
		const char *t = json_string_value(json_array_get(x, 0));
		if (!t)
			goto out;
		add_priv(b, t, u32_of(json_array_get(x, 1)), i64_of(json_array_get(x, 2)));
	}
	b->priv_dropped = u32_of(json_object_get(o, "priv_dropped"));
	r = 0;
out:
	json_decref(o);
	return r;
}
