/*
 * Brute force, fast and slow, per source address.
 *
 * Fast: failures in a sliding window (8 buckets of window/8: the count
 * covers between 7/8 and all of the window, no per-event memory). A burst
 * episode is the run of failures from one source with gaps shorter than
 * the longest fast window (brute force, spray); it is reported once, when it
 * ends, with its total count, span and first lines.
 *
 * Slow: failures per clock hour in a ring covering slow_brute_force.window;
 * the entry lives until the source has been quiet that long, so the slow
 * episode is the entry's life and is reported when the entry goes.
 *
 * What counts as one attempt is decided once, before the detectors, by
 * the attempt stage (detect/attempt.h): a failure adds ev->attempts.
 *
 * This is the burst detector (burst.h): with spray.c, brute force and
 * password spraying. Its part of a source entry is struct bsrc; it writes
 * the source's burst fact (shared.h) on every failure, which the
 * login-after-failures detector reads.
 *
 * A source is remembered for the slow window (72 h by default) after its
 * last failure, but it is attacking (a burst) only while its failures come
 * less than the burst gap apart. So what a source keeps is in two parts:
 * struct bsrc, for the entry's life (the slow episode, its first lines,
 * the user names tried, a one-attempt burst in the "lite" fields: most
 * bursts of a flood are one attempt), and struct sburst (burst.h), from a
 * burst's second attempt until it ends.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "detect/burst.h"
#include "detect/hours-ring.h"
#include "detect/shared.h"

#define HOUR_US (3600 * USEC_PER_SEC)
#define LNAMES_INLINE 16

/* The detector's part of a source entry, laid out for the failure of a
 * source that comes back now and then: what every failure reads first,
 * the ring last. */
struct bsrc {
	struct sburst *b; /* the open burst's block (b->s is this part), or NULL: burst_free clears it */
	int64_t s_first, last; /* the slow episode (the entry's life); last: the last attempt */
	int64_t hour_base;
	uint64_t s_total; /* lines of the slow episode */
	bool slow_hit;
	bool alerted_burst; /* a burst of this source was reported (the slow episode then is not) */
	bool lite; /* a one-attempt burst is in the lite fields (open while last is within the gap) */
	bool lite_user; /* its line named a user */
	uint8_t s_n; /* s_kept used */
	uint32_t s_count, s_peak_count, s_peak_hours;
	uint32_t hour_sum, hour_nz;
	/* hour_base's bucket in hours[]; the hours before hour_base whose
	 * buckets may hold failures (every earlier one is empty). Both < 168:
	 * slow_brute_force.window is at most 7 days. */
	uint16_t hour_pos, hour_span;
	uint32_t lite_n; /* attempts the one line counted */
	uint32_t lovf; /* attempts whose user name could not be kept (lkeys and lmore were full) */
	uint64_t lite_user1, lite_ref;
	uint32_t *lmore; /* room for lmore_cap keys */
	uint32_t lmore_cap;
	char lite_name[SAMPLE_LEN + 1];

	/* user names tried in the entry's life: 32-bit keys, the first
	 * LNAMES_INLINE here, the rest in lmore */
	uint16_t ln;
	uint32_t lkeys[LNAMES_INLINE];
	uint64_t s_kept[EVID_KEEP]; /* the slow episode's first lines (struct evid's form) */

	/* the slow window's failures per hour (a ring, saturating) */
	uint8_t hours[];
};

struct brute {
	const struct detect_config *cfg;
	struct detector_env env;
	struct sburst *burst_free; /* recycled blocks (linked by link.next) */
	struct arena burst_mem; /* where they come from */
	struct list bursts; /* open blocks, by last attempt */
	int64_t burst_gap_us;
	uint32_t slow_nh; /* hours in the slow window: the length of the ring */
};

static uint32_t slow_hours(const struct detect_config *c)
{
	return MAX(c->slow_window / 3600u, 1u);
}

static int64_t burst_gap_us(const struct detect_config *c)
{
	uint32_t g = c->bf_window;
	if (c->spray_enabled && c->spray_window > g)
		g = c->spray_window;
	return (int64_t)g * USEC_PER_SEC;
}

static int64_t rate_width(const struct detect_config *c)
{
	return MAX((int64_t)c->bf_window * USEC_PER_SEC / RATE_BUCKETS, 1);
}

/* ---- windows ---- */

static uint32_t rate_add(struct sburst *b, int64_t now, int64_t width, uint32_t n)
{
	/* rate_base's bucket starts at rate_base * width, not after now (time
	 * does not go back). While now is within the ring's span, as an
	 * attack's next attempt is, the buckets up to now's are emptied one
	 * width at a time, without a division; beyond it the ring starts over.
	 * Differences only: now may be close to INT64_MAX. */
	if (b->rate_sum == 0 || now - b->rate_base * width >= RATE_BUCKETS * width) {
		memset(b->rate, 0, sizeof(b->rate));
		b->rate_sum = 0;
		b->rate_base = now / width;
	} else {
		for (int64_t start = b->rate_base * width; now - start >= width; start += width) {
			b->rate_base++;
			uint32_t *k = &b->rate[b->rate_base % RATE_BUCKETS];
			b->rate_sum -= *k;
			*k = 0;
		}
	}
	uint32_t *k = &b->rate[b->rate_base % RATE_BUCKETS];
	uint32_t add = MIN(n, UINT32_MAX - b->rate_sum);
	*k += add;
	b->rate_sum += add;
	return b->rate_sum;
}

static void hours_add(struct brute *B, struct bsrc *s, int64_t now, uint32_t n)
{
	uint32_t nh = B->slow_nh;
	int64_t idx = now / HOUR_US;
	/* The ring has no fixed origin: hour_base's bucket is hour_pos, and
	 * a move of k hours moves it k buckets, so no division places an
	 * hour. A ring whose sum is 0 is all zero already. */
	if (s->hour_sum == 0 || idx - s->hour_base >= (int64_t)nh) {
		if (s->hour_sum)
			memset(s->hours, 0, nh);
		s->hour_sum = s->hour_nz = 0;
		s->hour_base = idx;
		s->hour_pos = s->hour_span = 0;
	}
	if (s->hour_base < idx) {
		/* The hours up to idx - nh leave the window. Of them, only those
		 * from hour_base - hour_span on can hold a failure: a source back
		 * within the window after a short visit empties no bucket. */
		uint32_t k = (uint32_t)(idx - s->hour_base), pos = s->hour_pos, span = s->hour_span;
		if (k + span + 1 > nh) {
			uint32_t drop = k + span + 1 - nh;
			hours_clear(s->hours, nh, pos >= span ? pos - span : pos + nh - span, drop, &s->hour_sum,
				    &s->hour_nz);
			span -= drop;
		}
		s->hour_span = (uint16_t)(span + k);
		s->hour_pos = (uint16_t)(pos + k >= nh ? pos + k - nh : pos + k);
		s->hour_base = idx;
	}
	uint32_t i = s->hour_pos;
	uint32_t add = MIN(n, 255u - s->hours[i]);
	if (s->hours[i] == 0 && add)
		s->hour_nz++;
	s->hours[i] = (uint8_t)(s->hours[i] + add);
	s->hour_sum += add;
}

/* ---- the user names of the entry's life ---- */

/* The keys: the first LNAMES_INLINE inline in lkeys, the rest in lmore. */
static bool lnames_has(const struct bsrc *s, uint32_t key)
{
	/* Every inline key compared, no branch per key. The unused ones are
	 * 0 (the entry is zeroed when it is taken), which no key is (key32). */
	uint32_t more = s->ln > LNAMES_INLINE ? s->ln - LNAMES_INLINE : 0;
	uint32_t hit = 0;
	for (uint32_t i = 0; i < LNAMES_INLINE; i++)
		hit |= s->lkeys[i] == key;
	for (uint32_t i = 0; i < more; i++)
		hit |= s->lmore[i] == key;
	return hit != 0;
}

static void lnames_add(const struct detect_config *c, struct bsrc *s, uint64_t uh)
{
	uint32_t key = key32(uh), cap = c->max_names_per_source;
	if (s->ln < LNAMES_INLINE && s->ln < cap) {
		/* a 0 where it was there already: the unused keys are 0 */
		uint32_t hit = lnames_has(s, key);
		s->lkeys[s->ln] = hit ? 0 : key;
		s->ln = (uint16_t)(s->ln + !hit);
		return;
	}
	if (lnames_has(s, key))
		return;
	if (s->ln >= cap) {
		s->lovf++;
		return;
	}
	if (s->ln >= LNAMES_INLINE) {
		size_t room = s->lmore_cap; /* kept as 32 bits: the entry is tight */
		if (array_reserve(&s->lmore, &room, s->ln + 1u - LNAMES_INLINE, sizeof(*s->lmore), LNAMES_INLINE) < 0) {
			s->lovf++;
			return;
		}
		s->lmore_cap = (uint32_t)room;
	}
	if (s->ln < LNAMES_INLINE)
		s->lkeys[s->ln] = key;
	else
		s->lmore[s->ln - LNAMES_INLINE] = key;
	s->ln++;
}

/* ---- bursts ---- */

static void burst_free(struct brute *B, struct sburst *b)
{
	list_unlink(&b->link);
	/* the part forgets the block now (its line is likely still cached:
	 * the burst ended a gap after its last attempt), so its next failure,
	 * hours later, reads no recycled block */
	if (b->s)
		b->s->b = NULL;
	b->s = NULL;
	nset_clear(&b->names_tried);
	b->link.next = (struct list *)B->burst_free;
	B->burst_free = b;
}

/* A block for a burst of s that starts at first (NULL on OOM). */
static struct sburst *burst_new(struct brute *B, struct bsrc *s, int64_t first)
{
	struct sburst *b = B->burst_free;
	if (b) {
		B->burst_free = (struct sburst *)b->link.next;
		b->link.next = NULL;
	} else {
		b = arena_alloc(&B->burst_mem, sizeof(*b));
		if (!b)
			return NULL;
	}
	/* all before the name set (emptied when the block was freed, its
	 * buffer kept) starts over; names[] past n_names are never read */
	memset(b, 0, offsetof(struct sburst, names_tried));
	b->s = s;
	b->first = first;
	s->b = b;
	return b;
}

/* One attempt's part in the burst: n attempts at now by user (hash uh), line ref. */
static void burst_add(struct brute *B, struct sburst *b, int64_t now, uint32_t n, struct sv user, uint64_t uh,
		      uint64_t ref)
{
	const struct detect_config *c = B->cfg;

	if (b->evid.total == 0) /* its first attempt */
		b->user1 = uh;
	b->last = now;
	b->count += n;
	if (uh != b->user1)
		b->multi = true;
	evid_add(&b->evid, ref);
	if (c->bf_enabled && n) {
		uint32_t sum = rate_add(b, now, rate_width(c), n);
		if (sum > b->peak)
			b->peak = sum;
		if (sum >= c->bf_threshold)
			b->burst_hit = true;
	}
	spray_note(c, b, user, uh, (uint32_t)(now / USEC_PER_SEC), n);
	/* the sweep ends it once quiet, and reports it if it made an alert */
	list_push(&B->bursts, &b->link);
}

/* The lite burst (one attempt) moved into a block. */
static struct sburst *burst_promote(struct brute *B, struct bsrc *s)
{
	int64_t t = s->last;
	struct sburst *b = burst_new(B, s, t);
	if (!b)
		return NULL;
	s->lite = false;
	/* the name with its NUL: one cut to nothing still names a user */
	burst_add(B, b, t, s->lite_n,
		  s->lite_user ? sv_make(s->lite_name, strlen(s->lite_name) + 1) : (struct sv){ 0 }, s->lite_user1,
		  s->lite_ref);
	return b;
}

/* Whether the source's burst is open at now. */
static bool burst_open(const struct brute *B, const struct bsrc *s, int64_t now)
{
	if (s->b)
		return true; /* the sweep ends it when it goes quiet */
	return s->lite && now - s->last <= B->burst_gap_us;
}

/* ---- alerts ---- */

static void emit_burst(struct detect *d, struct brute *B, struct bsrc *s, struct sburst *b)
{
	const struct detect_config *c = B->cfg;
	const struct src_entry *e = src_of_part(s, &B->env);
	bool spray = spray_is_spray(c, b);
	char span[32], win[32];
	struct alert *a;

	if (spray)
		a = alert_new(AK_PASSWORD_SPRAY, b->users_peak >= c->spray_high_users ? SEV_HIGH : SEV_MEDIUM);
	else
		a = alert_new(AK_BRUTE_FORCE, b->peak >= c->bf_high ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	a->source = e->addr;
	detect_alert_host(d, a, e->host);
	alert_touch(a, b->first);
	alert_touch(a, b->last);
	a->count = b->count;
	if (!b->multi && b->n_names)
		(void)alert_set_user(a, sv_cstr(b->names[0]));
	fmt_duration(span, sizeof(span), b->last - b->first);
	fmt_duration(win, sizeof(win), (int64_t)c->bf_window * USEC_PER_SEC);
	if (spray) {
		spray_why(c, b, a);
	} else {
		if (b->burst_hit)
			(void)alert_add_why(a,
					    "%u failed login attempts in %s, up to %u within %s (threshold: %u; "
					    "high from %u)",
					    b->count, span, b->peak, win, c->bf_threshold, c->bf_high);
		else
			(void)alert_add_why(a, "%u failed login attempts in %s", b->count, span);
		spray_why(c, b, a);
	}
	(void)evid_to_alert(d, &b->evid, a);
	s->alerted_burst = true;
	detect_emit(d, a);
}

/* Ends a burst with a block: reported if it made an alert, then recycled. */
static void close_burst(struct detect *d, struct brute *B, struct sburst *b)
{
	if (b->burst_hit || b->spray_hit)
		emit_burst(d, B, b->s, b);
	burst_free(B, b);
}

static void emit_slow(struct detect *d, struct brute *B, struct bsrc *s)
{
	const struct detect_config *c = B->cfg;
	const struct src_entry *e = src_of_part(s, &B->env);
	char win[32], span[32];
	struct alert *a = alert_new(AK_BRUTE_FORCE, SEV_MEDIUM);
	struct evid ev = { .total = s->s_total, .n = s->s_n };

	if (!a)
		return;
	a->source = e->addr;
	detect_alert_host(d, a, e->host);
	alert_touch(a, s->s_first);
	alert_touch(a, s->last);
	a->count = s->s_count;
	fmt_duration(win, sizeof(win), (int64_t)c->slow_window * USEC_PER_SEC);
	fmt_duration(span, sizeof(span), s->last - s->s_first);
	(void)alert_add_why(a,
			    "slow brute force: %u failed login attempts spread over %u distinct hours within %s "
			    "(threshold: %u over %u hours)",
			    s->s_peak_count, s->s_peak_hours, win, c->slow_threshold, c->slow_min_hours);
	(void)alert_add_why(a, "%u attempts in all over %s, for %s%u user name%s", s->s_count, span,
			    s->lovf ? "more than " : "", s->ln, s->ln == 1 && !s->lovf ? "" : "s");
	memcpy(ev.kept, s->s_kept, sizeof(ev.kept));
	(void)evid_to_alert(d, &ev, a);
	detect_emit(d, a);
}

/* ---- the ops ---- */

static void brute_src_drop(struct detect *d, void *st, struct src_entry *e, void *part, enum part_drop why)
{
	struct brute *B = st;
	struct bsrc *s = part;
	struct sburst *b = s->b;
	(void)e;
	if (why == PART_FORGOTTEN) {
		/* a user who mistyped: forgotten without a word */
		if (b)
			burst_free(B, b);
	} else {
		if (b)
			close_burst(d, B, b);
		if (s->slow_hit && !s->alerted_burst)
			emit_slow(d, B, s);
	}
	free(s->lmore); /* the part is zeroed when the entry is used again */
	s->lmore = NULL;
}

static void brute_src_evidence(struct detect *d, void *st, struct src_entry *e, void *part, struct alert *a)
{
	struct brute *B = st;
	struct bsrc *s = part;
	struct evid ev = { 0 };
	(void)e;

	if (s->b) {
		(void)evid_to_alert(d, &s->b->evid, a);
		return;
	}
	if (!s->lite || detect_now(d) - s->last > B->burst_gap_us)
		return;
	ev.total = 1;
	if (s->lite_ref)
		ev.kept[ev.n++] = s->lite_ref;
	(void)evid_to_alert(d, &ev, a);
}

static size_t brute_src_size(const struct detect_config *c)
{
	/* the ring's room: whole words, which hours_clear reads and writes */
	return sizeof(struct bsrc) + ROUND_UP((size_t)slow_hours(c), 8);
}

static uint32_t brute_src_keep(const struct detect_config *c)
{
	uint32_t ttl = MAX(c->bf_window, c->spray_window);
	if (c->slow_enabled)
		ttl = MAX(ttl, c->slow_window);
	return ttl;
}

static int64_t brute_min_gap(const struct detect_config *c)
{
	return burst_gap_us(c);
}

static int brute_init(struct detect *d, const struct detector_env *env, void **ret)
{
	const struct detect_config *c = detect_cfg(d);
	struct brute *B = calloc(1, sizeof(*B));
	if (!B)
		return -ENOMEM;
	B->cfg = c;
	B->env = *env;
	list_init(&B->bursts);
	arena_init(&B->burst_mem, (size_t)MIN(c->max_sources, 65536u) * sizeof(struct sburst));
	B->burst_gap_us = burst_gap_us(c);
	B->slow_nh = slow_hours(c);
	*ret = B;
	return 0;
}

static void brute_free(struct detect *d, void *st)
{
	struct brute *B = st;
	(void)d;
	while (B->burst_free) {
		struct sburst *b = B->burst_free;
		B->burst_free = (struct sburst *)b->link.next;
		nset_done(&b->names_tried);
	}
	arena_done(&B->burst_mem);
	free(B);
}

static int64_t brute_due(const void *st)
{
	const struct brute *B = st;
	struct list *l = list_oldest(&B->bursts);
	if (!l)
		return INT64_MAX;
	int64_t last = list_entry(l, struct sburst, link)->last;
	return last > INT64_MAX - B->burst_gap_us ? INT64_MAX : last + B->burst_gap_us;
}

static void brute_sweep(struct detect *d, void *st, int64_t now)
{
	struct brute *B = st;
	struct list *l;

	while ((l = list_oldest(&B->bursts))) {
		struct sburst *b = list_entry(l, struct sburst, link);
		if (now - b->last <= B->burst_gap_us)
			break;
		close_burst(d, B, b);
	}
}

/* The source's burst as the shared fact tells it (shared.h). */
static void publish(struct brute *B, struct src_entry *e, struct bsrc *s)
{
	struct burst_fact *f = &e->burst;
	struct sburst *b = s->b;

	f->slow = s->slow_hit;
	f->open_until = s->last > INT64_MAX - B->burst_gap_us ? INT64_MAX : s->last + B->burst_gap_us;
	if (b) {
		f->first = b->first;
		f->count = b->count;
		f->users = spray_users(b, &f->users_at_least);
		f->multi = b->multi;
		f->fast = b->burst_hit || b->spray_hit;
	} else {
		f->first = s->last;
		f->count = s->lite_n;
		f->users = s->lite_user;
		f->users_at_least = false;
		f->multi = false;
		f->fast = false;
	}
}

static void brute_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	struct brute *B = st;
	const struct detect_config *c = B->cfg;
	int64_t now = detect_now(d);
	uint32_t n = x->n;
	struct src_entry *e = x->src;
	struct bsrc *s;
	struct sburst *b;

	if (!e)
		return;
	s = src_part(e, &B->env);
	b = s->b;
	/* the burst: a block when it has one or this is its second attempt,
	 * else the lite fields (a burst that went quiet ended: the sweep ended
	 * those with a block). Whether one is open is judged on the last
	 * attempt before this one. */
	if (!b && burst_open(B, s, now))
		b = burst_promote(B, s); /* NULL on OOM: the attempt still counts below */
	s->last = now;
	if (b) {
		burst_add(B, b, now, n, ev->user, x->uh, x->ref);
	} else {
		bool burst_hit = c->bf_enabled && n && n >= c->bf_threshold;
		bool spray_hit = c->spray_enabled && ev->user.n && 1 >= c->spray_min_users;
		s->lite = true;
		s->lite_n = n;
		s->lite_user = ev->user.n != 0;
		s->lite_user1 = x->uh;
		s->lite_ref = x->ref;
		spray_copy_name(s->lite_name, ev->user);
		/* a first attempt that alone makes an alert needs a block: the
		 * sweep reports it */
		if (burst_hit || spray_hit)
			(void)burst_promote(B, s);
	}

	if (s->s_count == 0)
		s->s_first = now;
	s->s_count += n;
	s->s_total++;
	if (s->s_n < EVID_KEEP && x->ref)
		s->s_kept[s->s_n++] = x->ref;
	if (ev->user.n)
		lnames_add(c, s, x->uh);
	if (c->slow_enabled && n) {
		hours_add(B, s, now, n);
		if (s->hour_sum >= c->slow_threshold && s->hour_nz >= c->slow_min_hours) {
			s->slow_hit = true;
			if (s->hour_sum > s->s_peak_count) {
				s->s_peak_count = s->hour_sum;
				s->s_peak_hours = s->hour_nz;
			}
		}
	}
	publish(B, e, s);
}

const struct detector_ops brute_ops = {
	.name = "brute_force",
	.kinds = KINDS_ATTEMPT,
	.src_size = brute_src_size,
	.init = brute_init,
	.feed = brute_feed,
	.sweep = brute_sweep,
	.due = brute_due,
	.min_gap = brute_min_gap,
	.src_drop = brute_src_drop,
	.src_evidence = brute_src_evidence,
	.src_keep = brute_src_keep,
	.free_state = brute_free,
};
