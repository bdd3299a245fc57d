/*
 * output: events and alerts for a person (text, optional colour) or for a
 * program (--json: one object per line). All attacker text is escaped.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "core/alert.h"
#include "core/event.h"
#include "parse/missed.h"

struct output_opts {
	bool json;
	bool color; /* ANSI colours in text mode */
};

/* One JSON object per line, or an indented block of text. */
void output_alert(FILE *f, const struct output_opts *o, const struct alert *a);
/* Fields: time, host, program, pid, kind, user, source, port, method, key,
 * file, line (JSON also: target, tty, command, detail, key_type, flags). */
void output_event(FILE *f, const struct output_opts *o, const struct event *ev);
/* A line that was not understood (`moat scan --missed`): where it is, why,
 * and the line itself, escaped and cut at 4 KiB. Text: "FILE:LINE: WHY:
 * LINE"; JSON: file, line, why (missed_why_id), program, shape, text. */
void output_missed(FILE *f, const struct output_opts *o, const struct origin *at, const struct missed_shape *sh,
		   struct sv line);
