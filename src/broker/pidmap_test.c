/*
 * pidmap_test.c - packet-id map and allocation.
 */
#include "pidmap.h"

#include "../base/err.h"
#include "../base/test.h"

static void
test_put_get_del(void)
{
	struct pidmap m = {0};
	int a, b;
	void *v = NULL;

	T_CHECK(!pidmap_get(&m, 1, NULL));
	T_CHECK_INT(pidmap_put(&m, 1, &a), 0);
	T_CHECK_INT(pidmap_put(&m, 2, &b), 0);
	T_CHECK_INT(pidmap_put(&m, 1, &b), TERN_EEXIST);
	T_CHECK(pidmap_get(&m, 1, &v) && v == &a);
	T_CHECK(pidmap_get(&m, 2, &v) && v == &b);
	pidmap_del(&m, 1);
	T_CHECK(!pidmap_get(&m, 1, NULL));
	T_CHECK(pidmap_get(&m, 2, &v) && v == &b);
	T_CHECK_INT(m.count, 1);
	pidmap_fini(&m);
}

/* Many inserts and deletes in a mixed order keep every survivor. */
static void
test_churn_keeps_members(void)
{
	struct pidmap m = {0};
	static char present[65536];

	memset(present, 0, sizeof present);
	for (uint32_t i = 1; i < 20000; i++) {
		uint16_t pid = (uint16_t)((i * 7919u) % 65535u + 1u);
		if (pidmap_put(&m, pid, NULL) == 0) {
			present[pid] = 1;
		}
		if (i % 3 == 0) {
			uint16_t gone = (uint16_t)((i * 104729u) % 65535u + 1u);
			pidmap_del(&m, gone);
			present[gone] = 0;
		}
	}
	for (uint32_t pid = 1; pid < 65536; pid++) {
		T_CHECK_INT(pidmap_get(&m, (uint16_t)pid, NULL), present[pid]);
	}
	pidmap_fini(&m);
}

/* [MQTT-2.3.1-2] an id in use is never handed out again. */
static void
test_mqtt_2_3_1_2_alloc_skips_ids_in_use(void)
{
	struct pidmap m = {0};
	uint16_t cursor = 1;

	T_CHECK_INT(pidmap_put(&m, 1, NULL), 0);
	T_CHECK_INT(pidmap_put(&m, 2, NULL), 0);
	T_CHECK_INT(pidmap_alloc(&m, &cursor), 3);
	T_CHECK_INT(cursor, 4);
	cursor = 65535;
	T_CHECK_INT(pidmap_alloc(&m, &cursor), 65535);
	/* Wraps past 0 and past the ids in use. */
	T_CHECK_INT(pidmap_alloc(&m, &cursor), 3);
	pidmap_fini(&m);
}

static void
test_alloc_exhausted(void)
{
	struct pidmap m = {0};
	uint16_t cursor = 1;

	for (uint32_t pid = 1; pid <= 65535; pid++) {
		T_CHECK_INT(pidmap_put(&m, (uint16_t)pid, NULL), 0);
	}
	T_CHECK_INT(pidmap_alloc(&m, &cursor), 0);
	pidmap_del(&m, 4242);
	T_CHECK_INT(pidmap_alloc(&m, &cursor), 4242);
	pidmap_fini(&m);
}

T_MAIN(T_CASE(test_put_get_del), T_CASE(test_churn_keeps_members),
       T_CASE(test_mqtt_2_3_1_2_alloc_skips_ids_in_use),
       T_CASE(test_alloc_exhausted))
