/*
 * header: splits a syslog line into time, host, program, pid and message.
 *
 * Shapes understood (one case per line in tests/parse/test-header.c):
 *   RFC 3164      "Nov  1 00:00:01 host prog[pid]: msg" (day space- or
 *                 zero-padded or bare; no year: inferred from the file's
 *                 mtime, December→January rollover handled; local time of
 *                 the ctx zone)
 *   RFC 3339      "2026-11-01T00:00:01.123456+01:00 host prog[pid]: msg"
 *                 (Ubuntu's and rsyslog's high-precision format; "Z",
 *                 "+01:00", "+0100", or no offset = ctx zone)
 *   RFC 5424      "<34>1 2026-11-01T00:00:01Z host prog pid msgid [sd] msg"
 *                 (NILVALUE "-" fields become empty / pid -1; a "-"
 *                 timestamp sets time_guessed; a leading BOM is dropped)
 *   <PRI> before RFC 3164 or RFC 3339 ("<13>Nov  1 …"); PRI <= 191
 *   journalctl -o short (= RFC 3164), short-precise ("Nov 01 00:00:01.123456"),
 *                 short-iso ("…T00:00:01+0100"), short-iso-precise
 *   journalctl -o json (one JSON object per line: __REALTIME_TIMESTAMP,
 *                 _HOSTNAME, SYSLOG_IDENTIFIER or _COMM, _PID or SYSLOG_PID,
 *                 MESSAGE as a string or a byte array; a field given more
 *                 than once (an array of values) yields its first value)
 *   program forms: "prog[pid]:", "prog:" (pid -1), "[prog]:", "[prog]",
 *                 "sshd-session[123]:", "/usr/sbin/cron[5]:",
 *                 "sshd(pam_unix)[1]:" — the program is the token as
 *                 written (no basename: decoder_for() matches the last
 *                 path component); "prog[pid]: [ID 123 auth.info] msg"
 *                 loses the Solaris tag
 *   no host:      when the first token after the time is itself a program
 *                 form followed by a space or the end ("Nov  1 00:00:01
 *                 sshd[1]: msg"), host is empty. A host followed by
 *                 something that is not a program form gives an empty
 *                 program and the rest as msg ("host -- MARK --").
 *   rsyslog's "message repeated N times: [ msg]" → msg, repeat = N (a CR
 *                 after the bracket, as in CRLF files, is allowed).
 *   classic syslogd's "last message repeated N times" (sysklogd, the BSDs;
 *                 "--- last message repeated N time(s) ---" on macOS): a line
 *                 of its own naming no program. It stands for the previous
 *                 text line of the same input: that line is returned again,
 *                 repeat = N (times its own), time = the marker's. The
 *                 context keeps a copy of each line for this (up to 8 KiB;
 *                 after a longer one, or at the start of an input, or after
 *                 a journal entry, the marker is left as a program-less
 *                 message).
 *   repeated spaces between the time, host and program are one separator;
 *                 an empty host field (rsyslog's empty %HOSTNAME%:
 *                 "TIME  sshd[1]: msg") gives an empty host. Nothing after
 *                 the program token is ever read as a header field.
 *
 * Banner forms, tried only when the usual ones fail (SSHGuard's tests):
 *   busybox       "Jun 20 02:18:39 vps auth.info sshd[1]: msg" (a
 *                 facility.level token between host and program)
 *   FreeBSD -v    "Jan  1 00:00:00 <10.5> foxtrot sshd[1]: msg" ("<auth.info>"
 *                 with -vv); dropped, the host may be absent
 *   macOS         "2018-12-20 10:09:05.180218+0000 localhost sshd[1]: msg"
 *                 (a space for the 'T'); `log show --style syslog` writes
 *                 two spaces after the time ("…-0700  localhost sshd[1]: …")
 *   rsyslog       "… bastion sshd[20974] error: …" (no colon after "[pid]")
 *   socklog       "2015-05-27T04:31:28.10040 auth.info: [Mmm dd hh:mm:ss ]
 *                 [host ]sshd[1]: msg" (the outer time is kept) or, with no
 *                 program in it, "… auth.info: msg" → empty host and program
 *   multilog/s6-log "2018-06-26 13:22:02.108781500 msg": after a
 *                 space-separated time, a line with no program form is all
 *                 message (host and program empty); decode() reads such
 *                 program-less lines only when they are unmistakably sshd's
 *
 * Time zones: tz "UTC" is a fixed zero offset; another name is read once
 * from /usr/share/zoneinfo/NAME (TZif: transitions, then its POSIX TZ
 * footer rule past the table), so several contexts may use different zones
 * and nothing in the process environment changes; tz NULL uses libc's
 * localtime_r, i.e. the process's zone (TZ, else /etc/localtime). Local
 * times are converted with an offset cached per local hour (no mktime per
 * line). A local time that occurs twice (clocks going back) is read as the
 * earlier instant; one skipped by clocks going forward is read with the
 * offset in force before the change.
 *
 * The parser never allocates per line (journal JSON excepted: jansson
 * builds a tree): views point into the line or into ctx's buffers (JSON
 * unescaping; the copy of the line a "last message repeated" stands for),
 * valid until the next call on the same ctx.
 */
#pragma once

#include <stdint.h>
#include <time.h>

#include "core/strview.h"

/* A journal entry's own fields (journalctl -o json; source/journal.h
 * fills the same from sd-journal): what the writer says it is
 * (SYSLOG_IDENTIFIER) and who journald saw write it (the trusted fields,
 * which journald sets itself and a client cannot), and where the entry
 * lies in its journal. Views valid as the header's; empty when absent. */
struct journal_fields {
	struct sv identifier; /* SYSLOG_IDENTIFIER */
	struct sv comm; /* _COMM */
	struct sv exe; /* _EXE */
	struct sv unit; /* _SYSTEMD_UNIT */
	struct sv transport; /* _TRANSPORT */
	struct sv machine_id; /* _MACHINE_ID */
	struct sv cursor; /* __CURSOR (JSON only) */
	int64_t uid; /* _UID, -1 when absent */
	int32_t pid; /* _PID, -1 when absent */
};

struct syslog_header {
	int64_t time_us; /* UTC µs */
	struct sv host; /* may be empty */
	struct sv program; /* may be empty when the line had none */
	int32_t pid; /* -1 when absent */
	struct sv msg; /* the rest: the program's own message */
	int time_guessed; /* 1 when the line had no usable time (time_us is the last good one) */
	uint32_t repeat; /* >= 1; rsyslog's "message repeated N times: [ msg ]" is unwrapped
			  * into msg with repeat = N */
	const struct journal_fields *journal; /* a journal entry's fields (JSON); NULL for a text line */
};

struct header_ctx;

/* tz: NULL for the process's local zone, or a zone name ("UTC",
 * "Europe/Berlin") used for zone-less timestamps. Returns NULL on OOM or
 * when tz is neither "UTC" nor a readable TZif file under
 * /usr/share/zoneinfo (names with ".." or a leading '/' are refused).
 * The mtime starts as "now". */
struct header_ctx *header_ctx_new(const char *tz);
struct header_ctx *header_ctx_free(struct header_ctx *ctx);

/* A new input begins: the file about to be read was last modified at
 * mtime (seconds, UTC). RFC 3164 years are inferred from it. 0 means "now". A line's month and
 * day take the year of the mtime's local date, or the year before when
 * they fall more than one day after that date (a file written on Jan 3
 * holding "Dec 31" lines); "Feb 29" takes the latest leap year. Also
 * resets the time used for lines without one (time_guessed) to mtime, and
 * forgets the previous line (a "last message repeated" at the start of an
 * input repeats nothing). */
void header_ctx_set_mtime(struct header_ctx *ctx, int64_t mtime_s);

/* The caller keeps each line it parses valid, where it is, until it calls
 * header_ctx_release() (as a reader that keeps its lines does until
 * SOURCE_RELEASE, source/source.h): ctx then refers to the line before,
 * for a "last message repeated" after it, instead of copying every line.
 * Views into a line the parse returns are the line's either way. */
void header_ctx_keep_lines(struct header_ctx *ctx);
/* The lines parsed so far are about to go (or to move): ctx copies what
 * it still needs of them. */
void header_ctx_release(struct header_ctx *ctx);

/* Parses one line (no trailing newline; may contain NUL and invalid UTF-8).
 * Returns 1 and fills *ret when a header was recognised, 0 when the line
 * is not a syslog line, never fails otherwise. */
int header_parse(struct header_ctx *ctx, const char *line, size_t len, struct syslog_header *ret);
