/* alloc.c: allocation wrappers; the fail-after-N hook lets tests reach OOM paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "packwin/common.h"
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

void pw__alloc_fail_after(long n)
{
	fail_after = n;
}

/* A failure made on purpose looks like malloc's own: NULL with errno ENOMEM. */
static void *failed(void)
{
	errno = ENOMEM;
	return NULL;
}

void *pw__malloc(size_t n)
{
	return should_fail() ? failed() : malloc(n ? n : 1);
}

void *pw__calloc(size_t count, size_t size)
{
	return should_fail() ? failed() : calloc(count ? count : 1, size ? size : 1);
}

void *pw__realloc(void *p, size_t n)
{
	return should_fail() ? failed() : realloc(p, n ? n : 1);
}

void pw__free(void *p)
{
	free(p);
}

void pw_string_free(char *s)
{
	pw__free(s);
}

char *pw__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = pw__malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void *pw__zalloc(void *opaque, unsigned int items, unsigned int size)
{
	size_t n;

	(void)opaque;
	if (PW_MUL_OVERFLOW((size_t)items, (size_t)size, &n))
		return NULL;
	return pw__malloc(n);
}

void pw__zfree(void *opaque, void *p)
{
	(void)opaque;
	pw__free(p);
}
