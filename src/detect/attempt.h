/*
 * attempt: the one definition of a login attempt. A stage of its own that
 * the scan runs on every event, in time order, after decoding and before
 * the store and the detectors: it sets ev->attempts, so everything that
 * counts failures (the detectors, the store's aggregates, `moat trace`)
 * counts the same ones.
 *
 * One login attempt is often written several times, by several writers,
 * and some are written only as the way their connection ended. The rule:
 *
 *  - A connection is one sshd process: host + pid (lines without a pid:
 *    host + source + port). For su and sudo it is one invocation: host +
 *    pid, or host + user + terminal when sudo logged no pid; it ends with
 *    the program's own line (FAILED SU, "N incorrect password attempts", a
 *    refusal) or a success. A record is a new connection when its source
 *    or port changes, or when it was quiet for 10 minutes (unless it
 *    logged in).
 *  - sshd's own failure lines each count, times their repeat count;
 *    "Invalid user X" (or "User X not allowed", "ROOT LOGIN REFUSED") and
 *    the "Failed … for invalid user X" that follows it in the same
 *    connection are one attempt; a second Failed line is a second one.
 *  - PAM repeats the attempts sshd, su and sudo report: pam_unix's
 *    "authentication failure" (once per PAM handle) plus its "N more
 *    authentication failures", and sshd's "PAM: Authentication failure for
 *    U from H". Each writer is counted on its own and the connection made
 *    as many attempts as the most talkative of them reported: max, not
 *    sum. So "pam_unix … failure" + "FAILED SU" is one su attempt, and
 *    pam_unix ×3 + "3 incorrect password attempts" is three sudo attempts.
 *  - A line that proves an attempt without counting one counts one only
 *    when nothing else of its connection did: "maximum authentication
 *    attempts exceeded", a pre-auth close that names a user ("Connection
 *    closed by authenticating user root A port P [preauth]" is how failed
 *    public-key probes show: OpenSSH logs those only at VERBOSE), and
 *    key-exchange or banner failures with a source ("Unable to negotiate",
 *    "banner exchange: … invalid format"). A pre-auth close without a user
 *    and a client that sent nothing at all ("Did not receive identification
 *    string", "kex_exchange_identification: Connection closed by remote
 *    host": scanners, health checks) are connections, not attempts.
 *  - After "Accepted …" nothing of that connection counts as pre-auth: a
 *    user who logs in and out is never an attempt.
 *  - An sshd line that names no address (pam_unix with a host name in
 *    rhost=, "Disconnecting: Too many authentication failures", key
 *    exchange errors, …) belongs to its connection: it takes the address
 *    an earlier line of the connection named (ev->source, with
 *    EVF_SOURCE_CONN). An attempt on a connection that has named no address
 *    yet waits, and is counted on the first line that does.
 *
 * The connections are a capped table keyed by attacker-influenced data
 * (pids, addresses, ports, names): 4096 records in sets of four, and
 * beside them up to 16384 more for connections whose set was full (and
 * as many logged-in ones), the least recently seen of those pushed out
 * past that; a connection is kept 10 minutes after its last line, a
 * logged-in one a day (10 minutes once its session closed); pushing out
 * one still kept is counted (then a later line of that connection could
 * be counted again). The counts never depend on the seeded hash that
 * places a record, unless records are pushed out.
 */
#pragma once

#include <stdint.h>

#include "core/event.h"

struct attempts;
struct detect_config;

/* A stage with an empty connection table (cfg: limits.max_hosts, borrowed
 * for the stage's life). NULL on OOM. */
struct attempts *attempts_new(const struct detect_config *cfg);
/* Applies the rule to ev (events in time order): sets ev->attempts to how
 * many new login attempts this line adds (0: not an attempt, a repeat of
 * one already counted, or one that waits for its connection's address),
 * and, for an sshd line without an address whose connection named one
 * earlier, fills ev->source and sets EVF_SOURCE_CONN. Never fails: when
 * the table cannot grow, a line is judged on its own. */
void attempts_apply(struct attempts *a, struct event *ev);
struct attempts *attempts_free(struct attempts *a);

struct attempts_stats {
	uint64_t tracked; /* connection records held */
	uint64_t evictions; /* records pushed out while their connection was live */
};
void attempts_get_stats(const struct attempts *a, struct attempts_stats *ret);
