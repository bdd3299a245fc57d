/*
 * store runs: one writer at a time (a flock on the store file), and the
 * runs that write, so that an interrupted one can be finished later with
 * the same result as if it had not been (see store.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "store/store-internal.h"

/* Who holds the lock, in words, from the open run (best effort). */
static void holder(struct store *s, char *buf, size_t n)
{
	sqlite3_stmt *st = NULL;
	snprintf(buf, n, "another moat");
	if (sqlite3_prepare_v2(s->db, "SELECT pid, started FROM runs WHERE state = 'open' ORDER BY id DESC LIMIT 1", -1,
			       &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		time_t t = (time_t)(sqlite3_column_int64(st, 1) / 1000000);
		struct tm tm;
		char when[32] = "";
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(buf, n, "moat pid %lld, writing since %s", (long long)sqlite3_column_int64(st, 0), when);
	}
	sqlite3_finalize(st);
}

int store_lock(struct store *s, int timeout_s, void (*waiting)(void *ud, const char *who), void *ud)
{
	struct timespec start, now;
	bool told = false;

	if (s->lock_fd >= 0)
		return 0;
	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	if (strcmp(s->path, ":memory:") == 0 || !s->path[0]) {
		s->lock_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return s->lock_fd < 0 ? store_failf(s, -errno, "/dev/null: %s", strerror(errno)) : 0;
	}
	/* the store file was opened (and checked) by store_open: a second
	 * descriptor of it carries the flock, SQLite's own locks are fcntl
	 * byte ranges and do not meet it */
	int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return store_failf(s, -errno, "cannot lock %s: %s", s->path, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = -errno;
			close(fd);
			return store_failf(s, e, "cannot lock %s: %s", s->path, strerror(-e));
		}
		char who[128];
		holder(s, who, sizeof(who));
		if (timeout_s == 0) {
			close(fd);
			return store_failf(s, -EWOULDBLOCK, "%s is being written by %s", s->path, who);
		}
		if (!told && waiting) {
			waiting(ud, who);
			told = true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_s > 0 && now.tv_sec - start.tv_sec >= timeout_s) {
			close(fd);
			return store_failf(s, -ETIMEDOUT, "%s is still being written by %s after %d s", s->path, who,
					   timeout_s);
		}
		struct timespec pause = { 0, 100 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	s->lock_fd = fd;
	return 0;
}

static int exec_bind(struct store *s, const char *sql, int64_t a, int64_t b, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		int n = sqlite3_bind_parameter_count(st);
		if (n >= 1)
			(void)sqlite3_bind_int64(st, 1, a);
		if (n >= 2)
			(void)sqlite3_bind_int64(st, 2, b);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, rc, what);
	return 0;
}

int store_run_open(struct store *s, bool *ret_continued)
{
	sqlite3_stmt *st = NULL;
	int64_t open_id = 0;
	int r, rc;

	if (s->lock_fd < 0)
		return store_failf(s, -ENOLCK, "a run needs the store's lock");
	r = store_begin(s);
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(s->db, "SELECT id FROM runs WHERE state = 'open' ORDER BY id DESC LIMIT 1", -1, &st,
				NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			open_id = sqlite3_column_int64(st, 0);
			rc = SQLITE_DONE;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, "cannot read the runs");
		goto fail;
	}
	if (open_id) {
		/* we hold the lock: the process of that run is gone */
		r = exec_bind(s, "UPDATE runs SET pid = ?1 WHERE id = ?2", (int64_t)getpid(), open_id,
			      "cannot continue the interrupted run");
		if (r < 0)
			goto fail;
		/* (older open runs cannot exist: each one closes or is continued) */
		s->run_id = open_id;
	} else {
		r = exec_bind(s, "INSERT INTO runs (pid, started, state) VALUES (?1, ?2, 'open')", (int64_t)getpid(),
			      store_now_us(), "cannot record the run");
		if (r < 0)
			goto fail;
		s->run_id = sqlite3_last_insert_rowid(s->db);
		r = store_exec(s, "DELETE FROM run_baselines");
		if (r < 0)
			goto fail;
	}
	r = store_commit(s);
	if (r < 0) {
		s->run_id = 0;
		return r;
	}
	*ret_continued = open_id != 0;
	return 0;
fail:
	store_rollback(s);
	s->run_id = 0;
	return r;
}

int store_run_paths(struct store *s, int (*fn)(void *ud, const char *path), void *ud)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;
	rc = sqlite3_prepare_v2(s->db, "SELECT path FROM cursors WHERE run_id = ?1 ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot read the read cursors");
	(void)sqlite3_bind_int64(st, 1, s->run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(st, 0);
		r = fn(ud, p ? (const char *)p : "");
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "cannot read the read cursors");
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}

int store_run_restore_baselines(struct store *s)
{
	int r = exec_bind(s,
			  "DELETE FROM baselines WHERE EXISTS (SELECT 1 FROM run_baselines r"
			  " WHERE r.host = baselines.host AND r.user = baselines.user)",
			  0, 0, "cannot restore the baselines");
	if (r < 0)
		return r;
	return exec_bind(s,
			 "INSERT INTO baselines (host, user, blob, updated)"
			 " SELECT host, user, blob, ?1 FROM run_baselines WHERE blob IS NOT NULL",
			 store_now_us(), 0, "cannot restore the baselines");
}

int store_run_close(struct store *s)
{
	int r;
	if (!s->run_id)
		return 0;
	r = exec_bind(s, "UPDATE runs SET state = 'done', ended = ?1 WHERE id = ?2", store_now_us(), s->run_id,
		      "cannot close the run");
	if (r >= 0)
		r = store_exec(s, "DELETE FROM run_baselines");
	if (r >= 0)
		r = exec_bind(s, "UPDATE cursors SET run_id = NULL, run_start = NULL WHERE run_id = ?1", s->run_id, 0,
			      "cannot close the run");
	return r;
}
