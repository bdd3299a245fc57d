/*
 * reader: one input, plain or gzip, pulled line by line.
 *
 * One buffer per input, no allocation per line: blocks are read (or
 * inflated) behind the unfinished tail of the previous block, lines are
 * found with memchr and lent in place until the next call. The tail moved
 * to the front before each read is at most SOURCE_LINE_MAX bytes: a longer
 * line is delivered cut there and the rest of it is skipped.
 *
 * Gzip is checked before it is read (see source.h): a regular .gz file is
 * inflated once to find how many of its decompressed bytes belong to
 * members whose CRC and length check (gz_limit); reading stops there. A
 * gzip stream on stdin is first copied to an unlinked temporary file, then
 * read the same way.
 *
 * Marks. What is "consumed" (the lines returned before the current one,
 * and the skipped rest of a cut line) is hashed for streams as it goes:
 * the running hash of the whole, the first SOURCE_PREFIX_MAX bytes and the
 * last SOURCE_TAIL_MAX bytes. A regular uncompressed file needs none of
 * that while it is read (the hashes of its start and of the bytes before
 * a mark are read back with pread when a mark is made), so the common case
 * reads at memchr's speed.
 *
 * The big buffers come from calloc: fresh pages that cost nothing until
 * they are touched (malloc's would be filled by MALLOC_PERTURB_, which the
 * tests set, a few MB per input opened).
 */
#include "source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/macro.h"
#include "source/source-internal.h"

#define READ_CHUNK (1024 * 1024)
#define GZ_READ_CHUNK (256 * 1024)
#define BUF_CAP (READ_CHUNK + SOURCE_LINE_MAX + 1)
/* A buffer must hold a whole cut line and more (see source_next). */
#define BUF_MIN (SOURCE_LINE_MAX + 4096 + 1)
#define ZIN_CAP (GZ_READ_CHUNK + 16) /* a read, behind the 0-1 bytes kept between members */
#define SCRATCH (256 * 1024)

struct reader_hash {
	crypto_generichash_state whole;
	unsigned char tail[SOURCE_TAIL_MAX]; /* a ring: the last bytes hashed */
};

struct source_reader {
	const struct source_input *in;
	int fd;
	bool own_fd;
	bool regular; /* the file read is a regular file (a spooled stdin gzip too) */
	bool stream; /* hashed as it is read: stdin, FIFOs, gzip */
	uint64_t dev, ino;

	/* raw input */
	uint64_t raw_off; /* bytes read from fd */
	bool raw_eof;
	int spool_fd; /* stdin's bytes read while checking a mark that did not hold: read again first */
	uint64_t spool_len, spool_pos;

	/* gzip */
	bool started; /* the first bytes were looked at for the gzip magic */
	bool gz;
	bool member_end; /* between two members */
	bool z_init;
	z_stream z;
	unsigned char *zin;
	uint64_t gz_limit; /* decompressed bytes that may be delivered (UINT64_MAX: all) */
	int gz_err; /* the damage at gz_limit, reported once everything before it was delivered */
	char *gz_msg;
	bool gz_finished; /* every member checked: the stream ends for good */

	/* the stream */
	bool eof; /* no more bytes (decompressed) */
	uint64_t produced; /* decompressed bytes produced so far */

	/* lines: buf[start, end) not yet delivered; buf[0] is stream byte pos */
	char *buf;
	size_t cap; /* BUF_CAP, or less for a small file */
	size_t start, end;
	uint64_t pos;
	uint64_t line;
	bool skipping; /* the rest of a cut line */
	bool resumed; /* a stream that cannot be read again tried a mark */
	bool done; /* the last line was delivered */

	/* the line lent last: consumed (hashed) at the next call */
	bool prev_pending;
	bool keep; /* source_keep(): lines stay lent until SOURCE_RELEASE */
	bool kept; /* lines lent since the buffer last moved (keep) */
	uint64_t prev_off, prev_end;
	bool prev_complete;

	/* marking */
	uint64_t hashed_to; /* streams: bytes [0, hashed_to) are hashed */
	uint64_t safe_off, safe_line; /* after the last complete line consumed */
	bool safe_snap_valid; /* hashed_to > safe_off: the hashes at safe_off are in snap */
	struct reader_hash h, snap;
	unsigned char *prefix; /* streams: the first SOURCE_PREFIX_MAX bytes consumed */

	char *err;
};

_printf_(3, 4) static int rd_err(struct source_reader *r, int e, const char *fmt, ...)
{
	va_list ap;
	char *m;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	free(r->err);
	r->err = m;
	return e;
}

const char *source_error(const struct source_reader *r)
{
	return r && r->err ? r->err : "";
}

bool source_is_stream(const struct source_reader *r)
{
	return r->stream;
}

void source_file_id(const struct source_reader *r, uint64_t *ret_dev, uint64_t *ret_ino)
{
	*ret_dev = r->dev;
	*ret_ino = r->ino;
}

uint64_t source_progress(const struct source_reader *r)
{
	return r->raw_off;
}

/* ---- raw bytes ---- */

/* read(2) with EINTR/EAGAIN handled. Bytes read, 0 at the end, or -errno. */
static ssize_t raw_read(struct source_reader *r, void *dst, size_t cap)
{
	ssize_t k;
	if (r->spool_fd >= 0) {
		if (r->spool_pos < r->spool_len) {
			size_t want = (size_t)MIN((uint64_t)cap, r->spool_len - r->spool_pos);
			do
				k = pread(r->spool_fd, dst, want, (off_t)r->spool_pos);
			while (k < 0 && errno == EINTR);
			if (k <= 0)
				return rd_err(r, k < 0 ? -errno : -EIO, "%s: cannot read back its temporary copy: %s",
					      r->in->path, k < 0 ? strerror(errno) : "short read");
			r->spool_pos += (uint64_t)k;
			return k;
		}
		close(r->spool_fd);
		r->spool_fd = -1;
	}
	for (;;) {
		k = read(r->fd, dst, cap);
		if (k >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd p = { .fd = r->fd, .events = POLLIN };
			(void)poll(&p, 1, -1);
			continue;
		}
		int e = -errno;
		return rd_err(r, e, "%s: read error at byte %" PRIu64 ": %s", r->in->path, r->raw_off, strerror(-e));
	}
	if (k == 0)
		r->raw_eof = true;
	r->raw_off += (uint64_t)k;
	return k;
}

static bool gz_magic(const unsigned char *p)
{
	return p[0] == 0x1f && p[1] == 0x8b;
}

/* ---- gzip ---- */

static void gz_end(struct source_reader *r)
{
	if (r->z_init)
		inflateEnd(&r->z);
	r->z_init = false;
	r->member_end = false;
}

static int gz_begin(struct source_reader *r, const void *first, size_t n)
{
	if (!r->zin) {
		r->zin = calloc(1, ZIN_CAP);
		if (!r->zin)
			return rd_err(r, -ENOMEM, "out of memory");
	}
	gz_end(r);
	r->z = (z_stream){ 0 };
	if (inflateInit2(&r->z, 15 + 16) != Z_OK) /* the gzip wrapper only */
		return rd_err(r, -ENOMEM, "%s: cannot start zlib", r->in->path);
	r->z_init = true;
	memcpy(r->zin, first, n);
	r->z.next_in = r->zin;
	r->z.avail_in = (uInt)n;
	return 0;
}

/* Compressed offset of the first byte inflate has not consumed. */
static uint64_t gz_pos(const struct source_reader *r)
{
	return r->raw_off - r->z.avail_in;
}

/* Inflates into dst: bytes, 0 at the end of the last member, or -errno
 * with the message set (-EBADMSG: damaged or cut short). */
static ssize_t gz_inflate(struct source_reader *r, unsigned char *dst, size_t cap)
{
	for (;;) {
		if (r->z.avail_in == 0 && !r->raw_eof) {
			ssize_t k = raw_read(r, r->zin, GZ_READ_CHUNK);
			if (k < 0)
				return k;
			r->z.next_in = r->zin;
			r->z.avail_in = (uInt)k;
		}
		if (r->member_end) {
			if (r->z.avail_in < 2 && !r->raw_eof) {
				memmove(r->zin, r->z.next_in, r->z.avail_in);
				ssize_t k = raw_read(r, r->zin + r->z.avail_in, GZ_READ_CHUNK);
				if (k < 0)
					return k;
				r->z.next_in = r->zin;
				r->z.avail_in += (uInt)k;
				continue;
			}
			if (r->z.avail_in < 2 || !gz_magic(r->z.next_in))
				return 0; /* the end, or trailing garbage (as gzip -d) */
			if (inflateReset(&r->z) != Z_OK)
				return rd_err(r, -EIO, "%s: zlib reset failed", r->in->path);
			r->member_end = false;
		}
		r->z.next_out = dst;
		r->z.avail_out = (uInt)cap;
		int zr = inflate(&r->z, Z_NO_FLUSH);
		size_t got = cap - r->z.avail_out;
		switch (zr) {
		case Z_STREAM_END:
			r->member_end = true;
			break;
		case Z_OK:
			break;
		case Z_BUF_ERROR:
			if (r->z.avail_in == 0 && r->raw_eof && !got)
				return rd_err(r, -EBADMSG, "gzip data ends early at byte %" PRIu64 " (the file is truncated)",
					      gz_pos(r));
			break;
		case Z_MEM_ERROR:
			return rd_err(r, -ENOMEM, "out of memory");
		default:
			return rd_err(r, -EBADMSG, "corrupt gzip data at byte %" PRIu64 " (%s)", gz_pos(r),
				      r->z.msg ? r->z.msg : "invalid data");
		}
		if (got)
			return (ssize_t)got;
	}
}

/* Back to the start of a regular file. */
static int rewind_raw(struct source_reader *r)
{
	if (lseek(r->fd, 0, SEEK_SET) < 0)
		return rd_err(r, -errno, "%s: cannot seek: %s", r->in->path, strerror(errno));
	r->raw_off = 0;
	r->raw_eof = false;
	return 0;
}

/* Starts inflating a regular gzip file from its start. */
static int gz_restart(struct source_reader *r)
{
	unsigned char first[2];
	int e = rewind_raw(r);
	if (e < 0)
		return e;
	ssize_t k = raw_read(r, first, sizeof(first));
	if (k < 0)
		return (int)k;
	return gz_begin(r, first, (size_t)k);
}

/* Inflates the whole file once: how many decompressed bytes lie in
 * members whose CRC and length check. Everything inflated before a
 * member's end is unverified: only member ends count. */
static int gz_check(struct source_reader *r)
{
	unsigned char *scratch = calloc(1, SCRATCH);
	uint64_t total = 0;
	int e;
	if (!scratch)
		return rd_err(r, -ENOMEM, "out of memory");
	e = gz_restart(r);
	r->gz_limit = 0;
	while (e >= 0) {
		ssize_t k = gz_inflate(r, scratch, SCRATCH);
		if (k < 0) {
			e = (int)k;
			break;
		}
		total += (uint64_t)k;
		if (r->member_end)
			r->gz_limit = total;
		if (k == 0)
			break;
	}
	free(scratch);
	if (e == -EBADMSG) {
		/* delivered up to the last good member, then reported */
		r->gz_err = e;
		r->gz_msg = r->err;
		r->err = NULL;
		e = 0;
	} else if (e >= 0) {
		r->gz_finished = true;
	}
	if (e < 0)
		return e;
	return gz_restart(r);
}

/* Copies stdin (a gzip stream) to an unlinked temporary file, which is
 * then read as a regular one: its members are checked before a line of
 * them is delivered. first: the bytes already read. */
static int spool_stdin_gz(struct source_reader *r, const char *first, size_t n)
{
	const char *tmp = getenv("TMPDIR");
	char *chunk = NULL;
	int fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), e = 0;
	if (fd < 0)
		return rd_err(r, -errno, "%s: cannot make a temporary copy of the gzip stream: %s", r->in->path,
			      strerror(errno));
	chunk = calloc(1, SCRATCH);
	if (!chunk) {
		close(fd);
		return rd_err(r, -ENOMEM, "out of memory");
	}
	for (;;) {
		size_t w = 0;
		while (w < n) {
			ssize_t k = write(fd, first + w, n - w);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				e = rd_err(r, -errno, "%s: cannot write its temporary copy: %s", r->in->path,
					   strerror(errno));
				goto out;
			}
			w += (size_t)k;
		}
		ssize_t k = raw_read(r, chunk, SCRATCH);
		if (k < 0) {
			e = (int)k;
			goto out;
		}
		if (k == 0)
			break;
		first = chunk;
		n = (size_t)k;
	}
	if (r->own_fd)
		close(r->fd);
	r->fd = fd;
	r->own_fd = true;
	r->regular = true;
	fd = -1;
out:
	free(chunk);
	if (fd >= 0)
		close(fd);
	return e;
}

/* ---- the decompressed stream ---- */

/* Produces stream bytes into dst: how many, 0 at the end, or -errno with
 * the message set. */
static ssize_t fill(struct source_reader *r, char *dst, size_t cap)
{
	ssize_t k;
	if (r->eof)
		return 0;
	if (r->gz) {
		if (r->produced >= r->gz_limit) {
			r->eof = true;
			return 0;
		}
		cap = (size_t)MIN((uint64_t)cap, r->gz_limit - r->produced);
		k = gz_inflate(r, (unsigned char *)dst, cap);
		if (k == 0) {
			/* the check found the same end: anything else is a file
			 * changed under us */
			r->eof = true;
			if (r->produced != r->gz_limit)
				return rd_err(r, -EIO, "%s: changed while it was read (gzip ends at %" PRIu64
						       " bytes, %" PRIu64 " when checked)",
					      r->in->path, r->produced, r->gz_limit);
		}
	} else {
		k = raw_read(r, dst, MIN(cap, (size_t)READ_CHUNK));
		if (k == 0)
			r->eof = true;
	}
	if (k > 0)
		r->produced += (uint64_t)k;
	else if (k < 0 && r->gz && k == -EBADMSG)
		(void)rd_err(r, (int)k, "%s: %s", r->in->path, r->err ? r->err : "damaged");
	return k;
}

/* Looks at the first bytes: gzip or not. */
static int start(struct source_reader *r)
{
	char first[2];
	size_t n = 0;
	r->started = true;
	while (n < 2) {
		ssize_t k = raw_read(r, first + n, 2 - n);
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n == 2 && gz_magic((const unsigned char *)first)) {
		int e;
		if (!r->regular) {
			e = spool_stdin_gz(r, first, n);
			if (e < 0)
				return e;
		}
		r->gz = true;
		r->stream = true;
		return gz_check(r);
	}
	/* not gzip: the bytes read are the stream's first */
	if (n > 0) {
		memcpy(r->buf, first, n);
		r->end = n;
		r->produced = n;
	} else {
		r->eof = true;
	}
	return 0;
}

/* Reads more behind what is buffered: 1 got bytes, 0 at the end, < 0 error. */
static int more(struct source_reader *r)
{
	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->pos += r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end >= r->cap)
		return 1;
	ssize_t k = fill(r, r->buf + r->end, r->cap - r->end);
	if (k < 0)
		return (int)k;
	r->end += (size_t)k;
	return k > 0;
}

/* ---- hashing what is consumed (streams) ---- */

static void hash_init(struct reader_hash *h)
{
	crypto_generichash_init(&h->whole, NULL, 0, SOURCE_HASH_LEN);
}

static void hash16(uint8_t out[SOURCE_HASH_LEN], const void *p, size_t n)
{
	crypto_generichash(out, SOURCE_HASH_LEN, p, n, NULL, 0);
}

/* Stream bytes [hashed_to, hashed_to + n) at p are consumed. */
static void consume_bytes(struct source_reader *r, const char *p, size_t n)
{
	if (!r->stream || n == 0)
		return;
	crypto_generichash_update(&r->h.whole, (const unsigned char *)p, n);
	if (r->hashed_to < SOURCE_PREFIX_MAX) {
		size_t k = (size_t)MIN((uint64_t)n, SOURCE_PREFIX_MAX - r->hashed_to);
		memcpy(r->prefix + r->hashed_to, p, k);
	}
	for (size_t i = n > SOURCE_TAIL_MAX ? n - SOURCE_TAIL_MAX : 0; i < n; i++)
		r->h.tail[(r->hashed_to + i) % SOURCE_TAIL_MAX] = (unsigned char)p[i];
	r->hashed_to += n;
}

/* Consumes stream bytes [from, to) (all in buf). */
static void consume_range(struct source_reader *r, uint64_t from, uint64_t to)
{
	if (to > from)
		consume_bytes(r, r->buf + (from - r->pos), (size_t)(to - from));
}

/* The line lent last is done with: hash it, move the safe point. */
static void consume_prev(struct source_reader *r)
{
	if (!r->prev_pending)
		return;
	r->prev_pending = false;
	if (r->prev_complete) {
		consume_range(r, r->prev_off, r->prev_end);
		r->safe_off = r->prev_end;
		r->safe_line = r->line;
		r->safe_snap_valid = false;
		return;
	}
	/* a cut line, or a last line without '\n': the hashes at the safe
	 * point are kept before its bytes go in */
	if (r->stream && !r->safe_snap_valid) {
		r->snap = r->h;
		r->safe_snap_valid = true;
	}
	consume_range(r, r->prev_off, r->prev_end);
}

/* ---- lines ---- */

/* The damage gz_check found, once everything before it was delivered. */
static int gz_report(struct source_reader *r)
{
	int g = r->gz_err;
	r->gz_err = 0;
	return rd_err(r, g, "%s: %s; the lines of the members before it were read, none of the damaged one",
		      r->in->path, r->gz_msg ? r->gz_msg : "damaged gzip data");
}

static void lend(struct source_reader *r, struct source_line *ret, size_t at, size_t n, size_t used, uint32_t flags,
		 bool complete, struct source_stats *st)
{
	ret->p = r->buf + at;
	ret->n = n;
	ret->flags = flags;
	ret->origin = (struct origin){ .file = r->in->path, .line = ++r->line, .offset = r->pos + at };
	ret->end = r->pos + at + used;
	ret->complete = complete;
	r->prev_pending = true;
	r->kept = r->keep;
	r->prev_off = ret->origin.offset;
	r->prev_end = ret->end;
	r->prev_complete = complete;
	if (st) {
		st->lines++;
		st->bytes += used;
		if (flags & EVF_TRUNCATED)
			st->truncated_lines++;
	}
}

void source_keep(struct source_reader *r)
{
	r->keep = true;
}

int source_next(struct source_reader *r, struct source_line *ret, struct source_stats *st)
{
	int e;
	consume_prev(r);
	if (r->done)
		return r->gz_err ? gz_report(r) : 0;
	if (!r->started) {
		e = start(r);
		if (e < 0)
			return e;
	}
	for (;;) {
		char *p = r->buf + r->start;
		char *nl = memchr(p, '\n', r->end - r->start);
		if (r->skipping) {
			/* the rest of a cut line: hashed, counted, not delivered */
			size_t n = nl ? (size_t)(nl - p) + 1 : r->end - r->start;
			consume_range(r, r->pos + r->start, r->pos + r->start + n);
			if (st)
				st->bytes += n;
			r->start += n;
			if (nl) {
				r->skipping = false;
				r->safe_off = r->pos + r->start;
				r->safe_line = r->line;
				r->safe_snap_valid = false;
				continue;
			}
		} else if (nl && (size_t)(nl - p) <= SOURCE_LINE_MAX) {
			size_t n = (size_t)(nl - p);
			size_t at = r->start;
			r->start += n + 1;
			lend(r, ret, at, n, n + 1, 0, true, st);
			return 1;
		} else if (r->end - r->start > SOURCE_LINE_MAX) {
			/* an overlong line: its start, cut; the rest is skipped */
			size_t at = r->start;
			r->start += SOURCE_LINE_MAX;
			r->skipping = true;
			lend(r, ret, at, SOURCE_LINE_MAX, SOURCE_LINE_MAX, EVF_TRUNCATED, false, st);
			return 1;
		}
		if (r->kept) {
			/* reading on moves the buffer: the kept lines go first */
			r->kept = false;
			return SOURCE_RELEASE;
		}
		e = more(r);
		if (e < 0)
			return e;
		if (e > 0)
			continue;
		/* the end */
		r->done = true;
		if (r->end > r->start && !r->skipping && !r->gz_err) {
			/* a last line without '\n': still a line; complete only
			 * in a finished gzip stream (nothing can follow it) */
			size_t at = r->start, n = r->end - r->start;
			bool complete = r->gz && r->gz_finished;
			r->start = r->end;
			lend(r, ret, at, n, n, 0, complete, st);
			return 1;
		}
		/* (a line that runs on into a damaged member is not one: dropped) */
		return r->gz_err ? gz_report(r) : 0;
	}
}

/* ---- opening ---- */

int source_open(const struct source_input *in, struct source_reader **ret, char **ret_err)
{
	struct source_reader *r;
	struct stat st;
	if (sodium_init() < 0)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->in = in;
	r->spool_fd = -1;
	r->gz_limit = UINT64_MAX;
	if (strcmp(in->path, "-") == 0) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (r->fd < 0) {
			int e = source_path_err(ret_err, -errno, in->path);
			free(r);
			return e;
		}
		r->own_fd = true;
	}
	if (fstat(r->fd, &st) < 0) {
		int e = source_path_err(ret_err, -errno, in->path);
		source_close(r);
		return e;
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode)) {
		/* expansion refuses these by name; one that became one since is
		 * refused here the same way */
		source_close(r);
		if (ret_err && asprintf(ret_err, "%s: not a regular file or a pipe: not read", in->path) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	r->regular = S_ISREG(st.st_mode);
	r->stream = !r->regular;
	if (r->regular) {
		r->dev = (uint64_t)st.st_dev;
		r->ino = (uint64_t)st.st_ino;
		(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	/* a small file gets a small buffer (tests open thousands) */
	r->cap = BUF_CAP;
	if (r->regular && (uint64_t)st.st_size + 1 < BUF_CAP)
		r->cap = (size_t)MAX((uint64_t)st.st_size + 1, (uint64_t)BUF_MIN);
	r->buf = calloc(1, r->cap);
	r->prefix = calloc(1, SOURCE_PREFIX_MAX);
	if (!r->buf || !r->prefix) {
		source_close(r);
		return -ENOMEM;
	}
	hash_init(&r->h);
	*ret = r;
	return 0;
}

struct source_reader *source_close(struct source_reader *r)
{
	if (!r)
		return NULL;
	gz_end(r);
	free(r->zin);
	free(r->buf);
	free(r->prefix);
	free(r->gz_msg);
	free(r->err);
	if (r->spool_fd >= 0)
		close(r->spool_fd);
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	sodium_memzero(r, sizeof(*r));
	free(r);
	return NULL;
}

/* ---- head, resume, mark ---- */

/* Makes sure n stream bytes from the start are buffered (fewer at the
 * end). Only before the first line. */
static int buffer_start(struct source_reader *r, size_t n)
{
	int e;
	if (!r->started) {
		e = start(r);
		if (e < 0)
			return e;
	}
	while (r->end < n) {
		e = more(r);
		if (e < 0)
			return e;
		if (e == 0)
			break;
	}
	return 0;
}

int source_head(struct source_reader *r, uint8_t ret[SOURCE_HASH_LEN])
{
	int e;
	if (r->line || r->pos)
		return rd_err(r, -EINVAL, "%s: the head is read before the first line", r->in->path);
	e = buffer_start(r, SOURCE_HEAD_MAX);
	if (e < 0)
		return e;
	const char *nl = memchr(r->buf, '\n', MIN(r->end, (size_t)SOURCE_HEAD_MAX));
	if (nl) {
		hash16(ret, r->buf, (size_t)(nl - r->buf) + 1);
		return 1;
	}
	if (r->end >= SOURCE_HEAD_MAX) {
		hash16(ret, r->buf, SOURCE_HEAD_MAX);
		return 1;
	}
	return 0;
}

/* pread exactly n bytes at off: 1, 0 when the file is shorter, < 0 error. */
static int pread_all(struct source_reader *r, void *dst, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(r->fd, (char *)dst + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return rd_err(r, -errno, "%s: read error: %s", r->in->path, strerror(errno));
		if (k == 0)
			return 0;
		got += (size_t)k;
	}
	return 1;
}

/* The hash of file bytes [off, off + n) (regular uncompressed files). */
static int pread_hash(struct source_reader *r, uint64_t off, uint64_t n, uint8_t out[SOURCE_HASH_LEN])
{
	crypto_generichash_state s;
	char *chunk = calloc(1, SCRATCH);
	int e = 1;
	if (!chunk)
		return rd_err(r, -ENOMEM, "out of memory");
	crypto_generichash_init(&s, NULL, 0, SOURCE_HASH_LEN);
	while (n > 0 && e > 0) {
		size_t k = (size_t)MIN(n, (uint64_t)SCRATCH);
		e = pread_all(r, chunk, k, off);
		if (e > 0) {
			crypto_generichash_update(&s, (unsigned char *)chunk, k);
			off += k;
			n -= k;
		}
	}
	free(chunk);
	if (e > 0)
		crypto_generichash_final(&s, out, SOURCE_HASH_LEN);
	return e;
}

/* A regular uncompressed file: checks m against the file, then seeks. */
static int resume_file(struct source_reader *r, const struct source_mark *m, bool check)
{
	struct stat st;
	uint8_t h[SOURCE_HASH_LEN];
	char c;
	int e;
	if (fstat(r->fd, &st) < 0)
		return rd_err(r, -errno, "%s: %s", r->in->path, strerror(errno));
	if ((uint64_t)st.st_size < m->offset)
		return 0;
	e = pread_all(r, &c, 1, m->offset - 1);
	if (e < 0)
		return e;
	/* a finished gzip stream's last line may have no '\n': the same
	 * bytes decompressed end there too */
	if (e == 0 || (c != '\n' && !(m->finished && (uint64_t)st.st_size == m->offset)))
		return 0;
	if (!check)
		goto seek;
	e = pread_hash(r, 0, m->prefix_len, h);
	if (e <= 0 || sodium_memcmp(h, m->prefix, sizeof(h)) != 0)
		return e < 0 ? e : 0;
	e = pread_hash(r, m->offset - m->tail_len, m->tail_len, h);
	if (e <= 0 || sodium_memcmp(h, m->tail, sizeof(h)) != 0)
		return e < 0 ? e : 0;
	if (m->have_whole && m->offset > m->prefix_len + m->tail_len) {
		/* a mark made while it was read as a stream: only all of it proves it */
		e = pread_hash(r, 0, m->offset, h);
		if (e <= 0 || sodium_memcmp(h, m->whole, sizeof(h)) != 0)
			return e < 0 ? e : 0;
	}
seek:
	if (lseek(r->fd, (off_t)m->offset, SEEK_SET) < 0)
		return rd_err(r, -errno, "%s: cannot seek: %s", r->in->path, strerror(errno));
	r->raw_off = m->offset;
	r->raw_eof = r->eof = false;
	r->produced = m->offset;
	r->pos = m->offset;
	r->start = r->end = 0;
	return 1;
}

/* The hashes at the current consumed point, as a mark would carry them. */
static void stream_mark_hashes(struct source_reader *r, const struct reader_hash *h, uint64_t off,
			       struct source_mark *m)
{
	crypto_generichash_state w = h->whole;
	unsigned char tail[SOURCE_TAIL_MAX];
	m->prefix_len = (uint32_t)MIN(off, (uint64_t)SOURCE_PREFIX_MAX);
	m->tail_len = (uint32_t)MIN(off, (uint64_t)SOURCE_TAIL_MAX);
	hash16(m->prefix, r->prefix, m->prefix_len);
	for (uint32_t i = 0; i < m->tail_len; i++)
		tail[i] = h->tail[(off - m->tail_len + i) % SOURCE_TAIL_MAX];
	hash16(m->tail, tail, m->tail_len);
	crypto_generichash_final(&w, m->whole, SOURCE_HASH_LEN);
	m->have_whole = true;
}

/* Streams: consume (hash) up to m->offset, keeping stdin's bytes in a
 * temporary file; 1 when everything matches, 0 when not (the stream is
 * rewound: a gzip file from its start, stdin from its temporary copy). */
static int resume_stream(struct source_reader *r, const struct source_mark *m, bool check, struct source_stats *st)
{
	int spool = -1, e = 0, match = 0;
	uint64_t spooled = 0;
	bool spool_stdin = !r->regular;

	if (spool_stdin) {
		const char *tmp = getenv("TMPDIR");
		spool = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (spool < 0)
			return rd_err(r, -errno, "%s: cannot keep a temporary copy while checking what was read before: %s",
				      r->in->path, strerror(errno));
	}
	/* consume whole buffers up to the mark */
	while (r->hashed_to < m->offset) {
		if (r->start == r->end) {
			if (spool_stdin) {
				/* what is buffered goes to the copy before it is dropped */
				size_t w = 0;
				while (w < r->end) {
					ssize_t k = pwrite(spool, r->buf + w, r->end - w, (off_t)spooled);
					if (k < 0 && errno == EINTR)
						continue;
					if (k < 0) {
						e = rd_err(r, -errno, "%s: cannot write its temporary copy: %s", r->in->path,
							   strerror(errno));
						goto out;
					}
					w += (size_t)k;
					spooled += (uint64_t)k;
				}
			}
			r->pos += r->end;
			r->start = r->end = 0;
			ssize_t k = fill(r, r->buf, r->cap);
			if (k < 0) {
				e = (int)k;
				goto out;
			}
			if (k == 0)
				break; /* shorter than the mark */
			r->end = (size_t)k;
		}
		size_t n = (size_t)MIN((uint64_t)(r->end - r->start), m->offset - r->hashed_to);
		consume_bytes(r, r->buf + r->start, n);
		r->start += n;
		if (check && r->hashed_to >= m->prefix_len && r->hashed_to - n < m->prefix_len) {
			uint8_t h[SOURCE_HASH_LEN];
			hash16(h, r->prefix, m->prefix_len);
			if (sodium_memcmp(h, m->prefix, sizeof(h)) != 0)
				break; /* another stream: stop reading ahead */
		}
	}
	if (r->hashed_to == m->offset && m->offset > 0) {
		struct source_mark now = { 0 };
		char last = r->start ? r->buf[r->start - 1] : 0;
		stream_mark_hashes(r, &r->h, m->offset, &now);
		match = (last == '\n' || (m->finished && r->gz_finished)) &&
			(!check || sodium_memcmp(now.prefix, m->prefix, SOURCE_HASH_LEN) == 0) &&
			(!check || sodium_memcmp(now.tail, m->tail, SOURCE_HASH_LEN) == 0) &&
			(!check || !m->have_whole || sodium_memcmp(now.whole, m->whole, SOURCE_HASH_LEN) == 0);
		if (match && m->finished && !r->gz_finished)
			match = 0;
	}
	if (match) {
		r->line = m->line;
		r->safe_off = m->offset;
		r->safe_line = m->line;
		if (st)
			st->skipped_bytes += m->offset;
		goto out;
	}
	/* not the same bytes: start over */
	hash_init(&r->h);
	r->hashed_to = 0;
	r->safe_snap_valid = false;
	if (r->gz) {
		r->produced = 0;
		r->eof = false;
		r->pos = 0;
		r->start = r->end = 0;
		e = gz_restart(r);
		goto out;
	}
	/* stdin: what was read so far is in the copy and the buffer: read
	 * the copy first, then the buffer's rest is read again from stdin's
	 * position (the buffer itself is dropped after being copied) */
	{
		size_t w = 0;
		while (w < r->end) {
			ssize_t k = pwrite(spool, r->buf + w, r->end - w, (off_t)spooled);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				e = rd_err(r, -errno, "%s: cannot write its temporary copy: %s", r->in->path,
					   strerror(errno));
				goto out;
			}
			w += (size_t)k;
			spooled += (uint64_t)k;
		}
	}
	r->pos = 0;
	r->start = r->end = 0;
	r->produced = 0;
	r->eof = false;
	r->spool_fd = spool;
	r->spool_len = spooled;
	r->spool_pos = 0;
	spool = -1;
out:
	if (spool >= 0)
		close(spool);
	return e < 0 ? e : match;
}

static int resume(struct source_reader *r, const struct source_mark *m, bool check, struct source_stats *st)
{
	int e;
	if (r->line || r->pos || r->prev_pending || r->resumed)
		return rd_err(r, -EINVAL, "%s: resume is asked once, before the first line", r->in->path);
	if (m->offset == 0)
		return 0;
	e = buffer_start(r, SOURCE_HEAD_MAX);
	if (e < 0)
		return e;
	if (!r->stream) {
		e = resume_file(r, m, check);
		if (e > 0) {
			r->line = m->line;
			r->safe_off = m->offset;
			r->safe_line = m->line;
			if (st)
				st->skipped_bytes += m->offset;
		}
		return e;
	}
	/* stdin cannot be read again: one try only (a gzip file can) */
	r->resumed = !r->gz;
	return resume_stream(r, m, check, st);
}

int source_resume(struct source_reader *r, const struct source_mark *m, struct source_stats *st)
{
	return resume(r, m, true, st);
}

int source_resume_unchecked(struct source_reader *r, uint64_t offset, uint64_t line, struct source_stats *st)
{
	struct source_mark m = { .offset = offset, .line = line };
	if (!r->regular || !r->own_fd)
		return 0; /* schema 2 kept cursors of files only */
	return resume(r, &m, false, st);
}

const char *source_peek(struct source_reader *r, size_t want, size_t *ret_n)
{
	if (r->line || r->pos || buffer_start(r, want) < 0) {
		*ret_n = 0;
		return NULL;
	}
	*ret_n = MIN(r->end, want);
	return r->buf;
}

int source_mark(struct source_reader *r, struct source_mark *ret)
{
	struct source_mark m = { 0 };
	if (r->prev_pending && r->prev_complete)
		consume_prev(r);
	m.offset = r->safe_off;
	m.line = r->safe_line;
	m.finished = r->gz && r->gz_finished && r->done && !r->prev_pending && r->safe_off == r->gz_limit;
	if (r->prev_pending && !r->prev_complete)
		m.finished = false;
	if (m.offset == 0) {
		*ret = m;
		return 0;
	}
	if (r->stream) {
		stream_mark_hashes(r, r->safe_snap_valid ? &r->snap : &r->h, m.offset, &m);
	} else {
		int e;
		m.prefix_len = (uint32_t)MIN(m.offset, (uint64_t)SOURCE_PREFIX_MAX);
		m.tail_len = (uint32_t)MIN(m.offset, (uint64_t)SOURCE_TAIL_MAX);
		e = pread_hash(r, 0, m.prefix_len, m.prefix);
		if (e == 0)
			e = rd_err(r, -EIO, "%s: shrank while it was read", r->in->path);
		if (e < 0)
			return e;
		e = pread_hash(r, m.offset - m.tail_len, m.tail_len, m.tail);
		if (e == 0)
			e = rd_err(r, -EIO, "%s: shrank while it was read", r->in->path);
		if (e < 0)
			return e;
	}
	*ret = m;
	return 0;
}
