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
 * What counts as one attempt. One login attempt is often written several
 * times, by several writers, and some attempts are written only as the
 * way their connection ended. The rule (attempt.c keeps the state):
 *
 *  - A connection is one sshd process: host + pid (lines without a pid:
 *    host + source + port). For su and sudo it is one invocation: host +
 *    pid, or host + user + terminal when sudo logged no pid; it ends with
 *    the program's own line (FAILED SU, "N incorrect password attempts",
 *    a refusal) or a success. A record is a new connection when its source
 *    or port changes or it was quiet for 10 minutes.
 *  - sshd's own failure lines each count, times their repeat count;
 *    "Invalid user X" (or "User X not allowed", "ROOT LOGIN REFUSED")
 *    and the "Failed … for invalid user X" that follows it in the same
 *    connection are one attempt; a second Failed line is a second one.
 *  - PAM repeats the attempts sshd, su and sudo report: pam_unix's
 *    "authentication failure" (once per PAM handle) plus its "N more
 *    authentication failures", and sshd's "PAM: Authentication failure for
 *    U from H". Each writer is counted on its own and the connection made
 *    as many attempts as the most talkative of them reported: max, not
 *    sum. So "pam_unix … failure" + "FAILED SU" is one su attempt, and
 *    pam_unix ×3 + "3 incorrect password attempts" is three sudo attempts.
 *  - A line that proves an attempt without counting one counts one only
 *    when nothing else of its connection did: "maximum authentication
 *    attempts exceeded", a pre-auth close that names a user ("Connection
 *    closed by authenticating user root A port P [preauth]" is how failed
 *    public-key probes show: OpenSSH logs those only at VERBOSE), and
 *    key-exchange or banner failures with a source ("Unable to negotiate",
 *    "banner exchange: … invalid format"). A pre-auth close without a user
 *    and a client that sent nothing at all ("Did not receive identification
 *    string", "kex_exchange_identification: Connection closed by remote
 *    host": scanners, health checks) are connections, not attempts.
 *  - After "Accepted …" nothing of that connection counts as pre-auth: a
 *    user who logs in and out is never an attempt.
 *  - A line that names no address (pam_unix with a host name in rhost=)
 *    takes its connection's; until some line does, its attempt waits and
 *    is counted on the first line that does.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detect/internal.h"

#define HOUR_US (3600 * USEC_PER_SEC)
#define RATE_BUCKETS 8

static uint32_t slow_hours(const struct detect_config *c)
{
	return MAX(c->slow_window / 3600u, 1u);
}

static uint8_t *src_hours(const struct detect *d, struct src *s)
{
	return (uint8_t *)(s->hour_bits + d->hour_words);
}

static int64_t burst_gap_us(const struct detect_config *c)
{
	uint32_t g = c->bf_window;
	if (c->spray_enabled && c->spray_window > g)
		g = c->spray_window;
	return (int64_t)g * USEC_PER_SEC;
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

static uint32_t rate_add(struct src *s, int64_t now, int64_t width, uint32_t n)
{
	int64_t idx = now / width;
	if (s->rate_sum == 0 || idx - s->rate_base >= RATE_BUCKETS) {
		memset(s->rate, 0, sizeof(s->rate));
		s->rate_sum = 0;
		s->rate_base = idx;
	}
	while (s->rate_base < idx) {
		s->rate_base++;
		uint32_t *b = &s->rate[s->rate_base % RATE_BUCKETS];
		s->rate_sum -= *b;
		*b = 0;
	}
	uint32_t *b = &s->rate[s->rate_base % RATE_BUCKETS];
	uint32_t add = MIN(n, UINT32_MAX - s->rate_sum);
	*b += add;
	s->rate_sum += add;
	return s->rate_sum;
}

/* Empties the ring's buckets from..to-1 (positions, from <= to <= nh):
 * only those with failures are visited. */
static void hours_clear(struct src *s, uint8_t *hours, uint32_t from, uint32_t to)
{
	for (uint32_t w = from / 64; w * 64 < to; w++) {
		uint64_t m = s->hour_bits[w];
		if (from > w * 64)
			m &= ~UINT64_C(0) << (from - w * 64);
		if (to < w * 64 + 64)
			m &= (UINT64_C(1) << (to - w * 64)) - 1;
		s->hour_bits[w] &= ~m;
		while (m) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(m);
			m &= m - 1;
			s->hour_sum -= hours[i];
			s->hour_nz--;
			hours[i] = 0;
		}
	}
}

static void hours_add(struct detect *d, struct src *s, int64_t now, uint32_t n)
{
	uint32_t nh = d->slow_nh;
	uint8_t *hours = src_hours(d, s);
	int64_t idx = now / HOUR_US;
	if (s->hour_sum == 0 || idx - s->hour_base >= (int64_t)nh) {
		memset(hours, 0, nh);
		memset(s->hour_bits, 0, d->hour_words * sizeof(uint64_t));
		s->hour_sum = s->hour_nz = 0;
		s->hour_base = idx;
	}
	if (s->hour_base < idx) {
		/* the hours after hour_base up to idx leave the window */
		uint32_t from = (uint32_t)((s->hour_base + 1) % nh), k = (uint32_t)(idx - s->hour_base);
		if (from + k <= nh) {
			hours_clear(s, hours, from, from + k);
		} else {
			hours_clear(s, hours, from, nh);
			hours_clear(s, hours, 0, from + k - nh);
		}
		s->hour_base = idx;
	}
	uint32_t i = (uint32_t)(s->hour_base % nh);
	uint32_t add = MIN(n, 255u - hours[i]);
	if (hours[i] == 0 && add) {
		s->hour_nz++;
		s->hour_bits[i / 64] |= UINT64_C(1) << (i % 64);
	}
	hours[i] = (uint8_t)(hours[i] + add);
	s->hour_sum += add;
}

/* ---- alerts ---- */

static void emit_burst(struct detect *d, struct src *s)
{
	const struct detect_config *c = d->cfg;
	bool spray = spray_is_spray(d, s);
	char span[32], win[32];
	struct alert *a;

	if (spray)
		a = alert_new(AK_PASSWORD_SPRAY, s->b_users_peak >= c->spray_high_users ? SEV_HIGH : SEV_MEDIUM);
	else
		a = alert_new(AK_BRUTE_FORCE, s->b_peak >= c->bf_high ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	a->source = s->addr;
	detect_alert_host(d, a, s->host);
	alert_touch(a, s->b_first);
	alert_touch(a, s->b_last);
	a->count = s->b_count;
	if (!s->b_multi && src_name(s, 0)[0])
		(void)alert_set_user(a, sv_cstr(src_name(s, 0)));
	fmt_duration(span, sizeof(span), s->b_last - s->b_first);
	fmt_duration(win, sizeof(win), (int64_t)c->bf_window * USEC_PER_SEC);
	if (spray) {
		spray_why(d, s, a);
	} else {
		if (s->burst_hit)
			(void)alert_add_why(a,
					    "%u failed login attempts in %s, up to %u within %s (threshold: %u; "
					    "high from %u)",
					    s->b_count, span, s->b_peak, win, c->bf_threshold, c->bf_high);
		else
			(void)alert_add_why(a, "%u failed login attempts in %s", s->b_count, span);
		spray_why(d, s, a);
	}
	brute_evidence(d, s, true, a);
	s->alerted_burst = true;
	detect_emit(d, a);
}

void brute_close_burst(struct detect *d, struct src *s)
{
	if (!s->b_open)
		return;
	s->b_open = false;
	dl_unlink(&s->burst);
	if (s->burst_hit || s->spray_hit)
		emit_burst(d, s);
	s->burst_hit = s->spray_hit = false;
	spray_reset(s);
}

static void emit_slow(struct detect *d, struct src *s)
{
	const struct detect_config *c = d->cfg;
	char win[32], span[32];
	struct alert *a = alert_new(AK_BRUTE_FORCE, SEV_MEDIUM);
	uint32_t names = s->more ? s->more->users.n + s->more->users.overflow : s->b_user1 != 0;

	if (!a)
		return;
	a->source = s->addr;
	detect_alert_host(d, a, s->host);
	alert_touch(a, s->s_first);
	alert_touch(a, s->s_last);
	a->count = s->s_count;
	fmt_duration(win, sizeof(win), (int64_t)c->slow_window * USEC_PER_SEC);
	fmt_duration(span, sizeof(span), s->s_last - s->s_first);
	(void)alert_add_why(a,
			    "slow brute force: %u failed login attempts spread over %u distinct hours within %s "
			    "(threshold: %u over %u hours)",
			    s->s_peak_count, s->s_peak_hours, win, c->slow_threshold, c->slow_min_hours);
	(void)alert_add_why(a, "%u attempts in all over %s, for %u user name%s", s->s_count, span, names,
			    names == 1 ? "" : "s");
	brute_evidence(d, s, false, a);
	detect_emit(d, a);
}

static void src_drop(void *ud, struct tnode *n, bool forced)
{
	struct detect *d = ud;
	struct src *s = (struct src *)n;
	(void)forced;
	brute_close_burst(d, s);
	if (s->slow_hit && !s->alerted_burst)
		emit_slow(d, s);
	spray_reset(s);
	if (s->more) {
		/* kept for the next source, with its name set's buffer */
		nset_clear(&s->more->users);
		s->more->next_free = d->more_free;
		d->more_free = s->more;
		s->more = NULL;
	}
}

void brute_done(struct detect *d)
{
	while (d->more_free) {
		struct src_more *m = d->more_free;
		d->more_free = m->next_free;
		nset_done(&m->users);
	}
	arena_done(&d->more_mem);
}

const char *src_name(const struct src *s, unsigned i)
{
	if (s->more)
		return i < s->n_names ? s->more->names[i] : "";
	return i == 0 ? s->first_name : "";
}

void brute_evidence(const struct detect *d, const struct src *s, bool burst, struct alert *a)
{
	if (s->more) {
		(void)evid_to_alert(d, burst ? &s->more->b_evid : &s->more->s_evid, a);
	} else if (s->s_count) {
		struct evid e = { .total = 1, .n = s->first_ref != 0, .kept = { s->first_ref } };
		(void)evid_to_alert(d, &e, a);
	}
}

bool brute_only_user(const struct src *s, uint64_t uh)
{
	if (!uh)
		return false;
	if (s->more)
		return s->more->users.n == 1 && s->more->users.overflow == 0 && nset_has(&s->more->users, uh);
	return s->s_count && s->b_user1 == uh;
}

/* The storage of a source's second attempt, holding what its first left. */
static struct src_more *src_more(struct detect *d, struct src *s)
{
	const struct detect_config *c = d->cfg;
	struct src_more *m = d->more_free;

	if (s->more)
		return s->more;
	if (m) {
		d->more_free = m->next_free;
		/* the set was emptied when the entry went; names past n_names are never read */
		m->b_evid.total = m->s_evid.total = 0;
		m->b_evid.n = m->s_evid.n = 0;
		m->next_free = NULL;
		/* dropped long ago, like the one the next source will take:
		 * start loading that one now */
		if (d->more_free)
			prefetch_range(d->more_free, sizeof(*d->more_free));
	} else {
		m = arena_alloc(&d->more_mem, sizeof(*m));
		if (!m)
			return NULL;
	}
	if (s->s_count) {
		evid_add(&m->s_evid, s->first_ref);
		evid_add(&m->b_evid, s->first_ref); /* reset below if the episode closed */
		memcpy(m->names[0], s->first_name, sizeof(s->first_name));
		s->n_names = s->first_name[0] ? 1 : 0;
		if (s->b_user1) {
			bool fresh;
			uint32_t prev, live;
			if (!nset_touch(&m->users, s->b_user1, (uint32_t)(s->s_first / USEC_PER_SEC), c->spray_window,
					c->max_names_per_source, &fresh, &prev, &live))
				s->users_ovf = true;
		}
	}
	s->more = m;
	return m;
}

void brute_forgive(struct detect *d, struct src *s)
{
	/* a user who mistyped: forget the source without reporting it */
	s->burst_hit = s->spray_hit = s->slow_hit = false;
	s->b_open = false;
	dl_unlink(&s->burst);
	table_remove(&d->srcs, &s->node);
}

int brute_init(struct detect *d)
{
	const struct detect_config *c = d->cfg;
	uint32_t ttl = MAX(MAX(c->bf_window, c->spray_window), c->after_window);
	if (c->slow_enabled)
		ttl = MAX(ttl, c->slow_window);
	d->src_ttl_us = (int64_t)ttl * USEC_PER_SEC;
	arena_init(&d->more_mem, (size_t)c->max_sources * sizeof(struct src_more));
	d->burst_gap_us = burst_gap_us(c);
	d->slow_nh = slow_hours(c);
	d->hour_words = (d->slow_nh + 63) / 64;
	return table_init(&d->srcs, c->max_sources, sizeof(struct src) + d->hour_words * sizeof(uint64_t) + d->slow_nh,
			  &d->stats.evictions, src_drop,
			  d);
}

void brute_sweep(struct detect *d, int64_t now)
{
	int64_t gap = burst_gap_us(d->cfg);
	struct dlink *l;

	while ((l = dl_oldest(&d->burst_open))) {
		struct src *s = container_of(l, struct src, burst);
		if (now - s->b_last <= gap)
			break;
		brute_close_burst(d, s);
	}
	if (now > INT64_MIN + d->src_ttl_us)
		table_expire(&d->srcs, now - d->src_ttl_us);
}

bool brute_burst_open(const struct detect *d, const struct src *s)
{
	return s->b_open && d->now_us - s->b_last <= d->burst_gap_us;
}

void brute_settle(struct detect *d, struct src *s)
{
	/* a burst with an alert is on d->burst_open: the sweep ends it */
	if (s->b_open && !dl_linked(&s->burst) && !brute_burst_open(d, s))
		brute_close_burst(d, s);
}

static void record(struct detect *d, struct src *s, const struct event *ev, uint32_t n, uint64_t uh)
{
	const struct detect_config *c = d->cfg;
	int64_t now = d->now_us;
	struct src_more *m;

	brute_settle(d, s); /* first, as the sweep would have */
	m = s->s_count ? src_more(d, s) : NULL;
	if (!s->b_open) {
		s->b_open = true;
		s->b_first = now;
		s->b_count = s->b_peak = s->b_users = s->b_users_peak = 0;
		s->b_user1 = uh;
		s->b_multi = false;
		s->burst_hit = s->spray_hit = false;
		s->rate_sum = 0;
		if (m) /* the kept origins past n are never read */
			m->b_evid.total = m->b_evid.n = 0;
		spray_reset(s);
	}
	s->b_last = now;
	s->b_count += n;
	if (uh != s->b_user1)
		s->b_multi = true;
	if (m)
		evid_add(&m->b_evid, d->ref);
	if (c->bf_enabled && n) {
		uint32_t sum = rate_add(s, now, MAX((int64_t)c->bf_window * USEC_PER_SEC / RATE_BUCKETS, 1), n);
		if (sum > s->b_peak)
			s->b_peak = sum;
		if (sum >= c->bf_threshold)
			s->burst_hit = true;
	}
	spray_note(d, s, ev->user, uh);

	if (s->s_count == 0) {
		s->s_first = now;
		s->first_ref = d->ref;
	}
	s->s_last = now;
	s->s_count += n;
	if (m)
		evid_add(&m->s_evid, d->ref);
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
	/* a first attempt that alone makes an alert: its evidence and name now */
	if (!s->more && (s->burst_hit || s->spray_hit || s->slow_hit))
		(void)src_more(d, s);
	/* an alert is reported when the burst ends: the sweep must see it */
	if (s->burst_hit || s->spray_hit)
		dl_push(&d->burst_open, &s->burst);
}

void brute_feed(struct detect *d, const struct event *ev, const struct fkeys *k)
{
	const struct detect_config *c = d->cfg;
	uint16_t host = k->host;
	uint64_t uh = k->uh;
	uint64_t h0 = k->src_h, h;
	struct addr src;
	struct src *s;
	uint32_t n;

	/* The source's entry and what hangs off it are usually cold (a source
	 * comes back hours later): each is loaded as soon as its address is
	 * known, while independent work (the connection, the account) runs. */
	if (h0 && !k->ahead) {
		struct tnode *p = table_peek(&d->srcs, h0);
		if (p)
			prefetch_range(p, d->srcs.entry_size);
	}
	if (!attempt_feed_key(d, ev, k->conn, uh, &n, &src) || src.family == ADDR_NONE)
		return;
	if (n == 0)
		return; /* a repeat of an attempt already counted (and in the evidence) */
	h = h0 && addr_equal(&src, &ev->source) ? h0 : addr_hash(&src, d->seed);
	s = (struct src *)table_find(&d->srcs, h, src_eq, &src);
	if (s) {
		table_touch(&d->srcs, &s->node, d->now_us);
		if (s->more && !k->ahead)
			prefetch_range(s->more, offsetof(struct src_more, s_evid) + 64);
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
			dist_feed(d, ac, &src, n);
	}
	if (s) {
		record(d, s, ev, n, uh);
	}
}
