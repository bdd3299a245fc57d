#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "parse/decoder.h"
#include "parse/header.h"

const int64_t T0 = INT64_C(1772409600); /* 2026-03-02T00:00:00Z */

static uint64_t line_no;
static struct attempts *stage;

struct attempts *tattempts(void)
{
	return stage;
}

struct event tev(enum event_kind k, int64_t t_s, const char *user, const char *src, uint16_t port)
{
	struct event ev;
	event_init(&ev);
	ev.kind = k;
	ev.time_us = (T0 + t_s) * INT64_C(1000000);
	ev.host = SV_LIT("web1");
	ev.program = SV_LIT("sshd");
	ev.pid = 1000;
	ev.user = sv_cstr(user);
	if (src)
		assert_int_equal(addr_parse(sv_cstr(src), &ev.source), 1);
	ev.port = port;
	if (k == EV_AUTH_FAILURE || k == EV_AUTH_SUCCESS)
		ev.method = AM_PASSWORD;
	ev.origin.file = "auth.log";
	ev.origin.line = ++line_no;
	return ev;
}

static void collect_emit(void *ud, struct alert *a)
{
	struct collect *c = ud;
	if (c->n < sizeof(c->v) / sizeof(c->v[0]))
		c->v[c->n++] = a;
	else
		alert_free(a);
}

struct detect *tdetect(const char *yaml, struct collect *c, struct detect_config **ret_cfg, struct store *st)
{
	struct detect_config *cfg = NULL;
	char *err = NULL;
	int r = yaml ? detect_config_load_string(yaml, strlen(yaml), "test.yaml", &cfg, &err)
		     : detect_config_load(NULL, &cfg, &err);
	if (r < 0)
		fprintf(stderr, "config: %s\n", err ? err : "?");
	assert_int_equal(r, 0);
	memset(c, 0, sizeof(*c));
	attempts_free(stage);
	stage = attempts_new(cfg);
	assert_non_null(stage);
	struct detect *d = detect_new(cfg, st, (struct alert_sink){ collect_emit, c });
	assert_non_null(d);
	*ret_cfg = cfg;
	return d;
}

void tdone(struct detect *d, struct detect_config *cfg, struct collect *c)
{
	detect_free(d);
	stage = attempts_free(stage);
	detect_config_free(cfg);
	for (size_t i = 0; i < c->n; i++)
		alert_free(c->v[i]);
	c->n = 0;
}

void tfeed(struct detect *d, struct event *ev)
{
	attempts_apply(stage, ev);
	detect_feed(d, ev);
}

void feed(struct detect *d, struct event ev)
{
	tfeed(d, &ev);
}

size_t count_kind(const struct collect *c, enum alert_kind k, struct alert **ret)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i]->kind == k) {
			n++;
			if (ret)
				*ret = c->v[i];
		}
	return n;
}

void dump_alerts(const struct collect *c)
{
	char ab[ADDR_STRLEN];
	for (size_t i = 0; i < c->n; i++) {
		const struct alert *a = c->v[i];
		fprintf(stderr, "# %s %s user=%s src=%s count=%llu\n", alert_kind_name(a->kind),
			severity_name(a->severity), a->user ? a->user : "-", addr_format(&a->source, ab),
			(unsigned long long)a->count);
		for (unsigned j = 0; j < a->n_why; j++)
			fprintf(stderr, "#   %s\n", a->why[j]);
	}
}

void assert_why(const struct alert *a, const char *s)
{
	for (unsigned i = 0; i < a->n_why; i++)
		if (strcmp(a->why[i], s) == 0)
			return;
	fprintf(stderr, "wanted why: %s\nhave:\n", s);
	for (unsigned i = 0; i < a->n_why; i++)
		fprintf(stderr, "  %s\n", a->why[i]);
	fail();
}

static struct event queue[1 << 16];
static size_t queue_n;

void q(struct event ev)
{
	assert_true(queue_n < sizeof(queue) / sizeof(queue[0]));
	queue[queue_n++] = ev;
}

static int cmp_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return x->origin.line < y->origin.line ? -1 : x->origin.line > y->origin.line;
}

void qfeed(struct detect *d)
{
	qsort(queue, queue_n, sizeof(queue[0]), cmp_time);
	for (size_t i = 0; i < queue_n; i++)
		tfeed(d, &queue[i]);
	queue_n = 0;
}

struct event login(int64_t t_s, const char *user, const char *src, enum auth_method m, const char *fp)
{
	struct event ev = tev(EV_AUTH_SUCCESS, t_s, user, src, 50000);
	ev.method = m;
	if (fp) {
		ev.key_fp = sv_cstr(fp);
		ev.key_type = SV_LIT("ED25519");
	}
	return ev;
}

void history(struct detect *d, const char *user)
{
	static const char *const morning[] = { "198.51.100.10", "198.51.100.11", "198.51.100.12", "198.51.100.13",
						"198.51.100.14" };
	for (int day = 0; day < 17; day++) {
		feed(d, login(day * DAY_S + 9 * HOUR_S, user, morning[day % 5], AM_PUBLICKEY, "SHA256:AAAA"));
		feed(d, login(day * DAY_S + 17 * HOUR_S + 30 * MIN_S, user, day < 4 ? "192.0.2.7" : "198.51.100.10",
			      AM_PUBLICKEY, "SHA256:AAAA"));
	}
}

void feed_line(struct detect *d, const char *line)
{
	static struct header_ctx *hdr;
	struct syslog_header h;
	struct event ev;

	if (!hdr) {
		hdr = header_ctx_new("UTC");
		assert_non_null(hdr);
		header_ctx_set_mtime(hdr, T0 + 300 * DAY_S); /* late 2026 */
	}
	if (header_parse(hdr, line, strlen(line), &h) <= 0 || decode(&h, &ev) <= 0) {
		fprintf(stderr, "does not decode: %s\n", line);
		fail();
	}
	ev.origin.file = "auth.log";
	ev.origin.line = ++line_no;
	tfeed(d, &ev);
}

void feed_lines(struct detect *d, const char *const *lines)
{
	for (size_t i = 0; lines[i]; i++)
		feed_line(d, lines[i]);
}
