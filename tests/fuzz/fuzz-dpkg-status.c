/* fuzz-dpkg-status: the dpkg status parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "exposure/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;
	if (inventory_parse((const char *)data, size, "fuzz", &inv) < 0)
		return 0;
	for (size_t i = 0; i < inventory_count(inv); i++) {
		const struct inv_pkg *p = inventory_get(inv, i);
		/* every kept package has a name, a valid version and a source */
		if (!p->name[0] || !p->version[0] || !p->source[0] || !p->source_version[0])
			__builtin_trap();
	}
	for (size_t i = 0; i < inventory_n_problems(inv) && i < INVENTORY_MAX_PROBLEMS; i++)
		(void)inventory_problem(inv, i);
	inventory_free(inv);
	return 0;
}
