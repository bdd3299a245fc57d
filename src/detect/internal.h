/*
 * detect/internal.h: what the detector files share behind detect.h.
 *
 * Shape: two capped tables keyed by attacker data (sources by address,
 * accounts by host + user name) and one capped table of baselines. Every
 * entry is on its table's LRU list (most recently seen first); open
 * episodes are also on a per-detector list ordered by their last activity,
 * so the episodes that ended are always at the tail: feeding an event first
 * closes what went quiet (amortised O(1)), which keeps alerts timely and
 * their order a function of the input alone.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/alert.h"
#include "core/arena.h"
#include "core/list.h"
#include "core/pages.h"
#include "core/event.h"
#include "core/hash.h"
#include "core/timeutil.h"
#include "detect/detect.h"

#define USEC_PER_SEC INT64_C(1000000)

#include "detect/config.h"

/* ---- intrusive doubly linked lists (head->next is the newest) ---- */

struct dlink {
	struct dlink *prev, *next;
};


static inline void dl_init(struct dlink *h)
{
	h->prev = h->next = h;
}
static inline bool dl_linked(const struct dlink *n)
{
	return n->next != NULL;
}
static inline bool dl_empty(const struct dlink *h)
{
	return h->next == h;
}
static inline void dl_unlink(struct dlink *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}
/* Links n (unlinking it first) as the newest element. */
static inline void dl_push(struct dlink *h, struct dlink *n)
{
	dl_unlink(n);
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}
/* The oldest element, or NULL. */
static inline struct dlink *dl_oldest(struct dlink *h)
{
	return h->prev == h ? NULL : h->prev;
}

/* ---- capped hash tables (table.c) ---- */

struct tnode {
	uint64_t hash;
	uint64_t qpos; /* where its newest record is in the table's queue */
	int64_t seen_us; /* last activity: the LRU order */
};

/* The recency order is a queue of (entry, time) records, one appended per
 * touch: a touch writes the entry, one bit and the queue's tail, never a
 * neighbour entry (which would be a cache miss). A record is live while it
 * is its entry's newest (its bit is set); the stale ones are skipped when
 * they reach the head, or squeezed out when the queue is full. The live
 * records, oldest first, are exactly the least-recently-seen order. */
struct tqrec {
	struct tnode *n;
	int64_t seen_us;
};

/* A slot keeps its entry's hash: a probe compares hashes without reading
 * the entries it passes (each would be a cache miss). */
struct tslot {
	uint64_t hash;
	struct tnode *n; /* NULL: empty */
};

struct table {
	struct tslot *slots; /* open addressing, linear probing */
	size_t mask; /* slots - 1 (power of two) */
	size_t n, cap;
	size_t entry_size;
	struct tqrec *q; /* ring of qmask + 1 records: positions head..tail-1 */
	uint64_t *qlive; /* one bit per ring slot: the record is its entry's newest */
	uint64_t qhead, qtail;
	size_t qmask;
	/* the next entries to expire are loaded ahead (table.c): queue
	 * positions up to which their first lines, and their slots, are */
	uint64_t pf_ent, pf_slot;
	void *free_list; /* dropped entries kept for reuse (at most cap): no malloc per new key */
	struct arena mem; /* where the entries come from */
	uint64_t *evictions; /* counter bumped when a live entry is pushed out */
	/* Called before an entry is freed: emit what it holds (forced: evicted
	 * while still live), then free what it owns (not the entry itself). */
	void (*drop)(void *ud, struct tnode *n, bool forced);
	void *ud;
};

int table_init(struct table *t, size_t cap, size_t entry_size, uint64_t *evictions,
	       void (*drop)(void *, struct tnode *, bool), void *ud);
/* Drops every entry (oldest first) and frees the table. */
void table_done(struct table *t);
/* Finds an entry: eq(entry, key) decides among equal hashes. */
struct tnode *table_find(const struct table *t, uint64_t hash, bool (*eq)(const struct tnode *, const void *),
			 const void *key);
/* Starts loading the slot where a lookup of hash begins (a hint: call it
 * as soon as the key is known, then do other work before table_find). */
static inline void table_prefetch(const struct table *t, uint64_t hash)
{
	__builtin_prefetch(&t->slots[hash & t->mask]);
}
/* The first entry with this hash, without comparing keys (a hint for
 * prefetching: it may be another key's entry, or NULL). */
static inline struct tnode *table_peek(const struct table *t, uint64_t hash)
{
	for (size_t i = hash & t->mask; t->slots[i].n; i = (i + 1) & t->mask)
		if (t->slots[i].hash == hash)
			return t->slots[i].n;
	return NULL;
}
/* Starts loading n bytes at p (a hint). */
static inline void prefetch_range(const void *p, size_t n)
{
	for (size_t o = 0; o < n; o += 64)
		__builtin_prefetch((const char *)p + o);
}
/* Starts loading the entry the next table_insert will reuse (a hint). */
static inline void table_prefetch_free(const struct table *t)
{
	if (t->free_list)
		prefetch_range(t->free_list, t->entry_size);
}
/* Adds a zeroed entry with this hash (the caller checked it is absent),
 * evicting the least recently seen entry when the table is full. NULL on OOM. */
struct tnode *table_insert(struct table *t, uint64_t hash, int64_t now_us);
/* Makes room in a full queue by dropping its stale records (table.c). */
void table_squeeze(struct table *t);
/* Appends n's record, stamped n->seen_us: a write at the tail and a bit. */
static inline void table_queue_push(struct table *t, struct tnode *n)
{
	if (t->qtail - t->qhead > t->qmask)
		table_squeeze(t);
	size_t i = t->qtail & t->qmask;
	t->q[i] = (struct tqrec){ n, n->seen_us };
	t->qlive[i / 64] |= UINT64_C(1) << (i % 64);
	n->qpos = t->qtail++;
}
static inline void table_touch(struct table *t, struct tnode *n, int64_t now_us)
{
	/* the entry's previous record is no longer live */
	size_t old = n->qpos & t->qmask;
	t->qlive[old / 64] &= ~(UINT64_C(1) << (old % 64));
	n->seen_us = now_us;
	table_queue_push(t, n);
}
/* Walks the entries from the least recently seen: start with *pos = 0;
 * NULL at the end. The table must not change during the walk. */
struct tnode *table_next_oldest(const struct table *t, uint64_t *pos);
/* Drops (drop callback with forced=false) and frees one entry. */
void table_remove(struct table *t, struct tnode *n);
/* Drops entries not seen since before `before`, oldest first (entries are
 * stamped with nondecreasing times). The drop callback must not look
 * anything up in t: when every entry goes, the slots are cleared once
 * after the last drop. */
void table_expire(struct table *t, int64_t before);

/* ---- bounded sets of keys with counts (an account's sources) ----
 *
 * Keys are 64-bit hashes kept as 32 bits (a collision merges two
 * sources: one in four billion pairs). The keys are one flat array,
 * compared in vector registers a block at a time (a few dozen compares
 * beat a hashed index, whose probes and deletions branch at random); a
 * recency list (most recently touched first, so ordered by last_s: event
 * time never goes backwards) gives the stalest item in O(1) and lets
 * sset_active stop at the first item outside its window. The list is a
 * ring (the head's prev is the stalest item): reusing the stalest item
 * for a new key moves the head back one place and relinks nothing, so a
 * full set takes a new key or counts an overflow without a branch on
 * which (on an attacked account, a coin toss on nearly every touch). The
 * live count is a flat count of compares too: walking the list's edge
 * instead branched at random on every touch. */

/* A 64-bit key as the sets keep it (never 0: 0 marks "none"). */
static inline uint32_t key32(uint64_t k)
{
	uint32_t x = (uint32_t)(k ^ (k >> 32));
	return x ? x : 1;
}

struct sitem {
	uint32_t count;
	uint32_t last_s; /* seconds since the epoch */
	uint16_t prev, next; /* recency ring: indices into v */
};

struct sset {
	/* one allocation: keys and live_s, room for alloc rounded up to 16
	 * each (zeros past n), then the alloc items */
	uint32_t *keys; /* keys[i] is v[i]'s */
	uint32_t *live_s; /* v[i].last_s + 1 when v[i].count, else 0 */
	struct sitem *v;
	uint16_t n, alloc, head; /* head: the newest item (when n > 0) */
	uint32_t overflow; /* events whose key was not kept: the set was full of fresh keys
			    * (the distinct count is then "at least n") */
};

/* Finds or adds key and adds n to its count (growing up to cap <= 1024;
 * when full, replaces the stalest item if older than stale_s, else counts
 * an overflow and returns NULL). *ret_new says whether the key was not in
 * the set (or stale there: its count restarts); *ret_prev_s is when it was
 * seen before (0: never). A set is always touched with the same stale_s
 * and nondecreasing now_s. */
struct sitem *sset_touch(struct sset *s, uint64_t key, uint32_t now_s, uint32_t stale_s, uint32_t cap, uint32_t n,
			 bool *ret_new, uint32_t *ret_prev_s);
/* sset_active(s, since, 0, NULL) for since = now_s - stale_s (0 when
 * now_s < stale_s): a count of compares, without a branch per item. */
uint32_t sset_live(const struct sset *s, uint32_t now_s, uint32_t stale_s);
/* The item of key, or NULL. */
struct sitem *sset_find(const struct sset *s, uint64_t key);
/* Sets an item's count to 0 (it no longer counts as active). */
void sset_zero(struct sset *s, struct sitem *it);
/* Items seen at or after since_s with a count, and the sum of their counts,
 * skipping skip_key (0: none). */
uint32_t sset_active(const struct sset *s, uint32_t since_s, uint64_t skip_key, uint32_t *ret_sum);
void sset_done(struct sset *s);

/* ---- a burst's user names: keys and when each was last tried ----
 *
 * A few dozen at most (limits.max_names_per_source), so a plain array
 * scanned whole beats any index: the first NSET_INLINE live inside the
 * burst's block (no pointer to follow), the rest on the heap. Keys are
 * 64-bit hashes kept as 32 bits (key32), as in struct sset. */

#define NSET_INLINE 16

struct nitem {
	uint32_t key;
	uint32_t last_s;
};

struct nameset {
	struct nitem in[NSET_INLINE];
	struct nitem *more; /* items NSET_INLINE.. (room for more_cap of them) */
	size_t more_cap;
	uint16_t n;
	uint32_t overflow; /* names not kept: the set was full of names tried within the window */
};

/* Notes that key was tried at now_s. *ret_new: it was not in the set, or
 * last tried more than stale_s before (before the window); *ret_prev_s:
 * when it was tried before (0: never). When the set holds cap keys, a new
 * one takes the place of one tried before the window, else it counts an
 * overflow and false is returned. *ret_live: the keys tried within the
 * window, this one included (when true is returned). */
bool nset_touch(struct nameset *s, uint64_t key, uint32_t now_s, uint32_t stale_s, uint32_t cap, bool *ret_new,
		uint32_t *ret_prev_s, uint32_t *ret_live);
void nset_clear(struct nameset *s);
void nset_done(struct nameset *s);

/* ---- evidence kept before an alert exists ---- */

#define EVID_KEEP 8

/* A line as evidence in 8 bytes: its file's number (detect_ref) in the
 * high EVID_FILE_BITS bits, its line number below; 0 when the line cannot
 * be written so (then it is counted, not kept). */
#define EVID_LINE_BITS 40
#define EVID_FILE_BITS 24

/* The counts first, then the lines: the first five kept share a cache
 * line with the counts (most episodes are short). */
struct evid {
	uint64_t total;
	uint32_t n;
	uint64_t kept[EVID_KEEP];
};

static inline void evid_add(struct evid *e, uint64_t ref)
{
	e->total++;
	if (e->n < EVID_KEEP && ref)
		e->kept[e->n++] = ref;
}
struct detect;
/* Adds the kept lines to a and sets its evidence_total. */
int evid_to_alert(const struct detect *d, const struct evid *e, struct alert *a);

/* ---- per-source state (brute.c, spray.c) ----
 *
 * A source is remembered for the slow window (72 h by default) after its
 * last failure, but it is attacking (a burst: brute force, spray) only
 * while its failures come less than the burst gap apart. So what a source
 * keeps is in two parts:
 *
 *  - struct src, the table entry, for the entry's life: the slow episode,
 *    its first lines, the user names tried, and a one-attempt burst
 *    (most bursts of a flood are one attempt: the "lite" fields);
 *  - struct sburst, from a burst's second attempt (or a first that alone
 *    makes an alert) until the burst ends: its counts, sliding window,
 *    lines, names and the name set the spray count needs. The blocks are
 *    recycled most recently freed first: only the sources attacking now
 *    hold one, so they stay in cache while the entries of the thousands of
 *    quiet sources are read once per failure. */

#define SAMPLE_NAMES 3
#define SAMPLE_LEN 32
#define LNAMES_INLINE 16
#define RATE_BUCKETS 8

struct sburst {
	struct dlink link; /* on d->bursts, by last attempt (the oldest ends first) */
	int64_t last; /* the last attempt */
	struct src *s; /* its source (NULL while the block is free) */
	bool burst_hit, spray_hit;
	bool multi; /* more than one user name */
	uint8_t n_names; /* names[] kept */
	int64_t first;
	uint32_t count, peak, users, users_peak;
	uint64_t user1; /* the first user name's hash */
	int64_t rate_base;
	uint32_t rate_sum, rate[RATE_BUCKETS];
	struct evid evid;
	struct nameset names_tried; /* the burst's user names and when each was last tried */
	char names[SAMPLE_NAMES][SAMPLE_LEN + 1]; /* its first user names (cut) */
};

struct src {
	/* laid out for the failure of a source that comes back now and then:
	 * what every failure reads first, the ring last */
	struct tnode node;
	struct sburst *b; /* the open burst's block (b->s is this entry), or NULL: burst_free clears it */
	int64_t s_first, last; /* the slow episode (the entry's life); last: the last attempt */
	int64_t hour_base;
	uint64_t s_total; /* lines of the slow episode */

	struct addr addr;
	bool slow_hit;
	bool alerted_burst; /* a burst of this source was reported (the slow episode then is not) */
	bool lite; /* a one-attempt burst is in the lite fields (open while last is within the gap) */
	bool lite_user; /* its line named a user */
	uint8_t s_n; /* s_kept used */
	uint16_t host;
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

/* ---- per-account state (host + user name) ---- */

struct pending; /* correlate.c */

struct acct {
	struct tnode node;
	uint16_t host;
	char *name;
	size_t name_len;

	/* distributed attack episode */
	struct dlink dist;
	int64_t d_first, d_last;
	uint32_t d_count, d_peak;
	bool d_hit;
	struct sset srcs; /* source address hash -> failures, last seen */
	struct addr d_sample[3];
	uint32_t n_d_sample;
	struct evid d_evid;

	/* privilege-escalation episode */
	struct dlink pe;
	int64_t pe_first, pe_last;
	uint32_t pe_refused, pe_sudo_fail, pe_su_fail;
	char *pe_detail; /* first refusal reason */
	char *pe_target; /* first su target */
	struct evid pe_evid;

	struct pending *pend;
};

/* ---- baselines (baseline.c) ---- */

struct bnet {
	struct addr net;
	uint8_t prefix;
	uint32_t count;
	int64_t last_s;
};

struct bkey {
	char *fp;
	uint32_t count;
	int64_t last_s;
};

struct baseline {
	uint32_t n; /* logins learned */
	uint32_t days; /* distinct (local) days with a login */
	int64_t last_day;
	int64_t first_s, last_s;
	uint32_t hours[24];
	uint32_t methods[AM_MAX];
	uint32_t nets_dropped, keys_dropped;
	uint32_t n_nets, n_keys;
	struct bnet *nets; /* max_networks */
	struct bkey *keys; /* max_keys */
};

struct bentry {
	struct tnode node;
	uint16_t host;
	bool dirty;
	char *name;
	size_t name_len;
	struct baseline b;
};

int baseline_init(struct baseline *b, const struct detect_config *c);
void baseline_done(struct baseline *b);
/* Learns one successful login (local time of day / day index computed by the caller). */
void baseline_learn(struct baseline *b, const struct detect_config *c, const struct event *ev, int64_t now_s,
		    int hour, int64_t day);
/* Compact JSON (caller frees) / back; parse returns 0 or -EINVAL. */
char *baseline_to_json(const struct baseline *b);
int baseline_from_json(struct baseline *b, const struct detect_config *c, const char *json);
struct addr baseline_net_of(const struct detect_config *c, const struct addr *a, uint8_t *ret_prefix);

/* ---- what a failure is looked up by (detect.c), computed once ---- */
struct fkeys {
	uint16_t host;
	uint64_t uh; /* the user name's hash (detect_name_hash), 0: none */
	uint64_t src_h; /* the line's address's hash (addr_hash), 0: none */
	bool ahead; /* the look-ahead already started loading the source's state */
};

/* ---- look-ahead (detect.c) ---- */

/* An event held back, with copies of its text and what was found so far
 * about the state it will touch (hints: re-checked when it is judged). */
struct held {
	struct event ev;
	char *buf; /* the copied views */
	size_t cap;
	bool failure;
	struct fkeys k;
	const struct src *src; /* the entry its hash led to (maybe another key's) */
};

/* ---- the detector set ---- */

struct detect {
	const struct detect_config *cfg;
	struct store *st;
	struct alert_sink sink;
	struct detect_stats stats;
	uint64_t seed;
	int64_t now_us;
	bool finished;
	struct time_local local; /* the local hour of logins (unusual.c) */

	/* hosts: interned names, id 0 is "" (no host or the table is full) */
	char **host_names;
	uint32_t *host_lens; /* strlen of each host name */
	uint16_t *host_slots; /* open addressing of ids */
	uint32_t n_hosts, host_mask;
	uint16_t last_host;

	struct table srcs, accts, bases;
	struct sburst *burst_free; /* recycled blocks (linked by link.next) */
	struct arena burst_mem; /* where they come from */
	struct dlink bursts, dist_open, pe_open, pending;
	int64_t src_ttl_us, acct_ttl_us;
	uint32_t slow_nh; /* hours in the slow window: the length of struct src's ring */
	/* nothing can end (sweep has nothing to do) until time passes this:
	 * the earliest end of what is open, and of what may open later */
	int64_t sweep_after;
	int64_t min_gap_us; /* the shortest time from an event to an end it starts */
	int64_t burst_gap_us, dist_gap_us, pe_gap_us;
	int baseline_err;

	/* the files lines come from, numbered for struct evid (origin.file
	 * lives for the whole run): ref is the line being judged */
	const char **files;
	uint32_t n_files, last_file;
	size_t files_cap;
	uint64_t ref;

	/* look-ahead: a ring of HELD_RING (detect.c), events head..tail-1 held */
	struct held *held;
	unsigned ahead;
	uint64_t held_head, held_tail, held_staged; /* staged: the next event whose steps have not run */
};

/* a bounded sentence builder (truncates) */
struct sbuf {
	char b[768];
	size_t n;
};
void sb_printf(struct sbuf *sb, const char *fmt, ...) _printf_(2, 3);

/* detect.c */
void detect_emit(struct detect *d, struct alert *a);
/* Fills host (interned name) into a. */
void detect_alert_host(struct detect *d, struct alert *a, uint16_t host);
const char *detect_host_name(const struct detect *d, uint16_t host);
/* Interns a host name (id 0: none, or the table is full). */
uint16_t detect_host_id(struct detect *d, struct sv h);
uint64_t detect_name_hash(const struct detect *d, struct sv name);
/* The account entry (touched), created when asked; NULL when absent or on OOM. */
struct acct *detect_acct(struct detect *d, uint16_t host, struct sv name, bool create);
struct acct *detect_acct_h(struct detect *d, uint16_t host, struct sv name, uint64_t name_hash, bool create);
/* "4 min", "1 h", "3 days" */
void fmt_duration(char *buf, size_t n, int64_t us);

/* brute.c: sources */
int brute_init(struct detect *d);
void brute_feed(struct detect *d, const struct event *ev, const struct fkeys *k);
void brute_sweep(struct detect *d, int64_t now);
struct src *brute_find(struct detect *d, const struct addr *a);
void brute_forgive(struct detect *d, struct src *s);
/* The source's burst is open at the current time. */
bool brute_burst_open(const struct detect *d, const struct src *s);
/* The open burst's block (a one-attempt burst is given one); NULL when
 * none is open, or on OOM. */
struct sburst *brute_burst(struct detect *d, struct src *s);
void brute_done(struct detect *d);
/* Adds the evidence of the source's burst (or of its life) to a. */
void brute_evidence(const struct detect *d, const struct src *s, bool burst, struct alert *a);
/* The source tried no user name but uh (all its attempts so far). */
bool brute_only_user(const struct src *s, uint64_t uh);
/* Empty n buckets of the slow window's ring of nh hours from position
 * from on, round the ring (n <= nh), taking them off hour_sum and
 * hour_nz: a word at a time over the range, or (nh <= 127) with every
 * byte of the ring's room tested at once (x86; elsewhere the first). The
 * scan uses the second where it can; tests check that both agree. */
void brute_hours_clear_words(struct src *s, uint32_t nh, uint32_t from, uint32_t n);
void brute_hours_clear_vec(struct src *s, uint32_t nh, uint32_t from, uint32_t n);

/* spray.c: the burst's user names (now_s: the attempt's time) */
void spray_note(struct detect *d, struct sburst *b, struct sv user, uint64_t uh, uint32_t now_s);
void spray_why(struct detect *d, const struct sburst *b, struct alert *a);
bool spray_is_spray(const struct detect *d, const struct sburst *b);
/* A user name cut to SAMPLE_LEN bytes, for the reader: a C string in
 * dst (SAMPLE_LEN + 1 bytes), which a NUL in the name ends. */
void spray_copy_name(char *dst, struct sv user);

/* distributed.c */
/* src_h: addr_hash(src) (computed once for the source table). */
void dist_feed(struct detect *d, struct acct *ac, const struct addr *src, uint64_t src_h, uint32_t n);
void dist_close(struct detect *d, struct acct *ac);
void dist_sweep(struct detect *d, int64_t now);

/* after.c: login after failures */
void after_success(struct detect *d, const struct event *ev, uint16_t host);

/* unusual.c */
int unusual_init(struct detect *d);
void unusual_success(struct detect *d, const struct event *ev, uint16_t host);
int unusual_save(struct detect *d);

/* privesc.c */
/* n: the attempts the line adds (attempt_feed; 1 for refusals and successes). */
void privesc_feed(struct detect *d, const struct event *ev, uint16_t host, uint32_t n);
void privesc_close(struct detect *d, struct acct *ac);
void privesc_sweep(struct detect *d, int64_t now);
/* The attempts in words (shared with the correlation). */
void privesc_describe(struct sbuf *sb, uint32_t refused, const char *detail, uint32_t sudo_fail, uint32_t su_fail,
		      const char *target);

/* account.c */
void account_feed(struct detect *d, const struct event *ev, uint16_t host);
enum severity account_describe(const struct detect_config *c, const struct event *ev, struct sbuf *sb);

/* correlate.c */
void corr_open(struct detect *d, struct acct *ac, struct alert *a, const struct event *ev);
/* Folds a privilege or account event into a pending unusual login; true when taken. */
bool corr_feed(struct detect *d, const struct event *ev, uint16_t host, uint32_t n);
void corr_close(struct detect *d, struct acct *ac);
void corr_sweep(struct detect *d, int64_t now);
/* When the oldest pending alert is due (INT64_MAX: none is pending). */
int64_t corr_deadline(struct detect *d);
