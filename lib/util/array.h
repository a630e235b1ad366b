/* array.h: one growable array of any element type, used by every layer. */
#ifndef PW_UTIL_ARRAY_H
#define PW_UTIL_ARRAY_H

#include <stddef.h>

#include "util/alloc.h"

/*
 * A typed array (libgit2's src/util/array.h): declare a struct with
 * PW_ARRAY(type) members and grow it with pw__array_grow, which doubles
 * the capacity (starting at `min`) with overflow-checked sizes through the
 * library allocator.
 *
 *	PW_ARRAY(pw_oid) ids = PW_ARRAY_INIT;
 *	pw_oid *slot = PW_ARRAY_ALLOC(&ids, 16);
 *	if (!slot)
 *		return pw__error_nomem();
 *	*slot = id;
 *	...
 *	PW_ARRAY_FREE(&ids);
 */
#define PW_ARRAY(type) struct { type *v; size_t n, cap; }
#define PW_ARRAY_INIT { NULL, 0, 0 }

/**
 * Make room for `want` elements of `elsize` bytes in the array whose
 * fields are `*v` and `*cap` (growing by doubling from `min`). 0, or -1
 * on overflow or allocation failure (no error set; the array is unchanged).
 */
int pw__array_reserve(void **v, size_t *cap, size_t want, size_t elsize, size_t min);

/** Room for `want` elements in total. 0 or -1 (nothing set). */
#define PW_ARRAY_RESERVE(a, want, min) \
	pw__array_reserve((void **)&(a)->v, &(a)->cap, (want), sizeof(*(a)->v), (min))

/** A new element at the end (uninitialised), or NULL when growing failed. */
#define PW_ARRAY_ALLOC(a, min) \
	(((a)->n < (a)->cap || PW_ARRAY_RESERVE((a), (a)->n + 1, (min)) == 0) ? \
		&(a)->v[(a)->n++] : NULL)

/** Free the elements (not what they point to) and empty the array. */
#define PW_ARRAY_FREE(a) \
	do { pw__free((a)->v); (a)->v = NULL; (a)->n = (a)->cap = 0; } while (0)

#endif
