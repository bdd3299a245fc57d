/*
 * detect/follow.h: the unusual-login detector's second half (correlate.c),
 * shared by its two files and nothing else. An unusual login's alert is
 * held and followed to the end of its session: privilege-escalation
 * attempts, a successful sudo or su, or an account change in it make one
 * story and one alert.
 */
#pragma once

#include <stdint.h>

#include "detect/detector.h"

struct follow;
struct acct_entry;

/* The detector's part of an account entry. */
struct uacct {
	struct pending *pend; /* the unusual login being followed, or NULL */
};

struct follow *follow_new(struct detect *d, const struct detector_env *env);
void follow_free(struct follow *f);
/* Holds a (taken) until the login's session ends; ac NULL: emitted now. */
void follow_open(struct detect *d, struct follow *f, struct acct_entry *ac, struct alert *a, const struct event *ev);
/* A privilege, account or session event (x->n: how many it stands for);
 * habit: for a sudo command or a successful su, how often the account used
 * that privilege before (0: never). */
void follow_feed(struct detect *d, struct follow *f, const struct event *ev, const struct dctx *x, uint32_t habit);
/* Emits the account's held alert, if any. */
void follow_close(struct detect *d, struct follow *f, struct acct_entry *ac);
void follow_sweep(struct detect *d, struct follow *f, int64_t now);
/* When the oldest held alert is due (INT64_MAX: none is held). */
int64_t follow_due(const struct follow *f);
