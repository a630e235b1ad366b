/*
 * test_alloc.c: the pluggable allocator. An allocator that counts and
 * marks its blocks, installed with pw_set_allocator, sees every block that
 * opening and reading packs and a repository allocates (zlib's and
 * libdeflate's included) and gets every one of them back; the installer
 * refuses a wrong version or a missing function.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "packwin/pack.h"
#include "packwin/sys/alloc.h"

#define BASIC_REPO PW_FIXTURES "/repos/basic.git"
#define BASIC_PACK PW_FIXTURES "/packs/basic/pack-a010ff1ec291039d046916b82cd91f22fe55cdfb.pack"
#define BIGBLOB PW_FIXTURES "/packs/bigblob/pack-c8e3965d465eef3167852c711ae99d2549c6e833.pack"

/*
 * Every block starts with a header naming it ours: a block from elsewhere
 * handed to free_fn (or one of ours to libc's free) does not go unnoticed.
 */
#define MAGIC 0x70774d454d424c4bULL
#define HDR 16

typedef struct counts {
	atomic_ulong allocs, frees, foreign, live_bytes;
	atomic_ulong misuse; /* a call breaking pw_allocator's contract (no cmocka asserts off the main thread) */
} counts;

static counts seen;

static void *mark(unsigned char *base, size_t size)
{
	uint64_t magic = MAGIC, sz = size;

	if (!base)
		return NULL;
	memcpy(base, &magic, 8);
	memcpy(base + 8, &sz, 8);
	atomic_fetch_add(&seen.allocs, 1);
	atomic_fetch_add(&seen.live_bytes, size);
	return base + HDR;
}

/* The block's base, or NULL (counted) if it is not ours. */
static unsigned char *unmark(void *p)
{
	unsigned char *base = (unsigned char *)p - HDR;
	uint64_t magic, sz;

	memcpy(&magic, base, 8);
	if (magic != MAGIC) {
		atomic_fetch_add(&seen.foreign, 1);
		return NULL;
	}
	memcpy(&sz, base + 8, 8);
	memset(base, 0, 8);
	atomic_fetch_add(&seen.frees, 1);
	atomic_fetch_sub(&seen.live_bytes, sz);
	return base;
}

static void *count_malloc(size_t size, void *payload)
{
	if (payload != &seen || size == 0)
		atomic_fetch_add(&seen.misuse, 1);
	return mark(malloc(size + HDR), size);
}

static void *count_calloc(size_t count, size_t size, void *payload)
{
	if (payload != &seen || count == 0 || size == 0 || count > (SIZE_MAX - HDR) / size) {
		atomic_fetch_add(&seen.misuse, 1);
		return NULL;
	}
	return mark(calloc(1, count * size + HDR), count * size);
}

static void *count_realloc(void *p, size_t size, void *payload)
{
	unsigned char *base, *moved;
	uint64_t old;

	if (payload != &seen || !p || size == 0) {
		atomic_fetch_add(&seen.misuse, 1);
		return NULL;
	}
	memcpy(&old, (unsigned char *)p - HDR + 8, 8);
	if (!(base = unmark(p)))
		return NULL;
	if (!(moved = realloc(base, size + HDR))) {
		mark(base, old); /* still ours, unchanged */
		atomic_fetch_sub(&seen.allocs, 1);
		atomic_fetch_sub(&seen.frees, 1);
		return NULL;
	}
	atomic_fetch_sub(&seen.frees, 1); /* a move, not a free and an allocation */
	atomic_fetch_sub(&seen.allocs, 1);
	return mark(moved, size);
}

static void count_free(void *p, void *payload)
{
	unsigned char *base;

	if (payload != &seen || !p) {
		atomic_fetch_add(&seen.misuse, 1);
		return;
	}
	if ((base = unmark(p)))
		free(base);
}

static const pw_allocator counting = {
	PW_ALLOCATOR_VERSION, count_malloc, count_calloc, count_realloc, count_free, &seen
};

typedef struct workload {
	int no_mmap;
	int err;
	uint64_t digest;
	unsigned long live_at_end; /* blocks still allocated when the work is done */
} workload;

static int read_pack(uint64_t *h, const char *path, int no_mmap)
{
	pw_wm_options wo = PW_WM_OPTIONS_INIT;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_pack *pack = NULL;
	pw_wm *wm = NULL;
	int err;

	wo.no_mmap = no_mmap;
	if ((err = pw_wm_new(&wm, &wo)) == 0 && (err = pw_pack_open(&pack, wm, path, NULL)) == 0 &&
	    (err = digest_pack_objects(h, pack)) == 0) {
		vo.threads = 2; /* workers allocate (and free) their own decompressors */
		err = pw_pack_verify(pack, &vo);
	}
	pw_pack_free(pack);
	pw_wm_free(wm);
	return err;
}

/*
 * On a thread of its own, so that the thread's libdeflate decompressor is
 * freed (at its exit) while the counting allocator is still installed.
 */
static void *run(void *arg)
{
	workload *w = arg;
	pw_repo_options ro = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;
	char *head = NULL;
	uint64_t h = FNV_OFFSET;

	ro.no_discover = 1;
	ro.wm_options.no_mmap = w->no_mmap;
	w->err = read_pack(&h, BASIC_PACK, w->no_mmap);
	if (!w->err)
		w->err = read_pack(&h, BIGBLOB, w->no_mmap);
	if (!w->err && (w->err = pw_repo_open(&repo, BASIC_REPO, &ro)) == 0 &&
	    (w->err = digest_repo_objects(&h, repo)) == 0 &&
	    (w->err = pw_repo_head_target(&head, repo)) == 0 && head) {
		h = fnv(h, head, strlen(head));
		pw_string_free(head);
	}
	pw_repo_free(repo);
	w->digest = h;
	w->live_at_end = atomic_load(&seen.allocs) - atomic_load(&seen.frees);
	return NULL;
}

static unsigned long live_at_end;

static uint64_t run_on_thread(int no_mmap)
{
	workload w = { no_mmap, -1, 0, 0 };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, run, &w), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (w.err)
		fail_msg("workload: %d (%s)", w.err, pw_error_last());
	live_at_end = w.live_at_end;
	return w.digest;
}

static void test_counting_allocator(void **state)
{
	int no_mmap = *(const int *)*state;
	uint64_t want, got;

	want = run_on_thread(no_mmap);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(pw_set_allocator(&counting), 0);
	got = run_on_thread(no_mmap);
	assert_int_equal(pw_set_allocator(NULL), 0);
	assert_true(got == want);
	print_message("%lu blocks allocated, %lu freed\n", atomic_load(&seen.allocs),
		atomic_load(&seen.frees));
	/* some 880: objects read, windows, zlib streams, decompressors, the repository */
	assert_true(atomic_load(&seen.allocs) > 500);
	assert_int_equal(atomic_load(&seen.frees), atomic_load(&seen.allocs));
	assert_int_equal(atomic_load(&seen.live_bytes), 0);
	assert_int_equal(atomic_load(&seen.foreign), 0);
	assert_int_equal(atomic_load(&seen.misuse), 0);
#ifdef PW_HAVE_LIBDEFLATE
	/* the one block the thread kept to its exit: its libdeflate decompressor */
	assert_int_equal(live_at_end, 1);
#else
	assert_int_equal(live_at_end, 0);
#endif
	/* restored: libc's again, nothing reaches the counter */
	memset(&seen, 0, sizeof(seen));
	assert_true(run_on_thread(no_mmap) == want);
	assert_int_equal(atomic_load(&seen.allocs), 0);
}

static void test_set_allocator_refuses(void **state)
{
	pw_allocator a = counting;
	(void)state;

	a.version = 9;
	assert_int_equal(pw_set_allocator(&a), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_allocator: version 9, expected 1");
	a.version = PW_ALLOCATOR_VERSION;
	a.calloc_fn = NULL;
	assert_int_equal(pw_set_allocator(&a), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_allocator: every function must be set");
	/* refused means unchanged: still libc's */
	memset(&seen, 0, sizeof(seen));
	run_on_thread(0);
	assert_int_equal(atomic_load(&seen.allocs), 0);
}

static const int mode_mmap = 0, mode_pread = 1;

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_counting_allocator, (void *)&mode_mmap),
		cmocka_unit_test_prestate(test_counting_allocator, (void *)&mode_pread),
		cmocka_unit_test(test_set_allocator_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
