/* moat feed: import or update vulnerability advisories (OSV, Debian security tracker). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/macro.h"
#include "exposure/download.h"
#include "exposure/feed.h"

static const struct {
	const char *name, *url, *file, *what;
} sources[] = {
	{ "debian-tracker", "https://security-tracker.debian.org/tracker/data/json", "debian-tracker.json",
	  "the Debian security tracker (every CVE, per release, with Debian's triage)" },
	{ "debian-osv", "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip", "debian-osv.zip",
	  "Debian's DSA/DLA advisories as OSV records" },
	{ "ubuntu-osv", "https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip", "ubuntu-osv.zip",
	  "Ubuntu's USN advisories as OSV records" },
};

static void usage(FILE *f)
{
	fputs("usage: moat feed import [--db PATH] FILE|DIR...\n"
	      "       moat feed update [--db PATH] [--dir DIR] [SOURCE...]\n"
	      "       moat feed status [--db PATH]\n"
	      "\n"
	      "Keeps the vulnerability advisories that 'moat exposure' matches against, in\n"
	      "advisories.db next to the store (or --db PATH).\n"
	      "\n"
	      "import   reads feeds from disk, offline: an OSV record (.json), a directory of\n"
	      "         them, an ecosystem's all.zip, or the Debian security tracker's JSON\n"
	      "         (told apart by content). Each import is one transaction: malformed\n"
	      "         records are reported by id and skipped; an unreadable or broken file\n"
	      "         changes nothing.\n"
	      "update   downloads the sources below (default: debian-tracker and debian-osv)\n"
	      "         into --dir (default: feeds/ next to the database), asking the server\n"
	      "         only for what changed since last time (ETag, If-Modified-Since), then\n"
	      "         imports them. Needs network access.\n"
	      "status   what the database holds.\n"
	      "\n"
	      "Sources:\n",
	      f);
	for (size_t i = 0; i < ELEMENTSOF(sources); i++)
		fprintf(f, "  %-15s %s\n                  %s\n", sources[i].name, sources[i].what, sources[i].url);
	fputs("\nExamples:\n"
	      "  moat feed import ~/Downloads/all.zip\n"
	      "  moat feed import tracker.json osv-records/\n"
	      "  moat feed update && moat exposure\n"
	      "\n"
	      "Exit status: 0 done, 2 bad usage, unreadable input or a failed download.\n",
	      f);
}

static void print_report(const char *path, const struct feed_report *rep)
{
	printf("%s: %s, %" PRIu64 " record%s imported (%" PRIu64 " package entries)", path, rep->kind, rep->records,
	       rep->records == 1 ? "" : "s", rep->entries);
	if (rep->withdrawn)
		printf(", %" PRIu64 " withdrawn", rep->withdrawn);
	if (rep->other)
		printf(", %" PRIu64 " for other ecosystems or releases ignored", rep->other);
	if (rep->skipped)
		printf(", %" PRIu64 " malformed skipped", rep->skipped);
	putchar('\n');
	for (size_t i = 0; i < rep->n_bad; i++)
		log_warning("%s: skipped %s", path, rep->bad[i]);
	if (rep->skipped > rep->n_bad)
		log_warning("%s: … and %" PRIu64 " more", path, rep->skipped - rep->n_bad);
}

static int do_import(struct advdb *db, const char *path)
{
	struct feed_report rep;
	char *err = NULL;
	int r = feed_import(db, path, &rep, &err);
	if (r < 0) {
		log_error("%s (nothing was imported from it)", err ? err : strerror(-r));
		free(err);
		feed_report_done(&rep);
		return r;
	}
	print_report(path, &rep);
	feed_report_done(&rep);
	return 0;
}

static int do_status(struct advdb *db)
{
	uint64_t na = 0, ne = 0;
	if (advdb_counts(db, &na, &ne) < 0)
		return -EIO;
	printf("%" PRIu64 " advisories, %" PRIu64 " package entries\n", na, ne);
	return 0;
}

static int print_release(void *ud, const char *release, uint64_t n)
{
	(void)ud;
	printf("  %-16s %" PRIu64 " entries\n", release, n);
	return 0;
}

int cmd_feed(int argc, char **argv)
{
	enum { O_DB = 256, O_DIR };
	static const struct option options[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "dir", required_argument, NULL, O_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *db_opt = NULL, *dir_opt = NULL, *verb;
	struct advdb *db = NULL;
	char *dbpath = NULL, *err = NULL;
	int c, r, ret = EXIT_USAGE;

	struct cli cl;
	cli_init(&cl, "feed", usage, 0, "+", options, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_DB:
			db_opt = optarg;
			break;
		case O_DIR:
			dir_opt = optarg;
			break;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* options may also follow the verb: parsed again with the verb as argv[0] */
	argc -= optind;
	argv += optind;
	verb = argv[0];
	cli_init(&cl, "feed", usage, 0, "", options, argc, argv);
	while ((c = cli_next(&cl)) != CLI_END) {
		switch (c) {
		case CLI_STOP:
			return cl.exit;
		case O_DB:
			db_opt = optarg;
			break;
		case O_DIR:
			dir_opt = optarg;
			break;
		}
	}
	if (strcmp(verb, "import") && strcmp(verb, "update") && strcmp(verb, "status")) {
		log_error("unknown feed command '%s' (import, update, status)", verb);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(verb, "import") == 0 && optind >= argc) {
		log_error("feed import: name the file(s) or directories to import");
		return EXIT_USAGE;
	}
	dbpath = db_opt ? strdup(db_opt) : advdb_default_path();
	if (!dbpath) {
		log_error("out of memory");
		return EXIT_USAGE;
	}
	r = advdb_open(dbpath, strcmp(verb, "status") != 0, &db, &err);
	if (r < 0) {
		if (r == -ENOENT)
			log_error("%s does not exist yet: 'moat feed import FILE' or 'moat feed update' create it", dbpath);
		else
			log_error("%s", err ? err : strerror(-r));
		goto out;
	}

	if (strcmp(verb, "status") == 0) {
		if (do_status(db) < 0)
			goto out;
		(void)advdb_foreach_release(db, print_release, NULL);
		ret = EXIT_DONE;
	} else if (strcmp(verb, "import") == 0) {
		ret = EXIT_DONE;
		for (int i = optind; i < argc; i++)
			if (do_import(db, argv[i]) < 0)
				ret = EXIT_USAGE;
	} else {
		/* update */
		_cleanup_free_ char *dir = NULL;
		const char *want[ELEMENTSOF(sources)];
		size_t n_want = 0;
		if (optind >= argc) {
			want[n_want++] = "debian-tracker";
			want[n_want++] = "debian-osv";
		}
		for (int i = optind; i < argc; i++) {
			bool known = false;
			for (size_t k = 0; k < ELEMENTSOF(sources); k++)
				known |= strcmp(argv[i], sources[k].name) == 0;
			if (!known || n_want == ELEMENTSOF(want)) {
				log_error("feed update: unknown source '%s' (debian-tracker, debian-osv, ubuntu-osv)", argv[i]);
				goto out;
			}
			want[n_want++] = argv[i];
		}
		if (dir_opt) {
			dir = strdup(dir_opt);
		} else {
			_cleanup_free_ char *copy = strdup(dbpath);
			if (copy && asprintf(&dir, "%s/feeds", dirname(copy)) < 0)
				dir = NULL;
		}
		if (!dir) {
			log_error("out of memory");
			goto out;
		}
		(void)mkdir(dir, 0755);
		ret = EXIT_DONE;
		for (size_t w = 0; w < n_want; w++) {
			for (size_t k = 0; k < ELEMENTSOF(sources); k++) {
				struct download_result dr;
				_cleanup_free_ char *dest = NULL, *etag = NULL, *lm = NULL;
				if (strcmp(want[w], sources[k].name) != 0)
					continue;
				if (asprintf(&dest, "%s/%s", dir, sources[k].file) < 0) {
					ret = EXIT_USAGE;
					continue;
				}
				/* conditional only when the last copy is still on disk */
				if (access(dest, R_OK) == 0)
					(void)advdb_source_get(db, sources[k].url, &etag, &lm);
				fprintf(stderr, "moat: fetching %s\n", sources[k].url);
				free(err);
				err = NULL;
				r = download_file(sources[k].url, dest, etag, lm, isatty(STDERR_FILENO), &dr, &err);
				if (r < 0) {
					log_error("%s", err ? err : strerror(-r));
					ret = EXIT_USAGE;
					continue;
				}
				if (!dr.modified) {
					printf("%s: not modified since the last update\n", sources[k].name);
				} else if (do_import(db, dest) < 0) {
					ret = EXIT_USAGE;
				} else {
					(void)advdb_source_put(db, sources[k].url, dr.etag, dr.last_modified);
				}
				free(dr.etag);
				free(dr.last_modified);
			}
		}
	}
out:
	advdb_free(db);
	free(dbpath);
	free(err);
	return ret;
}
