/*
 * reach: is a package actually reachable on this host? From /proc (or a
 * test's fake proc root) and dpkg's file lists (ROOT/var/lib/dpkg/info/
 * PKG[:ARCH].list): the running processes whose executable or mapped
 * libraries belong to a package, their listening sockets, privileges and
 * isolation, and whether nftables lets the port in from outside.
 *
 * Installed is not running: a process that still maps a deleted or
 * replaced file of the package (fixed on disk, vulnerable in memory) is
 * reported as stale.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct reach_snapshot;

struct reach_socket {
	uint8_t proto; /* 6 tcp, 17 udp */
	uint8_t family; /* 4 or 6 */
	char addr[46]; /* bound address text */
	uint16_t port;
	bool loopback; /* bound to 127/8 or ::1 only */
	int firewall; /* 1 nftables lets it in from outside, 0 it does not, -1 unknown / no nftables
		       * (also -1 for loopback sockets and other network namespaces: not consulted) */
};

struct reach_proc {
	pid_t pid;
	char comm[64];
	char exe[256]; /* as the kernel shows it: may end in " (deleted)"; truncated when longer */
	uid_t uid, euid;
	uint64_t cap_eff; /* CapEff */
	bool no_new_privs;
	int seccomp; /* 0 off, 1 strict, 2 filter */
	bool own_mnt_ns, own_pid_ns, own_net_ns; /* differs from pid 1's (ours when pid 1's is unreadable) */
	bool chrooted;
	bool stale; /* maps a deleted/replaced file of the package ("replaced": another inode on the
		     * same device at that path now; checked only for processes that share our mount
		     * namespace and root, elsewhere only "(deleted)" counts) */
	char stale_file[256]; /* the first such file */
	struct reach_socket *sockets;
	size_t n_sockets;
	bool unknown_status; /* status unreadable or without a Uid line: counted as privileged */
};

/* What the ladder says for one package:
 *   running    a process runs the package's executable or maps one of its files executable
 *   listening  one of those processes has a listening TCP socket or a bound UDP socket
 *   remote     one such socket is bound beyond loopback and nftables is not known to block it
 *   privileged any of the processes has uid or euid 0 or any effective capability
 *   sandboxed  every one of the processes is sandboxed: own mount+pid or net namespace,
 *              seccomp strict, seccomp filter with NoNewPrivs, or a chroot
 * verdict: "not running", or "exposed-remote" / "local-only" then, after ", ",
 * "sandboxed" (all processes sandboxed), "privileged" (an unsandboxed one is privileged)
 * or "unprivileged". */
struct reach_info {
	bool running, listening, remote, privileged, sandboxed;
	struct reach_proc *procs; /* owned by the info */
	size_t n_procs;
	char verdict[96]; /* "exposed-remote, privileged" / "local-only, sandboxed" / "not running" */
};

/* Takes one snapshot of processes, mappings and sockets.
 * proc_root: "/proc" normally. root: the filesystem root whose dpkg lists are read ("/").
 * Unreadable processes (other users' when unprivileged) are counted, not fatal.
 * Returns 0 or a negative errno with *ret_err. */
int reach_snapshot_take(const char *proc_root, const char *root, struct reach_snapshot **ret, char **ret_err);
struct reach_snapshot *reach_snapshot_free(struct reach_snapshot *s);
/* Processes that could not be inspected (permission). */
uint64_t reach_snapshot_unreadable(const struct reach_snapshot *s);

/* Fills *ret for a binary package (name or name:arch; a bare name covers every arch's list).
 * The package's files are read from ROOT/var/lib/dpkg/info/NAME[:ARCH].list; a package without
 * a list has no files: "not running". The first call may run nft (see below).
 * Returns 0, -EINVAL for a name dpkg would not write, or another negative errno. */
int reach_for_package(struct reach_snapshot *s, const char *package, struct reach_info *ret);
void reach_info_done(struct reach_info *r);

/* Every stale process of every package ("fixed on disk, vulnerable in memory: restart
 * PROCESS (pid N)"): calls fn once per (package, process). package is the dpkg name without
 * ":arch"; p (stale, stale_file, sockets filled) is valid during the call only.
 * Calls come in package-list order, then by pid. */
int reach_foreach_stale(struct reach_snapshot *s,
			void (*fn)(void *ud, const char *package, const struct reach_proc *p), void *ud);

/* Processes inspected (those with an executable or mapped file; kernel threads are not). */
size_t reach_snapshot_processes(const struct reach_snapshot *s);

/* The nftables ruleset used for the firewall field, as `nft -j list ruleset` prints it.
 * By default it is read once, on the first query that needs it: from the file named by the
 * environment variable MOAT_NFT_JSON when set (tests, offline analysis), else by running
 * /usr/sbin/nft (fixed path, no shell, minimal environment). Set it here instead: json NULL means
 * "no nftables" (every firewall field -1) and nft is never run.
 * Returns 0, or -EINVAL when json does not parse. */
int reach_snapshot_set_ruleset(struct reach_snapshot *s, const char *json);

/* The firewall decision alone, for one ruleset text: 1 the ruleset lets proto (6 tcp, 17 udp)
 * on port in from outside for family (4 or 6), 0 it does not, -1 unknown (no tables, or rules it
 * does not model: jumps, verdict maps …). Accept rules with conditions it does not model (source
 * addresses, interface names) count as letting the port in: from somewhere. */
int reach_firewall_verdict(const char *ruleset_json, uint8_t proto, uint8_t family, uint16_t port);

/* For compensating controls ("admitted only from these networks"), over a parsed ruleset
 * (a json_t * from jansson, `nft -j list ruleset`'s object):
 * the verdict for a packet from the source address src (4 bytes for family 4, 16 for 6),
 * with source-address matches (ip saddr / ip6 saddr: addresses, prefixes, ranges, sets)
 * decided instead of counted as "some packets"; 1 let in, 0 not, -1 unknown. */
struct json_t;
int reach_firewall_eval_from(struct json_t *ruleset, uint8_t proto, uint8_t family, uint16_t port,
			     const uint8_t *src);
/* Every address where a source-address match of the ruleset (or a set's element) starts or
 * stops holding, for family: between two neighbours every such match decides the same, so one
 * probe per interval checks the ruleset exactly. *ret (16 bytes each, caller frees). */
int reach_firewall_src_bounds(struct json_t *ruleset, uint8_t family, uint8_t (**ret)[16], size_t *ret_n);
/* The ruleset as `nft -j list ruleset` prints it (or $MOAT_NFT_JSON's file): *ret (caller frees).
 * Returns 0, -ENOENT without nft, or another negative errno. */
int reach_nft_ruleset_text(char **ret);
