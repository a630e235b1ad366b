/* test_window.c: unit tests of the window manager: placement, budgets, LRU, pinning, identity, fds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packwin/errors.h"
#include "packwin/window.h"
#include "failalloc.h"

static char tmpdir[512];
static size_t page;

/* Test parameters: every test runs with mmap'd and with pread windows. */
struct mode {
	int no_mmap;
};
static struct mode mode_mmap = { 0 };
static struct mode mode_pread = { 1 };

/* Deterministic pseudo-random content: byte `i` of the file with `seed`. */
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

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? rng_state % n : 0;
}

static void tmp_path(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

/* Write `size` bytes of content `seed` to tmpdir/name (replacing it via a temp name and rename). */
static void write_file(char *path_out, const char *name, uint32_t seed, uint64_t size)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	unsigned char buf[8192];
	uint64_t done = 0;
	int fd;

	tmp_path(path, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = byte_at(seed, done + i);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	assert_int_equal(close(fd), 0);
	assert_int_equal(rename(tmp, path), 0);
	if (path_out)
		snprintf(path_out, PATH_MAX, "%s", path);
}

/* Mappings of files under tmpdir, from /proc/self/maps: count and bytes. */
static size_t proc_maps(uint64_t *bytes)
{
	char line[PATH_MAX + 256];
	size_t n = 0, dl = strlen(tmpdir);
	FILE *fp = fopen("/proc/self/maps", "re");

	assert_non_null(fp);
	if (bytes)
		*bytes = 0;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi;
		const char *p = strchr(line, '/');
		if (!p || strncmp(p, tmpdir, dl) != 0 || p[dl] != '/')
			continue;
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		n++;
		if (bytes)
			*bytes += hi - lo;
	}
	fclose(fp);
	return n;
}

/* Is there a mapping of `path` at file offset `off` in /proc/self/maps? */
static int proc_has_mapping(const char *path, uint64_t off)
{
	char line[PATH_MAX + 256];
	size_t pl = strlen(path);
	int found = 0;
	FILE *fp = fopen("/proc/self/maps", "re");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi, o;
		const char *p = strchr(line, '/');
		if (!p || strncmp(p, path, pl) != 0 || (p[pl] != '\n' && p[pl] != ' '))
			continue;
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &o) == 3 && o == off)
			found = 1;
	}
	fclose(fp);
	return found;
}

/* Descriptors of this process pointing at files under tmpdir. */
static size_t proc_fds(void)
{
	char link[PATH_MAX + 64], target[PATH_MAX + 64];
	size_t n = 0, dl = strlen(tmpdir);
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	assert_non_null(d);
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

/* The budgets hold, and the process agrees with the counters. */
static void check_budgets(pw_wm *wm)
{
	pw_wm_options o;
	pw_wm_stats s;
	uint64_t bytes;
	size_t lines;

	pw_wm_get_options(&o, wm);
	pw_wm_get_stats(&s, wm);
	assert_true(s.mapped <= o.memory_limit);
	assert_true(s.mapped_peak <= o.memory_limit);
	assert_true(s.fds <= o.fd_limit);
	assert_true(s.fds_peak <= o.fd_limit);
	assert_int_equal(s.opens - s.closes, s.fds);
	assert_int_equal(s.maps - s.unmaps, s.windows);
	assert_int_equal(proc_fds(), s.fds);
	lines = proc_maps(&bytes);
	if (o.no_mmap) {
		assert_int_equal(lines, 0);
	} else {
		/* Adjacent windows may merge into one mapping; the bytes are exact. */
		assert_int_equal(bytes, s.mapped);
		assert_true(lines <= s.windows);
	}
}

static pw_wm *new_wm(const struct mode *m, pw_wm_mode wmode, size_t window,
	size_t limit, unsigned int fds)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	pw_wm *wm = NULL;

	o.mode = wmode;
	o.window_size = window;
	o.memory_limit = limit;
	o.fd_limit = fds;
	o.no_mmap = m->no_mmap;
	assert_int_equal(pw_wm_new(&wm, &o), 0);
	assert_non_null(wm);
	return wm;
}

static int group_setup(void **state)
{
	char *real;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pw-test-window-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* /proc shows resolved paths. */
	real = realpath(tmpdir, NULL);
	if (!real)
		return -1;
	if (strlen(real) >= sizeof(tmpdir)) {
		free(real);
		return -1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	page = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int group_teardown(void **state)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(tmpdir);

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	return rmdir(tmpdir);
}

/* Every test starts and ends with no temp file open or mapped. */
static int test_setup(void **state)
{
	return proc_fds() == 0 && proc_maps(NULL) == 0 ? 0 : -1;
}

static int test_teardown(void **state)
{
	return proc_fds() == 0 && proc_maps(NULL) == 0 ? 0 : -1;
}

static void test_sliding_reads(void **state)
{
	const struct mode *m = *state;
	const size_t ws = 2 * page, step = page;
	const uint64_t size = 5 * ws + 1234;
	const size_t lens[] = { 1, 2, 3, 100, page - 1, page, page + 1,
		ws - 1, ws, ws + 1, 20000, (size_t)size };
	unsigned char *buf = malloc((size_t)size);
	char path[PATH_MAX];
	pw_wm_file *f;
	pw_cursor cur;
	pw_wm_stats s;
	pw_wm *wm;

	assert_non_null(buf);
	write_file(path, "sliding", 1, size);
	wm = new_wm(m, PW_WM_SLIDING, ws, 1 << 20, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	assert_int_equal(pw_wm_file_size(f), size);
	assert_string_equal(pw_wm_file_path(f), path);
	pw_cursor_init(&cur, f);

	for (uint64_t k = 0; k <= size / 1024 + 200; k++) {
		for (int d = -3; d <= 3; d++) {
			uint64_t off;

			if (k <= size / 1024)
				off = k * 1024 + (uint64_t)(d + 3);
			else
				off = rnd(size);
			off = off >= 3 ? off - 3 : off;
			for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
				const unsigned char *p;
				size_t avail, need = lens[li];
				uint64_t misses;

				if (off + need > size)
					continue;
				pw_wm_get_stats(&s, wm);
				misses = s.misses;
				assert_int_equal(pw_cursor_get(&p, &avail, &cur, off, need), 0);
				assert_true(avail >= need);
				assert_int_equal(avail, cur.end - off);
				assert_true(check_bytes(p, 1, off, avail));
				pw_wm_get_stats(&s, wm);
				if (s.misses != misses && need <= step) {
					/* A new window: at a multiple of half a window. */
					assert_int_equal(cur.start % step, 0);
					assert_true(cur.end - cur.start <= ws);
				} else if (s.misses != misses) {
					/* A new large window: from the page holding off. */
					assert_int_equal(cur.start, off / page * page);
					assert_true(cur.end - cur.start >= ws ||
						    cur.end == size);
				}
				memset(buf, 0, need);
				assert_int_equal(pw_wm_read(buf, f, off, need), 0);
				assert_true(check_bytes(buf, 1, off, need));
			}
		}
	}
	/* A fresh cursor on a fresh manager gets the canonical windows. */
	pw_cursor_release(&cur);
	pw_wm_close(f);
	pw_wm_free(wm);

	wm = new_wm(m, PW_WM_SLIDING, ws, 1 << 20, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	for (uint64_t off = 0; off + step <= size; off += 97) {
		const unsigned char *p;
		size_t avail;
		pw_cursor c2;

		pw_cursor_init(&c2, f);
		assert_int_equal(pw_cursor_get(&p, &avail, &c2, off, step), 0);
		assert_true(check_bytes(p, 1, off, step));
		assert_int_equal(c2.start % step, 0);
		assert_true(c2.end - c2.start <= ws);
		pw_cursor_release(&c2);
		check_budgets(wm);
	}
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.maps, s.misses);
	assert_int_equal(s.windows, (size + step - 1) / step - 1);
	pw_wm_close(f);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.mapped, 0);
	assert_int_equal(s.windows, 0);
	assert_int_equal(s.fds, 0);
	pw_wm_free(wm);
	free(buf);
}

static void test_budget_random(void **state)
{
	const struct mode *m = *state;
	const size_t ws = 2 * page, limit = 5 * page + 100;
	const uint64_t sizes[4] = { 17 * page + 77, 3 * page, 100, 9 * page + 1 };
	char path[PATH_MAX], name[16];
	pw_wm_file *f[4];
	pw_cursor cur[2];
	unsigned char *buf = malloc(4 * ws);
	pw_wm_stats s;
	pw_wm *wm;
	int limits = 0;

	assert_non_null(buf);
	wm = new_wm(m, PW_WM_SLIDING, ws, limit, 2);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "rand%d", i);
		write_file(path, name, 10 + (uint32_t)i, sizes[i]);
		assert_int_equal(pw_wm_open(&f[i], wm, path), 0);
		check_budgets(wm);
	}
	pw_cursor_init(&cur[0], f[0]);
	pw_cursor_init(&cur[1], f[1]);
	for (int it = 0; it < 1500; it++) {
		int fi = (int)rnd(4), ci = (int)rnd(2), err;
		uint64_t off = rnd(sizes[fi]);
		size_t need = 1 + (size_t)rnd(rnd(8) == 0 ? 2 * ws : page);
		const unsigned char *p;
		size_t avail;

		if (need > sizes[fi] - off)
			need = (size_t)(sizes[fi] - off);
		if (rnd(3) == 0) {
			if (need > 4 * ws)
				need = 4 * ws;
			err = pw_wm_read(buf, f[fi], off, need);
			if (!err)
				assert_true(check_bytes(buf, 10 + (uint32_t)fi, off, need));
		} else {
			if (cur[ci].file != f[fi]) {
				pw_cursor_release(&cur[ci]);
				pw_cursor_init(&cur[ci], f[fi]);
			}
			err = pw_cursor_get(&p, &avail, &cur[ci], off, need);
			if (!err) {
				assert_true(avail >= need);
				assert_true(check_bytes(p, 10 + (uint32_t)fi, off, avail));
			}
		}
		if (err) {
			/* Only legitimate: the other cursor pins too much. */
			assert_int_equal(err, PW_ELIMIT);
			assert_non_null(strstr(pw_error_last(), "memory limit"));
			limits++;
		}
		check_budgets(wm);
	}
	pw_cursor_release(&cur[0]);
	pw_cursor_release(&cur[1]);
	pw_wm_get_stats(&s, wm);
	assert_true(s.evictions > 0);
	assert_true(s.fd_evictions > 0);
	assert_true(s.hits > 0);
	assert_true(limits < 300);
	for (int i = 0; i < 4; i++)
		pw_wm_close(f[i]);
	check_budgets(wm);
	pw_wm_free(wm);
	free(buf);
}

/* Map the canonical window at `off` through `cur` and unpin it again. */
static void touch(pw_cursor *cur, uint64_t off)
{
	const unsigned char *p;
	size_t avail;

	assert_int_equal(pw_cursor_get(&p, &avail, cur, off, 1), 0);
	pw_cursor_release(cur);
}

static void test_lru_order(void **state)
{
	const struct mode *m = *state;
	const size_t ws = 2 * page;
	const uint64_t A = 0, B = 2 * ws, C = 4 * ws, D = 6 * ws;
	char path[PATH_MAX];
	pw_wm_file *f;
	pw_cursor cur;
	pw_wm_stats s;
	pw_wm *wm;

	write_file(path, "lru", 2, 8 * ws);
	wm = new_wm(m, PW_WM_SLIDING, ws, 3 * ws, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	pw_cursor_init(&cur, f);
	touch(&cur, A);
	touch(&cur, B);
	touch(&cur, C);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.windows, 3);
	assert_int_equal(s.misses, 3);
	touch(&cur, A); /* a hit: A becomes the most recently used */
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.evictions, 0);
	touch(&cur, D); /* evicts B, the least recently used */
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.evictions, 1);
	assert_int_equal(s.windows, 3);
	if (!m->no_mmap) {
		assert_true(proc_has_mapping(path, A));
		assert_false(proc_has_mapping(path, B));
		assert_true(proc_has_mapping(path, C));
		assert_true(proc_has_mapping(path, D));
	}
	touch(&cur, A);
	touch(&cur, C);
	touch(&cur, D);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.hits, 4);
	assert_int_equal(s.misses, 4);
	touch(&cur, B); /* evicts A: C and D were used after it */
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.misses, 5);
	assert_int_equal(s.evictions, 2);
	touch(&cur, C);
	touch(&cur, D);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.hits, 6);
	touch(&cur, A);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.misses, 6); /* A was gone, B now goes */
	if (!m->no_mmap) {
		assert_true(proc_has_mapping(path, A));
		assert_false(proc_has_mapping(path, B));
	}
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_free(wm);
}

static void test_pinned_never_unmapped(void **state)
{
	const struct mode *m = *state;
	const size_t ws = 2 * page;
	char path[PATH_MAX];
	const unsigned char *pa, *pb, *pc, *pd;
	size_t avail;
	pw_cursor a, b, c, d;
	pw_wm_file *f;
	pw_wm_stats s;
	pw_wm *wm;
	int err;

	write_file(path, "pinned", 3, 10 * ws);
	wm = new_wm(m, PW_WM_SLIDING, ws, 5 * page, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	pw_cursor_init(&a, f);
	pw_cursor_init(&b, f);
	pw_cursor_init(&c, f);
	pw_cursor_init(&d, f);
	assert_int_equal(pw_cursor_get(&pa, &avail, &a, 0, 10), 0);
	assert_int_equal(pw_cursor_get(&pb, &avail, &b, 4 * ws, 10), 0);
	/* 4 pages pinned, 1 left: the third window shrinks to one page. */
	assert_int_equal(pw_cursor_get(&pc, &avail, &c, 7 * ws + 10, 100), 0);
	assert_int_equal(c.start, 7 * ws);
	assert_int_equal(c.end - c.start, page);
	assert_int_equal(avail, page - 10);
	assert_true(check_bytes(pc, 3, 7 * ws + 10, avail));
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.mapped, 5 * page);
	check_budgets(wm);
	/* Nothing can move now: all pinned, no room even for one page. */
	err = pw_cursor_get(&pd, &avail, &d, 9 * ws, 1);
	assert_int_equal(err, PW_ELIMIT);
	assert_non_null(strstr(pw_error_last(), path));
	assert_non_null(strstr(pw_error_last(), "memory limit"));
	assert_null(d.win);
	/* The pinned windows are intact. */
	assert_true(check_bytes(pa, 3, 0, 2 * page));
	assert_true(check_bytes(pb, 3, 4 * ws, 2 * page));
	assert_true(check_bytes(pc, 3, 7 * ws + 10, page - 10));
	/* Free one page; a request spanning two pages still cannot fit. */
	pw_cursor_release(&c);
	err = pw_cursor_get(&pd, &avail, &d, 9 * ws + page - 1, 2);
	assert_int_equal(err, PW_ELIMIT);
	assert_non_null(strstr(pw_error_last(), "pinned"));
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.evictions, 0); /* nothing evicted in vain */
	assert_int_equal(s.mapped, 5 * page);
	/* ...but one within a page does, evicting c's window. */
	assert_int_equal(pw_cursor_get(&pd, &avail, &d, 9 * ws + page, 2), 0);
	assert_true(check_bytes(pd, 3, 9 * ws + page, avail));
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.evictions, 1);
	assert_int_equal(d.end - d.start, page);
	/* A request larger than the whole budget is refused up front. */
	pw_cursor_release(&a);
	pw_cursor_release(&b);
	pw_cursor_release(&d);
	err = pw_cursor_get(&pd, &avail, &d, 0, 6 * page);
	assert_int_equal(err, PW_ELIMIT);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.mapped_peak, 5 * page);
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_free(wm);
}

static void test_whole_file(void **state)
{
	const struct mode *m = *state;
	const uint64_t size = 7 * page + 5;
	char path[PATH_MAX];
	const unsigned char *p;
	unsigned char buf[300];
	size_t avail;
	pw_cursor cur, c2;
	pw_wm_file *f;
	pw_wm_stats s;
	pw_wm *wm;

	write_file(path, "whole", 4, size);
	wm = new_wm(m, PW_WM_WHOLE_FILE, 0, 1 << 20, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	pw_cursor_init(&cur, f);
	pw_cursor_init(&c2, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 5000, 10), 0);
	assert_int_equal(cur.start, 0);
	assert_int_equal(cur.end, size);
	assert_int_equal(avail, size - 5000);
	assert_true(check_bytes(p, 4, 5000, avail));
	assert_int_equal(pw_cursor_get(&p, &avail, &c2, size - 1, 1), 0);
	assert_int_equal(c2.win, cur.win);
	for (uint64_t off = 0; off < size; off += 333) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		assert_int_equal(pw_wm_read(buf, f, off, n), 0);
		assert_true(check_bytes(buf, 4, off, n));
	}
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.maps, 1);
	assert_int_equal(s.windows, 1);
	assert_int_equal(s.mapped, 8 * page);
	check_budgets(wm);
	pw_cursor_release(&cur);
	pw_cursor_release(&c2);
	pw_wm_close(f);
	pw_wm_free(wm);

	/* A file larger than the budget falls back to windows that fit. */
	wm = new_wm(m, PW_WM_WHOLE_FILE, 0, 3 * page, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	for (uint64_t off = 0; off < size; off += 333) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		assert_int_equal(pw_wm_read(buf, f, off, n), 0);
		assert_true(check_bytes(buf, 4, off, n));
		check_budgets(wm);
	}
	pw_wm_close(f);
	pw_wm_free(wm);
}

static void test_read_tiny_windows(void **state)
{
	const struct mode *m = *state;
	const uint64_t size = 200 * 1024 + 17;
	unsigned char *buf = malloc((size_t)size);
	char path[PATH_MAX];
	pw_wm_options o;
	pw_wm_file *f;
	pw_wm_stats s;
	pw_wm *wm;

	assert_non_null(buf);
	write_file(path, "tiny", 5, size);
	wm = new_wm(m, PW_WM_SLIDING, 4096, 4 * page, 2);
	pw_wm_get_options(&o, wm);
	/* Rounded up to two pages, so that half a window is page aligned. */
	assert_int_equal(o.window_size, 2 * page);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);

	assert_int_equal(pw_wm_read(buf, f, 0, (size_t)size), 0);
	assert_true(check_bytes(buf, 5, 0, (size_t)size));
	/* From the requested offset, not from the start of the file. */
	for (uint64_t off = 1; off < size; off = off * 3 + 1) {
		size_t n = (size_t)(size - off);
		memset(buf, 0, n);
		assert_int_equal(pw_wm_read(buf, f, off, n), 0);
		assert_true(check_bytes(buf, 5, off, n));
		check_budgets(wm);
	}
	for (int i = 0; i < 200; i++) {
		uint64_t off = rnd(size);
		size_t n = (size_t)rnd(size - off + 1);
		assert_int_equal(pw_wm_read(buf, f, off, n), 0);
		assert_true(check_bytes(buf, 5, off, n));
	}
	assert_int_equal(pw_wm_read(buf, f, size, 0), 0);
	assert_int_equal(pw_wm_read(buf, f, size - 10, 11), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "read past end of file"));
	assert_non_null(strstr(pw_error_last(), path));
	assert_int_equal(pw_wm_read(buf, f, UINT64_MAX, 2), PW_ECORRUPT);
	pw_wm_get_stats(&s, wm);
	assert_true(s.mapped_peak <= 4 * page);
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_free(wm);
	free(buf);
}

/* Open `keep`'s neighbour so that `keep`'s descriptor is closed (fd_limit 1). */
static void evict_fd(pw_wm *wm, pw_wm_file **other, const char *other_path)
{
	pw_wm_stats s;

	assert_int_equal(pw_wm_open(other, wm, other_path), 0);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.fds, 1);
	assert_true(s.fd_evictions > 0);
}

static void test_changed_while_closed(void **state)
{
	const struct mode *m = *state;
	const size_t ws = 2 * page;
	char path[PATH_MAX], other_path[PATH_MAX];
	const unsigned char *p;
	size_t avail;
	pw_wm_file *f, *other;
	pw_cursor cur;
	pw_wm *wm;

	write_file(other_path, "other", 6, 3 * page);
	wm = new_wm(m, PW_WM_SLIDING, ws, 1 << 20, 1);

	/* Replaced: a new file renamed over the path. */
	write_file(path, "victim", 7, 4 * ws);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	evict_fd(wm, &other, other_path);
	write_file(NULL, "victim", 8, 4 * ws);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 100, 10), PW_ECHANGED);
	assert_non_null(strstr(pw_error_last(), path));
	assert_non_null(strstr(pw_error_last(), "replaced"));
	assert_int_equal(pw_wm_lend_fd(&(int){ 0 }, f), PW_ECHANGED);
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_close(other);

	/* Truncated in place. */
	write_file(path, "victim", 9, 4 * ws);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	evict_fd(wm, &other, other_path);
	assert_int_equal(truncate(path, 3 * ws), 0);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 0, 10), PW_ECHANGED);
	assert_non_null(strstr(pw_error_last(), "truncated"));
	pw_wm_close(f);
	pw_wm_close(other);

	/* Removed. */
	write_file(path, "victim", 10, 4 * ws);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	evict_fd(wm, &other, other_path);
	assert_int_equal(unlink(path), 0);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 0, 10), PW_ECHANGED);
	assert_non_null(strstr(pw_error_last(), "removed"));
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_close(other);

	/* Unchanged: re-opened silently and read correctly. */
	write_file(path, "victim", 11, 4 * ws);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	evict_fd(wm, &other, other_path);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 3 * ws, 10), 0);
	assert_true(check_bytes(p, 11, 3 * ws, avail));
	pw_cursor_release(&cur);
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_close(other);
	pw_wm_free(wm);
}

static void test_truncated_fd_open(void **state)
{
	const struct mode *m = *state;
	const size_t ws = 2 * page;
	char path[PATH_MAX];
	const unsigned char *p;
	size_t avail;
	pw_wm_file *f;
	pw_cursor cur;
	pw_wm_stats s;
	pw_wm *wm;

	write_file(path, "shrink", 12, 8 * ws);
	wm = new_wm(m, PW_WM_SLIDING, ws, 1 << 20, 4);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 0, 10), 0);
	pw_cursor_release(&cur);
	assert_int_equal(truncate(path, 4 * ws), 0);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 6 * ws, 10), PW_ECHANGED);
	assert_non_null(strstr(pw_error_last(), path));
	assert_non_null(strstr(pw_error_last(), "truncated"));
	assert_null(cur.win);
	/* The window mapped before the truncation is still counted, and intact. */
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.windows, 1);
	assert_int_equal(s.fds, 1);
	check_budgets(wm);
	pw_wm_close(f);
	pw_wm_free(wm);
}

static void test_lend_return(void **state)
{
	const struct mode *m = *state;
	char pa[PATH_MAX], pb[PATH_MAX], pc[PATH_MAX], pd[PATH_MAX];
	pw_wm_file *a, *b, *c, *d;
	int fa, fa2, fb, fd;
	unsigned char buf[64];
	struct stat st;
	pw_wm_stats s;
	pw_wm *wm;

	write_file(pa, "lend-a", 20, 3 * page);
	write_file(pb, "lend-b", 21, 3 * page);
	write_file(pc, "lend-c", 22, 3 * page);
	write_file(pd, "lend-d", 23, 3 * page);
	wm = new_wm(m, PW_WM_SLIDING, 0, 0, 2);
	assert_int_equal(pw_wm_open(&a, wm, pa), 0);
	assert_int_equal(pw_wm_open(&b, wm, pb), 0);
	assert_int_equal(pw_wm_lend_fd(&fa, a), 0);
	assert_int_equal(pw_wm_lend_fd(&fa2, a), 0);
	assert_int_equal(fa, fa2);
	assert_int_equal(pread(fa, buf, sizeof(buf), 1000), (ssize_t)sizeof(buf));
	assert_true(check_bytes(buf, 20, 1000, sizeof(buf)));
	assert_true((fcntl(fa, F_GETFD) & FD_CLOEXEC) != 0);
	assert_true((fcntl(fa, F_GETFL) & O_NONBLOCK) == 0);
	/* Opening c closes b's descriptor, not the lent one of a. */
	assert_int_equal(pw_wm_open(&c, wm, pc), 0);
	assert_int_equal(fstat(fa, &st), 0);
	assert_int_equal(pread(fa, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_true(check_bytes(buf, 20, 0, sizeof(buf)));
	check_budgets(wm);
	/* Lending b re-opens it and closes c's. */
	assert_int_equal(pw_wm_lend_fd(&fb, b), 0);
	assert_int_equal(pread(fb, buf, sizeof(buf), 7), (ssize_t)sizeof(buf));
	assert_true(check_bytes(buf, 21, 7, sizeof(buf)));
	check_budgets(wm);
	/* All descriptors lent: nothing more can open. */
	assert_int_equal(pw_wm_open(&d, wm, pd), PW_ELIMIT);
	assert_non_null(strstr(pw_error_last(), "lent"));
	assert_int_equal(pw_wm_read(buf, c, 0, 10), PW_ELIMIT);
	pw_wm_return_fd(a);
	assert_int_equal(pw_wm_open(&d, wm, pd), PW_ELIMIT); /* a lent once more */
	pw_wm_return_fd(a);
	assert_int_equal(pw_wm_open(&d, wm, pd), 0);
	assert_int_equal(pw_wm_read(buf, c, 0, 10), 0);
	assert_true(check_bytes(buf, 22, 0, 10));
	assert_int_equal(pw_wm_lend_fd(&fd, d), 0);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.fds, 2);
	assert_true(s.fds_peak <= 2);
	check_budgets(wm);
	pw_wm_return_fd(b);
	pw_wm_return_fd(d);
	pw_wm_return_fd(d); /* one too many: ignored */
	pw_wm_close(a);
	pw_wm_close(b);
	pw_wm_close(c);
	pw_wm_close(d);
	check_budgets(wm);
	pw_wm_free(wm);
}

static void test_close_releases(void **state)
{
	const struct mode *m = *state;
	char path[PATH_MAX], name[16];
	pw_wm_file *f[5];
	pw_cursor cur;
	const unsigned char *p;
	size_t avail;
	pw_wm_stats s;
	pw_wm *wm;
	int fd;

	wm = new_wm(m, PW_WM_SLIDING, 2 * page, 1 << 20, 8);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "close%d", i);
		write_file(path, name, 30 + (uint32_t)i, 10 * page);
		assert_int_equal(pw_wm_open(&f[i], wm, path), 0);
		pw_cursor_init(&cur, f[i]);
		for (uint64_t off = 0; off < 9 * page; off += page)
			assert_int_equal(pw_cursor_get(&p, &avail, &cur, off, 10), 0);
		pw_cursor_release(&cur);
	}
	assert_int_equal(pw_wm_lend_fd(&fd, f[2]), 0);
	pw_wm_return_fd(f[2]);
	assert_int_equal(proc_fds(), 5);
	check_budgets(wm);
	pw_wm_close(f[0]);
	pw_wm_close(f[3]);
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.fds, 3);
	assert_int_equal(proc_fds(), 3);
	check_budgets(wm);
	/* pw_wm_free closes what is still open. */
	pw_wm_free(wm);
	assert_int_equal(proc_fds(), 0);
	assert_int_equal(proc_maps(NULL), 0);
}

static void test_invalid_args(void **state)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	pw_wm *wm = NULL;
	pw_wm_file *f = NULL;
	pw_cursor cur;
	const unsigned char *p;
	unsigned char buf[4];
	size_t avail;
	char path[PATH_MAX];
	int fd;

	assert_int_equal(pw_wm_new(NULL, NULL), PW_EINVALID);
	o.version = 99;
	assert_int_equal(pw_wm_new(&wm, &o), PW_EINVALID);
	assert_null(wm);
	assert_string_equal(pw_error_last(), "pw_wm_options: version 99, expected 1");
	o.version = 0;
	assert_int_equal(pw_wm_new(&wm, &o), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_wm_options: version 0, expected 1");
	o.version = PW_WM_OPTIONS_VERSION;
	o.mode = (pw_wm_mode)7;
	assert_int_equal(pw_wm_new(&wm, &o), PW_EINVALID);
	o.mode = PW_WM_SLIDING;
	o.memory_limit = 100;
	assert_int_equal(pw_wm_new(&wm, &o), PW_EINVALID);
	o.memory_limit = 0;
	o.window_size = SIZE_MAX - 10;
	assert_int_equal(pw_wm_new(&wm, &o), PW_EINVALID);

	assert_int_equal(pw_wm_new(&wm, NULL), 0);
	pw_wm_get_options(&o, wm);
	assert_int_equal(o.window_size, 32u << 20);
	assert_int_equal(o.memory_limit, (size_t)1 << 30);
	assert_int_equal(o.fd_limit, 64);
	assert_int_equal(o.mode, PW_WM_SLIDING);
	assert_int_equal(o.no_mmap, 0);

	assert_int_equal(pw_wm_open(NULL, wm, "x"), PW_EINVALID);
	assert_int_equal(pw_wm_open(&f, NULL, "x"), PW_EINVALID);
	assert_int_equal(pw_wm_open(&f, wm, NULL), PW_EINVALID);
	assert_int_equal(pw_wm_open(&f, wm, ""), PW_EINVALID);
	assert_int_equal(pw_wm_open(&f, wm, tmpdir), PW_EINVALID);
	assert_non_null(strstr(pw_error_last(), "not a regular file"));
	assert_null(f);
	assert_int_equal(proc_fds(), 0);
	/* A FIFO is refused, not waited on. */
	tmp_path(path, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(pw_wm_open(&f, wm, path), PW_EINVALID);
	assert_int_equal(unlink(path), 0);

	write_file(path, "empty", 40, 0);
	assert_int_equal(pw_wm_open(&f, wm, path), 0);
	assert_int_equal(pw_wm_file_size(f), 0);
	pw_cursor_init(&cur, f);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 0, 0), PW_EINVALID);
	assert_int_equal(pw_cursor_get(&p, &avail, &cur, 0, 1), PW_ECORRUPT);
	assert_int_equal(pw_cursor_move(NULL, &avail, &cur, 0, 1), PW_EINVALID);
	assert_int_equal(pw_wm_read(buf, f, 0, 0), 0);
	assert_int_equal(pw_wm_read(buf, f, 0, 1), PW_ECORRUPT);
	assert_int_equal(pw_wm_read(NULL, f, 0, 1), PW_EINVALID);
	assert_int_equal(pw_wm_read(buf, NULL, 0, 1), PW_EINVALID);
	assert_int_equal(pw_wm_lend_fd(NULL, f), PW_EINVALID);
	assert_int_equal(pw_wm_lend_fd(&fd, NULL), PW_EINVALID);
	pw_cursor_release(&cur);
	pw_cursor_release(NULL);
	pw_wm_return_fd(NULL);
	pw_wm_close(f);
	pw_wm_close(NULL);
	pw_wm_free(wm);
	pw_wm_free(NULL);
}

static void test_not_found(void **state)
{
	const struct mode *m = *state;
	char path[PATH_MAX];
	pw_wm_file *f = (pw_wm_file *)&f;
	pw_wm_stats s;
	pw_wm *wm = new_wm(m, PW_WM_SLIDING, 0, 0, 0);

	tmp_path(path, "does-not-exist");
	assert_int_equal(pw_wm_open(&f, wm, path), PW_ENOTFOUND);
	assert_null(f);
	assert_non_null(strstr(pw_error_last(), path));
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.fds, 0);
	assert_int_equal(proc_fds(), 0);
	pw_wm_free(wm);
}

static void test_many_files_fd_budget(void **state)
{
	const struct mode *m = *state;
	char path[PATH_MAX], name[16];
	pw_wm_file *f[10];
	unsigned char buf[100];
	pw_wm_stats s;
	pw_wm *wm;

	wm = new_wm(m, PW_WM_SLIDING, 2 * page, 8 * page, 3);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		write_file(path, name, 50 + (uint32_t)i, 5 * page + (uint64_t)i);
		assert_int_equal(pw_wm_open(&f[i], wm, path), 0);
		check_budgets(wm);
	}
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 10; i++) {
			uint64_t off = rnd(5 * page + (uint64_t)i - sizeof(buf));
			assert_int_equal(pw_wm_read(buf, f[i], off, sizeof(buf)), 0);
			assert_true(check_bytes(buf, 50 + (uint32_t)i, off, sizeof(buf)));
			check_budgets(wm);
		}
	}
	pw_wm_get_stats(&s, wm);
	assert_int_equal(s.fds_peak, 3);
	assert_true(s.fd_evictions >= 7);
	for (int i = 0; i < 10; i++)
		pw_wm_close(f[i]);
	pw_wm_free(wm);
}

/* Every allocation the manager makes may fail: clean errors, nothing leaked. */
static void test_out_of_memory(void **state)
{
	const struct mode *m = *state;
	char path[PATH_MAX];
	unsigned char buf[3 * 8192];
	int completed = 0, failures = 0;

	write_file(path, "oom", 60, 40 * page);
	for (long n = 0; n < 200 && !completed; n++) {
		pw_wm_options o = PW_WM_OPTIONS_INIT;
		pw_wm *wm = NULL;
		pw_wm_file *f = NULL;
		pw_cursor cur;
		const unsigned char *p;
		size_t avail;
		int err;

		o.window_size = 2 * page;
		o.memory_limit = 64 * page;
		o.no_mmap = m->no_mmap;
		test_alloc_fail_after(n);
		err = pw_wm_new(&wm, &o);
		if (!err)
			err = pw_wm_open(&f, wm, path);
		if (!err) {
			/* Enough windows to grow the file's window array. */
			pw_cursor_init(&cur, f);
			for (uint64_t off = 0; off < 39 * page && !err; off += page)
				err = pw_cursor_get(&p, &avail, &cur, off, 10);
			pw_cursor_release(&cur);
		}
		if (!err)
			err = pw_wm_read(buf, f, 100, sizeof(buf));
		test_alloc_fail_after(-1);
		if (!err) {
			assert_true(check_bytes(buf, 60, 100, sizeof(buf)));
			completed = 1;
		} else {
			assert_int_equal(err, PW_ENOMEM);
			failures++;
		}
		pw_wm_close(f);
		pw_wm_free(wm);
		assert_int_equal(proc_fds(), 0);
		assert_int_equal(proc_maps(NULL), 0);
	}
	assert_true(completed);
	/* new, path, file, ~20 windows, array growth (and buffers). */
	assert_true(failures > 20);
}

#define BOTH(fn)                                                                      \
	cmocka_unit_test_prestate_setup_teardown(fn, test_setup, test_teardown, &mode_mmap), \
	cmocka_unit_test_prestate_setup_teardown(fn, test_setup, test_teardown, &mode_pread)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_sliding_reads),
		BOTH(test_budget_random),
		BOTH(test_lru_order),
		BOTH(test_pinned_never_unmapped),
		BOTH(test_whole_file),
		BOTH(test_read_tiny_windows),
		BOTH(test_changed_while_closed),
		BOTH(test_truncated_fd_open),
		BOTH(test_lend_return),
		BOTH(test_close_releases),
		BOTH(test_not_found),
		BOTH(test_many_files_fd_budget),
		BOTH(test_out_of_memory),
		cmocka_unit_test_setup_teardown(test_invalid_args, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
