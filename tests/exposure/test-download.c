/*
 * download_file against a server on the loopback interface (a child
 * process that answers a few requests): a fetch, a conditional fetch
 * answered 304, and an HTTP error. This is also what proves that libcurl,
 * loaded only when a download starts, loads.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "exposure/download.h"
#include "../test-tmp.h"

#define BODY "advisories\n"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b = calloc(1, 4096);
	if (!f || !b) {
		if (f)
			fclose(f);
		free(b);
		return NULL;
	}
	size_t n = fread(b, 1, 4095, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

#if HAVE_LIBCURL
/* Answers n requests on fd: 404 for /missing, 304 when the request names
 * ETag "v1", else 200 with the body and that ETag. */
static void serve(int fd, int n)
{
	alarm(20); /* never outlive a stuck test */
	for (int i = 0; i < n; i++) {
		char req[8192];
		size_t got = 0;
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			_exit(1);
		while (got < sizeof(req) - 1) {
			ssize_t k = read(c, req + got, sizeof(req) - 1 - got);
			if (k <= 0)
				break;
			got += (size_t)k;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got] = '\0';
		const char *resp;
		if (strncmp(req, "GET /missing ", 13) == 0)
			resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		else if (strstr(req, "If-None-Match: \"v1\""))
			resp = "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n";
		else
			resp = "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nLast-Modified: Sun, 22 Nov 2026 10:00:00 GMT\r\n"
			       "Content-Length: 11\r\nConnection: close\r\n\r\n" BODY;
		if (write(c, resp, strlen(resp)) < 0)
			_exit(1);
		close(c);
	}
	_exit(0);
}

/* Entries of dir (besides . and ..). */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_download(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		serve(fd, 3);
	close(fd);

	/* a proxy from the environment would take the request elsewhere */
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);

	char *dir = test_tmpdir("download"), *dest = NULL, *url = NULL, *missing = NULL, *err = NULL, *got;
	assert_non_null(dir);
	assert_true(asprintf(&dest, "%s/feed.json", dir) > 0);
	assert_true(asprintf(&url, "http://127.0.0.1:%u/feed.json", ntohs(a.sin_port)) > 0);
	assert_true(asprintf(&missing, "http://127.0.0.1:%u/missing", ntohs(a.sin_port)) > 0);
	struct download_result dr;

	/* a first fetch: the body lands in dest, with the validators */
	assert_int_equal(download_file(url, dest, NULL, NULL, false, &dr, &err), 0);
	assert_true(dr.modified);
	assert_int_equal(dr.http_status, 200);
	assert_string_equal(dr.etag, "\"v1\"");
	assert_string_equal(dr.last_modified, "Sun, 22 Nov 2026 10:00:00 GMT");
	got = slurp(dest);
	assert_string_equal(got, BODY);
	free(got);
	free(dr.etag);
	free(dr.last_modified);

	/* conditional: 304, the copy on disk stays, no partial file is left */
	assert_int_equal(download_file(url, dest, "\"v1\"", NULL, false, &dr, &err), 0);
	assert_false(dr.modified);
	assert_int_equal(dr.http_status, 304);
	got = slurp(dest);
	assert_string_equal(got, BODY);
	free(got);
	char *part = NULL;
	struct stat st;
	assert_true(asprintf(&part, "%s.part", dest) > 0);
	assert_int_equal(count_entries(dir), 1);

	/* an HTTP error is an error that names the status; dest is untouched */
	assert_int_equal(download_file(missing, dest, NULL, NULL, false, &dr, &err), -EIO);
	assert_non_null(err);
	assert_non_null(strstr(err, "HTTP status 404"));
	got = slurp(dest);
	assert_string_equal(got, BODY);
	free(got);
	assert_int_equal(count_entries(dir), 1);

	/* a link planted where the partial file used to go (dest.part, in
	 * a directory others can write) is never followed: offline, and
	 * again when the download works, its target keeps its bytes */
	char *victim = NULL;
	assert_true(asprintf(&victim, "%s/victim", dir) > 0);
	FILE *vf = fopen(victim, "w");
	assert_non_null(vf);
	fputs("keep me", vf);
	fclose(vf);
	assert_int_equal(symlink(victim, part), 0);
	free(err);
	err = NULL;
	assert_int_equal(download_file("http://127.0.0.1:1/feed.json", dest, NULL, NULL, false, &dr, &err), -EIO);
	got = slurp(victim);
	assert_string_equal(got, "keep me");
	free(got);
	assert_int_equal(lstat(part, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlink(part);
	unlink(victim);
	free(victim);

	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	unlink(dest);
	rmdir(dir);
	free(part);
	free(err);
	free(missing);
	free(url);
	free(dest);
	free(dir);
}
#else
static void test_download(void **state)
{
	(void)state;
	struct download_result dr;
	char *err = NULL;
	assert_int_equal(download_file("https://example.org/x", "/nonexistent/x", NULL, NULL, false, &dr, &err),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "moat feed import"));
	free(err);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_download),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
