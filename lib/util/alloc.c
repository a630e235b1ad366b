/* alloc.c: allocation wrappers; the fail-after-N hook lets tests reach OOM paths. */
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/banned.h"

static long fail_after = -1;

static int should_fail(void)
{
	if (__builtin_expect(fail_after < 0, 1))
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}

void pw_alloc_fail_after(long n)
{
	fail_after = n;
}

void *pw_malloc(size_t n)
{
	return should_fail() ? NULL : malloc(n ? n : 1);
}

void *pw_calloc(size_t count, size_t size)
{
	return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *pw_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void pw_free(void *p)
{
	free(p);
}

char *pw_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = pw_malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}
