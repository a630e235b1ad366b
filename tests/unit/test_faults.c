/*
 * test_faults.c: every allocation the library makes may fail. For N = 0, 1,
 * 2, … the N-th allocation (and every one after it) fails during a whole
 * workload — open a repository and read every object, open a pack and
 * verify it, read every object of a 399-deep delta chain pack, read by
 * offsets a pack opened without its idx (a REF_DELTA then loads it) — and each
 * run must either succeed with the same bytes as an unfaulted run or stop
 * with PW_ENOMEM, leaving no descriptor open and no mapping. Leaks are
 * LeakSanitizer's to find: `make test-asan` runs this test too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "packwin/pack.h"
#include "util/alloc.h"

#define BASIC_REPO PW_FIXTURES "/repos/basic.git"
#define LONGCHAIN PW_FIXTURES "/packs/longchain/pack-9d2fa131bc99972c32c178a98fe17066c203aa70.pack"
#define BIGBLOB PW_FIXTURES "/packs/bigblob/pack-c8e3965d465eef3167852c711ae99d2549c6e833.pack"
#define REFDELTA PW_FIXTURES "/packs/refdelta/pack-a484e23c24f1549b37dcabdf60710fff8b5d0d05.pack"

/* Small windows and caches, so that windows, evictions and cache entries come and go. */
static pw_wm_options small_wm(int no_mmap)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;

	o.window_size = 8192;
	o.memory_limit = 64 * 1024;
	o.fd_limit = 2;
	o.no_mmap = no_mmap;
	return o;
}

static char repo_copy[600];

/*
 * Workload 1: open a copy of basic.git with loose objects added, list it in
 * id order, read every object by id. The digest (FNV-1a of what the run
 * read) compares a faulted run that succeeds byte for byte.
 */
static int run_repo(uint64_t *digest, const void *param)
{
	const int *no_mmap = param;
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;
	uint64_t h = FNV_OFFSET;
	int err;

	o.no_discover = 1;
	o.wm_options = small_wm(*no_mmap);
	o.delta_cache_size = 16 * 1024;
	err = pw_repo_open(&repo, repo_copy, &o);
	if (!err)
		err = digest_repo_objects(&h, repo);
	pw_repo_free(repo);
	*digest = h;
	return err;
}

static char discover_from[700];

/*
 * Workload 4: find a linked work tree's repository from a folder deep in
 * it (a gitfile to a gitdir with a commondir file), inside another
 * repository: running out of memory anywhere in discovery must be
 * PW_ENOMEM, never "not a git repository" nor the enclosing repository.
 */
static int run_discover(uint64_t *digest, const void *param)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;
	uint64_t h = FNV_OFFSET;
	int err;

	(void)param;
	err = pw_repo_open(&repo, discover_from, &o);
	if (!err) {
		h = fnv(h, pw_repo_gitdir(repo), strlen(pw_repo_gitdir(repo)));
		h = fnv(h, pw_repo_objdir(repo), strlen(pw_repo_objdir(repo)));
	}
	pw_repo_free(repo);
	*digest = h;
	return err;
}

/* Workloads 2 and 3: open a pack alone, read every object in pack order, verify it. */
static int run_pack(uint64_t *digest, const char *path, int no_mmap, int verify)
{
	pw_wm_options wo = small_wm(no_mmap);
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	uint64_t h = FNV_OFFSET;
	uint32_t n = 0;
	int err;

	/* bigblob's 1.6 MiB object needs more room than the 64 KiB default here */
	wo.memory_limit = 4 << 20;
	po.delta_cache_size = 256 * 1024;
	err = pw_wm_new(&wm, &wo);
	if (!err)
		err = pw_pack_open(&pack, wm, path, &po);
	if (!err) {
		n = pw_pack_count(pack);
		err = digest_pack_objects(&h, pack);
	}
	if (!err && verify) {
		/* one thread: the fail-after counter is process-wide and unlocked */
		vo.threads = 1;
		err = pw_pack_verify(pack, &vo);
	}
	pw_pack_free(pack);
	pw_wm_free(wm);
	*digest = fnv(h, &n, sizeof(n));
	return err;
}

static int run_longchain(uint64_t *digest, const void *param)
{
	return run_pack(digest, LONGCHAIN, *(const int *)param, 1);
}

static int run_bigblob(uint64_t *digest, const void *param)
{
	return run_pack(digest, BIGBLOB, *(const int *)param, 0);
}

/*
 * Workload 4: a pack opened without its idx (pw_pack_open_lazy), every
 * object read by offset in pack order (its first REF_DELTA loads the idx,
 * failing allocations and all), then verified.
 */
typedef struct lazy_param {
	int no_mmap;
	uint64_t *offsets; /* in pack order, from an unfaulted pw_pack_open */
	uint32_t n;
} lazy_param;

static int run_lazy(uint64_t *digest, const void *param)
{
	const lazy_param *lp = param;
	pw_wm_options wo = small_wm(lp->no_mmap);
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	uint64_t h = FNV_OFFSET;
	uint32_t i;
	int err;

	po.oid_type = PW_OID_SHA1;
	po.delta_cache_size = 16 * 1024;
	err = pw_wm_new(&wm, &wo);
	if (!err)
		err = pw_pack_open_lazy(&pack, wm, REFDELTA, &po);
	for (i = 0; !err && i < lp->n; i++) {
		pw_object *obj = NULL;
		if ((err = pw_pack_read_at(&obj, pack, lp->offsets[i])) == 0)
			h = fnv_object(h, obj);
		pw_object_free(obj);
	}
	if (!err) {
		vo.threads = 1;
		err = pw_pack_verify(pack, &vo);
	}
	pw_pack_free(pack);
	pw_wm_free(wm);
	*digest = h;
	return err;
}

/* basic.git and two loose objects (one large enough to span windows), in tmpdir. */
static int group_setup(void **state)
{
	if (make_tmpdir(state))
		return -1;
	git_test_env();
	snprintf(repo_copy, sizeof(repo_copy), "%s/r.git", tmpdir);
	snprintf(discover_from, sizeof(discover_from), "%s/outer/main/../linked/a/b", tmpdir);
	return sh_rc("cp -R '%s' r.git && echo loose | git --git-dir=r.git hash-object -w --stdin"
		     " >/dev/null && head -c 100000 /dev/urandom | git --git-dir=r.git hash-object"
		     " -w --stdin >/dev/null", BASIC_REPO) == 0 &&
		sh_rc("git init -q outer && git clone -q '%s' outer/main && git -C outer/main"
		      " worktree add -q --detach ../linked && mkdir -p outer/linked/a/b",
			BASIC_REPO) == 0 ? 0 : -1;
}

typedef int (*workload)(uint64_t *digest, const void *param);

/*
 * Run `w` unfaulted for the reference digest, then with the N-th allocation
 * failing for every N until a run completes: every N up to `dense`, then
 * 5% further each time. Returns how many runs failed.
 */
static long fail_every_n(workload w, const void *param, const char *name, long dense)
{
	size_t fds = proc_fds();
	uint64_t want, got;
	long n = 0, failures = 0, runs = 0;
	int err;

	/* once unfaulted: the reference, and the one-time allocations (libcrypto, libdeflate) */
	assert_int_equal(w(&want, param), 0);
	for (;;) {
		pw_error_clear();
		test_alloc_fail_after(n);
		err = w(&got, param);
		test_alloc_fail_after(-1);
		runs++;
		if (err == 0) {
			assert_true(got == want);
			break;
		}
		if (err != PW_ENOMEM)
			fail_msg("%s: allocation %ld failing gave %d (%s), not PW_ENOMEM", name, n,
				err, pw_error_last());
		assert_int_equal(pw_error_last_code(), PW_ENOMEM);
		failures++;
		if (proc_fds() != fds)
			fail_msg("%s: allocation %ld failing leaked a descriptor", name, n);
		if (maps_under(PW_FIXTURES) != 0)
			fail_msg("%s: allocation %ld failing left a mapping", name, n);
		n = n < dense ? n + 1 : n + n / 20;
	}
	assert_int_equal(proc_fds(), fds);
	print_message("%s: %ld runs, %ld ended in PW_ENOMEM, last N %ld\n", name, runs, failures,
		n);
	return failures;
}

static const int mode_mmap = 0, mode_pread = 1;

static void test_repo_read_all(void **state)
{
	/* every N: the whole run takes some 750 allocations */
	assert_true(fail_every_n(run_repo, *state, "basic.git", 1000) > 500);
}

static void test_longchain_verify(void **state)
{
	/* some 5,000: every N over the open and the first objects, then 5% steps */
	assert_true(fail_every_n(run_longchain, *state, "longchain", 150) > 100);
}

static void test_bigblob(void **state)
{
	assert_true(fail_every_n(run_bigblob, *state, "bigblob", 1000) > 100);
}

static void test_lazy_pack(void **state)
{
	lazy_param lp = { *(const int *)*state, NULL, 0 };
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	uint32_t i, pos;

	assert_int_equal(pw_wm_new(&wm, NULL), 0);
	assert_int_equal(pw_pack_open(&pack, wm, REFDELTA, NULL), 0);
	lp.n = pw_pack_count(pack);
	lp.offsets = calloc(lp.n, sizeof(*lp.offsets));
	assert_non_null(lp.offsets);
	for (i = 0; i < lp.n; i++) {
		assert_int_equal(pw_pack_order_nth(&pos, pack, i), 0);
		assert_int_equal(pw_pack_nth_offset(&lp.offsets[i], pack, pos), 0);
	}
	pw_pack_free(pack);
	pw_wm_free(wm);
	assert_true(fail_every_n(run_lazy, &lp, "refdelta (lazy)", 300) > 100);
	free(lp.offsets);
}

/*
 * Run `w` with only the N-th allocation failing, for every N until a run
 * makes fewer than N allocations: a failure that a caller swallows shows
 * up here as a different result or another error, where failing every
 * allocation after the N-th would make a later one report PW_ENOMEM.
 */
static long fail_each_once(workload w, const void *param, const char *name)
{
	uint64_t want, got;
	long n, failures = 0;
	int err;

	assert_int_equal(w(&want, param), 0);
	for (n = 0;; n++) {
		pw_error_clear();
		test_alloc_fail_once(n);
		err = w(&got, param);
		test_alloc_fail_after(-1);
		if (!test_alloc_failed()) {
			assert_int_equal(err, 0);
			break;
		}
		if (err == 0) {
			if (got != want)
				fail_msg("%s: allocation %ld failing alone gave another result", name, n);
			continue;
		}
		if (err != PW_ENOMEM)
			fail_msg("%s: allocation %ld failing alone gave %d (%s), not PW_ENOMEM", name,
				n, err, pw_error_last());
		failures++;
	}
	print_message("%s: %ld single failures, %ld ended in PW_ENOMEM\n", name, n, failures);
	return failures;
}

static void test_discovery(void **state)
{
	char want[PATH_MAX];
	pw_repo *repo = NULL;

	(void)state;
	/* the reference run lands in the linked work tree's gitdir, not in outer/.git */
	assert_int_equal(pw_repo_open(&repo, discover_from, NULL), 0);
	assert_non_null(realpath(tmp("outer/main/.git/worktrees/linked"), want));
	assert_string_equal(pw_repo_gitdir(repo), want);
	pw_repo_free(repo);
	/* every N: discovery and the open take some 45 allocations */
	assert_true(fail_every_n(run_discover, NULL, "discovery", 1000) > 30);
	assert_true(fail_each_once(run_discover, NULL, "discovery") > 30);
}

/*
 * Failing allocations in the window manager alone are covered by
 * test_window.c's test_out_of_memory; here the layers above it.
 */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_repo_read_all, (void *)&mode_mmap),
		cmocka_unit_test_prestate(test_repo_read_all, (void *)&mode_pread),
		cmocka_unit_test_prestate(test_longchain_verify, (void *)&mode_mmap),
		cmocka_unit_test_prestate(test_longchain_verify, (void *)&mode_pread),
		cmocka_unit_test_prestate(test_bigblob, (void *)&mode_mmap),
		cmocka_unit_test_prestate(test_bigblob, (void *)&mode_pread),
		cmocka_unit_test_prestate(test_lazy_pack, (void *)&mode_mmap),
		cmocka_unit_test_prestate(test_lazy_pack, (void *)&mode_pread),
		cmocka_unit_test(test_discovery),
	};

	return cmocka_run_group_tests(tests, group_setup, remove_tmpdir);
}
