#include "detect/detect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Placeholder until the detectors land: raises nothing. */

struct detect_config {
	int unused;
};

struct detect {
	struct detect_stats stats;
};

int detect_config_load(const char *path, struct detect_config **ret, char **ret_err)
{
	(void)path;
	(void)ret_err;
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

struct detect_config *detect_config_free(struct detect_config *c)
{
	free(c);
	return NULL;
}

void detect_config_dump(const struct detect_config *c, FILE *f)
{
	(void)c;
	(void)f;
}

struct detect *detect_new(const struct detect_config *cfg, struct store *st, struct alert_sink sink)
{
	(void)cfg;
	(void)st;
	(void)sink;
	return calloc(1, sizeof(struct detect));
}

struct detect *detect_free(struct detect *d)
{
	free(d);
	return NULL;
}

void detect_feed(struct detect *d, const struct event *ev)
{
	(void)ev;
	d->stats.events++;
}

int detect_finish(struct detect *d)
{
	(void)d;
	return 0;
}

void detect_get_stats(const struct detect *d, struct detect_stats *ret)
{
	*ret = d->stats;
}
