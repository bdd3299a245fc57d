/* journal: reading the systemd journal with sd-journal (see journal.h). */
#include "source/journal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "core/macro.h"
#include "source/source.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#define FILES_MAX 4096 /* journal files in one journal (journald keeps a few hundred at most) */
#define FIELD_MAX 4096 /* longest field other than MESSAGE kept */

/* ---- names and files (no libsystemd needed) ---- */

static bool is_journal_name(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	return (n > 8 && strcmp(name + n - 8, ".journal") == 0) || (n > 9 && strcmp(name + n - 9, ".journal~") == 0);
}

struct names {
	char **v;
	size_t n, cap;
	bool full; /* FILES_MAX reached */
};

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct names){ 0 };
}

static int names_add(struct names *l, const char *dir, const char *name)
{
	char *s;
	if (l->n >= FILES_MAX) {
		l->full = true;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	l->v[l->n++] = s;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The journal files in dir and, with depth 1, in its subdirectories
 * (journald's MACHINE-ID/ folders). only: a subdirectory name to keep
 * alone (the host's machine ID), or NULL. Returns 0 or a negative errno
 * (of opening dir itself). */
static int scan_dir(const char *dir, int depth, const char *only, struct names *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;
		char *sub;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) && is_journal_name(de->d_name)) {
			r = names_add(out, dir, de->d_name);
		} else if (depth > 0 && stat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
			   (!only || strcmp(de->d_name, only) == 0)) {
			int e = scan_dir(sub, depth - 1, NULL, out);
			r = e == -ENOMEM ? e : 0; /* an unreadable folder is found again when its files are opened */
			if (e == -EACCES)
				r = names_add(out, dir, de->d_name); /* opened (and refused) below: said then */
		}
		free(sub);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

/* root/etc/machine-id: 32 hex digits into id (33 bytes), or false. */
static bool machine_id(const char *root, char id[33])
{
	char *path, buf[64];
	FILE *f;
	bool ok = false;
	if (asprintf(&path, "%s/etc/machine-id", root) < 0)
		return false;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && strspn(buf, "0123456789abcdef") == 32 && (buf[32] == '\n' || !buf[32])) {
		memcpy(id, buf, 32);
		id[32] = '\0';
		ok = true;
	}
	fclose(f);
	return ok;
}

/* The host's own journal files under root: /var/log/journal/ID/ and
 * /run/log/journal/ID/ (every such folder when root has no machine ID). */
static int host_files(const char *root, struct names *out)
{
	static const char *const bases[] = { "var/log/journal", "run/log/journal" };
	char id[33];
	bool have_id = machine_id(root, id);
	for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
		char *dir;
		int r;
		if (asprintf(&dir, "%s/%s", strcmp(root, "/") == 0 ? "" : root, bases[i]) < 0)
			return -ENOMEM;
		r = scan_dir(dir, 1, have_id ? id : NULL, out);
		free(dir);
		if (r == -ENOMEM)
			return r;
	}
	return 0;
}

bool journal_host_has(const char *root)
{
	struct names l = { 0 };
	bool has;
	(void)host_files(root, &l);
	has = l.n > 0;
	names_free(&l);
	return has;
}

int journal_spec_stream(const struct journal_spec *spec, char **ret)
{
	char id[33], *s = NULL;
	size_t len = 0;
	FILE *f;

	if (spec->n_paths == 0) {
		if (machine_id(spec->root ? spec->root : "/", id))
			return asprintf(ret, "journal:machine:%s", id) < 0 ? -ENOMEM : 0;
		*ret = strdup("journal:local");
		return *ret ? 0 : -ENOMEM;
	}
	f = open_memstream(&s, &len);
	if (!f)
		return -ENOMEM;
	fputs("journal:", f);
	for (size_t i = 0; i < spec->n_paths; i++) {
		char *abs = realpath(spec->paths[i], NULL);
		fprintf(f, "%s%s", i ? " " : "", abs ? abs : spec->paths[i]);
		free(abs);
	}
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

/* The value of key ("s=", "i=" …) in a cursor, or an empty view. */
static struct sv cursor_part(struct sv cursor, const char *key)
{
	while (cursor.n) {
		long semi = sv_chr(cursor, ';');
		struct sv part = semi >= 0 ? sv_make(cursor.p, (size_t)semi) : cursor;
		cursor = semi >= 0 ? sv_skip(cursor, (size_t)semi + 1) : SV_NULL;
		if (sv_consume(&part, key))
			return part;
	}
	return SV_NULL;
}

int journal_cursor_seqnum(struct sv cursor, char *ret_seqnum_id, size_t n, uint64_t *ret_seqnum)
{
	struct sv s = cursor_part(cursor, "s=");
	uint64_t v;

	if (s.n == 0 || s.n + 1 > n || !sv_hex_u64(cursor_part(cursor, "i="), &v))
		return 0;
	for (size_t k = 0; k < s.n; k++)
		if (!((s.p[k] >= '0' && s.p[k] <= '9') || (s.p[k] >= 'a' && s.p[k] <= 'f')))
			return 0;
	memcpy(ret_seqnum_id, s.p, s.n);
	ret_seqnum_id[s.n] = '\0';
	*ret_seqnum = v;
	return 1;
}

/* ---- reading ---- */

#if HAVE_LIBSYSTEMD

/* The fields read, in the order of struct journal_entry's views. */
enum field {
	F_MESSAGE,
	F_IDENTIFIER,
	F_SYSLOG_PID,
	F_COMM,
	F_EXE,
	F_UID,
	F_PID,
	F_UNIT,
	F_TRANSPORT,
	F_HOSTNAME,
	F_MACHINE_ID,
	F_MAX
};

static const char *const field_names[F_MAX] = {
	[F_MESSAGE] = "MESSAGE",
	[F_IDENTIFIER] = "SYSLOG_IDENTIFIER",
	[F_SYSLOG_PID] = "SYSLOG_PID",
	[F_COMM] = "_COMM",
	[F_EXE] = "_EXE",
	[F_UID] = "_UID",
	[F_PID] = "_PID",
	[F_UNIT] = "_SYSTEMD_UNIT",
	[F_TRANSPORT] = "_TRANSPORT",
	[F_HOSTNAME] = "_HOSTNAME",
	[F_MACHINE_ID] = "_MACHINE_ID",
};

struct journal_reader {
	struct journal_spec spec;
	sd_journal *j;
	char *stream;
	char **warnings;
	size_t n_warnings;
	char *cursor; /* of the last entry returned */
	bool pending; /* the current entry was positioned on and not returned yet */
	char *buf; /* the fields of the current entry */
	size_t buf_size;
	char *err;
};

static void set_err(struct journal_reader *r, const char *fmt, ...) _printf_(2, 3);
static void set_err(struct journal_reader *r, const char *fmt, ...)
{
	va_list ap;
	free(r->err);
	va_start(ap, fmt);
	if (vasprintf(&r->err, fmt, ap) < 0)
		r->err = NULL;
	va_end(ap);
}

static int warn(struct journal_reader *r, const char *fmt, ...) _printf_(2, 3);
static int warn(struct journal_reader *r, const char *fmt, ...)
{
	va_list ap;
	char *m, **v;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	v = m ? realloc(r->warnings, (r->n_warnings + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(m);
		return -ENOMEM;
	}
	r->warnings = v;
	r->warnings[r->n_warnings++] = m;
	return 0;
}

static const char *const access_hint =
	" (the journal is readable by root and the groups systemd-journal and adm: run with sudo, or join one)";

/* Opens one file alone and reads its first entry: whether it is a journal
 * sd-journal can read. 0 or a negative errno. */
static int check_file(const char *path)
{
	const char *one[2] = { path, NULL };
	sd_journal *j = NULL;
	struct stat st;
	int r;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return -EACCES; /* a MACHINE-ID/ folder scan_dir could not list */
	r = sd_journal_open_files(&j, one, 0);
	if (r >= 0) {
		r = sd_journal_seek_head(j);
		if (r >= 0)
			r = sd_journal_next(j);
	}
	sd_journal_close(j);
	return r < 0 ? r : 0;
}

/* Matches: entries that claim (SYSLOG_IDENTIFIER) or were written by
 * (_COMM) a program moat reads: claims are judged, writers decoded. */
static int add_matches(sd_journal *j)
{
	static const char *const fields[] = { "SYSLOG_IDENTIFIER", "_COMM" };
	for (size_t f = 0; f < ELEMENTSOF(fields); f++) {
		const char *name;
		int r;
		if (f > 0 && (r = sd_journal_add_disjunction(j)) < 0)
			return r;
		for (size_t i = 0; (name = journal_program_name(i)); i++) {
			char m[64];
			int n = snprintf(m, sizeof(m), "%s=%s", fields[f], name);
			if (n < 0 || (size_t)n >= sizeof(m))
				continue;
			r = sd_journal_add_match(j, m, 0);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int journal_open(const struct journal_spec *spec, struct journal_reader **ret, char **ret_err)
{
	struct journal_reader *r = calloc(1, sizeof(*r));
	struct names files = { 0 };
	const char **list = NULL;
	size_t n_ok = 0, n_denied = 0, n_bad = 0;
	int e = 0, first_bad = 0;

	if (!r)
		return -ENOMEM;
	r->spec = *spec;
	e = journal_spec_stream(spec, &r->stream);
	if (e < 0)
		goto fail_oom;
	if (spec->n_paths == 0) {
		e = host_files(spec->root ? spec->root : "/", &files);
		if (e < 0)
			goto fail_oom;
		if (files.n == 0) {
			set_err(r, "no journal here: %s/var/log/journal and %s/run/log/journal hold no journal files",
				spec->root && strcmp(spec->root, "/") ? spec->root : "",
				spec->root && strcmp(spec->root, "/") ? spec->root : "");
			e = -ENOENT;
			goto fail;
		}
	}
	for (size_t i = 0; i < spec->n_paths; i++) {
		struct stat st;
		const char *p = spec->paths[i];
		if (stat(p, &st) < 0) {
			e = -errno;
			set_err(r, "%s: %s%s", p, strerror(-e), e == -EACCES ? access_hint : "");
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			size_t before = files.n;
			e = scan_dir(p, 1, NULL, &files);
			if (e == -ENOMEM)
				goto fail_oom;
			if (e < 0) {
				set_err(r, "%s: %s%s", p, strerror(-e), e == -EACCES ? access_hint : "");
				goto fail;
			}
			if (files.n == before) {
				set_err(r, "%s: no journal files (*.journal) in it or in its folders", p);
				e = -ENOENT;
				goto fail;
			}
		} else if (S_ISREG(st.st_mode)) {
			char *dir = strdup(p), *slash = dir ? strrchr(dir, '/') : NULL;
			if (!dir)
				goto fail_oom;
			if (slash)
				*slash = '\0';
			e = names_add(&files, slash ? (slash == dir ? "" : dir) : ".", slash ? slash + 1 : p);
			free(dir);
			if (e < 0)
				goto fail_oom;
		} else {
			set_err(r, "%s: not a journal directory or file", p);
			e = -EINVAL;
			goto fail;
		}
	}
	if (files.full)
		(void)warn(r, "more than %d journal files: only the first %d were read", FILES_MAX, FILES_MAX);
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	list = calloc(files.n + 1, sizeof(*list));
	if (!list)
		goto fail_oom;
	for (size_t i = 0; i < files.n; i++) {
		int c = check_file(files.v[i]);
		if (c == -ENOMEM)
			goto fail_oom;
		if (c < 0) {
			if (c == -EACCES || c == -EPERM)
				n_denied++;
			else if (!n_bad++)
				first_bad = c;
			if (warn(r, "%s: %s, not read%s", files.v[i],
				 c == -EACCES || c == -EPERM ? strerror(-c) : "not a journal file or damaged",
				 c == -EACCES || c == -EPERM ? access_hint : "") < 0)
				goto fail_oom;
			continue;
		}
		list[n_ok++] = files.v[i];
	}
	if (n_ok == 0) {
		e = n_denied ? -EACCES : first_bad ? -EBADMSG : -ENOENT;
		set_err(r, "%s: %s", r->stream + strlen("journal:"),
			n_denied && !n_bad ? "its journal files cannot be read (the journal is readable by root and the "
					     "groups systemd-journal and adm: run with sudo, or join one)"
					   : "no readable journal file: every one is damaged or not a journal file");
		goto fail;
	}
	e = sd_journal_open_files(&r->j, list, 0);
	if (e < 0) {
		set_err(r, "%s: cannot open the journal: %s", r->stream + strlen("journal:"), strerror(-e));
		goto fail;
	}
	(void)sd_journal_set_data_threshold(r->j, SOURCE_LINE_MAX + sizeof("MESSAGE="));
	e = add_matches(r->j);
	if (e >= 0)
		e = spec->since_us > 0 ? sd_journal_seek_realtime_usec(r->j, (uint64_t)spec->since_us)
				       : sd_journal_seek_head(r->j);
	if (e < 0) {
		set_err(r, "%s: cannot read the journal: %s", r->stream + strlen("journal:"), strerror(-e));
		goto fail;
	}
	r->buf_size = SOURCE_LINE_MAX + (F_MAX - 1) * FIELD_MAX;
	r->buf = malloc(r->buf_size);
	if (!r->buf)
		goto fail_oom;
	free(list);
	names_free(&files);
	*ret = r;
	return 0;
fail_oom:
	e = -ENOMEM;
	set_err(r, "out of memory");
fail:
	if (ret_err) {
		*ret_err = r->err;
		r->err = NULL;
	}
	free(list);
	names_free(&files);
	journal_close(r);
	return e;
}

struct journal_reader *journal_close(struct journal_reader *r)
{
	if (!r)
		return NULL;
	if (r->j)
		sd_journal_close(r->j);
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->stream);
	free(r->cursor);
	free(r->buf);
	free(r->err);
	free(r);
	return NULL;
}

size_t journal_warnings(const struct journal_reader *r, const char *const **ret)
{
	*ret = (const char *const *)r->warnings;
	return r->n_warnings;
}

const char *journal_stream(const struct journal_reader *r)
{
	return r->stream;
}

const char *journal_error(const struct journal_reader *r)
{
	return r->err ? r->err : "";
}

int journal_seek_cursor(struct journal_reader *r, const char *cursor)
{
	int e = sd_journal_seek_cursor(r->j, cursor);
	if (e >= 0)
		e = sd_journal_next(r->j);
	if (e < 0) {
		set_err(r, "%s: cannot find where the last scan stopped: %s", r->stream, strerror(-e));
		return e;
	}
	if (e == 0)
		return 0; /* nothing at or after it: at the end */
	if (sd_journal_test_cursor(r->j, cursor) > 0)
		return 1; /* on it: journal_next() moves past */
	r->pending = true; /* the closest entry after its place: not read yet */
	return 0;
}

int journal_rewind(struct journal_reader *r)
{
	int e = r->spec.since_us > 0 ? sd_journal_seek_realtime_usec(r->j, (uint64_t)r->spec.since_us)
				     : sd_journal_seek_head(r->j);
	r->pending = false;
	free(r->cursor);
	r->cursor = NULL;
	if (e < 0)
		set_err(r, "%s: cannot read the journal: %s", r->stream, strerror(-e));
	return e < 0 ? e : 0;
}

bool journal_at_cursor(struct journal_reader *r, const char *cursor)
{
	return r->cursor && cursor && sd_journal_test_cursor(r->j, cursor) > 0;
}

const char *journal_cursor(struct journal_reader *r)
{
	return r->cursor;
}

static bool digits(struct sv v, uint64_t max, uint64_t *ret)
{
	uint64_t x = 0;
	if (v.n == 0 || v.n > 19)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (x > max)
		return false;
	*ret = x;
	return true;
}

/* Reads the current entry's fields into ret. 1, or 0 when it has no
 * MESSAGE (nothing to decode), < 0 error. */
static int read_entry(struct journal_reader *r, struct journal_entry *ret)
{
	struct sv v[F_MAX] = { 0 };
	const void *data;
	size_t len, used = 0;
	uint64_t t = 0, x;
	int e;

	*ret = (struct journal_entry){ 0 };
	SD_JOURNAL_FOREACH_DATA(r->j, data, len) {
		const char *d = data, *eq = memchr(d, '=', len);
		size_t name_n, val_n, cap;
		if (!eq)
			continue;
		name_n = (size_t)(eq - d);
		val_n = len - name_n - 1;
		for (int f = 0; f < F_MAX; f++) {
			if (v[f].p || strlen(field_names[f]) != name_n || memcmp(d, field_names[f], name_n) != 0)
				continue;
			cap = f == F_MESSAGE ? SOURCE_LINE_MAX : FIELD_MAX;
			if (val_n >= cap) {
				val_n = cap;
				if (f == F_MESSAGE)
					ret->flags |= EVF_TRUNCATED;
			}
			if (val_n > r->buf_size - used)
				break;
			memcpy(r->buf + used, eq + 1, val_n);
			v[f] = sv_make(r->buf + used, val_n);
			if (!val_n)
				v[f].p = r->buf + used; /* present, empty */
			used += val_n;
			ret->bytes += len;
			break;
		}
	}
	e = sd_journal_get_realtime_usec(r->j, &t);
	if (e < 0)
		return e;
	free(r->cursor);
	r->cursor = NULL;
	e = sd_journal_get_cursor(r->j, &r->cursor);
	if (e < 0)
		return e;
	if (!v[F_MESSAGE].p)
		return 0;
	ret->f = (struct journal_fields){
		.identifier = v[F_IDENTIFIER],
		.comm = v[F_COMM],
		.exe = v[F_EXE],
		.unit = v[F_UNIT],
		.transport = v[F_TRANSPORT],
		.machine_id = v[F_MACHINE_ID],
		.uid = digits(v[F_UID], UINT32_MAX, &x) ? (int64_t)x : -1,
		.pid = digits(v[F_PID], INT32_MAX, &x) ? (int32_t)x : -1,
	};
	ret->h = (struct syslog_header){
		.time_us = (int64_t)t,
		.host = v[F_HOSTNAME],
		.program = v[F_IDENTIFIER].n ? v[F_IDENTIFIER] : v[F_COMM],
		.pid = ret->f.pid,
		.msg = v[F_MESSAGE],
		.repeat = 1,
		.journal = &ret->f,
	};
	if (ret->h.pid < 0 && digits(v[F_SYSLOG_PID], INT32_MAX, &x))
		ret->h.pid = (int32_t)x;
	ret->origin.file = r->stream;
	{
		char sid[64];
		(void)journal_cursor_seqnum(sv_cstr(r->cursor), sid, sizeof(sid), &ret->origin.line);
	}
	return 1;
}

int journal_next(struct journal_reader *r, struct journal_entry *ret)
{
	for (;;) {
		uint64_t t;
		int e;
		if (r->pending) {
			r->pending = false;
			e = 1;
		} else {
			e = sd_journal_next(r->j);
		}
		if (e < 0) {
			set_err(r, "%s: cannot read the journal: %s", r->stream, strerror(-e));
			return e;
		}
		if (e == 0)
			return 0;
		e = sd_journal_get_realtime_usec(r->j, &t);
		if (e < 0) {
			set_err(r, "%s: cannot read an entry's time: %s", r->stream, strerror(-e));
			return e;
		}
		if (r->spec.until_us > 0 && t > (uint64_t)r->spec.until_us)
			return 0;
		if (r->spec.since_us > 0 && t < (uint64_t)r->spec.since_us)
			continue;
		e = read_entry(r, ret);
		if (e < 0) {
			set_err(r, "%s: cannot read an entry: %s", r->stream, strerror(-e));
			return e;
		}
		if (e > 0)
			return 1;
	}
}

#else /* !HAVE_LIBSYSTEMD */

struct journal_reader {
	int unused;
};

int journal_open(const struct journal_spec *spec, struct journal_reader **ret, char **ret_err)
{
	(void)spec;
	(void)ret;
	if (ret_err)
		*ret_err = strdup("this moat was built without libsystemd: it cannot read the journal "
				  "(journalctl -o json | moat scan - can)");
	return -EOPNOTSUPP;
}

struct journal_reader *journal_close(struct journal_reader *r)
{
	free(r);
	return NULL;
}

size_t journal_warnings(const struct journal_reader *r, const char *const **ret)
{
	(void)r;
	*ret = NULL;
	return 0;
}

const char *journal_stream(const struct journal_reader *r)
{
	(void)r;
	return "";
}

const char *journal_error(const struct journal_reader *r)
{
	(void)r;
	return "";
}

int journal_seek_cursor(struct journal_reader *r, const char *cursor)
{
	(void)r;
	(void)cursor;
	return -EOPNOTSUPP;
}

bool journal_at_cursor(struct journal_reader *r, const char *cursor)
{
	(void)r;
	(void)cursor;
	return false;
}

const char *journal_cursor(struct journal_reader *r)
{
	(void)r;
	return NULL;
}

int journal_rewind(struct journal_reader *r)
{
	(void)r;
	return -EOPNOTSUPP;
}

int journal_next(struct journal_reader *r, struct journal_entry *ret)
{
	(void)r;
	(void)ret;
	return -EOPNOTSUPP;
}

#endif
