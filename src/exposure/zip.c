/*
 * zip: central-directory reader for OSV's all.zip (see zip.h). Every offset
 * and length read from the archive is checked against its size before use:
 * the archive comes from the network. The archive is read with pread (or
 * from a caller's buffer), never mapped: a file truncated under us is a
 * short read, reported, not a SIGBUS. Entries are inflated in chunks into a
 * buffer that grows with what actually comes out, never with what the
 * directory claims.
 */
#include "exposure/zip.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/macro.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_END64_LOCATOR 0x07064b50u

/* deflate cannot expand data by more than about 1032:1 */
#define DEFLATE_MAX_RATIO 1032u

#define CHUNK 65536
/* the central directory is read whole: 60,000 records take about 5 MB */
#define CD_MAX (256u << 20)

struct zip {
	const unsigned char *buf; /* a caller's buffer, or NULL: read fd */
	int fd;
	uint64_t len;
	uint64_t cd_offset, cd_size, entries;
	unsigned char *cd; /* the central directory */
};

/* Reads n bytes at off; -EIO when the archive ends before (truncated under us). */
static int read_at(const struct zip *z, uint64_t off, void *dst, size_t n)
{
	if (off > z->len || n > z->len - off)
		return -EIO;
	if (z->buf) {
		memcpy(dst, z->buf + off, n);
		return 0;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(z->fd, (char *)dst + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		got += (size_t)k;
	}
	return 0;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Is [off, off+n) inside the buffer? */
static bool within(const struct zip *z, uint64_t off, uint64_t n)
{
	return off <= z->len && n <= z->len - off;
}

static int fail(char **ret_err, const char *why)
{
	if (ret_err)
		*ret_err = strdup(why);
	return -EINVAL;
}

static int zip_open(struct zip *zp, struct zip **ret, char **ret_err)
{
	struct zip z = *zp;
	unsigned char tail[22 + 65535 + 20];
	size_t tn, end = SIZE_MAX;
	uint64_t tail_off;
	int r;

	if (z.len < 22)
		return fail(ret_err, "not a zip archive (too short)");
	/* the end record sits in the last 22 + 65535 (comment) bytes, a zip64 locator just before */
	tn = (size_t)MIN(z.len, (uint64_t)sizeof(tail));
	tail_off = z.len - tn;
	if ((r = read_at(&z, tail_off, tail, tn)) < 0)
		return fail(ret_err, "cannot read the end of the archive");
	for (size_t i = tn - 22 + 1; i-- > 0 && tn - i <= 22 + 65535;) {
		if (le32(tail + i) == SIG_END && i + 22 + le16(tail + i + 20) == tn) {
			end = i;
			break;
		}
	}
	if (end == SIZE_MAX)
		return fail(ret_err, "not a zip archive (no end of central directory)");
	const unsigned char *e = tail + end;
	if (le16(e + 4) != 0 || le16(e + 6) != 0)
		return fail(ret_err, "multi-disk zip archives are not supported");
	z.entries = le16(e + 10);
	z.cd_size = le32(e + 12);
	z.cd_offset = le32(e + 16);
	if (z.entries == 0xffff || z.cd_size == 0xffffffffu || z.cd_offset == 0xffffffffu) {
		/* ZIP64: a locator right before the end record points at the real one */
		unsigned char e64[56];
		uint64_t off;
		if (end < 20 || le32(tail + end - 20) != SIG_END64_LOCATOR)
			return fail(ret_err, "zip64 archive without a zip64 end locator");
		off = le64(tail + end - 20 + 8);
		if (read_at(&z, off, e64, sizeof(e64)) < 0 || le32(e64) != SIG_END64)
			return fail(ret_err, "zip64 end record out of range");
		z.entries = le64(e64 + 32);
		z.cd_size = le64(e64 + 40);
		z.cd_offset = le64(e64 + 48);
	}
	if (!within(&z, z.cd_offset, z.cd_size))
		return fail(ret_err, "central directory out of range (truncated download?)");
	if (z.entries > z.cd_size / 46)
		return fail(ret_err, "central directory too small for its entry count");
	if (z.cd_size > CD_MAX)
		return fail(ret_err, "central directory larger than 256 MB");
	z.cd = malloc(z.cd_size ? (size_t)z.cd_size : 1);
	if (!z.cd)
		return -ENOMEM;
	if (read_at(&z, z.cd_offset, z.cd, (size_t)z.cd_size) < 0) {
		free(z.cd);
		return fail(ret_err, "cannot read the central directory (truncated?)");
	}
	*ret = malloc(sizeof(**ret));
	if (!*ret) {
		free(z.cd);
		return -ENOMEM;
	}
	**ret = z;
	return 0;
}

int zip_open_buffer(const void *buf, size_t len, struct zip **ret, char **ret_err)
{
	struct zip z = { .buf = buf, .fd = -1, .len = len };
	return zip_open(&z, ret, ret_err);
}

int zip_open_fd(int fd, uint64_t size, struct zip **ret, char **ret_err)
{
	struct zip z = { .fd = fd, .len = size };
	return zip_open(&z, ret, ret_err);
}

struct zip *zip_free(struct zip *z)
{
	if (z)
		free(z->cd);
	free(z);
	return NULL;
}

size_t zip_count(const struct zip *z)
{
	return (size_t)z->entries;
}

/* Reads the ZIP64 extra field: each of usize, csize, offset is present only
 * when its 32-bit field was 0xffffffff. */
static bool zip64_extra(const unsigned char *extra, size_t n, uint64_t *usize, uint64_t *csize, uint64_t *offset)
{
	while (n >= 4) {
		uint16_t id = le16(extra), sz = le16(extra + 2);
		if ((size_t)sz + 4 > n)
			return false;
		if (id == 0x0001) {
			const unsigned char *p = extra + 4;
			size_t left = sz;
			uint64_t *fields[] = { usize, csize, offset };
			for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
				if (*fields[i] != 0xffffffffu)
					continue;
				if (left < 8)
					return false;
				*fields[i] = le64(p);
				p += 8;
				left -= 8;
			}
			return true;
		}
		extra += 4 + sz;
		n -= 4 + (size_t)sz;
	}
	return true;
}

/* Room for need bytes (+1 for the NUL) in *out, never past ZIP_ENTRY_MAX + 1. */
static int grow(unsigned char **out, size_t *cap, size_t need)
{
	if (need + 1 <= *cap)
		return 0;
	size_t nc = *cap ? *cap : CHUNK;
	while (nc < need + 1)
		nc *= 2;
	nc = MIN(nc, (size_t)ZIP_ENTRY_MAX + 1);
	if (nc < need + 1)
		return -EFBIG;
	unsigned char *no = realloc(*out, nc);
	if (!no)
		return -ENOMEM;
	*out = no;
	*cap = nc;
	return 0;
}

/* Reads an entry's csize bytes at off, inflating (method 8) or copying (0), into *out.
 * Returns NULL and *ret_n, or why it failed; *ret_errno gets -ENOMEM when that was the reason. */
static const char *read_entry(const struct zip *z, uint64_t off, uint64_t csize, uint64_t usize, int method,
			      unsigned char **out, size_t *cap, size_t *ret_n, int *ret_errno)
{
	unsigned char in[CHUNK];
	z_stream s = { 0 };
	size_t n = 0;
	uint64_t left = csize;
	const char *why = NULL;
	int zr = Z_OK;

	*ret_errno = 0;
	if (grow(out, cap, 0) < 0) { /* room for the NUL of an empty entry too */
		*ret_errno = -ENOMEM;
		return "out of memory";
	}
	if (method == 8 && inflateInit2(&s, -MAX_WBITS) != Z_OK) {
		*ret_errno = -ENOMEM;
		return "out of memory";
	}
	while (!why && (method == 0 ? left > 0 : zr != Z_STREAM_END)) {
		size_t k = (size_t)MIN(left, (uint64_t)sizeof(in));
		if (k && read_at(z, off, in, k) < 0) {
			why = "data out of range (truncated archive?)";
			break;
		}
		off += k;
		left -= k;
		if (method == 0) {
			int g = grow(out, cap, n + k);
			if (g < 0) {
				*ret_errno = g == -ENOMEM ? g : 0;
				why = g == -ENOMEM ? "out of memory" : "entry larger than 4 MB";
				break;
			}
			memcpy(*out + n, in, k);
			n += k;
			continue;
		}
		s.next_in = in;
		s.avail_in = (uInt)k;
		do {
			int g = grow(out, cap, n + CHUNK);
			if (g == -ENOMEM) {
				*ret_errno = g;
				why = "out of memory";
				break;
			}
			size_t room = *cap - 1 - n;
			if (room == 0) {
				why = "entry larger than 4 MB";
				break;
			}
			s.next_out = *out + n;
			s.avail_out = (uInt)room;
			zr = inflate(&s, Z_NO_FLUSH);
			n = (size_t)s.total_out;
			if (zr == Z_STREAM_END)
				break;
			if (zr != Z_OK && zr != Z_BUF_ERROR) {
				why = "corrupt deflate data";
				break;
			}
			if (n > usize) {
				why = "size differs from the directory";
				break;
			}
		} while (s.avail_in > 0 || s.avail_out == 0);
		if (!why && zr != Z_STREAM_END && left == 0 && s.avail_in == 0)
			why = "corrupt deflate data (stream ends early)";
	}
	if (method == 8)
		inflateEnd(&s);
	if (!why && n != usize)
		why = "size differs from the directory";
	*ret_n = n;
	return why;
}

int zip_foreach(struct zip *z, int (*fn)(void *ud, const char *name, const char *data, size_t len),
		void (*bad)(void *ud, const char *name, const char *why), void *ud)
{
	uint64_t pos = 0, end = z->cd_size;
	unsigned char *out = NULL;
	size_t out_cap = 0;
	/* entries may share compressed data: bound the total work to the file size */
	uint64_t inflated = 0, budget = z->len * 1100 + ZIP_ENTRY_MAX;
	char name[512];
	int ret = 0;

	for (uint64_t i = 0; i < z->entries; i++) {
		const unsigned char *h;
		unsigned char lh[30];
		uint64_t csize, usize, loff, doff = 0;
		uint16_t flags, method, nlen, xlen, clen;
		const char *why = NULL;

		if (pos + 46 > end || le32(z->cd + pos) != SIG_CENTRAL) {
			if (bad)
				bad(ud, "(central directory)", "damaged entry header; rest of archive skipped");
			break;
		}
		h = z->cd + pos;
		flags = le16(h + 8);
		method = le16(h + 10);
		csize = le32(h + 20);
		usize = le32(h + 24);
		nlen = le16(h + 28);
		xlen = le16(h + 30);
		clen = le16(h + 32);
		loff = le32(h + 42);
		if (pos + 46 + nlen + xlen + clen > end) {
			if (bad)
				bad(ud, "(central directory)", "entry runs past the directory; rest skipped");
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)MIN(nlen, sizeof(name) - 1), (const char *)h + 46);
		for (char *c = name; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		pos += 46 + (uint64_t)nlen + xlen + clen;

		if (nlen && h[46 + nlen - 1] == '/')
			continue; /* a directory */
		if (!zip64_extra(h + 46 + nlen, xlen, &usize, &csize, &loff))
			why = "damaged zip64 extra field";
		else if (flags & 1)
			why = "encrypted";
		else if (method != 0 && method != 8)
			why = "compression method not supported";
		else if (usize > ZIP_ENTRY_MAX)
			why = "entry larger than 4 MB";
		else if (method == 0 && csize != usize)
			why = "stored entry with differing sizes";
		else if (method == 8 && usize > csize * DEFLATE_MAX_RATIO + 1024)
			why = "claims more than deflate can expand to";
		else if (inflated + usize > budget)
			why = "archive inflates to over 1100 times its size (entries sharing data?); rest refused";
		else if (read_at(z, loff, lh, sizeof(lh)) < 0 || le32(lh) != SIG_LOCAL)
			why = "local header missing";
		else {
			doff = loff + 30 + le16(lh + 26) + le16(lh + 28);
			if (!within(z, doff, csize))
				why = "data out of range (truncated archive?)";
		}
		if (!why) {
			size_t n = 0;
			int e = 0;
			inflated += usize;
			why = read_entry(z, doff, csize, usize, method, &out, &out_cap, &n, &e);
			if (e == -ENOMEM) {
				ret = e;
				break;
			}
			if (!why && crc32(0L, out, (uInt)usize) != le32(h + 16))
				why = "CRC mismatch";
		}
		if (why) {
			if (bad)
				bad(ud, name, why);
			continue;
		}
		out[usize] = '\0';
		ret = fn(ud, name, (const char *)out, (size_t)usize);
		if (ret < 0)
			break;
		ret = 0;
	}
	free(out);
	return ret;
}
