/*
 * detect/hosts: host names interned as small numbers, for the tables keyed
 * by host (connections, accounts) and for naming the host in alerts.
 *
 * Host names come from log lines, which a forwarding peer may choose: the
 * table holds at most max names; past that, and for an empty name or one
 * with a NUL byte, the answer is 0, the id of "" (every such host shares
 * it). Ids are given in the order names are first seen, from 1.
 */
#pragma once

#include <stdint.h>

#include "core/strview.h"

struct hosts;

/* max: how many names at most (1..65535). NULL on OOM. */
struct hosts *hosts_new(uint32_t max, uint64_t seed);
struct hosts *hosts_free(struct hosts *h);
/* The id of name (interned on first sight), 0 as above. */
uint16_t hosts_id(struct hosts *h, struct sv name);
/* The name of an id ("" for 0 or an id never given); lives as long as h. */
const char *hosts_name(const struct hosts *h, uint16_t id);
