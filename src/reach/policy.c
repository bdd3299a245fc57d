/*
 * policy: the other two ways to act as root — doas.conf(5), and polkit
 * (the classic .pkla files of the local authority, its AdminIdentities,
 * and the JavaScript rules that name admin groups or say yes to a group).
 *
 * doas: "permit|deny [options] identity [as target] [cmd command [args
 * ...]]"; the last matching rule decides. polkit's JavaScript is not run:
 * an addAdminRule's "unix-group:NAME" / "unix-user:NAME" strings are read
 * as its answer, and an addRule that returns polkit.Result.YES for
 * subject.isInGroup("NAME") or subject.user == "NAME" counts when its
 * action is one that runs code as root (or it checks no action). Both are
 * what packages and admins write in practice; anything cleverer is
 * reported as read, not judged.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/macro.h"
#include "reach/graph-internal.h"

/* ---- doas ---- */

struct doas_rule {
	bool permit, nopass;
	char *ident;  /* "name" or ":group" */
	char *target; /* NULL: root */
	char *cmd;    /* NULL: any */
	char *args;   /* NULL any, "" none, else the words joined by spaces */
	unsigned line;
};

/* Splits a doas line into words (double quotes group, backslash escapes). */
static size_t doas_words(const char *p, const char *e, char **w, size_t max, const char **err)
{
	size_t n = 0;
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= e || *p == '#')
			break;
		if (n >= max) {
			*err = "too many words";
			return n;
		}
		char *out = malloc((size_t)(e - p) + 1);
		size_t k = 0;
		if (!out) {
			*err = "out of memory";
			return n;
		}
		bool q = false;
		while (p < e && (q || (*p != ' ' && *p != '\t' && *p != '#'))) {
			if (*p == '"') {
				q = !q;
				p++;
				continue;
			}
			if (*p == '\\' && p + 1 < e)
				p++;
			out[k++] = *p++;
		}
		out[k] = '\0';
		if (q) {
			free(out);
			*err = "unterminated quote";
			return n;
		}
		w[n++] = out;
	}
	return n;
}

static bool doas_ident_matches(const struct accounts *acc, const struct account *u, const char *ident)
{
	if (ident[0] != ':')
		return strcmp(ident, u->name) == 0;
	const struct group_ent *g = accounts_group_by_name(acc, ident + 1);
	if (!g)
		return false;
	for (size_t i = 0; i < u->n_gids; i++)
		if (u->gids[i] == g->gid)
			return true;
	return false;
}

int doas_parse(struct reach *r, const char *file, const char *text, size_t len, struct rx_problems *pr)
{
	struct doas_rule *rules = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	const char *p = text, *end = text + len;
	unsigned no = 0;
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		no++;
		char *w[64];
		const char *err = NULL;
		size_t nw = doas_words(p, le, w, ELEMENTSOF(w), &err);
		p = nl ? nl + 1 : end;
		struct doas_rule d = { .line = no };
		size_t i = 0;
		if (err)
			goto bad;
		if (nw == 0)
			continue;
		if (strcmp(w[0], "permit") == 0)
			d.permit = true;
		else if (strcmp(w[0], "deny") != 0) {
			err = "a rule starts with permit or deny";
			goto bad;
		}
		for (i = 1; i < nw; i++) {
			if (strcmp(w[i], "nopass") == 0)
				d.nopass = true;
			else if (strcmp(w[i], "nolog") == 0 || strcmp(w[i], "persist") == 0 || strcmp(w[i], "keepenv") == 0)
				continue;
			else if (strcmp(w[i], "setenv") == 0) {
				if (i + 1 >= nw || strcmp(w[i + 1], "{") != 0) {
					err = "setenv needs { … }";
					goto bad;
				}
				for (i += 2; i < nw && strcmp(w[i], "}") != 0; i++)
					;
				if (i >= nw) {
					err = "setenv { without }";
					goto bad;
				}
			} else
				break;
		}
		if (i >= nw) {
			err = "no identity";
			goto bad;
		}
		d.ident = strdup(w[i++]);
		if (i < nw && strcmp(w[i], "as") == 0) {
			if (i + 1 >= nw) {
				err = "'as' needs a user";
				goto bad;
			}
			d.target = strdup(w[i + 1]);
			i += 2;
		}
		if (i < nw && strcmp(w[i], "cmd") == 0) {
			if (i + 1 >= nw) {
				err = "'cmd' needs a command";
				goto bad;
			}
			d.cmd = strdup(w[i + 1]);
			i += 2;
			if (i < nw && strcmp(w[i], "args") == 0) {
				size_t total = 1;
				for (size_t k = i + 1; k < nw; k++)
					total += strlen(w[k]) + 1;
				d.args = calloc(1, total);
				for (size_t k = i + 1, at = 0; d.args && k < nw; k++) {
					size_t l = strlen(w[k]);
					if (k > i + 1)
						d.args[at++] = ' ';
					memcpy(d.args + at, w[k], l + 1);
					at += l;
				}
				i = nw;
			}
		}
		if (i != nw) {
			err = "unexpected words after the rule";
			goto bad;
		}
		if (array_reserve(&rules, &cap, n + 1, sizeof(*rules), 8) < 0) {
			rc = -ENOMEM;
			goto bad;
		}
		rules[n++] = d;
		for (size_t k = 0; k < nw; k++)
			free(w[k]);
		continue;
bad:
		if (err)
			rx_problem(pr, "%s:%u: %s; line skipped", file, no, err);
		free(d.ident);
		free(d.target);
		free(d.cmd);
		free(d.args);
		for (size_t k = 0; k < nw; k++)
			free(w[k]);
	}
	const struct accounts *acc = &r->acc;
	for (size_t a = 0; a < acc->n && rc == 0; a++) {
		const struct account *u = &acc->u[a];
		if (!rx_graph_analysed(&r->g, a) || u->uid == 0)
			continue;
		for (size_t i = 0; i < n && rc == 0; i++) {
			const struct doas_rule *d = &rules[i];
			if (!d->permit || !doas_ident_matches(acc, u, d->ident))
				continue;
			/* a later deny for the same identity, target and command takes it back */
			bool taken = false;
			for (size_t j = i + 1; j < n && !taken; j++)
				taken = !rules[j].permit && doas_ident_matches(acc, u, rules[j].ident) &&
					(!rules[j].target || (d->target && strcmp(rules[j].target, d->target) == 0) ||
					 (!d->target && strcmp(rules[j].target, "root") == 0)) &&
					(!rules[j].cmd || (d->cmd && strcmp(rules[j].cmd, d->cmd) == 0));
			if (taken)
				continue;
			const char *tname = d->target ? d->target : "root";
			const struct account *t = accounts_by_name(acc, tname);
			if (!t || t == u)
				continue;
			size_t to = t->uid == 0 ? rx_node_root(&r->g) : (size_t)(t - acc->u);
			char ev[4200];
			snprintf(ev, sizeof(ev), "%s:%u", file, d->line);
			/* doas finds a bare command name in its safe PATH: judge it by name */
			char cmdpath[4200];
			if (d->cmd && d->cmd[0] != '/')
				snprintf(cmdpath, sizeof(cmdpath), "/usr/bin/%s", d->cmd);
			struct rx_run run = { .kind = EDGE_DOAS, .all = !d->cmd,
					      .cmd = d->cmd ? (d->cmd[0] == '/' ? d->cmd : cmdpath) : NULL,
					      .args = d->args, .nopass = d->nopass, .evidence = ev, .rule = "" };
			rc = rx_run_edge(r, a, to, "doas", &run);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(rules[i].ident);
		free(rules[i].target);
		free(rules[i].cmd);
		free(rules[i].args);
	}
	free(rules);
	return rc;
}

int doas_load(struct reach *r, struct rx_problems *pr)
{
	static const char *const paths[] = { "/etc/doas.conf", "/usr/local/etc/doas.conf" };
	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		char *text = NULL;
		ssize_t n = fsroot_read(&r->root, paths[i], RX_MAX_CONFIG_BYTES, &text);
		if (n < 0) {
			if (n != -ENOENT)
				rx_problem(pr, "%s: %s, skipped", paths[i], strerror((int)-n));
			continue;
		}
		int rc = doas_parse(r, paths[i], text, (size_t)n, pr);
		free(text);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- polkit ---- */

/* Actions whose yes is a root shell: pkexec, starting units, installing packages. */
static const char *const powerful_actions[] = {
	"org.freedesktop.policykit.exec",
	"org.freedesktop.systemd1.manage-units",
	"org.freedesktop.systemd1.manage-unit-files",
	"org.freedesktop.packagekit.package-install",
	"org.freedesktop.packagekit.package-install-untrusted",
};

static const char *powerful_match(const char *pattern)
{
	for (size_t i = 0; i < ELEMENTSOF(powerful_actions); i++)
		if (fnmatch(pattern, powerful_actions[i], 0) == 0 || strcmp(pattern, powerful_actions[i]) == 0)
			return powerful_actions[i];
	return NULL;
}

/* One identity ("unix-group:sudo", "unix-user:dave") → its node, or SIZE_MAX. */
static size_t identity_node(struct reach *r, const char *id, size_t n)
{
	char name[256];
	if (n > 11 && strncmp(id, "unix-group:", 11) == 0 && n - 11 < sizeof(name)) {
		memcpy(name, id + 11, n - 11);
		name[n - 11] = '\0';
		const struct group_ent *g = accounts_group_by_name(&r->acc, name);
		return g ? rx_node_group(&r->g, (size_t)(g - r->acc.g)) : SIZE_MAX;
	}
	if (n > 10 && strncmp(id, "unix-user:", 10) == 0 && n - 10 < sizeof(name)) {
		memcpy(name, id + 10, n - 10);
		name[n - 10] = '\0';
		const struct account *u = accounts_by_name(&r->acc, name);
		unsigned long long v;
		if (!u && sv_to_u64(sv_cstr(name), UINT32_MAX, &v) == 0)
			u = accounts_by_uid(&r->acc, (uint32_t)v);
		return u && u->uid != 0 ? (size_t)(u - r->acc.u) : SIZE_MAX;
	}
	return SIZE_MAX;
}

static int admin_identities(struct reach *r, const char *list, size_t len, const char *ev)
{
	const char *p = list, *e = list + len;
	while (p < e) {
		const char *semi = memchr(p, ';', (size_t)(e - p));
		const char *q = semi ? semi : e;
		while (p < q && (*p == ' ' || *p == '\t'))
			p++;
		size_t node = identity_node(r, p, (size_t)(q - p));
		if (node != SIZE_MAX) {
			int rc = rx_edge(&r->g, node, rx_node_root(&r->g), EDGE_POLKIT, true,
					 "admin via polkit — pkexec and every admin action, with the account's own password", ev,
					 NULL);
			if (rc < 0)
				return rc;
		}
		p = semi ? semi + 1 : e;
	}
	return 0;
}

/* JavaScript rules: addAdminRule strings, and addRule blocks saying YES. */
static int js_rules(struct reach *r, const char *file, const char *text, bool *admin_seen)
{
	const char *p = text;
	/* lines counted as the search moves on: one pass, whatever the number of rules */
	const char *counted = text;
	unsigned line = 1;
	for (;;) {
		const char *a = strstr(p, "polkit.add");
		if (!a)
			return 0;
		bool admin = strncmp(a, "polkit.addAdminRule", 19) == 0;
		const char *next = strstr(a + 10, "polkit.add");
		const char *end = next ? next : a + strlen(a);
		char ev[4200];
		for (; counted < a; counted++)
			line += *counted == '\n';
		snprintf(ev, sizeof(ev), "%s:%u", file, line);
		if (admin && !*admin_seen) {
			/* the first admin rule that answers is polkit's answer */
			*admin_seen = true;
			for (const char *q = a; q < end;) {
				const char *s = memchr(q, '"', (size_t)(end - q));
				if (!s)
					break;
				const char *t = memchr(s + 1, '"', (size_t)(end - s - 1));
				if (!t)
					break;
				int rc = admin_identities(r, s + 1, (size_t)(t - s - 1), ev);
				if (rc < 0)
					return rc;
				q = t + 1;
			}
		} else if (!admin) {
			bool yes = memmem(a, (size_t)(end - a), "polkit.Result.YES", 17) != NULL;
			if (yes) {
				/* the action ids it tests; none tested means every action */
				const char *powerful = NULL;
				bool any_action = memmem(a, (size_t)(end - a), "action.id", 9) != NULL;
				for (size_t i = 0; i < ELEMENTSOF(powerful_actions) && !powerful; i++)
					if (memmem(a, (size_t)(end - a), powerful_actions[i], strlen(powerful_actions[i])))
						powerful = powerful_actions[i];
				if (!any_action || powerful) {
					static const char *const who[] = { "isInGroup(\"", "subject.user == \"", "subject.user==\"" };
					for (size_t k = 0; k < ELEMENTSOF(who); k++)
						for (const char *q = a; (q = memmem(q, (size_t)(end - q), who[k], strlen(who[k])));) {
							q += strlen(who[k]);
							const char *t = memchr(q, '"', (size_t)(end - q));
							if (!t)
								break;
							char id[300];
							snprintf(id, sizeof(id), "%s%.*s", k == 0 ? "unix-group:" : "unix-user:",
								 (int)MIN((size_t)(t - q), 256), q);
							size_t node = identity_node(r, id, strlen(id));
							if (node != SIZE_MAX) {
								char what[512];
								snprintf(what, sizeof(what), "polkit says yes without a password to %s",
									 powerful ? powerful : "every action");
								int rc = rx_edge(&r->g, node, rx_node_root(&r->g), EDGE_POLKIT, false,
										 what, ev, NULL);
								if (rc < 0)
									return rc;
							}
						}
				}
			}
		}
		p = end;
		if (!next)
			return 0;
	}
}

/* One .pkla file: [section] with Identity=, Action=, Result*=. */
static int pkla(struct reach *r, const char *file, char *text)
{
	char ident[1024] = "", action[1024] = "", result[64] = "";
	unsigned sec_line = 0, no = 0;
	for (char *p = text;;) {
		bool last = p == NULL;
		char *line = NULL;
		if (!last) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			line = p;
			p = nl ? nl + 1 : NULL;
			no++;
		}
		if (last || line[0] == '[') {
			/* judge the section that ends here */
			if (*ident && *action && (strcmp(result, "yes") == 0 || strncmp(result, "auth_self", 9) == 0)) {
				const char *pw = NULL;
				for (char *s = action, *semi; s && *s; s = semi) {
					semi = strchr(s, ';');
					if (semi)
						*semi++ = '\0';
					if ((pw = powerful_match(s)))
						break;
				}
				if (pw) {
					char ev[4200], what[512];
					snprintf(ev, sizeof(ev), "%s:%u", file, sec_line);
					bool own = strcmp(result, "yes") != 0;
					snprintf(what, sizeof(what), "polkit (.pkla) says %s to %s", own ? "yes with the account's own password" : "yes without a password", pw);
					for (char *s = ident, *semi; s && *s; s = semi) {
						semi = strchr(s, ';');
						size_t n = semi ? (size_t)(semi - s) : strlen(s);
						size_t node = identity_node(r, s, n);
						if (node != SIZE_MAX) {
							int rc = rx_edge(&r->g, node, rx_node_root(&r->g), EDGE_POLKIT, own, what, ev, NULL);
							if (rc < 0)
								return rc;
						}
						semi = semi ? semi + 1 : NULL;
					}
				}
			}
			if (last)
				return 0;
			ident[0] = action[0] = result[0] = '\0';
			sec_line = no;
			continue;
		}
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "Identity=", 9) == 0)
			snprintf(ident, sizeof(ident), "%s", line + 9);
		else if (strncmp(line, "Action=", 7) == 0)
			snprintf(action, sizeof(action), "%s", line + 7);
		else if (strncmp(line, "ResultActive=", 13) == 0 || strncmp(line, "ResultAny=", 10) == 0 ||
			 strncmp(line, "ResultInactive=", 15) == 0) {
			const char *v = strchr(line, '=') + 1;
			/* the most permissive of the three is what a thief on SSH (inactive) or a desk gets */
			if (strcmp(v, "yes") == 0 || (!*result && strncmp(v, "auth_self", 9) == 0))
				snprintf(result, sizeof(result), "%s", v);
		}
	}
}

static int each_file(struct reach *r, const char *dir, const char *suffix, int (*fn)(struct reach *, const char *, char *, void *),
		     void *ud, struct rx_problems *pr)
{
	char **names = NULL;
	ssize_t n = fsroot_list(&r->root, dir, &names);
	int rc = 0;
	for (ssize_t i = 0; i < n && rc == 0; i++) {
		size_t l = strlen(names[i]), sl = strlen(suffix);
		if (l <= sl || strcmp(names[i] + l - sl, suffix) != 0)
			continue;
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		char *text = NULL;
		ssize_t tn = fsroot_read(&r->root, p, RX_MAX_CONFIG_BYTES, &text);
		if (tn < 0) {
			rx_problem(pr, "%s: %s, skipped", p, strerror((int)-tn));
			continue;
		}
		rc = fn(r, p, text, ud);
		free(text);
	}
	rx_strv_free(names, n > 0 ? (size_t)n : 0);
	return rc;
}

static int on_js(struct reach *r, const char *file, char *text, void *ud)
{
	return js_rules(r, file, text, ud);
}

static int on_pkla(struct reach *r, const char *file, char *text, void *ud)
{
	(void)ud;
	return pkla(r, file, text);
}

static int on_conf(struct reach *r, const char *file, char *text, void *ud)
{
	(void)ud;
	const char *counted = text;
	unsigned line = 1;
	for (char *p = text; (p = strstr(p, "AdminIdentities="));) {
		char ev[4200];
		for (; counted < p; counted++)
			line += *counted == '\n';
		snprintf(ev, sizeof(ev), "%s:%u", file, line);
		p += 16;
		size_t n = strcspn(p, "\r\n");
		int rc = admin_identities(r, p, n, ev);
		if (rc < 0)
			return rc;
		p += n;
	}
	return 0;
}

int polkit_load(struct reach *r, struct rx_problems *pr)
{
	bool admin_seen = false;
	int rc = 0;
	/* rules: /etc first (it overrides /usr/share for a name, and both are read in name order) */
	if ((rc = each_file(r, "/etc/polkit-1/rules.d", ".rules", on_js, &admin_seen, pr)) < 0 ||
	    (rc = each_file(r, "/usr/share/polkit-1/rules.d", ".rules", on_js, &admin_seen, pr)) < 0)
		return rc;
	if (!admin_seen)
		rc = each_file(r, "/etc/polkit-1/localauthority.conf.d", ".conf", on_conf, NULL, pr);
	if (rc < 0)
		return rc;
	static const char *const pkla_dirs[] = { "/etc/polkit-1/localauthority", "/var/lib/polkit-1/localauthority" };
	for (size_t i = 0; i < ELEMENTSOF(pkla_dirs); i++) {
		char **sub = NULL;
		ssize_t n = fsroot_list(&r->root, pkla_dirs[i], &sub);
		for (ssize_t k = 0; k < n && rc == 0; k++) {
			char d[4200];
			snprintf(d, sizeof(d), "%s/%s", pkla_dirs[i], sub[k]);
			rc = each_file(r, d, ".pkla", on_pkla, NULL, pr);
		}
		rx_strv_free(sub, n > 0 ? (size_t)n : 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}
