/* array.c: growing the arrays of array.h. */
#include <stdint.h>

#include "util/alloc.h"
#include "util/array.h"
#include "util/banned.h"

int pw__array_reserve(void **v, size_t *cap, size_t want, size_t elsize, size_t min)
{
	size_t ncap = *cap ? *cap : (min ? min : 8), bytes;
	void *nv;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		if (PW_MUL_OVERFLOW(ncap, (size_t)2, &ncap))
			return -1;
	if (PW_MUL_OVERFLOW(ncap, elsize, &bytes))
		return -1;
	if (!(nv = pw__realloc(*v, bytes)))
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}
