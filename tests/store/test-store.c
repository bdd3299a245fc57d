/* Unit tests for src/store: schema, migrations, events, alerts, state, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "core/addr.h"
#include "core/alert.h"
#include "store/ahead.h"
#include "store/store.h"
#include "test-helpers.h"

struct fixture {
	char *dir;
	char *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dir = tmpdir_new();
	assert_non_null(f->dir);
	f->db = path_join(f->dir, "a/b/moat.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tmpdir_remove(f->dir);
	free(f->db);
	free(f);
	return 0;
}

/* Runs one SQL query on the file directly and returns the first column
 * of the first row as an integer (or text in *ret_text when asked). */
static int64_t raw_int(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t v = -999;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static char *raw_text(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *v = NULL;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void raw_exec(const char *db, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* --- schema ---------------------------------------------------------- */

static void test_schema_created(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL, *mode;
	struct stat st;

	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_null(err);
	assert_string_equal(store_path(s), f->db);
	store_free(s);

	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db, "PRAGMA application_id"), 0x6d6f6174);
	mode = raw_text(f->db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
					" ('events', 'alerts', 'baselines', 'cursors', 'files')"),
			 5);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN"
					" ('events_user_time', 'events_source_time', 'events_host_pid_time',"
					" 'events_privileged_time')"),
			 4);

	/* The file is 0600 and the directories we made are 0700. */
	assert_int_equal(stat(f->db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *b = path_join(f->dir, "a/b"), *a = path_join(f->dir, "a");
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(a);
	free(b);
}

static int count_cb(void *ud, const struct stored_event *e)
{
	(void)e;
	(*(int *)ud)++;
	return 0;
}

/* Events the store answers for user (NULL: any), read back through a new
 * read-only handle: what another process would see. */
static int count_events(const char *db, const char *user)
{
	struct store *s = NULL;
	struct event_filter f;
	char *err = NULL;
	int n = 0;
	assert_int_equal(store_open_readonly(db, &s, &err), 0);
	event_filter_init(&f);
	f.user = user;
	assert_true(store_query_events(s, &f, count_cb, &n) >= 0);
	store_free(s);
	return n;
}

static void test_reopen_is_noop(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	struct event ev;

	assert_int_equal(store_open(f->db, &s, &err), 0);
	event_init(&ev);
	ev.time_us = T("2026-03-01T10:00:00Z");
	ev.kind = EV_AUTH_FAILURE;
	ev.user = SV_LIT("alice");
	assert_int_equal(store_add_event(s, &ev), 0);
	store_free(s);
	int64_t n_schema = raw_int(f->db, "SELECT count(*) FROM sqlite_schema");

	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_open(f->db, &s, &err), 0);
		store_free(s);
	}
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM sqlite_schema"), n_schema);
	assert_int_equal(count_events(f->db, "alice"), 1);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;

	assert_int_equal(store_open(f->db, &s, &err), 0);
	store_free(s);
	raw_exec(f->db, "PRAGMA user_version = 99");
	s = NULL;
	assert_int_equal(store_open(f->db, &s, &err), -EPROTONOSUPPORT);
	assert_null(s);
	assert_non_null(err);
	assert_non_null(strstr(err, "newer"));
	assert_non_null(strstr(err, f->db));
	free(err);
}

/* Schema 1 (text keys) was written by development builds only: refused
 * with what to do, and the file is left alone. */
static void test_dev_schema_refused(void **state)
{
	struct fixture *f = *state;
	/* 1: before names; 3 to 5: noise kept as no release reads it */
	static const int dev[] = { 1, 3, 4, 5 };

	for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++) {
		struct store *s = NULL;
		char *err = NULL, want[64], sql[64];
		unlink(f->db);
		assert_int_equal(store_open(f->db, &s, &err), 0);
		store_free(s);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", dev[i]);
		raw_exec(f->db, sql);
		s = NULL;
		assert_int_equal(store_open(f->db, &s, &err), -EPROTONOSUPPORT);
		assert_null(s);
		snprintf(want, sizeof(want), "store schema %d is from a development build; remove", dev[i]);
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, f->db));
		free(err);
		err = NULL;
		assert_int_equal(store_open_readonly(f->db, &s, &err), -EPROTONOSUPPORT);
		assert_non_null(strstr(err, "development build"));
		free(err);
		assert_int_equal(raw_int(f->db, "PRAGMA user_version"), dev[i]);
	}
}

static void test_foreign_sqlite_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	char *p = path_join(f->dir, "other.db");

	raw_exec(p, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	assert_int_equal(store_open(p, &s, &err), -EBADMSG);
	assert_non_null(strstr(err, "not a moat store"));
	free(err);
	/* And it was not touched. */
	assert_int_equal(raw_int(p, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(p, "SELECT count(*) FROM sqlite_schema"), 1);
	free(p);
}

static void test_corrupt_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	char *p = path_join(f->dir, "garbage.db");
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("this is not a database, just text. ", fp);
	fclose(fp);

	assert_int_equal(store_open(p, &s, &err), -EBADMSG);
	assert_null(s);
	assert_non_null(err);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "not a database")); /* SQLite's own words */
	free(err);
	err = NULL;
	assert_int_equal(store_open_readonly(p, &s, &err), -EBADMSG);
	assert_non_null(strstr(err, "not a database"));
	free(err);

	/* A real store with a damaged header page. */
	char *q = path_join(f->dir, "damaged.db");
	assert_int_equal(store_open(q, &s, &err), 0);
	store_free(s);
	int fd = open(q, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "this is garbage!", 16, 0), 16);
	close(fd);
	err = NULL;
	assert_int_equal(store_open(q, &s, &err), -EBADMSG);
	assert_non_null(err);
	free(err);
	free(q);
	free(p);
}

/* A store file this user may not write: store_open says so in words. Run
 * as an unprivileged user (root writes anything). */
static void test_readonly_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	char *p = path_join(f->dir, "ro.db");

	assert_int_equal(store_open(p, &s, &err), 0);
	store_free(s);
	assert_int_equal(chmod(p, 0444), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(10);
		s = NULL;
		int r = store_open(p, &s, &err);
		if (r != -EROFS || s || !err || !strstr(err, "read-only") || !strstr(err, p)) {
			fprintf(stderr, "store_open: %d %s\n", r, err ? err : "(no message)");
			_exit(11);
		}
		free(err);
		err = NULL;
		/* Reading it is fine … */
		r = store_open_readonly(p, &s, &err);
		if (r != 0 || !s) {
			fprintf(stderr, "store_open_readonly: %d %s\n", r, err ? err : "(no message)");
			_exit(12);
		}
		/* … writing through a read-only handle is an error, not a crash. */
		struct event ev;
		event_init(&ev);
		if (store_add_event(s, &ev) != -EROFS || !strstr(store_last_error(s), "read-only"))
			_exit(13);
		if (store_begin(s) != -EROFS)
			_exit(14);
		store_free(s);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(p);
}

static void test_readonly_missing_and_empty(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	char *p = path_join(f->dir, "nope.db");

	assert_int_equal(store_open_readonly(p, &s, &err), -ENOENT);
	assert_non_null(strstr(err, "no store at"));
	free(err);
	err = NULL;
	/* Nothing was created. */
	assert_int_equal(access(p, F_OK), -1);

	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(store_open_readonly(p, &s, &err), -EPROTO);
	assert_non_null(strstr(err, "empty"));
	free(err);
	free(p);
}

static void test_default_path(void **state)
{
	(void)state;
	char *p;
	char *old_db = getenv("MOAT_DB") ? strdup(getenv("MOAT_DB")) : NULL;

	setenv("MOAT_DB", "/x/y.db", 1);
	p = store_default_path();
	assert_string_equal(p, "/x/y.db");
	free(p);
	unsetenv("MOAT_DB");
	setenv("XDG_STATE_HOME", "/state", 1);
	p = store_default_path();
	if (geteuid() == 0)
		assert_string_equal(p, "/var/lib/moat/moat.db");
	else
		assert_string_equal(p, "/state/moat/moat.db");
	free(p);
	if (geteuid() != 0) {
		setenv("XDG_STATE_HOME", "relative", 1); /* invalid per the spec: ignored */
		setenv("HOME", "/home/u", 1);
		p = store_default_path();
		assert_string_equal(p, "/home/u/.local/state/moat/moat.db");
		free(p);
	}
	unsetenv("XDG_STATE_HOME");
	if (old_db)
		setenv("MOAT_DB", old_db, 1);
	free(old_db);
}

/* --- events ---------------------------------------------------------- */

struct collected {
	size_t n;
	struct {
		int64_t id, time_us;
		char *host, *program, *user, *target, *source, *source_name, *key_type, *key_fp, *tty,
			*command, *detail, *file;
		int32_t pid;
		enum event_kind kind;
		enum auth_method method;
		enum account_op acct;
		uint32_t flags, count;
		uint16_t port;
		uint64_t line;
	} e[64];
	int stop_after;
};

static int collect(void *ud, const struct stored_event *e)
{
	struct collected *c = ud;
	if (c->n >= ELEMENTSOF(c->e))
		return -ENOBUFS;
	typeof(c->e[0]) *x = &c->e[c->n++];
	x->id = e->id;
	x->time_us = e->time_us;
	x->host = strdup(e->host);
	x->program = strdup(e->program);
	x->user = strdup(e->user);
	x->target = strdup(e->target);
	x->source = strdup(e->source);
	x->source_name = strdup(e->source_name);
	x->key_type = strdup(e->key_type);
	x->key_fp = strdup(e->key_fp);
	x->tty = strdup(e->tty);
	x->command = strdup(e->command);
	x->detail = strdup(e->detail);
	x->file = strdup(e->file);
	x->pid = e->pid;
	x->kind = e->kind;
	x->method = e->method;
	x->acct = e->acct;
	x->flags = e->flags;
	x->count = e->count;
	x->port = e->port;
	x->line = e->line;
	if (c->stop_after && (int)c->n >= c->stop_after)
		return -ECANCELED;
	return 0;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].host);
		free(c->e[i].program);
		free(c->e[i].user);
		free(c->e[i].target);
		free(c->e[i].source);
		free(c->e[i].source_name);
		free(c->e[i].key_type);
		free(c->e[i].key_fp);
		free(c->e[i].tty);
		free(c->e[i].command);
		free(c->e[i].detail);
		free(c->e[i].file);
	}
	memset(c, 0, sizeof(*c));
}

static void test_event_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	struct event ev;
	struct event_filter flt;
	struct collected c = { 0 };
	/* Attacker text: ESC, newline, quotes, invalid UTF-8, valid UTF-8, SQL. */
	static const char evil_user[] = "r\033[31mo\not\"'\xff\xfe\xc3\xa9'); DROP TABLE events;--";
	static const char evil_cmd[] = "/bin/sh -c 'echo \x01\x7f \\x00 %s%n'";
	static const char nul_user[] = "root\0evil"; /* 9 bytes with a NUL */
	char longtext[5000];
	memset(longtext, 'A', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';

	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_begin(s), 0);

	event_init(&ev);
	ev.time_us = T("2026-03-01T10:00:00.123456Z");
	ev.host = SV_LIT("web-1");
	ev.program = SV_LIT("sshd-session");
	ev.pid = 4242;
	ev.kind = EV_AUTH_SUCCESS;
	ev.method = AM_PUBLICKEY;
	ev.acct = ACCT_NONE;
	ev.flags = EVF_PREAUTH | EVF_TRUNCATED;
	ev.user = sv_make(evil_user, sizeof(evil_user) - 1);
	ev.target = SV_LIT("root");
	assert_int_equal(addr_parse(SV_LIT("::ffff:203.0.113.9"), &ev.source), 1);
	ev.source_name = SV_LIT("attacker.example");
	ev.port = 65535;
	ev.key_type = SV_LIT("ED25519");
	ev.key_fp = SV_LIT("SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
	ev.tty = SV_LIT("pts/7");
	ev.command = sv_make(evil_cmd, sizeof(evil_cmd) - 1);
	ev.detail = sv_cstr(longtext);
	ev.count = 7;
	ev.origin.file = "/var/log/auth.log.1";
	ev.origin.line = 123456789012ULL;
	ev.origin.offset = 987654321098ULL;
	assert_int_equal(store_add_event(s, &ev), 0);

	/* An event with a NUL inside the user name, and an empty one. */
	event_init(&ev);
	ev.time_us = T("2026-03-01T10:00:01Z");
	ev.kind = EV_ACCOUNT_CHANGE;
	ev.acct = ACCT_GROUP_MEMBER_ADD;
	ev.user = sv_make(nul_user, sizeof(nul_user) - 1);
	ev.target = SV_LIT("sudo");
	ev.origin.file = "/var/log/auth.log.1";
	ev.origin.line = 2;
	assert_int_equal(store_add_event(s, &ev), 0);
	event_init(&ev);
	ev.time_us = T("2026-03-01T09:00:00Z");
	assert_int_equal(store_add_event(s, &ev), 0);
	assert_int_equal(store_commit(s), 0);

	event_filter_init(&flt);
	assert_int_equal(store_query_events(s, &flt, collect, &c), 3);
	/* Time order, not insertion order. */
	assert_int_equal(c.e[0].time_us, T("2026-03-01T09:00:00Z"));
	assert_int_equal(c.e[0].kind, EV_NONE);
	assert_int_equal(c.e[0].pid, -1);
	assert_int_equal(c.e[0].count, 1);
	assert_string_equal(c.e[0].user, "");
	assert_string_equal(c.e[0].file, "");

	assert_int_equal(c.e[1].time_us, T("2026-03-01T10:00:00.123456Z"));
	assert_string_equal(c.e[1].host, "web-1");
	assert_string_equal(c.e[1].program, "sshd-session");
	assert_int_equal(c.e[1].pid, 4242);
	assert_int_equal(c.e[1].kind, EV_AUTH_SUCCESS);
	assert_int_equal(c.e[1].method, AM_PUBLICKEY);
	assert_int_equal(c.e[1].acct, ACCT_NONE);
	assert_int_equal(c.e[1].flags, EVF_PREAUTH | EVF_TRUNCATED);
	assert_memory_equal(c.e[1].user, evil_user, sizeof(evil_user));
	assert_string_equal(c.e[1].target, "root");
	assert_string_equal(c.e[1].source, "203.0.113.9"); /* canonical */
	assert_string_equal(c.e[1].source_name, "attacker.example");
	assert_int_equal(c.e[1].port, 65535);
	assert_string_equal(c.e[1].key_type, "ED25519");
	assert_string_equal(c.e[1].key_fp, "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
	assert_string_equal(c.e[1].tty, "pts/7");
	assert_memory_equal(c.e[1].command, evil_cmd, sizeof(evil_cmd));
	assert_string_equal(c.e[1].detail, longtext);
	assert_int_equal(c.e[1].count, 7);
	assert_string_equal(c.e[1].file, "/var/log/auth.log.1");
	assert_int_equal(c.e[1].line, 123456789012ULL);

	assert_int_equal(c.e[2].kind, EV_ACCOUNT_CHANGE);
	assert_int_equal(c.e[2].acct, ACCT_GROUP_MEMBER_ADD);
	assert_string_equal(c.e[2].target, "sudo");
	/* The NUL is shown as U+FFFD: never as the end of "root". */
	assert_string_equal(c.e[2].user, "root\xef\xbf\xbd" "evil");
	collected_free(&c);
	store_free(s);

	/* In the file: the NUL value is a BLOB with the exact bytes; the
	 * origin path is stored once; the events are packed in segments, one
	 * per user (the line without a user has its own), none in schema 2's
	 * table. (The offset in the file is no longer kept: the line is.) */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM names"
					" WHERE typeof(value) = 'blob' AND value = CAST(X'726F6F74006576696C' AS BLOB)"),
			 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM files"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM segments"), 3);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM segments WHERE user_id = 0"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM segment_sources WHERE source_id = -1 - 3405803785"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM events"), 0);
}

static void add(struct store *s, const char *t, enum event_kind k, const char *host, int pid, const char *user,
		const char *src)
{
	struct event ev;
	event_init(&ev);
	ev.time_us = T(t);
	ev.kind = k;
	ev.host = sv_cstr(host);
	ev.program = SV_LIT("sshd");
	ev.pid = pid;
	ev.user = sv_cstr(user);
	if (src)
		assert_int_equal(addr_parse(sv_cstr(src), &ev.source), 1);
	ev.origin.file = "auth.log";
	assert_int_equal(store_add_event(s, &ev), 0);
}

struct nested {
	struct store *s;
	int inner_total;
};

static int nested_cb(void *ud, const struct stored_event *e)
{
	struct nested *n = ud;
	struct collected c = { 0 };
	struct event_filter f;
	event_filter_init(&f);
	f.user = e->user;
	/* The same query shape while the outer walk is still running. */
	int r = store_query_events(n->s, &f, collect, &c);
	collected_free(&c);
	if (r < 0)
		return r;
	n->inner_total += r;
	return 0;
}

static void test_event_queries(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	struct event_filter flt;
	struct collected c = { 0 };

	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_begin(s), 0);
	add(s, "2026-03-01T10:00:05Z", EV_AUTH_FAILURE, "h1", 100, "alice", "198.51.100.1");
	add(s, "2026-03-01T10:00:01Z", EV_AUTH_FAILURE, "h1", 100, "bob", "198.51.100.1");
	add(s, "2026-03-01T10:00:09Z", EV_AUTH_SUCCESS, "h1", 100, "alice", "198.51.100.1");
	add(s, "2026-03-01T10:00:10Z", EV_SESSION_OPEN, "h1", 100, "alice", NULL);
	add(s, "2026-03-01T10:01:00Z", EV_SUDO_COMMAND, "h1", 200, "alice", NULL);
	add(s, "2026-03-01T10:02:00Z", EV_AUTH_SUCCESS, "h2", 100, "alice", "2001:db8::1");
	add(s, "2026-03-01T10:05:00Z", EV_SESSION_CLOSE, "h1", 100, "alice", NULL);
	assert_int_equal(store_commit(s), 0);

	event_filter_init(&flt);
	flt.user = "alice";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 6);
	for (size_t i = 1; i < c.n; i++)
		assert_true(c.e[i - 1].time_us <= c.e[i].time_us);
	collected_free(&c);

	flt.since_us = T("2026-03-01T10:00:09Z");
	flt.until_us = T("2026-03-01T10:01:00Z");
	assert_int_equal(store_query_events(s, &flt, collect, &c), 3); /* inclusive bounds */
	collected_free(&c);

	event_filter_init(&flt);
	flt.source = "198.51.100.1";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 3);
	assert_string_equal(c.e[0].user, "bob");
	collected_free(&c);
	flt.source = "::ffff:198.51.100.1"; /* any textual form of the address */
	assert_int_equal(store_query_events(s, &flt, collect, &c), 3);
	collected_free(&c);
	flt.source = "2001:0db8:0:0::1";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 1);
	assert_string_equal(c.e[0].host, "h2");
	collected_free(&c);

	/* A connection's lines by host and pid: the login, session and logout
	 * (failed logins are kept packed per source, without their pid). */
	event_filter_init(&flt);
	flt.host = "h1";
	flt.pid = 100;
	assert_int_equal(store_query_events(s, &flt, collect, &c), 3);
	collected_free(&c);
	flt.kinds = EVENT_KIND_BIT(EV_AUTH_SUCCESS) | EVENT_KIND_BIT(EV_SESSION_CLOSE);
	assert_int_equal(store_query_events(s, &flt, collect, &c), 2);
	assert_int_equal(c.e[0].kind, EV_AUTH_SUCCESS);
	assert_int_equal(c.e[1].kind, EV_SESSION_CLOSE);
	collected_free(&c);

	event_filter_init(&flt);
	flt.kinds = EVENT_KIND_BIT(EV_SUDO_COMMAND);
	assert_int_equal(store_query_events(s, &flt, collect, &c), 1);
	assert_int_equal(c.e[0].pid, 200);
	collected_free(&c);

	/* No match, empty window. */
	event_filter_init(&flt);
	flt.user = "mallory";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 0);
	flt.user = NULL;
	flt.since_us = 10;
	flt.until_us = 5;
	assert_int_equal(store_query_events(s, &flt, collect, &c), 0);

	/* The callback stops the walk with its own value. */
	event_filter_init(&flt);
	c.stop_after = 2;
	assert_int_equal(store_query_events(s, &flt, collect, &c), -ECANCELED);
	assert_int_equal(c.n, 2);
	collected_free(&c);

	/* A callback may run the same query shape again. */
	struct nested n = { .s = s };
	event_filter_init(&flt);
	flt.user = "bob";
	assert_int_equal(store_query_events(s, &flt, nested_cb, &n), 1);
	assert_int_equal(n.inner_total, 1);
	store_free(s);
}

/* The trace queries are served by indexes, not table scans. */
static void test_query_plans(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	assert_int_equal(store_open(f->db, &s, &err), 0);
	store_free(s);

	static const struct {
		const char *where, *index;
	} cases[] = {
		{ "e.user_id = 1 AND e.time_us >= 0 AND e.time_us <= 9", "events_user_time" },
		{ "e.source_id = 2 AND e.time_us >= 0 AND e.time_us <= 9", "events_source_time" },
		{ "e.source_name_id = 2 AND e.time_us >= 0 AND e.time_us <= 9", "events_source_name_time" },
		{ "e.host_id = 3 AND e.pid = 1 AND e.class = 1 AND e.kind IN ('auth_success')",
		  "events_host_pid_time" },
		{ "e.time_us >= 0 AND e.time_us <= 9 AND e.class = 2 AND e.kind IN ('account_change')",
		  "events_privileged_time" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char sql[512];
		snprintf(sql, sizeof(sql),
			 "EXPLAIN QUERY PLAN SELECT e.id FROM events e LEFT JOIN files f ON f.id = e.file_id"
			 " WHERE %s ORDER BY e.time_us, e.id",
			 cases[i].where);
		sqlite3 *h;
		sqlite3_stmt *st;
		bool found = false;
		assert_int_equal(sqlite3_open_v2(f->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			if (strstr((const char *)sqlite3_column_text(st, 3), cases[i].index))
				found = true;
		sqlite3_finalize(st);
		sqlite3_close(h);
		if (!found)
			fail_msg("%s does not use %s", cases[i].where, cases[i].index);
	}
}

/* --- alerts ---------------------------------------------------------- */

static struct alert *make_alert(uint64_t count, int64_t last)
{
	struct alert *a = alert_new(AK_BRUTE_FORCE, SEV_HIGH);
	assert_non_null(a);
	assert_int_equal(alert_set_host(a, SV_LIT("web-1")), 0);
	assert_int_equal(addr_parse(SV_LIT("203.0.113.9"), &a->source), 1);
	a->first_us = T("2026-03-01T10:00:00Z");
	a->last_us = last;
	a->count = count;
	assert_int_equal(alert_add_why(a, "%" PRIu64 " failed passwords in 60 s", count), 0);
	assert_int_equal(alert_add_why(a, "user names tried include \"\xff\x01\""), 0);
	struct origin o = { .file = "/var/log/auth.log", .line = 42 };
	assert_int_equal(alert_add_evidence(a, &o), 0);
	o.line = 43;
	assert_int_equal(alert_add_evidence(a, &o), 0);
	return a;
}

/* The evidence of the alert with a source and no user. */
static int take_evidence(void *ud, const struct stored_alert *a)
{
	char **ret = ud;
	if (!a->user[0] && a->source[0] && !*ret)
		*ret = strdup(a->evidence_json);
	return 0;
}

static int take_all_evidence(void *ud, const struct stored_alert *a)
{
	char **ret = ud;
	free(*ret);
	*ret = strdup(a->evidence_json);
	return 0;
}

static void test_alerts_idempotent(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	struct alert *a;

	assert_int_equal(store_open(f->db, &s, &err), 0);
	a = make_alert(10, T("2026-03-01T10:01:00Z"));
	assert_int_equal(store_add_alert(s, a), 1);
	assert_int_equal(store_add_alert(s, a), 0); /* a re-scan: known */
	alert_free(a);
	a = make_alert(5, T("2026-03-01T10:00:30Z")); /* saw less: ignored */
	assert_int_equal(store_add_alert(s, a), 0);
	alert_free(a);
	store_free(s);
	/* Reopen and scan again: still one row. */
	assert_int_equal(store_open(f->db, &s, &err), 0);
	a = make_alert(10, T("2026-03-01T10:01:00Z"));
	assert_int_equal(store_add_alert(s, a), 0);
	alert_free(a);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM alerts"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count FROM alerts"), 10);

	/* Saw more (live reading continued): the row is updated (2). */
	a = make_alert(25, T("2026-03-01T10:03:00Z"));
	a->severity = SEV_CRITICAL;
	assert_int_equal(store_add_alert(s, a), 2);
	alert_free(a);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM alerts"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count FROM alerts"), 25);
	assert_int_equal(raw_int(f->db, "SELECT last_us FROM alerts"), T("2026-03-01T10:03:00Z"));

	/* Another user (even NULL vs a name) or first time is another alert. */
	a = make_alert(25, T("2026-03-01T10:03:00Z"));
	assert_int_equal(alert_set_user(a, SV_LIT("root")), 0);
	assert_int_equal(store_add_alert(s, a), 1);
	assert_int_equal(store_add_alert(s, a), 0);
	alert_free(a);
	a = make_alert(25, T("2026-03-01T10:03:00Z"));
	a->source.family = ADDR_NONE;
	assert_int_equal(store_add_alert(s, a), 1);
	assert_int_equal(store_add_alert(s, a), 0);
	alert_free(a);
	store_free(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM alerts"), 3);

	/* The JSON columns parse, and keep the sentences and evidence (packed
	 * in the row: read back as JSON; a schema 2 row's JSON text as it is;
	 * a corrupt one is an error, never made-up lines). */
	char *why = raw_text(f->db, "SELECT why FROM alerts WHERE user = '' AND source <> ''");
	char *ev = NULL;
	assert_int_equal(store_open(f->db, &s, &err), 0);
	struct alert_filter af = { .since_us = INT64_MIN, .until_us = INT64_MAX };
	assert_int_equal(store_query_alerts(s, &af, take_evidence, &ev), 3);
	assert_non_null(ev);
	raw_exec(f->db, "UPDATE alerts SET evidence = '[{\"file\":\"old\",\"line\":7}]' WHERE user = 'root'");
	char *old = NULL;
	af.user = "root";
	assert_int_equal(store_query_alerts(s, &af, take_all_evidence, &old), 1);
	assert_string_equal(old, "[{\"file\":\"old\",\"line\":7}]");
	free(old);
	raw_exec(f->db, "UPDATE alerts SET evidence = x'0205' WHERE user = 'root'");
	old = NULL;
	assert_true(store_query_alerts(s, &af, take_all_evidence, &old) < 0);
	assert_null(old);
	store_free(s);
	char *sev = raw_text(f->db, "SELECT severity FROM alerts WHERE user = '' AND source <> ''");
	json_error_t je;
	json_t *w = json_loads(why, 0, &je), *e = json_loads(ev, 0, &je);
	assert_non_null(w);
	assert_non_null(e);
	assert_int_equal(json_array_size(w), 2);
	assert_string_equal(json_string_value(json_array_get(w, 0)), "25 failed passwords in 60 s");
	/* Invalid UTF-8 is spelled out; control bytes survive as JSON escapes. */
	assert_string_equal(json_string_value(json_array_get(w, 1)), "user names tried include \"\\xff\x01\"");
	assert_int_equal(json_array_size(e), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "file")), "/var/log/auth.log");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 1), "line")), 43);
	assert_string_equal(sev, "critical");
	assert_int_equal(raw_int(f->db, "SELECT evidence_total FROM alerts WHERE user = 'root'"), 2);
	json_decref(w);
	json_decref(e);
	free(why);
	free(ev);
	free(sev);
}


/* --- noise round trip -------------------------------------------------- */

/* What a failed login or pre-auth line keeps, expected back by source. */
struct noise_exp {
	int64_t time_us;
	int src, user, detail, host;
	enum event_kind kind;
	enum auth_method method;
	uint32_t flags, count, attempts;
	uint8_t acct;
};

struct noise_got {
	const struct noise_exp *want;
	size_t n, at;
	const char *const *users, *const *details, *const *hosts;
	const char *src;
};

static int noise_check(void *ud, const struct stored_event *e)
{
	struct noise_got *g = ud;
	assert_true(g->at < g->n);
	const struct noise_exp *w = &g->want[g->at++];
	assert_int_equal(e->time_us, w->time_us);
	assert_int_equal(e->kind, w->kind);
	assert_int_equal(e->method, w->method);
	assert_int_equal(e->flags, w->flags);
	assert_int_equal(e->count, w->count);
	assert_int_equal(e->attempts, w->attempts);
	assert_int_equal(e->acct, w->acct);
	assert_true(e->packed);
	assert_string_equal(e->user, g->users[w->user]);
	assert_string_equal(e->detail, g->details[w->detail]);
	assert_string_equal(e->host, g->hosts[w->host]);
	assert_string_equal(e->source, g->src);
	return 0;
}

static unsigned noise_rnd(uint64_t *r, unsigned m)
{
	*r = *r * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((*r >> 33) % m);
}

static int noise_exp_cmp(const void *a, const void *b)
{
	const struct noise_exp *x = a, *y = b;
	return x->time_us < y->time_us ? -1 : x->time_us > y->time_us;
}

/* Random failed logins and pre-auth lines from many sources (IPv4, IPv6
 * with and without runs of zero groups, none), kinds alternating, users,
 * flags, details, counts and attempts changing or not, times going back
 * now and then, over several transactions (blocks spanning rows) and two
 * hosts: every field comes back for every source, in time order. */
/* Every row of table t in two stores, in rowid order, byte for byte. */
static void assert_same_table(const char *db_a, const char *db_b, const char *t)
{
	sqlite3 *h[2];
	sqlite3_stmt *st[2];
	char sql[128];
	size_t rows = 0;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", t);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(sqlite3_open_v2(k ? db_b : db_a, &h[k], SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		if (sqlite3_prepare_v2(h[k], sql, -1, &st[k], NULL) != SQLITE_OK) {
			/* a WITHOUT ROWID table: in its key's order */
			snprintf(sql, sizeof(sql), "SELECT * FROM %s", t);
			assert_int_equal(sqlite3_prepare_v2(h[k], sql, -1, &st[k], NULL), SQLITE_OK);
		}
	}
	for (;;) {
		int ra = sqlite3_step(st[0]), rb = sqlite3_step(st[1]);
		assert_int_equal(ra, rb);
		if (ra != SQLITE_ROW)
			break;
		rows++;
		int n = sqlite3_column_count(st[0]);
		assert_int_equal(n, sqlite3_column_count(st[1]));
		for (int c = 0; c < n; c++) {
			int len = sqlite3_column_bytes(st[0], c);
			assert_int_equal(sqlite3_column_type(st[0], c), sqlite3_column_type(st[1], c));
			assert_int_equal(len, sqlite3_column_bytes(st[1], c));
			if (len)
				assert_memory_equal(sqlite3_column_blob(st[0], c), sqlite3_column_blob(st[1], c), (size_t)len);
		}
	}
	for (int k = 0; k < 2; k++) {
		sqlite3_finalize(st[k]);
		sqlite3_close(h[k]);
	}
	if (strcmp(t, "events") != 0)
		assert_true(rows > 0);
}

/* store_add_events (its look-ahead loads the blocks of the failed logins
 * ahead, add-ahead.c, once more than 4096 are pending) and its plain
 * version (add-plain.c) over the same 30,000 events, in batches of 1 to
 * 70: 8,000 sources, 500 user names, two hosts taking turns now and then,
 * failures among logins and sessions, a commit half way. The two stores
 * hold the same rows. */
static void test_add_events_ahead(void **state)
{
	struct fixture *f = *state;
	static char srcs[8000][48], users[500][16];
	static const enum event_kind kinds[] = { EV_AUTH_FAILURE, EV_INVALID_USER, EV_PREAUTH_CLOSE, EV_MAX_AUTH,
						 EV_AUTH_SUCCESS, EV_SESSION_OPEN, EV_AUTH_FAILURE, EV_CONNECT };
	enum { N = 30000 };
	struct event *evs = calloc(N, sizeof(*evs));
	const struct event **ptrs = calloc(N, sizeof(*ptrs));
	char *dbs[2] = { path_join(f->dir, "ahead.db"), path_join(f->dir, "plain.db") };
	uint64_t x = 0x2545f4914f6cdd1dull;
	(void)state;
	assert_non_null(evs);
	assert_non_null(ptrs);
	for (size_t i = 0; i < ELEMENTSOF(srcs); i++)
		snprintf(srcs[i], sizeof(srcs[i]), i % 5 ? "10.%zu.%zu.%zu" : "2001:db8:%zx::%zx:%zx", i / 62500,
			 i / 250 % 250, i % 250 + 1);
	for (size_t i = 0; i < ELEMENTSOF(users); i++)
		snprintf(users[i], sizeof(users[i]), "user%zu", i);
	for (int i = 0; i < N; i++) {
		struct event *ev = &evs[i];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		event_init(ev);
		ev->time_us = INT64_C(1767225600000000) + (int64_t)i * 250000;
		ev->kind = kinds[x % ELEMENTSOF(kinds)];
		ev->method = AM_PASSWORD;
		ev->host = (i / 997) % 3 == 2 ? SV_LIT("web2") : SV_LIT("web1");
		ev->program = SV_LIT("sshd");
		ev->pid = 1000 + (int32_t)(x >> 48);
		ev->user = sv_cstr(users[(x >> 8) % ELEMENTSOF(users)]);
		assert_int_equal(addr_parse(sv_cstr(srcs[(x >> 20) % ELEMENTSOF(srcs)]), &ev->source), 1);
		ev->port = (uint16_t)(1024 + (x >> 32) % 60000);
		ev->attempts = ev->kind == EV_AUTH_FAILURE || ev->kind == EV_INVALID_USER;
		ev->origin.file = "auth.log";
		ev->origin.line = (uint64_t)i + 1;
		ptrs[i] = ev;
	}
	for (int k = 0; k < 2; k++) {
		struct store *s = NULL;
		char *err = NULL;
		assert_int_equal(store_open(dbs[k], &s, &err), 0);
		assert_int_equal(store_begin(s), 0);
		for (size_t i = 0, m = 1; i < N; i += m, m = m % 70 + 1) {
			size_t n = MIN(m, (size_t)N - i);
			if (i / 15000 != (i + n) / 15000) {
				assert_int_equal(store_commit(s), 0);
				assert_int_equal(store_begin(s), 0);
			}
			assert_int_equal(k ? store_add_events_plain(s, ptrs + i, n) : store_add_events(s, ptrs + i, n), 0);
		}
		assert_int_equal(store_commit(s), 0);
		store_free(s);
	}
	static const char *const tables[] = { "names", "files", "segments", "segment_sources", "noise", "noise_users",
					      "events" };
	for (size_t t = 0; t < ELEMENTSOF(tables); t++)
		assert_same_table(dbs[0], dbs[1], tables[t]);
	free(dbs[0]);
	free(dbs[1]);
	free(evs);
	free(ptrs);
}

static void test_noise_roundtrip(void **state)
{
	struct fixture *f = *state;
	static const char *const srcs[] = { "203.0.113.9",	  "198.51.100.1", "2001:db8::1",	 "2001:db8:0:1::",
					    "::1",		  "::",		  "2001:db8:1:2:3:4:5:6", "fe80::1:0:0:7",
					    "1:0:0:2:0:0:0:3", "10.0.0.1",	  "0.0.0.0",		 "2a01:4f8:c17:1::2" };
	static const char *const users[] = { "", "root", "admin", "oracle", "u\x01ser", "test" };
	static const char *const details[] = { "", "Bye Bye", "Too many authentication failures", "x" };
	static const char *const hosts[] = { "web1", "web2" };
	static const enum event_kind kinds[] = { EV_AUTH_FAILURE, EV_INVALID_USER, EV_PREAUTH_CLOSE,
						 EV_MAX_AUTH,	  EV_CONNECT,	   EV_PROTOCOL_ERROR,
						 EV_ROOT_REFUSED, EV_DISCONNECT };
	enum { N = 4000 };
	struct noise_exp *exp = calloc(N, sizeof(*exp));
	struct store *s = NULL;
	char *err = NULL;
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
#define RND(m) noise_rnd(&rnd, (m))

	assert_non_null(exp);
	assert_int_equal(store_open(f->db, &s, &err), 0);
	for (int i = 0; i < N; i++) {
		struct noise_exp *x = &exp[i];
		struct event ev;
		if (i % 700 == 0) {
			if (i)
				assert_int_equal(store_commit(s), 0);
			assert_int_equal(store_begin(s), 0);
		}
		/* a source keeps to a few kinds, so that kinds repeat */
		x->src = (int)RND(ELEMENTSOF(srcs));
		x->kind = kinds[(x->src + RND(3)) % ELEMENTSOF(kinds)];
		x->method = (enum auth_method)RND(4);
		x->flags = x->kind == EV_DISCONNECT ? EVF_PREAUTH : RND(4) == 0 ? EVF_PREAUTH : 0;
		x->user = RND(3) ? x->src % (int)ELEMENTSOF(users) : (int)RND(ELEMENTSOF(users));
		x->detail = RND(2) ? 0 : (int)RND(ELEMENTSOF(details));
		x->count = RND(8) ? 1 : 2 + RND(40);
		x->attempts = RND(3);
		x->acct = RND(10) ? 0 : (uint8_t)(1 + RND(3));
		x->host = RND(4) == 0;
		/* unique times, not in order: whole seconds mostly */
		x->time_us = INT64_C(1767225600000000) + (int64_t)((i * 7919) % N) * 1000000;
		if (RND(3) == 0)
			x->time_us += (int64_t)RND(999999) + 1;
		if (RND(50) == 0)
			x->time_us -= INT64_C(86400000000);
		event_init(&ev);
		ev.time_us = x->time_us;
		ev.kind = x->kind;
		ev.method = x->method;
		ev.flags = x->flags;
		ev.count = x->count;
		ev.attempts = x->attempts;
		ev.acct = x->acct;
		ev.host = sv_cstr(hosts[x->host]);
		ev.program = SV_LIT("sshd");
		ev.user = sv_cstr(users[x->user]);
		ev.detail = sv_cstr(details[x->detail]);
		assert_int_equal(addr_parse(sv_cstr(srcs[x->src]), &ev.source), 1);
		ev.origin.file = "auth.log";
		ev.origin.line = (uint64_t)i + 1;
		assert_int_equal(store_add_event(s, &ev), 0);
	}
	assert_int_equal(store_commit(s), 0);
#undef RND

	for (size_t k = 0; k < ELEMENTSOF(srcs); k++) {
		struct noise_exp *want = calloc(N, sizeof(*want));
		size_t n = 0;
		struct addr a;
		char canon[ADDR_STRLEN];
		assert_non_null(want);
		for (int i = 0; i < N; i++)
			if ((size_t)exp[i].src == k)
				want[n++] = exp[i];
		qsort(want, n, sizeof(*want), noise_exp_cmp);
		assert_int_equal(addr_parse(sv_cstr(srcs[k]), &a), 1);
		addr_format(&a, canon);
		struct noise_got g = { want, n, 0, users, details, hosts, canon };
		struct event_filter ef;
		event_filter_init(&ef);
		ef.source = canon;
		assert_int_equal(store_query_events(s, &ef, noise_check, &g), (int)n);
		assert_int_equal(g.at, n);
		free(want);
	}
	/* by account (noise_users finds the sources, their blocks the lines) */
	for (size_t k = 1; k < ELEMENTSOF(users); k++) {
		int n = 0, got = 0;
		for (int i = 0; i < N; i++)
			n += exp[i].user == (int)k;
		struct event_filter ef;
		event_filter_init(&ef);
		ef.user = users[k];
		assert_int_equal(store_query_events(s, &ef, count_cb, &got), n);
		assert_int_equal(got, n);
		/* and within a time range: the lines of that hour only */
		int64_t t0 = INT64_C(1767225600000000) + 1000 * INT64_C(1000000);
		ef.since_us = t0;
		ef.until_us = t0 + INT64_C(3600000000) - 1;
		n = got = 0;
		for (int i = 0; i < N; i++)
			n += exp[i].user == (int)k && exp[i].time_us >= ef.since_us && exp[i].time_us <= ef.until_us;
		assert_int_equal(store_query_events(s, &ef, count_cb, &got), n);
	}
	store_free(s);
	free(exp);
}

/* --- cursors and baselines -------------------------------------------- */

static struct source_mark mk(uint64_t off, uint64_t line, uint8_t tag)
{
	struct source_mark m = { .offset = off, .line = line, .prefix_len = 10, .tail_len = 10 };
	memset(m.prefix, tag, sizeof(m.prefix));
	memset(m.tail, tag ^ 0xff, sizeof(m.tail));
	return m;
}

static void test_cursors(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct store_cursor *v = NULL, c = { 0 };
	size_t n = 9;
	char *err = NULL;
	bool cont = true;
	uint8_t head[SOURCE_HASH_LEN], other[SOURCE_HASH_LEN];

	memset(head, 0xab, sizeof(head));
	memset(other, 0xcd, sizeof(other));
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_lock(s, 0, NULL, NULL), 0);
	assert_int_equal(store_run_open(s, &cont), 0);
	assert_false(cont);
	assert_int_equal(store_cursors_find(s, head, 1, 2, &v, &n), 0);
	assert_int_equal(n, 0);
	store_cursors_free(v, n);

	/* a new input: saved, found by its head */
	c.path = strdup("/var/log/auth.log");
	memcpy(c.head, head, sizeof(head));
	c.dev = 1, c.ino = 2;
	c.mark = mk(4096, 50, 1);
	assert_int_equal(store_cursor_save(s, &c), 0);
	assert_true(c.id > 0);
	/* another with the same head (a different file that starts alike) */
	struct store_cursor c2 = { .path = strdup("/tmp/other.log"), .dev = 9, .ino = 9, .mark = mk(100, 2, 2) };
	memcpy(c2.head, head, sizeof(head));
	assert_int_equal(store_cursor_save(s, &c2), 0);
	assert_int_equal(store_cursors_find(s, head, 1, 2, &v, &n), 0);
	assert_int_equal(n, 2);
	/* the same device and inode first */
	assert_int_equal(v[0].id, c.id);
	assert_int_equal(v[0].mark.offset, 4096);
	assert_int_equal(v[0].mark.line, 50);
	assert_memory_equal(v[0].mark.prefix, c.mark.prefix, SOURCE_HASH_LEN);
	assert_string_equal(v[0].path, "/var/log/auth.log");
	assert_true(v[0].in_run); /* this run made it: started at 0 */
	assert_int_equal(v[0].start.offset, 0);
	store_cursors_free(v, n);
	assert_int_equal(store_cursors_find(s, other, 1, 2, &v, &n), 0);
	assert_int_equal(n, 0);

	/* the run ends: the rows forget it */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_run_close(s), 0);
	assert_int_equal(store_commit(s), 0);
	store_free(s);

	/* a second run moves it on: where it found it is kept */
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_lock(s, 0, NULL, NULL), 0);
	assert_int_equal(store_run_open(s, &cont), 0);
	assert_false(cont);
	free(c.path);
	c.path = strdup("/var/log/auth.log.1"); /* renamed */
	c.mark = mk(UINT64_C(1) << 40, 1000000, 3);
	assert_int_equal(store_cursor_save(s, &c), 0);
	c.mark = mk((UINT64_C(1) << 40) + 10, 1000001, 4);
	assert_int_equal(store_cursor_save(s, &c), 0);
	assert_int_equal(store_cursors_find(s, head, 1, 2, &v, &n), 0);
	assert_true(v[0].in_run);
	assert_int_equal(v[0].start.offset, 4096); /* as the run found it, not the first save */
	assert_int_equal(v[0].mark.offset, (UINT64_C(1) << 40) + 10);
	assert_string_equal(v[0].path, "/var/log/auth.log.1");
	assert_false(v[1].in_run);
	store_cursors_free(v, n);
	/* interrupted: no close */
	store_free(s);

	/* the next run continues it, and sees where it had found the input */
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_lock(s, 0, NULL, NULL), 0);
	assert_int_equal(store_run_open(s, &cont), 0);
	assert_true(cont);
	assert_int_equal(store_cursors_find(s, head, 1, 2, &v, &n), 0);
	assert_true(v[0].in_run);
	assert_int_equal(v[0].start.offset, 4096);
	store_cursors_free(v, n);
	store_free(s);

	/* a mark this moat did not write is not trusted */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE cursors SET mark = x'00'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_cursors_find(s, head, 1, 2, &v, &n), 0);
	assert_int_equal(n, 0);
	store_cursors_free(v, n);
	store_free(s);
	free(c.path);
	free(c2.path);
	assert_true(raw_int(f->db, "SELECT updated FROM cursors LIMIT 1") > T("2024-01-01T00:00:00Z"));
}

/* One writer: a second lock waits, then gives up; the waiting callback
 * names the holder. */
static void wait_cb(void *ud, const char *who)
{
	char **w = ud;
	*w = strdup(who);
}

static void test_lock(void **state)
{
	struct fixture *f = *state;
	struct store *a = NULL, *b = NULL;
	char *err = NULL, *who = NULL;
	bool cont;
	assert_int_equal(store_open(f->db, &a, &err), 0);
	assert_int_equal(store_lock(a, 0, NULL, NULL), 0);
	assert_int_equal(store_run_open(a, &cont), 0);
	assert_int_equal(store_open(f->db, &b, &err), 0);
	assert_int_equal(store_lock(b, 0, NULL, NULL), -EWOULDBLOCK);
	assert_non_null(strstr(store_last_error(b), "is being written by moat pid"));
	assert_int_equal(store_lock(b, 1, wait_cb, &who), -ETIMEDOUT);
	assert_non_null(who);
	assert_non_null(strstr(who, "moat pid"));
	free(who);
	store_free(a);
	assert_int_equal(store_lock(b, 0, NULL, NULL), 0);
	/* the run a left open is continued */
	assert_int_equal(store_run_open(b, &cont), 0);
	assert_true(cont);
	store_free(b);
}

/* Baselines changed by a run are put back as it found them when an
 * interrupted run is finished. */
static void test_run_baselines(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL, *blob = NULL;
	bool cont;
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_baseline_put(s, "h", "alice", "{\"v\":1}"), 0); /* before any run */
	assert_int_equal(store_lock(s, 0, NULL, NULL), 0);
	assert_int_equal(store_run_open(s, &cont), 0);
	assert_int_equal(store_baseline_put(s, "h", "alice", "{\"v\":2}"), 0);
	assert_int_equal(store_baseline_put(s, "h", "alice", "{\"v\":3}"), 0);
	assert_int_equal(store_baseline_put(s, "h", "bob", "{\"v\":9}"), 0);
	store_free(s); /* interrupted */
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_lock(s, 0, NULL, NULL), 0);
	assert_int_equal(store_run_open(s, &cont), 0);
	assert_true(cont);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_run_restore_baselines(s), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_baseline_get(s, "h", "alice", &blob), 1);
	assert_string_equal(blob, "{\"v\":1}");
	free(blob);
	assert_int_equal(store_baseline_get(s, "h", "bob", &blob), 0); /* did not exist */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_run_close(s), 0);
	assert_int_equal(store_commit(s), 0);
	store_free(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM run_baselines"), 0);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM runs WHERE state = 'open'"), 0);
}

struct bl {
	int n;
	char seen[8][64];
};

static int bl_cb(void *ud, const char *host, const char *user, const char *blob)
{
	struct bl *b = ud;
	if (b->n >= 8)
		return -ENOBUFS;
	snprintf(b->seen[b->n++], 64, "%s|%s|%s", host, user, blob);
	return 0;
}

static void test_baselines(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL, *blob = NULL;
	struct bl b = { 0 };

	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_baseline_get(s, "h1", "alice", &blob), 0);
	assert_null(blob);
	assert_int_equal(store_baseline_put(s, "h1", "alice", "{\"nets\":[\"198.51.100.0/24\"]}"), 0);
	assert_int_equal(store_baseline_put(s, "h1", "bob", "v1"), 0);
	assert_int_equal(store_baseline_put(s, NULL, "carol", "nohost"), 0);
	assert_int_equal(store_baseline_put(s, "h1", "bob", "v2"), 0); /* replaces */
	assert_int_equal(store_baseline_get(s, "h1", "alice", &blob), 1);
	assert_string_equal(blob, "{\"nets\":[\"198.51.100.0/24\"]}");
	free(blob);
	assert_int_equal(store_baseline_get(s, NULL, "carol", &blob), 1);
	assert_string_equal(blob, "nohost");
	free(blob);
	assert_int_equal(store_baseline_foreach(s, bl_cb, &b), 0);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.seen[0], "|carol|nohost");
	assert_string_equal(b.seen[1], "h1|alice|{\"nets\":[\"198.51.100.0/24\"]}");
	assert_string_equal(b.seen[2], "h1|bob|v2");
	store_free(s);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM baselines"), 3);
}

/* Transactions nest; the outermost commit writes; free drops a batch
 * left open (the caller stopped for a reason: half a batch is never
 * kept). */
static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;

	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_commit(s), -EINVAL);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_begin(s), 0);
	add(s, "2026-03-01T10:00:00Z", EV_CONNECT, "h", 1, "", "192.0.2.1");
	assert_int_equal(store_commit(s), 0);
	/* Not yet visible to another connection. */
	assert_int_equal(count_events(f->db, NULL), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(count_events(f->db, NULL), 1);
	assert_int_equal(store_begin(s), 0);
	add(s, "2026-03-01T10:00:01Z", EV_CONNECT, "h", 1, "", "192.0.2.1");
	store_free(s);
	assert_int_equal(count_events(f->db, NULL), 1);
	/* a rollback forgets the names ids it handed out */
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_begin(s), 0);
	add(s, "2026-03-01T10:00:02Z", EV_AUTH_FAILURE, "h", 1, "newuser", "192.0.2.1");
	store_rollback(s);
	assert_int_equal(store_begin(s), 0);
	add(s, "2026-03-01T10:00:03Z", EV_AUTH_FAILURE, "h", 1, "newuser", "192.0.2.1");
	assert_int_equal(store_commit(s), 0);
	store_free(s);
	assert_int_equal(count_events(f->db, "newuser"), 1);
}

/* Not a benchmark gate (valgrind and sanitizers are slow): it records the
 * rate and checks that a batch of many events lands completely. */
/* More distinct names than the in-memory names cache holds (a dictionary
 * attack): each name is still stored once and found by queries, before
 * and after the cache was emptied. */
static void test_names_cache_overflow(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL, user[32];
	const int n = 70000;
	struct collected c = { 0 };
	struct event_filter flt;

	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		add(s, "2026-03-01T10:00:00Z", EV_INVALID_USER, "web-1", 100, user, "192.0.2.1");
	}
	/* u0 and u69999 again: one evicted from the cache, one still in it. */
	add(s, "2026-03-01T10:00:01Z", EV_AUTH_FAILURE, "web-1", 101, "u0", "192.0.2.2");
	add(s, "2026-03-01T10:00:01Z", EV_AUTH_FAILURE, "web-1", 101, "u69999", "192.0.2.2");
	assert_int_equal(store_commit(s), 0);

	event_filter_init(&flt);
	flt.user = "u0";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 2);
	assert_string_equal(c.e[0].user, "u0");
	assert_string_equal(c.e[1].source, "192.0.2.2");
	assert_string_equal(c.e[1].host, "web-1");
	assert_string_equal(c.e[1].program, "sshd");
	collected_free(&c);
	flt.user = "u69999";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 2);
	collected_free(&c);
	flt.user = "u70000";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 0);
	event_filter_init(&flt);
	flt.source = "192.0.2.2";
	assert_int_equal(store_query_events(s, &flt, collect, &c), 2);
	collected_free(&c);
	store_free(s);

	/* n users, one host, one program: each stored once (IPv4 sources
	 * are their own key). */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM names"), n + 2);
	/* their failed logins by account: one row for the flush */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM noise_users"), 1);
}

static void test_insert_rate(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char *err = NULL;
	struct event ev;
	struct timespec a, b;
	char users[50][16];
	const int n = 100000;

	for (int i = 0; i < 50; i++)
		snprintf(users[i], sizeof(users[i]), "user%d", i);
	assert_int_equal(store_open(f->db, &s, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < n; i++) {
		event_init(&ev);
		ev.time_us = T("2026-03-01T00:00:00Z") + (int64_t)i * 10000;
		ev.host = SV_LIT("web-1");
		ev.program = SV_LIT("sshd");
		ev.pid = 1000 + i / 4;
		ev.kind = i % 50 == 0 ? EV_AUTH_SUCCESS : EV_AUTH_FAILURE;
		ev.method = AM_PASSWORD;
		ev.user = sv_cstr(users[i % 50]);
		ev.source.family = ADDR_V4;
		ev.source.bytes[0] = 198;
		ev.source.bytes[1] = 51;
		ev.source.bytes[2] = (uint8_t)(i / 500);
		ev.source.bytes[3] = (uint8_t)(i / 40);
		ev.port = (uint16_t)(30000 + i % 1000);
		ev.origin.file = "/var/log/auth.log";
		ev.origin.line = (uint64_t)i + 1;
		assert_int_equal(store_add_event(s, &ev), 0);
	}
	assert_int_equal(store_commit(s), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	store_free(s);
	double t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("store: %d events in %.3f s (%.0f/s)\n", n, t, n / t);
	assert_int_equal(count_events(f->db, NULL), n);
	/* the logins in full, the failures packed per source */
	assert_int_equal(raw_int(f->db, "SELECT sum(n) FROM segments"), n / 50);
	assert_int_equal(raw_int(f->db, "SELECT sum(n) FROM noise"), n - n / 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_sqlite_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_missing_and_empty, setup, teardown),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test_setup_teardown(test_event_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noise_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_events_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_baselines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_baselines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_cache_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_rate, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
