/* fuzz-debver: parse and compare arbitrary bytes; the input is split at the
 * first NUL (or in the middle) into two versions. Checks antisymmetry and
 * reflexivity, and that a parsed version's parts lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exposure/debver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, '\0', size);
	size_t cut = nul ? (size_t)(nul - p) : size / 2;
	struct sv a = sv_make(p, cut), b = sv_make(p + cut + (nul ? 1 : 0), size - cut - (nul ? 1 : 0));
	struct debver va;
	const char *why;

	if (debver_parse(a, &va, &why) == 1) {
		if (va.upstream.n == 0 || va.upstream.p < a.p || va.upstream.p + va.upstream.n > a.p + a.n)
			__builtin_trap();
	}
	int ab = debver_cmp_sv(a, b), ba = debver_cmp_sv(b, a);
	if ((ab > 0) != (ba < 0) || (ab == 0) != (ba == 0))
		__builtin_trap();
	if (debver_cmp_sv(a, a) != 0)
		__builtin_trap();
	return 0;
}
