/* wm.c: the window manager object: options and defaults, lifetime, statistics. */
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "window/internal.h"
#include "util/banned.h"

#define DEFAULT_WINDOW_SIZE ((size_t)32 << 20)
#define DEFAULT_MEMORY_LIMIT ((size_t)1 << 30)
#define DEFAULT_FD_LIMIT 64u

int pw_wm_new(pw_wm **out, const pw_wm_options *opts)
{
	pw_wm_options o = PW_WM_OPTIONS_INIT;
	size_t page, unit, ws;
	long sys_page;
	pw_wm *wm;
	int error;

	if (!out)
		return pw__error_set(PW_EINVALID, "pw_wm_new: out is NULL");
	*out = NULL;
	if ((error = pw__check_version(opts, PW_WM_OPTIONS_VERSION, "pw_wm_options")) < 0)
		return error;
	if (opts)
		o = *opts;
	if (o.mode != PW_WM_SLIDING && o.mode != PW_WM_WHOLE_FILE)
		return pw__error_set(PW_EINVALID, "pw_wm_new: unknown mode %d",
			(int)o.mode);

	sys_page = sysconf(_SC_PAGESIZE);
	page = sys_page > 0 ? (size_t)sys_page : 4096;

	/*
	 * Windows start every window_size / 2 bytes and mmap offsets must be
	 * page aligned, so the window size is a whole number of page pairs.
	 */
	unit = 2 * page;
	ws = o.window_size ? o.window_size : DEFAULT_WINDOW_SIZE;
	/*
	 * A default window must leave room for the others: a pack cursor, an
	 * idx cursor and a worker's pair each pin one. So it is at most a
	 * quarter of the memory limit (an explicit size is taken as given).
	 */
	if (!o.window_size && o.memory_limit && ws > o.memory_limit / 4)
		ws = o.memory_limit / 4 / unit * unit;
	if (!ws)
		ws = unit;
	if (ws > SIZE_MAX - unit)
		return pw__error_set(PW_EINVALID,
			"pw_wm_new: window_size %zu is too large", ws);
	ws = (ws + unit - 1) / unit * unit;
	o.window_size = ws;
	if (!o.memory_limit)
		o.memory_limit = DEFAULT_MEMORY_LIMIT;
	if (o.memory_limit < page)
		return pw__error_set(PW_EINVALID,
			"pw_wm_new: memory_limit %zu is smaller than one page (%zu)",
			o.memory_limit, page);
	if (!o.fd_limit)
		o.fd_limit = DEFAULT_FD_LIMIT;
	o.no_mmap = o.no_mmap ? 1 : 0;

	wm = pw__calloc(1, sizeof(*wm));
	if (!wm)
		return pw__error_nomem();
	if (pthread_mutex_init(&wm->lock, NULL) != 0) {
		pw__free(wm);
		return pw__error_set(PW_EOS, "pw_wm_new: cannot create mutex");
	}
	pw__list_init(&wm->lru);
	pw__list_init(&wm->fds);
	pw__list_init(&wm->files);
	wm->opts = o;
	wm->page = page;
	wm->step = ws / 2;
	*out = wm;
	return 0;
}

void pw_wm_free(pw_wm *wm)
{
	if (!wm)
		return;
	/* Files left open are closed, so nothing the manager holds leaks. */
	while (!pw__list_empty(&wm->files))
		pw_wm_close(PW_LIST_ENTRY(pw__list_first(&wm->files), pw_wm_file, node));
	pthread_mutex_destroy(&wm->lock);
	pw__free(wm);
}

void pw_wm_get_stats(pw_wm_stats *out, pw_wm *wm)
{
	if (!out)
		return;
	if (!wm) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&wm->lock);
	*out = wm->stats;
	pthread_mutex_unlock(&wm->lock);
}

void pw_wm_get_options(pw_wm_options *out, const pw_wm *wm)
{
	if (!out)
		return;
	if (!wm) {
		pw_wm_options def = PW_WM_OPTIONS_INIT;
		*out = def;
		return;
	}
	*out = wm->opts;
}
