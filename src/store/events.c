/* store events: the per-line insert (hot path) and the timeline queries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "store/store-internal.h"

/* The id of path in files, inserting it when new. */
static int file_id(struct store *s, const char *path, int64_t *ret)
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

/* The cache's hash of a name (in memory only, seeded per process). */
static uint32_t name_hash(const struct store *s, const char *p, size_t n)
{
	return (uint32_t)hash_bytes(p, n, s->names_seed);
}

void store_names_clear(struct store *s)
{
	if (!s->names)
		return;
	for (size_t i = 0; i < STORE_NAME_CACHE_SLOTS; i++) {
		free(s->names[i].key);
		s->names[i].key = NULL;
	}
	s->names_used = 0;
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
	struct store_name_slot *slot = NULL;
	uint32_t h;
	int r;

	if (v.n == 0 || !v.p) {
		*ret = 0;
		return 0;
	}
	if (v.n > STORE_NAME_CACHE_KEY_MAX)
		return name_id_sql(s, v, ret);
	if (!s->names) {
		s->names = calloc(STORE_NAME_CACHE_SLOTS, sizeof(*s->names));
		if (!s->names)
			return name_id_sql(s, v, ret);
	}
	h = name_hash(s, v.p, v.n);
	for (size_t i = h & (STORE_NAME_CACHE_SLOTS - 1);; i = (i + 1) & (STORE_NAME_CACHE_SLOTS - 1)) {
		slot = &s->names[i];
		if (!slot->key)
			break;
		if (slot->hash == h && slot->len == v.n && memcmp(slot->key, v.p, v.n) == 0) {
			*ret = slot->id;
			return 0;
		}
	}
	r = name_id_sql(s, v, ret);
	if (r < 0)
		return r;
	if (s->names_used >= STORE_NAME_CACHE_MAX) {
		/* Full (say, a dictionary attack's user names): start over
		 * rather than grow; the names table still has them all. */
		store_names_clear(s);
		s->names_cache_resets++;
		for (size_t i = h & (STORE_NAME_CACHE_SLOTS - 1);; i = (i + 1) & (STORE_NAME_CACHE_SLOTS - 1))
			if (!(slot = &s->names[i])->key)
				break;
	}
	slot->key = malloc(v.n);
	if (!slot->key)
		return 0; /* the id is right; it just is not cached */
	memcpy(slot->key, v.p, v.n);
	slot->len = (uint32_t)v.n;
	slot->hash = h;
	slot->id = *ret;
	s->names_used++;
	return 0;
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

/* Binds a name's id, NULL for empty text. */
static int bind_name(struct store *s, sqlite3_stmt *st, int idx, struct sv v)
{
	int64_t id;
	int r = store_name_id(s, v, &id);
	if (r < 0)
		return r;
	if (id == 0)
		(void)sqlite3_bind_null(st, idx);
	else
		(void)sqlite3_bind_int64(st, idx, id);
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

static const char *name_or_null(const char *n)
{
	return n && *n ? n : NULL;
}

int store_add_event(struct store *s, const struct event *ev)
{
	sqlite3_stmt *st;
	char ab[ADDR_STRLEN];
	int64_t fid = 0;
	int r, rc;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	if (ev->origin.file) {
		r = file_id(s, ev->origin.file, &fid);
		if (r < 0)
			return r;
	}
	r = store_stmt(s, STMT_EVENT_INSERT, &st);
	if (r < 0)
		return r;

	if (ev->source.family == ADDR_V4) {
		(void)sqlite3_bind_int64(st, 11, v4_key(&ev->source));
	} else if (ev->source.family != ADDR_NONE) {
		const char *t = addr_format(&ev->source, ab);
		r = bind_name(s, st, 11, (struct sv){ t, strlen(t) });
	} else {
		(void)sqlite3_bind_null(st, 11);
	}
	if (r >= 0)
		r = bind_name(s, st, 2, ev->host);
	if (r >= 0)
		r = bind_name(s, st, 3, ev->program);
	if (r >= 0)
		r = bind_name(s, st, 9, ev->user);
	if (r >= 0)
		r = bind_name(s, st, 12, ev->source_name);
	if (r < 0) {
		(void)sqlite3_clear_bindings(st);
		return r;
	}
	(void)sqlite3_bind_int64(st, 1, ev->time_us);
	(void)sqlite3_bind_int(st, 4, ev->pid);
	(void)sqlite3_bind_text(st, 5, event_kind_name(ev->kind), -1, SQLITE_STATIC);
	const char *m = name_or_null(auth_method_name(ev->method));
	const char *a = name_or_null(account_op_name(ev->acct));
	if (m)
		(void)sqlite3_bind_text(st, 6, m, -1, SQLITE_STATIC);
	else
		(void)sqlite3_bind_null(st, 6);
	if (a)
		(void)sqlite3_bind_text(st, 7, a, -1, SQLITE_STATIC);
	else
		(void)sqlite3_bind_null(st, 7);
	(void)sqlite3_bind_int64(st, 8, ev->flags);
	(void)store_bind_sv(st, 10, ev->target);
	(void)sqlite3_bind_int(st, 13, ev->port);
	(void)store_bind_sv(st, 14, ev->key_type);
	(void)store_bind_sv(st, 15, ev->key_fp);
	(void)store_bind_sv(st, 16, ev->tty);
	(void)store_bind_sv(st, 17, ev->command);
	(void)store_bind_sv(st, 18, ev->detail);
	(void)sqlite3_bind_int64(st, 19, ev->count);
	if (ev->origin.file)
		(void)sqlite3_bind_int64(st, 20, fid);
	else
		(void)sqlite3_bind_null(st, 20);
	(void)sqlite3_bind_int64(st, 21, (int64_t)ev->origin.line);
	(void)sqlite3_bind_int64(st, 22, (int64_t)ev->origin.offset);
	if ((unsigned)ev->kind < 64 && (STORE_SESSION_KINDS & EVENT_KIND_BIT(ev->kind)))
		(void)sqlite3_bind_int(st, 23, STORE_CLASS_SESSION);
	else if ((unsigned)ev->kind < 64 && (STORE_PRIVILEGED_KINDS & EVENT_KIND_BIT(ev->kind)))
		(void)sqlite3_bind_int(st, 23, STORE_CLASS_PRIVILEGED);
	else
		(void)sqlite3_bind_null(st, 23);

	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot record an event");
	return 0;
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
	" e.detail, e.count, f.path, e.line, e.source_id"

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

static int run_query(struct store *s, sqlite3_stmt *st, int (*fn)(void *, const struct stored_event *), void *ud)
{
	char ab[ADDR_STRLEN];
	int rc, r = 0, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *scratch[COL_N] = { 0 };
		struct stored_event e = {
			.id = sqlite3_column_int64(st, COL_ID),
			.time_us = sqlite3_column_int64(st, COL_TIME),
			.pid = sqlite3_column_int(st, COL_PID),
			.flags = (uint32_t)sqlite3_column_int64(st, COL_FLAGS),
			.port = (uint16_t)sqlite3_column_int(st, COL_PORT),
			.count = (uint32_t)sqlite3_column_int64(st, COL_COUNT),
			.line = (uint64_t)sqlite3_column_int64(st, COL_LINE),
		};
		int k = event_kind_from_name(col_text(st, COL_KIND, &scratch[COL_KIND]));
		int m = sqlite3_column_type(st, COL_METHOD) == SQLITE_NULL
				? AM_NONE
				: auth_method_from_name(col_text(st, COL_METHOD, &scratch[COL_METHOD]));
		int a = sqlite3_column_type(st, COL_ACCT) == SQLITE_NULL
				? ACCT_NONE
				: account_op_from_name(col_text(st, COL_ACCT, &scratch[COL_ACCT]));
		e.kind = k < 0 ? EV_NONE : (enum event_kind)k;
		e.method = m < 0 ? AM_NONE : (enum auth_method)m;
		e.acct = a < 0 ? ACCT_NONE : (enum account_op)a;
		e.host = col_text(st, COL_HOST, &scratch[COL_HOST]);
		e.program = col_text(st, COL_PROGRAM, &scratch[COL_PROGRAM]);
		e.user = col_text(st, COL_USER, &scratch[COL_USER]);
		e.target = col_text(st, COL_TARGET, &scratch[COL_TARGET]);
		int64_t source_id = sqlite3_column_int64(st, COL_SOURCE_ID);
		if (source_id < 0) {
			struct addr v4;
			v4_from_key(source_id, &v4);
			e.source = addr_format(&v4, ab);
		} else {
			e.source = col_text(st, COL_SOURCE, &scratch[COL_SOURCE]);
		}
		e.source_name = col_text(st, COL_SOURCE_NAME, &scratch[COL_SOURCE_NAME]);
		e.key_type = col_text(st, COL_KEY_TYPE, &scratch[COL_KEY_TYPE]);
		e.key_fp = col_text(st, COL_KEY_FP, &scratch[COL_KEY_FP]);
		e.tty = col_text(st, COL_TTY, &scratch[COL_TTY]);
		e.command = col_text(st, COL_COMMAND, &scratch[COL_COMMAND]);
		e.detail = col_text(st, COL_DETAIL, &scratch[COL_DETAIL]);
		e.file = col_text(st, COL_FILE, &scratch[COL_FILE]);
		if (e.count == 0)
			e.count = 1;
		r = fn(ud, &e);
		for (size_t i = 0; i < COL_N; i++)
			free(scratch[i]);
		if (r < 0)
			return r;
		n++;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot read events");
	return n;
}

int store_query_events(struct store *s, const struct event_filter *f,
		       int (*fn)(void *ud, const struct stored_event *e), void *ud)
{
	char sql[2048], ab[ADDR_STRLEN];
	int64_t user_id = 0, source_id = 0, host_id = 0;
	struct addr a = { 0 };
	const char *source = NULL;
	sqlite3_stmt *st = NULL;
	unsigned shape = 0;
	bool cached = false;
	int r, rc;

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
	if ((shape & QF_SOURCE) && a.family == ADDR_V4)
		source_id = v4_key(&a);
	else if (source && (r = store_name_find(s, source, &source_id)) <= 0)
		return r;
	if (f->host && (r = store_name_find(s, f->host, &host_id)) <= 0)
		return r;

	/* The cached statement for this shape, unless a caller up the stack is
	 * walking it right now (fn may query again). */
	if (f->kinds == 0 && s->query[shape] && !sqlite3_stmt_busy(s->query[shape])) {
		st = s->query[shape];
		cached = true;
	} else {
		r = build_sql(shape, f->kinds, sql, sizeof(sql));
		if (r < 0)
			return store_failf(s, r, "query too long");
		rc = sqlite3_prepare_v3(s->db, sql, -1, f->kinds == 0 ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, "cannot prepare a query");
		if (f->kinds == 0 && !s->query[shape]) {
			s->query[shape] = st;
			cached = true;
		}
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

	r = run_query(s, st, fn, ud);
	if (cached) {
		(void)sqlite3_reset(st);
		(void)sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
	return r;
}

int store_event_time_range(struct store *s, int64_t *ret_first_us, int64_t *ret_last_us)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(s->db, "SELECT min(time_us), max(time_us) FROM events", -1, &st, NULL);
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
