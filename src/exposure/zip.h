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

/* Largest entry inflated (an OSV record is a few KB; a big one 1 MB). */
#define ZIP_ENTRY_MAX (64u << 20)

/* Opens the archive in the buffer (borrowed: it must outlive the zip).
 * Returns 0, or -EINVAL / -ENOMEM with *ret_err saying why. */
int zip_open_buffer(const void *buf, size_t len, struct zip **ret, char **ret_err);
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
