/*
 * noise: failed logins and pre-authentication lines, the attacker-driven
 * bulk of an attacked host's log, kept so that `moat trace --source` can
 * still say how many tries, when, for which names, with evidence — in few
 * rows.
 *
 * Sources are spread over NOISE_BUCKETS buckets by a fixed hash of their
 * address. Each line is packed (pack.h) as it comes, onto its source's
 * pending block (found by (host, address) in a seeded map): the block
 * keeps its first line's fields apart, the rest packed after it, its
 * count, times and the first and last lines as evidence. A flush (every
 * commit, or when too many sources or bytes are pending) orders the
 * sources by bucket, host and arrival and writes one row per bucket and
 * host, holding the blocks one after the other: address, length, count,
 * evidence, records. Only the first record is packed at the flush (its
 * time is a delta from the row's first); the rest are copied. A query for
 * a source reads its bucket's rows and decodes its block only (each block
 * says its length). Rows are written once and never rewritten: an episode
 * that spans commits spans rows.
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

/* A flush is forced past this many pending sources or packed bytes: the
 * bound on what an attacker with many addresses makes us hold (about
 * 250 bytes a source). Each flush writes a block per source it holds, so
 * fewer flushes mean fewer blocks: a slow attack's source has a line now
 * and then, its lines of a whole batch go in one block. */
#define SOURCES_MAX (1u << 17)
#define PENDING_BYTES_MAX (64u << 20)
#define USER_SOURCES_MAX 16
#define DAY_US (86400 * INT64_C(1000000))

/* A source's first line, packed at the flush (pk_event is bulky). */
struct nfirst {
	int64_t time_us;
	uint32_t flags, program, user, detail, source_name, count, attempts;
	uint8_t kind, method;
};

/* A source's pending block. */
struct nsrc {
	struct hmap_node node;
	struct addr src;
	uint16_t bucket;
	uint32_t host;
	uint32_t seq; /* arrival */
	uint32_t n; /* lines */
	uint64_t attempts;
	int64_t first_us, last_us; /* the earliest and latest times */
	uint32_t ev_file[2], ev_line[2]; /* its first and last lines: the evidence */
	struct nfirst first;
	struct pk_state st; /* after the last record packed */
	struct pk_buf rest; /* records 2..n */
};

struct nkey {
	uint32_t host;
	const struct addr *src;
};

/* An account's failed logins on one host and UTC day (noise_users). */
struct uagg {
	struct hmap_node node;
	uint32_t user, host;
	int64_t day, first_us, last_us;
	uint32_t n, attempts, n_srcs, more;
	const struct nsrc *last; /* the source of its last line (a cache) */
	const struct nsrc *srcs[USER_SOURCES_MAX]; /* the first sources, by arrival */
};

struct ukey {
	uint32_t user, host;
	int64_t day;
};

struct noise {
	struct hmap by_src, by_user;
	struct arena mem; /* the nsrc and uagg, freed at each flush */
	struct nsrc **srcs; /* in arrival order */
	size_t n_srcs, cap_srcs;
	struct uagg **users; /* in arrival order */
	size_t n_users, cap_users;
	size_t bytes; /* packed, pending */
	struct pk_buf body, row; /* reused by each flush */
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
	if (s->noise)
		return s->noise;
	struct noise *nz = calloc(1, sizeof(*nz));
	if (!nz)
		return NULL;
	uint64_t seed = hash_random_seed(nz);
	if (hmap_init(&nz->by_src, seed) < 0 || hmap_init(&nz->by_user, seed) < 0) {
		hmap_done(&nz->by_src);
		free(nz);
		return NULL;
	}
	arena_init(&nz->mem, 256 * 1024);
	s->noise = nz;
	return nz;
}

/* Drops what is pending (written, or abandoned with its transaction). */
static void noise_clear(struct noise *nz)
{
	for (size_t i = 0; i < nz->n_srcs; i++)
		pk_buf_free(&nz->srcs[i]->rest);
	nz->n_srcs = nz->n_users = nz->bytes = 0;
	hmap_clear(&nz->by_src);
	hmap_clear(&nz->by_user);
	arena_done(&nz->mem);
	arena_init(&nz->mem, 256 * 1024);
}

void store_noise_forget(struct store *s)
{
	struct noise *nz = s->noise;
	if (!nz)
		return;
	noise_clear(nz);
	hmap_done(&nz->by_src);
	hmap_done(&nz->by_user);
	arena_done(&nz->mem);
	free(nz->srcs);
	free(nz->users);
	pk_buf_free(&nz->body);
	pk_buf_free(&nz->row);
	free(nz);
	s->noise = NULL;
}

static uint32_t id32(int64_t id)
{
	return id > 0 && id <= UINT32_MAX ? (uint32_t)id : 0;
}

static bool src_eq(const struct hmap_node *n, const void *k)
{
	const struct nsrc *x = container_of(n, struct nsrc, node);
	const struct nkey *key = k;
	return x->host == key->host && addr_equal(&x->src, key->src);
}

static bool uagg_eq(const struct hmap_node *n, const void *k)
{
	const struct uagg *u = container_of(n, struct uagg, node);
	const struct ukey *key = k;
	return u->user == key->user && u->host == key->host && u->day == key->day;
}

/* Appends p to a growable array of pointers. */
static int push(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		void **nv = realloc(*v, c * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = p;
	return 0;
}

static struct nsrc *source_get(struct noise *nz, uint32_t host, const struct addr *src)
{
	struct addr a = *src;
	size_t alen = a.family == ADDR_V4 ? 4 : a.family == ADDR_V6 ? 16 : 0;
	memset(a.bytes + alen, 0, sizeof(a.bytes) - alen);
	struct nkey key = { host, &a };
	uint64_t h = hash_bytes(a.bytes, alen, hmap_seed(&nz->by_src) ^ ((uint64_t)host << 8 | a.family));
	struct hmap_node *n = hmap_find(&nz->by_src, h, src_eq, &key);
	if (n)
		return container_of(n, struct nsrc, node);
	struct nsrc *x = arena_alloc(&nz->mem, sizeof(*x));
	if (!x)
		return NULL;
	*x = (struct nsrc){ .src = a, .bucket = store_noise_bucket(&a), .host = host, .seq = (uint32_t)nz->n_srcs };
	if (push((void ***)&nz->srcs, &nz->n_srcs, &nz->cap_srcs, x) < 0)
		return NULL;
	if (hmap_add(&nz->by_src, &x->node, h) < 0) {
		nz->n_srcs--;
		return NULL;
	}
	return x;
}

/* Counts the line under its account, host and UTC day. */
static int user_count(struct noise *nz, const struct nsrc *x, uint32_t user, const struct pk_event *e)
{
	struct ukey k = { user, x->host,
			  e->time_us >= 0 ? e->time_us / DAY_US : -((-e->time_us + DAY_US - 1) / DAY_US) };
	uint64_t h = hash_mix(((uint64_t)k.user << 32 | k.host) ^ hmap_seed(&nz->by_user)) ^ (uint64_t)k.day;
	struct hmap_node *n = hmap_find(&nz->by_user, h, uagg_eq, &k);
	struct uagg *u;
	if (n) {
		u = container_of(n, struct uagg, node);
	} else {
		u = arena_alloc(&nz->mem, sizeof(*u));
		if (!u)
			return -ENOMEM;
		*u = (struct uagg){ .user = k.user, .host = k.host, .day = k.day, .first_us = e->time_us,
				    .last_us = e->time_us };
		if (push((void ***)&nz->users, &nz->n_users, &nz->cap_users, u) < 0)
			return -ENOMEM;
		if (hmap_add(&nz->by_user, &u->node, h) < 0) {
			nz->n_users--;
			return -ENOMEM;
		}
	}
	u->n++;
	u->attempts += e->attempts;
	u->first_us = MIN(u->first_us, e->time_us);
	u->last_us = MAX(u->last_us, e->time_us);
	if (u->last == x)
		return 0;
	u->last = x;
	for (uint32_t j = 0; j < u->n_srcs; j++)
		if (u->srcs[j] == x)
			return 0;
	if (u->n_srcs < USER_SOURCES_MAX)
		u->srcs[u->n_srcs++] = x;
	else
		u->more++; /* a line of a source not listed */
	return 0;
}

/* The fields a noise record keeps (the sticky ones: see pack.h). */
static struct pk_event record(const struct pk_event *e)
{
	struct pk_event p = {
		.time_us = e->time_us,
		.kind = e->kind,
		.method = e->method,
		.flags = e->mask & PK_FLAGS ? e->flags : 0,
		.program = id32(e->program),
		.user = id32(e->user),
		.detail = id32(e->detail),
		.source_name = id32(e->source_name),
		.count = e->count ? e->count : 1,
		.attempts = e->attempts,
	};
	p.mask = (p.flags ? PK_FLAGS : 0) | (p.program ? PK_PROGRAM : 0) | (p.user ? PK_USER : 0) |
		 (p.detail ? PK_DETAIL : 0) | (p.source_name ? PK_SOURCE_NAME : 0) | (p.count != 1 ? PK_COUNT : 0) |
		 (p.attempts ? PK_ATTEMPTS : 0);
	return p;
}

int store_noise_add(struct store *s, int64_t host, const struct addr *src, const struct pk_event *e)
{
	struct noise *nz = noise_get(s);
	struct nsrc *x;
	int r;
	if (!nz)
		return store_failf(s, -ENOMEM, "out of memory");
	if (nz->n_srcs >= SOURCES_MAX || nz->bytes >= PENDING_BYTES_MAX) {
		r = store_noise_flush(s);
		if (r < 0)
			return r;
	}
	x = source_get(nz, id32(host), src);
	if (!x)
		return store_failf(s, -ENOMEM, "out of memory");
	struct pk_event p = record(e);
	uint32_t file = id32(e->file), line = e->line <= UINT32_MAX ? (uint32_t)e->line : 0;
	if (x->n == 0) {
		x->first = (struct nfirst){ .time_us = p.time_us, .flags = p.flags, .program = (uint32_t)p.program,
					    .user = (uint32_t)p.user, .detail = (uint32_t)p.detail,
					    .source_name = (uint32_t)p.source_name, .count = p.count,
					    .attempts = p.attempts, .kind = p.kind, .method = p.method };
		/* the state the first record leaves, wherever the row begins */
		x->st = (struct pk_state){ .time_us = p.time_us, .sticky = true };
		x->st.prev.flags = p.flags;
		x->st.prev.program = p.program;
		x->st.prev.user = p.user;
		x->st.prev.detail = p.detail;
		x->st.prev.source_name = p.source_name;
		x->first_us = x->last_us = p.time_us;
		x->ev_file[0] = file;
		x->ev_line[0] = line;
	} else {
		size_t before = x->rest.n;
		r = pk_put(&x->rest, &x->st, &p);
		if (r < 0)
			return store_failf(s, r, "out of memory");
		nz->bytes += x->rest.n - before;
		x->first_us = MIN(x->first_us, p.time_us);
		x->last_us = MAX(x->last_us, p.time_us);
	}
	x->ev_file[1] = file;
	x->ev_line[1] = line;
	x->n++;
	x->attempts += p.attempts;
	if (p.user && user_count(nz, x, (uint32_t)p.user, &p) < 0)
		return store_failf(s, -ENOMEM, "out of memory");
	return 0;
}

/* ---- flushing ---- */

/* Within a bucket: by host, then arrival. */
static int src_cmp(const void *a, const void *b)
{
	const struct nsrc *x = *(const struct nsrc *const *)a, *y = *(const struct nsrc *const *)b;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A bucket's sources by host, keeping arrival order: nearly always one
 * host, already in order. */
static void sort_bucket(struct nsrc **v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i - 1]->host > v[i]->host) {
			qsort(v, n, sizeof(*v), src_cmp);
			return;
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
 * the evidence, the records (the first packed now, from the row's first
 * time; the rest as they were packed). */
static int put_block(struct pk_buf *row, struct pk_buf *body, const struct nsrc *x, int64_t row_first_us)
{
	struct pk_state st = { .time_us = row_first_us, .sticky = true };
	const struct nfirst *f = &x->first;
	struct pk_event p = {
		.time_us = f->time_us,
		.kind = f->kind,
		.method = f->method,
		.flags = f->flags,
		.program = f->program,
		.user = f->user,
		.detail = f->detail,
		.source_name = f->source_name,
		.count = f->count,
		.attempts = f->attempts,
	};
	size_t alen = x->src.family == ADDR_V4 ? 4 : x->src.family == ADDR_V6 ? 16 : 0;
	size_t k = x->n > 1 ? 2 : 1;
	int r;

	p.mask = (p.flags ? PK_FLAGS : 0) | (p.program ? PK_PROGRAM : 0) | (p.user ? PK_USER : 0) |
		 (p.detail ? PK_DETAIL : 0) | (p.source_name ? PK_SOURCE_NAME : 0) | (p.count != 1 ? PK_COUNT : 0) |
		 (p.attempts ? PK_ATTEMPTS : 0);
	body->n = 0;
	r = pk_put_u64(body, x->n);
	if (r >= 0)
		r = pk_put_u64(body, k);
	for (size_t i = 0; i < k && r >= 0; i++) {
		r = pk_put_u64(body, x->ev_file[i]);
		if (r >= 0)
			r = pk_put_u64(body, x->ev_line[i]);
	}
	if (r >= 0)
		r = pk_put(body, &st, &p);
	if (r >= 0)
		r = pk_put_u64(row, x->src.family);
	if (r >= 0)
		r = pk_put_u64(row, body->n + x->rest.n);
	if (r >= 0)
		r = pk_put_bytes(row, x->src.bytes, alen);
	if (r >= 0)
		r = pk_put_bytes(row, body->p, body->n);
	if (r >= 0 && x->rest.n)
		r = pk_put_bytes(row, x->rest.p, x->rest.n);
	return r;
}

/* Writes v[0, n) (one bucket, one host) as one row. */
static int write_row(struct store *s, struct noise *nz, struct nsrc *const *v, size_t n)
{
	struct pk_buf *row = &nz->row;
	int64_t first = INT64_MAX, last = INT64_MIN, id = 0, lines = 0;
	uint64_t attempts = 0;
	sqlite3_stmt *st;
	int r = 0, rc;

	row->n = 0;
	for (size_t i = 0; i < n; i++) {
		first = MIN(first, v[i]->first_us);
		last = MAX(last, v[i]->last_us);
		attempts += v[i]->attempts;
		lines += v[i]->n;
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		r = put_block(row, &nz->body, v[i], first);
	if (r < 0)
		return store_failf(s, r, "out of memory");
	r = next_id(s, nz, &id);
	if (r >= 0)
		r = store_stmt(s, STMT_NOISE_INSERT, &st);
	for (unsigned part = 0; r >= 0; part++) {
		(void)sqlite3_bind_int64(st, 1, v[0]->bucket);
		(void)sqlite3_bind_int64(st, 2, v[0]->host);
		(void)sqlite3_bind_int64(st, 3, first);
		(void)sqlite3_bind_int64(st, 4, part);
		(void)sqlite3_bind_int64(st, 5, last);
		(void)sqlite3_bind_int64(st, 6, lines);
		(void)sqlite3_bind_int64(st, 7, (int64_t)attempts);
		(void)sqlite3_bind_blob(st, 8, row->p, (int)row->n, SQLITE_STATIC);
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
	return r;
}

/* ---- by account ---- */

static int write_uagg(struct store *s, struct noise *nz, const struct uagg *u)
{
	sqlite3_stmt *st;
	int r, rc;
	nz->body.n = 0;
	for (uint32_t i = 0; i < u->n_srcs; i++)
		if (pk_put_addr(&nz->body, &u->srcs[i]->src) < 0)
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

int store_noise_flush(struct store *s)
{
	struct noise *nz = s->noise;
	struct nsrc **idx = NULL;
	size_t *start = NULL;
	int r = 0;

	if (!nz || nz->n_srcs == 0)
		goto id;
	/* by bucket (a counting sort, stable: arrival order within), then
	 * each bucket's by host */
	idx = malloc(nz->n_srcs * sizeof(*idx));
	start = calloc(NOISE_BUCKETS + 1, sizeof(*start));
	if (!idx || !start) {
		r = store_failf(s, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nz->n_srcs; i++)
		start[nz->srcs[i]->bucket + 1]++;
	for (size_t b = 0; b < NOISE_BUCKETS; b++)
		start[b + 1] += start[b];
	for (size_t i = 0; i < nz->n_srcs; i++)
		idx[start[nz->srcs[i]->bucket]++] = nz->srcs[i];
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
	for (size_t i = 0; i < nz->n_users && r >= 0; i++)
		r = write_uagg(s, nz, nz->users[i]);
	if (r >= 0)
		noise_clear(nz);
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
