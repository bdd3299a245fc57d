/* trace-internal: words shared by trace.c and the writers (trace-output.c). */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "trace/trace.h"

const char *trace_plural(uint64_t n, const char *one, const char *many);
/* "42 s", "14 min", "2 h 05 min", "3 d 4 h". */
void trace_duration(int64_t us, char out[static 32]);
/* "412 failed passwords, 30 invalid-user probes for 37 users between … and …" */
void trace_failure_words(FILE *f, const struct trace_failures *fs);
/* "user mallory added to group sudo": attacker text goes through put_text. */
void trace_change_words(FILE *f, const struct trace_event *e, void (*put_text)(FILE *, const char *));
/* "cron opened 412 sessions for root", "sudo opened 3 sessions for root by carol". */
void trace_pam_words(FILE *f, const struct trace_pam_sessions *g, void (*put)(FILE *, const char *));
