/*
 * graph: accounts, their groups and root as nodes; what one grants the
 * other as edges, each with its evidence. The shortest way to root of
 * every account comes from one breadth-first search backwards from root
 * (0-1: joining one's own group costs no step, everything else one).
 *
 * Edges are computed for the accounts that matter: those that can log in,
 * those with uid 0, and those another account can become through sudo or
 * doas (at most RX_MAX_ANALYSED). Each file of interest is resolved once
 * and checked for every such account.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/array.h"
#include "core/escape.h"
#include "core/macro.h"
#include "reach/graph-internal.h"

#define RX_MAX_ANALYSED 4096
#define RX_MAX_EDGES_PER_ACCOUNT 256

size_t rx_node_user(const struct rx_graph *g, size_t i)
{
	(void)g;
	return i;
}

size_t rx_node_group(const struct rx_graph *g, size_t j)
{
	return g->acc->n + j;
}

size_t rx_node_root(const struct rx_graph *g)
{
	return g->acc->n + g->acc->ng;
}

const struct accounts *rx_graph_accounts(const struct rx_graph *g)
{
	return g->acc;
}

bool rx_graph_analysed(const struct rx_graph *g, size_t account)
{
	return account < g->acc->n && g->analysed[account];
}

int rx_edge(struct rx_graph *g, size_t from, size_t to, enum rx_edge_kind kind, bool password, const char *what,
	    const char *evidence, const char *detail)
{
	if (from == to)
		return 0;
	if (from < g->acc->n && g->per_account[from] >= RX_MAX_EDGES_PER_ACCOUNT) {
		g->dropped++;
		return 0;
	}
	if (array_reserve(&g->e, &g->cap_e, g->n_e + 1, sizeof(*g->e), 256) < 0)
		return -ENOMEM;
	struct rx_edge *e = &g->e[g->n_e];
	*e = (struct rx_edge){ from, to, (uint8_t)kind, password, strdup(what), strdup(evidence ? evidence : ""),
			       detail ? strdup(detail) : NULL };
	if (!e->what || !e->evidence || (detail && !e->detail)) {
		free(e->what);
		free(e->evidence);
		free(e->detail);
		return -ENOMEM;
	}
	if (from < g->acc->n)
		g->per_account[from]++;
	g->n_e++;
	return 0;
}

int rx_note(struct rx_graph *g, size_t account, const char *fmt, ...)
{
	if (array_reserve(&g->notes, &g->cap_notes, g->n_notes + 1, sizeof(*g->notes), 64) < 0)
		return -ENOMEM;
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	/* the same sentence twice for one account says nothing new */
	for (size_t i = 0; i < g->n_notes; i++)
		if (g->notes[i].account == account && strcmp(g->notes[i].text, s) == 0) {
			free(s);
			return 0;
		}
	g->notes[g->n_notes++] = (struct rx_note){ account, s };
	return 0;
}

static int add_secret(struct rx_graph *g, size_t account, size_t found, const char *via)
{
	if (array_reserve(&g->secrets, &g->cap_secrets, g->n_secrets + 1, sizeof(*g->secrets), 64) < 0)
		return -ENOMEM;
	char *v = strdup(via);
	if (!v)
		return -ENOMEM;
	g->secrets[g->n_secrets++] = (struct rx_secret){ account, found, v };
	return 0;
}

/* ---- what running a program as someone else gives ---- */

static bool is_code_target(const struct reach *r, const char *path)
{
	for (size_t i = 0; i < r->tg.n; i++)
		if (r->tg.v[i].run_uid == 0 && strcmp(r->tg.v[i].path, path) == 0)
			return true;
	return false;
}

int rx_run_edge(struct reach *r, size_t account, size_t to, const char *via, const struct rx_run *run)
{
	struct rx_graph *g = &r->g;
	const struct account *u = &g->acc->u[account];
	const char *tname = to == rx_node_root(g) ? "root"
			    : to < g->acc->n      ? g->acc->u[to].name
						  : g->acc->g[to - g->acc->n].name;
	char tag[160], what[1024], detail[512];
	if (run->nopass)
		snprintf(tag, sizeof(tag), "%s NOPASSWD", via);
	else
		snprintf(tag, sizeof(tag), "%s (with %s's password)", via, u->name);
	const char *as = to == rx_node_root(g) ? "" : to < g->acc->n ? " as " : " with group ";
	const char *asname = to == rx_node_root(g) ? "" : tname;
	snprintf(detail, sizeof(detail), "%s", run->rule ? run->rule : "");
	if (run->other_pw && !run->nopass) {
		return rx_note(g, account, "%s%s%s %s asks for the target's password (targetpw/rootpw/runaspw), not %s's: no step for a thief [%s]",
			       via, as, asname, run->all ? "ALL" : run->cmd ? run->cmd : "?", u->name, run->evidence);
	}
	if (run->all) {
		snprintf(what, sizeof(what), "%s%s%s ALL — any command", tag, as, asname);
		return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
	}
	if (!run->cmd)
		return 0;
	const char *args = run->args;
	char cmdline[700];
	snprintf(cmdline, sizeof(cmdline), "%s%s%s", run->cmd, args && *args ? " " : "", args ? args : "");
	if (run->sudoedit) {
		bool wild = !args || strpbrk(args, "*?[");
		bool code = args && !wild && is_code_target(r, args);
		if (wild || code) {
			snprintf(what, sizeof(what), "%s%s%s %s — edits %s", tag, as, asname, cmdline,
				 wild ? "files it chooses, as root" : "a file root reads as code");
			return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
		}
		return rx_note(g, account, "%s %s: edits a file root does not run (no step) [%s]", via, cmdline, run->evidence);
	}
	size_t cl = strlen(run->cmd);
	if (run->cmd[cl - 1] == '/') {
		snprintf(what, sizeof(what), "%s%s%s %s — any program in that directory (a shell among them)", tag, as,
			 asname, run->cmd);
		return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
	}
	if (strpbrk(run->cmd, "*?[")) {
		snprintf(what, sizeof(what), "%s%s%s %s — the wildcard in the path matches a shell", tag, as, asname,
			 run->cmd);
		return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
	}
	/* a program the account can replace is any program */
	if (run->cmd[0] == '/' && fsroot_resolve(&r->root, run->cmd, true, r->chain) == 0) {
		char why[256];
		struct rx_who who = account_who(u);
		if (rx_can_write(r->chain, &who, g->acc, why, sizeof(why))) {
			snprintf(what, sizeof(what), "%s%s%s %s — the account can replace the program", tag, as, asname,
				 cmdline);
			snprintf(detail, sizeof(detail), "%.200s: %s", r->chain->path, why);
			return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
		}
	}
	const char *how = NULL;
	switch (escape_judge(run->cmd, args, &how)) {
	case ESCV_SHELL:
		snprintf(what, sizeof(what), "%s%s%s %s — %s", tag, as, asname, cmdline, how);
		return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
	case ESCV_WRITE:
		snprintf(what, sizeof(what), "%s%s%s %s — %s (/etc/sudoers among them)", tag, as, asname, cmdline, how);
		return rx_edge(g, account, to, run->kind, !run->nopass, what, run->evidence, detail);
	case ESCV_READ:
		return rx_note(g, account, "%s%s%s %s: %s (secrets, not a shell) [%s]", via, as, asname, cmdline, how,
			       run->evidence);
	default:
		return rx_note(g, account, "%s%s%s %s: no known escape (no step) [%s]", tag, as, asname, cmdline,
			       run->evidence);
	}
}

/* ---- sudo ---- */

struct grant_ctx {
	struct reach *r;
	size_t account, to;
	int err;
};

static void on_grant(void *ud, const struct sudo_grant *gr)
{
	struct grant_ctx *c = ud;
	char ev[4200];
	snprintf(ev, sizeof(ev), "%s:%u", gr->file, gr->line);
	struct rx_run run = { .kind = EDGE_SUDO, .all = gr->all, .sudoedit = gr->sudoedit, .cmd = gr->cmd,
			      .args = gr->args, .nopass = gr->nopasswd, .other_pw = gr->other_pw,
			      .evidence = ev, .rule = gr->rule };
	int rc = rx_run_edge(c->r, c->account, c->to, "sudo", &run);
	if (rc < 0)
		c->err = rc;
}

static int sudo_edges(struct reach *r)
{
	if (!r->sd)
		return 0;
	struct sudo_ctx ctx = { r->host, &r->acc };
	const char **names;
	size_t nn = sudoers_runas_names(r->sd, &names);
	const char *groups[64];
	size_t ng = sudoers_runas_groups(r->sd, groups, ELEMENTSOF(groups));
	for (size_t i = 0; i < r->acc.n; i++) {
		if (!r->g.analysed[i] || r->acc.u[i].uid == 0)
			continue;
		const struct account *u = &r->acc.u[i];
		struct grant_ctx c = { r, i, rx_node_root(&r->g), 0 };
		sudoers_grants(r->sd, &ctx, u, "root", NULL, on_grant, &c);
		for (size_t k = 0; k < nn; k++) {
			const struct account *t = accounts_by_name(&r->acc, names[k]);
			if (!t || t == u || t->uid == 0)
				continue;
			c.to = rx_node_user(&r->g, (size_t)(t - r->acc.u));
			sudoers_grants(r->sd, &ctx, u, t->name, NULL, on_grant, &c);
		}
		for (size_t k = 0; k < ng; k++) {
			const struct group_ent *ge = accounts_group_by_name(&r->acc, groups[k]);
			if (!ge)
				continue;
			c.to = rx_node_group(&r->g, (size_t)(ge - r->acc.g));
			sudoers_grants(r->sd, &ctx, u, u->name, ge->name, on_grant, &c);
		}
		if (c.err)
			return c.err;
	}
	return 0;
}

/* ---- groups ---- */

static bool exists_in_root(struct reach *r, const char *path)
{
	return fsroot_resolve(&r->root, path, true, r->chain) == 0 && r->chain->exists;
}

static const char *first_existing(struct reach *r, const char *const *paths)
{
	for (; *paths; paths++)
		if (exists_in_root(r, *paths))
			return *paths;
	return NULL;
}

static int group_edges(struct reach *r)
{
	struct rx_graph *g = &r->g;
	static const char *const docker[] = { "/run/docker.sock", "/var/run/docker.sock", "/usr/bin/dockerd",
					      "/usr/sbin/dockerd", NULL };
	static const char *const lxd[] = { "/var/snap/lxd/common/lxd/unix.socket", "/var/lib/lxd/unix.socket",
					   "/snap/bin/lxd", "/usr/bin/lxd", "/usr/sbin/lxd", NULL };
	static const char *const incus[] = { "/var/lib/incus/unix.socket", "/usr/bin/incus", "/usr/sbin/incusd", NULL };
	static const char *const libvirt[] = { "/run/libvirt/libvirt-sock", "/usr/sbin/libvirtd", NULL };
	static const struct {
		const char *group;
		const char *const *needs; /* the daemon that gives the power (NULL: the group itself) */
		bool root;
		const char *what;
	} powerful[] = {
		{ "docker", docker, true, "docker group: the Docker daemon starts a root container with the host's / mounted" },
		{ "lxd", lxd, true, "lxd group: LXD starts a privileged container with the host's / mounted" },
		{ "incus-admin", incus, true, "incus-admin group: Incus starts a privileged container with the host's / mounted" },
		{ "libvirt", libvirt, true, "libvirt group: libvirtd starts a machine with the host's disks" },
		{ "disk", NULL, true, "disk group: raw read and write of the disks (debugfs edits any file)" },
		{ "adm", NULL, false, "adm group: reads the system logs (others' commands, sometimes passwords typed as user names)" },
		{ "systemd-journal", NULL, false, "systemd-journal group: reads the whole journal" },
		{ "video", NULL, false, "video group: reads the screen (framebuffer)" },
		{ "kvm", NULL, false, "kvm group: runs virtual machines" },
		{ "shadow", NULL, false, "shadow group: reads password hashes where /etc/shadow is group-readable" },
		{ "sudo", NULL, false, "sudo group: what it grants is what sudoers and polkit say (see the steps)" },
		{ "wheel", NULL, false, "wheel group: what it grants is what sudoers, doas and polkit say" },
		{ "admin", NULL, false, "admin group: what it grants is what sudoers and polkit say" },
		{ "root", NULL, false, "root group (gid 0): whatever root's group may write" },
	};
	for (size_t k = 0; k < ELEMENTSOF(powerful); k++) {
		const struct group_ent *ge = accounts_group_by_name(&r->acc, powerful[k].group);
		if (!ge)
			continue;
		size_t gi = (size_t)(ge - r->acc.g);
		char ev[64];
		snprintf(ev, sizeof(ev), "/etc/group:%u", ge->line);
		if (powerful[k].root) {
			const char *daemon = powerful[k].needs ? first_existing(r, powerful[k].needs) : "";
			if (daemon) {
				char detail[256];
				snprintf(detail, sizeof(detail), "%s%s", *daemon ? "present: " : "", daemon);
				int rc = rx_edge(g, rx_node_group(g, gi), rx_node_root(g), EDGE_GROUP, false, powerful[k].what,
						 ev, *daemon ? detail : NULL);
				if (rc < 0)
					return rc;
				continue;
			}
		}
		/* a note for every member */
		for (size_t i = 0; i < r->acc.n; i++) {
			if (!g->analysed[i] || r->acc.u[i].uid == 0)
				continue;
			for (size_t m = 0; m < r->acc.u[i].n_gids; m++)
				if (r->acc.u[i].gids[m] == ge->gid) {
					if (powerful[k].root)
						(void)rx_note(g, i, "%s group: no daemon found that gives it power (no step) [%s]",
							      powerful[k].group, ev);
					else
						(void)rx_note(g, i, "%s [%s]", powerful[k].what, ev);
				}
		}
	}
	/* membership: account → each of its groups */
	for (size_t i = 0; i < r->acc.n; i++) {
		const struct account *u = &r->acc.u[i];
		if (!g->analysed[i])
			continue;
		for (size_t m = 0; m < u->n_gids; m++) {
			const struct group_ent *ge = accounts_group_by_gid(&r->acc, u->gids[m]);
			if (!ge)
				continue;
			char ev[64], what[300];
			if (u->gid_lines[m])
				snprintf(ev, sizeof(ev), "/etc/group:%u", u->gid_lines[m]);
			else
				snprintf(ev, sizeof(ev), "/etc/passwd:%u", u->line);
			snprintf(what, sizeof(what), "member of group %s%s", ge->name, u->gid_lines[m] ? "" : " (primary)");
			int rc = rx_edge(g, i, rx_node_group(g, (size_t)(ge - r->acc.g)), EDGE_MEMBER, false, what, ev, NULL);
			if (rc < 0)
				return rc;
		}
		if (u->uid == 0 && strcmp(u->name, "root") != 0) {
			char ev[64];
			snprintf(ev, sizeof(ev), "/etc/passwd:%u", u->line);
			int rc = rx_edge(g, i, rx_node_root(g), EDGE_UID0, false, "uid 0 in /etc/passwd: it is root", ev, NULL);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* ---- files: what root runs, what the walk found ---- */

/* Who can write target x: its own entry (a symlink: the link's directory)
 * and, through a link, the file it points to. */
static int target_edges_one(struct reach *r, const struct rx_target *x, bool follow)
{
	struct rx_graph *g = &r->g;
	int rc = fsroot_resolve(&r->root, x->path, follow, r->chain);
	if (rc < 0)
		return 0;
	/* a missing file counts only where its creation is loaded (ld.so.preload) */
	if (!r->chain->exists && (x->dir || strcmp(x->path, "/etc/ld.so.preload") != 0))
		return 0;
	mode_t m = r->chain->exists ? r->chain->ent[r->chain->n - 1].mode : 0;
	if (r->chain->exists && (x->dir ? !S_ISDIR(m) : !S_ISREG(m) && !S_ISLNK(m)))
		return 0; /* a masked unit (→ /dev/null), a device: writing it runs nothing */
	const struct account *owner = accounts_by_uid(&r->acc, x->run_uid);
	size_t to = x->run_uid == 0 ? rx_node_root(g) : owner ? (size_t)(owner - r->acc.u) : SIZE_MAX;
	if (to == SIZE_MAX)
		return 0;
	for (size_t i = 0; i < r->acc.n; i++) {
		const struct account *u = &r->acc.u[i];
		if (!g->analysed[i] || u->uid == 0 || u->uid == x->run_uid)
			continue;
		struct rx_who who = account_who(u);
		char why[320], what[1200], detail[700];
		if (!rx_can_write(r->chain, &who, &r->acc, why, sizeof(why)))
			continue;
		bool via_link = follow && strcmp(r->chain->path, x->path) != 0;
		snprintf(what, sizeof(what), "can write %s%s%.300s%s%s — %s", x->path, via_link ? " (→ " : "",
			 via_link ? r->chain->path : "", via_link ? ")" : "",
			 x->dir ? " (a directory: put a file in it)" : r->chain->exists ? "" : " (creates it)", x->why);
		snprintf(detail, sizeof(detail), "%s", why);
		rc = rx_edge(g, i, to, EDGE_WRITE, false, what, x->evidence, detail);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int target_edges(struct reach *r)
{
	for (size_t t = 0; t < r->tg.n; t++) {
		int rc = target_edges_one(r, &r->tg.v[t], false);
		if (rc < 0)
			return rc;
		/* through a symlink: the file it names too */
		if (r->chain->exists && S_ISLNK(r->chain->ent[r->chain->n - 1].mode) &&
		    (rc = target_edges_one(r, &r->tg.v[t], true)) < 0)
			return rc;
	}
	return 0;
}

static bool known_socket(const char *name)
{
	static const char *const names[] = { "docker.sock", "containerd.sock", "podman.sock", "crio.sock",
					     "buildkitd.sock", "libvirt-sock", "unix.socket" /* lxd, incus */ };
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static int found_edges(struct reach *r)
{
	struct rx_graph *g = &r->g;
	for (size_t f = 0; f < r->walk.n_found; f++) {
		const struct rx_found *x = &r->walk.found[f];
		rx_walk_chain(&r->walk, x, r->chain);
		char pd[128];
		rx_describe_perm(&x->perm, &r->acc, pd, sizeof(pd));
		const struct account *owner = accounts_by_uid(&r->acc, x->perm.uid);
		for (size_t i = 0; i < r->acc.n; i++) {
			const struct account *u = &r->acc.u[i];
			if (!g->analysed[i] || u->uid == 0)
				continue;
			struct rx_who who = account_who(u);
			char why[320], what[1200];
			int rc = 0;
			switch (x->kind) {
			case FOUND_SETUID:
			case FOUND_SETGID: {
				bool uid = x->kind == FOUND_SETUID;
				if ((uid ? x->perm.uid : 0) == u->uid || !rx_can_exec(r->chain, &who))
					break;
				if (!uid && rx_in_group(&who, x->perm.gid))
					break;
				const struct escape *e = escape_find(x->path);
				size_t to;
				if (uid)
					to = x->perm.uid == 0 ? rx_node_root(g) : owner ? (size_t)(owner - r->acc.u) : SIZE_MAX;
				else {
					const struct group_ent *ge = accounts_group_by_gid(&r->acc, x->perm.gid);
					to = ge ? rx_node_group(g, (size_t)(ge - r->acc.g)) : SIZE_MAX;
				}
				if (e && (e->flags & (ESC_SUID | ESC_WRITE))) {
					if (to == SIZE_MAX)
						break;
					snprintf(what, sizeof(what), "runs %s %s — %s", uid ? "setuid" : "setgid", x->path,
						 (e->flags & ESC_SUID) ? e->how : "writes any file with its owner's rights");
					rc = rx_edge(g, i, to, EDGE_SETUID, false, what, x->path, pd);
				} else if (uid && x->perm.uid == 0 && !escape_expected_setuid(x->path)) {
					rc = rx_note(g, i, "can run setuid-root %s: not a known escape, not one Debian ships setuid (review it) [%s]",
						     x->path, pd);
				}
				break;
			}
			case FOUND_CAPS: {
				if (!rx_can_exec(r->chain, &who))
					break;
				const struct escape *e = escape_find(x->path);
				bool setuid_like = x->caps & ((1ull << CAP_SETUID) | (1ull << CAP_SYS_ADMIN) |
							      (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_CHOWN) |
							      (1ull << CAP_FOWNER) | (1ull << CAP_SYS_MODULE) |
							      (1ull << CAP_SYS_PTRACE));
				bool runs_code = e && (e->flags & (ESC_CAPS | ESC_REPL | ESC_SUDO_ARGS | ESC_SUDO_ANY | ESC_WRITE));
				if (setuid_like && runs_code) {
					snprintf(what, sizeof(what), "runs %s with file capabilities %s — %s", x->path, x->info,
						 e->how);
					rc = rx_edge(g, i, rx_node_root(g), EDGE_CAPS, false, what, x->path, pd);
				} else if (x->caps) {
					rc = rx_note(g, i, "can run %s with capabilities %s: not a known escape [%s]", x->path,
						     x->info, pd);
				}
				break;
			}
			case FOUND_SOCKET: {
				const char *base = strrchr(x->path, '/') ? strrchr(x->path, '/') + 1 : x->path;
				if (!rx_can_write(r->chain, &who, &r->acc, why, sizeof(why)))
					break;
				if (!(r->chain->exists && rx_perm(&x->perm, &who, 2, NULL, NULL)))
					break; /* connecting needs write on the socket itself */
				if (known_socket(base)) {
					snprintf(what, sizeof(what), "can write root's socket %s — the daemon behind it runs what it is told as root",
						 x->path);
					rc = rx_edge(g, i, rx_node_root(g), EDGE_SOCKET, false, what, x->path, why);
				} else {
					rc = rx_note(g, i, "can write root's socket %s (what the daemon allows is not judged) [%s]",
						     x->path, why);
				}
				break;
			}
			case FOUND_SECRET: {
				if (x->perm.uid == u->uid)
					break;
				size_t hl = strlen(u->home);
				if (hl > 1 && strncmp(x->path, u->home, hl) == 0 && x->path[hl] == '/')
					break;
				if (!rx_can_read(r->chain, &who, &r->acc, why, sizeof(why)))
					break;
				rc = add_secret(g, i, f, why);
				break;
			}
			case FOUND_LOOSE: {
				if (x->perm.uid == u->uid && owner && owner->uid != 0 && x->perm.uid != 0) {
					/* the account's own file in a code directory: it runs as root when root runs it */
				}
				if (!rx_can_write(r->chain, &who, &r->acc, why, sizeof(why)))
					break;
				snprintf(what, sizeof(what), "can write %s — a %s where root's programs and modules are loaded from",
					 x->path, x->info);
				rc = rx_edge(g, i, rx_node_root(g), EDGE_WRITE, false, what, x->path, why);
				break;
			}
			}
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* ---- the search ---- */

static int cmp_to(const void *a, const void *b, void *ud)
{
	const struct rx_edge *e = ud;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (e[x].to != e[y].to)
		return e[x].to < e[y].to ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* 0-1 BFS from root over reversed edges: dist[n] steps from n to root,
 * next[n] the edge n takes first. */
static int search(struct rx_graph *g)
{
	size_t nn = rx_node_root(g) + 1;
	g->dist = malloc(nn * sizeof(*g->dist));
	g->next = malloc(nn * sizeof(*g->next));
	size_t *order = malloc((g->n_e + 1) * sizeof(*order));
	size_t *first = calloc(nn + 1, sizeof(*first));
	size_t *dq = malloc(2 * (nn + g->n_e + 1) * sizeof(*dq));
	if (!g->dist || !g->next || !order || !first || !dq) {
		free(order);
		free(first);
		free(dq);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->n_e; i++)
		order[i] = i;
	qsort_r(order, g->n_e, sizeof(*order), cmp_to, g->e);
	for (size_t i = 0; i < g->n_e; i++)
		first[g->e[order[i]].to + 1]++;
	for (size_t n = 0; n < nn; n++)
		first[n + 1] += first[n];
	for (size_t n = 0; n < nn; n++) {
		g->dist[n] = -1;
		g->next[n] = SIZE_MAX;
	}
	/* deque in an array: head grows down from the middle, tail up */
	size_t mid = nn + g->n_e, head = mid, tail = mid;
	size_t root = rx_node_root(g);
	g->dist[root] = 0;
	dq[tail++] = root;
	while (head < tail) {
		size_t v = dq[head++];
		for (size_t k = first[v]; k < first[v + 1]; k++) {
			const struct rx_edge *e = &g->e[order[k]];
			int w = e->kind == EDGE_MEMBER ? 0 : 1;
			int d = g->dist[v] + w;
			if (g->dist[e->from] >= 0 && g->dist[e->from] <= d)
				continue;
			/* an equal-length way without a password beats one with */
			g->dist[e->from] = d;
			g->next[e->from] = order[k];
			if (w == 0)
				dq[--head] = e->from;
			else
				dq[tail++] = e->from;
		}
	}
	free(order);
	free(first);
	free(dq);
	return 0;
}

/* ---- the whole ---- */

static int read_hostname(struct reach *r, const char *given)
{
	if (given) {
		r->host = strdup(given);
		return r->host ? 0 : -ENOMEM;
	}
	char *text = NULL;
	ssize_t n = fsroot_read(&r->root, "/etc/hostname", 4096, &text);
	if (n > 0) {
		text[strcspn(text, " \t\r\n")] = '\0';
		if (*text) {
			r->host = text;
			return 0;
		}
	}
	free(text);
	char buf[256] = "";
	if (strcmp(r->root.path, "") == 0 && gethostname(buf, sizeof(buf) - 1) == 0 && *buf)
		r->host = strdup(buf);
	else
		r->host = strdup("");
	return r->host ? 0 : -ENOMEM;
}

static void mark_analysed(struct reach *r, const struct reach_opts *o)
{
	size_t n = 0;
	for (size_t k = 0; o && o->users && k < o->n_users; k++) {
		const struct account *u = accounts_by_name(&r->acc, o->users[k]);
		if (u && !r->g.analysed[u - r->acc.u] && n++ < RX_MAX_ANALYSED)
			r->g.analysed[u - r->acc.u] = true;
	}
	for (size_t i = 0; i < r->acc.n; i++)
		if ((r->acc.u[i].login || r->acc.u[i].uid == 0) && !r->g.analysed[i]) {
			if (n++ < RX_MAX_ANALYSED)
				r->g.analysed[i] = true;
		}
	if (r->sd) {
		const char **names;
		size_t nn = sudoers_runas_names(r->sd, &names);
		for (size_t k = 0; k < nn; k++) {
			const struct account *t = accounts_by_name(&r->acc, names[k]);
			if (t && !r->g.analysed[t - r->acc.u] && n++ < RX_MAX_ANALYSED)
				r->g.analysed[t - r->acc.u] = true;
		}
	}
	if (n > RX_MAX_ANALYSED)
		rx_problem(&r->pr, "%zu accounts can log in or be switched to; only the first %d analysed", n,
			   RX_MAX_ANALYSED);
}

int reach_new(const struct reach_opts *o, struct reach **ret, char **ret_err)
{
	struct reach *r = calloc(1, sizeof(*r));
	int rc;
	*ret_err = NULL;
	if (!r || !(r->chain = malloc(sizeof(*r->chain)))) {
		free(r);
		return -ENOMEM;
	}
	r->root.fd = -1;
	const char *root = o && o->root ? o->root : "/";
	rc = fsroot_open(root, &r->root);
	if (rc < 0) {
		if (asprintf(ret_err, "%s: %s", root, strerror(-rc)) < 0)
			*ret_err = NULL;
		goto fail;
	}
	rc = accounts_load(&r->root, &r->acc, &r->pr);
	if (rc < 0) {
		if (asprintf(ret_err, "%s/etc/passwd: %s", r->root.path, strerror(-rc)) < 0)
			*ret_err = NULL;
		goto fail;
	}
	rc = read_hostname(r, o ? o->hostname : NULL);
	if (rc < 0)
		goto fail;
	r->sd = sudoers_new();
	if (!r->sd) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = sudoers_load(r->sd, &r->root, r->host, &r->pr);
	if (rc == -ENOENT)
		r->sudoers_missing = true;
	else if (rc < 0 && rc != -EACCES && rc != -EFBIG && rc != -ENOMEM)
		rx_problem(&r->pr, "/etc/sudoers: %s", strerror(-rc));
	else if (rc == -ENOMEM)
		goto fail;
	if (rc == -EACCES)
		r->sudoers_unreadable = true;
	r->g.acc = &r->acc;
	r->g.analysed = calloc(r->acc.n + 1, sizeof(bool));
	r->g.per_account = calloc(r->acc.n + 1, sizeof(size_t));
	if (!r->g.analysed || !r->g.per_account) {
		rc = -ENOMEM;
		goto fail;
	}
	mark_analysed(r, o);
	rc = rx_targets_collect(&r->root, &r->acc, r->sd, &r->tg, &r->pr);
	if (rc < 0)
		goto fail;
	if (!(o && o->no_walk)) {
		struct rx_walk_opts wo = { o ? o->max_files : 0, o ? o->progress : NULL, o ? o->progress_ud : NULL };
		rc = rx_walk_run(&r->root, &wo, &r->walk, &r->pr);
		if (rc < 0)
			goto fail;
		r->walked = true;
	}
	if ((rc = sudo_edges(r)) < 0 || (rc = doas_load(r, &r->pr)) < 0 || (rc = polkit_load(r, &r->pr)) < 0 ||
	    (rc = group_edges(r)) < 0 || (rc = target_edges(r)) < 0 || (rc = found_edges(r)) < 0 ||
	    (rc = search(&r->g)) < 0)
		goto fail;
	if (r->g.dropped)
		rx_problem(&r->pr, "%llu edges beyond %d per account not kept", (unsigned long long)r->g.dropped,
			   RX_MAX_EDGES_PER_ACCOUNT);
	if (r->sudoers_unreadable)
		rx_problem(&r->pr, "/etc/sudoers: permission denied: sudo rules not read (run as root for them)");
	*ret = r;
	return 0;
fail:
	if (rc == 0)
		rc = -ENOMEM;
	if (!*ret_err && asprintf(ret_err, "%s", strerror(-rc)) < 0)
		*ret_err = NULL;
	reach_free(r);
	return rc;
}

struct reach *reach_free(struct reach *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->g.n_e; i++) {
		free(r->g.e[i].what);
		free(r->g.e[i].evidence);
		free(r->g.e[i].detail);
	}
	for (size_t i = 0; i < r->g.n_notes; i++)
		free(r->g.notes[i].text);
	for (size_t i = 0; i < r->g.n_secrets; i++)
		free(r->g.secrets[i].via);
	free(r->g.e);
	free(r->g.notes);
	free(r->g.secrets);
	free(r->g.dist);
	free(r->g.next);
	free(r->g.analysed);
	free(r->g.per_account);
	rx_walk_done(&r->walk);
	rx_targets_done(&r->tg);
	sudoers_free(r->sd);
	accounts_done(&r->acc);
	rx_problems_done(&r->pr);
	fsroot_close(&r->root);
	free(r->host);
	free(r->chain);
	free(r);
	return NULL;
}

size_t reach_problem_count(const struct reach *r)
{
	return r->pr.n;
}

uint64_t reach_problem_total(const struct reach *r)
{
	return r->pr.total;
}

const char *reach_problem(const struct reach *r, size_t i)
{
	return i < r->pr.n ? r->pr.v[i] : NULL;
}

void reach_stats(const struct reach *r, struct reach_stats *s)
{
	*s = (struct reach_stats){ r->walk.files, r->walk.unreadable, r->walk.skipped_fs, r->walk.loops,
				   r->walk.dropped, r->walk.seconds, r->walked, r->root.acl_read, r->host };
}
