/*
 * rootfs: paths of another root resolved inside it, whatever its symlinks
 * say; FIFOs and devices refused without blocking; the openat2 resolution
 * held to the plain component walk on every case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "exposure-test.h"
#include "exposure/inventory.h"
#include "core/rootfs.h"

static char *tmp;

/* mkdir -p of the directory holding path */
static void t_mkdirs_for(const char *path)
{
	char d[4400];
	snprintf(d, sizeof(d), "%s", path);
	char *s = strrchr(d, '/');
	if (s) {
		*s = '\0';
		assert_int_equal(t_mkdirs(d), 0);
	}
}

static void mk(const char *rel, const char *content)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	t_mkdirs_for(p);
	assert_int_equal(t_write_file(p, content), 0);
}

static void ln(const char *target, const char *rel)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	t_mkdirs_for(p);
	assert_int_equal(symlink(target, p), 0);
}

/* The content read through a descriptor, or NULL. */
static char *content_of(int fd)
{
	static char buf[256];
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void same(int rootfd, const char *rel, const char *want)
{
	int a = rootfs_openat(rootfd, rel, O_RDONLY), b = rootfs_openat_walk(rootfd, rel, O_RDONLY);
	char *ca = content_of(a), ca_copy[256];
	snprintf(ca_copy, sizeof(ca_copy), "%s", ca ? ca : "(error)");
	char *cb = content_of(b);
	if (!want) {
		assert_true(a < 0);
		assert_true(b < 0);
		assert_int_equal(a, b);
		return;
	}
	assert_string_equal(ca_copy, want);
	assert_non_null(cb);
	assert_string_equal(cb, want);
}

static void test_resolution(void **state)
{
	(void)state;
	tmp = t_tmpdir();
	mk("image/etc/real", "inside");
	mk("outside-secret", "outside");
	ln("/etc/real", "image/abs");                 /* absolute: the image's /etc/real */
	ln("../../../../../../outside-secret", "image/climb"); /* ".." stops at the image's root */
	ln("etc/real", "image/rel");
	ln("../etc/real", "image/etc/up");
	ln("/abs", "image/chain");                    /* link to link */
	ln("loop2", "image/loop1");
	ln("loop1", "image/loop2");
	ln("/", "image/etc/rootlink");
	char img[4400];
	snprintf(img, sizeof(img), "%s/image", tmp);
	int rootfd = rootfs_open_root(img);
	assert_true(rootfd >= 0);
	same(rootfd, "etc/real", "inside");
	same(rootfd, "/etc/real", "inside");
	same(rootfd, "abs", "inside");
	same(rootfd, "rel", "inside");
	same(rootfd, "etc/up", "inside");
	same(rootfd, "chain", "inside");
	same(rootfd, "etc/rootlink/etc/rootlink/etc/real", "inside");
	same(rootfd, "../../etc/real", "inside");
	same(rootfd, "climb", NULL); /* resolves to IMAGE/outside-secret: not there */
	same(rootfd, "loop1", NULL);
	same(rootfd, "missing", NULL);
	assert_int_equal(rootfs_openat(rootfd, "loop1", O_RDONLY), -ELOOP);
	close(rootfd);
	t_rm_rf(tmp);
	free(tmp);
}

/* An image whose dpkg status is an absolute symlink must read the image's file, never the host's. */
static void test_absolute_status_symlink(void **state)
{
	(void)state;
	tmp = t_tmpdir();
	mk("image/var/lib/dpkg/status.real", "Package: only-in-image\nStatus: install ok installed\n"
					     "Version: 1.0-1\nArchitecture: all\n\n");
	ln("/var/lib/dpkg/status.real", "image/var/lib/dpkg/status");
	ln("/etc/passwd", "image2/var/lib/dpkg/status"); /* the host has one, image2 not */
	char img[4400];
	struct inventory *inv = NULL;
	char *err = NULL;
	snprintf(img, sizeof(img), "%s/image", tmp);
	assert_int_equal(inventory_load(img, &inv, &err), 0);
	assert_int_equal(inventory_count(inv), 1);
	assert_string_equal(inventory_get(inv, 0)->name, "only-in-image");
	inventory_free(inv);
	inv = NULL;
	snprintf(img, sizeof(img), "%s/image2", tmp);
	assert_int_equal(inventory_load(img, &inv, &err), -ENOENT);
	assert_null(inv);
	assert_non_null(strstr(err, "No such file"));
	free(err);
	t_rm_rf(tmp);
	free(tmp);
}

/* A FIFO or a device where a file should be: refused at once, never read (a FIFO would block). */
static void test_fifo_and_device_refused(void **state)
{
	(void)state;
	tmp = t_tmpdir();
	char p[4400], *buf = NULL;
	size_t len;
	mk("image/var/lib/dpkg/.keep", "");
	snprintf(p, sizeof(p), "%s/image/var/lib/dpkg/status", tmp);
	assert_int_equal(mkfifo(p, 0600), 0);
	ln("/dev/zero", "image/etc/os-release");
	char img[4400];
	snprintf(img, sizeof(img), "%s/image", tmp);
	struct inventory *inv = NULL;
	char *err = NULL;
	assert_int_equal(inventory_load(img, &inv, &err), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	free(err);
	/* the link to /dev/zero resolves inside the image: no such file there */
	assert_int_equal(rootfs_read_file(img, "etc/os-release", 1024, &buf, &len), -ENOENT);
	/* outside any root, the device itself is refused */
	assert_int_equal(fs_read_regular(AT_FDCWD, "/dev/zero", 0, 1024, &buf, &len), -EINVAL);
	assert_int_equal(fs_read_regular(AT_FDCWD, p, 0, 1024, &buf, &len), -EINVAL);
	assert_null(buf);
	t_rm_rf(tmp);
	free(tmp);
}

/* rootfs_resolve's steps: one per depth, the last written at each depth
 * being the final path's own components (what moat reach's permission
 * chains keep), whatever ".." and links did on the way. */
struct steps {
	char path[8][128];
	size_t n; /* calls */
	size_t max_depth;
};

static int record(void *ud, size_t depth, const char *path, size_t len, const struct stat *st)
{
	struct steps *s = ud;
	(void)st;
	assert_true(depth < 8);
	assert_int_equal(strlen(path), len);
	snprintf(s->path[depth], sizeof(s->path[depth]), "%s", path);
	s->n++;
	s->max_depth = depth > s->max_depth ? depth : s->max_depth;
	return 0;
}

static void resolve(int rootfd, const char *path, unsigned flags, int want_r, const char *want_out)
{
	char out[4096];
	struct steps s = { .n = 0 };
	int r = rootfs_resolve(rootfd, path, flags, out, sizeof(out), record, &s);
	assert_int_equal(r, want_r);
	if (want_out)
		assert_string_equal(out, want_out);
	assert_string_equal(s.path[0], "/");
	/* every component of the answer was a step at its depth */
	char prefix[4096];
	size_t depth = 0;
	for (const char *q = out + 1; (r == 1 || r == -ENOENT) && *q; q++)
		if (q[1] == '/' || q[1] == '\0') {
			depth++;
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(q + 1 - out), out);
			assert_string_equal(s.path[depth], prefix);
		}
}

static int stop_at_two(void *ud, size_t depth, const char *path, size_t len, const struct stat *st)
{
	(void)ud, (void)path, (void)len, (void)st;
	return depth >= 2 ? -E2BIG : 0;
}

static void test_resolve_steps(void **state)
{
	(void)state;
	tmp = t_tmpdir();
	mk("image/etc/real", "inside");
	mk("image/usr/lib/x", "x");
	ln("../etc/real", "image/etc/up");
	ln("/usr/lib", "image/etc/lib");
	ln("nowhere", "image/dangling");
	char img[4400];
	snprintf(img, sizeof(img), "%s/image", tmp);
	int rootfd = rootfs_open_root(img);
	assert_true(rootfd >= 0);
	resolve(rootfd, "/", 0, 1, "/");
	resolve(rootfd, "etc/real", 0, 1, "/etc/real");
	resolve(rootfd, "/etc/up", 0, 1, "/etc/real");
	resolve(rootfd, "/etc/lib/x", 0, 1, "/usr/lib/x"); /* absolute link: depths start again */
	resolve(rootfd, "/usr/lib/../../etc/./real", 0, 1, "/etc/real");
	resolve(rootfd, "/etc/..", 0, 1, "/");
	resolve(rootfd, "/etc/new", 0, 0, "/etc/new");	   /* the last one missing: named, to create */
	resolve(rootfd, "/etc/no/such", 0, -ENOENT, "/etc"); /* a directory missing: the deepest found */
	resolve(rootfd, "/dangling", 0, 0, "/nowhere");
	resolve(rootfd, "/dangling", ROOTFS_NOFOLLOW_LAST, 1, "/dangling");
	resolve(rootfd, "/etc/real/x", 0, -ENOTDIR, NULL);
	char out[4096];
	assert_int_equal(rootfs_resolve(rootfd, "/usr/lib/x", 0, out, sizeof(out), stop_at_two, NULL), -E2BIG);
	assert_int_equal(rootfs_resolve(rootfd, "/usr/lib/x", 0, out, 6, NULL, NULL), -ENAMETOOLONG);
	close(rootfd);
	t_rm_rf(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolution),
		cmocka_unit_test(test_absolute_status_symlink),
		cmocka_unit_test(test_fifo_and_device_refused),
		cmocka_unit_test(test_resolve_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
