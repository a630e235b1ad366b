/* fuzz_common.h: what every fuzz target shares — its entry point, a private temporary folder, whole-file writes and a tiny window budget. */
#ifndef PW_FUZZ_COMMON_H
#define PW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "packwin.h"

/* libFuzzer's entry point; replay.c calls it too, in builds without libFuzzer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * This process's temporary folder (under /dev/shm when it is writable, so
 * that the per-input file writes cost no disk I/O), made on first use and
 * removed at exit. Aborts if it cannot be made: a target without it would
 * test nothing.
 */
const char *fz_tmpdir(void);

/* `rel` joined to the temporary folder, into buf (aborts if it does not fit). */
void fz_path(char *buf, size_t cap, const char *rel);

/* Replace the file at `path` with exactly `len` bytes of `data` (aborts on failure). */
void fz_write(const char *path, const void *data, size_t len);

/* Copy the tree `from` into the new folder `to` (cp -R; aborts on failure). */
void fz_copy_tree(const char *from, const char *to);

/* Make a folder and its parents (aborts on failure other than EEXIST). */
void fz_mkdirs(const char *path);

/*
 * Window options small enough that windows slide and get evicted on
 * inputs of a few KiB: 8 KiB windows (the minimum with 4 KiB pages), at
 * most 64 KiB mapped, 8 descriptors.
 */
void fz_tiny_wm_options(pw_wm_options *o);

/* Report a broken invariant of the library and abort (a finding, not a skip). */
void fz_fail(const char *what) __attribute__((noreturn));

#endif
