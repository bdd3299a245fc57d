/*
 * zip: a minimal reader of ZIP archives, enough for OSV's all.zip: the
 * central directory (with ZIP64 end records, since an ecosystem can hold
 * more than 65,535 records), stored and deflated entries (zlib raw inflate),
 * CRC-32 checked. Encrypted entries, multi-disk archives and other methods
 * are reported, not read.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct zip;

/* Largest entry inflated: an OSV record is a few KB, and what the JSON
 * parser makes of a record is some tens of times its size, so the bound on
 * a record is the bound on memory. */
#define ZIP_ENTRY_MAX (4u << 20)

/* Opens the archive in the buffer (borrowed: it must outlive the zip).
 * Returns 0, or -EINVAL / -ENOMEM with *ret_err saying why. */
int zip_open_buffer(const void *buf, size_t len, struct zip **ret, char **ret_err);

/* The same over a descriptor of size bytes, read with pread (borrowed: it
 * must stay open while the zip lives). Memory: the central directory, plus
 * one entry at a time while visiting. */
int zip_open_fd(int fd, uint64_t size, struct zip **ret, char **ret_err);
struct zip *zip_free(struct zip *z);
static inline void zip_freep(struct zip **z)
{
	zip_free(*z);
}

size_t zip_count(const struct zip *z);

/* Visits every file entry (directories skipped) in directory order:
 * fn(ud, name, data, len) with data valid during the call. A damaged entry
 * calls bad(ud, name, why) and the walk goes on. fn returning < 0 stops
 * the walk with that value. Returns 0 or the first negative value. */
int zip_foreach(struct zip *z, int (*fn)(void *ud, const char *name, const char *data, size_t len),
		void (*bad)(void *ud, const char *name, const char *why), void *ud);
