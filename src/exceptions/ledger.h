/*
 * ledger: the decision trail. A file of its own (STATE/ledger, or any
 * --ledger FILE), append-only, one entry per line:
 *
 *	BODY <TAB> SIGNATURE <LF>
 *
 * BODY is a compact JSON object written once and never re-serialised:
 *	{"v":1,"seq":N,"prev":HASH(entry N-1),"time":"…Z","by":"alice",
 *	 "key":PUBLIC-KEY,"kind":"exception-add", …the decision's fields}
 * SIGNATURE is Ed25519 (hex) by KEY over "moat-ledger-v1\n" BODY, and the
 * entry's hash is BLAKE2b-256 over the whole line without its LF (hex).
 * The first entry's prev is 64 zeros. The head is the last entry's hash.
 *
 * Who may sign: the first entry must be a "key-add" of its own key (the
 * ledger's founder); after that only keys added by a "key-add" entry of
 * an already trusted key, and not revoked by a "key-revoke", sign.
 *
 * Verifying replays every line and names the first bad entry: a line
 * edited (its signature fails), removed, inserted or reordered (numbering
 * or chain broken), a signature forged or by a key the ledger never
 * trusted, a torn last line. Cutting entries off the end leaves a valid
 * shorter chain: that is caught by comparing with a head kept elsewhere
 * (verify --head H, for a whole-file rewrite too) and with the head this
 * host recorded at its last append (STATE/ledger-heads).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exceptions/keys.h"

#define LEDGER_HASH_BYTES 32
#define LEDGER_HASH_HEX (LEDGER_HASH_BYTES * 2 + 1)
/* One entry's line (a decision with its reason and controls is well under this). */
#define LEDGER_LINE_MAX (64u << 10)

struct ledger;

struct ledger_entry {
	uint64_t seq;
	int64_t time_s;
	const char *kind; /* "key-add", "key-revoke", "exception-add", "exception-renew",
			   * "exception-revoke", "control-ack" */
	const char *by; /* the signer's key name as recorded */
	uint8_t key[KEY_PUBLIC_BYTES];
	uint8_t hash[LEDGER_HASH_BYTES];
	json_t *body; /* borrowed: the entry's fields */
	unsigned line;
};

/* The first entry that does not verify. */
struct ledger_problem {
	uint64_t seq; /* the entry's number (its line's place when unnumbered) */
	unsigned line;
	char why[320];
};

/* The default ledger, STATE/ledger (caller frees). */
char *ledger_default_path(void);

/* Reads and verifies path (a missing file is an empty ledger, -ENOENT only
 * when must_exist). heads: the file of heads recorded at appends (NULL:
 * not consulted). Returns 0 with *ret when every entry verifies; 1 with
 * *ret (the entries before the bad one) and *bad when one does not; or a
 * negative errno (unreadable, refused) with *ret_err. */
int ledger_load(const char *path, const char *heads, bool must_exist, struct ledger **ret, struct ledger_problem *bad,
		char **ret_err);
/* The same over bytes in memory (name for messages; no heads). */
int ledger_parse(const char *buf, size_t len, struct ledger **ret, struct ledger_problem *bad);

struct ledger *ledger_free(struct ledger *l);
static inline void ledger_freep(struct ledger **l)
{
	ledger_free(*l);
}

size_t ledger_count(const struct ledger *l);
const struct ledger_entry *ledger_get(const struct ledger *l, size_t i);
/* The head's hex (64 zeros for an empty ledger). */
void ledger_head_hex(const struct ledger *l, char out[LEDGER_HASH_HEX]);
/* The entry whose hash is hex, or -1. */
long ledger_find_hash(const struct ledger *l, const char *hex);
/* Is pk a key the ledger trusts now (added, not revoked)? The key's name when so. */
const char *ledger_key_trusted(const struct ledger *l, const uint8_t pk[KEY_PUBLIC_BYTES]);
/* The raw bytes of the verified entries (for export): borrowed. */
const char *ledger_bytes(const struct ledger *l, size_t *ret_len);

/* Appends one decision signed by k: fields (an object, consumed) are added
 * after the common ones. The file is locked, read and verified first (no
 * append to a ledger that does not verify); an empty ledger is founded by
 * a key-add of k first. Records the new head in heads (when not NULL).
 * Returns 0 with the new entry's number and head, or a negative errno with
 * *ret_err. */
int ledger_append(const char *path, const char *heads, const struct ledger_key *k, const char *kind, json_t *fields,
		  int64_t now_s, uint64_t *ret_seq, char ret_head[LEDGER_HASH_HEX], char **ret_err);

void ledger_hex(const uint8_t *bin, size_t n, char *out);
/* Parses 64 hex digits into 32 bytes; false when it is not that. */
bool ledger_unhex32(const char *hex, uint8_t out[32]);
