/*
 * array: growing a heap array by doubling, the one way every module does it.
 */
#pragma once

#include <stddef.h>

/* Makes room for at least need elements of elem bytes in the array whose
 * pointer is at *parray (any object pointer type; NULL when empty) and whose
 * capacity is *cap: the capacity doubles, starting from first, until it
 * holds need. Returns 0, or -ENOMEM with the array and *cap unchanged. */
int array_reserve(void *parray, size_t *cap, size_t need, size_t elem, size_t first);
