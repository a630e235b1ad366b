/* test_util.c: the shared building blocks of lib/util — list, array, hex and path helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"
#include "util/list.h"
#include "util/str.h"

typedef struct item {
	int v;
	pw_list node;
} item;

static int item_value(pw_list *n)
{
	return PW_LIST_ENTRY(n, item, node)->v;
}

/* The values of `l` head to tail, as digits ("312"). */
static void list_str(char *out, pw_list *l)
{
	pw_list *it;
	size_t k = 0;

	PW_LIST_FOREACH(it, l)
		out[k++] = (char)('0' + item_value(it));
	out[k] = '\0';
}

static void test_list_order(void **state)
{
	item a = { 1, { NULL, NULL } }, b = { 2, { NULL, NULL } }, c = { 3, { NULL, NULL } };
	pw_list l, *it, *tmp;
	char s[8];
	int k = 0;

	(void)state;
	pw__list_init(&l);
	pw__list_init(&a.node);
	assert_true(pw__list_empty(&l));
	assert_null(pw__list_first(&l));
	assert_null(pw__list_last(&l));
	assert_false(pw__list_linked(&a.node));

	pw__list_push_back(&l, &a.node);
	pw__list_push_back(&l, &b.node);
	pw__list_push_front(&l, &c.node);
	list_str(s, &l);
	assert_string_equal(s, "312");
	assert_int_equal(item_value(pw__list_first(&l)), 3);
	assert_int_equal(item_value(pw__list_last(&l)), 2);
	assert_true(pw__list_linked(&a.node));

	pw__list_move_front(&l, &b.node);
	list_str(s, &l);
	assert_string_equal(s, "231");

	/* least recent first, removing as it goes (LRU eviction's walk) */
	PW_LIST_FOREACH_REVERSE_SAFE(it, tmp, &l) {
		s[k++] = (char)('0' + item_value(it));
		pw__list_remove(it);
	}
	s[k] = '\0';
	assert_string_equal(s, "132");
	assert_true(pw__list_empty(&l));
	assert_false(pw__list_linked(&b.node));
}

static void test_list_remove_twice_and_safe_walk(void **state)
{
	item v[5];
	pw_list l, *it, *tmp;
	char s[8];
	int i;

	(void)state;
	pw__list_init(&l);
	for (i = 0; i < 5; i++) {
		v[i].v = i;
		pw__list_push_back(&l, &v[i].node);
	}
	/* removing a node twice leaves the list intact */
	pw__list_remove(&v[2].node);
	pw__list_remove(&v[2].node);
	list_str(s, &l);
	assert_string_equal(s, "0134");
	PW_LIST_FOREACH_SAFE(it, tmp, &l)
		if (item_value(it) % 2)
			pw__list_remove(it);
	list_str(s, &l);
	assert_string_equal(s, "04");
}

static void test_array_growth(void **state)
{
	PW_ARRAY(uint32_t) a = PW_ARRAY_INIT;
	uint32_t i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		uint32_t *slot = PW_ARRAY_ALLOC(&a, 4);
		assert_non_null(slot);
		*slot = i * 7;
	}
	assert_int_equal(a.n, 10000);
	assert_true(a.cap >= a.n);
	for (i = 0; i < 10000; i++)
		assert_int_equal(a.v[i], i * 7);
	/* reserving less than the capacity changes nothing */
	{
		uint32_t *before = a.v;
		size_t cap = a.cap;
		assert_int_equal(PW_ARRAY_RESERVE(&a, 10, 4), 0);
		assert_ptr_equal(a.v, before);
		assert_int_equal(a.cap, cap);
	}
	PW_ARRAY_FREE(&a);
	assert_null(a.v);
	assert_int_equal(a.n, 0);
	assert_int_equal(a.cap, 0);
}

static void test_array_overflow_refused(void **state)
{
	PW_ARRAY(uint64_t) a = PW_ARRAY_INIT;

	(void)state;
	assert_non_null(PW_ARRAY_ALLOC(&a, 1));
	/* element count whose byte size overflows: refused, array unchanged */
	assert_int_equal(PW_ARRAY_RESERVE(&a, SIZE_MAX / 2, 1), -1);
	assert_int_equal(PW_ARRAY_RESERVE(&a, SIZE_MAX, 1), -1);
	assert_int_equal(a.n, 1);
	assert_non_null(a.v);
	PW_ARRAY_FREE(&a);
}

static void test_hexval_every_byte(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		assert_int_equal(pw__hexval(c), want);
	}
}

static void test_hex_round_trip(void **state)
{
	unsigned char raw[32], back[32];
	char hex[65];
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)(i * 37 + 5);
	pw__hex_encode(hex, raw, sizeof(raw));
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(pw__hex_decode(back, hex, sizeof(back)), 0);
	assert_memory_equal(raw, back, sizeof(raw));
	assert_int_equal(pw__hex_decode(back, "0aFf", 2), 0);
	assert_int_equal(back[0], 0x0a);
	assert_int_equal(back[1], 0xff);
	assert_int_equal(pw__hex_decode(back, "0g", 1), -1);
	assert_int_equal(pw__hex_decode(back, "g0", 1), -1);
	/* a NUL before the end is a bad digit, never read past */
	assert_int_equal(pw__hex_decode(back, "ab", 2), -1);
}

static void test_path_join(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(pw__path_join(out, sizeof(out), "ab", "cd"), 0);
	assert_string_equal(out, "ab/cd");
	assert_int_equal(pw__path_join(out, sizeof(out), "ab/", "cd"), 0);
	assert_string_equal(out, "ab/cd");
	assert_int_equal(pw__path_join(out, sizeof(out), "", "cd"), 0);
	assert_string_equal(out, "cd");
	/* exactly fits: 7 characters and the NUL */
	assert_int_equal(pw__path_join(out, sizeof(out), "abc", "def"), 0);
	assert_string_equal(out, "abc/def");
	/* one byte short: refused, never truncated */
	assert_int_equal(pw__path_join(out, sizeof(out), "abcd", "efg"), -1);
	assert_string_equal(out, "");
	assert_int_equal(pw__path_join(out, 0, "a", "b"), -1);
}

static void test_has_suffix(void **state)
{
	(void)state;
	assert_true(pw__has_suffix("pack-1.idx", ".idx"));
	assert_true(pw__has_suffix(".idx", ".idx"));
	assert_false(pw__has_suffix("idx", ".idx"));
	assert_false(pw__has_suffix("pack-1.pack", ".idx"));
	assert_true(pw__has_suffix("x", ""));
}

typedef struct versioned {
	unsigned int version;
	int field;
} versioned;

static void test_check_version(void **state)
{
	versioned v = { 1, 5 };
	(void)state;

	pw_error_clear();
	assert_int_equal(pw__check_version(NULL, 1, "pw_x_options"), 0);
	assert_int_equal(pw__check_version(&v, 1, "pw_x_options"), 0);
	assert_int_equal(pw_error_last_code(), PW_OK);
	v.version = 7;
	assert_int_equal(pw__check_version(&v, 1, "pw_x_options"), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_x_options: version 7, expected 1");
	/* a zeroed struct that missed its _INIT macro is no version either */
	v.version = 0;
	assert_int_equal(pw__check_version(&v, 1, "pw_x_options"), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_x_options: version 0, expected 1");
}

static void test_error_wrap(void **state)
{
	char longmsg[1100];
	(void)state;

	pw__error_set(PW_ECORRUPT, "pack-1.pack: offset %d: bad header", 12);
	assert_int_equal(pw__error_wrap(PW_ECHANGED), PW_ECHANGED);
	assert_int_equal(pw_error_last_code(), PW_ECHANGED);
	assert_string_equal(pw_error_last(), "pack-1.pack: offset 12: bad header");

	/* the longest message there is survives whole */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	pw__error_set(PW_ECORRUPT, "%s", longmsg);
	longmsg[1023] = '\0'; /* what the 1024-byte buffer keeps */
	assert_string_equal(pw_error_last(), longmsg);
	pw__error_wrap(PW_ELIMIT);
	assert_int_equal(pw_error_last_code(), PW_ELIMIT);
	assert_string_equal(pw_error_last(), longmsg);

	/* errno belongs to PW_EOS only */
	errno = EACCES;
	assert_int_equal(pw__error_os("cannot open %s", "x.idx"), PW_EOS);
	assert_int_equal(pw__error_wrap(PW_EOS), PW_EOS);
	assert_int_equal(pw_error_last_errno(), EACCES);
	assert_string_equal(pw_error_last(), "cannot open x.idx: Permission denied");
	pw__error_wrap(PW_ECHANGED);
	assert_int_equal(pw_error_last_errno(), 0);
	assert_string_equal(pw_error_last(), "cannot open x.idx: Permission denied");

	/* nothing to wrap: the code's name */
	pw_error_clear();
	assert_int_equal(pw__error_wrap(PW_ECHANGED), PW_ECHANGED);
	assert_string_equal(pw_error_last(), "file changed underneath");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_order),
		cmocka_unit_test(test_list_remove_twice_and_safe_walk),
		cmocka_unit_test(test_array_growth),
		cmocka_unit_test(test_array_overflow_refused),
		cmocka_unit_test(test_hexval_every_byte),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_has_suffix),
		cmocka_unit_test(test_check_version),
		cmocka_unit_test(test_error_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
