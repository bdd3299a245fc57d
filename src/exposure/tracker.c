/*
 * tracker: the Debian security tracker's JSON → feed entries (see
 * tracker.h). The top-level object is walked by hand, one member at a
 * time; jansson parses each key and each package's value on its own
 * (JSON_DISABLE_EOF_CHECK tells where the value ended).
 */
#include "exposure/tracker.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "exposure/debver.h"

#define NAME_MAX_LEN 200

static size_t skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

/* Parses one JSON value at p[*i]; advances *i past it. */
static json_t *value_at(const char *p, size_t n, size_t *i, json_error_t *err)
{
	json_t *v = json_loadb(p + *i, n - *i, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, err);
	if (v)
		*i += (size_t)err->position;
	return v;
}

static const char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= NAME_MAX_LEN && !strpbrk(s, " \t\n/");
}

/* One CVE of one package: check every release first, then deliver, so a
 * bad release skips the CVE whole. */
static int parse_cve(const char *pkg, const char *cve, json_t *obj, const struct feed_sink *sink,
		     struct feed_report *rep)
{
	json_t *releases, *rel;
	const char *relname, *why = NULL;
	char whybuf[200], id[2 * NAME_MAX_LEN + 2];
	int r;

	snprintf(id, sizeof(id), "%s/%s", pkg, cve);
	if (!plain_name(cve)) {
		why = "not a vulnerability id";
		goto bad;
	}
	if (!json_is_object(obj)) {
		why = "entry is not an object";
		goto bad;
	}
	releases = json_object_get(obj, "releases");
	if (!json_is_object(releases)) {
		why = "releases missing or not an object";
		goto bad;
	}
	json_object_foreach(releases, relname, rel) {
		const char *status, *fixed;
		static const char *const opt[] = { "urgency", "nodsa", "nodsa_reason" };
		if (!json_is_object(rel)) {
			snprintf(whybuf, sizeof(whybuf), "release %.40s is not an object", relname);
			why = whybuf;
			goto bad;
		}
		status = str_field(rel, "status");
		if (!status || (strcmp(status, "resolved") && strcmp(status, "open") && strcmp(status, "undetermined"))) {
			snprintf(whybuf, sizeof(whybuf), "release %.40s: status missing or not resolved/open/undetermined",
				 relname);
			why = whybuf;
			goto bad;
		}
		json_t *fv = json_object_get(rel, "fixed_version");
		fixed = json_string_value(fv);
		if ((fv && !json_is_string(fv) && !json_is_null(fv)) ||
		    (fixed && strcmp(fixed, "0") != 0 && (strlen(fixed) > 256 || !debver_valid(fixed)))) {
			snprintf(whybuf, sizeof(whybuf), "release %.40s: fixed_version is not a Debian version", relname);
			why = whybuf;
			goto bad;
		}
		for (size_t k = 0; k < ELEMENTSOF(opt); k++) {
			json_t *v = json_object_get(rel, opt[k]);
			if (v && !json_is_string(v) && !json_is_null(v)) {
				snprintf(whybuf, sizeof(whybuf), "release %.40s: %s is not a string", relname, opt[k]);
				why = whybuf;
				goto bad;
			}
		}
	}

	char summary[512];
	const char *desc = str_field(obj, "description");
	snprintf(summary, sizeof(summary), "%s", desc ? desc : "");
	struct adv_meta m = { .advisory = cve, .kind = "tracker", .summary = desc ? summary : NULL, .aliases = "" };
	r = sink->meta(sink->ud, &m);
	if (r < 0)
		return r;
	json_object_foreach(releases, relname, rel) {
		char key[64];
		const char *fixed = str_field(rel, "fixed_version");
		const char *reason = str_field(rel, "nodsa_reason");
		const char *nodsa = str_field(rel, "nodsa");
		if (feed_release_key(sv_cstr(relname), key, sizeof(key)) != 1) {
			rep->other++;
			continue;
		}
		struct adv_entry e = {
			.advisory = cve,
			.kind = "tracker",
			.package = pkg,
			.release = key,
			.events = "",
			.fixed = fixed && *fixed ? fixed : NULL,
			.status = str_field(rel, "status"),
			.urgency = str_field(rel, "urgency"),
			.nodsa = nodsa, /* "" is a no-dsa without a note */
			.nodsa_reason = reason && *reason ? reason : NULL,
		};
		r = sink->entry(sink->ud, &e);
		if (r < 0)
			return r;
		rep->entries++;
	}
	rep->records++;
	return 0;
bad:
	rep->skipped++;
	if (sink->bad)
		sink->bad(sink->ud, id, why);
	return 0;
}

static int fail(char **ret_err, size_t at, const char *why)
{
	if (ret_err && asprintf(ret_err, "tracker JSON, byte %zu: %s", at, why) < 0)
		*ret_err = NULL;
	return -EINVAL;
}

int tracker_parse(const char *buf, size_t len, const struct feed_sink *sink, struct feed_report *rep, char **ret_err)
{
	size_t i = skip_ws(buf, 0, len);
	json_error_t jerr;

	if (i >= len || buf[i] != '{')
		return fail(ret_err, i, "expected a JSON object of packages");
	i = skip_ws(buf, i + 1, len);
	if (i < len && buf[i] == '}')
		return 0;
	for (;;) {
		json_t *key, *val;
		const char *pkg, *cve;
		json_t *obj;
		size_t at = i;
		int r = 0;

		key = value_at(buf, len, &i, &jerr);
		if (!key || !json_is_string(key)) {
			json_decref(key);
			return fail(ret_err, at, "expected a package name");
		}
		i = skip_ws(buf, i, len);
		if (i >= len || buf[i] != ':') {
			json_decref(key);
			return fail(ret_err, i, "expected ':'");
		}
		i = skip_ws(buf, i + 1, len);
		at = i;
		val = value_at(buf, len, &i, &jerr);
		if (!val) {
			char why[200];
			snprintf(why, sizeof(why), "%s", jerr.text);
			json_decref(key);
			return fail(ret_err, at + (jerr.position > 0 ? (size_t)jerr.position : 0), why);
		}
		pkg = json_string_value(key);
		if (!plain_name(pkg) || !json_is_object(val)) {
			rep->skipped++;
			if (sink->bad) {
				char id[64];
				snprintf(id, sizeof(id), "%.60s", pkg);
				sink->bad(sink->ud, id, plain_name(pkg) ? "package entry is not an object"
									: "not a package name");
			}
		} else {
			json_object_foreach(val, cve, obj) {
				r = parse_cve(pkg, cve, obj, sink, rep);
				if (r < 0)
					break;
			}
		}
		json_decref(key);
		json_decref(val);
		if (r < 0)
			return r;
		i = skip_ws(buf, i, len);
		if (i < len && buf[i] == ',') {
			i = skip_ws(buf, i + 1, len);
			continue;
		}
		if (i < len && buf[i] == '}') {
			i = skip_ws(buf, i + 1, len);
			if (i != len)
				return fail(ret_err, i, "data after the end of the object");
			return 0;
		}
		return fail(ret_err, i, "expected ',' or '}'");
	}
}

int tracker_sniff(const char *buf, size_t len)
{
	static const char *const osv_keys[] = { "schema_version", "id", "modified", "published", "withdrawn",
						"aliases", "upstream", "related", "summary", "details", "severity",
						"affected", "references", "credits", "database_specific" };
	size_t i = skip_ws(buf, 0, len);
	json_error_t jerr;
	json_t *key;
	int r = 1;

	if (i >= len || buf[i] != '{')
		return 0;
	i = skip_ws(buf, i + 1, len);
	if (i < len && buf[i] == '}')
		return 1;
	key = value_at(buf, len, &i, &jerr);
	if (!json_is_string(key)) {
		json_decref(key);
		return 0;
	}
	for (size_t k = 0; k < ELEMENTSOF(osv_keys); k++)
		if (strcmp(json_string_value(key), osv_keys[k]) == 0)
			r = 0;
	json_decref(key);
	return r;
}
