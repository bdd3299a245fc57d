/*
 * obuf: output built in a fixed buffer and handed to stdio in blocks.
 * A line per event is a dozen small pieces; written one stdio call each
 * (fprintf parses its format every time, fputc takes the stream's lock),
 * the pieces cost more than the scan that found the event.
 *
 *	struct obuf o;
 *	obuf_init(&o, stdout);
 *	obuf_puts(&o, "count=");
 *	obuf_u64(&o, n);
 *	obuf_flush(&o);		// before o goes out of scope
 *
 * Nothing is lost when the buffer fills: it is written out and reused.
 * Write errors are the stream's (ferror), as with stdio.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OBUF_SIZE 4096

struct obuf {
	FILE *f;
	size_t n; /* bytes held in b */
	char b[OBUF_SIZE];
};

static inline void obuf_init(struct obuf *o, FILE *f)
{
	o->f = f;
	o->n = 0;
}

/* Writes what is held to the stream. */
void obuf_flush(struct obuf *o);

/* Appends n bytes (any n: a long piece is written through; p may be NULL
 * when n is 0). */
void obuf_write(struct obuf *o, const void *p, size_t n);

static inline void obuf_putc(struct obuf *o, char c)
{
	if (o->n == OBUF_SIZE)
		obuf_flush(o);
	o->b[o->n++] = c;
}

static inline void obuf_puts(struct obuf *o, const char *s)
{
	obuf_write(o, s, strlen(s));
}

/* Decimal, as printf's PRIu64 / PRId64 write them. */
void obuf_u64(struct obuf *o, uint64_t v);
void obuf_i64(struct obuf *o, int64_t v);
