/*
 * fuzz_reftable.c: fuzz target for the reftable reader (lib/odb/reftable.c,
 * reftable_stack.c).
 *
 * Input: one reftable file. It is parsed in memory as a SHA-1 and as a
 * SHA-256 table (every ref record, every log record, a few seeks through
 * the index), then written as the only table of a stack whose merged
 * view is listed, searched and whose reflogs are read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "odb/reftable.h"
#include "util/alloc.h"

static const char *const names[] = { "HEAD", "refs/heads/main", "refs/heads/side",
	"refs/tags/v1.0", "refs/heads/zzz", "A" };

static void check_table(const uint8_t *data, size_t size, pw_oid_t type)
{
	unsigned char *buf = pw__malloc(size + 1);
	pw__rt_table t;
	pw__rt_iter it;
	pw__rt_rec rec;
	size_t i;

	if (!buf)
		fz_fail("out of memory");
	memcpy(buf, data, size);
	if (pw__rt_table_parse(&t, "fuzz.ref", buf, size, type) < 0)
		return; /* buf freed with the table */
	pw__rt_iter_init(&it, &t, 'r');
	while (pw__rt_iter_next(&rec, &it) == 1)
		if (rec.id && (rec.id < t.buf || rec.id + t.hash_len > t.buf + t.len))
			fz_fail("a ref value points outside the table");
	pw__rt_iter_dispose(&it);
	pw__rt_iter_init(&it, &t, 'g');
	while (pw__rt_iter_next(&rec, &it) == 1)
		;
	pw__rt_iter_dispose(&it);
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		pw__rt_table_seek(&rec, &it, &t, names[i]);
		pw__rt_iter_dispose(&it);
	}
	pw__rt_table_dispose(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[512], table[600], list[600];
	pw__rt_stack *st;
	pw__rt_ref *refs, r;
	pw__reflog log;
	char *nm;
	size_t n, i;

	if (!dir[0]) {
		fz_path(dir, sizeof(dir), "rt/reftable");
		fz_mkdirs(dir);
		snprintf(table, sizeof(table), "%s/0x000000000001-0x000000000001-00000000.ref", dir);
		snprintf(list, sizeof(list), "%s/tables.list", dir);
		fz_write(list, "0x000000000001-0x000000000001-00000000.ref\n", 43);
	}
	check_table(data, size, PW_OID_SHA1);
	check_table(data, size, PW_OID_SHA256);
	fz_write(table, data, size);
	if (pw__rt_stack_open(&st, dir, PW_OID_SHA1) == 0) {
		if (pw__rt_stack_list(&refs, &n, &nm, st, "") == 0) {
			pw__free(refs);
			pw__free(nm);
		}
		for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
			pw__rt_stack_find(&r, st, names[i]);
			pw__rt_stack_reflog(&log, st, names[i]);
			pw__reflog_dispose(&log); /* empty after a failure: harmless */
		}
		pw__rt_stack_free(st);
	}
	pw_error_clear();
	return 0;
}
