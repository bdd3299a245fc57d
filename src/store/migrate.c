/*
 * migrate: the schema, versioned with PRAGMA user_version.
 *
 * An empty file gets the current schema and its version in one
 * transaction, so a crash leaves it empty or complete, never in between.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "store/store-internal.h"

/* PRAGMA application_id: "moat" in ASCII, so `file` and moat itself can
 * tell a moat store from any other SQLite file. */
#define STORE_APPLICATION_ID 0x6d6f6174 /* = 1836015988, as written below */

#define EVENTS_TABLE_SQL                                                                       \
	"CREATE TABLE events ("                                                                \
	"  id INTEGER PRIMARY KEY,"                                                            \
	"  time_us INTEGER NOT NULL,"                                                          \
	"  host_id INTEGER REFERENCES names(id),"                                              \
	"  program_id INTEGER REFERENCES names(id),"                                           \
	"  pid INTEGER NOT NULL,"                                                              \
	"  kind TEXT NOT NULL,"                                                                \
	"  method TEXT,"                                                                       \
	"  acct TEXT,"                                                                         \
	"  flags INTEGER NOT NULL,"                                                            \
	"  user_id INTEGER REFERENCES names(id),"                                               \
	"  target TEXT,"                                                                       \
	"  source_id INTEGER,"                                                                 \
	"  source_name_id INTEGER REFERENCES names(id),"                                       \
	"  port INTEGER NOT NULL,"                                                             \
	"  key_type TEXT,"                                                                     \
	"  key_fp TEXT,"                                                                       \
	"  tty TEXT,"                                                                          \
	"  command TEXT,"                                                                      \
	"  detail TEXT,"                                                                       \
	"  count INTEGER NOT NULL,"                                                            \
	"  file_id INTEGER REFERENCES files(id),"                                              \
	"  line INTEGER NOT NULL,"                                                             \
	"  offset INTEGER NOT NULL,"                                                           \
	"  class INTEGER," /* STORE_CLASS_*, NULL for the rest */                              \
	"  attempts INTEGER);"

#define EVENTS_INDEXES_SQL                                                                     \
	"CREATE INDEX events_user_time ON events (user_id, time_us) WHERE user_id IS NOT NULL;"  \
	"CREATE INDEX events_source_time ON events (source_id, time_us) WHERE source_id IS NOT NULL;" \
	"CREATE INDEX events_source_name_time ON events (source_name_id, time_us)"               \
	"  WHERE source_name_id IS NOT NULL;"                                                    \
	"CREATE INDEX events_host_pid_time ON events (host_id, pid, time_us) WHERE class = 1;"   \
	"CREATE INDEX events_privileged_time ON events (time_us) WHERE class = 2;"

/* segments: events kept in full, packed per (host, user) (store/pack.h);
 * segment_sources: which of them hold a line naming a source. noise: failed
 * logins and pre-auth lines, a block per source in rows per bucket of
 * sources (store/noise.c); noise_users: the same attempts by account and
 * UTC day (counts, which sources: store/segments.c). */
#define TRIES_TABLES_SQL                                                                       \
	"CREATE TABLE segments ("                                                              \
	"  id INTEGER PRIMARY KEY,"                                                            \
	"  host_id INTEGER NOT NULL,"                                                          \
	"  user_id INTEGER NOT NULL," /* 0: lines that name no user */                         \
	"  first_us INTEGER NOT NULL,"                                                         \
	"  last_us INTEGER NOT NULL,"                                                          \
	"  n INTEGER NOT NULL,"                                                                \
	"  data BLOB NOT NULL);"                                                               \
	"CREATE INDEX segments_user ON segments (user_id, last_us);"                            \
	"CREATE INDEX segments_last ON segments (last_us);"                                     \
	"CREATE TABLE segment_sources ("                                                       \
	"  source_id INTEGER NOT NULL,"                                                        \
	"  segment_id INTEGER NOT NULL,"                                                       \
	"  PRIMARY KEY (source_id, segment_id)) WITHOUT ROWID;"                                 \
	"CREATE TABLE noise ("                                                                 \
	"  id INTEGER PRIMARY KEY," /* in the order written; numbers its events for queries */ \
	"  bucket INTEGER NOT NULL," /* of the sources (store/noise.c) */                       \
	"  host_id INTEGER NOT NULL,"                                                          \
	"  first_us INTEGER NOT NULL,"                                                         \
	"  last_us INTEGER NOT NULL,"                                                          \
	"  n INTEGER NOT NULL,"                                                                \
	"  attempts INTEGER NOT NULL,"                                                         \
	"  data BLOB NOT NULL);" /* a block per source (noise.c) */                             \
	"CREATE INDEX noise_bucket ON noise (bucket, host_id, first_us);"                       \
	"CREATE INDEX noise_last ON noise (last_us);"                                           \
	"CREATE TABLE noise_users ("                                                           \
	"  host_id INTEGER NOT NULL,"                                                          \
	"  first_us INTEGER NOT NULL,"                                                         \
	"  part INTEGER NOT NULL,"                                                             \
	"  last_us INTEGER NOT NULL,"                                                          \
	"  data BLOB NOT NULL," /* the accounts of a flush (store/noise.c) */                   \
	"  PRIMARY KEY (host_id, first_us, part)) WITHOUT ROWID;"

/* runs: one scan (or watch) at a time writes (store_lock); an open run
 * that no process holds was interrupted. cursors: where each input was
 * read to (struct source_mark, packed), and where the open run found it.
 * run_baselines: the baselines as the open run found them (copied before
 * its first change of each). meta: settings of this store. */
#define RUNS_TABLES_SQL                                                                        \
	"CREATE TABLE runs ("                                                                  \
	"  id INTEGER PRIMARY KEY,"                                                            \
	"  pid INTEGER NOT NULL,"                                                              \
	"  started INTEGER NOT NULL,"                                                          \
	"  ended INTEGER,"                                                                     \
	"  bytes INTEGER NOT NULL DEFAULT 0," /* of logs read (decompressed) */                \
	"  state TEXT NOT NULL);" /* 'open' or 'done' */                                       \
	"CREATE TABLE cursors ("                                                               \
	"  id INTEGER PRIMARY KEY,"                                                            \
	"  head BLOB NOT NULL,"                                                                \
	"  path TEXT NOT NULL,"                                                                \
	"  dev INTEGER NOT NULL,"                                                              \
	"  ino INTEGER NOT NULL,"                                                              \
	"  mark BLOB NOT NULL,"                                                                \
	"  run_id INTEGER,"                                                                    \
	"  run_start BLOB,"                                                                    \
	"  updated INTEGER NOT NULL);"                                                         \
	"CREATE INDEX cursors_head ON cursors (head);"                                          \
	"CREATE TABLE run_baselines ("                                                         \
	"  host TEXT NOT NULL,"                                                                \
	"  user TEXT NOT NULL,"                                                                \
	"  blob TEXT," /* NULL: it did not exist */                                            \
	"  PRIMARY KEY (host, user));"                                                         \
	"CREATE TABLE meta ("                                                                  \
	"  key TEXT PRIMARY KEY,"                                                              \
	"  value NOT NULL);"

/* The schema of an empty file, created in one step at the current
 * version. Schema 1 (text keys in events) was only ever written by
 * development builds: such files are refused with a word on what to do
 * (see read_version), not migrated. */
static const char schema_sql[] =
	"PRAGMA application_id = 1836015988;"
	"CREATE TABLE files ("
	"  id INTEGER PRIMARY KEY,"
	"  path TEXT NOT NULL UNIQUE);"
	/* Host, program, user and source text (address or host name), each
	 * stored once: events hold their ids, so the indexes on events compare
	 * integers and stay small. value is TEXT, or a BLOB for text that held
	 * a NUL byte; never empty (empty text is a NULL id in events). */
	"CREATE TABLE names ("
	"  id INTEGER PRIMARY KEY,"
	"  value NOT NULL UNIQUE);"
	/* One row per event kept in full: what a login session tells (login,
	 * session, logind, logout) and every privileged or account event (see
	 * store.h). Text columns are NULL when empty; kind, method and acct hold
	 * the stable names of core/event.c. source_id is an IPv4 address itself
	 * as -1 - (the address as a 32-bit number), or (IPv6) the names id of
	 * the canonical address text. */
	EVENTS_TABLE_SQL
	/* Trace queries: a user's and a source's timeline; a connection's
	 * login, session and logout lines by host and pid; privileged actions
	 * by time. */
	EVENTS_INDEXES_SQL
	/* Failed logins and pre-authentication noise, one row per source (and
	 * host) and episode segment: see store/tries.c for the packed columns. */
	TRIES_TABLES_SQL
	/* Alerts are unique per (kind, host, source, user, first_us): storing
	 * the same alert again (re-scan) updates, never duplicates. Key columns
	 * hold '' rather than NULL because NULLs are all distinct in UNIQUE. */
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  first_us INTEGER NOT NULL,"
	"  last_us INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  why TEXT NOT NULL,"           /* JSON array of sentences */
	"  evidence BLOB NOT NULL,"      /* packed (store/alerts.c); schema 2: JSON text */
	"  evidence_total INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  UNIQUE (kind, host, source, user, first_us));"
	"CREATE INDEX alerts_last ON alerts (last_us);"
	"CREATE TABLE baselines ("
	"  host TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  blob TEXT NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY (host, user));"
	RUNS_TABLES_SQL
	"CREATE TABLE legacy_cursors ("
	"  fingerprint TEXT PRIMARY KEY,"
	"  path TEXT NOT NULL,"
	"  offset INTEGER NOT NULL,"
	"  line INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);";

/* Schema 6 over schema 2: events gain attempts; noise goes to the tries
 * tables from now on (the rows already stored stay where they are: the
 * queries read both); the read cursors of schema 2 (a hash of a file's
 * first KiB) are kept as legacy_cursors, still honoured until each file
 * is read again and gets a cursor of schema 6. */
static const char migrate_2_6_sql[] =
	"ALTER TABLE events ADD COLUMN attempts INTEGER;"
	"ALTER TABLE cursors RENAME TO legacy_cursors;"
	TRIES_TABLES_SQL
	RUNS_TABLES_SQL;

/* Files at a schema older than this were written by development builds
 * (see schema_sql). When a released schema changes, migrations from
 * STORE_FIRST_SCHEMA on go here, each in its own transaction with the
 * version bump; never edit a shipped one. */
#define STORE_FIRST_SCHEMA 2
/* Schemas 3 to 5 were never released: development builds wrote them
 * (their noise rows are packed or kept otherwise), and they are refused
 * as schema 1 is. */
#define STORE_DEV_SCHEMA(v) ((v) >= 3 && (v) <= 5)
static const struct {
	int to;
	const char *sql;
} migrations[] = {
	{ 6, migrate_2_6_sql },
};
_Static_assert(STORE_SCHEMA_VERSION == 6, "a schema change needs a migration here");

_Static_assert(STORE_CLASS_SESSION == 1 && STORE_CLASS_PRIVILEGED == 2, "the indexes above say 1 and 2");

static int pragma_int(struct store *s, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*ret = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, s->path);
	return 0;
}

static int take_error(struct store *s, int r, char **ret_err)
{
	if (ret_err) {
		free(*ret_err);
		*ret_err = s->last_error ? strdup(s->last_error) : NULL;
	}
	return r;
}

/* Reads version and application id, and says whether the file is a moat
 * store this binary understands. Returns the version or a negative errno. */
static int read_version(struct store *s, char **ret_err)
{
	int64_t version = 0, app = 0, n_tables = 0;
	int r;

	r = pragma_int(s, "PRAGMA user_version", &version);
	if (r < 0) {
		if (r == -EBADMSG)
			(void)store_failf(s, r, "%s is not a moat store, or it is corrupt (%s)", s->path,
					  s->last_error);
		return take_error(s, r, ret_err);
	}
	r = pragma_int(s, "PRAGMA application_id", &app);
	if (r < 0)
		return take_error(s, r, ret_err);
	r = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &n_tables);
	if (r < 0)
		return take_error(s, r, ret_err);

	if (app != STORE_APPLICATION_ID && (version != 0 || n_tables != 0 || app != 0)) {
		r = store_failf(s, -EBADMSG, "%s is an SQLite file but not a moat store (application_id %lld)",
				s->path, (long long)app);
		return take_error(s, r, ret_err);
	}
	int64_t n_code = 0;
	r = pragma_int(s, "SELECT count(*) FROM sqlite_schema WHERE type IN ('trigger', 'view')", &n_code);
	if (r < 0)
		return take_error(s, r, ret_err);
	if (n_code > 0) {
		/* moat never makes either: someone else changed this file */
		r = store_failf(s, -EBADMSG,
				"%s holds triggers or views that moat never makes: not used (someone else changed "
				"it; inspect it with sqlite3, or use another --db)",
				s->path);
		return take_error(s, r, ret_err);
	}
	if (version > STORE_SCHEMA_VERSION) {
		r = store_failf(s, -EPROTONOSUPPORT,
				"%s has schema version %lld, newer than this moat understands (%d): "
				"upgrade moat or use another --db",
				s->path, (long long)version, STORE_SCHEMA_VERSION);
		return take_error(s, r, ret_err);
	}
	if ((version > 0 && version < STORE_FIRST_SCHEMA) || STORE_DEV_SCHEMA(version)) {
		r = store_failf(s, -EPROTONOSUPPORT,
				"store schema %lld is from a development build; remove %s (and its -wal and -shm "
				"files) and scan again",
				(long long)version, s->path);
		return take_error(s, r, ret_err);
	}
	return (int)version;
}

/* Brings a store at schema version `from` to the current one: each step
 * in one transaction with its version bump, so a crash leaves the file at
 * one version or the next. */
static int migrate_forward(struct store *s, int from, char **ret_err)
{
	for (size_t i = 0; i < ELEMENTSOF(migrations); i++) {
		char bump[64];
		int64_t now;
		int r;
		if (migrations[i].to <= from)
			continue;
		r = store_exec(s, "BEGIN IMMEDIATE");
		if (r >= 0)
			r = pragma_int(s, "PRAGMA user_version", &now);
		if (r >= 0 && now >= migrations[i].to) {
			/* another moat did it while we waited */
			(void)store_exec(s, "ROLLBACK");
			continue;
		}
		if (r >= 0)
			r = store_exec(s, migrations[i].sql);
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", migrations[i].to);
		if (r >= 0)
			r = store_exec(s, bump);
		if (r >= 0)
			r = store_exec(s, "COMMIT");
		if (r < 0) {
			(void)store_failf(s, r, "cannot upgrade %s to schema %d: %s", s->path, migrations[i].to,
					  s->last_error);
			(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return take_error(s, r, ret_err);
		}
	}
	return 0;
}

int store_migrate(struct store *s, char **ret_err)
{
	int version = read_version(s, ret_err);
	if (version < 0)
		return version;
	if (version > 0 && version < STORE_SCHEMA_VERSION)
		return migrate_forward(s, version, ret_err);
	if (version != 0)
		return 0;

	char bump[64];
	int64_t now;
	int r = store_exec(s, "BEGIN IMMEDIATE");
	if (r < 0) {
		(void)store_failf(s, r, "cannot create the schema in %s: %s", s->path, s->last_error);
		return take_error(s, r, ret_err);
	}
	/* Someone else may have created it while we waited for the lock. */
	r = pragma_int(s, "PRAGMA user_version", &now);
	if (r >= 0 && now != 0) {
		(void)store_exec(s, "ROLLBACK");
		version = read_version(s, ret_err);
		return version < 0 ? version : 0;
	}
	if (r >= 0)
		r = store_exec(s, schema_sql);
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (r >= 0)
		r = store_exec(s, bump);
	if (r >= 0)
		r = store_exec(s, "COMMIT");
	if (r < 0) {
		(void)store_failf(s, r, "cannot create the schema in %s: %s", s->path, s->last_error);
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return take_error(s, r, ret_err);
	}
	return 0;
}

int store_check_schema(struct store *s, char **ret_err)
{
	int version = read_version(s, ret_err);
	if (version < 0)
		return version;
	if (version < STORE_SCHEMA_VERSION) {
		int r = store_failf(s, -EPROTO,
				    version == 0 ? "%s is empty: no events stored yet (scan logs first: moat scan)"
						 : "%s has an older schema: run 'moat scan' once to upgrade it",
				    s->path);
		return take_error(s, r, ret_err);
	}
	return 0;
}
