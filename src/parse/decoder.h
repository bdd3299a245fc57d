/*
 * decoder: turns a program's message into an event. One decoder per
 * program (dec-<program>.c), dispatched on the program name via the table
 * in decoders.c; each decoder checks fixed prefixes before anything costly.
 *
 * Attacker text: user names, versions and commands are attacker-chosen.
 * Addresses are taken only from the position the program itself writes
 * them (right-anchored for sshd) and validated with addr_parse().
 */
#pragma once

#include <stdbool.h>

#include "core/event.h"
#include "parse/header.h"

/* Decodes h into *ev: fills kind, user, source, … and copies time, host,
 * program and pid from h. ev->origin is left for the caller.
 * Returns 1 when the line was recognised, 0 when not (ev then undefined). */
int decode(const struct syslog_header *h, struct event *ev);

/* A decoder sees the message only; decode() fills the header fields. */
typedef int (*dec_fn)(struct sv msg, struct event *ev);

int dec_sshd(struct sv msg, struct event *ev);
int dec_sudo(struct sv msg, struct event *ev);
int dec_su(struct sv msg, struct event *ev);
int dec_pam(struct sv msg, struct event *ev); /* pam_unix/pam_faillock from any program */
/* The body of a pam module's message (what follows "pam_unix(SERVICE:TYPE): ",
 * or the whole message of the old "su(pam_unix)[pid]:" program form) for a
 * known PAM service ("sshd", "su", "sudo" …; empty when unknown). Used by
 * dec_pam and by the su/sudo decoders for the old form. Returns 1 or 0. */
int dec_pam_service(struct sv service, struct sv body, struct event *ev);
int dec_logind(struct sv msg, struct event *ev);
int dec_shadow(struct sv msg, struct event *ev); /* useradd, usermod, passwd … */
int dec_login(struct sv msg, struct event *ev); /* login: FAILED LOGIN … (shadow and util-linux) */
int dec_chkpwd(struct sv msg, struct event *ev); /* unix_chkpwd: password check failed … */

/* The decoder for a program name, or NULL. A name with a path
 * ("/usr/sbin/sshd") is looked up by its last component ("sshd"). */
dec_fn decoder_for(struct sv program);
/* The table is sound: every row's length is its name's, and the lookup's
 * shortcut lets every row's first byte through (for the tests). */
bool decoder_table_ok(void);
