/*
 * detect: the front door. Interns host names, routes each event to the
 * detectors that care, and first closes whatever went quiet before it
 * (events arrive in time order, so "quiet" is judged on event time).
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
#include "core/macro.h"
#include "detect/internal.h"

#define ACCT_NAME_MAX 256
#define HELD_RING (4 * DETECT_LOOKAHEAD_MAX) /* look-ahead ring */
#define HELD_BATCH 128 /* events decoded before the detectors run */
/* at most the look-ahead and a batch are held */
_Static_assert(HELD_RING >= DETECT_LOOKAHEAD_MAX + HELD_BATCH, "the look-ahead ring holds a batch");
#define HELD_TEXT_MAX 4096 /* longer events are judged at once: the ring stays small */

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

void detect_emit(struct detect *d, struct alert *a)
{
	if (!a)
		return;
	if (a->first_us == INT64_MAX)
		a->first_us = a->last_us = d->now_us;
	d->stats.alerts++;
	d->sink.emit(d->sink.userdata, a);
}

/* ---- hosts ---- */

static uint64_t host_hash(const struct detect *d, struct sv h)
{
	return hash_bytes(h.p, h.n, d->seed ^ 0x686f7374ULL);
}

const char *detect_host_name(const struct detect *d, uint16_t host)
{
	return host < d->n_hosts ? d->host_names[host] : "";
}

void detect_alert_host(struct detect *d, struct alert *a, uint16_t host)
{
	(void)alert_set_host(a, sv_cstr(detect_host_name(d, host)));
}

static bool host_is(const struct detect *d, uint16_t id, struct sv h)
{
	return h.n == d->host_lens[id] && memcmp(h.p, d->host_names[id], h.n) == 0;
}

uint16_t detect_host_id(struct detect *d, struct sv h)
{
	if (h.n == 0)
		return 0;
	/* logs come from few hosts: the previous answer is usually right */
	if (d->last_host && host_is(d, d->last_host, h))
		return d->last_host;
	uint64_t hh = host_hash(d, h);
	size_t i = hh & d->host_mask;
	for (;; i = (i + 1) & d->host_mask) {
		uint16_t id = d->host_slots[i];
		if (id == 0)
			break;
		if (host_is(d, id, h))
			return d->last_host = id;
	}
	/* the table holds max_hosts names; beyond that hosts share id 0 */
	if (d->n_hosts > d->cfg->max_hosts || memchr(h.p, '\0', h.n))
		return 0;
	char *name = sv_dup(h);
	if (!name)
		return 0;
	d->host_names[d->n_hosts] = name;
	d->host_lens[d->n_hosts] = (uint32_t)h.n;
	d->host_slots[i] = (uint16_t)d->n_hosts;
	d->last_host = (uint16_t)d->n_hosts;
	return (uint16_t)d->n_hosts++;
}

/* ---- accounts (host + user name) ---- */

struct acct_key {
	uint16_t host;
	struct sv name;
};

static bool acct_eq(const struct tnode *n, const void *key)
{
	const struct acct *a = (const struct acct *)n;
	const struct acct_key *k = key;
	return a->host == k->host && sv_eq_sv(sv_make(a->name, a->name_len), k->name);
}

uint64_t detect_name_hash(const struct detect *d, struct sv name)
{
	return hash_bytes(name.p, MIN(name.n, (size_t)ACCT_NAME_MAX), d->seed);
}

struct acct *detect_acct(struct detect *d, uint16_t host, struct sv name, bool create)
{
	return detect_acct_h(d, host, name, detect_name_hash(d, name), create);
}

struct acct *detect_acct_h(struct detect *d, uint16_t host, struct sv name, uint64_t name_hash, bool create)
{
	struct acct_key k = { host, sv_make(name.p, MIN(name.n, (size_t)ACCT_NAME_MAX)) };
	uint64_t h = hash_mix(name_hash ^ ((uint64_t)host * 0x9e3779b97f4a7c15ULL));
	struct acct *a = (struct acct *)table_find(&d->accts, h, acct_eq, &k);

	if (a) {
		table_touch(&d->accts, &a->node, d->now_us);
		return a;
	}
	if (!create)
		return NULL;
	a = (struct acct *)table_insert(&d->accts, h, d->now_us);
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

static void acct_drop(void *ud, struct tnode *n, bool forced)
{
	struct detect *d = ud;
	struct acct *a = (struct acct *)n;
	(void)forced;
	dist_close(d, a);
	privesc_close(d, a);
	corr_close(d, a);
	dl_unlink(&a->dist);
	dl_unlink(&a->pe);
	sset_done(&a->srcs);
	free(a->pe_detail);
	free(a->pe_target);
	free(a->name);
}

/* ---- life cycle ---- */

struct detect *detect_new(const struct detect_config *cfg, struct store *st, struct alert_sink sink)
{
	struct detect *d = calloc(1, sizeof(*d));
	uint32_t hslots = 16;

	if (!d)
		return NULL;
	d->cfg = cfg;
	d->st = st;
	d->sink = sink;
	d->seed = hash_random_seed(d);
	dl_init(&d->bursts);
	dl_init(&d->dist_open);
	dl_init(&d->pe_open);
	dl_init(&d->pending);

	while (hslots < (cfg->max_hosts + 1) * 2)
		hslots <<= 1;
	d->host_mask = hslots - 1;
	d->host_slots = calloc(hslots, sizeof(*d->host_slots));
	d->host_names = calloc((size_t)cfg->max_hosts + 1, sizeof(*d->host_names));
	d->host_lens = calloc((size_t)cfg->max_hosts + 1, sizeof(*d->host_lens));
	if (!d->host_slots || !d->host_names || !d->host_lens)
		return detect_free(d);
	d->host_names[0] = strdup("");
	if (!d->host_names[0])
		return detect_free(d);
	d->n_hosts = 1;

	d->sweep_after = INT64_MIN;
	d->dist_gap_us = (int64_t)cfg->dist_window * USEC_PER_SEC;
	d->pe_gap_us = (int64_t)cfg->pe_window * USEC_PER_SEC;
	d->acct_ttl_us = (int64_t)MAX(MAX(cfg->dist_window, cfg->after_window), MAX(cfg->pe_window, cfg->corr_window)) *
			 USEC_PER_SEC;
	if (table_init(&d->accts, cfg->max_accounts, sizeof(struct acct), &d->stats.evictions, acct_drop, d) < 0 ||
	    brute_init(d) < 0 || unusual_init(d) < 0)
		return detect_free(d);
	/* after brute_init, which sets the burst gap and the sources' ttl */
	d->min_gap_us = MIN(MIN(d->burst_gap_us, d->src_ttl_us), MIN(d->dist_gap_us, d->pe_gap_us));
	d->min_gap_us = MIN(d->min_gap_us, MIN((int64_t)cfg->corr_window * USEC_PER_SEC, d->acct_ttl_us));
	return d;
}

struct detect *detect_free(struct detect *d)
{
	if (!d)
		return NULL;
	if (!d->finished && d->sink.emit)
		(void)detect_finish(d);
	table_done(&d->srcs);
	brute_done(d);
	table_done(&d->accts);
	table_done(&d->bases);
	if (d->held)
		for (unsigned i = 0; i < HELD_RING; i++)
			free(d->held[i].buf);
	free(d->held);
	if (d->host_names)
		for (uint32_t i = 0; i < d->n_hosts; i++)
			free(d->host_names[i]);
	free(d->host_names);
	free(d->host_lens);
	free(d->host_slots);
	free(d->files);
	free(d);
	return NULL;
}

static int64_t add_sat(int64_t t, int64_t d)
{
	return t > INT64_MAX - d ? INT64_MAX : t + d;
}

/* When the oldest of an open list (last activity at offset off of its
 * element) ends: gap after that activity (INT64_MAX: the list is empty). */
static int64_t list_end(struct dlink *h, size_t off, int64_t gap)
{
	struct dlink *l = dl_oldest(h);
	int64_t last;
	if (!l)
		return INT64_MAX;
	memcpy(&last, (const char *)l + off, sizeof(last));
	return add_sat(last, gap);
}

/* When the table's oldest entry expires. The head record may be stale
 * (its entry was touched since): then this is too early, and
 * table_expire skips it and finds nothing to drop, which is harmless. */
static int64_t table_end(const struct table *t, int64_t ttl)
{
	return t->qhead < t->qtail ? add_sat(t->q[t->qhead & t->qmask].seen_us, ttl) : INT64_MAX;
}

#define BURST_LAST (offsetof(struct sburst, last) - offsetof(struct sburst, link))
#define DIST_LAST (offsetof(struct acct, d_last) - offsetof(struct acct, dist))
#define PE_LAST (offsetof(struct acct, pe_last) - offsetof(struct acct, pe))

/* Ends what went quiet before now. Something ends when now passes its
 * end; after a sweep, what stays open ends later, and what opens from
 * now on (events come in time order) ends at least min_gap_us after now:
 * until the earliest of these, no sweep has anything to do. */
static void sweep(struct detect *d, int64_t now)
{
	if (now <= d->sweep_after)
		return;
	if (now > list_end(&d->bursts, BURST_LAST, d->burst_gap_us) || now > table_end(&d->srcs, d->src_ttl_us))
		brute_sweep(d, now);
	if (now > list_end(&d->dist_open, DIST_LAST, d->dist_gap_us))
		dist_sweep(d, now);
	if (now > list_end(&d->pe_open, PE_LAST, d->pe_gap_us))
		privesc_sweep(d, now);
	if (now > corr_deadline(d))
		corr_sweep(d, now);
	if (now > table_end(&d->accts, d->acct_ttl_us))
		table_expire(&d->accts, now - d->acct_ttl_us);

	int64_t next = add_sat(now, d->min_gap_us);
	next = MIN(next, list_end(&d->bursts, BURST_LAST, d->burst_gap_us));
	next = MIN(next, table_end(&d->srcs, d->src_ttl_us));
	next = MIN(next, list_end(&d->dist_open, DIST_LAST, d->dist_gap_us));
	next = MIN(next, list_end(&d->pe_open, PE_LAST, d->pe_gap_us));
	next = MIN(next, corr_deadline(d));
	next = MIN(next, table_end(&d->accts, d->acct_ttl_us));
	d->sweep_after = next;
}

static bool is_attempt_kind(enum event_kind k)
{
	switch (k) {
	case EV_AUTH_FAILURE:
	case EV_INVALID_USER:
	case EV_USER_NOT_ALLOWED:
	case EV_ROOT_REFUSED:
	case EV_MAX_AUTH:
	case EV_PREAUTH_CLOSE:
	case EV_PROTOCOL_ERROR:
		return true;
	default:
		return false;
	}
}

/* The keys of a failure line, and hints to load its connection and the
 * slot of its source's entry. */
static void failure_keys(struct detect *d, const struct event *ev, struct fkeys *k)
{
	k->ahead = false;
	k->host = detect_host_id(d, ev->host);
	k->uh = ev->user.n ? detect_name_hash(d, ev->user) : 0;
	k->src_h = 0;
	if (ev->source.family != ADDR_NONE) {
		k->src_h = addr_hash(&ev->source, d->seed);
		table_prefetch(&d->srcs, k->src_h);
	}
}

/* The file's number for struct evid (1 on; 0: the table cannot grow). */
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

/* The line of o as struct evid keeps it (0: it cannot be kept, only counted). */
static uint64_t detect_ref(struct detect *d, const struct origin *o)
{
	uint32_t id = o->file && o->line < (UINT64_C(1) << EVID_LINE_BITS) ? file_id(d, o->file) : 0;
	return id ? (uint64_t)id << EVID_LINE_BITS | o->line : 0;
}

/* k: the failure's keys when already known (else NULL). */
static void judge(struct detect *d, const struct event *ev, const struct fkeys *k)
{
	uint16_t host;

	d->stats.events++;
	d->ref = detect_ref(d, &ev->origin);
	/* time never goes backwards inside the detectors: lists stay ordered */
	d->now_us = MAX(d->now_us, ev->time_us);

	if (is_attempt_kind(ev->kind)) {
		/* a failure reads its connection and its source's entry, both
		 * likely cold: start loading them before the sweep */
		struct fkeys own;
		if (!k) {
			failure_keys(d, ev, &own);
			k = &own;
		}
		sweep(d, d->now_us);
		brute_feed(d, ev, k);
		return;
	}
	sweep(d, d->now_us);

	switch (ev->kind) {
	case EV_AUTH_SUCCESS:
		host = detect_host_id(d, ev->host);
		after_success(d, ev, host);
		unusual_success(d, ev, host);
		break;
	case EV_SUDO_FAILURE:
	case EV_SU_FAILURE: {
		uint32_t n = ev->attempts;
		host = detect_host_id(d, ev->host);
		if (n == 0)
			break; /* a repeat of an attempt already counted */
		if (!corr_feed(d, ev, host, n))
			privesc_feed(d, ev, host, n);
		break;
	}
	case EV_SUDO_REFUSED:
	case EV_SUDO_COMMAND:
	case EV_SU_SUCCESS:
		host = detect_host_id(d, ev->host);
		if (!corr_feed(d, ev, host, ev->count ? ev->count : 1))
			privesc_feed(d, ev, host, ev->count ? ev->count : 1);
		break;
	case EV_ACCOUNT_CHANGE:
	case EV_KEY_CHANGE:
		host = detect_host_id(d, ev->host);
		(void)corr_feed(d, ev, host, 1);
		account_feed(d, ev, host);
		break;
	case EV_SESSION_CLOSE:
	case EV_DISCONNECT:
		host = detect_host_id(d, ev->host);
		(void)corr_feed(d, ev, host, 1);
		break;
	default:
		break;
	}
}

/* ---- look-ahead ----
 *
 * A failure reads a source entry last touched hours ago, and what hangs off
 * it: a chain of cache misses, each waiting for the one before. Held back
 * for a few dozen events, each step of the chain is started one stage
 * before it is needed, so the misses of many events overlap instead of
 * adding up. The stages only load memory (every pointer followed is to
 * memory the detectors keep for the whole run); judging is unchanged.
 * Events are taken in batches (HELD_BATCH): the decoders run for a batch
 * of lines, then the stages and judges for its events, so that neither
 * side's code evicts the other's from the instruction cache on every
 * line. */

void detect_set_lookahead(struct detect *d, unsigned n)
{
	if (n > DETECT_LOOKAHEAD_MAX)
		n = DETECT_LOOKAHEAD_MAX;
	if (n && !d->held) {
		d->held = calloc(HELD_RING, sizeof(*d->held));
		if (!d->held)
			n = 0; /* judged at once: slower, the same alerts */
	}
	detect_flush(d);
	d->ahead = n;
}

/* The text an event points to: its views, in one list for hold() and
 * detect_feed_slot(). */
#define EVENT_VIEWS 10
static void event_views(struct event *ev, struct sv *out[EVENT_VIEWS])
{
	struct sv *const v[EVENT_VIEWS] = { &ev->host,	      &ev->program, &ev->user, &ev->target,  &ev->source_name,
					    &ev->key_type, &ev->key_fp,	 &ev->tty,  &ev->command, &ev->detail };
	memcpy(out, v, sizeof(v));
}

/* Copies ev into h (unless it was built there: detect_slot), with the
 * text of its views that lie outside text[0, n) (views inside stay where
 * they are: the caller keeps those bytes). False when that text is longer
 * than HELD_TEXT_MAX (the event is judged at once) or on OOM. */
static bool hold(struct held *h, const struct event *ev, const char *text, size_t n)
{
	struct sv *views[EVENT_VIEWS];
	bool copy[EVENT_VIEWS];
	size_t need = 0;
	char *at;

	if (ev != &h->ev)
		h->ev = *ev;
	event_views(&h->ev, views);
	for (size_t i = 0; i < EVENT_VIEWS; i++) {
		copy[i] = !sv_within(*views[i], text, n);
		need += copy[i] ? views[i]->n : 0;
	}
	if (!need)
		return true;
	if (need > HELD_TEXT_MAX)
		return false;
	if (array_reserve(&h->buf, &h->cap, need, 1, 256) < 0)
		return false;
	at = h->buf;
	for (size_t i = 0; i < EVENT_VIEWS; i++) {
		if (!copy[i])
			continue;
		memcpy(at, views[i]->p, views[i]->n);
		views[i]->p = at;
		at += views[i]->n;
	}
	return true;
}

/* Stage 1: the slot of the source's entry, and the connection record. */
static void stage_slot(struct detect *d, struct held *h)
{
	h->src = NULL;
	h->failure = is_attempt_kind(h->ev.kind);
	if (h->failure) {
		failure_keys(d, &h->ev, &h->k);
		h->k.ahead = true;
	}
}

/* Stage 2: the entry the slot leads to. */
static void stage_entry(struct detect *d, struct held *h)
{
	if (!h->failure || !h->k.src_h)
		return;
	h->src = (const struct src *)table_peek(&d->srcs, h->k.src_h);
	if (h->src)
		prefetch_range(h->src, d->srcs.entry_size);
	else
		table_prefetch_free(&d->srcs); /* a new source: the entry it will reuse */
}

/* Stage 3: what hangs off the entry: its user names past those kept
 * inline, and its burst's block (recently used: usually cached). */
static void stage_more(struct held *h)
{
	if (!h->src)
		return;
	if (h->src->lmore)
		prefetch_range(h->src->lmore, (size_t)(h->src->ln - MIN(h->src->ln, LNAMES_INLINE)) * sizeof(uint32_t));
	if (h->src->b)
		prefetch_range(h->src->b, offsetof(struct sburst, names_tried) + 64);
}

static struct held *held_at(struct detect *d, uint64_t i)
{
	return &d->held[i % HELD_RING];
}

static void judge_held(struct detect *d, struct held *h)
{
	judge(d, &h->ev, h->failure ? &h->k : NULL);
}

/* Runs the look-ahead's steps for the events held but not yet staged:
 * each starts loading its own state, moves the stages of the events
 * before it on, and judges the oldest once a are ahead of it. */
static void run_steps(struct detect *d)
{
	unsigned a = d->ahead, q = a / 4;
	while (d->held_staged < d->held_tail) {
		uint64_t t = d->held_staged++;
		stage_slot(d, held_at(d, t));
		if (t >= d->held_head + q)
			stage_entry(d, held_at(d, t - q));
		if (t >= d->held_head + 2 * q)
			stage_more(held_at(d, t - 2 * q));
		if (t + 1 - d->held_head > a)
			judge_held(d, held_at(d, d->held_head++));
	}
}

void detect_flush(struct detect *d)
{
	run_steps(d);
	while (d->held_head < d->held_tail)
		judge_held(d, held_at(d, d->held_head++));
}

struct event *detect_slot(struct detect *d)
{
	return d->ahead ? &held_at(d, d->held_tail)->ev : NULL;
}

void detect_feed(struct detect *d, const struct event *ev)
{
	detect_feed_from(d, ev, NULL, 0);
}

/* The event at held_tail joins the held ones; a full batch runs. */
static void held_push(struct detect *d)
{
	d->held_tail++;
	/* the decoders run for a batch of lines, then the detectors for
	 * their events: each keeps its code in the instruction cache */
	if (d->held_tail - d->held_staged >= HELD_BATCH)
		run_steps(d);
}

#ifndef NDEBUG
extern const char __executable_start[], edata[];
#endif

void detect_feed_slot(struct detect *d, const char *text, size_t n)
{
	assert(d->ahead);
#ifndef NDEBUG
	/* every view in text, or in the program's own constant data (a
	 * decoder's literal) */
	struct sv *views[EVENT_VIEWS];
	event_views(&held_at(d, d->held_tail)->ev, views);
	for (size_t i = 0; i < EVENT_VIEWS; i++)
		assert(sv_within(*views[i], text, n) ||
		       sv_within(*views[i], __executable_start, (size_t)(edata - __executable_start)));
#else
	(void)text;
	(void)n;
#endif
	held_push(d);
}

void detect_feed_from(struct detect *d, const struct event *ev, const char *text, size_t n)
{
	if (!d->ahead || !hold(held_at(d, d->held_tail), ev, text, n)) {
		detect_flush(d);
		judge(d, ev, NULL);
		return;
	}
	held_push(d);
}

int detect_finish(struct detect *d)
{
	if (d->finished)
		return d->baseline_err;
	detect_flush(d);
	sweep(d, INT64_MAX);
	table_expire(&d->srcs, INT64_MAX);
	table_expire(&d->accts, INT64_MAX);
	d->baseline_err = unusual_save(d);
	d->finished = true;
	return d->baseline_err;
}

void detect_get_stats(const struct detect *d, struct detect_stats *ret)
{
	*ret = d->stats;
	ret->tracked_sources = d->srcs.n;
	ret->tracked_users = d->accts.n;
	ret->tracked_baselines = d->bases.n;
}
