/*
 * osv: OSV JSON → feed entries (see osv.h). Every field is optional until
 * proven present and of the right type; a record with a wrong one is
 * reported with its id and skipped whole, never half-delivered.
 */
#include "exposure/osv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/timeutil.h"
#include "exposure/debver.h"

#define ID_MAX 128
#define NAME_MAX_LEN 200
#define VERSION_MAX_LEN 256
#define ALIASES_MAX 4096

struct buf {
	char *p;
	size_t n, cap;
	bool overflow;
};

static void buf_add(struct buf *b, const char *s)
{
	size_t l = strlen(s);
	if (b->n + l + 1 > b->cap) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->n, s, l + 1);
	b->n += l;
}

static const char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t time_field(json_t *o, const char *key)
{
	const char *s = str_field(o, key);
	int64_t us;
	if (!s || time_parse_rfc3339(s, &us) < 0)
		return 0;
	return us / 1000000;
}

static bool listed(json_t *rec, const char *id)
{
	static const char *const keys[] = { "aliases", "upstream" };
	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		json_t *arr = json_object_get(rec, keys[k]), *v;
		size_t i;
		if (!json_is_array(arr))
			continue;
		json_array_foreach(arr, i, v) {
			if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
				return true;
		}
	}
	return false;
}

/* Collects "aliases" and "upstream" ids, deduplicated; DEBIAN-CVE-x is
 * dropped when CVE-x is there too (Debian's export lists both). */
static void collect_aliases(json_t *rec, struct buf *out)
{
	static const char *const keys[] = { "aliases", "upstream" };
	const char *seen[64];
	size_t n_seen = 0;
	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		json_t *arr = json_object_get(rec, keys[k]), *v;
		size_t i;
		if (!json_is_array(arr))
			continue;
		json_array_foreach(arr, i, v) {
			const char *s = json_string_value(v);
			bool dup = false;
			if (!s || !*s || strlen(s) > ID_MAX || strpbrk(s, " \t\n"))
				continue;
			for (size_t j = 0; j < n_seen && !dup; j++)
				dup = strcmp(seen[j], s) == 0;
			if (!dup && strncmp(s, "DEBIAN-", 7) == 0)
				dup = listed(rec, s + 7); /* the plain id is listed too */
			if (dup)
				continue;
			if (n_seen < ELEMENTSOF(seen))
				seen[n_seen++] = s;
			if (out->n)
				buf_add(out, " ");
			buf_add(out, s);
		}
	}
}

/* Appends the events of one ECOSYSTEM range. Returns NULL or why it is bad. */
static const char *add_range(json_t *range, struct buf *ev, const char **fixed, char *why, size_t why_cap)
{
	json_t *events = json_object_get(range, "events"), *e;
	size_t i;
	if (!json_is_array(events) || json_array_size(events) == 0)
		return "range without events";
	if (ev->n)
		buf_add(ev, " | ");
	bool first = true;
	json_array_foreach(events, i, e) {
		static const struct {
			const char *key;
			const char *tag;
		} kinds[] = { { "introduced", "i=" }, { "fixed", "f=" }, { "last_affected", "l=" }, { "limit", NULL } };
		const char *tag = NULL, *ver = NULL;
		bool known = false;
		if (!json_is_object(e))
			return "event is not an object";
		for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
			json_t *v = json_object_get(e, kinds[k].key);
			if (!v)
				continue;
			if (!json_is_string(v)) {
				snprintf(why, why_cap, "%s is not a string", kinds[k].key);
				return why;
			}
			known = true;
			tag = kinds[k].tag;
			ver = json_string_value(v);
			break;
		}
		if (!known)
			return "event has none of introduced, fixed, last_affected, limit";
		if (!tag)
			continue; /* limit: only bounds the search for git ranges */
		if (strlen(ver) > VERSION_MAX_LEN || (!(tag[0] == 'i' && strcmp(ver, "0") == 0) && !debver_valid(ver))) {
			snprintf(why, why_cap, "%s '%.40s' is not a Debian version", tag[0] == 'i' ? "introduced"
										   : tag[0] == 'f' ? "fixed"
												   : "last_affected",
				 ver);
			return why;
		}
		if (tag[0] == 'f' && !*fixed)
			*fixed = ver;
		if (!first)
			buf_add(ev, " ");
		first = false;
		buf_add(ev, tag);
		buf_add(ev, ver);
	}
	if (ev->overflow)
		return "too many events";
	return NULL;
}

/* One affected[] item: its entry, or NULL and why (a static or why buffer). */
static const char *parse_affected(json_t *aff, char *release, size_t rcap, const char **ret_name, struct buf *ev,
				  const char **fixed, bool *ret_other, char *why, size_t why_cap)
{
	json_t *pkg = json_object_get(aff, "package"), *ranges, *r, *versions;
	const char *eco, *name;
	size_t i;
	bool any = false;

	*ret_other = false;
	if (!json_is_object(aff))
		return "affected item is not an object";
	if (!json_is_object(pkg))
		return "affected item without package";
	eco = str_field(pkg, "ecosystem");
	name = str_field(pkg, "name");
	if (!eco)
		return "package without ecosystem";
	if (feed_release_key(sv_cstr(eco), release, rcap) != 1) {
		*ret_other = true;
		return NULL;
	}
	if (!name || !*name || strlen(name) > NAME_MAX_LEN || strpbrk(name, " \t\n/"))
		return "package name missing or not a package name";
	*ret_name = name;

	ranges = json_object_get(aff, "ranges");
	if (ranges && !json_is_array(ranges))
		return "ranges is not an array";
	json_array_foreach(ranges, i, r) {
		const char *type;
		if (!json_is_object(r) || !(type = str_field(r, "type")))
			return "range without type";
		if (strcmp(type, "ECOSYSTEM") != 0)
			continue; /* SEMVER / GIT: not for dpkg versions */
		const char *bad = add_range(r, ev, fixed, why, why_cap);
		if (bad)
			return bad;
		any = true;
	}
	if (any)
		return NULL;
	versions = json_object_get(aff, "versions");
	if (versions && !json_is_array(versions))
		return "versions is not an array";
	json_array_foreach(versions, i, r) {
		const char *v = json_string_value(r);
		if (!v || strlen(v) > VERSION_MAX_LEN || !debver_valid(v)) {
			snprintf(why, why_cap, "versions[%zu] is not a Debian version", i);
			return why;
		}
		if (ev->n)
			buf_add(ev, " | ");
		buf_add(ev, "x=");
		buf_add(ev, v);
		any = true;
	}
	if (ev->overflow)
		return "too many versions";
	if (!any)
		return "affected package without ECOSYSTEM ranges or versions";
	return NULL;
}

struct pending {
	const char *name;
	char release[64];
	char *events;
	const char *fixed;
};

static int parse_record(json_t *rec, const char *origin, size_t index, const struct feed_sink *sink,
			struct feed_report *rep)
{
	const char *id, *why = NULL;
	char whybuf[240], idbuf[256];
	json_t *affected, *a, *sev;
	struct pending pend[64];
	size_t n_pend = 0, i;
	char aliases_mem[ALIASES_MAX];
	struct buf aliases = { aliases_mem, 0, sizeof(aliases_mem), false };
	int r = 0;

	aliases_mem[0] = '\0';
	id = json_is_object(rec) ? str_field(rec, "id") : NULL;
	if (!id || !*id || strlen(id) > ID_MAX || strpbrk(id, " \t\n")) {
		snprintf(idbuf, sizeof(idbuf), "%.200s[%zu]", origin, index);
		id = idbuf;
		why = json_is_object(rec) ? "record without a valid id" : "record is not a JSON object";
		goto bad;
	}
	if (json_object_get(rec, "withdrawn")) {
		rep->withdrawn++;
		return 0;
	}
	affected = json_object_get(rec, "affected");
	if (!json_is_array(affected)) {
		why = "affected is missing or not an array";
		goto bad;
	}
	json_array_foreach(affected, i, a) {
		char evmem[ADV_EVENTS_MAX];
		struct buf ev = { evmem, 0, sizeof(evmem), false };
		const char *name = NULL, *fixed = NULL;
		bool other;
		char release[64];
		evmem[0] = '\0';
		why = parse_affected(a, release, sizeof(release), &name, &ev, &fixed, &other, whybuf, sizeof(whybuf));
		if (why) {
			char tmp[sizeof(whybuf)];
			snprintf(tmp, sizeof(tmp), "%.200s", why);
			snprintf(whybuf, sizeof(whybuf), "affected[%zu]: %.200s", i, tmp);
			why = whybuf;
			goto bad;
		}
		if (other) {
			rep->other++;
			continue;
		}
		if (n_pend == ELEMENTSOF(pend)) {
			why = "more than 64 affected Debian/Ubuntu packages";
			goto bad;
		}
		pend[n_pend] = (struct pending){ .name = name, .fixed = fixed };
		snprintf(pend[n_pend].release, sizeof(pend[n_pend].release), "%s", release);
		pend[n_pend].events = strdup(evmem);
		if (!pend[n_pend].events) {
			r = -ENOMEM;
			goto out;
		}
		n_pend++;
	}
	if (n_pend == 0) {
		/* nothing for dpkg-based systems: not an error */
		return 0;
	}
	collect_aliases(rec, &aliases);
	sev = json_object_get(rec, "severity");
	const char *severity = NULL;
	if (json_is_array(sev) && json_array_size(sev) > 0)
		severity = str_field(json_array_get(sev, 0), "score");
	if (severity && strlen(severity) > 200)
		severity = NULL;
	const char *summary = str_field(rec, "summary");
	char sumbuf[512];
	if (summary) {
		snprintf(sumbuf, sizeof(sumbuf), "%s", summary);
		summary = sumbuf;
	}
	struct adv_meta m = {
		.advisory = id,
		.kind = "osv",
		.published_s = time_field(rec, "published"),
		.modified_s = time_field(rec, "modified"),
		.summary = summary,
		.aliases = aliases_mem,
		.severity = severity,
	};
	r = sink->meta(sink->ud, &m);
	for (i = 0; i < n_pend && r >= 0; i++) {
		struct adv_entry e = {
			.advisory = id,
			.kind = "osv",
			.package = pend[i].name,
			.release = pend[i].release,
			.events = pend[i].events,
			.fixed = pend[i].fixed,
			.status = "osv",
		};
		r = sink->entry(sink->ud, &e);
		rep->entries++;
	}
	if (r >= 0) {
		rep->records++;
		r = 0;
	}
	goto out;
bad:
	rep->skipped++;
	if (sink->bad)
		sink->bad(sink->ud, id, why);
	r = 0;
out:
	for (i = 0; i < n_pend; i++)
		free(pend[i].events);
	return r;
}

int osv_parse(const char *buf, size_t len, const char *origin, const struct feed_sink *sink, struct feed_report *rep,
	      char **ret_err)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, 0, &jerr);
	int r = 0;

	if (!root) {
		if (ret_err && asprintf(ret_err, "%s: line %d column %d: %s", origin, jerr.line, jerr.column,
					jerr.text) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	if (json_is_array(root)) {
		json_t *rec;
		size_t i;
		json_array_foreach(root, i, rec) {
			r = parse_record(rec, origin, i, sink, rep);
			if (r < 0)
				break;
		}
	} else {
		r = parse_record(root, origin, 0, sink, rep);
	}
	json_decref(root);
	return r;
}
