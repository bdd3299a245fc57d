/*
 * download: libcurl, conditional GET, progress bar (see download.h).
 *
 * libcurl is loaded (dlopen) when a download starts, not linked: it brings
 * two dozen libraries (TLS, Kerberos, LDAP, …) whose loading cost every
 * start of moat about 12 ms, for the one command that downloads.
 */
#include "exposure/download.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core/macro.h"

#if HAVE_LIBCURL
#include <curl/curl.h>
#include <dlfcn.h>

/* The libcurl functions used, once loaded. */
static struct {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

/* Loads libcurl (the OpenSSL or the GnuTLS build, as Debian packages
 * them). 0, or -ENOENT with *ret_err saying what to install. */
static int curl_load(const char *url, char **ret_err)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };
	void *h = NULL;

	if (cu.easy_init)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(names) && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (h) {
		/* POSIX: a function pointer from dlsym goes through a data pointer */
#define SYM(field, name) *(void **)(&cu.field) = dlsym(h, name)
		SYM(easy_setopt, "curl_easy_setopt");
		SYM(easy_perform, "curl_easy_perform");
		SYM(easy_getinfo, "curl_easy_getinfo");
		SYM(easy_strerror, "curl_easy_strerror");
		SYM(easy_cleanup, "curl_easy_cleanup");
		SYM(slist_append, "curl_slist_append");
		SYM(slist_free_all, "curl_slist_free_all");
		SYM(easy_init, "curl_easy_init"); /* last: it marks cu as complete */
#undef SYM
		if (cu.easy_setopt && cu.easy_perform && cu.easy_getinfo && cu.easy_strerror && cu.easy_cleanup &&
		    cu.slist_append && cu.slist_free_all && cu.easy_init)
			return 0;
		cu.easy_init = NULL;
		dlclose(h);
	}
	if (ret_err && asprintf(ret_err,
				"%s: cannot load libcurl (%s); install the libcurl4 package, or download the file "
				"elsewhere and use 'moat feed import FILE'",
				url, h ? "a function is missing" : dlerror()) < 0)
		*ret_err = NULL;
	return -ENOENT;
}

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
	r = curl_load(url, ret_err);
	if (r < 0)
		return r;
	/* a new file of a name nobody could guess, made here (O_EXCL): a
	 * link planted beside dest is never followed, nothing is truncated
	 * before the body arrives; renamed over dest once complete */
	if (asprintf(&part, "%s.XXXXXX", dest) < 0)
		return -ENOMEM;
	int fd = mkostemp(part, O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0644) < 0) {
		r = -errno;
		close(fd);
		unlink(part);
		errno = -r;
		fd = -1;
	}
	d.f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!d.f) {
		r = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(part);
		}
		if (ret_err && asprintf(ret_err, "%s: %s", dest, strerror(-r)) < 0)
			*ret_err = NULL;
		free(part);
		return r;
	}
	c = cu.easy_init();
	if (!c) {
		fclose(d.f);
		unlink(part);
		free(part);
		return -ENOMEM;
	}
	if (etag) {
		char *h = NULL;
		if (asprintf(&h, "If-None-Match: %s", etag) >= 0)
			hdrs = cu.slist_append(hdrs, h);
		free(h);
	}
	if (last_modified) {
		char *h = NULL;
		if (asprintf(&h, "If-Modified-Since: %s", last_modified) >= 0)
			hdrs = cu.slist_append(hdrs, h);
		free(h);
	}
	cu.easy_setopt(c, CURLOPT_URL, url);
	cu.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cu.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	cu.easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	cu.easy_setopt(c, CURLOPT_USERAGENT, "moat/" MOAT_VERSION);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	cu.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	cu.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	cu.easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	cu.easy_setopt(c, CURLOPT_HEADERDATA, &d);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, &d);
	cu.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu.easy_setopt(c, CURLOPT_XFERINFODATA, &d);
	cu.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	cr = cu.easy_perform(c);
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (d.drew)
		fputs("\r\033[K", stderr);
	if (fclose(d.f) != 0 && cr == CURLE_OK)
		cr = CURLE_WRITE_ERROR;
	if (cr != CURLE_OK) {
		if (ret_err &&
		    asprintf(ret_err, "%s: %s%s", url, errbuf[0] ? errbuf : cu.easy_strerror(cr),
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
	cu.slist_free_all(hdrs);
	cu.easy_cleanup(c);
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
