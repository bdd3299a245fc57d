#include "parse/decoder.h"

#include <string.h>

#include "core/macro.h"

/* Program name → decoder. The length is kept so that the lookup compares
 * lengths first: most names differ in length from most rows. */
#define ROW(name, fn) { name, sizeof(name) - 1, fn }

static const struct {
	const char *program;
	size_t len;
	dec_fn fn;
} table[] = {
	/* the busiest first: the scan stops at the first match */
	ROW("sshd", dec_sshd),
	ROW("sshd-session", dec_sshd),
	ROW("sshd-auth", dec_sshd),
	ROW("sudo", dec_sudo),
	ROW("su", dec_su),
	ROW("systemd-logind", dec_logind),
	ROW("useradd", dec_shadow),
	ROW("userdel", dec_shadow),
	ROW("usermod", dec_shadow),
	ROW("groupadd", dec_shadow),
	ROW("groupdel", dec_shadow),
	ROW("groupmod", dec_shadow),
	ROW("gpasswd", dec_shadow),
	ROW("passwd", dec_shadow),
	ROW("chpasswd", dec_shadow),
	ROW("chage", dec_shadow),
	ROW("adduser", dec_shadow),
	ROW("deluser", dec_shadow),
	ROW("chsh", dec_shadow),
	ROW("chfn", dec_shadow),
	ROW("login", dec_login),
	ROW("unix_chkpwd", dec_chkpwd),
	/* RHEL 4-era pam_unix logged as "PROGRAM(pam_unix)[pid]: BODY" */
	ROW("su(pam_unix)", dec_su),
	ROW("sudo(pam_unix)", dec_sudo),
	ROW("sshd(pam_unix)", dec_pam),
	ROW("login(pam_unix)", dec_pam),
	ROW("gdm(pam_unix)", dec_pam),
	ROW("vsftpd(pam_unix)", dec_pam),
};

/* The first bytes of the table's names, taken from it before main: most
 * other programs in an auth log (kernel, CRON, systemd, polkitd…) are
 * turned away by one load instead of a walk through the table. */
static bool first_byte[256];

__attribute__((constructor)) static void first_byte_init(void)
{
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		first_byte[(unsigned char)table[i].program[0]] = true;
}

bool decoder_table_ok(void)
{
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (!first_byte[(unsigned char)table[i].program[0]] || table[i].len != strlen(table[i].program))
			return false;
	return true;
}

static dec_fn lookup(struct sv program)
{
	/* nearly every line is sshd's: one 4-byte compare before the table */
	if (program.n == 4 && memcmp(program.p, "sshd", 4) == 0)
		return dec_sshd;
	if (program.n == 0 || !first_byte[(unsigned char)program.p[0]])
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		size_t k = 0;
		if (program.n != table[i].len || program.p[0] != table[i].program[0])
			continue;
		/* names are short: a loop beats a call to memcmp */
		while (k < program.n && program.p[k] == table[i].program[k])
			k++;
		if (k == program.n)
			return table[i].fn;
	}
	return NULL;
}

dec_fn decoder_for(struct sv program)
{
	dec_fn fn = lookup(program);
	long slash;

	if (fn || program.n == 0)
		return fn;
	/* "/usr/sbin/sshd[123]:" (syslog-ng and some init scripts log argv[0]):
	 * the header keeps the program as written, the table matches its last
	 * path component. A name ending in '/' has none and matches nothing. */
	slash = sv_rchr(program, '/');
	return slash >= 0 ? lookup(sv_skip(program, (size_t)slash + 1)) : NULL;
}

/* A message with no program name at all: sshd run with -e under
 * multilog/s6-log ("2018-06-26 13:22:02.108781500 Failed password for …"),
 * or socklog lines whose tag was lost ("… auth.info: Invalid user …").
 * Only shapes that are unmistakably sshd's are taken: a fixed sshd prefix,
 * a decoded source address and, for Failed/Accepted, one of sshd's own
 * method names ("Failed to start x for y from 1.2.3.4" is not sshd's). */
static int dec_headerless(struct sv msg, struct event *ev)
{
	static const char *const sshd_only[] = {
		"Failed ",
		"Accepted ",
		"Invalid user ",
		"Illegal user ",
		"Connection closed by ",
		"Connection reset by ",
		"Disconnected from ",
		"Received disconnect from ",
		"Did not receive identification string from ",
		"maximum authentication attempts exceeded for ",
		"Unable to negotiate with ",
		"Bad protocol version identification ",
		"Timeout before authentication for ",
		"ROOT LOGIN REFUSED FROM ",
	};
	struct sv m = msg;
	bool known = false;

	if (!sv_consume(&m, "error: "))
		(void)sv_consume(&m, "fatal: ");
	for (size_t i = 0; i < ELEMENTSOF(sshd_only) && !known; i++)
		known = sv_starts(m, sshd_only[i]);
	if (!known || dec_sshd(msg, ev) <= 0 || ev->source.family == ADDR_NONE)
		return 0;
	if ((ev->kind == EV_AUTH_FAILURE || ev->kind == EV_AUTH_SUCCESS) && ev->method == AM_NONE)
		return 0;
	return 1;
}

int decode(const struct syslog_header *h, struct event *ev)
{
	dec_fn fn = decoder_for(h->program);
	int r = 0;

	event_init(ev);
	if (fn)
		r = fn(h->msg, ev);
	else if (h->program.n == 0 && h->msg.n)
		r = dec_headerless(h->msg, ev);
	/* pam modules log under whatever program loaded them */
	if (r <= 0 && sv_starts(h->msg, "pam_")) {
		event_init(ev);
		r = dec_pam(h->msg, ev);
	}
	if (r <= 0)
		return 0;
	ev->time_us = h->time_us;
	ev->host = h->host;
	ev->program = h->program;
	ev->pid = h->pid;
	if (h->repeat > 1) {
		/* both factors come from log text: saturate, never wrap */
		uint64_t c = (uint64_t)ev->count * h->repeat;
		ev->count = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
	}
	if (h->time_guessed)
		ev->flags |= EVF_TIME_GUESSED;
	return 1;
}
