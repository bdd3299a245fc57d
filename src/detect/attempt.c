/*
 * attempt: which log lines are new login attempts. The rule is written out
 * at the top of brute.c; this file keeps the per-connection state it needs.
 *
 * A connection is one sshd process (host + pid), or one su/sudo invocation
 * (host + pid, or host + user + tty when sudo logged no pid). Its record
 * says what each independent writer has reported so far:
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
 * Memory: a fixed cache of CONN_SETS sets of CONN_WAYS records, allocated
 * once (1 MB: small enough to stay in cache). A record lives CONN_TTL_S
 * after its connection's last line (a logged-in connection's, until its
 * way is needed); a new connection takes an empty or expired way of its
 * set, else the way seen least recently, which is counted
 * (stats.conn_evictions): only then could a later line of that connection
 * be counted again. sshd allows 100 unauthenticated connections at a time
 * by default (MaxStartups), so a set of four is full of live connections
 * only under floods far beyond that.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/internal.h"

#define CONN_WAYS 4u
#define CONN_SETS 4096u
#define CONN_TTL_S 600u

enum conn_class { CC_SSHD = 1, CC_SU, CC_SUDO };

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
};

struct conn {
	struct addr src; /* ADDR_NONE until a line names it */
	uint8_t flags;
	uint16_t port; /* 0 until a line names it */
	uint8_t floor;
	uint32_t marker_user; /* 32 bits of the marker's user-name hash; 0: any */
	uint32_t s, pm, pe, counted;
};

/* One set: the ways' keys and times in the first cache line, then the
 * records (four lines in all, which the look-ahead loads together: the
 * record a lookup finds is read right after its key). */
struct conn_set {
	uint64_t key[CONN_WAYS]; /* 0: empty */
	uint32_t last_s[CONN_WAYS];
	struct conn c[CONN_WAYS];
} __attribute__((aligned(64)));

int attempt_init(struct detect *d)
{
	d->conns = pages_alloc((size_t)CONN_SETS * sizeof(struct conn_set));
	return d->conns ? 0 : -1;
}

void attempt_done(struct detect *d)
{
	pages_free(d->conns, (size_t)CONN_SETS * sizeof(struct conn_set));
	d->conns = NULL;
}

/* sshd writes these when the client sent nothing (port scanners, load
 * balancer health checks): a connection, not a login attempt. */
static bool silent_client(struct sv detail)
{
	return sv_starts(detail, "Did not receive identification string") ||
	       sv_starts(detail, "Connection closed by remote host") ||
	       sv_starts(detail, "read: Connection reset by peer") ||
	       sv_starts(detail, "Connection reset by peer");
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

/* The connection's key, 0 when the line does not say which it is. */
static uint64_t conn_key(const struct detect *d, const struct event *ev, uint16_t host, enum conn_class cls,
			 uint64_t uh)
{
	uint64_t k = ((uint64_t)host << 48) ^ ((uint64_t)cls << 40);
	if (ev->pid >= 0)
		k = hash_mix(k ^ (uint64_t)(uint32_t)ev->pid ^ d->seed);
	else if (cls == CC_SSHD && ev->port && ev->source.family != ADDR_NONE)
		k = hash_mix(k ^ addr_hash(&ev->source, d->seed) ^ ((uint64_t)ev->port << 20));
	else if (cls != CC_SSHD && uh) {
		/* sudo without a pid: one invocation per user and terminal
		 * (pam_unix writes "tty=/dev/pts/0", sudo "TTY=pts/0") */
		struct sv tty = ev->tty;
		if (sv_starts(tty, "/dev/"))
			tty = sv_skip(tty, 5);
		k = hash_mix(k ^ uh ^ hash_bytes(tty.p, tty.n, d->seed));
	} else
		return 0;
	return k ? k : 1;
}

uint64_t attempt_key(const struct detect *d, const struct event *ev, uint16_t host)
{
	return conn_key(d, ev, host, CC_SSHD, 0);
}

void attempt_prefetch(const struct detect *d, uint64_t key)
{
	if (key)
		prefetch_range((const struct conn_set *)d->conns + (key & (CONN_SETS - 1)), sizeof(struct conn_set));
}

static bool live(const struct conn_set *set, unsigned w, uint32_t now_s)
{
	return set->key[w] && now_s - set->last_s[w] <= CONN_TTL_S;
}

struct conn_ref {
	struct conn_set *set;
	unsigned way;
};

/* The record of key (reset when it is another connection: a reused pid,
 * another source or port, or quiet for too long); created when create.
 * NULL when absent and not created. */
static struct conn *conn_get(struct detect *d, uint64_t key, const struct event *ev, uint32_t now_s, bool create,
			     struct conn_ref *ret)
{
	struct conn_set *set = (struct conn_set *)d->conns + (key & (CONN_SETS - 1));
	struct conn *c = NULL;
	unsigned w = CONN_WAYS;

	for (unsigned i = 0; i < CONN_WAYS; i++)
		if (set->key[i] == key) {
			w = i;
			break;
		}
	if (w < CONN_WAYS) {
		c = &set->c[w];
		/* a logged-in connection's record is kept as long as nothing needs its way */
		if ((!live(set, w, now_s) && !(c->flags & CF_AUTHED)) ||
		    (ev->source.family != ADDR_NONE && c->src.family != ADDR_NONE && !addr_equal(&c->src, &ev->source)) ||
		    (ev->port && c->port && ev->port != c->port))
			*c = (struct conn){ 0 }; /* the same key, another connection */
	} else {
		if (!create)
			return NULL;
		for (unsigned i = 0; i < CONN_WAYS && w == CONN_WAYS; i++)
			if (!live(set, i, now_s))
				w = i;
		if (w == CONN_WAYS) {
			w = 0;
			for (unsigned i = 1; i < CONN_WAYS; i++)
				if (set->last_s[i] < set->last_s[w])
					w = i;
			d->stats.conn_evictions++;
		}
		set->key[w] = key;
		c = &set->c[w];
		*c = (struct conn){ 0 };
	}
	set->last_s[w] = now_s;
	if (c->src.family == ADDR_NONE && ev->source.family != ADDR_NONE)
		c->src = ev->source;
	if (!c->port && ev->port)
		c->port = ev->port;
	ret->set = set;
	ret->way = w;
	return c;
}

static void conn_forget(struct conn_ref *r)
{
	r->set->key[r->way] = 0;
}

static bool feed(struct detect *d, const struct event *ev, uint16_t host, bool have_key, uint64_t key, uint64_t uh,
		 uint32_t *ret_n, struct addr *ret_src)
{
	enum stream st = stream_of(ev);
	enum conn_class cls = class_of(ev->kind);
	uint32_t n = ev->count ? ev->count : 1;
	uint32_t now_s = (uint32_t)(d->now_us / USEC_PER_SEC);
	uint32_t u32 = (uint32_t)(uh >> 32);
	struct conn *c;
	struct conn_ref ref;
	uint32_t total, add;

	*ret_src = ev->source;
	*ret_n = 0;
	if (st == ST_NONE)
		return false;
	if (!have_key)
		key = conn_key(d, ev, host, cls, uh);
	if (!key || !(c = conn_get(d, key, ev, now_s, true, &ref))) {
		/* no way to tell the connection: the line stands alone */
		*ret_n = st == ST_FLOOR ? 1 : n;
		return true;
	}

	switch (st) {
	case ST_OWN:
		add = n;
		if ((c->flags & CF_MARKER) && (c->marker_user == 0 || u32 == 0 || c->marker_user == u32)) {
			add = n - 1; /* the marker line counted this attempt */
			c->flags &= (uint8_t)~CF_MARKER;
		}
		c->s += MIN(add, UINT32_MAX - c->s);
		break;
	case ST_MARK:
		c->s += MIN(n, UINT32_MAX - c->s);
		c->flags |= CF_MARKER;
		c->marker_user = u32;
		break;
	case ST_MODULE:
		c->pm += MIN(n, UINT32_MAX - c->pm);
		break;
	case ST_PAMERR:
		c->pe += MIN(n, UINT32_MAX - c->pe);
		break;
	default: /* ST_FLOOR */
		if (!(c->flags & CF_AUTHED))
			c->floor = 1;
		break;
	}
	total = MAX(MAX(c->s, c->pm), MAX(c->pe, (uint32_t)c->floor));
	if (cls == CC_SSHD) {
		if (ev->source.family == ADDR_NONE)
			*ret_src = c->src;
		if (ret_src->family == ADDR_NONE)
			return true; /* kept until a line of the connection names its source */
	}
	*ret_n = total > c->counted ? total - c->counted : 0;
	c->counted = total;
	if (cls != CC_SSHD && st == ST_OWN)
		conn_forget(&ref); /* su and sudo write their own line last: the invocation is over */
	return true;
}

bool attempt_feed(struct detect *d, const struct event *ev, uint16_t host, uint64_t uh, uint32_t *ret_n,
		  struct addr *ret_src)
{
	return feed(d, ev, host, false, 0, uh, ret_n, ret_src);
}

bool attempt_feed_key(struct detect *d, const struct event *ev, uint64_t key, uint64_t uh, uint32_t *ret_n,
		      struct addr *ret_src)
{
	return feed(d, ev, 0, true, key, uh, ret_n, ret_src);
}

void attempt_end(struct detect *d, const struct event *ev, uint16_t host)
{
	enum conn_class cls = class_of(ev->kind);
	uint64_t uh = cls != CC_SSHD && ev->user.n ? detect_name_hash(d, ev->user) : 0;
	uint64_t key = conn_key(d, ev, host, cls, uh);
	uint32_t now_s = (uint32_t)(d->now_us / USEC_PER_SEC);
	struct conn_ref ref;
	struct conn *c;

	if (!key)
		return;
	if (cls == CC_SSHD) {
		/* logged in: a close that follows is not a pre-auth probe */
		c = conn_get(d, key, ev, now_s, true, &ref);
		if (c)
			c->flags |= CF_AUTHED;
	} else if (conn_get(d, key, ev, now_s, false, &ref)) {
		conn_forget(&ref);
	}
}
