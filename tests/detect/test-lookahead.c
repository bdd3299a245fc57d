/* Look-ahead (detect_set_lookahead) changes when alerts are handed over,
 * never which: real logs fed line by line through one reused buffer (so a
 * view not copied would be overwritten) give the same alerts, in the same
 * order, with no look-ahead, a short one and the longest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test-tmp.h"
#include "helpers.h"
#include "parse/decoder.h"
#include "parse/header.h"
#include "report/output.h"

struct text {
	char *buf;
	size_t len;
	FILE *f;
	size_t n;
};

static void emit_text(void *ud, struct alert *a)
{
	struct text *t = ud;
	struct output_opts o = { .json = true };
	output_alert(t->f, &o, a);
	t->n++;
	alert_free(a);
}

/* How the lines reach the detectors: fed with detect_feed and then
 * overwritten, or kept in a block of lines and fed with detect_feed_from
 * (views kept by reference), the block overwritten only after
 * detect_flush, as the scan does with the reader's buffer: a small block
 * (flushed before the detectors' batch is full) or a large one (batches
 * run while the block fills); or, as the scan does, each event decoded
 * in place in the look-ahead's next slot (detect_slot) and fed there
 * (detect_feed_slot), from a large block. */
enum feeding { COPY, BY_REF, BY_REF_LARGE, IN_SLOT };
#define BLOCK_LINES 50
#define BLOCK_LINES_LARGE 1000

/* All alerts of one run over the files, as JSON lines; *ret_n their number. */
static char *run_as(const char *const *paths, unsigned ahead, enum feeding how, size_t *ret_n)
{
	struct detect_config *cfg = NULL;
	char *err = NULL;
	struct text t = { 0 };
	struct header_ctx *hdr = header_ctx_new("UTC");
	char *line = NULL, *block = NULL;
	size_t cap = 0, block_used = 0, block_cap = 0, block_lines = 0;
	size_t block_max = how == BY_REF_LARGE || how == IN_SLOT ? BLOCK_LINES_LARGE : BLOCK_LINES;

	assert_non_null(hdr);
	assert_int_equal(detect_config_load(NULL, &cfg, &err), 0);
	t.f = open_memstream(&t.buf, &t.len);
	assert_non_null(t.f);
	struct detect *d = detect_new(cfg, NULL, (struct alert_sink){ emit_text, &t });
	struct attempts *att = attempts_new(cfg);
	assert_non_null(d);
	assert_non_null(att);
	detect_set_lookahead(d, ahead);
	for (size_t i = 0; paths[i]; i++) {
		FILE *f = fopen(paths[i], "r");
		ssize_t n;
		uint64_t no = 0;
		if (!f) {
			fprintf(stderr, "cannot open %s\n", paths[i]);
			fail();
		}
		header_ctx_set_mtime(hdr, T0 + 300 * DAY_S);
		while ((n = getline(&line, &cap, f)) > 0) {
			struct syslog_header h;
			struct event local, *ev = how == IN_SLOT ? detect_slot(d) : NULL;
			if (!ev)
				ev = &local;
			no++;
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			char *text = line;
			if (how != COPY) {
				if (block_lines == block_max || block_used + (size_t)n > block_cap) {
					/* a refill: what was held is judged first */
					detect_flush(d);
					if (block)
						memset(block, 'x', block_used);
					block_used = block_lines = 0;
				}
				if ((size_t)n > block_cap) {
					block_cap = (size_t)n * block_max;
					block = realloc(block, block_cap);
					assert_non_null(block);
				}
				text = memcpy(block + block_used, line, (size_t)n);
				block_used += (size_t)n;
				block_lines++;
			}
			if (header_parse(hdr, text, (size_t)n, &h) <= 0 || decode(&h, ev) <= 0)
				continue;
			ev->origin.file = paths[i];
			ev->origin.line = no;
			attempts_apply(att, ev);
			if (how == IN_SLOT && ev != &local)
				detect_feed_slot(d, text, (size_t)n); /* plain lines: every view is in text */
			else if (how != COPY)
				detect_feed_from(d, ev, text, (size_t)n);
			else
				detect_feed(d, ev);
			/* the next line overwrites this one: held events must not care */
			memset(line, 'x', (size_t)n);
		}
		fclose(f);
		detect_flush(d);
		if (block)
			memset(block, 'x', block_used);
		block_used = block_lines = 0;
	}
	assert_int_equal(detect_finish(d), 0);
	detect_free(d);
	attempts_free(att);
	detect_config_free(cfg);
	header_ctx_free(hdr);
	free(block);
	free(line);
	fclose(t.f);
	*ret_n = t.n;
	return t.buf;
}

static char *run(const char *const *paths, unsigned ahead, size_t *ret_n)
{
	return run_as(paths, ahead, COPY, ret_n);
}

/* Attacks with some lines far longer than the look-ahead keeps (those are
 * judged at once, after the held ones, when their text is copied): the
 * same alerts in the same order. */
static void test_long_lines(void **state)
{
	char *dir = test_tmpdir("lookahead"), path[4096];
	size_t n0, n32;
	(void)state;

	snprintf(path, sizeof(path), "%s/auth.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 3000; i++) {
		int src = i % 7, mm = i / 60 % 60, ss = i % 60;
		if (i % 97 == 0) {
			/* a user name of 6,000 bytes, and a sudo command of 9,000 */
			fprintf(f, "Mar  2 01:%02d:%02d web1 sshd[%d]: Failed password for invalid user ", mm, ss, 100 + i);
			for (int k = 0; k < 6000; k++)
				fputc('a' + k % 26, f);
			fprintf(f, " from 203.0.113.%d port %d ssh2\n", src, 40000 + i);
			fprintf(f, "Mar  2 01:%02d:%02d web1 sudo:    alice : user NOT in sudoers ; TTY=pts/1 ; PWD=/ ; "
				   "USER=root ; COMMAND=/bin/echo ", mm, ss);
			for (int k = 0; k < 9000; k++)
				fputc('x', f);
			fputc('\n', f);
		} else {
			fprintf(f, "Mar  2 01:%02d:%02d web1 sshd[%d]: Failed password for %s from 203.0.113.%d port %d ssh2\n",
				mm, ss, 100 + i, i % 3 ? "root" : "admin", src, 40000 + i);
		}
	}
	fclose(f);
	const char *paths[] = { path, NULL };
	char *a0 = run(paths, 0, &n0);
	char *a32 = run(paths, 32, &n32);
	/* by reference, the long lines are held too (none of their text is copied) */
	size_t nr, nl;
	char *ar = run_as(paths, 32, BY_REF, &nr);
	char *al = run_as(paths, 32, BY_REF_LARGE, &nl);
	size_t ns;
	char *as = run_as(paths, 32, IN_SLOT, &ns);
	assert_true(n0 >= 7); /* every source brute forces */
	assert_int_equal(ns, n0);
	assert_string_equal(as, a0);
	free(as);
	assert_int_equal(n32, n0);
	assert_int_equal(nr, n0);
	assert_int_equal(nl, n0);
	assert_string_equal(a32, a0);
	assert_string_equal(ar, a0);
	assert_string_equal(al, a0);
	free(a0);
	free(a32);
	free(ar);
	free(al);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_same_alerts(void **state)
{
	const char *root = getenv("MOAT_SOURCE_ROOT"), *shared = getenv("MOAT_SHARED_DATA");
	char sample[4096], real[4096], openssh[4096];
	size_t n0, n5, n64;
	(void)state;

	assert_non_null(root);
	snprintf(sample, sizeof(sample), "%s/samples/auth.log", root);
	snprintf(real, sizeof(real), "%s/auth-real-cseanburns/auth.log", shared ? shared : "/nonexistent");
	snprintf(openssh, sizeof(openssh), "%s/loghub/OpenSSH_OpenSSH_2k.log", shared ? shared : "/nonexistent");
	const char *with_shared[] = { sample, real, openssh, NULL };
	const char *only_sample[] = { sample, NULL };
	const char *const *paths = shared && access(real, R_OK) == 0 ? with_shared : only_sample;

	char *a0 = run(paths, 0, &n0);
	char *a5 = run(paths, 5, &n5);
	char *a64 = run(paths, DETECT_LOOKAHEAD_MAX, &n64);
	size_t nr, nl, nl64;
	char *ar = run_as(paths, 32, BY_REF, &nr);
	char *al = run_as(paths, 32, BY_REF_LARGE, &nl);
	char *al64 = run_as(paths, DETECT_LOOKAHEAD_MAX, BY_REF_LARGE, &nl64);
	size_t ns, ns64;
	char *as = run_as(paths, 32, IN_SLOT, &ns), *as64 = run_as(paths, DETECT_LOOKAHEAD_MAX, IN_SLOT, &ns64);
	assert_true(n0 > 10); /* the sample alone raises every kind */
	assert_int_equal(ns, n0);
	assert_int_equal(ns64, n0);
	assert_string_equal(as, a0);
	assert_string_equal(as64, a0);
	free(as);
	free(as64);
	assert_int_equal(n5, n0);
	assert_int_equal(n64, n0);
	assert_int_equal(nr, n0);
	assert_int_equal(nl, n0);
	assert_int_equal(nl64, n0);
	assert_string_equal(a5, a0);
	assert_string_equal(a64, a0);
	assert_string_equal(ar, a0);
	assert_string_equal(al, a0);
	assert_string_equal(al64, a0);
	free(a0);
	free(a5);
	free(a64);
	free(ar);
	free(al);
	free(al64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_alerts),
		cmocka_unit_test(test_long_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
