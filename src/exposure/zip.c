/*
 * zip: central-directory reader for OSV's all.zip (see zip.h). Every offset
 * and length read from the archive is checked against the buffer before use:
 * the archive comes from the network.
 */
#include "exposure/zip.h"

#include <errno.h>
#include <stdbool.h>
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

struct zip {
	const unsigned char *buf;
	size_t len;
	uint64_t cd_offset, cd_size, entries;
};

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

int zip_open_buffer(const void *buf, size_t len, struct zip **ret, char **ret_err)
{
	struct zip z = { .buf = buf, .len = len };
	const unsigned char *end = NULL;

	if (len < 22)
		return fail(ret_err, "not a zip archive (too short)");
	/* the end record sits in the last 22 + 65535 (comment) bytes */
	for (size_t i = len - 22 + 1; i-- > 0 && len - i <= 22 + 65535;) {
		if (le32(z.buf + i) == SIG_END && i + 22 + le16(z.buf + i + 20) == len) {
			end = z.buf + i;
			break;
		}
	}
	if (!end)
		return fail(ret_err, "not a zip archive (no end of central directory)");
	if (le16(end + 4) != 0 || le16(end + 6) != 0)
		return fail(ret_err, "multi-disk zip archives are not supported");
	z.entries = le16(end + 10);
	z.cd_size = le32(end + 12);
	z.cd_offset = le32(end + 16);
	if (z.entries == 0xffff || z.cd_size == 0xffffffffu || z.cd_offset == 0xffffffffu) {
		/* ZIP64: a locator right before the end record points at the real one */
		size_t at = (size_t)(end - z.buf);
		const unsigned char *loc, *e64;
		uint64_t off;
		if (at < 20 || le32(z.buf + at - 20) != SIG_END64_LOCATOR)
			return fail(ret_err, "zip64 archive without a zip64 end locator");
		loc = z.buf + at - 20;
		off = le64(loc + 8);
		if (!within(&z, off, 56) || le32(z.buf + off) != SIG_END64)
			return fail(ret_err, "zip64 end record out of range");
		e64 = z.buf + off;
		z.entries = le64(e64 + 32);
		z.cd_size = le64(e64 + 40);
		z.cd_offset = le64(e64 + 48);
	}
	if (!within(&z, z.cd_offset, z.cd_size))
		return fail(ret_err, "central directory out of range (truncated download?)");
	if (z.entries > z.cd_size / 46)
		return fail(ret_err, "central directory too small for its entry count");
	*ret = malloc(sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	**ret = z;
	return 0;
}

struct zip *zip_free(struct zip *z)
{
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

static const char *inflate_entry(const unsigned char *src, uint64_t csize, unsigned char *dst, uint64_t usize)
{
	z_stream s = { 0 };
	int r;
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
		return "out of memory";
	s.next_in = (unsigned char *)src;
	s.avail_in = (uInt)csize;
	s.next_out = dst;
	s.avail_out = (uInt)usize;
	r = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	if (r != Z_STREAM_END)
		return "corrupt deflate data";
	if (s.total_out != usize)
		return "size differs from the directory";
	return NULL;
}

int zip_foreach(struct zip *z, int (*fn)(void *ud, const char *name, const char *data, size_t len),
		void (*bad)(void *ud, const char *name, const char *why), void *ud)
{
	uint64_t pos = z->cd_offset, end = z->cd_offset + z->cd_size;
	unsigned char *out = NULL;
	size_t out_cap = 0;
	/* entries may share compressed data: bound the total work to the file size */
	uint64_t inflated = 0, budget = (uint64_t)z->len * 1100 + ZIP_ENTRY_MAX;
	char name[512];
	int ret = 0;

	for (uint64_t i = 0; i < z->entries; i++) {
		const unsigned char *h;
		uint64_t csize, usize, loff;
		uint16_t flags, method, nlen, xlen, clen;
		const char *why = NULL;
		const unsigned char *data = NULL;

		if (pos + 46 > end || le32(z->buf + pos) != SIG_CENTRAL) {
			if (bad)
				bad(ud, "(central directory)", "damaged entry header; rest of archive skipped");
			break;
		}
		h = z->buf + pos;
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
			why = "entry larger than 64 MB";
		else if (method == 0 && csize != usize)
			why = "stored entry with differing sizes";
		else if (method == 8 && usize > csize * DEFLATE_MAX_RATIO + 1024)
			why = "claims more than deflate can expand to";
		else if (inflated + usize > budget)
			why = "archive inflates to over 1100 times its size (entries sharing data?); rest refused";
		else if (!within(z, loff, 30) || le32(z->buf + loff) != SIG_LOCAL)
			why = "local header missing";
		else {
			uint64_t doff = loff + 30 + le16(z->buf + loff + 26) + le16(z->buf + loff + 28);
			if (!within(z, doff, csize))
				why = "data out of range (truncated archive?)";
			else
				data = z->buf + doff;
		}
		if (!why) {
			if (usize + 1 > out_cap) {
				size_t nc = (size_t)usize + 1;
				unsigned char *no = realloc(out, nc < 65536 ? 65536 : nc);
				if (!no) {
					ret = -ENOMEM;
					break;
				}
				out = no;
				out_cap = nc < 65536 ? 65536 : nc;
			}
			if (method == 0)
				memcpy(out, data, (size_t)usize);
			else
				why = inflate_entry(data, csize, out, usize);
			inflated += usize;
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
