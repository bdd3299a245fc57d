/*
 * log: diagnostics on stderr, for the "logging" layers only (cli/, the
 * watch loop, the helper). Library layers return errors instead.
 * The _errno variants take a negative errno, print strerror and return it:
 *	return log_error_errno(r, "cannot open %s", path);
 */
#pragma once

#include "core/macro.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Program name printed before every message ("moat"). */
void log_set_progname(const char *name);

void log_msg(enum log_level lvl, const char *fmt, ...) _printf_(2, 3);
int log_msg_errno(enum log_level lvl, int r, const char *fmt, ...) _printf_(3, 4);
_noreturn_ void fatal(const char *fmt, ...) _printf_(1, 2);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_error_errno(r, ...) log_msg_errno(LOG_LVL_ERROR, r, __VA_ARGS__)
#define log_warning_errno(r, ...) log_msg_errno(LOG_LVL_WARNING, r, __VA_ARGS__)
