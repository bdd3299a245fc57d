/*
 * rootrun: the files and directories whose content root executes or
 * reads as code, each with the line that says so. Whoever can write one
 * of them (or a directory above it) runs code as root the next time it
 * runs: cron tables and their commands, systemd units and the programs
 * of their Exec lines, root's PATH, the shell's start-up files, init
 * scripts, the dynamic loader's preload list and library paths, python
 * and perl module paths, APT hooks, logrotate and motd scripts, the
 * authentication configuration (sudoers, passwd, shadow, PAM).
 *
 * Other accounts' start-up files and authorized_keys are targets too:
 * writing them runs code as (or logs in as) that account.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array.h"
#include "core/macro.h"
#include "reach/reach-internal.h"

/* Reads one configuration file within the budget of all of them: a root
 * holding thousands of huge unit files costs at most RX_MAX_TARGET_BYTES. */
static ssize_t read_budget(const struct fsroot *r, struct rx_targets *t, const char *path, char **ret)
{
	if (t->bytes >= RX_MAX_TARGET_BYTES) {
		t->over_budget = true;
		return -EFBIG;
	}
	ssize_t n = fsroot_read(r, path, RX_MAX_CONFIG_BYTES, ret);
	if (n > 0)
		t->bytes += (uint64_t)n;
	return n;
}

/* The next word of *p separated by any of delims (the separator is
 * overwritten with a NUL); NULL at the end. */
static char *next_word(char **p, const char *delims)
{
	char *s = *p;
	if (!s)
		return NULL;
	s += strspn(s, delims);
	if (!*s) {
		*p = s;
		return NULL;
	}
	char *e = s + strcspn(s, delims);
	if (*e)
		*e++ = '\0';
	*p = e;
	return s;
}

static int add(struct rx_targets *t, const char *path, bool dir, uint32_t uid, const char *why, const char *evidence)
{
	if (!path || path[0] != '/')
		return 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].run_uid == uid && strcmp(t->v[i].path, path) == 0)
			return 0;
	if (t->n >= RX_MAX_TARGETS) {
		t->dropped++;
		return 0;
	}
	if (array_reserve(&t->v, &t->cap, t->n + 1, sizeof(*t->v), 64) < 0)
		return -ENOMEM;
	struct rx_target *x = &t->v[t->n];
	*x = (struct rx_target){ strdup(path), strdup(why), strdup(evidence ? evidence : path), uid, dir };
	if (!x->path || !x->why || !x->evidence) {
		free(x->path);
		free(x->why);
		free(x->evidence);
		return -ENOMEM;
	}
	t->n++;
	return 0;
}

/* The first word of a command line, and after an interpreter (sh, bash,
 * python3, perl, env) its first non-option word too: both are run. */
static void add_command(struct rx_targets *t, const char *cmd, uint32_t uid, const char *why, const char *ev)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", cmd);
	char *save = buf, *w = next_word(&save, " \t");
	for (int k = 0; w && k < 3; k++) {
		/* "VAR=value" prefixes, and shell operators, are not programs */
		if (strchr(w, '=') || w[0] == '-') {
			w = next_word(&save, " \t");
			continue;
		}
		if (w[0] == '/') {
			/* a command may end in a shell operator: "x.sh>/dev/null" */
			w[strcspn(w, ";&|><")] = '\0';
			(void)add(t, w, false, uid, why, ev);
		}
		const char *base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
		const struct escape *e = escape_find(base);
		if (!(e && (e->flags & ESC_REPL)) && strcmp(base, "env") != 0 && strcmp(base, "run-parts") != 0)
			break;
		w = next_word(&save, " \t");
	}
}

static void trim(char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
	size_t n = strlen(*s);
	while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t' || (*s)[n - 1] == '\r'))
		(*s)[--n] = '\0';
}

/* Each line of a file, NUL-terminated, with its number. */
static void each_line(char *text, void (*fn)(void *ud, char *line, unsigned no), void *ud)
{
	unsigned no = 0;
	for (char *p = text; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		no++;
		fn(ud, p, no);
		p = nl ? nl + 1 : NULL;
	}
}

struct cronctx {
	struct rx_targets *t;
	const struct accounts *acc;
	const char *file;
	bool user_field; /* /etc/crontab and cron.d name the user; a user's crontab does not */
	uint32_t uid;	 /* the crontab's owner when !user_field */
};

static void cron_line(void *ud, char *line, unsigned no)
{
	struct cronctx *c = ud;
	trim(&line);
	if (!*line || *line == '#')
		return;
	char copy[2048];
	snprintf(copy, sizeof(copy), "%s", line);
	char *save = copy;
	char *f = next_word(&save, " \t");
	if (!f || strchr(f, '=') )
		return; /* an environment line */
	int fields = f[0] == '@' ? 1 : 5;
	for (int i = 1; i < fields && f; i++)
		f = next_word(&save, " \t");
	if (!f)
		return;
	uint32_t uid = c->uid;
	if (c->user_field) {
		char *user = next_word(&save, " \t");
		if (!user)
			return;
		const struct account *a = accounts_by_name(c->acc, user);
		if (!a)
			return;
		uid = a->uid;
	}
	char *cmd = save;
	if (!cmd)
		return;
	trim(&cmd);
	char ev[4200], why[128];
	snprintf(ev, sizeof(ev), "%s:%u", c->file, no);
	const struct account *who = accounts_by_uid(c->acc, uid);
	snprintf(why, sizeof(why), "a cron job runs it as %s", who ? who->name : "root");
	add_command(c->t, cmd, uid, why, ev);
}

static void read_cron(const struct fsroot *r, struct rx_targets *t, const struct accounts *acc, const char *file,
		      bool user_field, uint32_t uid)
{
	char *text = NULL;
	if (read_budget(r, t, file, &text) < 0)
		return;
	struct cronctx c = { t, acc, file, user_field, uid };
	each_line(text, cron_line, &c);
	free(text);
}

/* Every file of a directory as a target (and the directory itself). */
static void add_dir(const struct fsroot *r, struct rx_targets *t, const char *dir, const char *why, uint32_t uid,
		    void (*each)(const struct fsroot *, struct rx_targets *, const struct accounts *, const char *),
		    const struct accounts *acc)
{
	(void)add(t, dir, true, uid, why, dir);
	char **names = NULL;
	ssize_t n = fsroot_list(r, dir, &names);
	for (ssize_t i = 0; i < n; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		(void)add(t, p, false, uid, why, p);
		if (each)
			each(r, t, acc, p);
	}
	rx_strv_free(names, n > 0 ? (size_t)n : 0);
}

static void cron_d_file(const struct fsroot *r, struct rx_targets *t, const struct accounts *acc, const char *p)
{
	read_cron(r, t, acc, p, true, 0);
}

/* ---- systemd units ---- */

static void unit_file(const struct fsroot *r, struct rx_targets *t, const struct accounts *acc, const char *p)
{
	size_t n = strlen(p);
	if (n < 8 || strcmp(p + n - 8, ".service") != 0)
		return;
	char *text = NULL;
	if (read_budget(r, t, p, &text) < 0)
		return;
	uint32_t uid = 0;
	bool in_service = false;
	/* pass 1: User= of the [Service] section */
	char *copy = strdup(text);
	for (char *line = copy, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		trim(&line);
		if (line[0] == '[')
			in_service = strcmp(line, "[Service]") == 0;
		else if (in_service && strncmp(line, "User=", 5) == 0) {
			const struct account *a = accounts_by_name(acc, line + 5);
			unsigned long long v;
			if (a)
				uid = a->uid;
			else if (sv_to_u64(sv_cstr(line + 5), UINT32_MAX, &v) == 0)
				uid = (uint32_t)v;
		}
	}
	free(copy);
	unsigned no = 0;
	in_service = false;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		no++;
		trim(&line);
		if (line[0] == '[') {
			in_service = strcmp(line, "[Service]") == 0;
			continue;
		}
		if (!in_service || strncmp(line, "Exec", 4) != 0)
			continue;
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		char *cmd = eq + 1;
		/* the prefixes of systemd.service(5): @ - : + ! !! */
		bool full_priv = false;
		while (*cmd && strchr("@-:+!", *cmd)) {
			if (*cmd == '+')
				full_priv = true;
			cmd++;
		}
		char ev[4200], why[128];
		snprintf(ev, sizeof(ev), "%s:%u", p, no);
		uint32_t who = full_priv ? 0 : uid;
		const struct account *a = accounts_by_uid(acc, who);
		snprintf(why, sizeof(why), "systemd runs it as %s (%.*s)", a ? a->name : "root", (int)(eq - line), line);
		add_command(t, cmd, who, why, ev);
	}
	free(text);
}

/* ---- the loader ---- */

static void ld_conf(const struct fsroot *r, struct rx_targets *t, const char *file, unsigned depth)
{
	char *text = NULL;
	if (depth > 4 || read_budget(r, t, file, &text) < 0)
		return;
	unsigned no = 0;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		no++;
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		trim(&line);
		char ev[4200];
		snprintf(ev, sizeof(ev), "%s:%u", file, no);
		if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
			char *pat = line + 8;
			trim(&pat);
			/* "include DIR/ *.conf" (as ld.so.conf writes it): the directory's .conf files */
			char *slash = strrchr(pat, '/');
			if (!slash)
				continue;
			*slash = '\0';
			char **names = NULL;
			ssize_t n = fsroot_list(r, pat, &names);
			for (ssize_t i = 0; i < n; i++) {
				size_t l = strlen(names[i]);
				if (l > 5 && strcmp(names[i] + l - 5, ".conf") == 0) {
					char p[4200];
					snprintf(p, sizeof(p), "%s/%s", pat, names[i]);
					(void)add(t, p, false, 0, "the dynamic loader reads its library paths", ev);
					ld_conf(r, t, p, depth + 1);
				}
			}
			rx_strv_free(names, n > 0 ? (size_t)n : 0);
		} else if (line[0] == '/') {
			(void)add(t, line, true, 0, "a library directory of ld.so.conf: root's programs load from it", ev);
		}
	}
	free(text);
}

/* ---- root's PATH ---- */

static void add_path_list(struct rx_targets *t, const char *list, const char *ev, struct rx_problems *pr)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = buf;
	for (char *d = next_word(&save, ":"); d; d = next_word(&save, ":")) {
		if (d[0] != '/') {
			rx_problem(pr, "%s: root's PATH holds a relative entry \"%s\": root runs what the current directory holds",
				   ev, d);
			continue;
		}
		(void)add(t, d, true, 0, "a directory of root's PATH: a program put there runs as root", ev);
	}
}

static void login_defs_path(const struct fsroot *r, struct rx_targets *t, struct rx_problems *pr)
{
	char *text = NULL;
	if (fsroot_read(r, "/etc/login.defs", RX_MAX_CONFIG_BYTES, &text) < 0)
		return;
	unsigned no = 0;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		no++;
		trim(&line);
		if (strncmp(line, "ENV_SUPATH", 10) != 0)
			continue;
		char *v = line + 10;
		trim(&v);
		if (strncmp(v, "PATH=", 5) == 0)
			v += 5;
		char ev[64];
		snprintf(ev, sizeof(ev), "/etc/login.defs:%u", no);
		add_path_list(t, v, ev, pr);
	}
	free(text);
}

/* ---- everything ---- */

int rx_targets_collect(const struct fsroot *r, const struct accounts *acc, const struct sudoers *sd,
		       struct rx_targets *t, struct rx_problems *pr)
{
	*t = (struct rx_targets){ 0 };
	/* authentication and privilege configuration */
	static const char *const auth[] = { "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow",
					    "/etc/sudoers", "/etc/doas.conf", "/etc/ssh/sshd_config",
					    "/root/.ssh/authorized_keys", "/etc/ld.so.preload", "/etc/environment",
					    "/etc/profile", "/etc/bash.bashrc", "/root/.bashrc", "/root/.profile",
					    "/root/.bash_profile", "/root/.bash_login", "/etc/rc.local",
					    "/etc/anacrontab", "/etc/crontab", "/etc/security/pam_env.conf" };
	for (size_t i = 0; i < ELEMENTSOF(auth); i++)
		(void)add(t, auth[i], false, 0, "root reads it as code or as who-may-do-what", auth[i]);
	(void)add(t, "/root/.ssh", true, 0, "root's SSH directory (authorized_keys)", "/root/.ssh");
	add_dir(r, t, "/etc/sudoers.d", "sudo reads it as rules", 0, NULL, acc);
	add_dir(r, t, "/etc/pam.d", "PAM reads it as who-may-log-in (modules run as root)", 0, NULL, acc);
	add_dir(r, t, "/etc/profile.d", "root's login shells source it", 0, NULL, acc);
	add_dir(r, t, "/etc/init.d", "an init script, run as root", 0, NULL, acc);
	add_dir(r, t, "/etc/update-motd.d", "pam_motd runs it as root at every login", 0, NULL, acc);
	add_dir(r, t, "/etc/apt/apt.conf.d", "APT reads it (hooks run as root)", 0, NULL, acc);
	add_dir(r, t, "/etc/logrotate.d", "logrotate runs its scripts as root", 0, NULL, acc);
	add_dir(r, t, "/etc/modprobe.d", "modprobe reads it (install commands run as root)", 0, NULL, acc);
	add_dir(r, t, "/etc/udev/rules.d", "udev runs its RUN commands as root", 0, NULL, acc);
	add_dir(r, t, "/etc/polkit-1/rules.d", "polkit reads it as who-may-do-what", 0, NULL, acc);
	add_dir(r, t, "/etc/bash_completion.d", "root's interactive shells source it", 0, NULL, acc);
	/* cron */
	read_cron(r, t, acc, "/etc/crontab", true, 0);
	add_dir(r, t, "/etc/cron.d", "cron reads it as jobs (run as the user each line names)", 0, cron_d_file, acc);
	static const char *const periodic[] = { "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
						"/etc/cron.monthly" };
	for (size_t i = 0; i < ELEMENTSOF(periodic); i++)
		add_dir(r, t, periodic[i], "run-parts runs it as root from cron", 0, NULL, acc);
	(void)add(t, "/var/spool/cron/crontabs", true, 0, "cron reads users' crontabs from it", "/var/spool/cron/crontabs");
	(void)add(t, "/var/spool/cron/crontabs/root", false, 0, "root's crontab", "/var/spool/cron/crontabs/root");
	read_cron(r, t, acc, "/var/spool/cron/crontabs/root", false, 0);
	/* systemd */
	static const char *const unitdirs[] = { "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
						"/usr/lib/systemd/system", "/lib/systemd/system" };
	for (size_t i = 0; i < ELEMENTSOF(unitdirs); i++)
		add_dir(r, t, unitdirs[i], "systemd reads it as a unit (run as root unless User=)", 0, unit_file, acc);
	/* the loader */
	(void)add(t, "/etc/ld.so.conf", false, 0, "the dynamic loader reads its library paths", "/etc/ld.so.conf");
	(void)add(t, "/etc/ld.so.conf.d", true, 0, "the dynamic loader reads its library paths", "/etc/ld.so.conf.d");
	ld_conf(r, t, "/etc/ld.so.conf", 0);
	static const char *const libdirs[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/lib/x86_64-linux-gnu",
					       "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
					       "/usr/lib/aarch64-linux-gnu", "/usr/local/lib" };
	for (size_t i = 0; i < ELEMENTSOF(libdirs); i++)
		(void)add(t, libdirs[i], true, 0, "a trusted library directory: root's programs load from it", libdirs[i]);
	/* root's PATH: login.defs, sudo's secure_path, the usual default */
	add_path_list(t, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "the default PATH", pr);
	login_defs_path(r, t, pr);
	if (sd && sudoers_secure_path(sd))
		add_path_list(t, sudoers_secure_path(sd), "sudoers secure_path", pr);
	/* python and perl module paths of root's tools (apt hooks, debconf, unattended-upgrades) */
	static const char *const moddirs[] = { "/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages",
					       "/usr/share/perl5", "/etc/perl", "/usr/local/share/perl",
					       "/usr/local/lib/site_perl" };
	for (size_t i = 0; i < ELEMENTSOF(moddirs); i++)
		(void)add(t, moddirs[i], true, 0, "a module path of root's python or perl tools", moddirs[i]);
	char **names = NULL;
	ssize_t n = fsroot_list(r, "/usr/lib", &names);
	for (ssize_t i = 0; i < n; i++)
		if (strncmp(names[i], "python3", 7) == 0 || strncmp(names[i], "python2", 7) == 0) {
			char p[4200];
			snprintf(p, sizeof(p), "/usr/lib/%s", names[i]);
			(void)add(t, p, true, 0, "a module path of root's python tools", p);
		}
	rx_strv_free(names, n > 0 ? (size_t)n : 0);
	/* other accounts' start-up files and keys: code run as them, or a way in */
	for (size_t i = 0; i < acc->n; i++) {
		const struct account *u = &acc->u[i];
		if (u->home[0] != '/' || strcmp(u->home, "/") == 0 || !u->login)
			continue;
		static const char *const files[] = { ".bashrc", ".profile", ".bash_profile", ".bash_login", ".zshrc",
						     ".ssh/authorized_keys", ".ssh" };
		for (size_t k = 0; k < ELEMENTSOF(files); k++) {
			char p[4200], why[160];
			snprintf(p, sizeof(p), "%s/%s", u->home, files[k]);
			snprintf(why, sizeof(why), "%s's %s", u->name,
				 strstr(files[k], "ssh") ? "SSH keys: a key added there logs in as it"
							 : "shell start-up file: runs at its next login");
			(void)add(t, p, k == 6, u->uid, why, p);
		}
	}
	if (t->over_budget)
		rx_problem(pr, "cron tables, units and loader files: more than %u bytes in all; the rest not read",
			   RX_MAX_TARGET_BYTES);
	return 0;
}

void rx_targets_done(struct rx_targets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].why);
		free(t->v[i].evidence);
	}
	free(t->v);
	*t = (struct rx_targets){ 0 };
}
