/*
 * fuzz-trace: hostile log lines through decode(), into a store in memory,
 * then every kind of trace built from it and written as text and JSON.
 *
 * Input: lines, as fuzz-lines.h reads them. Traced:
 * the recent sessions, the first user name seen, the first source address
 * seen and the session of the first login (an attacker's text is what
 * names each of them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "fuzz-lines.h"
#include "store/store.h"
#include "trace/trace.h"

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

/* What is stored, and the first user, source and login seen (the subjects). */
struct subjects {
	struct store *st;
	char user[300], source[ADDR_STRLEN], session[400];
};

static void on_event(void *ud, struct event *ev)
{
	struct subjects *sj = ud;

	(void)store_add_event(sj->st, ev);
	if (!sj->user[0] && ev->user.n && ev->user.n < sizeof(sj->user) && !memchr(ev->user.p, '\0', ev->user.n)) {
		memcpy(sj->user, ev->user.p, ev->user.n);
		sj->user[ev->user.n] = '\0';
	}
	if (!sj->source[0] && ev->source.family != ADDR_NONE)
		(void)addr_format(&ev->source, sj->source);
	if (!sj->session[0] && ev->kind == EV_AUTH_SUCCESS)
		snprintf(sj->session, sizeof(sj->session), "%.*s:%d:%lld", (int)ev->host.n, ev->host.p, (int)ev->pid,
			 (long long)(ev->time_us / 1000000));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct subjects sj = { 0 };
	char *err = NULL;

	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (store_open(":memory:", &sj.st, &err) < 0) {
		free(err);
		return 0;
	}
	(void)store_begin(sj.st);
	fuzz_events(data, size, on_event, &sj);
	(void)store_commit(sj.st);
	run(sj.st, TRACE_RECENT, NULL);
	if (sj.user[0])
		run(sj.st, TRACE_USER, sj.user);
	if (sj.source[0])
		run(sj.st, TRACE_SOURCE, sj.source);
	if (sj.session[0])
		run(sj.st, TRACE_SESSION, sj.session);
	store_free(sj.st);
	return 0;
}
