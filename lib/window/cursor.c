/* cursor.c: cursors (the locked slow path behind pw_cursor_get), pw_wm_read built on them, and binary search of a table through one. */
#include <inttypes.h>
#include <string.h>

#include "util/error.h"
#include "window/internal.h"
#include "window/search.h"
#include "util/banned.h"

void pw_cursor_init(pw_cursor *cur, pw_wm_file *file)
{
	if (!cur)
		return;
	memset(cur, 0, sizeof(*cur));
	cur->file = file;
}

static void cursor_clear(pw_cursor *cur)
{
	cur->win = NULL;
	cur->base = NULL;
	cur->start = 0;
	cur->end = 0;
}

void pw_cursor_release(pw_cursor *cur)
{
	pw_wm *wm;

	if (!cur || !cur->file || (!cur->win && !cur->local_hits))
		return;
	wm = cur->file->wm;
	pthread_mutex_lock(&wm->lock);
	wm->stats.hits += cur->local_hits;
	cur->local_hits = 0;
	if (cur->win)
		pw__window_unpin(cur->win);
	pthread_mutex_unlock(&wm->lock);
	cursor_clear(cur);
}

static int past_end(const pw_wm_file *f, uint64_t offset, size_t need)
{
	return pw__error_set(PW_ECORRUPT,
		"%s: offset %" PRIu64 ": read past end of file "
		"(%zu bytes wanted, file size %" PRIu64 ")",
		f->path, offset, need, f->size);
}

int pw_cursor_move(const unsigned char **out, size_t *avail, pw_cursor *cur,
	uint64_t offset, size_t need)
{
	pw_wm_file *f;
	pw_wm *wm;
	pw_window *w;
	int err = 0;

	if (!out || !avail || !cur || !cur->file)
		return pw__error_set(PW_EINVALID, "pw_cursor_move: %s is NULL",
			!out ? "out" : !avail ? "avail" : !cur ? "cursor" : "cursor's file");
	f = cur->file;
	if (need == 0)
		return pw__error_set(PW_EINVALID,
			"%s: offset %" PRIu64 ": cursor request of 0 bytes", f->path, offset);
	if (offset > f->size || need > f->size - offset)
		return past_end(f, offset, need);

	wm = f->wm;
	pthread_mutex_lock(&wm->lock);
	wm->stats.hits += cur->local_hits;
	cur->local_hits = 0;
	if (cur->win)
		pw__window_unpin(cur->win);
	w = pw__window_find(f, offset, need);
	if (w) {
		wm->stats.hits++;
		pw__window_pin(w);
	} else {
		wm->stats.misses++;
		err = pw__window_create(&w, f, offset, need);
	}
	pthread_mutex_unlock(&wm->lock);

	if (err) {
		cursor_clear(cur);
		return err;
	}
	cur->win = w;
	cur->base = w->base;
	cur->start = w->start;
	cur->end = w->start + w->len;
	*out = cur->base + (offset - cur->start);
	*avail = (size_t)(cur->end - offset);
	return 0;
}

void pw__cursor_drop_behind(pw_cursor *cur)
{
	pw_wm_file *f;
	pw_wm *wm;
	size_t i;

	if (!cur || !cur->win)
		return;
	f = cur->file;
	wm = f->wm;
	pthread_mutex_lock(&wm->lock);
	/* sorted by start: once one reaches the cursor's window, the rest start later */
	for (i = 0; i < f->wins.n;) {
		pw_window *w = f->wins.v[i];
		if (w->start >= cur->start)
			break;
		if (!w->pins && w->start + w->len <= cur->start) {
			pw__window_destroy(w); /* shifts the rest down */
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&wm->lock);
}

int pw__cursor_get_seq(const unsigned char **out, size_t *avail, pw_cursor *cur,
	uint64_t offset)
{
	int moved_on = cur->win && offset >= cur->end, error;

	if ((error = pw_cursor_get(out, avail, cur, offset, 1)) < 0)
		return error;
	if (moved_on)
		pw__cursor_drop_behind(cur);
	return 0;
}

int pw_wm_read(void *buf, pw_wm_file *file, uint64_t offset, size_t len)
{
	unsigned char *dst = buf;
	pw_cursor cur;
	int err = 0;

	if ((!buf && len) || !file)
		return pw__error_set(PW_EINVALID, "pw_wm_read: %s is NULL",
			!file ? "file" : "buf");
	if (offset > file->size || len > file->size - offset)
		return past_end(file, offset, len);

	/*
	 * Ask for one byte at a time and copy all the window offers: the
	 * smallest request is the likeliest to fit a tight budget, and a
	 * sliding window always offers at least half its size from there.
	 */
	pw_cursor_init(&cur, file);
	while (len) {
		const unsigned char *p;
		size_t avail, n;

		err = pw_cursor_get(&p, &avail, &cur, offset, 1);
		if (err)
			break;
		n = avail < len ? avail : len;
		memcpy(dst, p, n);
		dst += n;
		offset += n;
		len -= n;
	}
	pw_cursor_release(&cur);
	return err;
}

int pw__cursor_lower_bound(uint32_t *out, pw_cursor *cur, uint64_t base, size_t stride,
	const unsigned char *key, size_t len, uint32_t lo, uint32_t hi)
{
	const unsigned char *b;
	size_t avail;
	int error;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if ((error = pw_cursor_get(&b, &avail, cur, base + (uint64_t)mid * stride, len)) < 0)
			return error;
		if (memcmp(b, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}
