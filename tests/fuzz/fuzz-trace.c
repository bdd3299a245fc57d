/*
 * fuzz-trace: hostile log lines through decode(), into a store in memory,
 * then every kind of trace built from it and written as text and JSON.
 *
 * Input: lines, as fuzz-detect reads them: byte 0 moves the clock by a step
 * from a table (0 s to 2 days), byte 1 picks the program (low bits), the host
 * (high bit) and the pid (middle bits), the rest is the message. Traced:
 * the recent sessions, the first user name seen, the first source address
 * seen and the session of the first login (an attacker's text is what
 * names each of them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "parse/decoder.h"
#include "store/store.h"
#include "trace/trace.h"

static const char *const programs[] = {
	"sshd", "sshd-session", "sudo", "su", "systemd-logind", "useradd", "CRON", "sshd(pam_unix)",
};

static const int64_t steps_s[] = { 0, 0, 1, 1, 2, 5, 30, 61, 300, 601, 1801, 3601, 4 * 3600, 86400, 2 * 86400, 0 };

static FILE *sink;

static void run(struct store *st, enum trace_by by, const char *value)
{
	struct trace_query q = { .by = by, .value = value, .since_us = INT64_MIN, .until_us = INT64_MAX };
	struct trace *t = NULL;
	char *err = NULL;

	if (trace_build(st, &q, &t, &err) == 0) {
		trace_write_text(sink, t, true);
		trace_write_json(sink, t);
		fflush(sink);
	}
	trace_free(t);
	free(err);
	q.verbose = true;
	t = NULL;
	err = NULL;
	if (trace_build(st, &q, &t, &err) == 0)
		trace_write_text(sink, t, false);
	trace_free(t);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = NULL;
	char *err = NULL, user[300] = "", source[ADDR_STRLEN] = "", session[400] = "";
	int64_t now_s = 1700000000;
	uint64_t line = 0;

	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (store_open(":memory:", &st, &err) < 0) {
		free(err);
		return 0;
	}
	(void)store_begin(st);
	for (size_t at = 0; at < size;) {
		const uint8_t *p = data + at, *nl = memchr(p, '\n', size - at);
		size_t n = nl ? (size_t)(nl - p) : size - at;
		at += n + 1;
		line++;
		if (n < 2)
			continue;
		now_s += steps_s[p[0] % (sizeof(steps_s) / sizeof(steps_s[0]))];
		struct syslog_header h = {
			.time_us = now_s * INT64_C(1000000),
			.host = p[1] & 0x80 ? SV_LIT("web2") : SV_LIT("web1"),
			.program = sv_cstr(programs[p[1] % (sizeof(programs) / sizeof(programs[0]))]),
			.pid = 100 + ((p[1] >> 3) & 0xf),
			.msg = sv_make((const char *)p + 2, n - 2),
			.repeat = 1,
		};
		struct event ev;
		if (decode(&h, &ev) <= 0)
			continue;
		ev.origin.file = "fuzz.log";
		ev.origin.line = line;
		(void)store_add_event(st, &ev);
		if (!user[0] && ev.user.n && ev.user.n < sizeof(user) && !memchr(ev.user.p, '\0', ev.user.n))
			memcpy(user, ev.user.p, ev.user.n), user[ev.user.n] = '\0';
		if (!source[0] && ev.source.family != ADDR_NONE)
			(void)addr_format(&ev.source, source);
		if (!session[0] && ev.kind == EV_AUTH_SUCCESS)
			snprintf(session, sizeof(session), "%.*s:%d:%lld", (int)ev.host.n, ev.host.p, (int)ev.pid,
				 (long long)now_s);
	}
	(void)store_commit(st);
	run(st, TRACE_RECENT, NULL);
	if (user[0])
		run(st, TRACE_USER, user);
	if (source[0])
		run(st, TRACE_SOURCE, source);
	if (session[0])
		run(st, TRACE_SESSION, session);
	store_free(st);
	return 0;
}
