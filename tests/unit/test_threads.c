/* test_threads.c: many threads, each with its own cursors, share one window manager under a tiny budget. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packwin/errors.h"
#include "packwin/window.h"

#define NTHREADS 4
#define NFILES 3
#define ITERATIONS 2500

static char tmpdir[512];
static char paths[NFILES][PATH_MAX];
static const uint64_t sizes[NFILES] = { 200 * 1024 + 3, 64 * 1024, 5000 };

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static unsigned char byte_at(uint32_t seed, uint64_t i)
{
	return (unsigned char)(mix(((uint64_t)seed << 40) ^ (i >> 3)) >> ((i & 7) * 8));
}

static int check_bytes(const unsigned char *p, uint32_t seed, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != byte_at(seed, off + i))
			return 0;
	return 1;
}

static uint64_t rnd(uint64_t *state, uint64_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return n ? *state % n : 0;
}

static size_t proc_fds(void)
{
	char link[PATH_MAX + 64], target[PATH_MAX + 64];
	size_t n = 0, dl = strlen(tmpdir);
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return (size_t)-1;
	while ((de = readdir(d))) {
		ssize_t len;
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strncmp(target, tmpdir, dl) == 0 && target[dl] == '/')
			n++;
	}
	closedir(d);
	return n;
}

static size_t proc_maps(void)
{
	char line[PATH_MAX + 256];
	size_t n = 0, dl = strlen(tmpdir);
	FILE *fp = fopen("/proc/self/maps", "re");

	if (!fp)
		return (size_t)-1;
	while (fgets(line, sizeof(line), fp)) {
		const char *p = strchr(line, '/');
		if (p && strncmp(p, tmpdir, dl) == 0 && p[dl] == '/')
			n++;
	}
	fclose(fp);
	return n;
}

struct shared {
	pw_wm *wm;
	pw_wm_file *files[NFILES];
	atomic_int failures;
	atomic_int done;
	char first_failure[256];
	pthread_mutex_t failure_lock;
};

struct worker {
	struct shared *sh;
	int id;
	long ops, lends;
};

static void record_failure(struct shared *sh, const char *what, int err)
{
	/* cmocka's asserts are not for other threads: record, assert in main. */
	if (atomic_fetch_add(&sh->failures, 1) == 0) {
		pthread_mutex_lock(&sh->failure_lock);
		snprintf(sh->first_failure, sizeof(sh->first_failure), "%s: %d %s",
			what, err, err ? pw_error_last() : "");
		pthread_mutex_unlock(&sh->failure_lock);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t rs = 0x1234567ULL * (uint64_t)(w->id + 1);
	pw_cursor cur[NFILES];
	unsigned char buf[12 * 1024];
	int pinned = -1; /* the one cursor of this thread that may pin a window */

	for (int i = 0; i < NFILES; i++)
		pw_cursor_init(&cur[i], sh->files[i]);
	for (int it = 0; it < ITERATIONS; it++) {
		int fi = (int)rnd(&rs, NFILES), op = (int)rnd(&rs, 10), err;
		uint64_t off = rnd(&rs, sizes[fi]);
		size_t need = 1 + (size_t)rnd(&rs, 4096);

		if (need > sizes[fi] - off)
			need = (size_t)(sizes[fi] - off);
		/*
		 * Each thread pins at most one window at a time, so the four
		 * threads together pin at most four 8 KiB windows: the 32 KiB
		 * budget always has room and no request may fail.
		 */
		if (pinned >= 0 && (pinned != fi || op >= 7)) {
			pw_cursor_release(&cur[pinned]);
			pinned = -1;
		}
		if (op < 7) {
			const unsigned char *p;
			size_t avail;

			/* Mostly near the last offset, so some hits are lock-free. */
			if (op < 3 && cur[fi].win && cur[fi].end > cur[fi].start + need)
				off = cur[fi].start + rnd(&rs, cur[fi].end - cur[fi].start - need);
			err = pw_cursor_get(&p, &avail, &cur[fi], off, need);
			if (err)
				record_failure(sh, "pw_cursor_get", err);
			else if (avail < need || !check_bytes(p, (uint32_t)fi + 1, off, avail))
				record_failure(sh, "cursor bytes differ", 0);
			else
				pinned = fi;
		} else if (op < 9 || w->id != 0) {
			size_t len = 1 + (size_t)rnd(&rs, sizeof(buf));
			if (len > sizes[fi] - off)
				len = (size_t)(sizes[fi] - off);
			err = pw_wm_read(buf, sh->files[fi], off, len);
			if (err)
				record_failure(sh, "pw_wm_read", err);
			else if (!check_bytes(buf, (uint32_t)fi + 1, off, len))
				record_failure(sh, "read bytes differ", 0);
		} else {
			/* Only one thread lends, so one fd stays free for the others. */
			int fd;
			err = pw_wm_lend_fd(&fd, sh->files[fi]);
			if (err) {
				record_failure(sh, "pw_wm_lend_fd", err);
			} else {
				ssize_t n = pread(fd, buf, need, (off_t)off);
				if (n != (ssize_t)need || !check_bytes(buf, (uint32_t)fi + 1, off, need))
					record_failure(sh, "lent fd bytes differ", 0);
				pw_wm_return_fd(sh->files[fi]);
				w->lends++;
			}
		}
		w->ops++;
	}
	for (int i = 0; i < NFILES; i++)
		pw_cursor_release(&cur[i]);
	atomic_fetch_add(&sh->done, 1);
	return NULL;
}

/* Watches the counters while the workers run. */
static void *stats_main(void *arg)
{
	struct shared *sh = arg;
	pw_wm_options o;
	pw_wm_stats s;

	pw_wm_get_options(&o, sh->wm);
	while (atomic_load(&sh->done) < NTHREADS) {
		pw_wm_get_stats(&s, sh->wm);
		if (s.mapped > o.memory_limit || s.fds > o.fd_limit ||
		    s.mapped_peak > o.memory_limit || s.fds_peak > o.fd_limit)
			record_failure(sh, "budget exceeded", 0);
		usleep(1000);
	}
	return NULL;
}

static void run(int no_mmap)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	struct worker workers[NTHREADS];
	pthread_t th[NTHREADS], stats_th;
	struct shared sh;
	pw_wm_stats s;
	long lends = 0;

	memset(&sh, 0, sizeof(sh));
	pthread_mutex_init(&sh.failure_lock, NULL);
	o.window_size = 8 * 1024;
	o.memory_limit = 32 * 1024;
	o.fd_limit = 2;
	o.no_mmap = no_mmap;
	assert_int_equal(pw_wm_new(&sh.wm, &o), 0);
	for (int i = 0; i < NFILES; i++)
		assert_int_equal(pw_wm_open(&sh.files[i], sh.wm, paths[i]), 0);

	assert_int_equal(pthread_create(&stats_th, NULL, stats_main, &sh), 0);
	for (int i = 0; i < NTHREADS; i++) {
		workers[i].sh = &sh;
		workers[i].id = i;
		workers[i].ops = workers[i].lends = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &workers[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(workers[i].ops, ITERATIONS);
		lends += workers[i].lends;
	}
	assert_int_equal(pthread_join(stats_th, NULL), 0);
	if (atomic_load(&sh.failures))
		fail_msg("%d failures, first: %s", atomic_load(&sh.failures), sh.first_failure);

	pw_wm_get_stats(&s, sh.wm);
	assert_true(s.mapped_peak <= 32 * 1024);
	assert_true(s.fds_peak <= 2);
	assert_true(s.fds <= 2);
	assert_int_equal(proc_fds(), s.fds);
	assert_true(s.evictions > 0);
	assert_true(s.fd_evictions > 0);
	assert_true(s.hits > 0);
	assert_true(lends > 0);
	assert_int_equal(s.maps - s.unmaps, s.windows);
	for (int i = 0; i < NFILES; i++)
		pw_wm_close(sh.files[i]);
	pw_wm_get_stats(&s, sh.wm);
	assert_int_equal(s.mapped, 0);
	assert_int_equal(s.windows, 0);
	assert_int_equal(s.fds, 0);
	assert_int_equal(proc_fds(), 0);
	assert_int_equal(proc_maps(), 0);
	pw_wm_free(sh.wm);
	pthread_mutex_destroy(&sh.failure_lock);
}

static void test_threads_mmap(void **state)
{
	run(0);
}

static void test_threads_pread(void **state)
{
	run(1);
}

static int group_setup(void **state)
{
	unsigned char chunk[4096];
	char *real;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pw-test-threads-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	real = realpath(tmpdir, NULL);
	if (!real || strlen(real) >= sizeof(tmpdir)) {
		free(real);
		return -1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	for (int i = 0; i < NFILES; i++) {
		uint64_t done = 0;
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "%s/file%d", tmpdir, i);
		fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		while (done < sizes[i]) {
			size_t n = sizes[i] - done < sizeof(chunk) ? (size_t)(sizes[i] - done) : sizeof(chunk);
			for (size_t j = 0; j < n; j++)
				chunk[j] = byte_at((uint32_t)i + 1, done + j);
			if (write(fd, chunk, n) != (ssize_t)n)
				return -1;
			done += n;
		}
		if (close(fd) != 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	for (int i = 0; i < NFILES; i++)
		unlink(paths[i]);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_mmap),
		cmocka_unit_test(test_threads_pread),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
