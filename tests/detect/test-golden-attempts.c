/*
 * Golden tests of the attempt stage (detect/attempt.h): real log lines run
 * through the header parser, the decoders and attempts_apply, one file per
 * theme in tests/golden/attempts. Format:
 *
 *	# comments and blank lines are ignored
 *	== a title: a fresh stage (an empty connection table) starts here
 *	Mar  3 10:00:01 web1 sshd[2101]: Failed password for root from 1.2.3.4 port 22 ssh2
 *	  auth_failure attempts=1 source=1.2.3.4
 *	Mar  3 10:00:02 web1 sshd[2101]: Disconnecting: Too many authentication failures for root [preauth]
 *	  max_auth_exceeded attempts=0 source=1.2.3.4 from=connection
 *
 * Each log line (UTC; syslog years taken as 2026) is followed, indented by
 * two spaces, by the event's kind, the attempts the stage counted and the
 * source it ended with ("from=connection" when the line named none and
 * the stage took its connection's), or "-" when the line does not decode.
 * Output is TAP. MOAT_GOLDEN_UPDATE=1 rewrites the files with what the
 * stage does now (review the diff before committing it).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/attempt.h"
#include "detect/detect.h"
#include "parse/decoder.h"
#include "parse/header.h"

static int n_test, n_fail;

static char *render(struct attempts *a, struct header_ctx *hdr, const char *line)
{
	struct syslog_header h;
	struct event ev;
	char ab[ADDR_STRLEN], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (header_parse(hdr, line, strlen(line), &h) <= 0 || decode(&h, &ev) <= 0) {
		fputs("-", f);
	} else {
		attempts_apply(a, &ev);
		fprintf(f, "%s attempts=%u", event_kind_name(ev.kind), ev.attempts);
		if (ev.source.family != ADDR_NONE)
			fprintf(f, " source=%s", addr_format(&ev.source, ab));
		if (ev.flags & EVF_SOURCE_CONN)
			fputs(" from=connection", f);
	}
	fclose(f);
	return out;
}

static int run_file(const char *path, const struct detect_config *cfg, bool update)
{
	FILE *f = fopen(path, "r"), *w = NULL;
	char *line = NULL, *upd = NULL, *got = NULL;
	size_t cap = 0, upd_len = 0;
	ssize_t n;
	unsigned lineno = 0, logno = 0;
	struct attempts *a = NULL;
	struct header_ctx *hdr = header_ctx_new("UTC");

	if (!f || !hdr) {
		printf("not ok %d - %s: cannot open\n", ++n_test, path);
		n_fail++;
		if (f)
			fclose(f);
		header_ctx_free(hdr);
		return -1;
	}
	header_ctx_set_mtime(hdr, INT64_C(1772409600) + 300 * 86400); /* late 2026 */
	if (update)
		w = open_memstream(&upd, &upd_len);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strncmp(line, "  ", 2) == 0) {
			if (!got) {
				printf("not ok %d - %s:%u: an expectation without a log line\n", ++n_test, path, lineno);
				n_fail++;
				continue;
			}
			if (update) {
				fprintf(w, "  %s\n", got);
			} else if (strcmp(line + 2, got) == 0) {
				printf("ok %d - %s:%u\n", ++n_test, path, logno);
			} else {
				printf("not ok %d - %s:%u\n#   want: %s\n#   got:  %s\n", ++n_test, path, logno, line + 2, got);
				n_fail++;
			}
			free(got);
			got = NULL;
			continue;
		}
		if (got) {
			printf("not ok %d - %s:%u: no expectation after the log line\n", ++n_test, path, logno);
			n_fail++;
			if (update)
				fprintf(w, "  %s\n", got);
			free(got);
			got = NULL;
		}
		if (update)
			fprintf(w, "%s\n", line);
		if (n == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "== ", 3) == 0) {
			attempts_free(a);
			a = attempts_new(cfg);
			continue;
		}
		if (!a) {
			printf("not ok %d - %s:%u: a log line before the first '== title'\n", ++n_test, path, lineno);
			n_fail++;
			continue;
		}
		logno = lineno;
		got = render(a, hdr, line);
	}
	if (got) {
		printf("not ok %d - %s:%u: no expectation after the log line\n", ++n_test, path, logno);
		n_fail++;
		if (update)
			fprintf(w, "  %s\n", got);
		free(got);
	}
	fclose(f);
	if (update) {
		fclose(w);
		FILE *o = fopen(path, "w");
		if (o) {
			fwrite(upd, 1, upd_len, o);
			fclose(o);
		}
		free(upd);
	}
	attempts_free(a);
	header_ctx_free(hdr);
	free(line);
	return 0;
}

static int by_name(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

int main(int argc, char **argv)
{
	struct detect_config *cfg = NULL;
	char *err = NULL;
	struct dirent **names;
	bool update = getenv("MOAT_GOLDEN_UPDATE") && strcmp(getenv("MOAT_GOLDEN_UPDATE"), "1") == 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test-golden-attempts DIR\n");
		return 2;
	}
	if (detect_config_load(NULL, &cfg, &err) < 0) {
		fprintf(stderr, "config: %s\n", err ? err : "?");
		return 2;
	}
	int n = scandir(argv[1], &names, NULL, by_name);
	if (n < 0) {
		perror(argv[1]);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);
		if (l > 4 && strcmp(names[i]->d_name + l - 4, ".txt") == 0) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name);
			run_file(path, cfg, update);
		}
		free(names[i]);
	}
	free(names);
	detect_config_free(cfg);
	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
