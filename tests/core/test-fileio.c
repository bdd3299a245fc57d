/* core/array and core/fileio: doubling growth, and whole-descriptor reads
 * with their bound (pipes and files, empty, NUL bytes, one byte too many). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../test-tmp.h"
#include "core/array.h"
#include "core/fileio.h"

static void test_array_reserve(void **state)
{
	int *v = NULL;
	size_t cap = 0;
	(void)state;

	assert_int_equal(array_reserve(&v, &cap, 1, sizeof(*v), 16), 0);
	assert_non_null(v);
	assert_int_equal(cap, 16);
	for (int i = 0; i < 16; i++)
		v[i] = i;
	/* room already there: nothing moves */
	int *before = v;
	assert_int_equal(array_reserve(&v, &cap, 16, sizeof(*v), 16), 0);
	assert_ptr_equal(v, before);
	/* one more doubles, more than double doubles again */
	assert_int_equal(array_reserve(&v, &cap, 17, sizeof(*v), 16), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(array_reserve(&v, &cap, 100, sizeof(*v), 16), 0);
	assert_int_equal(cap, 128);
	for (int i = 0; i < 16; i++)
		assert_int_equal(v[i], i);
	/* impossible sizes fail and leave the array as it was */
	before = v;
	assert_int_equal(array_reserve(&v, &cap, SIZE_MAX, sizeof(*v), 16), -ENOMEM);
	assert_int_equal(array_reserve(&v, &cap, SIZE_MAX / 8, sizeof(*v), 16), -ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 128);
	free(v);
}

/* Writes n bytes of a pattern (with NULs) into a pipe from a child. */
static int pipe_of(size_t n)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		for (size_t i = 0; i < n; i++) {
			char c = (char)(i % 7 == 0 ? '\0' : 'a' + i % 26);
			if (write(p[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void check_pattern(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], (char)(i % 7 == 0 ? '\0' : 'a' + i % 26));
	assert_int_equal(buf[n], '\0');
}

static void test_read_pipe(void **state)
{
	char *buf = NULL;
	size_t cap = 0;
	(void)state;

	int fd = pipe_of(0);
	assert_int_equal(read_to_end(fd, &buf, &cap, 100), 0);
	close(fd);
	assert_non_null(buf);
	assert_int_equal(buf[0], '\0');

	/* past the first allocation, NULs kept */
	fd = pipe_of(200000);
	assert_int_equal(read_to_end(fd, &buf, &cap, 200000), 200000);
	close(fd);
	check_pattern(buf, 200000);

	/* the same buffer again, for less */
	fd = pipe_of(10);
	assert_int_equal(read_to_end(fd, &buf, &cap, 1000), 10);
	close(fd);
	check_pattern(buf, 10);

	/* one byte over the bound, with a buffer already larger than it */
	fd = pipe_of(1001);
	assert_int_equal(read_to_end(fd, &buf, &cap, 1000), -EFBIG);
	close(fd);
	free(buf);

	buf = NULL;
	cap = 0;
	fd = pipe_of(70000);
	assert_int_equal(read_to_end(fd, &buf, &cap, 69999), -EFBIG);
	assert_true(cap <= 70001);
	close(fd);
	free(buf);
}

static void test_read_file(void **state)
{
	char *dir = test_tmpdir("fileio"), path[4096], *buf = NULL;
	size_t cap = 0;
	(void)state;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a\0b\nc", 5), 5);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_to_end(fd, &buf, &cap, 5), 5);
	assert_memory_equal(buf, "a\0b\nc", 6);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_to_end(fd, &buf, &cap, 4), -EFBIG);
	close(fd);
	/* not readable: the error is the read's */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(read_to_end(fd, &buf, &cap, 100), -EBADF);
	close(fd);
	free(buf);
	unlink(path);
	rmdir(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_reserve),
		cmocka_unit_test(test_read_pipe),
		cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
