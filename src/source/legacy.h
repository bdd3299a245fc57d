/* legacy: schema 2's read cursors (see legacy.c). */
#pragma once

#include "source/source.h"

#define SOURCE_LEGACY_FP_LEN 48

/* The two fingerprints schema 2 could have stored for r's input: of its
 * first 1024 bytes (bit 0 of the result) and of its first line (bit 1),
 * "" when the input has none. Before the first line only. */
int source_legacy_fingerprints(struct source_reader *r, char full[SOURCE_LEGACY_FP_LEN],
			       char first_line[SOURCE_LEGACY_FP_LEN]);
