/* pack: see pack.h. */
#include "store/pack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pk_reserve(struct pk_buf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 32; /* most segments stay small */
	while (cap < b->n + more)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}


int pk_put_u64(struct pk_buf *b, uint64_t v)
{
	if (pk_reserve(b, 10) < 0)
		return -ENOMEM;
	pk_put_raw(b, v);
	return 0;
}

int pk_put_bytes(struct pk_buf *b, const void *p, size_t n)
{
	if (pk_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

int pk_put_addr(struct pk_buf *b, const struct addr *a)
{
	size_t n = a->family == ADDR_V4 ? 4 : a->family == ADDR_V6 ? 16 : 0;
	int r = pk_put_u64(b, a->family);
	return r < 0 ? r : pk_put_bytes(b, a->bytes, n);
}

int pk_get_addr(const uint8_t *p, size_t n, size_t *pos, struct addr *ret)
{
	uint64_t fam;
	if (pk_get_u64(p, n, pos, &fam) < 0)
		return -EBADMSG;
	size_t k = fam == ADDR_V4 ? 4 : fam == ADDR_V6 ? 16 : 0;
	if ((fam != ADDR_NONE && !k) || k > n - *pos)
		return -EBADMSG;
	*ret = (struct addr){ .family = (uint8_t)fam };
	memcpy(ret->bytes, p + *pos, k);
	*pos += k;
	return 0;
}

int pk_get_u64(const uint8_t *p, size_t n, size_t *pos, uint64_t *ret)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= n)
			return -EBADMSG;
		uint8_t c = p[(*pos)++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EBADMSG;
}

void pk_buf_free(struct pk_buf *b)
{
	free(b->p);
	*b = (struct pk_buf){ 0 };
}

/* the optional fields in mask order, as (bit, pointer to a signed id) */
#define ID_FIELDS(e)                                                                                     \
	{ PK_PROGRAM, &(e)->program }, { PK_USER, &(e)->user }, { PK_DETAIL, &(e)->detail },                 \
		{ PK_SOURCE_NAME, &(e)->source_name }, { PK_TARGET, &(e)->target },                          \
		{ PK_KEY_TYPE, &(e)->key_type }, { PK_KEY_FP, &(e)->key_fp }, { PK_TTY, &(e)->tty },          \
	{                                                                                                \
		PK_COMMAND, &(e)->command                                                                \
	}

int pk_put(struct pk_buf *b, struct pk_state *st, const struct pk_event *e)
{
	/* at most 24 varints of 10 bytes */
	if (pk_reserve(b, 240) < 0)
		return -ENOMEM;
	uint32_t mask = e->mask & PK_ALL;
	if (e->file != st->file)
		mask |= PK_FILE | PK_LINE;
	pk_put_raw(b, mask);
	pk_put_raw(b, pk_dt_code(e->time_us - st->time_us));
	b->p[b->n++] = (uint8_t)((e->kind & 31) | (e->method & 7) << 5);
	if (mask & PK_ACCT)
		b->p[b->n++] = e->acct;
	if (mask & PK_FLAGS)
		pk_put_raw(b, e->flags);
	if (mask & PK_PID)
		pk_put_raw(b, (uint64_t)(uint32_t)e->pid);
	if (mask & PK_PORT)
		pk_put_raw(b, e->port);
	if (mask & PK_SOURCE)
		pk_put_raw(b, pk_zigzag(e->source));
	const struct {
		uint32_t bit;
		const int64_t *v;
	} ids[] = { ID_FIELDS(e) };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (mask & ids[i].bit)
			pk_put_raw(b, (uint64_t)*ids[i].v);
	if (mask & PK_COUNT)
		pk_put_raw(b, e->count);
	if (mask & PK_ATTEMPTS)
		pk_put_raw(b, e->attempts);
	if (mask & PK_FILE)
		pk_put_raw(b, (uint64_t)e->file);
	if (mask & PK_LINE)
		pk_put_raw(b, pk_zigzag((int64_t)(e->line - st->line)));
	st->time_us = e->time_us;
	if (mask & PK_FILE)
		st->file = e->file;
	if (mask & PK_LINE)
		st->line = e->line;
	return 0;
}

int pk_get(const uint8_t *p, size_t n, size_t *pos, struct pk_state *st, struct pk_event *ret)
{
	struct pk_event e = { .pid = -1, .count = 1 };
	uint64_t v;
	size_t at = *pos;
#define GET(dst)                                       \
	do {                                           \
		if (pk_get_u64(p, n, &at, &v) < 0)     \
			return -EBADMSG;               \
		dst;                                   \
	} while (0)

	if (at >= n)
		return 0;
	GET(e.mask = (uint32_t)v);
	if (v > PK_ALL)
		return -EBADMSG; /* a field this moat does not know */
	GET(if (!pk_dt_apply(st->time_us, v, &e.time_us)) return -EBADMSG);
	if (at >= n)
		return -EBADMSG;
	e.kind = p[at] & 31;
	e.method = p[at++] >> 5;
	if (e.mask & PK_ACCT) {
		if (at >= n)
			return -EBADMSG;
		e.acct = p[at++];
	}
	if (e.mask & PK_FLAGS)
		GET(e.flags = (uint32_t)v);
	if (e.mask & PK_PID)
		GET(e.pid = (int32_t)(uint32_t)v);
	if (e.mask & PK_PORT)
		GET(e.port = (uint16_t)v);
	if (e.mask & PK_SOURCE)
		GET(e.source = pk_unzigzag(v));
	struct {
		uint32_t bit;
		int64_t *v;
	} ids[] = { ID_FIELDS(&e) };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (e.mask & ids[i].bit)
			GET(*ids[i].v = (int64_t)v);
	if (e.mask & PK_COUNT)
		GET(e.count = (uint32_t)v);
	if (e.mask & PK_ATTEMPTS)
		GET(e.attempts = (uint32_t)v);
	e.file = st->file;
	e.line = st->line;
	if (e.mask & PK_FILE)
		GET(e.file = (int64_t)v);
	if (e.mask & PK_LINE)
		GET(e.line = st->line + (uint64_t)pk_unzigzag(v));
#undef GET
	st->time_us = e.time_us;
	st->file = e.file;
	st->line = e.line;
	*pos = at;
	*ret = e;
	return 1;
}
