/*
 * detect/detector.h: what a detector is, and what the front door (detect.c)
 * offers it. Private to src/detect.
 *
 * A detector is one file with one ops table, listed once in registry.c.
 * The front door routes each event to the detectors whose `kinds` mask has
 * its kind, in registry order, after closing whatever went quiet before it
 * (events arrive in time order: "quiet" is judged on event time).
 *
 * State a detector keeps per source address or per account (host + user
 * name) lives in the shared entries (detect/shared.h): each detector asks
 * for a private part of each entry (src_size, acct_size) and is told where
 * it is (struct detector_env). The entries are capped tables keyed by
 * attacker data; when one goes, each detector's part is dropped first.
 *
 * A detector never reads or writes another's part or state. What one needs
 * from another is a fact on the shared entry, written by its owner and read
 * through the accessors in shared.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alert.h"
#include "core/event.h"
#include "core/macro.h"
#include "detect/config.h"
#include "detect/detect.h"

#define USEC_PER_SEC INT64_C(1000000)

struct src_entry;
struct acct_entry;

/* A bit per event kind, for detector_ops.kinds. */
#define KIND_BIT(k) (UINT64_C(1) << (k))
_Static_assert(EV_KIND_MAX <= 64, "event kinds fit a 64-bit mask");
/* The kinds that are login attempts (ev->attempts says how many). */
#define KINDS_ATTEMPT                                                                                    \
	(KIND_BIT(EV_AUTH_FAILURE) | KIND_BIT(EV_INVALID_USER) | KIND_BIT(EV_USER_NOT_ALLOWED) |         \
	 KIND_BIT(EV_ROOT_REFUSED) | KIND_BIT(EV_MAX_AUTH) | KIND_BIT(EV_PREAUTH_CLOSE) |                \
	 KIND_BIT(EV_PROTOCOL_ERROR))

/* Shared facts a detector relies on the front door to keep (detector_ops.needs). */
enum {
	/* per account: which sources failed for it, how often, when (shared.h) */
	NEED_ACCT_FAILURES = 1 << 0,
};

/* What the front door worked out about an event once, for every detector
 * it goes to. Failures (KINDS_ATTEMPT) reach the detectors only when they
 * add attempts (n > 0) and name a source. */
struct dctx {
	uint16_t host; /* interned ev->host */
	uint64_t uh; /* the user name's hash (detect_name_hash), 0: none */
	uint64_t src_h; /* the source's hash (detect_addr_hash), 0: none */
	uint32_t n; /* attempts (failures) or how many the line stands for (ev->count, at least 1) */
	uint64_t ref; /* the line, as struct evid keeps it */
	/* failures: the source's shared entry (touched), NULL when the table
	 * could not take it; successes: the source's entry if there is one
	 * (not touched) */
	struct src_entry *src;
	/* failures with a user name, when a detector needs NEED_ACCT_FAILURES:
	 * the account's entry (touched) and what noting this source in its
	 * failing sources said (acct_failures_note) */
	struct acct_entry *acct;
	bool src_fresh; /* the source is new to the account within the window */
	bool src_kept; /* the set kept it (else it was full of fresh sources) */
};

/* Where a detector's parts are in the shared entries (byte offsets). */
struct detector_env {
	size_t src_off, acct_off;
};

/* Why a part is dropped. */
enum part_drop {
	PART_EXPIRED, /* quiet for the table's time to live, or the end of input: report what it holds */
	PART_EVICTED, /* pushed out by a new entry (the table is full): report what it holds */
	PART_FORGOTTEN, /* forgotten on purpose (a mistyping user): report nothing */
};

struct detector_ops {
	const char *name;
	/* the event kinds it is fed (KIND_BIT) */
	uint64_t kinds;
	/* shared facts it reads (NEED_*) */
	unsigned needs;
	/* bytes of its part of each source / account entry (0: none; the
	 * source part may depend on the configuration) */
	size_t (*src_size)(const struct detect_config *c);
	size_t acct_size;
	/* what it keeps in the store's baselines, in words (NULL: nothing) */
	const char *persists;

	/* Makes its state (*ret: freed by free_state). 0 or a negative errno. */
	int (*init)(struct detect *d, const struct detector_env *env, void **ret);
	/* One event of a wanted kind (borrowed: copy what is kept). */
	void (*feed)(struct detect *d, void *st, const struct event *ev, const struct dctx *x);
	/* Ends what went quiet before now (NULL: nothing ends by time). */
	void (*sweep)(struct detect *d, void *st, int64_t now);
	/* When its sweep has something to do next: the earliest end of what is
	 * open (INT64_MAX: nothing is). */
	int64_t (*due)(const void *st);
	/* The shortest time from an event to an end it starts (for the front
	 * door's "nothing to sweep until" shortcut); INT64_MAX: none. */
	int64_t (*min_gap)(const struct detect_config *c);
	/* Its part of an entry that goes (NULL: no part, or nothing to do). */
	void (*src_drop)(struct detect *d, void *st, struct src_entry *e, void *part, enum part_drop why);
	void (*acct_drop)(struct detect *d, void *st, struct acct_entry *e, void *part, enum part_drop why);
	/* End of input, after every entry went: persist (baselines). 0 or a
	 * negative errno. */
	int (*finish)(struct detect *d, void *st);
	void (*free_state)(struct detect *d, void *st);
	/* Adds the lines behind the facts it wrote on a source entry to a
	 * (NULL: it writes none). */
	void (*src_evidence)(struct detect *d, void *st, struct src_entry *e, void *part, struct alert *a);
	/* How long after its last event a source's / an account's entry must
	 * stay for this detector, in seconds (NULL: no need). */
	uint32_t (*src_keep)(const struct detect_config *c);
	uint32_t (*acct_keep)(const struct detect_config *c);
	/* Whether it runs with this configuration (NULL: always). A detector
	 * that does not run is fed nothing and its needs do not count. */
	bool (*enabled)(const struct detect_config *c);
	/* Adds what it holds to the detector statistics (NULL: nothing). */
	void (*stats)(const void *st, struct detect_stats *s);
};

/* registry.c: every detector, in the order they see an event. */
extern const struct detector_ops *const detectors[];
extern const size_t n_detectors;

/* ---- what the front door offers (detect.c) ---- */

const struct detect_config *detect_cfg(const struct detect *d);
struct store *detect_store(const struct detect *d);
/* The detectors' clock: the latest event time seen. */
int64_t detect_now(const struct detect *d);
/* Hands an alert to the sink (NULL: nothing). */
void detect_emit(struct detect *d, struct alert *a);
/* The counter of entries pushed out of capped tables (for a detector's own tables). */
uint64_t *detect_evictions(struct detect *d);
/* Host names: interned ids (0: none, or the table is full). */
uint16_t detect_host_id(struct detect *d, struct sv h);
const char *detect_host_name(const struct detect *d, uint16_t host);
void detect_alert_host(struct detect *d, struct alert *a, uint16_t host);
/* Seeded hashes (one seed per detector set). */
uint64_t detect_name_hash(const struct detect *d, struct sv name);
uint64_t detect_addr_hash(const struct detect *d, const struct addr *a);

/* ---- evidence kept before an alert exists ---- */

#define EVID_KEEP 8

/* A line as evidence in 8 bytes: its file's number in the high
 * EVID_FILE_BITS bits, its line number below; 0 when the line cannot be
 * written so (then it is counted, not kept). */
#define EVID_LINE_BITS 40
#define EVID_FILE_BITS 24

/* The counts first, then the lines. */
struct evid {
	uint64_t total;
	uint32_t n;
	uint64_t kept[EVID_KEEP];
};

static inline void evid_add(struct evid *e, uint64_t ref)
{
	e->total++;
	if (e->n < EVID_KEEP && ref)
		e->kept[e->n++] = ref;
}
/* Adds the kept lines to a and the others to its evidence_total. */
int evid_to_alert(const struct detect *d, const struct evid *e, struct alert *a);

/* ---- words ---- */

/* a bounded sentence builder (truncates) */
struct sbuf {
	char b[768];
	size_t n;
};
void sb_printf(struct sbuf *sb, const char *fmt, ...) _printf_(2, 3);
/* "4 min", "1 h", "3 days" */
void fmt_duration(char *buf, size_t n, int64_t us);
/* privesc.c: attempts to gain privilege in words ("sudo refused ×3 (user
 * NOT in sudoers), sudo wrong password ×2, su failed ×1 (to root)"). */
void privesc_describe(struct sbuf *sb, uint32_t refused, const char *detail, uint32_t sudo_fail, uint32_t su_fail,
		      const char *target);
/* account.c: an account or key change in a few words, and its severity. */
enum severity account_describe(const struct detect_config *c, const struct event *ev, struct sbuf *sb);
