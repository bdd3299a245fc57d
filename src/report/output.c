#include "report/output.h"

#include <inttypes.h>
#include <string.h>

#include "core/escape.h"
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

static void json_str(FILE *f, const char *key, struct sv v, bool null_if_empty, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	if (null_if_empty && v.n == 0) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	escape_json(f, v);
	fputc('"', f);
}

static void alert_json(FILE *f, const struct alert *a)
{
	char tb[TIME_STRLEN], ab[ADDR_STRLEN];
	fprintf(f, "{\"kind\":\"%s\",\"severity\":\"%s\"", alert_kind_name(a->kind),
		severity_name(a->severity));
	json_str(f, "host", sv_cstr(a->host), true, true);
	json_str(f, "source", sv_cstr(addr_format(&a->source, ab)), true, true);
	json_str(f, "user", sv_cstr(a->user), true, true);
	fprintf(f, ",\"first\":\"%s\"", time_format_rfc3339(a->first_us, tb));
	fprintf(f, ",\"last\":\"%s\"", time_format_rfc3339(a->last_us, tb));
	fprintf(f, ",\"count\":%" PRIu64 ",\"why\":[", a->count);
	for (unsigned i = 0; i < a->n_why; i++) {
		fputs(i ? ",\"" : "\"", f);
		escape_json(f, sv_cstr(a->why[i]));
		fputc('"', f);
	}
	fputs("],\"evidence\":[", f);
	for (unsigned i = 0; i < a->n_evidence; i++) {
		fputs(i ? ",{\"file\":\"" : "{\"file\":\"", f);
		escape_json(f, sv_cstr(a->evidence[i].file));
		fprintf(f, "\",\"line\":%" PRIu64 "}", a->evidence[i].line);
	}
	fprintf(f, "],\"evidence_total\":%" PRIu64 "}\n", a->evidence_total);
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

static void alert_text(FILE *f, const struct output_opts *o, const struct alert *a)
{
	char t1[TIME_STRLEN], t2[TIME_STRLEN], ab[ADDR_STRLEN];
	const char *b = o->color ? C_BOLD : "", *r = o->color ? C_RESET : "",
		   *d = o->color ? C_DIM : "";
	fprintf(f, "%s%s%s %s%s%s", o->color ? sev_color(a->severity) : "",
		severity_name(a->severity), r, b, alert_kind_name(a->kind), r);
	if (a->user) {
		fputs(" user ", f);
		escape_text(f, sv_cstr(a->user), 64);
	}
	if (a->source.family != ADDR_NONE)
		fprintf(f, " from %s", addr_format(&a->source, ab));
	if (a->host) {
		fputs(" on ", f);
		escape_text(f, sv_cstr(a->host), 64);
	}
	fputc('\n', f);
	fprintf(f, "  %s%s .. %s, %" PRIu64 " event%s%s\n", d, time_format_rfc3339(a->first_us, t1),
		time_format_rfc3339(a->last_us, t2), a->count, a->count == 1 ? "" : "s", r);
	for (unsigned i = 0; i < a->n_why; i++) {
		fputs("  - ", f);
		escape_text(f, sv_cstr(a->why[i]), 0);
		fputc('\n', f);
	}
	/* where to look next: the timeline that says how far it got */
	if (a->user && shell_safe(a->user) && (a->kind == AK_UNUSUAL_LOGIN || a->kind == AK_LOGIN_AFTER_FAILURES ||
			a->kind == AK_PRIVILEGE_ESCALATION || a->kind == AK_ACCOUNT_CHANGE)) {
		fprintf(f, "  %strace: moat trace --user ", d);
		escape_text(f, sv_cstr(a->user), 64);
		fprintf(f, " --since %s%s\n", time_format_rfc3339(a->first_us - 3600 * 1000000LL, t1), r);
	} else if (a->source.family != ADDR_NONE) {
		fprintf(f, "  %strace: moat trace --source %s%s\n", d, addr_format(&a->source, ab), r);
	}
	if (a->n_evidence) {
		fprintf(f, "  %sevidence:", d);
		for (unsigned i = 0; i < a->n_evidence; i++) {
			fputc(' ', f);
			escape_text(f, sv_cstr(a->evidence[i].file), 0);
			fprintf(f, ":%" PRIu64, a->evidence[i].line);
		}
		if (a->evidence_total > a->n_evidence)
			fprintf(f, " (+%" PRIu64 " more)", a->evidence_total - a->n_evidence);
		fprintf(f, "%s\n", r);
	}
	fputc('\n', f);
}

void output_alert(FILE *f, const struct output_opts *o, const struct alert *a)
{
	if (o->json)
		alert_json(f, a);
	else
		alert_text(f, o, a);
}

void output_event(FILE *f, const struct output_opts *o, const struct event *ev)
{
	char tb[TIME_STRLEN], ab[ADDR_STRLEN];
	struct sv src = ev->source.family != ADDR_NONE ? sv_cstr(addr_format(&ev->source, ab))
						       : ev->source_name;
	if (o->json) {
		fprintf(f, "{\"time\":\"%s\"", time_format_rfc3339(ev->time_us, tb));
		json_str(f, "host", ev->host, true, true);
		json_str(f, "program", ev->program, true, true);
		if (ev->pid >= 0)
			fprintf(f, ",\"pid\":%" PRId32, ev->pid);
		else
			fputs(",\"pid\":null", f);
		fprintf(f, ",\"kind\":\"%s\"", event_kind_name(ev->kind));
		json_str(f, "user", ev->user, true, true);
		json_str(f, "source", src, true, true);
		if (ev->port)
			fprintf(f, ",\"port\":%u", ev->port);
		else
			fputs(",\"port\":null", f);
		json_str(f, "method", sv_cstr(auth_method_name(ev->method)), true, true);
		json_str(f, "key", ev->key_fp, true, true);
		if (ev->key_type.n)
			json_str(f, "key_type", ev->key_type, false, true);
		if (ev->target.n)
			json_str(f, "target", ev->target, false, true);
		if (ev->tty.n)
			json_str(f, "tty", ev->tty, false, true);
		if (ev->command.n)
			json_str(f, "command", ev->command, false, true);
		if (ev->acct)
			json_str(f, "account_op", sv_cstr(account_op_name(ev->acct)), false, true);
		if (ev->detail.n)
			json_str(f, "detail", ev->detail, false, true);
		if (ev->count != 1)
			fprintf(f, ",\"count\":%u", ev->count);
		if (ev->flags & EVF_INVALID_USER)
			fputs(",\"invalid_user\":true", f);
		if (ev->flags & EVF_PREAUTH)
			fputs(",\"preauth\":true", f);
		if (ev->flags & EVF_TRUNCATED)
			fputs(",\"truncated\":true", f);
		json_str(f, "file", sv_cstr(ev->origin.file), true, true);
		fprintf(f, ",\"line\":%" PRIu64 "}\n", ev->origin.line);
		return;
	}
	fprintf(f, "%s ", time_format_rfc3339(ev->time_us, tb));
	escape_text(f, ev->host, 64);
	fputc(' ', f);
	escape_text(f, ev->program, 32);
	if (ev->pid >= 0)
		fprintf(f, "[%" PRId32 "]", ev->pid);
	fprintf(f, " %s", event_kind_name(ev->kind));
	if (ev->acct)
		fprintf(f, "/%s", account_op_name(ev->acct));
	if (ev->user.n) {
		fputs(" user=", f);
		escape_text(f, ev->user, 64);
	}
	if (ev->target.n) {
		fputs(" target=", f);
		escape_text(f, ev->target, 64);
	}
	if (src.n) {
		fputs(" source=", f);
		escape_text(f, src, 255);
	}
	if (ev->port)
		fprintf(f, " port=%u", ev->port);
	if (ev->method)
		fprintf(f, " method=%s", auth_method_name(ev->method));
	if (ev->key_fp.n) {
		fputs(" key=", f);
		escape_text(f, ev->key_fp, 128);
	}
	if (ev->tty.n) {
		fputs(" tty=", f);
		escape_text(f, ev->tty, 64);
	}
	if (ev->command.n) {
		fputs(" command=", f);
		escape_text(f, ev->command, 256);
	}
	if (ev->count != 1)
		fprintf(f, " count=%u", ev->count);
	fputs(" (", f);
	escape_text(f, sv_cstr(ev->origin.file), 0);
	fprintf(f, ":%" PRIu64 ")\n", ev->origin.line);
}
