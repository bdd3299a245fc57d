/*
 * ledger: every way the file can be altered is caught and the first bad
 * entry named — an edit, a removal, an insertion, a reordering, a torn or
 * cut-off end, a forged signature, an entry by a key the ledger never
 * trusted or revoked, a whole-file rewrite (verify --head); the export
 * verifies on its own; key files others can read, symlinks and
 * foreign-owned files are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test-tmp.h"
#include "exceptions/keys.h"
#include "exceptions/ledger.h"
#include "exceptions/paths.h"

static char *tmp, ledger_path[4200], heads[4200], keys[4200];
static char *good; /* the ledger's bytes after setup */
static size_t good_len;
static char head5[LEDGER_HASH_HEX];

static const int64_t T0 = 1767225600; /* 2026-01-01 */

static char *slurp(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	char b[4096];
	size_t k;
	while ((k = fread(b, 1, sizeof(b), f)) > 0)
		fwrite(b, 1, k, m);
	fclose(f);
	fclose(m);
	*ret_n = n;
	return buf;
}

static void spit(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void append(struct ledger_key *k, const char *id)
{
	char *err = NULL;
	json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "scope", "package", "package", "exim4", "reason",
			      "mail must stay up");
	assert_int_equal(ledger_append(ledger_path, heads, k, "exception-add", f, T0 + 60, NULL, NULL, &err), 0);
	assert_null(err);
}

static int setup(void **state)
{
	(void)state;
	tmp = test_tmpdir("ledger");
	snprintf(ledger_path, sizeof(ledger_path), "%s/ledger", tmp);
	snprintf(heads, sizeof(heads), "%s/heads", tmp);
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	char pub[KEY_HEX_PUBLIC], *err = NULL;
	assert_int_equal(key_generate(keys, "alice", pub, &err), 0);
	assert_int_equal(key_generate(keys, "mallory", pub, &err), 0);
	struct ledger_key *k = NULL;
	assert_int_equal(key_load(keys, "alice", &k, &err), 0);
	/* 1 key-add (founding), 2..5 decisions */
	append(k, "E1");
	append(k, "E2");
	append(k, "E3");
	append(k, "E4");
	key_free(k);
	good = slurp(ledger_path, &good_len);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	assert_int_equal(ledger_load(ledger_path, heads, true, &l, &bad, &err), 0);
	assert_int_equal(ledger_count(l), 5);
	ledger_head_hex(l, head5);
	ledger_free(l);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmtree(tmp);
	free(tmp);
	free(good);
	return 0;
}

/* The start of line n (1-based) in buf, and its length without the LF. */
static const char *line_of(const char *buf, int n, size_t *ret_len)
{
	const char *p = buf;
	for (int i = 1; i < n; i++)
		p = strchr(p, '\n') + 1;
	*ret_len = (size_t)(strchr(p, '\n') - p);
	return p;
}

/* Verifies bytes (written as the ledger, checked with the heads file); returns the bad entry's
 * number (0: verifies) and its reason. */
static uint64_t verdict(const char *bytes, size_t n, bool with_heads, char why[320])
{
	spit(ledger_path, bytes, n);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	char *err = NULL;
	int r = ledger_load(ledger_path, with_heads ? heads : NULL, true, &l, &bad, &err);
	assert_true(r == 0 || r == 1);
	ledger_free(l);
	if (r == 0)
		return 0;
	snprintf(why, 320, "%s", bad.why);
	return bad.seq;
}

static void test_intact(void **state)
{
	(void)state;
	char why[320];
	assert_int_equal(verdict(good, good_len, true, why), 0);
}

static void test_edit(void **state)
{
	(void)state;
	char why[320], *b = strdup(good);
	/* one byte of entry 3's reason: "mail must stay up" → "mail must stay uP" */
	size_t n;
	const char *l3 = line_of(b, 3, &n);
	char *at = strstr((char *)l3, "stay up");
	assert_non_null(at);
	at[6] = 'P';
	assert_int_equal(verdict(b, good_len, false, why), 3);
	assert_non_null(strstr(why, "signature does not verify"));
	free(b);
}

static void test_removal_insertion_reorder(void **state)
{
	(void)state;
	char why[320], *b = malloc(good_len * 2);
	size_t n2, n3, n4;
	const char *l2 = line_of(good, 2, &n2), *l3 = line_of(good, 3, &n3), *l4 = line_of(good, 4, &n4);
	/* removal of entry 3 */
	size_t k = (size_t)(l3 - good);
	memcpy(b, good, k);
	memcpy(b + k, l4, good_len - (size_t)(l4 - good));
	assert_int_equal(verdict(b, good_len - n3 - 1, false, why), 3);
	assert_non_null(strstr(why, "numbered 4 where 3 was expected"));
	/* reordering: 1 2 4 3 5 */
	k = (size_t)(l3 - good);
	memcpy(b, good, k);
	memcpy(b + k, l4, n4 + 1);
	memcpy(b + k + n4 + 1, l3, n3 + 1);
	memcpy(b + k + n4 + n3 + 2, l4 + n4 + 1, good_len - (size_t)(l4 + n4 + 1 - good));
	assert_int_equal(verdict(b, good_len, false, why), 3);
	/* insertion: entry 2 twice */
	k = (size_t)(l3 - good);
	memcpy(b, good, k);
	memcpy(b + k, l2, n2 + 1);
	memcpy(b + k + n2 + 1, l3, good_len - k);
	assert_int_equal(verdict(b, good_len + n2 + 1, false, why), 3);
	free(b);
}

static void test_truncation(void **state)
{
	(void)state;
	char why[320];
	size_t n5;
	const char *l5 = line_of(good, 5, &n5);
	size_t four = (size_t)(l5 - good);
	/* a torn last line */
	assert_int_equal(verdict(good, good_len - 10, false, why), 5);
	assert_non_null(strstr(why, "torn"));
	/* whole entries cut off the end: a valid chain by itself, caught by the head this host recorded */
	assert_int_equal(verdict(good, four, false, why), 0);
	assert_int_equal(verdict(good, four, true, why), 5);
	assert_non_null(strstr(why, "cut off"));
	/* and by a head kept elsewhere */
	spit(ledger_path, good, four);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	char *err = NULL;
	assert_int_equal(ledger_load(ledger_path, NULL, true, &l, &bad, &err), 0);
	assert_true(ledger_find_hash(l, head5) < 0);
	ledger_free(l);
	/* an empty file: everything cut */
	assert_int_equal(verdict("", 0, true, why), 1);
}

static void test_forged_signature(void **state)
{
	(void)state;
	char why[320], *b = strdup(good);
	size_t n;
	char *l4 = (char *)line_of(b, 4, &n);
	/* a signature that is valid hex, but not alice's over this body */
	l4[n - 1] = l4[n - 1] == '0' ? '1' : '0';
	assert_int_equal(verdict(b, good_len, false, why), 4);
	assert_non_null(strstr(why, "signature"));
	free(b);
}

static void test_foreign_and_revoked_keys(void **state)
{
	(void)state;
	char why[320], *err = NULL;
	struct ledger_key *m = NULL, *a = NULL;
	spit(ledger_path, good, good_len);
	assert_int_equal(key_load(keys, "mallory", &m, &err), 0);
	/* mallory's key was never added: her append is refused */
	json_t *f = json_pack("{s:s}", "id", "E9");
	assert_int_equal(ledger_append(ledger_path, NULL, m, "exception-add", f, T0 + 120, NULL, NULL, &err), -EPERM);
	assert_non_null(strstr(err, "not trusted"));
	free(err);
	err = NULL;
	/* a mallory entry spliced in by hand, chained and signed correctly by her: named as untrusted.
	 * (Made by appending to a copy founded by mallory, then moving her line after entry 5.) */
	char other[4300];
	snprintf(other, sizeof(other), "%s/other", tmp);
	f = json_pack("{s:s}", "id", "E1");
	assert_int_equal(ledger_append(other, NULL, m, "exception-add", f, T0, NULL, NULL, &err), 0);
	size_t on;
	char *ob = slurp(other, &on);
	assert_int_equal(verdict(ob, on, false, why), 0); /* her own ledger verifies, by itself */
	/* alice adds then revokes bob; entries signed by a revoked key are refused */
	char pub[KEY_HEX_PUBLIC];
	assert_int_equal(key_generate(keys, "bob", pub, &err), 0);
	assert_int_equal(key_load(keys, "alice", &a, &err), 0);
	spit(ledger_path, good, good_len);
	f = json_pack("{s:s, s:s}", "key_name", "bob", "public_key", pub);
	assert_int_equal(ledger_append(ledger_path, NULL, a, "key-add", f, T0 + 200, NULL, NULL, &err), 0);
	struct ledger_key *b = NULL;
	assert_int_equal(key_load(keys, "bob", &b, &err), 0);
	f = json_pack("{s:s}", "id", "E6");
	assert_int_equal(ledger_append(ledger_path, NULL, b, "exception-add", f, T0 + 300, NULL, NULL, &err), 0);
	size_t with_bob_n;
	char *with_bob = slurp(ledger_path, &with_bob_n);
	f = json_pack("{s:s}", "public_key", pub);
	assert_int_equal(ledger_append(ledger_path, NULL, a, "key-revoke", f, T0 + 400, NULL, NULL, &err), 0);
	f = json_pack("{s:s}", "id", "E7");
	assert_int_equal(ledger_append(ledger_path, NULL, b, "exception-add", f, T0 + 500, NULL, NULL, &err), -EPERM);
	free(err);
	err = NULL;
	/* bob's old entry 7 stays valid */
	size_t now_n;
	char *now_b = slurp(ledger_path, &now_n);
	assert_int_equal(verdict(now_b, now_n, false, why), 0);
	/* a whole-file rewrite: mallory's ledger in place of alice's verifies by itself, but holds no entry
	 * with alice's head */
	spit(ledger_path, ob, on);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	assert_int_equal(ledger_load(ledger_path, NULL, true, &l, &bad, &err), 0);
	assert_true(ledger_find_hash(l, head5) < 0);
	ledger_free(l);
	/* mallory's first line appended after alice's entries: chain broken at 6 (prev, number), and even
	 * re-chained it would be signed by an unknown key */
	char *mixed = malloc(good_len + on);
	memcpy(mixed, good, good_len);
	memcpy(mixed + good_len, ob, on);
	assert_int_equal(verdict(mixed, good_len + on, false, why), 6);
	free(mixed);
	free(ob);
	free(with_bob);
	free(now_b);
	key_free(m);
	key_free(a);
	key_free(b);
	(void)with_bob_n;
}

static void test_export_verifies_elsewhere(void **state)
{
	(void)state;
	spit(ledger_path, good, good_len);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	char *err = NULL, copy[4300];
	assert_int_equal(ledger_load(ledger_path, heads, true, &l, &bad, &err), 0);
	size_t n;
	const char *bytes = ledger_bytes(l, &n);
	snprintf(copy, sizeof(copy), "%s/export.moat", tmp);
	assert_int_equal(trail_write_file(copy, bytes, n, 0644, &err), 0);
	ledger_free(l);
	/* another machine: no keys, no heads record; the copy carries the public keys */
	assert_int_equal(ledger_load(copy, NULL, true, &l, &bad, &err), 0);
	assert_int_equal(ledger_find_hash(l, head5), 4);
	ledger_free(l);
}

static void test_files_refused(void **state)
{
	(void)state;
	char *err = NULL, path[4300];
	struct ledger_key *k = NULL;
	/* a private key others can read */
	snprintf(path, sizeof(path), "%s/alice.key", keys);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(key_load(keys, "alice", &k, &err), -EACCES);
	assert_non_null(strstr(err, "refused"));
	free(err);
	err = NULL;
	assert_int_equal(chmod(path, 0600), 0);
	/* a ledger that is a symlink (planted in a directory others write) */
	snprintf(path, sizeof(path), "%s/link-ledger", tmp);
	assert_int_equal(symlink(ledger_path, path), 0);
	struct ledger *l = NULL;
	struct ledger_problem bad;
	assert_int_equal(ledger_load(path, NULL, true, &l, &bad, &err), -ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
	free(err);
	err = NULL;
	/* a ledger others may write */
	spit(ledger_path, good, good_len);
	assert_int_equal(chmod(ledger_path, 0666), 0);
	assert_int_equal(ledger_load(ledger_path, NULL, true, &l, &bad, &err), -EACCES);
	free(err);
	err = NULL;
	assert_int_equal(chmod(ledger_path, 0644), 0);
	/* another user's ledger: only root can make one to test with */
	if (geteuid() == 0) {
		assert_int_equal(chown(ledger_path, 65534, 65534), 0);
		assert_int_equal(ledger_load(ledger_path, NULL, true, &l, &bad, &err), -EPERM);
		assert_non_null(strstr(err, "owned by uid 65534"));
		free(err);
		assert_int_equal(chown(ledger_path, 0, 0), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_removal_insertion_reorder),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_forged_signature),
		cmocka_unit_test(test_foreign_and_revoked_keys),
		cmocka_unit_test(test_export_verifies_elsewhere),
		cmocka_unit_test(test_files_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
