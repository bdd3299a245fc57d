/*
 * keys: Ed25519 pairs under STATE/keys (see keys.h).
 */
#include "exceptions/keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"
#include "exceptions/paths.h"

#define SEED_HEX (crypto_sign_SEEDBYTES * 2)
#define KEY_FILE_MAGIC "moat-ed25519-seed-v1 "
#define KEY_FILE_MAX 256

struct ledger_key {
	char name[65];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t *sk; /* sodium_malloc'd crypto_sign_SECRETKEYBYTES */
};

static int sodium_ready(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

char *keys_dir(void)
{
	return state_path("keys");
}

int key_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '-'))
			return 0;
	return 1;
}

static int fail(char **ret_err, int r, const char *fmt, const char *a)
{
	if (ret_err && !*ret_err && asprintf(ret_err, fmt, a) < 0)
		*ret_err = NULL;
	return r;
}

struct ledger_key *key_free(struct ledger_key *k)
{
	if (!k)
		return NULL;
	if (k->sk)
		sodium_free(k->sk); /* sodium_free wipes before releasing */
	sodium_memzero(k, sizeof(*k));
	sodium_free(k);
	return NULL;
}

const char *key_name(const struct ledger_key *k)
{
	return k->name;
}

const uint8_t *key_public(const struct ledger_key *k)
{
	return k->pk;
}

void key_public_hex(const struct ledger_key *k, char out[KEY_HEX_PUBLIC])
{
	sodium_bin2hex(out, KEY_HEX_PUBLIC, k->pk, sizeof(k->pk));
}

int key_sign(const struct ledger_key *k, const void *msg, size_t n, uint8_t sig[KEY_SIGNATURE_BYTES])
{
	return crypto_sign_detached(sig, NULL, msg, n, k->sk) == 0 ? 0 : -EIO;
}

int key_generate(const char *dir, const char *name, char pub_hex[KEY_HEX_PUBLIC], char **ret_err)
{
	_cleanup_free_ char *kpath = NULL, *ppath = NULL;
	int r = sodium_ready();
	if (r < 0)
		return fail(ret_err, r, "%s", "libsodium cannot start");
	if (!key_name_valid(name))
		return fail(ret_err, -EINVAL, "'%s' is not a key name (letters, digits, '.', '_', '-'; up to 64)", name);
	r = state_mkdirs(dir);
	if (r < 0)
		return fail(ret_err, r, "%s: cannot create the directory", dir);
	if (asprintf(&kpath, "%s/%s.key", dir, name) < 0 || asprintf(&ppath, "%s/%s.pub", dir, name) < 0)
		return -ENOMEM;

	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	char *text = sodium_malloc(KEY_FILE_MAX);
	if (!sk || !seed || !text) {
		r = -ENOMEM;
		goto out;
	}
	randombytes_buf(seed, crypto_sign_SEEDBYTES);
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
		r = fail(ret_err, -EIO, "%s", "cannot make a key pair");
		goto out;
	}
	memcpy(text, KEY_FILE_MAGIC, strlen(KEY_FILE_MAGIC));
	sodium_bin2hex(text + strlen(KEY_FILE_MAGIC), SEED_HEX + 1, seed, crypto_sign_SEEDBYTES);
	size_t tl = strlen(KEY_FILE_MAGIC) + SEED_HEX;
	text[tl++] = '\n';

	/* O_EXCL: never replace a key (the ledger's entries name it) */
	int fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = errno == EEXIST ? fail(ret_err, -EEXIST, "%s: a key of that name exists already", kpath)
				    : fail(ret_err, -errno, "%s: cannot create", kpath);
		goto out;
	}
	size_t done = 0;
	while (done < tl) {
		ssize_t k = write(fd, text + done, tl - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = -errno;
			break;
		}
		done += (size_t)k;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(kpath);
		r = fail(ret_err, r, "%s: cannot write", kpath);
		goto out;
	}
	char hex[KEY_HEX_PUBLIC + 1];
	sodium_bin2hex(hex, KEY_HEX_PUBLIC, pk, sizeof(pk));
	hex[KEY_HEX_PUBLIC - 1] = '\n';
	hex[KEY_HEX_PUBLIC] = '\0';
	r = trail_write_file(ppath, hex, KEY_HEX_PUBLIC, 0644, ret_err);
	if (r < 0) {
		(void)unlink(kpath);
		goto out;
	}
	sodium_bin2hex(pub_hex, KEY_HEX_PUBLIC, pk, sizeof(pk));
out:
	if (sk)
		sodium_free(sk);
	if (seed)
		sodium_free(seed);
	if (text)
		sodium_free(text);
	return r;
}

/* The only NAME.key in dir. */
static int only_key(const char *dir, char name[65], char **ret_err)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return fail(ret_err, -errno, "no signing key yet (%s): make one with 'moat ledger key new NAME'", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 4 || strcmp(de->d_name + l - 4, ".key") != 0 || l - 4 > 64)
			continue;
		if (n++ == 0)
			snprintf(name, 65, "%.*s", (int)(l - 4), de->d_name);
	}
	closedir(d);
	if (n == 0)
		return fail(ret_err, -ENOENT, "no signing key in %s: make one with 'moat ledger key new NAME'", dir);
	if (n > 1)
		return fail(ret_err, -EEXIST, "several keys in %s: name the one to sign with (--key NAME)", dir);
	return 0;
}

int key_load(const char *dir, const char *name, struct ledger_key **ret, char **ret_err)
{
	char nm[65];
	_cleanup_free_ char *path = NULL;
	int r = sodium_ready();
	if (r < 0)
		return fail(ret_err, r, "%s", "libsodium cannot start");
	if (name) {
		if (!key_name_valid(name))
			return fail(ret_err, -EINVAL, "'%s' is not a key name", name);
		snprintf(nm, sizeof(nm), "%s", name);
	} else if ((r = only_key(dir, nm, ret_err)) < 0) {
		return r;
	}
	if (asprintf(&path, "%s/%s.key", dir, nm) < 0)
		return -ENOMEM;
	int fd = trail_open(path, O_RDONLY, 0, true, ret_err);
	if (fd < 0)
		return fd;

	struct ledger_key *k = sodium_malloc(sizeof(*k));
	char *text = sodium_malloc(KEY_FILE_MAX);
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	if (k)
		memset(k, 0, sizeof(*k)); /* before any path that frees it */
	if (!k || !text || !seed) {
		r = -ENOMEM;
		goto out;
	}
	size_t n = 0;
	while (n < KEY_FILE_MAX - 1) {
		ssize_t got = read(fd, text + n, KEY_FILE_MAX - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = fail(ret_err, -errno, "%s: cannot read", path);
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	text[n] = '\0';
	size_t ml = strlen(KEY_FILE_MAGIC), bin_len = 0;
	if (n < ml + SEED_HEX || memcmp(text, KEY_FILE_MAGIC, ml) != 0 ||
	    sodium_hex2bin(seed, crypto_sign_SEEDBYTES, text + ml, SEED_HEX, NULL, &bin_len, NULL) != 0 ||
	    bin_len != crypto_sign_SEEDBYTES) {
		r = fail(ret_err, -EINVAL, "%s: not a moat signing key", path);
		goto out;
	}
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!k->sk) {
		r = -ENOMEM;
		goto out;
	}
	if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0) {
		r = fail(ret_err, -EIO, "%s: cannot derive the key pair", path);
		goto out;
	}
	snprintf(k->name, sizeof(k->name), "%s", nm);
	*ret = TAKE_PTR(k);
out:
	close(fd);
	key_free(k);
	if (text)
		sodium_free(text);
	if (seed)
		sodium_free(seed);
	return r;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int keys_foreach(const char *dir, void (*fn)(void *ud, const char *name, const char *pub_hex), void *ud)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	char *names[1024];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < ELEMENTSOF(names)) {
		size_t l = strlen(de->d_name);
		if (l <= 4 || strcmp(de->d_name + l - 4, ".key") != 0)
			continue;
		names[n] = strndup(de->d_name, l - 4);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), str_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4200], hex[KEY_HEX_PUBLIC + 8];
		const char *pub = NULL;
		snprintf(path, sizeof(path), "%s/%s.pub", dir, names[i]);
		int fd = trail_open(path, O_RDONLY, 0, false, NULL);
		if (fd >= 0) {
			ssize_t k = read(fd, hex, sizeof(hex) - 1);
			close(fd);
			if (k >= KEY_HEX_PUBLIC - 1) {
				hex[KEY_HEX_PUBLIC - 1] = '\0';
				pub = hex;
			}
		}
		fn(ud, names[i], pub);
		free(names[i]);
	}
	return 0;
}
