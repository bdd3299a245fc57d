#include "source/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Placeholder until the reader lands: plain files and stdin only. */

int source_expand(char *const *args, size_t n, struct source_list *ret, char **ret_err)
{
	(void)ret_err;
	ret->v = calloc(n ? n : 1, sizeof(*ret->v));
	ret->n = 0;
	if (!ret->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ret->v[i].path = strdup(args[i]);
		if (!ret->v[i].path)
			return -ENOMEM;
		ret->n++;
	}
	return 0;
}

void source_list_free(struct source_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int source_read(const struct source_input *in, const struct source_opts *opts,
		struct source_stats *stats, char **ret_err)
{
	FILE *f = strcmp(in->path, "-") == 0 ? stdin : fopen(in->path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct origin o = { .file = in->path };
	if (!f) {
		int r = -errno;
		if (asprintf(ret_err, "%s: %s", in->path, strerror(-r)) < 0)
			*ret_err = NULL;
		return r;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		o.line++;
		if (line[n - 1] == '\n')
			n--;
		stats->lines++;
		stats->bytes += (uint64_t)n;
		if (opts->on_line(opts->userdata, line, (size_t)n, 0, &o) < 0)
			break;
		o.offset = stats->bytes;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}
