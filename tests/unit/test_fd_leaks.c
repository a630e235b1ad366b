/*
 * test_fd_leaks.c: after a repository or a pack is freed, /proc/self/fd
 * and /proc/self/maps are back where they started: after reading
 * everything (basic.git, the zlib corpus), after every corrupt fixture's
 * open, read and verify failing, and after opening what is not a
 * repository. Both window modes.
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
#include "packwin/pack.h"

struct mode {
	int no_mmap;
};
static const struct mode mode_mmap = { 0 };
static const struct mode mode_pread = { 1 };

/* The descriptors open now, as the names they point at (for the failure message). */
static size_t proc_fds_named(char *names, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t n = 0, used = 0;

	assert_non_null(d);
	if (names && size)
		names[0] = '\0';
	while ((de = readdir(d))) {
		char link[300], target[PATH_MAX];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		n++;
		if (!names)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		if (used < size) {
			int w = snprintf(names + used, size - used, " %s", target);
			if (w > 0)
				used += (size_t)w;
		}
	}
	closedir(d);
	return n;
}

static size_t start_fds;

static void expect_fds(const char *what, size_t want)
{
	char names[4096];

	if (proc_fds_named(names, sizeof(names)) != want)
		fail_msg("%s: %zu descriptors open, %zu before:%s", what,
			proc_fds_named(NULL, 0), want, names);
	assert_int_equal(maps_under(PW_FIXTURES), 0);
	assert_int_equal(maps_under(PW_CORPUS), 0);
}

static void expect_back(const char *what)
{
	expect_fds(what, start_fds);
}

static int test_setup(void **state)
{
	(void)state;
	start_fds = proc_fds_named(NULL, 0);
	return 0;
}

static pw_wm_options wm_opts(const struct mode *m)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;

	o.window_size = 64 * 1024;
	o.memory_limit = 1 << 20;
	o.fd_limit = 3;
	o.no_mmap = m->no_mmap;
	return o;
}

static int count_object(const pw_repo_entry *e, const pw_object *obj, void *payload)
{
	(void)e;
	(void)obj;
	(*(size_t *)payload)++;
	return 0;
}

static void read_repo(const char *path, const struct mode *m, unsigned threads, size_t min)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;
	size_t n = 0;
	char *head = NULL;
	pw_oid id;

	o.no_discover = 1;
	o.wm_options = wm_opts(m);
	assert_int_equal(pw_repo_open(&repo, path, &o), 0);
	assert_int_equal(pw_repo_foreach_read(repo, PW_FOREACH_UNORDERED, threads, count_object, &n),
		0);
	assert_true(n >= min);
	assert_int_equal(pw_repo_resolve(&id, repo, "HEAD"), 0);
	assert_int_equal(pw_repo_head_target(&head, repo), 0);
	pw_string_free(head);
	pw_repo_free(repo);
	expect_back(path);
}

static void test_repositories(void **state)
{
	const struct mode *m = *state;

	read_repo(PW_FIXTURES "/repos/basic.git", m, 1, 156);
	read_repo(PW_FIXTURES "/repos/sha256.git", m, 2, 44);
	need_corpus(PW_CORPUS "/zlib.git");
	read_repo(PW_CORPUS "/zlib.git", m, 0, 10000);
}

/* Open, read every object and verify a pack alone; every step may fail. Returns the first error. */
static int pack_all(const char *path, const struct mode *m)
{
	pw_wm_options o = wm_opts(m);
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	int err, first;

	assert_int_equal(pw_wm_new(&wm, &o), 0);
	first = err = pw_pack_open(&pack, wm, path, NULL);
	if (!err) {
		uint32_t n = pw_pack_count(pack);
		for (uint32_t i = 0; i < n; i++) {
			pw_object *obj = NULL;
			uint64_t off;
			err = pw_pack_nth_offset(&off, pack, i);
			if (!err)
				err = pw_pack_read_at(&obj, pack, off);
			pw_object_free(obj);
			if (err && !first)
				first = err;
		}
		vo.threads = 2;
		err = pw_pack_verify(pack, &vo);
		if (err && !first)
			first = err;
	}
	pw_pack_free(pack);
	pw_wm_free(wm);
	return first;
}

static void test_packs_and_corrupt_packs(void **state)
{
	const struct mode *m = *state;
	const char *dirs[] = { PW_FIXTURES "/packs", PW_FIXTURES "/corrupt" };
	size_t packs = 0, failed = 0;

	for (size_t k = 0; k < 2; k++) {
		DIR *d = opendir(dirs[k]);
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d))) {
			char sub[PATH_MAX], path[PATH_MAX + 300];
			struct dirent *fe;
			DIR *fd;

			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dirs[k], de->d_name);
			if (!(fd = opendir(sub)))
				continue;
			while ((fe = readdir(fd))) {
				size_t len = strlen(fe->d_name);
				size_t before;
				int err;

				if (len < 5 || strcmp(fe->d_name + len - 4, ".idx"))
					continue;
				snprintf(path, sizeof(path), "%s/%s", sub, fe->d_name);
				/* our own two directory handles are open meanwhile */
				before = proc_fds_named(NULL, 0);
				err = pack_all(path, m);
				packs++;
				failed += err != 0;
				/* the fixtures under packs/ are good, those under corrupt/ mostly not */
				if (k == 0 && err)
					fail_msg("%s: %s", path, pw_error_last());
				expect_fds(path, before);
			}
			closedir(fd);
		}
		closedir(d);
	}
	assert_true(packs > 60);
	assert_true(failed > 50);
}

/* Failing opens: not a repository, a missing pack, a folder given as a pack. */
static void test_failed_opens(void **state)
{
	const struct mode *m = *state;
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_wm_options wo = wm_opts(m);
	pw_repo *repo = NULL;
	pw_pack *pack = NULL;
	pw_wm *wm = NULL;

	o.no_discover = 1;
	o.wm_options = wo;
	assert_int_equal(pw_repo_open(&repo, PW_FIXTURES "/packs", &o), PW_ENOTFOUND);
	assert_int_equal(pw_repo_open(&repo, PW_FIXTURES "/nonexistent", &o), PW_ENOTFOUND);
	expect_back("pw_repo_open");
	assert_int_equal(pw_wm_new(&wm, &wo), 0);
	assert_int_equal(pw_pack_open(&pack, wm, PW_FIXTURES "/packs/basic/pack-0.idx", NULL),
		PW_ENOTFOUND);
	assert_true(pw_pack_open(&pack, wm, PW_FIXTURES "/packs/basic", NULL) < 0);
	pw_wm_free(wm);
	expect_back("pw_pack_open");
}

#define BOTH(fn)                                                                   \
	cmocka_unit_test_prestate_setup_teardown(fn, test_setup, NULL, (void *)&mode_mmap), \
	cmocka_unit_test_prestate_setup_teardown(fn, test_setup, NULL, (void *)&mode_pread)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_repositories),
		BOTH(test_packs_and_corrupt_packs),
		BOTH(test_failed_opens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
