/*
 * fuzz-header: one input = one log line for header_parse(), read from an
 * exact-size buffer (the harness owns no terminator). Two contexts, UTC
 * and Europe/Berlin, so both the fixed-offset and the TZif paths run; the
 * views a match returns must lie inside the line (or, for journal JSON,
 * inside the parser's scratch buffer, which we cannot see: length only).
 */
#include <stdint.h>
#include <stdlib.h>

#include "parse/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct header_ctx *ctx_utc, *ctx_zone;

static int inside(struct sv v, const uint8_t *data, size_t size)
{
	return v.n == 0 || ((const uint8_t *)v.p >= data && (const uint8_t *)v.p + v.n <= data + size);
}

static void check(struct header_ctx *ctx, const uint8_t *data, size_t size)
{
	struct syslog_header h;
	if (header_parse(ctx, (const char *)data, size, &h) != 1)
		return;
	if (h.repeat < 1 || h.pid < -1 || h.host.n > size || h.program.n > size || h.msg.n > size)
		abort();
	if (size > 0 && data[0] != '{' &&
	    (!inside(h.host, data, size) || !inside(h.program, data, size) || !inside(h.msg, data, size)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx_utc) {
		ctx_utc = header_ctx_new("UTC");
		ctx_zone = header_ctx_new("Europe/Berlin");
		if (!ctx_utc || !ctx_zone)
			abort();
		/* a January mtime: December lines fall in the previous year */
		header_ctx_set_mtime(ctx_utc, 1799020800); /* 2027-01-03T00:00:00Z */
		header_ctx_set_mtime(ctx_zone, 1799020800);
	}
	check(ctx_utc, data, size);
	check(ctx_zone, data, size);
	return 0;
}
