/*
 * Detector configuration: built-in defaults (equal to rules/moat.yaml),
 * then a YAML file mapped onto a typed key table {path, type, offset, min,
 * max}. Unknown keys, wrong types and out-of-range values are errors that
 * name file:line:col (libyaml marks are 0-based; we print 1-based).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/addr.h"
#include "core/allowlist.h"
#include "core/escape.h"
#include "core/macro.h"
#include "core/strview.h"
#include "detect/config.h"
#include "detect/detect.h"

enum ktype { K_BOOL, K_UINT, K_DURATION, K_GROUPS, K_NETS, K_ACCOUNTS };

struct key {
	const char *path;
	enum ktype type;
	size_t off;
	uint32_t min, max;
};

#define MIN_S 60u
#define HOUR_S 3600u
#define DAY_S 86400u

#define B(path, field) { path, K_BOOL, offsetof(struct detect_config, field), 0, 1 }
#define U(path, field, lo, hi) { path, K_UINT, offsetof(struct detect_config, field), lo, hi }
#define D(path, field, lo, hi) { path, K_DURATION, offsetof(struct detect_config, field), lo, hi }

/* The order here is the order of the dump. */
static const struct key keys[] = {
	U("limits.max_sources", max_sources, 16, 16u << 20),
	U("limits.max_accounts", max_accounts, 16, 16u << 20),
	U("limits.max_baselines", max_baselines, 16, 1u << 20),
	U("limits.max_hosts", max_hosts, 1, 65535),
	U("limits.max_names_per_source", max_names_per_source, 1, 1024),
	U("limits.max_sources_per_account", max_sources_per_account, 1, 1024),

	B("brute_force.enabled", bf_enabled),
	D("brute_force.window", bf_window, 1, DAY_S),
	U("brute_force.threshold", bf_threshold, 1, 1000000),
	U("brute_force.high", bf_high, 1, 100000000),
	U("brute_force.mistypes_forgiven", bf_forgive, 0, 100),

	B("slow_brute_force.enabled", slow_enabled),
	D("slow_brute_force.window", slow_window, HOUR_S, 7 * DAY_S),
	U("slow_brute_force.threshold", slow_threshold, 1, 1000000),
	U("slow_brute_force.min_hours", slow_min_hours, 1, 168),

	B("password_spray.enabled", spray_enabled),
	D("password_spray.window", spray_window, 1, DAY_S),
	U("password_spray.min_users", spray_min_users, 2, 100000),
	U("password_spray.high_users", spray_high_users, 2, 1000000),
	U("password_spray.max_tries_per_user", spray_max_tries, 1, 1000),

	B("distributed.enabled", dist_enabled),
	D("distributed.window", dist_window, 1, DAY_S),
	U("distributed.min_sources", dist_min_sources, 2, 1024),
	U("distributed.high_sources", dist_high_sources, 2, 1000000),

	B("login_after_failures.enabled", after_enabled),
	D("login_after_failures.window", after_window, 1, DAY_S),
	U("login_after_failures.min_failures", after_min_failures, 1, 1000000),

	B("unusual_login.enabled", ul_enabled),
	U("unusual_login.min_logins", ul_min_logins, 1, 100000),
	U("unusual_login.min_days", ul_min_days, 1, 3650),
	U("unusual_login.ipv4_prefix", ul_v4_prefix, 8, 32),
	U("unusual_login.ipv6_prefix", ul_v6_prefix, 16, 128),
	U("unusual_login.hour_tolerance", ul_hour_tolerance, 0, 11),
	U("unusual_login.max_networks", ul_max_networks, 1, 256),
	U("unusual_login.max_keys", ul_max_keys, 1, 256),
	B("unusual_login.check_network", ul_network),
	B("unusual_login.check_hour", ul_hour),
	B("unusual_login.check_method", ul_method),
	B("unusual_login.check_key", ul_key),

	B("privilege_escalation.enabled", pe_enabled),
	D("privilege_escalation.window", pe_window, 1, DAY_S),
	U("privilege_escalation.min_failures", pe_min_failures, 1, 100000),
	U("privilege_escalation.min_refused", pe_min_refused, 1, 100000),
	U("privilege_escalation.high", pe_high, 1, 1000000),
	U("privilege_escalation.mistypes_forgiven", pe_forgive, 0, 100),

	B("account_change.enabled", ac_enabled),
	{ "account_change.privileged_groups", K_GROUPS, 0, 0, CFG_GROUPS_MAX },

	B("correlation.enabled", corr_enabled),
	D("correlation.window", corr_window, 1, DAY_S),

	/* the allow-list: dumped by dump_allowlist, not in this order */
	{ "allowlist.addresses", K_NETS, 0, 0, 0 },
	{ "allowlist.networks", K_NETS, 0, 0, 0 }, /* the same list */
	{ "allowlist.ignoreip", K_NETS, 0, 0, 0 }, /* fail2ban's name */
	{ "allowlist.accounts", K_ACCOUNTS, 0, 0, 0 },
	{ "ignoreip", K_NETS, 0, 0, 0 }, /* fail2ban's, at the top level */
};

static const char *const default_groups[] = { "sudo", "wheel", "adm", "docker", "lxd", "disk", "shadow", "root" };

static void config_defaults(struct detect_config *c)
{
	*c = (struct detect_config){
		.max_sources = 262144,
		.max_accounts = 65536,
		.max_baselines = 16384,
		.max_hosts = 4096,
		.max_names_per_source = 64,
		.max_sources_per_account = 64,

		.bf_enabled = true,
		.bf_window = 10 * MIN_S,
		.bf_threshold = 10,
		.bf_high = 100,
		.bf_forgive = 2,

		.slow_enabled = true,
		.slow_window = 72 * HOUR_S,
		.slow_threshold = 30,
		.slow_min_hours = 6,

		.spray_enabled = true,
		.spray_window = HOUR_S,
		.spray_min_users = 5,
		.spray_high_users = 50,
		.spray_max_tries = 3,

		.dist_enabled = true,
		.dist_window = HOUR_S,
		.dist_min_sources = 10,
		.dist_high_sources = 50,

		.after_enabled = true,
		.after_window = HOUR_S,
		.after_min_failures = 3,

		.ul_enabled = true,
		.ul_min_logins = 5,
		.ul_min_days = 2,
		.ul_v4_prefix = 24,
		.ul_v6_prefix = 48,
		.ul_hour_tolerance = 1,
		.ul_max_networks = 16,
		.ul_max_keys = 8,
		.ul_network = true,
		.ul_hour = true,
		.ul_method = true,
		.ul_key = true,

		.pe_enabled = true,
		.pe_window = 10 * MIN_S,
		.pe_min_failures = 3,
		.pe_min_refused = 1,
		.pe_high = 10,
		.pe_forgive = 3,

		.ac_enabled = true,

		.corr_enabled = true,
		.corr_window = 30 * MIN_S,
	};
	for (size_t i = 0; i < ELEMENTSOF(default_groups); i++)
		snprintf(c->groups[c->n_groups++], CFG_GROUP_LEN, "%s", default_groups[i]);
}

/* ---- values ---- */

static void fmt_dur(char *buf, size_t n, uint32_t s)
{
	if (s && s % DAY_S == 0)
		snprintf(buf, n, "%ud", s / DAY_S);
	else if (s && s % HOUR_S == 0)
		snprintf(buf, n, "%uh", s / HOUR_S);
	else if (s && s % MIN_S == 0)
		snprintf(buf, n, "%um", s / MIN_S);
	else
		snprintf(buf, n, "%us", s);
}

static int parse_bool(struct sv v, bool *ret)
{
	static const char *const t[] = { "true", "yes", "on" }, *const f[] = { "false", "no", "off" };
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		if (sv_eq(v, t[i])) {
			*ret = true;
			return 0;
		}
		if (sv_eq(v, f[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* "90", "90s", "10m", "72h", "3d" -> seconds */
static int parse_duration(struct sv v, uint64_t *ret)
{
	uint64_t mul = 1;
	unsigned long long x;
	if (v.n && (v.p[v.n - 1] < '0' || v.p[v.n - 1] > '9')) {
		switch (v.p[v.n - 1]) {
		case 's':
			mul = 1;
			break;
		case 'm':
			mul = MIN_S;
			break;
		case 'h':
			mul = HOUR_S;
			break;
		case 'd':
			mul = DAY_S;
			break;
		default:
			return -EINVAL;
		}
		v = sv_cut(v, 1);
	}
	if (sv_to_u64(v, UINT32_MAX, &x) < 0)
		return -EINVAL;
	*ret = x * mul;
	return 0;
}

static bool group_name_ok(struct sv v)
{
	if (v.n == 0 || v.n >= CFG_GROUP_LEN)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char ch = v.p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

/* ---- YAML walk ---- */

/* A configuration file larger than this is refused, not read to its end. */
#define CONFIG_MAX_BYTES (1u << 20)

struct parser {
	yaml_parser_t y;
	const char *name;
	FILE *f;
	size_t left; /* bytes f may still give before CONFIG_MAX_BYTES */
	bool too_big;
	struct detect_config *c;
	char *err;
	/* the text read so far (for the comment after an allow-list entry) */
	const char *text;
	size_t text_n;
	size_t at_char, at_byte; /* the last character index turned into a byte offset */
	char *copy; /* text read from f */
	size_t copy_cap;
};

static int perr(struct parser *p, const yaml_mark_t *m, const char *fmt, ...) _printf_(3, 4);
static int perr(struct parser *p, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	if (p->err)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (asprintf(&p->err, "%s:%zu:%zu: %s", p->name, m->line + 1, m->column + 1, msg ? msg : "error") < 0)
		p->err = NULL;
	free(msg);
	return -EINVAL;
}

static int next(struct parser *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->y, ev)) {
		yaml_mark_t m = p->y.problem_mark;
		/* libyaml leaves problem_mark zero for undecodable bytes; name the offset */
		if (p->y.error == YAML_READER_ERROR) {
			if (p->too_big) {
				if (!p->err && asprintf(&p->err, "%s: larger than %u bytes", p->name, CONFIG_MAX_BYTES) < 0)
					p->err = NULL;
				return -EFBIG;
			}
			if (!p->err && asprintf(&p->err, "%s: byte %zu: %s", p->name, p->y.problem_offset,
						p->y.problem ? p->y.problem : "unreadable input") < 0)
				p->err = NULL;
			return -EINVAL;
		}
		return perr(p, &m, "%s", p->y.problem ? p->y.problem : "YAML syntax error");
	}
	return 0;
}

static const struct key *find_key(const char *path)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

static bool is_section(const char *path)
{
	size_t n = strlen(path);
	if (n == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.')
			return true;
	return false;
}

static bool is_null(const yaml_event_t *ev);
static int add_entries(struct parser *p, const struct key *k, const yaml_event_t *ev, const char *why);

static int set_scalar(struct parser *p, const struct key *k, const yaml_event_t *ev)
{
	struct sv v = sv_make((const char *)ev->data.scalar.value, ev->data.scalar.length);
	char lo[24], hi[24];
	uint64_t x;
	bool b;

	switch (k->type) {
	case K_BOOL:
		if (parse_bool(v, &b) < 0)
			return perr(p, &ev->start_mark, "%s: expected true or false, not '%.*s'", k->path,
				    (int)MIN(v.n, 40), v.p);
		*(bool *)((char *)p->c + k->off) = b;
		return 0;
	case K_UINT: {
		unsigned long long u;
		if (sv_to_u64(v, UINT64_MAX, &u) < 0)
			return perr(p, &ev->start_mark, "%s: expected a whole number, not '%.*s'", k->path,
				    (int)MIN(v.n, 40), v.p);
		if (u < k->min || u > k->max)
			return perr(p, &ev->start_mark, "%s: %llu is out of range (%u..%u)", k->path, u, k->min,
				    k->max);
		*(uint32_t *)((char *)p->c + k->off) = (uint32_t)u;
		return 0;
	}
	case K_DURATION:
		if (parse_duration(v, &x) < 0)
			return perr(p, &ev->start_mark,
				    "%s: expected a duration (seconds, or a number with s, m, h or d), not '%.*s'",
				    k->path, (int)MIN(v.n, 40), v.p);
		if (x < k->min || x > k->max) {
			fmt_dur(lo, sizeof(lo), k->min);
			fmt_dur(hi, sizeof(hi), k->max);
			return perr(p, &ev->start_mark, "%s: %.*s is out of range (%s..%s)", k->path,
				    (int)MIN(v.n, 40), v.p, lo, hi);
		}
		*(uint32_t *)((char *)p->c + k->off) = (uint32_t)x;
		return 0;
	case K_GROUPS:
		return perr(p, &ev->start_mark, "%s: expected a list of group names", k->path);
	case K_NETS:
	case K_ACCOUNTS:
		if (is_null(ev))
			return 0; /* "ignoreip:" with nothing after it */
		return add_entries(p, k, ev, NULL);
	}
	return -EINVAL;
}

/* ---- the allow-list ---- */

/* The comment that ends the line where a scalar ends ("- 10.0.0.0/8  #
 * office VPN"), trimmed; NULL when none. Caller frees. YAML drops
 * comments: they are read back from the text. */
/* The byte offset of character index ci of the text: libyaml's marks count
 * characters, not bytes (a "…" earlier in the file is one). Marks come in
 * order, so the walk goes on from the last one asked. */
static size_t byte_at(struct parser *p, size_t ci)
{
	if (ci < p->at_char)
		p->at_char = p->at_byte = 0;
	while (p->at_char < ci && p->at_byte < p->text_n) {
		p->at_byte++;
		while (p->at_byte < p->text_n && ((unsigned char)p->text[p->at_byte] & 0xc0) == 0x80)
			p->at_byte++;
		p->at_char++;
	}
	return p->at_char == ci ? p->at_byte : p->text_n + 1;
}

static char *trailing_comment(struct parser *p, const yaml_mark_t *end)
{
	size_t i = byte_at(p, end->index), e;
	if (i > p->text_n)
		return NULL;
	while (i < p->text_n && (p->text[i] == ' ' || p->text[i] == '\t'))
		i++;
	/* a flow sequence's "," or "]" may come first: one of them, then blanks */
	if (i < p->text_n && (p->text[i] == ',' || p->text[i] == ']' || p->text[i] == '}'))
		return NULL;
	if (i >= p->text_n || p->text[i] != '#')
		return NULL;
	i++;
	while (i < p->text_n && (p->text[i] == ' ' || p->text[i] == '\t'))
		i++;
	for (e = i; e < p->text_n && p->text[e] != '\n' && p->text[e] != '\r'; e++)
		;
	while (e > i && (p->text[e - 1] == ' ' || p->text[e - 1] == '\t'))
		e--;
	return e > i ? strndup(p->text + i, MIN(e - i, (size_t)ALLOWLIST_WHY_MAX)) : NULL;
}

/* One scalar of a K_NETS or K_ACCOUNTS key: entries separated by blanks or
 * commas (fail2ban's ignoreip), each with why (or the line's comment). */
static int add_entries(struct parser *p, const struct key *k, const yaml_event_t *ev, const char *why)
{
	struct sv v = sv_make((const char *)ev->data.scalar.value, ev->data.scalar.length);
	_cleanup_free_ char *comment = why ? NULL : trailing_comment(p, &ev->end_mark);
	char where[PATH_MAX + 32];
	size_t i = 0, n = 0;
	int r;

	(void)snprintf(where, sizeof(where), "%s:%zu", p->name, ev->start_mark.line + 1);
	while (i < v.n) {
		size_t j;
		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ',' || v.p[i] == '\n'))
			i++;
		for (j = i; j < v.n && v.p[j] != ' ' && v.p[j] != '\t' && v.p[j] != ',' && v.p[j] != '\n'; j++)
			;
		if (j == i)
			break;
		char *msg = NULL;
		if (k->type == K_NETS)
			r = allowlist_add_net(&p->c->allow, sv_make(v.p + i, j - i), why ? why : comment, where, &msg);
		else
			r = allowlist_add_account(&p->c->allow, sv_make(v.p + i, j - i), why ? why : comment, where, &msg);
		if (r < 0) {
			/* msg begins with where: said again with the column */
			size_t skip = strlen(where) + 2;
			r = perr(p, &ev->start_mark, "%s: %s", k->path,
				 msg && strlen(msg) > skip ? msg + skip : strerror(-r));
			free(msg);
			return r;
		}
		n++;
		i = j;
	}
	if (n == 0)
		return perr(p, &ev->start_mark, "%s: an empty entry", k->path);
	return 0;
}

/* { address: X, why: Y } (accounts: { name: X, why: Y }). */
static int add_entry_mapping(struct parser *p, const struct key *k, const yaml_event_t *start)
{
	const char *value_key = k->type == K_NETS ? "address" : "name";
	yaml_event_t kev, vev, value = { 0 };
	_cleanup_free_ char *why = NULL;
	bool have_value = false;
	int r = 0;

	for (;;) {
		if ((r = next(p, &kev)) < 0)
			goto out;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		struct sv kn = kev.type == YAML_SCALAR_EVENT ? sv_make((const char *)kev.data.scalar.value,
								       kev.data.scalar.length)
							     : sv_cstr("");
		bool is_value = sv_eq(kn, value_key) || (k->type == K_NETS && sv_eq(kn, "network")),
		     is_why = sv_eq(kn, "why");
		if (!is_value && !is_why) {
			r = perr(p, &kev.start_mark, "%s: unknown key '%.*s' in an entry (%s and why)", k->path,
				 (int)MIN(kn.n, (size_t)40), kn.p, value_key);
			yaml_event_delete(&kev);
			goto out;
		}
		yaml_event_delete(&kev);
		if ((r = next(p, &vev)) < 0)
			goto out;
		if (vev.type != YAML_SCALAR_EVENT) {
			r = perr(p, &vev.start_mark, "%s: %s takes a single value", k->path, is_why ? "why" : value_key);
			yaml_event_delete(&vev);
			goto out;
		}
		if (is_why) {
			free(why);
			why = strndup((const char *)vev.data.scalar.value,
				      MIN(vev.data.scalar.length, (size_t)ALLOWLIST_WHY_MAX));
			yaml_event_delete(&vev);
			if (!why) {
				r = -ENOMEM;
				goto out;
			}
		} else {
			if (have_value)
				yaml_event_delete(&value);
			value = vev;
			have_value = true;
		}
	}
	if (!have_value)
		r = perr(p, &start->start_mark, "%s: an entry without %s", k->path, value_key);
	else
		r = add_entries(p, k, &value, why && *why ? why : NULL);
out:
	if (have_value)
		yaml_event_delete(&value);
	return r;
}

/* A list of entries: scalars (each may hold several) or mappings. */
static int set_allow_list(struct parser *p, const struct key *k)
{
	yaml_event_t ev;
	int r;
	for (;;) {
		if ((r = next(p, &ev)) < 0)
			return r;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_SCALAR_EVENT)
			r = add_entries(p, k, &ev, NULL);
		else if (ev.type == YAML_MAPPING_START_EVENT)
			r = add_entry_mapping(p, k, &ev);
		else
			r = perr(p, &ev.start_mark, "%s: expected addresses, networks or { %s: …, why: … }", k->path,
				 k->type == K_NETS ? "address" : "name");
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
	}
}

static int set_groups(struct parser *p, const struct key *k)
{
	yaml_event_t ev;
	int r;
	p->c->n_groups = 0;
	for (;;) {
		if ((r = next(p, &ev)) < 0)
			return r;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			r = perr(p, &ev.start_mark, "%s: expected a list of group names", k->path);
		} else {
			struct sv v = sv_make((const char *)ev.data.scalar.value, ev.data.scalar.length);
			if (!group_name_ok(v))
				r = perr(p, &ev.start_mark, "%s: '%.*s' is not a group name", k->path,
					 (int)MIN(v.n, 40), v.p);
			else if (p->c->n_groups >= CFG_GROUPS_MAX)
				r = perr(p, &ev.start_mark, "%s: more than %u groups", k->path, CFG_GROUPS_MAX);
			else
				snprintf(p->c->groups[p->c->n_groups++], CFG_GROUP_LEN, "%.*s", (int)v.n, v.p);
		}
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
	}
}

static bool is_null(const yaml_event_t *ev)
{
	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	struct sv v = sv_make((const char *)ev->data.scalar.value, ev->data.scalar.length);
	return v.n == 0 || sv_eq(v, "~") || sv_eq(v, "null");
}

static int parse_node(struct parser *p, yaml_event_t *ev, const char *path, int depth);

static int parse_mapping(struct parser *p, const char *path, int depth)
{
	yaml_event_t kev, vev;
	char sub[128];
	int r;

	for (;;) {
		if ((r = next(p, &kev)) < 0)
			return r;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return 0;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			r = perr(p, &kev.start_mark, "expected a key");
			yaml_event_delete(&kev);
			return r;
		}
		struct sv k = sv_make((const char *)kev.data.scalar.value, kev.data.scalar.length);
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%.*s", path, *path ? "." : "", (int)k.n, k.p) >=
			    sizeof(sub) ||
		    memchr(k.p, '.', k.n) || (!find_key(sub) && !is_section(sub))) {
			r = perr(p, &kev.start_mark, "unknown key '%s%s%.*s'", path, *path ? "." : "",
				 (int)MIN(k.n, 60), k.p);
			yaml_event_delete(&kev);
			return r;
		}
		yaml_event_delete(&kev);
		if ((r = next(p, &vev)) < 0)
			return r;
		r = parse_node(p, &vev, sub, depth + 1);
		yaml_event_delete(&vev);
		if (r < 0)
			return r;
	}
}

/* ev is the first event of the node (its owner deletes it). */
static int parse_node(struct parser *p, yaml_event_t *ev, const char *path, int depth)
{
	const struct key *k = find_key(path);

	if (depth > 8)
		return perr(p, &ev->start_mark, "nested too deeply");
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		if (k && (k->type == K_NETS || k->type == K_ACCOUNTS))
			return add_entry_mapping(p, k, ev);
		if (k)
			return perr(p, &ev->start_mark, "%s: expected a value, not a mapping", path);
		return parse_mapping(p, path, depth);
	case YAML_SEQUENCE_START_EVENT:
		if (k && (k->type == K_NETS || k->type == K_ACCOUNTS))
			return set_allow_list(p, k);
		if (!k || k->type != K_GROUPS)
			return perr(p, &ev->start_mark, "%s: a list is not expected here", *path ? path : "top level");
		return set_groups(p, k);
	case YAML_SCALAR_EVENT:
		if (!k) {
			if (is_null(ev))
				return 0; /* an empty section */
			return perr(p, &ev->start_mark, "%s: expected a mapping of settings", *path ? path : "top level");
		}
		return set_scalar(p, k, ev);
	case YAML_ALIAS_EVENT:
		return perr(p, &ev->start_mark, "aliases are not supported");
	default:
		return perr(p, &ev->start_mark, "unexpected YAML");
	}
}

static int parse_stream(struct parser *p)
{
	yaml_event_t ev;
	int r, docs = 0;

	for (;;) {
		if ((r = next(p, &ev)) < 0)
			return r;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				r = perr(p, &ev.start_mark, "only one YAML document is allowed");
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		default:
			r = parse_node(p, &ev, "", 0);
			break;
		}
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
	}
}

static int validate(struct parser *p)
{
	static const yaml_mark_t none = { 0 };
	struct detect_config *c = p->c;
	if (c->bf_high < c->bf_threshold)
		return perr(p, &none, "brute_force.high (%u) is below brute_force.threshold (%u)", c->bf_high,
			    c->bf_threshold);
	if (c->spray_high_users < c->spray_min_users)
		return perr(p, &none, "password_spray.high_users (%u) is below password_spray.min_users (%u)",
			    c->spray_high_users, c->spray_min_users);
	if (c->dist_high_sources < c->dist_min_sources)
		return perr(p, &none, "distributed.high_sources (%u) is below distributed.min_sources (%u)",
			    c->dist_high_sources, c->dist_min_sources);
	if (c->spray_high_users > c->max_names_per_source)
		return perr(p, &none,
			    "password_spray.high_users (%u) is above limits.max_names_per_source (%u): it could never be "
			    "reached",
			    c->spray_high_users, c->max_names_per_source);
	if (c->dist_high_sources > c->max_sources_per_account)
		return perr(p, &none,
			    "distributed.high_sources (%u) is above limits.max_sources_per_account (%u): it could never be "
			    "reached",
			    c->dist_high_sources, c->max_sources_per_account);
	if (c->slow_min_hours > c->slow_window / HOUR_S)
		return perr(p, &none, "slow_brute_force.min_hours (%u) does not fit in slow_brute_force.window",
			    c->slow_min_hours);
	return 0;
}

/* libyaml read handler: the file, cut off at CONFIG_MAX_BYTES. */
static int read_capped(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct parser *p = data;
	*size_read = fread(buf, 1, MIN(size, p->left + 1), p->f);
	if (*size_read > p->left) {
		p->too_big = true;
		return 0;
	}
	p->left -= *size_read;
	/* kept for trailing_comment (at most CONFIG_MAX_BYTES) */
	if (p->text_n + *size_read > p->copy_cap) {
		size_t cap = MAX(p->copy_cap * 2, p->text_n + *size_read + 4096);
		char *c = realloc(p->copy, cap);
		if (!c)
			return 0;
		p->copy = c;
		p->copy_cap = cap;
	}
	memcpy(p->copy + p->text_n, buf, *size_read);
	p->text_n += *size_read;
	p->text = p->copy;
	return !ferror(p->f);
}

static int load(const char *name, FILE *f, const char *text, size_t len, struct detect_config **ret, char **ret_err)
{
	struct parser p = { .name = name, .f = f, .left = CONFIG_MAX_BYTES };
	int r;

	p.c = calloc(1, sizeof(*p.c));
	if (!p.c)
		return -ENOMEM;
	config_defaults(p.c);
	if (!yaml_parser_initialize(&p.y)) {
		free(p.c);
		return -ENOMEM;
	}
	if (f) {
		yaml_parser_set_input(&p.y, read_capped, &p);
	} else {
		yaml_parser_set_input_string(&p.y, (const unsigned char *)text, len);
		p.text = text;
		p.text_n = len;
	}
	r = parse_stream(&p);
	if (r >= 0)
		r = validate(&p);
	if (r >= 0 && allowlist_seal(&p.c->allow) < 0)
		r = -ENOMEM;
	yaml_parser_delete(&p.y);
	free(p.copy);
	if (r < 0) {
		allowlist_done(&p.c->allow);
		free(p.c);
		if (ret_err)
			*ret_err = p.err ? p.err : strdup("invalid configuration");
		else
			free(p.err);
		return r;
	}
	*ret = p.c;
	return 0;
}

int detect_config_load(const char *path, struct detect_config **ret, char **ret_err)
{
	FILE *f;
	int r;

	if (!path)
		return load("(defaults)", NULL, "", 0, ret, ret_err);
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		if (ret_err && asprintf(ret_err, "%s: %s", path, strerror(-r)) < 0)
			*ret_err = NULL;
		return r;
	}
	r = load(path, f, NULL, 0, ret, ret_err);
	fclose(f);
	return r;
}

int detect_config_load_string(const char *text, size_t len, const char *name, struct detect_config **ret,
			      char **ret_err)
{
	return load(name ? name : "(string)", NULL, text, len, ret, ret_err);
}

struct detect_config *detect_config_free(struct detect_config *c)
{
	if (c)
		allowlist_done(&c->allow);
	free(c);
	return NULL;
}

const struct allowlist *detect_config_allowlist(const struct detect_config *c)
{
	return &c->allow;
}

/* A YAML double-quoted string (reasons are the operator's text, but may
 * hold anything a quoted scalar can carry, as escapes). What YAML does not
 * allow written out in a stream is escaped, so that the dump loads again:
 * the C0 controls and DEL, the C1 controls (U+0080 to U+009F, UTF-8
 * C2 80 to C2 9F: a "\x81" in the input), and U+FFFE and U+FFFF. (The text
 * is valid UTF-8: libyaml read it.) */
static void yaml_quoted(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	for (; *p; p++) {
		unsigned char ch = *p;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else if (ch == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fprintf(f, "\\x%02x", *++p);
		else if (ch == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
			fprintf(f, "\\u%04X", 0xfffe + (p[2] - 0xbe));
			p += 2;
		} else {
			fputc(ch, f);
		}
	}
	fputc('"', f);
}

/* Text in a YAML comment: one line (a file name may hold anything). What
 * a YAML stream cannot hold (controls, C1 controls, U+FFFE and U+FFFF,
 * bytes that are not UTF-8) is written as '?', a byte at a time. */
static void comment_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t k = p[0] < 0x80 ? 1 : utf8_valid_len(p, n);
		bool ok = k == 1 ? p[0] >= 0x20 && p[0] != 0x7f
				 : k > 1 && !(k == 2 && p[0] == 0xc2 && p[1] <= 0x9f) &&
					   !(k == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe);
		if (!ok) {
			fputc('?', f);
			k = 1;
		} else {
			fwrite(p, 1, k, f);
		}
		p += k;
		n -= k;
	}
}

/* The allow-list as YAML that loads back the same, each entry after a
 * comment line saying what it covers and where it was written. */
static void dump_allowlist(const struct detect_config *c, FILE *f)
{
	const struct allowlist *l = &c->allow;
	char what[160];

	fputs("allowlist:\n", f);
	if (allowlist_empty(l)) {
		fputs("  addresses: []\n  accounts: []\n", f);
		return;
	}
	fputs("  # judged by no detector: every event from these addresses; these accounts'\n"
	      "  # own logins, sessions, sudo, su and changes (failed logins naming them still\n"
	      "  # count against the source that tried them)\n",
	      f);
	fprintf(f, "  addresses:%s\n", l->n_nets ? "" : " []");
	for (size_t i = 0; i < l->n_nets; i++) {
		const struct allow_net *n = &l->nets[i];
		const struct allow_net *by = allowlist_net_covered_by(l, n);
		char a[ADDR_STRLEN];
		allowlist_describe_net(n, what, sizeof(what));
		fprintf(f, "    # %s, ", what);
		comment_text(f, n->where);
		if (by) {
			(void)addr_format(&by->net, a);
			fprintf(f, "; adds nothing: within %s/%u (", a, by->prefix);
			comment_text(f, by->where);
			fputc(')', f);
		}
		if (n->prefix == 0)
			fprintf(f, "; every %s address: nothing from %s is judged", n->net.family == ADDR_V4 ? "IPv4" : "IPv6",
				n->net.family == ADDR_V4 ? "IPv4" : "IPv6");
		(void)addr_format(&n->net, a);
		fprintf(f, "\n    - { address: \"%s/%u\"", a, n->prefix);
		if (n->why) {
			fputs(", why: ", f);
			yaml_quoted(f, n->why);
		}
		fputs(" }\n", f);
	}
	fprintf(f, "  accounts:%s\n", l->n_accts ? "" : " []");
	for (size_t i = 0; i < l->n_accts; i++) {
		const struct allow_account *a = &l->accts[i];
		fputs("    # ", f);
		comment_text(f, a->where);
		for (size_t k = 0; k < i; k++)
			if (strcmp(l->accts[k].name, a->name) == 0) {
				fputs("; repeats ", f);
				comment_text(f, l->accts[k].where);
				break;
			}
		fputs("\n    - { name: ", f);
		yaml_quoted(f, a->name);
		if (a->why) {
			fputs(", why: ", f);
			yaml_quoted(f, a->why);
		}
		fputs(" }\n", f);
	}
}

void detect_config_dump(const struct detect_config *c, FILE *f)
{
	const char *section = "";
	size_t section_len = 0;
	char buf[24];

	fputs("# moat detector configuration (effective values)\n", f);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		const struct key *k = &keys[i];
		const char *dot = strchr(k->path, '.');
		if (k->type == K_NETS || k->type == K_ACCOUNTS)
			continue;
		size_t sl = (size_t)(dot - k->path);
		if (sl != section_len || strncmp(section, k->path, sl) != 0) {
			fprintf(f, "%.*s:\n", (int)sl, k->path);
			section = k->path;
			section_len = sl;
		}
		fprintf(f, "  %s: ", dot + 1);
		const void *field = (const char *)c + k->off;
		switch (k->type) {
		case K_BOOL:
			fputs(*(const bool *)field ? "true" : "false", f);
			break;
		case K_UINT:
			fprintf(f, "%u", *(const uint32_t *)field);
			break;
		case K_DURATION:
			fmt_dur(buf, sizeof(buf), *(const uint32_t *)field);
			fputs(buf, f);
			break;
		case K_GROUPS:
			fputc('[', f);
			for (uint32_t g = 0; g < c->n_groups; g++)
				fprintf(f, "%s%s", g ? ", " : "", c->groups[g]);
			fputc(']', f);
			break;
		case K_NETS:
		case K_ACCOUNTS:
			break;
		}
		fputc('\n', f);
	}
	dump_allowlist(c, f);
}
