/* store cursors: where each input was read to, and schema 2's legacy ones. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store/store-internal.h"

/* A mark packed for the cursors table: a version byte, then the fields
 * little-endian (the file moves between machines with its store). */
#define MARK_VERSION 1
#define MARK_PACKED (1 + 8 + 8 + 4 + 4 + 1 + 3 * SOURCE_HASH_LEN)

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void mark_pack(const struct source_mark *m, unsigned char out[MARK_PACKED])
{
	unsigned char *p = out;
	*p++ = MARK_VERSION;
	put_le(p, m->offset, 8), p += 8;
	put_le(p, m->line, 8), p += 8;
	put_le(p, m->prefix_len, 4), p += 4;
	put_le(p, m->tail_len, 4), p += 4;
	*p++ = (unsigned char)((m->have_whole ? 1 : 0) | (m->finished ? 2 : 0));
	memcpy(p, m->prefix, SOURCE_HASH_LEN), p += SOURCE_HASH_LEN;
	memcpy(p, m->tail, SOURCE_HASH_LEN), p += SOURCE_HASH_LEN;
	memcpy(p, m->whole, SOURCE_HASH_LEN);
}

/* 0, or -EBADMSG for a blob this moat did not write. */
static int mark_unpack(const void *blob, size_t n, struct source_mark *m)
{
	const unsigned char *p = blob;
	if (!p || n != MARK_PACKED || p[0] != MARK_VERSION)
		return -EBADMSG;
	p++;
	*m = (struct source_mark){ 0 };
	m->offset = get_le(p, 8), p += 8;
	m->line = get_le(p, 8), p += 8;
	m->prefix_len = (uint32_t)get_le(p, 4), p += 4;
	m->tail_len = (uint32_t)get_le(p, 4), p += 4;
	m->have_whole = *p & 1;
	m->finished = (*p & 2) != 0;
	p++;
	memcpy(m->prefix, p, SOURCE_HASH_LEN), p += SOURCE_HASH_LEN;
	memcpy(m->tail, p, SOURCE_HASH_LEN), p += SOURCE_HASH_LEN;
	memcpy(m->whole, p, SOURCE_HASH_LEN);
	if (m->prefix_len > SOURCE_PREFIX_MAX || m->tail_len > SOURCE_TAIL_MAX || m->prefix_len > m->offset ||
	    m->tail_len > m->offset || m->offset > INT64_MAX)
		return -EBADMSG;
	return 0;
}

void store_cursors_free(struct store_cursor *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

int store_cursors_find(struct store *s, const uint8_t head[SOURCE_HASH_LEN], uint64_t dev, uint64_t ino,
		       struct store_cursor **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	struct store_cursor *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	r = store_stmt(s, STMT_CURSOR_FIND, &st);
	if (r < 0)
		return r;
	(void)sqlite3_bind_blob(st, 1, head, SOURCE_HASH_LEN, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 2, (int64_t)dev);
	(void)sqlite3_bind_int64(st, 3, (int64_t)ino);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_cursor c = { 0 };
		const unsigned char *path = sqlite3_column_text(st, 1);
		if (mark_unpack(sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), &c.mark) < 0)
			continue; /* not ours to trust: the input is read as new */
		c.id = sqlite3_column_int64(st, 0);
		c.dev = (uint64_t)sqlite3_column_int64(st, 2);
		c.ino = (uint64_t)sqlite3_column_int64(st, 3);
		memcpy(c.head, head, SOURCE_HASH_LEN);
		c.in_run = s->run_id && sqlite3_column_type(st, 5) != SQLITE_NULL && sqlite3_column_int64(st, 5) == s->run_id;
		if (c.in_run && sqlite3_column_type(st, 6) != SQLITE_NULL &&
		    mark_unpack(sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6), &c.start) < 0)
			c.start = (struct source_mark){ 0 };
		c.path = strdup(path ? (const char *)path : "");
		if (!c.path || n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct store_cursor *nv = c.path ? realloc(v, ncap * sizeof(*v)) : NULL;
			if (!nv) {
				free(c.path);
				(void)sqlite3_reset(st);
				store_cursors_free(v, n);
				return store_failf(s, -ENOMEM, "out of memory");
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = c;
	}
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_cursors_free(v, n);
		return store_fail(s, rc, "cannot read the read cursors");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}


/* Binds a cursors row for STMT_CURSOR_INSERT (by its head hash) or
 * STMT_CURSOR_UPDATE (by id): path, device, inode, the packed mark, when,
 * the open run. */
static void bind_cursor(struct store *s, sqlite3_stmt *st, const char *path, uint64_t dev, uint64_t ino,
			const void *packed, size_t n, int64_t id, const uint8_t *head)
{
	(void)store_bind_sv_notnull(st, 1, sv_cstr(path));
	(void)sqlite3_bind_int64(st, 2, (int64_t)dev);
	(void)sqlite3_bind_int64(st, 3, (int64_t)ino);
	(void)sqlite3_bind_blob(st, 4, packed, (int)n, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 5, store_now_us());
	if (s->run_id)
		(void)sqlite3_bind_int64(st, 6, s->run_id);
	else
		(void)sqlite3_bind_null(st, 6);
	if (id)
		(void)sqlite3_bind_int64(st, 7, id);
	else
		(void)sqlite3_bind_blob(st, 7, head, SOURCE_HASH_LEN, SQLITE_STATIC);
}

int store_cursor_save(struct store *s, struct store_cursor *c)
{
	unsigned char packed[MARK_PACKED];
	sqlite3_stmt *st;
	int r, rc;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	mark_pack(&c->mark, packed);
	r = store_stmt(s, c->id ? STMT_CURSOR_UPDATE : STMT_CURSOR_INSERT, &st);
	if (r < 0)
		return r;
	bind_cursor(s, st, c->path, c->dev, c->ino, packed, sizeof(packed), c->id, c->head);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot save a read cursor");
	if (!c->id)
		c->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_legacy_cursor_get(struct store *s, const char *fp, uint64_t *ret_offset, uint64_t *ret_line)
{
	sqlite3_stmt *st;
	int r = store_stmt(s, STMT_LEGACY_CURSOR_GET, &st);
	if (r < 0)
		return r;
	(void)sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t off = sqlite3_column_int64(st, 0), line = sqlite3_column_int64(st, 1);
		r = off > 0 && line >= 0;
		if (r) {
			*ret_offset = (uint64_t)off;
			*ret_line = (uint64_t)line;
		}
	} else if (rc == SQLITE_DONE) {
		r = 0;
	} else {
		r = store_fail(s, rc, "cannot read a read cursor");
	}
	(void)sqlite3_reset(st);
	return r;
}

/* ---- journal cursors ---- */

/* A journal cursor's mark: this version byte, then the cursor text. */
#define JOURNAL_MARK_VERSION 2
#define JOURNAL_CURSOR_MAX 1024

static void journal_head(const char *stream, uint8_t head[SOURCE_HASH_LEN])
{
	/* a file's head is the hash of its first line, which ends in '\n':
	 * this one cannot be the same bytes */
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, SOURCE_HASH_LEN);
	crypto_generichash_update(&h, (const unsigned char *)"journal\0", 8);
	crypto_generichash_update(&h, (const unsigned char *)stream, strlen(stream));
	crypto_generichash_final(&h, head, SOURCE_HASH_LEN);
}

/* The cursor text of a journal mark, or NULL (not one of ours). */
static char *journal_mark_text(const void *blob, int n)
{
	const unsigned char *p = blob;
	char *t;
	if (!p || n < 2 || n > JOURNAL_CURSOR_MAX + 1 || p[0] != JOURNAL_MARK_VERSION || memchr(p + 1, '\0', (size_t)n - 1))
		return NULL;
	t = malloc((size_t)n);
	if (!t)
		return NULL;
	memcpy(t, p + 1, (size_t)n - 1);
	t[n - 1] = '\0';
	return t;
}

void store_journal_cursor_clear(struct store_journal_cursor *c)
{
	free(c->cursor);
	free(c->start);
	*c = (struct store_journal_cursor){ 0 };
}

int store_journal_cursor_get(struct store *s, const char *stream, struct store_journal_cursor *ret)
{
	uint8_t head[SOURCE_HASH_LEN];
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	*ret = (struct store_journal_cursor){ 0 };
	journal_head(stream, head);
	rc = sqlite3_prepare_v2(s->db,
				"SELECT id, mark, run_id, run_start FROM cursors WHERE head = ?1 AND path = ?2"
				" ORDER BY updated DESC, id DESC LIMIT 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "cannot read the journal cursors");
	(void)sqlite3_bind_blob(st, 1, head, SOURCE_HASH_LEN, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret->id = sqlite3_column_int64(st, 0);
		ret->cursor = journal_mark_text(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1));
		ret->in_run = s->run_id && sqlite3_column_type(st, 2) != SQLITE_NULL &&
			      sqlite3_column_int64(st, 2) == s->run_id;
		if (ret->in_run && sqlite3_column_type(st, 3) != SQLITE_NULL)
			ret->start = journal_mark_text(sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3));
		r = ret->cursor != NULL; /* a row this moat did not write: read as new */
	} else if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, "cannot read the journal cursors");
	}
	sqlite3_finalize(st);
	return r;
}

int store_journal_cursor_save(struct store *s, const char *stream, struct store_journal_cursor *c, const char *cursor)
{
	unsigned char packed[1 + JOURNAL_CURSOR_MAX];
	uint8_t head[SOURCE_HASH_LEN];
	size_t n = strlen(cursor);
	sqlite3_stmt *st;
	char *copy;
	int r, rc;

	if (s->readonly)
		return store_failf(s, -EROFS, "%s was opened read-only", s->path);
	if (n == 0 || n > JOURNAL_CURSOR_MAX)
		return store_failf(s, -EINVAL, "a journal cursor of %zu bytes", n);
	copy = strdup(cursor);
	if (!copy)
		return store_failf(s, -ENOMEM, "out of memory");
	packed[0] = JOURNAL_MARK_VERSION;
	memcpy(packed + 1, cursor, n);
	journal_head(stream, head);
	r = store_stmt(s, c->id ? STMT_CURSOR_UPDATE : STMT_CURSOR_INSERT, &st);
	if (r < 0) {
		free(copy);
		return r;
	}
	bind_cursor(s, st, stream, 0, 0, packed, n + 1, c->id, head);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(copy);
		return store_fail(s, rc, "cannot save a journal cursor");
	}
	if (!c->id)
		c->id = sqlite3_last_insert_rowid(s->db);
	free(c->cursor);
	c->cursor = copy;
	return 0;
}
