/*
 * allowlist: the addresses, networks and accounts moat leaves alone
 * (the configuration's `allowlist:`, or fail2ban's `ignoreip`). One list
 * for everything that judges or acts: the scan stores their events (trace
 * shows them) but feeds them to no detector (allowlist_covers_event), and
 * containment, later, never acts against them.
 *
 * Entries come from the configuration, not from logs; still, the list is
 * capped (ALLOWLIST_MAX) and each entry's text bounded. Lookups cost a
 * binary search per prefix length in use, and one for accounts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/event.h"
#include "core/strview.h"

#define ALLOWLIST_MAX 4096 /* entries of each kind (messages say 4096) */
#define ALLOWLIST_WHY_MAX 200 /* bytes of an entry's reason */
#define ALLOWLIST_NAME_MAX 64 /* bytes of an account name (messages say 64) */

struct allow_net {
	struct addr net; /* host bits cleared */
	uint8_t prefix; /* 0..32 (v4), 0..128 (v6) */
	char *why; /* NULL: none given */
	char *where; /* "file:line" of the entry */
};

struct allow_account {
	char *name;
	char *why;
	char *where;
};

struct allowlist {
	struct allow_net *nets; /* in the configuration's order */
	size_t n_nets;
	struct allow_account *accts;
	size_t n_accts;
	/* lookup order (allowlist_seal): indexes sorted by family, prefix, bytes / name */
	uint32_t *net_order, *acct_order;
	/* the runs of one family and prefix in net_order, longest prefix first */
	struct allow_run {
		uint8_t family, prefix;
		uint32_t start, end;
	} *runs;
	size_t n_runs;
	bool sealed;
};

/* Adds "ADDR" or "ADDR/PREFIX" (host bits are cleared: fail2ban's
 * 127.0.0.1/8 is 127.0.0.0/8). why may be NULL; where names the entry
 * for messages. Returns 0, -EINVAL with *ret_err saying why (caller
 * frees), -E2BIG past ALLOWLIST_MAX, or -ENOMEM. Host names are refused:
 * moat resolves no names. */
int allowlist_add_net(struct allowlist *l, struct sv text, const char *why, const char *where, char **ret_err);
/* Adds an account name (as logs write it). Same returns. */
int allowlist_add_account(struct allowlist *l, struct sv name, const char *why, const char *where, char **ret_err);
/* Builds the lookup order; call once after the last add (lookups before
 * it find nothing). Returns 0 or -ENOMEM. */
int allowlist_seal(struct allowlist *l);
/* Frees what l holds and empties it. */
void allowlist_done(struct allowlist *l);

static inline bool allowlist_empty(const struct allowlist *l)
{
	return !l || (l->n_nets == 0 && l->n_accts == 0);
}

/* The narrowest entry whose network holds a, or NULL. */
const struct allow_net *allowlist_find_addr(const struct allowlist *l, const struct addr *a);
/* The entry naming user exactly, or NULL. */
const struct allow_account *allowlist_find_account(const struct allowlist *l, struct sv user);

/* Whether the detectors leave ev alone: its source address is allow-listed
 * (whatever it did), or its account is and the event is the account's own
 * doing (a login, a session, sudo, su, a change to it). A failed login that
 * merely names an allow-listed account from elsewhere is not covered: an
 * allow-listed name is what an attacker guesses, and counts against the
 * source that tried it (brute force, spraying, distributed attacks). */
bool allowlist_covers_event(const struct allowlist *l, const struct event *ev);

/* What an entry covers, for `moat check`: "192.0.2.7 (one address)",
 * "10.0.0.0/8 (16777216 addresses: 10.0.0.0 to 10.255.255.255)". */
void allowlist_describe_net(const struct allow_net *n, char *buf, size_t size);
/* The other entry whose network holds all of n's (the widest), or NULL:
 * n adds nothing. */
const struct allow_net *allowlist_net_covered_by(const struct allowlist *l, const struct allow_net *n);
