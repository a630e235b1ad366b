/*
 * test_syscall_faults.c: the system calls the library makes, failing on
 * purpose. Linked with `--wrap` for open64, mmap64, pread64 and read (the
 * names glibc gives them under _FILE_OFFSET_BITS=64; `nm -u` on the
 * library's objects lists them), so the wrappers below sit between the
 * library and libc: mmap failing with ENOMEM (the window is read with pread
 * instead) or another errno (a clean error); open failing with EMFILE or
 * ENFILE (a clean PW_EOS naming the file, and a retry that works once the
 * fault clears); the descriptor budget held over a repository of several
 * packs, counted in /proc/self/fd at every open; pread and read returning
 * one byte at a time and EINTR on every other call (the same bytes), and
 * pread meeting the end of the file early (PW_ECHANGED).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "packwin/pack.h"
#include "util/alloc.h"

#define BASIC_REPO PW_FIXTURES "/repos/basic.git"
#define BASIC_PACK PW_FIXTURES "/packs/basic/pack-a010ff1ec291039d046916b82cd91f22fe55cdfb.pack"
#define BIGBLOB_PACK PW_FIXTURES "/packs/bigblob/pack-c8e3965d465eef3167852c711ae99d2549c6e833.pack"

/* ------------------------------------------------------------ the wrappers */

/* Fail calls number [fail_at, fail_at + fail_count) (1-based, counted from the last reset). */
struct fault {
	long calls;
	long fail_at;
	long fail_count;
	int err;
};

static struct fault f_open, f_mmap;
static long pread_calls, read_calls;
static int pread_short, pread_eintr, read_short, read_eintr;
static off_t pread_eof_at = -1; /* pread sees the file end here */
static int track_fds;
static size_t fds_peak;

static void reset_faults(void)
{
	memset(&f_open, 0, sizeof(f_open));
	memset(&f_mmap, 0, sizeof(f_mmap));
	pread_calls = read_calls = 0;
	pread_short = pread_eintr = read_short = read_eintr = 0;
	pread_eof_at = -1;
	track_fds = 0;
	fds_peak = 0;
}

static void fail_calls(struct fault *f, long at, long count, int err)
{
	f->calls = 0;
	f->fail_at = at;
	f->fail_count = count;
	f->err = err;
}

static int inject(struct fault *f)
{
	f->calls++;
	if (f->fail_at && f->calls >= f->fail_at && f->calls - f->fail_at < f->fail_count) {
		errno = f->err;
		return 1;
	}
	return 0;
}

int __real_open64(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (inject(&f_open))
		return -1;
	fd = __real_open64(path, flags, mode);
	if (fd >= 0 && track_fds) {
		size_t n = proc_fd_entries();
		if (n > fds_peak)
			fds_peak = n;
	}
	return fd;
}

void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd >= 0 && inject(&f_mmap))
		return MAP_FAILED;
	return __real_mmap64(addr, len, prot, flags, fd, off);
}

ssize_t __real_pread64(int fd, void *buf, size_t len, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t len, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t len, off_t off)
{
	pread_calls++;
	if (pread_eintr && pread_calls % 2) {
		errno = EINTR;
		return -1;
	}
	if (pread_eof_at >= 0) {
		/* as if the file ended there */
		if (off >= pread_eof_at)
			return 0;
		if ((off_t)len > pread_eof_at - off)
			len = (size_t)(pread_eof_at - off);
	}
	if (pread_short && len > 1)
		len = 1;
	return __real_pread64(fd, buf, len, off);
}

ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	read_calls++;
	if (read_eintr && read_calls % 2) {
		errno = EINTR;
		return -1;
	}
	if (read_short && len > 1)
		len = 1;
	return __real_read(fd, buf, len);
}

/* ------------------------------------------------------------ workloads */

static pw_wm_options wm_opts(int no_mmap, size_t limit, unsigned fds)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;

	o.window_size = 8192;
	o.memory_limit = limit;
	o.fd_limit = fds;
	o.no_mmap = no_mmap;
	return o;
}

/* Every object of an open pack in pack order, digested; stops at the first error. */
static int read_pack(uint64_t *digest, pw_pack *pack)
{
	*digest = FNV_OFFSET;
	return digest_pack_objects(digest, pack);
}

/* Open `path` with a fresh manager of `o`, read it all; the manager's stats in `*st`. */
static int pack_run(uint64_t *digest, pw_wm_stats *st, const char *path, const pw_wm_options *o)
{
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	int err;

	/* no delta-base cache to speak of: every read goes back to the windows */
	po.delta_cache_size = 1;
	*digest = 0;
	assert_int_equal(pw_wm_new(&wm, o), 0);
	err = pw_pack_open(&pack, wm, path, &po);
	if (!err)
		err = read_pack(digest, pack);
	pw_pack_free(pack);
	if (st)
		pw_wm_get_stats(st, wm);
	pw_wm_free(wm);
	return err;
}

static int digest_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	uint64_t *h = payload;

	*h = fnv(*h, name, strlen(name));
	*h = fnv(*h, id, sizeof(*id));
	if (peeled)
		*h = fnv(*h, peeled, sizeof(*peeled));
	return 0;
}

/* Every ref and every object of the repository at `path` (by id, sorted), digested. */
static int repo_run(uint64_t *digest, const char *path, const pw_repo_options *o)
{
	pw_repo *repo = NULL;
	uint64_t h = FNV_OFFSET;
	int err;

	err = pw_repo_open(&repo, path, o);
	if (!err)
		err = pw_repo_foreach_ref(repo, digest_ref, &h);
	if (!err)
		err = digest_repo_objects(&h, repo);
	pw_repo_free(repo);
	*digest = h;
	return err;
}

static char multi[600]; /* basic.git + the longchain and bigblob packs + loose objects */

static int group_setup(void **state)
{
	if (make_tmpdir(state))
		return -1;
	git_test_env();
	snprintf(multi, sizeof(multi), "%s/multi.git", tmpdir);
	return sh_rc("cp -R '%s' multi.git && cp '%s'/packs/longchain/* '%s'/packs/bigblob/*"
		     " multi.git/objects/pack/ && echo loose | git --git-dir=multi.git hash-object"
		     " -w --stdin >/dev/null && head -c 50000 /dev/zero | git --git-dir=multi.git"
		     " hash-object -w --stdin >/dev/null",
		     BASIC_REPO, PW_FIXTURES, PW_FIXTURES) == 0 ? 0 : -1;
}

static int test_setup(void **state)
{
	(void)state;
	reset_faults();
	test_alloc_fail_after(-1);
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	reset_faults();
	test_alloc_fail_after(-1);
	return maps_under(PW_FIXTURES) == 0 && maps_under(tmpdir) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ mmap */

/* mmap failing once, at each call in turn: evict and retry, or read the window; same bytes. */
static void test_mmap_enomem_once(void **state)
{
	pw_wm_options o = wm_opts(0, 64 * 1024, 4);
	uint64_t want, got;
	pw_wm_stats st;
	size_t fds = proc_fd_entries();
	long maps, fallbacks = 0, retried = 0;

	(void)state;
	assert_int_equal(pack_run(&want, &st, BASIC_PACK, &o), 0);
	maps = f_mmap.calls;
	assert_true(maps > 5 && (uint64_t)maps == st.maps);
	for (long k = 1; k <= maps; k++) {
		fail_calls(&f_mmap, k, 1, ENOMEM);
		assert_int_equal(pack_run(&got, &st, BASIC_PACK, &o), 0);
		assert_true(got == want);
		/* a failure with unpinned windows to give back is retried, else read */
		assert_true(st.mmap_fallbacks <= 1);
		fallbacks += (long)st.mmap_fallbacks;
		retried += st.mmap_fallbacks == 0;
		assert_true(st.mapped_peak <= o.memory_limit);
	}
	/* both paths were taken: the first window always falls back */
	assert_true(fallbacks > 0 && retried > 0);
	assert_int_equal(proc_fd_entries(), fds);
}

/* mmap failing for good from call K on: every later window is read; EAGAIN alike. */
static void test_mmap_enomem_always(void **state)
{
	pw_wm_options o = wm_opts(0, 64 * 1024, 4);
	uint64_t want, got;
	pw_wm_stats st;

	(void)state;
	assert_int_equal(pack_run(&want, NULL, BIGBLOB_PACK, &o), 0);
	o.memory_limit = 4 << 20; /* the 1.6 MiB blob is inflated through windows either way */
	assert_int_equal(pack_run(&want, NULL, BIGBLOB_PACK, &o), 0);
	for (long k = 1; k <= 3; k++) {
		fail_calls(&f_mmap, k, LONG_MAX, k == 2 ? EAGAIN : ENOMEM);
		assert_int_equal(pack_run(&got, &st, BIGBLOB_PACK, &o), 0);
		assert_true(got == want);
		assert_true(st.mmap_fallbacks > 10);
		assert_int_equal(st.mmap_fallbacks + (uint64_t)(k - 1), st.maps);
		assert_true(st.mapped_peak <= o.memory_limit);
	}

	/* and no heap either: PW_ENOMEM naming the file, nothing left behind */
	fail_calls(&f_mmap, 1, LONG_MAX, ENOMEM);
	test_alloc_fail_after(12);
	{
		size_t fds = proc_fd_entries();
		int err = pack_run(&got, NULL, BIGBLOB_PACK, &o);
		test_alloc_fail_after(-1);
		assert_int_equal(err, PW_ENOMEM);
		assert_int_equal(proc_fd_entries(), fds);
	}
}

/* mmap failing for another reason (EACCES, ENODEV): PW_EOS naming the file, never a crash. */
static void test_mmap_other_error(void **state)
{
	pw_wm_options o = wm_opts(0, 64 * 1024, 4);
	uint64_t got;
	pw_wm_stats st;
	int errs[] = { EACCES, ENODEV, EINVAL };

	(void)state;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fail_calls(&f_mmap, 1 + (long)i, 1, errs[i]);
		assert_int_equal(pack_run(&got, &st, BASIC_PACK, &o), PW_EOS);
		assert_int_equal(pw_error_last_errno(), errs[i]);
		assert_non_null(strstr(pw_error_last(), "mmap"));
		assert_non_null(strstr(pw_error_last(), "pack-a010ff1e"));
		assert_non_null(strstr(pw_error_last(), strerror(errs[i])));
		assert_int_equal(st.mmap_fallbacks, 0);
	}
}

/* ------------------------------------------------------------ open */

/* Opening a pack with open(2) failing at each call in turn: PW_EOS naming the file; retry works. */
static void test_open_emfile_pack(void **state)
{
	pw_wm_options o = wm_opts(0, 64 * 1024, 4);
	uint64_t want, got;
	size_t fds = proc_fd_entries();
	long opens;

	(void)state;
	assert_int_equal(pack_run(&want, NULL, BASIC_PACK, &o), 0);
	opens = f_open.calls;
	assert_true(opens >= 3); /* .idx, .pack, .rev */
	for (long k = 1; k <= opens; k++) {
		int err = k % 2 ? EMFILE : ENFILE;

		fail_calls(&f_open, k, 1, err);
		assert_int_equal(pack_run(&got, NULL, BASIC_PACK, &o), PW_EOS);
		assert_int_equal(pw_error_last_errno(), err);
		assert_non_null(strstr(pw_error_last(), "pack-a010ff1e"));
		assert_non_null(strstr(pw_error_last(), strerror(err)));
		assert_int_equal(proc_fd_entries(), fds);
		/* the fault is over: the same call succeeds */
		assert_int_equal(pack_run(&got, NULL, BASIC_PACK, &o), 0);
		assert_true(got == want);
	}
}

/* A descriptor closed for the budget cannot be re-opened (EMFILE): the read fails cleanly, then works. */
static void test_open_emfile_reopen(void **state)
{
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm_options o = wm_opts(1, 64 * 1024, 1);
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	uint64_t want, got;
	size_t fds = proc_fd_entries();
	int failed = 0;

	(void)state;
	assert_int_equal(pack_run(&want, NULL, BASIC_PACK, &o), 0);
	po.delta_cache_size = 1;
	assert_int_equal(pw_wm_new(&wm, &o), 0);
	assert_int_equal(pw_pack_open(&pack, wm, BASIC_PACK, &po), 0);
	/* fd_limit 1: the .idx, .pack and .rev take turns; most reads re-open one */
	fail_calls(&f_open, 1, LONG_MAX, EMFILE);
	for (int i = 0; i < 3 && !failed; i++) {
		int err = read_pack(&got, pack);
		if (err) {
			assert_int_equal(err, PW_EOS);
			assert_int_equal(pw_error_last_errno(), EMFILE);
			assert_non_null(strstr(pw_error_last(), "pack-a010ff1e"));
			failed = 1;
		}
	}
	assert_true(failed);
	assert_true(proc_fd_entries() <= fds + 1);
	reset_faults();
	assert_int_equal(read_pack(&got, pack), 0);
	assert_true(got == want);
	pw_pack_free(pack);
	pw_wm_free(wm);
	assert_int_equal(proc_fd_entries(), fds);
}

/* Opening and reading a repository with open(2) failing at each call in turn. */
static void test_open_emfile_repo(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	uint64_t want, got;
	size_t fds = proc_fd_entries();
	long opens, failures = 0;

	(void)state;
	o.no_discover = 1;
	o.wm_options = wm_opts(0, 256 * 1024, 2);
	assert_int_equal(repo_run(&want, multi, &o), 0);
	opens = f_open.calls;
	assert_true(opens > 10);
	for (long k = 1; k <= opens; k++) {
		int err;

		fail_calls(&f_open, k, 1, EMFILE);
		err = repo_run(&got, multi, &o);
		/*
		 * A failed open is never taken for a missing object or file: it is
		 * PW_EOS naming the file. (The one exception would be an open the
		 * library retries after a rescan; a single failure may then heal.)
		 */
		if (err) {
			assert_int_equal(err, PW_EOS);
			assert_int_equal(pw_error_last_errno(), EMFILE);
			assert_non_null(strstr(pw_error_last(), tmpdir));
			failures++;
		} else {
			assert_true(got == want);
		}
		assert_int_equal(proc_fd_entries(), fds);
	}
	print_message("%ld opens, %ld failed cleanly, the rest healed by a retry\n", opens,
		failures);
	assert_true(failures > opens / 2);
}

/* fd_limit 1..3 over four packs and loose objects: /proc/self/fd never passes the budget. */
static void test_fd_budget(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	uint64_t want = 0, got;

	(void)state;
	o.no_discover = 1;
	for (int no_mmap = 0; no_mmap <= 1; no_mmap++) {
		for (unsigned limit = 1; limit <= 3; limit++) {
			size_t base = proc_fd_entries();

			/* proc_fd_entries counts its own directory descriptor too: base includes it */
			o.wm_options = wm_opts(no_mmap, 4 << 20, limit);
			track_fds = 1;
			fds_peak = 0;
			assert_int_equal(repo_run(&got, multi, &o), 0);
			track_fds = 0;
			if (!want)
				want = got;
			assert_true(got == want);
			/*
			 * The manager's descriptors, plus at most one the repository
			 * holds for a moment outside the budget: the pack folder
			 * while a rescan lists it, or a config or ref file being read.
			 */
			if (fds_peak > base + limit + 1)
				fail_msg("fd_limit %u (%s): %zu descriptors open at once, %zu before",
					limit, no_mmap ? "pread" : "mmap", fds_peak - 1, base - 1);
			assert_true(fds_peak > base); /* the wrapper saw the opens */
			print_message("fd_limit %u (%s): at most %zu more descriptors than before\n",
				limit, no_mmap ? "pread" : "mmap", fds_peak - base);
			assert_int_equal(proc_fd_entries(), base);
		}
	}
}

/* ------------------------------------------------------------ short and interrupted reads */

static void test_short_interrupted_reads(void **state)
{
	pw_repo_options ro = PW_REPO_OPTIONS_INIT;
	pw_wm_options o = wm_opts(1, 4 << 20, 4);
	uint64_t want, got;

	(void)state;
	/* pread: windows of the packs, one byte per call, every other call EINTR */
	assert_int_equal(pack_run(&want, NULL, BIGBLOB_PACK, &o), 0);
	pread_short = pread_eintr = 1;
	pread_calls = 0;
	assert_int_equal(pack_run(&got, NULL, BIGBLOB_PACK, &o), 0);
	assert_true(got == want);
	assert_true(pread_calls > 2 * 1600000); /* every byte of the 1.6 MiB pack, twice */
	pread_short = pread_eintr = 0;

	/* read: config, packed-refs and loose refs; pread: loose objects and packs */
	ro.no_discover = 1;
	ro.wm_options = wm_opts(1, 256 * 1024, 4);
	assert_int_equal(repo_run(&want, multi, &ro), 0);
	read_short = read_eintr = pread_short = pread_eintr = 1;
	read_calls = pread_calls = 0;
	ro.wm_options.window_size = 65536; /* fewer, larger windows: one byte at a time is slow */
	assert_int_equal(repo_run(&got, multi, &ro), 0);
	assert_true(got == want);
	assert_true(read_calls > 200); /* packed-refs alone is 320 bytes */
	assert_true(pread_calls > 100000);
}

/* pread meeting the end of the file before the registered size: PW_ECHANGED, never short data. */
static void test_pread_early_eof(void **state)
{
	pw_wm_options o = wm_opts(1, 64 * 1024, 4);
	uint64_t want, got;
	struct stat st;
	int err;

	(void)state;
	assert_int_equal(stat(BASIC_PACK, &st), 0);
	assert_int_equal(pack_run(&want, NULL, BASIC_PACK, &o), 0);
	for (off_t at = 0; at < st.st_size; at += st.st_size / 7) {
		pread_eof_at = at;
		err = pack_run(&got, NULL, BASIC_PACK, &o);
		/* the idx is read through pread too: an EOF there is the same error */
		assert_int_equal(err, PW_ECHANGED);
		assert_non_null(strstr(pw_error_last(), "truncated"));
		assert_non_null(strstr(pw_error_last(), "pack-a010ff1e"));
	}
	pread_eof_at = -1;
	assert_int_equal(pack_run(&got, NULL, BASIC_PACK, &o), 0);
	assert_true(got == want);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mmap_enomem_once),
		T(test_mmap_enomem_always),
		T(test_mmap_other_error),
		T(test_open_emfile_pack),
		T(test_open_emfile_reopen),
		T(test_open_emfile_repo),
		T(test_fd_budget),
		T(test_short_interrupted_reads),
		T(test_pread_early_eof),
	};

	return cmocka_run_group_tests(tests, group_setup, remove_tmpdir);
}
