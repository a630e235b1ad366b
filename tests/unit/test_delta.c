/* test_delta.c: the delta applier alone (lib/pack/delta.c) on hand-made deltas, good and hostile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pack/internal.h"

#define WHY_BASE "delta copies past the end of its base"
#define WHY_PAST "delta writes past its declared result size"
#define WHY_FEWER "delta produces fewer bytes than its declared result size"
#define WHY_ZERO "delta has the reserved opcode 0"
#define WHY_TRUNC "delta instruction stream is truncated"

/*
 * Apply `ops` (a delta without its size header) to `base` into a buffer of
 * exactly `alloc` bytes (so that ASan sees any write past it), declaring
 * `result_size`. Returns the applier's result; `*why` gets its reason.
 * The output is returned in `*out_buf` (caller frees) when asked.
 */
static int apply(const char **why, unsigned char **out_buf, const void *base, uint64_t base_size,
        const unsigned char *ops, size_t ops_len, uint64_t result_size, size_t alloc)
{
	unsigned char *out = malloc(alloc ? alloc : 1);
	unsigned char *delta = malloc(ops_len ? ops_len : 1);
	int rc;

	assert_non_null(out);
	assert_non_null(delta);
	/* copy the ops to a buffer of their exact size: reads past them are caught */
	memcpy(delta, ops, ops_len);
	*why = NULL;
	rc = pw__delta_apply(out, result_size, base, base_size, delta, ops_len, why);
	free(delta);
	if (out_buf)
		*out_buf = out;
	else
		free(out);
	return rc;
}

/* Expect success and exactly `want` (of `want_len` bytes) as the result. */
static void expect_result(const void *base, size_t base_size, const unsigned char *ops,
        size_t ops_len, const void *want, size_t want_len)
{
	unsigned char *out = NULL;
	const char *why;

	assert_int_equal(apply(&why, &out, base, base_size, ops, ops_len, want_len, want_len), 0);
	assert_null(why);
	assert_memory_equal(out, want, want_len);
	free(out);
}

/* Expect failure with reason `want_why`; the output buffer is `alloc` bytes. */
static void expect_fail(const void *base, uint64_t base_size, const unsigned char *ops,
        size_t ops_len, uint64_t result_size, size_t alloc, const char *want_why)
{
	const char *why;

	assert_int_equal(apply(&why, NULL, base, base_size, ops, ops_len, result_size, alloc), -1);
	assert_non_null(why);
	assert_string_equal(why, want_why);
}

static const char digits[] = "0123456789abcdefghij"; /* a 20-byte base */

static void test_copy(void **state)
{
	static const unsigned char one[] = {0x91, 2, 3}; /* off 2, size 3 */
	static const unsigned char whole[] = {0x90, 20}; /* off 0 (no bytes), size 20 */
	static const unsigned char two[] = {0x91, 17, 3, 0x91, 0, 2};
	(void)state;
	expect_result(digits, 20, one, sizeof(one), "234", 3);
	expect_result(digits, 20, whole, sizeof(whole), digits, 20);
	expect_result(digits, 20, two, sizeof(two), "hij01", 5);
}

static void test_copy_every_argument_byte(void **state)
{
	/* all four offset bytes and all three size bytes present, each 0 or small */
	static const unsigned char ops[] = {0xff, 5, 0, 0, 0, 4, 0, 0};
	/* offset and size bytes present but zero: offset 0, size 0x0100 */
	static const unsigned char zeros[] = {0xb5, 0, 0, 0, 1};
	unsigned char big[0x100 + 7];
	unsigned char *out = NULL;
	const char *why;
	(void)state;
	expect_result(digits, 20, ops, sizeof(ops), "5678", 4);
	memset(big, 'z', sizeof(big));
	assert_int_equal(
	        apply(&why, &out, big, sizeof(big), zeros, sizeof(zeros), 0x100, 0x100), 0);
	assert_memory_equal(out, big, 0x100);
	free(out);
}

static void test_insert(void **state)
{
	static const unsigned char ops[] = {3, 'a', 'b', 'c'};
	static const unsigned char mixed[] = {2, 'X', 'Y', 0x91, 10, 2, 1, '!'};
	unsigned char ins127[128];
	unsigned char want[127];
	(void)state;
	expect_result(digits, 20, ops, sizeof(ops), "abc", 3);
	expect_result(digits, 20, mixed, sizeof(mixed), "XYab!", 5);
	/* the longest insert, 127 bytes, from an empty base */
	ins127[0] = 127;
	memset(ins127 + 1, 'q', 127);
	memset(want, 'q', 127);
	expect_result("", 0, ins127, sizeof(ins127), want, 127);
}

static void test_empty_delta(void **state)
{
	(void)state;
	expect_result(digits, 20, (const unsigned char *)"", 0, "", 0);
	expect_fail(digits, 20, (const unsigned char *)"", 0, 1, 1, WHY_FEWER);
}

/* A copy with no size bytes copies 0x10000 bytes. */
static void test_copy_size_zero_means_64k(void **state)
{
	static const unsigned char from0[] = {0x80};      /* off 0, size 0x10000 */
	static const unsigned char from5[] = {0x81, 5};   /* off 5, size 0x10000 */
	static const unsigned char from11[] = {0x81, 11}; /* off 11: one byte short */
	/* explicit size bytes that are all zero also mean 0x10000 */
	static const unsigned char zero_bytes[] = {0xb0, 0, 0};
	size_t n = 0x10000 + 10, i;
	unsigned char *base = malloc(n), *out = NULL;
	const char *why;
	(void)state;

	assert_non_null(base);
	for (i = 0; i < n; i++)
		base[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(apply(&why, &out, base, n, from0, sizeof(from0), 0x10000, 0x10000), 0);
	assert_memory_equal(out, base, 0x10000);
	free(out);
	assert_int_equal(apply(&why, &out, base, n, from5, sizeof(from5), 0x10000, 0x10000), 0);
	assert_memory_equal(out, base + 5, 0x10000);
	free(out);
	assert_int_equal(
	        apply(&why, &out, base, n, zero_bytes, sizeof(zero_bytes), 0x10000, 0x10000), 0);
	assert_memory_equal(out, base, 0x10000);
	free(out);
	expect_fail(base, n, from11, sizeof(from11), 0x10000, 0x10000, WHY_BASE);
	/* a size-less copy from a small base is out of bounds, not 0 bytes */
	expect_fail(digits, 20, from0, sizeof(from0), 0x10000, 16, WHY_BASE);
	/* ... and into a result declared smaller than 0x10000 it writes past it */
	expect_fail(base, n, from0, sizeof(from0), 100, 100, WHY_PAST);
	free(base);
}

static void test_copy_at_base_edge(void **state)
{
	static const unsigned char last1[] = {0x91, 19, 1};  /* the last byte */
	static const unsigned char last5[] = {0x91, 15, 5};  /* the last five */
	static const unsigned char at_end[] = {0x91, 20, 1}; /* one past the end */
	static const unsigned char over1[] = {0x91, 16, 5};  /* one byte too many */
	static const unsigned char all21[] = {0x90, 21};     /* the whole base and one */
	static const unsigned char empty0[] = {0x90, 1};     /* anything from an empty base */
	(void)state;
	expect_result(digits, 20, last1, sizeof(last1), "j", 1);
	expect_result(digits, 20, last5, sizeof(last5), "fghij", 5);
	expect_fail(digits, 20, at_end, sizeof(at_end), 1, 1, WHY_BASE);
	expect_fail(digits, 20, over1, sizeof(over1), 5, 5, WHY_BASE);
	expect_fail(digits, 20, all21, sizeof(all21), 21, 21, WHY_BASE);
	expect_fail("", 0, empty0, sizeof(empty0), 1, 1, WHY_BASE);
}

/*
 * The largest offset and size a copy can name: 0xffffffff + 0xffffff. The
 * base size is a lie for the cases that must fail (nothing may be read);
 * the check must be exact at the boundary with no wrap-around.
 */
static void test_copy_far_offsets(void **state)
{
	static const unsigned char far[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const unsigned char far_off[] = {0x9f, 0xff, 0xff, 0xff, 0xff, 1};
	static const unsigned char high_byte[] = {0x98, 0x01, 1}; /* off 0x01000000 */
	uint64_t end = 0xffffffffull + 0xffffffull;
	(void)state;
	expect_fail(digits, 20, far, sizeof(far), 0xffffff, 16, WHY_BASE);
	expect_fail(digits, end - 1, far, sizeof(far), 0xffffff, 16, WHY_BASE);
	expect_fail(digits, 0xffffffffull, far_off, sizeof(far_off), 1, 1, WHY_BASE);
	expect_fail(digits, UINT64_MAX - 0x10000, far_off, sizeof(far_off), 0, 1, WHY_PAST);
	expect_fail(digits, 20, high_byte, sizeof(high_byte), 1, 1, WHY_BASE);
}

static void test_reserved_opcode_zero(void **state)
{
	static const unsigned char first[] = {0x00};
	static const unsigned char later[] = {1, 'a', 0x00, 1, 'b'};
	(void)state;
	expect_fail(digits, 20, first, sizeof(first), 0, 1, WHY_ZERO);
	expect_fail(digits, 20, later, sizeof(later), 2, 2, WHY_ZERO);
}

/* Every argument byte a copy names may be the one missing. */
static void test_truncated_copy(void **state)
{
	static const unsigned char flags[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40};
	unsigned char ops[9];
	size_t i, k;
	(void)state;
	for (i = 0; i < sizeof(flags); i++) {
		/* the flag's byte is the last one the copy needs; give none of it */
		unsigned char cmd = (unsigned char)(0x80 | flags[i]);
		ops[0] = cmd;
		expect_fail(digits, 20, ops, 1, 1, 1, WHY_TRUNC);
	}
	/* all seven argument bytes named, 0..6 of them present */
	for (k = 0; k < 7; k++) {
		ops[0] = 0xff;
		memset(ops + 1, 0, k);
		expect_fail(digits, 20, ops, 1 + k, 1, 1, WHY_TRUNC);
	}
	/* a truncated copy after a good instruction */
	ops[0] = 1;
	ops[1] = 'a';
	ops[2] = 0x91;
	ops[3] = 2;
	expect_fail(digits, 20, ops, 4, 4, 4, WHY_TRUNC);
}

static void test_truncated_insert(void **state)
{
	static const unsigned char short3[] = {10, 'a', 'b', 'c'};
	static const unsigned char none[] = {127};
	static const unsigned char after[] = {0x91, 0, 2, 5, 'x'};
	(void)state;
	expect_fail(digits, 20, short3, sizeof(short3), 10, 10, WHY_TRUNC);
	expect_fail(digits, 20, none, sizeof(none), 127, 127, WHY_TRUNC);
	expect_fail(digits, 20, after, sizeof(after), 7, 7, WHY_TRUNC);
}

static void test_result_size_mismatch(void **state)
{
	static const unsigned char copy10[] = {0x90, 10};
	static const unsigned char ins3[] = {3, 'a', 'b', 'c'};
	static const unsigned char both[] = {0x90, 4, 2, 'x', 'y'};
	(void)state;
	/* declared larger than what the delta makes */
	expect_fail(digits, 20, copy10, sizeof(copy10), 11, 11, WHY_FEWER);
	expect_fail(digits, 20, ins3, sizeof(ins3), 4, 4, WHY_FEWER);
	expect_fail(digits, 20, both, sizeof(both), 7, 7, WHY_FEWER);
	/* declared smaller: the write that would pass it is refused */
	expect_fail(digits, 20, copy10, sizeof(copy10), 9, 9, WHY_PAST);
	expect_fail(digits, 20, ins3, sizeof(ins3), 2, 2, WHY_PAST);
	expect_fail(digits, 20, both, sizeof(both), 5, 5, WHY_PAST);
	expect_fail(digits, 20, both, sizeof(both), 0, 1, WHY_PAST);
	/* a huge declared size must not wrap the room left; only 3 bytes are written */
	expect_fail(digits, 20, ins3, sizeof(ins3), UINT64_MAX, 3, WHY_FEWER);
	expect_fail(digits, 20, copy10, sizeof(copy10), UINT64_MAX, 10, WHY_FEWER);
}

/* pw__delta_sizes: the two size varints at the head of a delta. */
static int sizes(uint64_t *b, uint64_t *r, size_t *hdr, const unsigned char *d, size_t len)
{
	unsigned char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, d, len);
	rc = pw__delta_sizes(b, r, hdr, copy, len);
	free(copy);
	return rc;
}

static void test_sizes(void **state)
{
	static const unsigned char small[] = {20, 5, 0x91};
	static const unsigned char multi[] = {0x80, 0x80, 0x04, 0xff, 0x7f};
	/* 2^64 - 1: nine 0xff then 0x01 */
	static const unsigned char max[] = {
	        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0};
	uint64_t b, r;
	size_t hdr;
	(void)state;
	assert_int_equal(sizes(&b, &r, &hdr, small, sizeof(small)), 0);
	assert_true(b == 20 && r == 5 && hdr == 2);
	assert_int_equal(sizes(&b, &r, &hdr, multi, sizeof(multi)), 0);
	assert_true(b == (4u << 14) && r == 0x3fff && hdr == 5);
	assert_int_equal(sizes(&b, &r, &hdr, max, sizeof(max)), 0);
	assert_true(b == UINT64_MAX && r == 0 && hdr == 11);
}

static void test_sizes_truncated(void **state)
{
	static const unsigned char cont[] = {0x80};
	static const unsigned char only_base[] = {20};
	static const unsigned char result_cont[] = {20, 0x85};
	uint64_t b, r;
	size_t hdr;
	(void)state;
	assert_int_equal(sizes(&b, &r, &hdr, (const unsigned char *)"", 0), -1);
	assert_int_equal(sizes(&b, &r, &hdr, cont, sizeof(cont)), -1);
	assert_int_equal(sizes(&b, &r, &hdr, only_base, sizeof(only_base)), -1);
	assert_int_equal(sizes(&b, &r, &hdr, result_cont, sizeof(result_cont)), -1);
}

static void test_sizes_overflow(void **state)
{
	/* 2^64: the tenth byte carries a bit past bit 63 */
	static const unsigned char over[] = {
	        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0};
	/* eleven bytes, all continuing but zero: more than 64 bits of varint */
	static const unsigned char eleven[] = {
	        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0};
	/* the result size overflows, the base size is fine */
	static const unsigned char result[] = {
	        5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
	uint64_t b, r;
	size_t hdr;
	(void)state;
	assert_int_equal(sizes(&b, &r, &hdr, over, sizeof(over)), -1);
	assert_int_equal(sizes(&b, &r, &hdr, eleven, sizeof(eleven)), -1);
	assert_int_equal(sizes(&b, &r, &hdr, result, sizeof(result)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_copy),
	        cmocka_unit_test(test_copy_every_argument_byte),
	        cmocka_unit_test(test_insert),
	        cmocka_unit_test(test_empty_delta),
	        cmocka_unit_test(test_copy_size_zero_means_64k),
	        cmocka_unit_test(test_copy_at_base_edge),
	        cmocka_unit_test(test_copy_far_offsets),
	        cmocka_unit_test(test_reserved_opcode_zero),
	        cmocka_unit_test(test_truncated_copy),
	        cmocka_unit_test(test_truncated_insert),
	        cmocka_unit_test(test_result_size_mismatch),
	        cmocka_unit_test(test_sizes),
	        cmocka_unit_test(test_sizes_truncated),
	        cmocka_unit_test(test_sizes_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
