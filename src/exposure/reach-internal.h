/*
 * reach internals shared by reach.c (queries, verdicts), procs.c (the /proc walk),
 * sockets.c (listening sockets per network namespace) and firewall.c (nftables).
 * Not an API: include only from those files and their tests.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/strview.h"
#include "exposure/reach.h"

#define REACH_MAX_PROCS (1u << 22)      /* pid_max's ceiling */
#define REACH_MAX_FILES_PER_PROC 8192   /* distinct mapped files kept per process */
#define REACH_MAX_SOCKETS_PER_PROC 1024 /* listening sockets kept per process */
#define REACH_MAX_USES (1u << 22)       /* (process, file) pairs in all: bounds a hostile host */
#define REACH_MAX_NETNS 4096            /* network namespaces whose tables are read */
#define REACH_NFT_PATH "/usr/sbin/nft"

/* One file seen as a process's executable or in its maps, keyed root-relative
 * with /usr-merge aliases folded (/lib/x → /usr/lib/x on a merged root). */
struct rpath {
	char *key;
	uint64_t hash;
	bool rooted;   /* under ROOT (or ROOT is "/"): ROOT+key is the same file on disk */
	int8_t disk;   /* 0 not looked at yet, 1 stat ok, -1 not there */
	unsigned disk_major, disk_minor;
	uint64_t disk_ino;
	size_t first_use; /* SIZE_MAX: none; uses chain through ruse.next */
};

/* One process using one file. */
struct ruse {
	size_t proc, path, next;
	unsigned major, minor; /* of the mapped inode, from maps or stat(/proc/PID/exe) */
	uint64_t ino;
	bool has_ino;
	bool deleted; /* "(deleted)" in maps or the exe link */
	bool exec;    /* the executable itself, or mapped with x */
};

struct rproc {
	struct reach_proc pub; /* pub.sockets points into socks */
	uint64_t ns_net, ns_mnt, ns_pid;
	struct reach_socket *socks;
	size_t n_socks;
	/* per-query scratch */
	uint64_t gen;
	size_t stale_path;
};

struct sock_entry {
	uint64_t inode;
	struct reach_socket s;
};

/* Listening sockets of one network namespace, sorted by inode. */
struct sock_table {
	uint64_t ns; /* 0 unknown */
	struct sock_entry *v;
	size_t n, cap;
};

struct reach_snapshot {
	char *proc_root;
	char *root; /* realpath, no trailing slash; "" for "/" */
	int rootfd; /* the root, for files read inside it (rootfs.h); -1 when closed */
	size_t root_len;
	bool merged[6]; /* bin sbin lib lib32 lib64 libx32 are symlinks into usr/ */

	struct rproc *procs;
	size_t n_procs, cap_procs;
	struct rpath *paths;
	size_t n_paths, cap_paths;
	size_t *path_index; /* open addressing over paths: SIZE_MAX empty */
	uint64_t seed; /* of the path hashes (hash_random_seed) */
	size_t cap_index;
	struct ruse *uses;
	size_t n_uses, cap_uses;
	uint64_t unreadable;
	uint64_t dropped; /* files or sockets beyond the per-process caps */

	uint64_t ref_net, ref_mnt, ref_pid; /* pid 1's (or our own when pid 1's cannot be read) */
	uint64_t self_net;		    /* where nft runs: its verdict is for this namespace */
	struct sock_table *netns;
	size_t n_netns;

	/* nftables */
	int fw_state; /* 0 not loaded, 1 ruleset loaded, -1 none / unreadable */
	json_t *ruleset;

	/* dpkg info directory: names of NAME:ARCH.list files, sorted, read once */
	char **info_multi;
	size_t n_info_multi;
	bool info_read;

	uint64_t gen;
	char *buf; /* reusable read buffer */
	size_t buf_cap;
};

/* procs.c */
int reach_procs_scan(struct reach_snapshot *s);
/* Parses one /proc/PID/status text into p (uid, euid, cap_eff, no_new_privs, seccomp).
 * Returns 1 when the Uid line was there, 0 when it was not (p keeps unknown values). */
int reach_parse_status(struct sv text, struct reach_proc *p);
/* Parses "net:[4026531840]" (ns link text) into its inode; 0 when malformed. */
uint64_t reach_parse_ns_link(struct sv link);
/* Adds a path as seen from /proc (folding ROOT and /usr-merge) and sets *ret to its index.
 * Returns 0, -ENAMETOOLONG (not kept), or -ENOMEM. */
int reach_path_intern(struct reach_snapshot *s, struct sv raw, size_t *ret);
/* Writes the lookup key of a ROOT-relative path (a dpkg list line) into buf; returns its length
 * or 0 when it does not fit. */
size_t reach_path_key(const struct reach_snapshot *s, struct sv path, char *buf, size_t size);
/* Looks a key up; SIZE_MAX when no process uses it. */
size_t reach_path_find(const struct reach_snapshot *s, struct sv key);
/* Reads a whole (small, /proc) file into s->buf; returns its length or a negative errno
 * (-EFBIG past max bytes). */
ssize_t reach_read_at(struct reach_snapshot *s, int dirfd, const char *name, size_t max);

/* sockets.c */
/* Parses one line of /proc/net/{tcp,tcp6,udp,udp6}; returns 1 and *ret when the socket listens
 * (TCP LISTEN, or UDP bound with no peer), 0 when it does not or the line is malformed. */
int reach_parse_net_line(struct sv line, uint8_t proto, uint8_t family, struct sock_entry *ret);
/* Reads DIR/net/{tcp,tcp6,udp,udp6} into t (sorted). Missing files are empty. */
int reach_sock_table_read(struct reach_snapshot *s, int dirfd, struct sock_table *t);
const struct sock_entry *reach_sock_table_find(const struct sock_table *t, uint64_t inode);
void reach_sock_table_done(struct sock_table *t);

/* firewall.c */
/* Runs `nft -j list ruleset` (fixed path, program-built argv, no shell, minimal environment)
 * and returns its output. -ENOENT without nft, -EPERM-like errors when it fails. */
int reach_nft_list_ruleset(char **ret_json);
/* The verdict for a parsed ruleset: 1 lets (proto, family, port) in from outside, 0 does not,
 * -1 unknown (no tables, constructs not understood). */
int reach_firewall_eval(json_t *ruleset, uint8_t proto, uint8_t family, uint16_t port);
