/*
 * test_fuzz_regressions.c: library bugs the fuzz targets found (tests/fuzz/,
 * docs/fuzzing.md), each reproduced here so that the regular and ASan builds
 * catch a return of it without clang or libFuzzer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "packwin.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif

#define DUP_IDX PW_FIXTURES "/corrupt/idx-offset-duplicate/pack-a010ff1ec291039d046916b82cd91f22fe55cdfb.idx"

static uint64_t wm_requests(pw_wm *wm)
{
	pw_wm_stats st;
	pw_wm_get_stats(&st, wm);
	return st.hits + st.misses;
}

/*
 * fuzz_idx (regressions/fuzz_idx/rev-rebuilt-per-call-oom): over an idx
 * whose reverse index cannot be built (two objects share an offset), every
 * pack-order call rebuilt it from the whole idx, and failed again: a caller
 * walking pack order paid O(count) per object, and the fuzzer ran out of
 * memory. The failure is now remembered: same error, no idx read.
 */
static void test_rev_failure_is_not_rebuilt(void **state)
{
	pw_wm *wm = NULL;
	pw_pack *p = NULL;
	char first[512];
	uint64_t before;
	uint32_t pos;
	pw_oid id;
	int i;

	(void)state;
	assert_int_equal(pw_wm_new(&wm, NULL), 0);
	assert_int_equal(pw_pack_open(&p, wm, DUP_IDX, NULL), 0);
	assert_int_equal(pw_pack_order_nth(&pos, p, 0), PW_ECORRUPT);
	snprintf(first, sizeof(first), "%s", pw_error_last());
	assert_non_null(strstr(first, "share offset"));
	before = wm_requests(wm);
	for (i = 0; i < 50; i++) {
		assert_int_equal(pw_pack_order_nth(&pos, p, (uint32_t)i), PW_ECORRUPT);
		assert_string_equal(pw_error_last(), first);
		assert_int_equal(pw_pack_offset_oid(&id, p, 12), PW_ECORRUPT);
		assert_string_equal(pw_error_last(), first);
	}
	assert_int_equal(wm_requests(wm), before);
	pw_pack_free(p);
	pw_wm_free(wm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rev_failure_is_not_rebuilt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
