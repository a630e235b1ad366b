/*
 * test_underneath.c: packs truncated, replaced or deleted while a reader
 * holds windows on them, in mmap and in no-mmap mode, with 8 KiB windows
 * and a 64 KiB budget. Whatever could raise SIGBUS runs in a forked child
 * whose exit status the parent checks, so a SIGBUS fails one test instead
 * of killing the runner; and one child checks that the exposure the docs
 * describe is real (an mmap'd window over pages truncated away does raise
 * SIGBUS), while the same access in no-mmap mode reads the old bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "packwin/pack.h"

#define BASIC_REPO PW_FIXTURES "/repos/basic.git"
#define LONGCHAIN_DIR PW_FIXTURES "/packs/longchain"
#define LONGCHAIN_NAME "pack-9d2fa131bc99972c32c178a98fe17066c203aa70"

#define WINDOW 8192
#define LIMIT (64 * 1024)

struct mode {
	int no_mmap;
	const char *name;
};
static const struct mode mode_mmap = { 0, "mmap" };
static const struct mode mode_pread = { 1, "pread" };

static uint64_t object_digest(const pw_object *obj)
{
	uint64_t h = FNV_OFFSET;
	int type = pw_object_type(obj);

	h = fnv(h, &type, sizeof(type));
	return fnv(h, pw_object_data(obj), pw_object_size(obj));
}

/* A fresh copy of longchain (94 KB, 1200 objects: a dozen 8 KiB windows) as tmpdir/p.pack, p.idx. */
static void copy_pack(void)
{
	sh("rm -f p.pack p.idx && cp '%s/%s.pack' p.pack && cp '%s/%s.idx' p.idx", LONGCHAIN_DIR,
		LONGCHAIN_NAME, LONGCHAIN_DIR, LONGCHAIN_NAME);
}

struct reader {
	pw_wm *wm;
	pw_pack *pack;
	uint32_t n;
	uint64_t *off;    /* entry offsets, in pack order */
	uint64_t *digest; /* what each object read before anything changed */
};

static void reader_open(struct reader *r, const struct mode *m, unsigned fd_limit)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	pw_pack_options po = PW_PACK_OPTIONS_INIT;

	memset(r, 0, sizeof(*r));
	o.window_size = WINDOW;
	o.memory_limit = LIMIT;
	o.fd_limit = fd_limit;
	o.no_mmap = m->no_mmap;
	/*
	 * A small delta-base cache: enough that a 399-deep chain is not
	 * resolved from scratch for every object (sanitizer builds are slow),
	 * too small to spare reads of the pack's own entries from the windows.
	 */
	po.delta_cache_size = 64 * 1024;
	assert_int_equal(pw_wm_new(&r->wm, &o), 0);
	assert_int_equal(pw_pack_open(&r->pack, r->wm, tmp("p.pack"), &po), 0);
	r->n = pw_pack_count(r->pack);
	assert_non_null(r->off = calloc(r->n, sizeof(*r->off)));
	assert_non_null(r->digest = calloc(r->n, sizeof(*r->digest)));
	for (uint32_t i = 0; i < r->n; i++) {
		pw_object *obj = NULL;
		uint32_t pos;

		assert_int_equal(pw_pack_order_nth(&pos, r->pack, i), 0);
		assert_int_equal(pw_pack_nth_offset(&r->off[i], r->pack, pos), 0);
		assert_int_equal(pw_pack_read_at(&obj, r->pack, r->off[i]), 0);
		r->digest[i] = object_digest(obj);
		pw_object_free(obj);
	}
}

static void reader_close(struct reader *r)
{
	pw_pack_free(r->pack);
	pw_wm_free(r->wm);
	free(r->off);
	free(r->digest);
}

/* Read object i again: 0 with the same bytes as before, or the error. */
static int reread(struct reader *r, uint32_t i)
{
	pw_object *obj = NULL;
	int err = pw_pack_read_at(&obj, r->pack, r->off[i]);

	if (!err && object_digest(obj) != r->digest[i])
		err = PW_EVERIFY; /* different bytes: never acceptable */
	pw_object_free(obj);
	return err;
}

/*
 * In a forked child: CHECK failures exit with the line number (mod 256,
 * never 0), so the parent's message says which check it was.
 */
#define CHECK(cond)                                                  \
	do {                                                         \
		if (!(cond)) {                                       \
			fprintf(stderr, "child: line %d: %s\n", __LINE__, #cond); \
			_exit((__LINE__ % 255) + 1);                 \
		}                                                    \
	} while (0)

typedef void (*child_fn)(struct reader *r, const struct mode *m);

/* Run `fn` in a child; its wait status. */
static int in_child(child_fn fn, struct reader *r, const struct mode *m)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn(r, m);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit0(int status, const char *what, const struct mode *m)
{
	if (WIFSIGNALED(status))
		fail_msg("%s (%s mode): child killed by signal %d (%s)", what, m->name,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s (%s mode): child failed (status %d)", what, m->name, status);
}

/* ------------------------------------------------------------ truncated */

/*
 * After the truncation, read every object whose entry starts below the new
 * end, from the first: none of their windows is mapped any more (the budget
 * evicted them), so each needs a new window and must get PW_ECHANGED from
 * the size check, never a mapping past the end.
 */
static void after_truncate_low(struct reader *r, const struct mode *m)
{
	uint64_t half = pw_pack_size(r->pack) / 2;
	uint32_t changed = 0;

	for (uint32_t i = 0; i < r->n && r->off[i] < half / 2; i++) {
		int err = reread(r, i);
		CHECK(err == 0 || err == PW_ECHANGED);
		if (err) {
			CHECK(strstr(pw_error_last(), "truncated") != NULL);
			CHECK(strstr(pw_error_last(), "p.pack") != NULL);
			changed++;
		}
	}
	CHECK(changed > 0);
}

/* No-mmap mode: everything, in any order, is either the old bytes or PW_ECHANGED. */
static void after_truncate_all(struct reader *r, const struct mode *m)
{
	uint32_t ok = 0, changed = 0;

	for (int pass = 0; pass < 2; pass++)
		for (uint32_t j = 0; j < r->n; j++) {
			uint32_t i = pass ? r->n - 1 - j : j;
			int err = reread(r, i);
			CHECK(err == 0 || err == PW_ECHANGED);
			if (err)
				changed++;
			else
				ok++;
		}
	CHECK(changed > 0);
	/* the windows read before the truncation still serve their objects */
	CHECK(ok > 0);
}

static void test_truncated(void **state)
{
	const struct mode *m = *state;
	struct reader r;
	struct stat st;

	copy_pack();
	reader_open(&r, m, 8);
	/* a dozen windows were needed, the budget holds eight: the first are gone */
	assert_int_equal(stat(tmp("p.pack"), &st), 0);
	assert_int_equal(truncate(tmp("p.pack"), st.st_size / 2), 0);
	expect_exit0(in_child(after_truncate_low, &r, m), "reads below the new end", m);
	if (m->no_mmap)
		expect_exit0(in_child(after_truncate_all, &r, m), "every read", m);
	reader_close(&r);
}

/*
 * What remains possible in mmap mode, shown rather than claimed: a cursor
 * pinned on a window mapped before the truncation still points at pages
 * past the new end, and reading them raises SIGBUS; in no-mmap mode the
 * same cursor reads the old bytes. New windows of the file are refused.
 */
static uint64_t pinned_at; /* a file offset past the new end */

static void touch_pinned(struct reader *r, const struct mode *m)
{
	const unsigned char *p;
	size_t avail;
	pw_cursor cur, other;
	pw_wm_file *f = NULL;
	volatile unsigned sum = 0;
	unsigned char old[64];
	FILE *copy;

	/* the bytes as they were, from a copy made before the truncation */
	CHECK((copy = fopen(tmp("p.orig"), "rb")) != NULL);
	CHECK(fseek(copy, (long)pinned_at, SEEK_SET) == 0);
	CHECK(fread(old, 1, sizeof(old), copy) == sizeof(old));
	fclose(copy);

	CHECK(pw_wm_open(&f, r->wm, tmp("raw")) == 0);
	pw_cursor_init(&cur, f);
	CHECK(pw_cursor_get(&p, &avail, &cur, pinned_at, sizeof(old)) == 0);
	CHECK(truncate(tmp("raw"), (off_t)(pinned_at / 2)) == 0);
	/* a window not mapped yet: refused, whatever the mode */
	pw_cursor_init(&other, f);
	CHECK(pw_cursor_get(&p, &avail, &other, 0, 10) == PW_ECHANGED);
	CHECK(pw_cursor_get(&p, &avail, &cur, pinned_at, sizeof(old)) == 0);
	if (m->no_mmap) {
		CHECK(memcmp(p, old, sizeof(old)) == 0);
	} else {
		/* ASan's SIGBUS handler would turn the signal into a report and exit(1) */
		signal(SIGBUS, SIG_DFL);
		for (size_t i = 0; i < sizeof(old); i++)
			sum += p[i];
		/* not reached: the page is gone */
		_exit(100 + (int)(sum & 1));
	}
	pw_cursor_release(&cur);
	pw_wm_close(f);
}

static void test_truncated_pinned_window(void **state)
{
	const struct mode *m = *state;
	struct reader r;
	int status;

	copy_pack();
	/* any file will do; a copy of the pack, and the same again to compare with */
	sh("cp p.pack raw && cp p.pack p.orig");
	reader_open(&r, m, 8);
	pinned_at = 3 * (uint64_t)WINDOW + 100; /* the truncation keeps the first 1.5 windows */
	status = in_child(touch_pinned, &r, m);
	if (m->no_mmap) {
		expect_exit0(status, "pinned window after truncation", m);
	} else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS) {
		fail_msg("mmap mode: reading a mapped page past the new end should raise SIGBUS "
			 "(status %d)", status);
	}
	reader_close(&r);
}

/* With fd_limit 1: register another file, so that the .pack's descriptor is closed. */
static pw_wm_file *evict_pack_fd(struct reader *r)
{
	pw_wm_file *other = NULL;
	pw_wm_stats st;

	assert_int_equal(pw_wm_open(&other, r->wm, tmp("p.idx")), 0);
	pw_wm_get_stats(&st, r->wm);
	assert_int_equal(st.fds, 1);
	assert_true(st.fd_evictions > 0);
	return other;
}

/* Every object twice, forwards then backwards: the same bytes as before. */
static void reread_all_same(struct reader *r)
{
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < r->n; i++)
			assert_int_equal(reread(r, pass ? r->n - 1 - i : i), 0);
}

/*
 * With fd_limit 1, once the .pack's descriptor is closed: every object
 * reads the same or fails with PW_ECHANGED saying `why`, and some fail.
 */
static void reread_after_reopen(struct reader *r, const char *why)
{
	pw_wm_file *other = evict_pack_fd(r);
	uint32_t changed = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		int err = reread(r, i);
		if (err) {
			assert_int_equal(err, PW_ECHANGED);
			assert_non_null(strstr(pw_error_last(), why));
			changed++;
		}
	}
	assert_true(changed > 0);
	pw_wm_close(other);
}

/* ------------------------------------------------------------ replaced */

static void test_replaced(void **state)
{
	const struct mode *m = *state;
	struct reader r;

	/* fd_limit 8: the descriptor stays open; windows come from the old inode */
	copy_pack();
	reader_open(&r, m, 8);
	/* the same size, other bytes: only the identity checks can tell */
	sh("head -c $(stat -c %%s p.pack) /dev/urandom >new && mv new p.pack");
	reread_all_same(&r);
	reader_close(&r);

	/* fd_limit 1: once its descriptor is closed, the .pack is re-opened and found replaced */
	copy_pack();
	reader_open(&r, m, 1);
	sh("head -c $(stat -c %%s p.pack) /dev/urandom >new && mv new p.pack");
	reread_after_reopen(&r, "replaced");
	reader_close(&r);
}

/* ------------------------------------------------------------ deleted */

static void test_deleted(void **state)
{
	const struct mode *m = *state;
	struct reader r;

	copy_pack();
	reader_open(&r, m, 8);
	assert_int_equal(unlink(tmp("p.pack")), 0);
	reread_all_same(&r);
	reader_close(&r);

	copy_pack();
	reader_open(&r, m, 1);
	assert_int_equal(unlink(tmp("p.pack")), 0);
	reread_after_reopen(&r, "removed");
	reader_close(&r);
}

/* ------------------------------------------------------------ repository */

/* `git repack -ad` replaces the packs of an open repository: every object still reads, the same. */
static void test_repo_repacked(void **state)
{
	const struct mode *m = *state;
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	test_ids ids = { 0 };
	uint64_t *digest;
	pw_repo *repo = NULL;
	char before[256], after[256];

	git_test_env();
	/* a second pack: a commit of three new blobs, made reachable, packed incrementally */
	sh("rm -rf r.git && cp -R '%s' r.git && export GIT_DIR=r.git &&"
	   " t=$(for i in 1 2 3; do printf '100644 blob %%s\tf%%s\n'"
	   " $(echo $i | git hash-object -w --stdin) $i; done | git mktree) &&"
	   " git update-ref refs/heads/extra $(git commit-tree $t -m extra) && git repack -q",
		BASIC_REPO);
	o.no_discover = 1;
	o.wm_options.window_size = WINDOW;
	/* two windows: the 21 KB pack cannot stay mapped whole, reads re-open it */
	o.wm_options.memory_limit = 2 * WINDOW;
	o.wm_options.fd_limit = 1;
	o.wm_options.no_mmap = m->no_mmap;
	o.delta_cache_size = 1;
	assert_int_equal(pw_repo_open(&repo, tmp("r.git"), &o), 0);
	assert_int_equal(pw_repo_pack_count(repo), 2);
	assert_int_equal(pw_repo_foreach(repo, PW_FOREACH_SORTED, collect_ids, &ids), 0);
	assert_non_null(digest = calloc(ids.n, sizeof(*digest)));
	for (size_t i = 0; i < ids.n; i++) {
		pw_object *obj = NULL;
		assert_int_equal(pw_repo_read(&obj, repo, &ids.v[i]), 0);
		digest[i] = object_digest(obj);
		pw_object_free(obj);
	}

	/* two packs become one of another name; the old files are deleted */
	sh_out(before, sizeof(before), "ls r.git/objects/pack/ | tr '\\n' ' '");
	sh("git --git-dir=r.git repack -adq");
	sh_out(after, sizeof(after), "ls r.git/objects/pack/ | tr '\\n' ' '");
	assert_string_not_equal(before, after);
	for (size_t j = 0; j < 2 * ids.n; j++) {
		size_t i = j < ids.n ? j : 2 * ids.n - 1 - j;
		pw_object *obj = NULL;
		assert_int_equal(pw_repo_read(&obj, repo, &ids.v[i]), 0);
		assert_true(object_digest(obj) == digest[i]);
		pw_object_free(obj);
	}
	/* the reads found the old packs gone and rescanned */
	assert_int_equal(pw_repo_pack_count(repo), 1);
	pw_repo_free(repo);
	free(digest);
	free(ids.v);
}

#define BOTH(fn)                                                              \
	cmocka_unit_test_prestate(fn, (void *)&mode_mmap),                    \
	cmocka_unit_test_prestate(fn, (void *)&mode_pread)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_truncated),
		BOTH(test_truncated_pinned_window),
		BOTH(test_replaced),
		BOTH(test_deleted),
		BOTH(test_repo_repacked),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
