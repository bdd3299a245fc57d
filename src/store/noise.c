/*
 * noise: failed logins and pre-authentication lines, the attacker-driven
 * bulk of an attacked host's log, kept so that `moat trace --source` can
 * still say how many tries, when, for which names, with evidence — in few
 * rows.
 *
 * Sources are spread over NOISE_BUCKETS buckets by a fixed hash of their
 * address. Each line is packed as it comes, onto its source's
 * pending block (found by (host, address) in a seeded map): the block
 * keeps its first line's fields apart, the rest packed after it, its
 * count, times and the first and last lines as evidence. A flush (every
 * commit, or when too many sources or bytes are pending) orders the
 * sources by bucket, host and arrival and writes one row per bucket and
 * host, holding the blocks one after the other (see put_block). Only the first record is packed at the flush (its
 * time is a delta from the row's first); the rest are copied. A query for
 * a source reads its bucket's rows and decodes its block only (each block
 * says its length). Rows are written once and never rewritten: an episode
 * that spans commits spans rows.
 *
 * The bucket hash is on disk (queries compute it): never change it. An
 * attacker who picks addresses may crowd one bucket; that makes its rows
 * longer to read, never wrong.
 *
 * Records (see nz_put) keep what differs from the record before of the
 * same kind: a source alternates a few kinds of line ("Invalid user",
 * "Failed password", "Connection closed … [preauth]"), each repeating its
 * own flags, detail and attempts; the user is what the record before had
 * unless said. The last KINDS_KEPT kinds are remembered, most recent
 * first; the decoder keeps the same list the same way.
 *
 * The same flush counts the lines per account and UTC day (noise_users:
 * how many, which sources, up to USER_SOURCES_MAX) so that `moat trace
 * --user` finds an account's failed logins without reading every source's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/array.h"
#include "core/hmap-ahead.h"
#include "core/hmap.h"
#include "core/list.h"
#include "core/macro.h"
#include "store/pack.h"
#include "store/store-internal.h"

/* A flush is forced past this many pending sources or packed bytes: the
 * bound on what an attacker with many addresses makes us hold (about
 * 330 bytes a source). Each flush writes a block per source it holds, so
 * fewer flushes mean fewer blocks: a slow attack's source has a line now
 * and then, its lines of a whole batch go in one block. */
#define SOURCES_MAX (1u << 17)
#define PENDING_BYTES_MAX (64u << 20)
#define USER_SOURCES_MAX 16
#define DAY_US (86400 * INT64_C(1000000))
/* A source's records are packed in the source itself until they fill
 * this many bytes (most sources), then in a buffer of their own. */
#define REST_INLINE 64
/* The sources and accounts come from chunks this big: mapped in huge
 * pages (core/pages.h), as each line goes to its source's at random. */
#define ARENA_CHUNK (4u << 20)
/* The most one record packs to (nz_put: the mask, the time, the kind and
 * seven fields as varints, and acct) */
#define RECORD_MAX (2 + 10 + 2 + 7 * 5 + 2)

/* One line, as a noise record keeps it (ids are names ids, 0: none). */
struct nrec {
	int64_t time_us;
	uint32_t flags, program, user, detail, source_name, count, attempts;
	uint8_t kind, method, acct;
};

/* The kinds remembered by the record codec. */
#define KINDS_KEPT 4

struct nslot {
	int16_t kb; /* kind | method << 5; -1: empty */
	uint8_t acct;
	uint32_t flags, detail, source_name, count, attempts;
};

/* Where an encoder or decoder is in a block: the record before's time,
 * user and program, and the last kinds' fields (slot 0: the record
 * before's kind). */
struct ncodec {
	int64_t time_us;
	uint32_t user, program;
	struct nslot slot[KINDS_KEPT];
};

/* A record's mask: its kind in the low two bits (the kind of slot 0, 1 or
 * 2 — 0 is the record before's — or NZ_KIND_NEW: a byte follows), then
 * which fields follow (a clear bit: as the kind's last; the user and
 * program as the record before's). What most records set fits in one
 * byte. */
enum {
	NZ_KIND_MASK = 3u,
	NZ_KIND_NEW = 3u,
	NZ_FLAGS = 1u << 2,
	NZ_USER = 1u << 3,
	NZ_DETAIL = 1u << 4,
	NZ_ATTEMPTS = 1u << 5,
	NZ_PROGRAM = 1u << 6,
	NZ_COUNT = 1u << 7,
	NZ_SOURCE_NAME = 1u << 8,
	NZ_ACCT = 1u << 9,
	NZ_ALL = (1u << 10) - 1,
};

static void nz_codec_init(struct ncodec *c, int64_t time_us)
{
	*c = (struct ncodec){ .time_us = time_us };
	for (size_t i = 0; i < KINDS_KEPT; i++)
		c->slot[i].kb = -1;
}

/* The slot of kind byte kb, moved to the front (a new one, zeroed, when
 * it was not kept: the least recent goes). */
static struct nslot *nz_slot(struct ncodec *c, int kb)
{
	size_t i = 0;
	while (i < KINDS_KEPT - 1 && c->slot[i].kb != kb)
		i++;
	struct nslot x = c->slot[i];
	if (x.kb != kb)
		x = (struct nslot){ .kb = kb, .count = 1 };
	/* the slots before i move back one (a call to memmove, which a loop
	 * also becomes, cost more than the copies) */
	_Static_assert(KINDS_KEPT == 4, "three moves at most");
	if (i >= 3)
		c->slot[3] = c->slot[2];
	if (i >= 2)
		c->slot[2] = c->slot[1];
	if (i >= 1)
		c->slot[1] = c->slot[0];
	c->slot[0] = x;
	return &c->slot[0];
}

/* Packs e after the record c describes: mask, time delta, kind byte if
 * it changed, then the fields that differ in mask order. */
static int nz_put(struct pk_buf *b, struct ncodec *c, const struct nrec *e)
{
	int kb = (e->kind & 31) | (e->method & 7) << 5;
	uint32_t j = 0;
	while (j < NZ_KIND_NEW && c->slot[j].kb != kb)
		j++;
	struct nslot *sl = nz_slot(c, kb);
	uint32_t mask = j | (e->flags != sl->flags ? NZ_FLAGS : 0) |
			(e->user != c->user ? NZ_USER : 0) | (e->detail != sl->detail ? NZ_DETAIL : 0) |
			(e->attempts != sl->attempts ? NZ_ATTEMPTS : 0) | (e->count != sl->count ? NZ_COUNT : 0) |
			(e->source_name != sl->source_name ? NZ_SOURCE_NAME : 0) |
			(e->program != c->program ? NZ_PROGRAM : 0) | (e->acct != sl->acct ? NZ_ACCT : 0);
	if (pk_reserve(b, RECORD_MAX) < 0)
		return -ENOMEM;
	pk_put_raw(b, mask);
	pk_put_raw(b, pk_dt_code(e->time_us - c->time_us));
	if (j == NZ_KIND_NEW)
		pk_put_raw(b, (uint64_t)kb);
	/* in mask order (nz_get reads them so) */
	if (mask & NZ_FLAGS)
		pk_put_raw(b, e->flags);
	if (mask & NZ_USER)
		pk_put_raw(b, e->user);
	if (mask & NZ_DETAIL)
		pk_put_raw(b, e->detail);
	if (mask & NZ_ATTEMPTS)
		pk_put_raw(b, e->attempts);
	if (mask & NZ_PROGRAM)
		pk_put_raw(b, e->program);
	if (mask & NZ_COUNT)
		pk_put_raw(b, e->count);
	if (mask & NZ_SOURCE_NAME)
		pk_put_raw(b, e->source_name);
	if (mask & NZ_ACCT)
		pk_put_raw(b, e->acct);
	*sl = (struct nslot){ .kb = kb, .acct = e->acct, .flags = e->flags, .detail = e->detail,
			      .source_name = e->source_name, .count = e->count, .attempts = e->attempts };
	c->time_us = e->time_us;
	c->user = e->user;
	c->program = e->program;
	return 0;
}

/* Reads the record at *pos of p[0, n): 0, or -EBADMSG. */
static int nz_get(const uint8_t *p, size_t n, size_t *pos, struct ncodec *c, struct nrec *ret)
{
	uint64_t mask, v;
	size_t at = *pos;
	if (pk_get_u64(p, n, &at, &mask) < 0 || mask > NZ_ALL || pk_get_u64(p, n, &at, &v) < 0)
		return -EBADMSG;
	int64_t t;
	if (!pk_dt_apply(c->time_us, v, &t))
		return -EBADMSG;
	int kb;
	if ((mask & NZ_KIND_MASK) == NZ_KIND_NEW) {
		if (pk_get_u64(p, n, &at, &v) < 0 || v > 255)
			return -EBADMSG;
		kb = (int)v;
	} else {
		kb = c->slot[mask & NZ_KIND_MASK].kb;
		if (kb < 0)
			return -EBADMSG; /* a kind not seen yet */
	}
	struct nslot *sl = nz_slot(c, kb);
	struct nslot x = *sl;
	uint32_t user = c->user, program = c->program;
	struct {
		uint32_t bit, *v;
	} f[] = { { NZ_FLAGS, &x.flags },	{ NZ_USER, &user },	    { NZ_DETAIL, &x.detail },
		  { NZ_ATTEMPTS, &x.attempts }, { NZ_PROGRAM, &program }, { NZ_COUNT, &x.count },
		  { NZ_SOURCE_NAME, &x.source_name } };
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		if (mask & f[i].bit) {
			if (pk_get_u64(p, n, &at, &v) < 0 || v > UINT32_MAX)
				return -EBADMSG;
			*f[i].v = (uint32_t)v;
		}
	if (mask & NZ_ACCT) {
		if (pk_get_u64(p, n, &at, &v) < 0 || v > 255)
			return -EBADMSG;
		x.acct = (uint8_t)v;
	}
	*sl = x;
	c->time_us = t;
	c->user = user;
	c->program = program;
	*ret = (struct nrec){ .time_us = t, .flags = x.flags, .program = program, .user = user,
			      .detail = x.detail, .source_name = x.source_name, .count = x.count,
			      .attempts = x.attempts, .kind = (uint8_t)(kb & 31), .method = (uint8_t)(kb >> 5),
			      .acct = x.acct };
	*pos = at;
	return 0;
}

/* A source's pending block. */
struct nsrc {
	/* what each line reads or writes, together */
	struct hmap_node node;
	struct addr src;
	uint32_t host;
	uint32_t n; /* lines */
	uint32_t attempts;
	int64_t first_us, last_us; /* the earliest and latest times */
	uint32_t ev_file[2], ev_line[2]; /* its first and last lines: the evidence */
	struct pk_buf rest; /* records 2..n: in inl until it is full */
	struct ncodec st; /* after the last record packed */
	uint8_t inl[REST_INLINE];
	/* read at the flush */
	uint32_t seq; /* arrival */
	uint16_t bucket;
	struct nrec first;
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
	uint64_t listed; /* a bit for each source in srcs (by its address): most sources not listed are not looked for */
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
	struct nsrc *last; /* the source of the last line added */
	struct pk_buf body, row, scratch; /* reused */
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
	arena_init(&nz->mem, ARENA_CHUNK);
	s->noise = nz;
	return nz;
}

/* Drops what is pending (written, or abandoned with its transaction). */
static void noise_clear(struct noise *nz)
{
	for (size_t i = 0; i < nz->n_srcs; i++)
		if (nz->srcs[i]->rest.p != nz->srcs[i]->inl)
			pk_buf_free(&nz->srcs[i]->rest);
	nz->n_srcs = nz->n_users = nz->bytes = 0;
	nz->last = NULL;
	hmap_clear(&nz->by_src);
	hmap_clear(&nz->by_user);
	arena_done(&nz->mem);
	arena_init(&nz->mem, ARENA_CHUNK);
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
	pk_buf_free(&nz->scratch);
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

/* A source's key in by_src: the address with zeros after its bytes
 * (returns how many are its own). */
static size_t source_addr(const struct addr *src, struct addr *a)
{
	size_t alen = src->family == ADDR_V4 ? 4 : src->family == ADDR_V6 ? 16 : 0;
	*a = *src;
	memset(a->bytes + alen, 0, sizeof(a->bytes) - alen);
	return alen;
}

static uint64_t source_hash(const struct noise *nz, uint32_t host, const struct addr *a, size_t alen)
{
	return hash_bytes(a->bytes, alen, hmap_seed(&nz->by_src) ^ ((uint64_t)host << 8 | a->family));
}

void store_noise_preload(const struct store *s, int64_t host, const struct addr *src, bool entry)
{
	const struct noise *nz = s->noise;
	struct addr a;
	/* fewer sources than this stay in the caches: nothing to load ahead */
	if (!nz || hmap_size(&nz->by_src) < 4096)
		return;
	size_t alen = source_addr(src, &a);
	uint64_t h = source_hash(nz, id32(host), &a, alen);
	if (entry)
		hmap_prefetch_node(&nz->by_src, h, sizeof(struct nsrc));
	else
		hmap_prefetch_slot(&nz->by_src, h);
}

static struct nsrc *source_get(struct noise *nz, uint32_t host, const struct addr *src)
{
	struct addr a;
	size_t alen = source_addr(src, &a);
	/* a connection's lines come together: the line before's source */
	if (nz->last && nz->last->host == host && addr_equal(&nz->last->src, &a))
		return nz->last;
	uint64_t h = source_hash(nz, host, &a, alen);
	struct nkey key = { host, &a };
	struct hmap_node *n = hmap_find(&nz->by_src, h, src_eq, &key);
	if (n)
		return nz->last = container_of(n, struct nsrc, node);
	struct nsrc *x = arena_alloc(&nz->mem, sizeof(*x));
	if (!x)
		return NULL;
	*x = (struct nsrc){ .src = a, .bucket = store_noise_bucket(&a), .host = host, .seq = (uint32_t)nz->n_srcs };
	x->rest = (struct pk_buf){ .p = x->inl, .cap = sizeof(x->inl) };
	if (array_reserve(&nz->srcs, &nz->cap_srcs, nz->n_srcs + 1, sizeof(*nz->srcs), 1024) < 0)
		return NULL;
	nz->srcs[nz->n_srcs++] = x;
	if (hmap_add(&nz->by_src, &x->node, h) < 0) {
		nz->n_srcs--;
		return NULL;
	}
	return nz->last = x;
}

/* Counts the line under its account, host and UTC day. */
static int user_count(struct noise *nz, const struct nsrc *x, const struct nrec *e)
{
	struct ukey k = { e->user, x->host,
			  e->time_us >= 0 ? e->time_us / DAY_US : -((-e->time_us + DAY_US - 1) / DAY_US) };
	/* the day mixed in too: XORed after the mix, an account's days took
	 * neighbouring slots, and the runs of slots merged into long probes
	 * (a store a quarter of a scan of three years of logs) */
	uint64_t h = hash_mix(hash_mix(((uint64_t)k.user << 32 | k.host) ^ hmap_seed(&nz->by_user)) ^ (uint64_t)k.day);
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
		if (array_reserve(&nz->users, &nz->cap_users, nz->n_users + 1, sizeof(*nz->users), 1024) < 0)
			return -ENOMEM;
		nz->users[nz->n_users++] = u;
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
	uint64_t bit = UINT64_C(1) << ((uint64_t)(uintptr_t)x * UINT64_C(0x9e3779b97f4a7c15) >> 58);
	if (u->listed & bit)
		for (uint32_t j = 0; j < u->n_srcs; j++)
			if (u->srcs[j] == x)
				return 0;
	if (u->n_srcs < USER_SOURCES_MAX) {
		u->srcs[u->n_srcs++] = x;
		u->listed |= bit;
	} else
		u->more++; /* a line of a source not listed */
	return 0;
}

/* What a noise record keeps of e. */
static struct nrec record(const struct pk_event *e)
{
	return (struct nrec){
		.time_us = e->time_us,
		.kind = e->kind,
		.method = e->method,
		.acct = e->mask & PK_ACCT ? e->acct : 0,
		.flags = e->mask & PK_FLAGS ? e->flags : 0,
		.program = e->mask & PK_PROGRAM ? id32(e->program) : 0,
		.user = e->mask & PK_USER ? id32(e->user) : 0,
		.detail = e->mask & PK_DETAIL ? id32(e->detail) : 0,
		.source_name = e->mask & PK_SOURCE_NAME ? id32(e->source_name) : 0,
		.count = e->mask & PK_COUNT ? e->count : 1,
		.attempts = e->mask & PK_ATTEMPTS ? e->attempts : 0,
	};
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
	struct nrec p = record(e);
	uint32_t file = id32(e->file), line = e->line <= UINT32_MAX ? (uint32_t)e->line : 0;
	if (x->n == 0) {
		/* packed at the flush, from the row's first time; the state it
		 * leaves does not depend on where the row begins */
		x->first = p;
		nz->scratch.n = 0;
		nz_codec_init(&x->st, p.time_us);
		r = nz_put(&nz->scratch, &x->st, &p);
		if (r < 0)
			return store_failf(s, r, "out of memory");
		x->first_us = x->last_us = p.time_us;
		x->ev_file[0] = file;
		x->ev_line[0] = line;
	} else {
		size_t before = x->rest.n;
		if (x->rest.cap - x->rest.n < RECORD_MAX) {
			/* out of the source (or a bigger buffer): pk_buf's
			 * own growth must never realloc inl */
			size_t cap = x->rest.cap * 4;
			uint8_t *b = x->rest.p == x->inl ? malloc(cap) : realloc(x->rest.p, cap);
			if (!b)
				return store_failf(s, -ENOMEM, "out of memory");
			if (x->rest.p == x->inl)
				memcpy(b, x->inl, x->rest.n);
			x->rest.p = b;
			x->rest.cap = cap;
		}
		r = nz_put(&x->rest, &x->st, &p);
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
	if (p.user && user_count(nz, x, &p) < 0)
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

/*
 * A block: varint (length << 2 | how the address is written), the
 * address, then length bytes: the count of lines; the first line's file
 * and line; when more than one, the last's file (0: the first's, else its
 * id + 1) and line (a zigzag delta from the first's); the records, the
 * first one's time a delta from the row's first. Address forms: 0 none,
 * 1 IPv4 (4 bytes), 2 IPv6 (16 bytes), 3 IPv6 with its longest run of
 * zero groups left out (a byte: first group << 4 | groups - 1, then the
 * other groups' bytes).
 */
enum { AF_NONE, AF_V4, AF_V6, AF_V6_RUN };

/* The longest run of zero 16-bit groups of a (start, length; length 0:
 * none). */
static void zero_run(const struct addr *a, unsigned *ret_start, unsigned *ret_len)
{
	unsigned best = 0, best_at = 0;
	for (unsigned i = 0; i < 8;) {
		unsigned j = i;
		while (j < 8 && a->bytes[2 * j] == 0 && a->bytes[2 * j + 1] == 0)
			j++;
		if (j - i > best)
			best = j - i, best_at = i;
		i = j > i ? j : i + 1;
	}
	*ret_start = best_at;
	*ret_len = best;
}

static int put_addr(struct pk_buf *row, const struct addr *a, size_t len)
{
	unsigned start, run;
	int r;
	if (a->family == ADDR_V4) {
		r = pk_put_u64(row, len << 2 | AF_V4);
		return r < 0 ? r : pk_put_bytes(row, a->bytes, 4);
	}
	if (a->family != ADDR_V6)
		return pk_put_u64(row, len << 2 | AF_NONE);
	zero_run(a, &start, &run);
	if (run == 0) {
		r = pk_put_u64(row, len << 2 | AF_V6);
		return r < 0 ? r : pk_put_bytes(row, a->bytes, 16);
	}
	uint8_t d = (uint8_t)(start << 4 | (run - 1));
	r = pk_put_u64(row, len << 2 | AF_V6_RUN);
	if (r >= 0)
		r = pk_put_bytes(row, &d, 1);
	if (r >= 0)
		r = pk_put_bytes(row, a->bytes, 2 * start);
	if (r >= 0)
		r = pk_put_bytes(row, a->bytes + 2 * (start + run), 16 - 2 * (start + run));
	return r;
}

/* Reads a block's head: its address and the length of the rest. */
static int get_addr(const uint8_t *p, size_t n, size_t *pos, struct addr *a, uint64_t *ret_len)
{
	uint64_t h;
	*a = (struct addr){ 0 };
	if (pk_get_u64(p, n, pos, &h) < 0)
		return -EBADMSG;
	*ret_len = h >> 2;
	switch (h & 3) {
	case AF_NONE:
		return 0;
	case AF_V4:
		if (n - *pos < 4)
			return -EBADMSG;
		a->family = ADDR_V4;
		memcpy(a->bytes, p + *pos, 4);
		*pos += 4;
		return 0;
	case AF_V6:
		if (n - *pos < 16)
			return -EBADMSG;
		a->family = ADDR_V6;
		memcpy(a->bytes, p + *pos, 16);
		*pos += 16;
		return 0;
	default: {
		if (*pos >= n)
			return -EBADMSG;
		unsigned start = p[*pos] >> 4, run = (p[*pos] & 15) + 1;
		if (start + run > 8 || (size_t)(n - *pos - 1) < 16 - 2 * run)
			return -EBADMSG;
		(*pos)++;
		a->family = ADDR_V6;
		memcpy(a->bytes, p + *pos, 2 * start);
		memcpy(a->bytes + 2 * (start + run), p + *pos + 2 * start, 16 - 2 * (start + run));
		*pos += 16 - 2 * run;
		return 0;
	}
	}
}

static int put_block(struct pk_buf *row, struct pk_buf *body, const struct nsrc *x, int64_t row_first_us)
{
	struct ncodec c;
	int r;

	nz_codec_init(&c, row_first_us);
	body->n = 0;
	r = pk_put_u64(body, x->n);
	if (r >= 0)
		r = pk_put_u64(body, x->ev_file[0]);
	if (r >= 0)
		r = pk_put_u64(body, x->ev_line[0]);
	if (r >= 0 && x->n > 1) {
		r = pk_put_u64(body, x->ev_file[1] == x->ev_file[0] ? 0 : (uint64_t)x->ev_file[1] + 1);
		if (r >= 0)
			r = pk_put_u64(body, pk_zigzag((int64_t)x->ev_line[1] - (int64_t)x->ev_line[0]));
	}
	if (r >= 0)
		r = nz_put(body, &c, &x->first);
	if (r >= 0)
		r = put_addr(row, &x->src, body->n + x->rest.n);
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
	if (r < 0)
		return r;
	/* appended (a new id, the largest): a flush writes at the end of the
	 * table, whatever the buckets, and only the small index by bucket
	 * takes its rows at random */
	(void)sqlite3_bind_int64(st, 1, v[0]->bucket);
	(void)sqlite3_bind_int64(st, 2, v[0]->host);
	(void)sqlite3_bind_int64(st, 3, first);
	(void)sqlite3_bind_int64(st, 4, last);
	(void)sqlite3_bind_int64(st, 5, lines);
	(void)sqlite3_bind_int64(st, 6, (int64_t)attempts);
	(void)sqlite3_bind_blob(st, 7, row->p, (int)row->n, SQLITE_STATIC);
	(void)sqlite3_bind_int64(st, 8, id);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot record failed logins");
	return 0;
}

/* ---- by account ---- */

/*
 * noise_users: a row per host and flush, its accounts one after the other
 * by user id and day: the user id (a delta from the entry before's), the
 * UTC day (zigzag, from the row's first day), the lines, attempts and
 * lines of sources not listed, the first time (a delta from the row's
 * first) and the last (from the first), the sources listed (count, then
 * each as pack.h writes addresses). One insert a flush instead of one an
 * account and day: a dictionary attack tries thousands of names a day.
 */
static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY_US : -((-t + DAY_US - 1) / DAY_US);
}

static int uagg_cmp(const void *a, const void *b)
{
	const struct uagg *x = *(const struct uagg *const *)a, *y = *(const struct uagg *const *)b;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return x->day < y->day ? -1 : x->day > y->day;
}

/* Writes v[0, n) (one host, sorted) as one row. */
static int write_users(struct store *s, struct noise *nz, struct uagg *const *v, size_t n)
{
	struct pk_buf *b = &nz->body;
	int64_t first = INT64_MAX, last = INT64_MIN;
	uint32_t prev_user = 0;
	sqlite3_stmt *st;
	int r = 0, rc;

	for (size_t i = 0; i < n; i++) {
		first = MIN(first, v[i]->first_us);
		last = MAX(last, v[i]->last_us);
	}
	int64_t day0 = day_of(first);
	b->n = 0;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct uagg *u = v[i];
		r = pk_reserve(b, 8 * 10);
		if (r < 0)
			break;
		pk_put_raw(b, u->user - prev_user);
		pk_put_raw(b, pk_zigzag(u->day - day0));
		pk_put_raw(b, u->n);
		pk_put_raw(b, u->attempts);
		pk_put_raw(b, u->more);
		pk_put_raw(b, pk_dt_code(u->first_us - first));
		pk_put_raw(b, pk_dt_code(u->last_us - u->first_us));
		pk_put_raw(b, u->n_srcs);
		for (uint32_t j = 0; j < u->n_srcs && r >= 0; j++)
			r = pk_put_addr(b, &u->srcs[j]->src);
		prev_user = u->user;
	}
	if (r < 0)
		return store_failf(s, -ENOMEM, "out of memory");
	r = store_stmt(s, STMT_NOISE_USER_INSERT, &st);
	for (unsigned part = 0; r >= 0; part++) {
		(void)sqlite3_bind_int64(st, 1, v[0]->host);
		(void)sqlite3_bind_int64(st, 2, first);
		(void)sqlite3_bind_int64(st, 3, part);
		(void)sqlite3_bind_int64(st, 4, last);
		(void)sqlite3_bind_blob(st, 5, b->p, (int)b->n, SQLITE_STATIC);
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

static int flush_users(struct store *s, struct noise *nz)
{
	int r = 0;
	if (nz->n_users) /* qsort(NULL, 0) is undefined (UBSan) */
		qsort(nz->users, nz->n_users, sizeof(*nz->users), uagg_cmp);
	for (size_t i = 0, j; i < nz->n_users && r >= 0; i = j) {
		for (j = i + 1; j < nz->n_users && nz->users[j]->host == nz->users[i]->host; j++)
			;
		r = write_users(s, nz, nz->users + i, j - i);
	}
	return r;
}

int store_noise_users_decode(const void *data, size_t n, int64_t first_us, int64_t user, int64_t since_us,
			     int64_t until_us, int (*fn)(void *ud, const struct addr *src), void *ud)
{
	const uint8_t *p = data;
	size_t pos = 0;
	uint64_t u = 0;
	while (pos < n) {
		/* user delta, day, lines, attempts, more, first, last, sources */
		uint64_t v[8];
		for (size_t i = 0; i < ELEMENTSOF(v); i++)
			if (pk_get_u64(p, n, &pos, &v[i]) < 0)
				return -EBADMSG;
		u += v[0];
		int64_t f, l;
		if (!pk_dt_apply(first_us, v[5], &f) || !pk_dt_apply(f, v[6], &l))
			return -EBADMSG;
		bool want = (int64_t)u == user && l >= since_us && f <= until_us;
		uint64_t nsrc = v[7];
		if (nsrc > USER_SOURCES_MAX)
			return -EBADMSG;
		for (uint64_t i = 0; i < nsrc; i++) {
			struct addr a;
			if (pk_get_addr(p, n, &pos, &a) < 0)
				return -EBADMSG;
			if (want) {
				int r = fn(ud, &a);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
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
	if (r >= 0)
		r = flush_users(s, nz);
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
		uint64_t len, count, v, ev_file[2] = { 0 }, ev_line[2] = { 0 };
		struct addr a;
		if (get_addr(p, n, &pos, &a, &len) < 0 || len > n - pos)
			return -EBADMSG;
		size_t end = pos + (size_t)len;
		if (pk_get_u64(p, end, &pos, &count) < 0 || count == 0 || count > len)
			return -EBADMSG;
		if (only && !addr_equal(&a, only)) {
			index += (uint32_t)count;
			pos = end;
			continue;
		}
		if (pk_get_u64(p, end, &pos, &ev_file[0]) < 0 || pk_get_u64(p, end, &pos, &ev_line[0]) < 0)
			return -EBADMSG;
		if (count > 1) {
			if (pk_get_u64(p, end, &pos, &v) < 0)
				return -EBADMSG;
			ev_file[1] = v ? v - 1 : ev_file[0];
			if (pk_get_u64(p, end, &pos, &v) < 0)
				return -EBADMSG;
			ev_line[1] = ev_line[0] + (uint64_t)pk_unzigzag(v);
		}
		struct ncodec c;
		nz_codec_init(&c, first_us);
		for (uint64_t i = 0; i < count; i++, index++) {
			struct nrec x;
			if (nz_get(p, end, &pos, &c, &x) < 0)
				return -EBADMSG;
			struct pk_event e = {
				.time_us = x.time_us,
				.kind = x.kind,
				.method = x.method,
				.acct = x.acct,
				.flags = x.flags,
				.pid = -1,
				.program = x.program,
				.user = x.user,
				.detail = x.detail,
				.source_name = x.source_name,
				.count = x.count,
				.attempts = x.attempts,
			};
			e.mask = (e.flags ? PK_FLAGS : 0) | (e.program ? PK_PROGRAM : 0) | (e.user ? PK_USER : 0) |
				 (e.detail ? PK_DETAIL : 0) | (e.source_name ? PK_SOURCE_NAME : 0) |
				 (e.count != 1 ? PK_COUNT : 0) | (e.attempts ? PK_ATTEMPTS : 0) | (e.acct ? PK_ACCT : 0);
			/* the block's first and last lines are its evidence */
			if (i == 0 || i == count - 1) {
				e.file = (int64_t)ev_file[i == 0 ? 0 : 1];
				e.line = ev_line[i == 0 ? 0 : 1];
			}
			int r = fn(ud, &a, index, &e);
			if (r < 0)
				return r;
		}
		if (pos != end)
			return -EBADMSG;
	}
	return 0;
}
