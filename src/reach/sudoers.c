/*
 * sudoers: the parts of sudoers(5) that decide who may run what as whom.
 *
 * Read: user specifications (users, hosts, runas users and groups, tags,
 * options, commands with arguments, wildcards, "!" negation, "ALL",
 * sudoedit, digests), the four alias kinds, Defaults lines (bound to
 * hosts, users, runas users or commands), and #include / @include /
 * #includedir / @includedir (relative to the including file's directory,
 * %h replaced by the host's name). Lines continue after a backslash.
 *
 * Hostile or broken input: a line that does not parse is a problem
 * (file:line and why) and is skipped whole; an include loop, an include
 * deeper than RX_SUDO_DEPTH, a file over RX_MAX_CONFIG_BYTES and more than
 * RX_SUDO_FILES files are problems and skipped; alias references recurse at
 * most RX_SUDO_ALIAS_DEPTH deep (a loop of aliases matches nothing).
 *
 * Matching follows sudo: in a list the last item that matches decides
 * (a "!" item that matches denies); for one user, host, target and
 * command the last rule that matches decides.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/array.h"
#include "core/macro.h"
#include "reach/reach-internal.h"

#define RX_SUDO_DEPTH 8
#define RX_SUDO_FILES 256
#define RX_SUDO_ALIAS_DEPTH 16
#define RX_SUDO_ITEMS 200000 /* items of every list in all: bounds a huge file's memory */

enum sd_kind { SK_NAME, SK_GROUP, SK_UID, SK_GID, SK_NETGROUP, SK_ALIAS, SK_ALL, SK_NONUNIX };
enum alias_type { AL_USER, AL_RUNAS, AL_HOST, AL_CMND };

struct sd_item {
	char *s;
	uint8_t kind;
	bool neg;
};

struct sd_list {
	struct sd_item *v;
	size_t n, cap;
};

struct sd_cmnd {
	bool neg, all, sudoedit, alias;
	char *cmd;  /* path, or the alias's name */
	char *args; /* NULL any, "" none */
	int runas;  /* index into runas, -1: the default (root) */
	int8_t nopasswd; /* -1 not tagged, 0 PASSWD, 1 NOPASSWD */
};

struct sd_runas {
	struct sd_list users, groups;
	bool has_users, has_groups;
};

struct sd_hostspec {
	struct sd_list hosts;
	size_t first, n; /* commands */
};

struct sd_spec {
	struct sd_list users;
	size_t first, n; /* host specs */
	const char *file;
	unsigned line;
	char *text;
};

struct sd_alias {
	uint8_t type;
	char *name;
	struct sd_list m;	  /* users, hosts, runas */
	size_t first_cmnd, n_cmnd; /* Cmnd_Alias members, in calias */
	const char *file;
	unsigned line;
};

enum { DS_GLOBAL, DS_HOST, DS_USER, DS_RUNAS, DS_CMND };

struct sd_default {
	uint8_t scope;
	struct sd_list binding;
	char *name, *value;
	bool neg;
};

struct sudoers {
	struct sd_spec *spec;
	size_t n_spec, cap_spec;
	struct sd_hostspec *hs;
	size_t n_hs, cap_hs;
	struct sd_cmnd *cmnd;
	size_t n_cmnd, cap_cmnd;
	struct sd_cmnd *calias; /* Cmnd_Alias members */
	size_t n_calias, cap_calias;
	struct sd_runas *runas;
	size_t n_runas, cap_runas;
	struct sd_alias *alias;
	size_t n_alias, cap_alias;
	struct sd_default *def;
	size_t n_def, cap_def;
	char **files; /* every file read; specs point at these */
	size_t n_files, cap_files;
	char *stack[RX_SUDO_DEPTH + 1]; /* files being read, for loops */
	size_t depth;
	size_t items;
	const char **runas_names;
	size_t n_runas_names, cap_runas_names;
	int err;
};

/* ---- building ---- */

struct sudoers *sudoers_new(void)
{
	return calloc(1, sizeof(struct sudoers));
}

static void list_free(struct sd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].s);
	free(l->v);
	*l = (struct sd_list){ 0 };
}

static void cmnd_free(struct sd_cmnd *c)
{
	free(c->cmd);
	free(c->args);
}

struct sudoers *sudoers_free(struct sudoers *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_spec; i++) {
		list_free(&s->spec[i].users);
		free(s->spec[i].text);
	}
	for (size_t i = 0; i < s->n_hs; i++)
		list_free(&s->hs[i].hosts);
	for (size_t i = 0; i < s->n_cmnd; i++)
		cmnd_free(&s->cmnd[i]);
	for (size_t i = 0; i < s->n_calias; i++)
		cmnd_free(&s->calias[i]);
	for (size_t i = 0; i < s->n_runas; i++) {
		list_free(&s->runas[i].users);
		list_free(&s->runas[i].groups);
	}
	for (size_t i = 0; i < s->n_alias; i++) {
		free(s->alias[i].name);
		list_free(&s->alias[i].m);
	}
	for (size_t i = 0; i < s->n_def; i++) {
		list_free(&s->def[i].binding);
		free(s->def[i].name);
		free(s->def[i].value);
	}
	rx_strv_free(s->files, s->n_files);
	free(s->spec);
	free(s->hs);
	free(s->cmnd);
	free(s->calias);
	free(s->runas);
	free(s->alias);
	free(s->def);
	free(s->runas_names);
	free(s);
	return NULL;
}

/* ---- the lexer: one logical line ---- */

struct lex {
	const char *p, *e;
	const char *err; /* first error, a static string */
};

static bool at_end(struct lex *x)
{
	return x->p >= x->e;
}

static void skip_ws(struct lex *x)
{
	while (x->p < x->e && (*x->p == ' ' || *x->p == '\t'))
		x->p++;
}

static char peek(struct lex *x)
{
	return x->p < x->e ? *x->p : '\0';
}

static bool fail(struct lex *x, const char *why)
{
	if (!x->err)
		x->err = why;
	return false;
}

/* A word up to whitespace or one of stop (backslash escapes any byte; a
 * double-quoted part may hold anything). Returns a new string, "" for an
 * empty word, NULL on OOM or error (x->err set). */
static char *word(struct lex *x, const char *stop)
{
	size_t cap = (size_t)(x->e - x->p) + 1, n = 0;
	char *w = malloc(cap);
	if (!w) {
		fail(x, "out of memory");
		return NULL;
	}
	while (x->p < x->e) {
		char c = *x->p;
		if (c == ' ' || c == '\t' || strchr(stop, c))
			break;
		if (c == '\\') {
			if (x->p + 1 >= x->e) {
				x->p++;
				break;
			}
			w[n++] = x->p[1];
			x->p += 2;
			continue;
		}
		if (c == '"') {
			x->p++;
			while (x->p < x->e && *x->p != '"') {
				if (*x->p == '\\' && x->p + 1 < x->e)
					x->p++;
				w[n++] = *x->p++;
			}
			if (x->p >= x->e) {
				free(w);
				fail(x, "unterminated quote");
				return NULL;
			}
			x->p++;
			continue;
		}
		w[n++] = c;
		x->p++;
	}
	w[n] = '\0';
	return w;
}

static bool is_alias_name(const char *s)
{
	if (!(*s >= 'A' && *s <= 'Z'))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static int list_add(struct sudoers *s, struct sd_list *l, char *str, bool neg)
{
	if (s->items >= RX_SUDO_ITEMS || array_reserve(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 4) < 0) {
		free(str);
		return -ENOMEM;
	}
	s->items++;
	uint8_t k;
	const char *v = str;
	if (strcmp(str, "ALL") == 0)
		k = SK_ALL;
	else if (str[0] == '%' && str[1] == ':')
		k = SK_NONUNIX, v = str + 2;
	else if (str[0] == '%' && str[1] == '#')
		k = SK_GID, v = str + 2;
	else if (str[0] == '%')
		k = SK_GROUP, v = str + 1;
	else if (str[0] == '#')
		k = SK_UID, v = str + 1;
	else if (str[0] == '+')
		k = SK_NETGROUP, v = str + 1;
	else if (is_alias_name(str))
		k = SK_ALIAS;
	else
		k = SK_NAME;
	if (v != str)
		memmove(str, v, strlen(v) + 1);
	l->v[l->n++] = (struct sd_item){ str, k, neg };
	return 0;
}

/* item[, item]… where an item is "!"* then a word. An empty list is an error
 * unless allow_empty. */
static bool parse_list(struct sudoers *s, struct lex *x, struct sd_list *l, const char *stop, bool allow_empty)
{
	skip_ws(x);
	if (allow_empty && (at_end(x) || strchr(stop, peek(x))))
		return true;
	for (;;) {
		bool neg = false;
		skip_ws(x);
		while (peek(x) == '!') {
			neg = !neg;
			x->p++;
			skip_ws(x);
		}
		char *w = word(x, stop);
		if (!w)
			return false;
		if (!*w) {
			free(w);
			return fail(x, "expected a name");
		}
		if (list_add(s, l, w, neg) < 0)
			return fail(x, "too many items");
		skip_ws(x);
		if (peek(x) != ',')
			return true;
		x->p++;
	}
}

static bool word_is(struct lex *x, const char *kw, bool need_colon)
{
	size_t n = strlen(kw);
	if ((size_t)(x->e - x->p) < n + (need_colon ? 1 : 0) || memcmp(x->p, kw, n) != 0)
		return false;
	if (need_colon)
		return x->p[n] == ':';
	return x->p + n == x->e || x->p[n] == ' ' || x->p[n] == '\t' || x->p[n] == ',' || x->p[n] == ':' ||
	       x->p[n] == '=';
}

static const char *const tags[] = { "NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "SETENV", "NOSETENV",
				    "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL",
				    "FOLLOW", "NOFOLLOW", "INTERCEPT", "NOINTERCEPT" };
static const char *const options[] = { "CWD", "CHROOT", "ROLE", "TYPE", "TIMEOUT", "NOTBEFORE", "NOTAFTER",
				       "APPARMOR_PROFILE", "PRIVS", "LIMITPRIVS" };
static const char *const digests[] = { "sha224", "sha256", "sha384", "sha512" };

/* One command: "!"* then ALL, an alias, sudoedit or a path with optional
 * arguments (up to an unescaped ',' or ':'). */
static bool parse_cmnd(struct lex *x, struct sd_cmnd *c)
{
	*c = (struct sd_cmnd){ .runas = -1, .nopasswd = -1 };
	skip_ws(x);
	while (peek(x) == '!') {
		c->neg = !c->neg;
		x->p++;
		skip_ws(x);
	}
	if (word_is(x, "ALL", false)) {
		x->p += 3;
		c->all = true;
		return true;
	}
	char *w = word(x, ",:");
	if (!w)
		return false;
	if (!*w) {
		free(w);
		return fail(x, "expected a command");
	}
	if (is_alias_name(w)) {
		c->alias = true;
		c->cmd = w;
		return true;
	}
	if (strcmp(w, "sudoedit") == 0)
		c->sudoedit = true;
	else if (w[0] != '/') {
		free(w);
		return fail(x, "a command must be a full path, sudoedit, ALL or an alias");
	}
	c->cmd = w;
	skip_ws(x);
	/* arguments: raw text up to an unescaped ',' or ':' (escapes kept
	 * for wildcard matching, "" meaning no arguments) */
	const char *a = x->p;
	while (x->p < x->e && *x->p != ',' && *x->p != ':') {
		if (*x->p == '\\' && x->p + 1 < x->e)
			x->p++;
		x->p++;
	}
	const char *ae = x->p;
	while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t'))
		ae--;
	if (ae > a) {
		if (ae - a == 2 && a[0] == '"' && a[1] == '"')
			c->args = strdup("");
		else
			c->args = strndup(a, (size_t)(ae - a));
		if (!c->args)
			return fail(x, "out of memory");
	}
	return true;
}

static int push_cmnd(struct sd_cmnd **v, size_t *n, size_t *cap, struct sd_cmnd *c)
{
	if (array_reserve(v, cap, *n + 1, sizeof(**v), 8) < 0) {
		cmnd_free(c);
		return -ENOMEM;
	}
	(*v)[(*n)++] = *c;
	return 0;
}

/* After "users hosts =": the commands of one host spec, then ": hosts =" and more. */
static bool parse_cmnd_specs(struct sudoers *s, struct lex *x, struct sd_spec *sp)
{
	for (;;) {
		/* one host spec */
		if (array_reserve(&s->hs, &s->cap_hs, s->n_hs + 1, sizeof(*s->hs), 8) < 0)
			return fail(x, "out of memory");
		struct sd_hostspec *h = &s->hs[s->n_hs];
		*h = (struct sd_hostspec){ .first = s->n_cmnd };
		s->n_hs++;
		sp->n++;
		if (!parse_list(s, x, &h->hosts, ",=:()", false))
			return false;
		skip_ws(x);
		if (peek(x) != '=')
			return fail(x, "expected '=' after the host list");
		x->p++;
		int runas = -1;
		int8_t nopw = -1;
		for (;;) {
			skip_ws(x);
			if (peek(x) == '(') {
				x->p++;
				if (array_reserve(&s->runas, &s->cap_runas, s->n_runas + 1, sizeof(*s->runas), 8) < 0)
					return fail(x, "out of memory");
				struct sd_runas *ra = &s->runas[s->n_runas];
				*ra = (struct sd_runas){ 0 };
				s->n_runas++;
				skip_ws(x);
				if (peek(x) != ':' && peek(x) != ')') {
					if (!parse_list(s, x, &ra->users, ",:()=", false))
						return false;
					ra->has_users = true;
				}
				skip_ws(x);
				if (peek(x) == ':') {
					x->p++;
					if (!parse_list(s, x, &ra->groups, ",:()=", true))
						return false;
					ra->has_groups = ra->groups.n > 0;
				}
				skip_ws(x);
				if (peek(x) != ')')
					return fail(x, "expected ')' after the runas list");
				x->p++;
				/* a runas spec holds for the commands after it; tags carry on too */
				runas = (int)(s->n_runas - 1);
			}
			/* options and tags, in any order */
			for (bool more = true; more;) {
				more = false;
				skip_ws(x);
				for (size_t i = 0; i < ELEMENTSOF(options); i++) {
					size_t n = strlen(options[i]);
					if ((size_t)(x->e - x->p) > n && memcmp(x->p, options[i], n) == 0 && x->p[n] == '=') {
						x->p += n + 1;
						free(word(x, ",:"));
						if (x->err)
							return false;
						more = true;
					}
				}
				for (size_t i = 0; i < ELEMENTSOF(tags); i++)
					if (word_is(x, tags[i], true)) {
						if (strcmp(tags[i], "NOPASSWD") == 0)
							nopw = 1;
						else if (strcmp(tags[i], "PASSWD") == 0)
							nopw = 0;
						x->p += strlen(tags[i]) + 1;
						more = true;
						break;
					}
				for (size_t i = 0; i < ELEMENTSOF(digests); i++)
					if (word_is(x, digests[i], true)) {
						x->p += strlen(digests[i]) + 1;
						free(word(x, ""));
						if (x->err)
							return false;
						more = true;
						break;
					}
			}
			struct sd_cmnd c;
			if (!parse_cmnd(x, &c)) {
				cmnd_free(&c);
				return false;
			}
			c.runas = runas;
			c.nopasswd = nopw;
			if (s->items >= RX_SUDO_ITEMS) {
				cmnd_free(&c);
				return fail(x, "too many commands");
			}
			s->items++;
			if (push_cmnd(&s->cmnd, &s->n_cmnd, &s->cap_cmnd, &c) < 0)
				return fail(x, "out of memory");
			s->hs[s->n_hs - 1].n++;
			skip_ws(x);
			if (at_end(x))
				return true;
			if (peek(x) == ',') {
				x->p++;
				continue;
			}
			if (peek(x) == ':') {
				x->p++;
				break; /* another host spec */
			}
			return fail(x, "expected ',' or ':' after a command");
		}
	}
}

static bool parse_alias_line(struct sudoers *s, struct lex *x, uint8_t type, const char *file, unsigned line)
{
	for (;;) {
		skip_ws(x);
		char *name = word(x, "=,:");
		if (!name)
			return false;
		if (!is_alias_name(name) || strcmp(name, "ALL") == 0) {
			free(name);
			return fail(x, "an alias name is upper case letters, digits and '_', and not ALL");
		}
		skip_ws(x);
		if (peek(x) != '=') {
			free(name);
			return fail(x, "expected '=' after the alias name");
		}
		x->p++;
		if (array_reserve(&s->alias, &s->cap_alias, s->n_alias + 1, sizeof(*s->alias), 8) < 0) {
			free(name);
			return fail(x, "out of memory");
		}
		struct sd_alias *a = &s->alias[s->n_alias++];
		*a = (struct sd_alias){ .type = type, .name = name, .file = file, .line = line,
					.first_cmnd = s->n_calias };
		if (type == AL_CMND) {
			for (;;) {
				struct sd_cmnd c;
				if (!parse_cmnd(x, &c)) {
					cmnd_free(&c);
					return false;
				}
				if (s->items++ >= RX_SUDO_ITEMS) {
					cmnd_free(&c);
					return fail(x, "too many commands");
				}
				if (push_cmnd(&s->calias, &s->n_calias, &s->cap_calias, &c) < 0)
					return fail(x, "out of memory");
				a = &s->alias[s->n_alias - 1];
				a->n_cmnd++;
				skip_ws(x);
				if (peek(x) != ',')
					break;
				x->p++;
			}
		} else if (!parse_list(s, x, &a->m, ",:=", false)) {
			return false;
		}
		skip_ws(x);
		if (at_end(x))
			return true;
		if (peek(x) != ':')
			return fail(x, "expected ':' or the end of the line after an alias");
		x->p++;
	}
}

static bool parse_defaults(struct sudoers *s, struct lex *x)
{
	uint8_t scope = DS_GLOBAL;
	struct sd_list binding = { 0 };
	char c = peek(x);
	if (c == '@' || c == ':' || c == '>' || c == '!') {
		scope = c == '@' ? DS_HOST : c == ':' ? DS_USER : c == '>' ? DS_RUNAS : DS_CMND;
		x->p++;
		if (!parse_list(s, x, &binding, ",=", false)) {
			list_free(&binding);
			return false;
		}
	} else if (c != ' ' && c != '\t') {
		return fail(x, "expected a space or @ : > ! after Defaults");
	}
	bool first = true;
	for (;;) {
		skip_ws(x);
		if (at_end(x))
			break;
		bool neg = false;
		while (peek(x) == '!') {
			neg = !neg;
			x->p++;
		}
		const char *n0 = x->p;
		while (x->p < x->e && (isalnum((unsigned char)*x->p) || *x->p == '_'))
			x->p++;
		if (x->p == n0) {
			list_free(&binding);
			return fail(x, "expected a Defaults option name");
		}
		char *name = strndup(n0, (size_t)(x->p - n0));
		char *value = NULL;
		skip_ws(x);
		if (peek(x) == '+' || peek(x) == '-')
			x->p++;
		if (peek(x) == '=') {
			x->p++;
			skip_ws(x);
			value = word(x, ",");
			if (!value) {
				free(name);
				list_free(&binding);
				return false;
			}
		}
		if (!name || array_reserve(&s->def, &s->cap_def, s->n_def + 1, sizeof(*s->def), 8) < 0) {
			free(name);
			free(value);
			list_free(&binding);
			return fail(x, "out of memory");
		}
		struct sd_default *d = &s->def[s->n_def++];
		*d = (struct sd_default){ .scope = scope, .name = name, .value = value, .neg = neg };
		/* the binding belongs to the first option; later ones copy it */
		if (first) {
			d->binding = binding;
			binding = (struct sd_list){ 0 };
			first = false;
		} else {
			const struct sd_list *b0 = &s->def[s->n_def - 2].binding;
			for (size_t i = 0; i < b0->n; i++) {
				char *cp = strdup(b0->v[i].s);
				if (!cp || array_reserve(&d->binding.v, &d->binding.cap, d->binding.n + 1,
							 sizeof(*d->binding.v), 4) < 0) {
					free(cp);
					return fail(x, "out of memory");
				}
				d->binding.v[d->binding.n++] = (struct sd_item){ cp, b0->v[i].kind, b0->v[i].neg };
			}
		}
		skip_ws(x);
		if (at_end(x))
			break;
		if (peek(x) != ',')
			return fail(x, "expected ',' between Defaults options");
		x->p++;
	}
	list_free(&binding);
	return true;
}

static bool parse_user_spec(struct sudoers *s, struct lex *x, const char *file, unsigned line, struct sv text)
{
	if (array_reserve(&s->spec, &s->cap_spec, s->n_spec + 1, sizeof(*s->spec), 8) < 0)
		return fail(x, "out of memory");
	struct sd_spec *sp = &s->spec[s->n_spec];
	*sp = (struct sd_spec){ .first = s->n_hs, .file = file, .line = line };
	size_t hs0 = s->n_hs, c0 = s->n_cmnd, r0 = s->n_runas;
	bool ok = parse_list(s, x, &sp->users, ",=:()", false) && parse_cmnd_specs(s, x, sp);
	if (!ok) {
		/* nothing of a line that does not parse is kept */
		list_free(&sp->users);
		while (s->n_hs > hs0)
			list_free(&s->hs[--s->n_hs].hosts);
		while (s->n_cmnd > c0)
			cmnd_free(&s->cmnd[--s->n_cmnd]);
		while (s->n_runas > r0) {
			s->n_runas--;
			list_free(&s->runas[s->n_runas].users);
			list_free(&s->runas[s->n_runas].groups);
		}
		return false;
	}
	sp->text = sv_dup(sv_make(text.p, MIN(text.n, 240)));
	s->n_spec++;
	return true;
}

/* ---- files ---- */

static const char *keep_file(struct sudoers *s, const char *path)
{
	for (size_t i = 0; i < s->n_files; i++)
		if (strcmp(s->files[i], path) == 0)
			return s->files[i];
	char *d = strdup(path);
	if (!d || array_reserve(&s->files, &s->cap_files, s->n_files + 1, sizeof(*s->files), 8) < 0) {
		free(d);
		return NULL;
	}
	s->files[s->n_files++] = d;
	return d;
}

static int parse_file(struct sudoers *s, const struct fsroot *r, const char *path, const char *host,
		      struct rx_problems *pr);

/* "%h" → host; relative → the including file's directory. */
static char *include_path(const char *from, const char *inc, const char *host)
{
	char buf[4096];
	size_t n = 0;
	if (inc[0] != '/') {
		const char *slash = strrchr(from, '/');
		size_t dl = slash ? (size_t)(slash - from) : 0;
		if (dl + 1 >= sizeof(buf))
			return NULL;
		memcpy(buf, from, dl);
		buf[dl] = '/';
		n = dl + 1;
	}
	for (const char *p = inc; *p; p++) {
		if (p[0] == '%' && p[1] == 'h') {
			size_t hl = strlen(host);
			if (n + hl >= sizeof(buf))
				return NULL;
			memcpy(buf + n, host, hl);
			n += hl;
			p++;
			continue;
		}
		if (n + 1 >= sizeof(buf))
			return NULL;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return strdup(buf);
}

static void do_include(struct sudoers *s, const struct fsroot *r, const char *file, unsigned line, const char *arg,
		       bool dir, const char *host, struct rx_problems *pr)
{
	char *path = include_path(file, arg, host);
	if (!path) {
		rx_problem(pr, "%s:%u: include path too long, skipped", file, line);
		return;
	}
	if (!dir) {
		(void)parse_file(s, r, path, host, pr);
		free(path);
		return;
	}
	char **names = NULL;
	ssize_t n = fsroot_list(r, path, &names);
	if (n < 0) {
		if (n != -ENOENT)
			rx_problem(pr, "%s:%u: includedir %s: %s", file, line, path, strerror((int)-n));
		free(path);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		/* sudo skips names ending in '~' or holding a '.' (editor and package backups) */
		size_t l = strlen(names[i]);
		if (l == 0 || names[i][l - 1] == '~' || strchr(names[i], '.'))
			continue;
		char *p = NULL;
		if (asprintf(&p, "%s/%s", path, names[i]) < 0)
			break;
		(void)parse_file(s, r, p, host, pr);
		free(p);
	}
	rx_strv_free(names, (size_t)n);
	free(path);
}

/* One logical line (continuations joined, comments removed) in buf. */
static void parse_line(struct sudoers *s, const struct fsroot *r, const char *file, unsigned line, char *buf,
		       size_t n, const char *host, struct rx_problems *pr)
{
	struct lex x = { buf, buf + n, NULL };
	skip_ws(&x);
	if (at_end(&x))
		return;
	struct sv text = sv_make(x.p, (size_t)(x.e - x.p));
	static const struct {
		const char *kw;
		bool dir;
	} inc[] = { { "#includedir", true }, { "@includedir", true }, { "#include", false }, { "@include", false } };
	for (size_t i = 0; i < ELEMENTSOF(inc); i++) {
		size_t kl = strlen(inc[i].kw);
		if ((size_t)(x.e - x.p) > kl && memcmp(x.p, inc[i].kw, kl) == 0 && (x.p[kl] == ' ' || x.p[kl] == '\t')) {
			x.p += kl;
			skip_ws(&x);
			char *arg = word(&x, "");
			skip_ws(&x);
			if (!arg || !*arg || !at_end(&x))
				rx_problem(pr, "%s:%u: %s needs one path, skipped", file, line, inc[i].kw);
			else if (r)
				do_include(s, r, file, line, arg, inc[i].dir, host, pr);
			free(arg);
			return;
		}
	}
	if (x.p[0] == '#' && !(x.e - x.p > 1 && isdigit((unsigned char)x.p[1])))
		return; /* a comment (the stripper keeps only #include lines and #uid items) */
	bool ok = true;
	if (word_is(&x, "Defaults", false) || (x.e - x.p > 8 && memcmp(x.p, "Defaults", 8) == 0 && strchr("@:>!", x.p[8]))) {
		x.p += 8;
		ok = parse_defaults(s, &x);
	} else {
		static const struct {
			const char *kw;
			uint8_t type;
		} al[] = { { "User_Alias", AL_USER }, { "Runas_Alias", AL_RUNAS }, { "Host_Alias", AL_HOST },
			   { "Cmnd_Alias", AL_CMND }, { "Cmd_Alias", AL_CMND } };
		size_t i;
		for (i = 0; i < ELEMENTSOF(al); i++)
			if (word_is(&x, al[i].kw, false)) {
				x.p += strlen(al[i].kw);
				const char *f = keep_file(s, file);
				ok = f && parse_alias_line(s, &x, al[i].type, f, line);
				break;
			}
		if (i == ELEMENTSOF(al)) {
			const char *f = keep_file(s, file);
			ok = f && parse_user_spec(s, &x, f, line, text);
		}
	}
	if (!ok)
		rx_problem(pr, "%s:%u: %s; line skipped", file, line, x.err ? x.err : "cannot parse");
}

/* Is the '#' at p a user-ID ("#1000") rather than a comment? */
static bool hash_is_id(const char *start, const char *p, const char *e)
{
	if (p + 1 >= e || !isdigit((unsigned char)p[1]))
		return false;
	if (p == start)
		return true;
	char b = p[-1];
	return b == ' ' || b == '\t' || b == ',' || b == '(' || b == ':' || b == '=' || b == '!' || b == '%';
}

int sudoers_parse(struct sudoers *s, const struct fsroot *r, const char *path, const char *text, size_t len,
		  const char *host, struct rx_problems *pr)
{
	if (!host)
		host = "";
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	const char *p = text, *e = text + len;
	unsigned lineno = 0;
	while (p < e) {
		/* gather one logical line: physical lines joined while one ends in '\' */
		size_t n = 0;
		unsigned start = lineno + 1;
		bool in_comment = false, in_quote = false;
		const char *line_start = p;
		for (;;) {
			lineno++;
			const char *nl = memchr(p, '\n', (size_t)(e - p));
			const char *le = nl ? nl : e;
			if (le > p && le[-1] == '\r')
				le--;
			bool cont = false;
			const char *q = p;
			/* a line beginning with "#include" is a directive, not a comment */
			const char *first = p;
			while (first < le && (*first == ' ' || *first == '\t'))
				first++;
			bool directive = n == 0 && (size_t)(le - first) > 8 && memcmp(first, "#include", 8) == 0;
			for (; q < le; q++) {
				char c = *q;
				if (in_comment)
					continue;
				if (c == '\0') {
					c = ' '; /* a NUL byte reads as a space: never a terminator */
				}
				if (c == '"' && !(q > p && q[-1] == '\\'))
					in_quote = !in_quote;
				if (c == '#' && !in_quote && !directive && !hash_is_id(line_start, q, le)) {
					if (!(n == 0 && q == first)) {
						in_comment = true;
						continue;
					}
					/* a whole-line comment: keep "#" so parse_line sees it */
				}
				if (c == '\\' && q + 1 == le && !in_comment) {
					cont = true;
					break;
				}
				if (c == '\\' && q + 1 < le) {
					buf[n++] = c;
					buf[n++] = q[1] == '\0' ? ' ' : q[1];
					q++;
					continue;
				}
				buf[n++] = c;
			}
			p = nl ? nl + 1 : e;
			line_start = p;
			if (!cont || p >= e)
				break;
			buf[n++] = ' ';
		}
		parse_line(s, r, path, start, buf, n, host, pr);
		if (s->err)
			break;
	}
	free(buf);
	return s->err;
}

static int parse_file(struct sudoers *s, const struct fsroot *r, const char *path, const char *host,
		      struct rx_problems *pr)
{
	for (size_t i = 0; i < s->depth; i++)
		if (strcmp(s->stack[i], path) == 0) {
			rx_problem(pr, "%s: included again while it is being read (an include loop), skipped", path);
			return 0;
		}
	if (s->depth >= RX_SUDO_DEPTH) {
		rx_problem(pr, "%s: includes nested deeper than %d, skipped", path, RX_SUDO_DEPTH);
		return 0;
	}
	if (s->n_files >= RX_SUDO_FILES) {
		rx_problem(pr, "%s: more than %d sudoers files, skipped", path, RX_SUDO_FILES);
		return 0;
	}
	char *text = NULL;
	ssize_t n = fsroot_read(r, path, RX_MAX_CONFIG_BYTES, &text);
	if (n < 0) {
		if (n == -EFBIG)
			rx_problem(pr, "%s: larger than %u bytes, skipped", path, RX_MAX_CONFIG_BYTES);
		else if ((n != -ENOENT && n != -EACCES) || s->depth > 0)
			rx_problem(pr, "%s: %s, skipped", path, strerror((int)-n)); /* the top file's absence or
										* permission: the caller says */
		return (int)n;
	}
	const char *kept = keep_file(s, path);
	if (!kept) {
		free(text);
		return -ENOMEM;
	}
	s->stack[s->depth++] = (char *)kept;
	int rc = sudoers_parse(s, r, kept, text, (size_t)n, host, pr);
	s->depth--;
	free(text);
	return rc;
}

int sudoers_load(struct sudoers *s, const struct fsroot *r, const char *host, struct rx_problems *pr)
{
	return parse_file(s, r, "/etc/sudoers", host ? host : "", pr);
}

/* ---- matching ---- */

struct mctx {
	const struct sudoers *s;
	const struct sudo_ctx *ctx;
	const struct account *u;   /* the invoking account */
	const char *target_user;   /* runas user matching */
	const char *target_group;
	unsigned depth;
};

static const struct sd_alias *find_alias(const struct sudoers *s, uint8_t type, const char *name)
{
	/* the last definition wins, as later lines override */
	for (size_t i = s->n_alias; i-- > 0;)
		if (s->alias[i].type == type && strcmp(s->alias[i].name, name) == 0)
			return &s->alias[i];
	return NULL;
}

typedef int (*item_fn)(struct mctx *m, const struct sd_item *it);

/* 1 allow, 0 deny, -1 no item matched: the last matching item decides. */
static int list_match(struct mctx *m, const struct sd_list *l, item_fn fn)
{
	for (size_t i = l->n; i-- > 0;) {
		int r = fn(m, &l->v[i]);
		if (r < 0)
			continue;
		return l->v[i].neg ? !r : r;
	}
	return -1;
}

static int alias_match(struct mctx *m, uint8_t type, const char *name, item_fn fn)
{
	const struct sd_alias *a = find_alias(m->s, type, name);
	if (!a || m->depth >= RX_SUDO_ALIAS_DEPTH)
		return -1;
	m->depth++;
	int r = list_match(m, &a->m, fn);
	m->depth--;
	return r;
}

static bool account_in_group_name(const struct sudo_ctx *ctx, const struct account *u, const char *g)
{
	const struct group_ent *ge = accounts_group_by_name(ctx->acc, g);
	if (!ge)
		return false;
	for (size_t i = 0; i < u->n_gids; i++)
		if (u->gids[i] == ge->gid)
			return true;
	return false;
}

static int id_eq(const char *s, uint32_t id)
{
	unsigned long long v;
	return sv_to_u64(sv_cstr(s), UINT32_MAX, &v) == 0 && v == id;
}

static int user_item_for(struct mctx *m, const struct sd_item *it, const struct account *u, uint8_t alias_type,
			 item_fn self)
{
	switch (it->kind) {
	case SK_ALL:
		return 1;
	case SK_NAME:
		return u && strcmp(it->s, u->name) == 0 ? 1 : -1;
	case SK_UID:
		return u && id_eq(it->s, u->uid) ? 1 : -1;
	case SK_GROUP:
		return u && account_in_group_name(m->ctx, u, it->s) ? 1 : -1;
	case SK_GID:
		if (!u)
			return -1;
		for (size_t i = 0; i < u->n_gids; i++)
			if (id_eq(it->s, u->gids[i]))
				return 1;
		return -1;
	case SK_ALIAS:
		return alias_match(m, alias_type, it->s, self);
	default:
		return -1; /* netgroups and non-Unix groups: not known from files */
	}
}

static int user_item(struct mctx *m, const struct sd_item *it)
{
	return user_item_for(m, it, m->u, AL_USER, user_item);
}

static int runas_user_item(struct mctx *m, const struct sd_item *it)
{
	const struct account *t = accounts_by_name(m->ctx->acc, m->target_user);
	if (!t && it->kind == SK_NAME)
		return strcmp(it->s, m->target_user) == 0 ? 1 : -1;
	return user_item_for(m, it, t, AL_RUNAS, runas_user_item);
}

static int runas_group_item(struct mctx *m, const struct sd_item *it)
{
	switch (it->kind) {
	case SK_ALL:
		return 1;
	case SK_NAME:
		return strcmp(it->s, m->target_group) == 0 ? 1 : -1;
	case SK_UID: {
		const struct group_ent *g = accounts_group_by_name(m->ctx->acc, m->target_group);
		return g && id_eq(it->s, g->gid) ? 1 : -1;
	}
	case SK_ALIAS:
		return alias_match(m, AL_RUNAS, it->s, runas_group_item);
	default:
		return -1;
	}
}

static bool host_name_eq(const char *pat, const char *host)
{
	if (!*host)
		return false;
	if (strpbrk(pat, "*?[")) {
		if (fnmatch(pat, host, FNM_CASEFOLD) == 0)
			return true;
	} else if (strcasecmp(pat, host) == 0) {
		return true;
	}
	/* the short name against a short pattern, and the reverse */
	const char *dot = strchr(host, '.');
	if (dot) {
		char shortname[256];
		size_t n = MIN((size_t)(dot - host), sizeof(shortname) - 1);
		memcpy(shortname, host, n);
		shortname[n] = '\0';
		return strpbrk(pat, "*?[") ? fnmatch(pat, shortname, FNM_CASEFOLD) == 0 : strcasecmp(pat, shortname) == 0;
	}
	return false;
}

static int host_item(struct mctx *m, const struct sd_item *it)
{
	switch (it->kind) {
	case SK_ALL:
		return 1;
	case SK_NAME:
		return host_name_eq(it->s, m->ctx->host) ? 1 : -1;
	case SK_ALIAS:
		return alias_match(m, AL_HOST, it->s, host_item);
	default:
		return -1; /* netgroups; addresses are names that never equal the host's */
	}
}

struct leaf {
	const struct sd_cmnd *c;
	int8_t nopasswd; /* the tag of the rule's command (an alias's members have none) */
	bool neg;
	const struct sd_spec *sp;
};

struct leaves {
	struct leaf *v;
	size_t n, cap;
};

/* Expands a command (an alias into its members) into leaves. */
static void expand(const struct sudoers *s, const struct sd_cmnd *c, int8_t nopw, bool neg,
		   const struct sd_spec *sp, struct leaves *out, unsigned depth)
{
	if (!c->alias) {
		if (array_reserve(&out->v, &out->cap, out->n + 1, sizeof(*out->v), 16) == 0)
			out->v[out->n++] = (struct leaf){ c, nopw, neg != c->neg, sp };
		return;
	}
	const struct sd_alias *a = find_alias(s, AL_CMND, c->cmd);
	if (!a || depth >= RX_SUDO_ALIAS_DEPTH)
		return;
	for (size_t i = 0; i < a->n_cmnd; i++)
		expand(s, &s->calias[a->first_cmnd + i], nopw, neg != c->neg, sp, out, depth + 1);
}

/* Does a "!" leaf d take back the grant g? */
static bool covers(const struct sd_cmnd *d, const struct sd_cmnd *g)
{
	if (d->all)
		return true;
	if (g->all || !d->cmd || !g->cmd || d->sudoedit != g->sudoedit)
		return false;
	if (fnmatch(d->cmd, g->cmd, FNM_PATHNAME) != 0 && strcmp(d->cmd, g->cmd) != 0)
		return false;
	return !d->args || (g->args && strcmp(d->args, g->args) == 0);
}

/* The last Defaults setting of name that applies (1 set, 0 negated, -1 none). */
static int default_flag(struct mctx *m, const char *name)
{
	int v = -1;
	for (size_t i = 0; i < m->s->n_def; i++) {
		const struct sd_default *d = &m->s->def[i];
		if (strcmp(d->name, name) != 0)
			continue;
		bool applies = d->scope == DS_GLOBAL || (d->scope == DS_USER && list_match(m, &d->binding, user_item) == 1) ||
			       (d->scope == DS_HOST && list_match(m, &d->binding, host_item) == 1) ||
			       (d->scope == DS_RUNAS && m->target_user &&
				list_match(m, &d->binding, runas_user_item) == 1);
		if (applies)
			v = !d->neg;
	}
	return v;
}

size_t sudoers_grants(const struct sudoers *s, const struct sudo_ctx *ctx, const struct account *u,
		      const char *target_user, const char *target_group,
		      void (*fn)(void *ud, const struct sudo_grant *g), void *ud)
{
	struct mctx m = { s, ctx, u, target_user ? target_user : u->name, target_group, 0 };
	struct leaves L = { 0 };
	for (size_t i = 0; i < s->n_spec; i++) {
		const struct sd_spec *sp = &s->spec[i];
		if (list_match(&m, &sp->users, user_item) != 1)
			continue;
		for (size_t h = 0; h < sp->n; h++) {
			const struct sd_hostspec *hs = &s->hs[sp->first + h];
			if (list_match(&m, &hs->hosts, host_item) != 1)
				continue;
			for (size_t k = 0; k < hs->n; k++) {
				const struct sd_cmnd *c = &s->cmnd[hs->first + k];
				const struct sd_runas *ra = c->runas >= 0 ? &s->runas[c->runas] : NULL;
				bool ok;
				if (target_group) {
					ok = ra && ra->has_groups && list_match(&m, &ra->groups, runas_group_item) == 1;
				} else if (!ra || (!ra->has_users && !ra->has_groups)) {
					ok = strcmp(m.target_user, "root") == 0; /* runas_default */
				} else if (!ra->has_users) {
					ok = false; /* "(:group)" runs as the account itself */
				} else {
					ok = list_match(&m, &ra->users, runas_user_item) == 1;
				}
				if (ok)
					expand(s, c, c->nopasswd, false, sp, &L, 0);
			}
		}
	}
	int authenticate = default_flag(&m, "authenticate");
	bool other_pw = default_flag(&m, "targetpw") == 1 || default_flag(&m, "rootpw") == 1 ||
			default_flag(&m, "runaspw") == 1;
	size_t calls = 0;
	for (size_t i = 0; i < L.n; i++) {
		if (L.v[i].neg)
			continue;
		bool taken = false;
		for (size_t j = i + 1; j < L.n && !taken; j++)
			taken = L.v[j].neg && covers(L.v[j].c, L.v[i].c);
		if (taken)
			continue;
		const struct sd_cmnd *c = L.v[i].c;
		/* the tag of the command, else of an earlier command of its rule */
		int8_t nopw = L.v[i].nopasswd;
		struct sudo_grant g = {
			.file = L.v[i].sp->file,
			.line = L.v[i].sp->line,
			.all = c->all,
			.sudoedit = c->sudoedit,
			.cmd = c->all ? NULL : c->cmd,
			.args = c->args,
			.nopasswd = nopw == 1 || (nopw == -1 && authenticate == 0),
			.other_pw = other_pw,
			.runas_group_only = target_group != NULL,
			.rule = L.v[i].sp->text ? L.v[i].sp->text : "",
		};
		fn(ud, &g);
		calls++;
	}
	free(L.v);
	return calls;
}

static void add_runas_name(struct sudoers *s, const char *name)
{
	for (size_t i = 0; i < s->n_runas_names; i++)
		if (strcmp(s->runas_names[i], name) == 0)
			return;
	if (array_reserve(&s->runas_names, &s->cap_runas_names, s->n_runas_names + 1, sizeof(*s->runas_names), 8) == 0)
		s->runas_names[s->n_runas_names++] = name;
}

size_t sudoers_runas_names(const struct sudoers *cs, const char ***ret)
{
	struct sudoers *s = (struct sudoers *)cs; /* the list is a cache built on first use */
	if (!s->runas_names) {
		for (size_t i = 0; i < s->n_runas; i++)
			for (size_t k = 0; k < s->runas[i].users.n; k++)
				if (s->runas[i].users.v[k].kind == SK_NAME && !s->runas[i].users.v[k].neg)
					add_runas_name(s, s->runas[i].users.v[k].s);
		for (size_t i = 0; i < s->n_alias; i++)
			if (s->alias[i].type == AL_RUNAS)
				for (size_t k = 0; k < s->alias[i].m.n; k++)
					if (s->alias[i].m.v[k].kind == SK_NAME && !s->alias[i].m.v[k].neg)
						add_runas_name(s, s->alias[i].m.v[k].s);
	}
	*ret = s->runas_names;
	return s->n_runas_names;
}

size_t sudoers_runas_groups(const struct sudoers *s, const char **ret, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_runas; i++)
		for (size_t k = 0; k < s->runas[i].groups.n; k++) {
			const struct sd_item *it = &s->runas[i].groups.v[k];
			if (it->kind != SK_NAME || it->neg)
				continue;
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = strcmp(ret[j], it->s) == 0;
			if (!dup && n < max)
				ret[n++] = it->s;
		}
	return n;
}

const char *sudoers_secure_path(const struct sudoers *s)
{
	const char *v = NULL;
	for (size_t i = 0; i < s->n_def; i++)
		if (s->def[i].scope == DS_GLOBAL && strcmp(s->def[i].name, "secure_path") == 0)
			v = s->def[i].neg ? NULL : s->def[i].value;
	return v;
}

size_t sudoers_files(const struct sudoers *s, const char *const **ret)
{
	*ret = (const char *const *)s->files;
	return s->n_files;
}
