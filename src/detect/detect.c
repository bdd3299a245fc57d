/*
 * detect: the front door. Routes each event to the detectors that want its
 * kind (registry.c), after closing whatever went quiet before it (events
 * arrive in time order, so "quiet" is judged on event time), and keeps the
 * entries the detectors share (detect/shared.h): sources by address and
 * accounts by host + user name, capped tables keyed by attacker data, with
 * the facts the front door itself writes on them.
 */
#include "detect/detect.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/hash.h"
#include "core/macro.h"
#include "core/memeq.h"
#include "detect/ahead.h"
#include "detect/detector.h"
#include "detect/hosts.h"
#include "detect/shared.h"

#define ACCT_NAME_MAX 256
/* The kinds the detectors may judge (their hosts are interned in the order
 * they come, so which names fit under limits.max_hosts does not depend on
 * which detectors run); the others only move the clock. */
#define KINDS_JUDGED                                                                                           \
	(KINDS_ATTEMPT | KIND_BIT(EV_AUTH_SUCCESS) | KIND_BIT(EV_SUDO_FAILURE) | KIND_BIT(EV_SU_FAILURE) |     \
	 KIND_BIT(EV_SUDO_REFUSED) | KIND_BIT(EV_SUDO_COMMAND) | KIND_BIT(EV_SU_SUCCESS) |                    \
	 KIND_BIT(EV_ACCOUNT_CHANGE) | KIND_BIT(EV_KEY_CHANGE) | KIND_BIT(EV_SESSION_CLOSE) |                 \
	 KIND_BIT(EV_DISCONNECT))

struct unit {
	const struct detector_ops *ops;
	void *st;
	struct detector_env env;
	bool on; /* runs with this configuration */
};

struct detect {
	const struct detect_config *cfg;
	struct store *st;
	struct alert_sink sink;
	struct detect_stats stats;
	uint64_t seed;
	int64_t now_us;
	bool ready; /* every detector's state was made */
	bool finished;
	int err; /* what finish returned */

	struct hosts *hosts;
	struct table srcs, accts;
	int64_t src_ttl_us, acct_ttl_us;
	unsigned needs; /* NEED_* of the detectors that run */

	struct unit *units;
	size_t n_units;
	/* per event kind, the detectors that run and want it, in registry order */
	uint8_t by_kind[EV_KIND_MAX][16];
	uint8_t n_by_kind[EV_KIND_MAX];

	/* nothing can end (sweep has nothing to do) until time passes this:
	 * the earliest end of what is open, and of what may open later */
	int64_t sweep_after;
	int64_t min_gap_us; /* the shortest time from an event to an end it starts */

	/* the files lines come from, numbered for struct evid (origin.file
	 * lives for the whole run) */
	const char **files;
	uint32_t n_files, last_file;
	size_t files_cap;
};

/* ---- small shared helpers ---- */

void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;
	if (sb->n >= sizeof(sb->b) - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(sb->b + sb->n, sizeof(sb->b) - sb->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		sb->n = MIN(sb->n + (size_t)r, sizeof(sb->b) - 1);
}

void fmt_duration(char *buf, size_t n, int64_t us)
{
	int64_t s = us / USEC_PER_SEC;
	if (s < 0)
		s = 0;
	if (s >= 2 * 86400 && s % 86400 == 0)
		snprintf(buf, n, "%lld days", (long long)(s / 86400));
	else if (s > 0 && s % 3600 == 0 && s < 2 * 86400)
		snprintf(buf, n, "%lld h", (long long)(s / 3600));
	else if (s < 120)
		snprintf(buf, n, "%lld s", (long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, n, "%lld min", (long long)((s + 30) / 60));
	else if (s < 3 * 86400)
		snprintf(buf, n, "%lld h", (long long)((s + 1800) / 3600));
	else
		snprintf(buf, n, "%lld days", (long long)((s + 43200) / 86400));
}


/* ---- what the detectors ask of the front door ---- */

const struct detect_config *detect_cfg(const struct detect *d)
{
	return d->cfg;
}

struct store *detect_store(const struct detect *d)
{
	return d->st;
}

int64_t detect_now(const struct detect *d)
{
	return d->now_us;
}

uint64_t *detect_evictions(struct detect *d)
{
	return &d->stats.evictions;
}

void detect_emit(struct detect *d, struct alert *a)
{
	if (!a)
		return;
	if (a->first_us == INT64_MAX)
		a->first_us = a->last_us = d->now_us;
	d->stats.alerts++;
	d->sink.emit(d->sink.userdata, a);
}

uint16_t detect_host_id(struct detect *d, struct sv h)
{
	return hosts_id(d->hosts, h);
}

const char *detect_host_name(const struct detect *d, uint16_t host)
{
	return hosts_name(d->hosts, host);
}

void detect_alert_host(struct detect *d, struct alert *a, uint16_t host)
{
	(void)alert_set_host(a, sv_cstr(detect_host_name(d, host)));
}

uint64_t detect_name_hash(const struct detect *d, struct sv name)
{
	return hash_bytes(name.p, MIN(name.n, (size_t)ACCT_NAME_MAX), d->seed);
}

uint64_t detect_addr_hash(const struct detect *d, const struct addr *a)
{
	return addr_hash(a, d->seed);
}

static uint32_t file_id(struct detect *d, const char *file)
{
	/* lines come file after file: the last one is usually right */
	if (d->last_file && d->files[d->last_file - 1] == file)
		return d->last_file;
	for (uint32_t i = d->n_files; i > 0; i--)
		if (d->files[i - 1] == file)
			return d->last_file = i;
	if (d->n_files >= (UINT32_C(1) << EVID_FILE_BITS) - 1)
		return 0;
	if (array_reserve(&d->files, &d->files_cap, (size_t)d->n_files + 1, sizeof(*d->files), 16) < 0)
		return 0;
	d->files[d->n_files++] = file;
	return d->last_file = d->n_files;
}
static uint64_t detect_ref(struct detect *d, const struct origin *o)
{
	uint32_t id = o->file && o->line < (UINT64_C(1) << EVID_LINE_BITS) ? file_id(d, o->file) : 0;
	return id ? (uint64_t)id << EVID_LINE_BITS | o->line : 0;
}


int evid_to_alert(const struct detect *d, const struct evid *e, struct alert *a)
{
	for (uint32_t i = 0; i < e->n; i++) {
		uint64_t id = e->kept[i] >> EVID_LINE_BITS;
		struct origin o = { .file = d->files[id - 1], .line = e->kept[i] & ((UINT64_C(1) << EVID_LINE_BITS) - 1) };
		int r = alert_add_evidence(a, &o);
		if (r < 0)
			return r;
	}
	/* the lines not kept still count */
	a->evidence_total += e->total - e->n;
	return 0;
}

/* ---- the shared entries ---- */

static bool src_eq(const struct tnode *n, const void *key)
{
	return addr_equal(&((const struct src_entry *)n)->addr, key);
}

struct acct_key {
	uint16_t host;
	struct sv name;
};

static bool acct_eq(const struct tnode *n, const void *key)
{
	const struct acct_entry *a = (const struct acct_entry *)n;
	const struct acct_key *k = key;
	return a->host == k->host && a->name_len == k->name.n && mem_eq(a->name, k->name.p, k->name.n);
}

static struct acct_entry *acct_h(struct detect *d, uint16_t host, struct sv name, uint64_t name_hash, bool create)
{
	struct acct_key k = { host, sv_make(name.p, MIN(name.n, (size_t)ACCT_NAME_MAX)) };
	uint64_t h = hash_mix(name_hash ^ ((uint64_t)host * 0x9e3779b97f4a7c15ULL));
	struct acct_entry *a = (struct acct_entry *)table_find(&d->accts, h, acct_eq, &k);

	if (a) {
		table_touch(&d->accts, &a->node, d->now_us);
		return a;
	}
	if (!create)
		return NULL;
	a = (struct acct_entry *)table_insert(&d->accts, h, d->now_us);
	if (!a)
		return NULL;
	a->host = host;
	a->name = sv_dup(k.name);
	a->name_len = k.name.n;
	if (!a->name) {
		table_remove(&d->accts, &a->node);
		return NULL;
	}
	return a;
}

struct acct_entry *detect_acct(struct detect *d, uint16_t host, struct sv name, bool create)
{
	return acct_h(d, host, name, detect_name_hash(d, name), create);
}

static enum part_drop part_why(enum tdrop why)
{
	return why == TDROP_REMOVED ? PART_FORGOTTEN : why == TDROP_EVICTED ? PART_EVICTED : PART_EXPIRED;
}

static void src_drop(void *ud, struct tnode *n, enum tdrop why)
{
	struct detect *d = ud;
	struct src_entry *e = (struct src_entry *)n;
	for (size_t i = 0; i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		if (u->on && u->ops->src_drop)
			u->ops->src_drop(d, u->st, e, src_part(e, &u->env), part_why(why));
	}
}

static void acct_drop(void *ud, struct tnode *n, enum tdrop why)
{
	struct detect *d = ud;
	struct acct_entry *a = (struct acct_entry *)n;
	for (size_t i = 0; i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		if (u->on && u->ops->acct_drop)
			u->ops->acct_drop(d, u->st, a, acct_part(a, &u->env), part_why(why));
	}
	sset_done(&a->failures);
	free(a->name);
}

void detect_src_evidence(struct detect *d, struct src_entry *e, struct alert *a)
{
	for (size_t i = 0; i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		if (u->on && u->ops->src_evidence)
			u->ops->src_evidence(d, u->st, e, src_part(e, &u->env), a);
	}
}

/* ---- life cycle ---- */

static int64_t add_sat(int64_t t, int64_t d)
{
	return t > INT64_MAX - d ? INT64_MAX : t + d;
}

struct detect *detect_new(const struct detect_config *cfg, struct store *st, struct alert_sink sink)
{
	struct detect *d = calloc(1, sizeof(*d));
	size_t src_size = sizeof(struct src_entry), acct_size = sizeof(struct acct_entry);
	uint32_t src_keep = 0, acct_keep = 0;

	if (!d)
		return NULL;
	d->cfg = cfg;
	d->st = st;
	d->sink = sink;
	d->seed = hash_random_seed(d);
	d->sweep_after = INT64_MIN;
	d->min_gap_us = INT64_MAX;
	d->hosts = hosts_new(cfg->max_hosts, d->seed ^ 0x686f7374ULL);
	d->units = calloc(n_detectors, sizeof(*d->units));
	if (!d->hosts || !d->units)
		return detect_free(d);
	d->n_units = n_detectors;

	/* where each detector's parts go, what the entries must live for */
	for (size_t i = 0; i < n_detectors; i++) {
		struct unit *u = &d->units[i];
		const struct detector_ops *o = detectors[i];
		u->ops = o;
		u->on = !o->enabled || o->enabled(cfg);
		/* the entries live as long as any detector's windows say, run
		 * or not: how long a source is remembered is part of the
		 * configuration, not of which detectors report */
		if (o->src_keep)
			src_keep = MAX(src_keep, o->src_keep(cfg));
		if (o->acct_keep)
			acct_keep = MAX(acct_keep, o->acct_keep(cfg));
		if (o->min_gap)
			d->min_gap_us = MIN(d->min_gap_us, o->min_gap(cfg));
		if (!u->on)
			continue;
		d->needs |= o->needs;
		u->env.src_off = src_size;
		u->env.acct_off = acct_size;
		src_size += ROUND_UP(o->src_size ? o->src_size(cfg) : 0, 8);
		acct_size += ROUND_UP(o->acct_size, 8);
		assert(i < 256);
		for (int k = 0; k < EV_KIND_MAX; k++)
			if (o->kinds & KIND_BIT(k)) {
				assert(d->n_by_kind[k] < ELEMENTSOF(d->by_kind[k]));
				d->by_kind[k][d->n_by_kind[k]++] = (uint8_t)i;
			}
	}
	d->src_ttl_us = (int64_t)src_keep * USEC_PER_SEC;
	d->acct_ttl_us = (int64_t)acct_keep * USEC_PER_SEC;
	d->min_gap_us = MIN(d->min_gap_us, MIN(d->src_ttl_us, d->acct_ttl_us));
	if (table_init(&d->srcs, cfg->max_sources, src_size, &d->stats.evictions, src_drop, d) < 0 ||
	    table_init(&d->accts, cfg->max_accounts, acct_size, &d->stats.evictions, acct_drop, d) < 0)
		return detect_free(d);
	for (size_t i = 0; i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		if (u->on && u->ops->init && u->ops->init(d, &u->env, &u->st) < 0)
			return detect_free(d);
	}
	d->ready = true;
	return d;
}

struct detect *detect_free(struct detect *d)
{
	if (!d)
		return NULL;
	if (d->ready && !d->finished && d->sink.emit)
		(void)detect_finish(d);
	table_done(&d->srcs);
	table_done(&d->accts);
	for (size_t i = 0; d->units && i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		if (u->st && u->ops->free_state)
			u->ops->free_state(d, u->st);
	}
	free(d->units);
	hosts_free(d->hosts);
	free(d->files);
	free(d);
	return NULL;
}

/* When the table's oldest entry expires (INT64_MAX: it is empty). */
static int64_t table_end(const struct table *t, int64_t ttl)
{
	int64_t o = table_oldest(t);
	return o == INT64_MAX ? INT64_MAX : add_sat(o, ttl);
}

static int64_t unit_due(const struct unit *u)
{
	return u->on && u->ops->sweep ? u->ops->due(u->st) : INT64_MAX;
}

static void sweep_units(struct detect *d, int64_t now, bool with_src_parts)
{
	for (size_t i = 0; i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		bool has_src = u->ops->src_size != NULL;
		if (has_src == with_src_parts && now > unit_due(u))
			u->ops->sweep(d, u->st, now);
	}
}

/* Ends what went quiet before now: first what the detectors of sources
 * hold, then the source entries, then the others and the account entries.
 * After a sweep, what stays open ends later, and what opens from now on
 * (events come in time order) ends at least min_gap_us after now: until
 * the earliest of these, no sweep has anything to do. */
static void sweep(struct detect *d, int64_t now)
{
	if (now <= d->sweep_after)
		return;
	sweep_units(d, now, true);
	if (now > table_end(&d->srcs, d->src_ttl_us))
		table_expire(&d->srcs, now - d->src_ttl_us);
	sweep_units(d, now, false);
	if (now > table_end(&d->accts, d->acct_ttl_us))
		table_expire(&d->accts, now - d->acct_ttl_us);

	int64_t next = add_sat(now, d->min_gap_us);
	for (size_t i = 0; i < d->n_units; i++)
		next = MIN(next, unit_due(&d->units[i]));
	next = MIN(next, table_end(&d->srcs, d->src_ttl_us));
	next = MIN(next, table_end(&d->accts, d->acct_ttl_us));
	d->sweep_after = next;
}

/* A failure's shared step: the source's entry and the front door's facts
 * on it, and the account's failing sources when a detector reads them. */
static bool failure_step(struct detect *d, const struct event *ev, struct dctx *x)
{
	const struct detect_config *c = d->cfg;
	uint32_t now_s = (uint32_t)(d->now_us / USEC_PER_SEC);
	struct src_entry *s;

	/* not an attempt, a repeat of one already counted, or one whose
	 * connection has named no address yet */
	if (x->n == 0 || ev->source.family == ADDR_NONE)
		return false;
	table_prefetch_entry(&d->srcs, x->src_h);
	s = (struct src_entry *)table_find(&d->srcs, x->src_h, src_eq, &ev->source);
	if (s) {
		table_touch(&d->srcs, &s->node, d->now_us);
	} else {
		s = (struct src_entry *)table_insert(&d->srcs, x->src_h, d->now_us);
		if (s) {
			s->addr = ev->source;
			s->host = x->host;
		}
	}
	if (s) {
		s->attempts += x->n;
		s->last = d->now_us;
		if (ev->user.n) {
			uint32_t k = key32(x->uh);
			if (!s->user_key)
				s->user_key = k;
			else if (s->user_key != k)
				s->users_differ = true;
		}
	}
	x->src = s;
	if (ev->user.n && (d->needs & NEED_ACCT_FAILURES)) {
		struct acct_entry *ac = acct_h(d, x->host, ev->user, x->uh, true);
		if (ac) {
			uint32_t prev_s;
			bool fresh;
			struct sitem *it = sset_touch(&ac->failures, x->src_h, now_s, c->dist_window,
						      c->max_sources_per_account, x->n, &fresh, &prev_s);
			x->src_fresh = fresh;
			x->src_kept = it != NULL;
			int g = fail_method_of(ev->method);
			if (g >= 0) {
				struct fail_run *r = &ac->fail_by[g];
				if (r->attempts == 0 || now_s - r->last_s > c->after_window) {
					r->attempts = 0;
					r->first_s = now_s;
				}
				r->attempts += x->n;
				r->last_s = now_s;
			}
		}
		x->acct = ac;
	}
	return true;
}

/* A success's shared step: a user who mistyped is not an attacker. When
 * the source's failures were all for the user who now logs in, and no more
 * than brute_force.mistypes_forgiven, the source is forgotten without a
 * word (its entry goes, every detector's part with it), on the account's
 * side too. */
static void success_step(struct detect *d, const struct event *ev, struct dctx *x)
{
	struct src_entry *s = NULL;

	if (x->src_h)
		s = (struct src_entry *)table_find(&d->srcs, x->src_h, src_eq, &ev->source);
	x->acct = ev->user.n ? acct_h(d, x->host, ev->user, x->uh, false) : NULL;
	if (s && src_only_user(s, x->uh) && s->attempts <= d->cfg->bf_forgive) {
		struct sitem *it = x->acct ? sset_find(&x->acct->failures, x->src_h) : NULL;
		if (it)
			sset_zero(&x->acct->failures, it);
		table_remove(&d->srcs, &s->node);
		s = NULL;
	}
	x->src = s;
}

/* The look-ahead's loads (detect/ahead.h): a failure's source entry. */
static bool preloads(const struct event *ev)
{
	return (unsigned)ev->kind < EV_KIND_MAX && (KIND_BIT(ev->kind) & KINDS_ATTEMPT) && ev->attempts &&
	       ev->source.family != ADDR_NONE;
}

/* Fewer sources than this stay in the caches: nothing to load ahead. */
#define PRELOAD_MIN 4096

uint64_t detect_preload_slot(const struct detect *d, const struct event *ev)
{
	if (d->srcs.n < PRELOAD_MIN || !preloads(ev))
		return 0;
	uint64_t h = addr_hash(&ev->source, d->seed);
	table_prefetch_slot(&d->srcs, h);
	return h;
}

void detect_preload_entry(const struct detect *d, uint64_t src_h)
{
	if (src_h)
		table_prefetch_entry(&d->srcs, src_h);
}

void detect_feed(struct detect *d, const struct event *ev)
{
	detect_feed_hashed(d, ev, 0);
}

void detect_feed_hashed(struct detect *d, const struct event *ev, uint64_t src_h)
{
	enum event_kind k = ev->kind;
	struct dctx x = { 0 };

	d->stats.events++;
	/* time never goes backwards inside the detectors: lists stay ordered */
	d->now_us = MAX(d->now_us, ev->time_us);
	if ((unsigned)k >= EV_KIND_MAX)
		return;
	if (!(KIND_BIT(k) & KINDS_JUDGED)) {
		sweep(d, d->now_us);
		return;
	}
	x.ref = detect_ref(d, &ev->origin);
	x.host = detect_host_id(d, ev->host);
	x.uh = ev->user.n ? detect_name_hash(d, ev->user) : 0;
	x.src_h = ev->source.family == ADDR_NONE ? 0 : src_h ? src_h : addr_hash(&ev->source, d->seed);
	/* a failure reads its source's entry, likely cold: start loading it
	 * (its slot first) while the sweep runs */
	if (x.src_h && (KIND_BIT(k) & KINDS_ATTEMPT))
		table_prefetch_slot(&d->srcs, x.src_h);
	sweep(d, d->now_us);

	if (KIND_BIT(k) & KINDS_ATTEMPT) {
		x.n = ev->attempts;
		if (!failure_step(d, ev, &x))
			return;
	} else if (k == EV_AUTH_SUCCESS) {
		x.n = 1;
		success_step(d, ev, &x);
	} else if (k == EV_SUDO_FAILURE || k == EV_SU_FAILURE) {
		x.n = ev->attempts;
		if (x.n == 0)
			return; /* a repeat of an attempt already counted */
	} else if (k == EV_SUDO_REFUSED || k == EV_SUDO_COMMAND || k == EV_SU_SUCCESS) {
		x.n = ev->count ? ev->count : 1;
	} else {
		x.n = 1;
	}
	for (uint8_t i = 0; i < d->n_by_kind[k]; i++) {
		struct unit *u = &d->units[d->by_kind[k][i]];
		u->ops->feed(d, u->st, ev, &x);
	}
}

int detect_finish(struct detect *d)
{
	if (d->finished)
		return d->err;
	sweep(d, INT64_MAX);
	table_expire(&d->srcs, INT64_MAX);
	table_expire(&d->accts, INT64_MAX);
	for (size_t i = 0; i < d->n_units; i++) {
		struct unit *u = &d->units[i];
		if (u->on && u->ops->finish) {
			int r = u->ops->finish(d, u->st);
			if (r < 0 && d->err == 0)
				d->err = r;
		}
	}
	d->finished = true;
	return d->err;
}

void detect_get_stats(const struct detect *d, struct detect_stats *ret)
{
	*ret = d->stats;
	ret->tracked_sources = table_size(&d->srcs);
	ret->tracked_users = table_size(&d->accts);
	ret->tracked_baselines = 0;
	for (size_t i = 0; i < d->n_units; i++) {
		const struct unit *u = &d->units[i];
		if (u->on && u->ops->stats)
			u->ops->stats(u->st, ret);
	}
}
