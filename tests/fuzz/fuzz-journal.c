/*
 * fuzz-journal: one input = journal JSON lines (journalctl -o json), each
 * through the header parser and the trust rule (source/journal.h); the
 * forged ones gathered and raised as alerts (scan/forged.h), whose
 * sentences must be whole strings. Cursor text is parsed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/header.h"
#include "scan/forged.h"
#include "source/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ud, struct alert *a)
{
	(void)ud;
	if (a->kind != AK_FORGED_ENTRY || a->n_why < 3 || a->count < 1 || a->first_us > a->last_us)
		abort();
	for (unsigned i = 0; i < a->n_why; i++)
		if (strlen(a->why[i]) == 0)
			abort();
	alert_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct header_ctx *ctx;
	struct forged *f = forged_new();
	struct origin at = { .file = "fuzz", .line = 0 };
	const uint8_t *p = data, *end = data + size;

	if (!ctx)
		ctx = header_ctx_new("UTC");
	if (!ctx || !f)
		abort();
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(n ? n : 1);
		struct syslog_header h;
		struct journal_verdict v;
		if (!line)
			abort();
		memcpy(line, p, n);
		at.line++;
		if (header_parse(ctx, line, n, &h) == 1 && h.journal) {
			char sid[64];
			uint64_t seq;
			journal_trust(&h, &v);
			if (v.trust != JT_TRUSTED && v.trust != JT_NOT_SYSLOG && (!v.claimed || !v.by))
				abort();
			if (v.trust == JT_FORGED && forged_note(f, &h, &v, &at) < 0)
				abort();
			if (journal_cursor_seqnum(h.journal->cursor, sid, sizeof(sid), &seq) == 1 && strlen(sid) == 0)
				abort();
		}
		free(line);
		p += n + (nl != NULL);
	}
	if (forged_flush(f, (struct alert_sink){ sink, NULL }) < 0)
		abort();
	forged_free(f);
	return 0;
}
