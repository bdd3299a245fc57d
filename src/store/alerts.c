/* store alerts: idempotent by (kind, host, source, user, first_us). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/escape.h"
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

/* Serialises the why sentences and the evidence as JSON arrays. */
static int alert_json(const struct alert *a, char **ret_why, char **ret_evidence)
{
	json_t *why = json_array(), *ev = json_array();
	int r = -ENOMEM;

	if (!why || !ev)
		goto out;
	for (unsigned i = 0; i < a->n_why && i < ALERT_WHY_MAX; i++)
		if (json_array_append_new(why, json_text(a->why[i])) < 0)
			goto out;
	for (unsigned i = 0; i < a->n_evidence && i < ALERT_EVIDENCE_MAX; i++) {
		json_t *o = json_pack("{s:o, s:I}", "file", json_text(a->evidence[i].file), "line",
				      (json_int_t)a->evidence[i].line);
		if (!o || json_array_append_new(ev, o) < 0)
			goto out;
	}
	*ret_why = json_dumps(why, JSON_COMPACT);
	*ret_evidence = json_dumps(ev, JSON_COMPACT);
	if (!*ret_why || !*ret_evidence) {
		free(*ret_why);
		free(*ret_evidence);
		goto out;
	}
	r = 0;
out:
	json_decref(why);
	json_decref(ev);
	return r;
}

/* Runs the alert INSERT or UPDATE: 1 when it changed a row, 0 when not. */
static int write_alert(struct store *s, enum store_stmt_id id, const struct alert *a, const char *src,
		       const char *why, const char *evidence, int64_t now)
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
	(void)sqlite3_bind_text(st, 10, evidence, -1, SQLITE_STATIC);
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
	_cleanup_free_ char *why = NULL, *evidence = NULL;
	char ab[ADDR_STRLEN];
	int64_t now = store_now_us();
	int r;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	r = alert_json(a, &why, &evidence);
	if (r < 0)
		return store_failf(s, r, "out of memory");
	addr_format(&a->source, ab);

	r = write_alert(s, STMT_ALERT_INSERT, a, ab, why, evidence, now);
	if (r != 0)
		return r;
	/* Known already: refresh it if this one has seen more (2), else it
	 * is stored as it is (0). */
	r = write_alert(s, STMT_ALERT_UPDATE, a, ab, why, evidence, now);
	return r < 0 ? r : r > 0 ? 2 : 0;
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
		for (int i = 0; i < 10; i++) {
			const unsigned char *v = sqlite3_column_text(st, i);
			t[i] = v ? (const char *)v : "";
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
