/*
 * forged: journal entries whose trusted fields say another program wrote
 * them than the one they claim (source/journal.h, JT_FORGED), gathered by
 * writer and raised as one forged_entry alert per writer and batch.
 *
 * A writer is (host, claimed program, _COMM, _EXE, _UID, _SYSTEMD_UNIT):
 * all of it written by whoever forges, so the table is capped
 * (FORGED_WRITERS_MAX); entries past the cap go to one last group said to
 * hold several writers.
 */
#pragma once

#include <stdint.h>

#include "core/alert.h"
#include "parse/header.h"
#include "source/journal.h"

#define FORGED_WRITERS_MAX 64

struct forged;

struct forged *forged_new(void);
struct forged *forged_free(struct forged *f);

/* Notes one forged entry (h->journal set, v from journal_trust()); at is
 * its origin (file borrowed for the run). Returns 0 or -ENOMEM. */
int forged_note(struct forged *f, const struct syslog_header *h, const struct journal_verdict *v,
		const struct origin *at);

/* One alert per writer noted since the last call, handed to sink (which
 * takes them); the table is emptied. Returns 0 or -ENOMEM. */
int forged_flush(struct forged *f, struct alert_sink sink);
