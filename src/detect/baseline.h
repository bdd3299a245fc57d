/*
 * detect/baseline.h: an account's history of successful logins (source
 * networks, local hours, methods, key fingerprints), what the unusual-login
 * detector (unusual.c) learns and judges by and persists in the store.
 * Private to that detector.
 */
#pragma once

#include <stdint.h>

#include "core/addr.h"
#include "core/event.h"
#include "detect/config.h"

struct bnet {
	struct addr net;
	uint8_t prefix;
	uint32_t count;
	int64_t last_s;
};
struct bkey {
	char *fp;
	uint32_t count;
	int64_t last_s;
};
/* A privilege the account used: "sudo TARGET COMMAND" or "su TARGET". */
struct bpriv {
	char *what;
	uint32_t count;
	int64_t last_s;
};
#define BASELINE_PRIV_MAX 16 /* kept per account (the least used, oldest, goes) */
#define BASELINE_PRIV_LEN 160 /* bytes of one kept (longer commands cut) */

struct baseline {
	uint32_t n; /* logins learned */
	uint32_t days; /* distinct (local) days with a login */
	int64_t last_day;
	int64_t first_s, last_s;
	uint32_t hours[24];
	uint32_t methods[AM_MAX];
	uint32_t nets_dropped, keys_dropped;
	uint32_t n_nets, n_keys;
	struct bnet *nets; /* max_networks */
	struct bkey *keys; /* max_keys */
	uint32_t n_priv, priv_dropped;
	struct bpriv priv[BASELINE_PRIV_MAX];
};
int baseline_init(struct baseline *b, const struct detect_config *c);
void baseline_done(struct baseline *b);
/* Learns one successful login (local time of day / day index computed by the caller). */
void baseline_learn(struct baseline *b, const struct detect_config *c, const struct event *ev, int64_t now_s,
		    int hour, int64_t day);
/* The privilege ev used (a sudo command or a successful su), in the form
 * the baseline keeps, into buf (BASELINE_PRIV_LEN + 1 bytes): "sudo root
 * /usr/bin/systemctl restart nginx", "su postgres". */
void baseline_priv_of(const struct event *ev, char *buf);
/* How often the account used it before (0: never). */
uint32_t baseline_priv_seen(const struct baseline *b, const char *what);
/* Learns one use of a privilege. */
void baseline_priv_learn(struct baseline *b, const char *what, int64_t now_s);
/* Compact JSON (caller frees) / back; parse returns 0 or -EINVAL. */
char *baseline_to_json(const struct baseline *b);
int baseline_from_json(struct baseline *b, const struct detect_config *c, const char *json);
struct addr baseline_net_of(const struct detect_config *c, const struct addr *a, uint8_t *ret_prefix);
