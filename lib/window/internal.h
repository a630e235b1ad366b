/* internal.h: the window manager's private structures and the calls between its modules. */
#ifndef PW_WINDOW_INTERNAL_H
#define PW_WINDOW_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>

#include "packwin/window.h"
#include "util/array.h"
#include "util/list.h"

/*
 * Locking: every field below that can change after pw_wm_open returns is
 * read and written only with wm->lock held. The exceptions are a file's
 * path and size (immutable once registered) and the bytes of a pinned
 * window (never unmapped while pinned), which cursors read without it.
 */

struct pw_window {
	pw_wm_file *file;
	unsigned char *base; /* mmap'd or pw__malloc'd bytes */
	uint64_t start;      /* file offset of base[0]; page aligned */
	size_t len;          /* readable bytes, clipped to the file end */
	size_t charge;       /* len rounded up to pages: what the budget counts */
	unsigned int pins;   /* cursors (and readers) holding the window */
	int buffered;        /* base is pw__malloc'd (no-mmap mode, or mmap fell back) */
	/* On the manager's LRU list while unpinned (self-linked when pinned). */
	pw_list lru;
};

struct pw_wm_file {
	pw_wm *wm;
	char *path;
	uint64_t size;           /* as registered; never changes */
	dev_t dev;               /* identity checked on every re-open */
	ino_t ino;
	int64_t mtime_sec;
	long mtime_nsec;
	int fd;                  /* -1 while closed to stay in the fd budget */
	unsigned int lent;       /* outstanding pw_wm_lend_fd calls */
	int released;            /* pw__wm_file_release: no new window or descriptor, ever */
	/* On the manager's fd LRU list while fd >= 0 and lent == 0. */
	pw_list fd_lru;
	/* On the manager's list of every open file, so pw_wm_free can close them. */
	pw_list node;
	/* This file's windows sorted by start; max_len bounds every len. */
	PW_ARRAY(pw_window *) wins;
	size_t max_len;
};

struct pw_wm {
	pthread_mutex_t lock;
	pw_wm_options opts; /* effective: defaults filled in, sizes rounded */
	size_t page;        /* system page size */
	size_t step;        /* window_size / 2: distance between window starts */
	pw_list lru;        /* unpinned windows (pw_window.lru), oldest first */
	uint64_t lru_bytes; /* charge of the unpinned windows: what eviction can free */
	pw_list fds;        /* files with an open, unlent fd (pw_wm_file.fd_lru), oldest first */
	pw_list files;      /* every open file (pw_wm_file.node) */
	pw_wm_stats stats;
};

/* window.c (lock held for all) */

/** A window of `f` covering [off, off + need), or NULL. */
pw_window *pw__window_find(pw_wm_file *f, uint64_t off, size_t need);

/**
 * Create a window covering [off, off + need) within the memory budget,
 * evicting unpinned windows in LRU order and shrinking the window if
 * pinned ones leave too little room. The new window is returned pinned.
 */
int pw__window_create(pw_window **out, pw_wm_file *f, uint64_t off, size_t need);

void pw__window_pin(pw_window *w);
void pw__window_unpin(pw_window *w);

/** Unmap (or free) a window, pinned or not, and forget it. */
void pw__window_destroy(pw_window *w);

/* file.c (lock held for all) */

/**
 * The descriptor of `f`, re-opened (within the fd budget, identity
 * checked) if it was closed, and checked not to have shrunk. Marks the
 * descriptor as most recently used.
 */
int pw__file_fd(int *fd_out, pw_wm_file *f);

/** pread exactly `len` bytes at `off`, looping over EINTR and short reads. */
int pw__file_pread(pw_wm_file *f, int fd, unsigned char *buf, size_t len, uint64_t off);

/* For the layers above (lib/pack), not public: takes the lock itself. */

/**
 * Let go of a file that is gone from disk while callers may still hold
 * its handle: unmap its unpinned windows and close its descriptor unless
 * lent, at once; the pinned windows and a lent descriptor go when their
 * last pin or lend does. From now on no window is made and no descriptor
 * opened or lent for it: those requests are PW_ECHANGED. Returns 1 when
 * nothing of it is mapped or open any more, 0 while something pins it.
 * Idempotent; `f` NULL returns 1. pw_wm_close is still needed to free it.
 */
int pw__wm_file_release(pw_wm_file *f);

/**
 * For a reader that moves forwards through a file once (a checksum, a
 * verify pass, a streamed object): unmap the unpinned windows of the
 * cursor's file that end at or before the start of the cursor's own
 * window, so that what was read does not stay mapped (and resident) until
 * the LRU gets to it. A window another reader pins is left alone; one it
 * uses again is mapped again (each unmap counts in `unmaps`, not in
 * `evictions`). Nothing without a pinned window. Takes the lock.
 */
void pw__cursor_drop_behind(pw_cursor *cur);

/**
 * pw_cursor_get of at least one byte for such a reader: when the cursor
 * has to move forwards past its window, that window is let go first and
 * then, with the others behind, unmapped (pw__cursor_drop_behind).
 */
int pw__cursor_get_seq(const unsigned char **out, size_t *avail, pw_cursor *cur,
	uint64_t offset);

#endif
