/* list: push, unlink, order, and the zeroed node as "on no list". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/list.h"

struct item {
	int v;
	struct list link;
};

static void test_order(void **state)
{
	(void)state;
	struct list h;
	struct item it[5] = { { 0 }, { 1 }, { 2 }, { 3 }, { 4 } };

	list_init(&h);
	assert_true(list_empty(&h));
	assert_null(list_oldest(&h));
	assert_null(list_newest(&h));
	assert_false(list_linked(&it[0].link));
	list_unlink(&it[0].link); /* on no list: nothing happens */

	for (int i = 0; i < 5; i++)
		list_push(&h, &it[i].link);
	assert_int_equal(list_entry(list_oldest(&h), struct item, link)->v, 0);
	assert_int_equal(list_entry(list_newest(&h), struct item, link)->v, 4);

	/* pushing again moves an element to the front */
	list_push(&h, &it[0].link);
	int want[] = { 0, 4, 3, 2, 1 }, k = 0;
	list_for_each(p, &h) assert_int_equal(list_entry(p, struct item, link)->v, want[k++]);
	assert_int_equal(k, 5);

	list_unlink(&it[3].link);
	assert_false(list_linked(&it[3].link));
	int want2[] = { 0, 4, 2, 1 };
	k = 0;
	list_for_each(p, &h) assert_int_equal(list_entry(p, struct item, link)->v, want2[k++]);
	assert_int_equal(k, 4);

	while (list_oldest(&h))
		list_unlink(list_oldest(&h));
	assert_true(list_empty(&h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
