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

/* One input after expansion: a file (or stdin) to be read whole. */
struct source_input {
	char *path; /* as given / found; "-" for stdin. Owned by the list. */
	int64_t mtime_s; /* for RFC 3164 year inference; 0 for stdin */
	uint64_t size; /* on disk (compressed size for .gz); 0 when unknown */
	bool gzip;
	bool journal; /* a journal (source/journal.h), path its stream name: read by pipeline_read_journal() */
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
 *    is the live member of a rotated set; a character or block device
 *    (/dev/zero would be read forever) or a socket is refused (-EINVAL);
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

/*
 * Reading: one input at a time, pulled line by line by the pipeline, which
 * owns the pace (batches, commits) and the lifetime of what it keeps.
 *
 * Lines of any content are survived: NUL bytes and invalid UTF-8 are
 * passed through; a line longer than SOURCE_LINE_MAX is cut there (the rest
 * of it is skipped and counted; the line gets EVF_TRUNCATED); a last line
 * without a newline is still delivered.
 *
 * Gzip (recognised by its magic bytes, also on stdin; concatenated members
 * read one after the other as gzip -d does; bytes after the last member
 * that are not another member ignored, as gzip(1) does with a warning) is
 * checked before a line of it is delivered: a regular .gz file is inflated
 * once to check every member's CRC and length, and only the members that
 * check are read. A damaged member ends the input with -EBADMSG naming the
 * file, the compressed byte and zlib's reason; the lines of the good
 * members before it are delivered first (never a line of the damaged one:
 * a flipped bit would invent an address or a user). On stdin a gzip stream
 * cannot be read twice: its lines are delivered as they inflate and a
 * damaged member there is reported the same way after the lines before it.
 *
 * Knowing bytes again (read cursors). A mark is where reading stopped,
 * after a complete line, with what proves later that an input holds the
 * same bytes up to there: hashes (BLAKE2b, libsodium) of its first bytes,
 * of the bytes just before the mark and, for inputs that are not regular
 * uncompressed files, of everything before it. The store keeps marks; the
 * pipeline finds the candidates for an input by its head (the hash of its
 * first line) and asks the reader to resume at one. A file renamed by
 * logrotate, compressed (auth.log.1 -> auth.log.2.gz: the hashes are of
 * decompressed bytes), or piped again on stdin is known again; a file
 * truncated and rewritten (copytruncate), or another file that merely starts
 * with the same line, is not.
 */
#define SOURCE_HASH_LEN 16
#define SOURCE_HEAD_MAX 4096 /* the head: the first line, at most this long */
#define SOURCE_PREFIX_MAX 65536 /* the start a mark checks */
#define SOURCE_TAIL_MAX 4096 /* the bytes before a mark that it checks */

struct source_mark {
	uint64_t offset; /* bytes of the (decompressed) stream before it */
	uint64_t line; /* lines before it */
	uint32_t prefix_len; /* min(offset, SOURCE_PREFIX_MAX) */
	uint32_t tail_len; /* min(offset, SOURCE_TAIL_MAX) */
	uint8_t prefix[SOURCE_HASH_LEN]; /* of bytes [0, prefix_len) */
	uint8_t tail[SOURCE_HASH_LEN]; /* of bytes [offset - tail_len, offset) */
	bool have_whole;
	uint8_t whole[SOURCE_HASH_LEN]; /* of bytes [0, offset) (inputs read as a stream) */
	bool finished; /* nothing can follow: a gzip input read to its end */
};

/* Accumulated over inputs: the caller zeroes it once. */
struct source_stats {
	uint64_t bytes; /* decompressed bytes read past any mark resumed at (newlines and cut-off parts included) */
	uint64_t lines;
	uint64_t truncated_lines;
	uint64_t skipped_bytes; /* already read in an earlier run (resumed past) */
};

/* One line, lent until the next call on the reader. */
struct source_line {
	const char *p;
	size_t n; /* without its '\n' (a trailing '\r' is kept) */
	uint32_t flags; /* EVF_TRUNCATED */
	struct origin origin; /* file (the input's path, living as long as the input), line, offset */
	uint64_t end; /* the offset just past it and its '\n' */
	bool complete; /* a mark may follow it: it ended with '\n', or the input is finished (gzip) */
};

struct source_reader;

/* Opens one input (a regular .gz file is checked whole first, see above).
 * Returns 0 and *ret, or a negative errno with *ret_err ("FILE: reason",
 * with the sudo / group adm hint for EACCES; caller frees). in is borrowed
 * for the reader's life. */
int source_open(const struct source_input *in, struct source_reader **ret, char **ret_err);
struct source_reader *source_close(struct source_reader *r);
static inline void source_closep(struct source_reader **r)
{
	source_close(*r);
}

/* The next line: 1 and *ret, 0 at the end of the input, or a negative
 * errno with source_error() saying why (a damaged gzip member: -EBADMSG
 * after every line before it was delivered; a read error: -EIO …). stats
 * (may be NULL) is added to. */
int source_next(struct source_reader *r, struct source_line *ret, struct source_stats *stats);
/* Returned by source_next() to a reader that keeps its lines: reading on
 * would move the lines lent since the last SOURCE_RELEASE. Nothing was
 * read; the caller is done with those lines, then calls again. */
#define SOURCE_RELEASE 2
/* From now on, the lines source_next() lends stay valid after the next
 * call: until it returns SOURCE_RELEASE (or 0, an error, or the reader is
 * closed). A caller can so gather a batch of lines and work on them
 * together. */
void source_keep(struct source_reader *r);
/* The message of the last error ("" when none); owned by r. */
const char *source_error(const struct source_reader *r);

/* The head: the hash of the input's first line including its '\n', or of
 * its first SOURCE_HEAD_MAX bytes when no line ends before. Reads ahead
 * (nothing is consumed). 1 and ret, 0 when the input has no head yet (it
 * is shorter and holds no complete line: nothing of it can be marked),
 * < 0 error. Call before the first source_next(). */
int source_head(struct source_reader *r, uint8_t ret[SOURCE_HASH_LEN]);

/* Positions the reader after mark m when the input holds the same bytes
 * up to there (its start, the bytes before the mark, all of them for a
 * stream, and a '\n' just before it). 1: resumed there (the next line is
 * the one after it; a finished mark at the input's end: source_next gives
 * 0); 0: not the same bytes, reading goes on from the start (a stream's
 * bytes read while checking are kept in a temporary file and delivered
 * first: nothing is lost); < 0 error. Before the first source_next();
 * files may try several marks, stdin one only (-EINVAL after).
 * stats->skipped_bytes counts what resuming passed over. */
int source_resume(struct source_reader *r, const struct source_mark *m, struct source_stats *stats);

/* The upgrade from schema 2's cursors (source/legacy.c): positions a
 * regular file, plain or gzip, after offset when a line ends there, as
 * schema 2 trusted its cursors. 1 resumed, 0 not (from the start). */
int source_resume_unchecked(struct source_reader *r, uint64_t offset, uint64_t line, struct source_stats *stats);
/* The input's first bytes, read ahead (up to want; fewer at its end), or
 * NULL; before the first line only. Valid until the next call on r. */
const char *source_peek(struct source_reader *r, size_t want, size_t *ret_n);

/* The mark after the last complete line source_next() returned (offset 0
 * when none: nothing to mark). Returns 0 or a negative errno. */
int source_mark(struct source_reader *r, struct source_mark *ret);

/* True when the input is read as a stream (stdin, a FIFO, gzip): it cannot
 * be read again from its start. */
bool source_is_stream(const struct source_reader *r);

/* The input's device and inode (0 for stdin and pipes): a hint for
 * finding its marks, never proof. */
void source_file_id(const struct source_reader *r, uint64_t *ret_dev, uint64_t *ret_ino);

/* Bytes of input read so far (on disk: compressed for .gz), for progress
 * against source_input.size. */
uint64_t source_progress(const struct source_reader *r);
