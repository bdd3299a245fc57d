/* array: see array.h. */
#include "core/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int array_reserve(void *parray, size_t *cap, size_t need, size_t elem, size_t first)
{
	void *v, *nv;
	size_t c;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap : (first ? first : 1);
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (elem && c > PTRDIFF_MAX / elem)
		return -ENOMEM; /* no allocation can be that large */
	/* the pointer is copied in and out as bytes: parray may point at a
	 * pointer of any object type */
	memcpy(&v, parray, sizeof(v));
	nv = reallocarray(v, c, elem);
	if (!nv)
		return -ENOMEM;
	memcpy(parray, &nv, sizeof(nv));
	*cap = c;
	return 0;
}
