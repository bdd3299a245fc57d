/*
 * segments: how the events kept in full are written (noise.c keeps the
 * failed logins and noise). Every such event goes into the open segment of
 * its (host, user) in memory, and segments are written as rows of table
 * segments, every field and line packed (pack.h); segment_sources says
 * which segments hold a line naming a source. A segment's row is written
 * when the segment closes (full, quiet for days, pushed out of the capped
 * map or out of the memory budget) and rewritten at each commit while it
 * grows, so a commit always holds every event added before it.

 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmap.h"
#include "core/list.h"
#include "core/macro.h"
#include "store/pack.h"
#include "store/store-internal.h"

#define SEG_MAX_BYTES (16 * 1024) /* a segment's data: closed past this */
#define SEG_MAX_EVENTS 4096
/* quiet this long, the next event starts a new segment: a slow attack
 * (a try every few hours) stays one row */
#define SEG_GAP_US (3 * 86400 * INT64_C(1000000))
#define SEG_OPEN_MAX 262144 /* open segments (keys: attacker addresses) */
#define SEG_BUDGET (64u << 20) /* bytes of data held open */
#define SEG_SOURCES_MAX 64 /* sources indexed per event segment */

struct seg {
	struct cmap_node node;
	int64_t host, user;
	int64_t row; /* segments.id once written */
	int64_t first_us, last_us;
	uint32_t n;
	struct pk_state st;
	struct pk_buf data;
	bool dirty;
	struct list dirty_link;
	/* event segments: the sources named in it, for segment_sources
	 * (allocated for the first one) */
	int64_t *srcs;
	uint16_t n_srcs, srcs_written;
};

struct segs {
	struct cmap open;
	struct list dirty;
	size_t bytes; /* data held open */
	int64_t now_us; /* the latest event time seen */
	int err; /* a write that failed inside a drop callback */
	struct store *s;
};

struct seg_key {
	int64_t host, user;
};

static bool seg_eq(const struct hmap_node *n, const void *k)
{
	const struct seg *g = container_of(n, struct seg, node.h);
	const struct seg_key *key = k;
	return g->host == key->host && g->user == key->user;
}

/* ---- writing rows ---- */

static int write_seg(struct store *s, struct seg *g)
{
	sqlite3_stmt *st;
	int r, rc;
	if (!g->dirty)
		return 0;
	r = store_stmt(s, g->row ? STMT_SEGMENT_UPDATE : STMT_SEGMENT_INSERT, &st);
	if (r < 0)
		return r;
	(void)sqlite3_bind_int64(st, 1, g->host);
	(void)sqlite3_bind_int64(st, 2, g->user);
	(void)sqlite3_bind_int64(st, 3, g->first_us);
	(void)sqlite3_bind_int64(st, 4, g->last_us);
	(void)sqlite3_bind_int64(st, 5, g->n);
	(void)sqlite3_bind_blob(st, 6, g->data.p, (int)g->data.n, SQLITE_STATIC);
	if (g->row)
		(void)sqlite3_bind_int64(st, 7, g->row);
	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "cannot record events");
	if (!g->row)
		g->row = sqlite3_last_insert_rowid(s->db);
	for (; g->srcs_written < g->n_srcs; g->srcs_written++) {
		r = store_stmt(s, STMT_SEGMENT_SOURCE, &st);
		if (r < 0)
			return r;
		(void)sqlite3_bind_int64(st, 1, g->srcs[g->srcs_written]);
		(void)sqlite3_bind_int64(st, 2, g->row);
		rc = sqlite3_step(st);
		(void)sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc, "cannot index events by source");
	}
	g->dirty = false;
	list_unlink(&g->dirty_link);
	return 0;
}

/* ---- the maps ---- */

static void seg_drop(void *ud, struct cmap_node *n, enum cmap_why why)
{
	struct segs *ss = ud;
	struct seg *g = container_of(n, struct seg, node);
	(void)why;
	/* a segment that goes is written first (never lost); a failure is
	 * kept for the commit to report */
	if (g->dirty && !ss->err) {
		int r = write_seg(ss->s, g);
		if (r < 0)
			ss->err = r;
	}
	list_unlink(&g->dirty_link);
	ss->bytes -= g->data.cap;
	pk_buf_free(&g->data);
	free(g->srcs);
	g->srcs = NULL;
}

static struct segs *segs_get(struct store *s)
{
	struct segs *ss;
	if (s->segs)
		return s->segs;
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return NULL;
	ss->s = s;
	list_init(&ss->dirty);
	uint64_t seed = hash_random_seed(ss);
	if (cmap_init(&ss->open, seed, SEG_OPEN_MAX, sizeof(struct seg), seg_drop, ss) < 0) {
		free(ss);
		return NULL;
	}
	s->segs = ss;
	return ss;
}

void store_segments_forget(struct store *s)
{
	struct segs *ss = s->segs;
	if (!ss)
		return;
	/* nothing is written any more: the drop callbacks only free */
	ss->err = -ECANCELED;
	cmap_done(&ss->open);
	free(ss);
	s->segs = NULL;
}

int store_segments_flush(struct store *s)
{
	struct segs *ss = s->segs;
	int r;
	if (!ss)
		return 0;
	if (ss->err)
		return ss->err;
	/* what went quiet a day ago is written and let go */
	if (ss->now_us > INT64_MIN + SEG_GAP_US) {
		cmap_expire(&ss->open, ss->now_us - SEG_GAP_US);
		if (ss->err)
			return ss->err;
	}
	while (!list_empty(&ss->dirty)) {
		struct seg *g = list_entry(ss->dirty.next, struct seg, dirty_link);
		r = write_seg(s, g);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- adding ---- */

static struct seg *seg_for(struct store *s, struct segs *ss, int64_t host, int64_t user, int64_t t)
{
	struct seg_key k = { host, user };
	uint64_t h = hash_mix(hash_mix((uint64_t)user ^ cmap_seed(&ss->open)) ^ (uint64_t)host * 0x9e3779b97f4a7c15ull);
	struct cmap_node *n = cmap_find(&ss->open, h, seg_eq, &k);
	struct seg *g = n ? container_of(n, struct seg, node) : NULL;

	if (g && (g->data.n >= SEG_MAX_BYTES || g->n >= SEG_MAX_EVENTS || t - g->last_us > SEG_GAP_US ||
		  t < g->first_us)) {
		/* full, quiet for long, or earlier than it (another file):
		 * written, and a new one begins */
		cmap_remove(&ss->open, &g->node);
		g = NULL;
		if (ss->err)
			return NULL;
	}
	/* the map's clock is the latest event time (it must not go back;
	 * lines of older files may) */
	if (g) {
		cmap_touch(&ss->open, &g->node, ss->now_us);
		return g;
	}
	n = cmap_add(&ss->open, h, ss->now_us);
	if (!n) {
		(void)store_failf(s, -ENOMEM, "out of memory");
		return NULL;
	}
	if (ss->err)
		return NULL;
	g = container_of(n, struct seg, node);
	g->host = host;
	g->user = user;
	g->first_us = g->last_us = t;
	g->st.time_us = t;
	return g;
}

static bool seg_has_source(const struct seg *g, int64_t source)
{
	for (uint16_t i = 0; i < g->n_srcs; i++)
		if (g->srcs[i] == source)
			return true;
	return false;
}

static void mark_dirty(struct segs *ss, struct seg *g)
{
	if (!g->dirty) {
		g->dirty = true;
		list_push(&ss->dirty, &g->dirty_link);
	}
}

/* Keeps the open data under the budget: the least recently used
 * segments are written and let go. */
static void budget(struct segs *ss)
{
	while (ss->bytes > SEG_BUDGET && cmap_size(&ss->open) > 1 && !ss->err) {
		uint64_t pos = 0;
		struct cmap_node *n = cmap_next_oldest(&ss->open, &pos);
		if (!n)
			break;
		cmap_remove(&ss->open, n);
	}
}

int store_segment_add(struct store *s, int64_t host, int64_t user, const struct pk_event *e)
{
	struct segs *ss = segs_get(s);
	struct seg *g;
	size_t cap_before;
	int r;

	if (!ss)
		return store_failf(s, -ENOMEM, "out of memory");
	if (ss->err)
		return ss->err;
	ss->now_us = MAX(ss->now_us, e->time_us);
	g = seg_for(s, ss, host, user, e->time_us);
	if (g && (e->mask & PK_SOURCE) && g->n_srcs == SEG_SOURCES_MAX && !seg_has_source(g, e->source)) {
		/* every source of a segment is indexed: a full list closes it */
		cmap_remove(&ss->open, &g->node);
		g = ss->err ? NULL : seg_for(s, ss, host, user, e->time_us);
	}
	if (!g)
		return ss->err ? ss->err : -ENOMEM;
	/* the key is not repeated in each record */
	struct pk_event packed = *e;
	packed.mask &= ~(uint32_t)PK_USER;
	cap_before = g->data.cap;
	r = pk_put(&g->data, &g->st, &packed);
	ss->bytes += g->data.cap - cap_before;
	if (r < 0)
		return store_failf(s, r, "out of memory");
	g->n++;
	g->last_us = MAX(g->last_us, e->time_us);
	if ((e->mask & PK_SOURCE) && !seg_has_source(g, e->source)) {
		if (!g->srcs && !(g->srcs = malloc(SEG_SOURCES_MAX * sizeof(*g->srcs))))
			return store_failf(s, -ENOMEM, "out of memory");
		g->srcs[g->n_srcs++] = e->source;
	}
	mark_dirty(ss, g);
	budget(ss);
	return ss->err;
}

