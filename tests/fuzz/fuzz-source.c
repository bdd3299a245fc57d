/*
 * fuzz-source: the reader on arbitrary bytes written to a file, three ways:
 *  - as they are (plain, or gzip when they start with its magic bytes);
 *  - gzip-compressed as two concatenated members (split at the middle);
 *  - that gzip stream cut short, which must end in -EBADMSG after no line of
 *    the damaged member.
 * Each input is read again from the mark the first read reached: it must be
 * known again and give only what follows.
 * Every line lent to the callback is checked against the input: at most
 * SOURCE_LINE_MAX bytes, no '\n' inside, offsets and line numbers in order,
 * and (when the decompressed bytes are known) the same bytes as the input
 * at that offset, ended by '\n', the end of the input, or a cut.
 * The file is a memfd (no disk: a directory per input, then one file on
 * disk rewritten per input, made the run I/O-bound).
 * Corpus: tests/fuzz/corpus/source/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct expect {
	const uint8_t *data; /* the decompressed stream; NULL when unknown */
	size_t size;
	uint64_t next_off; /* where the next line may start, at the earliest */
	uint64_t line;
};

static volatile unsigned sink;

static void on_line(struct expect *x, const struct source_line *l)
{
	const char *line = l->p;
	size_t len = l->n;
	for (size_t i = 0; i < len; i++)
		sink += (unsigned char)line[i]; /* ASan flags a view outside the buffer */
	if (len > SOURCE_LINE_MAX || memchr(line, '\n', len))
		abort();
	if ((l->flags & EVF_TRUNCATED) && len != SOURCE_LINE_MAX)
		abort();
	if (l->origin.line != ++x->line || l->origin.offset < x->next_off || l->end < l->origin.offset + len)
		abort();
	if (x->data) {
		if (l->origin.offset + len > x->size || memcmp(line, x->data + l->origin.offset, len) != 0)
			abort();
		size_t end = (size_t)l->origin.offset + len;
		if (!(l->flags & EVF_TRUNCATED) && end < x->size && x->data[end] != '\n')
			abort();
	}
	x->next_off = l->origin.offset + len + 1;
}

/* Appends one gzip member of p[0, n) to out (of capacity cap); its size, or 0. */
static size_t gz_member(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	size_t got = cap - z.avail_out;
	deflateEnd(&z);
	return zr == Z_STREAM_END ? got : 0;
}

/* Reads path whole, then again from the mark it reached, which must
 * give nothing more; returns the first read's result. */
static int read_one(const char *path, bool gzip, struct expect *x)
{
	struct source_input in = { .path = (char *)(uintptr_t)path, .gzip = gzip };
	struct source_reader *rd = NULL;
	struct source_line l;
	struct source_stats st = { 0 };
	struct source_mark m;
	char *err = NULL;
	int r;
	if (source_open(&in, &rd, &err) < 0) {
		fprintf(stderr, "fuzz-source: %s\n", err ? err : "?");
		abort();
	}
	while ((r = source_next(rd, &l, &st)) > 0)
		on_line(x, &l);
	if (st.lines != x->line || st.truncated_lines > st.lines)
		abort();
	if ((r < 0) != (source_error(rd)[0] != '\0'))
		abort();
	if (x->data && r == 0 && st.bytes != x->size)
		abort();
	if (source_mark(rd, &m) < 0 || m.offset > x->next_off + 1)
		abort();
	source_close(rd);
	if (m.offset == 0)
		return r;
	/* resuming at the mark: known again, and only what follows it comes */
	if (source_open(&in, &rd, &err) < 0)
		abort();
	if (source_resume(rd, &m, NULL) != 1)
		abort();
	uint64_t more = 0;
	while (source_next(rd, &l, NULL) > 0) {
		if (l.origin.offset < m.offset)
			abort();
		more++;
	}
	if (m.finished && more)
		abort();
	source_close(rd);
	return r;
}

/* The input lives in a memfd named by its /proc path: a regular file to
 * the reader, without a disk under it (thousands of inputs a run). */
static int memfd = -1;
static char path[64];

static int write_all(const char *to, const void *p, size_t n)
{
	(void)to; /* always the memfd's path */
	if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) < 0)
		return -1;
	const char *c = p;
	while (n > 0) {
		ssize_t k = write(memfd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *gz = NULL;
	if (memfd < 0) {
		memfd = memfd_create("fuzz-source", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}

	/* as they are: gzip magic at the start makes them compressed input */
	bool magic = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	struct expect x = { .data = magic ? NULL : data, .size = size };
	if (write_all(path, data, size) < 0)
		abort();
	int r = read_one(path, false, &x);
	if (!magic && r != 0)
		abort();

	/* two gzip members, then the same cut short */
	size_t half = size / 2, cap = 2 * (size_t)compressBound((uLong)size) + 64, n1, n2;
	gz = malloc(cap);
	if (!gz)
		abort();
	n1 = gz_member(data, half, gz, cap);
	n2 = n1 ? gz_member(data + half, size - half, gz + n1, cap - n1) : 0;
	if (!n2)
		abort();
	x = (struct expect){ .data = data, .size = size };
	if (write_all(path, gz, n1 + n2) < 0)
		abort();
	if (read_one(path, true, &x) != 0)
		abort();

	x = (struct expect){ .data = data, .size = size };
	if (write_all(path, gz, n1 + n2 - 5) < 0) /* inside the last trailer */
		abort();
	if (read_one(path, true, &x) != -EBADMSG)
		abort();
	/* no line of the damaged member: everything delivered lies in the first */
	if (x.next_off > half + 1)
		abort();

	free(gz);
	return 0;
}
