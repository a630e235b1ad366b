/* window.h: the sliding-window mmap manager: files, windows, cursors, budgets. */
#ifndef PACKWIN_WINDOW_H
#define PACKWIN_WINDOW_H

#include "common.h"

PW_BEGIN_DECL

/**
 * A window manager: owns registered files, the windows mapped over them,
 * one LRU order, the memory and descriptor budgets and the statistics.
 * One manager may be shared by many threads, each with its own cursors.
 */
typedef struct pw_wm pw_wm;

/** A file registered with a manager (see pw_wm_open). */
typedef struct pw_wm_file pw_wm_file;

/** A mapped (or, in no-mmap mode, read-in) range of a file. Private. */
typedef struct pw_window pw_window;

/** Window modes. */
typedef enum {
	/** Windows of `window_size` bytes slide over the file (default). */
	PW_WM_SLIDING = 0,
	/** One window covers each whole file (smmap's static manager). */
	PW_WM_WHOLE_FILE = 1
} pw_wm_mode;

#define PW_WM_OPTIONS_VERSION 1

/** Manager options; a zero field means "the default". */
typedef struct pw_wm_options {
	unsigned int version;  /**< PW_WM_OPTIONS_VERSION */
	pw_wm_mode mode;       /**< sliding (default) or whole-file */
	size_t window_size;    /**< bytes per window; default 32 MiB; rounded up to the page size
	                            (to a whole number of page pairs, so that half a window is page
	                            aligned: 4 KiB pages make 8 KiB the smallest window) */
	size_t memory_limit;   /**< most bytes mapped at once (hard); default 1 GiB */
	unsigned int fd_limit; /**< most descriptors held at once (hard); default 64 */
	int no_mmap;           /**< non-zero: fill windows with pread into buffers */
} pw_wm_options;

/** Initialiser of pw_wm_options: the version, every other field zero (default). */
#define PW_WM_OPTIONS_INIT { .version = PW_WM_OPTIONS_VERSION }

/** Counters of a manager, readable at any time (see pw_wm_stats). */
typedef struct pw_wm_stats {
	uint64_t mapped;        /**< bytes mapped (or buffered) now */
	uint64_t mapped_peak;   /**< most bytes mapped at once so far */
	uint64_t windows;       /**< windows alive now */
	uint64_t fds;           /**< descriptors open now */
	uint64_t fds_peak;      /**< most descriptors open at once so far */
	uint64_t maps;          /**< windows created */
	uint64_t unmaps;        /**< windows destroyed */
	uint64_t hits;          /**< requests served by a window already there */
	uint64_t misses;        /**< requests that needed a new window */
	uint64_t evictions;     /**< windows unmapped to make room */
	uint64_t opens;         /**< open(2) calls */
	uint64_t closes;        /**< close(2) calls */
	uint64_t fd_evictions;  /**< descriptors closed to stay in the fd budget */
	uint64_t mmap_fallbacks; /**< mmap mode: windows read into buffers because mmap
	                              failed for lack of memory (ENOMEM, EAGAIN) even
	                              after every unpinned window was unmapped */
} pw_wm_stats;

/**
 * Create a manager. `opts` may be NULL for all defaults; its `version` must
 * be PW_WM_OPTIONS_VERSION (PW_EINVALID otherwise, naming both versions).
 */
PW_EXTERN(int) pw_wm_new(pw_wm **out, const pw_wm_options *opts);

/**
 * Free a manager; accepts NULL. Free first everything that reads through
 * it: every pw_pack opened on it (pw_pack_free), every pw_repo given it as
 * `wm` (pw_repo_free), every cursor (pw_cursor_release), every lent
 * descriptor (pw_wm_return_fd). The manager does not know its packs and
 * cannot check this. Files still registered are closed here (windows
 * unmapped, descriptors closed, handles freed) so that nothing leaks, but
 * a pack still holding such a file is left with dangling handles: any call
 * on it afterwards, pw_pack_free included, is a use after free (undefined
 * behaviour), and pointers pw_cursor_get returned into its windows point
 * to unmapped memory.
 */
PW_EXTERN(void) pw_wm_free(pw_wm *wm);

/** Copy the manager's counters into `out`. Thread-safe. */
PW_EXTERN(void) pw_wm_get_stats(pw_wm_stats *out, pw_wm *wm);

/** The effective options (defaults filled in, sizes rounded). */
PW_EXTERN(void) pw_wm_get_options(pw_wm_options *out, const pw_wm *wm);

/**
 * Register `path` with the manager: open it (within the fd budget), record
 * its identity (device, inode, size, mtime). The descriptor may later be
 * closed to stay in budget and re-opened on demand; a re-opened file whose
 * identity differs gives PW_ECHANGED. Returns PW_ENOTFOUND if the file does
 * not exist, PW_EOS on other open/stat failures, PW_EINVALID if it is not a
 * regular file. The file belongs to the caller: release it with pw_wm_close.
 */
PW_EXTERN(int) pw_wm_open(pw_wm_file **out, pw_wm *wm, const char *path);

/**
 * Close a file: unmap all its windows and close its descriptor now.
 * No cursor may still be attached to it, and no descriptor lent.
 * Accepts NULL.
 */
PW_EXTERN(void) pw_wm_close(pw_wm_file *file);

/** The size of the file as registered. */
PW_EXTERN(uint64_t) pw_wm_file_size(const pw_wm_file *file);

/** The path the file was registered with. Borrowed while it is open. */
PW_EXTERN(const char *) pw_wm_file_path(const pw_wm_file *file);

/**
 * Copy `len` bytes at `offset` into `buf`, across as many windows as it
 * takes (each within the budgets). `offset + len` beyond the file's size
 * is PW_ECORRUPT ("read past end of file").
 */
PW_EXTERN(int) pw_wm_read(void *buf, pw_wm_file *file, uint64_t offset, size_t len);

/**
 * Lend the file's descriptor, e.g. for sendfile(2). The descriptor stays
 * open and counted in the fd budget until pw_wm_return_fd; its identity is
 * checked as on any re-open. Each lend needs one return.
 */
PW_EXTERN(int) pw_wm_lend_fd(int *fd_out, pw_wm_file *file);

/** Give back a descriptor lent by pw_wm_lend_fd. */
PW_EXTERN(void) pw_wm_return_fd(pw_wm_file *file);

/**
 * A cursor pins at most one window of one file. Many cursors may exist
 * per file and per thread, but one cursor belongs to one thread at a time.
 * Allocate it anywhere (stack is fine), then pw_cursor_init. The fields are
 * private; they are public only so that pw_cursor_get can be inline.
 */
typedef struct pw_cursor {
	pw_wm_file *file;
	pw_window *win;            /* pinned window, or NULL */
	const unsigned char *base; /* first byte of win */
	uint64_t start;            /* file offset of base */
	uint64_t end;              /* one past the window's last file offset */
	uint64_t local_hits;       /* lock-free hits not yet added to the stats */
} pw_cursor;

/** Attach a cursor to a file; it pins nothing yet. */
PW_EXTERN(void) pw_cursor_init(pw_cursor *cur, pw_wm_file *file);

/** Unpin the cursor's window (if any). The cursor may be used again. */
PW_EXTERN(void) pw_cursor_release(pw_cursor *cur);

/**
 * The out-of-line part of pw_cursor_get: find or map a window that covers
 * [offset, offset + need) and pin it. Takes the manager lock.
 */
PW_EXTERN(int) pw_cursor_move(const unsigned char **out, size_t *avail,
	pw_cursor *cur, uint64_t offset, size_t need);

/**
 * Point `*out` at the byte at `offset` and set `*avail` to how many bytes
 * of the file are readable from there in the pinned window (at least
 * `need`, which must be 1 or more). The pointer stays valid until the
 * cursor moves or is released. A request inside the cursor's own window
 * takes no lock. Windows are aligned so that neighbours overlap by half a
 * window: any range of up to window_size/2 bytes lies whole in one window.
 * Errors: PW_ECORRUPT if the range passes the end of the file, PW_ELIMIT
 * if even a minimal window cannot fit the memory budget, PW_ECHANGED if
 * the file was replaced or truncated, PW_EOS for system errors. After
 * PW_ELIMIT, PW_ECHANGED, PW_EOS or PW_ENOMEM the cursor pins nothing (its
 * previous window was released); after PW_EINVALID or PW_ECORRUPT it is
 * unchanged.
 */
static inline int pw_cursor_get(const unsigned char **out, size_t *avail,
	pw_cursor *cur, uint64_t offset, size_t need)
{
	if (cur->win && offset >= cur->start && offset < cur->end &&
	    (uint64_t)need <= cur->end - offset && need > 0) {
		cur->local_hits++;
		*out = cur->base + (offset - cur->start);
		*avail = (size_t)(cur->end - offset);
		return 0;
	}
	return pw_cursor_move(out, avail, cur, offset, need);
}

PW_END_DECL

#endif
