/*
 * attempt: which log lines are new login attempts (the rule: attempt.h).
 *
 * A connection's record says what each independent writer has reported so
 * far:
 *
 *   s      sshd's own lines (Failed …, Invalid user …, refusals) or the
 *          su/sudo program's own lines (FAILED SU, "N incorrect password
 *          attempts"), with an "Invalid user X" line and the "Failed … for
 *          invalid user X" that follows it merged into one attempt;
 *   pm     PAM module lines (pam_unix "authentication failure", "N more
 *          authentication failures"), which repeat the same attempts;
 *   pe     sshd's "PAM: <error> for U from H" lines, which repeat them once
 *          more in the keyboard-interactive path;
 *   floor  a line that proves at least one attempt without counting any
 *          (maximum attempts exceeded, a pre-auth close naming a user, a
 *          key-exchange or banner failure).
 *
 * The connection made max(s, pm, pe, floor) attempts; a line adds what that
 * maximum grew by since the last line that could be blamed on a source, so
 * every writer's report counts once and no attempt is lost whichever line
 * comes first.
 *
 * The records: a fixed cache of CONN_SETS sets of CONN_WAYS records,
 * allocated once. A key (host, class and pid; or source and port; or user
 * and terminal) is kept whole, so two connections are one only when their
 * keys are equal; its seeded hash only picks the set and screens the
 * ways. A line reads its set's tags (the ways' hashes and last lines),
 * then the one record it finds or takes: 4096 records, 450 kB in all,
 * small enough to stay in the processor's caches (on the bench file four
 * times as many made the whole scan 15% slower). A record lives CONN_TTL_S after its
 * connection's last line; a logged-in connection's (a session), AUTHED_TTL_S,
 * until its session closes, then CONN_TTL_S more (before, a logged-in
 * record lived until its way was needed, which the seeded hash decided);
 * a new connection takes an empty or expired way of its set.
 * When all four are live it goes beside the sets, in capped maps of exact
 * keys (the spill, and the sessions once it logs in: SPILL_MAX records
 * each, dropped after the same quiet as in a set, the least recently seen
 * pushed out past that and counted when still live: evictions): which
 * connections share a set is the seeded hash's choice, and it must not
 * decide what is counted (before, the set's least recently seen way was
 * taken, so the same log counted differently from one run to the next).
 * A set counts its connections beside the sets, and a line looks there
 * only when that count is not zero. Only a pushed-out live connection
 * could have a later line counted again. sshd
 * allows 100 unauthenticated connections at a time by default
 * (MaxStartups) and drops one after LoginGraceTime (2 minutes), so a set
 * of four is full of connections still talking only under floods far
 * beyond that. (A capped map with expiry, core/cmap, touched
 * two cold records per connection on the bench's one-line connections,
 * one when it came and one when it expired: 20% of the whole scan.)
 */
#include "detect/attempt.h"

#include <stdlib.h>
#include <string.h>

#include "core/cmap.h"
#include "core/list.h"
#include "core/hash.h"
#include "core/macro.h"
#include "core/pages.h"
#include "detect/config.h"
#include "detect/hosts.h"

#define CONN_WAYS 4u
#define CONN_SETS 1024u
#define CONN_TTL_S 600 /* a record quiet this long is another connection (unless it logged in) */
#define AUTHED_TTL_S 86400 /* a logged-in connection's, quiet this long */
#define SPILL_MAX 16384u /* connections kept beside full sets */
#define KEY_NAMES_MAX 26 /* sudo without a pid: user + terminal names up to this long key an invocation */
#define MARKER_MAX 32 /* the marker's user name kept (OpenSSH never changes the user within a connection) */

enum conn_class { CC_SSHD = 1, CC_SU, CC_SUDO };
enum key_how { BY_PID = 1, BY_ADDR, BY_NAME };

enum stream {
	ST_NONE, /* not an attempt */
	ST_OWN, /* the program's own failure line */
	ST_MARK, /* "Invalid user X", "User X not allowed", "ROOT LOGIN REFUSED" */
	ST_MODULE, /* a PAM module's line */
	ST_PAMERR, /* sshd's "PAM: … for U from H" */
	ST_FLOOR, /* proves an attempt */
};

enum {
	CF_AUTHED = 1u << 0, /* the connection logged in: nothing after counts as pre-auth */
	CF_MARKER = 1u << 1, /* a marker line waits for its Failed line */
	CF_CLOSED = 1u << 2, /* its logged-in session closed: kept CONN_TTL_S more, no longer AUTHED_TTL_S */
};

/* A connection's key, whole: host, class and how it is told apart, then
 * the pid, the source and port, or the user and terminal names (zeros
 * after what is used, so equal keys are equal bytes). */
struct conn_key {
	uint16_t host;
	uint8_t cls, how;
	union {
		int32_t pid;
		struct {
			uint16_t port;
			struct addr a;
		} ap;
		struct {
			uint8_t user_len, tty_len;
			char text[KEY_NAMES_MAX]; /* the user, then the terminal */
		} names;
	} u;
};
_Static_assert(sizeof(struct conn_key) == 32, "a key is 32 bytes");

struct conn {
	struct conn_key key;
	struct addr src; /* ADDR_NONE until a line names it */
	uint16_t port; /* 0 until a line names it */
	uint8_t flags, floor;
	uint32_t s, pm, pe, counted;
	/* the marker line's user name, its first MARKER_MAX bytes (marker_len:
	 * its whole length; 0: the marker named none) */
	uint16_t marker_len;
	char marker[MARKER_MAX];
};

/* One set's tags: the ways' hashes (0: empty) and last lines, and how
 * many of its connections are beside the sets (only then are those
 * looked in). */
struct conn_set {
	uint64_t hash[CONN_WAYS];
	uint32_t last_s[CONN_WAYS];
	uint16_t beside;
} __attribute__((aligned(64)));

/* A connection whose set was full of live ones (in spill, or in sessions
 * once it logged in). */
struct spill {
	struct cmap_node node;
	uint32_t last_s;
	struct conn c;
};

struct attempts {
	struct conn_set *sets;
	struct conn *recs; /* CONN_WAYS per set */
	/* beside the sets, exact keys, the least recently seen pushed out past
	 * SPILL_MAX: connections not logged in (dropped after CONN_TTL_S of
	 * quiet), and logged-in ones (AUTHED_TTL_S) */
	struct cmap spill, sessions;
	struct hosts *hosts;
	uint64_t seed;
	uint32_t now_s; /* the stage's clock (seconds): event time never goes back here */
	uint64_t tracked, evictions;
};

/* Whether a record quiet since last_s is still its connection's: for
 * CONN_TTL_S, or AUTHED_TTL_S once it logged in. The same rule in a set
 * and beside the sets: whether a record is kept never depends on the set
 * the seeded hash put it in. */
static bool alive(const struct attempts *a, uint32_t last_s, const struct conn *c)
{
	uint32_t quiet = a->now_s - last_s;
	return quiet <= CONN_TTL_S || ((c->flags & (CF_AUTHED | CF_CLOSED)) == CF_AUTHED && quiet <= AUTHED_TTL_S);
}

/* The set of a key's hash. */
static size_t set_of(uint64_t h)
{
	return (size_t)(h >> 40) & (CONN_SETS - 1);
}

/* A connection beside the sets goes (quiet, forgotten, or pushed out by a
 * newer one: counted when it was still live, for a later line of it could
 * then be counted again). */
static void spill_drop(void *ud, struct cmap_node *n, enum cmap_why why)
{
	struct attempts *a = ud;
	struct spill *sp = container_of(n, struct spill, node);
	a->sets[set_of(n->h.hash)].beside--;
	if (why == CMAP_EVICTED && alive(a, sp->last_s, &sp->c))
		a->evictions++;
}

struct attempts *attempts_new(const struct detect_config *cfg)
{
	struct attempts *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->seed = hash_random_seed(a);
	a->hosts = hosts_new(cfg->max_hosts, a->seed);
	a->sets = pages_alloc((size_t)CONN_SETS * sizeof(struct conn_set));
	a->recs = pages_alloc((size_t)CONN_SETS * CONN_WAYS * sizeof(struct conn));
	if (!a->hosts || !a->sets || !a->recs ||
	    cmap_init(&a->spill, a->seed, SPILL_MAX, sizeof(struct spill), spill_drop, a) < 0 ||
	    cmap_init(&a->sessions, a->seed, SPILL_MAX, sizeof(struct spill), spill_drop, a) < 0)
		return attempts_free(a);
	return a;
}

struct attempts *attempts_free(struct attempts *a)
{
	if (!a)
		return NULL;
	if (a->sets) {
		cmap_done(&a->spill);
		cmap_done(&a->sessions);
	}
	pages_free(a->sets, (size_t)CONN_SETS * sizeof(struct conn_set));
	pages_free(a->recs, (size_t)CONN_SETS * CONN_WAYS * sizeof(struct conn));
	hosts_free(a->hosts);
	free(a);
	return NULL;
}

void attempts_get_stats(const struct attempts *a, struct attempts_stats *ret)
{
	*ret = (struct attempts_stats){ .tracked = a->tracked + cmap_size(&a->spill) + cmap_size(&a->sessions),
					.evictions = a->evictions };
}

/* sshd writes these when the client sent nothing (port scanners, load
 * balancer health checks): a connection, not a login attempt. */
static bool silent_client(struct sv detail)
{
	return sv_starts(detail, "Did not receive identification string") ||
	       sv_starts(detail, "Connection closed by remote host") ||
	       sv_starts(detail, "read: Connection reset by peer") || sv_starts(detail, "Connection reset by peer");
}

/* pam modules put their service ("sshd") or "more authentication failures"
 * in detail; sshd's "PAM: MSG for U from H" puts pam_strerror()'s MSG,
 * which starts with a capital ("Authentication failure"). */
static bool sshd_pam_error(struct sv detail)
{
	return detail.n && detail.p[0] >= 'A' && detail.p[0] <= 'Z';
}

static enum stream stream_of(const struct event *ev)
{
	bool pam = ev->method == AM_PAM;
	switch (ev->kind) {
	case EV_AUTH_FAILURE:
		if (!pam)
			return ST_OWN;
		return sshd_pam_error(ev->detail) ? ST_PAMERR : ST_MODULE;
	case EV_INVALID_USER:
	case EV_USER_NOT_ALLOWED:
	case EV_ROOT_REFUSED:
		/* pam_unix's "check pass; user unknown" precedes its own failure line */
		return pam ? ST_NONE : ST_MARK;
	case EV_MAX_AUTH:
		return ST_FLOOR;
	case EV_PREAUTH_CLOSE:
		return ev->user.n ? ST_FLOOR : ST_NONE;
	case EV_PROTOCOL_ERROR:
		return silent_client(ev->detail) ? ST_NONE : ST_FLOOR;
	case EV_SU_FAILURE:
	case EV_SUDO_FAILURE:
		return pam ? ST_MODULE : ST_OWN;
	default:
		return ST_NONE;
	}
}

static enum conn_class class_of(enum event_kind k)
{
	switch (k) {
	case EV_SU_FAILURE:
	case EV_SU_SUCCESS:
		return CC_SU;
	case EV_SUDO_FAILURE:
	case EV_SUDO_COMMAND:
	case EV_SUDO_REFUSED:
		return CC_SUDO;
	default:
		return CC_SSHD;
	}
}

/* The connection's key; false when the line does not say which
 * connection it is. */
static bool conn_key(struct attempts *a, const struct event *ev, enum conn_class cls, struct conn_key *k)
{
	memset(k, 0, sizeof(*k));
	k->host = hosts_id(a->hosts, ev->host);
	k->cls = (uint8_t)cls;
	if (ev->pid >= 0) {
		k->how = BY_PID;
		k->u.pid = ev->pid;
	} else if (cls == CC_SSHD && ev->port && ev->source.family != ADDR_NONE) {
		k->how = BY_ADDR;
		k->u.ap.port = ev->port;
		k->u.ap.a = ev->source;
	} else if (cls != CC_SSHD && ev->user.n) {
		/* sudo without a pid: one invocation per user and terminal
		 * (pam_unix writes "tty=/dev/pts/0", sudo "TTY=pts/0") */
		struct sv tty = ev->tty;
		if (sv_starts(tty, "/dev/"))
			tty = sv_skip(tty, 5);
		if (ev->user.n + tty.n > KEY_NAMES_MAX)
			return false;
		k->how = BY_NAME;
		k->u.names.user_len = (uint8_t)ev->user.n;
		k->u.names.tty_len = (uint8_t)tty.n;
		memcpy(k->u.names.text, ev->user.p, ev->user.n);
		if (tty.n)
			memcpy(k->u.names.text + ev->user.n, tty.p, tty.n);
	} else {
		return false;
	}
	return true;
}

/* Where a record is: way w of a set, or (sp) beside the sets, in map. */
struct way {
	struct conn_set *set;
	struct conn *c; /* the set's records */
	unsigned w;
	uint64_t h; /* the key's hash (never 0) */
	struct spill *sp;
	struct cmap *map;
};

static bool live(const struct attempts *a, const struct conn_set *set, const struct conn *c, unsigned w)
{
	return set->hash[w] && alive(a, set->last_s[w], &c[w]);
}

static struct conn *way_conn(const struct way *at)
{
	return at->sp ? &at->sp->c : &at->c[at->w];
}

static bool way_live(const struct attempts *a, const struct way *at)
{
	return at->sp ? alive(a, at->sp->last_s, &at->sp->c) : live(a, at->set, at->c, at->w);
}

static void way_touch(struct attempts *a, struct way *at)
{
	if (at->sp) {
		at->sp->last_s = a->now_s;
		cmap_touch(at->map, &at->sp->node, a->now_s);
	} else {
		at->set->last_s[at->w] = a->now_s;
	}
}

/* A key is four words (zeros after what is used): compared and hashed as
 * such, not as bytes of any length. */
static bool key_eq(const struct conn_key *x, const struct conn_key *y)
{
	uint64_t a[4], b[4];
	memcpy(a, x, sizeof(a));
	memcpy(b, y, sizeof(b));
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

static uint64_t key_hash(const struct conn_key *k, uint64_t seed)
{
	uint64_t w[4], h = seed;
	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < 4; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull, h ^= h >> 32;
	return hash_mix(h);
}

static bool spill_eq(const struct hmap_node *n, const void *key)
{
	return key_eq(&container_of(n, struct spill, node.h)->c.key, key);
}

/* The way of key k, or false (*ret then says its set). */
static bool conn_find(struct attempts *a, const struct conn_key *k, struct way *ret)
{
	uint64_t h = key_hash(k, a->seed) | 1; /* 0 marks an empty way */
	size_t i = set_of(h);
	ret->set = &a->sets[i];
	ret->c = &a->recs[i * CONN_WAYS];
	ret->h = h;
	ret->sp = NULL;
	ret->map = NULL;
	for (unsigned w = 0; w < CONN_WAYS; w++)
		if (ret->set->hash[w] == h && key_eq(&ret->c[w].key, k)) {
			ret->w = w;
			return true;
		}
	ret->w = CONN_WAYS;
	if (ret->set->beside) {
		struct cmap *maps[] = { &a->spill, &a->sessions };
		for (size_t m = 0; m < 2; m++) {
			struct cmap_node *n = cmap_find(maps[m], h, spill_eq, k);
			if (n) {
				ret->sp = container_of(n, struct spill, node);
				ret->map = maps[m];
				return true;
			}
		}
	}
	return false;
}

/* Forgets a record. */
static void conn_forget(struct attempts *a, struct way *at)
{
	if (at->sp) {
		cmap_remove(at->map, &at->sp->node);
		at->sp = NULL;
		return;
	}
	at->set->hash[at->w] = 0;
	a->tracked--;
}

/* A record for key k: an empty or expired way of at->set; when every way
 * is live, beside the sets (the least recently seen of those pushed out
 * past SPILL_MAX), so that which connections share a set, which the
 * seeded hash decides, changes nothing that is counted; when that fails
 * (OOM), the way seen least recently (counted). */
static struct conn *conn_new(struct attempts *a, const struct conn_key *k, struct way *at)
{
	struct conn_set *set = at->set;
	uint64_t h = at->h;
	unsigned w = CONN_WAYS;
	for (unsigned i = 0; i < CONN_WAYS && w == CONN_WAYS; i++)
		if (!live(a, set, at->c, i))
			w = i;
	if (w == CONN_WAYS) {
		struct cmap_node *n = cmap_add(&a->spill, h, a->now_s);
		if (n) {
			set->beside++;
			at->map = &a->spill;
			at->sp = container_of(n, struct spill, node);
			at->sp->c = (struct conn){ .key = *k };
			at->sp->last_s = a->now_s;
			return &at->sp->c;
		}
		w = 0;
		for (unsigned i = 1; i < CONN_WAYS; i++)
			if (set->last_s[i] < set->last_s[w])
				w = i;
		a->evictions++;
	} else if (!set->hash[w]) {
		a->tracked++;
	}
	set->hash[w] = h;
	at->c[w] = (struct conn){ .key = *k };
	at->w = w;
	return &at->c[w];
}

/* Whether ev belongs to another connection than the record's, with the
 * same key: a reused pid (another source or port), or a record quiet for
 * too long. */
static bool another(const struct attempts *a, const struct way *at, const struct event *ev)
{
	const struct conn *c = way_conn(at);
	return !way_live(a, at) ||
	       (ev->source.family != ADDR_NONE && c->src.family != ADDR_NONE && !addr_equal(&c->src, &ev->source)) ||
	       (ev->port && c->port && ev->port != c->port);
}

/* The record of key k (a fresh one when the line belongs to another
 * connection than the record's), created when create; NULL when absent
 * and not created. *at: where it is. */
static struct conn *conn_get(struct attempts *a, const struct conn_key *k, const struct event *ev, bool create,
			     struct way *at)
{
	struct conn *c;

	if (conn_find(a, k, at)) {
		c = way_conn(at);
		if (another(a, at, ev))
			*c = (struct conn){ .key = *k };
	} else {
		if (!create)
			return NULL;
		c = conn_new(a, k, at);
	}
	way_touch(a, at);
	if (c->src.family == ADDR_NONE && ev->source.family != ADDR_NONE)
		c->src = ev->source;
	if (!c->port && ev->port)
		c->port = ev->port;
	return c;
}

/* The record of key k when it is still this connection's (no change). */
static struct conn *conn_peek(struct attempts *a, const struct conn_key *k, struct way *at)
{
	if (!conn_find(a, k, at))
		return NULL;
	return way_live(a, at) ? way_conn(at) : NULL;
}

/* A connection beside the sets moves to map: to the sessions, which keep
 * it longer, once it logged in; back when its session closed. (When that
 * fails, OOM, it stays.) */
static void move_beside(struct attempts *a, struct way *at, struct cmap *map)
{
	if (!at->sp || at->map == map)
		return;
	struct cmap_node *n = cmap_add(map, at->h, a->now_s);
	if (!n)
		return;
	struct spill *sp = container_of(n, struct spill, node);
	sp->last_s = at->sp->last_s;
	sp->c = at->sp->c;
	at->set->beside++;
	cmap_remove(at->map, &at->sp->node);
	at->sp = sp;
	at->map = map;
}

static bool marker_matches(const struct conn *c, struct sv user)
{
	if (c->marker_len == 0 || user.n == 0)
		return true;
	return c->marker_len == MIN(user.n, (size_t)UINT16_MAX) &&
	       memcmp(c->marker, user.p, MIN(user.n, (size_t)MARKER_MAX)) == 0;
}

static void set_marker(struct conn *c, struct sv user)
{
	c->marker_len = (uint16_t)MIN(user.n, (size_t)UINT16_MAX);
	memcpy(c->marker, user.p, MIN(user.n, (size_t)MARKER_MAX));
}

static uint32_t add_sat(uint32_t x, uint32_t n)
{
	return x + MIN(n, UINT32_MAX - x);
}

static void take_source(struct event *ev, const struct conn *c)
{
	if (ev->source.family == ADDR_NONE && c->src.family != ADDR_NONE) {
		ev->source = c->src;
		ev->flags |= EVF_SOURCE_CONN;
	}
}

/* A failure-like line (st != ST_NONE). */
static void count(struct attempts *a, struct event *ev, enum stream st, enum conn_class cls)
{
	uint32_t n = ev->count ? ev->count : 1, total, add;
	struct conn_key k;
	struct way at;
	struct conn *c;

	if (!conn_key(a, ev, cls, &k) || !(c = conn_get(a, &k, ev, true, &at))) {
		/* no way to tell the connection: the line stands alone */
		ev->attempts = st == ST_FLOOR ? 1 : n;
		return;
	}
	switch (st) {
	case ST_OWN:
		add = n;
		if ((c->flags & CF_MARKER) && marker_matches(c, ev->user)) {
			add = n - 1; /* the marker line counted this attempt */
			c->flags &= (uint8_t)~CF_MARKER;
		}
		c->s = add_sat(c->s, add);
		break;
	case ST_MARK:
		c->s = add_sat(c->s, n);
		c->flags |= CF_MARKER;
		set_marker(c, ev->user);
		break;
	case ST_MODULE:
		c->pm = add_sat(c->pm, n);
		break;
	case ST_PAMERR:
		c->pe = add_sat(c->pe, n);
		break;
	default: /* ST_FLOOR */
		if (!(c->flags & CF_AUTHED))
			c->floor = 1;
		break;
	}
	total = MAX(MAX(c->s, c->pm), MAX(c->pe, (uint32_t)c->floor));
	if (cls == CC_SSHD) {
		take_source(ev, c);
		if (ev->source.family == ADDR_NONE)
			return; /* kept until a line of the connection names its source */
	}
	ev->attempts = total > c->counted ? total - c->counted : 0;
	c->counted = total;
	if (cls != CC_SSHD && st == ST_OWN)
		conn_forget(a, &at); /* su and sudo write their own line last: the invocation is over */
}

/* A line that is no attempt: a login ends what came before it, and an
 * sshd line names (or takes) its connection's address. */
static void other(struct attempts *a, struct event *ev, enum conn_class cls)
{
	struct conn_key k;
	struct way at;
	struct conn *c;

	if (!conn_key(a, ev, cls, &k))
		return;
	switch (ev->kind) {
	case EV_AUTH_SUCCESS:
		/* logged in: a close that follows is not a pre-auth probe */
		if ((c = conn_get(a, &k, ev, true, &at))) {
			c->flags |= CF_AUTHED;
			move_beside(a, &at, &a->sessions);
		}
		return;
	case EV_SUDO_REFUSED:
	case EV_SUDO_COMMAND:
	case EV_SU_SUCCESS:
		/* the invocation ended */
		if (conn_find(a, &k, &at))
			conn_forget(a, &at);
		return;
	default:
		/* only sshd's own lines belong to an sshd connection */
		if (cls != CC_SSHD || !sv_starts(ev->program, "sshd"))
			return;
		/* a line with an address names its connection's; one without
		 * takes it, without changing the record */
		c = ev->source.family != ADDR_NONE ? conn_get(a, &k, ev, true, &at) : conn_peek(a, &k, &at);
		if (!c)
			return;
		take_source(ev, c);
		/* a logged-in session's end: what the connection still writes
		 * comes soon after */
		if (ev->kind == EV_SESSION_CLOSE && (c->flags & CF_AUTHED)) {
			c->flags |= CF_CLOSED;
			way_touch(a, &at); /* from now */
			move_beside(a, &at, &a->spill);
		}
		return;
	}
}

static void expire(struct cmap *m, int64_t before)
{
	if (cmap_size(m) && cmap_oldest(m) < before)
		cmap_expire(m, before);
}

void attempts_apply(struct attempts *a, struct event *ev)
{
	enum stream st = stream_of(ev);
	enum conn_class cls = class_of(ev->kind);
	int64_t t = ev->time_us / 1000000;

	/* seconds as 32 bits, as the ways keep them (2106 is far) */
	if (t > a->now_s) {
		a->now_s = (uint32_t)MIN(t, (int64_t)UINT32_MAX);
		/* beside the sets, what went quiet goes (in a set, its way is
		 * taken when needed: the same rule, alive()) */
		expire(&a->spill, (int64_t)a->now_s - CONN_TTL_S);
		expire(&a->sessions, (int64_t)a->now_s - AUTHED_TTL_S);
	}
	ev->attempts = 0;
	if (st == ST_NONE)
		other(a, ev, cls);
	else
		count(a, ev, st, cls);
}
