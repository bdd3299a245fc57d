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
/* Bytes of a file's start that identify it for read cursors. */
#define SOURCE_FP_LEN 1024

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
	/* Things expansion passed over that a person may want to know about
	 * ("DIR/x: not a regular file (a FIFO), not read"). Owned by the list;
	 * printed by the caller. */
	char **warnings;
	size_t n_warnings;
};

/* Expands command-line arguments into an ordered input list, in argument
 * order:
 *  - "-" is stdin;
 *  - a file (or FIFO, e.g. <(zcat …)) is read alone, as named, even when it
 *    is the live member of a rotated set;
 *  - a directory that holds auth.log* or secure* files gives those rotated
 *    sets only (auth.log's, then secure's) — it is a /var/log: its other
 *    files are other programs' logs (syslog, kern.log, wtmp …) and are not
 *    read. A directory without them (logs collected from elsewhere) gives
 *    every regular file it holds, grouped into rotated sets sorted by base
 *    name. Hidden files are passed over; entries that would have been read
 *    but are not regular files (FIFOs, sockets, subdirectories — there is no
 *    recursion — dangling links) are passed over with a warning; when
 *    name.N and name.N.gz both exist the .gz is a compression in progress
 *    and is passed over with a warning.
 * Within a set, oldest first: name-DATE[.gz] (logrotate dateext, by date),
 * then name.N[.gz] by N descending (numeric: .10 is older than .9), then
 * name. Gzip is recognised by its magic bytes, not its name.
 * With n == 0, the host's /var/log/auth.log* set, or when there is none its
 * /var/log/secure* set (see source_expand_default()).
 * Returns 0, or a negative errno with *ret_err naming the path and why
 * (caller frees): -ENOENT "FILE: No such file or directory"; -EACCES
 * (suggesting sudo or group adm) for a file or directory that would be read
 * but cannot be. ret is filled only on success. */
int source_expand(char *const *args, size_t n, struct source_list *ret, char **ret_err);
/* The no-argument case with the file system rooted at root ("/" on a real
 * host; a temp tree in tests): root/var/log/auth.log* or else
 * root/var/log/secure*. When neither exists: 0 with ret->n == 0 (the caller
 * tells the person what to do). When they exist but cannot be read:
 * -EACCES with *ret_err naming the file and suggesting sudo or group adm. */
int source_expand_default(const char *root, struct source_list *ret, char **ret_err);
void source_list_free(struct source_list *l);

/* Accumulated over source_read() calls: the caller zeroes it once. */
struct source_stats {
	uint64_t bytes; /* decompressed bytes read past any cursor (newlines and cut-off parts included) */
	uint64_t lines;
	uint64_t truncated_lines;
	uint64_t skipped_bytes; /* already read in an earlier run (cursor) */
};

/* Called for each line, without its '\n' (a trailing '\r' is kept).
 * line is lent until the callback returns (or, with on_release, until
 * on_release is called). Return < 0 to stop reading. */
typedef int (*source_line_fn)(void *userdata, const char *line, size_t len, uint32_t flags,
			      const struct origin *o);

/* Called as reading progresses: bytes of input consumed so far (on-disk
 * bytes, i.e. compressed for .gz) of the current file. */
typedef void (*source_progress_fn)(void *userdata, const struct source_input *in, uint64_t done);

/* Called before the bytes of the lines delivered so far change (the buffer
 * is refilled) or are freed (the input is done): a caller that kept
 * pointers into those lines must stop using them now. */
typedef void (*source_release_fn)(void *userdata);

struct source_opts {
	struct store *store; /* NULL: no cursors, read everything */
	source_line_fn on_line;
	source_progress_fn on_progress; /* may be NULL */
	source_release_fn on_release; /* may be NULL: lines are lent only during on_line */
	void *userdata;
};

/* Reads one input from its start — or, with opts->store, from where an
 * earlier run stopped: a file is identified by a fingerprint of its first
 * bytes, so auth.log read last week and renamed auth.log.1 (or compressed
 * to auth.log.2.gz) is recognised and only new bytes are read. The cursor
 * is saved after the last complete line delivered.
 *
 * The fingerprint (SOURCE_FP_LEN above) is a 64-bit hash of the first
 * SOURCE_FP_LEN decompressed bytes plus that length ("v1:<hex>:1024").
 * A file still shorter than that would change fingerprint as it grows, so
 * it is fingerprinted by its first complete line instead ("v1:<hex>:<len>"),
 * and once it has grown past SOURCE_FP_LEN bytes the first-line form is
 * still looked up when the full form is not found (the cursor then moves to
 * the full form). A file without one complete line gets no cursor. Cursors
 * are used for regular files only (not stdin or FIFOs). A cursor is trusted
 * only if the file is at least that long and the byte before it is a '\n';
 * otherwise (copytruncate, a different file) the file is read from its
 * start. A last line without '\n' is delivered but the cursor stays before
 * it (the writer may still be completing it) — except in a gzip file, which
 * is finished. Lines already passed to on_line count as delivered, also
 * when on_line stopped the read.
 *
 * Errors: a corrupt or truncated gzip stream delivers every complete line
 * before the damage (not the cut line after them: a cut address or user
 * name would be a wrong one), saves the cursor, then returns -EBADMSG with
 * *ret_err naming the file and the compressed byte offset. A file that
 * cannot be opened: -errno, "FILE: reason" (with the sudo / group adm hint
 * for EACCES). on_line returning r < 0 stops the read and returns r.
 * Returns 0, or a negative errno with *ret_err set (caller frees). */
int source_read(const struct source_input *in, const struct source_opts *opts,
		struct source_stats *stats, char **ret_err);
