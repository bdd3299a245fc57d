/*
 * escape: attacker text made safe for output. User names, commands and
 * version strings come from the attacker; never print them raw.
 */
#pragma once

#include <stdio.h>

#include "core/strview.h"

/* Writes v as the body of a JSON string (no quotes): control bytes as
 * \u00XX, '"' and '\\' escaped, invalid UTF-8 bytes as \u00XX of the byte
 * (so the output is always valid UTF-8 JSON). */
void escape_json(FILE *f, struct sv v);

/* Writes v for a terminal: printable ASCII as is, valid UTF-8 kept,
 * everything else (controls, ESC, invalid bytes) as \xNN, backslash as \\.
 * At most max bytes of input are shown, then "…" (max 0 = no limit). */
void escape_text(FILE *f, struct sv v, size_t max);
