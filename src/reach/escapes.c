/*
 * escapes: which programs give a shell (or write or read any file) to
 * whoever runs them with another user's privileges.
 *
 * Every fact below comes from GTFOBins (the public catalogue of Unix
 * programs that escape restricted use; one page per program,
 * _gtfobins/<name>.md, with functions "sudo", "suid", "limited-suid",
 * "capabilities", "file-write", "file-read", "shell"). The table is ours:
 * it keeps only what a verdict needs.
 *   ESC_SUDO_ANY  the sudo function works whatever the arguments, because
 *                 the program is interactive (a pager's or editor's "!sh",
 *                 a pager started by the program itself);
 *   ESC_SUDO_ARGS the sudo function needs arguments the caller picks
 *                 ("find . -exec /bin/sh", "tar --checkpoint-action=exec");
 *   ESC_REPL      without arguments the program reads commands (an
 *                 interpreter's prompt, a pager on its own output);
 *   ESC_SUID      the page lists "suid" (not only "limited-suid": the
 *                 shell it starts keeps the effective uid);
 *   ESC_WRITE / ESC_READ  "file-write" / "file-read" with chosen arguments;
 *   ESC_CAPS      the page lists "capabilities": with cap_setuid the
 *                 program sets uid 0 itself.
 */
#include <fnmatch.h>
#include <string.h>

#include "core/macro.h"
#include "reach/reach-internal.h"

#define A ESC_SUDO_ANY
#define G ESC_SUDO_ARGS
#define R ESC_REPL
#define U ESC_SUID
#define W ESC_WRITE
#define F ESC_READ
#define C ESC_CAPS

/* Sorted by name (escape_find searches it with bsearch). */
static const struct escape table[] = {
	{ "apt", G | R, "runs a shell through its pager or an APT::Update::Pre-Invoke option" },     /* apt.md: sudo */
	{ "apt-get", G, "runs a shell through an APT::Update::Pre-Invoke option" },		     /* apt-get.md: sudo */
	{ "ash", G | R | U, "is a shell" },							     /* ash.md: sudo, suid */
	{ "awk", G | U, "runs a shell with system()" },					     /* awk.md: sudo, suid-limited (gawk suid) */
	{ "base64", F, "reads any file" },							     /* base64.md: file-read */
	{ "bash", G | R | U, "is a shell" },				     /* bash.md: sudo, suid */
	{ "busybox", G | U, "runs a shell applet" },						     /* busybox.md: sudo, suid */
	{ "cat", F, "reads any file" },							     /* cat.md: file-read */
	{ "chmod", W, "changes any file's mode" },						     /* chmod.md: sudo, suid */
	{ "chown", W, "changes any file's owner" },						     /* chown.md: sudo, suid */
	{ "chroot", G | R, "runs a shell (chroot / starts /bin/sh)" },			     /* chroot.md: sudo */
	{ "cp", W | F, "overwrites any file" },						     /* cp.md: sudo, suid */
	{ "crontab", A, "starts an editor (crontab -e)" },					     /* crontab.md: sudo */
	{ "csh", G | R | U, "is a shell" },							     /* csh.md: sudo, suid */
	{ "curl", W | F, "writes any file (-o) from a URL it fetches" },			     /* curl.md: file-write */
	{ "dash", G | R | U, "is a shell" },				     /* dash.md: sudo, suid */
	{ "dd", W | F, "writes any file" },							     /* dd.md: sudo, suid */
	{ "dmesg", G | R, "runs a shell through its pager (dmesg -H, !sh)" },		     /* dmesg.md: sudo */
	{ "docker", G | U, "runs a container with the host's / mounted" },			     /* docker.md: sudo, suid */
	{ "ed", A | U, "runs a shell (!sh)" },						     /* ed.md: sudo, suid */
	{ "emacs", A | U, "runs a shell (M-x shell)" },					     /* emacs.md: sudo, suid */
	{ "env", G | U, "runs any program (env /bin/sh)" },					     /* env.md: sudo, suid */
	{ "expect", G | R | U, "runs a shell (spawn sh)" },					     /* expect.md: sudo, suid */
	{ "find", G | U, "runs a shell (-exec /bin/sh)" },					     /* find.md: sudo, suid */
	{ "fish", G | R, "is a shell" },							     /* fish.md: sudo */
	{ "flock", G | U, "runs any program (flock -u / /bin/sh)" },			     /* flock.md: sudo, suid */
	{ "ftp", A, "runs a shell (!sh)" },							     /* ftp.md: sudo */
	{ "gawk", G | U, "runs a shell with system()" },					     /* awk.md */
	{ "gdb", G | R | U | C, "runs a shell (!sh, or python in gdb)" },			     /* gdb.md: sudo, suid, capabilities */
	{ "git", G | R, "runs a shell through its pager (git help, !sh)" },			     /* git.md: sudo */
	{ "head", F, "reads any file" },							     /* head.md: file-read */
	{ "install", W, "copies any file with any mode" },					     /* install.md: sudo, suid */
	{ "ionice", G | U, "runs any program" },						     /* ionice.md: sudo, suid */
	{ "journalctl", A, "runs a shell through its pager (!sh)" },				     /* journalctl.md: sudo */
	{ "ksh", G | R | U, "is a shell" },							     /* ksh.md: sudo, suid */
	{ "less", A | F, "runs a shell from the pager (!sh)" },				     /* less.md: sudo */
	{ "lua", G | R, "runs a shell with os.execute" },					     /* lua.md: sudo */
	{ "make", G | U, "runs a shell (--eval)" },						     /* make.md: sudo, suid */
	{ "man", A, "runs a shell through its pager (!sh)" },				     /* man.md: sudo */
	{ "mawk", G | U, "runs a shell with system()" },					     /* awk.md */
	{ "more", A | F, "runs a shell from the pager (!sh)" },				     /* more.md: sudo, suid */
	{ "mount", G, "mounts over any directory (a bind mount of a shell over another program)" }, /* mount.md: sudo */
	{ "mv", W, "replaces any file" },							     /* mv.md: sudo */
	{ "mysql", G | R, "runs a shell (\\! sh)" },					     /* mysql.md: sudo */
	{ "nano", A, "runs a shell (^R^X, reset; sh)" },					     /* nano.md: sudo */
	{ "nawk", G | U, "runs a shell with system()" },					     /* awk.md */
	{ "nice", G | U, "runs any program" },						     /* nice.md: sudo, suid */
	{ "nmap", G, "runs a shell (--script with os.execute)" },				     /* nmap.md: sudo */
	{ "node", G | R | U | C, "runs a shell (child_process)" },				     /* node.md: sudo, suid, capabilities */
	{ "nohup", G, "runs any program" },							     /* nohup.md: sudo */
	{ "nvim", A | U, "runs a shell (:!sh)" },						     /* nvim.md: sudo, suid */
	{ "openssl", W | F, "writes and reads any file" },					     /* openssl.md: file-write, file-read */
	{ "perl", G | R | U | C, "runs a shell (exec \"/bin/sh\")" },			     /* perl.md: sudo, suid, capabilities */
	{ "pg", A, "runs a shell from the pager (!sh)" },					     /* pg.md: sudo */
	{ "php", G | R | U | C, "runs a shell (system)" },					     /* php.md: sudo, suid, capabilities */
	{ "pip", G, "runs code from a setup.py it installs" },				     /* pip.md: sudo */
	{ "psql", G | R, "runs a shell (\\! sh)" },						     /* psql.md: sudo */
	{ "python", G | R | U | C, "runs a shell (os.system), or os.setuid(0)" },		     /* python.md: sudo, suid, capabilities */
	{ "rlwrap", G | U, "runs any program" },						     /* rlwrap.md: sudo, suid */
	{ "rsync", G | U, "runs a shell (-e)" },						     /* rsync.md: sudo, suid */
	{ "ruby", G | R | C, "runs a shell (exec)" },						     /* ruby.md: sudo, capabilities */
	{ "run-parts", G | U, "runs any program (--new-session --regex)" },			     /* run-parts.md: sudo, suid */
	{ "scp", G, "runs a shell (-S)" },							     /* scp.md: sudo */
	{ "screen", G | R, "is a terminal multiplexer running a shell" },			     /* screen.md: sudo */
	{ "script", G | R, "runs a shell" },							     /* script.md: sudo */
	{ "sed", G | W | F, "runs a shell (the e command)" },					     /* sed.md: sudo, suid */
	{ "service", G, "runs any program (service ../../bin/sh)" },				     /* service.md: sudo */
	{ "setarch", G | U, "runs any program" },						     /* setarch.md: sudo, suid */
	{ "sh", G | R | U, "is a shell" },				     /* sh.md: sudo, suid */
	{ "socat", G | U, "runs a shell (exec:/bin/sh)" },					     /* socat.md: sudo, suid */
	{ "sqlite3", G | R, "runs a shell (.shell)" },					     /* sqlite3.md: sudo */
	{ "ssh", G, "runs a shell (-o ProxyCommand)" },					     /* ssh.md: sudo */
	{ "start-stop-daemon", G | U, "runs any program" },					     /* start-stop-daemon.md: sudo, suid */
	{ "stdbuf", G | U, "runs any program" },						     /* stdbuf.md: sudo, suid */
	{ "strace", G | U, "runs any program" },						     /* strace.md: sudo, suid */
	{ "su", G | R, "runs a shell as the target (su with no password asked under sudo)" },    /* su: sudo su is a root shell */
	{ "sudo", G | R, "runs any program" },						     /* sudo under sudo: any command */
	{ "systemctl", G | R, "runs a shell through its pager (!sh), or links a unit" },	     /* systemctl.md: sudo, suid */
	{ "systemd-run", G, "runs any program as a transient unit" },			     /* systemd-run.md: sudo */
	{ "tail", F, "reads any file" },							     /* tail.md: file-read */
	{ "tar", G | U, "runs a shell (--checkpoint-action=exec)" },				     /* tar.md: sudo, suid-limited */
	{ "taskset", G | U, "runs any program" },						     /* taskset.md: sudo, suid */
	{ "tclsh", G | R | U, "runs a shell (exec)" },					     /* tclsh.md: sudo, suid */
	{ "tcpdump", G, "runs a shell (-z postrotate command)" },				     /* tcpdump.md: sudo */
	{ "tcsh", G | R | U, "is a shell" },							     /* tcsh.md: sudo, suid */
	{ "tee", W, "writes any file" },							     /* tee.md: sudo, suid */
	{ "time", G | U, "runs any program" },						     /* time.md: sudo, suid */
	{ "timeout", G | U, "runs any program" },						     /* timeout.md: sudo, suid */
	{ "tmux", G | R, "is a terminal multiplexer running a shell" },			     /* tmux.md: sudo */
	{ "unshare", G | U, "runs any program" },						     /* unshare.md: sudo, suid */
	{ "vi", A | U, "runs a shell (:!sh)" },						     /* vi.md: sudo, suid */
	{ "view", A | U | C, "runs a shell (:!sh)" },					     /* view.md: sudo, suid, capabilities */
	{ "vim", A | U | C, "runs a shell (:!sh)" },						     /* vim.md: sudo, suid, capabilities */
	{ "vim.basic", A | U | C, "runs a shell (:!sh)" },					     /* vim.md */
	{ "vim.tiny", A | U, "runs a shell (:!sh)" },					     /* vi.md */
	{ "vimdiff", A | U, "runs a shell (:!sh)" },						     /* vimdiff.md: sudo, suid */
	{ "visudo", A, "starts an editor on sudoers" },					     /* the editor it starts escapes */
	{ "watch", G | U, "runs any program" },						     /* watch.md: sudo, suid */
	{ "wget", W, "writes any file (-O) from a URL it fetches" },				     /* wget.md: sudo, suid */
	{ "xargs", G | U, "runs any program" },						     /* xargs.md: sudo, suid */
	{ "xxd", W | F, "writes and reads any file" },					     /* xxd.md: file-write, file-read */
	{ "zip", G, "runs a shell (-T -TT)" },						     /* zip.md: sudo */
	{ "zsh", G | R | U, "is a shell" },							     /* zsh.md: sudo, suid */
};

#undef A
#undef G
#undef R
#undef U
#undef W
#undef F
#undef C

/* Setuid by design in Debian (shadow, util-linux, sudo, policykit,
 * openssh, dbus, fuse, iputils, Xorg): setuid, but not an escape. */
static const char *const expected_setuid[] = {
	"chfn", "chsh", "dbus-daemon-launch-helper", "doas", "fusermount", "fusermount3", "gpasswd",
	"mount", "newgidmap", "newgrp", "newuidmap", "ntfs-3g", "passwd", "ping", "ping6", "pkexec",
	"polkit-agent-helper-1", "pppd", "ssh-keysign", "su", "sudo", "sudoedit", "umount",
	"unix_chkpwd", "Xorg.wrap", "chage", "expiry", "crontab", "at", "wall", "write", "ssh-agent",
	"dotlockfile", "mail-lock", "mail-unlock", "mail-touchlock", "bsd-write", "chromium-sandbox",
	"chrome-sandbox", "snap-confine", "staprun", "utempter", "lppasswd", "mlocate", "plocate",
	"pam_extrausers_chkpwd", "pam_timestamp_check", "vmware-user-suid-wrapper", "exim4",
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int cmp_entry(const void *k, const void *e)
{
	return strcmp(k, ((const struct escape *)e)->name);
}

const struct escape *escape_find(const char *path)
{
	const char *b = base_name(path);
	const struct escape *e = bsearch(b, table, ELEMENTSOF(table), sizeof(table[0]), cmp_entry);
	if (e)
		return e;
	/* python3.11, perl5.36.0, php8.2, lua5.4, ruby3.1: the version folded away */
	char fold[64];
	size_t n = strlen(b);
	if (n >= sizeof(fold))
		return NULL;
	memcpy(fold, b, n + 1);
	while (n > 0 && ((fold[n - 1] >= '0' && fold[n - 1] <= '9') || fold[n - 1] == '.'))
		fold[--n] = '\0';
	if (n == 0 || n == strlen(b))
		return NULL;
	return bsearch(fold, table, ELEMENTSOF(table), sizeof(table[0]), cmp_entry);
}

bool escape_expected_setuid(const char *path)
{
	const char *b = base_name(path);
	for (size_t i = 0; i < ELEMENTSOF(expected_setuid); i++)
		if (strcmp(b, expected_setuid[i]) == 0)
			return true;
	return false;
}

/* Arguments the caller may choose: any (NULL), or a pattern with a
 * wildcard (sudo's '*' matches spaces too: a "/var/log/ *" rule takes "-exec sh"). */
static bool args_free(const char *args)
{
	return !args || strpbrk(args, "*?[") != NULL;
}

enum esc_verdict escape_judge(const char *path, const char *args, const char **how)
{
	const struct escape *e = escape_find(path);
	if (!e)
		return ESCV_NONE;
	*how = e->how;
	if (e->flags & ESC_SUDO_ANY)
		return ESCV_SHELL;
	if ((e->flags & ESC_SUDO_ARGS) && args_free(args))
		return ESCV_SHELL;
	if ((e->flags & ESC_REPL) && args && !*args)
		return ESCV_SHELL;
	if ((e->flags & ESC_WRITE) && args_free(args))
		return ESCV_WRITE;
	if ((e->flags & ESC_READ) && args_free(args))
		return ESCV_READ;
	return ESCV_NONE;
}
