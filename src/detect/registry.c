/*
 * The detectors, in the order they see an event, sweep and drop their
 * parts. One line per detector: a new one is a file with a
 * `const struct detector_ops` and a line here (see HACKING.md).
 *
 * The order matters where two act on one event or one moment: the
 * detectors with a part of the source entries come first (their sweep runs
 * before the source entries that went quiet are dropped); login after
 * failures reads a success before the unusual-login detector learns it;
 * privilege escalation and the unusual-login detector's follow-up both see
 * a sudo event, the first leaving it to the second while an account is
 * followed (a fact), so their order does not change what is reported.
 */
#include "detect/detector.h"

extern const struct detector_ops brute_ops, distributed_ops, after_ops, privesc_ops, unusual_ops, account_ops;

const struct detector_ops *const detectors[] = {
	&brute_ops, /* brute force and password spray (brute.c, spray.c): per source */
	&distributed_ops, /* distributed attack on one account (distributed.c) */
	&after_ops, /* login after failures (after.c) */
	&privesc_ops, /* privilege-escalation attempts (privesc.c) */
	&unusual_ops, /* unusual login and its session (unusual.c, correlate.c, baseline.c) */
	&account_ops, /* account and key changes (account.c) */
};

const size_t n_detectors = ELEMENTSOF(detectors);
