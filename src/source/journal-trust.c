/* journal-trust: who really wrote a journal entry (see journal.h). */
#include "source/journal.h"

#include <string.h>

#include "core/macro.h"

/* A program moat reads and the processes allowed to write as it. */
struct writer {
	const char *comm; /* _COMM (at most 15 bytes: the kernel's TASK_COMM_LEN) */
	const char *exe; /* _EXE's last component */
	bool root; /* only root runs it: _UID must be 0 */
};

#define WRITERS_MAX 3

static const struct program {
	const char *names[4]; /* names the entry may claim (identifier or PAM service) */
	struct writer w[WRITERS_MAX];
	const char *text; /* the rule, for journal_writers() */
} programs[] = {
	{ { "sshd", "sshd-session", "sshd-auth" },
	  /* sshd-auth (OpenSSH 10) runs unprivileged in a chroot without
	   * /dev/log: its messages reach the journal through the root monitor */
	  { { "sshd", "sshd", true }, { "sshd-session", "sshd-session", true }, { "sshd-auth", "sshd-auth", true } },
	  "sshd, sshd-session or sshd-auth as root" },
	{ { "sudo", "sudo-i" }, { { "sudo", "sudo", false } }, "sudo" },
	{ { "su", "su-l" }, { { "su", "su", false } }, "su" },
	{ { "login" }, { { "login", "login", true } }, "login as root" },
	{ { "systemd-logind" }, { { "systemd-logind", "systemd-logind", true } }, "systemd-logind as root" },
	{ { "unix_chkpwd" }, { { "unix_chkpwd", "unix_chkpwd", false } }, "unix_chkpwd" },
	{ { "passwd" }, { { "passwd", "passwd", false } }, "passwd" },
	{ { "chage" }, { { "chage", "chage", false } }, "chage" },
	{ { "gpasswd" }, { { "gpasswd", "gpasswd", false } }, "gpasswd" },
	{ { "chsh" }, { { "chsh", "chsh", false } }, "chsh" },
	{ { "chfn" }, { { "chfn", "chfn", false } }, "chfn" },
	{ { "useradd" }, { { "useradd", "useradd", true } }, "useradd as root" },
	{ { "userdel" }, { { "userdel", "userdel", true } }, "userdel as root" },
	{ { "usermod" }, { { "usermod", "usermod", true } }, "usermod as root" },
	{ { "groupadd" }, { { "groupadd", "groupadd", true } }, "groupadd as root" },
	{ { "groupdel" }, { { "groupdel", "groupdel", true } }, "groupdel as root" },
	{ { "groupmod" }, { { "groupmod", "groupmod", true } }, "groupmod as root" },
	{ { "chpasswd" }, { { "chpasswd", "chpasswd", true } }, "chpasswd as root" },
	/* Debian's adduser and deluser are Perl scripts: _EXE is perl */
	{ { "adduser" }, { { "adduser", "perl", true } }, "adduser run by perl as root" },
	{ { "deluser" }, { { "deluser", "perl", true } }, "deluser run by perl as root" },
};

/* Where a program moat trusts is installed (root-owned on any sane host). */
static const char *const system_dirs[] = {
	"/usr/sbin",	"/usr/bin",	 "/sbin",	 "/bin",		 "/usr/local/sbin",	"/usr/local/bin",
	"/usr/lib/openssh", "/usr/libexec/openssh", "/usr/libexec", "/usr/lib/systemd", "/lib/systemd",
};

/* The program name as the decoders look it up: a path's last component,
 * the old "prog(pam_unix)" form's prog. */
static struct sv base_name(struct sv v)
{
	long slash = sv_rchr(v, '/');
	if (slash >= 0)
		v = sv_skip(v, (size_t)slash + 1);
	(void)sv_consume_end(&v, "(pam_unix)");
	return v;
}

static const struct program *find(struct sv name)
{
	for (size_t i = 0; i < ELEMENTSOF(programs); i++)
		for (size_t k = 0; k < ELEMENTSOF(programs[i].names) && programs[i].names[k]; k++)
			if (sv_eq(name, programs[i].names[k]))
				return &programs[i];
	return NULL;
}

const char *journal_writers(const char *claimed)
{
	const struct program *p = find(sv_cstr(claimed));
	return p ? p->text : NULL;
}

const char *journal_program_name(size_t i)
{
	for (size_t k = 0; k < ELEMENTSOF(programs); k++)
		for (size_t m = 0; m < ELEMENTSOF(programs[k].names) && programs[k].names[m]; m++)
			if (i-- == 0)
				return programs[k].names[m];
	return NULL;
}

/* _EXE is writer w's executable in a system directory. */
static bool exe_is(struct sv exe, const struct writer *w)
{
	struct sv dir, base;
	long slash;

	(void)sv_consume_end(&exe, " (deleted)"); /* replaced by an upgrade while running */
	slash = sv_rchr(exe, '/');
	if (slash <= 0)
		return false;
	dir = sv_make(exe.p, (size_t)slash);
	base = sv_skip(exe, (size_t)slash + 1);
	if (strcmp(w->exe, "perl") == 0) {
		/* perl, or a versioned perl5.36.0 */
		if (!sv_eq(base, "perl") && !sv_starts(base, "perl5"))
			return false;
	} else if (!sv_eq(base, w->exe)) {
		return false;
	}
	for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
		if (sv_eq(dir, system_dirs[i]))
			return true;
	return false;
}

static bool written_by(const struct journal_fields *f, const struct program *p)
{
	for (size_t i = 0; i < WRITERS_MAX && p->w[i].comm; i++) {
		const struct writer *w = &p->w[i];
		if (f->comm.n && !sv_eq(f->comm, w->comm))
			continue;
		if (f->exe.n && !exe_is(f->exe, w))
			continue;
		if (w->root && f->uid >= 0 && f->uid != 0)
			continue;
		return true;
	}
	return false;
}

static bool root_only(const struct program *p)
{
	for (size_t i = 0; i < WRITERS_MAX && p->w[i].comm; i++)
		if (!p->w[i].root)
			return false;
	return true;
}

/* "pam_unix(sshd:auth): …": the PAM service the message names. */
static struct sv pam_service(struct sv msg)
{
	long open, colon;
	if (!sv_starts(msg, "pam_"))
		return SV_NULL;
	open = sv_chr(sv_make(msg.p, msg.n < 64 ? msg.n : 64), '(');
	if (open < 0)
		return SV_NULL;
	msg = sv_skip(msg, (size_t)open + 1);
	colon = sv_chr(sv_make(msg.p, msg.n < 64 ? msg.n : 64), ':');
	return colon > 0 ? sv_make(msg.p, (size_t)colon) : SV_NULL;
}

void journal_trust(const struct syslog_header *h, struct journal_verdict *ret)
{
	const struct journal_fields *f = h->journal;
	const struct program *claims[2];
	const char *by[2];
	size_t n = 0;

	*ret = (struct journal_verdict){ .trust = JT_TRUSTED };
	if (!f)
		return;
	if (sv_eq(f->transport, "kernel") || sv_eq(f->transport, "audit") || sv_eq(f->transport, "driver")) {
		ret->trust = JT_NOT_SYSLOG;
		return;
	}
	if ((claims[n] = find(base_name(h->program))))
		by[n++] = f->identifier.n ? "SYSLOG_IDENTIFIER" : "_COMM";
	if ((claims[n] = find(pam_service(h->msg))) && (n == 0 || claims[n] != claims[0]))
		by[n++] = "PAM service";
	if (n == 0)
		return; /* nothing moat reads is claimed */
	ret->claimed = claims[0]->names[0];
	ret->by = by[0];
	if (!f->comm.n && !f->exe.n && f->uid < 0) {
		ret->trust = JT_NO_WRITER;
		return;
	}
	size_t unverified = n;
	for (size_t i = 0; i < n; i++) {
		if (!f->comm.n && !f->exe.n) {
			/* journald saw only the sender's credentials */
			if (f->uid == 0)
				continue;
			if (!root_only(claims[i])) {
				unverified = unverified < n ? unverified : i;
				continue;
			}
		} else if (written_by(f, claims[i])) {
			continue;
		}
		ret->trust = JT_FORGED;
		ret->claimed = claims[i]->names[0];
		ret->by = by[i];
		return;
	}
	if (unverified < n) {
		ret->trust = JT_UNVERIFIED;
		ret->claimed = claims[unverified]->names[0];
		ret->by = by[unverified];
	}
}
