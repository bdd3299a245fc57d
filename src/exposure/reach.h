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
#include <stdint.h>
#include <sys/types.h>

struct reach_snapshot;

struct reach_socket {
	uint8_t proto; /* 6 tcp, 17 udp */
	uint8_t family; /* 4 or 6 */
	char addr[46]; /* bound address text */
	uint16_t port;
	bool loopback; /* bound to 127/8 or ::1 only */
	int firewall; /* 1 nftables lets it in from outside, 0 it does not, -1 unknown / no nftables */
};

struct reach_proc {
	pid_t pid;
	char comm[64];
	char exe[256];
	uid_t uid, euid;
	uint64_t cap_eff; /* CapEff */
	bool no_new_privs;
	int seccomp; /* 0 off, 1 strict, 2 filter */
	bool own_mnt_ns, own_pid_ns, own_net_ns; /* differs from pid 1's */
	bool chrooted;
	bool stale; /* maps a deleted/replaced file of the package */
	char stale_file[256]; /* the first such file */
	struct reach_socket *sockets;
	size_t n_sockets;
};

/* What the ladder says for one package. */
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

/* Fills *ret for a binary package (name or name:arch). Returns 0, or a negative errno. */
int reach_for_package(struct reach_snapshot *s, const char *package, struct reach_info *ret);
void reach_info_done(struct reach_info *r);

/* Every stale process of every package ("fixed on disk, vulnerable in memory: restart
 * PROCESS (pid N)"): calls fn once per (package, process). */
int reach_foreach_stale(struct reach_snapshot *s,
			void (*fn)(void *ud, const char *package, const struct reach_proc *p), void *ud);
