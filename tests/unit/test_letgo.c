/*
 * test_letgo.c: long-lived readers let go of packs that are gone (issue 10
 * item 9). A pw_repo kept open while `git repack -ad && git prune-packed`
 * and `git gc --prune=now` run beside it must, once a rescan has seen the
 * old packs gone, hold no window and no descriptor of them any more
 * (/proc/self/maps and /proc/self/fd list no "(deleted)" file of the
 * repository), while every object still reads; what a reader still pins
 * goes when it is done. Below that, the window manager's release of one
 * file, in mmap and no-mmap mode.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "packwin/window.h"
#include "window/internal.h" /* pw__wm_file_release */

/* Lines of /proc/self/maps of a deleted file under tmpdir. */
static size_t deleted_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, tmpdir) && strstr(line, "(deleted)"))
			n++;
	fclose(f);
	return n;
}

/* Descriptors of /proc/self/fd naming a deleted file under tmpdir. */
static size_t deleted_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char link[PATH_MAX], target[PATH_MAX];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		if ((len = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[len] = '\0';
		if (strstr(target, tmpdir) && strstr(target, "(deleted)"))
			n++;
	}
	closedir(d);
	return n;
}

/* ---- the window manager: one file released ---- */

static void window_release(int no_mmap)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	const unsigned char *p;
	unsigned char buf[16];
	pw_wm_stats st;
	pw_cursor cur;
	pw_wm_file *f;
	size_t avail;
	pw_wm *wm;
	int fd;

	sh("head -c 65536 /dev/urandom >f");
	o.window_size = 8192;
	o.no_mmap = no_mmap;
	assert_int_equal(pw_wm_new(&wm, &o), 0);
	assert_int_equal(pw_wm_open(&f, wm, tmp("f")), 0);
	/* three windows: one pinned by a cursor, two not; the descriptor lent once */
	assert_int_equal(pw_wm_read(buf, f, 20000, sizeof(buf)), 0);
	assert_int_equal(pw_wm_read(buf, f, 40000, sizeof(buf)), 0);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_move(&p, &avail, &cur, 100, 16), 0);
	memcpy(buf, p, sizeof(buf));
	assert_int_equal(pw_wm_lend_fd(&fd, f), 0);
	sh("rm f");
	pw_wm_get_stats(&st, wm);
	assert_int_equal(st.windows, 3);
	assert_int_equal(st.fds, 1);

	/* pinned window and lent descriptor stay; the rest goes at once */
	assert_int_equal(pw__wm_file_release(f), 0);
	pw_wm_get_stats(&st, wm);
	assert_int_equal(st.windows, 1);
	assert_int_equal(st.fds, 1);
	assert_memory_equal(p, buf, sizeof(buf)); /* the pinned bytes still read */
	/* nothing new: not a window elsewhere, not another lend */
	assert_int_equal(pw_wm_read(buf, f, 40000, sizeof(buf)), PW_ECHANGED);
	assert_int_equal(pw_wm_lend_fd(&fd, f), PW_ECHANGED);
	/* the descriptor goes with its last lend, the window with its last pin */
	pw_wm_return_fd(f);
	pw_wm_get_stats(&st, wm);
	assert_int_equal(st.fds, 0);
	assert_int_equal(st.windows, 1);
	assert_int_equal(pw__wm_file_release(f), 0);
	pw_cursor_release(&cur);
	pw_wm_get_stats(&st, wm);
	assert_int_equal(st.windows, 0);
	assert_int_equal(st.mapped, 0);
	assert_int_equal(st.opens - st.closes, 0);
	assert_int_equal(deleted_maps(), 0);
	assert_int_equal(deleted_fds(), 0);
	assert_int_equal(pw__wm_file_release(f), 1);
	assert_int_equal(pw_cursor_move(&p, &avail, &cur, 100, 16), PW_ECHANGED);
	pw_wm_close(f);
	pw_wm_free(wm);
}

static void test_window_release_mmap(void **state)
{
	(void)state;
	window_release(0);
}

static void test_window_release_no_mmap(void **state)
{
	(void)state;
	window_release(1);
}

/* ---- a repository kept open while git repacks and prunes ---- */

/* Every object git lists (at least `min`) reads through `repo` with git's type and size. */
static void check_reads(pw_repo *repo, size_t min)
{
	char cmd[1024], line[256];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
	        "git --git-dir='%s' cat-file --batch-all-objects --batch-check", tmp("r/.git"));
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p)) {
		char hex[PW_OID_MAX_HEXSZ + 1], type[16];
		unsigned long long size;
		pw_object *obj = NULL;
		pw_oid id;
		int error;

		assert_int_equal(sscanf(line, "%64s %15s %llu", hex, type, &size), 3);
		assert_int_equal(pw_oid_fromhex(&id, hex, PW_OID_SHA1), 0);
		error = pw_repo_read(&obj, repo, &id);
		if (error)
			fail_msg("%s: %s", hex, pw_error_last());
		assert_string_equal(pw_object_type_name(pw_object_type(obj)), type);
		assert_int_equal(pw_object_size(obj), size);
		pw_object_free(obj);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(n >= min);
}

static size_t released(pw_repo *repo)
{
	pw_repo_stats st;

	pw_repo_get_stats(&st, repo);
	return st.packs_released;
}

static void new_commit(int i)
{
	sh("cd r && head -c 3000 /dev/urandom | od -x >f%d && git add f%d &&"
	   " git commit -qm c%d", i, i, i);
}

static void test_repack_lets_go(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_repo_entry entry;
	pw_object *obj = NULL, *again = NULL;
	pw_object_info info;
	size_t fds = proc_fds(), npacks;
	pw_pack *old;
	pw_repo *repo;
	pw_oid id;
	int i;

	(void)state;
	sh("git init -q r");
	for (i = 0; i < 5; i++) {
		new_commit(i);
		sh("git -C r repack -dq");
	}
	new_commit(5); /* and some loose objects */
	o.no_discover = 1;
	assert_int_equal(pw_repo_open(&repo, tmp("r/.git"), &o), 0);
	check_reads(repo, 18);
	npacks = pw_repo_pack_count(repo);
	assert_int_equal(npacks, 5);
	/* what a caller may hold: a pack, and an iteration entry in it */
	sh_out(hex, sizeof(hex), "git -C r rev-parse HEAD~1:f3");
	assert_int_equal(pw_oid_fromhex(&id, hex, PW_OID_SHA1), 0);
	assert_int_equal(pw_repo_info(&info, repo, &id, 0), 0);
	assert_non_null(old = info.pack);
	entry.id = id;
	entry.pack = info.pack;
	entry.offset = info.offset;
	assert_int_equal(pw_repo_read_entry(&obj, repo, &entry), 0);
	assert_true(maps_under(tmp("r/.git/objects/pack")) > 0);
	assert_int_equal(released(repo), 0);

	sh("git -C r repack -adq && git -C r prune-packed");
	/* still open and mapped: what this is about (the test can fail) */
	assert_true(deleted_maps() > 0);
	assert_true(deleted_fds() > 0);
	assert_int_equal(pw_repo_rescan(repo), 0);
	assert_int_equal(deleted_maps(), 0);
	assert_int_equal(deleted_fds(), 0);
	assert_int_equal(pw_repo_pack_count(repo), 1);
	assert_int_equal(released(repo), npacks);
	check_reads(repo, 18);
	/* the pack a caller held fails cleanly; the entry is looked up anew */
	assert_int_equal(pw_pack_read_at(&again, old, info.offset), PW_ECHANGED);
	assert_null(again);
	assert_int_equal(pw_repo_read_entry(&again, repo, &entry), 0);
	assert_int_equal(pw_object_size(again), pw_object_size(obj));
	assert_memory_equal(pw_object_data(again), pw_object_data(obj), pw_object_size(obj));
	pw_object_free(again);
	pw_object_free(obj);

	/* gc beside it: no explicit rescan, the miss of a new object notices */
	new_commit(6);
	new_commit(7);
	sh("git -C r gc -q --prune=now");
	assert_true(deleted_maps() > 0);
	sh_out(hex, sizeof(hex), "git -C r rev-parse HEAD");
	assert_int_equal(pw_oid_fromhex(&id, hex, PW_OID_SHA1), 0);
	assert_int_equal(pw_repo_read(&obj, repo, &id), 0);
	pw_object_free(obj);
	assert_int_equal(deleted_maps(), 0);
	assert_int_equal(deleted_fds(), 0);
	assert_int_equal(released(repo), npacks + 1);
	check_reads(repo, 18);
	/* small files are read, never mapped nor kept open: gc packed the refs */
	{
		size_t before = proc_fds();
		pw_oid head, want;

		sh("test -s r/.git/packed-refs && ! ls r/.git/refs/heads/* 2>/dev/null");
		assert_int_equal(pw_repo_resolve(&head, repo, "HEAD"), 0);
		assert_int_equal(pw_oid_fromhex(&want, hex, PW_OID_SHA1), 0);
		assert_int_equal(pw_oid_cmp(&head, &want), 0);
		assert_int_equal(maps_under(tmp("r/.git/packed-refs")), 0);
		assert_int_equal(maps_under(tmp("r/.git/refs")), 0);
		assert_int_equal(proc_fds(), before);
	}
	pw_repo_free(repo);
	assert_int_equal(proc_fds(), fds);
}

/* A stream reading the pack while the rescan runs pins its window. */
typedef struct pinned {
	pw_repo *repo;
	int calls;
	size_t maps_during, fds_during, released_during;
} pinned;

static int during_stream(const unsigned char *data, size_t len, void *payload)
{
	pinned *pn = payload;

	(void)data;
	(void)len;
	if (pn->calls++)
		return 0;
	sh("git -C r repack -adq");
	assert_int_equal(pw_repo_rescan(pn->repo), 0);
	pn->maps_during = deleted_maps();
	pn->fds_during = deleted_fds();
	pn->released_during = released(pn->repo);
	return 0;
}

static void test_pinned_until_done(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char hex[PW_OID_MAX_HEXSZ + 1];
	pinned pn = {0};
	pw_object_info info;
	pw_object_t type;
	uint64_t size;
	pw_repo *repo;
	pw_oid id;

	(void)state;
	sh("git init -q r && head -c 200000 /dev/urandom >r/big && git -C r add big &&"
	   " git -C r commit -qm big && git -C r repack -adq");
	sh_out(hex, sizeof(hex), "git -C r rev-parse HEAD:big");
	assert_int_equal(pw_oid_fromhex(&id, hex, PW_OID_SHA1), 0);
	o.no_discover = 1;
	assert_int_equal(pw_repo_open(&repo, tmp("r/.git"), &o), 0);
	assert_int_equal(pw_repo_info(&info, repo, &id, 0), 0);
	assert_non_null(info.pack);
	sh("cd r && echo more >m && git add m && git commit -qm m");
	pn.repo = repo;
	/* the pack layer directly (no repository lock held), so the rescan can run inside */
	assert_int_equal(pw_pack_stream_at(&type, &size, info.pack, info.offset, during_stream, &pn),
	        0);
	assert_int_equal(size, 200000);
	assert_true(pn.calls > 0);
	/* during the stream: its window pinned and still mapped, the descriptor already closed */
	assert_true(pn.maps_during > 0);
	assert_int_equal(pn.fds_during, 0);
	assert_int_equal(pn.released_during, 0);
	/* when the stream let go of it, the window went; the next rescan counts the pack */
	assert_int_equal(deleted_maps(), 0);
	assert_int_equal(pw_repo_rescan(repo), 0);
	assert_int_equal(released(repo), 1);
	check_reads(repo, 6);
	pw_repo_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_window_release_mmap, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_window_release_no_mmap, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_repack_lets_go, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_pinned_until_done, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
