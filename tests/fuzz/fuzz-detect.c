/*
 * fuzz-detect: hostile log lines through decode() and every detector, with
 * tables so small that every path runs within a few lines: a one-attempt
 * burst given a block, bursts ending in the sweep, entries evicted with a
 * burst open, the user-name and source caps, baselines replaced.
 *
 * Input: lines, as fuzz-lines.h reads them. Every alert is checked against
 * the sink's contract and written as text (with colour) and JSON; every
 * event is written too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/attempt.h"
#include "detect/detect.h"
#include "fuzz-lines.h"
#include "report/output.h"

static const char config[] =
	"limits: {max_sources: 16, max_accounts: 16, max_baselines: 16, max_hosts: 2, max_names_per_source: 4,"
	" max_sources_per_account: 4}\n"
	"brute_force: {window: 10m, threshold: 3, high: 6, mistypes_forgiven: 2}\n"
	"slow_brute_force: {window: 6h, threshold: 4, min_hours: 2}\n"
	"password_spray: {window: 30m, min_users: 2, high_users: 4, max_tries_per_user: 2}\n"
	"distributed: {window: 30m, min_sources: 2, high_sources: 4}\n"
	"login_after_failures: {window: 1h, min_failures: 1}\n"
	"unusual_login: {min_logins: 2, min_days: 1, max_networks: 2, max_keys: 2}\n"
	"privilege_escalation: {window: 30m}\n"
	"correlation: {window: 1h}\n";

static FILE *sink;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-detect: %s\n", what);
	abort();
}

static void check(void *ud, struct alert *a)
{
	(void)ud;
	if ((unsigned)a->kind >= AK_MAX || (unsigned)a->severity >= SEV_MAX)
		fail("kind or severity out of range");
	if (a->first_us > a->last_us)
		fail("first after last");
	if (a->n_why == 0)
		fail("an alert without a reason");
	if (a->n_evidence > a->evidence_total)
		fail("more lines kept than counted");
	for (unsigned i = 0; i < a->n_evidence; i++)
		if (!a->evidence[i].file || a->evidence[i].line == 0)
			fail("evidence without a file or line");
	output_alert(sink, &(struct output_opts){ .json = false, .color = true }, a);
	output_alert(sink, &(struct output_opts){ .json = true }, a);
	alert_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	struct attempts *att;
	struct detect *d;
};

static void on_event(void *ud, struct event *ev)
{
	const struct input *in = ud;
	attempts_apply(in->att, ev);
	output_event(sink, &(struct output_opts){ .json = (ev->origin.line & 1) != 0 }, ev);
	detect_feed(in->d, ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct detect_config *cfg;
	char *err = NULL;

	if (!cfg && detect_config_load_string(config, strlen(config), "fuzz.yaml", &cfg, &err) < 0)
		fail(err ? err : "config");
	if (!sink && !(sink = fopen("/dev/null", "w")))
		fail("/dev/null");
	struct attempts *att = attempts_new(cfg);
	struct detect *d = detect_new(cfg, NULL, (struct alert_sink){ check, NULL });
	if (!d || !att) {
		detect_free(d);
		attempts_free(att);
		return 0;
	}
	fuzz_events(data, size, on_event, &(struct input){ att, d });
	detect_free(d);
	attempts_free(att);
	return 0;
}
