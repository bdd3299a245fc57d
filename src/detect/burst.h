/*
 * detect/burst.h: the burst detector's own header, shared by its two files
 * and nothing else: brute.c (brute force, fast and slow: the source's
 * entry part, its burst, the alert) and spray.c (the burst's user names:
 * the password-spray verdict and the words about names).
 *
 * Brute force and password spraying are two verdicts on one burst of one
 * source (its failures with gaps shorter than the burst gap): a burst is
 * reported once, as a spray when it reached password_spray.min_users names
 * with few tries each, else as a brute force. So they are one detector.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/list.h"
#include "detect/detector.h"
#include "detect/sets.h"

#define SAMPLE_NAMES 3
#define SAMPLE_LEN 32
#define RATE_BUCKETS 8

struct bsrc; /* brute.c: the detector's part of a source entry */

/* A burst from its second attempt (or a first that alone makes an alert)
 * until it ends. The blocks are recycled most recently freed first: only
 * the sources attacking now hold one, so they stay in cache. */
struct sburst {
	struct list link; /* on the detector's bursts, by last attempt (the oldest ends first) */
	int64_t last; /* the last attempt */
	struct bsrc *s; /* its source's part (NULL while the block is free) */
	bool burst_hit, spray_hit;
	bool multi; /* more than one user name */
	bool names_lost; /* a name of the burst left the name set (or never got in): users is a lower bound */
	uint8_t n_names; /* names[] kept */
	int64_t first;
	uint32_t count, peak, users, users_peak; /* users: different names, see names_lost */
	uint64_t user1; /* the first user name's hash */
	int64_t rate_base;
	uint32_t rate_sum, rate[RATE_BUCKETS];
	struct evid evid;
	struct nameset names_tried; /* the burst's user names and when each was last tried */
	char names[SAMPLE_NAMES][SAMPLE_LEN + 1]; /* its first user names (cut) */
};

/* spray.c: the burst's user names (now_s: the attempt's time) */
void spray_note(const struct detect_config *c, struct sburst *b, struct sv user, uint64_t uh, uint32_t now_s,
		uint32_t tries);
/* The burst's different user names (*ret_at_least: a lower bound). */
uint32_t spray_users(const struct sburst *b, bool *ret_at_least);
void spray_why(const struct detect_config *c, const struct sburst *b, struct alert *a);
bool spray_is_spray(const struct detect_config *c, const struct sburst *b);
/* A user name cut to SAMPLE_LEN bytes, for the reader: a C string in
 * dst (SAMPLE_LEN + 1 bytes), which a NUL in the name ends. */
void spray_copy_name(char *dst, struct sv user);
