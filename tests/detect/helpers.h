/* Shared by the detector tests: synthetic events and an alert collector. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/alert.h"
#include "core/event.h"
#include "detect/attempt.h"
#include "detect/detect.h"

/* 2026-03-02 00:00:00 UTC, a Monday */
extern const int64_t T0;
#define MIN_S 60
#define HOUR_S 3600
#define DAY_S 86400

struct collect {
	struct alert *v[4096];
	size_t n;
};

/* An event of kind k at T0 + t_s seconds. user/src may be NULL. The
 * strings must outlive the feed (string literals in the tests). */
struct event tev(enum event_kind k, int64_t t_s, const char *user, const char *src, uint16_t port);

/* A detector with the defaults overridden by yaml (NULL: none), collecting
 * alerts, and an attempt stage (detect/attempt.h) that the feeds below run
 * every event through first, as the scan does. */
struct detect *tdetect(const char *yaml, struct collect *c, struct detect_config **ret_cfg, struct store *st);
void tdone(struct detect *d, struct detect_config *cfg, struct collect *c);
/* The attempt stage of the last tdetect(). */
struct attempts *tattempts(void);
void feed(struct detect *d, struct event ev);
/* The same for an event the caller keeps (the stage may fill its source). */
void tfeed(struct detect *d, struct event *ev);
/* The number of collected alerts of kind k; *ret the last of them. */
size_t count_kind(const struct collect *c, enum alert_kind k, struct alert **ret);
/* Asserts that some why sentence of a equals s. */
void assert_why(const struct alert *a, const char *s);
void dump_alerts(const struct collect *c);
/* Runs one real log line through the header parser and decode() (UTC,
 * RFC 3164 years taken as 2026) and feeds the event; fails the test when
 * the line does not decode. */
void feed_line(struct detect *d, const char *line);
/* The same for a NULL-terminated list. */
void feed_lines(struct detect *d, const char *const *lines);

/* A queue for interleaving several synthetic streams: q() adds, qfeed()
 * feeds everything queued in time order (stable) and empties the queue. */
void q(struct event ev);
void qfeed(struct detect *d);

/* 34 publickey logins of user over 17 days (key SHA256:AAAA): 09:00 from
 * 198.51.100.(10..14) and 17:30 from 192.0.2.7 (first 4 days) or
 * 198.51.100.10. Fed directly; ends on day 16. */
void history(struct detect *d, const char *user);
struct event login(int64_t t_s, const char *user, const char *src, enum auth_method m, const char *fp);
