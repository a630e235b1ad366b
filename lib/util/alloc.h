/* alloc.h: the library's allocation wrappers, with a fail-after-N hook for tests. */
#ifndef PW_UTIL_ALLOC_H
#define PW_UTIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *pw_malloc(size_t n);
void *pw_calloc(size_t count, size_t size);
void *pw_realloc(void *p, size_t n);
void pw_free(void *p);
char *pw_strdup(const char *s);

/*
 * zlib's allocator hooks (its alloc_func and free_func types), so that
 * zlib's state and window come through pw_malloc too and fail with it.
 */
void *pw_zalloc(void *opaque, unsigned int items, unsigned int size);
void pw_zfree(void *opaque, void *p);

/**
 * Test hook: make the allocation after `n` more succeed-able ones fail
 * (n = 0 fails the very next one); -1 turns failing off. Process-wide;
 * for single-threaded tests only.
 */
void pw_alloc_fail_after(long n);

/* Overflow-checked arithmetic: return non-zero on overflow. */
#define PW_ADD_OVERFLOW(a, b, out) __builtin_add_overflow((a), (b), (out))
#define PW_MUL_OVERFLOW(a, b, out) __builtin_mul_overflow((a), (b), (out))

#endif
