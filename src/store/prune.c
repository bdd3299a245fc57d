/* store prune: retention, sizes, and giving pages back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store-internal.h"

static int one_int(struct store *s, const char *sql, int64_t a, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (sqlite3_bind_parameter_count(st) >= 1)
			(void)sqlite3_bind_int64(st, 1, a);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_DONE;
		} else if (rc == SQLITE_DONE) {
			*ret = 0;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "cannot read the store");
}

static int exec1(struct store *s, const char *sql, int64_t a, uint64_t *ret_changes)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (sqlite3_bind_parameter_count(st) >= 1)
			(void)sqlite3_bind_int64(st, 1, a);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot prune the store");
	if (ret_changes)
		*ret_changes += (uint64_t)sqlite3_changes64(s->db);
	return 0;
}

int store_prune_cutoff(struct store *s, int64_t max_age_us, int64_t *ret_cutoff)
{
	int64_t first, last;
	int r = store_event_time_range(s, &first, &last);
	if (r < 0)
		return r;
	*ret_cutoff = r == 0 || last < INT64_MIN + max_age_us ? INT64_MIN : last - max_age_us;
	return 0;
}

int store_prune(struct store *s, int64_t cutoff_us, struct store_pruned *ret)
{
	struct store_pruned p = { 0 };
	uint64_t n = 0;
	int64_t k = 0;
	int r;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	if (cutoff_us == INT64_MIN) {
		*ret = p;
		return 0;
	}
	/* what is still open in memory is written first: rows, then pruned */
	r = store_noise_flush(s);
	if (r >= 0)
		r = store_segments_flush(s);
	if (r >= 0)
		r = one_int(s, "SELECT coalesce(sum(n), 0) FROM segments WHERE last_us < ?1", cutoff_us, &k);
	p.events = (uint64_t)k;
	if (r >= 0)
		r = one_int(s, "SELECT coalesce(sum(n), 0) FROM noise WHERE last_us < ?1", cutoff_us, &k);
	p.events += (uint64_t)k;
	if (r >= 0)
		r = exec1(s,
			  "DELETE FROM segment_sources WHERE segment_id IN (SELECT id FROM segments WHERE last_us < ?1)",
			  cutoff_us, NULL);
	if (r >= 0)
		r = exec1(s, "DELETE FROM segments WHERE last_us < ?1", cutoff_us, NULL);
	if (r >= 0)
		r = exec1(s, "DELETE FROM noise WHERE last_us < ?1", cutoff_us, NULL);
	if (r >= 0)
		r = exec1(s, "DELETE FROM noise_users WHERE last_us < ?1", cutoff_us, NULL);
	if (r >= 0)
		r = exec1(s, "DELETE FROM events WHERE time_us < ?1", cutoff_us, &n);
	p.events += n;
	if (r >= 0)
		r = exec1(s, "DELETE FROM alerts WHERE last_us < ?1", cutoff_us, &p.alerts);
	/* cursors of files gone for twice the age (in wall time: when they
	 * were last read) */
	int64_t now = store_now_us(), age = INT64_MAX;
	if (r >= 0 && (r = one_int(s, "SELECT max(last_us) FROM (SELECT max(last_us) AS last_us FROM segments"
				      " UNION ALL SELECT max(last_us) FROM noise UNION ALL SELECT max(time_us) FROM events)",
				   0, &k)) >= 0 &&
	    k > cutoff_us && k - cutoff_us < INT64_MAX / 2)
		age = 2 * (k - cutoff_us);
	if (r >= 0 && age != INT64_MAX && now > INT64_MIN + age)
		r = exec1(s, "DELETE FROM cursors WHERE run_id IS NULL AND updated < ?1", now - age, &p.cursors);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

int store_vacuum(struct store *s, bool full, uint64_t *ret_pages)
{
	int64_t before = 0, after = 0;
	int r;
	if (s->tx_depth)
		return store_failf(s, -EBUSY, "vacuum inside a transaction");
	r = one_int(s, "PRAGMA page_count", 0, &before);
	if (r >= 0)
		r = store_exec(s, full ? "VACUUM" : "PRAGMA incremental_vacuum");
	if (r >= 0)
		r = one_int(s, "PRAGMA page_count", 0, &after);
	if (r >= 0)
		r = store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
	if (r < 0)
		return r;
	*ret_pages = before > after ? (uint64_t)(before - after) : 0;
	return 0;
}

int store_run_add_bytes(struct store *s, uint64_t bytes)
{
	if (!s->run_id || !bytes)
		return 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "UPDATE runs SET bytes = bytes + ?1 WHERE id = ?2", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		(void)sqlite3_bind_int64(st, 1, (int64_t)bytes);
		(void)sqlite3_bind_int64(st, 2, s->run_id);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, "cannot record the run");
}

int store_get_stats(struct store *s, struct store_stats *ret)
{
	struct store_stats t = { 0 };
	struct stat st;
	int64_t v = 0;
	int r = 0;
	struct {
		const char *sql;
		uint64_t *dst;
	} q[] = {
		{ "SELECT coalesce(sum(n), 0) FROM segments", &t.kept_events },
		{ "SELECT count(*) FROM segments", &t.kept_segments },
		{ "SELECT coalesce(sum(n), 0) FROM noise", &t.noise_events },
		{ "SELECT count(*) FROM noise", &t.noise_rows },
		{ "SELECT count(*) FROM events", &t.legacy_events },
		{ "SELECT count(*) FROM alerts", &t.alerts },
		{ "SELECT count(*) FROM baselines", &t.baselines },
		{ "SELECT count(*) FROM cursors", &t.cursors },
		{ "SELECT count(*) FROM runs", &t.runs },
		{ "SELECT coalesce(sum(bytes), 0) FROM runs", &t.log_bytes },
	};
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]) && r >= 0; i++) {
		r = one_int(s, q[i].sql, 0, &v);
		*q[i].dst = (uint64_t)(v > 0 ? v : 0);
	}
	if (r >= 0)
		r = one_int(s, "SELECT count(*) FROM runs WHERE state = 'open'", 0, &v);
	t.run_open = v > 0;
	if (r >= 0) {
		int64_t first, last;
		int k = store_event_time_range(s, &first, &last);
		if (k < 0)
			r = k;
		else if (k > 0)
			t.first_us = first, t.last_us = last;
	}
	if (r < 0)
		return r;
	if (stat(s->path, &st) == 0)
		t.file_bytes = (uint64_t)st.st_size;
	char wal[4096];
	if (snprintf(wal, sizeof(wal), "%s-wal", s->path) < (int)sizeof(wal) && stat(wal, &st) == 0)
		t.file_bytes += (uint64_t)st.st_size;
	*ret = t;
	return 0;
}
