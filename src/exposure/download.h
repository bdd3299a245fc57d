/*
 * download: fetch a feed over HTTPS with libcurl, conditionally
 * (If-None-Match / If-Modified-Since from the previous fetch), into a
 * temporary file renamed into place only when complete.
 */
#pragma once

#include <stdbool.h>

struct download_result {
	bool modified; /* false: 304, the previous copy is current */
	char *etag, *last_modified; /* from the response (caller frees), may be NULL */
	long http_status;
};

/* Downloads url to dest (written as dest.part, then renamed). etag and
 * last_modified (may be NULL) make the request conditional. progress: draw
 * a bar on stderr. Returns 0, or a negative errno with *ret_err (no network,
 * HTTP error, …); -EOPNOTSUPP when built without libcurl. */
int download_file(const char *url, const char *dest, const char *etag, const char *last_modified, bool progress,
		  struct download_result *ret, char **ret_err);
