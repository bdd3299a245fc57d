/*
 * Golden decoder tests: the .txt files in tests/golden/parse hold pairs of lines:
 *
 *	# comments and blank lines are ignored
 *	sshd: Failed password for root from 1.2.3.4 port 22 ssh2
 *	  kind=auth_failure user=root source=1.2.3.4 port=22 method=password
 *	sshd: Server listening on 0.0.0.0 port 22.
 *	  -
 *
 * The first line is "PROGRAM: MESSAGE" (what follows the syslog header),
 * or "@ " and a whole log line, which goes through the header parser first
 * (one context per file, zone UTC, files last written 2026-11-15T12:00:00Z,
 * so lines of a file are one input: "last message repeated" refers to the
 * line before); the second, indented by two spaces, is the decoded event in
 * canonical form (see render()), or "-" when the line must not be
 * recognised (by the header parser or a decoder).
 * Output is TAP. MOAT_GOLDEN_UPDATE=1 rewrites the files with what the
 * decoders produce now (review the diff before committing it).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "parse/decoder.h"
#include "parse/header.h"

#define GOLDEN_MTIME 1794744000 /* 2026-11-15T12:00:00Z */

static void field(FILE *f, const char *key, struct sv v)
{
	bool quote = false;
	if (v.n == 0)
		return;
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == ' ' || v.p[i] == '"' || v.p[i] == '=')
			quote = true;
	fprintf(f, " %s=", key);
	if (quote)
		fputc('"', f);
	escape_text(f, v, 0);
	if (quote)
		fputc('"', f);
}

/* The canonical one-line form of an event (or "-"). */
static char *render(int matched, const struct event *ev)
{
	char *buf = NULL, ab[ADDR_STRLEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!matched) {
		fputs("-", f);
		fclose(f);
		return buf;
	}
	fprintf(f, "kind=%s", event_kind_name(ev->kind));
	if (ev->acct)
		fprintf(f, " acct=%s", account_op_name(ev->acct));
	field(f, "user", ev->user);
	field(f, "target", ev->target);
	if (ev->source.family != ADDR_NONE)
		fprintf(f, " source=%s", addr_format(&ev->source, ab));
	field(f, "source_name", ev->source_name);
	if (ev->port)
		fprintf(f, " port=%u", ev->port);
	if (ev->method)
		fprintf(f, " method=%s", auth_method_name(ev->method));
	field(f, "key_type", ev->key_type);
	field(f, "key", ev->key_fp);
	field(f, "tty", ev->tty);
	field(f, "command", ev->command);
	field(f, "detail", ev->detail);
	if (ev->count != 1)
		fprintf(f, " count=%u", ev->count);
	if (ev->flags & EVF_INVALID_USER)
		fputs(" invalid", f);
	if (ev->flags & EVF_PREAUTH)
		fputs(" preauth", f);
	if (ev->flags & EVF_AMBIGUOUS_SOURCE)
		fputs(" ambiguous", f);
	if (ev->flags & EVF_CLIENT_FAILED)
		fputs(" client_failed", f);
	fclose(f);
	return buf;
}

static int n_test, n_fail;

static int run_file(const char *path, bool update)
{
	FILE *f = fopen(path, "r"), *out = NULL;
	struct header_ctx *hctx = header_ctx_new("UTC");
	char *line = NULL, *pending = NULL, *newbuf = NULL;
	size_t cap = 0, newlen = 0;
	ssize_t n;
	unsigned long lineno = 0, pending_line = 0;
	if (!f || !hctx) {
		perror(path);
		header_ctx_free(hctx);
		return -1;
	}
	header_ctx_set_mtime(hctx, GOLDEN_MTIME);
	if (update)
		out = open_memstream(&newbuf, &newlen);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (pending && strncmp(line, "  ", 2) == 0) {
			struct syslog_header h = { .time_us = 0, .host = SV_LIT("host"), .pid = 1234 };
			struct event ev;
			char *colon = strstr(pending, ": ");
			char *got;
			int m;
			if (strncmp(pending, "@ ", 2) == 0) {
				m = header_parse(hctx, pending + 2, strlen(pending + 2), &h) > 0 && decode(&h, &ev) > 0;
				goto compare;
			}
			if (!colon) {
				printf("not ok %d - %s:%lu: input has no 'PROGRAM: '\n", ++n_test, path, pending_line);
				n_fail++;
				free(pending);
				pending = NULL;
				continue;
			}
			h.program = sv_make(pending, (size_t)(colon - pending));
			h.msg = sv_cstr(colon + 2);
			m = decode(&h, &ev);
		compare:
			got = render(m > 0, &ev);
			n_test++;
			if (strcmp(got, line + 2) == 0) {
				printf("ok %d - %s:%lu\n", n_test, path, pending_line);
			} else {
				printf("not ok %d - %s:%lu\n#   input: %s\n#    want: %s\n#     got: %s\n", n_test,
				       path, pending_line, pending, line + 2, got);
				n_fail++;
			}
			if (out)
				fprintf(out, "  %s\n", got);
			free(got);
			free(pending);
			pending = NULL;
			continue;
		}
		if (pending) {
			printf("not ok %d - %s:%lu: input without an expected line\n", ++n_test, path, pending_line);
			n_fail++;
			free(pending);
			pending = NULL;
		}
		if (out)
			fprintf(out, "%s\n", line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		pending = strdup(line);
		pending_line = lineno;
	}
	if (pending) {
		printf("not ok %d - %s:%lu: input without an expected line\n", ++n_test, path, pending_line);
		n_fail++;
		free(pending);
	}
	free(line);
	fclose(f);
	header_ctx_free(hctx);
	if (out) {
		fclose(out);
		f = fopen(path, "w");
		if (f) {
			fwrite(newbuf, 1, newlen, f);
			fclose(f);
		}
		free(newbuf);
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	bool update = getenv("MOAT_GOLDEN_UPDATE") != NULL;
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;
		char **names = NULL;
		size_t nn = 0;
		if (!d) {
			if (run_file(argv[i], update) < 0)
				return 1;
			continue;
		}
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0) {
				names = realloc(names, (nn + 1) * sizeof(*names));
				if (asprintf(&names[nn], "%s/%s", argv[i], de->d_name) < 0)
					return 1;
				nn++;
			}
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp);
		for (size_t k = 0; k < nn; k++) {
			if (run_file(names[k], update) < 0)
				return 1;
			free(names[k]);
		}
		free(names);
	}
	printf("1..%d\n", n_test);
	return n_fail || n_test == 0 ? 1 : 0;
}
