/*
 * fuzz-lines: the input format of the harnesses that feed whole event
 * streams (fuzz-detect, fuzz-trace), and its reader.
 *
 * Input: lines ("\n"-separated). Per line, byte 0 moves the clock by a step
 * from a table (0 s to 4 days: bursts end, windows pass) and its high bits
 * pick the pid; byte 1 picks the program (low 4 bits) and the host (high
 * bit); the rest is the message, decoded under that program. Each event
 * carries its line number in "fuzz.log".
 */
#pragma once

#include <stdint.h>
#include <string.h>

#include "parse/decoder.h"

static const char *const fuzz_programs[16] = {
	"sshd", "sshd-session", "sudo", "su", "systemd-logind", "useradd", "usermod", "gpasswd",
	"CRON", "sshd(pam_unix)", "su(pam_unix)", "sudo(pam_unix)", "passwd", "userdel", "groupadd", "login",
};

static const int64_t fuzz_steps_s[16] = {
	0, 0, 0, 1, 1, 2, 5, 30, 61, 599, 601, 1801, 3601, 4 * 3600, 7 * 3600, 4 * 86400,
};

/* Calls fn for the event of each line that decodes to one. */
static inline void fuzz_events(const uint8_t *data, size_t size, void (*fn)(void *ud, struct event *ev), void *ud)
{
	int64_t now_s = 1700000000;
	uint64_t line = 0;

	for (size_t at = 0; at < size;) {
		const uint8_t *p = data + at, *nl = memchr(p, '\n', size - at);
		size_t n = nl ? (size_t)(nl - p) : size - at;
		at += n + 1;
		line++;
		if (n < 2)
			continue;
		now_s += fuzz_steps_s[p[0] & 15];
		struct syslog_header h = {
			.time_us = now_s * INT64_C(1000000),
			.host = p[1] & 0x80 ? SV_LIT("web2") : SV_LIT("web1"),
			.program = sv_cstr(fuzz_programs[p[1] & 15]),
			.pid = 100 + (p[0] >> 4),
			.msg = sv_make((const char *)p + 2, n - 2),
			.repeat = 1,
		};
		struct event ev;
		if (decode(&h, &ev) <= 0)
			continue;
		ev.origin.file = "fuzz.log";
		ev.origin.line = line;
		fn(ud, &ev);
	}
}
