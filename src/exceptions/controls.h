/*
 * controls: compensating controls an exception rests on, a small
 * vocabulary of things moat can check on the live host every time (never
 * a promise it cannot check):
 *
 *   listen-only PORT/PROTO[,…]   the package's processes listen on these ports only
 *   loopback-only                they listen on loopback addresses only
 *   no-listen                    they do not listen at all
 *   not-running                  no process runs the package
 *   firewall PORT/PROTO from CIDR[,…]
 *                                nftables admits that port only from those networks
 *                                (the ruleset read as JSON; every address outside them
 *                                is refused, checked exactly over the ruleset's own
 *                                address boundaries)
 *   non-root                     no process runs with uid or euid 0
 *   no-caps                      no process has an effective capability
 *   no-new-privs                 every process has NoNewPrivs set
 *   namespaces NS[,…]            every process has its own NS (mnt, pid, net) namespace
 *   unit-sandboxed               every process runs in a systemd unit with
 *                                NoNewPrivileges=yes, ProtectSystem=strict|full,
 *                                ProtectHome=yes|read-only|tmpfs and PrivateTmp=yes
 *                                (`systemctl show`)
 *   held                         the package is on hold in dpkg (apt-mark hold)
 *   no-route-out IFACE           no default route (nor a VPN's /1 halves) leaves through IFACE
 *                                (/proc/net/route, /proc/net/ipv6_route)
 *
 * A control that cannot be checked (no /proc, nftables unreadable) does not
 * hold: the result says why.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reach_snapshot;
struct inventory;

enum control_state { CONTROL_HOLDS, CONTROL_BROKEN, CONTROL_UNKNOWN };

/* Checks that text is a control clause; writes why not into err. Returns 0 or -EINVAL. */
int control_parse_check(const char *text, char *err, size_t err_size);

/* What a check needs from the host. */
struct control_host {
	struct reach_snapshot *reach; /* NULL: processes cannot be inspected */
	const struct inventory *inv; /* NULL: dpkg status not read */
	const char *proc; /* "/proc": for net/route */
	const char *nft_json; /* NULL: run nft (or $MOAT_NFT_JSON) when a firewall control needs it */
};

/* Checks one clause for the given binary packages (names as dpkg writes
 * them; may be empty for host-wide clauses). Returns the state and writes
 * the reason (why it holds, or what breaks it, naming process, pid and
 * address) into why. */
enum control_state control_check(const char *text, const char *const *packages, size_t n_packages,
				 struct control_host *host, char *why, size_t why_size);

/* "holds", "broken", "unknown" */
const char *control_state_name(enum control_state s);
