/* pipeline: see pipeline.h. */
#include "scan/pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/allowlist.h"
#include "core/array.h"
#include "core/macro.h"
#include "detect/attempt.h"
#include "detect/detect.h"
#include "parse/decoder.h"
#include "parse/header.h"
#include "reach/reach.h"
#include "scan/forged.h"
#include "source/journal.h"
#include "source/legacy.h"
#include "store/store.h"

/* A commit rewrites the segments that grew since the last one: rare
 * commits write each row about once. A crash costs reading the lines of
 * the run again (fast: the detectors alone), never losing them. */
#define BATCH_BYTES_DEFAULT (256ull << 20)
#define PROGRESS_LINES 8192
#define JSON_STREAMS_MAX 16 /* journal JSON streams resumed by cursor in one run */
#define JSON_CURSOR_MAX 1024
/* Lines decoded before the stages after decoding run for them: the
 * decoders run for a batch of lines, then attempts, store and detectors
 * for its events, each keeping its code in the instruction cache. */
#define HELD_MAX 64

/* A journal JSON stream met in the inputs: the entries of one journal
 * (machine ID and the cursor's sequence number ID), resumed by sequence
 * number (see json_seen). */
struct json_stream {
	char *name; /* "journal-json:MACHINE-ID:SEQNUM-ID" */
	char sid[64];
	struct store_journal_cursor c;
	bool have_seq;
	uint64_t seq; /* the highest read: stored, or read in this run */
	char *pending; /* its cursor, to save at the next commit (NULL: nothing new) */
};

/* An event decoded from a line the reader keeps (source_keep), waiting
 * for the rest of its batch. */
struct held {
	struct event ev;
	bool replay;
};

struct pipeline {
	struct pipeline_config cfg;
	struct store *st;
	struct header_ctx *hdr;
	struct attempts *att;
	struct missed *missed;
	struct detect *det;
	const struct allowlist *allow;
	struct forged *forged;
	struct pipeline_stats stats;
	bool failed; /* the store could not be written */
	bool reach_warned; /* the reach root could not be read: said once */
	bool continuing; /* finishing an interrupted run */
	bool in_tx;

	/* alerts raised in the open batch, for on_alert once it commits */
	struct alert **pending;
	bool *pending_new;
	size_t n_pending, cap_pending, cap_pending_new;
	int alert_err; /* a store error met while storing an alert */

	/* the input being read */
	struct source_reader *rd;
	struct held held[HELD_MAX]; /* decoded, in line order, not yet taken */
	size_t n_held;
	struct store_cursor cur;
	bool have_cursor; /* the input can be marked (it has a head) */
	uint64_t replay_until; /* lines ending at or before this offset feed the detectors only */
	uint64_t batch_start; /* source bytes when the batch began */
	uint64_t bytes_counted; /* source bytes recorded in the run so far */

	/* the journal being read (pipeline_read_journal) */
	struct journal_reader *jr;
	const char *jstream;
	struct store_journal_cursor jcur;
	bool j_replaying; /* finishing an interrupted run: entries up to jcur.cursor feed the detectors only */

	struct json_stream json[JSON_STREAMS_MAX];
	size_t n_json;
	char *err;
};

_printf_(3, 4) static int perr(struct pipeline *p, int r, const char *fmt, ...)
{
	va_list ap;
	char *m;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(p->err);
	p->err = m;
	return r;
}

static int take_err(struct pipeline *p, int r, char **ret_err)
{
	if (ret_err) {
		free(*ret_err);
		*ret_err = p->err ? p->err : strdup(strerror(-r));
		p->err = NULL;
	}
	return r;
}

_printf_(2, 3) static void notice(struct pipeline *p, const char *fmt, ...)
{
	va_list ap;
	char *m;
	if (!p->cfg.on_notice)
		return;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (m)
		p->cfg.on_notice(p->cfg.ud, m);
	free(m);
}

/* ---- alerts ---- */

static void emit(void *ud, struct alert *a)
{
	struct pipeline *p = ud;
	int r = 1;
	p->stats.alerts++;
	if (p->cfg.reach_root && reach_annotate_alert(p->cfg.reach_root, a) < 0 && !p->reach_warned) {
		p->reach_warned = true;
		notice(p, "reach: %s: cannot be read; alerts carry no reach verdict", p->cfg.reach_root);
	}
	if (p->st && !p->failed) {
		r = store_add_alert(p->st, a);
		if (r < 0) {
			if (!p->alert_err)
				p->alert_err = perr(p, r, "cannot store an alert: %s", store_last_error(p->st));
			alert_free(a);
			return;
		}
	}
	if (r == 1)
		p->stats.alerts_new++;
	if (!p->st) {
		if (p->cfg.on_alert)
			p->cfg.on_alert(p->cfg.ud, a, true);
		alert_free(a);
		return;
	}
	/* told once the batch holding it is committed */
	if (array_reserve(&p->pending, &p->cap_pending, p->n_pending + 1, sizeof(*p->pending), 16) < 0 ||
	    array_reserve(&p->pending_new, &p->cap_pending_new, p->n_pending + 1, sizeof(*p->pending_new), 16) < 0) {
		/* cannot hold it back: tell it now (it is stored) */
		if (p->cfg.on_alert)
			p->cfg.on_alert(p->cfg.ud, a, r != 0);
		alert_free(a);
		return;
	}
	p->pending[p->n_pending] = a;
	p->pending_new[p->n_pending++] = r != 0;
}

static void drop_pending(struct pipeline *p, bool tell)
{
	for (size_t i = 0; i < p->n_pending; i++) {
		if (tell && p->cfg.on_alert)
			p->cfg.on_alert(p->cfg.ud, p->pending[i], p->pending_new[i]);
		alert_free(p->pending[i]);
	}
	p->n_pending = 0;
}

/* ---- batches ---- */

static int fail_store(struct pipeline *p, int r, const char *what)
{
	if (!p->failed)
		(void)perr(p, r, "%s: %s", what, store_last_error(p->st));
	p->failed = true;
	store_rollback(p->st);
	p->in_tx = false;
	drop_pending(p, false);
	return r;
}

static int batch_begin(struct pipeline *p)
{
	int r;
	if (!p->st || p->in_tx || p->failed)
		return 0;
	r = store_begin(p->st);
	if (r < 0)
		return fail_store(p, r, "cannot write the store");
	p->in_tx = true;
	return 0;
}

/* The forged entries of the batch become its alerts. */
static void flush_forged(struct pipeline *p)
{
	if (forged_flush(p->forged, (struct alert_sink){ emit, p }) < 0 && !p->alert_err)
		p->alert_err = perr(p, -ENOMEM, "out of memory");
}

/* The journal cursors that moved, into the open batch. */
static int save_journal_cursors(struct pipeline *p)
{
	const char *c = p->jr ? journal_cursor(p->jr) : NULL;
	int r;
	if (c && !p->j_replaying && (!p->jcur.cursor || strcmp(c, p->jcur.cursor) != 0)) {
		r = store_journal_cursor_save(p->st, p->jstream, &p->jcur, c);
		if (r < 0)
			return fail_store(p, r, "cannot save the journal cursor");
	}
	for (size_t i = 0; i < p->n_json; i++) {
		struct json_stream *j = &p->json[i];
		if (!j->pending)
			continue;
		r = store_journal_cursor_save(p->st, j->name, &j->c, j->pending);
		if (r < 0)
			return fail_store(p, r, "cannot save a journal cursor");
		free(j->pending);
		j->pending = NULL;
	}
	return 0;
}

static int release(struct pipeline *p);

/* Commits the open batch with the input's cursor (when it moved). */
static int batch_commit(struct pipeline *p)
{
	int r = release(p);
	if (r < 0)
		return r;
	if (!p->st || p->failed) {
		flush_forged(p); /* without a store, told at once */
		return 0;
	}
	if (!p->in_tx) {
		r = batch_begin(p);
		if (r < 0)
			return r;
	}
	flush_forged(p);
	if (p->alert_err)
		return fail_store(p, p->alert_err, "cannot store an alert");
	if (p->rd && p->have_cursor) {
		struct source_mark m;
		r = source_mark(p->rd, &m);
		if (r < 0)
			return perr(p, r, "%s", source_error(p->rd));
		/* never backwards: lines read again to finish an interrupted run
		 * end before the cursor already stored */
		if (m.offset > p->cur.mark.offset || (m.finished && !p->cur.mark.finished)) {
			p->cur.mark = m;
			r = store_cursor_save(p->st, &p->cur);
			if (r < 0)
				return fail_store(p, r, "cannot save the read cursor");
		}
	}
	r = save_journal_cursors(p);
	if (r < 0)
		return r;
	r = store_run_add_bytes(p->st, p->stats.source.bytes - p->bytes_counted);
	if (r < 0)
		return fail_store(p, r, "cannot record the run");
	r = store_commit(p->st);
	p->in_tx = false;
	if (r < 0)
		return fail_store(p, r, "cannot commit to the store");
	p->bytes_counted = p->stats.source.bytes;
	p->stats.batches++;
	drop_pending(p, true);
	return 0;
}

/* ---- runs ---- */

struct path_check {
	const struct source_list *inputs;
	size_t missing;
	char *first_missing;
};

static int check_path(void *ud, const char *path)
{
	struct path_check *c = ud;
	/* a journal JSON stream's cursor rides on the input that carried it,
	 * whose own cursor is checked */
	if (strncmp(path, "journal-json:", 13) == 0)
		return 0;
	for (size_t i = 0; i < c->inputs->n; i++)
		if (strcmp(c->inputs->v[i].path, path) == 0)
			return 0;
	if (!c->missing++)
		c->first_missing = strdup(path);
	return 0;
}

static int open_run(struct pipeline *p, const struct source_list *inputs)
{
	struct path_check c = { .inputs = inputs };
	bool continued = false;
	int r = store_run_open(p->st, &continued);
	if (r < 0)
		return perr(p, r, "cannot start a run in the store: %s", store_last_error(p->st));
	if (!continued)
		return 0;
	r = store_run_paths(p->st, check_path, &c);
	if (r < 0) {
		free(c.first_missing);
		return perr(p, r, "%s", store_last_error(p->st));
	}
	if (c.missing) {
		notice(p,
		       "an earlier run on this store was interrupted, and %zu of the inputs it had begun "
		       "(%s%s) are not among these: what it stored stays, but its detectors' state is lost",
		       c.missing, c.first_missing ? c.first_missing : "?", c.missing > 1 ? ", …" : "");
		free(c.first_missing);
		return 0;
	}
	free(c.first_missing);
	r = store_begin(p->st);
	if (r >= 0)
		r = store_run_restore_baselines(p->st);
	if (r >= 0)
		r = store_commit(p->st);
	if (r < 0) {
		store_rollback(p->st);
		return perr(p, r, "cannot restore the baselines of the interrupted run: %s", store_last_error(p->st));
	}
	p->continuing = true;
	notice(p, "an earlier run on this store was interrupted: finishing it (its inputs are read again "
		  "from where it found them; nothing is stored twice)");
	return 0;
}

int pipeline_new(const struct pipeline_config *cfg, const struct source_list *inputs, struct pipeline **ret,
		 char **ret_err)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	int r;
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (!p->cfg.batch_bytes)
		p->cfg.batch_bytes = BATCH_BYTES_DEFAULT;
	p->st = cfg->store;
	p->hdr = header_ctx_new(cfg->tz);
	if (!p->hdr) {
		r = perr(p, -EINVAL, "--tz: unknown time zone '%s'", cfg->tz ? cfg->tz : "");
		goto fail;
	}
	header_ctx_keep_lines(p->hdr); /* the reader keeps its lines until SOURCE_RELEASE */
	p->missed = missed_new();
	if (!p->missed) {
		r = perr(p, -ENOMEM, "out of memory");
		goto fail;
	}
	if (p->st) {
		r = open_run(p, inputs);
		if (r < 0)
			goto fail;
	}
	/* after the run is open: the detectors load the baselines it left */
	p->att = attempts_new(cfg->detect);
	p->det = detect_new(cfg->detect, p->st, (struct alert_sink){ emit, p });
	p->allow = detect_config_allowlist(cfg->detect);
	p->forged = forged_new();
	if (!p->att || !p->det || !p->forged) {
		r = perr(p, -ENOMEM, "out of memory");
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	take_err(p, r, ret_err);
	pipeline_free(p);
	return r;
}

struct pipeline *pipeline_free(struct pipeline *p)
{
	if (!p)
		return NULL;
	if (p->in_tx)
		store_rollback(p->st);
	/* the detectors first: one that was not finished raises what it
	 * holds now, into the pending list dropped below (never stored) */
	p->failed = true;
	p->det = detect_free(p->det);
	drop_pending(p, false);
	free(p->pending);
	free(p->pending_new);
	attempts_free(p->att);
	forged_free(p->forged);
	journal_close(p->jr);
	store_journal_cursor_clear(&p->jcur);
	for (size_t i = 0; i < p->n_json; i++) {
		free(p->json[i].name);
		free(p->json[i].pending);
		store_journal_cursor_clear(&p->json[i].c);
	}
	header_ctx_free(p->hdr);
	missed_free(p->missed);
	source_close(p->rd);
	free(p->cur.path);
	free(p->err);
	free(p);
	return NULL;
}

bool pipeline_failed(const struct pipeline *p)
{
	return p->failed;
}

struct missed *pipeline_missed(struct pipeline *p)
{
	return p->missed;
}

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *ret)
{
	*ret = p->stats;
}

uint64_t pipeline_evictions(const struct pipeline *p)
{
	struct detect_stats ds;
	detect_get_stats(p->det, &ds);
	return ds.evictions;
}

/* ---- one input ---- */

/* Finds where an earlier run left the input and positions the reader
 * there (or, finishing an interrupted run, where that run found it). */
static int find_cursor(struct pipeline *p, const struct source_input *in)
{
	uint8_t head[SOURCE_HASH_LEN];
	struct store_cursor *v = NULL;
	size_t n = 0;
	int r;

	free(p->cur.path);
	p->cur = (struct store_cursor){ 0 };
	p->have_cursor = false;
	p->replay_until = 0;
	r = source_head(p->rd, head);
	if (r < 0)
		return perr(p, r, "%s", source_error(p->rd));
	if (r == 0)
		return 0; /* no complete line yet: nothing to mark */
	p->have_cursor = true;
	memcpy(p->cur.head, head, sizeof(head));
	source_file_id(p->rd, &p->cur.dev, &p->cur.ino);
	p->cur.path = strdup(in->path);
	if (!p->cur.path)
		return perr(p, -ENOMEM, "out of memory");

	r = store_cursors_find(p->st, head, p->cur.dev, p->cur.ino, &v, &n);
	if (r < 0)
		return perr(p, r, "%s: cannot look up where it was read to: %s", in->path, store_last_error(p->st));
	for (size_t i = 0; i < n; i++) {
		struct source_mark at = v[i].mark;
		bool replay = p->continuing && v[i].in_run;
		if (replay)
			at = v[i].start;
		if (replay && at.offset == 0) {
			r = 1; /* from the start, all of it read again */
		} else {
			r = source_resume(p->rd, &at, &p->stats.source);
			if (r < 0 && r != -EINVAL)
				return perr(p, r, "%s", source_error(p->rd));
			if (r < 0)
				break; /* stdin: no second try */
		}
		if (r > 0) {
			char *path = p->cur.path;
			p->cur = v[i];
			free(p->cur.path);
			p->cur.path = path;
			v[i].path = NULL;
			source_file_id(p->rd, &p->cur.dev, &p->cur.ino);
			if (replay) {
				p->replay_until = v[i].mark.offset;
				/* the lines up to there are counted as read before */
				p->stats.source.skipped_bytes += v[i].mark.offset - at.offset;
			}
			store_cursors_free(v, n);
			return 0;
		}
	}
	store_cursors_free(v, n);

	/* schema 2's cursors, for a store upgraded in place */
	char full[SOURCE_LEGACY_FP_LEN], first[SOURCE_LEGACY_FP_LEN];
	int have = source_legacy_fingerprints(p->rd, full, first);
	for (int k = 0; k < 2; k++) {
		uint64_t off, line;
		const char *fp = k == 0 ? full : first;
		if (!(have & (1 << k)))
			continue;
		r = store_legacy_cursor_get(p->st, fp, &off, &line);
		if (r < 0)
			return perr(p, r, "%s", store_last_error(p->st));
		if (r == 0)
			continue;
		r = source_resume_unchecked(p->rd, off, line, &p->stats.source);
		if (r < 0)
			return perr(p, r, "%s", source_error(p->rd));
		if (r > 0)
			break;
	}
	return 0;
}

static void progress(struct pipeline *p, const struct source_input *in)
{
	if (p->cfg.on_progress)
		p->cfg.on_progress(p->cfg.ud, in, source_progress(p->rd));
}

/* A line (or a journal entry's message) no header parser or decoder
 * understood (h: its header, if any). */
static void note_missed(struct pipeline *p, const struct syslog_header *h, const struct origin *at, const char *text,
			size_t n)
{
	struct missed_shape why;
	missed_note(p->missed, h, text, n, &why);
	if (p->cfg.on_missed)
		p->cfg.on_missed(p->cfg.ud, at, &why, sv_make(text, n));
}

/* A journal entry: whether its writer is the program it claims (source/
 * journal.h). Returns true when it is to be decoded. */
static bool judge(struct pipeline *p, const struct syslog_header *h, const struct origin *at, bool replay)
{
	struct journal_verdict v;
	journal_trust(h, &v);
	switch (v.trust) {
	case JT_TRUSTED:
		return true;
	case JT_NO_WRITER:
		p->stats.no_writer += !replay;
		return true;
	case JT_FORGED:
		/* finishing an interrupted run: its batches' alerts are stored */
		if (!replay) {
			p->stats.forged++;
			if (forged_note(p->forged, h, &v, at) < 0 && !p->alert_err)
				p->alert_err = perr(p, -ENOMEM, "out of memory");
		}
		return false;
	case JT_UNVERIFIED:
		p->stats.unverified += !replay;
		return false;
	case JT_NOT_SYSLOG:
		p->stats.not_syslog += !replay;
		return false;
	}
	return false;
}

/* Decoded events, in line order, through the stages after decoding: the
 * one definition of a login attempt, the store, the detectors. Each stage
 * runs for all of them before the next (its code stays in the
 * instruction cache, and the store and the detectors load the entries of
 * the events ahead). 0 or a negative errno (the store failed). */
static int stages(struct pipeline *p, struct held *h, size_t n)
{
	const struct event *evs[HELD_MAX]; /* to store, then to judge */
	size_t m = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		attempts_apply(p->att, &h[i].ev);
	for (size_t i = 0; i < n; i++) {
		const struct event *ev = &h[i].ev;
		if (h[i].replay)
			continue;
		p->stats.events++;
		p->stats.ambiguous += (ev->flags & EVF_AMBIGUOUS_SOURCE) != 0;
		if (p->cfg.on_event)
			p->cfg.on_event(p->cfg.ud, ev);
		evs[m++] = ev;
	}
	if (p->st && !p->failed && (r = store_add_events(p->st, evs, m)) < 0)
		return fail_store(p, r, "cannot store an event");
	m = 0;
	/* the allow-list: stored (trace shows it), judged by no detector */
	for (size_t i = 0; i < n; i++) {
		if (allowlist_covers_event(p->allow, &h[i].ev))
			p->stats.allowlisted += !h[i].replay;
		else
			evs[m++] = &h[i].ev;
	}
	detect_feed_many(p->det, evs, m);
	return p->failed ? -EIO : 0;
}

/* The held events through the stages, before their lines move, and
 * before anything that must come after them (a missed line told, a
 * commit): all together, or one at a time when each event is told as it
 * is taken (on_event), so that the events and alerts told come in the
 * lines' order. 0 or a negative errno. */
static int release(struct pipeline *p)
{
	size_t n = p->n_held;
	int r = 0;

	p->n_held = 0;
	if (!p->cfg.on_event)
		return stages(p, p->held, n);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = stages(p, &p->held[i], 1);
	return r;
}

/* A line (or a journal entry's message) no header parser or decoder
 * understood, told in line order. 0 or a negative errno. */
static int missed(struct pipeline *p, const struct syslog_header *h, const struct origin *at, const char *text,
		  size_t n)
{
	int r = p->cfg.on_missed ? release(p) : 0;
	note_missed(p, h, at, text, n);
	return r;
}

/* A header (a text line's, or a journal entry's) judged, decoded, and
 * its event taken through the stages after decoding: at once, or, when
 * hold (every view of h lies in a line the reader keeps), with the rest
 * of its batch. text: the line, for the missed lines. 0 or a negative
 * errno (the store failed). */
static int feed(struct pipeline *p, const struct syslog_header *h, const struct origin *at, uint32_t flags,
		bool replay, const char *text, size_t n, bool hold)
{
	struct held one, *x = hold ? &p->held[p->n_held] : &one;
	int r;

	if (h->journal && !judge(p, h, at, replay))
		return 0;
	event_init(&x->ev);
	if (decode(h, &x->ev) <= 0)
		return replay ? 0 : missed(p, h, at, text, n);
	x->ev.origin = *at;
	x->ev.flags |= flags;
	x->replay = replay;
	if (!hold) {
		r = release(p);
		return r < 0 ? r : stages(p, x, 1);
	}
	return ++p->n_held == HELD_MAX ? release(p) : 0;
}

/* Whether the header's views all lie in the line (not in the header
 * parser's own buffers, which the next line reuses). */
static bool views_in(const struct syslog_header *h, const char *line, size_t n)
{
	return !h->journal && sv_within(h->host, line, n) && sv_within(h->program, line, n) &&
	       sv_within(h->msg, line, n);
}

static bool hex32(const char *p)
{
	for (size_t i = 0; i < 32; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* A journal JSON line (journalctl -o json) whose entry an earlier run, or
 * this one, read already: its stream (machine ID and the cursor's
 * sequence number ID) has a stored cursor at or after its sequence number.
 * 1 seen (skip it), 0 not, < 0 a store error. */
static int json_seen(struct pipeline *p, const struct journal_fields *f)
{
	char sid[64], name[128], mid[33] = "unknown";
	struct json_stream *j = NULL;
	uint64_t seq;
	int r;

	if (!journal_cursor_seqnum(f->cursor, sid, sizeof(sid), &seq) || f->cursor.n > JSON_CURSOR_MAX)
		return 0;
	if (f->machine_id.n == 32 && hex32(f->machine_id.p)) {
		memcpy(mid, f->machine_id.p, 32);
		mid[32] = '\0';
	}
	snprintf(name, sizeof(name), "journal-json:%s:%s", mid, sid);
	for (size_t i = 0; i < p->n_json && !j; i++)
		if (strcmp(p->json[i].name, name) == 0)
			j = &p->json[i];
	if (!j) {
		char osid[64];
		uint64_t oseq;
		if (p->n_json == JSON_STREAMS_MAX) {
			p->stats.journal_streams_over++;
			return 0;
		}
		j = &p->json[p->n_json];
		*j = (struct json_stream){ .name = strdup(name) };
		if (!j->name)
			return perr(p, -ENOMEM, "out of memory");
		p->n_json++;
		snprintf(j->sid, sizeof(j->sid), "%s", sid);
		r = store_journal_cursor_get(p->st, name, &j->c);
		if (r < 0)
			return perr(p, r, "cannot look up a journal cursor: %s", store_last_error(p->st));
		if (r > 0 && journal_cursor_seqnum(sv_cstr(j->c.cursor), osid, sizeof(osid), &oseq) &&
		    strcmp(osid, sid) == 0) {
			j->have_seq = true;
			j->seq = oseq;
		}
	}
	if (j->have_seq && seq <= j->seq)
		return 1;
	free(j->pending);
	j->pending = strndup(f->cursor.p, f->cursor.n);
	if (!j->pending)
		return perr(p, -ENOMEM, "out of memory");
	j->have_seq = true;
	j->seq = seq;
	return 0;
}

/* Commits the batch and begins the next once it holds batch_bytes of
 * input (a store only). 0 or a negative errno. */
static int batch_roll(struct pipeline *p)
{
	if (!p->st || p->stats.source.bytes - p->batch_start < p->cfg.batch_bytes)
		return 0;
	int r = batch_commit(p);
	if (r < 0)
		return r;
	p->batch_start = p->stats.source.bytes;
	return batch_begin(p);
}

/* The end of an input: r < 0 is the error that ended it (why says it),
 * the lines before it committed all the same; else it was read whole. */
static int input_end(struct pipeline *p, int r, const char *why)
{
	if (r < 0) {
		(void)perr(p, r, "%s", why);
		int c = batch_commit(p);
		return c < 0 ? c : r;
	}
	r = batch_commit(p);
	if (r >= 0)
		p->stats.inputs++;
	return r;
}

int pipeline_read(struct pipeline *p, const struct source_input *in, char **ret_err)
{
	struct source_line l;
	struct syslog_header h;
	uint64_t lines = 0;
	int r;

	if (p->failed)
		return take_err(p, -EIO, ret_err);
	r = source_open(in, &p->rd, ret_err);
	if (r < 0)
		return r;
	source_keep(p->rd); /* lines held for their batch: released before they move */
	header_ctx_set_mtime(p->hdr, in->mtime_s);
	if (p->st) {
		r = find_cursor(p, in);
		if (r < 0)
			goto out;
	}
	p->batch_start = p->stats.source.bytes;
	r = batch_begin(p);
	if (r < 0)
		goto out;
	for (;;) {
		r = source_next(p->rd, &l, &p->stats.source);
		if (r == SOURCE_RELEASE) {
			header_ctx_release(p->hdr);
			r = release(p);
			if (r < 0)
				goto out;
			continue;
		}
		if (r <= 0)
			break;
		if (++lines % PROGRESS_LINES == 0)
			progress(p, in);
		bool replay = p->replay_until && l.end <= p->replay_until;
		if (p->st && !l.complete && !(l.flags & EVF_TRUNCATED) && !source_is_stream(p->rd)) {
			/* the last line of a file still being written: read whole next time */
			p->stats.unfinished++;
			continue;
		}
		if (replay)
			p->stats.replayed++;
		if (header_parse(p->hdr, l.p, l.n, &h) <= 0) {
			if (!replay && (r = missed(p, NULL, &l.origin, l.p, l.n)) < 0)
				goto out;
			continue;
		}
		p->stats.syslog++;
		if (h.journal && h.journal->cursor.n && p->st && !replay) {
			r = json_seen(p, h.journal);
			if (r < 0)
				goto out;
			if (r > 0) {
				p->stats.journal_seen++;
				continue;
			}
		}
		r = feed(p, &h, &l.origin, l.flags, replay, l.p, l.n, views_in(&h, l.p, l.n));
		if (r < 0)
			goto out;
		if (l.complete && (r = batch_roll(p)) < 0)
			goto out;
	}
	/* a read error or damage: what was read before it is kept */
	r = input_end(p, r, r < 0 ? source_error(p->rd) : NULL);
out:
	if (p->n_held) {
		/* an error with events held: taken before their lines go */
		int q = release(p);
		if (r >= 0)
			r = q;
	}
	header_ctx_release(p->hdr); /* before its lines go */
	progress(p, in);
	p->rd = source_close(p->rd);
	if (r < 0)
		return take_err(p, r, ret_err);
	return 0;
}

int pipeline_read_journal(struct pipeline *p, const struct journal_spec *spec, const struct source_input *in,
			  char **ret_err)
{
	struct journal_entry e;
	const char *const *warnings;
	size_t n_warnings;
	uint64_t n = 0;
	int r;

	if (p->failed)
		return take_err(p, -EIO, ret_err);
	r = journal_open(spec, &p->jr, ret_err);
	if (r < 0)
		return r;
	n_warnings = journal_warnings(p->jr, &warnings);
	for (size_t i = 0; i < n_warnings; i++)
		notice(p, "%s", warnings[i]);
	p->jstream = in->path;
	store_journal_cursor_clear(&p->jcur);
	p->j_replaying = false;
	if (p->st) {
		r = store_journal_cursor_get(p->st, in->path, &p->jcur);
		if (r < 0) {
			r = perr(p, r, "%s: cannot look up where it was read to: %s", in->path, store_last_error(p->st));
			goto out;
		}
		if (r > 0 && p->continuing && p->jcur.in_run) {
			/* finishing an interrupted run: from where it found the
			 * journal, what it committed feeding the detectors only */
			/* up to the entry it committed last, found by its cursor (not
			 * by time: times need not grow along a journal, as when a
			 * clock was set back) */
			r = journal_seek_cursor(p->jr, p->jcur.cursor);
			if (r > 0) {
				p->j_replaying = true;
				r = p->jcur.start ? journal_seek_cursor(p->jr, p->jcur.start) : journal_rewind(p->jr);
			} else if (r == 0) {
				notice(p,
				       "%s: the entry where the interrupted run stopped is no longer in the journal: "
				       "reading on from the first entry after its place (its detectors' state is lost)",
				       in->path);
			}
		} else if (r > 0) {
			r = journal_seek_cursor(p->jr, p->jcur.cursor);
			if (r == 0)
				notice(p,
				       "%s: the entry where the last scan stopped is no longer in the journal (rotated or "
				       "vacuumed away): reading on from the first entry after its place",
				       in->path);
		}
		if (r < 0) {
			(void)perr(p, r, "%s", journal_error(p->jr));
			goto out;
		}
	}
	p->batch_start = p->stats.source.bytes;
	r = batch_begin(p);
	if (r < 0)
		goto out;
	for (;;) {
		bool replay = false;
		r = journal_next(p->jr, &e);
		if (r <= 0)
			break;
		if (p->j_replaying) {
			/* up to the entry the interrupted run committed last */
			replay = true;
			if (journal_at_cursor(p->jr, p->jcur.cursor))
				p->j_replaying = false;
		}
		e.origin.file = in->path; /* the same name, living for the run (detectors keep origins) */
		p->stats.journal_entries++;
		p->stats.source.lines++;
		p->stats.source.bytes += e.bytes;
		if (replay) {
			p->stats.replayed++;
			p->stats.source.skipped_bytes += e.bytes;
		}
		if (++n % PROGRESS_LINES == 0 && p->cfg.on_progress)
			p->cfg.on_progress(p->cfg.ud, in, p->stats.source.bytes);
		r = feed(p, &e.h, &e.origin, e.flags, replay, e.h.msg.p, e.h.msg.n, false);
		if (r < 0)
			goto out;
		if (!p->j_replaying && (r = batch_roll(p)) < 0)
			goto out;
	}
	/* what was read before an error is kept */
	r = input_end(p, r, r < 0 ? journal_error(p->jr) : NULL);
out:
	if (p->cfg.on_progress)
		p->cfg.on_progress(p->cfg.ud, in, p->stats.source.bytes);
	p->jr = journal_close(p->jr);
	store_journal_cursor_clear(&p->jcur);
	p->j_replaying = false;
	if (r < 0)
		return take_err(p, r, ret_err);
	return 0;
}

int pipeline_finish(struct pipeline *p, char **ret_err)
{
	int r, d;
	if (p->failed)
		return take_err(p, -EIO, ret_err);
	r = batch_begin(p);
	if (r < 0)
		return take_err(p, r, ret_err);
	d = detect_finish(p->det);
	if (d < 0 && p->st) {
		(void)fail_store(p, d, "cannot save the baselines");
		return take_err(p, d, ret_err);
	}
	if (p->st && p->cfg.retention_us > 0) {
		struct store_pruned pr = { 0 };
		int64_t cutoff;
		r = store_prune_cutoff(p->st, p->cfg.retention_us, &cutoff);
		if (r >= 0)
			r = store_prune(p->st, cutoff, &pr);
		if (r < 0) {
			(void)fail_store(p, r, "cannot prune the store");
			return take_err(p, r, ret_err);
		}
		p->stats.pruned_events = pr.events;
	}
	if (p->st) {
		r = store_run_close(p->st);
		if (r < 0) {
			(void)fail_store(p, r, "cannot close the run");
			return take_err(p, r, ret_err);
		}
	}
	r = batch_commit(p);
	if (r < 0)
		return take_err(p, r, ret_err);
	if (!p->st)
		drop_pending(p, true);
	if (p->st && p->stats.pruned_events) {
		/* the pages pruned go back to the file system (a failure here
		 * loses nothing: they are reused by the next scan) */
		uint64_t pages;
		(void)store_vacuum(p->st, false, &pages);
	}
	return 0;
}
