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
#include "source/legacy.h"
#include "store/store.h"

/* A commit rewrites the segments that grew since the last one: rare
 * commits write each row about once. A crash costs reading the lines of
 * the run again (fast: the detectors alone), never losing them. */
#define BATCH_BYTES_DEFAULT (256ull << 20)
#define PROGRESS_LINES 8192

struct pipeline {
	struct pipeline_config cfg;
	struct store *st;
	struct header_ctx *hdr;
	struct attempts *att;
	struct missed *missed;
	struct detect *det;
	const struct allowlist *allow;
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
	struct store_cursor cur;
	bool have_cursor; /* the input can be marked (it has a head) */
	uint64_t replay_until; /* lines ending at or before this offset feed the detectors only */
	uint64_t batch_start; /* source bytes when the batch began */
	uint64_t bytes_counted; /* source bytes recorded in the run so far */
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

/* Commits the open batch with the input's cursor (when it moved). */
static int batch_commit(struct pipeline *p)
{
	int r;
	if (!p->st || p->failed)
		return 0;
	if (!p->in_tx) {
		r = batch_begin(p);
		if (r < 0)
			return r;
	}
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
	if (!p->att || !p->det) {
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

/* A line no header parser or decoder understood (h: its header, if any). */
static void note_missed(struct pipeline *p, const struct syslog_header *h, const struct source_line *l)
{
	struct missed_shape why;
	missed_note(p->missed, h, l->p, l->n, &why);
	if (p->cfg.on_missed)
		p->cfg.on_missed(p->cfg.ud, &l->origin, &why, sv_make(l->p, l->n));
}

int pipeline_read(struct pipeline *p, const struct source_input *in, char **ret_err)
{
	struct source_line l;
	struct syslog_header h;
	struct event ev;
	uint64_t lines = 0;
	int r;

	if (p->failed)
		return take_err(p, -EIO, ret_err);
	r = source_open(in, &p->rd, ret_err);
	if (r < 0)
		return r;
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
			if (!replay)
				note_missed(p, NULL, &l);
			continue;
		}
		p->stats.syslog++;
		event_init(&ev);
		if (decode(&h, &ev) <= 0) {
			if (!replay)
				note_missed(p, &h, &l);
			continue;
		}
		ev.origin = l.origin;
		ev.flags |= l.flags;
		attempts_apply(p->att, &ev); /* the one definition of a login attempt, before anything counts */
		if (!replay) {
			p->stats.events++;
			p->stats.ambiguous += (ev.flags & EVF_AMBIGUOUS_SOURCE) != 0;
			if (p->cfg.on_event)
				p->cfg.on_event(p->cfg.ud, &ev);
			if (p->st && !p->failed) {
				r = store_add_event(p->st, &ev);
				if (r < 0) {
					r = fail_store(p, r, "cannot store an event");
					goto out;
				}
			}
		}
		/* the allow-list: stored (trace shows it), judged by no detector */
		if (allowlist_covers_event(p->allow, &ev))
			p->stats.allowlisted += !replay;
		else
			detect_feed(p->det, &ev);
		if (p->failed) {
			r = -EIO;
			goto out;
		}
		if (p->st && l.complete && p->stats.source.bytes - p->batch_start >= p->cfg.batch_bytes) {
			r = batch_commit(p);
			if (r < 0)
				goto out;
			p->batch_start = p->stats.source.bytes;
			r = batch_begin(p);
			if (r < 0)
				goto out;
		}
	}
	if (r < 0) {
		/* a read error or damage: what was read before it is kept */
		int e = r;
		(void)perr(p, e, "%s", source_error(p->rd));
		r = batch_commit(p);
		r = r < 0 ? r : e;
		goto out;
	}
	r = batch_commit(p);
	if (r >= 0)
		p->stats.inputs++;
out:
	progress(p, in);
	p->rd = source_close(p->rd);
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
