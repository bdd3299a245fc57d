/*
 * feed: release keys, the advisory database (SQLite, tables adv_*), and
 * importing feeds into it in one transaction. See feed.h.
 */
#include "exposure/feed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/array.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "exposure/osv.h"
#include "core/rootfs.h"
#include "exposure/tracker.h"
#include "exposure/zip.h"
#include "store/store.h"

/* ---- release keys ---- */

static const struct {
	const char *codename, *version;
} debian_releases[] = {
	{ "buzz", "1.1" },   { "rex", "1.2" },	    { "bo", "1.3" },	     { "hamm", "2" },	    { "slink", "2.1" },
	{ "potato", "2.2" }, { "woody", "3" },	    { "sarge", "3.1" },	     { "etch", "4" },	    { "lenny", "5" },
	{ "squeeze", "6" },  { "wheezy", "7" },	    { "jessie", "8" },	     { "stretch", "9" },    { "buster", "10" },
	{ "bullseye", "11" }, { "bookworm", "12" }, { "trixie", "13" },	     { "forky", "14" },	    { "duke", "15" },
	{ "sid", "sid" },    { "unstable", "sid" },
};

static const struct {
	const char *codename, *version;
} ubuntu_releases[] = {
	{ "trusty", "14.04" }, { "xenial", "16.04" }, { "bionic", "18.04" }, { "focal", "20.04" },
	{ "jammy", "22.04" },  { "lunar", "23.04" },  { "mantic", "23.10" }, { "noble", "24.04" },
	{ "oracular", "24.10" }, { "plucky", "25.04" },
};

static bool key_chars(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == ':' || *s == '-'))
			return false;
	return true;
}

static bool all_version_chars(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

int feed_release_key(struct sv v, char *buf, size_t cap)
{
	char low[64], *rest;
	size_t n = 0;

	while (v.n && (v.p[0] == ' ' || v.p[0] == '\t'))
		v = sv_skip(v, 1);
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v = sv_cut(v, 1);
	if (v.n == 0 || v.n >= sizeof(low))
		return 0;
	for (; n < v.n; n++) {
		char c = v.p[n];
		low[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	low[n] = '\0';
	if (!key_chars(low))
		return 0;

	if (strncmp(low, "ubuntu:", 7) == 0) {
		rest = low + 7;
		size_t l = strlen(rest);
		if (l > 4 && strcmp(rest + l - 4, ":lts") == 0)
			rest[l - 4] = '\0';
		for (size_t i = 0; i < ELEMENTSOF(ubuntu_releases); i++)
			if (strcmp(rest, ubuntu_releases[i].codename) == 0)
				rest = (char *)ubuntu_releases[i].version;
		if (!*rest)
			return 0;
		return snprintf(buf, cap, "ubuntu:%s", rest) < (int)cap;
	}
	rest = strncmp(low, "debian:", 7) == 0 ? low + 7 : low;
	for (size_t i = 0; i < ELEMENTSOF(debian_releases); i++)
		if (strcmp(rest, debian_releases[i].codename) == 0)
			return snprintf(buf, cap, "debian:%s", debian_releases[i].version) < (int)cap;
	if (!all_version_chars(rest))
		return 0;
	/* "4.0" and "4" are the same release */
	size_t l = strlen(rest);
	if (l > 2 && strcmp(rest + l - 2, ".0") == 0)
		rest[l - 2] = '\0';
	return snprintf(buf, cap, "debian:%s", rest) < (int)cap;
}

/* ---- the database ---- */

struct advdb {
	sqlite3 *db;
	sqlite3_stmt *ins_meta, *del_osv, *ins_entry, *query;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;\n"
	"PRAGMA synchronous=NORMAL;\n"
	"CREATE TABLE IF NOT EXISTS adv_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"INSERT OR IGNORE INTO adv_meta VALUES('schema', '1');\n"
	"CREATE TABLE IF NOT EXISTS adv_advisory(kind TEXT NOT NULL, advisory TEXT NOT NULL,\n"
	"  published INTEGER NOT NULL DEFAULT 0, modified INTEGER NOT NULL DEFAULT 0, summary TEXT,\n"
	"  aliases TEXT NOT NULL DEFAULT '', severity TEXT, PRIMARY KEY(kind, advisory)) WITHOUT ROWID;\n"
	"CREATE TABLE IF NOT EXISTS adv_entry(kind TEXT NOT NULL, advisory TEXT NOT NULL,\n"
	"  package TEXT NOT NULL, release TEXT NOT NULL, events TEXT NOT NULL, fixed TEXT,\n"
	"  status TEXT NOT NULL, urgency TEXT, nodsa TEXT, nodsa_reason TEXT,\n"
	"  PRIMARY KEY(kind, advisory, package, release)) WITHOUT ROWID;\n"
	"CREATE INDEX IF NOT EXISTS adv_entry_package ON adv_entry(package, release);\n"
	"CREATE TABLE IF NOT EXISTS adv_source(url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT,\n"
	"  fetched INTEGER NOT NULL DEFAULT 0);\n"
	"CREATE TABLE IF NOT EXISTS adv_import(id INTEGER PRIMARY KEY, location TEXT NOT NULL,\n"
	"  kind TEXT NOT NULL, at INTEGER NOT NULL, records INTEGER NOT NULL, skipped INTEGER NOT NULL);\n";

static int db_fail(struct advdb *db, char **ret_err, const char *what)
{
	if (ret_err && asprintf(ret_err, "%s: %s", what, db && db->db ? sqlite3_errmsg(db->db) : "sqlite error") < 0)
		*ret_err = NULL;
	return -EIO;
}

char *advdb_default_path(void)
{
	_cleanup_free_ char *store = store_default_path();
	char *p = NULL;
	if (!store)
		return NULL;
	if (asprintf(&p, "%s/advisories.db", dirname(store)) < 0)
		return NULL;
	return p;
}

static void mkdir_parents(const char *path)
{
	char buf[4096];
	size_t l = strlen(path);
	if (l >= sizeof(buf))
		return;
	memcpy(buf, path, l + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(buf, 0700);
		*p = '/';
	}
}

int advdb_open(const char *path, bool create, struct advdb **ret, char **ret_err)
{
	_cleanup_(advdb_freep) struct advdb *db = calloc(1, sizeof(*db));
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	struct stat st;

	if (!db)
		return -ENOMEM;
	if (strcmp(path, ":memory:") != 0) {
		if (!create && stat(path, &st) < 0) {
			int r = -errno;
			if (ret_err && asprintf(ret_err, "%s: %s", path, strerror(-r)) < 0)
				*ret_err = NULL;
			return r;
		}
		if (create)
			mkdir_parents(path);
	}
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK)
		return db_fail(db, ret_err, path);
	sqlite3_busy_timeout(db->db, 5000);
	if (sqlite3_exec(db->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, ret_err, path);
	if (sqlite3_prepare_v2(db->db,
			       "INSERT OR REPLACE INTO adv_advisory(kind, advisory, published, modified, summary, "
			       "aliases, severity) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &db->ins_meta, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, "DELETE FROM adv_entry WHERE kind = 'osv' AND advisory = ?1", -1,
			       &db->del_osv, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
			       "INSERT INTO adv_entry(kind, advisory, package, release, events, fixed, status, urgency, "
			       "nodsa, nodsa_reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
			       "ON CONFLICT(kind, advisory, package, release) DO UPDATE SET "
			       "events = CASE WHEN adv_entry.events = '' THEN excluded.events "
			       "WHEN excluded.events = '' THEN adv_entry.events "
			       "ELSE adv_entry.events || ' | ' || excluded.events END, "
			       "fixed = coalesce(adv_entry.fixed, excluded.fixed)",
			       -1, &db->ins_entry, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
			       "SELECT e.kind, e.advisory, e.package, e.release, e.events, e.fixed, e.status, "
			       "e.urgency, e.nodsa, e.nodsa_reason, a.published, a.modified, a.summary, a.aliases, "
			       "a.severity FROM adv_entry e LEFT JOIN adv_advisory a "
			       "ON a.kind = e.kind AND a.advisory = e.advisory "
			       "WHERE e.package = ?1 AND e.release = ?2 ORDER BY e.kind, e.advisory",
			       -1, &db->query, NULL) != SQLITE_OK)
		return db_fail(db, ret_err, path);
	*ret = TAKE_PTR(db);
	return 0;
}

struct advdb *advdb_free(struct advdb *db)
{
	if (!db)
		return NULL;
	sqlite3_finalize(db->ins_meta);
	sqlite3_finalize(db->del_osv);
	sqlite3_finalize(db->ins_entry);
	sqlite3_finalize(db->query);
	sqlite3_close(db->db);
	free(db);
	return NULL;
}

int advdb_counts(struct advdb *db, uint64_t *ret_advisories, uint64_t *ret_entries)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO;
	if (sqlite3_prepare_v2(db->db, "SELECT (SELECT count(*) FROM adv_advisory), (SELECT count(*) FROM adv_entry)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*ret_advisories = (uint64_t)sqlite3_column_int64(st, 0);
		*ret_entries = (uint64_t)sqlite3_column_int64(st, 1);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int step_done(sqlite3_stmt *st)
{
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r == SQLITE_DONE ? 0 : -EIO;
}

int advdb_source_get(struct advdb *db, const char *url, char **ret_etag, char **ret_last_modified)
{
	sqlite3_stmt *st = NULL;
	int r = 0;
	*ret_etag = *ret_last_modified = NULL;
	if (sqlite3_prepare_v2(db->db, "SELECT etag, last_modified FROM adv_source WHERE url = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	bind_text(st, 1, url);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0), *l = (const char *)sqlite3_column_text(st, 1);
		*ret_etag = e ? strdup(e) : NULL;
		*ret_last_modified = l ? strdup(l) : NULL;
		r = 1;
	}
	sqlite3_finalize(st);
	return r;
}

int advdb_source_put(struct advdb *db, const char *url, const char *etag, const char *last_modified)
{
	sqlite3_stmt *st = NULL;
	int r;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT OR REPLACE INTO adv_source(url, etag, last_modified, fetched) VALUES(?1, ?2, ?3, ?4)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	bind_text(st, 1, url);
	bind_text(st, 2, etag);
	bind_text(st, 3, last_modified);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	return r;
}

int advdb_foreach_entry(struct advdb *db, const char *package, const char *release,
			int (*fn)(void *ud, const struct adv_row *row), void *ud)
{
	sqlite3_stmt *st = db->query;
	int r = 0, s;
	sqlite3_bind_text(st, 1, package, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, release, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
#define COL(i) ((const char *)sqlite3_column_text(st, i))
		struct adv_row row = {
			.e = { .kind = COL(0), .advisory = COL(1), .package = COL(2), .release = COL(3),
			       .events = COL(4), .fixed = COL(5), .status = COL(6), .urgency = COL(7),
			       .nodsa = COL(8), .nodsa_reason = COL(9) },
			.m = { .advisory = COL(1), .kind = COL(0), .published_s = sqlite3_column_int64(st, 10),
			       .modified_s = sqlite3_column_int64(st, 11), .summary = COL(12),
			       .aliases = COL(13) ? COL(13) : "", .severity = COL(14) },
		};
#undef COL
		r = fn(ud, &row);
		if (r < 0)
			break;
	}
	if (r >= 0 && s != SQLITE_ROW && s != SQLITE_DONE)
		r = -EIO;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r < 0 ? r : 0;
}

int advdb_foreach_release(struct advdb *db, int (*fn)(void *ud, const char *release, uint64_t n), void *ud)
{
	sqlite3_stmt *st = NULL;
	int r = 0;
	if (sqlite3_prepare_v2(db->db, "SELECT release, count(*) FROM adv_entry GROUP BY release ORDER BY 2 DESC", -1,
			       &st, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		r = fn(ud, (const char *)sqlite3_column_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1));
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	return r < 0 ? r : 0;
}

/* ---- importing ---- */

struct importer {
	struct advdb *db;
	struct feed_report *rep;
	int err;
};

static int sink_meta(void *ud, const struct adv_meta *m)
{
	struct importer *im = ud;
	sqlite3_stmt *st = im->db->ins_meta;
	if (strcmp(m->kind, "osv") == 0) {
		bind_text(im->db->del_osv, 1, m->advisory);
		if (step_done(im->db->del_osv) < 0)
			return -EIO;
	}
	bind_text(st, 1, m->kind);
	bind_text(st, 2, m->advisory);
	sqlite3_bind_int64(st, 3, m->published_s);
	sqlite3_bind_int64(st, 4, m->modified_s);
	bind_text(st, 5, m->summary);
	bind_text(st, 6, m->aliases ? m->aliases : "");
	bind_text(st, 7, m->severity);
	return step_done(st);
}

static int sink_entry(void *ud, const struct adv_entry *e)
{
	struct importer *im = ud;
	sqlite3_stmt *st = im->db->ins_entry;
	bind_text(st, 1, e->kind);
	bind_text(st, 2, e->advisory);
	bind_text(st, 3, e->package);
	bind_text(st, 4, e->release);
	bind_text(st, 5, e->events ? e->events : "");
	bind_text(st, 6, e->fixed);
	bind_text(st, 7, e->status);
	bind_text(st, 8, e->urgency);
	bind_text(st, 9, e->nodsa);
	bind_text(st, 10, e->nodsa_reason);
	return step_done(st);
}

static void sink_bad(void *ud, const char *id, const char *why)
{
	struct importer *im = ud;
	struct feed_report *rep = im->rep;
	if (rep->n_bad < FEED_MAX_BAD) {
		char *msg = NULL;
		if (asprintf(&msg, "%s: %s", id, why) >= 0)
			rep->bad[rep->n_bad++] = msg;
	}
}

void feed_report_done(struct feed_report *r)
{
	for (size_t i = 0; i < r->n_bad; i++)
		free(r->bad[i]);
	*r = (struct feed_report){ 0 };
}

/* Largest feed file read whole (the tracker's JSON is about 100 MB); an
 * all.zip is not read whole but through zip_open_fd. */
#define FEED_FILE_MAX (1u << 30)

static int set_err(char **ret_err, int r, const char *path, const char *why)
{
	if (ret_err && !*ret_err && asprintf(ret_err, "%s: %s", path, why ? why : rootfs_strerror(r)) < 0)
		*ret_err = NULL;
	return r;
}

static const struct feed_sink *sink_of(struct importer *im, struct feed_sink *s)
{
	*s = (struct feed_sink){ sink_meta, sink_entry, sink_bad, im };
	return s;
}

/* One OSV record file inside a directory or a zip: broken JSON is a bad record, not fatal. */
static int import_osv_member(struct importer *im, const char *name, const char *data, size_t len)
{
	struct feed_sink s;
	char *err = NULL;
	int r;
	im->rep->files++;
	r = osv_parse(data, len, name, sink_of(im, &s), im->rep, &err);
	if (r == -EINVAL) {
		im->rep->skipped++;
		sink_bad(im, name, err ? err : "not JSON");
		r = 0;
	}
	free(err);
	return r;
}

static int zip_member(void *ud, const char *name, const char *data, size_t len)
{
	size_t l = strlen(name);
	if (l < 5 || strcmp(name + l - 5, ".json") != 0)
		return 0;
	return import_osv_member(ud, name, data, len);
}

static void zip_bad(void *ud, const char *name, const char *why)
{
	struct importer *im = ud;
	im->rep->skipped++;
	sink_bad(im, name, why);
}

/* Reads one record file of a directory (opened without following a link). */
static int import_dir_file(struct importer *im, int dirfd, const char *name, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = fs_read_regular(dirfd, name, O_NOFOLLOW, FEED_FILE_MAX, &buf, &len);
	if (r == -EINVAL || r == -EISDIR || r == -ELOOP) {
		/* a FIFO or device named like a record (or a link swapped in): refused, reported */
		im->rep->skipped++;
		sink_bad(im, path, rootfs_strerror(r == -ELOOP ? -EINVAL : r));
		return 0;
	}
	if (r < 0)
		return r;
	return import_osv_member(im, path, buf, len);
}

/* Walks a directory of records. Symbolic links are never followed (counted
 * in rep->links): a link back up ("ln -s . x") would walk forever, one out
 * would import records nobody put here. */
static int import_dir(struct importer *im, int dirfd, const char *dir, int depth, char **ret_err)
{
	DIR *d;
	struct dirent **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (depth > 32)
		return set_err(ret_err, -ELOOP, dir, "directories nested more than 32 deep");
	d = fdopendir(dirfd);
	if (!d) {
		r = -errno;
		close(dirfd);
		return set_err(ret_err, r, dir, NULL);
	}
	/* sorted, so that imports are reproducible */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (array_reserve(&names, &cap, n + 1, sizeof(*names), 64) < 0) {
			r = -ENOMEM;
			break;
		}
		size_t sz = offsetof(struct dirent, d_name) + strlen(de->d_name) + 1;
		names[n] = malloc(MAX(sz, sizeof(struct dirent)));
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		memcpy(names[n], de, sz);
		n++;
	}
	if (r == 0 && n)
		qsort(names, n, sizeof(*names), (int (*)(const void *, const void *))alphasort);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);
		_cleanup_free_ char *path = NULL;
		struct stat st;
		if (asprintf(&path, "%s/%s", dir, nm) < 0) {
			r = -ENOMEM;
			break;
		}
		if (fstatat(dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone since the listing */
		if (S_ISLNK(st.st_mode)) {
			im->rep->links++;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, nm, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0)
				r = set_err(ret_err, -errno, path, NULL);
			else
				r = import_dir(im, sub, path, depth + 1, ret_err);
		} else if (l > 5 && strcmp(nm + l - 5, ".json") == 0) {
			r = import_dir_file(im, dirfd, nm, path);
			if (r < 0)
				(void)set_err(ret_err, r, path, NULL);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

static int import_zip(struct importer *im, int fd, uint64_t size, const char *path, char **ret_err)
{
	struct zip *z = NULL;
	char *zerr = NULL;
	im->rep->kind = "osv-zip";
	int r = zip_open_fd(fd, size, &z, &zerr);
	if (r < 0) {
		(void)set_err(ret_err, r, path, zerr ? zerr : strerror(-r));
		free(zerr);
		return r;
	}
	r = zip_foreach(z, zip_member, zip_bad, im);
	zip_free(z);
	return r;
}

static int import_file(struct importer *im, const char *path, char **ret_err)
{
	_cleanup_free_ char *buf = NULL;
	struct feed_sink s;
	struct stat st;
	char magic[4];
	size_t len = 0;
	int r, fd = fs_open_regular(AT_FDCWD, path, 0);

	if (fd < 0)
		return set_err(ret_err, fd, path, NULL);
	if (fstat(fd, &st) < 0 || pread(fd, magic, sizeof(magic), 0) < 0) {
		r = -errno;
		close(fd);
		return set_err(ret_err, r, path, NULL);
	}
	if (st.st_size == 0) {
		close(fd);
		return set_err(ret_err, -EINVAL, path, "empty file");
	}
	if (st.st_size >= 4 && memcmp(magic, "PK", 2) == 0) {
		r = import_zip(im, fd, (uint64_t)st.st_size, path, ret_err);
		close(fd);
		return r;
	}
	im->rep->files++;
	char *b = NULL;
	size_t cap = 0;
	ssize_t n = read_to_end(fd, &b, &cap, FEED_FILE_MAX);
	close(fd);
	buf = b;
	if (n < 0)
		return set_err(ret_err, (int)n, path, n == -EFBIG ? "larger than 1 GB, not a feed" : NULL);
	len = (size_t)n;
	if (tracker_sniff(buf, len)) {
		im->rep->kind = "tracker";
		/* the tracker file is a full snapshot: it replaces the previous one */
		if (sqlite3_exec(im->db->db,
				 "DELETE FROM adv_entry WHERE kind = 'tracker'; DELETE FROM adv_advisory WHERE kind = 'tracker'",
				 NULL, NULL, NULL) != SQLITE_OK)
			r = db_fail(im->db, ret_err, "clearing the previous tracker data");
		else
			r = tracker_parse(buf, len, sink_of(im, &s), im->rep, ret_err);
	} else {
		im->rep->kind = "osv";
		r = osv_parse(buf, len, path, sink_of(im, &s), im->rep, ret_err);
	}
	return r;
}

int feed_import(struct advdb *db, const char *path, struct feed_report *rep, char **ret_err)
{
	struct importer im = { .db = db, .rep = rep };
	struct stat st;
	int r;

	*rep = (struct feed_report){ .kind = "osv" };
	if (stat(path, &st) < 0) {
		r = -errno;
		if (ret_err && asprintf(ret_err, "%s: %s", path, strerror(-r)) < 0)
			*ret_err = NULL;
		return r;
	}
	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, ret_err, "cannot start the import");
	if (S_ISDIR(st.st_mode)) {
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = dfd < 0 ? set_err(ret_err, -errno, path, NULL) : import_dir(&im, dfd, path, 0, ret_err);
	} else
		r = import_file(&im, path, ret_err);
	if (r >= 0) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db->db,
				       "INSERT INTO adv_import(location, kind, at, records, skipped) VALUES(?1, ?2, ?3, ?4, ?5)",
				       -1, &s, NULL) == SQLITE_OK) {
			bind_text(s, 1, path);
			bind_text(s, 2, rep->kind);
			sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
			sqlite3_bind_int64(s, 4, (sqlite3_int64)rep->records);
			sqlite3_bind_int64(s, 5, (sqlite3_int64)rep->skipped);
			if (sqlite3_step(s) != SQLITE_DONE)
				r = -EIO;
		}
		sqlite3_finalize(s);
	}
	if (r >= 0 && sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		r = db_fail(db, ret_err, "cannot commit the import");
	if (r < 0) {
		(void)sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		if (ret_err && !*ret_err && r == -EIO)
			(void)db_fail(db, ret_err, "database error");
		return r;
	}
	return 0;
}
