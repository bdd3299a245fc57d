/* store state: per-(host, user) baselines. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

int store_baseline_get(struct store *s, const char *host, const char *user, char **ret_blob)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, STMT_BASELINE_GET, &st);
	if (r < 0)
		return r;
	(void)store_bind_sv_notnull(st, 1, sv_cstr(host));
	(void)store_bind_sv_notnull(st, 2, sv_cstr(user));
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		char *b = strdup(t ? (const char *)t : "");
		if (!b) {
			r = store_failf(s, -ENOMEM, "out of memory");
		} else {
			*ret_blob = b;
			r = 1;
		}
	} else if (rc == SQLITE_DONE) {
		r = 0;
	} else {
		r = store_fail(s, rc, "cannot read a baseline");
	}
	(void)sqlite3_reset(st);
	return r;
}

int store_baseline_put(struct store *s, const char *host, const char *user, const char *blob)
{
	sqlite3_stmt *st;
	int r;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	if (s->run_id) {
		/* an interrupted run is continued from the baselines it found */
		r = store_stmt(s, STMT_BASELINE_SNAPSHOT, &st);
		if (r < 0)
			return r;
		(void)store_bind_sv_notnull(st, 1, sv_cstr(host));
		(void)store_bind_sv_notnull(st, 2, sv_cstr(user));
		int rc = sqlite3_step(st);
		(void)sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc, "cannot keep a baseline for the run");
	}
	r = store_stmt(s, STMT_BASELINE_PUT, &st);
	if (r < 0)
		return r;
	(void)store_bind_sv_notnull(st, 1, sv_cstr(host));
	(void)store_bind_sv_notnull(st, 2, sv_cstr(user));
	(void)sqlite3_bind_text(st, 3, blob ? blob : "", -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 4, store_now_us());
	int rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot save a baseline");
	return 0;
}

int store_baseline_foreach(struct store *s,
			   int (*fn)(void *ud, const char *host, const char *user, const char *blob),
			   void *ud)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, STMT_BASELINE_ALL, &st), rc;
	if (r < 0)
		return r;
	/* fn may write baselines: walk a private statement when the cached
	 * one is already running (nested call). */
	bool own = sqlite3_stmt_busy(st);
	if (own) {
		rc = sqlite3_prepare_v2(s->db, sqlite3_sql(st), -1, &st, NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, "cannot read baselines");
	}
	r = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 0), *u = sqlite3_column_text(st, 1),
				    *b = sqlite3_column_text(st, 2);
		r = fn(ud, h ? (const char *)h : "", u ? (const char *)u : "", b ? (const char *)b : "");
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "cannot read baselines");
	else if (r >= 0)
		r = 0;
	if (own)
		sqlite3_finalize(st);
	else
		(void)sqlite3_reset(st);
	return r;
}
