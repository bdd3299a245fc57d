/*
 * store-internal: what the store's .c files share (never included outside
 * src/store/). One struct store, a cache of prepared statements, and the
 * edge where SQLite result codes become negative errnos.
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/hmap.h"
#include "core/macro.h"
#include "core/strview.h"
#include "store/store.h"

/* Statements prepared once (SQLITE_PREPARE_PERSISTENT) and reused: the
 * event insert runs once per decoded line. */
enum store_stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_EVENT_INSERT,
	STMT_FILE_FIND,
	STMT_FILE_INSERT,
	STMT_NAME_FIND,
	STMT_NAME_INSERT,
	STMT_ALERT_INSERT,
	STMT_ALERT_UPDATE,
	STMT_CURSOR_FIND,
	STMT_CURSOR_INSERT,
	STMT_CURSOR_UPDATE,
	STMT_LEGACY_CURSOR_GET,
	STMT_BASELINE_GET,
	STMT_BASELINE_PUT,
	STMT_BASELINE_SNAPSHOT,
	STMT_BASELINE_ALL,
	STMT_NOISE_INSERT,
	STMT_SEGMENT_INSERT,
	STMT_SEGMENT_UPDATE,
	STMT_SEGMENT_SOURCE,
	STMT_NOISE_USER_INSERT,
	STMT_NAME_VALUE,
	STMT_FILE_PATH,
	STMT_MAX
};

/* events.class: which of the two small partial indexes a row belongs to.
 * (An integer test, because SQLite evaluates a partial index's WHERE on
 * every insert and "kind IN (…)" there costs more than the index itself.)
 * A query for kinds within one class adds "class = N" so that the planner
 * can use that index. */
enum {
	STORE_CLASS_SESSION = 1, /* login, session open/close, disconnect: (host, pid, time) */
	STORE_CLASS_PRIVILEGED = 2, /* sudo, su, account and key changes: (time) */
};
#define STORE_SESSION_KINDS                                                                     \
	(EVENT_KIND_BIT(EV_AUTH_SUCCESS) | EVENT_KIND_BIT(EV_SESSION_OPEN) |                     \
	 EVENT_KIND_BIT(EV_SESSION_CLOSE) | EVENT_KIND_BIT(EV_DISCONNECT))
#define STORE_PRIVILEGED_KINDS                                                                  \
	(EVENT_KIND_BIT(EV_SUDO_COMMAND) | EVENT_KIND_BIT(EV_SUDO_FAILURE) |                     \
	 EVENT_KIND_BIT(EV_SUDO_REFUSED) | EVENT_KIND_BIT(EV_SU_SUCCESS) |                       \
	 EVENT_KIND_BIT(EV_SU_FAILURE) | EVENT_KIND_BIT(EV_ACCOUNT_CHANGE) |                     \
	 EVENT_KIND_BIT(EV_KEY_CHANGE))

/* One cached query per combination of the filter's fields (user, source or
 * source name, host, pid), without a kind restriction. */
#define STORE_QUERY_SHAPES 32

/* The names cache: text (host, program, user, source) -> its id in the
 * names table, so that the per-line insert looks a repeated name up in
 * memory instead of in SQL. Attacker text fills it: it holds at most
 * STORE_NAME_CACHE_MAX names of at most STORE_NAME_CACHE_KEY_MAX bytes and
 * is emptied when full (names_cache_resets counts that). A core/hmap of
 * entries carved from an arena (freed together when it empties). */
#define STORE_NAME_CACHE_MAX 65536
#define STORE_NAME_CACHE_KEY_MAX 256

/* The last text seen in one field of the events and its names id: host,
 * program and detail repeat from line to line, and a hit costs one memcmp
 * instead of a lookup in the names cache. */
struct name_memo {
	char text[48];
	size_t n; /* 0: empty */
	int64_t id;
};
enum { MEMO_HOST, MEMO_PROGRAM, MEMO_USER, MEMO_DETAIL, MEMO_MAX };

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;
	int lock_fd; /* holds the writer's flock (store_lock); -1 when not locked */
	int64_t run_id; /* the open run (store_run_open), 0 when none */
	struct segs *segs; /* open segments (segments.c), NULL until the first event */
	struct noise *noise; /* pending failed logins (noise.c) */
	int legacy_events; /* schema 2's events table holds rows: 1, 0, or -1 not known yet */
	uint64_t undecodable; /* segment records a query could not read */
	unsigned tx_depth; /* store_begin nesting */
	sqlite3_stmt *stmt[STMT_MAX];
	sqlite3_stmt *query[STORE_QUERY_SHAPES];
	/* The origin file of the last event: sources keep one string per
	 * input for the whole run, so a pointer compare (confirmed by strcmp)
	 * saves a lookup per line. */
	char *last_file;
	int64_t last_file_id;
	char *last_error; /* message of the last failure, for store_last_error() */
	struct hmap names; /* the cache (entries in names_mem) */
	struct arena names_mem;
	bool names_init;
	struct name_memo memo[MEMO_MAX];
	size_t names_used;
	uint64_t names_cache_resets;

};

/* The look-ahead's hint (store/ahead.h) for a failed login's block:
 * its slot, or (entry) the block itself. */
void store_noise_preload(const struct store *s, int64_t host, const struct addr *src, bool entry);

/* The id of name v in the names table, inserting it when new; 0 (no
 * row) for empty text. Returns 0 or a negative errno. */
int store_name_id(struct store *s, struct sv v, int64_t *ret);
/* The same through a memo of the field's last value. */
int store_name_id_memo(struct store *s, struct name_memo *m, struct sv v, int64_t *ret);
/* The id of an existing name (a query's filter): 1 and *ret when stored,
 * 0 when no event ever carried it, or a negative errno. */
int store_name_find(struct store *s, const char *name, int64_t *ret);
/* Empties the names cache (a rollback, and when it is full). */
void store_names_clear(struct store *s);
/* Frees it (store_free). */
void store_names_free(struct store *s);

/* The statement for id, prepared on first use. Returns 0 or a negative
 * errno (message in s->last_error). */
int store_stmt(struct store *s, enum store_stmt_id id, sqlite3_stmt **ret);

/* SQLite result code -> negative errno. */
int store_errno_from_sqlite(int rc);

/* Records "what: <sqlite message>" as the last error and returns the
 * mapped errno. rc is the SQLite result code. */
int store_fail(struct store *s, int rc, const char *what);

/* Records a formatted message as the last error and returns r. */
int store_failf(struct store *s, int r, const char *fmt, ...) _printf_(3, 4);

/* Runs SQL without results (several statements allowed). */
int store_exec(struct store *s, const char *sql);

/* Binds text that may be empty (NULL column), may hold a NUL (BLOB: kept
 * byte for byte) or be anything else (TEXT, bytes as they are). */
int store_bind_sv(sqlite3_stmt *st, int idx, struct sv v);
/* Same, but empty is '' rather than NULL (for UNIQUE key columns). */
int store_bind_sv_notnull(sqlite3_stmt *st, int idx, struct sv v);

/* Now, microseconds since the epoch (for 'updated' columns). */
int64_t store_now_us(void);

/* Segments (segments.c): events kept in full. */
struct pk_event;
/* Adds e to the open segment of (host, user). 0 or a negative errno. */
int store_segment_add(struct store *s, int64_t host, int64_t user, const struct pk_event *e);
/* Writes every segment changed since the last flush (store_commit calls
 * it before COMMIT). */
int store_segments_flush(struct store *s);
/* Drops the open segments without writing them (a rollback). */
void store_segments_forget(struct store *s);

/* Noise (noise.c): failed logins and pre-auth lines, per bucket of sources. */
#define NOISE_BUCKETS 4096
uint16_t store_noise_bucket(const struct addr *a);
/* The id of path in files, inserting it when new (events.c). */
int store_file_id(struct store *s, const char *path, int64_t *ret);

int store_noise_add(struct store *s, int64_t host, const struct addr *src, const struct pk_event *e);
int store_noise_flush(struct store *s);
/* Calls fn for each source listed for user in a noise_users row's data
 * (first_us: the row's) whose entry overlaps [since, until]. 0, fn's
 * negative value, or -EBADMSG. */
int store_noise_users_decode(const void *data, size_t n, int64_t first_us, int64_t user, int64_t since_us,
			     int64_t until_us, int (*fn)(void *ud, const struct addr *src), void *ud);
void store_noise_forget(struct store *s);
/* Calls fn for each event of a noise row's data (those of source only,
 * when not NULL), numbered from 0 in the row; -EBADMSG for data this moat
 * cannot read (after the events before it), or fn's < 0. */
int store_noise_decode(const void *data, size_t n, int64_t first_us, const struct addr *only,
		       int (*fn)(void *ud, const struct addr *src, uint32_t index, const struct pk_event *e), void *ud);

/* 1 when the table has a row, 0 when not, or a negative errno. */
int store_table_nonempty(struct store *s, const char *table);

/* Schema creation and migrations (migrate.c). */
int store_migrate(struct store *s, char **ret_err);
/* Checks a store opened read-only has the current schema. */
int store_check_schema(struct store *s, char **ret_err);
