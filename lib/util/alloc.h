/* alloc.h: the library's allocation wrappers over the installed pw_allocator (packwin/sys/alloc.h). */
#ifndef PW_UTIL_ALLOC_H
#define PW_UTIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *pw__malloc(size_t n);
void *pw__calloc(size_t count, size_t size);
void *pw__realloc(void *p, size_t n);
void pw__free(void *p);
char *pw__strdup(const char *s);

/*
 * zlib's allocator hooks (its alloc_func and free_func types), so that
 * zlib's state and window come through pw__malloc too and fail with it.
 */
void *pw__zalloc(void *opaque, unsigned int items, unsigned int size);
void pw__zfree(void *opaque, void *p);

/* Overflow-checked arithmetic: return non-zero on overflow. */
#define PW_ADD_OVERFLOW(a, b, out) __builtin_add_overflow((a), (b), (out))
#define PW_MUL_OVERFLOW(a, b, out) __builtin_mul_overflow((a), (b), (out))

#endif
