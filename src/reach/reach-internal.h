/*
 * reach internals shared by the files of src/reach/: the root-confined
 * file system (fsroot.c), accounts (accounts.c), the escape table
 * (escapes.c), sudoers (sudoers.c), doas and polkit (policy.c), what root
 * runs (rootrun.c), the file-system walk (walk.c) and the graph
 * (graph.c). Not an API: include only from those files and their tests.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/strview.h"
#include "reach/reach.h"

/* ---- limits: every table here grows with what a hostile host holds ---- */
#define RX_MAX_CONFIG_BYTES (1u << 20)	/* one sudoers / doas / unit / cron file */
#define RX_MAX_ACCOUNTS 65536		/* passwd entries kept */
#define RX_MAX_GROUPS 65536		/* group entries kept */
#define RX_MAX_CHAIN 64			/* path components (a deeper path is not resolved) */
#define RX_MAX_LINKS 40			/* symlinks followed in one resolution (the kernel's) */
#define RX_MAX_ACL 16			/* named ACL entries kept per file */
#define RX_MAX_PROBLEMS 1000		/* diagnostics kept (all are counted) */
#define RX_MAX_TARGETS 20000		/* files root runs or reads as code */
#define RX_MAX_FOUND 100000		/* setuid files, secrets, sockets, loose files kept */
#define RX_MAX_TARGET_BYTES (64u << 20) /* cron tables, units and loader files read in all */

/* ---- diagnostics ---- */

struct rx_problems {
	char **v;
	size_t n, cap;
	uint64_t total;
};
void rx_problem(struct rx_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rx_problems_done(struct rx_problems *p);

/* ---- permissions: owner, group, mode and POSIX ACL of one file ---- */

enum { RX_ACL_USER = 1, RX_ACL_GROUP = 2 };

struct rx_acl_ent {
	uint8_t tag;  /* RX_ACL_USER or RX_ACL_GROUP (named entries) */
	uint8_t perm; /* rwx as 4 2 1 */
	uint32_t id;
};

struct fperm {
	uint32_t uid, gid;
	uint32_t mode; /* st_mode */
	uint64_t dev, ino;
	bool has_acl;
	uint8_t acl_group_obj, acl_mask; /* with has_acl: the owning group's entry and the mask */
	uint8_t n_acl;
	struct rx_acl_ent acl[RX_MAX_ACL];
};

/* The account whose permissions are modelled: uid and all its groups. */
struct rx_who {
	uint32_t uid;
	const uint32_t *gids;
	size_t n_gids;
};

/* How a permission was granted, for evidence. */
enum rx_via { VIA_NONE, VIA_OWNER, VIA_ACL_USER, VIA_GROUP, VIA_ACL_GROUP, VIA_OTHER, VIA_ROOT };

/* Does who get every bit of want (4 r, 2 w, 1 x) on p? Writes through which
 * entry (*via, *via_id: the group's id for group grants). An owner counts as
 * granted everything: it can chmod. */
bool rx_perm(const struct fperm *p, const struct rx_who *who, unsigned want, enum rx_via *via, uint32_t *via_id);
bool rx_in_group(const struct rx_who *who, uint32_t gid);

/* ---- the root: every path below is absolute inside it ---- */

struct fsroot {
	int fd;	       /* O_PATH of the root directory */
	char *path;    /* the root as given, without a trailing slash ("" for "/") */
	bool acl_read; /* ACLs are read (libacl) */
};

/* A resolved path: the chain of directories from the root down, each with
 * its permissions, then the file itself (when it exists). */
struct rx_chain {
	char path[4096];	  /* canonical, inside the root ("/etc/cron.d/x") */
	struct fperm ent[RX_MAX_CHAIN];
	unsigned short end[RX_MAX_CHAIN]; /* ent[i]'s path is path[0..end[i]) ("/" for i = 0) */
	size_t n;		  /* entries filled: ent[0] is the root directory */
	bool exists;		  /* ent[n-1] is the file asked for; else ent[n-1] is the deepest existing dir */
};

int fsroot_open(const char *root, struct fsroot *ret);
void fsroot_close(struct fsroot *r);
/* Resolves path inside the root: symlinks (also absolute ones and "..")
 * stay inside it, at most RX_MAX_LINKS followed. follow_last: a symlink as
 * the last component is followed. A missing last component (or missing
 * directories) is not an error: exists is false and the chain ends at the
 * deepest directory that exists. Returns 0, -ELOOP, -ENAMETOOLONG, -ENOTDIR,
 * or another negative errno from the file system. */
int fsroot_resolve(const struct fsroot *r, const char *path, bool follow_last, struct rx_chain *ret);
/* Fills p from a stat of the host path host (the root's path prepended) and
 * its ACL. */
void fsroot_perm_from_stat(const struct fsroot *r, const char *host, const struct stat *st, struct fperm *p);
/* Reads a whole file inside the root (symlinks resolved inside it), at most
 * max bytes (-EFBIG past it). Returns the length or a negative errno; *ret
 * is NUL-terminated and the caller's. */
ssize_t fsroot_read(const struct fsroot *r, const char *path, size_t max, char **ret);
/* Lists the names in a directory inside the root, sorted, without "." and
 * "..". Returns the count or a negative errno; free with rx_strv_free. */
ssize_t fsroot_list(const struct fsroot *r, const char *dir, char ***ret);
void rx_strv_free(char **v, size_t n);

/* Can who write the file at the end of c (or, when it does not exist,
 * create it)? True also when it can replace it: a writable directory on the
 * way (not sticky, or sticky and owned by who). Every directory above must be
 * searchable. Writes a short reason into why ("mode 0666", "directory /etc
 * is writable: mode 0777", "owned by dave", "group-writable (group staff)").
 * names: uid/gid → name for the reason (may be NULL). */
struct accounts;
bool rx_can_write(const struct rx_chain *c, const struct rx_who *who, const struct accounts *names, char *why,
		  size_t whysz);
/* Can who read the existing file at the end of c? */
bool rx_can_read(const struct rx_chain *c, const struct rx_who *who, const struct accounts *names, char *why,
		 size_t whysz);
/* Can who execute it (search every directory, x on the file)? */
bool rx_can_exec(const struct rx_chain *c, const struct rx_who *who);

/* "rwxr-x---"-free short form: "0644 root:root". */
void rx_describe_perm(const struct fperm *p, const struct accounts *names, char *buf, size_t size);

/* ---- accounts ---- */

struct account {
	char *name;
	uint32_t uid, gid;
	char *home, *shell;
	unsigned line; /* in /etc/passwd */
	uint32_t *gids; /* primary first, then supplementary */
	size_t n_gids;
	unsigned *gid_lines; /* /etc/group line of each supplementary membership (0: primary) */
	bool login;	     /* a login shell, or authorized_keys */
	bool has_keys;
};

struct group_ent {
	char *name;
	uint32_t gid;
	unsigned line;
	char **members;
	size_t n_members;
};

struct accounts {
	struct account *u;
	size_t n;
	struct group_ent *g;
	size_t ng;
};

/* Reads ROOT/etc/passwd and ROOT/etc/group (and authorized_keys for the
 * login flag). Malformed lines are problems (file:line) and skipped.
 * Returns 0, or a negative errno when passwd cannot be read. */
int accounts_load(const struct fsroot *r, struct accounts *ret, struct rx_problems *pr);
void accounts_done(struct accounts *a);
/* Parses a passwd / group text into a (for tests and the fuzzer). */
int accounts_parse(struct accounts *a, const char *passwd, size_t plen, const char *group, size_t glen,
		   struct rx_problems *pr);
const struct account *accounts_by_name(const struct accounts *a, const char *name);
const struct account *accounts_by_uid(const struct accounts *a, uint32_t uid);
const struct group_ent *accounts_group_by_name(const struct accounts *a, const char *name);
const struct group_ent *accounts_group_by_gid(const struct accounts *a, uint32_t gid);
static inline struct rx_who account_who(const struct account *u)
{
	return (struct rx_who){ u->uid, u->gids, u->n_gids };
}

/* ---- what escapes: GTFOBins-derived knowledge, in escapes.c ---- */

enum {
	ESC_SUDO_ANY = 1 << 0,	 /* under sudo: a shell whatever the arguments (interactive: pager, editor) */
	ESC_SUDO_ARGS = 1 << 1,	 /* under sudo: a shell with arguments the caller chooses */
	ESC_REPL = 1 << 2,	 /* without arguments: an interpreter's prompt, so a shell */
	ESC_SUID = 1 << 3,	 /* as a setuid file: a shell keeping the privilege */
	ESC_WRITE = 1 << 4,	 /* writes any file with chosen arguments */
	ESC_READ = 1 << 5,	 /* reads any file with chosen arguments */
	ESC_CAPS = 1 << 6,	 /* with cap_setuid: sets uid 0 itself (an interpreter) */
};

struct escape {
	const char *name;
	unsigned flags;
	const char *how; /* "escapes to a shell (:!sh)" */
};

/* The entry for a program's base name (versions folded: python3.11 → python). NULL when unknown. */
const struct escape *escape_find(const char *path);
/* Setuid programs Debian ships that are setuid by design (passwd, su, …). */
bool escape_expected_setuid(const char *path);

enum esc_verdict { ESCV_NONE, ESCV_READ, ESCV_WRITE, ESCV_SHELL };
/* What running path (as another user, through sudo or doas) gives, when
 * args are the permitted arguments: NULL any, "" none, else fixed (may hold
 * wildcards, which let the caller choose). *how: a phrase for the verdict. */
enum esc_verdict escape_judge(const char *path, const char *args, const char **how);

/* ---- sudoers ---- */

struct sudoers;
struct sudo_ctx {
	const char *host;  /* the host's name (matched with and without its domain) */
	const struct accounts *acc;
};

/* One thing an account may run through sudo. */
struct sudo_grant {
	const char *file;
	unsigned line;
	bool all;	    /* the command ALL */
	bool sudoedit;
	const char *cmd;    /* path (may hold wildcards; ends in '/' for a directory); NULL with all */
	const char *args;   /* NULL any, "" none */
	bool nopasswd;	    /* no password asked (tag, or Defaults !authenticate) */
	bool other_pw;	    /* the password asked is not the account's own (targetpw, rootpw, runaspw) */
	bool runas_group_only; /* "(:group)": runs as the account with another group */
	const char *rule;   /* the rule's text, for evidence */
};

struct sudoers *sudoers_new(void);
struct sudoers *sudoers_free(struct sudoers *s);
/* Parses one file's text (includes are read through r when r is not NULL,
 * relative to path's directory; %h is the host's name). Problems (file:line
 * and why) are recorded and the line skipped. Returns 0, or -ENOMEM. */
int sudoers_parse(struct sudoers *s, const struct fsroot *r, const char *path, const char *text, size_t len,
		  const char *host, struct rx_problems *pr);
/* Reads ROOT/etc/sudoers with its includes. -ENOENT when there is none. */
int sudoers_load(struct sudoers *s, const struct fsroot *r, const char *host, struct rx_problems *pr);
/* Calls fn for each grant of user u that lets it act as target (a user name;
 * target_group: the grant gives that group instead, "(:group)"), in file
 * order; a grant that a later "!" command for the same target takes back is
 * left out. Returns the number of calls. */
size_t sudoers_grants(const struct sudoers *s, const struct sudo_ctx *ctx, const struct account *u,
		      const char *target_user, const char *target_group,
		      void (*fn)(void *ud, const struct sudo_grant *g), void *ud);
/* Users named in runas lists (and "ALL" when any user is), for the graph. */
size_t sudoers_runas_names(const struct sudoers *s, const char ***ret);
/* Groups named in runas group lists ("(:shadow)"), at most max. */
size_t sudoers_runas_groups(const struct sudoers *s, const char **ret, size_t max);
/* Directories of Defaults secure_path (colon-separated text), or NULL. */
const char *sudoers_secure_path(const struct sudoers *s);
/* Files read (sudoers and its includes). */
size_t sudoers_files(const struct sudoers *s, const char *const **ret);

/* ---- the graph (graph.c) ---- */

struct rx_graph;

enum rx_node_kind { NODE_USER, NODE_GROUP, NODE_ROOT };

enum rx_edge_kind {
	EDGE_MEMBER,   /* account → its group: costs no step */
	EDGE_SUDO,
	EDGE_DOAS,
	EDGE_POLKIT,
	EDGE_SETUID,
	EDGE_CAPS,
	EDGE_GROUP,    /* a powerful group's own power */
	EDGE_WRITE,    /* writes a file root (or another user) runs */
	EDGE_SOCKET,   /* writes a root daemon's socket */
	EDGE_UID0,     /* uid 0 in passwd */
};

/* Adds an edge. from/to: node ids (rx_node_user / rx_node_group / rx_node_root).
 * what: the step in words; evidence: file[:line]; detail: mode, owner, why (may be NULL).
 * password: needs the account's own password (a thief with it has it).
 * Returns 0 or -ENOMEM. */
int rx_edge(struct rx_graph *g, size_t from, size_t to, enum rx_edge_kind kind, bool password, const char *what,
	    const char *evidence, const char *detail);
size_t rx_node_user(const struct rx_graph *g, size_t account_index);
size_t rx_node_group(const struct rx_graph *g, size_t group_index);
size_t rx_node_root(const struct rx_graph *g);
const struct accounts *rx_graph_accounts(const struct rx_graph *g);
/* A note for an account (or, with account SIZE_MAX, for every member of group group_index). */
int rx_note(struct rx_graph *g, size_t account, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- the walk (walk.c) ---- */

enum rx_found_kind { FOUND_SETUID, FOUND_SETGID, FOUND_CAPS, FOUND_SECRET, FOUND_SOCKET, FOUND_LOOSE };

struct rx_found {
	uint8_t kind;
	char *path;   /* inside the root */
	size_t dir;   /* index of its directory in the walk's dirs */
	struct fperm perm;
	char *info;   /* caps text, secret kind, socket name */
	uint64_t caps; /* dangerous capabilities in the permitted set (bit = CAP_* number) */
};

struct rx_dir {
	size_t parent; /* SIZE_MAX for the root */
	struct fperm perm;
};

struct rx_walk {
	struct rx_dir *dirs;
	size_t n_dirs, cap_dirs;
	struct rx_found *found;
	size_t n_found, cap_found;
	uint64_t files, dropped, unreadable, skipped_fs, loops;
	double seconds;
};

struct rx_walk_opts {
	uint64_t max_files;
	void (*progress)(void *ud, uint64_t files, const char *path);
	void *progress_ud;
};

int rx_walk_run(const struct fsroot *r, const struct rx_walk_opts *o, struct rx_walk *w, struct rx_problems *pr);
void rx_walk_done(struct rx_walk *w);
/* The chain of a found file (directories from the root, then the file). */
void rx_walk_chain(const struct rx_walk *w, const struct rx_found *f, struct rx_chain *ret);
/* Is name a secret's name (in directory dir)? Writes its kind ("private SSH key"). */
bool rx_secret_name(const char *dir, const char *name, const char **kind);
/* Is a file system of this statfs magic one the walk skips (pseudo, network)? */
bool rx_skip_fs(int64_t magic, const char **name);

/* ---- what root runs (rootrun.c) ---- */

struct rx_target {
	char *path;	/* inside the root */
	char *why;	/* "cron job, run as root" */
	char *evidence; /* file:line that says so (or the path itself) */
	uint32_t run_uid; /* whose code it becomes: 0 root, else that user */
	bool dir;	/* a directory whose entries are run (writable: plant one) */
};

struct rx_targets {
	struct rx_target *v;
	size_t n, cap;
	uint64_t dropped;
	uint64_t bytes;	 /* configuration read (cron tables, units, ld.so.conf) */
	bool over_budget; /* RX_MAX_TARGET_BYTES reached: the rest not read */
};

int rx_targets_collect(const struct fsroot *r, const struct accounts *acc, const struct sudoers *sd,
		       struct rx_targets *t, struct rx_problems *pr);
void rx_targets_done(struct rx_targets *t);
