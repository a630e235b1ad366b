/*
 * test_reftable.c: the reftable reader (lib/odb/reftable.c,
 * reftable_stack.c) on stacks written by tests/tools/reftable.py from
 * text specs: shadowing and deletions across tables, symrefs, peeled
 * values, empty and log-only tables, merged reflogs with log deletions,
 * a missing table after the retries, a table of the other hash, every
 * truncation and every one-byte change of a table (an error or an
 * answer, never a crash), and every allocation failing in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failalloc.h"
#include "testutil.h"

#include "packwin/errors.h"
#include "odb/internal.h"
#include "odb/reftable.h"
#include "util/alloc.h"

#ifndef PW_SOURCE_DIR
#define PW_SOURCE_DIR PW_FIXTURES "/.."
#endif

#define ID1 "1111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222"
#define ID3 "3333333333333333333333333333333333333333"

/* Write OUT/reftable/ from `spec` with reftable.py write and extra options. */
static void write_stack(const char *out, const char *opts, const char *spec)
{
	FILE *f = fopen(tmp("spec"), "w");

	assert_non_null(f);
	fputs(spec, f);
	assert_int_equal(fclose(f), 0);
	sh("python3 '%s/tests/tools/reftable.py' write spec '%s' %s", PW_SOURCE_DIR, out, opts);
}

static pw__rt_stack *open_stack(const char *out, pw_oid_t type)
{
	char dir[1024];
	pw__rt_stack *st = NULL;
	int rc;

	snprintf(dir, sizeof(dir), "%s/reftable", tmp(out));
	if ((rc = pw__rt_stack_open(&st, dir, type)) < 0)
		fail_msg("%s: %s", dir, pw_error_last());
	return st;
}

static const char *hex_of(const pw_oid *id)
{
	static char hex[PW_OID_MAX_HEXSZ + 1];
	return pw_oid_tostr(hex, id, PW_OID_SHA1);
}

static const char spec_two_tables[] =
	"table 1 1\n"
	"ref refs/heads/a " ID1 "\n"
	"ref refs/heads/b " ID1 "\n"
	"ref refs/tags/t " ID2 " " ID3 "\n"
	"symref HEAD refs/heads/a\n"
	"log refs/heads/a 1 0000000000000000000000000000000000000000 " ID1
	" A U <a@x> 1700000000 +0100\tcreate\n"
	"table 2 3\n"
	"delete refs/heads/a\n"
	"ref refs/heads/b " ID2 "\n"
	"ref refs/heads/c " ID3 "\n"
	"symref HEAD refs/heads/c\n"
	"log refs/heads/c 2 " ID1 " " ID3 " A U <a@x> 1700000100 -0230\tmove\n"
	"log refs/heads/c 3 " ID3 " " ID2 " A U <a@x> 1700000200 +0000\tagain\n"
	"table 4 4\n"
	"logdel refs/heads/c 2\n";

static void test_shadowing(void **state)
{
	static const char *const layouts[] = { "", "--block-size 256 --restart-interval 1",
		"--unaligned --block-size 64 --restart-interval 2", "--index always",
		"--format-version 2" };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(layouts) / sizeof(*layouts); i++) {
		pw__rt_stack *st;
		pw__rt_ref r, *refs;
		pw__reflog log;
		char *names;

		sh("rm -rf s");
		write_stack("s", layouts[i], spec_two_tables);
		st = open_stack("s", PW_OID_SHA1);
		assert_int_equal(pw__rt_stack_find(&r, st, "refs/heads/a"), 0); /* deleted */
		assert_int_equal(pw__rt_stack_find(&r, st, "refs/heads/b"), 1);
		assert_string_equal(hex_of(&r.id), ID2);                         /* shadowed */
		assert_int_equal(pw__rt_stack_find(&r, st, "refs/tags/t"), 1);
		assert_int_equal(r.vtype, PW_RT_VAL2);
		assert_string_equal(hex_of(&r.peeled), ID3);
		assert_int_equal(pw__rt_stack_find(&r, st, "HEAD"), 1);
		assert_int_equal(r.vtype, PW_RT_SYMREF);
		assert_int_equal(r.target_len, strlen("refs/heads/c"));
		assert_memory_equal(r.target, "refs/heads/c", r.target_len);
		assert_int_equal(pw__rt_stack_find(&r, st, "refs/heads/zzz"), 0);
		assert_int_equal(pw__rt_stack_find(&r, st, "A"), 0);

		assert_int_equal(pw__rt_stack_list(&refs, &n, &names, st, "refs/heads/"), 0);
		assert_int_equal(n, 2);
		assert_string_equal(refs[0].name, "refs/heads/b");
		assert_string_equal(refs[1].name, "refs/heads/c");
		pw__free(refs);
		pw__free(names);

		/* update 2 deleted by a log deletion: only 3 is left of c's log */
		assert_int_equal(pw__rt_stack_reflog(&log, st, "refs/heads/c"), 0);
		assert_int_equal(log.entries.n, 1);
		assert_int_equal(log.entries.v[0].time, 1700000200);
		assert_int_equal(log.entries.v[0].message_len, 5);
		assert_memory_equal(log.entries.v[0].message, "again", 5);
		pw__reflog_dispose(&log);
		assert_int_equal(pw__rt_stack_reflog(&log, st, "refs/heads/a"), 0);
		assert_int_equal(log.entries.v[0].tz, 100);
		pw__reflog_dispose(&log);
		assert_int_equal(pw__rt_stack_reflog(&log, st, "refs/heads/b"), PW_ENOTFOUND);
		pw__reflog_dispose(&log);
		pw_error_clear();
		pw__rt_stack_free(st);
	}
}

static void test_empty_and_log_only(void **state)
{
	pw__rt_stack *st;
	pw__rt_ref *refs, r;
	pw__reflog log;
	char *names;
	size_t n;

	(void)state;
	write_stack("e", "", "table 1 1\n"
		"table 2 2\n"
		"log HEAD 2 " ID1 " " ID2 " A U <a@x> 1700000000 +0100\tcheckout: moving from a to b\n"
		"table 3 3\n"
		"ref refs/heads/x " ID1 "\n");
	st = open_stack("e", PW_OID_SHA1);
	assert_int_equal(pw__rt_stack_list(&refs, &n, &names, st, ""), 0);
	assert_int_equal(n, 1);
	pw__free(refs);
	pw__free(names);
	assert_int_equal(pw__rt_stack_find(&r, st, "refs/heads/x"), 1);
	assert_int_equal(pw__rt_stack_reflog(&log, st, "HEAD"), 0);
	assert_int_equal(log.entries.n, 1);
	assert_string_equal(hex_of(&log.entries.v[0].new_id), ID2);
	pw__reflog_dispose(&log);
	pw__rt_stack_free(st);

	/* no tables.list at all: an empty stack */
	sh("mkdir -p none/reftable");
	st = open_stack("none", PW_OID_SHA1);
	assert_int_equal(pw__rt_stack_find(&r, st, "HEAD"), 0);
	pw__rt_stack_free(st);
}

static void test_bad_stacks(void **state)
{
	pw__rt_stack *st = NULL;
	char dir[1024];

	(void)state;
	write_stack("m", "", "table 1 1\nref refs/heads/x " ID1 "\n");
	sh("echo 0x000000000009-0x000000000009-00000000.ref >> m/reftable/tables.list");
	snprintf(dir, sizeof(dir), "%s/reftable", tmp("m"));
	assert_int_equal(pw__rt_stack_open(&st, dir, PW_OID_SHA1), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "which does not exist (list read 16 times)"));
	assert_null(st);

	write_stack("h", "--hash sha256", "table 1 1\nref refs/heads/x "
		"1111111111111111111111111111111111111111111111111111111111111111\n");
	snprintf(dir, sizeof(dir), "%s/reftable", tmp("h"));
	assert_int_equal(pw__rt_stack_open(&st, dir, PW_OID_SHA1), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "SHA-256 ids in a SHA-1 repository"));
	pw_error_clear();
	st = open_stack("h", PW_OID_SHA256);
	pw__rt_stack_free(st);

	sh("echo ../../etc/passwd > h/reftable/tables.list");
	assert_int_equal(pw__rt_stack_open(&st, dir, PW_OID_SHA256), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "bad table name"));
	pw_error_clear();
}

/* Every answer for one (possibly broken) table: errors are fine, crashes are not. */
static void exercise(unsigned char *buf, size_t len)
{
	static const char *const names[] = { "HEAD", "refs/heads/a", "refs/heads/m", "refs/tags/t",
		"zzz" };
	pw__rt_table t;
	pw__rt_iter it;
	pw__rt_rec rec;
	size_t i;
	int rc;

	if (pw__rt_table_parse(&t, "table", buf, len, PW_OID_SHA1) < 0)
		return; /* buf freed with the table */
	pw__rt_iter_init(&it, &t, 'r');
	while ((rc = pw__rt_iter_next(&rec, &it)) == 1)
		;
	pw__rt_iter_dispose(&it);
	pw__rt_iter_init(&it, &t, 'g');
	while ((rc = pw__rt_iter_next(&rec, &it)) == 1)
		;
	pw__rt_iter_dispose(&it);
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		rc = pw__rt_table_seek(&rec, &it, &t, names[i]);
		pw__rt_iter_dispose(&it);
	}
	pw__rt_table_dispose(&t);
}

static void test_every_truncation_and_byte(void **state)
{
	char spec[8192], path[1024], *table = NULL;
	size_t len = 0, cut, i;
	int j, pos = 0;

	(void)state;
	pos += snprintf(spec + pos, sizeof(spec) - pos, "table 1 2\nsymref HEAD refs/heads/m\n");
	for (j = 0; j < 24; j++)
		pos += snprintf(spec + pos, sizeof(spec) - pos, "ref refs/heads/%c " ID1 "\n", 'a' + j);
	pos += snprintf(spec + pos, sizeof(spec) - pos, "ref refs/tags/t " ID2 " " ID3 "\n"
		"log refs/heads/a 1 " ID1 " " ID2 " A U <a@x> 1700000000 +0100\tone\n"
		"log refs/heads/b 2 " ID1 " " ID2 " A U <a@x> 1700000000 +0100\ttwo\n");
	write_stack("c", "--block-size 128 --restart-interval 3 --index always "
		"--log-block-size 64", spec);
	sh("cp c/reftable/$(tail -n 1 c/reftable/tables.list) one.ref");
	snprintf(path, sizeof(path), "%s", tmp("one.ref"));
	assert_int_equal(pw__read_small_file(&table, &len, path, 0), 0);
	for (cut = 0; cut <= len; cut++) {
		unsigned char *b = pw__malloc(cut + 1);
		memcpy(b, table, cut);
		exercise(b, cut);
	}
	for (i = 0; i < len; i++) {
		static const unsigned char flips[] = { 0x01, 0x80, 0xff };
		for (j = 0; j < 3; j++) {
			unsigned char *b = pw__malloc(len);
			memcpy(b, table, len);
			b[i] ^= flips[j];
			exercise(b, len);
		}
	}
	pw_error_clear();
	pw__free(table);
}

static void test_out_of_memory(void **state)
{
	pw__rt_stack *st = NULL;
	pw__rt_ref *refs = NULL;
	pw__reflog log;
	char dir[1024], *names = NULL;
	size_t n;
	long k;
	int rc, step;

	(void)state;
	write_stack("o", "--block-size 256", spec_two_tables);
	snprintf(dir, sizeof(dir), "%s/reftable", tmp("o"));
	for (step = 0; step < 3; step++) {
		for (k = 0;; k++) {
			if (step > 0 && !st)
				assert_int_equal(pw__rt_stack_open(&st, dir, PW_OID_SHA1), 0);
			test_alloc_fail_after(k);
			if (step == 0) {
				rc = pw__rt_stack_open(&st, dir, PW_OID_SHA1);
			} else if (step == 1) {
				rc = pw__rt_stack_list(&refs, &n, &names, st, "");
			} else {
				rc = pw__rt_stack_reflog(&log, st, "refs/heads/c");
			}
			test_alloc_fail_after(-1);
			if (rc == 0)
				break;
			if (rc != PW_ENOMEM)
				fail_msg("step %d, failing allocation %ld: %s", step, k, pw_error_last());
			assert_true(k < 10000);
		}
		if (step == 0) {
			pw__rt_stack_free(st);
			st = NULL;
		} else if (step == 1) {
			assert_int_equal(n, 4);
			pw__free(refs);
			pw__free(names);
		} else {
			pw__reflog_dispose(&log);
		}
	}
	pw__rt_stack_free(st);
	pw_error_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shadowing, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_empty_and_log_only, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_bad_stacks, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_every_truncation_and_byte, make_tmpdir,
			remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_out_of_memory, make_tmpdir, remove_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
