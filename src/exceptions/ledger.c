/*
 * ledger: the append-only, hash-chained, signed decision trail (see
 * ledger.h). libsodium: crypto_generichash (BLAKE2b) for the chain,
 * crypto_sign_verify_detached (Ed25519) for the signatures.
 */
#include "exceptions/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/array.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "exceptions/paths.h"

#define SIGN_CONTEXT "moat-ledger-v1\n"
#define LEDGER_FILE_MAX (1u << 30)
#define MAX_KEYS 4096

struct trusted {
	uint8_t pk[KEY_PUBLIC_BYTES];
	char *name;
	bool revoked;
};

struct ledger {
	char *buf; /* the verified bytes */
	size_t len;
	struct ledger_entry *v;
	size_t n, cap;
	struct trusted *keys;
	size_t n_keys, cap_keys;
};

void ledger_hex(const uint8_t *bin, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, bin, n);
}

bool ledger_unhex32(const char *hex, uint8_t out[32])
{
	size_t bl = 0;
	if (!hex || strlen(hex) != 64)
		return false;
	for (const char *c = hex; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false; /* lower-case only: one spelling per hash */
	return sodium_hex2bin(out, 32, hex, 64, NULL, &bl, NULL) == 0 && bl == 32;
}

char *ledger_default_path(void)
{
	return state_path("ledger");
}

struct ledger *ledger_free(struct ledger *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->v[i].body);
	free(l->v);
	for (size_t i = 0; i < l->n_keys; i++)
		free(l->keys[i].name);
	free(l->keys);
	free(l->buf);
	free(l);
	return NULL;
}

size_t ledger_count(const struct ledger *l)
{
	return l ? l->n : 0;
}

const struct ledger_entry *ledger_get(const struct ledger *l, size_t i)
{
	return i < l->n ? &l->v[i] : NULL;
}

void ledger_head_hex(const struct ledger *l, char out[LEDGER_HASH_HEX])
{
	uint8_t zero[LEDGER_HASH_BYTES] = { 0 };
	ledger_hex(l && l->n ? l->v[l->n - 1].hash : zero, LEDGER_HASH_BYTES, out);
}

long ledger_find_hash(const struct ledger *l, const char *hex)
{
	uint8_t h[32];
	if (!ledger_unhex32(hex, h))
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (sodium_memcmp(l->v[i].hash, h, 32) == 0)
			return (long)i;
	return -1;
}

const char *ledger_bytes(const struct ledger *l, size_t *ret_len)
{
	*ret_len = l->len;
	return l->buf ? l->buf : "";
}

static struct trusted *find_key(const struct ledger *l, const uint8_t pk[KEY_PUBLIC_BYTES])
{
	for (size_t i = 0; i < l->n_keys; i++)
		if (memcmp(l->keys[i].pk, pk, KEY_PUBLIC_BYTES) == 0)
			return &l->keys[i];
	return NULL;
}

const char *ledger_key_trusted(const struct ledger *l, const uint8_t pk[KEY_PUBLIC_BYTES])
{
	const struct trusted *t = find_key(l, pk);
	return t && !t->revoked ? t->name : NULL;
}

_printf_(4, 5) static int problem(struct ledger_problem *bad, uint64_t seq, unsigned line, const char *fmt, ...)
{
	va_list ap;
	bad->seq = seq;
	bad->line = line;
	va_start(ap, fmt);
	vsnprintf(bad->why, sizeof(bad->why), fmt, ap);
	va_end(ap);
	return 1;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Applies a key-add / key-revoke to the trusted set. Returns 0, 1 (a problem), -ENOMEM. */
static int apply_key_entry(struct ledger *l, const struct ledger_entry *e, struct ledger_problem *bad)
{
	uint8_t pk[KEY_PUBLIC_BYTES];
	const char *hex = jstr(e->body, "public_key"), *name = jstr(e->body, "key_name");
	if (!hex || !ledger_unhex32(hex, pk))
		return problem(bad, e->seq, e->line, "entry %llu (%s): no valid public_key", (unsigned long long)e->seq,
			       e->kind);
	struct trusted *t = find_key(l, pk);
	if (strcmp(e->kind, "key-revoke") == 0) {
		if (!t || t->revoked)
			return problem(bad, e->seq, e->line, "entry %llu: revokes a key the ledger does not trust",
				       (unsigned long long)e->seq);
		t->revoked = true;
		return 0;
	}
	if (!name || !*name)
		return problem(bad, e->seq, e->line, "entry %llu (key-add): no key_name", (unsigned long long)e->seq);
	if (t)
		return problem(bad, e->seq, e->line, "entry %llu: adds a key the ledger already knew",
			       (unsigned long long)e->seq);
	if (l->n_keys >= MAX_KEYS)
		return problem(bad, e->seq, e->line, "entry %llu: more than %d keys", (unsigned long long)e->seq,
			       MAX_KEYS);
	if (array_reserve(&l->keys, &l->cap_keys, l->n_keys + 1, sizeof(*l->keys), 8) < 0)
		return -ENOMEM;
	char *dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	t = &l->keys[l->n_keys++];
	memcpy(t->pk, pk, KEY_PUBLIC_BYTES);
	t->name = dup;
	t->revoked = false;
	return 0;
}

/* Verifies one line (without its LF) as entry number seq after prev. Returns 0 (appended to l), 1 (bad), <0. */
static int verify_line(struct ledger *l, const char *p, size_t n, unsigned lineno, struct ledger_problem *bad)
{
	uint64_t seq = l->n + 1;
	unsigned long long sq = (unsigned long long)seq;
	const char *tab = n ? memrchr(p, '\t', n) : NULL;
	if (n > LEDGER_LINE_MAX)
		return problem(bad, seq, lineno, "entry %llu (line %u): longer than %u bytes", sq, lineno,
			       LEDGER_LINE_MAX);
	if (!tab || (size_t)(p + n - tab - 1) != KEY_SIGNATURE_BYTES * 2)
		return problem(bad, seq, lineno, "entry %llu (line %u): not BODY<TAB>SIGNATURE", sq, lineno);
	size_t bl = (size_t)(tab - p);
	uint8_t sig[KEY_SIGNATURE_BYTES];
	size_t sl = 0;
	if (sodium_hex2bin(sig, sizeof(sig), tab + 1, KEY_SIGNATURE_BYTES * 2, NULL, &sl, NULL) != 0 ||
	    sl != sizeof(sig))
		return problem(bad, seq, lineno, "entry %llu (line %u): the signature is not hex", sq, lineno);
	json_error_t jerr;
	json_t *body = json_loadb(p, bl, JSON_REJECT_DUPLICATES, &jerr);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		return problem(bad, seq, lineno, "entry %llu (line %u): the body is not a JSON object", sq, lineno);
	}
	struct ledger_entry e = { .body = body, .line = lineno };
	json_t *jseq = json_object_get(body, "seq"), *jv = json_object_get(body, "v");
	const char *prev = jstr(body, "prev"), *time = jstr(body, "time"), *key = jstr(body, "key");
	e.kind = jstr(body, "kind");
	e.by = jstr(body, "by");
	int64_t t_us;
	uint8_t prev_bin[32];
	int r = 1;
	if (!json_is_integer(jv) || json_integer_value(jv) != 1 || !json_is_integer(jseq) || !prev || !time || !key ||
	    !e.kind || !e.by) {
		problem(bad, seq, lineno, "entry %llu (line %u): a field is missing (v, seq, prev, time, by, key, kind)",
			sq, lineno);
		goto out;
	}
	e.seq = (uint64_t)json_integer_value(jseq);
	if (e.seq != seq) {
		problem(bad, seq, lineno,
			"entry %llu (line %u): numbered %lld where %llu was expected (an entry removed, inserted or "
			"reordered)",
			sq, lineno, (long long)json_integer_value(jseq), sq);
		goto out;
	}
	uint8_t want_prev[32] = { 0 };
	if (l->n)
		memcpy(want_prev, l->v[l->n - 1].hash, 32);
	if (!ledger_unhex32(prev, prev_bin) || sodium_memcmp(prev_bin, want_prev, 32) != 0) {
		problem(bad, seq, lineno,
			"entry %llu (line %u): does not follow the entry before it (prev is not its hash: an entry "
			"edited, removed or reordered before it)",
			sq, lineno);
		goto out;
	}
	if (!ledger_unhex32(key, e.key)) {
		problem(bad, seq, lineno, "entry %llu (line %u): the key is not 64 hex digits", sq, lineno);
		goto out;
	}
	if (time_parse_rfc3339(time, &t_us) < 0) {
		problem(bad, seq, lineno, "entry %llu (line %u): time '%.40s' is not RFC 3339", sq, lineno, time);
		goto out;
	}
	e.time_s = t_us / 1000000;
	/* the signature over the exact body bytes */
	size_t ml = strlen(SIGN_CONTEXT) + bl;
	unsigned char *msg = malloc(ml);
	if (!msg) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(msg, SIGN_CONTEXT, strlen(SIGN_CONTEXT));
	memcpy(msg + strlen(SIGN_CONTEXT), p, bl);
	int ok = crypto_sign_verify_detached(sig, msg, ml, e.key);
	free(msg);
	if (ok != 0) {
		problem(bad, seq, lineno,
			"entry %llu (line %u): the signature does not verify (the entry was edited, or the signature "
			"forged)",
			sq, lineno);
		goto out;
	}
	/* who may sign */
	if (l->n == 0) {
		const char *pkhex = jstr(body, "public_key");
		if (strcmp(e.kind, "key-add") != 0 || !pkhex || strcmp(pkhex, key) != 0) {
			problem(bad, seq, lineno,
				"entry 1 (line %u): the first entry must add the key that signs it (%s found)", lineno,
				e.kind);
			goto out;
		}
	} else if (!ledger_key_trusted(l, e.key)) {
		const struct trusted *t = find_key(l, e.key);
		problem(bad, seq, lineno, "entry %llu (line %u): signed by %s key %.16s… (by \"%.40s\")", sq, lineno,
			t ? "the revoked" : "an unknown", key, e.by);
		goto out;
	}
	if (strcmp(e.kind, "key-add") == 0 || strcmp(e.kind, "key-revoke") == 0) {
		r = apply_key_entry(l, &e, bad);
		if (r != 0)
			goto out;
	}
	crypto_generichash(e.hash, sizeof(e.hash), (const unsigned char *)p, n, NULL, 0);
	if (array_reserve(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 64) < 0) {
		r = -ENOMEM;
		goto out;
	}
	l->v[l->n++] = e;
	return 0;
out:
	json_decref(body);
	return r;
}

int ledger_parse(const char *buf, size_t len, struct ledger **ret, struct ledger_problem *bad)
{
	if (sodium_init() < 0)
		return -EIO;
	struct ledger *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	size_t off = 0, good = 0;
	unsigned lineno = 0;
	int r = 0;
	while (off < len) {
		const char *p = buf + off;
		const char *nl = memchr(p, '\n', len - off);
		lineno++;
		if (!nl) {
			r = problem(bad, l->n + 1, lineno,
				    "entry %llu (line %u): the last line is torn (no end of line: the file was cut "
				    "mid-entry)",
				    (unsigned long long)l->n + 1, lineno);
			break;
		}
		r = verify_line(l, p, (size_t)(nl - p), lineno, bad);
		if (r != 0)
			break;
		off = (size_t)(nl - buf) + 1;
		good = off;
	}
	if (r < 0) {
		ledger_free(l);
		return r;
	}
	l->buf = malloc(good + 1);
	if (!l->buf) {
		ledger_free(l);
		return -ENOMEM;
	}
	memcpy(l->buf, buf, good);
	l->buf[good] = '\0';
	l->len = good;
	*ret = l;
	return r;
}

/* ---- heads recorded at appends: "SEQ HASH PATH" per line ---- */

static char *real_or_same(const char *path)
{
	char buf[PATH_MAX];
	if (realpath(path, buf))
		return strdup(buf);
	return strdup(path);
}

/* The recorded (seq, hash) of the ledger at path; 0 none, 1 found. */
static int heads_lookup(const char *heads, const char *real, uint64_t *ret_seq, char ret_hash[LEDGER_HASH_HEX])
{
	int fd = trail_open(heads, O_RDONLY, 0, false, NULL);
	if (fd < 0)
		return 0;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = read_to_end(fd, &buf, &cap, 16u << 20);
	close(fd);
	int found = 0;
	for (char *line = n > 0 ? buf : NULL, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		if (!sp2 || sp2 - sp1 - 1 != 64 || strcmp(sp2 + 1, real) != 0)
			continue;
		char *end = NULL;
		unsigned long long s = strtoull(line, &end, 10);
		if (end != sp1)
			continue;
		*ret_seq = s;
		memcpy(ret_hash, sp1 + 1, 64);
		ret_hash[64] = '\0';
		found = 1; /* the last record wins */
	}
	free(buf);
	return found;
}

static int heads_record(const char *heads, const char *real, uint64_t seq, const char *hash, char **ret_err)
{
	char *buf = NULL, *out = NULL;
	size_t cap = 0, olen = 0;
	int fd = trail_open(heads, O_RDONLY, 0, false, NULL);
	ssize_t n = 0;
	if (fd >= 0) {
		n = read_to_end(fd, &buf, &cap, 16u << 20);
		close(fd);
	}
	FILE *m = open_memstream(&out, &olen);
	if (!m) {
		free(buf);
		return -ENOMEM;
	}
	/* keep the other ledgers' records, replace this one's */
	for (char *line = n > 0 ? buf : NULL, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		if (sp2 && strcmp(sp2 + 1, real) == 0)
			continue;
		fprintf(m, "%s\n", line);
	}
	fprintf(m, "%llu %s %s\n", (unsigned long long)seq, hash, real);
	fclose(m);
	free(buf);
	int r = out ? trail_write_file(heads, out, olen, 0600, ret_err) : -ENOMEM;
	free(out);
	return r;
}

static int check_heads(const struct ledger *l, const char *heads, const char *path, struct ledger_problem *bad)
{
	_cleanup_free_ char *real = real_or_same(path);
	uint64_t seq;
	char hash[LEDGER_HASH_HEX];
	if (!real)
		return -ENOMEM;
	if (!heads_lookup(heads, real, &seq, hash))
		return 0;
	if (seq > l->n)
		return problem(bad, l->n + 1, (unsigned)l->n + 1,
			       "entry %llu is missing: this host recorded the ledger up to entry %llu (head %.16s…), "
			       "the file now ends after entry %zu (cut off)",
			       (unsigned long long)l->n + 1, (unsigned long long)seq, hash, l->n);
	char have[LEDGER_HASH_HEX];
	ledger_hex(l->v[seq - 1].hash, 32, have);
	if (seq && strcmp(have, hash) != 0)
		return problem(bad, seq, l->v[seq - 1].line,
			       "entry %llu is not the one this host recorded (head %.16s…): the ledger was rewritten",
			       (unsigned long long)seq, hash);
	return 0;
}

int ledger_load(const char *path, const char *heads, bool must_exist, struct ledger **ret, struct ledger_problem *bad,
		char **ret_err)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = 0;
	int fd = trail_open(path, O_RDONLY, 0, false, ret_err);
	if (fd == -ENOENT && !must_exist) {
		if (ret_err) {
			free(*ret_err);
			*ret_err = NULL;
		}
	} else if (fd < 0) {
		return fd;
	} else {
		n = read_to_end(fd, &buf, &cap, LEDGER_FILE_MAX);
		close(fd);
		if (n < 0) {
			free(buf);
			if (ret_err && asprintf(ret_err, "%s: %s", path, strerror((int)-n)) < 0)
				*ret_err = NULL;
			return (int)n;
		}
	}
	struct ledger *l = NULL;
	int r = ledger_parse(buf ? buf : "", (size_t)n, &l, bad);
	free(buf);
	if (r < 0)
		return r;
	if (r == 0 && heads) {
		r = check_heads(l, heads, path, bad);
		if (r < 0) {
			ledger_free(l);
			return r;
		}
	}
	*ret = l;
	return r;
}

/* ---- appending ---- */

static int append_one(int fd, struct ledger *l, const struct ledger_key *k, const char *kind, json_t *fields,
		      int64_t now_s, char **ret_err)
{
	char prev[LEDGER_HASH_HEX], pk[KEY_HEX_PUBLIC], tbuf[TIME_STRLEN];
	ledger_head_hex(l, prev);
	key_public_hex(k, pk);
	json_t *body = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:s}", "v", 1, "seq", (json_int_t)(l->n + 1), "prev",
				 prev, "time", time_format_rfc3339(now_s * 1000000, tbuf), "by", key_name(k), "key",
				 pk, "kind", kind);
	if (!body) {
		json_decref(fields);
		return -ENOMEM;
	}
	if (fields && json_object_update(body, fields) < 0) {
		json_decref(fields);
		json_decref(body);
		return -ENOMEM;
	}
	json_decref(fields);
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(body);
	if (!text)
		return -ENOMEM;
	size_t bl = strlen(text), ml = strlen(SIGN_CONTEXT) + bl;
	if (bl + 2 + KEY_SIGNATURE_BYTES * 2 > LEDGER_LINE_MAX) {
		free(text);
		if (ret_err && asprintf(ret_err, "the entry would be longer than %u bytes: shorten the reason",
					LEDGER_LINE_MAX) < 0)
			*ret_err = NULL;
		return -E2BIG;
	}
	unsigned char *msg = malloc(ml);
	char *line = malloc(bl + 1 + KEY_SIGNATURE_BYTES * 2 + 2);
	uint8_t sig[KEY_SIGNATURE_BYTES];
	int r = 0;
	if (!msg || !line) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(msg, SIGN_CONTEXT, strlen(SIGN_CONTEXT));
	memcpy(msg + strlen(SIGN_CONTEXT), text, bl);
	if (key_sign(k, msg, ml, sig) < 0) {
		r = -EIO;
		goto out;
	}
	memcpy(line, text, bl);
	line[bl] = '\t';
	ledger_hex(sig, sizeof(sig), line + bl + 1);
	size_t ll = bl + 1 + KEY_SIGNATURE_BYTES * 2;
	line[ll] = '\n';
	/* verify what we are about to write as the next entry: the in-memory ledger follows it */
	struct ledger_problem bad;
	r = verify_line(l, line, ll, (unsigned)l->n + 1, &bad);
	if (r != 0) {
		if (r > 0 && ret_err && asprintf(ret_err, "internal: the new entry does not verify: %s", bad.why) < 0)
			*ret_err = NULL;
		r = r > 0 ? -EIO : r;
		goto out;
	}
	size_t done = 0;
	while (done < ll + 1) {
		ssize_t w = write(fd, line + done, ll + 1 - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0 && ret_err && asprintf(ret_err, "cannot write the ledger: %s", strerror(-r)) < 0)
		*ret_err = NULL;
out:
	free(text);
	free(msg);
	free(line);
	return r;
}

int ledger_append(const char *path, const char *heads, const struct ledger_key *k, const char *kind, json_t *fields,
		  int64_t now_s, uint64_t *ret_seq, char ret_head[LEDGER_HASH_HEX], char **ret_err)
{
	_cleanup_free_ char *dir_copy = strdup(path);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	int r;
	if (!dir_copy) {
		json_decref(fields);
		return -ENOMEM;
	}
	if (sodium_init() < 0) {
		json_decref(fields);
		return -EIO;
	}
	(void)state_mkdirs(dirname(dir_copy));
	int fd = trail_open(path, O_RDWR | O_CREAT | O_APPEND, 0600, false, ret_err);
	if (fd < 0) {
		json_decref(fields);
		return fd;
	}
	if (flock(fd, LOCK_EX) < 0) {
		r = -errno;
		goto out;
	}
	/* read and verify under the lock: the chain continues from what is really there */
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = read_to_end(fd, &buf, &cap, LEDGER_FILE_MAX);
	if (n < 0) {
		free(buf);
		r = (int)n;
		goto out;
	}
	r = ledger_parse(buf ? buf : "", (size_t)n, &l, &bad);
	free(buf);
	if (r == 0 && heads)
		r = check_heads(l, heads, path, &bad);
	if (r > 0) {
		if (ret_err && asprintf(ret_err, "%s does not verify, nothing appended: %s", path, bad.why) < 0)
			*ret_err = NULL;
		r = -EBADMSG;
		goto out;
	}
	if (r < 0)
		goto out;
	if (l->n == 0) {
		/* founding: the first entry adds the key that signs it */
		char pk[KEY_HEX_PUBLIC];
		key_public_hex(k, pk);
		json_t *f = json_pack("{s:s, s:s}", "key_name", key_name(k), "public_key", pk);
		r = f ? append_one(fd, l, k, "key-add", f, now_s, ret_err) : -ENOMEM;
		if (r < 0)
			goto out;
	} else if (!ledger_key_trusted(l, key_public(k))) {
		char pk[KEY_HEX_PUBLIC];
		key_public_hex(k, pk);
		if (ret_err && asprintf(ret_err,
					"key '%s' (%s) is not trusted by %s: an operator whose key is must add it "
					"('moat ledger key add %s --name %s')",
					key_name(k), pk, path, pk, key_name(k)) < 0)
			*ret_err = NULL;
		r = -EPERM;
		goto out;
	}
	if (kind) {
		r = append_one(fd, l, k, kind, TAKE_PTR(fields), now_s, ret_err);
		if (r < 0)
			goto out;
	}
	char head[LEDGER_HASH_HEX];
	ledger_head_hex(l, head);
	if (heads) {
		_cleanup_free_ char *real = real_or_same(path);
		r = real ? heads_record(heads, real, l->n, head, ret_err) : -ENOMEM;
		if (r < 0)
			goto out;
	}
	if (ret_seq)
		*ret_seq = l->n;
	if (ret_head)
		memcpy(ret_head, head, LEDGER_HASH_HEX);
out:
	json_decref(fields);
	ledger_free(l);
	close(fd);
	if (r < 0 && ret_err && !*ret_err && asprintf(ret_err, "%s: %s", path, strerror(-r)) < 0)
		*ret_err = NULL;
	return r;
}
