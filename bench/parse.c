/*
 * parse: times moat scan's parsing path alone — source_read → header_parse
 * → decode, exactly as cmd-scan.c's on_line does it, without the detectors
 * and the store — so the cost of reading and decoding can be profiled
 * apart from the detectors' (perf record build-release/moat-bench-parse F).
 *
 *   moat-bench-parse [--tz ZONE] [--repeat N] FILE|DIR|-...
 *
 * Prints lines, syslog lines, events, seconds and MB/s (the best of N runs
 * with --repeat; stdin is read once).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse/decoder.h"
#include "parse/header.h"
#include "source/source.h"

struct counts {
	struct header_ctx *hdr;
	uint64_t lines, syslog, events;
	uint64_t sink; /* folds a few event fields so decode() cannot be elided */
};

static int on_line(void *ud, const char *line, size_t len, uint32_t flags, const struct origin *o)
{
	struct counts *c = ud;
	struct syslog_header h;
	struct event ev;

	c->lines++;
	if (header_parse(c->hdr, line, len, &h) <= 0)
		return 0;
	c->syslog++;
	if (decode(&h, &ev) <= 0)
		return 0;
	ev.origin = *o;
	ev.flags |= flags;
	c->events++;
	c->sink += (uint64_t)ev.kind + ev.port + ev.user.n + ev.source.bytes[0] + (uint64_t)ev.time_us;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *tz = NULL;
	unsigned long repeat = 1;
	struct source_list inputs = { 0 };
	struct counts c = { 0 };
	struct source_stats st = { 0 };
	char *err = NULL;
	double best = 0;
	int i = 1, r;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--tz") == 0 && i + 1 < argc) {
			tz = argv[++i];
		} else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
			char *end;
			repeat = strtoul(argv[++i], &end, 10);
			if (*end || repeat == 0 || repeat > 1000) {
				fprintf(stderr, "moat-bench-parse: --repeat: 1 to 1000\n");
				return 2;
			}
		} else {
			break;
		}
	}
	if (i == argc) {
		fprintf(stderr, "usage: moat-bench-parse [--tz ZONE] [--repeat N] FILE|DIR|-...\n");
		return 2;
	}
	r = source_expand(argv + i, (size_t)(argc - i), &inputs, &err);
	if (r < 0) {
		fprintf(stderr, "moat-bench-parse: %s\n", err ? err : strerror(-r));
		free(err);
		return 2;
	}
	c.hdr = header_ctx_new(tz);
	if (!c.hdr) {
		fprintf(stderr, "moat-bench-parse: unknown time zone\n");
		source_list_free(&inputs);
		return 2;
	}
	header_ctx_keep_lines(c.hdr);
	for (unsigned long run = 0; run < repeat; run++) {
		double t0 = now_s(), t;
		c.lines = c.syslog = c.events = 0;
		st = (struct source_stats){ 0 };
		for (size_t k = 0; k < inputs.n; k++) {
			header_ctx_set_mtime(c.hdr, inputs.v[k].mtime_s);
			struct source_reader *rd = NULL;
			struct source_line l;
			r = source_open(&inputs.v[k], &rd, &err);
			if (r >= 0)
				source_keep(rd); /* as the scan reads: see scan/pipeline.c */
			while (r >= 0 && (r = source_next(rd, &l, &st)) > 0) {
				if (r == SOURCE_RELEASE)
					header_ctx_release(c.hdr);
				else
					(void)on_line(&c, l.p, l.n, l.flags, &l.origin);
			}
			header_ctx_release(c.hdr);
			if (r < 0) {
				fprintf(stderr, "moat-bench-parse: %s\n", err ? err : source_error(rd));
				free(err);
				err = NULL;
			}
			source_close(rd);
		}
		t = now_s() - t0;
		if (run == 0 || t < best)
			best = t;
		if (inputs.n == 1 && strcmp(inputs.v[0].path, "-") == 0)
			break;
	}
	printf("lines %" PRIu64 ", syslog %" PRIu64 ", events %" PRIu64 ", %.1f MB, %.3f s, %.1f MB/s"
	       " (sink %" PRIu64 ")\n",
	       c.lines, c.syslog, c.events, (double)st.bytes / 1e6, best,
	       best > 0 ? (double)st.bytes / 1e6 / best : 0.0, c.sink % 1000);
	header_ctx_free(c.hdr);
	source_list_free(&inputs);
	return 0;
}
