/*
 * source: where lines come from. Files (plain or gzip), directories,
 * rotated sets (auth.log.4.gz … auth.log.1, auth.log: read oldest first),
 * and "-" for stdin.
 *
 * Lines of any content are survived: NUL bytes and invalid UTF-8 are passed
 * through, a line longer than SOURCE_LINE_MAX is cut there (the rest of it
 * is skipped and counted, the event gets EVF_TRUNCATED), a last line without
 * a newline is still delivered, a corrupt gzip stream is an error naming
 * the file and offset, after the lines that could be read were delivered.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"

#define SOURCE_LINE_MAX (64 * 1024)

struct store;

/* One input after expansion: a file (or stdin) to be read whole. */
struct source_input {
	char *path; /* as given / found; "-" for stdin. Owned by the list. */
	int64_t mtime_s; /* for RFC 3164 year inference; 0 for stdin */
	uint64_t size; /* on disk (compressed size for .gz); 0 when unknown */
	bool gzip;
};

struct source_list {
	struct source_input *v;
	size_t n;
};

/* Expands command-line arguments into an ordered input list: a directory
 * gives its auth.log / secure rotated sets (and any other regular files it
 * holds, sorted by name); a file that is the live member of a rotated set
 * is read alone (as named). Within a set, oldest first: name.N.gz … name.1,
 * name. With n == 0, the host's /var/log/auth.log* (or /var/log/secure*).
 * Returns 0, or a negative errno with *ret_err naming the path and why
 * (caller frees). An empty list with n == 0 is returned as 0 with ret->n 0. */
int source_expand(char *const *args, size_t n, struct source_list *ret, char **ret_err);
void source_list_free(struct source_list *l);

struct source_stats {
	uint64_t bytes; /* decompressed bytes delivered */
	uint64_t lines;
	uint64_t truncated_lines;
	uint64_t skipped_bytes; /* already read in an earlier run (cursor) */
};

/* Called for each line, without its '\n' (a trailing '\r' is kept).
 * line is lent until the callback returns. Return < 0 to stop reading. */
typedef int (*source_line_fn)(void *userdata, const char *line, size_t len, uint32_t flags,
			      const struct origin *o);

/* Called as reading progresses: bytes of input consumed so far (on-disk
 * bytes, i.e. compressed for .gz) of the current file. */
typedef void (*source_progress_fn)(void *userdata, const struct source_input *in, uint64_t done);

struct source_opts {
	struct store *store; /* NULL: no cursors, read everything */
	source_line_fn on_line;
	source_progress_fn on_progress; /* may be NULL */
	void *userdata;
};

/* Reads one input from its start — or, with opts->store, from where an
 * earlier run stopped: a file is identified by a fingerprint of its first
 * bytes, so auth.log read last week and renamed auth.log.1 (or compressed
 * to auth.log.2.gz) is recognised and only new bytes are read. The cursor
 * is saved after the last complete line delivered.
 * Returns 0, or a negative errno with *ret_err set (caller frees). */
int source_read(const struct source_input *in, const struct source_opts *opts,
		struct source_stats *stats, char **ret_err);
