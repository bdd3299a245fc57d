/*
 * detect: every detector behind one front door. Events go in, in time
 * order; alerts come out through the sink.
 *
 * Detectors (one file each): brute force (fast and slow), password spray,
 * distributed attack, login after failures, unusual login (baselines),
 * privilege escalation, account changes; plus the correlation of an unusual
 * login with privilege-escalation attempts in the same session.
 *
 * Every table keyed by attacker data is capped; evictions are counted.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "core/alert.h"
#include "core/event.h"

struct store;
struct detect;
struct detect_config;

/* Loads thresholds: defaults, then path (YAML) when not NULL. Unknown keys
 * and out-of-range values are errors naming file:line:col.
 * Returns 0 or a negative errno with *ret_err (caller frees). */
int detect_config_load(const char *path, struct detect_config **ret, char **ret_err);
struct detect_config *detect_config_free(struct detect_config *c);
/* Writes the effective configuration as YAML (for `moat check` / golden tests). */
void detect_config_dump(const struct detect_config *c, FILE *f);
/* The configuration's allow-list (its `allowlist:` and `ignoreip`), sealed:
 * the events it covers go to the store but to no detector (the scan's
 * pipeline leaves them out), and containment never acts against it. */
const struct allowlist *detect_config_allowlist(const struct detect_config *c);
/* Same as detect_config_load() from text in memory; name is used in error
 * messages in place of a file name (tests, fuzzing, `moat check -`). */
int detect_config_load_string(const char *text, size_t len, const char *name, struct detect_config **ret,
			      char **ret_err);

/* st may be NULL (no baselines persisted). cfg is borrowed for the
 * lifetime of the detector set. Returns NULL on OOM. */
struct detect *detect_new(const struct detect_config *cfg, struct store *st, struct alert_sink sink);
/* Flushes pending alerts (detect_finish) if not done, frees; returns NULL. */
struct detect *detect_free(struct detect *d);

/* Feeds one event (borrowed: detectors copy what they keep) that went
 * through attempts_apply (detect/attempt.h): the detectors count
 * ev->attempts and blame ev->source. */
void detect_feed(struct detect *d, const struct event *ev);
/* The same, but the look-ahead keeps the event's views that lie in
 * text[0, n) (its line) by reference instead of copying them: the caller
 * keeps those bytes unchanged until it calls detect_flush (or
 * detect_finish). */
void detect_feed_from(struct detect *d, const struct event *ev, const char *text, size_t n);
/* Where the next event fed may be built in place (then detect_feed_from
 * does not copy it), or NULL without look-ahead. The slot is the caller's
 * until it calls detect_feed*, detect_flush or detect_finish. */
struct event *detect_slot(struct detect *d);
/* Feeds the event built in detect_slot()'s slot (not NULL) whose every
 * view lies in text[0, n) or in the program's constant data: no view is
 * checked or copied (the caller keeps text as for detect_feed_from). The
 * decoders' views always do, when the syslog header's views lie in the
 * line (debug builds assert it). */
void detect_feed_slot(struct detect *d, const char *text, size_t n);

/* Lets the detectors look ahead: up to n events (0: none, the default; at
 * most DETECT_LOOKAHEAD_MAX) are copied (their text too, but for what
 * detect_feed_from lets them keep) and held back while the state they
 * will touch is loaded into the cache, then judged in the same order. The
 * alerts are the same, only handed to the sink later than without
 * look-ahead (up to n events, plus a batch of at most 128 taken at once).
 * Call before the first event. */
#define DETECT_LOOKAHEAD_MAX 64u
void detect_set_lookahead(struct detect *d, unsigned n);
/* Judges every held-back event now (detect_finish does it too). */
void detect_flush(struct detect *d);

/* End of input: emit what is pending, persist baselines. Returns 0 or a
 * negative errno (baseline persistence failed). */
int detect_finish(struct detect *d);

struct detect_stats {
	uint64_t events;
	uint64_t evictions; /* entries dropped from capped tables */
	uint64_t tracked_sources; /* currently held */
	uint64_t tracked_users;
	uint64_t alerts; /* handed to the sink */
	uint64_t tracked_baselines;
};
void detect_get_stats(const struct detect *d, struct detect_stats *ret);
