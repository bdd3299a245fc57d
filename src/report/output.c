#include "report/output.h"

#include <string.h>

#include "core/escape.h"
#include "core/obuf.h"
#include "core/timeutil.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"

static const char *sev_color(enum severity s)
{
	switch (s) {
	case SEV_LOW:
		return "\033[36m";
	case SEV_MEDIUM:
		return "\033[33m";
	case SEV_HIGH:
		return "\033[31m";
	default:
		return "\033[1;37;41m";
	}
}

/* Everything below is built in a struct obuf and handed to the stream
 * once per alert or event (see core/obuf.h). */

/* RFC 3339 in UTC: for JSON, and for commands to paste */
static void put_time(struct obuf *b, int64_t t_us)
{
	char tb[TIME_STRLEN];
	obuf_puts(b, time_format_rfc3339(t_us, tb));
}

/* For people: the display zone, named (core/timeutil.h) */
static void put_time_shown(struct obuf *b, int64_t t_us)
{
	char tb[TIME_DISPLAY_STRLEN];
	obuf_puts(b, time_format_display(t_us, tb));
}

/* "2026-12-07 14:03:11 CET", "2026-12-07 14:03:11 .. 14:09:40 CET" (one
 * day, one zone), else both in full. */
static void put_span_shown(struct obuf *b, int64_t first_us, int64_t last_us)
{
	char f[TIME_DISPLAY_STRLEN], l[TIME_DISPLAY_STRLEN];
	(void)time_format_display(first_us, f);
	(void)time_format_display(last_us, l);
	if (strcmp(f, l) == 0) {
		obuf_puts(b, f);
		return;
	}
	/* "YYYY-MM-DD HH:MM:SS ZONE": the same date and zone */
	size_t nf = strlen(f), nl = strlen(l);
	if (nf > 20 && nl > 20 && memcmp(f, l, 11) == 0 && strcmp(f + 19, l + 19) == 0) {
		obuf_write(b, f, 19);
		obuf_puts(b, " .. ");
		obuf_puts(b, l + 11);
		return;
	}
	obuf_puts(b, f);
	obuf_puts(b, " .. ");
	obuf_puts(b, l);
}

static void put_addr(struct obuf *b, const struct addr *a)
{
	char ab[ADDR_STRLEN];
	obuf_puts(b, addr_format(a, ab));
}

static void json_str(struct obuf *b, const char *key, struct sv v, bool null_if_empty, bool comma)
{
	if (comma)
		obuf_putc(b, ',');
	obuf_putc(b, '"');
	obuf_puts(b, key);
	obuf_write(b, "\":", 2);
	if (null_if_empty && v.n == 0) {
		obuf_write(b, "null", 4);
		return;
	}
	obuf_putc(b, '"');
	obuf_json(b, v);
	obuf_putc(b, '"');
}

static void alert_json(struct obuf *b, const struct alert *a)
{
	char ab[ADDR_STRLEN];
	obuf_puts(b, "{\"kind\":\"");
	obuf_puts(b, alert_kind_name(a->kind));
	obuf_puts(b, "\",\"severity\":\"");
	obuf_puts(b, severity_name(a->severity));
	obuf_putc(b, '"');
	json_str(b, "host", sv_cstr(a->host), true, true);
	json_str(b, "source", sv_cstr(addr_format(&a->source, ab)), true, true);
	json_str(b, "user", sv_cstr(a->user), true, true);
	obuf_puts(b, ",\"first\":\"");
	put_time(b, a->first_us);
	obuf_puts(b, "\",\"last\":\"");
	put_time(b, a->last_us);
	obuf_puts(b, "\",\"count\":");
	obuf_u64(b, a->count);
	obuf_puts(b, ",\"why\":[");
	for (unsigned i = 0; i < a->n_why; i++) {
		obuf_puts(b, i ? ",\"" : "\"");
		obuf_json(b, sv_cstr(a->why[i]));
		obuf_putc(b, '"');
	}
	obuf_puts(b, "],\"evidence\":[");
	for (unsigned i = 0; i < a->n_evidence; i++) {
		obuf_puts(b, i ? ",{\"file\":\"" : "{\"file\":\"");
		obuf_json(b, sv_cstr(a->evidence[i].file));
		obuf_puts(b, "\",\"line\":");
		obuf_u64(b, a->evidence[i].line);
		obuf_putc(b, '}');
	}
	obuf_puts(b, "],\"evidence_total\":");
	obuf_u64(b, a->evidence_total);
	obuf_write(b, "}\n", 2);
}

/* A name that can be pasted into a shell as is (attacker-invented names
 * with spaces or quotes get no ready-made command). */
static bool shell_safe(const char *s)
{
	if (!*s || *s == '-' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-' || *s == '@' || *s == '$'))
			return false;
	return true;
}

static void alert_text(struct obuf *b, const struct output_opts *o, const struct alert *a)
{
	const char *bold = o->color ? C_BOLD : "", *r = o->color ? C_RESET : "", *d = o->color ? C_DIM : "";
	obuf_puts(b, o->color ? sev_color(a->severity) : "");
	obuf_puts(b, severity_name(a->severity));
	obuf_puts(b, r);
	obuf_putc(b, ' ');
	obuf_puts(b, bold);
	obuf_puts(b, alert_kind_name(a->kind));
	obuf_puts(b, r);
	if (a->user) {
		obuf_puts(b, " user ");
		obuf_text(b, sv_cstr(a->user), 64);
	}
	if (a->source.family != ADDR_NONE) {
		obuf_puts(b, " from ");
		put_addr(b, &a->source);
	}
	if (a->host) {
		obuf_puts(b, " on ");
		obuf_text(b, sv_cstr(a->host), 64);
	}
	obuf_putc(b, '\n');
	obuf_puts(b, "  ");
	obuf_puts(b, d);
	put_span_shown(b, a->first_us, a->last_us);
	obuf_puts(b, ", ");
	obuf_u64(b, a->count);
	obuf_puts(b, a->count == 1 ? " event" : " events");
	obuf_puts(b, r);
	obuf_putc(b, '\n');
	for (unsigned i = 0; i < a->n_why; i++) {
		obuf_puts(b, "  - ");
		obuf_text(b, sv_cstr(a->why[i]), 0);
		obuf_putc(b, '\n');
	}
	/* where to look next: the timeline that says how far it got */
	if (a->user && shell_safe(a->user) && (a->kind == AK_UNUSUAL_LOGIN || a->kind == AK_LOGIN_AFTER_FAILURES ||
			a->kind == AK_PRIVILEGE_ESCALATION || a->kind == AK_ACCOUNT_CHANGE)) {
		obuf_puts(b, "  ");
		obuf_puts(b, d);
		obuf_puts(b, "trace: moat trace --user ");
		obuf_text(b, sv_cstr(a->user), 64);
		obuf_puts(b, " --since ");
		put_time(b, a->first_us - 3600 * 1000000LL);
		obuf_puts(b, r);
		obuf_putc(b, '\n');
	} else if (a->source.family != ADDR_NONE) {
		obuf_puts(b, "  ");
		obuf_puts(b, d);
		obuf_puts(b, "trace: moat trace --source ");
		put_addr(b, &a->source);
		obuf_puts(b, r);
		obuf_putc(b, '\n');
	}
	if (a->n_evidence) {
		obuf_puts(b, "  ");
		obuf_puts(b, d);
		obuf_puts(b, "evidence:");
		for (unsigned i = 0; i < a->n_evidence; i++) {
			obuf_putc(b, ' ');
			obuf_text(b, sv_cstr(a->evidence[i].file), 0);
			obuf_putc(b, ':');
			obuf_u64(b, a->evidence[i].line);
		}
		if (a->evidence_total > a->n_evidence) {
			obuf_puts(b, " (+");
			obuf_u64(b, a->evidence_total - a->n_evidence);
			obuf_puts(b, " more)");
		}
		obuf_puts(b, r);
		obuf_putc(b, '\n');
	}
	obuf_putc(b, '\n');
}

void output_alert(FILE *f, const struct output_opts *o, const struct alert *a)
{
	struct obuf b;
	obuf_init(&b, f);
	if (o->json)
		alert_json(&b, a);
	else
		alert_text(&b, o, a);
	obuf_flush(&b);
}

static void event_json(struct obuf *b, const struct event *ev, struct sv src)
{
	obuf_puts(b, "{\"time\":\"");
	put_time(b, ev->time_us);
	obuf_putc(b, '"');
	json_str(b, "host", ev->host, true, true);
	json_str(b, "program", ev->program, true, true);
	obuf_puts(b, ",\"pid\":");
	if (ev->pid >= 0)
		obuf_i64(b, ev->pid);
	else
		obuf_puts(b, "null");
	obuf_puts(b, ",\"kind\":\"");
	obuf_puts(b, event_kind_name(ev->kind));
	obuf_putc(b, '"');
	json_str(b, "user", ev->user, true, true);
	json_str(b, "source", src, true, true);
	if (ev->flags & EVF_SOURCE_CONN) {
		/* the line named a host (or nothing); the address is its connection's */
		obuf_puts(b, ",\"source_from\":\"connection\"");
		if (ev->source_name.n)
			json_str(b, "source_name", ev->source_name, false, true);
	}
	obuf_puts(b, ",\"port\":");
	if (ev->port)
		obuf_u64(b, ev->port);
	else
		obuf_puts(b, "null");
	json_str(b, "method", sv_cstr(auth_method_name(ev->method)), true, true);
	json_str(b, "key", ev->key_fp, true, true);
	if (ev->key_type.n)
		json_str(b, "key_type", ev->key_type, false, true);
	if (ev->target.n)
		json_str(b, "target", ev->target, false, true);
	if (ev->tty.n)
		json_str(b, "tty", ev->tty, false, true);
	if (ev->command.n)
		json_str(b, "command", ev->command, false, true);
	if (ev->acct)
		json_str(b, "account_op", sv_cstr(account_op_name(ev->acct)), false, true);
	if (ev->detail.n)
		json_str(b, "detail", ev->detail, false, true);
	if (ev->count != 1) {
		obuf_puts(b, ",\"count\":");
		obuf_u64(b, ev->count);
	}
	obuf_puts(b, ",\"attempts\":");
	obuf_u64(b, ev->attempts);
	if (ev->flags & EVF_INVALID_USER)
		obuf_puts(b, ",\"invalid_user\":true");
	if (ev->flags & EVF_PREAUTH)
		obuf_puts(b, ",\"preauth\":true");
	if (ev->flags & EVF_TRUNCATED)
		obuf_puts(b, ",\"truncated\":true");
	if (ev->flags & EVF_AMBIGUOUS_SOURCE)
		obuf_puts(b, ",\"ambiguous_source\":true");
	if (ev->flags & EVF_CLIENT_FAILED)
		obuf_puts(b, ",\"client_failed\":true");
	json_str(b, "file", sv_cstr(ev->origin.file), true, true);
	obuf_puts(b, ",\"line\":");
	obuf_u64(b, ev->origin.line);
	obuf_write(b, "}\n", 2);
}

/* " name=" */
static void text_name(struct obuf *b, const char *name)
{
	obuf_putc(b, ' ');
	obuf_puts(b, name);
	obuf_putc(b, '=');
}

/* " name=VALUE", VALUE escaped and cut at max bytes */
static void text_field(struct obuf *b, const char *name, struct sv v, size_t max)
{
	text_name(b, name);
	obuf_text(b, v, max);
}

/* " name=N" */
static void text_num(struct obuf *b, const char *name, uint64_t v)
{
	text_name(b, name);
	obuf_u64(b, v);
}

static void event_text(struct obuf *b, const struct event *ev, struct sv src)
{
	put_time_shown(b, ev->time_us);
	obuf_putc(b, ' ');
	obuf_text(b, ev->host, 64);
	obuf_putc(b, ' ');
	obuf_text(b, ev->program, 32);
	if (ev->pid >= 0) {
		obuf_putc(b, '[');
		obuf_i64(b, ev->pid);
		obuf_putc(b, ']');
	}
	obuf_putc(b, ' ');
	obuf_puts(b, event_kind_name(ev->kind));
	if (ev->acct) {
		obuf_putc(b, '/');
		obuf_puts(b, account_op_name(ev->acct));
	}
	if (ev->user.n)
		text_field(b, "user", ev->user, 64);
	if (ev->target.n)
		text_field(b, "target", ev->target, 64);
	if (src.n)
		text_field(b, "source", src, 255);
	if (ev->flags & EVF_SOURCE_CONN) {
		obuf_puts(b, " source_from=connection");
		if (ev->source_name.n)
			text_field(b, "source_name", ev->source_name, 255);
	}
	if (ev->port)
		text_num(b, "port", ev->port);
	if (ev->method) {
		text_name(b, "method");
		obuf_puts(b, auth_method_name(ev->method));
	}
	if (ev->key_fp.n)
		text_field(b, "key", ev->key_fp, 128);
	if (ev->tty.n)
		text_field(b, "tty", ev->tty, 64);
	if (ev->command.n)
		text_field(b, "command", ev->command, 256);
	if (ev->count != 1)
		text_num(b, "count", ev->count);
	if (ev->attempts)
		text_num(b, "attempts", ev->attempts);
	obuf_puts(b, " (");
	obuf_text(b, sv_cstr(ev->origin.file), 0);
	obuf_putc(b, ':');
	obuf_u64(b, ev->origin.line);
	obuf_write(b, ")\n", 2);
}

void output_event(FILE *f, const struct output_opts *o, const struct event *ev)
{
	char ab[ADDR_STRLEN];
	struct sv src = ev->source.family != ADDR_NONE ? sv_cstr(addr_format(&ev->source, ab))
						       : ev->source_name;
	struct obuf b;
	obuf_init(&b, f);
	if (o->json)
		event_json(&b, ev, src);
	else
		event_text(&b, ev, src);
	obuf_flush(&b);
}

#define MISSED_LINE_MAX 4096 /* bytes of a missed line shown */

void output_missed(FILE *f, const struct output_opts *o, const struct origin *at, const struct missed_shape *sh,
		   struct sv line)
{
	struct obuf b;
	obuf_init(&b, f);
	if (o->json) {
		obuf_puts(&b, "{\"file\":\"");
		obuf_json(&b, sv_cstr(at->file));
		obuf_puts(&b, "\",\"line\":");
		obuf_u64(&b, at->line);
		obuf_puts(&b, ",\"why\":\"");
		obuf_puts(&b, missed_why_id(sh->why));
		obuf_putc(&b, '"');
		json_str(&b, "program", sv_cstr(sh->program), true, true);
		json_str(&b, "shape", sv_cstr(sh->words), true, true);
		json_str(&b, "text", line.n > MISSED_LINE_MAX ? sv_make(line.p, MISSED_LINE_MAX) : line, false, true);
		obuf_write(&b, "}\n", 2);
	} else {
		obuf_text(&b, sv_cstr(at->file), 0);
		obuf_putc(&b, ':');
		obuf_u64(&b, at->line);
		obuf_write(&b, ": ", 2);
		if (o->color)
			obuf_puts(&b, C_DIM);
		if (sh->program[0] && sh->why == MISSED_NOT_UNDERSTOOD) {
			obuf_puts(&b, sh->program); /* escaped by missed_classify */
			obuf_putc(&b, ' ');
		}
		obuf_puts(&b, missed_why_name(sh->why));
		if (sh->program[0] && sh->why == MISSED_NO_DECODER) {
			obuf_putc(&b, ' ');
			obuf_puts(&b, sh->program);
		}
		if (o->color)
			obuf_puts(&b, C_RESET);
		obuf_write(&b, ": ", 2);
		obuf_text(&b, line, MISSED_LINE_MAX);
		obuf_putc(&b, '\n');
	}
	obuf_flush(&b);
}
