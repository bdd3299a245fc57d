#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level level = LOG_LVL_NOTICE;
static const char *progname = "moat";

void log_set_level(enum log_level lvl)
{
	level = lvl;
}

enum log_level log_get_level(void)
{
	return level;
}

void log_set_progname(const char *name)
{
	progname = name;
}

static void vlog(enum log_level lvl, int r, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "notice", "info", "debug" };
	if (lvl > level)
		return;
	char *msg = NULL;
	fprintf(stderr, "%s: ", progname);
	if (lvl <= LOG_LVL_WARNING)
		fprintf(stderr, "%s: ", names[lvl]);
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("(out of memory)", stderr);
	} else {
		/* messages carry file names and attacker text: no control byte
		 * reaches the terminal raw (ESC would be a terminal command);
		 * line breaks and tabs are the message's own */
		for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
			if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
				fprintf(stderr, "\\x%02x", *p);
			else
				fputc(*p, stderr);
		}
		free(msg);
	}
	if (r < 0)
		fprintf(stderr, ": %s", strerror(-r));
	fputc('\n', stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, 0, fmt, ap);
	va_end(ap);
}

int log_msg_errno(enum log_level lvl, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, r, fmt, ap);
	va_end(ap);
	return r;
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(2);
}
