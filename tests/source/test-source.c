/*
 * source/: expansion of arguments into rotated sets, line reading (plain,
 * gzip, stdin, hostile content) and marks (read cursors), kept by a small
 * in-memory map the way the pipeline keeps them in the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../test-tmp.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "source/source.h"

struct store;

/* ---- fake store: marks by head, as the pipeline keeps them ----------- */

struct fake_cursor {
	uint8_t head[SOURCE_HASH_LEN];
	char path[512];
	struct source_mark m;
	uint64_t off, line; /* m's, for the assertions */
};
static struct fake_cursor fake[64];
static size_t n_fake;
static unsigned n_get, n_put;
static int fake_store_anchor;
#define FAKE_STORE ((struct store *)&fake_store_anchor)

static void fake_reset(void)
{
	n_fake = 0;
	n_get = n_put = 0;
}

/* ---- files ---------------------------------------------------------- */

static void rm_rf(char *d)
{
	test_rmtree(d);
	free(d);
}

static char *tmpdir_new(void)
{
	char *d = test_tmpdir("source");
	assert_non_null(d);
	return d;
}

static char *pj(const char *d, const char *n)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", d, n) > 0);
	return p;
}

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void append_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	char *b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/* gzip (RFC 1952) of data, made with zlib */
static unsigned char *gz_mem(const void *data, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)len);
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static void put_gz(const char *path, const void *data, size_t len)
{
	size_t n;
	unsigned char *g = gz_mem(data, len, &n);
	put_file(path, g, n);
	free(g);
}

/* Realistic auth.log lines, numbered from first. */
static char *gen_lines(unsigned first, unsigned n, size_t *len)
{
	size_t cap = (size_t)n * 160 + 1, l = 0;
	char *b = malloc(cap);
	assert_non_null(b);
	for (unsigned i = first; i < first + n; i++) {
		int k = snprintf(b + l, cap - l,
				 "Jan  5 10:%02u:%02u host sshd[%u]: Failed password for invalid user u%u from "
				 "10.%u.%u.%u port %u ssh2\n",
				 i / 60 % 60, i % 60, 1000 + i, i * 7919u % 100000u, i % 200, i / 200 % 250, i % 250,
				 1024 + i % 60000);
		assert_true(k > 0 && (size_t)k < cap - l);
		l += (size_t)k;
	}
	*len = l;
	return b;
}

/* ---- collecting lines ----------------------------------------------- */

struct rec {
	char *data;
	size_t len;
	uint32_t flags;
	uint64_t line, offset;
	const char *file;
};

struct coll {
	struct rec *v;
	size_t n, cap;
	size_t stop_after; /* 0: never */
	uint64_t prog[4096];
	size_t n_prog;
	const struct source_input *prog_in;
};

static void collect(struct coll *c, const struct source_line *l)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert_non_null(c->v);
	}
	assert_true(l->n <= SOURCE_LINE_MAX);
	struct rec *r = &c->v[c->n++];
	r->data = malloc(l->n + 1);
	assert_non_null(r->data);
	memcpy(r->data, l->p, l->n);
	r->data[l->n] = 0;
	r->len = l->n;
	r->flags = l->flags;
	r->line = l->origin.line;
	r->offset = l->origin.offset;
	r->file = l->origin.file;
}

static void coll_reset(struct coll *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].data);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Reads in as the pipeline does: with st (FAKE_STORE), resumes at the
 * newest mark with the same head that holds, and saves the mark reached
 * (when it moved on). Returns 0 or the reader's error (*err its message). */
static int read_in(const struct source_input *in, struct store *st, struct coll *c, struct source_stats *stats,
		   char **err)
{
	struct source_reader *r = NULL;
	struct source_line l;
	uint8_t head[SOURCE_HASH_LEN];
	struct fake_cursor *cur = NULL;
	bool have_head = false;
	uint64_t last_prog = UINT64_MAX;
	int e;

	*err = NULL;
	e = source_open(in, &r, err);
	if (e < 0)
		return e;
	if (st) {
		e = source_head(r, head);
		assert_true(e >= 0);
		have_head = e > 0;
		for (size_t i = n_fake; have_head && i-- > 0;) {
			if (memcmp(fake[i].head, head, sizeof(head)) != 0)
				continue;
			n_get++;
			e = source_resume(r, &fake[i].m, stats);
			assert_true(e >= 0 || e == -EINVAL);
			if (e > 0) {
				cur = &fake[i];
				break;
			}
			if (e < 0)
				break;
		}
	}
	for (;;) {
		e = source_next(r, &l, stats);
		if (e <= 0)
			break;
		collect(c, &l);
		uint64_t pr = source_progress(r);
		if (pr != last_prog && c->n_prog < 4096) {
			c->prog[c->n_prog++] = pr;
			c->prog_in = in;
			last_prog = pr;
		}
		if (c->stop_after && c->n == c->stop_after)
			break;
	}
	if (source_progress(r) != last_prog && c->n_prog < 4096) {
		c->prog[c->n_prog++] = source_progress(r);
		c->prog_in = in;
	}
	if (e < 0)
		*err = strdup(source_error(r));
	if (st && have_head) {
		struct source_mark m;
		assert_int_equal(source_mark(r, &m), 0);
		if (m.offset > 0 && (!cur || m.offset > cur->m.offset || (m.finished && !cur->m.finished))) {
			if (!cur) {
				assert_true(n_fake < 64);
				cur = &fake[n_fake++];
				memcpy(cur->head, head, sizeof(head));
			}
			cur->m = m;
			cur->off = m.offset;
			cur->line = m.line;
			snprintf(cur->path, sizeof(cur->path), "%s", in->path);
			n_put++;
		}
	}
	source_close(r);
	return e < 0 ? e : 0;
}

/* A mark edited by a test (off and line), as a damaged store would hold it. */
static void fake_set(size_t i, uint64_t off, uint64_t line)
{
	fake[i].m.offset = fake[i].off = off;
	fake[i].m.line = fake[i].line = line;
	fake[i].m.tail_len = (uint32_t)(off < SOURCE_TAIL_MAX ? off : SOURCE_TAIL_MAX);
	fake[i].m.prefix_len = (uint32_t)(off < SOURCE_PREFIX_MAX ? off : SOURCE_PREFIX_MAX);
}

static int read_path(const char *path, struct store *st, struct coll *c, struct source_stats *stats, char **err)
{
	struct source_input in = { .path = (char *)path };
	return read_in(&in, st, c, stats, err);
}

/* Checks that the delivered lines, each followed by '\n', equal want. */
static void assert_lines_are(const struct coll *c, const char *want, size_t want_len)
{
	size_t off = 0;
	for (size_t i = 0; i < c->n; i++) {
		assert_true(off + c->v[i].len + 1 <= want_len);
		assert_memory_equal(c->v[i].data, want + off, c->v[i].len);
		assert_int_equal(want[off + c->v[i].len], '\n');
		off += c->v[i].len + 1;
	}
	assert_int_equal(off, want_len);
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool has_warning(const struct source_list *l, const char *needle)
{
	for (size_t i = 0; i < l->n_warnings; i++)
		if (strstr(l->warnings[i], needle))
			return true;
	return false;
}

/* ---- expansion ------------------------------------------------------ */

static void test_expand_rotated_order(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p;
	static const char line[] = "Jan  5 10:00:00 h sshd[1]: x\n";
	/* auth.log.10.gz … auth.log.2.gz, auth.log.1, auth.log; plus files
	 * that are not auth logs */
	for (int i = 2; i <= 10; i++) {
		char n[32];
		snprintf(n, sizeof(n), "auth.log.%d.gz", i);
		p = pj(d, n);
		put_gz(p, line, sizeof(line) - 1);
		struct timespec ts[2] = { { .tv_sec = 1700000000 - i * 86400 }, { .tv_sec = 1700000000 - i * 86400 } };
		assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
		free(p);
	}
	const char *plain[] = { "auth.log.1", "auth.log", "syslog", "kern.log", "auth.log.bak", "messages" };
	for (size_t i = 0; i < 6; i++) {
		p = pj(d, plain[i]);
		put_file(p, line, sizeof(line) - 1);
		free(p);
	}
	char *args[] = { d };
	struct source_list l = { 0 };
	char *err = NULL;
	assert_int_equal(source_expand(args, 1, &l, &err), 0);
	assert_null(err);
	const char *want[] = { "auth.log.10.gz", "auth.log.9.gz", "auth.log.8.gz", "auth.log.7.gz",
			       "auth.log.6.gz", "auth.log.5.gz", "auth.log.4.gz", "auth.log.3.gz",
			       "auth.log.2.gz", "auth.log.1", "auth.log" };
	assert_int_equal(l.n, 11);
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(base(l.v[i].path), want[i]);
		assert_int_equal(strncmp(l.v[i].path, d, strlen(d)), 0);
		assert_int_equal(l.v[i].gzip, i < 9);
		if (i >= 9)
			assert_int_equal(l.v[i].size, sizeof(line) - 1);
		else
			assert_true(l.v[i].size > 18); /* gzip header + trailer */
	}
	assert_int_equal(l.v[0].mtime_s, 1700000000 - 10 * 86400);
	assert_int_equal(l.v[8].mtime_s, 1700000000 - 2 * 86400);
	assert_true(has_warning(&l, "auth.log.bak: not a rotation of auth.log"));
	assert_int_equal(l.n_warnings, 1);
	source_list_free(&l);
	source_list_free(&l); /* idempotent */
	rm_rf(d);
}

static void test_expand_dateext_and_mixed(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p;
	static const char line[] = "x\n";
	/* RHEL dateext names, and a gz-only live name */
	const char *gz[] = { "secure-20240114.gz", "secure-20231231.gz" };
	const char *pl[] = { "secure", "secure-20240107", "secure-20240121" };
	for (size_t i = 0; i < 2; i++) {
		p = pj(d, gz[i]);
		put_gz(p, line, 2);
		free(p);
	}
	for (size_t i = 0; i < 3; i++) {
		p = pj(d, pl[i]);
		put_file(p, line, 2);
		free(p);
	}
	char *args[] = { d };
	struct source_list l = { 0 };
	char *err = NULL;
	assert_int_equal(source_expand(args, 1, &l, &err), 0);
	const char *want[] = { "secure-20231231.gz", "secure-20240107", "secure-20240114.gz", "secure-20240121",
			       "secure" };
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(base(l.v[i].path), want[i]);
	assert_true(l.v[0].gzip);
	assert_false(l.v[1].gzip);
	source_list_free(&l);
	rm_rf(d);
}

static void test_expand_both_sets_and_compressing(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p;
	const char *names[] = { "secure", "auth.log", "auth.log.2", "auth.log.2.gz", "auth.log.1", "auth.log.11" };
	for (size_t i = 0; i < 6; i++) {
		p = pj(d, names[i]);
		if (strstr(names[i], ".gz"))
			put_gz(p, "a\n", 2);
		else
			put_file(p, "a\n", 2);
		free(p);
	}
	char *args[] = { d };
	struct source_list l = { 0 };
	char *err = NULL;
	assert_int_equal(source_expand(args, 1, &l, &err), 0);
	/* a named directory reads both sets; auth.log.2.gz is being written */
	const char *want[] = { "auth.log.11", "auth.log.2", "auth.log.1", "auth.log", "secure" };
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(base(l.v[i].path), want[i]);
	assert_int_equal(l.n_warnings, 1);
	assert_true(has_warning(&l, "auth.log.2.gz: "));
	assert_true(has_warning(&l, "compression in progress"));
	source_list_free(&l);
	rm_rf(d);
}

static void test_expand_generic_dir(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p;
	const char *names[] = { "hostB.log", "hostA.log", "hostA.log.1", "hostA.log.12.gz", ".hidden" };
	for (size_t i = 0; i < 5; i++) {
		p = pj(d, names[i]);
		if (strstr(names[i], ".gz"))
			put_gz(p, "a\n", 2);
		else
			put_file(p, "a\n", 2);
		free(p);
	}
	p = pj(d, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	p = pj(d, "sub");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = pj(d, "dangling");
	assert_int_equal(symlink("/nonexistent/moat-test", p), 0);
	free(p);
	p = pj(d, "link");
	assert_int_equal(symlink("hostB.log", p), 0);
	free(p);

	/* trailing slash on the argument: no "//" in paths */
	char *arg;
	assert_true(asprintf(&arg, "%s/", d) > 0);
	char *args[] = { arg };
	struct source_list l = { 0 };
	char *err = NULL;
	assert_int_equal(source_expand(args, 1, &l, &err), 0);
	const char *want[] = { "hostA.log.12.gz", "hostA.log.1", "hostA.log", "hostB.log", "link" };
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(base(l.v[i].path), want[i]);
		assert_null(strstr(l.v[i].path, "//"));
	}
	assert_int_equal(l.n_warnings, 3);
	assert_true(has_warning(&l, "fifo: a FIFO, not read"));
	assert_true(has_warning(&l, "sub: a directory"));
	assert_true(has_warning(&l, "dangling: No such file or directory, not read"));
	source_list_free(&l);
	free(arg);
	rm_rf(d);
}

static void test_expand_args(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *a = pj(d, "auth.log"), *a1 = pj(d, "auth.log.1"), *missing = pj(d, "nope.log");
	put_file(a, "a\n", 2);
	put_gz(a1, "b\n", 2);
	/* a named live file is read alone, in argument order, "-" is stdin */
	char *args[] = { a, (char *)"-", a1 };
	struct source_list l = { 0 };
	char *err = NULL;
	assert_int_equal(source_expand(args, 3, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].path, a);
	assert_false(l.v[0].gzip);
	assert_string_equal(l.v[1].path, "-");
	assert_int_equal(l.v[1].mtime_s, 0);
	assert_int_equal(l.v[1].size, 0);
	assert_string_equal(l.v[2].path, a1);
	assert_true(l.v[2].gzip); /* by magic, not by name */
	source_list_free(&l);

	/* a missing file */
	char *args2[] = { a, missing };
	assert_int_equal(source_expand(args2, 2, &l, &err), -ENOENT);
	char *want;
	assert_true(asprintf(&want, "%s: No such file or directory", missing) > 0);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 0);
	free(want);
	free(err);

	/* a FIFO named on the command line is read as a stream */
	char *fifo = pj(d, "pipe");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	char *args3[] = { fifo };
	err = NULL;
	assert_int_equal(source_expand(args3, 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].gzip);
	source_list_free(&l);

	free(fifo);
	free(a);
	free(a1);
	free(missing);
	rm_rf(d);
}

static void mk_tree(const char *root, const char *const *names, size_t n)
{
	char *p = pj(root, "var");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = pj(root, "var/log");
	assert_int_equal(mkdir(p, 0755), 0);
	for (size_t i = 0; i < n; i++) {
		char *f = pj(p, names[i]);
		put_file(f, "x\n", 2);
		free(f);
	}
	free(p);
}

static void test_expand_default(void **state)
{
	(void)state;
	struct source_list l = { 0 };
	char *err = NULL;

	/* auth.log set (secure ignored when auth.log exists) */
	char *d = tmpdir_new();
	const char *deb[] = { "auth.log", "auth.log.1", "syslog", "secure" };
	mk_tree(d, deb, 4);
	assert_int_equal(source_expand_default(d, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(base(l.v[0].path), "auth.log.1");
	assert_string_equal(base(l.v[1].path), "auth.log");
	assert_non_null(strstr(l.v[1].path, "/var/log/auth.log"));
	source_list_free(&l);
	rm_rf(d);

	/* secure set */
	d = tmpdir_new();
	const char *rh[] = { "secure", "secure-20240107", "messages" };
	mk_tree(d, rh, 3);
	assert_int_equal(source_expand_default(d, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(base(l.v[0].path), "secure-20240107");
	assert_string_equal(base(l.v[1].path), "secure");
	source_list_free(&l);
	rm_rf(d);

	/* neither: an empty list, no error */
	d = tmpdir_new();
	const char *none[] = { "syslog", "kern.log" };
	mk_tree(d, none, 2);
	l.n = 99;
	assert_int_equal(source_expand_default(d, &l, &err), 0);
	assert_null(err);
	assert_int_equal(l.n, 0);
	source_list_free(&l);
	rm_rf(d);

	/* no /var/log at all */
	d = tmpdir_new();
	assert_int_equal(source_expand_default(d, &l, &err), 0);
	assert_int_equal(l.n, 0);
	source_list_free(&l);
	rm_rf(d);
}

/* Runs the unreadable-file checks as a user that lacks the permission: as
 * root (who can read anything) in a child that drops to nobody. */
static void check_unreadable(const char *root, const char *file)
{
	struct source_list l = { 0 };
	char *err = NULL;
	int r = source_expand_default(root, &l, &err);
	if (r != -EACCES)
		_exit(10);
	if (!err || !strstr(err, file) || !strstr(err, "Permission denied") || !strstr(err, "sudo") ||
	    !strstr(err, "adm"))
		_exit(11);
	free(err);
	err = NULL;
	char *args[] = { (char *)file };
	if (source_expand(args, 1, &l, &err) != -EACCES || !strstr(err, file))
		_exit(12);
	free(err);
	err = NULL;
	struct source_input in = { .path = (char *)file };
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	if (read_in(&in, NULL, &c, &st, &err) != -EACCES || !strstr(err, file) || !strstr(err, "adm"))
		_exit(13);
	free(err);
	_exit(0);
}

static void test_expand_default_unreadable(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	const char *deb[] = { "auth.log.1", "auth.log" };
	mk_tree(d, deb, 2);
	assert_int_equal(chmod(d, 0755), 0);
	char *f = pj(d, "var/log/auth.log");
	assert_int_equal(chmod(f, 0), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
			_exit(20);
		check_unreadable(d, f);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(f);
	rm_rf(d);
}

/* ---- reading -------------------------------------------------------- */

static void test_read_hostile_content(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "f.log");
	/* NUL bytes, invalid UTF-8, CRLF, empty lines, no final newline */
	static const char data[] = "a\0b\n"
				   "\xff\xfe\xc3(\xed\xa0\x80 bad utf8\n"
				   "crlf line\r\n"
				   "\n"
				   "\r\n"
				   "last without newline";
	const size_t len = sizeof(data) - 1;
	put_file(p, data, len);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, 6);
	assert_int_equal(c.v[0].len, 3);
	assert_memory_equal(c.v[0].data, "a\0b", 3);
	assert_int_equal(c.v[1].len, 16);
	assert_memory_equal(c.v[1].data, "\xff\xfe\xc3(\xed\xa0\x80 bad utf8", 16);
	assert_int_equal(c.v[2].len, 10);
	assert_memory_equal(c.v[2].data, "crlf line\r", 10);
	assert_int_equal(c.v[3].len, 0);
	assert_int_equal(c.v[4].len, 1);
	assert_string_equal(c.v[5].data, "last without newline");
	uint64_t off = 0;
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.v[i].line, i + 1);
		assert_int_equal(c.v[i].offset, off);
		assert_int_equal(c.v[i].flags, 0);
		assert_string_equal(c.v[i].file, p);
		off += c.v[i].len + 1;
	}
	assert_int_equal(st.lines, 6);
	assert_int_equal(st.bytes, len);
	assert_int_equal(st.truncated_lines, 0);
	assert_int_equal(st.skipped_bytes, 0);
	/* progress ended at the file size */
	assert_true(c.n_prog >= 1);
	assert_int_equal(c.prog[c.n_prog - 1], len);
	coll_reset(&c);

	/* the same bytes gzip'd give the same lines */
	put_gz(p, data, len);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, 6);
	assert_memory_equal(c.v[0].data, "a\0b", 3);
	assert_string_equal(c.v[5].data, "last without newline");
	assert_int_equal(st.lines, 12); /* stats accumulate */
	coll_reset(&c);

	/* empty file: nothing, no error */
	put_file(p, "", 0);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);
	/* empty gzip member */
	put_gz(p, "", 0);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);
	/* one byte that looks like the start of the gzip magic */
	put_file(p, "\x1f", 1);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.v[0].len, 1);
	coll_reset(&c);

	/* binary garbage: every byte value, many "lines" */
	unsigned char *bin = malloc(300000);
	assert_non_null(bin);
	uint32_t x = 12345;
	for (size_t i = 0; i < 300000; i++) {
		x = x * 1103515245u + 12345u;
		bin[i] = (unsigned char)(x >> 16);
	}
	bin[299999] = '\n';
	put_file(p, bin, 300000);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_lines_are(&c, (const char *)bin, 300000);
	coll_reset(&c);
	free(bin);

	free(p);
	rm_rf(d);
}

/* Line ends are found 64 bytes at a time where 128 bytes remain and with
 * memchr elsewhere: lines of every length around those sizes (0-300
 * bytes, newline-free bytes of every value, a '\n'-adjacent 0x0a-like
 * byte 0x8a), across several read chunks and their carried-over tails,
 * must come out exactly as written, with their offsets. */
static void test_read_line_lengths(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "lens.log");
	size_t cap = 3u << 20, len = 0, n_lines = 0;
	char *data = malloc(cap);
	uint64_t rng = 0x13198a2e03707344ull;
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;

	assert_non_null(data);
	while (len + 400 < cap) {
		size_t n;
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* mostly near the 64/128-byte edges, sometimes anything to 300 */
		n = (rng & 3) ? (size_t)(56 + (rng >> 8) % 80) : (size_t)((rng >> 8) % 301);
		for (size_t k = 0; k < n; k++) {
			unsigned char b = (unsigned char)(rng >> (16 + (k % 6) * 8)) ^ (unsigned char)k;
			data[len + k] = (char)(b == '\n' ? 0x8a : b);
		}
		len += n;
		data[len++] = '\n';
		n_lines++;
	}
	put_file(p, data, len);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, n_lines);
	assert_lines_are(&c, data, len);
	for (size_t i = 0, off = 0; i < c.n; i++) {
		assert_int_equal(c.v[i].offset, off);
		assert_int_equal(c.v[i].line, i + 1);
		off += c.v[i].len + 1;
	}
	coll_reset(&c);
	free(data);
	rm_rf(d);
	free(p);
}

static void test_read_long_lines(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "long.log");
	size_t pre_len;
	/* ~1.5 MiB of short lines first, so the long lines straddle the
	 * 1 MiB read blocks */
	char *pre = gen_lines(0, 12000, &pre_len);
	size_t cap = pre_len + (1u << 20) * 2 + 4 * SOURCE_LINE_MAX;
	char *b = malloc(cap);
	size_t l = 0;
	memcpy(b, pre, pre_len);
	l += pre_len;
	const size_t lens[] = { SOURCE_LINE_MAX, SOURCE_LINE_MAX + 1, 1u << 20, 5, SOURCE_LINE_MAX - 1 };
	for (size_t i = 0; i < 5; i++) {
		for (size_t j = 0; j < lens[i]; j++)
			b[l + j] = (char)('a' + (i + j) % 26);
		l += lens[i];
		b[l++] = '\n';
	}
	/* and a 1 MiB last line without a newline */
	memset(b + l, 'z', 1u << 20);
	l += 1u << 20;
	put_file(p, b, l);

	for (int gz = 0; gz < 2; gz++) {
		if (gz)
			put_gz(p, b, l);
		struct coll c = { 0 };
		struct source_stats st = { 0 };
		char *err;
		assert_int_equal(read_path(p, NULL, &c, &st, &err), 0);
		assert_int_equal(c.n, 12000 + 6);
		assert_int_equal(st.lines, 12006);
		assert_int_equal(st.truncated_lines, 3);
		assert_int_equal(st.bytes, l);
		uint64_t off = pre_len;
		for (size_t i = 0; i < 5; i++) {
			struct rec *r = &c.v[12000 + i];
			assert_int_equal(r->line, 12001 + i);
			assert_int_equal(r->offset, off);
			size_t want = lens[i] > SOURCE_LINE_MAX ? SOURCE_LINE_MAX : lens[i];
			assert_int_equal(r->len, want);
			assert_int_equal(r->flags, lens[i] > SOURCE_LINE_MAX ? EVF_TRUNCATED : 0);
			assert_memory_equal(r->data, b + off, want);
			off += lens[i] + 1;
		}
		struct rec *last = &c.v[12005];
		assert_int_equal(last->len, SOURCE_LINE_MAX);
		assert_int_equal(last->flags, EVF_TRUNCATED);
		assert_int_equal(last->offset, off);
		assert_int_equal(last->data[0], 'z');
		/* the short lines before are intact */
		for (size_t i = 0; i < 12000; i++)
			assert_int_equal(c.v[i].line, i + 1);
		size_t chk = 0;
		for (size_t i = 0; i < 12000; i++) {
			assert_memory_equal(c.v[i].data, pre + chk, c.v[i].len);
			chk += c.v[i].len + 1;
		}
		assert_int_equal(chk, pre_len);
		coll_reset(&c);
	}
	free(pre);
	free(b);
	free(p);
	rm_rf(d);
}

static void test_read_big_and_progress(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "big.log"), *pz = pj(d, "big.log.1.gz");
	size_t len;
	char *data = gen_lines(0, 40000, &len); /* ~4.5 MB */
	put_file(p, data, len);
	put_gz(pz, data, len);
	struct stat zst;
	assert_int_equal(stat(pz, &zst), 0);

	const char *paths[] = { p, pz };
	const uint64_t sizes[] = { len, (uint64_t)zst.st_size };
	for (int i = 0; i < 2; i++) {
		struct coll c = { 0 };
		struct source_stats st = { 0 };
		struct source_input in = { .path = (char *)paths[i], .size = sizes[i] };
		char *err;
		assert_int_equal(read_in(&in, NULL, &c, &st, &err), 0);
		assert_int_equal(c.n, 40000);
		assert_lines_are(&c, data, len);
		assert_int_equal(c.v[39999].line, 40000);
		assert_int_equal(st.bytes, len);
		/* progress: on-disk bytes, increasing, steps of 64 KiB to 1 MiB,
		 * ending at the (compressed) size */
		assert_ptr_equal(c.prog_in, &in);
		assert_true(c.n_prog >= 2);
		assert_int_equal(c.prog[c.n_prog - 1], sizes[i]);
		for (size_t j = 1; j < c.n_prog; j++) {
			assert_true(c.prog[j] >= c.prog[j - 1]);
			assert_true(c.prog[j] - c.prog[j - 1] <= 1024 * 1024);
		}
		assert_true(c.n_prog <= sizes[i] / (64 * 1024) + 2);
		coll_reset(&c);
	}

	/* two gzip members back to back (cat a.gz b.gz) read as one stream,
	 * trailing zero padding ignored */
	size_t n1, n2;
	unsigned char *g1 = gz_mem(data, len / 2, &n1), *g2 = gz_mem(data + len / 2, len - len / 2, &n2);
	unsigned char *cat = malloc(n1 + n2 + 16);
	memcpy(cat, g1, n1);
	memcpy(cat + n1, g2, n2);
	memset(cat + n1 + n2, 0, 16);
	put_file(pz, cat, n1 + n2 + 16);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	assert_int_equal(read_path(pz, NULL, &c, &st, &err), 0);
	assert_int_equal(c.n, 40000);
	assert_lines_are(&c, data, len);
	coll_reset(&c);
	free(g1);
	free(g2);
	free(cat);
	free(data);
	free(p);
	free(pz);
	rm_rf(d);
}

/* 40,000 lines in a new directory *d, plain (paths[0]) and gzip
 * (paths[1]), the last without its newline (after the last refill);
 * returns the lines (*len bytes). */
static char *big_files(char **d, char *paths[2], size_t *len)
{
	*d = tmpdir_new();
	paths[0] = pj(*d, "big.log");
	paths[1] = pj(*d, "big.log.1.gz");
	char *data = gen_lines(0, 40000, len);
	put_file(paths[0], data, *len - 1);
	put_gz(paths[1], data, *len - 1);
	return data;
}

/* A line is lent until the next call: across the buffer's refills (a
 * 4.5 MB file), the bytes of the line returned last are still what was
 * returned when the next call is made; the last line too. */
static void test_read_lent_until_next(void **state)
{
	(void)state;
	char *d, *paths[2];
	size_t len;
	char *data = big_files(&d, paths, &len);
	for (int i = 0; i < 2; i++) {
		struct source_input in = { .path = (char *)paths[i] };
		struct source_reader *r = NULL;
		struct source_line l;
		char *err = NULL, *copy = malloc(SOURCE_LINE_MAX);
		const char *prev = NULL;
		size_t prev_n = 0, n = 0;
		assert_int_equal(source_open(&in, &r, &err), 0);
		for (;;) {
			if (prev)
				assert_memory_equal(prev, copy, prev_n);
			int e = source_next(r, &l, NULL);
			assert_true(e >= 0);
			if (e == 0)
				break;
			memcpy(copy, l.p, l.n);
			prev = l.p;
			prev_n = l.n;
			n++;
		}
		assert_int_equal(n, 40000);
		source_close(r);
		free(copy);
	}
	free(data);
	free(paths[0]);
	free(paths[1]);
	rm_rf(d);
}

/* A reader that keeps its lines (source_keep): every line lent since the
 * last SOURCE_RELEASE still holds its bytes when the next one comes (or
 * the end), across the buffer's refills, plain and gzip; a release comes
 * before each refill, and no line is lost or repeated around it. */
static void test_read_kept(void **state)
{
	(void)state;
	char *d, *paths[2];
	size_t len;
	char *data = big_files(&d, paths, &len);
	for (int i = 0; i < 2; i++) {
		struct source_input in = { .path = (char *)paths[i] };
		struct source_reader *r = NULL;
		struct source_line l;
		char *err = NULL;
		const char **ptr = malloc(40000 * sizeof(*ptr));
		size_t *at = malloc(40000 * sizeof(*at)), *len_of = malloc(40000 * sizeof(*len_of));
		size_t n = 0, since = 0, releases = 0, off = 0;
		assert_int_equal(source_open(&in, &r, &err), 0);
		source_keep(r);
		for (;;) {
			int e = source_next(r, &l, NULL);
			assert_true(e >= 0);
			if (e == SOURCE_RELEASE || e == 0) {
				/* every line kept since the last release, as read */
				for (size_t k = since; k < n; k++)
					assert_memory_equal(ptr[k], data + at[k], len_of[k]);
				since = n;
				if (e == 0)
					break;
				releases++;
				continue;
			}
			assert_int_equal(e, 1);
			assert_true(n < 40000);
			ptr[n] = l.p;
			at[n] = off;
			len_of[n] = l.n;
			assert_memory_equal(l.p, data + off, l.n);
			off += l.n + 1;
			n++;
		}
		assert_int_equal(n, 40000);
		assert_true(releases > 0);
		source_close(r);
		free(ptr);
		free(at);
		free(len_of);
	}
	free(data);
	free(paths[0]);
	free(paths[1]);
	rm_rf(d);
}

static void test_read_gzip_damaged(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "auth.log.2.gz");
	size_t len, zlen;
	char *data = gen_lines(0, 30000, &len);
	unsigned char *z = gz_mem(data, len, &zlen);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;

	/* truncated: the member's CRC and length are never reached, so none
	 * of its lines is delivered (an unverified line could be a wrong one);
	 * the error names the file and offset */
	put_file(p, z, zlen / 2);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), -EBADMSG);
	assert_non_null(err);
	char *want;
	assert_true(asprintf(&want, "%s: gzip data ends early at byte %zu", p, zlen / 2) > 0);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "truncated"));
	assert_non_null(strstr(err, "none of the damaged one"));
	free(want);
	free(err);
	assert_int_equal(c.n, 0);
	assert_int_equal(st.bytes, 0);
	coll_reset(&c);

	/* corrupt CRC: no line of the member (a flipped bit would otherwise
	 * invent an address or a user) */
	z[zlen - 6] ^= 0x55;
	put_file(p, z, zlen);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), -EBADMSG);
	assert_non_null(err);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "corrupt gzip data at byte"));
	assert_non_null(strstr(err, "incorrect data check"));
	free(err);
	assert_int_equal(c.n, 0);
	coll_reset(&c);
	z[zlen - 6] ^= 0x55;

	/* two members, the second damaged: the first one's lines, then the
	 * error (and a mark at the end of the first member, not finished) */
	{
		size_t g1n, g2n, half = 0;
		for (int i = 0; i < 15000; i++)
			half = (size_t)((char *)memchr(data + half, '\n', len - half) - data) + 1;
		unsigned char *g1 = gz_mem(data, half, &g1n), *g2 = gz_mem(data + half, len - half, &g2n);
		unsigned char *two = malloc(g1n + g2n);
		memcpy(two, g1, g1n);
		memcpy(two + g1n, g2, g2n);
		two[g1n + g2n - 6] ^= 0x01;
		put_file(p, two, g1n + g2n);
		fake_reset();
		assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), -EBADMSG);
		assert_non_null(strstr(err, "incorrect data check"));
		free(err);
		assert_int_equal(c.n, 15000);
		assert_lines_are(&c, data, half);
		assert_int_equal(n_fake, 1);
		assert_int_equal(fake[0].off, half);
		assert_false(fake[0].m.finished);
		coll_reset(&c);
		/* repaired: the rest is read, nothing twice */
		two[g1n + g2n - 6] ^= 0x01;
		put_file(p, two, g1n + g2n);
		assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
		assert_int_equal(c.n, 15000);
		assert_int_equal(c.v[0].line, 15001);
		assert_true(fake[0].m.finished);
		coll_reset(&c);
		free(g1);
		free(g2);
		free(two);
	}

	/* garbage in the middle of the deflate data */
	memset(z + zlen / 2, 0xff, 256);
	put_file(p, z, zlen);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), -EBADMSG);
	assert_non_null(strstr(err, "corrupt gzip data at byte"));
	/* the offset is within the file */
	const char *at = strstr(err, "at byte ") + 8;
	unsigned long long zoff = strtoull(at, NULL, 10);
	assert_true(zoff >= zlen / 4 && zoff <= zlen);
	free(err);
	assert_int_equal(c.n, 0);
	coll_reset(&c);

	/* a broken header: nothing read */
	z[3] = 0xe0; /* reserved flag bits */
	put_file(p, z, zlen);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), -EBADMSG);
	assert_non_null(strstr(err, "at byte"));
	free(err);
	assert_int_equal(c.n, 0);

	/* only the magic */
	put_file(p, "\x1f\x8b", 2);
	assert_int_equal(read_path(p, NULL, &c, &st, &err), -EBADMSG);
	assert_non_null(strstr(err, "ends early at byte 2"));
	free(err);
	assert_int_equal(c.n, 0);

	free(z);
	free(data);
	free(p);
	rm_rf(d);
}

static void test_read_gzip_mutations(void **state)
{
	(void)state;
	/* OpenSSH-style deterministic mutation: byte flips and cuts of a gzip
	 * file never crash, and either read everything or fail with -EBADMSG */
	char *d = tmpdir_new(), *p = pj(d, "m.gz");
	size_t len, zlen;
	char *data = gen_lines(0, 300, &len);
	unsigned char *z = gz_mem(data, len, &zlen);
	unsigned char *m = malloc(zlen);
	uint32_t x = 7;
	unsigned n_ok = 0, n_bad = 0;
	for (int i = 0; i < 300; i++) {
		struct coll c = { 0 };
		struct source_stats st = { 0 };
		char *err;
		size_t n = zlen;
		memcpy(m, z, zlen);
		x = x * 1103515245u + 12345u;
		if (i % 3 == 0)
			n = (x >> 8) % zlen; /* cut */
		else
			m[(x >> 8) % zlen] ^= (unsigned char)(1u << (x % 8)); /* flip a bit */
		put_file(p, m, n);
		int r = read_path(p, NULL, &c, &st, &err);
		assert_true(r == 0 || r == -EBADMSG);
		if (r == 0) {
			/* a file that checks is the file (or empty: a cut at 0) */
			n_ok++;
			free(err);
			if (n > 0)
				assert_lines_are(&c, data, len);
		} else {
			/* damage: nothing of the member, so nothing invented */
			assert_int_equal(c.n, 0);
			n_bad++;
			assert_non_null(err);
			assert_non_null(strstr(err, p));
			assert_non_null(strstr(err, "at byte"));
			free(err);
		}
		assert_true(c.n <= 400);
		coll_reset(&c);
	}
	/* most damage is caught (a flip in the header's MTIME/OS/XFL bytes is
	 * harmless, a cut at 0 is an empty file) */
	assert_true(n_bad > 250);
	assert_true(n_ok + n_bad == 300);
	free(m);
	free(z);
	free(data);
	free(p);
	rm_rf(d);
}

/* Feeds data to our stdin through a pipe written by a child. */
static int read_stdin(const void *data, size_t len, struct coll *c, struct source_stats *st, char **err)
{
	int fds[2], saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		const char *p = data;
		while (len) {
			ssize_t k = write(fds[1], p, len);
			if (k <= 0)
				_exit(1);
			p += k;
			len -= (size_t)k;
		}
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	int r = read_path("-", FAKE_STORE, c, st, err);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return r;
}

static void test_read_stdin(void **state)
{
	(void)state;
	size_t len, zlen;
	char *data = gen_lines(0, 20000, &len);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	fake_reset();
	assert_int_equal(read_stdin(data, len, &c, &st, &err), 0);
	assert_int_equal(c.n, 20000);
	assert_lines_are(&c, data, len);
	assert_string_equal(c.v[0].file, "-");
	/* a stream gets a mark too: the same bytes piped again add nothing,
	 * and more of them only what is new */
	assert_int_equal(n_put, 1);
	assert_true(fake[0].m.have_whole);
	coll_reset(&c);
	memset(&st, 0, sizeof(st));
	assert_int_equal(read_stdin(data, len, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(st.skipped_bytes, len);
	size_t more_len;
	char *more = gen_lines(20000, 10, &more_len), *both = malloc(len + more_len);
	memcpy(both, data, len);
	memcpy(both + len, more, more_len);
	assert_int_equal(read_stdin(both, len + more_len, &c, &st, &err), 0);
	assert_int_equal(c.n, 10);
	assert_int_equal(c.v[0].line, 20001);
	coll_reset(&c);
	/* other bytes with the same first line: every line (the ones read while
	 * checking come back from the temporary copy), none lost */
	memcpy(both + len - 30, "XXXXXXXXXXXXXXXXXXXXXXXXXXXX", 28);
	assert_int_equal(read_stdin(both, len + more_len, &c, &st, &err), 0);
	assert_int_equal(c.n, 20010);
	assert_lines_are(&c, both, len + more_len);
	coll_reset(&c);
	free(more);
	free(both);
	fake_reset();

	unsigned char *z = gz_mem(data, len, &zlen);
	assert_int_equal(read_stdin(z, zlen, &c, &st, &err), 0);
	assert_int_equal(c.n, 20000);
	assert_lines_are(&c, data, len);
	coll_reset(&c);

	assert_int_equal(read_stdin("one\ntwo", 7, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[1].data, "two");
	coll_reset(&c);
	free(z);
	free(data);
}

static void test_read_missing(void **state)
{
	(void)state;
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	assert_int_equal(read_path("/nonexistent/moat/auth.log", NULL, &c, &st, &err), -ENOENT);
	assert_string_equal(err, "/nonexistent/moat/auth.log: No such file or directory");
	free(err);
}

static void test_read_stop(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "auth.log");
	size_t len;
	char *data = gen_lines(0, 100, &len);
	put_file(p, data, len);
	struct coll c = { .stop_after = 3 };
	struct source_stats st = { 0 };
	char *err;
	fake_reset();
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 3);
	/* the mark is after the third line: a second run starts at line 4 */
	assert_int_equal(n_fake, 1);
	assert_int_equal(fake[0].line, 3);
	assert_int_equal(fake[0].off, c.v[2].offset + c.v[2].len + 1);
	coll_reset(&c);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 97);
	assert_int_equal(c.v[0].line, 4);
	coll_reset(&c);
	free(data);
	free(p);
	rm_rf(d);
}

/* ---- cursors -------------------------------------------------------- */

static void test_cursor_rename_and_compress(void **state)
{
	(void)state;
	char *d = tmpdir_new();
	char *live = pj(d, "auth.log"), *one = pj(d, "auth.log.1"), *two = pj(d, "auth.log.2.gz");
	size_t l1, l2, l3;
	char *week1 = gen_lines(0, 50, &l1), *week2 = gen_lines(50, 10, &l2), *week3 = gen_lines(60, 5, &l3);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	fake_reset();

	/* first run: everything */
	put_file(live, week1, l1);
	assert_int_equal(read_path(live, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 50);
	assert_int_equal(n_fake, 1);
	assert_int_equal(fake[0].off, l1);
	assert_int_equal(fake[0].line, 50);
	assert_string_equal(fake[0].path, live);
	coll_reset(&c);

	/* again: nothing twice */
	memset(&st, 0, sizeof(st));
	assert_int_equal(read_path(live, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(st.skipped_bytes, l1);
	assert_int_equal(st.bytes, 0);

	/* more lines, then rotated: auth.log.1 gives only the new ones,
	 * numbered on */
	append_file(live, week2, l2);
	assert_int_equal(rename(live, one), 0);
	put_file(live, week3, l3);
	memset(&st, 0, sizeof(st));
	assert_int_equal(read_path(one, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 10);
	assert_lines_are(&c, week2, l2);
	assert_int_equal(c.v[0].line, 51);
	assert_int_equal(c.v[0].offset, l1);
	assert_int_equal(c.v[9].line, 60);
	assert_int_equal(st.skipped_bytes, l1);
	assert_int_equal(st.bytes, l2);
	assert_int_equal(fake[0].off, l1 + l2);
	assert_int_equal(fake[0].line, 60);
	assert_string_equal(fake[0].path, one);
	coll_reset(&c);

	/* the new live file is another file */
	assert_int_equal(read_path(live, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.v[0].line, 1);
	assert_int_equal(n_fake, 2);
	coll_reset(&c);

	/* compressed a week later: recognised, nothing new */
	size_t n;
	char *all = slurp(one, &n);
	put_gz(two, all, n);
	assert_int_equal(unlink(one), 0);
	unsigned puts_before = n_put;
	assert_int_equal(read_path(two, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);
	/* rewritten once: a gzip file is finished (its mark says so) */
	assert_int_equal(n_put, puts_before + 1);
	assert_true(fake[0].m.finished);
	assert_int_equal(read_path(two, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(n_put, puts_before + 1); /* unchanged: not rewritten */

	/* compressed with lines that were added after the last run */
	char *more = malloc(n + 30);
	memcpy(more, all, n);
	memcpy(more + n, "Jan  5 11:00:00 h sshd[9]: x\n", 29);
	put_gz(two, more, n + 29);
	assert_int_equal(read_path(two, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].data, "Jan  5 11:00:00 h sshd[9]: x");
	assert_int_equal(c.v[0].line, 61);
	assert_int_equal(c.v[0].offset, n);
	coll_reset(&c);

	free(more);
	free(all);
	free(week1);
	free(week2);
	free(week3);
	free(live);
	free(one);
	free(two);
	rm_rf(d);
}

static void test_cursor_copytruncate(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "auth.log"), *p1 = pj(d, "auth.log.1");
	size_t len;
	char *data = gen_lines(0, 40, &len);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	fake_reset();
	put_file(p, data, len);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 40);
	coll_reset(&c);

	/* cut to a shorter length with the same first bytes (the fingerprint
	 * matches, the cursor is past the end): read from the start */
	size_t cut = 0;
	for (int i = 0; i < 20; i++)
		cut = (size_t)((char *)memchr(data + cut, '\n', len - cut) - data) + 1;
	assert_true(cut > 1024);
	assert_int_equal(truncate(p, (off_t)cut), 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 20);
	assert_int_equal(c.v[0].line, 1);
	assert_int_equal(c.v[0].offset, 0);
	assert_int_equal(st.skipped_bytes, 0);
	/* a new cursor (the old one still names what the longer file held) */
	assert_int_equal(n_fake, 2);
	assert_int_equal(fake[1].off, cut);
	assert_int_equal(fake[1].line, 20);
	coll_reset(&c);

	/* real copytruncate: copy to .1, truncate to 0, new lines written */
	put_file(p, data, len);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 20); /* lines 21..40 */
	coll_reset(&c);
	put_file(p1, data, len);
	size_t nl;
	char *fresh = gen_lines(500, 3, &nl);
	put_file(p, fresh, nl);
	assert_int_equal(read_path(p1, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.v[0].line, 1);
	coll_reset(&c);

	/* a cursor that falls inside a line is not this file's: from the
	 * start */
	fake_reset();
	put_file(p, data, len);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	coll_reset(&c);
	fake_set(0, 1500 + (data[1499] == '\n'), 7); /* not after a '\n' */
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 40);
	assert_int_equal(c.v[0].line, 1);
	assert_int_equal(fake[n_fake - 1].off, len);
	assert_int_equal(fake[n_fake - 1].line, 40);
	coll_reset(&c);

	/* the same in a gzip file (the cursor is checked by inflating) */
	char *pz = pj(d, "auth.log.3.gz");
	put_gz(pz, data, len);
	fake_reset();
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	coll_reset(&c);
	fake_set(0, 1500 + (data[1499] == '\n'), 7);
	assert_int_equal(read_path(pz, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 40);
	coll_reset(&c);
	/* and a gzip file shorter than the cursor */
	fake_reset();
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	coll_reset(&c);
	fake_set(0, len + 100, 41);
	assert_int_equal(read_path(pz, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 40);
	coll_reset(&c);
	/* a mark with the right place but other bytes before it (the tail) */
	fake_reset();
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	coll_reset(&c);
	fake[0].m.tail[0] ^= 1;
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 40);
	coll_reset(&c);
	assert_int_equal(read_path(pz, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 0); /* the new mark (saved above) holds for the gzip copy */
	coll_reset(&c);
	free(pz);

	free(fresh);
	free(data);
	free(p);
	free(p1);
	rm_rf(d);
}

static void test_cursor_short_file(void **state)
{
	(void)state;
	char *d = tmpdir_new(), *p = pj(d, "auth.log"), *pz = pj(d, "auth.log.1.gz");
	size_t len;
	char *data = gen_lines(0, 30, &len);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	fake_reset();

	/* two lines: known by the first line (the head), checked by all of
	 * them */
	size_t two = (size_t)((char *)memchr(data, '\n', len) - data) + 1;
	two = (size_t)((char *)memchr(data + two, '\n', len - two) - data) + 1;
	put_file(p, data, two);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(n_fake, 1);
	assert_int_equal(fake[0].m.prefix_len, two);
	coll_reset(&c);

	/* grows: the same cursor, moved on */
	size_t three = (size_t)((char *)memchr(data + two, '\n', len - two) - data) + 1;
	put_file(p, data, three);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.v[0].line, 3);
	assert_int_equal(n_fake, 1);
	coll_reset(&c);

	/* grows a lot: still the same cursor */
	put_file(p, data, len);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 27);
	assert_int_equal(c.v[0].line, 4);
	assert_int_equal(c.v[0].offset, three);
	assert_int_equal(n_fake, 1);
	assert_int_equal(fake[0].off, len);
	assert_int_equal(fake[0].line, 30);
	coll_reset(&c);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);

	/* another small file whose first line is the same: not skipped (the
	 * bytes after it differ) */
	char *other = pj(d, "other.log");
	size_t first = (size_t)((char *)memchr(data, '\n', len) - data) + 1;
	char *odata = malloc(first + 40);
	memcpy(odata, data, first);
	memcpy(odata + first, "Jan  5 10:00:09 host sshd[1]: different\n", 40);
	put_file(other, odata, first + 40);
	assert_int_equal(read_path(other, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].line, 1);
	coll_reset(&c);
	free(odata);
	free(other);

	/* no complete line: read, but no cursor (the pipeline leaves it for
	 * the next scan) */
	fake_reset();
	put_file(p, "partial", 7);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(n_put, 0);
	coll_reset(&c);

	/* a last line without '\n' is delivered, the cursor stays before it
	 * (the writer is still at it) */
	put_file(p, "first\nsec", 9);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(fake[0].off, 6);
	assert_int_equal(fake[0].line, 1);
	coll_reset(&c);
	append_file(p, "ond\nthird\n", 10);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].data, "second");
	assert_int_equal(c.v[0].line, 2);
	assert_string_equal(c.v[1].data, "third");
	coll_reset(&c);

	/* a gzip file is finished: its cursor covers a last line without '\n' */
	fake_reset();
	put_gz(pz, "first\nlast", 10);
	assert_int_equal(read_path(pz, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(fake[0].off, 10);
	assert_int_equal(fake[0].line, 2);
	coll_reset(&c);
	assert_int_equal(read_path(pz, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 0);

	free(data);
	free(p);
	free(pz);
	rm_rf(d);
}

static void test_cursor_big_skip(void **state)
{
	(void)state;
	/* a cursor several MiB in: plain seeks, gzip inflates to it */
	char *d = tmpdir_new(), *p = pj(d, "auth.log"), *pz = pj(d, "auth.log.1.gz");
	size_t l1, l2;
	char *a = gen_lines(0, 30000, &l1), *b = gen_lines(30000, 100, &l2);
	struct coll c = { 0 };
	struct source_stats st = { 0 };
	char *err;
	fake_reset();
	put_file(p, a, l1);
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 30000);
	coll_reset(&c);
	append_file(p, b, l2);
	memset(&st, 0, sizeof(st));
	assert_int_equal(read_path(p, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 100);
	assert_lines_are(&c, b, l2);
	assert_int_equal(c.v[0].line, 30001);
	assert_int_equal(st.skipped_bytes, l1);
	coll_reset(&c);

	/* compressed with still more lines; the cursor is at l1 + l2 */
	size_t n;
	char *all = slurp(p, &n);
	all = realloc(all, n + l2);
	memcpy(all + n, b, l2); /* the same 100 lines once more, as new ones */
	put_gz(pz, all, n + l2);
	memset(&st, 0, sizeof(st));
	assert_int_equal(read_path(pz, FAKE_STORE, &c, &st, &err), 0);
	assert_int_equal(c.n, 100);
	assert_lines_are(&c, b, l2);
	assert_int_equal(c.v[0].line, 30101);
	assert_int_equal(c.v[0].offset, l1 + l2);
	assert_int_equal(st.skipped_bytes, l1 + l2);
	coll_reset(&c);
	free(all);
	free(a);
	free(b);
	free(p);
	free(pz);
	rm_rf(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand_rotated_order),
		cmocka_unit_test(test_expand_dateext_and_mixed),
		cmocka_unit_test(test_expand_both_sets_and_compressing),
		cmocka_unit_test(test_expand_generic_dir),
		cmocka_unit_test(test_expand_args),
		cmocka_unit_test(test_expand_default),
		cmocka_unit_test(test_expand_default_unreadable),
		cmocka_unit_test(test_read_hostile_content),
		cmocka_unit_test(test_read_line_lengths),
		cmocka_unit_test(test_read_long_lines),
		cmocka_unit_test(test_read_big_and_progress),
		cmocka_unit_test(test_read_lent_until_next),
		cmocka_unit_test(test_read_kept),
		cmocka_unit_test(test_read_gzip_damaged),
		cmocka_unit_test(test_read_gzip_mutations),
		cmocka_unit_test(test_read_stdin),
		cmocka_unit_test(test_read_missing),
		cmocka_unit_test(test_read_stop),
		cmocka_unit_test(test_cursor_rename_and_compress),
		cmocka_unit_test(test_cursor_copytruncate),
		cmocka_unit_test(test_cursor_short_file),
		cmocka_unit_test(test_cursor_big_skip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
