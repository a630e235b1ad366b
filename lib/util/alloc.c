/* alloc.c: every allocation of the library, through the installed pw_allocator (libc by default). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef PW_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "packwin/common.h"
#include "packwin/sys/alloc.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* Set only by pw_set_allocator, before any other call (documented): plain reads suffice. */
static pw_allocator installed;
static int have_installed;

int pw_set_allocator(const pw_allocator *a)
{
	int error;

	if ((error = pw__check_version(a, PW_ALLOCATOR_VERSION, "pw_allocator")) < 0)
		return error;
	if (a && (!a->malloc_fn || !a->calloc_fn || !a->realloc_fn || !a->free_fn))
		return pw__error_set(PW_EINVALID, "pw_allocator: every function must be set");
	if (a)
		installed = *a;
	have_installed = a != NULL;
#if defined(PW_HAVE_LIBDEFLATE) && LIBDEFLATE_VERSION_MAJOR == 1 && LIBDEFLATE_VERSION_MINOR < 19
	/* no per-decompressor allocator before 1.19: the process-wide hook (documented) */
	if (a)
		libdeflate_set_memory_allocator(pw__malloc, pw__free);
	else
		libdeflate_set_memory_allocator(malloc, free);
#endif
	return 0;
}

/* A failure looks like malloc's own: NULL with errno ENOMEM. */
static void *checked(void *p)
{
	if (!p)
		errno = ENOMEM;
	return p;
}

void *pw__malloc(size_t n)
{
	if (!n)
		n = 1;
	if (__builtin_expect(!have_installed, 1))
		return malloc(n);
	return checked(installed.malloc_fn(n, installed.payload));
}

void *pw__calloc(size_t count, size_t size)
{
	if (!count)
		count = 1;
	if (!size)
		size = 1;
	if (__builtin_expect(!have_installed, 1))
		return calloc(count, size);
	return checked(installed.calloc_fn(count, size, installed.payload));
}

void *pw__realloc(void *p, size_t n)
{
	if (!p)
		return pw__malloc(n);
	if (!n)
		n = 1;
	if (__builtin_expect(!have_installed, 1))
		return realloc(p, n);
	return checked(installed.realloc_fn(p, n, installed.payload));
}

void pw__free(void *p)
{
	if (!p)
		return;
	if (__builtin_expect(!have_installed, 1))
		free(p);
	else
		installed.free_fn(p, installed.payload);
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
