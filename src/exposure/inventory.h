/*
 * inventory: what is installed, from dpkg's status database
 * (ROOT/var/lib/dpkg/status), and which release the root runs
 * (ROOT/etc/os-release).
 *
 * Advisories name source packages, so each binary package carries its source
 * package and source version: "Source: util-linux (2.38.1-5)" for a binNMU,
 * "Source: acl" (same version), or no Source: field (same name and version).
 *
 * The status file is parsed in place: the inventory owns one copy of the
 * file and every string points into it (no allocation per package).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct inv_pkg {
	const char *name; /* binary package */
	const char *arch; /* "" when absent */
	const char *version;
	const char *source; /* source package (the binary's name when no Source:) */
	const char *source_version; /* the "(version)" of Source:, else version */
	const char *status; /* the third word of Status: ("installed", "unpacked", …) */
	const char *want; /* the first ("install", "hold", "deinstall", …): "hold" is apt-mark hold */
	unsigned line; /* first line of the stanza */
};

struct inventory;

/* Largest status file accepted (a host with 10,000 packages has ~40 MB). */
#define INVENTORY_MAX_BYTES (512u << 20)

/* Parses a status file's bytes (copied). name is used in messages. Keeps the
 * binary packages whose files are on disk (every state but not-installed and
 * config-files). Malformed stanzas (no Package, no Version, an invalid
 * version, a line that is not "Field: value") are skipped and recorded as
 * problems with their line numbers.
 * Returns 0, or -ENOMEM. */
int inventory_parse(const char *buf, size_t len, const char *name, struct inventory **ret);

/* Reads ROOT/var/lib/dpkg/status (root NULL or "/" for this host).
 * Returns 0, or a negative errno with *ret_err naming the file and why. */
int inventory_load(const char *root, struct inventory **ret, char **ret_err);

struct inventory *inventory_free(struct inventory *inv);
static inline void inventory_freep(struct inventory **inv)
{
	inventory_free(*inv);
}

size_t inventory_count(const struct inventory *inv);
/* i < inventory_count(); borrowed, valid while inv lives. */
const struct inv_pkg *inventory_get(const struct inventory *inv, size_t i);
/* The package by binary name (first match, any arch), or NULL. */
const struct inv_pkg *inventory_find(const struct inventory *inv, const char *name);

/* Skipped stanzas and lines, as "status:12: stanza has no Version field".
 * Only the first INVENTORY_MAX_PROBLEMS are kept; the count is exact. */
#define INVENTORY_MAX_PROBLEMS 100
size_t inventory_n_problems(const struct inventory *inv);
const char *inventory_problem(const struct inventory *inv, size_t i); /* i < MIN(n, MAX) */

/* The root's release, from ROOT/etc/os-release (or ROOT/usr/lib/os-release). */
struct os_release {
	char id[32]; /* "debian", "ubuntu" */
	char version_id[32]; /* "12", "22.04" */
	char codename[32]; /* "bookworm", "jammy" */
	char pretty[128];
};
/* Returns 0, -ENOENT when neither file exists, or another negative errno. */
int os_release_load(const char *root, struct os_release *ret);
