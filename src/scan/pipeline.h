/*
 * pipeline: source -> syslog header -> decoder -> {store, detectors}, in
 * batches. `moat scan` drives it to the end of its inputs; a live watcher
 * drives the same code as lines arrive.
 *
 * A batch is one store transaction holding the events it decoded, the
 * alerts raised meanwhile, the baselines they changed and the read cursor
 * of the input after its last line: a store is always as after some whole
 * batch. Alerts reach the caller once their batch is committed (at once
 * without a store), each said to be new or already stored.
 *
 * Runs. The pipeline opens a run in the store (store_run_open; the caller
 * holds the store's lock). When the store holds a run that was interrupted
 * (kill -9, a full disk, a power cut) and every input that run had begun
 * is among this run's inputs, the interrupted run is finished exactly: the
 * baselines are put back as it found them and each of its inputs is read
 * again from where it found it, the lines already committed going to the
 * detectors only (their alerts are already stored: storing them again
 * changes nothing), so the store ends as one uninterrupted run would have
 * left it. When some of those inputs are missing (renamed, not given),
 * what was committed stays as it is and the detectors start from this
 * run's inputs alone; the caller is told.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/alert.h"
#include "core/event.h"
#include "parse/missed.h"
#include "source/source.h"

struct store;
struct detect_config;
struct pipeline;

struct pipeline_config {
	const struct detect_config *detect; /* borrowed for the pipeline's life */
	struct store *store; /* NULL: keep nothing (no cursors, baselines or runs) */
	const char *tz; /* zone of zone-less timestamps; NULL: the process's */
	uint64_t batch_bytes; /* commit after about this many bytes of input (0: the default) */
	/* The root whose accounts unusual-login alerts are judged against
	 * (reach_annotate_alert: the verdict as a reason, severity raised for a
	 * short path to root); NULL: not judged. */
	const char *reach_root;
	int64_t retention_us; /* at the end, prune what is older than this much store time (0: keep all) */
	/* Each decoded event, before store and detectors (NULL: none). Not
	 * called for lines read again to finish an interrupted run. */
	void (*on_event)(void *ud, const struct event *ev);
	/* Each alert once stored (is_new: not stored by an earlier run);
	 * borrowed for the call. */
	void (*on_alert)(void *ud, const struct alert *a, bool is_new);
	/* Progress through an input (bytes on disk), now and then. */
	void (*on_progress)(void *ud, const struct source_input *in, uint64_t done);
	/* Something a person should know that is not an error. */
	void (*on_notice)(void *ud, const char *msg);
	/* Each line no header parser or decoder understood, with why
	 * (NULL: none; counted in pipeline_missed() either way). Not called
	 * for lines read again to finish an interrupted run. */
	void (*on_missed)(void *ud, const struct origin *at, const struct missed_shape *why, struct sv line);
	void *ud;
};

struct pipeline_stats {
	struct source_stats source;
	uint64_t inputs; /* read to their end */
	uint64_t syslog; /* lines with a syslog header */
	uint64_t events; /* decoded */
	uint64_t ambiguous; /* of which with EVF_AMBIGUOUS_SOURCE: attacker text could have written the address */
	uint64_t allowlisted; /* of which the allow-list covers: stored, fed to no detector */
	uint64_t alerts; /* raised */
	uint64_t alerts_new; /* of which not stored before */
	uint64_t replayed; /* lines read again to finish an interrupted run */
	uint64_t unfinished; /* last lines without '\n' left for the next scan */
	uint64_t batches; /* committed */
	uint64_t pruned_events; /* older than the retention, removed at the end */
	/* journal entries (sd-journal, or journalctl -o json lines) */
	uint64_t journal_entries; /* read (sd-journal) */
	uint64_t journal_seen; /* skipped: at or before the stream's stored cursor (JSON) */
	uint64_t forged; /* claimed a program that did not write them: alerts, not decoded */
	uint64_t unverified; /* a user's process journald could not name claimed a set-uid program: not decoded */
	uint64_t no_writer; /* without trusted fields: decoded on their word */
	uint64_t not_syslog; /* kernel, audit and driver transports: not read */
	uint64_t journal_streams_over; /* JSON streams past the cap: not resumed by cursor */
};

/* Creates the pipeline over inputs (borrowed: the run's inputs, to decide
 * whether an interrupted run can be finished), opening the run in the
 * store. Returns 0 and *ret, or a negative errno with *ret_err (caller
 * frees). */
int pipeline_new(const struct pipeline_config *cfg, const struct source_list *inputs, struct pipeline **ret,
		 char **ret_err);

/* Reads one input to its end, from where an earlier run stopped, in
 * batches. Returns 0, or a negative errno with *ret_err: an input that
 * cannot be read or is damaged (what was read of it before is kept: the
 * pipeline goes on with the next input); a store that cannot be written
 * (-ENOSPC, -EIO …: everything since the last commit is dropped and the
 * pipeline is finished: pipeline_failed() says so). */
int pipeline_read(struct pipeline *p, const struct source_input *in, char **ret_err);

/* Reads a journal (in: the journal's entry in the run's inputs, its path
 * the stream name) to its end, after where an earlier run stopped (the
 * stream's cursor, saved with each batch), in batches, with the same
 * trust rule as journal JSON lines (source/journal.h): forged entries
 * are alerts, never events. Returns as pipeline_read(). */
struct journal_spec;
int pipeline_read_journal(struct pipeline *p, const struct journal_spec *spec, const struct source_input *in,
			  char **ret_err);

/* True when the store could not be written: nothing more can be kept. */
bool pipeline_failed(const struct pipeline *p);

/* End of the inputs: raises the alerts still pending, commits, closes
 * the run. Returns 0 or a negative errno with *ret_err. */
int pipeline_finish(struct pipeline *p, char **ret_err);

void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *ret);
/* The lines not understood so far, by reason, program and shape (owned by
 * the pipeline; see parse/missed.h). */
struct missed *pipeline_missed(struct pipeline *p);
/* Entries dropped from the detectors' capped tables. */
uint64_t pipeline_evictions(const struct pipeline *p);

struct pipeline *pipeline_free(struct pipeline *p);
