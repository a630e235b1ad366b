/*
 * test_pack.c: the pack layer on good packs (lookups, orders, reads, verify)
 * and on every hostile or corrupt fixture (fixtures/corrupt/, see its
 * README.md): the exact error each operation gives, and that its message
 * names the file (and the offset where an entry is at fault). Everything
 * runs twice: with the default budgets and with a tiny one (4 KiB windows,
 * 16 KiB mapped at most, one descriptor), which must give the same answers.
 *
 * PW_TEST_DUMP=1 prints what each corrupt case actually gives, in the shape
 * of the expectation table, for a maintainer updating it after changing
 * make-corrupt.sh (every row must still be checked against that README).
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "packwin/errors.h"
#include "packwin/pack.h"
#include "packwin/window.h"
#include "util/hash.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif

#define CORRUPT_DIR PW_FIXTURES "/corrupt"
#define PACKS_DIR PW_FIXTURES "/packs"

/* ---------------------------------------------------------------- helpers */

enum budget { BUDGET_DEFAULT, BUDGET_TINY };

static pw_wm *new_wm(enum budget b)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	pw_wm *wm = NULL;

	if (b == BUDGET_TINY) {
		o.window_size = 4096;
		o.memory_limit = 16384;
		o.fd_limit = 1;
	}
	assert_int_equal(pw_wm_new(&wm, &o), 0);
	return wm;
}

/* The one pack-*.pack in `dir` (absolute path, caller frees), or NULL. */
static char *find_pack(const char *dir)
{
	struct dirent *d;
	char *found = NULL;
	DIR *dh = opendir(dir);

	if (!dh)
		return NULL;
	while ((d = readdir(dh)) != NULL) {
		size_t len = strlen(d->d_name);
		if (len > 10 && !strncmp(d->d_name, "pack-", 5) &&
		        !strcmp(d->d_name + len - 5, ".pack")) {
			assert_null(found); /* exactly one */
			found = malloc(strlen(dir) + len + 2);
			assert_non_null(found);
			snprintf(found, strlen(dir) + len + 2, "%s/%s", dir, d->d_name);
		}
	}
	closedir(dh);
	return found;
}

/* `path` with its .pack suffix replaced by `ext` ("idx", "rev"). */
static char *sibling(const char *pack_path, const char *ext)
{
	size_t stem = strlen(pack_path) - 4;
	char *s = malloc(stem + strlen(ext) + 1);

	assert_non_null(s);
	memcpy(s, pack_path, stem);
	memcpy(s + stem, ext, strlen(ext) + 1);
	return s;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------- what a case gives */

enum op { OP_OPEN, OP_READ, OP_HEADER, OP_CHAIN, OP_ENTRY, OP_ORDER, OP_VERIFY, N_OPS };
static const char *const op_names[N_OPS] = {
        "OP_OPEN", "OP_READ", "OP_HEADER", "OP_CHAIN", "OP_ENTRY", "OP_ORDER", "OP_VERIFY"};

/* The first failure of each operation over a whole pack. */
typedef struct outcome {
	int code[N_OPS];
	char msg[N_OPS][1024];
	uint32_t count;
} outcome;

typedef struct files {
	char *pack, *idx, *rev;
} files;

static void files_free(files *f)
{
	free(f->pack);
	free(f->idx);
	free(f->rev);
}

/*
 * Record `code` as op's result if it is its first failure. Every failure,
 * first or not, must be a known negative code equal to the thread's last
 * error code, and its message must name one of the pack's files.
 */
static void record(outcome *o, const files *f, enum op op, int code)
{
	const char *msg = pw_error_last();

	if (code == 0)
		return;
	if (code > 0 || code < PW_EUNSUPPORTED)
		fail_msg("%s: code %d is not a packwin error", op_names[op], code);
	if (pw_error_last_code() != code)
		fail_msg("%s returned %d but the last error is %d (%s)", op_names[op], code,
		        pw_error_last_code(), msg);
	if (!strstr(msg, f->pack) && !strstr(msg, f->idx) && !strstr(msg, f->rev))
		fail_msg("%s: message names no file of the pack: %s", op_names[op], msg);
	if (!o->code[op]) {
		o->code[op] = code;
		snprintf(o->msg[op], sizeof(o->msg[op]), "%s", msg);
	}
}

/* Hash an object as git does ("type size\0" + content). */
static void object_hash(pw_oid *out, pw_oid_t type, const pw_object *obj)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu", pw_object_type_name(pw_object_type(obj)),
	        pw_object_size(obj));
	pw_hash h;

	assert_int_equal(pw__hash_init(&h, type), 0);
	pw__hash_update(&h, hdr, (size_t)n + 1);
	pw__hash_update(&h, pw_object_data(obj), pw_object_size(obj));
	pw__hash_final(out, &h);
}

/*
 * Open the pack of `dir` and run every operation over every object, in idx
 * order: nth_offset + read_at (OP_READ), read_header (must agree with the
 * read when both work), chain, entry_at, order_nth, then verify.
 */
static void run_pack(outcome *o, const files *f, enum budget b, unsigned threads)
{
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = new_wm(b);
	pw_pack *p = NULL;
	uint32_t n, i;

	memset(o, 0, sizeof(*o));
	record(o, f, OP_OPEN, pw_pack_open(&p, wm, f->pack, NULL));
	if (!p) {
		pw_wm_free(wm);
		return;
	}
	o->count = n = pw_pack_count(p);
	for (i = 0; i < n; i++) {
		pw_object_t htype = PW_OBJ_BAD, ctype = PW_OBJ_BAD;
		uint64_t off, hsize = 0;
		pw_object *obj = NULL;
		pw_pack_entry e;
		uint32_t depth;
		int rc, hrc;

		if ((rc = pw_pack_nth_offset(&off, p, i)) < 0) {
			record(o, f, OP_READ, rc);
			continue;
		}
		record(o, f, OP_READ, rc = pw_pack_read_at(&obj, p, off));
		record(o, f, OP_HEADER, hrc = pw_pack_read_header(&htype, &hsize, p, off));
		if (!rc && !hrc) {
			assert_int_equal(htype, pw_object_type(obj));
			assert_true(hsize == pw_object_size(obj));
		}
		record(o, f, OP_CHAIN, rc = pw_pack_chain(&ctype, &depth, p, off));
		if (!rc && obj)
			assert_int_equal(ctype, pw_object_type(obj));
		record(o, f, OP_ENTRY, pw_pack_entry_at(&e, p, off));
		pw_object_free(obj);
	}
	for (i = 0; i < n; i++) {
		uint32_t pos;
		int rc = pw_pack_order_nth(&pos, p, i);
		record(o, f, OP_ORDER, rc);
		if (rc)
			break;
	}
	vo.threads = threads;
	{
		/* verify: the pack with its idx, then its .rev (packcat verify runs both) */
		int rc = pw_pack_verify(p, &vo);
		if (rc == 0)
			rc = pw_pack_verify_rev(p);
		record(o, f, OP_VERIFY, rc);
	}
	pw_pack_free(p);
	pw_wm_free(wm);
}

static void case_files(files *f, const char *name)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%s", CORRUPT_DIR, name);
	f->pack = find_pack(dir);
	if (!f->pack)
		fail_msg("%s: no pack-*.pack in it", dir);
	f->idx = sibling(f->pack, "idx");
	f->rev = sibling(f->pack, "rev");
}

/* ---------------------------------------------- the expectation table */

/*
 * For each corrupt case, what each operation must give: a code (0: every
 * object fine) and, when given, a piece of the message, where a leading
 * "pack:", "idx:" or "rev:" stands for that file's full path and ": ", so
 * that the piece also checks which file is named (and with "offset N:", at
 * which offset). Operations after a failed open are not run.
 */
typedef struct expect {
	int code;
	const char *msg;
} expect;

typedef struct corrupt_case {
	const char *name;
	expect op[N_OPS];
} corrupt_case;

#define E(c, m)                                                                                    \
	{                                                                                          \
		c, m                                                                               \
	}
/* In place of a code: any error will do (a known problem, see the row's comment). */
#define ANY_ERROR 1

#include "test_pack_cases.h"

static void expand(char *out, size_t len, const char *want, const files *f)
{
	const char *path = NULL;
	size_t skip = 0;

	if (!strncmp(want, "pack:", 5)) {
		path = f->pack;
		skip = 5;
	} else if (!strncmp(want, "idx:", 4)) {
		path = f->idx;
		skip = 4;
	} else if (!strncmp(want, "rev:", 4)) {
		path = f->rev;
		skip = 4;
	}
	if (path)
		snprintf(out, len, "%s: %s", path, want + skip);
	else
		snprintf(out, len, "%s", want);
}

static void check_case(const corrupt_case *c, enum budget b, unsigned threads)
{
	outcome o;
	files f;
	int op;

	case_files(&f, c->name);
	run_pack(&o, &f, b, threads);
	for (op = 0; op < N_OPS; op++) {
		const expect *e = &c->op[op];
		char want[2048];

		if (op > OP_OPEN && o.code[OP_OPEN])
			break;
		if (e->code == ANY_ERROR ? o.code[op] == 0 : o.code[op] != e->code)
			fail_msg("%s: %s gave %d (%s), expected %d (%s)\n  message: %s", c->name,
			        op_names[op], o.code[op], pw_error_name(o.code[op]), e->code,
			        pw_error_name(e->code), o.code[op] ? o.msg[op] : "-");
		if (!e->msg)
			continue;
		expand(want, sizeof(want), e->msg, &f);
		if (!strstr(o.msg[op], want))
			fail_msg("%s: %s message\n  %s\nlacks\n  %s", c->name, op_names[op],
			        o.msg[op], want);
	}
	files_free(&f);
}

static void test_corrupt_default(void **state)
{
	const corrupt_case *c = *state;
	check_case(c, BUDGET_DEFAULT, 0);
	check_case(c, BUDGET_DEFAULT, 1);
}

static void test_corrupt_tiny(void **state)
{
	const corrupt_case *c = *state;
	outcome big, tiny;
	files f;
	int op;

	/*
	 * One verify thread: each worker pins up to three windows at once, and
	 * 16 KiB holds four pages (several threads under this budget get
	 * PW_ELIMIT; reported, a verify thread-count policy for the lead).
	 */
	check_case(c, BUDGET_TINY, 1);
	/* and the messages are the same, byte for byte, as with the default budget */
	case_files(&f, c->name);
	run_pack(&big, &f, BUDGET_DEFAULT, 1);
	run_pack(&tiny, &f, BUDGET_TINY, 1);
	for (op = 0; op < N_OPS; op++)
		if (strcmp(big.msg[op], tiny.msg[op]))
			fail_msg("%s: %s: default budget says\n  %s\ntiny budget says\n  %s",
			        c->name, op_names[op], big.msg[op], tiny.msg[op]);
	files_free(&f);
}

/* Every folder of fixtures/corrupt has a row, and every row a folder. */
static void test_corrupt_table_complete(void **state)
{
	DIR *dh = opendir(CORRUPT_DIR);
	struct dirent *d;
	size_t i, seen = 0;
	(void)state;

	assert_non_null(dh);
	while ((d = readdir(dh)) != NULL) {
		char path[4096];
		int found = 0;
		if (d->d_name[0] == '.' || !strncmp(d->d_name, "good-", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORRUPT_DIR, d->d_name);
		if (!is_dir(path))
			continue;
		for (i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++)
			found |= !strcmp(corrupt_cases[i].name, d->d_name);
		if (!found)
			fail_msg("fixtures/corrupt/%s has no row in test_pack_cases.h", d->d_name);
		seen++;
	}
	closedir(dh);
	assert_int_equal(seen, sizeof(corrupt_cases) / sizeof(corrupt_cases[0]));
}

/* PW_TEST_DUMP=1: print the outcome of every corrupt case as table rows. */
static void dump_cases(void)
{
	static const char *const code_names[] = {"0", "PW_ERROR", "PW_EINVALID", "PW_ENOTFOUND",
	        "PW_ENOMEM", "PW_EOS", "PW_ECORRUPT", "PW_ECHANGED", "PW_ELIMIT", "PW_EVERIFY",
	        "PW_EAMBIGUOUS", "PW_EUNSUPPORTED"};
	DIR *dh = opendir(CORRUPT_DIR);
	struct dirent *d;

	if (!dh)
		return;
	while ((d = readdir(dh)) != NULL) {
		outcome o;
		files f;
		int op;
		if (d->d_name[0] == '.' || !strcmp(d->d_name, "README.md"))
			continue;
		case_files(&f, d->d_name);
		run_pack(&o, &f, BUDGET_DEFAULT, 1);
		printf("%s (%u objects)\n", d->d_name, o.count);
		for (op = 0; op < N_OPS; op++) {
			if (op > OP_OPEN && o.code[OP_OPEN])
				break;
			printf("  %-9s %-15s %s\n", op_names[op], code_names[-o.code[op]],
			        o.code[op] ? o.msg[op] : "");
		}
		files_free(&f);
	}
	closedir(dh);
}

/* ------------------------------------------------------- good packs */

typedef struct good_pack {
	const char *dir; /* under fixtures/ */
	uint32_t count;
	int idx_version;
	pw_oid_t oid_type;
	uint32_t max_depth; /* longest delta chain */
} good_pack;

static const good_pack good_packs[] = {
        {"packs/basic", 156, 2, PW_OID_SHA1, 8},
        {"packs/basic-norev", 156, 2, PW_OID_SHA1, 8},
        {"packs/basic-idx1", 156, 1, PW_OID_SHA1, 8},
        {"packs/basic-idx64", 156, 2, PW_OID_SHA1, 8},
        {"packs/refdelta", 156, 2, PW_OID_SHA1, 8},
        {"packs/longchain", 1200, 2, PW_OID_SHA1, 399},
        {"packs/bigblob", 7, 2, PW_OID_SHA1, 1},
        {"packs/sha256", 44, 2, PW_OID_SHA256, 4},
        {"corrupt/good-empty", 0, 2, PW_OID_SHA1, 0},
        {"corrupt/good-crafted", 10, 2, PW_OID_SHA1, 3},
};

static const good_pack *good(const char *dir)
{
	size_t i;

	for (i = 0; i < sizeof(good_packs) / sizeof(good_packs[0]); i++)
		if (!strcmp(good_packs[i].dir, dir))
			return &good_packs[i];
	fail_msg("no good pack %s", dir);
	return NULL;
}

typedef struct good_state {
	const good_pack *g;
	enum budget budget;
	char name[128];
} good_state;

static char *good_pack_path(const good_pack *g)
{
	char dir[4096];
	char *path;

	snprintf(dir, sizeof(dir), "%s/%s", PW_FIXTURES, g->dir);
	path = find_pack(dir);
	if (!path)
		fail_msg("%s: no pack-*.pack (run fixtures/make-fixtures.sh)", dir);
	return path;
}

static void hex_prefix(pw_oid *out, const pw_oid *id, size_t hexlen)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, id->id, (hexlen + 1) / 2);
	if (hexlen % 2)
		out->id[hexlen / 2] &= 0xf0;
}

/* How many leading hex digits two ids share. */
static size_t common_hex(const pw_oid *a, const pw_oid *b, size_t hexsz)
{
	size_t i;

	for (i = 0; i < hexsz; i++) {
		int da = (a->id[i / 2] >> (i % 2 ? 0 : 4)) & 15;
		int db = (b->id[i / 2] >> (i % 2 ? 0 : 4)) & 15;
		if (da != db)
			break;
	}
	return i;
}

static void test_good(void **state)
{
	const good_state *gs = *state;
	const good_pack *g = gs->g;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = new_wm(gs->budget);
	char *path = good_pack_path(g);
	pw_pack *p = NULL;
	pw_oid *ids;
	uint64_t *offs, sum = 0, prev_off = 0;
	unsigned char *seen;
	size_t hexsz, rawsz;
	uint32_t n, i, deepest = 0;
	int rc;

	if ((rc = pw_pack_open(&p, wm, path, NULL)) != 0)
		fail_msg("%s: %s", g->dir, pw_error_last());
	n = pw_pack_count(p);
	assert_int_equal(n, g->count);
	assert_int_equal(pw_pack_idx_version(p), g->idx_version);
	assert_int_equal(pw_pack_oid_type(p), g->oid_type);
	assert_string_equal(pw_pack_path(p), path);
	hexsz = pw_oid_hexsz(g->oid_type);
	rawsz = pw_oid_rawsz(g->oid_type);
	ids = calloc(n + 1, sizeof(*ids));
	offs = calloc(n + 1, sizeof(*offs));
	seen = calloc(n + 1, 1);
	assert_true(ids && offs && seen);

	/* idx order: strictly increasing ids; find gives the same offset */
	for (i = 0; i < n; i++) {
		uint64_t found;
		assert_int_equal(pw_pack_nth_oid(&ids[i], p, i), 0);
		assert_int_equal(pw_pack_nth_offset(&offs[i], p, i), 0);
		if (i)
			assert_true(memcmp(ids[i - 1].id, ids[i].id, rawsz) < 0);
		assert_int_equal(pw_pack_find(&found, p, &ids[i]), 0);
		assert_true(found == offs[i]);
	}
	assert_int_equal(pw_pack_nth_oid(&ids[n], p, n), PW_EINVALID);
	assert_int_equal(pw_pack_nth_offset(&offs[n], p, n), PW_EINVALID);

	/* absent ids: the last byte changed to a value no neighbour has */
	for (i = 0; i < n && i < 64; i++) {
		pw_oid absent = ids[i];
		uint64_t off;
		absent.id[rawsz - 1] ^= 0x5a;
		if ((i + 1 < n && !memcmp(absent.id, ids[i + 1].id, rawsz)) ||
		        (i > 0 && !memcmp(absent.id, ids[i - 1].id, rawsz)))
			continue;
		assert_int_equal(pw_pack_find(&off, p, &absent), PW_ENOTFOUND);
		assert_non_null(strstr(pw_error_last(), pw_pack_idx_path(p)));
	}

	/* abbreviations: ambiguous exactly when a neighbour shares the prefix */
	for (i = 0; i < n; i++) {
		size_t left = i ? common_hex(&ids[i - 1], &ids[i], hexsz) : 0;
		size_t right = i + 1 < n ? common_hex(&ids[i], &ids[i + 1], hexsz) : 0;
		size_t len, lens[] = {4, 5, 6, 7, 8, 11, hexsz - 1, hexsz};
		unsigned k;
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			pw_oid prefix, got;
			len = lens[k];
			hex_prefix(&prefix, &ids[i], len);
			rc = pw_pack_find_prefix(&got, p, &prefix, len);
			if (left >= len || right >= len) {
				assert_int_equal(rc, PW_EAMBIGUOUS);
			} else {
				assert_int_equal(rc, 0);
				assert_memory_equal(got.id, ids[i].id, sizeof(got.id));
			}
		}
	}
	{
		/* a prefix nothing has: after the last id of the 0xff bucket or in an empty one */
		pw_oid none, got;
		memset(&none, 0xff, sizeof(none));
		memset(none.id + rawsz, 0, sizeof(none.id) - rawsz);
		if (n == 0 || memcmp(ids[n - 1].id, none.id, 3) != 0)
			assert_int_equal(pw_pack_find_prefix(&got, p, &none, 6), PW_ENOTFOUND);
	}

	/* pack order: a permutation of idx positions with strictly increasing offsets */
	for (i = 0; i < n; i++) {
		uint32_t pos;
		pw_pack_entry e;
		assert_int_equal(pw_pack_order_nth(&pos, p, i), 0);
		assert_true(pos < n);
		assert_false(seen[pos]);
		seen[pos] = 1;
		assert_true(i == 0 || offs[pos] > prev_off);
		prev_off = offs[pos];
		assert_int_equal(pw_pack_entry_at(&e, p, offs[pos]), 0);
		assert_true(e.offset == offs[pos]);
		sum += e.packed_size;
	}
	assert_int_equal(pw_pack_order_nth(&i, p, n), PW_EINVALID);
	/* the entries tile the pack between header and trailer */
	assert_true(12 + sum + rawsz == pw_pack_size(p));

	/* every object: read (its hash is its id), header agrees, chain type agrees */
	for (i = 0; i < n; i++) {
		pw_object *obj = NULL, *again = NULL;
		pw_object_t htype, ctype;
		uint64_t hsize;
		uint32_t depth;
		pw_oid h;
		pw_pack_entry e;

		if ((rc = pw_pack_read_at(&obj, p, offs[i])) != 0)
			fail_msg("%s: object %u: %s", g->dir, i, pw_error_last());
		object_hash(&h, g->oid_type, obj);
		assert_memory_equal(h.id, ids[i].id, sizeof(h.id));
		assert_int_equal(pw_object_data(obj)[pw_object_size(obj)], 0);
		assert_int_equal(pw_pack_read_header(&htype, &hsize, p, offs[i]), 0);
		assert_int_equal(htype, pw_object_type(obj));
		assert_true(hsize == pw_object_size(obj));
		assert_int_equal(pw_pack_chain(&ctype, &depth, p, offs[i]), 0);
		assert_int_equal(ctype, pw_object_type(obj));
		assert_int_equal(pw_pack_entry_at(&e, p, offs[i]), 0);
		assert_int_equal(
		        depth == 0, e.type != PW_OBJ_OFS_DELTA && e.type != PW_OBJ_REF_DELTA);
		if (e.type == PW_OBJ_OFS_DELTA || e.type == PW_OBJ_REF_DELTA)
			assert_true(e.base_offset >= 12 && e.base_offset != e.offset);
		if (depth > deepest)
			deepest = depth;
		assert_int_equal(pw_pack_read(&again, p, &ids[i]), 0);
		assert_true(pw_object_size(again) == pw_object_size(obj));
		assert_memory_equal(
		        pw_object_data(again), pw_object_data(obj), pw_object_size(obj));
		pw_object_free(again);
		pw_object_free(obj);
	}
	assert_int_equal(deepest, g->max_depth);

	vo.threads = 1;
	if (pw_pack_verify(p, &vo) != 0)
		fail_msg("%s: verify: %s", g->dir, pw_error_last());
	vo.threads = 0; /* one per CPU; only with room for their windows (see test_corrupt_tiny) */
	if (gs->budget == BUDGET_DEFAULT && pw_pack_verify(p, &vo) != 0)
		fail_msg("%s: verify: %s", g->dir, pw_error_last());

	free(ids);
	free(offs);
	free(seen);
	pw_pack_free(p);
	pw_wm_free(wm);
	free(path);
}

/* good-crafted: two blobs whose ids share their first 6 hex digits. */
static void test_prefix_ambiguity(void **state)
{
	const good_pack *g = good("corrupt/good-crafted");
	pw_wm *wm = new_wm(BUDGET_DEFAULT);
	char *path = good_pack_path(g);
	pw_pack *p = NULL;
	pw_oid a, b, prefix, got;
	uint32_t i, n, pairs = 0;
	size_t len;
	(void)state;

	assert_int_equal(pw_pack_open(&p, wm, path, NULL), 0);
	n = pw_pack_count(p);
	for (i = 0; i + 1 < n; i++) {
		assert_int_equal(pw_pack_nth_oid(&a, p, i), 0);
		assert_int_equal(pw_pack_nth_oid(&b, p, i + 1), 0);
		if (common_hex(&a, &b, 40) < 6)
			continue;
		pairs++;
		for (len = 4; len <= 6; len++) {
			hex_prefix(&prefix, &a, len);
			assert_int_equal(pw_pack_find_prefix(&got, p, &prefix, len), PW_EAMBIGUOUS);
			/* `out` is the first match */
			assert_memory_equal(got.id, a.id, sizeof(got.id));
		}
		len = common_hex(&a, &b, 40) + 1;
		hex_prefix(&prefix, &a, len);
		assert_int_equal(pw_pack_find_prefix(&got, p, &prefix, len), 0);
		assert_memory_equal(got.id, a.id, sizeof(got.id));
		hex_prefix(&prefix, &b, len);
		assert_int_equal(pw_pack_find_prefix(&got, p, &prefix, len), 0);
		assert_memory_equal(got.id, b.id, sizeof(got.id));
	}
	assert_int_equal(pairs, 1);
	/* lengths outside 1..hexsz are the caller's mistake */
	assert_int_equal(pw_pack_find_prefix(&got, p, &a, 0), PW_EINVALID);
	assert_int_equal(pw_pack_find_prefix(&got, p, &a, 41), PW_EINVALID);
	pw_pack_free(p);
	pw_wm_free(wm);
	free(path);
}

/* Opening by the .idx name finds the same pack; a missing idx or pack is PW_ENOTFOUND. */
static char tmpdir[4096];

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t r;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(in >= 0 && out >= 0);
	while ((r = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)r), r);
	assert_int_equal(r, 0);
	close(in);
	close(out);
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/packwin-test-pack.XXXXXX",
	        getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	DIR *dh = opendir(tmpdir);
	struct dirent *d;
	char path[8192];
	(void)state;

	if (dh) {
		while ((d = readdir(dh)) != NULL) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir, d->d_name);
			unlink(path);
		}
		closedir(dh);
	}
	return rmdir(tmpdir);
}

static void test_open_paths(void **state)
{
	const good_pack *g = good("packs/basic-norev");
	char *path = good_pack_path(g), *idx = sibling(path, "idx");
	char tpack[8192], tidx[8192];
	pw_wm *wm = new_wm(BUDGET_TINY);
	pw_pack *p = NULL;
	const char *base = strrchr(path, '/') + 1;
	(void)state;

	/* by the idx name */
	assert_int_equal(pw_pack_open(&p, wm, idx, NULL), 0);
	assert_string_equal(pw_pack_path(p), path);
	assert_string_equal(pw_pack_idx_path(p), idx);
	pw_pack_free(p);
	/* neither suffix */
	assert_int_equal(pw_pack_open(&p, wm, PW_FIXTURES "/README.md", NULL), PW_EINVALID);
	assert_null(p);

	/* a pack without its idx, then an idx without its pack */
	snprintf(tpack, sizeof(tpack), "%s/%s", tmpdir, base);
	snprintf(tidx, sizeof(tidx), "%s/%.*s.idx", tmpdir, (int)(strlen(base) - 5), base);
	copy_file(path, tpack);
	assert_int_equal(pw_pack_open(&p, wm, tpack, NULL), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(), tidx));
	assert_null(p);
	copy_file(idx, tidx);
	unlink(tpack);
	assert_int_equal(pw_pack_open(&p, wm, tidx, NULL), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(), tpack));
	assert_null(p);
	/* an empty pack file beside a good idx */
	close(open(tpack, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	assert_int_equal(pw_pack_open(&p, wm, tpack, NULL), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), tpack));
	assert_null(p);
	unlink(tpack);
	unlink(tidx);
	pw_wm_free(wm);
	free(path);
	free(idx);
}

/*
 * A declared size above max_object_size is PW_ELIMIT before any
 * allocation; the same pack reads with a limit that fits.
 */
static void test_max_object_size(void **state)
{
	const good_pack *g = good("packs/bigblob"); /* blobs of 1.5, 1.6 and 2 MiB */
	char *path = good_pack_path(g);
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm *wm = new_wm(BUDGET_TINY);
	pw_pack *p = NULL;
	uint32_t i, n, limited = 0;
	(void)state;

	po.max_object_size = 1 << 20;
	assert_int_equal(pw_pack_open(&p, wm, path, &po), 0);
	n = pw_pack_count(p);
	for (i = 0; i < n; i++) {
		pw_object *obj = NULL;
		uint64_t off;
		int rc;
		assert_int_equal(pw_pack_nth_offset(&off, p, i), 0);
		rc = pw_pack_read_at(&obj, p, off);
		if (rc) {
			assert_int_equal(rc, PW_ELIMIT);
			assert_non_null(strstr(pw_error_last(), path));
			assert_non_null(strstr(pw_error_last(), "exceeds the limit of 1048576"));
			limited++;
		} else {
			assert_true(pw_object_size(obj) <= 1 << 20);
		}
		pw_object_free(obj);
	}
	/* big.bin twice (1.5 and 1.6 MiB), zeros.txt (2 MiB) */
	assert_int_equal(limited, 3);
	pw_pack_free(p);
	pw_wm_free(wm);
	free(path);
}

/* A chain deeper than max_delta_depth is an error, not a stack overflow. */
static void test_max_delta_depth(void **state)
{
	const good_pack *g = good("packs/longchain"); /* 399 deep */
	char *path = good_pack_path(g);
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm *wm = new_wm(BUDGET_DEFAULT);
	pw_pack *p = NULL;
	uint32_t i, n, deep = 0;
	(void)state;

	po.max_delta_depth = 100;
	assert_int_equal(pw_pack_open(&p, wm, path, &po), 0);
	n = pw_pack_count(p);
	for (i = 0; i < n; i++) {
		pw_object_t t;
		uint32_t depth;
		uint64_t off;
		int rc;
		assert_int_equal(pw_pack_nth_offset(&off, p, i), 0);
		rc = pw_pack_chain(&t, &depth, p, off);
		if (rc) {
			assert_int_equal(rc, PW_ECORRUPT);
			assert_non_null(strstr(pw_error_last(), "longer than 100"));
			deep++;
		} else {
			assert_true(depth <= 100);
		}
	}
	assert_true(deep > 0);
	pw_pack_free(p);
	pw_wm_free(wm);
	free(path);
}

/* Options of the wrong version are refused with both versions named; _INIT is all defaults. */
static void test_options_version(void **state)
{
	const good_pack *g = good("packs/basic");
	char *path = good_pack_path(g);
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = new_wm(BUDGET_DEFAULT);
	pw_pack *p = NULL;
	(void)state;

	po.version = 7;
	assert_int_equal(pw_pack_open(&p, wm, path, &po), PW_EINVALID);
	assert_null(p);
	assert_string_equal(pw_error_last(), "pw_pack_options: version 7, expected 1");
	po.version = 0;
	assert_int_equal(pw_pack_open(&p, wm, path, &po), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_pack_options: version 0, expected 1");

	po.version = 5;
	po.oid_type = PW_OID_SHA1;
	assert_int_equal(pw_pack_open_lazy(&p, wm, path, &po), PW_EINVALID);
	assert_null(p);
	assert_string_equal(pw_error_last(), "pw_pack_options: version 5, expected 1");
	po.oid_type = PW_OID_UNKNOWN;

	po.version = PW_PACK_OPTIONS_VERSION;
	assert_int_equal(pw_pack_open(&p, wm, path, &po), 0);
	assert_int_equal(pw_pack_oid_type(p), PW_OID_SHA1);
	vo.version = 2;
	assert_int_equal(pw_pack_verify(p, &vo), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_verify_options: version 2, expected 1");
	vo.version = PW_VERIFY_OPTIONS_VERSION;
	vo.threads = 1;
	assert_int_equal(pw_pack_verify(p, &vo), 0);
	pw_pack_free(p);
	pw_wm_free(wm);
	free(path);
}

/*
 * fanout-inconsistent: the fan-out puts id 0 in no bucket, so lookups miss
 * it though it reads by offset (verify says why, see the table).
 */
static void test_fanout_lookup(void **state)
{
	files f;
	pw_wm *wm = new_wm(BUDGET_DEFAULT);
	pw_pack *p = NULL;
	pw_oid id, got;
	uint64_t off;
	(void)state;

	case_files(&f, "fanout-inconsistent");
	assert_int_equal(pw_pack_open(&p, wm, f.pack, NULL), 0);
	assert_int_equal(pw_pack_nth_oid(&id, p, 0), 0);
	assert_int_equal(pw_pack_find(&off, p, &id), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(), f.idx));
	assert_int_equal(pw_pack_find_prefix(&got, p, &id, 40), PW_ENOTFOUND);
	pw_pack_free(p);
	pw_wm_free(wm);
	files_free(&f);
}

/*
 * A pack truncated while open (a copy in a temporary folder): in no-mmap
 * mode, with one descriptor (so files are re-opened and their identity
 * checked) and no delta cache, every later read either still works (bytes
 * in a window read before) or fails with PW_ECHANGED or PW_ECORRUPT naming
 * the pack; never a crash.
 */
static void test_truncated_underneath(void **state)
{
	const good_pack *g = good("packs/basic-norev");
	char *path = good_pack_path(g), *idx = sibling(path, "idx");
	const char *base = strrchr(path, '/') + 1;
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm_options wo = PW_WM_OPTIONS_INIT;
	char tpack[8192], tidx[8192];
	pw_wm *wm = NULL;
	pw_pack *p = NULL;
	uint32_t i, n, changed = 0;
	(void)state;

	snprintf(tpack, sizeof(tpack), "%s/%s", tmpdir, base);
	snprintf(tidx, sizeof(tidx), "%s/%.*s.idx", tmpdir, (int)(strlen(base) - 5), base);
	copy_file(path, tpack);
	copy_file(idx, tidx);
	wo.window_size = 4096;
	wo.memory_limit = 16384;
	wo.fd_limit = 1;
	wo.no_mmap = 1;
	assert_int_equal(pw_wm_new(&wm, &wo), 0);
	po.delta_cache_size = 1;
	assert_int_equal(pw_pack_open(&p, wm, tpack, &po), 0);
	n = pw_pack_count(p);
	for (i = 0; i < n; i++) {
		pw_object *obj = NULL;
		uint64_t off;
		assert_int_equal(pw_pack_nth_offset(&off, p, i), 0);
		assert_int_equal(pw_pack_read_at(&obj, p, off), 0);
		pw_object_free(obj);
	}
	assert_int_equal(truncate(tpack, 10000), 0);
	for (i = 0; i < n; i++) {
		pw_object *obj = NULL;
		uint64_t off;
		int rc = pw_pack_nth_offset(&off, p, i);
		if (!rc)
			rc = pw_pack_read_at(&obj, p, off);
		pw_object_free(obj);
		if (rc == 0)
			continue;
		if (rc != PW_ECHANGED && rc != PW_ECORRUPT)
			fail_msg("object %u: %d: %s", i, rc, pw_error_last());
		if (!strstr(pw_error_last(), tpack) && !strstr(pw_error_last(), tidx))
			fail_msg("object %u: message names neither file: %s", i, pw_error_last());
		changed += rc == PW_ECHANGED;
	}
	assert_true(changed > 0);
	assert_true(pw_pack_verify(p, NULL) < 0);
	pw_pack_free(p);
	pw_wm_free(wm);
	unlink(tpack);
	unlink(tidx);
	free(path);
	free(idx);
}

/* ------------------------------------------------------------- main */

#define NGOOD (sizeof(good_packs) / sizeof(good_packs[0]))
#define NCORRUPT (sizeof(corrupt_cases) / sizeof(corrupt_cases[0]))

static const struct CMUnitTest fixed_tests[] = {
	{"prefix ambiguity", test_prefix_ambiguity, NULL, NULL, NULL},
	{"open paths", test_open_paths, make_tmpdir, remove_tmpdir, NULL},
	{"fan-out lookup", test_fanout_lookup, NULL, NULL, NULL},
	{"truncated underneath", test_truncated_underneath, make_tmpdir, remove_tmpdir, NULL},
	{"max object size", test_max_object_size, NULL, NULL, NULL},
	{"max delta depth", test_max_delta_depth, NULL, NULL, NULL},
	{"options version", test_options_version, NULL, NULL, NULL},
	{"corrupt table complete", test_corrupt_table_complete, NULL, NULL, NULL},
};

#define NFIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))

/*
 * Every good pack and every corrupt case twice (default and tiny budget),
 * named at run time: a static array of exactly that many, filled in main,
 * so that the public cmocka_run_group_tests_name counts it.
 */
static struct CMUnitTest tests[2 * NGOOD + NFIXED + 2 * NCORRUPT];
static good_state gs[2 * NGOOD];
static char names[2 * NCORRUPT][160];

int main(void)
{
	size_t n = 0, i;

	if (getenv("PW_TEST_DUMP")) {
		dump_cases();
		return 0;
	}
	for (i = 0; i < NGOOD; i++) {
		int b;
		for (b = 0; b < 2; b++) {
			good_state *s = &gs[2 * i + b];
			s->g = &good_packs[i];
			s->budget = b ? BUDGET_TINY : BUDGET_DEFAULT;
			snprintf(s->name, sizeof(s->name), "good %s (%s budget)", good_packs[i].dir,
			        b ? "tiny" : "default");
			tests[n++] = (struct CMUnitTest){s->name, test_good, NULL, NULL, s};
		}
	}
	for (i = 0; i < NFIXED; i++)
		tests[n++] = fixed_tests[i];
	for (i = 0; i < NCORRUPT; i++) {
		snprintf(names[2 * i], sizeof(names[0]), "corrupt %s", corrupt_cases[i].name);
		snprintf(names[2 * i + 1], sizeof(names[0]), "corrupt %s (tiny budget)",
		        corrupt_cases[i].name);
		tests[n++] = (struct CMUnitTest){
		        names[2 * i], test_corrupt_default, NULL, NULL, (void *)&corrupt_cases[i]};
		tests[n++] = (struct CMUnitTest){
		        names[2 * i + 1], test_corrupt_tiny, NULL, NULL, (void *)&corrupt_cases[i]};
	}
	if (n != sizeof(tests) / sizeof(tests[0])) {
		fprintf(stderr, "test_pack: %zu tests listed for %zu places\n", n,
		        sizeof(tests) / sizeof(tests[0]));
		return 1;
	}
	return cmocka_run_group_tests_name("test_pack", tests, NULL, NULL);
}
