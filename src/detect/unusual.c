/*
 * Unusual login: a valid credential used unlike the account's history.
 * Per account (host + user) a baseline of successful logins: source
 * networks, local hours, methods, key fingerprints. Once the history is
 * long enough (unusual_login.min_logins over min_days), a login that breaks
 * a habit raises an alert naming each broken habit with the history that
 * makes it unusual; then the login is learned too.
 *
 * Baselines are loaded from the store at start (and on demand for an
 * account not loaded), saved at the end and when pushed out of the table.
 *
 * The alert is then followed to the end of the login's session
 * (correlate.c, follow.h), which makes one story of what happened in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/timeutil.h"
#include "detect/baseline.h"
#include "detect/follow.h"
#include "detect/shared.h"
#include "store/store.h"

struct bentry {
	struct tnode node;
	uint16_t host;
	bool dirty;
	char *name;
	size_t name_len;
	struct baseline b;
};

struct unusual {
	struct detect *d;
	const struct detect_config *cfg;
	struct table bases; /* capped: keyed by host + user name (attacker text) */
	struct time_local local; /* the local hour of logins */
	struct follow *follow;
	int err; /* the first baseline that could not be saved */
};

struct bkey_lookup {
	uint16_t host;
	struct sv name;
};

static bool bentry_eq(const struct tnode *n, const void *key)
{
	const struct bentry *e = (const struct bentry *)n;
	const struct bkey_lookup *k = key;
	return e->host == k->host && sv_eq_sv(sv_make(e->name, e->name_len), k->name);
}

static uint64_t bentry_hash(const struct detect *d, uint16_t host, struct sv name)
{
	return hash_mix(detect_name_hash(d, name) ^ ((uint64_t)host * 0xc2b2ae3d27d4eb4fULL) ^ 0x62617365ULL);
}

static void bentry_drop(void *ud, struct tnode *n, enum tdrop why)
{
	struct unusual *U = ud;
	struct detect *d = U->d;
	struct store *st = detect_store(d);
	struct bentry *e = (struct bentry *)n;

	/* pushed out while learning: keep what it learned */
	if (why == TDROP_EVICTED && e->dirty && st) {
		char *blob = baseline_to_json(&e->b);
		int r = blob ? store_baseline_put(st, detect_host_name(d, e->host), e->name, blob) : -ENOMEM;
		if (r < 0 && U->err == 0)
			U->err = r;
		free(blob);
	}
	baseline_done(&e->b);
	free(e->name);
}

static struct bentry *bentry_new(struct unusual *U, uint16_t host, struct sv name)
{
	struct detect *d = U->d;
	struct bentry *e = (struct bentry *)table_insert(&U->bases, bentry_hash(d, host, name), detect_now(d));
	if (!e)
		return NULL;
	e->host = host;
	e->name = sv_dup(name);
	e->name_len = name.n;
	if (!e->name || baseline_init(&e->b, U->cfg) < 0) {
		table_remove(&U->bases, &e->node);
		return NULL;
	}
	return e;
}

static int load_one(void *ud, const char *host, const char *user, const char *blob)
{
	struct unusual *U = ud;
	struct detect *d = U->d;
	struct sv name = sv_cstr(user);
	uint16_t hid = 0;

	/* intern through the normal path so ids match the events' */
	if (host && *host)
		hid = detect_host_id(d, sv_cstr(host));
	if (name.n == 0 || !blob)
		return 0;
	struct bkey_lookup k = { hid, name };
	if (table_find(&U->bases, bentry_hash(d, hid, name), bentry_eq, &k))
		return 0;
	struct bentry *e = bentry_new(U, hid, name);
	if (!e)
		return -ENOMEM;
	if (baseline_from_json(&e->b, U->cfg, blob) < 0) {
		/* corrupt: start this account afresh */
		baseline_done(&e->b);
		(void)baseline_init(&e->b, U->cfg);
	}
	return 0;
}

static int unusual_init(struct detect *d, const struct detector_env *env, void **ret)
{
	struct unusual *U = calloc(1, sizeof(*U));
	struct store *st = detect_store(d);
	int r;

	if (!U)
		return -ENOMEM;
	U->d = d;
	U->cfg = detect_cfg(d);
	r = table_init(&U->bases, U->cfg->max_baselines, sizeof(struct bentry), detect_evictions(d), bentry_drop, U);
	if (r < 0) {
		free(U);
		return r;
	}
	U->follow = follow_new(d, env);
	if (!U->follow) {
		table_done(&U->bases);
		free(U);
		return -ENOMEM;
	}
	if (st)
		(void)store_baseline_foreach(st, load_one, U); /* a store that cannot be read starts afresh */
	*ret = U;
	return 0;
}

/* Saves the baselines that learned something (a write error: the first is
 * returned, the others are still tried). */
static int unusual_finish(struct detect *d, void *state)
{
	struct unusual *U = state;
	struct store *st = detect_store(d);
	int ret = U->err;
	if (!st)
		return ret;
	/* oldest first: a deterministic order */
	uint64_t pos = 0;
	for (struct tnode *n; (n = table_next_oldest(&U->bases, &pos));) {
		struct bentry *e = (struct bentry *)n;
		if (!e->dirty)
			continue;
		char *blob = baseline_to_json(&e->b);
		int r = blob ? store_baseline_put(st, detect_host_name(d, e->host), e->name, blob) : -ENOMEM;
		free(blob);
		if (r < 0) {
			if (ret == 0)
				ret = r;
			continue;
		}
		e->dirty = false;
	}
	return ret;
}

/* ---- the checks ---- */

static int cmp_idx_desc(const uint32_t *counts, uint32_t a, uint32_t b)
{
	return counts[a] != counts[b] ? (counts[a] > counts[b] ? -1 : 1) : (a < b ? -1 : 1);
}

static void check_method(const struct baseline *b, const struct event *ev, struct alert *a, unsigned *broken)
{
	uint32_t order[AM_MAX], n = 0;
	struct sbuf sb = { .n = 0 };

	if (ev->method == AM_NONE || (unsigned)ev->method >= AM_MAX || b->methods[ev->method])
		return;
	for (uint32_t m = 1; m < AM_MAX; m++)
		if (b->methods[m])
			order[n++] = m;
	if (n == 0)
		return; /* the history never said how */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && cmp_idx_desc(b->methods, order[j], order[j - 1]) < 0; j--) {
			uint32_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	sb.b[0] = '\0';
	sb_printf(&sb, "%s, though %u of %u earlier logins used %s", auth_method_name(ev->method), b->methods[order[0]],
		  b->n, auth_method_name(order[0]));
	for (uint32_t i = 1; i < n && i < 3; i++)
		sb_printf(&sb, ", %u %s", b->methods[order[i]], auth_method_name(order[i]));
	if (a) /* NULL: only counting */
		(void)alert_add_why(a, "%s", sb.b);
	(*broken)++;
}

static void check_network(const struct detect_config *c, const struct baseline *b, const struct event *ev, struct alert *a,
			  unsigned *broken)
{
	uint8_t prefix;
	struct addr net;
	uint32_t order[256], n = 0;
	char ab[ADDR_STRLEN];
	struct sbuf sb = { .n = 0 };

	if (ev->source.family == ADDR_NONE || addr_is_loopback(&ev->source))
		return;
	net = baseline_net_of(c, &ev->source, &prefix);
	for (uint32_t i = 0; i < b->n_nets; i++)
		if (b->nets[i].prefix == prefix && addr_equal(&b->nets[i].net, &net))
			return;
	for (uint32_t i = 0; i < b->n_nets && n < ELEMENTSOF(order); i++)
		order[n++] = i;
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0; j--) {
			const struct bnet *x = &b->nets[order[j]], *y = &b->nets[order[j - 1]];
			if (!(x->count > y->count || (x->count == y->count && order[j] < order[j - 1])))
				break;
			uint32_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	sb.b[0] = '\0';
	sb_printf(&sb, "from %s/%u, a network ", addr_format(&net, ab), prefix);
	if (b->nets_dropped)
		sb_printf(&sb, "not among those kept from %u earlier logins", b->n);
	else
		sb_printf(&sb, "none of %u earlier logins came from", b->n);
	if (n == 0) {
		sb_printf(&sb, " (earlier logins came from no network)");
	} else {
		sb_printf(&sb, " (usual: ");
		for (uint32_t i = 0; i < n && i < 3; i++)
			sb_printf(&sb, "%s%s/%u ×%u", i ? ", " : "", addr_format(&b->nets[order[i]].net, ab),
				  b->nets[order[i]].prefix, b->nets[order[i]].count);
		sb_printf(&sb, "%s)", n > 3 ? ", …" : "");
	}
	if (a) /* NULL: only counting */
		(void)alert_add_why(a, "%s", sb.b);
	(*broken)++;
}

/* Minutes from t (minutes into the day) to the hour h, [h:00, h+1:00),
 * round the clock. */
static int minutes_to_hour(int t, int h)
{
	int from = h * 60, to = h * 60 + 60;
	if (t >= from && t < to)
		return 0;
	int before = ((from - t) % 1440 + 1440) % 1440, after = ((t - to) % 1440 + 1440) % 1440;
	return before < after ? before : after;
}

/* "72 min", "5 h 48 min", "2 h" */
static void fmt_minutes(char *buf, size_t n, int m)
{
	if (m < 60)
		snprintf(buf, n, "%d min", m);
	else if (m % 60)
		snprintf(buf, n, "%d h %d min", m / 60, m % 60);
	else
		snprintf(buf, n, "%d h", m / 60);
}

/* How far the login's time of day is from the hours the account logs in
 * at: from the nearest hour with a login, round the clock. Within the
 * tolerance (unusual_login.hour_tolerance), or inside the usual span (a
 * quiet hour in the working day), it is usual; up to two hours beyond the
 * tolerance it is a little off (*minor: not a broken habit on its own);
 * further, a broken habit. */
#define HOUR_NEAR_MIN 120
static void check_hour(const struct detect_config *c, const struct baseline *b, const struct tm *tm,
		       struct alert *a, unsigned *broken, unsigned *minor)
{
	int tol = (int)c->ul_hour_tolerance * 60, h = tm->tm_hour, t = tm->tm_hour * 60 + tm->tm_min;
	int gap_start = -1, gap_len = 0, dist = INT32_MAX;

	for (int k = 0; k < 24; k++)
		if (b->hours[k] && minutes_to_hour(t, k) < dist)
			dist = minutes_to_hour(t, k);
	if (dist == INT32_MAX || dist <= tol)
		return;
	/* the usual span: the complement of the longest run of empty hours (circular) */
	for (int s = 0; s < 24; s++) {
		if (b->hours[s] || !b->hours[(s + 23) % 24])
			continue; /* runs start right after a busy hour */
		int len = 0;
		while (len < 24 && !b->hours[(s + len) % 24])
			len++;
		if (len > gap_len) {
			gap_len = len;
			gap_start = s;
		}
	}
	if (gap_start < 0)
		return;
	/* an hour inside the usual span (a quiet hour in the working day) is not unusual:
	 * only an hour in the longest run of empty hours is */
	if ((h - gap_start + 24) % 24 >= gap_len)
		return;
	int first = (gap_start + gap_len) % 24, end = gap_start; /* logins in [first, end) */
	bool near = dist <= tol + HOUR_NEAR_MIN;
	char zone[TIME_ZONE_STRLEN], far[32];
	fmt_minutes(far, sizeof(far), dist);
	if (a) /* NULL: only counting; the zone named: the alert's times may be shown in another */
		(void)alert_add_why(a, "at %02d:%02d %s, %s from the nearest hour of %u earlier logins (usual %02d:00–%02d:00)%s",
				    h, tm->tm_min, time_zone_name(tm, zone), far, b->n, first, end == 0 ? 24 : end,
				    near ? ", a little outside them" : "");
	if (near)
		(*minor)++;
	else
		(*broken)++;
}

static void check_key(const struct baseline *b, const struct event *ev, struct alert *a, unsigned *broken)
{
	struct sv fp = ev->key_fp;

	if (ev->method != AM_PUBLICKEY || fp.n == 0 || b->methods[AM_PUBLICKEY] == 0 || b->n_keys == 0)
		return;
	fp.n = MIN(fp.n, (size_t)100);
	for (uint32_t i = 0; i < b->n_keys; i++)
		if (sv_eq(fp, b->keys[i].fp))
			return;
	if (a) /* NULL: only counting */
		(void)alert_add_why(a, "with key %.*s, never used before by this account (%u earlier publickey logins used %u %s)",
			    (int)fp.n, fp.p, b->methods[AM_PUBLICKEY], b->n_keys,
			    b->keys_dropped ? "other keys kept" : b->n_keys == 1 ? "other key" : "other keys");
	(*broken)++;
}

/* The account's baseline (touched): in the table, else loaded from the
 * store, else a new one. NULL for a name that is no account (a NUL byte:
 * sshd cannot log one in, and the store keys baselines by the name as
 * text) or on OOM. */
static struct bentry *bentry_get(struct detect *d, struct unusual *U, uint16_t host, struct sv user)
{
	const struct detect_config *c = U->cfg;
	struct store *st = detect_store(d);
	struct bkey_lookup k = { host, user };
	struct bentry *e;

	if (user.n == 0 || user.n > 256 || memchr(user.p, '\0', user.n))
		return NULL;
	e = (struct bentry *)table_find(&U->bases, bentry_hash(d, host, user), bentry_eq, &k);
	if (e) {
		table_touch(&U->bases, &e->node, detect_now(d));
		return e;
	}
	e = bentry_new(U, host, user);
	if (!e)
		return NULL;
	char *blob = NULL;
	if (st && store_baseline_get(st, detect_host_name(d, host), e->name, &blob) > 0 && blob) {
		if (baseline_from_json(&e->b, c, blob) < 0) {
			baseline_done(&e->b);
			(void)baseline_init(&e->b, c);
		}
	}
	free(blob);
	return e;
}

static void unusual_success(struct detect *d, struct unusual *U, const struct event *ev, uint16_t host)
{
	const struct detect_config *c = U->cfg;
	struct bentry *e;
	struct alert *a = NULL;
	unsigned broken = 0;
	struct tm tm;
	time_t t = (time_t)(ev->time_us / USEC_PER_SEC);

	e = bentry_get(d, U, host, ev->user);
	if (!e)
		return;
	if (!time_local(&U->local, (int64_t)t, &tm))
		return;

	struct baseline *b = &e->b;
	/* Judged once either the logins or the days reach their minimum; a
	 * history short of the other is young: its alert is at most medium
	 * and says so. */
	bool young = b->n < c->ul_min_logins || b->days < c->ul_min_days;
	unsigned minor = 0;
	if (b->n >= c->ul_min_logins || b->days >= c->ul_min_days) {
		/* count first: most logins break no habit and need no alert */
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 1) {
				/* a little off alone: low on a grown history, nothing on a young one */
				if ((broken == 0 && (minor == 0 || young)) || !(a = alert_new(AK_UNUSUAL_LOGIN, SEV_MEDIUM)))
					break;
				broken = minor = 0;
			}
			if (c->ul_method)
				check_method(b, ev, a, &broken);
			if (c->ul_network)
				check_network(c, b, ev, a, &broken);
			if (c->ul_hour)
				check_hour(c, b, &tm, a, &broken, &minor);
			if (c->ul_key)
				check_key(b, ev, a, &broken);
		}
		if (a && young)
			(void)alert_add_why(a,
					    "the account's history is young: %u login%s over %u day%s (habits are trusted from "
					    "%u logins over %u days), so at most medium",
					    b->n, b->n == 1 ? "" : "s", b->days, b->days == 1 ? "" : "s", c->ul_min_logins,
					    c->ul_min_days);
	}
	baseline_learn(b, c, ev, (int64_t)t, tm.tm_hour,
		       time_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday));
	e->dirty = true;
	if (!a)
		return;
	a->severity = broken >= 2 ? SEV_HIGH : broken == 1 ? SEV_MEDIUM : SEV_LOW;
	if (young && a->severity > SEV_MEDIUM)
		a->severity = SEV_MEDIUM;
	a->source = ev->source;
	detect_alert_host(d, a, host);
	(void)alert_set_user(a, ev->user);
	alert_touch(a, detect_now(d));
	a->count = 1;
	(void)alert_add_evidence(a, &ev->origin);
	follow_open(d, U->follow, detect_acct(d, host, ev->user, true), a, ev);
}

static void unusual_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	struct unusual *U = st;
	if (ev->kind == EV_AUTH_SUCCESS) {
		unusual_success(d, U, ev, x->host);
		return;
	}
	if (ev->kind != EV_SUDO_COMMAND && ev->kind != EV_SU_SUCCESS) {
		follow_feed(d, U->follow, ev, x, 0);
		return;
	}
	/* a privilege used: how often the account used it before (a habit
	 * raises no severity in the session it ends), then learned */
	char what[BASELINE_PRIV_LEN + 1];
	struct bentry *e = bentry_get(d, U, x->host, ev->user);
	baseline_priv_of(ev, what);
	follow_feed(d, U->follow, ev, x, e ? baseline_priv_seen(&e->b, what) : 0);
	if (e) {
		baseline_priv_learn(&e->b, what, ev->time_us / USEC_PER_SEC);
		e->dirty = true;
	}
}

static void unusual_sweep(struct detect *d, void *st, int64_t now)
{
	struct unusual *U = st;
	follow_sweep(d, U->follow, now);
}

static int64_t unusual_due(const void *st)
{
	const struct unusual *U = st;
	return follow_due(U->follow);
}

static void unusual_acct_drop(struct detect *d, void *st, struct acct_entry *e, void *part, enum part_drop why)
{
	struct unusual *U = st;
	(void)part;
	(void)why;
	follow_close(d, U->follow, e);
}

static void unusual_free(struct detect *d, void *st)
{
	struct unusual *U = st;
	(void)d;
	table_done(&U->bases);
	follow_free(U->follow);
	free(U);
}

static void unusual_stats(const void *st, struct detect_stats *s)
{
	const struct unusual *U = st;
	s->tracked_baselines += table_size(&U->bases);
}

static bool unusual_enabled(const struct detect_config *c)
{
	return c->ul_enabled;
}

static uint32_t unusual_keep(const struct detect_config *c)
{
	return c->corr_window;
}

static int64_t unusual_min_gap(const struct detect_config *c)
{
	return (int64_t)c->corr_window * USEC_PER_SEC;
}

const struct detector_ops unusual_ops = {
	.name = "unusual_login",
	.kinds = KIND_BIT(EV_AUTH_SUCCESS) | KIND_BIT(EV_SUDO_FAILURE) | KIND_BIT(EV_SU_FAILURE) |
		 KIND_BIT(EV_SUDO_REFUSED) | KIND_BIT(EV_SUDO_COMMAND) | KIND_BIT(EV_SU_SUCCESS) |
		 KIND_BIT(EV_ACCOUNT_CHANGE) | KIND_BIT(EV_KEY_CHANGE) | KIND_BIT(EV_SESSION_CLOSE) |
		 KIND_BIT(EV_DISCONNECT),
	.acct_size = sizeof(struct uacct),
	.persists = "per account (host + user): the networks, local hours, methods and keys of its logins",
	.init = unusual_init,
	.feed = unusual_feed,
	.sweep = unusual_sweep,
	.due = unusual_due,
	.min_gap = unusual_min_gap,
	.acct_drop = unusual_acct_drop,
	.acct_keep = unusual_keep,
	.enabled = unusual_enabled,
	.finish = unusual_finish,
	.free_state = unusual_free,
	.stats = unusual_stats,
};
