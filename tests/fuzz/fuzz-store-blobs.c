/*
 * fuzz-store-blobs: the store's packed rows as a damaged or hostile file
 * would hold them, through the decoders that read them back: a noise row
 * (blocks of sources, store/noise.c) and a noise_users row (accounts of a
 * flush). Whatever the bytes, the decoders stop with -EBADMSG or answer;
 * they never read past the data.
 *
 * Input: one byte choosing the decoder (even: noise, odd: accounts), then
 * the row's data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "store/pack.h"
#include "store/store-internal.h"

static volatile uint64_t sink; /* what was decoded stays used */

static int on_event(void *ud, const struct addr *src, uint32_t index, const struct pk_event *e)
{
	(void)src;
	(void)index;
	*(uint64_t *)ud += (uint64_t)e->time_us + e->user + e->count;
	return 0;
}

static int on_source(void *ud, const struct addr *src)
{
	*(uint64_t *)ud += src->family;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t sum = 0;
	if (size < 1)
		return 0;
	/* a copy of exactly the row's bytes: a read past them is caught */
	size_t n = size - 1;
	uint8_t *row = malloc(n ? n : 1);
	if (!row)
		return 0;
	memcpy(row, data + 1, n);
	if (data[0] % 2 == 0) {
		struct addr only = { .family = ADDR_V4, .bytes = { 203, 0, 113, 9 } };
		(void)store_noise_decode(row, n, 0, NULL, on_event, &sum);
		(void)store_noise_decode(row, n, 0, &only, on_event, &sum);
	} else {
		(void)store_noise_users_decode(row, n, 0, 1, INT64_MIN, INT64_MAX, on_source, &sum);
		(void)store_noise_users_decode(row, n, 0, 2, 0, 1000000, on_source, &sum);
	}
	free(row);
	sink = sum;
	return 0;
}
