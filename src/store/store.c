/* store: opening, closing, transactions, statements and errors. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/safefile.h"
#include "store/store-internal.h"

/* How long a writer waits for another moat holding the lock. */
#define STORE_BUSY_TIMEOUT_MS 10000

static const char *const stmt_sql[STMT_MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_EVENT_INSERT] =
		"INSERT INTO events (time_us, host_id, program_id, pid, kind, method, acct, flags, user_id,"
		" target, source_id, source_name_id, port, key_type, key_fp, tty, command, detail, count, file_id, line,"
		" offset, class) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		" ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
	[STMT_FILE_FIND] = "SELECT id FROM files WHERE path = ?1",
	[STMT_FILE_INSERT] = "INSERT INTO files (path) VALUES (?1)",
	[STMT_NAME_FIND] = "SELECT id FROM names WHERE value = ?1",
	[STMT_NAME_INSERT] = "INSERT INTO names (value) VALUES (?1) ON CONFLICT (value) DO NOTHING",
	[STMT_ALERT_INSERT] =
		"INSERT OR IGNORE INTO alerts (kind, severity, host, source, user, first_us, last_us,"
		" count, why, evidence, evidence_total, created, updated)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
	/* A repeat only refreshes the row when it has seen more. */
	[STMT_ALERT_UPDATE] =
		"UPDATE alerts SET severity = ?2, last_us = ?7, count = ?8, why = ?9, evidence = ?10,"
		" evidence_total = ?11, updated = ?12"
		" WHERE kind = ?1 AND host = ?3 AND source = ?4 AND user = ?5 AND first_us = ?6"
		" AND (?7 > last_us OR ?8 > count)",
	/* the same file first (a hint: inodes are reused), then the newest */
	[STMT_CURSOR_FIND] = "SELECT id, path, dev, ino, mark, run_id, run_start FROM cursors WHERE head = ?1"
			     " ORDER BY (dev = ?2 AND ino = ?3) DESC, updated DESC, id DESC LIMIT 64",
	[STMT_CURSOR_INSERT] = "INSERT INTO cursors (path, dev, ino, mark, updated, run_id, head)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* the right-hand sides see the old row: the first advance of a run
	 * keeps where it found the input */
	[STMT_CURSOR_UPDATE] = "UPDATE cursors SET run_start = CASE WHEN run_id IS ?6 THEN run_start ELSE mark END,"
			       " run_id = ?6, path = ?1, dev = ?2, ino = ?3, mark = ?4, updated = ?5 WHERE id = ?7",
	[STMT_LEGACY_CURSOR_GET] = "SELECT offset, line FROM legacy_cursors WHERE fingerprint = ?1",
	[STMT_BASELINE_GET] = "SELECT blob FROM baselines WHERE host = ?1 AND user = ?2",
	[STMT_BASELINE_PUT] =
		"INSERT INTO baselines (host, user, blob, updated) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (host, user) DO UPDATE SET blob = excluded.blob, updated = excluded.updated",
	/* before a run first changes a baseline: how it found it (NULL: none) */
	[STMT_BASELINE_SNAPSHOT] = "INSERT OR IGNORE INTO run_baselines (host, user, blob)"
				   " VALUES (?1, ?2, (SELECT blob FROM baselines WHERE host = ?1 AND user = ?2))",
	[STMT_NOISE_INSERT] = "INSERT INTO noise (bucket, host_id, first_us, last_us, n, attempts, data, id)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_SEGMENT_INSERT] = "INSERT INTO segments (host_id, user_id, first_us, last_us, n, data)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_SEGMENT_UPDATE] = "UPDATE segments SET host_id = ?1, user_id = ?2, first_us = ?3, last_us = ?4, n = ?5,"
				" data = ?6 WHERE id = ?7",
	[STMT_SEGMENT_SOURCE] = "INSERT OR IGNORE INTO segment_sources (source_id, segment_id) VALUES (?1, ?2)",
	[STMT_NOISE_USER_INSERT] = "INSERT INTO noise_users (host_id, first_us, part, last_us, data)"
				   " VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_NAME_VALUE] = "SELECT value FROM names WHERE id = ?1",
	[STMT_FILE_PATH] = "SELECT path FROM files WHERE id = ?1",
	[STMT_BASELINE_ALL] = "SELECT host, user, blob FROM baselines ORDER BY host, user",
};

int store_errno_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	case SQLITE_PROTOCOL:
		return -EPROTO;
	case SQLITE_INTERRUPT:
	case SQLITE_ABORT:
		return -ECANCELED;
	default:
		return -EIO;
	}
}

static void set_error(struct store *s, char *msg)
{
	free(s->last_error);
	s->last_error = msg;
}

int store_failf(struct store *s, int r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	set_error(s, m);
	return r;
}

int store_fail(struct store *s, int rc, const char *what)
{
	int r = store_errno_from_sqlite(rc);
	int sys = s->db ? sqlite3_system_errno(s->db) : 0;
	/* Where the OS said why (EACCES, ENOSPC, EIO …), that is the better errno. */
	if (sys > 0 && ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR))
		r = -sys;
	if (r == 0)
		r = -EIO;
	return store_failf(s, r, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int store_stmt(struct store *s, enum store_stmt_id id, sqlite3_stmt **ret)
{
	if (!s->stmt[id]) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
					    NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, "cannot prepare a statement");
	}
	*ret = s->stmt[id];
	return 0;
}

int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		int r = store_errno_from_sqlite(rc);
		(void)store_failf(s, r ? r : -EIO, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return r ? r : -EIO;
	}
	return 0;
}

/* Longest text bound per column: lines are capped long before this, but a
 * caller could hand anything. */
#define STORE_TEXT_MAX (1u << 20)

static int bind_sv(sqlite3_stmt *st, int idx, struct sv v, bool null_if_empty)
{
	int n;
	if (v.n == 0 || !v.p)
		return null_if_empty ? sqlite3_bind_null(st, idx) : sqlite3_bind_text(st, idx, "", 0, SQLITE_STATIC);
	n = (int)MIN(v.n, (size_t)STORE_TEXT_MAX);
	/* SQLITE_STATIC: every statement is stepped and reset before the
	 * caller's buffer can change. */
	if (memchr(v.p, '\0', (size_t)n))
		return sqlite3_bind_blob(st, idx, v.p, n, SQLITE_STATIC);
	return sqlite3_bind_text(st, idx, v.p, n, SQLITE_STATIC);
}

int store_bind_sv(sqlite3_stmt *st, int idx, struct sv v)
{
	return bind_sv(st, idx, v, true);
}

int store_bind_sv_notnull(sqlite3_stmt *st, int idx, struct sv v)
{
	return bind_sv(st, idx, v, false);
}

int64_t store_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- the default path ------------------------------------------------ */

static char *join(const char *a, const char *b)
{
	char *r = NULL;
	if (asprintf(&r, "%s%s", a, b) < 0)
		return NULL;
	return r;
}

char *store_default_path(void)
{
	const char *e = getenv("MOAT_DB");
	if (e && *e)
		return strdup(e);
	if (geteuid() == 0)
		return strdup("/var/lib/moat/moat.db");
	e = getenv("XDG_STATE_HOME");
	/* The XDG spec: a relative value is invalid and must be ignored. */
	if (e && e[0] == '/')
		return join(e, "/moat/moat.db");
	e = getenv("HOME");
	if (!e || e[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());
		e = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	if (!e)
		return strdup("moat.db");
	return join(e, "/.local/state/moat/moat.db");
}

/* mkdir -p of path's parent, new directories 0700 (the store holds who
 * logged in from where: not for other users' eyes). */
static int make_parents(const char *path)
{
	_cleanup_free_ char *p = strdup(path);
	char *slash;
	if (!p)
		return -ENOMEM;
	slash = strrchr(p, '/');
	if (!slash || slash == p)
		return 0;
	*slash = '\0';
	for (char *q = p + 1; ; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*q = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* --- open and close -------------------------------------------------- */

static bool is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0 || path[0] == '\0';
}

static int open_fail(struct store *s, int r, char **ret_err)
{
	if (ret_err) {
		*ret_err = s->last_error;
		s->last_error = NULL;
	}
	store_free(s);
	return r;
}

/* "file:PATH?immutable=1", PATH percent-encoded where URIs need it. */
static char *immutable_uri(const char *path)
{
	static const char suffix[] = "?immutable=1";
	size_t n = strlen(path), size = n * 3 + sizeof("file:") + sizeof(suffix), w = 0;
	char *u = malloc(size);
	if (!u)
		return NULL;
	memcpy(u, "file:", 5);
	w = 5;
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#') {
			snprintf(u + w, size - w, "%%%02X", (unsigned char)*p);
			w += 3;
		} else {
			u[w++] = *p;
		}
	}
	memcpy(u + w, suffix, sizeof(suffix));
	return u;
}

/* A reader that may not create the -shm file next to a WAL store (say, an
 * admin in the store's group) cannot open it the normal way. When no -wal
 * file exists, everything committed is in the main file: read that as an
 * immutable snapshot. */
static bool reopen_immutable(struct store *s)
{
	_cleanup_free_ char *wal = NULL, *uri = NULL;
	if (asprintf(&wal, "%s-wal", s->path) < 0)
		return false;
	if (access(wal, F_OK) == 0 || errno != ENOENT)
		return false;
	uri = immutable_uri(s->path);
	if (!uri)
		return false;
	for (size_t i = 0; i < STMT_MAX; i++)
		s->stmt[i] = (sqlite3_finalize(s->stmt[i]), NULL);
	(void)sqlite3_close_v2(s->db);
	s->db = NULL;
	return sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) ==
	       SQLITE_OK;
}

static int open_common(const char *path, bool readonly, struct store **ret, char **ret_err)
{
	struct store *s;
	int rc, r, flags;

	if (ret_err)
		*ret_err = NULL;
	if (!path)
		return -EINVAL;
	/* No heap statistics: SQLite would take a global mutex and count on
	 * every allocation, several for each event stored (-4% on a scan
	 * that stores every event). Only possible before SQLite initialises
	 * itself (the first open); later calls change nothing. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return -ENOMEM;
	}
	s->readonly = readonly;
	s->lock_fd = -1;
	s->legacy_events = -1;

	if (readonly && !is_memory(path)) {
		if (access(path, R_OK) < 0) {
			r = -errno;
			if (r == -ENOENT)
				return open_fail(s, store_failf(s, r, "no store at %s", path), ret_err);
			return open_fail(s, store_failf(s, r, "cannot read %s: %s", path, strerror(-r)), ret_err);
		}
	} else if (!is_memory(path)) {
		r = make_parents(path);
		if (r < 0)
			return open_fail(s, store_failf(s, r, "cannot create the directory of %s: %s", path,
							strerror(-r)),
					 ret_err);
		/* Create it 0600 ourselves (SQLite would use 0644 & ~umask), and
		 * the -wal and -shm files SQLite opens beside it: in a directory
		 * other users can write, none of them may be a link they planted
		 * or a file they own (see core/safefile.h). */
		static const char *const suffix[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < ELEMENTSOF(suffix); i++) {
			_cleanup_free_ char *p = NULL, *why = NULL;
			if (asprintf(&p, "%s%s", path, suffix[i]) < 0)
				return open_fail(s, store_failf(s, -ENOMEM, "out of memory"), ret_err);
			int fd = safe_open(p, O_RDWR | O_CREAT, 0600, &why);
			if (fd < 0) {
				r = fd;
				if ((r == -EACCES || r == -EROFS) && i == 0 && access(path, R_OK) == 0)
					return open_fail(s, store_failf(s, -EROFS,
									"%s is read-only for this user (%s): "
									"cannot record anything",
									path, strerror(-r)),
							 ret_err);
				return open_fail(s, store_failf(s, r, "cannot open the store: %s",
								why ? why : strerror(-r)),
						 ret_err);
			}
			close(fd);
		}
	}

	flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
		SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	rc = sqlite3_open_v2(is_memory(path) ? ":memory:" : path, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return open_fail(s, store_fail(s, rc, path), ret_err);
	(void)sqlite3_extended_result_codes(s->db, 1);
	(void)sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	/* A store is data, never code: no schema-defined function or view runs
	 * with moat's privileges, and writes cannot corrupt the file format
	 * (SQLITE_DBCONFIG_DEFENSIVE). Triggers and views are refused below. */
	(void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	(void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (!readonly && sqlite3_db_readonly(s->db, "main") == 1)
		return open_fail(s, store_failf(s, -EROFS, "%s is read-only: cannot record anything", path), ret_err);

	if (readonly) {
		r = store_check_schema(s, ret_err);
		if (r == -EROFS && !is_memory(path) && reopen_immutable(s)) {
			if (ret_err) {
				free(*ret_err);
				*ret_err = NULL;
			}
			r = store_check_schema(s, ret_err);
		}
		if (r < 0)
			return open_fail(s, r, NULL);
	} else {
		/* 16 KiB pages (for a new file; an existing one keeps its own):
		 * the events indexes take random keys, and bigger pages mean
		 * fewer levels and splits per insert (about 15% of the cost of
		 * recording an event, measured on a 1.1M-event scan). */
		/* WAL: readers (moat trace) and the writer (moat scan) do not
		 * block each other; NORMAL sync is durable across crashes of
		 * moat, and loses at most the last commit on power loss. */
		/* auto_vacuum: pruning gives pages back to the file system
		 * (store_prune; a new file only, before its first table) */
		r = store_exec(s, "PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL;"
				  " PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				  " PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;"
				  " PRAGMA cache_size = -32768");
		if (r < 0) {
			(void)store_failf(s, r, "cannot open %s: %s%s", path, s->last_error ? s->last_error : "",
					  r == -EBADMSG ? " (not a moat store, or corrupt)" : "");
			return open_fail(s, r, ret_err);
		}
		r = store_migrate(s, ret_err);
		if (r < 0)
			return open_fail(s, r, NULL);
	}
	*ret = s;
	return 0;
}

int store_open(const char *path, struct store **ret, char **ret_err)
{
	return open_common(path, false, ret, ret_err);
}

int store_open_readonly(const char *path, struct store **ret, char **ret_err)
{
	return open_common(path, true, ret, ret_err);
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	if (s->db && s->tx_depth > 0 && !s->readonly) {
		/* A batch never committed is not half kept: the store stays as
		 * after the last commit (the caller stopped for a reason). */
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	store_segments_forget(s);
	store_noise_forget(s);
	for (size_t i = 0; i < STMT_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	for (size_t i = 0; i < STORE_QUERY_SHAPES; i++)
		sqlite3_finalize(s->query[i]);
	if (s->db)
		(void)sqlite3_close_v2(s->db);
	free(s->path);
	free(s->last_file);
	free(s->last_error);
	store_names_free(s);
	free(s);
	return NULL;
}

const char *store_last_error(const struct store *s)
{
	return s && s->last_error ? s->last_error : "";
}

const char *store_path(const struct store *s)
{
	return s->path;
}

/* --- transactions ---------------------------------------------------- */

static int step_done(struct store *s, enum store_stmt_id id, const char *what)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, id, &st);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, what);
	return 0;
}

int store_begin(struct store *s)
{
	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	if (s->tx_depth++ > 0)
		return 0;
	int r = step_done(s, STMT_BEGIN, "cannot start a transaction");
	if (r < 0)
		s->tx_depth = 0;
	return r;
}

int store_table_nonempty(struct store *s, const char *table)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1", table);
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(s, rc, "cannot read the store");
}

void store_rollback(struct store *s)
{
	if (s->tx_depth == 0)
		return;
	s->tx_depth = 0;
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)step_done(s, STMT_ROLLBACK, "cannot roll back");
	/* ids handed out in the abandoned transaction are gone with it, and
	 * so are the segments' rows it wrote */
	store_names_clear(s);
	store_segments_forget(s);
	store_noise_forget(s);
	free(s->last_file);
	s->last_file = NULL;
}

int store_commit(struct store *s)
{
	if (s->tx_depth == 0)
		return store_failf(s, -EINVAL, "commit without a transaction");
	if (--s->tx_depth > 0)
		return 0;
	/* the segments' rows first: a commit holds every event added */
	int r = store_noise_flush(s);
	if (r >= 0)
		r = store_segments_flush(s);
	if (r >= 0)
		r = step_done(s, STMT_COMMIT, "cannot commit");
	if (r < 0) {
		_cleanup_free_ char *why = s->last_error ? strdup(s->last_error) : NULL;
		s->tx_depth = 1;
		store_rollback(s);
		if (why) {
			free(s->last_error);
			s->last_error = TAKE_PTR(why);
		}
	}
	return r;
}
