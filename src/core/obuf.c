#include "core/obuf.h"

void obuf_flush(struct obuf *o)
{
	if (o->n)
		(void)fwrite(o->b, 1, o->n, o->f);
	o->n = 0;
}

void obuf_write(struct obuf *o, const void *p, size_t n)
{
	if (n == 0)
		return; /* p may be NULL (an empty view): memcpy must not see it */
	if (n > OBUF_SIZE - o->n) {
		obuf_flush(o);
		if (n > OBUF_SIZE) {
			(void)fwrite(p, 1, n, o->f);
			return;
		}
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

void obuf_u64(struct obuf *o, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	obuf_write(o, d + i, sizeof(d) - i);
}

void obuf_i64(struct obuf *o, int64_t v)
{
	if (v < 0) {
		obuf_putc(o, '-');
		/* -(INT64_MIN) does not fit: negate as unsigned */
		obuf_u64(o, (uint64_t)0 - (uint64_t)v);
		return;
	}
	obuf_u64(o, (uint64_t)v);
}
