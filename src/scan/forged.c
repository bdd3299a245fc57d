/* forged: see forged.h. */
#include "scan/forged.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 256 /* bytes kept of each attacker-written field */
#define MSG_MAX 200 /* of the first message shown */

struct writer {
	char *host, *claimed, *by, *comm, *exe, *unit, *transport, *msg;
	int64_t uid;
	int32_t pid;
	bool other_pids;
	bool several; /* the group past the cap: several writers */
	struct alert *a;
};

struct forged {
	struct writer w[FORGED_WRITERS_MAX];
	size_t n;
};

struct forged *forged_new(void)
{
	return calloc(1, sizeof(struct forged));
}

static void writer_clear(struct writer *w)
{
	free(w->host);
	free(w->claimed);
	free(w->by);
	free(w->comm);
	free(w->exe);
	free(w->unit);
	free(w->transport);
	free(w->msg);
	alert_free(w->a);
	*w = (struct writer){ 0 };
}

struct forged *forged_free(struct forged *f)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		writer_clear(&f->w[i]);
	free(f);
	return NULL;
}

static char *copy(struct sv v, size_t max)
{
	return sv_dup(sv_make(v.p, MIN(v.n, max)));
}

static bool same(const char *s, struct sv v)
{
	return sv_eq(v.n > TEXT_MAX ? sv_make(v.p, TEXT_MAX) : v, s);
}

int forged_note(struct forged *f, const struct syslog_header *h, const struct journal_verdict *v,
		const struct origin *at)
{
	const struct journal_fields *jf = h->journal;
	struct writer *w = NULL;

	for (size_t i = 0; i < f->n && !w; i++) {
		struct writer *c = &f->w[i];
		if (c->several || (same(c->host, h->host) && strcmp(c->claimed, v->claimed) == 0 &&
				   same(c->comm, jf->comm) && same(c->exe, jf->exe) && c->uid == jf->uid &&
				   same(c->unit, jf->unit)))
			w = c;
	}
	if (!w) {
		w = &f->w[f->n];
		w->host = copy(h->host, TEXT_MAX);
		w->claimed = copy(sv_cstr(v->claimed), TEXT_MAX);
		w->by = copy(sv_cstr(v->by), TEXT_MAX);
		w->comm = copy(jf->comm, TEXT_MAX);
		w->exe = copy(jf->exe, TEXT_MAX);
		w->unit = copy(jf->unit, TEXT_MAX);
		w->transport = copy(jf->transport, TEXT_MAX);
		w->msg = copy(h->msg, MSG_MAX);
		w->uid = jf->uid;
		w->pid = jf->pid;
		w->several = f->n == FORGED_WRITERS_MAX - 1;
		w->a = alert_new(AK_FORGED_ENTRY, SEV_HIGH);
		f->n++;
		if (w->a)
			w->a->first_us = w->a->last_us = h->time_us;
		if (!w->host || !w->claimed || !w->by || !w->comm || !w->exe || !w->unit || !w->transport || !w->msg ||
		    !w->a || (h->host.n && alert_set_host(w->a, h->host) < 0))
			return -ENOMEM;
	} else if (w->pid != jf->pid) {
		w->other_pids = true;
	}
	alert_touch(w->a, h->time_us);
	w->a->count++;
	return alert_add_evidence(w->a, at);
}

/* "_COMM=logger, _EXE=/usr/bin/logger, _UID=1000, _PID=999": what journald saw. */
static int describe(const struct writer *w, struct alert *a)
{
	char uid[32] = "", pid[64] = "";
	if (w->uid >= 0)
		snprintf(uid, sizeof(uid), ", _UID=%" PRId64, w->uid);
	if (w->pid >= 0)
		snprintf(pid, sizeof(pid), ", _PID=%" PRId32 "%s", w->pid, w->other_pids ? " and others" : "");
	if (w->several)
		return alert_add_why(a,
				     "entries of several writers claiming to be %s (by their %s) were written by other programs, "
				     "the first by _COMM=%s, _EXE=%s%s%s",
				     w->claimed, w->by, *w->comm ? w->comm : "(none)", *w->exe ? w->exe : "(none)", uid,
				     pid);
	return alert_add_why(a, "%s claiming to be %s (by its %s) %s written by another program: _COMM=%s, _EXE=%s%s%s%s%s%s%s",
			     a->count == 1 ? "an entry" : "entries", w->claimed, w->by, a->count == 1 ? "was" : "were",
			     *w->comm ? w->comm : "(none)", *w->exe ? w->exe : "(none)", uid, pid,
			     *w->unit ? ", _SYSTEMD_UNIT=" : "", w->unit, *w->transport ? ", _TRANSPORT=" : "",
			     w->transport);
}

int forged_flush(struct forged *f, struct alert_sink sink)
{
	int r = 0;
	for (size_t i = 0; i < f->n; i++) {
		struct writer *w = &f->w[i];
		struct alert *a = w->a;
		const char *rule = journal_writers(w->claimed);
		if (a && r == 0) {
			if (describe(w, a) < 0 ||
			    alert_add_why(a, "%s is believed only when written by %s: %s not read as %s's", w->claimed,
					  rule ? rule : w->claimed, a->count == 1 ? "it was" : "they were", w->claimed) < 0 ||
			    alert_add_why(a, "%s message: %s", a->count == 1 ? "its" : "the first", w->msg) < 0) {
				r = -ENOMEM;
			} else {
				w->a = NULL;
				sink.emit(sink.userdata, a);
			}
		}
		writer_clear(w);
	}
	f->n = 0;
	return r;
}
