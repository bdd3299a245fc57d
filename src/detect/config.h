/*
 * detect/config.h: the detector thresholds as config.c fills them (the
 * YAML keys and their ranges are in config.c's table). Shared by the
 * front door, the attempt stage and the detector units; outside
 * src/detect the struct is opaque (detect.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/allowlist.h"

#define CFG_GROUPS_MAX 32
#define CFG_GROUP_LEN 32

struct detect_config {
	/* limits */
	uint32_t max_sources, max_accounts, max_baselines, max_hosts;
	uint32_t max_names_per_source, max_sources_per_account;
	/* brute force (fast) */
	bool bf_enabled;
	uint32_t bf_window, bf_threshold, bf_high, bf_forgive;
	/* slow brute force */
	bool slow_enabled;
	uint32_t slow_window, slow_threshold, slow_min_hours;
	/* password spray */
	bool spray_enabled;
	uint32_t spray_window, spray_min_users, spray_high_users, spray_max_tries;
	/* distributed attack */
	bool dist_enabled;
	uint32_t dist_window, dist_min_sources, dist_high_sources;
	/* login after failures */
	bool after_enabled;
	uint32_t after_window, after_min_failures;
	/* unusual login */
	bool ul_enabled;
	uint32_t ul_min_logins, ul_min_days, ul_v4_prefix, ul_v6_prefix, ul_hour_tolerance;
	uint32_t ul_max_networks, ul_max_keys;
	bool ul_network, ul_hour, ul_method, ul_key;
	/* privilege escalation */
	bool pe_enabled;
	uint32_t pe_window, pe_min_failures, pe_min_refused, pe_high, pe_forgive;
	/* account changes */
	bool ac_enabled;
	uint32_t n_groups;
	char groups[CFG_GROUPS_MAX][CFG_GROUP_LEN];
	/* correlation */
	bool corr_enabled;
	uint32_t corr_window;
	/* what no detector judges (the scan's pipeline filters; see core/allowlist.h) */
	struct allowlist allow;
};
