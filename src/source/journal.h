/*
 * journal: the systemd journal, read natively (sd-journal), and the rule
 * that decides whether an entry was written by the program it claims to be.
 *
 * Trust. An entry says what it is in SYSLOG_IDENTIFIER, which any local
 * process sets at will (`logger -t sshd "Accepted password for root …"`).
 * journald also records who really sent it, in fields no client can set:
 * _COMM (the process name), _EXE (/proc/PID/exe), _UID, _PID,
 * _SYSTEMD_UNIT, _TRANSPORT. moat believes an entry only when those agree
 * with the claim (journal_trust()):
 *
 *  - The claim is the program name the decoders would read the entry as
 *    (SYSLOG_IDENTIFIER, else _COMM; a path's last component; "(pam_unix)"
 *    dropped), and, for a PAM module's message ("pam_unix(SERVICE:TYPE): …"),
 *    the PAM service too. Claims of programs moat does not read (cron,
 *    myapp …) are no claim.
 *  - Each claimed program has its writers (journal_writers()): sshd is
 *    written by sshd, sshd-session or sshd-auth; sudo by sudo; su by su;
 *    login by login; systemd-logind by systemd-logind; unix_chkpwd by
 *    unix_chkpwd; each shadow-utils tool (useradd, usermod, passwd, chage,
 *    gpasswd …) by itself; adduser and deluser (Perl scripts) by adduser or
 *    deluser run by perl. A writer matches when _COMM (if present) is its
 *    name, _EXE (if present; " (deleted)" after an upgrade allowed) is its
 *    executable in a system directory (/usr/sbin, /usr/bin, /sbin, /bin,
 *    /usr/local/sbin, /usr/local/bin, /usr/lib/openssh,
 *    /usr/libexec/openssh, /usr/libexec, /usr/lib/systemd, /lib/systemd),
 *    and, for the programs that only root runs (sshd, sshd-session,
 *    sshd-auth, systemd-logind, login, useradd, userdel, usermod,
 *    groupadd, groupdel, groupmod, chpasswd, adduser, deluser), _UID (if
 *    present) is 0. The set-uid programs a user runs (sudo, su, passwd,
 *    chage, gpasswd, chsh, chfn, unix_chkpwd) log under the user's own
 *    _UID: any uid.
 *  - Verdicts: JT_TRUSTED when a writer matches (or there is no claim);
 *    JT_FORGED when the trusted fields name another writer (an alert of its
 *    own; the entry is never decoded as the program it claims);
 *    JT_NO_WRITER when the entry has none of _COMM, _EXE, _UID (exported or
 *    forwarded from elsewhere without them): decoded on its word, as a log
 *    file's line is, and counted as untrusted in the summary;
 *    JT_UNVERIFIED when journald saw a non-root _UID but could not name the
 *    process (no _COMM or _EXE: it exited first) and a user's set-uid
 *    program is claimed: not decoded, counted (for a root-only program
 *    that _UID alone is a forgery; a root writer without _COMM/_EXE is
 *    believed: root can write anything anyway); JT_NOT_SYSLOG for the
 *    kernel, audit and driver transports (not a program's message).
 *
 * Reading. A journal is a directory of journal files (journald's
 * /var/log/journal/MACHINE-ID/, systemd-journal-remote's output) or given
 * files; entries of every file are read merged in time order, only those
 * that claim, or were written by, a program moat reads. Where a scan
 * stopped is the entry's cursor (sd_journal_get_cursor), kept in the store
 * under the journal's stream name (journal_spec_stream()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"
#include "core/strview.h"
#include "parse/header.h"

enum journal_trust {
	JT_TRUSTED,
	JT_NO_WRITER,
	JT_UNVERIFIED,
	JT_FORGED,
	JT_NOT_SYSLOG,
};

struct journal_verdict {
	enum journal_trust trust;
	const char *claimed; /* the program claimed ("sshd", "sudo" …), NULL when none */
	const char *by; /* how: "SYSLOG_IDENTIFIER", "_COMM" or "PAM service" */
};

/* Judges the entry whose header is h (h->journal set; its program is the
 * name the decoders would use). Never fails. */
void journal_trust(const struct syslog_header *h, struct journal_verdict *ret);

/* The writers accepted for a claimed program, as text for --help and the
 * alert ("sshd, sshd-session or sshd-auth as root"); NULL when moat does
 * not read that program. */
const char *journal_writers(const char *claimed);

/* The i-th name a program moat reads may claim (0, 1, … until NULL). */
const char *journal_program_name(size_t i);

/* ---- reading ---- */

#define JOURNAL_PATHS_MAX 16

struct journal_spec {
	/* Directories (their journal files, and those one level below: the
	 * MACHINE-ID/ folders) and journal files, as given; none: the host's
	 * own journal under root. */
	const char *paths[JOURNAL_PATHS_MAX];
	size_t n_paths;
	const char *root; /* the host's root ("/"; tests: a temp tree) when no paths */
	int64_t since_us, until_us; /* entries at or after / at or before (UTC µs); 0: unbounded */
};

/* The name the journal's cursor is kept under: "journal:machine:ID" for a
 * host's own journal (ID from root/etc/machine-id; "journal:local" when
 * there is none), "journal:" and the given paths, made absolute, for
 * --journal-dir/--journal-file. Returns 0 and *ret (caller frees) or
 * -ENOMEM. */
int journal_spec_stream(const struct journal_spec *spec, char **ret);

/* True when root holds a journal of its own (a journal file in
 * root/var/log/journal/ or root/run/log/journal/ or a folder of them). */
bool journal_host_has(const char *root);

/* One entry, lent until the next call on the reader. */
struct journal_entry {
	struct syslog_header h; /* h.journal points at f */
	struct journal_fields f;
	struct origin origin; /* file: the stream's name (owned by the reader: a caller keeping
			       * origins past journal_close points at its own copy); line: the
			       * entry's sequence number */
	uint32_t flags; /* EVF_TRUNCATED: MESSAGE was cut at SOURCE_LINE_MAX */
	uint64_t bytes; /* of the fields read */
};

struct journal_reader;

/* Opens the journal: every journal file found is checked first; one that
 * cannot be opened is a warning (journal_warnings()), and no readable
 * file at all is an error. Returns 0 and *ret, or a negative errno with
 * *ret_err ("DIR: reason"; caller frees): -ENOENT (no such path, or no
 * journal files in it), -EACCES (with the group hint), -EBADMSG (nothing
 * but damaged files), -EOPNOTSUPP (built without libsystemd). spec is
 * copied. */
int journal_open(const struct journal_spec *spec, struct journal_reader **ret, char **ret_err);
struct journal_reader *journal_close(struct journal_reader *r);

/* Things passed over that a person should know ("FILE: damaged (…), not
 * read"); owned by r. */
size_t journal_warnings(const struct journal_reader *r, const char *const **ret);
/* The stream's name (journal_spec_stream()); owned by r. */
const char *journal_stream(const struct journal_reader *r);

/* Positions the reader after the entry named by cursor (then after
 * since_us when that is later). Returns 1 when that entry was found, 0
 * when it is no longer in the journal (rotated or vacuumed away: reading
 * goes on from the closest entry after its place), < 0 error. Call
 * before the first journal_next(); without it reading starts at since_us
 * or at the oldest entry. */
int journal_seek_cursor(struct journal_reader *r, const char *cursor);

/* Back to where reading starts without a cursor (since_us, or the
 * oldest entry). Returns 0 or < 0 error. */
int journal_rewind(struct journal_reader *r);

/* The next entry (up to until_us): 1 and *ret, 0 at the end, < 0 error
 * with journal_error(). */
int journal_next(struct journal_reader *r, struct journal_entry *ret);
/* The cursor of the entry journal_next() returned last, or NULL when
 * none; owned by r, valid until the next call. */
const char *journal_cursor(struct journal_reader *r);
/* True when the last entry returned is the one cursor names. */
bool journal_at_cursor(struct journal_reader *r, const char *cursor);
const char *journal_error(const struct journal_reader *r);

/* The sequence number in a cursor ("…;i=1a2b;…"), for evidence: 0 when
 * it has none. The stream of a cursor (JSON input: where its entries
 * came from): "s=SEQNUM-ID" into ret (at most n bytes with the NUL), and
 * the number. Returns 1 or 0 when cursor is not one. */
int journal_cursor_seqnum(struct sv cursor, char *ret_seqnum_id, size_t n, uint64_t *ret_seqnum);
