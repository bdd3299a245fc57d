/*
 * keys: operators' Ed25519 signing keys (libsodium), one pair per name in
 * STATE/keys/: NAME.key (the 32-byte seed in hex, mode 0600, refused when
 * others may read it or another user owns it) and NAME.pub (the public key
 * in hex).
 *
 * A loaded key lives in sodium_malloc memory (guard pages, locked, never
 * swapped) and is wiped by key_free on every path; the file's text is read
 * into such memory too, never into a stdio buffer.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KEY_PUBLIC_BYTES 32
#define KEY_SIGNATURE_BYTES 64
#define KEY_HEX_PUBLIC (KEY_PUBLIC_BYTES * 2 + 1)

struct ledger_key;

/* STATE/keys (caller frees). */
char *keys_dir(void);

/* Is name usable as a key name (letters, digits, . _ -; 1..64; no leading dot)? */
int key_name_valid(const char *name);

/* Makes a new pair NAME in dir (created 0700). Refuses to replace one.
 * Returns 0 and the public key's hex in pub_hex, or a negative errno with *ret_err. */
int key_generate(const char *dir, const char *name, char pub_hex[KEY_HEX_PUBLIC], char **ret_err);

/* Loads NAME's private key; name NULL: the only key in dir (-EEXIST when
 * there are several: name one). Returns 0 or a negative errno with *ret_err. */
int key_load(const char *dir, const char *name, struct ledger_key **ret, char **ret_err);

/* Wipes and frees; NULL is a no-op; returns NULL. */
struct ledger_key *key_free(struct ledger_key *k);
static inline void key_freep(struct ledger_key **k)
{
	key_free(*k);
}

const char *key_name(const struct ledger_key *k);
const uint8_t *key_public(const struct ledger_key *k);
void key_public_hex(const struct ledger_key *k, char out[KEY_HEX_PUBLIC]);

/* Signs msg (detached). Returns 0 or -EIO. */
int key_sign(const struct ledger_key *k, const void *msg, size_t n, uint8_t sig[KEY_SIGNATURE_BYTES]);

/* Calls fn for every pair in dir (sorted by name) with its public key's hex
 * (NULL when NAME.pub is unreadable). Returns 0 or a negative errno. */
int keys_foreach(const char *dir, void (*fn)(void *ud, const char *name, const char *pub_hex), void *ud);
