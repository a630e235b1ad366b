/* file.c: registered files: opening, the descriptor budget and its LRU, identity checks, lending. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "window/internal.h"
#include "util/banned.h"

/* The fd LRU list holds files whose descriptor is open and not lent. */
static void fd_unlink(pw_wm_file *f)
{
	pw__list_remove(&f->fd_lru);
}

static void fd_append(pw_wm *wm, pw_wm_file *f)
{
	pw__list_push_back(&wm->fds, &f->fd_lru);
}

static void sys_close(pw_wm *wm, int fd)
{
	/* Linux releases the descriptor even when close fails (EINTR too). */
	close(fd);
	wm->stats.fds--;
	wm->stats.closes++;
}

static void close_fd(pw_wm_file *f)
{
	if (f->fd < 0)
		return;
	if (!f->lent)
		fd_unlink(f);
	sys_close(f->wm, f->fd);
	f->fd = -1;
}

/* Close least-recently-used unlent descriptors until one more fits. */
static int make_fd_room(pw_wm *wm, const char *path)
{
	while (wm->stats.fds >= wm->opts.fd_limit) {
		pw_list *oldest = pw__list_first(&wm->fds);
		if (!oldest)
			return pw__error_set(PW_ELIMIT,
				"%s: cannot open: all %u descriptors of the budget are lent",
				path, wm->opts.fd_limit);
		close_fd(PW_LIST_ENTRY(oldest, pw_wm_file, fd_lru));
		wm->stats.fd_evictions++;
	}
	return 0;
}

/* open(2) within the budget; the descriptor is counted on success. */
static int sys_open(int *fd_out, pw_wm *wm, const char *path, struct stat *st)
{
	int fd, err;

	err = make_fd_room(wm, path);
	if (err)
		return err;
	/* O_NONBLOCK: a FIFO at the path must not hang us; cleared below. */
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return pw__error_os("%s: cannot open", path);
	wm->stats.opens++;
	if (++wm->stats.fds > wm->stats.fds_peak)
		wm->stats.fds_peak = wm->stats.fds;
	if (fstat(fd, st) != 0) {
		err = pw__error_os("%s: cannot stat", path);
		sys_close(wm, fd);
		return err;
	}
	/* Lent descriptors go to sendfile(2): hand them out blocking (no status flags). */
	if (S_ISREG(st->st_mode) && fcntl(fd, F_SETFL, 0) != 0) {
		err = pw__error_os("%s: cannot clear O_NONBLOCK", path);
		sys_close(wm, fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

int pw_wm_open(pw_wm_file **out, pw_wm *wm, const char *path)
{
	pw_wm_file *f;
	struct stat st;
	int fd = -1, err;

	if (!out || !wm || !path || !*path)
		return pw__error_set(PW_EINVALID, "pw_wm_open: %s is NULL or empty",
			!out ? "out" : !wm ? "wm" : "path");
	*out = NULL;
	f = pw__calloc(1, sizeof(*f));
	if (!f)
		return pw__error_nomem();
	pw__list_init(&f->fd_lru);
	pw__list_init(&f->node);
	f->path = pw__strdup(path);
	if (!f->path) {
		pw__free(f);
		return pw__error_nomem();
	}

	pthread_mutex_lock(&wm->lock);
	err = sys_open(&fd, wm, path, &st);
	if (err)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		err = pw__error_set(PW_EINVALID, "%s: not a regular file", path);
		sys_close(wm, fd);
		goto out;
	}
	f->wm = wm;
	f->size = (uint64_t)st.st_size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->mtime_sec = (int64_t)st.st_mtim.tv_sec;
	f->mtime_nsec = st.st_mtim.tv_nsec;
	f->fd = fd;
	fd_append(wm, f);
	pw__list_push_front(&wm->files, &f->node);
out:
	pthread_mutex_unlock(&wm->lock);
	if (err) {
		pw__free(f->path);
		pw__free(f);
		return err;
	}
	*out = f;
	return 0;
}

void pw_wm_close(pw_wm_file *f)
{
	pw_wm *wm;

	if (!f)
		return;
	wm = f->wm;
	pthread_mutex_lock(&wm->lock);
	/* Cursors and lent descriptors must be gone (documented); unmap all. */
	while (f->wins.n)
		pw__window_destroy(f->wins.v[f->wins.n - 1]);
	if (f->lent && f->fd >= 0) {
		f->lent = 0;
		fd_append(wm, f); /* so that close_fd finds it listed */
	}
	close_fd(f);
	pw__list_remove(&f->node);
	pthread_mutex_unlock(&wm->lock);
	PW_ARRAY_FREE(&f->wins);
	pw__free(f->path);
	pw__free(f);
}

uint64_t pw_wm_file_size(const pw_wm_file *f)
{
	return f ? f->size : 0;
}

const char *pw_wm_file_path(const pw_wm_file *f)
{
	return f ? f->path : NULL;
}

/* Re-open a file whose descriptor was closed, and check it is the same file. */
static int reopen(pw_wm_file *f)
{
	pw_wm *wm = f->wm;
	struct stat st;
	int fd, err;

	err = sys_open(&fd, wm, f->path, &st);
	if (err == PW_ENOTFOUND)
		return pw__error_set(PW_ECHANGED, "%s was removed while open",
			f->path);
	if (err)
		return err;
	if (st.st_dev != f->dev || st.st_ino != f->ino)
		err = pw__error_set(PW_ECHANGED,
			"%s was replaced while open (device/inode differ)", f->path);
	else if ((uint64_t)st.st_size != f->size)
		err = pw__error_set(PW_ECHANGED,
			"%s was truncated or extended while open "
			"(size %" PRIu64 ", registered %" PRIu64 ")",
			f->path, (uint64_t)st.st_size, f->size);
	else if ((int64_t)st.st_mtim.tv_sec != f->mtime_sec ||
		 st.st_mtim.tv_nsec != f->mtime_nsec)
		err = pw__error_set(PW_ECHANGED,
			"%s was modified while open (mtime differs)", f->path);
	if (err) {
		sys_close(wm, fd);
		return err;
	}
	f->fd = fd;
	if (!f->lent)
		fd_append(wm, f);
	return 0;
}

int pw__file_fd(int *fd_out, pw_wm_file *f)
{
	pw_wm *wm = f->wm;
	struct stat st;
	int err;

	if (f->released)
		return pw__error_set(PW_ECHANGED,
			"%s is gone: its windows and descriptor were released", f->path);
	if (f->fd < 0) {
		err = reopen(f);
		if (err)
			return err;
	} else {
		/*
		 * Mapping past the end of a file that shrank would give SIGBUS
		 * on access; refuse while we still can.
		 */
		if (fstat(f->fd, &st) != 0)
			return pw__error_os("%s: cannot stat", f->path);
		if ((uint64_t)st.st_size < f->size)
			return pw__error_set(PW_ECHANGED,
				"%s was truncated while open "
				"(size %" PRIu64 ", registered %" PRIu64 ")",
				f->path, (uint64_t)st.st_size, f->size);
		if (!f->lent) {
			fd_unlink(f);
			fd_append(wm, f);
		}
	}
	*fd_out = f->fd;
	return 0;
}

int pw__file_pread(pw_wm_file *f, int fd, unsigned char *buf, size_t len,
	uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pw__error_os("%s: offset %" PRIu64 ": read failed",
				f->path, off + done);
		}
		if (n == 0)
			return pw__error_set(PW_ECHANGED,
				"%s: offset %" PRIu64 ": file was truncated while open "
				"(registered size %" PRIu64 ")",
				f->path, off + done, f->size);
		done += (size_t)n;
	}
	return 0;
}

int pw_wm_lend_fd(int *fd_out, pw_wm_file *f)
{
	pw_wm *wm;
	int fd, err;

	if (!fd_out || !f)
		return pw__error_set(PW_EINVALID, "pw_wm_lend_fd: %s is NULL",
			!fd_out ? "fd_out" : "file");
	*fd_out = -1;
	wm = f->wm;
	pthread_mutex_lock(&wm->lock);
	err = pw__file_fd(&fd, f);
	if (!err) {
		if (f->lent++ == 0)
			fd_unlink(f);
		*fd_out = fd;
	}
	pthread_mutex_unlock(&wm->lock);
	return err;
}

void pw_wm_return_fd(pw_wm_file *f)
{
	pw_wm *wm;

	if (!f)
		return;
	wm = f->wm;
	pthread_mutex_lock(&wm->lock);
	if (f->lent && --f->lent == 0 && f->fd >= 0) {
		fd_append(wm, f);
		if (f->released)
			close_fd(f);
	}
	pthread_mutex_unlock(&wm->lock);
}

int pw__wm_file_release(pw_wm_file *f)
{
	pw_wm *wm;
	size_t i;
	int done;

	if (!f)
		return 1;
	wm = f->wm;
	pthread_mutex_lock(&wm->lock);
	f->released = 1;
	for (i = f->wins.n; i > 0; i--)
		if (!f->wins.v[i - 1]->pins)
			pw__window_destroy(f->wins.v[i - 1]);
	if (!f->lent)
		close_fd(f);
	done = !f->wins.n && f->fd < 0;
	pthread_mutex_unlock(&wm->lock);
	return done;
}
