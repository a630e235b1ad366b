/* window.c: windows over a file: lookup, placement, the memory budget, LRU eviction, pinning. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "util/alloc.h"
#include "util/error.h"
#include "window/internal.h"
#include "util/banned.h"

static uint64_t page_down(uint64_t x, uint64_t page)
{
	return x & ~(page - 1);
}

static uint64_t page_up(uint64_t x, uint64_t page)
{
	return (x + page - 1) & ~(page - 1);
}

/* The LRU list holds exactly the unpinned windows, least recently used first. */
static void lru_unlink(pw_wm *wm, pw_window *w)
{
	pw__list_remove(&w->lru);
	wm->lru_bytes -= w->charge;
}

static void lru_append(pw_wm *wm, pw_window *w)
{
	pw__list_push_back(&wm->lru, &w->lru);
	wm->lru_bytes += w->charge;
}

/* The least recently used unpinned window, or NULL. */
static pw_window *lru_oldest(const pw_wm *wm)
{
	pw_list *n = pw__list_first(&wm->lru);

	return n ? PW_LIST_ENTRY(n, pw_window, lru) : NULL;
}

void pw__window_pin(pw_window *w)
{
	if (w->pins++ == 0)
		lru_unlink(w->file->wm, w);
}

void pw__window_unpin(pw_window *w)
{
	/* Unpinning is the "use" that orders the LRU list. */
	if (w->pins && --w->pins == 0) {
		lru_append(w->file->wm, w);
		/* a released file keeps no window nobody reads */
		if (w->file->released)
			pw__window_destroy(w);
	}
}

/* Index of the first window of `f` whose start is greater than `off`. */
static size_t upper_bound(const pw_wm_file *f, uint64_t off)
{
	size_t lo = 0, hi = f->wins.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->wins.v[mid]->start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

pw_window *pw__window_find(pw_wm_file *f, uint64_t off, size_t need)
{
	uint64_t end = off + need;
	size_t i = upper_bound(f, off);

	/*
	 * Only windows starting at or before `off` can cover it, and none is
	 * longer than max_len: walk back from the last such start until a
	 * window starting that far back could no longer reach `end`.
	 */
	while (i > 0) {
		pw_window *w = f->wins.v[--i];
		if (w->start + w->len >= end)
			return w;
		if (w->start + f->max_len < end)
			break;
	}
	return NULL;
}

static int wins_insert(pw_wm_file *f, pw_window *w)
{
	size_t i;

	if (PW_ARRAY_RESERVE(&f->wins, f->wins.n + 1, 8) != 0)
		return pw__error_nomem();
	i = upper_bound(f, w->start);
	memmove(&f->wins.v[i + 1], &f->wins.v[i], (f->wins.n - i) * sizeof(*f->wins.v));
	f->wins.v[i] = w;
	f->wins.n++;
	if (w->len > f->max_len)
		f->max_len = w->len;
	return 0;
}

static void wins_remove(pw_wm_file *f, pw_window *w)
{
	size_t i = upper_bound(f, w->start);

	while (i > 0 && f->wins.v[i - 1] != w)
		i--;
	if (i == 0)
		return; /* not there: cannot happen */
	i--;
	memmove(&f->wins.v[i], &f->wins.v[i + 1], (f->wins.n - i - 1) * sizeof(*f->wins.v));
	f->wins.n--;
	if (!f->wins.n)
		f->max_len = 0;
}

static void release_bytes(pw_window *w)
{
	if (w->buffered)
		pw__free(w->base);
	else
		munmap(w->base, w->len);
}

void pw__window_destroy(pw_window *w)
{
	pw_wm_file *f = w->file;
	pw_wm *wm = f->wm;

	if (!w->pins)
		lru_unlink(wm, w);
	wins_remove(f, w);
	release_bytes(w);
	wm->stats.mapped -= w->charge;
	wm->stats.windows--;
	wm->stats.unmaps++;
	pw__free(w);
}

/*
 * Where a new window covering [off, off + need) should go: [*ds, *de) is
 * the preferred extent, [*ms, *me) the least that serves the request.
 * Both are page aligned; ends are the page-rounded clipped file end at most.
 */
static void placement(const pw_wm_file *f, uint64_t off, size_t need,
	uint64_t *ds, uint64_t *de, uint64_t *ms, uint64_t *me)
{
	const pw_wm *wm = f->wm;
	uint64_t page = wm->page, end = off + need, ws = wm->opts.window_size;
	uint64_t want_end;

	*ms = page_down(off, page);
	*me = page_up(end, page);
	if (wm->opts.mode == PW_WM_WHOLE_FILE) {
		*ds = 0;
		want_end = f->size;
	} else if (need <= wm->step) {
		/*
		 * Starts are multiples of window_size / 2, so the range, no
		 * longer than half a window and starting in the first half,
		 * ends inside the window.
		 */
		*ds = off / wm->step * wm->step;
		want_end = *ds + ws;
	} else {
		*ds = *ms;
		want_end = *ds + ws > end ? *ds + ws : end;
	}
	if (want_end > f->size)
		want_end = f->size;
	*de = page_up(want_end, page);
}

/* A window's bytes in a pw__malloc'd buffer, filled by pread. */
static int read_bytes(unsigned char **out, pw_wm_file *f, int fd, uint64_t start,
	size_t len)
{
	unsigned char *buf = pw__malloc(len);
	int err;

	if (!buf)
		return pw__error_set(PW_ENOMEM,
			"%s: offset %" PRIu64 ": cannot allocate a %zu-byte window",
			f->path, start, len);
	err = pw__file_pread(f, fd, buf, len, start);
	if (err) {
		pw__free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

static int map_bytes(unsigned char **out, int *buffered, pw_wm_file *f, int fd,
	uint64_t start, size_t len)
{
	pw_wm *wm = f->wm;
	void *p;
	int err;

	*buffered = 0;
	if (wm->opts.no_mmap) {
		*buffered = 1;
		return read_bytes(out, f, fd, start, len);
	}
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
	if (p == MAP_FAILED && (errno == ENOMEM || errno == EAGAIN) &&
	    !pw__list_empty(&wm->lru)) {
		/*
		 * Out of address space or of mappings (vm.max_map_count), which
		 * our budget does not see: as git's xmmap does, give back every
		 * unpinned window and try once more.
		 */
		while (!pw__list_empty(&wm->lru)) {
			pw__window_destroy(lru_oldest(wm));
			wm->stats.evictions++;
		}
		p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
	}
	if (p != MAP_FAILED) {
		*out = p;
		return 0;
	}
	if (errno != ENOMEM && errno != EAGAIN)
		return pw__error_os("%s: offset %" PRIu64 ": mmap of %zu bytes failed",
			f->path, start, len);
	/*
	 * Still no mapping: a heap buffer of the same length (and the same
	 * charge against the budget) may yet be had, and one window read
	 * through pread serves the request as well as a mapping would.
	 */
	err = read_bytes(out, f, fd, start, len);
	if (err)
		return err;
	*buffered = 1;
	wm->stats.mmap_fallbacks++;
	return 0;
}

int pw__window_create(pw_window **out, pw_wm_file *f, uint64_t off, size_t need)
{
	pw_wm *wm = f->wm;
	uint64_t page = wm->page, limit = wm->opts.memory_limit;
	uint64_t ds, de, ms, me, s, e, room, pinned;
	pw_window *w;
	int fd, err;

	*out = NULL;
	placement(f, off, need, &ds, &de, &ms, &me);

	/* Before spending budget: the descriptor, re-opened and checked. */
	err = pw__file_fd(&fd, f);
	if (err)
		return err;

	/*
	 * If even the least that serves the request cannot fit beside the
	 * pinned windows, fail before evicting anything in vain.
	 */
	pinned = wm->stats.mapped - wm->lru_bytes;
	if (page_down(limit - pinned, page) < me - ms)
		return pw__error_set(PW_ELIMIT,
			"%s: offset %" PRIu64 ": cannot map %zu bytes (%" PRIu64
			" with page alignment) within the memory limit of %" PRIu64
			" bytes: %" PRIu64 " bytes are pinned by cursors",
			f->path, off, need, me - ms, limit, pinned);

	while (wm->stats.mapped + (de - ds) > limit && !pw__list_empty(&wm->lru)) {
		pw__window_destroy(lru_oldest(wm));
		wm->stats.evictions++;
	}
	room = page_down(limit - wm->stats.mapped, page);

	if (de - ds <= room) {
		s = ds;
		e = de;
	} else {
		/*
		 * Pinned windows leave too little room: keep the part from the
		 * request forwards (reads mostly move forwards), then extend
		 * backwards with what is left.
		 */
		e = ms + room < de ? ms + room : de;
		s = e - room > ds ? e - room : ds;
	}

	w = pw__calloc(1, sizeof(*w));
	if (!w)
		return pw__error_nomem();
	w->file = f;
	pw__list_init(&w->lru);
	w->start = s;
	w->len = (size_t)((e < f->size ? e : f->size) - s);
	w->charge = (size_t)(e - s);
	err = map_bytes(&w->base, &w->buffered, f, fd, s, w->len);
	if (err) {
		pw__free(w);
		return err;
	}
	err = wins_insert(f, w);
	if (err) {
		release_bytes(w);
		pw__free(w);
		return err;
	}
	w->pins = 1;
	wm->stats.mapped += w->charge;
	if (wm->stats.mapped > wm->stats.mapped_peak)
		wm->stats.mapped_peak = wm->stats.mapped;
	wm->stats.windows++;
	wm->stats.maps++;
	*out = w;
	return 0;
}
