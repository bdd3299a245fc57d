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
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/array.h"
#include "detect/internal.h"

#define HOUR_US (3600 * USEC_PER_SEC)

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

static bool src_eq(const struct tnode *n, const void *key)
{
	return addr_equal(&((const struct src *)n)->addr, key);
}

struct src *brute_find(struct detect *d, const struct addr *a)
{
	return (struct src *)table_find(&d->srcs, addr_hash(a, d->seed), src_eq, a);
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

/* The sum of a word's 8 bytes, and how many of them are not zero. */
static inline void word_sum_nz(uint64_t v, uint32_t *sum, uint32_t *nz)
{
#ifdef __SSE2__
	/* one "sum of absolute differences" from zero each: the bytes, and
	 * the bytes capped at 1 */
	const __m128i x = _mm_cvtsi64_si128((long long)v), zero = _mm_setzero_si128();
	*sum += (uint32_t)_mm_cvtsi128_si32(_mm_sad_epu8(x, zero));
	*nz += (uint32_t)_mm_cvtsi128_si32(_mm_sad_epu8(_mm_min_epu8(x, _mm_set1_epi8(1)), zero));
#else
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL, even = 0x00ff00ff00ff00ffULL;
	uint64_t pairs = (v & even) + (v >> 8 & even); /* four sums of two, each < 511 */
	*sum += (uint32_t)((pairs * 0x0001000100010001ULL) >> 48);
	/* a byte's top bit set when it is not zero; the bits added up */
	*nz += (uint32_t)((((((v & lo7) + lo7) | v) & ~lo7) >> 7) * 0x0101010101010101ULL >> 56);
#endif
}

/* Empties the ring's buckets from..to-1 (positions, from <= to <= nh).
 * A word at a time over the ring's room (a multiple of 8 bytes, see
 * brute_init): the range's bytes are masked in, summed, counted and
 * cleared without a branch on what they hold (whether an hour saw a
 * failure is a coin toss), and a word outside the range keeps its bytes. */
static void hours_empty(struct src *s, uint32_t from, uint32_t to)
{
	uint32_t sum = 0, nz = 0;
	uint64_t first = ~UINT64_C(0) << (8 * (from % 8));

	for (uint32_t w = from & ~7u; w < to; w += 8) {
		uint32_t left = to - w;
		uint64_t m = first & (left >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * left)) - 1), x;
		first = ~UINT64_C(0);
		memcpy(&x, s->hours + w, sizeof(x));
		word_sum_nz(x & m, &sum, &nz);
		x &= ~m;
		memcpy(s->hours + w, &x, sizeof(x));
	}
	s->hour_sum -= sum;
	s->hour_nz -= nz;
}

/* For rings of at most 127 hours (the default is 72), every
 * byte of the ring's room is tested at once, 16 at a time, for being one
 * of the n from position from on (round the ring), instead of a loop over
 * the range's words, whose length and wrapping vary from call to call
 * (guessed wrong about once a call). A byte's place counted from `from`
 * is (i + nh - from) mod nh, below 2 * nh before the mod: it fits a byte.
 * The room's bytes past nh are zeros (emptying them changes nothing).
 * Without SSE2, the word loop. */
void brute_hours_clear_vec(struct src *s, uint32_t nh, uint32_t from, uint32_t n)
{
#ifdef __SSE2__
	const __m128i lane = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	const __m128i vnh = _mm_set1_epi8((char)nh), vn = _mm_set1_epi8((char)n), one = _mm_set1_epi8(1);
	const __m128i zero = _mm_setzero_si128(), shift = _mm_set1_epi8((char)(nh - from));
	const uint32_t room = ROUND_UP(nh, 8);
	__m128i sum = zero, nz = zero;

	for (uint32_t o = 0; o < room; o += 16) {
		__m128i t = _mm_add_epi8(_mm_add_epi8(lane, _mm_set1_epi8((char)o)), shift);
		/* t mod nh (t < 2 * nh): nh off where t >= nh */
		__m128i rel = _mm_sub_epi8(t, _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(t, vnh), t), vnh));
		/* in the range: rel < n, i.e. not max(rel, n) == rel (none for n = 0) */
		__m128i out = _mm_cmpeq_epi8(_mm_max_epu8(rel, vn), rel);
		__m128i x = room - o >= 16 ? _mm_loadu_si128((const __m128i *)(const void *)(s->hours + o))
					   : _mm_loadl_epi64((const __m128i *)(const void *)(s->hours + o));
		__m128i gone = _mm_andnot_si128(out, x);
		sum = _mm_add_epi64(sum, _mm_sad_epu8(gone, zero));
		nz = _mm_add_epi64(nz, _mm_sad_epu8(_mm_min_epu8(gone, one), zero));
		x = _mm_and_si128(out, x);
		if (room - o >= 16)
			_mm_storeu_si128((__m128i *)(void *)(s->hours + o), x);
		else
			_mm_storel_epi64((__m128i *)(void *)(s->hours + o), x);
	}
	sum = _mm_add_epi64(sum, _mm_unpackhi_epi64(sum, sum));
	nz = _mm_add_epi64(nz, _mm_unpackhi_epi64(nz, nz));
	s->hour_sum -= (uint32_t)_mm_cvtsi128_si32(sum);
	s->hour_nz -= (uint32_t)_mm_cvtsi128_si32(nz);
#else
	brute_hours_clear_words(s, nh, from, n);
#endif
}

void brute_hours_clear_words(struct src *s, uint32_t nh, uint32_t from, uint32_t n)
{
	if (from + n > nh) {
		hours_empty(s, from, nh);
		n -= nh - from;
		from = 0;
	}
	hours_empty(s, from, from + n);
}

/* Empties n buckets from position from on, round the ring of nh (n <= nh). */
static void hours_clear(struct src *s, uint32_t nh, uint32_t from, uint32_t n)
{
	if (nh <= 127)
		brute_hours_clear_vec(s, nh, from, n);
	else
		brute_hours_clear_words(s, nh, from, n);
}

static void hours_add(struct detect *d, struct src *s, int64_t now, uint32_t n)
{
	uint32_t nh = d->slow_nh;
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
			hours_clear(s, nh, pos >= span ? pos - span : pos + nh - span, drop);
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
static bool lnames_has(const struct src *s, uint32_t key)
{
	/* Every inline key compared, no branch per key: a few vector
	 * compares. The unused ones are 0 (the entry is zeroed when it is
	 * taken), which no key is (key32). */
	uint32_t more = s->ln > LNAMES_INLINE ? s->ln - LNAMES_INLINE : 0;
	uint32_t hit = 0;
	for (uint32_t i = 0; i < LNAMES_INLINE; i++)
		hit |= s->lkeys[i] == key;
	for (uint32_t i = 0; i < more; i++)
		hit |= s->lmore[i] == key;
	return hit != 0;
}

static void lnames_add(struct detect *d, struct src *s, uint64_t uh)
{
	uint32_t key = key32(uh), cap = d->cfg->max_names_per_source;
	if (s->ln < LNAMES_INLINE && s->ln < cap) {
		/* whether a source tried this name before is a coin toss: the
		 * key goes in without a branch on it (a 0 where it was there
		 * already: the unused keys are 0) */
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

bool brute_only_user(const struct src *s, uint64_t uh)
{
	return uh && s->ln == 1 && s->lovf == 0 && s->lkeys[0] == key32(uh);
}

/* ---- bursts ---- */

static void burst_free(struct detect *d, struct sburst *b)
{
	dl_unlink(&b->link);
	/* the entry forgets the block now (its line is likely still cached:
	 * the burst ended a gap after its last attempt), so its next failure,
	 * hours later, reads no recycled block */
	if (b->s)
		b->s->b = NULL;
	b->s = NULL;
	nset_clear(&b->names_tried);
	b->link.next = (struct dlink *)d->burst_free;
	d->burst_free = b;
}

/* A block for a burst of s that starts at first (NULL on OOM). */
static struct sburst *burst_new(struct detect *d, struct src *s, int64_t first)
{
	struct sburst *b = d->burst_free;
	if (b) {
		d->burst_free = (struct sburst *)b->link.next;
		b->link.next = NULL;
	} else {
		b = arena_alloc(&d->burst_mem, sizeof(*b));
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
static void burst_add(struct detect *d, struct sburst *b, int64_t now, uint32_t n, struct sv user, uint64_t uh,
		      uint64_t ref)
{
	const struct detect_config *c = d->cfg;

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
	spray_note(d, b, user, uh, (uint32_t)(now / USEC_PER_SEC));
	/* the sweep ends it once quiet, and reports it if it made an alert */
	dl_push(&d->bursts, &b->link);
}

/* The lite burst (one attempt) moved into a block. */
static struct sburst *burst_promote(struct detect *d, struct src *s)
{
	int64_t t = s->last;
	struct sburst *b = burst_new(d, s, t);
	if (!b)
		return NULL;
	s->lite = false;
	/* the name with its NUL: one cut to nothing still names a user */
	burst_add(d, b, t, s->lite_n,
		  s->lite_user ? sv_make(s->lite_name, strlen(s->lite_name) + 1) : (struct sv){ 0 }, s->lite_user1,
		  s->lite_ref);
	return b;
}

bool brute_burst_open(const struct detect *d, const struct src *s)
{
	if (s->b)
		return true; /* the sweep ends it when it goes quiet */
	return s->lite && d->now_us - s->last <= d->burst_gap_us;
}

struct sburst *brute_burst(struct detect *d, struct src *s)
{
	struct sburst *b = s->b;
	if (b)
		return b;
	return brute_burst_open(d, s) ? burst_promote(d, s) : NULL;
}

/* ---- alerts ---- */

static void emit_burst(struct detect *d, struct src *s, struct sburst *b)
{
	const struct detect_config *c = d->cfg;
	bool spray = spray_is_spray(d, b);
	char span[32], win[32];
	struct alert *a;

	if (spray)
		a = alert_new(AK_PASSWORD_SPRAY, b->users_peak >= c->spray_high_users ? SEV_HIGH : SEV_MEDIUM);
	else
		a = alert_new(AK_BRUTE_FORCE, b->peak >= c->bf_high ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	a->source = s->addr;
	detect_alert_host(d, a, s->host);
	alert_touch(a, b->first);
	alert_touch(a, b->last);
	a->count = b->count;
	if (!b->multi && b->n_names)
		(void)alert_set_user(a, sv_cstr(b->names[0]));
	fmt_duration(span, sizeof(span), b->last - b->first);
	fmt_duration(win, sizeof(win), (int64_t)c->bf_window * USEC_PER_SEC);
	if (spray) {
		spray_why(d, b, a);
	} else {
		if (b->burst_hit)
			(void)alert_add_why(a,
					    "%u failed login attempts in %s, up to %u within %s (threshold: %u; "
					    "high from %u)",
					    b->count, span, b->peak, win, c->bf_threshold, c->bf_high);
		else
			(void)alert_add_why(a, "%u failed login attempts in %s", b->count, span);
		spray_why(d, b, a);
	}
	(void)evid_to_alert(d, &b->evid, a);
	s->alerted_burst = true;
	detect_emit(d, a);
}

/* Ends a burst with a block: reported if it made an alert, then recycled. */
static void close_burst(struct detect *d, struct sburst *b)
{
	if (b->burst_hit || b->spray_hit)
		emit_burst(d, b->s, b);
	burst_free(d, b);
}

static void emit_slow(struct detect *d, struct src *s)
{
	const struct detect_config *c = d->cfg;
	char win[32], span[32];
	struct alert *a = alert_new(AK_BRUTE_FORCE, SEV_MEDIUM);

	if (!a)
		return;
	a->source = s->addr;
	detect_alert_host(d, a, s->host);
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
	brute_evidence(d, s, false, a);
	detect_emit(d, a);
}

static void src_drop(void *ud, struct tnode *n, bool forced)
{
	struct detect *d = ud;
	struct src *s = (struct src *)n;
	struct sburst *b = s->b;
	(void)forced;
	if (b)
		close_burst(d, b);
	if (s->slow_hit && !s->alerted_burst)
		emit_slow(d, s);
	free(s->lmore); /* the entry is zeroed when it is used again */
	s->lmore = NULL;
}

void brute_done(struct detect *d)
{
	while (d->burst_free) {
		struct sburst *b = d->burst_free;
		d->burst_free = (struct sburst *)b->link.next;
		nset_done(&b->names_tried);
	}
	arena_done(&d->burst_mem);
}

void brute_evidence(const struct detect *d, const struct src *s, bool burst, struct alert *a)
{
	const struct sburst *b = burst ? s->b : NULL;
	struct evid e = { 0 };

	if (b) {
		(void)evid_to_alert(d, &b->evid, a);
		return;
	}
	if (burst) {
		if (!s->lite)
			return;
		e.total = 1;
		if (s->lite_ref)
			e.kept[e.n++] = s->lite_ref;
	} else {
		e.total = s->s_total;
		e.n = s->s_n;
		memcpy(e.kept, s->s_kept, sizeof(e.kept));
	}
	(void)evid_to_alert(d, &e, a);
}

void brute_forgive(struct detect *d, struct src *s)
{
	/* a user who mistyped: forget the source without reporting it */
	struct sburst *b = s->b;
	if (b)
		burst_free(d, b);
	s->lite = false;
	s->slow_hit = false;
	table_remove(&d->srcs, &s->node);
}

int brute_init(struct detect *d)
{
	const struct detect_config *c = d->cfg;
	uint32_t ttl = MAX(MAX(c->bf_window, c->spray_window), c->after_window);
	if (c->slow_enabled)
		ttl = MAX(ttl, c->slow_window);
	d->src_ttl_us = (int64_t)ttl * USEC_PER_SEC;
	arena_init(&d->burst_mem, (size_t)MIN(c->max_sources, 65536u) * sizeof(struct sburst));
	d->burst_gap_us = burst_gap_us(c);
	d->slow_nh = slow_hours(c);
	/* the ring's room: whole words, which hours_empty reads and writes */
	return table_init(&d->srcs, c->max_sources, sizeof(struct src) + ROUND_UP((size_t)d->slow_nh, 8),
			  &d->stats.evictions, src_drop, d);
}

void brute_sweep(struct detect *d, int64_t now)
{
	int64_t gap = d->burst_gap_us;
	struct dlink *l;

	while ((l = dl_oldest(&d->bursts))) {
		struct sburst *b = container_of(l, struct sburst, link);
		if (now - b->last <= gap)
			break;
		close_burst(d, b);
	}
	if (now > INT64_MIN + d->src_ttl_us)
		table_expire(&d->srcs, now - d->src_ttl_us);
}

static void record(struct detect *d, struct src *s, const struct event *ev, uint32_t n, uint64_t uh)
{
	const struct detect_config *c = d->cfg;
	int64_t now = d->now_us;
	struct sburst *b = s->b;

	/* the burst: a block when it has one or this is its second attempt,
	 * else the lite fields (a burst that went quiet ended: the sweep ended
	 * those with a block). Whether one is open is judged on the last
	 * attempt before this one. */
	if (!b && brute_burst_open(d, s))
		b = burst_promote(d, s); /* NULL on OOM: the attempt still counts below */
	s->last = now;
	if (b) {
		burst_add(d, b, now, n, ev->user, uh, d->ref);
	} else {
		bool burst_hit = c->bf_enabled && n && n >= c->bf_threshold;
		bool spray_hit = c->spray_enabled && ev->user.n && 1 >= c->spray_min_users;
		s->lite = true;
		s->lite_n = n;
		s->lite_user = ev->user.n != 0;
		s->lite_user1 = uh;
		s->lite_ref = d->ref;
		spray_copy_name(s->lite_name, ev->user);
		/* a first attempt that alone makes an alert needs a block: the
		 * sweep reports it */
		if (burst_hit || spray_hit)
			(void)burst_promote(d, s);
	}

	if (s->s_count == 0)
		s->s_first = now;
	s->s_count += n;
	s->s_total++;
	if (s->s_n < EVID_KEEP && d->ref)
		s->s_kept[s->s_n++] = d->ref;
	if (ev->user.n)
		lnames_add(d, s, uh);
	if (c->slow_enabled && n) {
		hours_add(d, s, now, n);
		if (s->hour_sum >= c->slow_threshold && s->hour_nz >= c->slow_min_hours) {
			s->slow_hit = true;
			if (s->hour_sum > s->s_peak_count) {
				s->s_peak_count = s->hour_sum;
				s->s_peak_hours = s->hour_nz;
			}
		}
	}
}

void brute_feed(struct detect *d, const struct event *ev, const struct fkeys *k)
{
	const struct detect_config *c = d->cfg;
	uint16_t host = k->host;
	uint64_t uh = k->uh;
	uint64_t h = k->src_h;
	struct addr src = ev->source;
	struct src *s;
	uint32_t n = ev->attempts;

	/* The source's entry is usually cold (a source comes back hours
	 * later): it is loaded as soon as its address is known, while
	 * independent work (the connection, the account) runs. */
	if (h && !k->ahead) {
		struct tnode *p = table_peek(&d->srcs, h);
		if (p)
			prefetch_range(p, d->srcs.entry_size);
	}
	/* not an attempt, a repeat of one already counted (and in the
	 * evidence), or one whose connection has named no address yet */
	if (n == 0 || src.family == ADDR_NONE)
		return;
	s = (struct src *)table_find(&d->srcs, h, src_eq, &src);
	if (s) {
		table_touch(&d->srcs, &s->node, d->now_us);
	} else {
		s = (struct src *)table_insert(&d->srcs, h, d->now_us);
		if (s) {
			s->addr = src;
			s->host = host;
		}
	}
	/* the account first (record() emits nothing and reads no account, so
	 * the order changes nothing but what is in the cache) */
	if (ev->user.n && (c->dist_enabled || c->after_enabled)) {
		struct acct *ac = detect_acct_h(d, host, ev->user, uh, true);
		if (ac)
			dist_feed(d, ac, &src, h, n);
	}
	if (s)
		record(d, s, ev, n, uh);
}
