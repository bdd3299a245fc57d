/*
 * missed: the lines that no header parser or decoder understood, counted
 * by program and by shape, for the scan's summary ("412 lines not
 * understood: sshd 400, sudo 12") and for `moat scan --missed`, which
 * prints each of them as fail2ban-regex's --print-all-missed does.
 *
 * A shape is why the line was missed plus, for a message of a program moat
 * reads, its first words with the variable parts masked ("sshd message not
 * understood: Server listening on <*>"), so a thousand lines of one kind
 * are one row. Program names and words are the log's text, chosen by
 * whoever can write to the log (logger -t anything): they are capped and
 * escaped when classified, and the table of rows is bounded — once full,
 * a line of a new row is counted in its reason's overflow row, and that is
 * counted too.
 *
 *	struct missed *m = missed_new();
 *	...
 *	if (header_parse(ctx, line, len, &h) <= 0)
 *		missed_note(m, NULL, line, len, &shape);   // shape: to print the line
 *	else if (decode(&h, &ev) <= 0)
 *		missed_note(m, &h, line, len, &shape);
 *	...
 *	for (size_t i = 0; (row = missed_row(m, i)); i++) ...   // most lines first
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "parse/header.h"

enum missed_why {
	MISSED_NO_HEADER, /* no syslog header the parser knows */
	MISSED_NO_PROGRAM, /* a header, but no program name, and not sshd's text */
	MISSED_NO_DECODER, /* a program moat does not read (CRON, kernel …) */
	MISSED_NOT_UNDERSTOOD, /* a program moat reads, a message it does not know */
	MISSED_WHY_MAX
};

#define MISSED_PROGRAM_MAX 48 /* bytes of an escaped program name, "…" past it */
#define MISSED_SHAPE_MAX 96 /* bytes of an escaped shape */
#define MISSED_ROWS_MAX 256 /* rows kept; further shapes fold into one row per reason */

/* One line's classification: NUL-terminated, escaped (printable ASCII and
 * valid UTF-8 as is, anything else as \xHH, backslash as \\). */
struct missed_shape {
	enum missed_why why;
	char program[MISSED_PROGRAM_MAX + 4]; /* "" when the line had none */
	char words[MISSED_SHAPE_MAX + 4]; /* the masked first words ("" for MISSED_NO_DECODER) */
};

/* A row of the table: every line of one (why, program, words). */
struct missed_row {
	enum missed_why why;
	const char *program; /* "" when none; "…" for the overflow row */
	const char *words;
	uint64_t n;
};

struct missed;

struct missed *missed_new(void); /* NULL on OOM */
struct missed *missed_free(struct missed *m);

/* A person's name for a reason: "no syslog header", "no program name",
 * "no decoder for program", "message not understood". */
const char *missed_why_name(enum missed_why why);
/* The same as a stable identifier for JSON: "no_header", "no_program",
 * "no_decoder", "not_understood". */
const char *missed_why_id(enum missed_why why);

/* Classifies a line that was not understood: h is its header, or NULL when
 * header_parse found none (the line's own first words are then used). */
void missed_classify(const struct syslog_header *h, const char *line, size_t len, struct missed_shape *ret);

/* Classifies the line (as missed_classify, into *ret_shape when not NULL)
 * and counts it. Never fails: without memory for a new row, the line is
 * counted in its reason's overflow row. */
void missed_note(struct missed *m, const struct syslog_header *h, const char *line, size_t len,
		 struct missed_shape *ret_shape);

struct missed_stats {
	uint64_t lines; /* every line noted */
	uint64_t by_why[MISSED_WHY_MAX];
	uint64_t folded; /* lines counted in an overflow row (the table was full) */
};
void missed_get_stats(const struct missed *m, struct missed_stats *ret);

/* Row i in order of most lines first (then reason, program, words), or NULL
 * past the last. Valid until the next missed_note or missed_free. */
const struct missed_row *missed_row(struct missed *m, size_t i);
