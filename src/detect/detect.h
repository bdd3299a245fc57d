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
 * Alerts come out in an order that is a function of the input alone (never
 * of the per-process hash seed): episodes that end at one moment in the
 * order their detectors are listed (detect/registry.c), and within one
 * detector in the order they went quiet.
 *
 * Inside src/detect: detector.h (what a detector is), shared.h (the
 * entries and facts they share), registry.c (the list).
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
 * ev->attempts and blame ev->source. Events come in time order (an earlier
 * time is taken as the latest seen). Alerts go to the sink as they are
 * decided: an episode when it ends (the first event past its window, or
 * detect_finish), a single event's at once. */
void detect_feed(struct detect *d, const struct event *ev);
/* Feeds n events, in order: the same as detect_feed on each. */
void detect_feed_many(struct detect *d, const struct event *const *evs, size_t n);

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
