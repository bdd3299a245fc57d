/*
 * fuzz-header: one input = one log file for header_parse(): its lines
 * (split at '\n') in one input of the context (header_ctx_set_mtime
 * first), each read from an exact-size buffer (the harness owns no
 * terminator). Two contexts, UTC and Europe/Berlin, so both the
 * fixed-offset and the TZif paths run; the views a match returns must lie
 * inside the line, or be the previous line's message again (a "last message
 * repeated" marker, read from the context's copy), or, for journal JSON,
 * lie in the parser's scratch buffer, which we cannot see.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct header_ctx *ctx_utc, *ctx_zone;

static int inside(struct sv v, const uint8_t *data, size_t size)
{
	return v.n == 0 || ((const uint8_t *)v.p >= data && (const uint8_t *)v.p + v.n <= data + size);
}

/* The last line whose views lay inside it (kept alive), and its message. */
struct last {
	uint8_t *buf; /* owned, or NULL when the line was the input itself */
	struct sv msg;
	int have;
};

/* line is exact-size when it ends the input; otherwise a copy is read */
static void check(struct header_ctx *ctx, const uint8_t *line, size_t size, int exact, struct last *last)
{
	struct syslog_header h;
	uint8_t *copy = NULL;
	const uint8_t *l = line;
	if (!exact) {
		copy = malloc(size ? size : 1);
		if (!copy)
			abort();
		if (size)
			memcpy(copy, line, size);
		l = copy;
	}
	if (header_parse(ctx, (const char *)l, size, &h) != 1) {
		free(copy);
		return;
	}
	if (h.repeat < 1 || h.pid < -1)
		abort();
	if (size > 0 && l[0] != '{') {
		if (inside(h.host, l, size) && inside(h.program, l, size) && inside(h.msg, l, size)) {
			free(last->buf);
			last->buf = copy;
			last->msg = h.msg;
			last->have = 1;
			return;
		}
		/* a repeat marker: the earlier line's message, from the context's copy */
		if (!last->have || h.msg.n != last->msg.n || (h.msg.n && memcmp(h.msg.p, last->msg.p, h.msg.n) != 0))
			abort();
	} else {
		last->have = 0;
	}
	free(copy);
}

static void run(struct header_ctx *ctx, const uint8_t *data, size_t size)
{
	struct last last = { 0 };
	size_t start = 0;
	header_ctx_set_mtime(ctx, 1799020800); /* 2027-01-03T00:00:00Z: December lines fall in 2026 */
	for (;;) {
		const uint8_t *nl = start < size ? memchr(data + start, '\n', size - start) : NULL;
		size_t end = nl ? (size_t)(nl - data) : size;
		check(ctx, data + start, end - start, !nl, &last);
		if (!nl)
			break;
		start = end + 1;
	}
	free(last.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx_utc) {
		ctx_utc = header_ctx_new("UTC");
		ctx_zone = header_ctx_new("Europe/Berlin");
		if (!ctx_utc || !ctx_zone)
			abort();
	}
	run(ctx_utc, data, size);
	run(ctx_zone, data, size);
	return 0;
}
