#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Placeholder until the SQLite store lands. */

char *store_default_path(void)
{
	return strdup(":memory:");
}

int store_open(const char *path, struct store **ret, char **ret_err)
{
	(void)path;
	(void)ret;
	*ret_err = strdup("the store is not implemented yet");
	return -ENOTSUP;
}

struct store *store_free(struct store *s)
{
	(void)s;
	return NULL;
}

int store_begin(struct store *s) { (void)s; return 0; }
int store_commit(struct store *s) { (void)s; return 0; }
int store_add_event(struct store *s, const struct event *ev) { (void)s; (void)ev; return 0; }
int store_add_alert(struct store *s, const struct alert *a) { (void)s; (void)a; return 0; }
int store_cursor_get(struct store *s, const char *fp, uint64_t *o, uint64_t *l)
{ (void)s; (void)fp; (void)o; (void)l; return 0; }
int store_cursor_put(struct store *s, const char *fp, const char *p, uint64_t o, uint64_t l)
{ (void)s; (void)fp; (void)p; (void)o; (void)l; return 0; }
int store_baseline_get(struct store *s, const char *h, const char *u, char **b)
{ (void)s; (void)h; (void)u; (void)b; return 0; }
int store_baseline_put(struct store *s, const char *h, const char *u, const char *b)
{ (void)s; (void)h; (void)u; (void)b; return 0; }
int store_baseline_foreach(struct store *s, int (*fn)(void *, const char *, const char *, const char *), void *ud)
{ (void)s; (void)fn; (void)ud; return 0; }
int store_query_events(struct store *s, const struct event_filter *f,
		       int (*fn)(void *, const struct stored_event *), void *ud)
{ (void)s; (void)f; (void)fn; (void)ud; return 0; }
