/*
 * store: the SQLite (WAL) file that keeps events, alerts, baselines and
 * read cursors between runs. Only this module talks SQL.
 *
 * Default path: $MOAT_DB, else $XDG_STATE_HOME/moat/moat.db (or
 * ~/.local/state/moat/moat.db); /var/lib/moat/moat.db when running as root.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/alert.h"
#include "core/event.h"

struct store;

/* The default path (caller frees), or NULL on OOM. */
char *store_default_path(void);

/* Opens or creates the store at path (":memory:" allowed), creating parent
 * directories and migrating the schema. Returns 0 or a negative errno, with
 * *ret_err (caller frees) saying why in words. */
int store_open(const char *path, struct store **ret, char **ret_err);
struct store *store_free(struct store *s);
static inline void store_freep(struct store **s)
{
	store_free(*s);
}

/* Batches writes; scan wraps each file in one transaction. */
int store_begin(struct store *s);
int store_commit(struct store *s);

/* Records one event (copies everything). */
int store_add_event(struct store *s, const struct event *ev);
/* Records one alert. */
int store_add_alert(struct store *s, const struct alert *a);

/* Read cursors. fp is a hex fingerprint of the file's first bytes.
 * get: 1 and *ret_offset, *ret_line when known, 0 when not. */
int store_cursor_get(struct store *s, const char *fp, uint64_t *ret_offset, uint64_t *ret_line);
int store_cursor_put(struct store *s, const char *fp, const char *path, uint64_t offset, uint64_t line);

/* Baselines: an opaque text blob per (host, user), written by detect/.
 * get: 1 and *ret_blob (caller frees) when present, 0 when not. */
int store_baseline_get(struct store *s, const char *host, const char *user, char **ret_blob);
int store_baseline_put(struct store *s, const char *host, const char *user, const char *blob);
/* Visits every stored baseline (for loading all at start). */
int store_baseline_foreach(struct store *s,
			   int (*fn)(void *ud, const char *host, const char *user, const char *blob),
			   void *ud);

/* A stored event handed to query callbacks: strings are NUL-terminated
 * copies valid during the callback ("" when absent). */
struct stored_event {
	int64_t id;
	int64_t time_us;
	const char *host, *program;
	int32_t pid;
	enum event_kind kind;
	enum auth_method method;
	enum account_op acct;
	uint32_t flags;
	const char *user, *target, *source, *source_name;
	uint16_t port;
	const char *key_type, *key_fp, *tty, *command, *detail;
	uint32_t count;
	const char *file;
	uint64_t line;
};

struct event_filter {
	const char *user; /* NULL = any */
	const char *source; /* address text; NULL = any */
	const char *host; /* NULL = any */
	int32_t pid; /* -1 = any */
	int64_t since_us, until_us; /* INT64_MIN / INT64_MAX = open */
};

/* Calls fn for each matching event in time order; fn returning < 0 stops. */
int store_query_events(struct store *s, const struct event_filter *f,
		       int (*fn)(void *ud, const struct stored_event *e), void *ud);
