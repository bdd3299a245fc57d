/* store events: the per-line insert (hot path) and the timeline queries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/list.h"
#include "core/memeq.h"
#include "store/pack.h"
#include "store/ahead.h"
#include "store/store-internal.h"

/* The id of path in files, inserting it when new. */
int store_file_id(struct store *s, const char *path, int64_t *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	if (s->last_file && (path == s->last_file || strcmp(path, s->last_file) == 0)) {
		*ret = s->last_file_id;
		return 0;
	}
	r = store_stmt(s, STMT_FILE_FIND, &st);
	if (r < 0)
		return r;
	(void)sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		(void)sqlite3_reset(st);
	} else {
		(void)sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc, "cannot look up an origin file");
		r = store_stmt(s, STMT_FILE_INSERT, &st);
		if (r < 0)
			return r;
		(void)sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		(void)sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc, "cannot record an origin file");
		*ret = sqlite3_last_insert_rowid(s->db);
	}
	char *copy = strdup(path);
	if (copy) {
		free(s->last_file);
		s->last_file = copy;
		s->last_file_id = *ret;
	}
	return 0;
}

/* --- names: host, program, user and source text, stored once ---------- */

struct name_entry {
	struct hmap_node node;
	int64_t id;
	uint32_t len;
	char key[]; /* len bytes */
};

static bool name_eq(const struct hmap_node *n, const void *k)
{
	const struct name_entry *e = container_of(n, struct name_entry, node);
	const struct sv *v = k;
	return e->len == v->n && mem_eq(e->key, v->p, v->n);
}

void store_names_clear(struct store *s)
{
	memset(s->memo, 0, sizeof(s->memo));
	if (!s->names_init)
		return;
	hmap_clear(&s->names);
	arena_done(&s->names_mem);
	s->names_used = 0;
}

void store_names_free(struct store *s)
{
	store_names_clear(s);
	if (s->names_init)
		hmap_done(&s->names);
	s->names_init = false;
}

/* The names table in SQL: insert, else find (a name the cache missed is
 * most often new). */
static int name_id_sql(struct store *s, struct sv v, int64_t *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = store_stmt(s, STMT_NAME_INSERT, &st);
	if (r < 0)
		return r;
	(void)store_bind_sv(st, 1, v);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot record a name");
	if (sqlite3_changes(s->db) == 1) {
		*ret = sqlite3_last_insert_rowid(s->db);
		return 0;
	}
	r = store_stmt(s, STMT_NAME_FIND, &st);
	if (r < 0)
		return r;
	(void)store_bind_sv(st, 1, v);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	(void)sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return store_fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "cannot look up a name");
}

int store_name_id(struct store *s, struct sv v, int64_t *ret)
{
	struct name_entry *e;
	uint64_t h;
	int r;

	if (v.n == 0 || !v.p) {
		*ret = 0;
		return 0;
	}
	if (v.n > STORE_NAME_CACHE_KEY_MAX)
		return name_id_sql(s, v, ret);
	if (!s->names_init) {
		/* seeded per process: user names are attacker text */
		if (hmap_init(&s->names, hash_random_seed(s)) < 0)
			return name_id_sql(s, v, ret);
		arena_init(&s->names_mem, 4u << 20);
		s->names_init = true;
	}
	h = hmap_hash(&s->names, v.p, v.n);
	struct hmap_node *n = hmap_find(&s->names, h, name_eq, &v);
	if (n) {
		*ret = container_of(n, struct name_entry, node)->id;
		return 0;
	}
	r = name_id_sql(s, v, ret);
	if (r < 0)
		return r;
	if (s->names_used >= STORE_NAME_CACHE_MAX) {
		/* Full (say, a dictionary attack's user names): start over
		 * rather than grow; the names table still has them all. */
		store_names_clear(s);
		s->names_cache_resets++;
	}
	e = arena_alloc(&s->names_mem, sizeof(*e) + v.n);
	if (!e || hmap_add(&s->names, &e->node, h) < 0)
		return 0; /* the id is right; it just is not cached */
	e->id = *ret;
	e->len = (uint32_t)v.n;
	memcpy(e->key, v.p, v.n);
	s->names_used++;
	return 0;
}

static bool memo_has(const struct name_memo *m, struct sv v)
{
	return v.n && v.n == m->n && mem_eq(v.p, m->text, v.n);
}

int store_name_id_memo(struct store *s, struct name_memo *m, struct sv v, int64_t *ret)
{
	int r;
	if (memo_has(m, v)) {
		*ret = m->id;
		return 0;
	}
	r = store_name_id(s, v, ret);
	if (r >= 0 && v.n && v.n <= sizeof(m->text)) {
		memcpy(m->text, v.p, v.n);
		m->n = v.n;
		m->id = *ret;
	}
	return r;
}

int store_name_find(struct store *s, const char *name, int64_t *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	r = store_stmt(s, STMT_NAME_FIND, &st);
	if (r < 0)
		return r;
	(void)sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	(void)sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot look up a name");
	return 0;
}

/* events.source_id of an IPv4 address: the address itself, as a negative
 * number (names ids are positive), so that the most common source never
 * needs a names lookup, not even the first time it is seen. */
static int64_t v4_key(const struct addr *a)
{
	uint32_t v = (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 | (uint32_t)a->bytes[2] << 8 |
		     a->bytes[3];
	return -1 - (int64_t)v;
}

static void v4_from_key(int64_t key, struct addr *ret)
{
	uint32_t v = (uint32_t)(-1 - key);
	*ret = (struct addr){ .family = ADDR_V4,
			      .bytes = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v } };
}

/* The kinds, methods and account operations are written as these numbers
 * (pack.h): they are on disk, so the enums may only grow at their ends. */
_Static_assert(EV_AUTH_FAILURE == 1 && EV_INVALID_USER == 2 && EV_AUTH_SUCCESS == 3 && EV_USER_NOT_ALLOWED == 4 &&
		       EV_ROOT_REFUSED == 5 && EV_MAX_AUTH == 6 && EV_PREAUTH_CLOSE == 7 && EV_DISCONNECT == 8 &&
		       EV_CONNECT == 9 && EV_PROTOCOL_ERROR == 10 && EV_CONN_REFUSED == 11 && EV_MAXSTARTUPS == 12 &&
		       EV_SESSION_OPEN == 13 && EV_SESSION_CLOSE == 14 && EV_LOGIND_NEW == 15 &&
		       EV_LOGIND_REMOVED == 16 && EV_SUDO_COMMAND == 17 && EV_SUDO_FAILURE == 18 &&
		       EV_SUDO_REFUSED == 19 && EV_SU_SUCCESS == 20 && EV_SU_FAILURE == 21 && EV_ACCOUNT_CHANGE == 22 &&
		       EV_KEY_CHANGE == 23,
	       "event kinds are stored by number: append new ones");
_Static_assert(AM_PASSWORD == 1 && AM_PAM == 7 && AM_MAX <= 8, "auth methods are stored by number, in 3 bits");
_Static_assert(EV_KIND_MAX <= 32, "event kinds are stored in 5 bits");
_Static_assert(ACCT_USER_ADD == 1 && ACCT_GROUP_MOD == 9, "account operations are stored by number: append new ones");

/* Failed logins and pre-authentication noise: what an attacker's volume is
 * made of, kept packed per source (segments.c) with the fields a person
 * asks about. Everything else is kept in full. */
static bool is_noise(const struct event *ev)
{
	return event_kind_from_outside(ev->kind) || (ev->kind == EV_DISCONNECT && (ev->flags & EVF_PREAUTH));
}

static int64_t source_key(struct store *s, const struct addr *a, int *ret_r)
{
	char ab[ADDR_STRLEN];
	int64_t id = 0;
	*ret_r = 0;
	if (a->family == ADDR_V4)
		return v4_key(a);
	if (a->family == ADDR_NONE)
		return 0;
	const char *t = addr_format(a, ab);
	*ret_r = store_name_id(s, (struct sv){ t, strlen(t) }, &id);
	return id;
}

/* A text field as a names id in e (its bit set when not empty). */
static int put_id(struct store *s, struct pk_event *e, uint32_t bit, int64_t *field, struct sv v)
{
	int r;
	switch (bit) {
	case PK_PROGRAM:
		r = store_name_id_memo(s, &s->memo[MEMO_PROGRAM], v, field);
		break;
	case PK_USER:
		r = store_name_id_memo(s, &s->memo[MEMO_USER], v, field);
		break;
	case PK_DETAIL:
		r = store_name_id_memo(s, &s->memo[MEMO_DETAIL], v, field);
		break;
	default:
		r = store_name_id(s, v, field);
	}
	if (r >= 0 && *field)
		e->mask |= bit;
	return r;
}

/* ---- the look-ahead's hints (store/ahead.h) ---- */

static void preload(const struct store *s, const struct event *ev, bool entry)
{
	/* only failed logins, of the host the last line had (a host's first
	 * line would get its id here, out of turn). (Their user names are
	 * not loaded ahead: a few thousand at most, the names cache stays in
	 * the caches, and hashing them twice more cost more than it saved.) */
	if (!is_noise(ev) || !memo_has(&s->memo[MEMO_HOST], ev->host))
		return;
	store_noise_preload(s, s->memo[MEMO_HOST].id, &ev->source, entry);
}

void store_preload_slot(const struct store *s, const struct event *ev)
{
	preload(s, ev, false);
}

void store_preload_entry(const struct store *s, const struct event *ev)
{
	preload(s, ev, true);
}

int store_add_event(struct store *s, const struct event *ev)
{
	struct pk_event e = { .time_us = ev->time_us, .kind = (uint8_t)ev->kind, .pid = ev->pid };
	int64_t host = 0;
	bool noise = is_noise(ev);
	int r = 0;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	r = store_name_id_memo(s, &s->memo[MEMO_HOST], ev->host, &host);
	if (r >= 0)
		r = put_id(s, &e, PK_PROGRAM, &e.program, ev->program);
	if (r >= 0)
		r = put_id(s, &e, PK_USER, &e.user, ev->user);
	if (r >= 0 && !noise) {
		/* (noise keeps the address itself: store/noise.c) */
		e.source = source_key(s, &ev->source, &r);
		if (e.source)
			e.mask |= PK_SOURCE;
	}
	if (r >= 0)
		r = put_id(s, &e, PK_SOURCE_NAME, &e.source_name, ev->source_name);
	if (r >= 0 && !noise) {
		/* in full: every field, the line it came from */
		if (ev->origin.file)
			r = store_file_id(s, ev->origin.file, &e.file);
		e.line = ev->origin.line;
		e.mask |= PK_LINE;
		if (ev->pid >= 0)
			e.mask |= PK_PID;
		if (ev->port) {
			e.port = ev->port;
			e.mask |= PK_PORT;
		}
		if (r >= 0)
			r = put_id(s, &e, PK_TARGET, &e.target, ev->target);
		if (r >= 0)
			r = put_id(s, &e, PK_KEY_TYPE, &e.key_type, ev->key_type);
		if (r >= 0)
			r = put_id(s, &e, PK_KEY_FP, &e.key_fp, ev->key_fp);
		if (r >= 0)
			r = put_id(s, &e, PK_TTY, &e.tty, ev->tty);
		if (r >= 0)
			r = put_id(s, &e, PK_COMMAND, &e.command, ev->command);
		if (r >= 0)
			r = put_id(s, &e, PK_DETAIL, &e.detail, ev->detail);
	} else if (r >= 0) {
		/* noise: the line only as the segment's evidence */
		if (ev->origin.file)
			r = store_file_id(s, ev->origin.file, &e.file);
		e.line = ev->origin.line;
		if (r >= 0)
			r = put_id(s, &e, PK_DETAIL, &e.detail, ev->detail);
	}
	if (r < 0)
		return r;
	e.method = (uint8_t)ev->method; /* packed with the kind */
	if (ev->acct) {
		e.acct = (uint8_t)ev->acct;
		e.mask |= PK_ACCT;
	}
	if (ev->flags) {
		e.flags = ev->flags;
		e.mask |= PK_FLAGS;
	}
	if (ev->count != 1) {
		e.count = ev->count;
		e.mask |= PK_COUNT;
	}
	if (ev->attempts) {
		e.attempts = ev->attempts;
		e.mask |= PK_ATTEMPTS;
	}
	if (noise) {
		r = store_noise_add(s, host, &ev->source, &e);
	} else {
		r = store_segment_add(s, host, e.user, &e);
	}
	/* outside a transaction each call stands alone, as an INSERT would */
	if (r >= 0 && s->tx_depth == 0)
		r = store_noise_flush(s);
	if (r >= 0 && s->tx_depth == 0)
		r = store_segments_flush(s);
	return r;
}

/* --- queries --------------------------------------------------------- */

enum {
	QF_USER = 1 << 0,
	QF_SOURCE = 1 << 1,
	QF_SOURCE_NAME = 1 << 2,
	QF_HOST = 1 << 3,
	QF_PID = 1 << 4,
};

#define EVENT_COLUMNS                                                                        \
	"e.id, e.time_us, nh.value, np.value, e.pid, e.kind, e.method, e.acct, e.flags, nu.value," \
	" e.target, ns.value, nn.value, e.port, e.key_type, e.key_fp, e.tty, e.command,"           \
	" e.detail, e.count, f.path, e.line, e.source_id, e.attempts"

enum {
	COL_ID,
	COL_TIME,
	COL_HOST,
	COL_PROGRAM,
	COL_PID,
	COL_KIND,
	COL_METHOD,
	COL_ACCT,
	COL_FLAGS,
	COL_USER,
	COL_TARGET,
	COL_SOURCE,
	COL_SOURCE_NAME,
	COL_PORT,
	COL_KEY_TYPE,
	COL_KEY_FP,
	COL_TTY,
	COL_COMMAND,
	COL_DETAIL,
	COL_COUNT,
	COL_FILE,
	COL_LINE,
	COL_SOURCE_ID,
	COL_ATTEMPTS,
	COL_N
};

/* Writes the SQL for a filter shape into buf. Parameters: ?1 user,
 * ?2 source (or source name), ?3 host, ?4 pid, ?5 since, ?6 until. */
static int build_sql(unsigned shape, uint64_t kinds, char *buf, size_t size)
{
	size_t n = 0;
	int w;
#define ADD(...)                                                  \
	do {                                                      \
		w = snprintf(buf + n, size - n, __VA_ARGS__);     \
		if (w < 0 || (size_t)w >= size - n)               \
			return -ENOBUFS;                          \
		n += (size_t)w;                                   \
	} while (0)
	ADD("SELECT " EVENT_COLUMNS " FROM events e LEFT JOIN files f ON f.id = e.file_id"
	    " LEFT JOIN names nh ON nh.id = e.host_id LEFT JOIN names np ON np.id = e.program_id"
	    " LEFT JOIN names nu ON nu.id = e.user_id LEFT JOIN names ns ON ns.id = e.source_id"
	    " LEFT JOIN names nn ON nn.id = e.source_name_id"
	    " WHERE e.time_us >= ?5 AND e.time_us <= ?6");
	if (shape & QF_USER)
		ADD(" AND e.user_id = ?1");
	if (shape & QF_SOURCE)
		ADD(" AND e.source_id = ?2");
	if (shape & QF_SOURCE_NAME)
		ADD(" AND e.source_name_id = ?2");
	if (shape & QF_HOST)
		ADD(" AND e.host_id = ?3");
	if (shape & QF_PID)
		ADD(" AND e.pid = ?4");
	if (kinds) {
		bool first = true;
		/* Restricted to rare kinds: say so in the index's own words so
		 * the partial index on time can serve the query. */
		if ((kinds & ~(uint64_t)STORE_SESSION_KINDS) == 0)
			ADD(" AND e.class = %d", STORE_CLASS_SESSION);
		else if ((kinds & ~(uint64_t)STORE_PRIVILEGED_KINDS) == 0)
			ADD(" AND e.class = %d", STORE_CLASS_PRIVILEGED);
		ADD(" AND e.kind IN (");
		for (int k = 0; k < EV_KIND_MAX; k++) {
			if (!(kinds & EVENT_KIND_BIT(k)))
				continue;
			ADD("%s'%s'", first ? "" : ", ", event_kind_name((enum event_kind)k));
			first = false;
		}
		ADD(")");
	}
	ADD(" ORDER BY e.time_us, e.id");
#undef ADD
	return 0;
}

/* A column's text for a callback: "" for NULL; a BLOB (text that held a
 * NUL) copied into *scratch with each NUL as U+FFFD. */
static const char *col_text(sqlite3_stmt *st, int col, char **scratch)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return "";
	case SQLITE_BLOB: {
		const unsigned char *b = sqlite3_column_blob(st, col);
		size_t n = (size_t)sqlite3_column_bytes(st, col), j = 0;
		char *out = malloc(n * 3 + 1);
		if (!out)
			return "";
		for (size_t i = 0; i < n; i++) {
			if (b[i] == 0) {
				out[j++] = (char)0xef;
				out[j++] = (char)0xbf;
				out[j++] = (char)0xbd;
			} else {
				out[j++] = (char)b[i];
			}
		}
		out[j] = '\0';
		*scratch = out;
		return out;
	}
	default: {
		const unsigned char *t = sqlite3_column_text(st, col);
		return t ? (const char *)t : "";
	}
	}
}

/* The legacy row the statement is on, as a stored event (strings in
 * scratch, freed by the caller). */
static void legacy_row(sqlite3_stmt *st, struct stored_event *e, char *scratch[COL_N], char ab[ADDR_STRLEN])
{
	*e = (struct stored_event){
		.id = sqlite3_column_int64(st, COL_ID),
		.time_us = sqlite3_column_int64(st, COL_TIME),
		.pid = sqlite3_column_int(st, COL_PID),
		.flags = (uint32_t)sqlite3_column_int64(st, COL_FLAGS),
		.port = (uint16_t)sqlite3_column_int(st, COL_PORT),
		.count = (uint32_t)sqlite3_column_int64(st, COL_COUNT),
		.line = (uint64_t)sqlite3_column_int64(st, COL_LINE),
		.attempts = (uint32_t)sqlite3_column_int64(st, COL_ATTEMPTS),
		.has_attempts = sqlite3_column_type(st, COL_ATTEMPTS) != SQLITE_NULL,
	};
	int k = event_kind_from_name(col_text(st, COL_KIND, &scratch[COL_KIND]));
	int m = sqlite3_column_type(st, COL_METHOD) == SQLITE_NULL
			? AM_NONE
			: auth_method_from_name(col_text(st, COL_METHOD, &scratch[COL_METHOD]));
	int a = sqlite3_column_type(st, COL_ACCT) == SQLITE_NULL
			? ACCT_NONE
			: account_op_from_name(col_text(st, COL_ACCT, &scratch[COL_ACCT]));
	e->kind = k < 0 ? EV_NONE : (enum event_kind)k;
	e->method = m < 0 ? AM_NONE : (enum auth_method)m;
	e->acct = a < 0 ? ACCT_NONE : (enum account_op)a;
	e->host = col_text(st, COL_HOST, &scratch[COL_HOST]);
	e->program = col_text(st, COL_PROGRAM, &scratch[COL_PROGRAM]);
	e->user = col_text(st, COL_USER, &scratch[COL_USER]);
	e->target = col_text(st, COL_TARGET, &scratch[COL_TARGET]);
	int64_t source_id = sqlite3_column_int64(st, COL_SOURCE_ID);
	if (source_id < 0) {
		struct addr v4;
		v4_from_key(source_id, &v4);
		e->source = addr_format(&v4, ab);
	} else {
		e->source = col_text(st, COL_SOURCE, &scratch[COL_SOURCE]);
	}
	e->source_name = col_text(st, COL_SOURCE_NAME, &scratch[COL_SOURCE_NAME]);
	e->key_type = col_text(st, COL_KEY_TYPE, &scratch[COL_KEY_TYPE]);
	e->key_fp = col_text(st, COL_KEY_FP, &scratch[COL_KEY_FP]);
	e->tty = col_text(st, COL_TTY, &scratch[COL_TTY]);
	e->command = col_text(st, COL_COMMAND, &scratch[COL_COMMAND]);
	e->detail = col_text(st, COL_DETAIL, &scratch[COL_DETAIL]);
	e->file = col_text(st, COL_FILE, &scratch[COL_FILE]);
	if (e->count == 0)
		e->count = 1;
}

/* --- queries over the segments ------------------------------------------
 *
 * A query finds the segments that can hold matching events (by user, by
 * source, or by time), decodes them, keeps the matches and hands them over
 * in time order, merged with the rows of schema 2's events table (a store
 * upgraded in place keeps them there). */

struct hit {
	int64_t time_us, id;
	int64_t host;
	bool noise; /* its source is src (noise keeps addresses, not keys) */
	struct addr src;
	struct pk_event e;
};

struct hits {
	struct hit *v;
	size_t n, cap;
};

/* The filter with its names resolved to ids. */
struct qf {
	const struct event_filter *f;
	bool user_set, source_set, name_set, host_set;
	int64_t user, source, source_name, host; /* source: the key events carry (0: none does) */
	struct addr source_addr;
	bool want_noise, want_full;
};

#define NOISE_KINDS                                                                                  \
	(EVENT_KIND_BIT(EV_AUTH_FAILURE) | EVENT_KIND_BIT(EV_INVALID_USER) | EVENT_KIND_BIT(EV_USER_NOT_ALLOWED) | \
	 EVENT_KIND_BIT(EV_ROOT_REFUSED) | EVENT_KIND_BIT(EV_MAX_AUTH) | EVENT_KIND_BIT(EV_PREAUTH_CLOSE) |      \
	 EVENT_KIND_BIT(EV_CONNECT) | EVENT_KIND_BIT(EV_PROTOCOL_ERROR) | EVENT_KIND_BIT(EV_CONN_REFUSED) |      \
	 EVENT_KIND_BIT(EV_MAXSTARTUPS) | EVENT_KIND_BIT(EV_DISCONNECT))

/* Ids of events in segments: far from the rowids of schema 2's table. */
#define SEG_ID_BASE (INT64_C(1) << 61)
#define NOISE_ID_BASE (INT64_C(1) << 62)

static bool hit_matches(const struct qf *q, const struct hit *h)
{
	const struct event_filter *f = q->f;
	const struct pk_event *e = &h->e;
	if (h->time_us < f->since_us || h->time_us > f->until_us)
		return false;
	if (f->kinds && (e->kind >= 64 || !(f->kinds & EVENT_KIND_BIT(e->kind))))
		return false;
	if (q->host_set && h->host != q->host)
		return false;
	if (f->pid >= 0 && e->pid != f->pid)
		return false;
	if (q->user_set && e->user != q->user)
		return false;
	if (q->source_set && h->noise && !addr_equal(&h->src, &q->source_addr))
		return false;
	if (q->source_set && !h->noise && (!q->source || !(e->mask & PK_SOURCE) || e->source != q->source))
		return false;
	if (q->name_set && e->source_name != q->source_name)
		return false;
	return true;
}

static int push_hit(struct store *s, struct hits *H, const struct qf *q, struct hit *h)
{
	if (!hit_matches(q, h))
		return 0;
	if (H->n == H->cap) {
		size_t cap = H->cap ? H->cap * 2 : 256;
		struct hit *v = realloc(H->v, cap * sizeof(*v));
		if (!v)
			return store_failf(s, -ENOMEM, "out of memory");
		H->v = v;
		H->cap = cap;
	}
	H->v[H->n++] = *h;
	return 0;
}

/* Decodes one segment's data into the matching hits. */
static int decode_segment(struct store *s, struct hits *H, const struct qf *q, int64_t host, int64_t user,
			  int64_t base_id, int64_t first_us, const void *data, size_t n)
{
	struct pk_state st = { .time_us = first_us };
	size_t pos = 0;
	for (int64_t idx = 0;; idx++) {
		struct hit h = { .host = host };
		int r = pk_get(data, n, &pos, &st, &h.e);
		if (r == 0)
			break;
		if (r < 0) {
			/* a record this moat cannot read: the ones before it count */
			s->undecodable++;
			break;
		}
		h.e.user = user;
		if (user)
			h.e.mask |= PK_USER;
		h.time_us = h.e.time_us;
		h.id = base_id + idx;
		r = push_hit(s, H, q, &h);
		if (r < 0)
			return r;
	}
	return 0;
}

struct noise_walk {
	struct store *s;
	struct hits *H;
	const struct qf *q;
	int64_t host, base_id;
};

static int on_noise(void *ud, const struct addr *src, uint32_t index, const struct pk_event *e)
{
	struct noise_walk *w = ud;
	struct hit h = { .host = w->host, .noise = true, .src = *src, .e = *e };
	h.time_us = e->time_us;
	h.id = w->base_id + index;
	return push_hit(w->s, w->H, w->q, &h);
}

/* Runs sql (?1 bound to k when has_key, ?2 and ?3 to the time range) and
 * decodes every row it returns: columns host, key, first, id, data (noise
 * rows: key = bucket, and only's block is read when only is not NULL;
 * segments: key = user). */
static int scan_segments(struct store *s, struct hits *H, const struct qf *q, bool noise, const char *sql, bool has_key,
			 int64_t k, const struct addr *only)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), r = 0;
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot prepare a query");
	if (has_key)
		(void)sqlite3_bind_int64(st, 1, k);
	(void)sqlite3_bind_int64(st, 2, q->f->since_us);
	(void)sqlite3_bind_int64(st, 3, q->f->until_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && r >= 0) {
		int64_t id = sqlite3_column_int64(st, 3);
		const void *data = sqlite3_column_blob(st, 4);
		size_t n = (size_t)sqlite3_column_bytes(st, 4);
		if (noise) {
			struct noise_walk w = { s, H, q, sqlite3_column_int64(st, 0), NOISE_ID_BASE + (id << 24) };
			r = store_noise_decode(data, n, sqlite3_column_int64(st, 2), only, on_noise, &w);
			if (r == -EBADMSG) {
				s->undecodable++;
				r = 0;
			}
		} else {
			r = decode_segment(s, H, q, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
					   SEG_ID_BASE + (id << 13), sqlite3_column_int64(st, 2), data, n);
		}
	}
	if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_fail(s, rc, "cannot read events");
	sqlite3_finalize(st);
	return r;
}

#define SEG_COLS "host_id, user_id, first_us, id, data"
#define NOISE_COLS "host_id, bucket, first_us, id, data"
#define IN_RANGE "last_us >= ?2 AND first_us <= ?3"

/* The sources that tried user q->user (noise_users), deduplicated. */
struct user_srcs {
	struct addr *v;
	size_t n, cap;
};

static int user_src_add(void *ud, const struct addr *a)
{
	struct user_srcs *u = ud;
	for (size_t i = 0; i < u->n; i++)
		if (addr_equal(&u->v[i], a))
			return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct addr *nv = realloc(u->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		u->v = nv;
		u->cap = cap;
	}
	u->v[u->n++] = *a;
	return 0;
}

static int user_sources(struct store *s, const struct qf *q, struct addr **ret, size_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	struct user_srcs u = { 0 };
	int r = 0;
	int rc = sqlite3_prepare_v2(s->db, "SELECT first_us, data FROM noise_users WHERE last_us >= ?1 AND first_us <= ?2",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot prepare a query");
	(void)sqlite3_bind_int64(st, 1, q->f->since_us);
	(void)sqlite3_bind_int64(st, 2, q->f->until_us);
	while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = store_noise_users_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
					     sqlite3_column_int64(st, 0), q->user, q->f->since_us, q->f->until_us,
					     user_src_add, &u);
	sqlite3_finalize(st);
	if (r < 0 || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
		free(u.v);
		if (r == -ENOMEM)
			return store_failf(s, r, "out of memory");
		if (r == -EBADMSG)
			return store_failf(s, r, "failed logins by account in %s are corrupt", s->path);
		return store_fail(s, rc, "cannot read events");
	}
	*ret = u.v;
	*ret_n = u.n;
	return 0;
}

#define NOISE_BY_BUCKET "SELECT " NOISE_COLS " FROM noise WHERE bucket = ?1 AND " IN_RANGE

static int collect_hits(struct store *s, const struct qf *q, struct hits *H)
{
	int r = 0;
	if (q->want_full) {
		if (q->user_set)
			r = scan_segments(s, H, q, false, "SELECT " SEG_COLS " FROM segments WHERE user_id = ?1 AND " IN_RANGE,
					  true, q->user, NULL);
		else if (q->source_set && q->source)
			r = scan_segments(s, H, q, false,
					  "SELECT s.host_id, s.user_id, s.first_us, s.id, s.data FROM segment_sources ss"
					  " JOIN segments s ON s.id = ss.segment_id WHERE ss.source_id = ?1"
					  " AND s.last_us >= ?2 AND s.first_us <= ?3",
					  true, q->source, NULL);
		else if (!q->source_set)
			r = scan_segments(s, H, q, false, "SELECT " SEG_COLS " FROM segments WHERE " IN_RANGE, false, 0,
					  NULL);
		if (r < 0)
			return r;
	}
	if (!q->want_noise)
		return 0;
	if (q->source_set)
		return scan_segments(s, H, q, true, NOISE_BY_BUCKET, true, store_noise_bucket(&q->source_addr),
				     &q->source_addr);
	if (q->user_set) {
		struct addr *src = NULL;
		size_t n = 0;
		r = user_sources(s, q, &src, &n);
		for (size_t i = 0; i < n && r >= 0; i++)
			r = scan_segments(s, H, q, true, NOISE_BY_BUCKET, true, store_noise_bucket(&src[i]), &src[i]);
		free(src);
		return r;
	}
	return scan_segments(s, H, q, true, "SELECT " NOISE_COLS " FROM noise WHERE " IN_RANGE, false, 0, NULL);
}

/* Time order; within one instant, the order of the log (file, then line:
 * "Received disconnect" before "Disconnected from user", though they went
 * to different segments), the lines kept without a number first. */
static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	if (x->e.file != y->e.file)
		return x->e.file < y->e.file ? -1 : 1;
	if (x->e.line != y->e.line)
		return x->e.line < y->e.line ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Text of a names id for a callback ("" for 0), through a small cache
 * that lives for one query. */
struct idtext {
	int64_t id;
	char *text;
};
#define IDTEXT_SLOTS 1024

static const char *id_text(struct store *s, struct idtext *cache, int64_t id)
{
	struct idtext *slot;
	sqlite3_stmt *st;
	if (id <= 0)
		return "";
	slot = &cache[(uint64_t)id % IDTEXT_SLOTS];
	if (slot->text && slot->id == id)
		return slot->text;
	if (store_stmt(s, STMT_NAME_VALUE, &st) < 0)
		return "";
	(void)sqlite3_bind_int64(st, 1, id);
	char *text = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		char *scratch = NULL;
		const char *t = col_text(st, 0, &scratch);
		text = scratch ? scratch : strdup(t);
	}
	(void)sqlite3_reset(st);
	if (!text)
		return "";
	free(slot->text);
	slot->id = id;
	slot->text = text;
	return text;
}

static const char *file_text(struct store *s, int64_t id, char **scratch)
{
	sqlite3_stmt *st;
	const char *t = "";
	if (id <= 0 || store_stmt(s, STMT_FILE_PATH, &st) < 0)
		return "";
	(void)sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(st, 0);
		*scratch = strdup(p ? (const char *)p : "");
		t = *scratch ? *scratch : "";
	}
	(void)sqlite3_reset(st);
	return t;
}

static void hit_event(struct store *s, struct idtext *cache, const struct hit *h, struct stored_event *e,
		      char ab[ADDR_STRLEN], char **file_scratch)
{
	const struct pk_event *p = &h->e;
	*e = (struct stored_event){
		.id = h->id,
		.time_us = h->time_us,
		.pid = p->mask & PK_PID ? p->pid : -1,
		.kind = (enum event_kind)p->kind,
		.method = (enum auth_method)p->method,
		.acct = (enum account_op)p->acct,
		.flags = p->flags,
		.port = p->port,
		.count = p->count ? p->count : 1,
		.attempts = p->attempts,
		.line = p->line,
		.packed = h->noise,
		.has_attempts = true,
	};
	e->host = id_text(s, cache, h->host);
	e->program = id_text(s, cache, p->program);
	e->user = id_text(s, cache, p->user);
	e->target = id_text(s, cache, p->target);
	e->source = "";
	if (h->noise && h->src.family != ADDR_NONE) {
		e->source = addr_format(&h->src, ab);
	} else if (h->noise) {
		/* no address */
	} else if ((p->mask & PK_SOURCE) && p->source < 0) {
		struct addr v4;
		v4_from_key(p->source, &v4);
		e->source = addr_format(&v4, ab);
	} else if (p->mask & PK_SOURCE) {
		e->source = id_text(s, cache, p->source);
	}
	e->source_name = id_text(s, cache, p->source_name);
	e->key_type = id_text(s, cache, p->key_type);
	e->key_fp = id_text(s, cache, p->key_fp);
	e->tty = id_text(s, cache, p->tty);
	e->command = id_text(s, cache, p->command);
	e->detail = id_text(s, cache, p->detail);
	e->file = file_text(s, p->file, file_scratch);
}

int store_query_events(struct store *s, const struct event_filter *f,
		       int (*fn)(void *ud, const struct stored_event *e), void *ud)
{
	char sql[2048], ab[ADDR_STRLEN];
	int64_t user_id = 0, source_id = 0, host_id = 0;
	struct addr a = { 0 };
	const char *source = NULL;
	sqlite3_stmt *st = NULL;
	struct qf q = { .f = f };
	struct hits H = { 0 };
	struct idtext *cache = NULL;
	unsigned shape = 0;
	int r, rc = SQLITE_DONE, n = 0;

	if (f->user)
		shape |= QF_USER;
	if (f->source) {
		if (addr_parse(sv_cstr(f->source), &a) == 1) {
			source = addr_format(&a, ab);
			shape |= QF_SOURCE;
		} else {
			source = f->source;
			shape |= QF_SOURCE_NAME;
		}
	}
	if (f->host)
		shape |= QF_HOST;
	if (f->pid >= 0)
		shape |= QF_PID;
	if (f->since_us > f->until_us)
		return 0;
	/* Names no event carried: nothing can match. */
	if (f->user && (r = store_name_find(s, f->user, &user_id)) <= 0)
		return r;
	if ((shape & QF_SOURCE) && a.family == ADDR_V4) {
		source_id = v4_key(&a);
	} else if (shape & QF_SOURCE) {
		/* an IPv6 address is a name only where a kept event named it;
		 * failed logins keep the address itself */
		r = store_name_find(s, source, &source_id);
		if (r < 0)
			return r;
	} else if (source && (r = store_name_find(s, source, &source_id)) <= 0) {
		return r;
	}
	if (f->host && (r = store_name_find(s, f->host, &host_id)) <= 0)
		return r;

	/* what this handle added is part of what it answers */
	if (!s->readonly) {
		r = store_segments_flush(s);
		if (r < 0)
			return r;
	}
	q.user_set = f->user != NULL;
	q.user = user_id;
	q.source_set = (shape & QF_SOURCE) != 0;
	q.name_set = (shape & QF_SOURCE_NAME) != 0;
	q.source = q.source_set ? source_id : 0;
	q.source_addr = a;
	q.source_name = q.name_set ? source_id : 0;
	q.host_set = f->host != NULL;
	q.host = host_id;
	q.want_noise = !f->kinds || (f->kinds & NOISE_KINDS);
	q.want_full = !f->kinds || (f->kinds & ~(uint64_t)NOISE_KINDS) || (f->kinds & EVENT_KIND_BIT(EV_DISCONNECT));

	r = collect_hits(s, &q, &H);
	if (r < 0)
		goto out;
	if (H.n > 1)
		qsort(H.v, H.n, sizeof(*H.v), hit_cmp);
	cache = calloc(IDTEXT_SLOTS, sizeof(*cache));
	if (!cache) {
		r = store_failf(s, -ENOMEM, "out of memory");
		goto out;
	}

	/* schema 2's rows, when the store has any, merged in time order */
	if (s->legacy_events < 0)
		s->legacy_events = store_table_nonempty(s, "events");
	if (s->legacy_events > 0) {
		r = build_sql(shape, f->kinds, sql, sizeof(sql));
		if (r < 0) {
			r = store_failf(s, r, "query too long");
			goto out;
		}
		rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
		if (rc != SQLITE_OK) {
			r = store_fail(s, rc, "cannot prepare a query");
			goto out;
		}
		if (f->user)
			(void)sqlite3_bind_int64(st, 1, user_id);
		if (source)
			(void)sqlite3_bind_int64(st, 2, source_id);
		if (f->host)
			(void)sqlite3_bind_int64(st, 3, host_id);
		if (f->pid >= 0)
			(void)sqlite3_bind_int(st, 4, f->pid);
		(void)sqlite3_bind_int64(st, 5, f->since_us);
		(void)sqlite3_bind_int64(st, 6, f->until_us);
		rc = sqlite3_step(st);
	}
	size_t i = 0;
	r = 0;
	for (;;) {
		bool have_row = st && rc == SQLITE_ROW;
		if (!have_row && i == H.n)
			break;
		if (have_row && (i == H.n || sqlite3_column_int64(st, COL_TIME) <= H.v[i].time_us)) {
			char *scratch[COL_N] = { 0 };
			char ab2[ADDR_STRLEN];
			struct stored_event e;
			legacy_row(st, &e, scratch, ab2);
			r = fn(ud, &e);
			for (size_t k = 0; k < COL_N; k++)
				free(scratch[k]);
			rc = sqlite3_step(st);
		} else {
			struct stored_event e;
			char ab2[ADDR_STRLEN], *file_scratch = NULL;
			hit_event(s, cache, &H.v[i++], &e, ab2, &file_scratch);
			r = fn(ud, &e);
			free(file_scratch);
		}
		if (r < 0)
			goto out;
		n++;
	}
	if (st && rc != SQLITE_DONE)
		r = store_fail(s, rc, "cannot read events");
	else
		r = n;
out:
	sqlite3_finalize(st);
	if (cache)
		for (size_t k = 0; k < IDTEXT_SLOTS; k++)
			free(cache[k].text);
	free(cache);
	free(H.v);
	return r;
}


int store_event_time_range(struct store *s, int64_t *ret_first_us, int64_t *ret_last_us)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (!s->readonly && (r = store_segments_flush(s)) < 0)
		return r;
	rc = sqlite3_prepare_v2(s->db,
				"SELECT min(f), max(l) FROM (SELECT min(time_us) AS f, max(time_us) AS l FROM events"
				" UNION ALL SELECT min(first_us), max(last_us) FROM segments"
				" UNION ALL SELECT min(first_us), max(last_us) FROM noise)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot prepare a query");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = store_fail(s, rc, "cannot read events");
	} else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*ret_first_us = sqlite3_column_int64(st, 0);
		*ret_last_us = sqlite3_column_int64(st, 1);
		r = 1;
	}
	sqlite3_finalize(st);
	return r;
}
