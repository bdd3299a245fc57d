/*
 * escape: attacker text made safe for output. User names, commands and
 * version strings come from the attacker; never print them raw.
 */
#pragma once

#include <stdio.h>

#include "core/obuf.h"
#include "core/strview.h"

/* Length (1..4) of the valid UTF-8 sequence at the start of p[0..n), or 0
 * when it is not valid UTF-8 (overlong forms and surrogates are invalid). */
size_t utf8_valid_len(const unsigned char *p, size_t n);

/* Writes v as the body of a JSON string (no quotes): control bytes as
 * \u escapes of their value (ESC: \u001b), '"' and '\\' escaped, invalid
 * UTF-8 bytes as the \u escape of the byte (0xff: \u00ff), so the output
 * is always valid UTF-8 JSON. */
void escape_json(FILE *f, struct sv v);
/* The same into o. */
void obuf_json(struct obuf *o, struct sv v);

/* Writes v for a terminal: printable ASCII as is, valid UTF-8 kept,
 * everything else (controls, ESC, invalid bytes) as \x and two hex digits
 * (ESC: \x1b), backslash as \\.
 * At most max bytes of input are shown, then "…" (max 0 = no limit). */
void escape_text(FILE *f, struct sv v, size_t max);
/* The same into o. */
void obuf_text(struct obuf *o, struct sv v, size_t max);
