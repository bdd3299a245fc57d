/*
 * reach: what a stolen account could do on this host. For every account
 * that can log in, a graph from the account through its groups to what
 * each grants (sudo and doas rules, polkit, setuid files and file
 * capabilities, powerful groups, files root runs that the account can
 * write, root daemons' sockets), the shortest path to root, and the
 * secrets it can read (private keys, /etc/shadow, others' history,
 * credential files).
 *
 * Everything is read from a root directory (an image, a test tree, or
 * "/"); symlinks are resolved inside it. Permissions are modelled for the
 * account's uid and all its groups: owner, group and other bits, and POSIX
 * ACLs. Nothing here needs privileges; what the caller cannot read is
 * reported (reach_problem), not guessed.
 *
 *	struct reach *r;
 *	char *err;
 *	if (reach_new(&(struct reach_opts){ .root = "/" }, &r, &err) < 0) …
 *	for (size_t i = 0; i < reach_count(r); i++) {
 *		struct reach_summary s;
 *		reach_summary_at(r, i, &s);	// s.verdict: "dave: root in 1 step (…)"
 *	}
 *	reach_free(r);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct reach;

struct reach_opts {
	const char *root;     /* "/" when NULL */
	const char *hostname; /* the host part of sudoers rules: NULL reads ROOT/etc/hostname */
	bool no_walk;	      /* skip the file-system walk (setuid, capabilities, secrets, sockets) */
	/* accounts to analyse besides those that can log in (named on the
	 * command line: a service account's rules matter when it is asked about) */
	const char *const *users;
	size_t n_users;
	uint64_t max_files;   /* walk bound (0: 5,000,000 entries) */
	/* called every few thousand entries during the walk (may be NULL) */
	void (*progress)(void *ud, uint64_t files, const char *path);
	void *progress_ud;
};

/* Reads the root and builds the graph. Returns 0, or a negative errno with
 * *ret_err (the caller's to free): the root or its /etc/passwd unreadable. */
int reach_new(const struct reach_opts *o, struct reach **ret, char **ret_err);
struct reach *reach_free(struct reach *r);

/* The accounts analysed by default: those with a login shell or
 * authorized_keys (root itself included), in passwd order. */
size_t reach_count(const struct reach *r);

#define REACH_VERDICT_MAX 1024

/* One account's verdict, as a person reads it. */
struct reach_summary {
	char user[64];	     /* escaped name (as printed) */
	bool exists;	     /* in ROOT/etc/passwd */
	bool login;	     /* can log in (shell or keys) */
	bool is_root;	     /* uid 0 */
	int root_steps;	     /* steps of the shortest path to root; -1 none; 0 for uid 0 */
	bool needs_password; /* that path asks for the account's own password somewhere */
	unsigned secrets;    /* secrets readable outside its home */
	char verdict[REACH_VERDICT_MAX]; /* "dave: root in 1 step (sudo NOPASSWD /usr/bin/vim — escapes to a
					  * shell), evidence /etc/sudoers.d/dave:3" */
};

/* Fills *ret for the i-th default account. */
void reach_summary_at(const struct reach *r, size_t i, struct reach_summary *ret);
/* Fills *ret for any account by name (login or not). Returns 0, or -ENOENT
 * when the name is not in passwd (*ret then says so: exists false). */
int reach_summarize(const struct reach *r, const char *user, struct reach_summary *ret);

/* The verdict for one user of one root, for alerts: the first call for a
 * root builds its graph (walk included: seconds), later calls in the same
 * process reuse it. Returns 0, -ENOENT (no such account: *ret.exists false),
 * or the error of reach_new. Not thread-safe. */
int reach_verdict(const char *root, const char *user, struct reach_summary *ret);
/* Drops the cache of reach_verdict. */
void reach_verdict_reset(void);

/* Output. users: the names to show (NULL: the default accounts); a name not
 * in passwd is shown as such. Every name, path and rule text is escaped.
 * Text: a verdict per account, the steps with their evidence, the secrets
 * and notes. JSON: one object per account per line. DOT: one Graphviz graph
 * of the accounts shown, their groups and root. */
enum reach_format { REACH_TEXT, REACH_JSON, REACH_DOT };
struct reach_print_opts {
	enum reach_format format;
	const char *const *users;
	size_t n_users;
	bool verbose; /* text: every edge, not only the shortest path */
};
void reach_print(const struct reach *r, FILE *f, const struct reach_print_opts *o);

/* Diagnostics (file:line and why) of things read and skipped: malformed
 * lines, include loops, unreadable directories, huge files. */
size_t reach_problem_count(const struct reach *r);
uint64_t reach_problem_total(const struct reach *r);
const char *reach_problem(const struct reach *r, size_t i);

/* Walk figures, for the summary line. */
struct reach_stats {
	uint64_t files, unreadable_dirs, skipped_fs, loops, dropped;
	double walk_seconds;
	bool walked, acl_read;
	const char *host;
};
void reach_stats(const struct reach *r, struct reach_stats *ret);

/* The host name of a root: ROOT/etc/hostname's first word, else (for "/")
 * gethostname(). Returns 0, or -ENOENT when it has none. */
int reach_root_hostname(const char *root, char *buf, size_t size);

struct alert;
/* For an unusual-login alert of an account that exists on root (when the
 * alert names a host, root's host name must be that one: a log forwarded
 * from elsewhere is not about this root's accounts), adds the account's
 * verdict as a reason ("reach: dave: root in 1 step (…)") and, when the
 * shortest path to root is at most REACH_SHORT_PATH steps, raises the
 * alert's severity one level with a reason saying why. Uses the cache of
 * reach_verdict. Returns 1 annotated, 0 nothing to add, or a negative errno
 * (the root unreadable: the alert is left as it was). */
#define REACH_SHORT_PATH 2
int reach_annotate_alert(const char *root, struct alert *a);
