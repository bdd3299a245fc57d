/*
 * store: the SQLite (WAL) file that keeps events, alerts, baselines and
 * read cursors between runs. Only this module talks SQL.
 *
 * Default path: $MOAT_DB, else $XDG_STATE_HOME/moat/moat.db (or
 * ~/.local/state/moat/moat.db); /var/lib/moat/moat.db when running as root.
 *
 * The file is SQLite in WAL mode (readers never block the writer), created
 * 0600 in directories created 0700, with a busy timeout so a concurrent
 * `moat scan` and `moat trace` wait for each other instead of failing. The
 * schema is versioned with PRAGMA user_version (and marked as moat's with
 * PRAGMA application_id); store_open() migrates older files forward and
 * refuses newer ones, development schemas and files that are not moat
 * stores.
 *
 * Tables: events (one row per decoded event; every field of struct event,
 * the origin file and line), names (host, program, user, source host
 * name and IPv6 source text, each stored once: events keep integer ids, an
 * IPv4 source is its own integer key, so the per-line insert feeds small
 * integer indexes; queries hand back the canonical address text), files
 * (origin paths, stored once), alerts (unique per kind, host, source, user
 * and first time: storing the same alert again updates it instead of adding
 * a copy), baselines, cursors.
 *
 * Text: attacker text is stored byte for byte as TEXT (invalid UTF-8 and
 * control bytes included). A value holding a NUL byte, which SQLite TEXT
 * cannot carry through C strings, is stored as a BLOB with the exact bytes;
 * queries hand it back with each NUL shown as U+FFFD so that "root\0x" can
 * never read as "root". Empty text is stored as NULL (and read back as "").
 * Events are not de-duplicated: the read cursors make sure the same bytes
 * are not stored twice.
 *
 * Errors: negative errno (SQLITE_BUSY -> -EBUSY, READONLY -> -EROFS,
 * NOTADB/CORRUPT -> -EBADMSG, FULL -> -ENOSPC, CANTOPEN/PERM -> -EACCES or
 * the system errno, …) and a message that keeps SQLite's own text.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/alert.h"
#include "core/event.h"
#include "source/source.h"

struct store;

/* The schema version this moat writes (PRAGMA user_version).
 * 2: names (host, program, user, source) in their own table, events hold
 * their ids. Files at schema 1 came from development builds only and are
 * refused ("remove FILE"), not migrated.
 * 3: runs, read cursors that prove what they skip (struct source_mark),
 * failures and noise packed per source (tries), routine PAM sessions
 * counted (routine); schema 2 files are migrated in place.
 * 6: as 3, with noise blocks packed per kind (store/noise.c) in rows
 * appended in the order written (found through an index by bucket), the
 * accounts they name in a row per flush, and alerts' evidence packed;
 * 3 to 5 were never released and are refused as 1 is. */
#define STORE_SCHEMA_VERSION 6

/* The default path (caller frees), or NULL on OOM. */
char *store_default_path(void);

/* Opens or creates the store at path (":memory:" allowed), creating parent
 * directories and migrating the schema. Returns 0 or a negative errno, with
 * *ret_err (caller frees) saying why in words. */
int store_open(const char *path, struct store **ret, char **ret_err);
/* Opens an existing store for reading only: never creates, migrates or
 * writes anything. A missing file is -ENOENT, a file without moat's schema
 * -EBADMSG (both with *ret_err). */
int store_open_readonly(const char *path, struct store **ret, char **ret_err);
struct store *store_free(struct store *s);
/* The message of the last failed call on s ("" when none); owned by s,
 * valid until the next call. */
const char *store_last_error(const struct store *s);
/* The path s was opened with (owned by s). */
const char *store_path(const struct store *s);
static inline void store_freep(struct store **s)
{
	store_free(*s);
}

/* Transactions: the pipeline wraps each batch in one (events, alerts,
 * baselines and the read cursor together). Calls nest: only the outermost
 * begin/commit pair talks to SQLite. A commit that fails rolls the whole
 * transaction back (and says why): the store is as after the last good
 * commit, and the caller must stop writing (store_rollback is implied). */
int store_begin(struct store *s);
int store_commit(struct store *s);
/* Abandons the open transaction (every level). */
void store_rollback(struct store *s);

/* Records one event (copies everything). Returns 0 or a negative errno. */
int store_add_event(struct store *s, const struct event *ev);
/* Records n events, in order: the same as store_add_event on each,
 * stopping at the first error (returned). */
int store_add_events(struct store *s, const struct event *const *evs, size_t n);
/* Records one alert: 1 when new; 2 when an alert with the same kind,
 * host, source, user and first time was stored and this one has seen more
 * (it is updated: later last time or higher count); 0 when it was stored
 * already as it is. */
int store_add_alert(struct store *s, const struct alert *a);

/* ---- one writer at a time, and runs ----
 *
 * A writer (moat scan, later moat watch, moat store prune) takes the
 * store's lock first: flock(2) on the store file, held until store_free.
 * A second writer waits for it, or gives up after a timeout, instead of
 * interleaving its writes. Readers (moat trace, moat alerts) never lock. */

/* Takes the lock: waits up to timeout_s seconds (0: not at all; < 0:
 * forever), calling waiting(ud, who) once when it must wait (who: "moat
 * pid 123, writing since 2026-12-07 12:03:04", from the open run, or
 * "another moat"). Returns 0, or -ETIMEDOUT / -EWOULDBLOCK with the
 * message set. */
int store_lock(struct store *s, int timeout_s, void (*waiting)(void *ud, const char *who), void *ud);

/* Opens a run (the lock held). An open run found in the store was
 * interrupted (its process held the lock and is gone): it is continued
 * instead of a new one opened, and *ret_continued says so. Returns 0 or a
 * negative errno. */
int store_run_open(struct store *s, bool *ret_continued);
/* Paths of the inputs the open run had begun (its cursors): fn is called
 * for each; for deciding whether this run can read them all again. */
int store_run_paths(struct store *s, int (*fn)(void *ud, const char *path), void *ud);
/* Puts the baselines back as the open run found them (in the caller's
 * transaction): the continued run learns again from the same lines. */
int store_run_restore_baselines(struct store *s);
/* Ends the open run (in the caller's last transaction): it forgets where
 * it started each input and the baselines it found. */
int store_run_close(struct store *s);

/* ---- read cursors ----
 *
 * One row per input ever read: its head (the hash of its first line, see
 * source.h), its last path, device and inode (a hint), the mark where it was
 * read to, and, while a run is open, where that run found it (so that an
 * interrupted run can be read again from there). */
struct store_cursor {
	int64_t id; /* 0: not stored yet */
	char *path; /* owned */
	uint8_t head[SOURCE_HASH_LEN];
	uint64_t dev, ino;
	struct source_mark mark;
	bool in_run; /* the open run has advanced it */
	struct source_mark start; /* where the open run found it (offset 0: its start) */
};

/* The cursors with this head: those with the same device and inode
 * first, then the most recently updated first. *ret (caller frees with
 * store_cursors_free) may be NULL when *ret_n is 0. */
int store_cursors_find(struct store *s, const uint8_t head[SOURCE_HASH_LEN], uint64_t dev, uint64_t ino,
		       struct store_cursor **ret, size_t *ret_n);
void store_cursors_free(struct store_cursor *v, size_t n);
/* Saves c (inserting it when c->id is 0: c->id is then set). When the
 * open run had not advanced it yet, where it was becomes the run's start.
 * Returns 0 or a negative errno. */
int store_cursor_save(struct store *s, struct store_cursor *c);

/* Journal cursors (source/journal.h): where a journal stream was read
 * to, as the journal's own cursor text, kept in the same table as the
 * files' (one row per stream name, never mistaken for a file's), saved
 * in the batch that holds the stream's events. */
struct store_journal_cursor {
	int64_t id; /* 0: not stored yet */
	char *cursor; /* owned; NULL: not read yet */
	bool in_run; /* the open run has advanced it */
	char *start; /* owned: where the open run found it; NULL: at the stream's start */
};
/* 1 and *ret when the stream has a cursor, 0 and *ret zeroed when not. */
int store_journal_cursor_get(struct store *s, const char *stream, struct store_journal_cursor *ret);
/* Saves cursor as c's new position (inserting the row when c->id is 0).
 * Returns 0 or a negative errno. */
int store_journal_cursor_save(struct store *s, const char *stream, struct store_journal_cursor *c, const char *cursor);
void store_journal_cursor_clear(struct store_journal_cursor *c);

/* Schema 2's cursors (a hash of a file's first KiB or first line, see
 * source/legacy.c): 1 and the offset and line when fp is known, 0 when
 * not. */
int store_legacy_cursor_get(struct store *s, const char *fp, uint64_t *ret_offset, uint64_t *ret_line);

/* Baselines: an opaque text blob per (host, user), written by detect/.
 * get: 1 and *ret_blob (caller frees) when present, 0 when not. */
int store_baseline_get(struct store *s, const char *host, const char *user, char **ret_blob);
int store_baseline_put(struct store *s, const char *host, const char *user, const char *blob);
/* Visits every stored baseline (for loading all at start). */
int store_baseline_foreach(struct store *s,
			   int (*fn)(void *ud, const char *host, const char *user, const char *blob),
			   void *ud);

/* A stored event handed to query callbacks: strings are NUL-terminated
 * copies valid during the callback ("" when absent). */
struct stored_event {
	int64_t id;
	int64_t time_us;
	const char *host, *program;
	int32_t pid;
	enum event_kind kind;
	enum auth_method method;
	enum account_op acct;
	uint32_t flags;
	const char *user, *target, *source, *source_name;
	uint16_t port;
	const char *key_type, *key_fp, *tty, *command, *detail;
	uint32_t count;
	uint32_t attempts; /* login attempts the line added (the one rule: detect/attempt.h) */
	bool has_attempts; /* attempts was decided when the line was scanned (not so in schema 2 rows) */
	const char *file;
	uint64_t line; /* 0 when not kept (failed logins keep their first and last lines only) */
	bool packed; /* a failed login or pre-auth line, kept packed per source: no pid, port or
		      * line of its own (but for a source's first and last lines of a batch) */
};

struct event_filter {
	const char *user; /* NULL = any */
	const char *source; /* address text; NULL = any */
	const char *host; /* NULL = any */
	int32_t pid; /* -1 = any */
	int64_t since_us, until_us; /* inclusive; INT64_MIN / INT64_MAX = open */
	uint64_t kinds; /* bitmask of 1 << EV_*; 0 = any kind */
};

/* An open filter: any user, source, host, pid, time and kind. */
static inline void event_filter_init(struct event_filter *f)
{
	*f = (struct event_filter){ .pid = -1, .since_us = INT64_MIN, .until_us = INT64_MAX };
}
#define EVENT_KIND_BIT(k) (UINT64_C(1) << (k))

/* Calls fn for each matching event in time order (then insertion order);
 * fn returning < 0 stops the walk and that value is returned; otherwise
 * returns the number of events visited, or a negative errno. The source
 * filter takes an address (any textual form; it is canonicalised) or, when
 * it is not one, the host name sshd logged instead (source_name). fn may
 * call store functions, including another query.
 * Indexed: user (+ time), source (+ time), host + pid with kinds among
 * auth_success/session_open/session_close/disconnect, and time with kinds
 * among sudo_*, su_*, account_change, key_change. Other shapes scan. */
int store_query_events(struct store *s, const struct event_filter *f,
		       int (*fn)(void *ud, const struct stored_event *e), void *ud);

/* The times of the oldest and the newest stored event ("store time": logs
 * scanned from another host or another year have their own clock). Returns
 * 1 and both times, 0 when the store holds no event, or a negative errno.
 * Reads the whole table (no index on time alone): call it once, not per
 * line. */
int store_event_time_range(struct store *s, int64_t *ret_first_us, int64_t *ret_last_us);

/* ---- size and retention ---- */

struct store_stats {
	uint64_t file_bytes; /* the store file and its -wal */
	uint64_t kept_events, kept_segments; /* events kept in full, and their rows */
	uint64_t noise_events, noise_rows; /* failed logins and noise, and their rows */
	uint64_t legacy_events; /* rows of schema 2's events table */
	uint64_t alerts, baselines, cursors, runs;
	uint64_t log_bytes; /* bytes of logs the runs read */
	int64_t first_us, last_us; /* the oldest and newest event (0 when none) */
	bool run_open; /* a run is open: one is writing now, or one was interrupted */
};
int store_get_stats(struct store *s, struct store_stats *ret);

/* What store_prune removed. */
struct store_pruned {
	uint64_t events, alerts, cursors, pages_freed;
};
/* Removes what is older than cutoff_us (events and failed logins by their
 * rows: a row goes when its newest event is older; alerts by their last
 * time; read cursors not used for twice the age), in the caller's
 * transaction, then (outside it) gives free pages back to the file system
 * where the store allows it (see store_vacuum). Returns 0 or a negative
 * errno. */
int store_prune(struct store *s, int64_t cutoff_us, struct store_pruned *ret);
/* The cutoff for keeping max_age_us of store time: the newest event
 * stored minus max_age_us (logs scanned from another host or year keep
 * their own clock), INT64_MIN when the store holds none. */
int store_prune_cutoff(struct store *s, int64_t max_age_us, int64_t *ret_cutoff);
/* Gives the free pages back (incremental vacuum; a full VACUUM when full
 * is true, which rewrites the file). Outside any transaction. */
int store_vacuum(struct store *s, bool full, uint64_t *ret_pages);
/* Adds bytes of logs read to the open run (for the store's size ratio). */
int store_run_add_bytes(struct store *s, uint64_t bytes);

/* ---- stored alerts ---- */

struct stored_alert {
	const char *kind, *severity, *host, *source, *user; /* "" when none */
	int64_t first_us, last_us;
	uint64_t count, evidence_total;
	const char *why_json, *evidence_json; /* JSON arrays, as stored */
};

struct alert_filter {
	int64_t since_us, until_us; /* overlapping [since, until]: INT64_MIN / INT64_MAX = open */
	const char *kind, *user, *source; /* NULL = any (source: the canonical address text) */
	int min_severity; /* enum severity; 0 = any */
	int64_t created_before_us; /* stored (first) before this wall-clock time; 0 = any */
};

/* Calls fn for each stored alert that matches, by first time; fn < 0
 * stops and is returned. Returns the number visited or a negative errno. */
int store_query_alerts(struct store *s, const struct alert_filter *f,
		       int (*fn)(void *ud, const struct stored_alert *a), void *ud);
