/*
 * download: libcurl, conditional GET, progress bar (see download.h).
 */
#include "exposure/download.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#if HAVE_LIBCURL
#include <curl/curl.h>

struct dl {
	FILE *f;
	char *etag, *last_modified;
	double last_draw;
	bool progress, drew;
};

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t l = strlen(name);
	if (n <= l || strncasecmp(line, name, l) != 0)
		return NULL;
	line += l;
	n -= l;
	while (n && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	if (n == 0 || n > 200)
		return NULL;
	return strndup(line, n);
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = size * n;
	char *v;
	if ((v = header_value(buf, len, "ETag:"))) {
		free(d->etag);
		d->etag = v;
	} else if ((v = header_value(buf, len, "Last-Modified:"))) {
		free(d->last_modified);
		d->last_modified = v;
	}
	return len;
}

static size_t on_data(char *buf, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;
	return fwrite(buf, size, n, d->f) * size;
}

static int on_progress(void *ud, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct dl *d = ud;
	(void)ut;
	(void)un;
	if (!d->progress || (double)now - d->last_draw < 256 * 1024)
		return 0;
	d->last_draw = (double)now;
	d->drew = true;
	if (total > 0) {
		int w = (int)(40 * now / total);
		fprintf(stderr, "\r\033[K[%-40.*s] %3d%% %.1f of %.1f MB", w,
			"========================================", (int)(100 * now / total), (double)now / 1e6,
			(double)total / 1e6);
	} else {
		fprintf(stderr, "\r\033[K%.1f MB", (double)now / 1e6);
	}
	return 0;
}

int download_file(const char *url, const char *dest, const char *etag, const char *last_modified, bool progress,
		  struct download_result *ret, char **ret_err)
{
	struct dl d = { .progress = progress };
	struct curl_slist *hdrs = NULL;
	char *part = NULL, errbuf[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode cr;
	long status = 0;
	int r = 0;

	*ret = (struct download_result){ 0 };
	if (asprintf(&part, "%s.part", dest) < 0)
		return -ENOMEM;
	d.f = fopen(part, "wb");
	if (!d.f) {
		r = -errno;
		if (ret_err && asprintf(ret_err, "%s: %s", part, strerror(-r)) < 0)
			*ret_err = NULL;
		free(part);
		return r;
	}
	c = curl_easy_init();
	if (!c) {
		fclose(d.f);
		unlink(part);
		free(part);
		return -ENOMEM;
	}
	if (etag) {
		char *h = NULL;
		if (asprintf(&h, "If-None-Match: %s", etag) >= 0)
			hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (last_modified) {
		char *h = NULL;
		if (asprintf(&h, "If-Modified-Since: %s", last_modified) >= 0)
			hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "moat/" MOAT_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &d);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (d.drew)
		fputs("\r\033[K", stderr);
	if (fclose(d.f) != 0 && cr == CURLE_OK)
		cr = CURLE_WRITE_ERROR;
	if (cr != CURLE_OK) {
		if (ret_err &&
		    asprintf(ret_err, "%s: %s%s", url, errbuf[0] ? errbuf : curl_easy_strerror(cr),
			     cr == CURLE_COULDNT_RESOLVE_HOST || cr == CURLE_COULDNT_CONNECT
				     ? " (no network here? download the file elsewhere and use 'moat feed import FILE')"
				     : "") < 0)
			*ret_err = NULL;
		r = -EIO;
	} else if (status == 304) {
		ret->modified = false;
	} else if (status != 200) {
		if (ret_err && asprintf(ret_err, "%s: HTTP status %ld", url, status) < 0)
			*ret_err = NULL;
		r = -EIO;
	} else if (rename(part, dest) < 0) {
		r = -errno;
		if (ret_err && asprintf(ret_err, "%s: %s", dest, strerror(-r)) < 0)
			*ret_err = NULL;
	} else {
		ret->modified = true;
		ret->etag = d.etag;
		d.etag = NULL;
	}
	if (r < 0 || !ret->modified)
		unlink(part);
	ret->http_status = status;
	if (r >= 0 && ret->modified) {
		ret->last_modified = d.last_modified;
		d.last_modified = NULL;
	}
	free(d.etag);
	free(d.last_modified);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(part);
	return r;
}
#else
int download_file(const char *url, const char *dest, const char *etag, const char *last_modified, bool progress,
		  struct download_result *ret, char **ret_err)
{
	(void)dest;
	(void)etag;
	(void)last_modified;
	(void)progress;
	*ret = (struct download_result){ 0 };
	if (ret_err && asprintf(ret_err, "%s: this moat was built without libcurl; download the file elsewhere "
					 "and use 'moat feed import FILE'",
				url) < 0)
		*ret_err = NULL;
	return -EOPNOTSUPP;
}
#endif
