#include "core/strview.h"

#include <errno.h>
#include <stdlib.h>

long sv_rfind(struct sv v, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return (long)v.n;
	if (v.n < n)
		return -1;
	for (size_t i = v.n - n + 1; i-- > 0;)
		if (v.p[i] == needle[0] && memcmp(v.p + i, needle, n) == 0)
			return (long)i;
	return -1;
}

int sv_to_u64(struct sv v, unsigned long long max, unsigned long long *ret)
{
	unsigned long long x = 0;
	if (v.n == 0 || v.n > 20)
		return -EINVAL;
	for (size_t i = 0; i < v.n; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';
		if (d > 9)
			return -EINVAL;
		if (d > max || x > (max - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*ret = x;
	return 0;
}

bool sv_hex_u64(struct sv v, uint64_t *ret)
{
	uint64_t x = 0;
	if (v.n == 0 || v.n > 16)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*ret = x;
	return true;
}

char *sv_dup(struct sv v)
{
	char *s = malloc(v.n + 1);
	if (!s)
		return NULL;
	if (v.n)
		memcpy(s, v.p, v.n);
	s[v.n] = '\0';
	return s;
}
