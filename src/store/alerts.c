/* store alerts: idempotent by (kind, host, source, user, first_us). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/escape.h"
#include "core/macro.h"
#include "store/pack.h"
#include "store/store-internal.h"

/* A JSON string for text that may not be UTF-8 (alert sentences quote
 * attacker text): invalid bytes become the four characters "\xNN", which
 * keeps the byte's value readable. */
static json_t *json_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), j = 0;
	_cleanup_free_ char *buf = malloc(n * 4 + 1);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_valid_len(p + i, n - i);
		if (l == 0) {
			snprintf(buf + j, 5, "\\x%02x", p[i]);
			j += 4;
			i++;
		} else {
			memcpy(buf + j, p + i, l);
			j += l;
			i += l;
		}
	}
	return json_stringn(buf, j);
}

/* Serialises the why sentences as a JSON array. */
static int why_json(const struct alert *a, char **ret)
{
	json_t *why = json_array();
	int r = -ENOMEM;

	if (!why)
		goto out;
	for (unsigned i = 0; i < a->n_why && i < ALERT_WHY_MAX; i++)
		if (json_array_append_new(why, json_text(a->why[i])) < 0)
			goto out;
	*ret = json_dumps(why, JSON_COMPACT);
	if (*ret)
		r = 0;
out:
	json_decref(why);
	return r;
}

/*
 * The evidence, packed: the number of lines, then for each its file (0:
 * the one before's, else its files id + 1) and its line (zigzag delta from
 * the one before's). An alert's lines are mostly of one file, near each
 * other: a few bytes each, where JSON repeated the path. Schema 2's rows
 * hold JSON text; store_query_alerts gives both as JSON.
 */
static int pack_evidence(struct store *s, const struct alert *a, struct pk_buf *b)
{
	int64_t prev_file = 0;
	uint64_t prev_line = 0;
	unsigned n = MIN(a->n_evidence, (unsigned)ALERT_EVIDENCE_MAX);
	int r = pk_put_u64(b, n);
	for (unsigned i = 0; i < n && r >= 0; i++) {
		int64_t f = 0;
		if (a->evidence[i].file)
			r = store_file_id(s, a->evidence[i].file, &f);
		if (r < 0)
			return r;
		/* (no file: an id of its own, -1, never "the one before") */
		int64_t code = a->evidence[i].file ? f : -1;
		r = pk_put_u64(b, i > 0 && code == prev_file ? 0 : (uint64_t)(code + 2));
		if (r >= 0)
			r = pk_put_u64(b, pk_zigzag((int64_t)(a->evidence[i].line - prev_line)));
		prev_file = code;
		prev_line = a->evidence[i].line;
	}
	return r;
}

/* The packed evidence as the JSON array schema 2 stored. */
static int unpack_evidence(struct store *s, const uint8_t *p, size_t n, char **ret)
{
	json_t *ev = json_array();
	uint64_t count, v;
	int64_t file = 0;
	uint64_t line = 0;
	size_t pos = 0;
	_cleanup_free_ char *path = NULL;
	int64_t path_id = 0;
	int r = -EBADMSG;

	if (!ev)
		return -ENOMEM;
	if (pk_get_u64(p, n, &pos, &count) < 0 || count > ALERT_EVIDENCE_MAX)
		goto out;
	for (uint64_t i = 0; i < count; i++) {
		if (pk_get_u64(p, n, &pos, &v) < 0 || (i == 0 && v == 0) || v > INT64_MAX)
			goto out;
		if (v)
			file = (int64_t)v - 2;
		if (pk_get_u64(p, n, &pos, &v) < 0)
			goto out;
		line += (uint64_t)pk_unzigzag(v);
		if (file >= 0 && file != path_id) {
			sqlite3_stmt *st;
			r = store_stmt(s, STMT_FILE_PATH, &st);
			if (r < 0)
				goto out;
			(void)sqlite3_bind_int64(st, 1, file);
			int rc = sqlite3_step(st);
			free(path);
			path = rc == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(st, 0)) : strdup("");
			(void)sqlite3_reset(st);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
				r = store_fail(s, rc, "cannot read an alert's evidence");
				goto out;
			}
			path_id = file;
			r = -ENOMEM;
			if (!path)
				goto out;
			r = -EBADMSG;
		}
		json_t *o = json_pack("{s:o, s:I}", "file", json_text(file >= 0 ? path : NULL), "line",
				      (json_int_t)line);
		if (!o || json_array_append_new(ev, o) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (pos != n)
		goto out;
	*ret = json_dumps(ev, JSON_COMPACT);
	r = *ret ? 0 : -ENOMEM;
out:
	json_decref(ev);
	return r;
}

/* Runs the alert INSERT or UPDATE: 1 when it changed a row, 0 when not. */
static int write_alert(struct store *s, enum store_stmt_id id, const struct alert *a, const char *src,
		       const char *why, const struct pk_buf *evidence, int64_t now)
{
	sqlite3_stmt *st;
	int rc, r = store_stmt(s, id, &st);
	if (r < 0)
		return r;
	(void)sqlite3_bind_text(st, 1, alert_kind_name(a->kind), -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 2, severity_name(a->severity), -1, SQLITE_STATIC);
	(void)store_bind_sv_notnull(st, 3, sv_cstr(a->host));
	(void)sqlite3_bind_text(st, 4, src, -1, SQLITE_STATIC);
	(void)store_bind_sv_notnull(st, 5, sv_cstr(a->user));
	(void)sqlite3_bind_int64(st, 6, a->first_us);
	(void)sqlite3_bind_int64(st, 7, a->last_us);
	(void)sqlite3_bind_int64(st, 8, (int64_t)a->count);
	(void)sqlite3_bind_text(st, 9, why, -1, SQLITE_STATIC);
	(void)sqlite3_bind_blob(st, 10, evidence->p, (int)evidence->n, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 11, (int64_t)a->evidence_total);
	(void)sqlite3_bind_int64(st, 12, now);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, id == STMT_ALERT_INSERT ? "cannot record an alert" : "cannot update an alert");
	return sqlite3_changes(s->db) > 0;
}

int store_add_alert(struct store *s, const struct alert *a)
{
	_cleanup_free_ char *why = NULL;
	struct pk_buf evidence = { 0 };
	char ab[ADDR_STRLEN];
	int64_t now = store_now_us();
	int r;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	r = why_json(a, &why);
	if (r < 0)
		return store_failf(s, r, "out of memory");
	r = pack_evidence(s, a, &evidence);
	if (r < 0) {
		pk_buf_free(&evidence);
		return r == -ENOMEM ? store_failf(s, r, "out of memory") : r;
	}
	addr_format(&a->source, ab);

	r = write_alert(s, STMT_ALERT_INSERT, a, ab, why, &evidence, now);
	/* Known already: refresh it if this one has seen more (2), else it
	 * is stored as it is (0). */
	if (r == 0) {
		r = write_alert(s, STMT_ALERT_UPDATE, a, ab, why, &evidence, now);
		r = r < 0 ? r : r > 0 ? 2 : 0;
	}
	pk_buf_free(&evidence);
	return r;
}

int store_query_alerts(struct store *s, const struct alert_filter *f,
		       int (*fn)(void *ud, const struct stored_alert *a), void *ud)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0, n = 0;

	rc = sqlite3_prepare_v2(s->db,
				"SELECT kind, severity, host, source, user, first_us, last_us, count, why, evidence,"
				" evidence_total FROM alerts WHERE last_us >= ?1 AND first_us <= ?2"
				" AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR user = ?4)"
				" AND (?5 IS NULL OR source = ?5) AND (?6 = 0 OR created < ?6)"
				" ORDER BY first_us, kind, host, source, user",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot read alerts");
	(void)sqlite3_bind_int64(st, 1, f->since_us);
	(void)sqlite3_bind_int64(st, 2, f->until_us);
	if (f->kind)
		(void)sqlite3_bind_text(st, 3, f->kind, -1, SQLITE_STATIC);
	if (f->user)
		(void)sqlite3_bind_text(st, 4, f->user, -1, SQLITE_STATIC);
	if (f->source)
		(void)sqlite3_bind_text(st, 5, f->source, -1, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 6, f->created_before_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t[10];
		_cleanup_free_ char *ev = NULL;
		for (int i = 0; i < 9; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			t[i] = v ? (const char *)v : "";
		}
		if (sqlite3_column_type(st, 9) == SQLITE_BLOB) {
			r = unpack_evidence(s, sqlite3_column_blob(st, 9), (size_t)sqlite3_column_bytes(st, 9), &ev);
			if (r < 0) {
				if (r == -EBADMSG)
					(void)store_failf(s, r, "an alert's evidence in %s is corrupt", s->path);
				else if (r == -ENOMEM)
					(void)store_failf(s, r, "out of memory");
				break;
			}
			t[9] = ev;
		} else {
			const unsigned char *v = sqlite3_column_text(st, 9); /* schema 2: JSON */
			t[9] = v ? (const char *)v : "";
		}
		struct stored_alert a = {
			.kind = t[0],
			.severity = t[1],
			.host = t[2],
			.source = t[3],
			.user = t[4],
			.first_us = sqlite3_column_int64(st, 5),
			.last_us = sqlite3_column_int64(st, 6),
			.count = (uint64_t)sqlite3_column_int64(st, 7),
			.why_json = t[8],
			.evidence_json = t[9],
			.evidence_total = (uint64_t)sqlite3_column_int64(st, 10),
		};
		int sev = severity_from_name(a.severity);
		if (sev < f->min_severity)
			continue;
		r = fn(ud, &a);
		if (r < 0)
			break;
		n++;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, "cannot read alerts");
	sqlite3_finalize(st);
	return r < 0 ? r : n;
}
