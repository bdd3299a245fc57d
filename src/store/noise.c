/*
 * noise: failed logins and pre-authentication lines, the attacker-driven
 * bulk of an attacked host's log, kept so that `moat trace --source` can
 * still say how many tries, when, for which names, with evidence — in few
 * rows.
 *
 * Sources are spread over NOISE_BUCKETS buckets by a fixed hash of their
 * address. Lines are not looked up one by one: each is appended to a
 * pending array as a small record; a flush (every commit, or when the
 * array is full) sorts the records by bucket, host, source and arrival
 * and writes one row per bucket and host, holding a block per source: its
 * address, its lines' fields packed (pack.h), and its first and last
 * lines as evidence. A query for a source reads its bucket's rows and
 * decodes its block only (each block says its length). Rows are written
 * once and never rewritten: an episode that spans commits spans rows.
 *
 * The bucket hash is on disk (queries compute it): never change it. An
 * attacker who picks addresses may crowd one bucket; that makes its rows
 * longer to read, never wrong.
 *
 * The same flush counts the lines per account and UTC day (noise_users:
 * how many, which sources, up to USER_SOURCES_MAX) so that `moat trace
 * --user` finds an account's failed logins without reading every source's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/hmap.h"
#include "core/list.h"
#include "core/macro.h"
#include "store/pack.h"
#include "store/store-internal.h"

/* Records held before a flush (72 bytes each): each flush writes a block
 * per source it holds, so fewer flushes mean fewer blocks (a slow attack's
 * source has a line now and then: its lines of a whole batch in one block) */
#define PENDING_MAX (1u << 20)
#define USER_SOURCES_MAX 16
#define DAY_US (86400 * INT64_C(1000000))

struct nrec {
	struct addr src;
	uint8_t kind, method;
	uint16_t bucket;
	uint32_t seq;
	uint32_t host, program, user, detail, source_name, file;
	uint32_t flags, count, attempts, line;
	int64_t time_us;
};

struct noise {
	struct nrec *v;
	size_t n, cap;
	struct pk_buf body, row; /* reused by each flush */
	uint32_t seq;
	int64_t next_id; /* the next noise.id (0: not read yet) */
	bool next_id_dirty;
};

uint16_t store_noise_bucket(const struct addr *a)
{
	/* FNV-1a over the family and the address bytes: fixed forever */
	uint32_t h = 0x811c9dc5u;
	size_t n = a->family == ADDR_V4 ? 4 : a->family == ADDR_V6 ? 16 : 0;
	h = (h ^ a->family) * 0x01000193u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a->bytes[i]) * 0x01000193u;
	return (uint16_t)(h % NOISE_BUCKETS);
}

static struct noise *noise_get(struct store *s)
{
	if (!s->noise)
		s->noise = calloc(1, sizeof(*s->noise));
	return s->noise;
}

void store_noise_forget(struct store *s)
{
	if (!s->noise)
		return;
	free(s->noise->v);
	pk_buf_free(&s->noise->body);
	pk_buf_free(&s->noise->row);
	free(s->noise);
	s->noise = NULL;
}

static uint32_t id32(int64_t id)
{
	return id > 0 && id <= UINT32_MAX ? (uint32_t)id : 0;
}

int store_noise_add(struct store *s, int64_t host, const struct addr *src, const struct pk_event *e)
{
	struct noise *nz = noise_get(s);
	int r;
	if (!nz)
		return store_failf(s, -ENOMEM, "out of memory");
	if (nz->n == nz->cap) {
		if (nz->n >= PENDING_MAX) {
			r = store_noise_flush(s);
			if (r < 0)
				return r;
		} else {
			size_t cap = nz->cap ? nz->cap * 2 : 4096;
			struct nrec *v = realloc(nz->v, cap * sizeof(*v));
			if (!v)
				return store_failf(s, -ENOMEM, "out of memory");
			nz->v = v;
			nz->cap = cap;
		}
	}
	struct nrec *rec = &nz->v[nz->n++];
	*rec = (struct nrec){
		.src = *src,
		.kind = e->kind,
		.method = e->method,
		.bucket = store_noise_bucket(src),
		.seq = nz->seq++,
		.host = id32(host),
		.program = id32(e->program),
		.user = id32(e->user),
		.detail = id32(e->detail),
		.source_name = id32(e->source_name),
		.file = id32(e->file),
		.flags = e->flags,
		.count = e->count ? e->count : 1,
		.attempts = e->attempts,
		.line = e->line <= UINT32_MAX ? (uint32_t)e->line : 0,
		.time_us = e->time_us,
	};
	if (src->family == ADDR_NONE)
		memset(rec->src.bytes, 0, sizeof(rec->src.bytes));
	return 0;
}

/* ---- flushing ---- */

static int addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, a->family == ADDR_V4 ? 4 : 16);
}

/* Orders a bucket's records by host, source and arrival. */
static int rec_order(const struct nrec *a, const struct nrec *b)
{
	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	int c = addr_cmp(&a->src, &b->src);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int rec_cmp(const void *x, const void *y)
{
	return rec_order(*(const struct nrec *const *)x, *(const struct nrec *const *)y);
}

/* A bucket holds a few dozen records on average: an insertion sort, which
 * leaves them nearly in place (they arrive in order), beats qsort's calls;
 * a crowded bucket gets qsort. */
static void sort_bucket(struct nrec **v, size_t n)
{
	if (n > 64) {
		qsort(v, n, sizeof(*v), rec_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct nrec *x = v[i];
		size_t j = i;
		while (j > 0 && rec_order(v[j - 1], x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static int next_id(struct store *s, struct noise *nz, int64_t *ret)
{
	if (!nz->next_id) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(s->db,
					    "SELECT max(coalesce((SELECT value FROM meta WHERE key = 'noise_next'), 1),"
					    " coalesce((SELECT max(id) + 1 FROM noise), 1))",
					    -1, &st, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			nz->next_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return store_fail(s, rc, "cannot number failed logins");
	}
	*ret = nz->next_id++;
	nz->next_id_dirty = true;
	return 0;
}

/* One block: the source's address, the length of the rest, the count,
 * the evidence, the records. */
static int put_block(struct pk_buf *row, struct pk_buf *bodyp, struct nrec *const *v, size_t n, int64_t first_us)
{
	struct pk_buf body = *bodyp;
	body.n = 0;
	struct pk_state st = { .time_us = first_us, .sticky = true };
	const struct addr *a = &v[0]->src;
	size_t alen = a->family == ADDR_V4 ? 4 : a->family == ADDR_V6 ? 16 : 0;
	int r = pk_put_u64(&body, n);
	size_t k = n > 1 ? 2 : 1;
	if (r >= 0)
		r = pk_put_u64(&body, k);
	for (size_t i = 0; i < k && r >= 0; i++) {
		const struct nrec *e = v[i == 0 ? 0 : n - 1];
		r = pk_put_u64(&body, e->file);
		if (r >= 0)
			r = pk_put_u64(&body, e->line);
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct nrec *e = v[i];
		struct pk_event p = {
			.time_us = e->time_us,
			.kind = e->kind,
			.method = e->method,
			.flags = e->flags,
			.program = e->program,
			.user = e->user,
			.detail = e->detail,
			.source_name = e->source_name,
			.count = e->count,
			.attempts = e->attempts,
		};
		p.mask = (p.flags ? PK_FLAGS : 0) | (p.program ? PK_PROGRAM : 0) | (p.user ? PK_USER : 0) |
			 (p.detail ? PK_DETAIL : 0) | (p.source_name ? PK_SOURCE_NAME : 0) |
			 (p.count != 1 ? PK_COUNT : 0) | (p.attempts ? PK_ATTEMPTS : 0);
		r = pk_put(&body, &st, &p);
	}
	if (r >= 0 && (r = pk_put_u64(row, a->family)) >= 0 && (r = pk_put_u64(row, body.n)) >= 0) {
		if (row->n + alen + body.n > row->cap) {
			size_t cap = row->cap ? row->cap : 256;
			while (cap < row->n + alen + body.n)
				cap *= 2;
			uint8_t *p = realloc(row->p, cap);
			if (!p)
				r = -ENOMEM;
			else
				row->p = p, row->cap = cap;
		}
		if (r >= 0) {
			memcpy(row->p + row->n, a->bytes, alen);
			row->n += alen;
			memcpy(row->p + row->n, body.p, body.n);
			row->n += body.n;
		}
	}
	*bodyp = body;
	return r;
}

/* Writes v[0, n) (one bucket, one host, sorted) as one row. */
static int write_row(struct store *s, struct noise *nz, struct nrec *const *v, size_t n)
{
	struct pk_buf row = nz->row;
	row.n = 0;
	int64_t first = INT64_MAX, last = INT64_MIN, id = 0;
	uint64_t attempts = 0;
	sqlite3_stmt *st;
	int r = 0, rc;

	for (size_t i = 0; i < n; i++) {
		first = MIN(first, v[i]->time_us);
		last = MAX(last, v[i]->time_us);
		attempts += v[i]->attempts;
	}
	for (size_t i = 0, j; i < n && r >= 0; i = j) {
		for (j = i + 1; j < n && addr_cmp(&v[j]->src, &v[i]->src) == 0; j++)
			;
		r = put_block(&row, &nz->body, v + i, j - i, first);
	}
	if (r < 0) {
		nz->row = row;
		return store_failf(s, r, "out of memory");
	}
	r = next_id(s, nz, &id);
	if (r >= 0)
		r = store_stmt(s, STMT_NOISE_INSERT, &st);
	for (unsigned part = 0; r >= 0; part++) {
		(void)sqlite3_bind_int64(st, 1, v[0]->bucket);
		(void)sqlite3_bind_int64(st, 2, v[0]->host);
		(void)sqlite3_bind_int64(st, 3, first);
		(void)sqlite3_bind_int64(st, 4, part);
		(void)sqlite3_bind_int64(st, 5, last);
		(void)sqlite3_bind_int64(st, 6, (int64_t)n);
		(void)sqlite3_bind_int64(st, 7, (int64_t)attempts);
		(void)sqlite3_bind_blob(st, 8, row.p, (int)row.n, SQLITE_STATIC);
		(void)sqlite3_bind_int64(st, 9, id);
		rc = sqlite3_step(st);
		(void)sqlite3_reset(st);
		/* a row of this bucket and host began at the same instant
		 * (an earlier flush, an earlier run): the tie-breaker moves on */
		if ((rc & 0xff) == SQLITE_CONSTRAINT && part < 1000000)
			continue;
		if (rc != SQLITE_DONE)
			r = store_fail(s, rc, "cannot record failed logins");
		break;
	}
	nz->row = row;
	return r;
}

/* ---- by account ---- */

struct uagg {
	struct hmap_node node;
	uint32_t user, host;
	int64_t day, first_us, last_us;
	uint32_t n, attempts, n_srcs, more;
	struct addr srcs[USER_SOURCES_MAX];
};

struct ukey {
	uint32_t user, host;
	int64_t day;
};

static bool uagg_eq(const struct hmap_node *n, const void *k)
{
	const struct uagg *u = container_of(n, struct uagg, node);
	const struct ukey *key = k;
	return u->user == key->user && u->host == key->host && u->day == key->day;
}

static int write_uagg(struct store *s, struct noise *nz, const struct uagg *u)
{
	sqlite3_stmt *st;
	int r, rc;
	nz->body.n = 0;
	for (uint32_t i = 0; i < u->n_srcs; i++)
		if (pk_put_addr(&nz->body, &u->srcs[i]) < 0)
			return store_failf(s, -ENOMEM, "out of memory");
	r = store_stmt(s, STMT_NOISE_USER_INSERT, &st);
	for (unsigned part = 0; r >= 0; part++) {
		(void)sqlite3_bind_int64(st, 1, u->user);
		(void)sqlite3_bind_int64(st, 2, u->host);
		(void)sqlite3_bind_int64(st, 3, u->day);
		(void)sqlite3_bind_int64(st, 4, u->first_us);
		(void)sqlite3_bind_int64(st, 5, part);
		(void)sqlite3_bind_int64(st, 6, u->last_us);
		(void)sqlite3_bind_int64(st, 7, u->n);
		(void)sqlite3_bind_int64(st, 8, u->attempts);
		(void)sqlite3_bind_blob(st, 9, nz->body.p ? (const void *)nz->body.p : "", (int)nz->body.n,
					SQLITE_STATIC);
		(void)sqlite3_bind_int64(st, 10, u->more);
		rc = sqlite3_step(st);
		(void)sqlite3_reset(st);
		/* a row of an earlier flush began at the same instant */
		if ((rc & 0xff) == SQLITE_CONSTRAINT && part < 1000000)
			continue;
		if (rc != SQLITE_DONE)
			r = store_fail(s, rc, "cannot record failed logins by account");
		break;
	}
	return r;
}

/* The pending records' counts by (user, host, UTC day), one row each. */
static int flush_users(struct store *s, struct noise *nz)
{
	struct hmap m;
	struct arena mem;
	int r = hmap_init(&m, hash_random_seed(nz));
	if (r < 0)
		return store_failf(s, r, "out of memory");
	arena_init(&mem, 64 * 1024);
	for (size_t i = 0; i < nz->n && r >= 0; i++) {
		const struct nrec *e = &nz->v[i];
		if (!e->user)
			continue;
		struct ukey k = { e->user, e->host,
				  e->time_us >= 0 ? e->time_us / DAY_US : -((-e->time_us + DAY_US - 1) / DAY_US) };
		uint64_t h = hash_mix(((uint64_t)k.user << 32 | k.host) ^ hmap_seed(&m)) ^ (uint64_t)k.day;
		struct hmap_node *n = hmap_find(&m, h, uagg_eq, &k);
		struct uagg *u;
		if (n) {
			u = container_of(n, struct uagg, node);
		} else {
			u = arena_alloc(&mem, sizeof(*u));
			if (!u || hmap_add(&m, &u->node, h) < 0) {
				r = store_failf(s, -ENOMEM, "out of memory");
				break;
			}
			u->user = k.user;
			u->host = k.host;
			u->day = k.day;
			u->first_us = u->last_us = e->time_us;
		}
		u->n++;
		u->attempts += e->attempts;
		u->first_us = MIN(u->first_us, e->time_us);
		u->last_us = MAX(u->last_us, e->time_us);
		bool known = false;
		for (uint32_t j = 0; j < u->n_srcs && !known; j++)
			known = addr_equal(&u->srcs[j], &e->src);
		if (!known) {
			if (u->n_srcs < USER_SOURCES_MAX)
				u->srcs[u->n_srcs++] = e->src;
			else
				u->more++; /* a line of a source not listed */
		}
	}
	size_t pos = 0;
	for (struct hmap_node *n; r >= 0 && (n = hmap_next(&m, &pos));)
		r = write_uagg(s, nz, container_of(n, struct uagg, node));
	hmap_done(&m);
	arena_done(&mem);
	return r;
}

int store_noise_flush(struct store *s)
{
	struct noise *nz = s->noise;
	struct nrec **idx = NULL;
	size_t *start = NULL;
	int r = 0;

	if (!nz || nz->n == 0)
		goto id;
	/* by bucket (a counting sort), then each bucket's few by host,
	 * source and arrival */
	idx = malloc(nz->n * sizeof(*idx));
	start = calloc(NOISE_BUCKETS + 1, sizeof(*start));
	if (!idx || !start) {
		r = store_failf(s, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nz->n; i++)
		start[nz->v[i].bucket + 1]++;
	for (size_t b = 0; b < NOISE_BUCKETS; b++)
		start[b + 1] += start[b];
	for (size_t i = 0; i < nz->n; i++)
		idx[start[nz->v[i].bucket]++] = &nz->v[i];
	for (size_t b = NOISE_BUCKETS; b > 0; b--)
		start[b] = start[b - 1];
	start[0] = 0;
	for (size_t b = 0; b < NOISE_BUCKETS && r >= 0; b++) {
		size_t lo = start[b], hi = start[b + 1];
		if (lo == hi)
			continue;
		sort_bucket(idx + lo, hi - lo);
		for (size_t i = lo, j; i < hi && r >= 0; i = j) {
			for (j = i + 1; j < hi && idx[j]->host == idx[i]->host; j++)
				;
			r = write_row(s, nz, idx + i, j - i);
		}
	}
	if (r >= 0)
		r = flush_users(s, nz);
	if (r >= 0)
		nz->n = 0;
out:
	free(idx);
	free(start);
	if (r < 0)
		return r;
id:
	if (nz && nz->next_id_dirty) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('noise_next', ?1)",
					    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			(void)sqlite3_bind_int64(st, 1, nz->next_id);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc, "cannot number failed logins");
		nz->next_id_dirty = false;
	}
	return 0;
}

/* ---- reading ---- */

int store_noise_decode(const void *data, size_t n, int64_t first_us, const struct addr *only,
		       int (*fn)(void *ud, const struct addr *src, uint32_t index, const struct pk_event *e), void *ud)
{
	const uint8_t *p = data;
	size_t pos = 0;
	uint32_t index = 0;
	while (pos < n) {
		uint64_t fam, len, count, k, v;
		struct addr a = { 0 };
		if (pk_get_u64(p, n, &pos, &fam) < 0 || pk_get_u64(p, n, &pos, &len) < 0)
			return -EBADMSG;
		size_t alen = fam == ADDR_V4 ? 4 : fam == ADDR_V6 ? 16 : 0;
		if ((fam != ADDR_NONE && !alen) || pos + alen > n || len > n - pos - alen)
			return -EBADMSG;
		a.family = (uint8_t)fam;
		memcpy(a.bytes, p + pos, alen);
		pos += alen;
		size_t end = pos + (size_t)len;
		if (pk_get_u64(p, end, &pos, &count) < 0 || count > len)
			return -EBADMSG;
		if (only && !addr_equal(&a, only)) {
			index += (uint32_t)count;
			pos = end;
			continue;
		}
		uint64_t ev[2][2] = { { 0 } };
		if (pk_get_u64(p, end, &pos, &k) < 0 || k > 2)
			return -EBADMSG;
		for (uint64_t i = 0; i < 2 * k; i++)
			if (pk_get_u64(p, end, &pos, &v) < 0)
				return -EBADMSG;
			else
				ev[i / 2][i % 2] = v;
		struct pk_state st = { .time_us = first_us, .sticky = true };
		for (uint64_t i = 0; i < count; i++, index++) {
			struct pk_event e;
			int r = pk_get(p, end, &pos, &st, &e);
			if (r <= 0)
				return -EBADMSG;
			/* the block's first and last lines are its evidence */
			if (i == 0 && k >= 1) {
				e.file = (int64_t)ev[0][0];
				e.line = ev[0][1];
			} else if (i == count - 1 && k == 2) {
				e.file = (int64_t)ev[1][0];
				e.line = ev[1][1];
			}
			r = fn(ud, &a, index, &e);
			if (r < 0)
				return r;
		}
		pos = end;
	}
	return 0;
}
