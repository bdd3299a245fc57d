/* fileio: see fileio.h. */
#include "core/fileio.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/macro.h"

#define READ_FIRST ((size_t)64 * 1024)

/* Room for at least need bytes, doubling, never more than limit. */
static int reserve(char **buf, size_t *cap, size_t need, size_t limit)
{
	size_t c = *cap ? *cap : MIN(READ_FIRST, limit);
	char *b;

	if (need > limit)
		return -EFBIG;
	while (c < need)
		c = c > limit / 2 ? limit : c * 2;
	if (c <= *cap)
		return 0;
	b = realloc(*buf, c);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = c;
	return 0;
}

ssize_t read_to_end(int fd, char **buf, size_t *cap, size_t max)
{
	size_t limit, n = 0;
	struct stat st;
	int r;

	if (max > SSIZE_MAX - 2)
		max = SSIZE_MAX - 2;
	limit = max + 2; /* max bytes, one more to notice a longer input, and the NUL */
	/* a regular file's size is the first guess */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= max) {
		r = reserve(buf, cap, (size_t)st.st_size + 2, limit);
		if (r < 0)
			return r;
	}
	for (;;) {
		r = reserve(buf, cap, n + 2, limit);
		if (r < 0)
			return r;
		ssize_t k = read(fd, *buf + n, *cap - n - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max)
			return -EFBIG;
	}
	(*buf)[n] = '\0';
	return (ssize_t)n;
}
