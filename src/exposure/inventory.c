/*
 * inventory: dpkg's status file (deb822 stanzas separated by blank lines,
 * "Field: value" lines with continuation lines starting with a blank) and
 * os-release. See inventory.h.
 */
#include "core/array.h"
#include "core/fileio.h"
#include "exposure/inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/strview.h"
#include "exposure/debver.h"
#include "core/rootfs.h"

struct inventory {
	char *buf; /* the file, NUL-terminated in place */
	struct inv_pkg *pkgs;
	size_t n, cap;
	char *problems[INVENTORY_MAX_PROBLEMS];
	size_t n_problems;
	char *name; /* for messages */
};

_printf_(3, 4) static void add_problem(struct inventory *inv, unsigned line, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	size_t i = inv->n_problems++;
	if (i >= INVENTORY_MAX_PROBLEMS)
		return;
	int k = snprintf(msg, sizeof(msg), "%s:%u: ", inv->name, line);
	if (k > 0 && (size_t)k < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + k, sizeof(msg) - (size_t)k, fmt, ap);
		va_end(ap);
	}
	inv->problems[i] = strdup(msg); /* NULL on OOM: the count still tells */
}

/* One stanza being read: views into the buffer. */
struct stanza {
	unsigned line;
	char *package, *version, *arch, *source, *status;
	bool bad_line;
	unsigned bad_line_no;
};

/* Bytes shown of hostile text in a message. */
static void clip(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < cap; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
}

static bool on_disk(const char *status_word)
{
	return strcmp(status_word, "not-installed") != 0 && strcmp(status_word, "config-files") != 0;
}

static int finish_stanza(struct inventory *inv, struct stanza *st)
{
	char shown[80];
	struct debver v;
	const char *why;
	char *src_ver = NULL, *status_word = NULL, *want_word = NULL;

	if (!st->package && !st->version && !st->status && !st->bad_line && !st->arch && !st->source)
		return 0; /* empty or comment-only */
	if (st->bad_line) {
		add_problem(inv, st->bad_line_no, "line is not 'Field: value'; stanza skipped");
		return 0;
	}
	if (!st->package || !*st->package) {
		add_problem(inv, st->line, "stanza has no Package field; skipped");
		return 0;
	}
	/* Status: want flag status — the third word says whether files are on disk */
	if (st->status) {
		char *p = st->status, *w[3] = { 0 };
		for (int k = 0; k < 3; k++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			w[k] = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (*p)
				*p++ = '\0';
		}
		status_word = w[2];
		want_word = w[0];
	}
	clip(shown, sizeof(shown), st->package);
	if (!status_word) {
		add_problem(inv, st->line, "package %s has no (valid) Status field; skipped", shown);
		return 0;
	}
	if (!on_disk(status_word))
		return 0;
	if (!st->version) {
		add_problem(inv, st->line, "package %s has no Version field; skipped", shown);
		return 0;
	}
	if (debver_parse(sv_cstr(st->version), &v, &why) != 1) {
		add_problem(inv, st->line, "package %s has an invalid Version; skipped: %s", shown, why);
		return 0;
	}
	/* "Source: name (version)" */
	if (st->source) {
		char *open = strchr(st->source, '(');
		if (open) {
			char *close = strchr(open, ')');
			char *e = open;
			while (e > st->source && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*e = '\0';
			if (close) {
				*close = '\0';
				src_ver = open + 1;
				while (*src_ver == ' ')
					src_ver++;
				for (char *t = close; t > src_ver && (t[-1] == ' ' || t[-1] == '\t');)
					*--t = '\0';
			}
			if (!src_ver || debver_parse(sv_cstr(src_ver), &v, &why) != 1) {
				add_problem(inv, st->line, "package %s has an invalid Source version; skipped", shown);
				return 0;
			}
		}
		if (!*st->source)
			st->source = NULL;
	}
	if (array_reserve(&inv->pkgs, &inv->cap, inv->n + 1, sizeof(*inv->pkgs), 256) < 0)
		return -ENOMEM;
	inv->pkgs[inv->n++] = (struct inv_pkg){
		.name = st->package,
		.arch = st->arch ? st->arch : "",
		.version = st->version,
		.source = st->source ? st->source : st->package,
		.source_version = src_ver ? src_ver : st->version,
		.status = status_word,
		.want = want_word ? want_word : "",
		.line = st->line,
	};
	return 0;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

int inventory_parse(const char *data, size_t len, const char *name, struct inventory **ret)
{
	_cleanup_(inventory_freep) struct inventory *inv = calloc(1, sizeof(*inv));
	struct stanza st = { 0 };
	unsigned lineno = 0;
	char *p, *end;
	int r;

	if (!inv)
		return -ENOMEM;
	inv->name = strdup(name ? name : "status");
	inv->buf = malloc(len + 1);
	if (!inv->name || !inv->buf)
		return -ENOMEM;
	if (len)
		memcpy(inv->buf, data, len);
	inv->buf[len] = '\0';

	p = inv->buf;
	end = inv->buf + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		char *next = nl ? nl + 1 : end;
		bool blank = true;
		lineno++;
		for (char *q = p; q < le; q++)
			if (*q != ' ' && *q != '\t' && *q != '\r') {
				blank = false;
				break;
			}
		if (blank) {
			r = finish_stanza(inv, &st);
			if (r < 0)
				return r;
			st = (struct stanza){ 0 };
		} else if (*p == ' ' || *p == '\t') {
			/* continuation of a multi-line field: none we keep */
			if (!st.line)
				st.line = lineno;
		} else if (*p == '#') {
			/* comment (deb822 allows them) */
		} else {
			char *colon = memchr(p, ':', (size_t)(le - p));
			if (!st.line)
				st.line = lineno;
			if (!colon || colon == p || memchr(p, ' ', (size_t)(colon - p))) {
				if (!st.bad_line)
					st.bad_line_no = lineno;
				st.bad_line = true;
			} else {
				size_t fl = (size_t)(colon - p);
				char *val = trim(colon + 1, le);
				*colon = '\0';
				/* field names are case-insensitive */
				if (fl == 7 && strcasecmp(p, "Package") == 0)
					st.package = val;
				else if (fl == 7 && strcasecmp(p, "Version") == 0)
					st.version = val;
				else if (fl == 12 && strcasecmp(p, "Architecture") == 0)
					st.arch = val;
				else if (fl == 6 && strcasecmp(p, "Source") == 0)
					st.source = val;
				else if (fl == 6 && strcasecmp(p, "Status") == 0)
					st.status = val;
			}
		}
		p = next;
	}
	r = finish_stanza(inv, &st);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(inv);
	return 0;
}

static char *root_path(const char *root, const char *rel)
{
	char *p = NULL;
	if (!root || !*root || strcmp(root, "/") == 0)
		root = "";
	size_t rl = strlen(root);
	while (rl && root[rl - 1] == '/')
		rl--;
	if (asprintf(&p, "%.*s/%s", (int)rl, root, rel) < 0)
		return NULL;
	return p;
}

int inventory_load(const char *root, struct inventory **ret, char **ret_err)
{
	_cleanup_free_ char *path = root_path(root, "var/lib/dpkg/status");
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	/* inside the root: an image's absolute symlink names the image's file, never ours */
	r = rootfs_read_file(root, "var/lib/dpkg/status", INVENTORY_MAX_BYTES, &buf, &len);
	if (r < 0) {
		const char *why = r == -EFBIG ? "larger than 512 MB, not a dpkg status file" : rootfs_strerror(r);
		if (ret_err && asprintf(ret_err, "%s: %s%s", path, why,
					r == -ENOENT ? " (is this a Debian root? use --root DIR)" : "") < 0)
			*ret_err = NULL;
		return r;
	}
	r = inventory_parse(buf, len, path, ret);
	if (r < 0 && ret_err && asprintf(ret_err, "%s: %s", path, strerror(-r)) < 0)
		*ret_err = NULL;
	return r;
}

struct inventory *inventory_free(struct inventory *inv)
{
	if (!inv)
		return NULL;
	for (size_t i = 0; i < MIN(inv->n_problems, (size_t)INVENTORY_MAX_PROBLEMS); i++)
		free(inv->problems[i]);
	free(inv->pkgs);
	free(inv->buf);
	free(inv->name);
	free(inv);
	return NULL;
}

size_t inventory_count(const struct inventory *inv)
{
	return inv ? inv->n : 0;
}

const struct inv_pkg *inventory_get(const struct inventory *inv, size_t i)
{
	return i < inv->n ? &inv->pkgs[i] : NULL;
}

const struct inv_pkg *inventory_find(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->n; i++)
		if (strcmp(inv->pkgs[i].name, name) == 0)
			return &inv->pkgs[i];
	return NULL;
}

size_t inventory_n_problems(const struct inventory *inv)
{
	return inv->n_problems;
}

const char *inventory_problem(const struct inventory *inv, size_t i)
{
	if (i >= MIN(inv->n_problems, (size_t)INVENTORY_MAX_PROBLEMS))
		return NULL;
	return inv->problems[i] ? inv->problems[i] : "(out of memory)";
}

/* KEY=value or KEY="value" (shell-like quoting, no expansion). */
static void os_release_value(struct sv v, char *dst, size_t cap)
{
	size_t n = 0;
	if (v.n >= 2 && (v.p[0] == '"' || v.p[0] == '\'') && v.p[v.n - 1] == v.p[0])
		v = sv_make(v.p + 1, v.n - 2);
	for (size_t i = 0; i < v.n && n + 1 < cap; i++) {
		char c = v.p[i];
		if (c == '\\' && i + 1 < v.n)
			c = v.p[++i];
		if ((unsigned char)c < 0x20 || c == 0x7f)
			continue;
		dst[n++] = c;
	}
	dst[n] = '\0';
}

int os_release_load(const char *root, struct os_release *ret)
{
	static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
	struct os_release o = { 0 };
	int r = -ENOENT;

	for (size_t f = 0; f < ELEMENTSOF(files); f++) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		r = rootfs_read_file(root, files[f], 1 << 20, &buf, &len);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		struct sv rest = sv_make(buf, len);
		while (rest.n) {
			long nl = sv_chr(rest, '\n');
			struct sv line = nl >= 0 ? sv_make(rest.p, (size_t)nl) : rest;
			rest = nl >= 0 ? sv_skip(rest, (size_t)nl + 1) : SV_NULL;
			if (sv_consume(&line, "ID="))
				os_release_value(line, o.id, sizeof(o.id));
			else if (sv_consume(&line, "VERSION_ID="))
				os_release_value(line, o.version_id, sizeof(o.version_id));
			else if (sv_consume(&line, "VERSION_CODENAME="))
				os_release_value(line, o.codename, sizeof(o.codename));
			else if (sv_consume(&line, "PRETTY_NAME="))
				os_release_value(line, o.pretty, sizeof(o.pretty));
		}
		*ret = o;
		return 0;
	}
	return r;
}
