/* Privilege-escalation attempts: sudo refused, wrong sudo passwords, failed su. */
#include <string.h>

#include "helpers.h"

static struct event pe(enum event_kind k, int64_t t, const char *user)
{
	struct event ev = tev(k, t, user, NULL, 0);
	ev.program = k == EV_SU_FAILURE || k == EV_SU_SUCCESS ? SV_LIT("su") : SV_LIT("sudo");
	if (k == EV_SUDO_REFUSED)
		ev.detail = SV_LIT("user NOT in sudoers");
	if (k == EV_SU_FAILURE || k == EV_SU_SUCCESS)
		ev.target = SV_LIT("root");
	if (k == EV_SUDO_COMMAND) {
		ev.target = SV_LIT("root");
		ev.command = SV_LIT("/usr/bin/apt update");
	}
	return ev;
}

static void test_one_alert_per_episode(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	feed(d, pe(EV_SUDO_REFUSED, 0, "mallory"));
	feed(d, pe(EV_SUDO_REFUSED, 30, "mallory"));
	feed(d, pe(EV_SUDO_REFUSED, 60, "mallory"));
	feed(d, pe(EV_SU_FAILURE, 90, "mallory"));
	assert_int_equal(c.n, 0);
	/* the episode ends after 10 quiet minutes: flushed by the next event */
	feed(d, tev(EV_SESSION_OPEN, 90 + 601, "x", NULL, 0));
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_PRIVILEGE_ESCALATION, &a), 1);
	assert_string_equal(a->user, "mallory");
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->count, 4);
	assert_int_equal(a->evidence_total, 4);
	assert_int_equal(a->n_why, 1);
	assert_string_equal(a->why[0], "sudo refused ×3 (user NOT in sudoers), su failed ×1 (to root)");
	detect_finish(d);
	tdone(d, cfg, &c);
}

static void test_failures_threshold_and_high(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	/* below: 2 wrong sudo passwords */
	feed(d, pe(EV_SUDO_FAILURE, 0, "ann"));
	feed(d, pe(EV_SUDO_FAILURE, 10, "ann"));
	/* above and high: "10 incorrect password attempts" on one line */
	struct event ev = pe(EV_SUDO_FAILURE, 20, "ben");
	ev.count = 10;
	feed(d, ev);
	detect_finish(d);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_PRIVILEGE_ESCALATION, &a), 1);
	assert_string_equal(a->user, "ben");
	assert_int_equal(a->severity, SEV_HIGH);
	assert_string_equal(a->why[0], "sudo wrong password ×10");
	tdone(d, cfg, &c);
}

static void test_mistype_then_success_forgiven(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	struct event ev = pe(EV_SUDO_FAILURE, 0, "ann");
	ev.count = 3;
	feed(d, ev);
	feed(d, pe(EV_SUDO_COMMAND, 20, "ann"));
	/* a refusal is never forgiven */
	feed(d, pe(EV_SUDO_REFUSED, 30, "carl"));
	feed(d, pe(EV_SUDO_COMMAND, 40, "carl"));
	detect_finish(d);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0]->user, "carl");
	tdone(d, cfg, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_alert_per_episode),
		cmocka_unit_test(test_failures_threshold_and_high),
		cmocka_unit_test(test_mistype_then_success_forgiven),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
