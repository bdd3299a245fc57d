/*
 * pack: events as the store keeps them inside a segment's data: one record
 * after the other, each a mask of the fields present, the time as a delta
 * from the record before (in seconds when it is whole seconds, as syslog's
 * are), kind and method in one byte, then the fields as varints (LEB128) —
 * lines as deltas too, text as names ids. Small integers, no padding, no
 * field repeated that the segment's key already says (its host and user).
 * Noise blocks pack their records their own way (noise.c) and use the
 * varints, pk_event and the time deltas from here. Never included outside
 * src/store/.
 *
 * The format is on disk: fields may be added at the end of the mask, never
 * renumbered. A record this moat cannot read (a mask bit it does not know,
 * a value that runs past the data) ends the decoding of its segment with
 * -EBADMSG: the records before it are still answered.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

/* Mask bits (the low seven: the commonest fields, a one-byte mask). */
enum {
	PK_FLAGS = 1u << 0,
	PK_PROGRAM = 1u << 1,
	PK_USER = 1u << 2,
	PK_DETAIL = 1u << 3,
	PK_COUNT = 1u << 4,
	PK_ATTEMPTS = 1u << 5,
	PK_SOURCE_NAME = 1u << 6,
	PK_PID = 1u << 7,
	PK_PORT = 1u << 8,
	PK_SOURCE = 1u << 9,
	PK_TARGET = 1u << 10,
	PK_KEY_TYPE = 1u << 11,
	PK_KEY_FP = 1u << 12,
	PK_TTY = 1u << 13,
	PK_COMMAND = 1u << 14,
	PK_ACCT = 1u << 15,
	PK_FILE = 1u << 16, /* the file changed (a line number follows too) */
	PK_LINE = 1u << 17,
	PK_ALL = (1u << 18) - 1,
};

/* One record, decoded: ids are names ids (0: none), source is the store's
 * source key (see events.c), times and lines absolute. */
struct pk_event {
	uint32_t mask;
	int64_t time_us;
	uint8_t kind, method, acct;
	uint32_t flags;
	int32_t pid; /* -1 when absent */
	int64_t program, user, target, source, source_name, key_type, key_fp, tty, command, detail;
	uint16_t port;
	uint32_t count, attempts;
	int64_t file; /* files id */
	uint64_t line;
};

/* Where a decoder or encoder is in a segment: the record before's time,
 * file and line. */
struct pk_state {
	int64_t time_us;
	int64_t file;
	uint64_t line;
};

/* A growable byte buffer (the segment's data). */
struct pk_buf {
	uint8_t *p;
	size_t n, cap;
};

/* Appends e (the fields its mask names, plus kind and time) to b; the
 * state moves on. 0 or -ENOMEM. */
int pk_put(struct pk_buf *b, struct pk_state *st, const struct pk_event *e);
/* Decodes the record at *pos of p[0, n): 1 and *ret (and *pos, st moved
 * on), 0 at the end, -EBADMSG for a record that cannot be read. */
int pk_get(const uint8_t *p, size_t n, size_t *pos, struct pk_state *st, struct pk_event *ret);

/* Varints, for the segments' other packed columns. */
int pk_put_u64(struct pk_buf *b, uint64_t v);
/* Makes room for more bytes: 0 or -ENOMEM. */
int pk_reserve(struct pk_buf *b, size_t more);
/* A varint into room made by pk_reserve (at most 10 bytes). */
static inline void pk_put_raw(struct pk_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->p[b->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->n++] = (uint8_t)v;
}
int pk_get_u64(const uint8_t *p, size_t n, size_t *pos, uint64_t *ret);
int pk_put_bytes(struct pk_buf *b, const void *p, size_t n);
/* An address: its family as a varint, then its 0, 4 or 16 bytes. */
int pk_put_addr(struct pk_buf *b, const struct addr *a);
int pk_get_addr(const uint8_t *p, size_t n, size_t *pos, struct addr *ret);
static inline uint64_t pk_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t pk_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}
void pk_buf_free(struct pk_buf *b);

/* A time delta: whole seconds as (zigzag(s) << 1), else (zigzag(us) << 1 | 1). */
static inline uint64_t pk_dt_code(int64_t d)
{
	if (d % 1000000 == 0)
		return pk_zigzag(d / 1000000) << 1;
	return pk_zigzag(d) << 1 | 1;
}

/* base plus the delta code v in *ret; false when it does not fit (only
 * damaged data says so: a decoder then stops with -EBADMSG). */
static inline bool pk_dt_apply(int64_t base, uint64_t v, int64_t *ret)
{
	int64_t d = pk_unzigzag(v >> 1);
	if (!(v & 1) && __builtin_mul_overflow(d, 1000000, &d))
		return false;
	return !__builtin_add_overflow(base, d, ret);
}
