/*
 * source_read: one input, plain or gzip, split into lines.
 *
 * One buffer per call, no allocation per line: blocks of READ_CHUNK bytes
 * are read (or inflated) behind the unfinished tail of the previous block,
 * lines are found with memchr and lent to the callback in place. The tail
 * moved to the front before each read is at most SOURCE_LINE_MAX bytes: a
 * longer line is delivered cut there and the rest of it is skipped.
 *
 * Gzip is recognised by its magic bytes (also on stdin); concatenated
 * members are read one after the other (as gzip -d does), bytes after the
 * last member that are not another member are ignored (gzip(1) warns
 * "trailing garbage ignored" and so do we, silently).
 */
#include "source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/macro.h"
#include "source/source-internal.h"
#include "store/store.h"

#define READ_CHUNK (1024 * 1024)
#define GZ_READ_CHUNK (256 * 1024)
#define BUF_CAP (READ_CHUNK + SOURCE_LINE_MAX + 1)
#define PROGRESS_STEP (64 * 1024)
#define FP_STRLEN 48

struct reader {
	const struct source_input *in;
	const struct source_opts *opts;
	int fd;
	bool own_fd;
	bool regular; /* a regular file: seekable, has a size */
	bool started; /* the first bytes were looked at for the gzip magic */
	bool gz;
	bool eof; /* the decompressed stream ended */
	bool raw_eof; /* read(2) returned 0 */
	bool member_end; /* between two gzip members */
	bool z_init;
	z_stream z;
	unsigned char *zin; /* READ_CHUNK bytes of compressed input */
	uint64_t raw_off; /* bytes read from fd (on-disk position) */
	uint64_t progress_off; /* raw_off at the last progress call */
	int z_err; /* an error found after inflating bytes still to deliver */
	char **ret_err;
};

_printf_(3, 4) static int rd_err(struct reader *r, int e, const char *fmt, ...)
{
	va_list ap;
	if (!r->ret_err || *r->ret_err)
		return e;
	va_start(ap, fmt);
	if (vasprintf(r->ret_err, fmt, ap) < 0)
		*r->ret_err = NULL;
	va_end(ap);
	return e;
}

static void progress(struct reader *r, bool force)
{
	if (!r->opts->on_progress)
		return;
	if (!force && r->raw_off - r->progress_off < PROGRESS_STEP)
		return;
	r->progress_off = r->raw_off;
	r->opts->on_progress(r->opts->userdata, r->in, r->raw_off);
}

/* read(2) with EINTR/EAGAIN handled. Bytes read, 0 at end, or -errno. */
static ssize_t raw_read(struct reader *r, void *dst, size_t cap)
{
	ssize_t k;
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
	progress(r, false);
	return k;
}

static bool gz_magic(const unsigned char *p)
{
	return p[0] == 0x1f && p[1] == 0x8b;
}

static int gz_start(struct reader *r, const void *first, size_t n)
{
	if (!r->zin) {
		r->zin = malloc(READ_CHUNK);
		if (!r->zin)
			return -ENOMEM;
	}
	r->z = (z_stream){ 0 };
	if (inflateInit2(&r->z, 15 + 16) != Z_OK) /* gzip wrapper only */
		return rd_err(r, -ENOMEM, "%s: cannot start zlib", r->in->path);
	r->z_init = true;
	r->gz = true;
	memcpy(r->zin, first, n);
	r->z.next_in = r->zin;
	r->z.avail_in = (uInt)n;
	return 0;
}

/* Compressed offset of the first byte inflate has not consumed. */
static uint64_t gz_pos(const struct reader *r)
{
	return r->raw_off - r->z.avail_in;
}

static ssize_t gz_fill(struct reader *r, char *dst, size_t cap)
{
	if (r->z_err)
		return r->z_err;
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
			if (r->z.avail_in < 2 || !gz_magic(r->z.next_in)) {
				r->eof = true; /* end, or trailing garbage */
				return 0;
			}
			if (inflateReset(&r->z) != Z_OK)
				return rd_err(r, -EIO, "%s: zlib reset failed", r->in->path);
			r->member_end = false;
		}
		r->z.next_out = (unsigned char *)dst;
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
				return rd_err(r, -EBADMSG,
					      "%s: gzip data ends early at byte %" PRIu64
					      " (the file is truncated); the complete lines before that were read",
					      r->in->path, gz_pos(r));
			break;
		case Z_MEM_ERROR:
			return -ENOMEM;
		default:
			/* what was inflated before the damage (e.g. a whole member
			 * with a bad CRC) is delivered first */
			r->z_err = rd_err(r, -EBADMSG,
					  "%s: corrupt gzip data at byte %" PRIu64
					  " (%s); the complete lines before that were read",
					  r->in->path, gz_pos(r), r->z.msg ? r->z.msg : "invalid data");
			if (!got)
				return r->z_err;
		}
		if (got)
			return (ssize_t)got;
	}
}

/* Produces decompressed bytes into dst: how many, 0 at the end, or -errno
 * with the message set. */
static ssize_t fill(struct reader *r, char *dst, size_t cap)
{
	ssize_t k;
	if (r->eof)
		return 0;
	if (!r->started) {
		/* look at the first two bytes: gzip or not */
		size_t n = 0;
		cap = MIN(cap, (size_t)READ_CHUNK);
		while (n < 2) {
			k = raw_read(r, dst + n, cap - n);
			if (k < 0)
				return k;
			if (k == 0)
				break;
			n += (size_t)k;
		}
		r->started = true;
		if (n >= 2 && gz_magic((const unsigned char *)dst)) {
			int e = gz_start(r, dst, n);
			if (e < 0)
				return e;
			return gz_fill(r, dst, cap);
		}
		if (n == 0)
			r->eof = true;
		return (ssize_t)n;
	}
	if (r->gz)
		return gz_fill(r, dst, cap);
	k = raw_read(r, dst, MIN(cap, (size_t)READ_CHUNK));
	if (k == 0)
		r->eof = true;
	return k;
}

static void reader_end_gz(struct reader *r)
{
	if (r->z_init)
		inflateEnd(&r->z);
	r->z_init = false;
	r->gz = false;
	r->member_end = false;
}

/* Back to the start of a regular file. */
static int reader_rewind(struct reader *r)
{
	if (lseek(r->fd, 0, SEEK_SET) < 0)
		return rd_err(r, -errno, "%s: cannot seek: %s", r->in->path, strerror(errno));
	reader_end_gz(r);
	r->z_err = 0;
	r->started = r->eof = r->raw_eof = false;
	r->raw_off = 0;
	return 0;
}

/* 64-bit FNV-1a with a murmur3 finaliser. */
/* The fingerprint stored in the cursors table: its own fixed function
 * (FNV-1a, murmur3's finaliser), not core/hash.h's, whose values may change
 * between versions; changing it would make every stored cursor unknown. */
static uint64_t hash64(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static void fp_format(char out[static FP_STRLEN], const char *p, size_t n)
{
	(void)snprintf(out, FP_STRLEN, "v1:%016" PRIx64 ":%zu", hash64(p, n), n);
}

#if defined(__SSE2__)
/* Bit i set: p[i] is '\n', for i < 64 (four SSE2 compares). */
static inline uint64_t nl_mask64(const char *p)
{
	const __m128i nl = _mm_set1_epi8('\n');
	uint64_t m0 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), nl));
	uint64_t m1 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), nl));
	uint64_t m2 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), nl));
	uint64_t m3 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), nl));
	return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#endif

/* The first '\n' in [p, e), or NULL. Log lines are mostly shorter than
 * 128 bytes: where 128 bytes remain, two 64-byte masks answer without a
 * call (memchr's set-up costs as much as the search on such lines). */
static inline char *find_nl(char *p, char *e)
{
#if defined(__SSE2__)
	if (e - p >= 128) {
		uint64_t m = nl_mask64(p);
		if (m)
			return p + __builtin_ctzll(m);
		m = nl_mask64(p + 64);
		if (m)
			return p + 64 + __builtin_ctzll(m);
		p += 128;
	}
#endif
	return memchr(p, '\n', (size_t)(e - p));
}

/* The line buffer: buf[start, end) is not yet delivered; buf[0] is byte
 * pos of the decompressed stream. */
struct lines {
	char *buf;
	size_t start, end;
	uint64_t pos;
};

/* Positions the stream at a cursor offset, if the cursor holds: the stream
 * is at least off long and byte off-1 is '\n' (or the stream ends at off).
 * 1 positioned, 0 the cursor does not hold (the caller rewinds), < 0 error. */
static int seek_cursor(struct reader *r, struct lines *L, uint64_t off)
{
	ssize_t k;
	if (!r->gz && off - 1 >= L->pos + L->end) {
		struct stat st;
		if (fstat(r->fd, &st) < 0)
			return rd_err(r, -errno, "%s: %s", r->in->path, strerror(errno));
		if ((uint64_t)st.st_size < off)
			return 0;
		if (lseek(r->fd, (off_t)(off - 1), SEEK_SET) < 0)
			return rd_err(r, -errno, "%s: cannot seek: %s", r->in->path, strerror(errno));
		r->raw_off = off - 1;
		r->eof = r->raw_eof = false;
		L->pos = off - 1;
		L->start = L->end = 0;
	}
	while (L->pos + L->end < off) {
		/* discard what is buffered (gzip: inflate up to the cursor) */
		L->pos += L->end;
		L->start = L->end = 0;
		k = fill(r, L->buf, BUF_CAP);
		if (k < 0)
			return (int)k;
		if (k == 0)
			return 0; /* shorter than the cursor */
		L->end = (size_t)k;
	}
	if (L->buf[off - 1 - L->pos] != '\n') {
		/* fine only when the stream ends right there (a last line
		 * without '\n' in a finished gzip file) */
		if (L->pos + L->end > off)
			return 0;
		k = fill(r, L->buf + L->end, BUF_CAP - L->end);
		if (k != 0)
			return k < 0 ? (int)k : 0;
	}
	L->start = (size_t)(off - L->pos);
	return 1;
}

int source_read(const struct source_input *in, const struct source_opts *opts, struct source_stats *stats,
		char **ret_err)
{
	struct reader r = { .in = in, .opts = opts, .fd = -1, .ret_err = ret_err };
	struct lines L = { 0 };
	struct stat st;
	bool use_cursor, have_fp = false, have_cursor = false, fp_moved = false, skipping = false;
	char fp[FP_STRLEN], fp_short[FP_STRLEN];
	uint64_t base_off = 0, line = 0, done_off = 0, done_line = 0, cur_off = 0, cur_line = 0;
	int ret = 0, rc;
	ssize_t k;

	if (strcmp(in->path, "-") == 0) {
		r.fd = STDIN_FILENO;
	} else {
		r.fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (r.fd < 0)
			return source_path_err(ret_err, -errno, in->path);
		r.own_fd = true;
	}
	if (fstat(r.fd, &st) < 0) {
		ret = source_path_err(ret_err, -errno, in->path);
		goto out;
	}
	r.regular = S_ISREG(st.st_mode);
	if (r.regular)
		(void)posix_fadvise(r.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	use_cursor = opts->store && r.own_fd && r.regular;

	L.buf = malloc(BUF_CAP);
	if (!L.buf) {
		ret = -ENOMEM;
		goto out;
	}

	if (use_cursor) {
		/* fingerprint: the first SOURCE_FP_LEN bytes, or the first line
		 * of a shorter stream */
		while (L.end < SOURCE_FP_LEN) {
			k = fill(&r, L.buf + L.end, BUF_CAP - L.end);
			if (k < 0) {
				ret = (int)k;
				goto out;
			}
			if (k == 0)
				break;
			L.end += (size_t)k;
		}
		const char *nl = memchr(L.buf, '\n', MIN(L.end, (size_t)SOURCE_FP_LEN - 1));
		bool have_short = nl != NULL;
		if (have_short)
			fp_format(fp_short, L.buf, (size_t)(nl - L.buf) + 1);
		if (L.end >= SOURCE_FP_LEN) {
			fp_format(fp, L.buf, SOURCE_FP_LEN);
			have_fp = true;
		} else if (have_short) {
			memcpy(fp, fp_short, sizeof(fp));
			have_fp = true;
		}
		if (have_fp) {
			rc = store_cursor_get(opts->store, fp, &cur_off, &cur_line);
			if (rc == 0 && have_short && strcmp(fp, fp_short) != 0) {
				/* grown past SOURCE_FP_LEN since: the first-line form */
				rc = store_cursor_get(opts->store, fp_short, &cur_off, &cur_line);
				fp_moved = rc > 0;
			}
			if (rc < 0) {
				ret = rd_err(&r, rc, "%s: cannot look up the read cursor: %s", in->path, strerror(-rc));
				goto out;
			}
			have_cursor = rc > 0 && cur_off > 0;
		}
		if (have_cursor) {
			rc = seek_cursor(&r, &L, cur_off);
			if (rc < 0) {
				ret = rc;
				goto out;
			}
			if (rc > 0) {
				base_off = done_off = cur_off;
				line = done_line = cur_line;
				stats->skipped_bytes += cur_off;
			} else {
				/* copytruncate, or another file: from the start */
				have_cursor = false;
				ret = reader_rewind(&r);
				if (ret < 0)
					goto out;
				L.pos = 0;
				L.start = L.end = 0;
			}
		}
	}

	for (;;) {
		while (L.start < L.end) {
			char *p = L.buf + L.start;
			char *nl = find_nl(p, L.buf + L.end);
			if (!nl)
				break;
			size_t len = (size_t)(nl - p);
			rc = 0;
			if (skipping) {
				skipping = false;
			} else {
				uint32_t flags = 0;
				if (_unlikely_(len > SOURCE_LINE_MAX)) {
					len = SOURCE_LINE_MAX;
					flags = EVF_TRUNCATED;
					stats->truncated_lines++;
				}
				struct origin o = { .file = in->path, .line = ++line, .offset = L.pos + L.start };
				stats->lines++;
				rc = opts->on_line(opts->userdata, p, len, flags, &o);
			}
			L.start = (size_t)(nl - L.buf) + 1;
			done_off = L.pos + L.start;
			done_line = line;
			if (rc < 0) {
				ret = rd_err(&r, rc, "%s: reading stopped at line %" PRIu64 ": %s", in->path, line,
					     strerror(-rc));
				goto done;
			}
		}
		size_t rem = L.end - L.start;
		if (skipping) {
			L.start = L.end;
			rem = 0;
		} else if (rem > SOURCE_LINE_MAX) {
			/* an overlong line: deliver its start, skip the rest */
			struct origin o = { .file = in->path, .line = ++line, .offset = L.pos + L.start };
			stats->lines++;
			stats->truncated_lines++;
			rc = opts->on_line(opts->userdata, L.buf + L.start, SOURCE_LINE_MAX, EVF_TRUNCATED, &o);
			skipping = true;
			L.start = L.end;
			rem = 0;
			if (rc < 0) {
				ret = rd_err(&r, rc, "%s: reading stopped at line %" PRIu64 ": %s", in->path, line,
					     strerror(-rc));
				goto done;
			}
		}
		if (opts->on_release)
			opts->on_release(opts->userdata);
		if (L.start) {
			memmove(L.buf, L.buf + L.start, rem);
			L.pos += L.start;
			L.start = 0;
			L.end = rem;
		}
		k = fill(&r, L.buf + L.end, BUF_CAP - L.end);
		if (k < 0) {
			ret = (int)k;
			goto done;
		}
		if (k == 0)
			break;
		L.end += (size_t)k;
	}

	/* the end: a last line without '\n' is still a line */
	if (L.end > L.start && !skipping) {
		struct origin o = { .file = in->path, .line = ++line, .offset = L.pos + L.start };
		stats->lines++;
		rc = opts->on_line(opts->userdata, L.buf + L.start, L.end - L.start, 0, &o);
		if (rc < 0)
			ret = rd_err(&r, rc, "%s: reading stopped at line %" PRIu64 ": %s", in->path, line,
				     strerror(-rc));
	}
	L.start = L.end;
	if (r.gz) {
		/* a gzip file is finished: nothing will be appended to its
		 * last line */
		done_off = L.pos + L.end;
		done_line = line;
	}

done:
	stats->bytes += L.pos + L.start - base_off;
	if (have_fp && (!have_cursor || fp_moved || done_off != cur_off || done_line != cur_line) &&
	    done_off > 0) {
		rc = store_cursor_put(opts->store, fp, in->path, done_off, done_line);
		if (rc < 0 && ret >= 0)
			ret = rd_err(&r, rc, "%s: cannot save the read cursor: %s", in->path, strerror(-rc));
	}
	progress(&r, true);
out:
	if (opts->on_release)
		opts->on_release(opts->userdata);
	reader_end_gz(&r);
	free(r.zin);
	free(L.buf);
	if (r.own_fd)
		close(r.fd);
	return ret < 0 ? ret : 0;
}
