/*
 * test_pack_lazy.c: packs opened without their idx (pw_pack_open_lazy): every
 * object of every fixture and corpus pack read from offsets alone, the idx
 * loaded only on demand (and failing cleanly when it is not there), hostile
 * headers and offsets, and several threads racing to load one idx (run
 * under TSan by `make test-tsan`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packwin/errors.h"
#include "packwin/pack.h"
#include "packwin/window.h"
#include "testutil.h"
#include "util/alloc.h"
#include "util/hash.h"

#define PACKS_DIR PW_FIXTURES "/packs"
#define CORRUPT_DIR PW_FIXTURES "/corrupt"

static const char *const fixture_packs[] = {
	"basic", "basic-idx1", "basic-idx64", "basic-norev", "bigblob",
	"longchain", "refdelta", "sha256",
};

/* ---------------------------------------------------------------- helpers */

static pw_wm *new_wm(int tiny)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	pw_wm *wm = NULL;

	if (tiny) {
		o.window_size = 4096;
		o.memory_limit = 16384;
		o.fd_limit = 1;
	}
	assert_int_equal(pw_wm_new(&wm, &o), 0);
	return wm;
}

/* The one pack-*.pack in `dir`, into `out`. */
static void find_pack(char *out, size_t size, const char *dir)
{
	struct dirent *d;
	DIR *dh = opendir(dir);
	int found = 0;

	assert_non_null(dh);
	while ((d = readdir(dh)) != NULL) {
		size_t len = strlen(d->d_name);
		if (len > 10 && !strncmp(d->d_name, "pack-", 5) &&
		    !strcmp(d->d_name + len - 5, ".pack")) {
			assert_int_equal(found, 0);
			snprintf(out, size, "%s/%s", dir, d->d_name);
			found = 1;
		}
	}
	closedir(dh);
	assert_int_equal(found, 1);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/*
 * A folder of tmpdir holding only a symbolic link to `pack` (no .idx, no
 * .rev): the path of the link into `out`.
 */
static void pack_alone(char *out, size_t size, const char *sub, const char *pack)
{
	sh("mkdir -p '%s' && ln -sf '%s' '%s/%s'", sub, pack, sub, base_name(pack));
	snprintf(out, size, "%s/%s", tmp(sub), base_name(pack));
}

/* The .idx beside it appears: link it into the folder of `lazy_path`. */
static void link_idx(const char *lazy_path, const char *real_pack)
{
	char from[PATH_MAX], to[PATH_MAX];
	size_t a = strlen(real_pack) - 5, b = strlen(lazy_path) - 5;

	snprintf(from, sizeof(from), "%.*s.idx", (int)a, real_pack);
	snprintf(to, sizeof(to), "%.*s.idx", (int)b, lazy_path);
	assert_int_equal(symlink(from, to), 0);
}

/* What a MIDX would do for a REF_DELTA base: find it by id in a pack with its idx. */
typedef struct hook {
	pw_pack *full;
	atomic_uint calls;
} hook;

static int hook_lookup(pw_object **out, const pw_oid *id, unsigned int depth, void *payload)
{
	hook *h = payload;

	atomic_fetch_add(&h->calls, 1);
	return pw_pack_read(out, h->full, id);
}

static pw_pack *open_lazy(pw_wm *wm, const char *path, pw_oid_t type, hook *h)
{
	pw_pack_options o = PW_PACK_OPTIONS_INIT;
	pw_pack *p = NULL;

	o.oid_type = type;
	if (h) {
		o.base_lookup = hook_lookup;
		o.base_payload = h;
	}
	if (pw_pack_open_lazy(&p, wm, path, &o) < 0)
		fail_msg("pw_pack_open_lazy %s: %s", path, pw_error_last());
	return p;
}

static uint64_t opens(pw_wm *wm)
{
	pw_wm_stats st;
	pw_wm_get_stats(&st, wm);
	return st.opens;
}

/* The id `obj` hashes to. */
static void object_id(pw_oid *out, const pw_object *obj, pw_oid_t type)
{
	char hdr[64];
	pw_hash h;
	int n = snprintf(hdr, sizeof(hdr), "%s %zu",
		pw_object_type_name(pw_object_type(obj)), pw_object_size(obj));

	assert_int_equal(pw__hash_init(&h, type), 0);
	pw__hash_update(&h, hdr, (size_t)n + 1);
	pw__hash_update(&h, pw_object_data(obj), pw_object_size(obj));
	pw__hash_final(out, &h);
}

static int digest_cb(const unsigned char *data, size_t len, void *payload)
{
	*(uint64_t *)payload = fnv(*(uint64_t *)payload, data, len);
	return 0;
}

/* The offset of the n-th object in pack order, from the normally opened pack. */
static uint64_t pack_order_offset(pw_pack *full, uint32_t n)
{
	uint32_t pos;
	uint64_t off;

	assert_int_equal(pw_pack_order_nth(&pos, full, n), 0);
	assert_int_equal(pw_pack_nth_offset(&off, full, pos), 0);
	return off;
}

/*
 * Every object of `pack_path`, read from a lazily opened link to the pack
 * alone by the offsets of a normally opened one: same type, size and bytes
 * (or, with `by_id`, content hashing to the idx's id, which is cheaper for
 * the corpus), and not one .idx opened.
 */
static void read_all_lazily(const char *pack_path, const char *sub, int tiny, int by_id)
{
	char lazy_path[PATH_MAX];
	pw_wm *wm_full = new_wm(0), *wm = new_wm(tiny);
	pw_pack *full = NULL, *lazy;
	hook h = { NULL, 0 };
	uint32_t n, count;
	pw_oid_t type;

	assert_int_equal(pw_pack_open(&full, wm_full, pack_path, NULL), 0);
	type = pw_pack_oid_type(full);
	h.full = full;
	pack_alone(lazy_path, sizeof(lazy_path), sub, pack_path);
	lazy = open_lazy(wm, lazy_path, type, &h);
	count = pw_pack_count(full);
	assert_int_equal(pw_pack_count(lazy), count);
	assert_int_equal(pw_pack_size(lazy), pw_pack_size(full));
	assert_int_equal(pw_pack_oid_type(lazy), type);
	assert_int_equal(pw_pack_idx_loaded(lazy), 0);
	assert_int_equal(pw_pack_idx_version(lazy), 0);

	for (n = 0; n < count; n++) {
		uint64_t off = pack_order_offset(full, n), size, sizes[2], d1 = FNV_OFFSET, d2 = FNV_OFFSET;
		pw_object *a = NULL, *b = NULL;
		pw_object_t t, types[2];
		pw_pack_entry ea, eb;
		uint32_t depth;

		if (pw_pack_read_at(&b, lazy, off) < 0)
			fail_msg("%s offset %llu: %s", lazy_path, (unsigned long long)off,
				pw_error_last());
		assert_int_equal(pw_pack_read_header(&t, &size, lazy, off), 0);
		assert_int_equal(t, pw_object_type(b));
		assert_int_equal(size, pw_object_size(b));
		assert_int_equal(pw_pack_chain(&t, &depth, lazy, off), 0);
		assert_int_equal(t, pw_object_type(b));
		assert_int_equal(pw_pack_entry_at(&eb, lazy, off), 0);
		assert_int_equal(eb.packed_size, 0);
		assert_int_equal(eb.crc32, 0);
		assert_int_equal(eb.offset, off);
		if (by_id) {
			uint32_t pos;
			pw_oid want, got;
			assert_int_equal(pw_pack_order_nth(&pos, full, n), 0);
			assert_int_equal(pw_pack_nth_oid(&want, full, pos), 0);
			object_id(&got, b, type);
			assert_int_equal(pw_oid_cmp(&want, &got), 0);
		} else {
			assert_int_equal(pw_pack_read_at(&a, full, off), 0);
			assert_int_equal(pw_object_type(a), pw_object_type(b));
			assert_int_equal(pw_object_size(a), pw_object_size(b));
			assert_memory_equal(pw_object_data(a), pw_object_data(b), pw_object_size(a));
			assert_int_equal(pw_pack_entry_at(&ea, full, off), 0);
			assert_int_equal(ea.type, eb.type);
			assert_int_equal(ea.size, eb.size);
			assert_int_equal(ea.header_len, eb.header_len);
			if (ea.type == PW_OBJ_OFS_DELTA)
				assert_int_equal(ea.base_offset, eb.base_offset);
			if (ea.type == PW_OBJ_REF_DELTA) {
				assert_int_equal(pw_oid_cmp(&ea.base_id, &eb.base_id), 0);
				assert_int_equal(eb.base_offset, 0);
			}
			assert_int_equal(pw_pack_stream_at(&types[0], &sizes[0], full, off,
				digest_cb, &d1), 0);
			assert_int_equal(pw_pack_stream_at(&types[1], &sizes[1], lazy, off,
				digest_cb, &d2), 0);
			assert_int_equal(types[0], types[1]);
			assert_int_equal(sizes[0], sizes[1]);
			assert_int_equal(d1, d2);
		}
		pw_object_free(a);
		pw_object_free(b);
	}
	/* the link's folder has no idx, and no call above tried to open one */
	assert_int_equal(pw_pack_idx_loaded(lazy), 0);
	assert_int_equal(opens(wm), 1);
	if (strstr(pack_path, "/refdelta/"))
		assert_true(atomic_load(&h.calls) > 0);
	pw_pack_free(lazy);
	pw_pack_free(full);
	pw_wm_free(wm);
	pw_wm_free(wm_full);
}

/* ------------------------------------------------------------------ tests */

static void test_fixtures_by_offset(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], sub[64];
	size_t i;
	int tiny;

	(void)state;
	for (tiny = 0; tiny < 2; tiny++)
		for (i = 0; i < sizeof(fixture_packs) / sizeof(*fixture_packs); i++) {
			snprintf(dir, sizeof(dir), "%s/%s", PACKS_DIR, fixture_packs[i]);
			find_pack(path, sizeof(path), dir);
			snprintf(sub, sizeof(sub), "fx%d-%s", tiny, fixture_packs[i]);
			read_all_lazily(path, sub, tiny, 0);
		}
}

static void test_corpus_by_offset(void **state)
{
	static const char *const repos[] = { "zlib", "libgit2" };
	char path[PATH_MAX], dir[PATH_MAX], sub[64];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(dir, sizeof(dir), "%s/%s.git/objects/pack", PW_CORPUS, repos[i]);
		if (access(dir, R_OK))
			skip();
		find_pack(path, sizeof(path), dir);
		snprintf(sub, sizeof(sub), "corpus-%s", repos[i]);
		read_all_lazily(path, sub, 0, 1);
	}
}

/* Everything that needs the idx loads it, and then answers as pw_pack_open does. */
static void test_idx_loaded_on_demand(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixture_packs) / sizeof(*fixture_packs); i++) {
		pw_wm *wm = new_wm(0);
		pw_pack *full = NULL, *lazy;
		pw_oid id, id2, sum1, sum2;
		uint64_t off, off2;
		uint32_t n, pos, pos2, count;
		pw_object *obj = NULL;
		int step;

		snprintf(dir, sizeof(dir), "%s/%s", PACKS_DIR, fixture_packs[i]);
		find_pack(path, sizeof(path), dir);
		assert_int_equal(pw_pack_open(&full, wm, path, NULL), 0);
		count = pw_pack_count(full);
		assert_int_equal(pw_pack_nth_oid(&id, full, count / 2), 0);
		assert_int_equal(pw_pack_nth_offset(&off, full, count / 2), 0);

		/* each step is a different first call that needs the idx */
		for (step = 0; step < 6; step++) {
			pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
			pw_pack_entry ea, eb;
			lazy = open_lazy(wm, path, pw_pack_oid_type(full), NULL);
			assert_int_equal(pw_pack_read_at(&obj, lazy, off), 0);
			pw_object_free(obj);
			/* a REF_DELTA with no hook needs the idx: refdelta's reads may load it */
			if (strstr(path, "/refdelta/") == NULL)
				assert_int_equal(pw_pack_idx_loaded(lazy), 0);
			switch (step) {
			case 0:
				assert_int_equal(pw_pack_find(&off2, lazy, &id), 0);
				assert_int_equal(off2, off);
				break;
			case 1:
				assert_int_equal(pw_pack_find_prefix(&id2, lazy, &id, 16), 0);
				assert_int_equal(pw_oid_cmp(&id, &id2), 0);
				break;
			case 2:
				assert_int_equal(pw_pack_offset_oid(&id2, lazy, off), 0);
				assert_int_equal(pw_oid_cmp(&id, &id2), 0);
				break;
			case 3:
				for (n = 0; n < count; n++) {
					assert_int_equal(pw_pack_order_nth(&pos, lazy, n), 0);
					assert_int_equal(pw_pack_order_nth(&pos2, full, n), 0);
					assert_int_equal(pos, pos2);
				}
				break;
			case 4:
				assert_int_equal(pw_pack_checksum(&sum1, lazy), 0);
				assert_int_equal(pw_pack_checksum(&sum2, full), 0);
				assert_int_equal(pw_oid_cmp(&sum1, &sum2), 0);
				break;
			case 5:
				vo.threads = 2;
				if (pw_pack_verify(lazy, &vo) < 0)
					fail_msg("verify %s: %s", path, pw_error_last());
				break;
			}
			assert_int_equal(pw_pack_idx_loaded(lazy), 1);
			assert_int_equal(pw_pack_idx_version(lazy), pw_pack_idx_version(full));
			/* with the idx loaded, entries say what they say for pw_pack_open */
			assert_int_equal(pw_pack_entry_at(&ea, full, off), 0);
			assert_int_equal(pw_pack_entry_at(&eb, lazy, off), 0);
			assert_int_equal(ea.packed_size, eb.packed_size);
			assert_int_equal(ea.crc32, eb.crc32);
			assert_int_equal(ea.base_offset, eb.base_offset);
			assert_int_equal(pw_pack_entry_at(&eb, lazy, off + 1), PW_ENOTFOUND);
			assert_int_equal(pw_pack_load_idx(lazy), 0);
			pw_pack_free(lazy);
		}
		pw_pack_free(full);
		pw_wm_free(wm);
	}
}

/* Without a hook, a REF_DELTA base is looked up in the pack's own idx, loaded for it. */
static void test_refdelta_without_hook_loads_idx(void **state)
{
	char path[PATH_MAX], alone[PATH_MAX];
	pw_wm *wm = new_wm(0);
	pw_pack *full = NULL, *lazy, *lonely;
	uint32_t n, refs = 0;

	(void)state;
	find_pack(path, sizeof(path), PACKS_DIR "/refdelta");
	assert_int_equal(pw_pack_open(&full, wm, path, NULL), 0);
	lazy = open_lazy(wm, path, PW_OID_SHA1, NULL);
	pack_alone(alone, sizeof(alone), "refdelta-alone", path);
	lonely = open_lazy(wm, alone, PW_OID_SHA1, NULL);
	for (n = 0; n < pw_pack_count(full); n++) {
		uint64_t off = pack_order_offset(full, n);
		pw_object *a = NULL, *b = NULL;
		pw_pack_entry e;
		int err;

		assert_int_equal(pw_pack_entry_at(&e, full, off), 0);
		assert_int_equal(pw_pack_read_at(&a, full, off), 0);
		assert_int_equal(pw_pack_read_at(&b, lazy, off), 0);
		assert_int_equal(pw_object_size(a), pw_object_size(b));
		assert_memory_equal(pw_object_data(a), pw_object_data(b), pw_object_size(a));
		pw_object_free(b);
		b = NULL;
		/* with no idx on disk, a REF_DELTA chain fails naming it; the rest reads */
		err = pw_pack_read_at(&b, lonely, off);
		if (e.type == PW_OBJ_REF_DELTA) {
			refs++;
			assert_int_equal(err, PW_ENOTFOUND);
			assert_non_null(strstr(pw_error_last(), ".idx"));
			assert_non_null(strstr(pw_error_last(), "REF_DELTA"));
		} else if (e.type != PW_OBJ_OFS_DELTA) {
			assert_int_equal(err, 0);
		}
		pw_object_free(a);
		pw_object_free(b);
	}
	assert_true(refs > 0);
	assert_int_equal(pw_pack_idx_loaded(lazy), 1);
	assert_int_equal(pw_pack_idx_loaded(lonely), 0);
	pw_pack_free(lonely);
	pw_pack_free(lazy);
	pw_pack_free(full);
	pw_wm_free(wm);
}

static void assert_fails_naming_idx(int err, const char *idx)
{
	assert_int_equal(err, PW_ENOTFOUND);
	if (!strstr(pw_error_last(), idx))
		fail_msg("message does not name %s: %s", idx, pw_error_last());
}

/* An idx missing on disk: what needs it fails naming it, reading by offset works, and it may appear later. */
static void test_missing_idx(void **state)
{
	char path[PATH_MAX], alone[PATH_MAX], idx[PATH_MAX];
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = new_wm(0);
	pw_pack *full = NULL, *lazy;
	pw_object *obj = NULL;
	uint32_t pos;
	uint64_t off;
	pw_oid id;

	(void)state;
	find_pack(path, sizeof(path), PACKS_DIR "/basic");
	assert_int_equal(pw_pack_open(&full, wm, path, NULL), 0);
	assert_int_equal(pw_pack_nth_oid(&id, full, 3), 0);
	assert_int_equal(pw_pack_nth_offset(&off, full, 3), 0);
	pack_alone(alone, sizeof(alone), "missing", path);
	snprintf(idx, sizeof(idx), "%.*s.idx", (int)(strlen(alone) - 5), alone);
	lazy = open_lazy(wm, alone, PW_OID_SHA1, NULL);
	assert_string_equal(pw_pack_idx_path(lazy), idx);

	assert_fails_naming_idx(pw_pack_find(&off, lazy, &id), idx);
	assert_fails_naming_idx(pw_pack_find_prefix(&id, lazy, &id, 10), idx);
	assert_fails_naming_idx(pw_pack_nth_oid(&id, lazy, 0), idx);
	assert_fails_naming_idx(pw_pack_nth_offset(&off, lazy, 0), idx);
	assert_fails_naming_idx(pw_pack_order_nth(&pos, lazy, 0), idx);
	assert_fails_naming_idx(pw_pack_offset_oid(&id, lazy, off), idx);
	assert_fails_naming_idx(pw_pack_checksum(&id, lazy), idx);
	assert_fails_naming_idx(pw_pack_index_bases(lazy), idx);
	assert_fails_naming_idx(pw_pack_verify(lazy, &vo), idx);
	assert_fails_naming_idx(pw_pack_load_idx(lazy), idx);
	assert_int_equal(pw_pack_read(&obj, lazy, &id), PW_ENOTFOUND);
	assert_int_equal(pw_pack_idx_loaded(lazy), 0);
	assert_int_equal(pw_pack_read_at(&obj, lazy, off), 0);
	pw_object_free(obj);

	/* a missing file is not remembered as a failure: once there, it loads */
	link_idx(alone, path);
	assert_int_equal(pw_pack_load_idx(lazy), 0);
	assert_int_equal(pw_pack_find(&off, lazy, &id), 0);
	assert_int_equal(pw_pack_verify(lazy, &vo), 0);
	pw_pack_free(lazy);
	pw_pack_free(full);
	pw_wm_free(wm);
}

/* Running out of memory while loading the idx is not remembered: the next call loads it. */
static void test_idx_load_out_of_memory(void **state)
{
	char path[PATH_MAX];
	pw_wm *wm = new_wm(0);
	pw_pack *lazy;
	pw_oid id;
	int err;

	(void)state;
	find_pack(path, sizeof(path), PACKS_DIR "/basic");
	lazy = open_lazy(wm, path, PW_OID_SHA1, NULL);
	test_alloc_fail_after(0);
	err = pw_pack_load_idx(lazy);
	test_alloc_fail_after(-1);
	assert_int_equal(err, PW_ENOMEM);
	assert_int_equal(pw_pack_idx_loaded(lazy), 0);
	assert_int_equal(pw_pack_nth_oid(&id, lazy, 0), 0);
	assert_int_equal(pw_pack_idx_loaded(lazy), 1);
	pw_pack_free(lazy);
	pw_wm_free(wm);
}

/* An idx that does not fit the pack fails on load, the same way every time. */
static void test_bad_idx_on_load(void **state)
{
	static const struct { const char *dir; int code; const char *msg; } cases[] = {
		{ "count-mismatch", PW_ECORRUPT, "index lists 156 objects but" },
		{ "bad-idx-version", PW_EUNSUPPORTED, "index version 3 is not supported" },
	};
	char path[PATH_MAX], dir[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		pw_wm *wm = new_wm(0);
		pw_pack *lazy;
		pw_oid id;
		int round;

		snprintf(dir, sizeof(dir), "%s/%s", CORRUPT_DIR, cases[i].dir);
		find_pack(path, sizeof(path), dir);
		lazy = open_lazy(wm, path, PW_OID_SHA1, NULL);
		for (round = 0; round < 2; round++) {
			assert_int_equal(pw_pack_nth_oid(&id, lazy, 0), cases[i].code);
			if (!strstr(pw_error_last(), cases[i].msg) || !strstr(pw_error_last(), ".idx"))
				fail_msg("%s: %s", cases[i].dir, pw_error_last());
		}
		/* the second round did not open the idx again */
		assert_int_equal(opens(wm), 2);
		assert_int_equal(pw_pack_idx_loaded(lazy), 0);
		pw_pack_free(lazy);
		pw_wm_free(wm);
	}
}

/* Write `len` bytes to tmpdir/rel. */
static const char *write_file(const char *rel, const void *data, size_t len)
{
	const char *path = tmp(rel);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void expect_open_error(pw_wm *wm, const char *path, pw_oid_t type, int code,
	const char *msg)
{
	pw_pack_options o = PW_PACK_OPTIONS_INIT;
	pw_pack *p = (pw_pack *)&o; /* must come back NULL */

	o.oid_type = type;
	assert_int_equal(pw_pack_open_lazy(&p, wm, path, &o), code);
	assert_null(p);
	if (!strstr(pw_error_last(), msg))
		fail_msg("%s: expected \"%s\", got: %s", path, msg, pw_error_last());
}

static void test_bad_headers(void **state)
{
	unsigned char buf[64 * 1024];
	char path[PATH_MAX];
	pw_wm *wm = new_wm(0);
	pw_pack *p = NULL;
	size_t len;
	FILE *f;

	(void)state;
	find_pack(path, sizeof(path), CORRUPT_DIR "/bad-pack-magic");
	expect_open_error(wm, path, PW_OID_SHA1, PW_ECORRUPT, "offset 0: bad pack signature");
	find_pack(path, sizeof(path), CORRUPT_DIR "/bad-pack-version");
	expect_open_error(wm, path, PW_OID_SHA1, PW_EUNSUPPORTED,
		"offset 4: pack version 4 is not supported");

	find_pack(path, sizeof(path), PACKS_DIR "/basic");
	expect_open_error(wm, path, PW_OID_UNKNOWN, PW_EINVALID, "needs its object format");
	assert_int_equal(pw_pack_open_lazy(&p, wm, path, NULL), PW_EINVALID);
	assert_int_equal(pw_pack_open_lazy(&p, NULL, path, NULL), PW_EINVALID);
	expect_open_error(wm, tmp("nothing-here.pack"), PW_OID_SHA1, PW_ENOTFOUND, "nothing-here.pack");
	expect_open_error(wm, tmp("not-a-pack.txt"), PW_OID_SHA1, PW_EINVALID, "must end in .pack");

	f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(len > 1000 && len < sizeof(buf));

	/* cut inside the header, and before room for the trailer */
	expect_open_error(wm, write_file("cut8.pack", buf, 8), PW_OID_SHA1, PW_ECORRUPT,
		"too small to be a pack");
	expect_open_error(wm, write_file("cut31.pack", buf, 31), PW_OID_SHA1, PW_ECORRUPT,
		"too small to be a pack");
	/* SHA-256 needs a 32-byte trailer: 12 + 31 bytes are too few */
	expect_open_error(wm, write_file("cut43.pack", buf, 43), PW_OID_SHA256, PW_ECORRUPT,
		"too small to be a pack");
	/* a header counting more objects than the file has bytes */
	expect_open_error(wm, write_file("cut40.pack", buf, 40), PW_OID_SHA1, PW_ECORRUPT,
		"cannot hold the 156 objects");

	{
		/* cut in half: the header fits, entries past the cut fail cleanly */
		pw_wm *wm2 = new_wm(0);
		pw_pack *full = NULL, *half;
		const char *cut = write_file("half.pack", buf, len / 2);
		uint32_t n, ok = 0, bad = 0;

		assert_int_equal(pw_pack_open(&full, wm2, path, NULL), 0);
		half = open_lazy(wm2, cut, PW_OID_SHA1, NULL);
		for (n = 0; n < pw_pack_count(full); n++) {
			uint64_t off = pack_order_offset(full, n);
			pw_object *obj = NULL;
			pw_pack_entry e;
			int err = pw_pack_read_at(&obj, half, off);

			/* an entry (and so its OFS_DELTA bases) wholly before the cut reads */
			assert_int_equal(pw_pack_entry_at(&e, full, off), 0);
			if (off + e.packed_size <= len / 2 - 20) {
				if (err)
					fail_msg("offset %llu: %s", (unsigned long long)off, pw_error_last());
				ok++;
			} else {
				assert_int_equal(err, PW_ECORRUPT);
				bad++;
			}
			pw_object_free(obj);
		}
		assert_true(ok > 0 && bad > 0);
		pw_pack_free(half);
		pw_pack_free(full);
		pw_wm_free(wm2);
	}
	pw_wm_free(wm);
}

/* Offsets outside the entries or inside one: errors, never a crash (this runs under ASan too). */
static void test_bad_offsets(void **state)
{
	char path[PATH_MAX], alone[PATH_MAX];
	pw_wm *wm = new_wm(0);
	pw_pack *full = NULL, *lazy;
	pw_object *obj = NULL;
	uint64_t size, bad[6];
	uint32_t n, depth;
	pw_object_t t;
	size_t i;

	(void)state;
	find_pack(path, sizeof(path), PACKS_DIR "/basic");
	assert_int_equal(pw_pack_open(&full, wm, path, NULL), 0);
	pack_alone(alone, sizeof(alone), "offsets", path);
	lazy = open_lazy(wm, alone, PW_OID_SHA1, NULL);
	size = pw_pack_size(lazy);
	bad[0] = 0;
	bad[1] = 11;
	bad[2] = size - 20;
	bad[3] = size;
	bad[4] = size + 1000;
	bad[5] = UINT64_MAX;
	for (i = 0; i < 6; i++) {
		pw_pack_entry e;
		uint64_t s;
		assert_int_equal(pw_pack_read_at(&obj, lazy, bad[i]), PW_ECORRUPT);
		assert_null(obj);
		assert_non_null(strstr(pw_error_last(), "outside the pack's entries"));
		assert_int_equal(pw_pack_entry_at(&e, lazy, bad[i]), PW_ECORRUPT);
		assert_int_equal(pw_pack_read_header(&t, &s, lazy, bad[i]), PW_ECORRUPT);
		assert_int_equal(pw_pack_chain(&t, &depth, lazy, bad[i]), PW_ECORRUPT);
	}
	/* one byte into every entry: garbage to the parser, caught as such */
	for (n = 0; n < pw_pack_count(full); n++) {
		uint64_t off = pack_order_offset(full, n) + 1;
		int err = pw_pack_read_at(&obj, lazy, off);
		/* ENOTFOUND when the garbage reads as a REF_DELTA whose base needs the idx */
		if (err != PW_ECORRUPT && err != PW_ENOTFOUND)
			fail_msg("offset %llu gives %d: %s", (unsigned long long)off, err,
				pw_error_last());
		assert_null(obj);
		assert_non_null(strstr(pw_error_last(), tmp("offsets/pack-")));
	}
	assert_int_equal(pw_pack_idx_loaded(lazy), 0);
	pw_pack_free(lazy);
	pw_pack_free(full);
	pw_wm_free(wm);
}

/* ------------------------------------------------- threads racing to load the idx */

#define NTHREADS 4

typedef struct race {
	pw_pack *full, *lazy;
	pthread_barrier_t start;
	atomic_int failures;
} race;

typedef struct racer_arg {
	race *r;
	int which; /* the first call this thread makes */
} racer_arg;

static void *racer(void *arg)
{
	race *r = ((racer_arg *)arg)->r;
	int which = ((racer_arg *)arg)->which;
	uint32_t count = pw_pack_count(r->full), n, pos;
	pw_object *a = NULL, *b = NULL;
	uint64_t off, off2;
	pw_oid id;

	pthread_barrier_wait(&r->start);
	for (n = 0; n < count; n++) {
		pw_pack_entry e;
		if (pw_pack_nth_oid(&id, r->full, n) < 0 || pw_pack_nth_offset(&off, r->full, n) < 0)
			goto fail;
		switch ((which + n) % 4) {
		case 0:
			if (pw_pack_find(&off2, r->lazy, &id) < 0 || off2 != off)
				goto fail;
			break;
		case 1:
			if (pw_pack_order_nth(&pos, r->lazy, n) < 0)
				goto fail;
			break;
		case 2:
			if (pw_pack_entry_at(&e, r->lazy, off) < 0)
				goto fail;
			break;
		default:
			if (pw_pack_read(&a, r->lazy, &id) < 0)
				goto fail;
			pw_object_free(a);
			a = NULL;
			break;
		}
		if (pw_pack_read_at(&a, r->full, off) < 0 || pw_pack_read_at(&b, r->lazy, off) < 0 ||
		    pw_object_size(a) != pw_object_size(b) ||
		    memcmp(pw_object_data(a), pw_object_data(b), pw_object_size(a)))
			goto fail;
		pw_object_free(a);
		pw_object_free(b);
		a = b = NULL;
	}
	return NULL;
fail:
	pw_object_free(a);
	pw_object_free(b);
	if (atomic_fetch_add(&r->failures, 1) == 0)
		fprintf(stderr, "racer %d: object %u: %s\n", which, n, pw_error_last());
	return NULL;
}

static void test_threads_race_to_load(void **state)
{
	static const char *const which[] = { "basic", "refdelta", "sha256" };
	char path[PATH_MAX], dir[PATH_MAX];
	size_t i;
	int round;

	(void)state;
	for (round = 0; round < 10; round++)
		for (i = 0; i < 3; i++) {
			pthread_t tids[NTHREADS];
			racer_arg args[NTHREADS];
			pw_wm_options o = PW_WM_OPTIONS_INIT;
			pw_wm *wm = NULL;
			race r;
			int t;

			if (round & 1) {
				/* small windows, re-mapped often; room for every thread's pins */
				o.window_size = 4096;
				o.memory_limit = 256 * 1024;
				o.fd_limit = 2;
			}
			assert_int_equal(pw_wm_new(&wm, &o), 0);

			memset(&r, 0, sizeof(r));
			snprintf(dir, sizeof(dir), "%s/%s", PACKS_DIR, which[i]);
			find_pack(path, sizeof(path), dir);
			assert_int_equal(pw_pack_open(&r.full, wm, path, NULL), 0);
			r.lazy = open_lazy(wm, path, pw_pack_oid_type(r.full), NULL);
			pthread_barrier_init(&r.start, NULL, NTHREADS);
			for (t = 0; t < NTHREADS; t++) {
				args[t].r = &r;
				args[t].which = round + t;
				assert_int_equal(pthread_create(&tids[t], NULL, racer, &args[t]), 0);
			}
			for (t = 0; t < NTHREADS; t++)
				pthread_join(tids[t], NULL);
			pthread_barrier_destroy(&r.start);
			assert_int_equal(atomic_load(&r.failures), 0);
			assert_int_equal(pw_pack_idx_loaded(r.lazy), 1);
			pw_pack_free(r.lazy);
			pw_pack_free(r.full);
			pw_wm_free(wm);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixtures_by_offset, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_corpus_by_offset, make_tmpdir, remove_tmpdir),
		cmocka_unit_test(test_idx_loaded_on_demand),
		cmocka_unit_test_setup_teardown(test_refdelta_without_hook_loads_idx,
			make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_idx, make_tmpdir, remove_tmpdir),
		cmocka_unit_test(test_bad_idx_on_load),
		cmocka_unit_test(test_idx_load_out_of_memory),
		cmocka_unit_test_setup_teardown(test_bad_headers, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_bad_offsets, make_tmpdir, remove_tmpdir),
		cmocka_unit_test(test_threads_race_to_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
