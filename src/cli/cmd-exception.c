/* moat exception: accepted risks, signed into the ledger, with controls checked on the live host. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/escape.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "exceptions/controls.h"
#include "exceptions/keys.h"
#include "exceptions/ledger.h"
#include "exceptions/openvex.h"
#include "exceptions/paths.h"
#include "exceptions/register.h"
#include "exposure/exposure.h"
#include "core/rootfs.h"
#include "report/output.h"

static void usage(FILE *f)
{
	fputs("usage: moat exception add (--advisory ID | --package PKG | --host) --reason TEXT --owner NAME\n"
	      "                          --until DATE [--review DATE] [--control CLAUSE]... [--package PKG]\n"
	      "                          [--not-affected JUSTIFICATION]\n"
	      "       moat exception list [--json]\n"
	      "       moat exception show ID\n"
	      "       moat exception renew ID --until DATE [--review DATE] [--reason TEXT]\n"
	      "       moat exception revoke ID --reason TEXT\n"
	      "       moat exception ack ID --control N --reason TEXT --until DATE\n"
	      "       moat exception verify [--json] [ID...]\n"
	      "       moat exception export [--output FILE]\n"
	      "       moat exception import FILE [--owner NAME] [--until DATE] [--accept]\n"
	      "\n"
	      "An exception records that a known risk is accepted on purpose: which advisory\n"
	      "(or CVE), package, or the whole host (a change freeze); why; who owns the\n"
	      "decision; until when (required: none is open-ended); and which compensating\n"
	      "controls make it acceptable. Every decision is an entry of the signed ledger\n"
	      "(moat ledger --help), signed with your key (moat ledger key new NAME first).\n"
	      "An exception never hides a finding: 'moat exposure' shows it as \"accepted by\n"
	      "OWNER until DATE\" with the state of its controls, and raises an alert when a\n"
	      "control no longer holds, the date has passed or the review is due.\n"
	      "\n"
	      "Controls (checked on the live host by 'moat exposure' and 'exception verify';\n"
	      "the package's processes are found from /proc and dpkg's file lists):\n"
	      "  listen-only PORT/PROTO[,…]  its processes listen on these ports only\n"
	      "  loopback-only               they listen on loopback addresses only\n"
	      "  no-listen                   they do not listen at all\n"
	      "  not-running                 no process runs the package\n"
	      "  firewall PORT/PROTO from NET[,…]\n"
	      "                              nftables admits the port only from these networks\n"
	      "  non-root                    no process runs as root\n"
	      "  no-caps                     no process holds an effective capability\n"
	      "  no-new-privs                every process has NoNewPrivs\n"
	      "  namespaces NS[,…]           every process has its own mnt / pid / net namespace\n"
	      "  unit-sandboxed              every process runs in a systemd service with\n"
	      "                              NoNewPrivileges, ProtectSystem, ProtectHome, PrivateTmp\n"
	      "  held                        the package is on hold (apt-mark hold)\n"
	      "  no-route-out IFACE          no default route (nor a /1 half) leaves through IFACE\n"
	      "An exception without controls is shown as bare risk acceptance.\n"
	      "\n"
	      "add      a new exception; --package with --advisory limits it to one package;\n"
	      "         --not-affected JUSTIFICATION records a judgement that the host is not\n"
	      "         affected (an OpenVEX justification: component_not_present,\n"
	      "         vulnerable_code_not_present, vulnerable_code_not_in_execute_path,\n"
	      "         vulnerable_code_cannot_be_controlled_by_adversary,\n"
	      "         inline_mitigations_already_exist)\n"
	      "list     the exceptions and their dates (no live checks)\n"
	      "show     one exception and its history in the ledger\n"
	      "renew    a new date (and review date); the old decision stays in the ledger\n"
	      "revoke   ends it\n"
	      "ack      acknowledges that control N (as 'show' numbers them) is broken, until\n"
	      "         DATE: still shown, no longer an alert\n"
	      "verify   checks every control now; alerts for what needs a person\n"
	      "export   the exceptions as an OpenVEX document (status, justification, impact\n"
	      "         and action statements)\n"
	      "import   reads an OpenVEX document as proposed exceptions and shows them;\n"
	      "         --accept signs them into the ledger (owner and date from the document's\n"
	      "         moat notes, else from --owner / --until)\n"
	      "\n"
	      "Options:\n"
	      "  --ledger FILE  the ledger (default: moat ledger path)\n"
	      "  --key NAME     the key to sign with (default: the only one)\n"
	      "  --root DIR, --proc DIR, --feed PATH, --db PATH, --release REL\n"
	      "                 as for 'moat exposure' (verify, export)\n"
	      "  --json         one JSON object per exception (list, verify)\n"
	      "  -h, --help     this help\n"
	      "Dates are YYYY-MM-DD or RFC 3339. $MOAT_NOW (a date) replaces the clock, for\n"
	      "tests and for replaying what a past day would have said.\n"
	      "\n"
	      "Examples:\n"
	      "  moat exception add --host --reason 'year-end change freeze' --owner 'ops lead' \\\n"
	      "      --until 2027-01-15 --control 'firewall 22/tcp from 10.0.0.0/8'\n"
	      "  moat exception add --advisory CVE-2024-6387 --package openssh-server \\\n"
	      "      --reason 'vendor appliance, patch due in Q1' --owner alice --until 2027-03-31 \\\n"
	      "      --review 2027-01-31 --control 'listen-only 22/tcp' --control 'held'\n"
	      "  moat exception verify\n"
	      "  moat exception export > exceptions.openvex.json\n"
	      "\n"
	      "Exit status: 0 done (verify: everything holds), 1 verify: an alert (a control\n"
	      "broken, an exception expired or due for review), 2 bad usage, unreadable input,\n"
	      "a refused file or a failed write.\n",
	      f);
}

struct eopts {
	const char *ledger, *key, *advisory, *package, *reason, *owner, *until, *review, *not_affected, *output;
	const char *root, *proc, *db, *release;
	const char *feeds[16];
	size_t n_feeds;
	const char *controls[EXC_CONTROLS_MAX];
	size_t n_controls;
	long control_index;
	bool host, json, accept;
	char *ledger_alloc, *heads;
	int64_t now;
};

static const char *ledger_path(struct eopts *o)
{
	if (o->ledger)
		return o->ledger;
	if (!o->ledger_alloc)
		o->ledger_alloc = ledger_default_path();
	return o->ledger_alloc;
}

static bool parse_date(const char *what, const char *s, int64_t *ret)
{
	int64_t us;
	if (!s || time_parse_rfc3339(s, &us) < 0) {
		log_error("%s: '%s' is not a date (2027-01-31)", what, s ? s : "");
		return false;
	}
	*ret = us / 1000000;
	return true;
}

static void date_text(int64_t t_s, char out[16])
{
	char t[TIME_STRLEN];
	time_format_rfc3339(t_s * 1000000, t);
	snprintf(out, 16, "%.10s", t);
}

static bool id_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '.' || *c == '_' || *c == ':' || *c == '+'))
			return false;
	return true;
}

/* Loads the verified ledger and its register; errors logged. Returns 0, 1 (does not verify), <0. */
static int load(struct eopts *o, struct ledger **ret_l, struct exc_register **ret_r)
{
	struct ledger_problem bad;
	char *err = NULL;
	const char *path = ledger_path(o);
	if (!path || !o->heads)
		return -ENOMEM;
	int r = ledger_load(path, o->heads, false, ret_l, &bad, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if (r == 1) {
		fputs("moat: error: the ledger does not verify: ", stderr);
		escape_text(stderr, sv_cstr(bad.why), 0);
		fputs("\n  (its exceptions are not trusted; see 'moat ledger verify')\n", stderr);
		ledger_free(*ret_l);
		*ret_l = NULL;
		return 1;
	}
	if (register_from_ledger(*ret_l, ret_r) < 0) {
		ledger_free(*ret_l);
		*ret_l = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int sign(struct eopts *o, const char *kind, json_t *fields, const char *what)
{
	_cleanup_free_ char *dir = keys_dir();
	struct ledger_key *k = NULL;
	char *err = NULL, head[LEDGER_HASH_HEX];
	uint64_t seq;
	if (!dir) {
		json_decref(fields);
		return EXIT_USAGE;
	}
	int r = key_load(dir, o->key, &k, &err);
	if (r < 0) {
		json_decref(fields);
		log_error("%s", err ? err : strerror(-r));
		free(err);
		return EXIT_USAGE;
	}
	r = ledger_append(ledger_path(o), o->heads, k, kind, fields, o->now, &seq, head, &err);
	key_free(k);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
		return EXIT_USAGE;
	}
	printf("%s: ledger entry %" PRIu64 ", head %s\n", what, seq, head);
	return EXIT_DONE;
}

static json_t *controls_json(const char *const *c, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(c[i]));
	return a;
}

static bool controls_ok(const char *const *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[200];
		if (control_parse_check(c[i], err, sizeof(err)) < 0 || strchr(c[i], '|') || strchr(c[i], ';')) {
			log_error("--control '%s': %s", c[i], err);
			return false;
		}
	}
	return true;
}

static int do_add(struct eopts *o)
{
	int64_t until, review = 0;
	int scopes = !!o->advisory + !!o->host + (!o->advisory && o->package);
	if (scopes != 1) {
		log_error("add: say what is accepted: --advisory ID, --package PKG or --host (one of them)");
		return EXIT_USAGE;
	}
	if (o->advisory && !id_ok(o->advisory, 64)) {
		log_error("--advisory: '%s' is not an advisory or CVE id", o->advisory);
		return EXIT_USAGE;
	}
	if (o->package && !id_ok(o->package, 128)) {
		log_error("--package: '%s' is not a package name", o->package);
		return EXIT_USAGE;
	}
	if (!o->reason || !*o->reason || !o->owner || !*o->owner) {
		log_error("add: --reason and --owner are required (who accepts the risk, and why)");
		return EXIT_USAGE;
	}
	if (!o->until) {
		log_error("add: --until DATE is required: no exception is open-ended");
		return EXIT_USAGE;
	}
	if (!parse_date("--until", o->until, &until) || (o->review && !parse_date("--review", o->review, &review)))
		return EXIT_USAGE;
	if (until <= o->now) {
		log_error("--until %s is not in the future", o->until);
		return EXIT_USAGE;
	}
	if (o->review && (review <= o->now || review > until)) {
		log_error("--review %s must come after today and no later than --until", o->review);
		return EXIT_USAGE;
	}
	if (o->not_affected && !exc_justification_valid(o->not_affected)) {
		log_error("--not-affected: '%s' is not an OpenVEX justification (see --help)", o->not_affected);
		return EXIT_USAGE;
	}
	if (!controls_ok(o->controls, o->n_controls))
		return EXIT_USAGE;
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	int r = load(o, &l, &reg);
	if (r != 0)
		return r == 1 ? EXIT_FINDING : EXIT_USAGE;
	char id[EXC_ID_MAX], ut[TIME_STRLEN], rt[TIME_STRLEN];
	register_next_id(reg, id);
	register_free(reg);
	ledger_free(l);
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "scope",
			      o->host ? "host" : o->advisory ? "advisory" : "package", "exception_kind",
			      o->not_affected ? "not-affected" : "accept", "reason", o->reason, "owner", o->owner, "until",
			      time_format_rfc3339(until * 1000000, ut));
	if (!f)
		return EXIT_USAGE;
	if (o->advisory)
		json_object_set_new(f, "advisory", json_string(o->advisory));
	if (o->package)
		json_object_set_new(f, "package", json_string(o->package));
	if (o->not_affected)
		json_object_set_new(f, "justification", json_string(o->not_affected));
	if (review)
		json_object_set_new(f, "review", json_string(time_format_rfc3339(review * 1000000, rt)));
	json_object_set_new(f, "controls", controls_json(o->controls, o->n_controls));
	char what[64];
	snprintf(what, sizeof(what), "exception %s added", id);
	return sign(o, "exception-add", f, what);
}

static const char *state_by_date(const struct exception *e, int64_t now)
{
	if (e->revoked)
		return "revoked";
	if (e->until_s <= now)
		return "EXPIRED";
	if (e->review_s && e->review_s <= now)
		return "review due";
	return e->n_controls ? "in force" : "in force (bare)";
}

static void target_text(FILE *f, const struct exception *e)
{
	if (e->scope == EXC_HOST) {
		fputs("host (freeze)", f);
		return;
	}
	if (e->advisory)
		escape_text(f, sv_cstr(e->advisory), 40);
	if (e->advisory && e->package)
		fputs(" on ", f);
	if (e->package)
		escape_text(f, sv_cstr(e->package), 60);
}

static void exception_json(FILE *f, const struct exception *e, const char *state)
{
	char u[16], rv[16];
	date_text(e->until_s, u);
	date_text(e->review_s, rv);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:s, s:s?, s:I}", "id", e->id,
			      "scope", exc_scope_name(e->scope), "kind", exc_kind_name(e->kind), "advisory", e->advisory,
			      "package", e->package, "justification", e->justification, "reason", e->reason, "owner",
			      e->owner, "until", u, "review", e->review_s ? rv : NULL, "state", state, "signed_by",
			      e->added_by, "ledger_entry", (json_int_t)e->seq);
	if (!o)
		return;
	json_object_set_new(o, "controls", controls_json((const char *const *)e->controls, e->n_controls));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (s)
		fprintf(f, "%s\n", s);
	free(s);
	json_decref(o);
}

static int do_list(struct eopts *o)
{
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	int r = load(o, &l, &reg);
	if (r != 0)
		return r == 1 ? EXIT_FINDING : EXIT_USAGE;
	if (!o->json)
		printf("%-5s %-34s %-16s %-10s %s\n", "ID", "ACCEPTED", "OWNER", "UNTIL", "STATE");
	for (size_t i = 0; i < reg->n; i++) {
		const struct exception *e = &reg->v[i];
		if (o->json) {
			exception_json(stdout, e, state_by_date(e, o->now));
			continue;
		}
		char u[16], buf[200] = "";
		date_text(e->until_s, u);
		printf("%-5s ", e->id);
		FILE *m = fmemopen(buf, sizeof(buf) - 1, "w");
		if (m) {
			target_text(m, e);
			fclose(m);
		}
		printf("%-34.34s ", buf);
		escape_text(stdout, sv_cstr(e->owner), 16);
		int pad = 16 - (int)MIN(strlen(e->owner ? e->owner : ""), (size_t)16);
		printf("%*s %-10s %s%s\n", pad, "", u, state_by_date(e, o->now),
		       e->kind == EXC_NOT_AFFECTED ? ", not affected" : "");
	}
	if (!o->json && reg->n == 0)
		puts("(no exceptions)");
	register_free(reg);
	ledger_free(l);
	return EXIT_DONE;
}

static int do_show(struct eopts *o, const char *id)
{
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	int r = load(o, &l, &reg);
	if (r != 0)
		return r == 1 ? EXIT_FINDING : EXIT_USAGE;
	const struct exception *e = register_find(reg, id);
	int ret = EXIT_DONE;
	if (!e) {
		log_error("no exception '%s' (see moat exception list)", id);
		ret = EXIT_USAGE;
		goto out;
	}
	char u[16], rv[16];
	date_text(e->until_s, u);
	date_text(e->review_s, rv);
	printf("exception %s (%s, %s): ", e->id, exc_scope_name(e->scope), state_by_date(e, o->now));
	target_text(stdout, e);
	fputs("\n  owner:    ", stdout);
	escape_text(stdout, sv_cstr(e->owner), 0);
	fputs("\n  reason:   ", stdout);
	escape_text(stdout, sv_cstr(e->reason), 0);
	printf("\n  until:    %s%s%s\n", u, e->review_s ? ", review " : "", e->review_s ? rv : "");
	if (e->kind == EXC_NOT_AFFECTED)
		printf("  judgement: not affected (%s)\n", e->justification ? e->justification : "?");
	if (!e->n_controls)
		puts("  controls: none (bare risk acceptance)");
	for (size_t i = 0; i < e->n_controls; i++)
		printf("  control %zu: %s\n", i + 1, e->controls[i]);
	puts("  history:");
	for (size_t i = 0; i < ledger_count(l); i++) {
		const struct ledger_entry *en = ledger_get(l, i);
		const char *eid = json_string_value(json_object_get(en->body, "id"));
		char t[TIME_DISPLAY_STRLEN], hash[LEDGER_HASH_HEX];
		if (!eid || strcasecmp(eid, e->id) != 0)
			continue;
		ledger_hex(en->hash, LEDGER_HASH_BYTES, hash);
		printf("    entry %" PRIu64 " %s %s by ", en->seq, time_format_display(en->time_s * 1000000, t), en->kind);
		escape_text(stdout, sv_cstr(en->by), 40);
		const char *why = json_string_value(json_object_get(en->body, "reason"));
		if (why && strcmp(en->kind, "exception-add") != 0) {
			fputs(": ", stdout);
			escape_text(stdout, sv_cstr(why), 200);
		}
		printf(" (%.16s…)\n", hash);
	}
out:
	register_free(reg);
	ledger_free(l);
	return ret;
}

static int do_change(struct eopts *o, const char *verb, const char *id)
{
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	int r = load(o, &l, &reg);
	if (r != 0)
		return r == 1 ? EXIT_FINDING : EXIT_USAGE;
	struct exception *e = register_find(reg, id);
	json_t *f = NULL;
	char what[96], t1[TIME_STRLEN], t2[TIME_STRLEN];
	int64_t until = 0, review = 0;
	int ret = EXIT_USAGE;
	if (!e || e->revoked) {
		log_error("no exception '%s' in force (see moat exception list)", id);
		goto out;
	}
	if (strcmp(verb, "renew") == 0) {
		if (!o->until || !parse_date("--until", o->until, &until) ||
		    (o->review && !parse_date("--review", o->review, &review)))
			goto out;
		if (until <= o->now || (review && (review <= o->now || review > until))) {
			log_error("renew: --until must be in the future, --review between now and --until");
			goto out;
		}
		f = json_pack("{s:s, s:s}", "id", e->id, "until", time_format_rfc3339(until * 1000000, t1));
		if (f && review)
			json_object_set_new(f, "review", json_string(time_format_rfc3339(review * 1000000, t2)));
		if (f && o->reason)
			json_object_set_new(f, "reason", json_string(o->reason));
		snprintf(what, sizeof(what), "exception %s renewed until %.10s", e->id, t1);
		ret = f ? sign(o, "exception-renew", f, what) : EXIT_USAGE;
	} else if (strcmp(verb, "revoke") == 0) {
		if (!o->reason || !*o->reason) {
			log_error("revoke: --reason is required");
			goto out;
		}
		f = json_pack("{s:s, s:s}", "id", e->id, "reason", o->reason);
		snprintf(what, sizeof(what), "exception %s revoked", e->id);
		ret = f ? sign(o, "exception-revoke", f, what) : EXIT_USAGE;
	} else { /* ack */
		if (o->control_index < 1 || (size_t)o->control_index > e->n_controls) {
			log_error("ack: --control N names one of the exception's %zu controls (1..%zu; see show)",
				  e->n_controls, e->n_controls);
			goto out;
		}
		if (!o->reason || !*o->reason || !o->until || !parse_date("--until", o->until, &until) ||
		    until <= o->now) {
			log_error("ack: --reason and a future --until are required");
			goto out;
		}
		f = json_pack("{s:s, s:I, s:s, s:s}", "id", e->id, "control", (json_int_t)o->control_index, "reason",
			      o->reason, "until", time_format_rfc3339(until * 1000000, t1));
		snprintf(what, sizeof(what), "exception %s: failure of control %ld acknowledged", e->id, o->control_index);
		ret = f ? sign(o, "control-ack", f, what) : EXIT_USAGE;
	}
out:
	register_free(reg);
	ledger_free(l);
	return ret;
}

/* The assessment (advisories optional) that verify and export judge exceptions against. */
static int assess(struct eopts *o, struct exposure_result **ret)
{
	struct exposure_opts eo = {
		.root = o->root,
		.feeds = o->feeds,
		.n_feeds = o->n_feeds,
		.db = o->db,
		.release = o->release,
		.now_s = o->now,
		.proc = o->proc,
		.advisories_optional = true,
	};
	char *err = NULL;
	int r = exposure_assess(&eo, ret, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
	}
	return r;
}

struct alert_out {
	struct output_opts oo;
	FILE *f;
};

static void emit_alert(void *ud, struct alert *a)
{
	struct alert_out *ao = ud;
	output_alert(ao->f, &ao->oo, a);
	alert_free(a);
}

static bool wanted(char **ids, size_t n, const char *id)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(ids[i], id) == 0)
			return true;
	return false;
}

static int do_verify(struct eopts *o, char **ids, size_t n_ids)
{
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	struct exposure_result *ex = NULL;
	struct exc_evaluation ev = { 0 };
	int r = load(o, &l, &reg);
	if (r != 0)
		return r == 1 ? EXIT_FINDING : EXIT_USAGE;
	int ret = EXIT_USAGE;
	for (size_t i = 0; i < n_ids; i++)
		if (!register_find(reg, ids[i])) {
			log_error("no exception '%s'", ids[i]);
			goto out;
		}
	if (assess(o, &ex) < 0)
		goto out;
	if (register_evaluate(reg, ex, o->proc, o->now, &ev) < 0) {
		log_error("out of memory");
		goto out;
	}
	ret = EXIT_DONE;
	struct exc_evaluation sel = ev;
	struct exc_eval *keep = calloc(ev.n ? ev.n : 1, sizeof(*keep));
	size_t nk = 0;
	if (!keep)
		goto out;
	for (size_t i = 0; i < ev.n; i++) {
		const struct exc_eval *x = &ev.v[i];
		const struct exception *e = x->e;
		if (!wanted(ids, n_ids, e->id))
			continue;
		keep[nk++] = *x;
		if (x->state == EXC_BROKEN || x->state == EXC_EXPIRED || x->state == EXC_REVIEW_DUE)
			ret = EXIT_FINDING;
		if (o->json) {
			json_t *c = json_array();
			for (size_t k = 0; c && k < e->n_controls; k++)
				json_array_append_new(c, json_pack("{s:s, s:s, s:b, s:s}", "control", e->controls[k], "state",
								   control_state_name(x->controls[k].state), "acknowledged",
								   x->controls[k].acknowledged, "why", x->controls[k].why));
			json_t *j = json_pack("{s:s, s:s, s:I, s:o}", "id", e->id, "state", exc_state_name(x->state),
					      "findings", (json_int_t)x->n_findings, "controls", c ? c : json_array());
			char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(j);
			continue;
		}
		char u[16];
		date_text(e->until_s, u);
		printf("%s ", e->id);
		target_text(stdout, e);
		fputs(": accepted by ", stdout);
		escape_text(stdout, sv_cstr(e->owner), 64);
		printf(" until %s — %s (%zu exposed finding%s)\n", u, exc_state_name(x->state), x->n_findings,
		       x->n_findings == 1 ? "" : "s");
		for (size_t k = 0; k < e->n_controls; k++) {
			const struct exc_control_result *cr = &x->controls[k];
			printf("  %s %s: ", cr->state == CONTROL_HOLDS ? "holds " : cr->state == CONTROL_BROKEN ? "BROKEN" : "UNKNOWN",
			       e->controls[k]);
			escape_text(stdout, sv_cstr(cr->why), 0);
			fputs(cr->acknowledged ? " (acknowledged)\n" : "\n", stdout);
		}
	}
	sel.v = keep;
	sel.n = nk;
	struct alert_out ao = { .oo = { .json = o->json, .color = false }, .f = o->json ? stdout : stderr };
	struct alert_sink sink = { emit_alert, &ao };
	(void)register_alerts(&sel, NULL, o->now, &sink);
	free(keep);
	if (!o->json && nk == 0)
		puts("(no exceptions in force)");
out:
	exc_evaluation_done(&ev);
	exposure_result_free(ex);
	register_free(reg);
	ledger_free(l);
	return ret;
}

static int do_export(struct eopts *o)
{
	struct ledger *l = NULL;
	struct exc_register *reg = NULL;
	struct exposure_result *ex = NULL;
	int r = load(o, &l, &reg);
	if (r != 0)
		return r == 1 ? EXIT_FINDING : EXIT_USAGE;
	int ret = EXIT_USAGE;
	bool need = false;
	for (size_t i = 0; i < reg->n; i++)
		need |= !reg->v[i].revoked && reg->v[i].scope != EXC_ADVISORY;
	if (need) {
		o->root = o->root ? o->root : "/";
		if (assess(o, &ex) < 0)
			goto out;
	}
	char head[LEDGER_HASH_HEX], id[128], author[128];
	ledger_head_hex(l, head);
	snprintf(id, sizeof(id), "urn:moat:ledger:%s", head);
	snprintf(author, sizeof(author), "moat exception register (ledger head %.16s)", head);
	char *doc = NULL;
	size_t left = 0;
	r = openvex_export(reg, ex, author, id, o->now, &doc, &left);
	if (r == -ENODATA) {
		log_error("nothing to export: no exception in force names an advisory%s",
			  left ? " (package and host exceptions cover no exposed finding)" : "");
		goto out;
	}
	if (r < 0) {
		log_error("out of memory");
		goto out;
	}
	if (left)
		log_warning("%zu package or host exception%s cover no exposed finding: left out", left, left == 1 ? "" : "s");
	if (o->output) {
		char *err = NULL;
		r = trail_write_file(o->output, doc, strlen(doc), 0644, &err);
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			free(err);
			free(doc);
			goto out;
		}
	} else {
		printf("%s\n", doc);
	}
	free(doc);
	ret = EXIT_DONE;
out:
	exposure_result_free(ex);
	register_free(reg);
	ledger_free(l);
	return ret;
}

static int do_import(struct eopts *o, const char *file)
{
	char *buf = NULL, *err = NULL, **notes = NULL;
	size_t len, n = 0, nn = 0;
	struct vex_proposal *v = NULL;
	int r = fs_read_regular(AT_FDCWD, file, 0, 64u << 20, &buf, &len);
	if (r < 0) {
		log_error("%s: %s", file, rootfs_strerror(r));
		return EXIT_USAGE;
	}
	r = openvex_import(buf, len, &v, &n, &notes, &nn, &err);
	free(buf);
	if (r < 0) {
		log_error("%s: %s", file, err ? err : strerror(-r));
		free(err);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < nn; i++) {
		fputs("moat: notice: ", stderr);
		escape_text(stderr, sv_cstr(notes[i]), 200);
		fputc('\n', stderr);
		free(notes[i]);
	}
	free(notes);
	int64_t until_default = 0;
	int ret = EXIT_DONE;
	if (o->until && !parse_date("--until", o->until, &until_default)) {
		vex_proposals_free(v, n);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n && ret == EXIT_DONE; i++) {
		struct vex_proposal *p = &v[i];
		int64_t until = p->until_s ? p->until_s : until_default;
		const char *owner = p->owner ? p->owner : o->owner;
		char u[16] = "?";
		if (until)
			date_text(until, u);
		if (o->json) {
			json_t *j = json_pack("{s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "advisory", p->advisory, "package",
					      p->package, "kind", exc_kind_name(p->kind), "justification", p->justification,
					      "reason", p->reason, "owner", owner, "until", until ? u : NULL, "review", NULL);
			if (j && p->review_s) {
				char rv[16];
				date_text(p->review_s, rv);
				json_object_set_new(j, "review", json_string(rv));
			}
			if (j)
				json_object_set_new(j, "controls",
						    controls_json((const char *const *)p->controls, p->n_controls));
			char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(j);
		} else {
			printf("proposed: %s ", exc_kind_name(p->kind));
			escape_text(stdout, sv_cstr(p->advisory), 64);
			if (p->package) {
				fputs(" on ", stdout);
				escape_text(stdout, sv_cstr(p->package), 64);
			}
			fputs(" owner ", stdout);
			escape_text(stdout, sv_cstr(owner ? owner : "?"), 64);
			printf(" until %s, %zu control%s: ", u, p->n_controls, p->n_controls == 1 ? "" : "s");
			escape_text(stdout, sv_cstr(p->reason ? p->reason : "(no reason)"), 200);
			fputc('\n', stdout);
		}
		if (!o->accept)
			continue;
		/* signing: the same checks as add */
		struct eopts a = *o;
		a.advisory = p->advisory;
		a.package = p->package;
		a.host = false;
		a.reason = p->reason;
		a.owner = owner;
		char ut[TIME_STRLEN], rt[TIME_STRLEN];
		a.until = until ? time_format_rfc3339(until * 1000000, ut) : NULL;
		a.review = p->review_s ? time_format_rfc3339(p->review_s * 1000000, rt) : NULL;
		a.not_affected = p->kind == EXC_NOT_AFFECTED ? (p->justification ? p->justification : "") : NULL;
		a.n_controls = p->n_controls;
		for (size_t k = 0; k < p->n_controls; k++)
			a.controls[k] = p->controls[k];
		ret = do_add(&a);
		if (a.ledger_alloc != o->ledger_alloc)
			free(a.ledger_alloc);
	}
	if (!o->accept && n)
		fprintf(stderr, "moat: %zu proposed exception%s: nothing is in force until you sign %s with --accept\n", n,
			n == 1 ? "" : "s", n == 1 ? "it" : "them");
	vex_proposals_free(v, n);
	return ret;
}

int cmd_exception(int argc, char **argv)
{
	enum {
		O_LEDGER = 256,
		O_KEY,
		O_ADVISORY,
		O_PACKAGE,
		O_HOST,
		O_REASON,
		O_OWNER,
		O_UNTIL,
		O_REVIEW,
		O_CONTROL,
		O_NOT_AFFECTED,
		O_JSON,
		O_ROOT,
		O_PROC,
		O_FEED,
		O_DB,
		O_RELEASE,
		O_OUTPUT,
		O_ACCEPT,
	};
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, O_LEDGER },
		{ "key", required_argument, NULL, O_KEY },
		{ "advisory", required_argument, NULL, O_ADVISORY },
		{ "package", required_argument, NULL, O_PACKAGE },
		{ "host", no_argument, NULL, O_HOST },
		{ "reason", required_argument, NULL, O_REASON },
		{ "owner", required_argument, NULL, O_OWNER },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "review", required_argument, NULL, O_REVIEW },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "not-affected", required_argument, NULL, O_NOT_AFFECTED },
		{ "json", no_argument, NULL, O_JSON },
		{ "root", required_argument, NULL, O_ROOT },
		{ "proc", required_argument, NULL, O_PROC },
		{ "feed", required_argument, NULL, O_FEED },
		{ "db", required_argument, NULL, O_DB },
		{ "release", required_argument, NULL, O_RELEASE },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "accept", no_argument, NULL, O_ACCEPT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct eopts o = { .control_index = 0 };
	int c, ret = EXIT_USAGE;
	struct cli cl;
	cli_init(&cl, "exception", usage, 0, "", options, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_LEDGER:
			o.ledger = optarg;
			break;
		case O_KEY:
			o.key = optarg;
			break;
		case O_ADVISORY:
			o.advisory = optarg;
			break;
		case O_PACKAGE:
			o.package = optarg;
			break;
		case O_HOST:
			o.host = true;
			break;
		case O_REASON:
			o.reason = optarg;
			break;
		case O_OWNER:
			o.owner = optarg;
			break;
		case O_UNTIL:
			o.until = optarg;
			break;
		case O_REVIEW:
			o.review = optarg;
			break;
		case O_CONTROL: {
			/* add: a clause; ack: the control's number */
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (end && *end == '\0' && end != optarg) {
				o.control_index = v;
				break;
			}
			if (o.n_controls == EXC_CONTROLS_MAX) {
				log_error("--control: at most %d", EXC_CONTROLS_MAX);
				return EXIT_USAGE;
			}
			o.controls[o.n_controls++] = optarg;
			break;
		}
		case O_NOT_AFFECTED:
			o.not_affected = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_ROOT:
			o.root = optarg;
			break;
		case O_PROC:
			o.proc = optarg;
			break;
		case O_FEED:
			if (o.n_feeds == ELEMENTSOF(o.feeds)) {
				log_error("--feed: at most %zu", ELEMENTSOF(o.feeds));
				return EXIT_USAGE;
			}
			o.feeds[o.n_feeds++] = optarg;
			break;
		case O_DB:
			o.db = optarg;
			break;
		case O_RELEASE:
			o.release = optarg;
			break;
		case O_OUTPUT:
			o.output = optarg;
			break;
		case O_ACCEPT:
			o.accept = true;
			break;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	o.now = exc_now();
	if (o.now < 0) {
		log_error("$MOAT_NOW is not a date");
		return EXIT_USAGE;
	}
	o.heads = state_path("ledger-heads");
	const char *verb = argv[optind];
	int rest = argc - optind - 1;
	char **rv = argv + optind + 1;
	if (strcmp(verb, "add") == 0 && rest == 0)
		ret = do_add(&o);
	else if (strcmp(verb, "list") == 0 && rest == 0)
		ret = do_list(&o);
	else if (strcmp(verb, "show") == 0 && rest == 1)
		ret = do_show(&o, rv[0]);
	else if ((strcmp(verb, "renew") == 0 || strcmp(verb, "revoke") == 0 || strcmp(verb, "ack") == 0) && rest == 1)
		ret = do_change(&o, verb, rv[0]);
	else if (strcmp(verb, "verify") == 0)
		ret = do_verify(&o, rv, (size_t)rest);
	else if (strcmp(verb, "export") == 0 && rest == 0)
		ret = do_export(&o);
	else if (strcmp(verb, "import") == 0 && rest == 1)
		ret = do_import(&o, rv[0]);
	else
		log_error("exception: unknown or incomplete command '%s' (see moat exception --help)", verb);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write the output: %s", strerror(errno));
		ret = EXIT_USAGE;
	}
	free(o.ledger_alloc);
	free(o.heads);
	return ret;
}
