/*
 * header: splits a syslog line into time, host, program, pid and message.
 *
 * Shapes understood (see tests/parse/header.txt):
 *   RFC 3164      "Nov  1 00:00:01 host prog[pid]: msg" (no year: inferred
 *                 from the file's mtime, December→January rollover handled;
 *                 local time zone, or ctx->tz)
 *   RFC 3339      "2026-11-01T00:00:01.123456+01:00 host prog[pid]: msg"
 *                 (Ubuntu's and rsyslog's high-precision format)
 *   RFC 5424      "<34>1 2026-11-01T00:00:01Z host prog pid msgid [sd] msg"
 *   <PRI> before any of the above ("<13>Nov  1 …")
 *   journalctl -o short-iso / short-precise / short-iso-precise
 *   journalctl -o json (one JSON object per line: __REALTIME_TIMESTAMP,
 *                 _HOSTNAME, SYSLOG_IDENTIFIER, _PID, MESSAGE)
 *   program forms: "prog[pid]:", "prog:", "prog[pid]: [ID n facility]",
 *                 "[sshd]:" style, "sshd-session[123]:"
 *
 * The parser never allocates per line: views point into the line or into
 * ctx's scratch buffer (JSON unescaping), valid until the next call.
 */
#pragma once

#include <stdint.h>
#include <time.h>

#include "core/strview.h"

struct syslog_header {
	int64_t time_us; /* UTC µs */
	struct sv host; /* may be empty */
	struct sv program; /* may be empty when the line had none */
	int32_t pid; /* -1 when absent */
	struct sv msg; /* the rest: the program's own message */
	int time_guessed; /* 1 when the line had no usable time (time_us is the last good one) */
	uint32_t repeat; /* >= 1; rsyslog's "message repeated N times: [ msg ]" is unwrapped
			  * into msg with repeat = N */
};

struct header_ctx;

/* tz: NULL for the process's local zone, or a TZ name ("UTC",
 * "Europe/Berlin") used for zone-less timestamps. Returns NULL on OOM or
 * an unknown zone name (then *err, if given, says why). */
struct header_ctx *header_ctx_new(const char *tz);
struct header_ctx *header_ctx_free(struct header_ctx *ctx);

/* The file about to be read was last modified at mtime (seconds, UTC):
 * RFC 3164 years are inferred from it. 0 means "now". */
void header_ctx_set_mtime(struct header_ctx *ctx, int64_t mtime_s);

/* Parses one line (no trailing newline; may contain NUL and invalid UTF-8).
 * Returns 1 and fills *ret when a header was recognised, 0 when the line
 * is not a syslog line, never fails otherwise. */
int header_parse(struct header_ctx *ctx, const char *line, size_t len, struct syslog_header *ret);
