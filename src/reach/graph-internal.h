/*
 * graph internals: struct reach (one analysis of one root) and the graph,
 * shared by graph.c (building, searching), policy.c (doas, polkit),
 * summary.c (verdicts) and output.c (text, JSON, DOT). Not an API.
 */
#pragma once

#include "reach/reach-internal.h"

struct rx_edge {
	size_t from, to;
	uint8_t kind;
	bool password; /* asks for the account's own password */
	char *what, *evidence, *detail;
};

struct rx_note {
	size_t account;
	char *text;
};

struct rx_secret {
	size_t account;
	size_t found; /* index into the walk's found */
	char *via;
};

struct rx_graph {
	const struct accounts *acc;
	bool *analysed;
	size_t *per_account;
	struct rx_edge *e;
	size_t n_e, cap_e;
	struct rx_note *notes;
	size_t n_notes, cap_notes;
	struct rx_secret *secrets;
	size_t n_secrets, cap_secrets;
	uint64_t dropped;
	int *dist;    /* per node: steps to root, -1 none */
	size_t *next; /* per node: the edge of its shortest way */
};

struct reach {
	struct fsroot root;
	struct accounts acc;
	struct sudoers *sd;
	bool sudoers_missing, sudoers_unreadable;
	struct rx_targets tg;
	struct rx_walk walk;
	bool walked;
	struct rx_problems pr;
	struct rx_graph g;
	char *host;
	struct rx_chain *chain; /* scratch */
};

bool rx_graph_analysed(const struct rx_graph *g, size_t account);

/* Running something as another user or group (sudo, doas): the edge it
 * gives, or a note when it gives none. */
struct rx_run {
	enum rx_edge_kind kind;
	bool all, sudoedit;
	const char *cmd;  /* NULL with all */
	const char *args; /* NULL any, "" none */
	bool nopass, other_pw;
	const char *evidence, *rule;
};
int rx_run_edge(struct reach *r, size_t account, size_t to, const char *via, const struct rx_run *run);

/* policy.c */
int doas_load(struct reach *r, struct rx_problems *pr);
/* Parses one doas.conf text and adds its edges (tests and the fuzzer call it directly). */
int doas_parse(struct reach *r, const char *file, const char *text, size_t len, struct rx_problems *pr);
int polkit_load(struct reach *r, struct rx_problems *pr);
