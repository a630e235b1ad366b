/* search.h: binary search of a table of fixed-size rows read through a cursor (internal; idx and multi-pack-index). */
#ifndef PW_WINDOW_SEARCH_H
#define PW_WINDOW_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "packwin/window.h"

/**
 * The first row in [lo, hi) of the table of `stride`-byte rows starting at
 * file offset `base` whose first `len` bytes compare >= `key` (rows sorted
 * by those bytes), into `*out` (hi when none). 0, or the cursor's error.
 */
int pw__cursor_lower_bound(uint32_t *out, pw_cursor *cur, uint64_t base, size_t stride,
	const unsigned char *key, size_t len, uint32_t lo, uint32_t hi);

#endif
