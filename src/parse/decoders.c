#include "parse/decoder.h"

#include "core/macro.h"

static const struct {
	const char *program;
	dec_fn fn;
} table[] = {
	{ "sshd", dec_sshd },
	{ "sshd-session", dec_sshd },
	{ "sshd-auth", dec_sshd },
	{ "sudo", dec_sudo },
	{ "su", dec_su },
	{ "systemd-logind", dec_logind },
	{ "useradd", dec_shadow },
	{ "userdel", dec_shadow },
	{ "usermod", dec_shadow },
	{ "groupadd", dec_shadow },
	{ "groupdel", dec_shadow },
	{ "groupmod", dec_shadow },
	{ "gpasswd", dec_shadow },
	{ "passwd", dec_shadow },
	{ "chpasswd", dec_shadow },
	{ "chage", dec_shadow },
	{ "adduser", dec_shadow },
	{ "deluser", dec_shadow },
	{ "chsh", dec_shadow },
	{ "chfn", dec_shadow },
	/* RHEL 4-era pam_unix logged as "PROGRAM(pam_unix)[pid]: BODY" */
	{ "su(pam_unix)", dec_su },
	{ "sudo(pam_unix)", dec_sudo },
	{ "sshd(pam_unix)", dec_pam },
	{ "login(pam_unix)", dec_pam },
	{ "gdm(pam_unix)", dec_pam },
	{ "vsftpd(pam_unix)", dec_pam },
};

dec_fn decoder_for(struct sv program)
{
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (sv_eq(program, table[i].program))
			return table[i].fn;
	return NULL;
}

int decode(const struct syslog_header *h, struct event *ev)
{
	dec_fn fn = decoder_for(h->program);
	int r = 0;

	event_init(ev);
	if (fn)
		r = fn(h->msg, ev);
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
	if (h->repeat > 1)
		ev->count *= h->repeat;
	if (h->time_guessed)
		ev->flags |= EVF_TIME_GUESSED;
	return 1;
}
