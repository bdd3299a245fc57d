/* trace: sessions, attribution and verdicts from the store's events. */
#include "core/array.h"
#include "core/hash.h"
#include "core/hmap.h"
#include "core/list.h"
#include "trace/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/strview.h"
#include "core/timeutil.h"
#include "store/store.h"
#include "trace/trace-internal.h"

#define US 1000000LL
/* sshd's LoginGraceTime is 120 s by default: a connection's pre-auth lines
 * are within minutes of its login. */
#define CONN_BEFORE_US (600 * US)
/* Failures from the login's source counted "before" it: at most a day. */
#define BEFORE_US (86400 * US)
/* A session without a logout seen keeps sudo/su for at most a day. */
#define OPEN_WINDOW_US (86400 * US)
/* The closing lines of one connection come together. */
#define CLOSE_SLACK_US (5 * US)
/* A walk stopped on purpose by a callback. */
#define WALK_STOP (-ECANCELED)
/* pam_systemd registers the logind session while sshd opens its session:
 * logind's "New session" line follows the login within a second or two. */
#define LOGIND_SLACK_US (2 * US)
/* A logind session removed this long after the logout: its processes ran on. */
#define LINGER_US (60 * US)
/* A marker line ("Invalid user") and the failure after it are one attempt
 * when this close (as detect/brute.c counts). */
#define MERGE_US (60 * US)

/* trace_event.mark */
enum {
	MARK_LOGIN = 1 << 0, /* the login of a session built in this trace */
	MARK_LOGIND = 1 << 1, /* a logind line already given to a session */
};

static const uint64_t fail_kinds = EVENT_KIND_BIT(EV_AUTH_FAILURE) | EVENT_KIND_BIT(EV_INVALID_USER) |
				   EVENT_KIND_BIT(EV_USER_NOT_ALLOWED) | EVENT_KIND_BIT(EV_ROOT_REFUSED) |
				   EVENT_KIND_BIT(EV_MAX_AUTH);
static const uint64_t noise_kinds = EVENT_KIND_BIT(EV_PREAUTH_CLOSE) | EVENT_KIND_BIT(EV_CONNECT) |
				    EVENT_KIND_BIT(EV_PROTOCOL_ERROR) | EVENT_KIND_BIT(EV_CONN_REFUSED) |
				    EVENT_KIND_BIT(EV_MAXSTARTUPS);
static const uint64_t session_kinds = EVENT_KIND_BIT(EV_AUTH_SUCCESS) | EVENT_KIND_BIT(EV_SESSION_OPEN) |
				      EVENT_KIND_BIT(EV_SESSION_CLOSE) | EVENT_KIND_BIT(EV_DISCONNECT);
static const uint64_t priv_kinds = EVENT_KIND_BIT(EV_SUDO_COMMAND) | EVENT_KIND_BIT(EV_SUDO_FAILURE) |
				   EVENT_KIND_BIT(EV_SUDO_REFUSED) | EVENT_KIND_BIT(EV_SU_SUCCESS) |
				   EVENT_KIND_BIT(EV_SU_FAILURE);
static const uint64_t change_kinds = EVENT_KIND_BIT(EV_ACCOUNT_CHANGE) | EVENT_KIND_BIT(EV_KEY_CHANGE);

static bool is(uint64_t set, enum event_kind k)
{
	return (unsigned)k < 64 && (set & EVENT_KIND_BIT(k));
}

/* --- the pool: one owned copy per stored event ----------------------- */

/* A pooled event: the public copy and the map's node (core/hmap, by id). */
struct pooled {
	struct hmap_node node;
	struct trace_event ev; /* its strings follow the struct */
};

struct trace_pool {
	struct trace_event **v; /* in the order taken */
	size_t n, cap;
	struct hmap by_id;
};

static struct trace_pool *pool_new(void)
{
	struct trace_pool *p = calloc(1, sizeof(*p));
	if (p && hmap_init(&p->by_id, hash_random_seed(p)) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static struct trace_pool *pool_free(struct trace_pool *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		free(container_of(p->v[i], struct pooled, ev));
	free(p->v);
	hmap_done(&p->by_id);
	free(p);
	return NULL;
}

static bool pooled_eq(const struct hmap_node *n, const void *key)
{
	return container_of(n, struct pooled, node)->ev.id == *(const int64_t *)key;
}

static char *put(char **w, const char *s)
{
	size_t n = strlen(s) + 1;
	char *r = *w;
	memcpy(r, s, n);
	*w += n;
	return r;
}

/* The pool's copy of e (the same object for the same id), or NULL when
 * out of memory or over TRACE_EVENTS_MAX (counted in t). */
static struct trace_event *pool_get(struct trace *t, const struct stored_event *e)
{
	struct trace_pool *p = t->pool;
	uint64_t h = hash_mix((uint64_t)e->id ^ hmap_seed(&p->by_id));
	struct hmap_node *found = hmap_find(&p->by_id, h, pooled_eq, &e->id);
	if (found)
		return &container_of(found, struct pooled, node)->ev;
	if (p->n >= TRACE_EVENTS_MAX) {
		t->events_dropped++;
		return NULL;
	}
	if (array_reserve(&p->v, &p->cap, p->n + 1, sizeof(*p->v), 256) < 0)
		return NULL;
	const char *strs[] = { e->host, e->program, e->user, e->target, e->source, e->source_name, e->key_type,
			       e->key_fp, e->tty, e->command, e->detail, e->file };
	size_t len = 0;
	for (size_t i = 0; i < ELEMENTSOF(strs); i++)
		len += strlen(strs[i]) + 1;
	struct pooled *pe = malloc(sizeof(*pe) + len);
	if (!pe)
		return NULL;
	if (hmap_add(&p->by_id, &pe->node, h) < 0) {
		free(pe);
		return NULL;
	}
	struct trace_event *x = &pe->ev;
	char *w = (char *)(pe + 1);
	*x = (struct trace_event){
		.id = e->id,
		.time_us = e->time_us,
		.pid = e->pid,
		.kind = e->kind,
		.method = e->method,
		.acct = e->acct,
		.flags = e->flags,
		.count = e->count ? e->count : 1,
		.port = e->port,
		.line = e->line,
	};
	x->host = put(&w, e->host);
	x->program = put(&w, e->program);
	x->user = put(&w, e->user);
	x->target = put(&w, e->target);
	x->source = put(&w, e->source);
	x->source_name = put(&w, e->source_name);
	x->key_type = put(&w, e->key_type);
	x->key_fp = put(&w, e->key_fp);
	x->tty = put(&w, e->tty);
	x->command = put(&w, e->command);
	x->detail = put(&w, e->detail);
	x->file = put(&w, e->file);
	p->v[p->n++] = x;
	return x;
}

/* --- a capped set of strings (distinct users / sources) -------------- */

/* Attacker text (user names tried): a seeded core/hmap, capped. */
struct strset {
	struct hmap map;
	bool init, capped;
	size_t n;
};

struct strent {
	struct hmap_node node;
	char s[];
};

static bool strent_eq(const struct hmap_node *n, const void *key)
{
	return strcmp(container_of(n, struct strent, node)->s, key) == 0;
}

static void strset_clear(struct strset *s)
{
	if (s->init) {
		size_t pos = 0;
		struct hmap_node *n;
		while ((n = hmap_next(&s->map, &pos)))
			free(container_of(n, struct strent, node));
		hmap_done(&s->map);
	}
	*s = (struct strset){ 0 };
}

/* Adds v when new; beyond TRACE_USERS_MAX only counts that it is full. */
static void strset_add(struct strset *s, const char *v)
{
	if (!*v)
		return;
	if (!s->init) {
		if (hmap_init(&s->map, hash_random_seed(s)) < 0)
			return;
		s->init = true;
	}
	size_t len = strlen(v);
	uint64_t h = hmap_hash(&s->map, v, len);
	if (hmap_find(&s->map, h, strent_eq, v))
		return;
	if (s->n >= TRACE_USERS_MAX) {
		s->capped = true; /* full: known values still recognised, no more counted */
		return;
	}
	struct strent *e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return;
	memcpy(e->s, v, len + 1);
	if (hmap_add(&s->map, &e->node, h) < 0) {
		free(e);
		return;
	}
	s->n++;
}

/* --- failures ---------------------------------------------------------- */

struct fail_acc {
	struct trace_failures *f;
	struct strset users, sources;
	/* The last failure, to count a marker line and its failure once. */
	uint64_t last_conn, last_user; /* hashes; 0 = none */
	int64_t last_us;
	uint16_t last_port;
	enum event_kind last_kind;
};

static bool is_marker(enum event_kind k)
{
	return k == EV_INVALID_USER || k == EV_USER_NOT_ALLOWED || k == EV_ROOT_REFUSED;
}

/* For comparing a line's host or user with the line before's. */
static uint64_t str_hash(const char *s)
{
	return hash_bytes(s, strlen(s), 0);
}

/* How many attempts a failure line adds to tries (rows of schema 2
 * stores, scanned before the attempt stage existed). */
static uint64_t failure_tries(struct fail_acc *a, const struct stored_event *e, uint32_t c)
{
	uint64_t conn = e->pid >= 0 ? str_hash(e->host) ^ ((uint64_t)(uint32_t)e->pid + 1) * 0x9e3779b97f4a7c15ULL : 0;
	uint64_t user = e->user[0] ? str_hash(e->user) : 0;
	bool same = conn && conn == a->last_conn && e->time_us - a->last_us <= MERGE_US &&
		    (a->last_port == e->port || !a->last_port || !e->port) &&
		    (a->last_user == user || !a->last_user || !user);
	enum event_kind k = e->kind;
	uint64_t n = c;

	if (same && k == EV_AUTH_FAILURE && is_marker(a->last_kind)) {
		n--; /* the marker line counted this attempt */
		k = EV_NONE;
	} else if (same && k == EV_MAX_AUTH && a->last_kind == EV_AUTH_FAILURE) {
		n = 0; /* sshd says so after the last failure */
		k = EV_NONE;
	}
	a->last_conn = conn;
	a->last_user = user;
	a->last_us = e->time_us;
	a->last_port = e->port;
	a->last_kind = k;
	return n;
}

static void failures_add(struct trace *t, struct fail_acc *a, const struct stored_event *e)
{
	struct trace_failures *f = a->f;
	if (f->events == 0 && f->noise == 0)
		f->first_us = e->time_us;
	f->first_us = MIN(f->first_us, e->time_us);
	f->last_us = MAX(f->last_us, e->time_us);
	uint32_t c = e->count ? e->count : 1;
	/* Attempts: what the one rule (detect/attempt.h) said when the line
	 * was scanned, as the detectors counted them; rows of schema 2 stores
	 * predate it and are counted here by their connections. */
	if (e->has_attempts)
		f->tries += e->attempts;
	if (is(noise_kinds, e->kind)) {
		f->noise += c;
	} else {
		f->events++;
		f->attempts += c;
		if (!e->has_attempts)
			f->tries += failure_tries(a, e, c);
		switch (e->kind) {
		case EV_AUTH_FAILURE:
			if (e->method == AM_PASSWORD || e->method == AM_KBDINT || e->method == AM_PAM)
				f->passwords += c;
			else
				f->other_methods += c;
			break;
		case EV_INVALID_USER:
			f->invalid_users += c;
			break;
		default:
			f->refused += c;
			break;
		}
		strset_add(&a->users, e->user);
		strset_add(&a->sources, e->source[0] ? e->source : e->source_name);
	}
	if (f->n_kept < TRACE_LIST_MAX) {
		struct trace_event *x = pool_get(t, e);
		if (x)
			f->kept[f->n_kept++] = x;
	}
}

static void failures_done(struct fail_acc *a, bool by_source)
{
	struct strset *s = by_source ? &a->sources : &a->users;
	a->f->users = s->n;
	a->f->by_source = by_source;
	a->f->users_capped = s->capped;
	strset_clear(&a->users);
	strset_clear(&a->sources);
}

/* --- sessions ---------------------------------------------------------- */

/* Room for one more element after the n there are. */
static int grow(void *pv, size_t *cap, size_t n, size_t size)
{
	return array_reserve(pv, cap, n + 1, size, 16);
}

static int session_add(struct trace_session *ss, const struct trace_event *ev)
{
	if (!ev)
		return 0;
	if (grow(&ss->events, &ss->cap_events, ss->n_events, sizeof(*ss->events)) < 0)
		return -ENOMEM;
	ss->events[ss->n_events++] = ev;
	return 0;
}

/* Time order; within one instant, the log's own order (file, line), as
 * the store hands events over (a store's ids say which event, not where
 * it stood: two lines of one second may sit in different segments). */
static int cmp_event(const void *a, const void *b)
{
	const struct trace_event *x = *(const struct trace_event *const *)a, *y = *(const struct trace_event *const *)b;
	int c;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	if (x->line && y->line) {
		c = strcmp(x->file, y->file);
		if (c)
			return c;
		if (x->line != y->line)
			return x->line < y->line ? -1 : 1;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorts the timeline and drops repeats (the same event reached by two
 * queries). */
static void session_sort(struct trace_session *ss)
{
	size_t w = 0;
	if (ss->n_events == 0)
		return;
	qsort(ss->events, ss->n_events, sizeof(*ss->events), cmp_event);
	for (size_t i = 0; i < ss->n_events; i++)
		if (w == 0 || ss->events[w - 1] != ss->events[i])
			ss->events[w++] = ss->events[i];
	ss->n_events = w;
}

struct walk {
	struct trace *t;
	struct trace_session *ss;
	struct fail_acc acc;
	bool closed;
	int64_t close_us;
	int err;
};

/* Phase 1: the connection's own session lines after the login. */
static int on_connection(void *ud, const struct stored_event *e)
{
	struct walk *w = ud;
	if (e->id == w->ss->login->id)
		return 0;
	/* A new login on this pid: the pid was reused, our connection ended
	 * unseen before it. */
	if (e->kind == EV_AUTH_SUCCESS)
		return WALK_STOP;
	if (w->closed && (e->time_us > w->close_us + CLOSE_SLACK_US || e->kind == EV_SESSION_OPEN))
		return WALK_STOP;
	struct trace_event *x = pool_get(w->t, e);
	if (x && session_add(w->ss, x) < 0)
		return w->err = -ENOMEM;
	if (e->kind == EV_SESSION_CLOSE || e->kind == EV_DISCONNECT) {
		w->closed = true;
		w->close_us = e->time_us;
	}
	return 0;
}

/* Phase 2: what the login's source did before it: this connection's
 * pre-auth lines go into the timeline, failures are counted. */
static int on_before(void *ud, const struct stored_event *e)
{
	struct walk *w = ud;
	struct trace_session *ss = w->ss;
	if (e->id == ss->login->id || is(session_kinds, e->kind))
		return 0;
	bool same_conn = e->pid == ss->pid && strcmp(e->host, ss->host) == 0 &&
			 e->time_us >= ss->start_us - CONN_BEFORE_US;
	if (same_conn) {
		struct trace_event *x = pool_get(w->t, e);
		if (x && session_add(ss, x) < 0)
			return w->err = -ENOMEM;
	}
	if (is(fail_kinds | noise_kinds, e->kind))
		failures_add(w->t, &w->acc, e);
	return 0;
}

struct cand_list {
	struct trace_event **v;
	size_t n, cap;
	struct trace *t;
	int err;
};

static int on_cand(void *ud, const struct stored_event *e)
{
	struct cand_list *c = ud;
	struct trace_event *x = pool_get(c->t, e);
	if (!x)
		return 0;
	if (grow(&c->v, &c->cap, c->n, sizeof(*c->v)) < 0)
		return c->err = -ENOMEM;
	c->v[c->n++] = x;
	return 0;
}

struct change_walk {
	struct trace *t;
	int err;
};

/* An account or key change goes to every session on its host whose window
 * holds it; who answers for it is decided once sudo/su are attributed. */
static int on_change(void *ud, const struct stored_event *e)
{
	struct change_walk *w = ud;
	struct trace_event *x = pool_get(w->t, e);
	if (!x)
		return 0;
	for (size_t i = 0; i < w->t->n_sessions; i++) {
		struct trace_session *ss = &w->t->sessions[i];
		if (e->time_us < ss->start_us || e->time_us > ss->window_end_us || strcmp(ss->host, e->host) != 0)
			continue;
		if (grow(&ss->other_changes, &ss->cap_other_changes, ss->n_other_changes,
			 sizeof(*ss->other_changes)) < 0 ||
		    session_add(ss, x) < 0)
			return w->err = -ENOMEM;
		ss->other_changes[ss->n_other_changes++] = x;
	}
	return 0;
}

/* logind's "New session N of user U." of this login: the first one not
 * already given to another session. */
static int on_logind_new(void *ud, const struct stored_event *e)
{
	struct walk *w = ud;
	struct trace_event *x = pool_get(w->t, e);
	if (!x || (x->mark & MARK_LOGIND))
		return 0;
	x->mark |= MARK_LOGIND;
	w->ss->logind_new = x;
	if (session_add(w->ss, x) < 0)
		return w->err = -ENOMEM;
	return WALK_STOP;
}

static int walk_result(int r, struct walk *w)
{
	if (w->err < 0)
		return w->err;
	if (r == WALK_STOP)
		return 0;
	return r < 0 ? r : 0;
}

static char *session_id(const struct trace_event *login)
{
	char *id = NULL;
	int64_t s = login->time_us >= 0 ? login->time_us / US : -((-login->time_us + US - 1) / US);
	if (asprintf(&id, "%s:%" PRId32 ":%" PRId64, login->host, login->pid, s) < 0)
		return NULL;
	return id;
}

static int build_session(struct store *st, struct trace *t, struct trace_session *ss, struct trace_event *login)
{
	struct event_filter f;
	struct walk w = { .t = t, .ss = ss };
	int r;

	login->mark |= MARK_LOGIN;
	ss->login = login;
	ss->host = login->host;
	ss->user = login->user;
	ss->source = login->source[0] ? login->source : login->source_name;
	ss->pid = login->pid;
	ss->method = login->method;
	ss->start_us = login->time_us;
	ss->id = session_id(login);
	if (!ss->id || session_add(ss, login) < 0)
		return -ENOMEM;

	/* 1. Session lines of this connection (host + pid), up to logout. */
	event_filter_init(&f);
	f.host = login->host;
	f.pid = login->pid;
	f.kinds = session_kinds;
	f.since_us = login->time_us;
	f.until_us = t->until_us;
	r = walk_result(store_query_events(st, &f, on_connection, &w), &w);
	if (r < 0)
		return r;
	ss->closed = w.closed;
	ss->end_us = w.closed ? w.close_us : 0;
	if (ss->closed)
		ss->window_end_us = ss->end_us;
	else
		ss->window_end_us = login->time_us > INT64_MAX - OPEN_WINDOW_US ? INT64_MAX
										  : login->time_us + OPEN_WINDOW_US;
	ss->window_end_us = MIN(ss->window_end_us, t->until_us);

	/* logind's session for this login (its removal is matched once every
	 * session is known: attach_logind_removed). */
	event_filter_init(&f);
	f.user = login->user;
	f.host = login->host;
	f.kinds = EVENT_KIND_BIT(EV_LOGIND_NEW);
	f.since_us = login->time_us;
	f.until_us = login->time_us > INT64_MAX - LOGIND_SLACK_US ? INT64_MAX : login->time_us + LOGIND_SLACK_US;
	f.until_us = MIN(f.until_us, t->until_us);
	r = walk_result(store_query_events(st, &f, on_logind_new, &w), &w);
	if (r < 0)
		return r;

	/* 2. The source before the login: this connection's pre-auth lines
	 * and the failures of the last day that led up to it (not needed for
	 * a hidden sibling). */
	if (ss->source[0] && !ss->hidden) {
		event_filter_init(&f);
		f.source = ss->source;
		f.since_us = login->time_us > INT64_MIN + BEFORE_US ? login->time_us - BEFORE_US : INT64_MIN;
		f.since_us = MAX(f.since_us, t->since_us);
		f.until_us = login->time_us;
		w.acc.f = &ss->before;
		r = store_query_events(st, &f, on_before, &w);
		failures_done(&w.acc, false);
		r = walk_result(r, &w);
		if (r < 0)
			return r;
	}

	/* sudo/su and account changes in the window: once every session's
	 * window is known (collect_windows), one query for overlapping ones. */
	return 0;
}

/* A time span of sessions' windows: one user's (or any user's) on a host. */
struct span {
	const char *host, *user;
	int64_t from_us, to_us;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int c = strcmp(x->host, y->host);
	if (c == 0 && x->user && y->user)
		c = strcmp(x->user, y->user);
	if (c == 0 && x->from_us != y->from_us)
		c = x->from_us < y->from_us ? -1 : 1;
	return c;
}

/* Runs one query per union of overlapping session windows (each starting
 * lead_us before its login), for the session's user (by_user) or anyone, on
 * its host: hundreds of sessions of a busy account cost a few queries rather
 * than hundreds. fn must not add sessions. */
static int collect_windows(struct store *st, struct trace *t, bool by_user, int64_t lead_us, uint64_t kinds,
			   int (*fn)(void *ud, const struct stored_event *e), void *ud, int *err)
{
	_cleanup_free_ struct span *v = NULL;
	size_t n = t->n_sessions, m = 0;
	struct event_filter f;
	int r;

	if (n == 0)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct trace_session *ss = &t->sessions[i];
		int64_t from = ss->start_us > INT64_MIN + lead_us ? ss->start_us - lead_us : INT64_MIN;
		v[i] = (struct span){ ss->host, by_user ? ss->user : NULL, from, ss->window_end_us };
	}
	qsort(v, n, sizeof(*v), cmp_span);
	/* Merge in place: v[m] is the span being grown. */
	for (size_t i = 1; i < n; i++) {
		bool same = strcmp(v[i].host, v[m].host) == 0 && (!by_user || strcmp(v[i].user, v[m].user) == 0);
		if (same && v[i].from_us <= v[m].to_us)
			v[m].to_us = MAX(v[m].to_us, v[i].to_us);
		else
			v[++m] = v[i];
	}
	for (size_t i = 0; i <= m; i++) {
		event_filter_init(&f);
		f.host = v[i].host;
		f.user = v[i].user;
		f.kinds = kinds;
		f.since_us = v[i].from_us;
		f.until_us = v[i].to_us;
		r = store_query_events(st, &f, fn, ud);
		if (*err < 0)
			return *err;
		if (r < 0)
			return r;
	}
	return 0;
}

/* Which sessions a sudo/su line belongs to: same user and host, inside the
 * window; among several, the terminal decides; what stays ambiguous goes
 * to all (and is marked shared). */
static int attribute(struct trace *t, struct trace_event *ev)
{
	struct trace_session *c[64];
	size_t n = 0, n_same = 0, n_unknown = 0;

	for (size_t i = 0; i < t->n_sessions && n < ELEMENTSOF(c); i++) {
		struct trace_session *ss = &t->sessions[i];
		if (strcmp(ss->user, ev->user) || strcmp(ss->host, ev->host))
			continue;
		if (ev->time_us < ss->start_us || ev->time_us > ss->window_end_us)
			continue;
		c[n++] = ss;
	}
	if (n > 1 && ev->tty[0]) {
		for (size_t i = 0; i < n; i++) {
			if (c[i]->tty && strcmp(c[i]->tty, ev->tty) == 0)
				n_same++;
			else if (!c[i]->tty)
				n_unknown++;
		}
		if (n_same || n_unknown) {
			size_t w = 0;
			for (size_t i = 0; i < n; i++) {
				bool keep = n_same ? c[i]->tty && strcmp(c[i]->tty, ev->tty) == 0 : !c[i]->tty;
				if (keep)
					c[w++] = c[i];
			}
			n = w;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (n == 1 && ev->tty[0] && !c[i]->tty) {
			c[i]->tty = strdup(ev->tty);
			if (!c[i]->tty)
				return -ENOMEM;
		}
		if (session_add(c[i], ev) < 0)
			return -ENOMEM;
		if (n > 1)
			c[i]->n_shared++;
	}
	return 0;
}

/* --- privilege -------------------------------------------------------- */

static bool is_gain(const struct trace_event *e);

struct explain {
	struct trace *t;
	const struct trace_session *ss;
	bool found;
};

static bool in_session(const struct trace_session *ss, const struct trace_event *e)
{
	for (size_t i = 0; i < ss->n_events; i++)
		if (ss->events[i] == e)
			return true;
	return false;
}

static int on_explain(void *ud, const struct stored_event *e)
{
	struct explain *x = ud;
	struct trace_event *g = pool_get(x->t, e);
	if (g && is_gain(g) && !in_session(x->ss, g)) {
		x->found = true;
		return WALK_STOP;
	}
	return 0;
}

/* Splits the account changes seen in a session's window: after its own
 * sudo/su gain, or with nobody's gain before them, the session answers
 * for them; after another session's gain, they are listed as others'. */
static int classify_changes(struct store *st, struct trace *t, struct trace_session *ss)
{
	size_t n = ss->n_other_changes, w = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace_event *c = ss->other_changes[i];
		bool own = false;
		for (size_t j = 0; j < ss->n_events && !own; j++)
			own = is_gain(ss->events[j]) && ss->events[j]->time_us <= c->time_us;
		if (!own) {
			struct explain x = { .t = t, .ss = ss };
			struct event_filter f;
			event_filter_init(&f);
			f.host = c->host;
			f.kinds = EVENT_KIND_BIT(EV_SUDO_COMMAND) | EVENT_KIND_BIT(EV_SU_SUCCESS);
			f.since_us = c->time_us - OPEN_WINDOW_US;
			f.until_us = c->time_us;
			int r = store_query_events(st, &f, on_explain, &x);
			if (r < 0 && r != WALK_STOP)
				return r;
			if (x.found) {
				ss->other_changes[w++] = c;
				continue;
			}
			ss->n_unexplained++;
		}
		if (grow(&ss->changes, &ss->cap_changes, ss->n_changes, sizeof(*ss->changes)) < 0)
			return -ENOMEM;
		ss->changes[ss->n_changes++] = c;
	}
	ss->n_other_changes = w;
	return 0;
}

static int cmp_pid_time(const void *a, const void *b)
{
	const struct trace_event *x = *(const struct trace_event *const *)a, *y = *(const struct trace_event *const *)b;
	if (strcmp(x->host, y->host))
		return strcmp(x->host, y->host);
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return cmp_event(a, b);
}

/* "03:12:09 CET" when t is on the same day as ref (in the zone shown),
 * else "2026-03-02 03:12:09 CET". */
static void short_time(int64_t t, int64_t ref, char out[static TIME_DISPLAY_STRLEN])
{
	char a[TIME_DISPLAY_STRLEN], b[TIME_DISPLAY_STRLEN];
	(void)time_format_display(t, a);
	(void)time_format_display(ref, b);
	if (memcmp(a, b, 10) == 0)
		memmove(out, a + 11, strlen(a + 11) + 1);
	else
		memcpy(out, a, strlen(a) + 1);
}

static bool is_gain(const struct trace_event *e)
{
	if (e->kind != EV_SUDO_COMMAND && e->kind != EV_SU_SUCCESS)
		return false;
	/* sudo -u self / su to self gains nothing. */
	return !(e->target[0] && strcmp(e->target, e->user) == 0);
}

static char *gain_text(const struct trace_event *e, int64_t ref)
{
	char tb[TIME_DISPLAY_STRLEN];
	char *s = NULL;
	const char *to = e->target[0] ? e->target : "root";
	short_time(e->time_us, ref, tb);
	if (e->kind == EV_SUDO_COMMAND) {
		if (e->command[0]) {
			if (asprintf(&s, "sudo to %s at %s (COMMAND=%s)", to, tb, e->command) < 0)
				s = NULL;
		} else if (asprintf(&s, "sudo to %s at %s", to, tb) < 0) {
			s = NULL;
		}
	} else if (asprintf(&s, "su to %s succeeded at %s", to, tb) < 0) {
		s = NULL;
	}
	return s;
}

/* Counts sudo/su outcomes per run (host + pid), not per line. A sudo run
 * logs its wrong passwords twice: pam_unix per try, and sudo's own
 * "N incorrect password attempts ; … COMMAND=…" (which, when present,
 * is the count). A su run logs "FAILED SU" and pam_unix(su:auth): one
 * refusal. */
static int privilege_compute(const struct trace_event *const *evs, size_t n, int64_t ref, struct trace_privilege *p)
{
	_cleanup_free_ const struct trace_event **v = NULL;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (is(priv_kinds, evs[i]->kind))
			m++;
	if (m == 0)
		return 0;
	v = malloc(m * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (is(priv_kinds, evs[i]->kind))
			v[m++] = evs[i];
	qsort(v, m, sizeof(*v), cmp_pid_time);

	for (size_t i = 0; i < m;) {
		size_t j = i;
		uint64_t sudo_pam = 0, sudo_summary = 0, su_max = 0;
		bool sudo_ok = false, su_ok = false;
		/* One group: same host and pid (pid -1: each line alone). */
		do {
			const struct trace_event *e = v[j];
			switch (e->kind) {
			case EV_SUDO_FAILURE:
				/* sudo's own line names the command and
				 * counts the tries; pam_unix's does not. */
				if (e->command[0])
					sudo_summary = MAX(sudo_summary, e->count);
				else
					sudo_pam += e->count;
				break;
			case EV_SUDO_REFUSED:
				p->sudo_refused += e->count;
				break;
			case EV_SU_FAILURE:
				su_max = MAX(su_max, e->count);
				break;
			case EV_SUDO_COMMAND:
				if (is_gain(e))
					sudo_ok = true;
				break;
			case EV_SU_SUCCESS:
				if (is_gain(e))
					su_ok = true;
				break;
			default:
				break;
			}
			if (is_gain(e) && (!p->how || e->time_us < p->how->time_us))
				p->how = e;
			j++;
		} while (j < m && v[i]->pid >= 0 && v[j]->pid == v[i]->pid && strcmp(v[j]->host, v[i]->host) == 0);
		p->sudo_failed += sudo_summary ? sudo_summary : sudo_pam;
		p->su_failed += su_max;
		p->sudo_ok += sudo_ok;
		p->su_ok += su_ok;
		i = j;
	}
	p->gained = p->how != NULL;
	if (p->how) {
		p->how_text = gain_text(p->how, ref);
		if (!p->how_text)
			return -ENOMEM;
	}
	return 0;
}

/* --- words ---------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->n + (size_t)n + 1 > b->cap) {
		size_t c = MAX(b->cap * 2, b->n + (size_t)n + 64);
		char *q = realloc(b->p, c);
		if (!q) {
			free(s);
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = c;
	}
	memcpy(b->p + b->n, s, (size_t)n + 1);
	b->n += (size_t)n;
	free(s);
}

static char *buf_take(struct buf *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		return b->oom ? NULL : strdup("");
	}
	return b->p;
}

const char *trace_plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void trace_duration(int64_t us, char out[static 32])
{
	int64_t s = us / US;
	if (s < 60)
		snprintf(out, 32, "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(out, 32, "%" PRId64 " min", s / 60);
	else if (s < 86400)
		snprintf(out, 32, "%" PRId64 " h %02" PRId64 " min", s / 3600, s / 60 % 60);
	else
		snprintf(out, 32, "%" PRId64 " d %" PRId64 " h", s / 86400, s / 3600 % 24);
}

/* "sudo refused ×3, su refused ×1" (empty when no attempt failed). */
static void attempts_words(struct buf *b, const struct trace_privilege *p)
{
	const char *sep = "";
	if (p->sudo_refused) {
		bprintf(b, "%ssudo refused \u00d7%" PRIu64, sep, p->sudo_refused);
		sep = ", ";
	}
	if (p->sudo_failed) {
		bprintf(b, "%ssudo wrong password \u00d7%" PRIu64, sep, p->sudo_failed);
		sep = ", ";
	}
	if (p->su_failed)
		bprintf(b, "%ssu refused \u00d7%" PRIu64, sep, p->su_failed);
}

void trace_change_words(FILE *f, const struct trace_event *e, void (*put_text)(FILE *, const char *))
{
	const char *who = e->user, *grp = e->target[0] ? e->target : e->user;
	struct {
		const char *a, *b, *c;
		const char *x, *y;
	} w = { 0 };
	if (e->kind == EV_KEY_CHANGE) {
		w.a = "authorized keys of ";
		w.x = who;
		w.b = " changed";
		if (e->detail[0]) {
			w.c = ": ";
			w.y = e->detail;
		}
	} else {
		switch (e->acct) {
		case ACCT_USER_ADD:
			w.a = "user ", w.x = who, w.b = " added";
			break;
		case ACCT_USER_DEL:
			w.a = "user ", w.x = who, w.b = " deleted";
			break;
		case ACCT_USER_MOD:
			w.a = "user ", w.x = who, w.b = " modified";
			break;
		case ACCT_GROUP_ADD:
			w.a = "group ", w.x = grp, w.b = " added";
			break;
		case ACCT_GROUP_DEL:
			w.a = "group ", w.x = grp, w.b = " deleted";
			break;
		case ACCT_GROUP_MEMBER_ADD:
			w.a = "user ", w.x = who, w.b = " added to group ", w.y = e->target;
			break;
		case ACCT_GROUP_MEMBER_DEL:
			w.a = "user ", w.x = who, w.b = " removed from group ", w.y = e->target;
			break;
		case ACCT_PASSWORD_CHANGE:
			w.a = "password of ", w.x = who, w.b = " changed";
			break;
		default:
			w.a = "account ", w.x = who, w.b = " changed";
			break;
		}
	}
	fputs(w.a, f);
	put_text(f, w.x ? w.x : "");
	fputs(w.b, f);
	if (w.c)
		fputs(w.c, f);
	if (w.y)
		put_text(f, w.y);
}

static void put_raw(FILE *f, const char *s)
{
	fputs(s, f);
}

static void change_list(struct buf *b, const struct trace_session *ss)
{
	for (size_t i = 0; i < ss->n_changes; i++) {
		char *s = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&s, &n);
		if (!m) {
			b->oom = true;
			return;
		}
		trace_change_words(m, ss->changes[i], put_raw);
		fclose(m);
		bprintf(b, "%s%s", i ? ", " : "", s ? s : "");
		free(s);
		if (i == 4 && ss->n_changes > 5) {
			bprintf(b, " and %zu more", ss->n_changes - 5);
			break;
		}
	}
}

/* The verdict of a session; brief (for a list of sessions, which shows the
 * duration in its own column): without the duration and the shared lines,
 * with the failures from its source before it. */
static char *session_verdict(const struct trace_session *ss, bool brief)
{
	struct buf b = { 0 };
	const struct trace_privilege *p = &ss->priv;
	char d[32], tb[TIME_DISPLAY_STRLEN];

	if (p->gained) {
		bprintf(&b, "PRIVILEGE GAINED: %s", p->how_text);
		uint64_t more = p->sudo_ok + p->su_ok - 1;
		if (more)
			bprintf(&b, " (+%" PRIu64 " more sudo/su %s)", more, trace_plural(more, "run", "runs"));
		if (p->sudo_refused || p->sudo_failed || p->su_failed) {
			bprintf(&b, "; also ");
			attempts_words(&b, p);
		}
	} else {
		bprintf(&b, "no privilege gained");
		if (p->sudo_refused || p->sudo_failed || p->su_failed) {
			bprintf(&b, ": ");
			attempts_words(&b, p);
		}
	}
	if (ss->n_changes) {
		bprintf(&b, "; account changes during the session%s: ",
			ss->n_unexplained ? " with no sudo/su seen before them" : "");
		change_list(&b, ss);
	}
	if (!brief) {
		if (ss->closed) {
			trace_duration(ss->end_us - ss->start_us, d);
			bprintf(&b, "; session closed after %s", d);
		} else if (ss->logind_removed) {
			short_time(ss->logind_removed->time_us, ss->start_us, tb);
			bprintf(&b, "; session still open (no logout seen; logind removed session %s at %s)",
				ss->logind_removed->detail, tb);
		} else {
			bprintf(&b, "; session still open (no logout seen)");
		}
	}
	/* logind removes a session when its last process exits: long after
	 * the logout, something the user started kept running. */
	if (ss->closed && ss->logind_removed && ss->logind_removed->time_us - ss->end_us > LINGER_US) {
		trace_duration(ss->logind_removed->time_us - ss->end_us, d);
		bprintf(&b, "; its processes ran on for %s after the logout (logind session %s)", d,
			ss->logind_removed->detail);
	}
	if (!brief && ss->n_shared)
		bprintf(&b, "; %u sudo/su %s in another session of this user too (shown in both)", ss->n_shared,
			trace_plural(ss->n_shared, "line falls", "lines fall"));
	if (brief && ss->before.tries)
		bprintf(&b, "; after %" PRIu64 " failed %s from this source", ss->before.tries,
			trace_plural(ss->before.tries, "attempt", "attempts"));
	return buf_take(&b);
}

void trace_failure_words(FILE *f, const struct trace_failures *fs)
{
	bool by_source = fs->by_source;
	char a[TIME_DISPLAY_STRLEN], b[TIME_DISPLAY_STRLEN];
	const char *sep = "";
	if (fs->passwords) {
		fprintf(f, "%" PRIu64 " failed %s", fs->passwords, trace_plural(fs->passwords, "password", "passwords"));
		sep = ", ";
	}
	if (fs->other_methods) {
		fprintf(f, "%s%" PRIu64 " failed key/other %s", sep, fs->other_methods,
			trace_plural(fs->other_methods, "login", "logins"));
		sep = ", ";
	}
	if (fs->invalid_users) {
		fprintf(f, "%s%" PRIu64 " invalid-user %s", sep, fs->invalid_users,
			trace_plural(fs->invalid_users, "probe", "probes"));
		sep = ", ";
	}
	if (fs->refused) {
		fprintf(f, "%s%" PRIu64 " refused (not allowed, root, too many tries)", sep, fs->refused);
		sep = ", ";
	}
	if (fs->events) {
		fprintf(f, " %s %s%" PRIu64 " %s", by_source ? "from" : "for", fs->users_capped ? "at least " : "",
			fs->users,
			by_source ? trace_plural(fs->users, "source", "sources") : trace_plural(fs->users, "user", "users"));
	}
	if (fs->noise) {
		fprintf(f, "%s%" PRIu64 " pre-auth %s (closed, probes, protocol errors)", sep, fs->noise,
			trace_plural(fs->noise, "line", "lines"));
	}
	time_format_display(fs->first_us, a);
	time_format_display(fs->last_us, b);
	fprintf(f, " between %s and %s", a, b);
}

static char *failure_sentence(const struct trace_failures *fs)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	if (!m)
		return NULL;
	trace_failure_words(m, fs);
	fclose(m);
	return s;
}

static char *overall_verdict(struct trace *t)
{
	struct buf b = { 0 };
	struct trace_privilege all = { 0 };
	const struct trace_session *first_gain = NULL;
	size_t n_changes = 0;

	for (size_t i = 0; i < t->n_sessions; i++) {
		const struct trace_session *ss = &t->sessions[i];
		all.sudo_refused += ss->priv.sudo_refused;
		all.sudo_failed += ss->priv.sudo_failed;
		all.su_failed += ss->priv.su_failed;
		if (ss->priv.gained && !first_gain)
			first_gain = ss;
		n_changes += ss->n_changes ? 1 : 0;
	}
	if (t->n_sessions == 0) {
		if (t->failures.events) {
			_cleanup_free_ char *s = failure_sentence(&t->failures);
			bprintf(&b, "no successful login: %s", s ? s : "");
		} else {
			bprintf(&b, "no login session in %s", t->by == TRACE_RECENT ? "that time" : "the store");
		}
	} else if (first_gain) {
		bprintf(&b, "PRIVILEGE GAINED in %zu of %zu %s: %s (session %s)", t->n_gained, t->n_sessions,
			trace_plural(t->n_sessions, "session", "sessions"), first_gain->priv.how_text, first_gain->id);
	} else {
		bprintf(&b, "no privilege gained in %zu %s", t->n_sessions,
			trace_plural(t->n_sessions, "session", "sessions"));
		if (all.sudo_refused || all.sudo_failed || all.su_failed) {
			bprintf(&b, ": ");
			attempts_words(&b, &all);
		}
	}
	if ((t->by == TRACE_SOURCE || t->by == TRACE_RECENT) && t->n_logged_in_as) {
		bprintf(&b, "; logged in as ");
		for (size_t i = 0; i < t->n_logged_in_as && i < TRACE_LOGGED_IN_AS_MAX; i++)
			bprintf(&b, "%s%s", i ? ", " : "", t->logged_in_as[i]);
		if (t->n_logged_in_as > TRACE_LOGGED_IN_AS_MAX)
			bprintf(&b, " and %zu more", t->n_logged_in_as - TRACE_LOGGED_IN_AS_MAX);
	}
	if (t->by == TRACE_SOURCE && t->n_sessions && t->failures.events) {
		_cleanup_free_ char *s = failure_sentence(&t->failures);
		bprintf(&b, "; from this source: %s", s ? s : "");
	}
	if (t->by == TRACE_RECENT && t->n_sessions && t->failures.events) {
		_cleanup_free_ char *s = failure_sentence(&t->failures);
		bprintf(&b, "; failed logins: %s", s ? s : "");
	}
	if (n_changes)
		bprintf(&b, "; account changes during %zu %s", n_changes, trace_plural(n_changes, "session", "sessions"));
	if (t->n_open)
		bprintf(&b, "; %zu %s still open (no logout seen)", t->n_open,
			trace_plural(t->n_open, "session", "sessions"));
	if (t->outside_priv.gained)
		bprintf(&b, "; PRIVILEGE GAINED outside any traced login: %s", t->outside_priv.how_text);
	else if (t->outside_priv.sudo_refused || t->outside_priv.sudo_failed || t->outside_priv.su_failed) {
		bprintf(&b, "; outside any traced login: ");
		attempts_words(&b, &t->outside_priv);
	}
	if (t->sessions_dropped)
		bprintf(&b, "; %" PRIu64 " more sessions not traced (limit %d)", t->sessions_dropped,
			TRACE_SESSIONS_MAX);
	if (t->sessions_earlier)
		bprintf(&b, "; %" PRIu64 " earlier %s in that time not traced here", t->sessions_earlier,
			trace_plural(t->sessions_earlier, "session", "sessions"));
	return buf_take(&b);
}

static void session_clear(struct trace_session *ss)
{
	free(ss->id);
	free(ss->events);
	free(ss->changes);
	free(ss->other_changes);
	free(ss->priv.how_text);
	free(ss->verdict);
	free(ss->brief);
	free(ss->tty);
	*ss = (struct trace_session){ 0 };
}

static int add_session(struct store *st, struct trace *t, size_t *cap, struct trace_event *login, bool hidden)
{
	if (grow(&t->sessions, cap, t->n_sessions, sizeof(*t->sessions)) < 0)
		return -ENOMEM;
	struct trace_session *ss = &t->sessions[t->n_sessions++];
	*ss = (struct trace_session){ .hidden = hidden };
	return build_session(st, t, ss, login);
}

struct sibling_walk {
	struct trace *t;
	struct trace_event **v;
	size_t n, cap;
	int err;
};

static int on_sibling(void *ud, const struct stored_event *e)
{
	struct sibling_walk *w = ud;
	if (w->t->n_sessions + w->n >= TRACE_SESSIONS_MAX)
		return WALK_STOP;
	struct trace_event *x = pool_get(w->t, e);
	/* Already a session (marked when built), or found twice. */
	if (!x || (x->mark & MARK_LOGIN))
		return 0;
	x->mark |= MARK_LOGIN;
	if (grow(&w->v, &w->cap, w->n, sizeof(*w->v)) < 0)
		return w->err = -ENOMEM;
	w->v[w->n++] = x;
	return 0;
}

/* --- logind removals --------------------------------------------------- */

/* A session waiting for logind's "Removed session N." */
struct want {
	const char *host, *id;
	int64_t from_us, to_us;
	struct trace_session *ss;
};

static int cmp_want(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	int c = strcmp(x->host, y->host);
	if (c == 0)
		c = strcmp(x->id, y->id);
	if (c == 0 && x->from_us != y->from_us)
		c = x->from_us < y->from_us ? -1 : 1;
	return c;
}

struct removed_walk {
	struct trace *t;
	struct want *v; /* one host's wants, sorted by id, then time */
	size_t n;
	int err;
};

/* A removal belongs to the latest "New session" with its id before it
 * (ids are unique while logind runs: a second New with the same id means
 * a reboot in between), when within that session's reach. */
static int on_logind_removed(void *ud, const struct stored_event *e)
{
	struct removed_walk *w = ud;
	size_t lo = 0, hi = w->n;
	struct want *best = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(w->v[mid].id, e->detail) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < w->n && strcmp(w->v[i].id, e->detail) == 0 && w->v[i].from_us <= e->time_us; i++)
		best = &w->v[i];
	if (!best || best->ss->logind_removed || e->time_us > best->to_us)
		return 0;
	struct trace_event *x = pool_get(w->t, e);
	if (!x)
		return 0;
	x->mark |= MARK_LOGIND;
	best->ss->logind_removed = x;
	if (session_add(best->ss, x) < 0)
		return w->err = -ENOMEM;
	return 0;
}

/* Gives each session with a logind id the removal of that id: one query
 * per host ("Removed session N." names no user, so it cannot use the
 * user's index; one walk is cheaper than one per session). */
static int attach_logind_removed(struct store *st, struct trace *t)
{
	_cleanup_free_ struct want *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < t->n_sessions; i++)
		n += t->sessions[i].logind_new != NULL;
	if (n == 0)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct trace_session *ss = &t->sessions[i];
		if (!ss->logind_new)
			continue;
		int64_t base = ss->closed ? ss->end_us : ss->start_us;
		v[n++] = (struct want){
			.host = ss->host,
			.id = ss->logind_new->detail,
			.from_us = ss->logind_new->time_us,
			.to_us = MIN(base > INT64_MAX - OPEN_WINDOW_US ? INT64_MAX : base + OPEN_WINDOW_US, t->until_us),
			.ss = ss,
		};
	}
	qsort(v, n, sizeof(*v), cmp_want);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int64_t from = INT64_MAX, to = INT64_MIN;
		for (; j < n && strcmp(v[j].host, v[i].host) == 0; j++) {
			from = MIN(from, v[j].from_us);
			to = MAX(to, v[j].to_us);
		}
		struct removed_walk w = { .t = t, .v = v + i, .n = j - i };
		struct event_filter f;
		event_filter_init(&f);
		f.host = v[i].host;
		f.kinds = EVENT_KIND_BIT(EV_LOGIND_REMOVED);
		f.since_us = from;
		f.until_us = to;
		int r = store_query_events(st, &f, on_logind_removed, &w);
		if (w.err < 0)
			return w.err;
		if (r < 0)
			return r;
		i = j;
	}
	return 0;
}

/* --- the subject ------------------------------------------------------- */

struct subject {
	struct trace *t;
	struct fail_acc acc;
	struct trace_event **logins;
	size_t n_logins, cap_logins;
	struct trace_event **others;
	size_t n_others, cap_others;
	int err;
};

static bool is_sshd_line(const struct stored_event *e)
{
	return strncmp(e->program, "sshd", 4) == 0 || strcmp(e->detail, "sshd") == 0;
}

/* Another service's PAM session line (cron, sudo, systemd-user, login …). */
static bool is_other_pam_session(const struct stored_event *e)
{
	return (e->kind == EV_SESSION_OPEN || e->kind == EV_SESSION_CLOSE) && !is_sshd_line(e);
}

/* Counts e in its (service, user, by) group. */
static int pam_add(struct trace *t, const struct stored_event *e)
{
	const char *service = e->detail[0] ? e->detail : e->program[0] ? e->program : "?";
	/* sudo's "session opened for user root by carol": root's session. */
	const char *user = e->target[0] ? e->target : e->user;
	const char *by = e->target[0] ? e->user : "";
	struct trace_pam_sessions *g = NULL;

	for (size_t i = 0; i < t->n_pam && !g; i++)
		if (strcmp(t->pam[i].service, service) == 0 && strcmp(t->pam[i].user, user) == 0 &&
		    strcmp(t->pam[i].by, by) == 0)
			g = &t->pam[i];
	if (!g) {
		if (t->n_pam >= TRACE_PAM_GROUPS_MAX) {
			t->pam_other++;
			return 0;
		}
		if (!t->pam) {
			t->pam = calloc(TRACE_PAM_GROUPS_MAX, sizeof(*t->pam));
			if (!t->pam)
				return -ENOMEM;
		}
		g = &t->pam[t->n_pam];
		g->service = strdup(service);
		g->user = strdup(user);
		g->by = strdup(by);
		t->n_pam++; /* freed with the trace, even when incomplete */
		if (!g->service || !g->user || !g->by)
			return -ENOMEM;
		g->first_us = e->time_us;
	}
	if (e->kind == EV_SESSION_OPEN)
		g->opened++;
	else
		g->closed++;
	g->first_us = MIN(g->first_us, e->time_us);
	g->last_us = MAX(g->last_us, e->time_us);
	return 0;
}

static int on_subject(void *ud, const struct stored_event *e)
{
	struct subject *s = ud;
	struct trace *t = s->t;

	if (t->n_events == 0)
		t->first_us = e->time_us;
	t->n_events++;
	t->last_us = e->time_us;
	if (is(fail_kinds | noise_kinds, e->kind)) {
		failures_add(t, &s->acc, e);
		return 0;
	}
	if (t->by == TRACE_RECENT) {
		/* The first look: logins only, the newest TRACE_RECENT_MAX. */
		if (e->kind != EV_AUTH_SUCCESS)
			return 0;
		struct trace_event *x = pool_get(t, e);
		if (!x)
			return 0;
		if (s->n_logins == TRACE_RECENT_MAX) {
			memmove(s->logins, s->logins + 1, (s->n_logins - 1) * sizeof(*s->logins));
			s->n_logins--;
			t->sessions_earlier++;
		}
		if (grow(&s->logins, &s->cap_logins, s->n_logins, sizeof(*s->logins)) < 0)
			return s->err = -ENOMEM;
		s->logins[s->n_logins++] = x;
		return 0;
	}
	if (!t->verbose && is_other_pam_session(e))
		return pam_add(t, e) < 0 ? (s->err = -ENOMEM) : 0;
	struct trace_event *x = pool_get(t, e);
	if (!x)
		return 0;
	if (e->kind == EV_AUTH_SUCCESS) {
		if (s->n_logins >= TRACE_SESSIONS_MAX) {
			t->sessions_dropped++;
			return 0;
		}
		if (grow(&s->logins, &s->cap_logins, s->n_logins, sizeof(*s->logins)) < 0)
			return s->err = -ENOMEM;
		s->logins[s->n_logins++] = x;
		return 0;
	}
	if (grow(&s->others, &s->cap_others, s->n_others, sizeof(*s->others)) < 0)
		return s->err = -ENOMEM;
	s->others[s->n_others++] = x;
	return 0;
}

/* The accounts the shown sessions logged in as, in login order. */
static void logged_in_as(struct trace *t)
{
	struct strset seen = { 0 };
	for (size_t i = 0; i < t->n_sessions; i++) {
		const char *u = t->sessions[i].user;
		size_t before = seen.n;
		strset_add(&seen, u);
		if (seen.n == before)
			continue;
		if (t->n_logged_in_as < TRACE_LOGGED_IN_AS_MAX)
			t->logged_in_as[t->n_logged_in_as] = u;
		t->n_logged_in_as++;
	}
	strset_clear(&seen);
}

int trace_session_id_parse(const char *id, char **ret_host, int32_t *ret_pid, int64_t *ret_start_s)
{
	struct sv v = sv_cstr(id);
	long c2 = sv_rchr(v, ':');
	unsigned long long pid, start;
	if (c2 <= 0)
		return -EINVAL;
	struct sv head = sv_make(v.p, (size_t)c2);
	long c1 = sv_rchr(head, ':');
	if (c1 <= 0)
		return -EINVAL;
	if (sv_to_u64(sv_make(v.p + c1 + 1, (size_t)(c2 - c1 - 1)), INT32_MAX, &pid) < 0 ||
	    sv_to_u64(sv_skip(v, (size_t)c2 + 1), INT64_MAX / US - 1, &start) < 0)
		return -EINVAL;
	char *h = sv_dup(sv_make(v.p, (size_t)c1));
	if (!h)
		return -ENOMEM;
	*ret_host = h;
	*ret_pid = (int32_t)pid;
	*ret_start_s = (int64_t)start;
	return 0;
}

static int fail(char **ret_err, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_err, int r, const char *fmt, ...)
{
	va_list ap;
	if (ret_err) {
		va_start(ap, fmt);
		if (vasprintf(ret_err, fmt, ap) < 0)
			*ret_err = NULL;
		va_end(ap);
	}
	return r;
}

/* Why a walk failed, in words. */
static const char *why(struct store *st, int r)
{
	const char *m = store_last_error(st);
	if (r == -ENOMEM)
		return "out of memory";
	return m[0] ? m : strerror(-r);
}

int trace_build(struct store *st, const struct trace_query *q, struct trace **ret, char **ret_err)
{
	_cleanup_(trace_freep) struct trace *t = NULL;
	struct subject sub = { 0 };
	struct cand_list cands = { 0 };
	struct event_filter f;
	_cleanup_free_ char *host = NULL;
	size_t cap_sessions = 0, n_shown = 0;
	int r;

	if (ret_err)
		*ret_err = NULL;
	if (q->by != TRACE_RECENT && (!q->value || !*q->value))
		return fail(ret_err, -EINVAL, "nothing to trace");
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pool = pool_new();
	t->subject = strdup(q->by == TRACE_RECENT || !q->value ? "" : q->value);
	if (!t->pool || !t->subject)
		return -ENOMEM;
	t->by = q->by;
	t->since_us = q->since_us;
	t->until_us = q->until_us;
	t->verbose = q->verbose;
	sub.t = t;
	sub.acc.f = &t->failures;
	cands.t = t;

	event_filter_init(&f);
	switch (q->by) {
	case TRACE_USER:
		f.user = q->value;
		break;
	case TRACE_SOURCE:
		f.source = q->value;
		break;
	case TRACE_SESSION: {
		int64_t start;
		r = trace_session_id_parse(q->value, &host, &f.pid, &start);
		if (r < 0)
			return fail(ret_err, r, "'%s' is not a session id (HOST:PID:START, as moat trace prints them)",
				    q->value);
		f.host = host;
		f.kinds = EVENT_KIND_BIT(EV_AUTH_SUCCESS);
		f.since_us = start * US;
		f.until_us = start * US + US - 1;
		break;
	}
	case TRACE_RECENT:
		if (q->since_us == INT64_MIN && q->until_us == INT64_MAX) {
			/* The last day of store time: logs scanned from another
			 * host or year keep their own clock. */
			int64_t first, last;
			r = store_event_time_range(st, &first, &last);
			if (r < 0)
				return fail(ret_err, r, "cannot read the store: %s", why(st, r));
			if (r == 0) {
				*ret = TAKE_PTR(t); /* an empty store */
				return 0;
			}
			t->until_us = last;
			t->since_us = last > INT64_MIN + TRACE_RECENT_US ? last - TRACE_RECENT_US : INT64_MIN;
			t->recent_default = true;
		}
		break;
	}
	f.since_us = MAX(f.since_us, t->since_us);
	f.until_us = MIN(f.until_us, t->until_us);
	r = store_query_events(st, &f, on_subject, &sub);
	if (r >= 0 && sub.err < 0)
		r = sub.err;
	failures_done(&sub.acc, q->by == TRACE_USER || q->by == TRACE_RECENT);
	if (r < 0) {
		r = fail(ret_err, r, "cannot read the store: %s", why(st, r));
		goto out;
	}

	/* Sessions, in login order. */
	for (size_t i = 0; i < sub.n_logins; i++) {
		r = add_session(st, t, &cap_sessions, sub.logins[i], false);
		if (r < 0) {
			r = fail(ret_err, r, "cannot read the store: %s", why(st, r));
			goto out;
		}
	}
	n_shown = t->n_sessions;

	/* The same users' other sessions on those hosts compete for the same
	 * sudo/su lines (tracing one session or one source must not hand it a
	 * sibling's su): build them too, hidden. A session open a day before
	 * one of ours still holds sudo/su lines in our window. */
	{
		struct sibling_walk sw = { .t = t };
		r = collect_windows(st, t, true, OPEN_WINDOW_US, EVENT_KIND_BIT(EV_AUTH_SUCCESS), on_sibling, &sw,
				    &sw.err);
		if (r == WALK_STOP) /* the cap: what was found is kept */
			r = 0;
		for (size_t j = 0; r >= 0 && j < sw.n; j++)
			r = add_session(st, t, &cap_sessions, sw.v[j], true);
		free(sw.v);
		if (r < 0) {
			r = fail(ret_err, r, "cannot read the store: %s", why(st, r));
			goto out;
		}
	}
	r = attach_logind_removed(st, t);
	if (r >= 0) {
		/* sudo and su by each session's user on its host in its window:
		 * candidates, attributed below. */
		r = collect_windows(st, t, true, 0, priv_kinds, on_cand, &cands, &cands.err);
	}
	if (r >= 0) {
		/* Account and key changes on the host in each window. */
		struct change_walk cw = { .t = t };
		r = collect_windows(st, t, false, 0, change_kinds, on_change, &cw, &cw.err);
	}
	if (r < 0) {
		r = fail(ret_err, r, "cannot read the store: %s", why(st, r));
		goto out;
	}

	/* sudo/su lines to sessions, in time order (terminals learnt early
	 * decide later ambiguities). */
	if (cands.n)
		qsort(cands.v, cands.n, sizeof(*cands.v), cmp_event);
	for (size_t i = 0; i < cands.n; i++) {
		/* Overlapping windows fetch the same line more than once. */
		if (i > 0 && cands.v[i] == cands.v[i - 1])
			continue;
		r = attribute(t, cands.v[i]);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct trace_session *ss = &t->sessions[i];
		session_sort(ss);
		for (size_t j = 0; j < ss->n_events; j++)
			((struct trace_event *)ss->events[j])->n_sessions++;
	}
	for (size_t i = 0; i < t->n_sessions; i++) {
		struct trace_session *ss = &t->sessions[i];
		r = privilege_compute(ss->events, ss->n_events, ss->start_us, &ss->priv);
		if (r >= 0)
			r = classify_changes(st, t, ss);
		if (r < 0)
			goto out;
		ss->verdict = session_verdict(ss, false);
		ss->brief = session_verdict(ss, true);
		if (!ss->verdict || !ss->brief) {
			r = -ENOMEM;
			goto out;
		}
		if (ss->hidden)
			continue;
		t->n_gained += ss->priv.gained;
		t->n_open += !ss->closed;
		t->n_with_changes += ss->n_changes > 0;
	}
	/* Hidden siblings have done their part. */
	for (size_t i = n_shown; i < t->n_sessions; i++)
		session_clear(&t->sessions[i]);
	t->n_sessions = n_shown;
	logged_in_as(t);

	/* The subject's lines that no session holds. */
	for (size_t i = 0; i < sub.n_others; i++)
		if (sub.others[i]->n_sessions == 0)
			sub.others[t->n_outside++] = sub.others[i];
	t->outside = (const struct trace_event **)sub.others;
	sub.others = NULL;
	r = privilege_compute(t->outside, t->n_outside, t->n_outside ? t->outside[0]->time_us : 0, &t->outside_priv);
	if (r < 0)
		goto out;
	t->verdict = overall_verdict(t);
	if (!t->verdict) {
		r = -ENOMEM;
		goto out;
	}
	*ret = TAKE_PTR(t);
	r = 0;
out:
	free(sub.logins);
	free(sub.others);
	free(cands.v);
	return r;
}

bool trace_found(const struct trace *t)
{
	return t->n_events > 0 || t->n_sessions > 0;
}

struct trace *trace_free(struct trace *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_sessions; i++)
		session_clear(&t->sessions[i]);
	free(t->sessions);
	free(t->outside);
	free(t->outside_priv.how_text);
	for (size_t i = 0; i < t->n_pam; i++) {
		free(t->pam[i].service);
		free(t->pam[i].user);
		free(t->pam[i].by);
	}
	free(t->pam);
	free(t->subject);
	free(t->verdict);
	pool_free(t->pool);
	free(t);
	return NULL;
}
