/*
 * detect/shared.h: the entries the detectors share, and the facts on them.
 * Private to src/detect.
 *
 * Two capped tables keyed by attacker data, owned by the front door: sources
 * (by address) and accounts (by host + user name). An entry is this header
 * followed by each detector's private part (detector_ops.src_size /
 * acct_size, at the offsets in struct detector_env). A source entry lives
 * while its source keeps failing (the longest window that needs it); an
 * account entry while its account is active.
 *
 * Facts are what one detector tells the others. Each has one writer, named
 * below; the others only read it, through the accessors.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "detect/detector.h"
#include "detect/sets.h"
#include "detect/table.h"

struct src_entry {
	struct tnode node;
	struct addr addr;
	uint16_t host;
	/* written by the front door, before the detectors see a failure */
	bool users_differ; /* the source tried more than one user name */
	uint32_t user_key; /* key32 of the user name it tried first (0: none yet) */
	uint32_t attempts; /* login attempts in the entry's life */
	int64_t last; /* its last attempt */
	/* written by the burst detector (brute.c) on each failure: the source's
	 * current burst (failures less than the burst gap apart) */
	struct burst_fact {
		int64_t first; /* its first attempt */
		int64_t open_until; /* it is open (may go on) until this time */
		uint32_t count; /* its attempts */
		uint32_t users; /* different user names it tried */
		bool users_at_least; /* users is a lower bound (more names than could be told apart) */
		bool multi; /* more than one user name */
		bool fast; /* it is a brute force or a password spray */
		bool slow; /* the source is slowly brute forcing (over the entry's life) */
	} burst;
	/* the detectors' parts follow (8-byte aligned) */
	_Alignas(8) char parts[];
};

/* Failures for an account by how they tried to authenticate: a guessed
 * password and a key are different actors' tools (keyboard-interactive
 * and PAM conversations ask for the password too). */
enum fail_method {
	FAIL_BY_PASSWORD,
	FAIL_BY_KEY,
	FAIL_BY_OTHER, /* host-based, GSSAPI, "none" */
	FAIL_BY_MAX
};

/* A run of failures by one method: the attempts since the run began
 * (failures less than login_after_failures.window apart). */
struct fail_run {
	uint32_t attempts;
	uint32_t first_s, last_s;
};

/* The method group of m, or -1 when the line did not say (a pre-auth
 * close, "maximum authentication attempts exceeded"). */
static inline int fail_method_of(enum auth_method m)
{
	switch (m) {
	case AM_PASSWORD:
	case AM_KBDINT:
	case AM_PAM:
		return FAIL_BY_PASSWORD;
	case AM_PUBLICKEY:
		return FAIL_BY_KEY;
	case AM_HOSTBASED:
	case AM_GSSAPI:
	case AM_NONE_METHOD:
		return FAIL_BY_OTHER;
	default:
		return -1;
	}
}

struct acct_entry {
	struct tnode node;
	uint16_t host;
	char *name;
	size_t name_len;
	/* written by the distributed-attack detector (distributed.c): the
	 * account is under a distributed attack (one being reported) */
	bool dist_hit;
	/* written by the unusual-login detector (unusual.c): an unusual login
	 * of this account is being followed to the end of its session, which
	 * takes the privilege events of the account */
	bool followed;
	/* written by the front door (NEED_ACCT_FAILURES): the sources that
	 * failed for the account, with their attempts and last time; a source
	 * quiet for distributed.window starts again from 0 */
	struct sset failures;
	/* written by the front door (NEED_ACCT_FAILURES): the account's
	 * current run of failures by each method */
	struct fail_run fail_by[FAIL_BY_MAX];
	_Alignas(8) char parts[];
};

static inline void *src_part(struct src_entry *e, const struct detector_env *env)
{
	return (char *)e + env->src_off;
}
static inline struct src_entry *src_of_part(void *part, const struct detector_env *env)
{
	return (struct src_entry *)(void *)((char *)part - env->src_off);
}
static inline void *acct_part(struct acct_entry *e, const struct detector_env *env)
{
	return (char *)e + env->acct_off;
}
static inline struct acct_entry *acct_of_part(void *part, const struct detector_env *env)
{
	return (struct acct_entry *)(void *)((char *)part - env->acct_off);
}

/* ---- accessors (for the readers of a fact) ---- */

/* Whether the source's failures were all for one user name, the one whose
 * hash is uh (and there was at least one). */
static inline bool src_only_user(const struct src_entry *e, uint64_t uh)
{
	return uh && !e->users_differ && e->user_key == key32(uh);
}

/* The source's burst, if one is open at now: *ret filled, true. */
static inline bool src_burst(const struct src_entry *e, int64_t now, struct burst_fact *ret)
{
	if (e->burst.count == 0 || now > e->burst.open_until)
		return false;
	*ret = e->burst;
	return true;
}

/* The sources other than skip_h (0: none) that failed for the account at or
 * after since_s, and (*ret_sum) their attempts. */
static inline uint32_t acct_failures_since(const struct acct_entry *a, uint32_t since_s, uint64_t skip_h,
					   uint32_t *ret_sum)
{
	return sset_active(&a->failures, since_s, skip_h, ret_sum);
}

/* The account's run of failures by the method group of m that was still
 * going at since_s (NULL: none, or m says no method). */
static inline const struct fail_run *acct_failed_by(const struct acct_entry *a, enum auth_method m, uint32_t since_s)
{
	int g = fail_method_of(m);
	if (g < 0 || a->fail_by[g].attempts == 0 || a->fail_by[g].last_s < since_s)
		return NULL;
	return &a->fail_by[g];
}

/* ---- entries (detect.c) ---- */

/* The account entry of host + name (touched), made when create is true;
 * NULL when absent or on OOM. */
struct acct_entry *detect_acct(struct detect *d, uint16_t host, struct sv name, bool create);
/* Adds the lines behind the source's burst fact to a (the burst detector
 * keeps them). */
void detect_src_evidence(struct detect *d, struct src_entry *e, struct alert *a);
