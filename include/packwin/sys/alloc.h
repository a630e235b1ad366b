/* sys/alloc.h: the allocator packwin takes its memory from, for embedders and tests. */
#ifndef PACKWIN_SYS_ALLOC_H
#define PACKWIN_SYS_ALLOC_H

#include "../common.h"

PW_BEGIN_DECL

#define PW_ALLOCATOR_VERSION 1

/**
 * An allocator: four functions and the payload handed to each. Every
 * function must be set and be callable from any thread at once (packwin
 * allocates from its reading threads). packwin never asks for 0 bytes,
 * never passes NULL to `realloc_fn` (it calls `malloc_fn` instead) nor to
 * `free_fn`. A failure is NULL; packwin then reports PW_ENOMEM.
 *
 * What goes through it: every allocation of the library, zlib's streams
 * (their zalloc/zfree) and libdeflate's decompressors. With libdeflate
 * 1.19 or later each decompressor is given the allocator; before 1.19
 * libdeflate has only a process-wide hook, so pw_set_allocator sets it
 * (libdeflate_set_memory_allocator) and every libdeflate user of the
 * process then allocates through packwin's allocator too. Not through
 * it: OpenSSL's hash contexts, which come from OpenSSL's own allocator
 * (see CRYPTO_set_mem_functions).
 */
typedef struct pw_allocator {
	unsigned int version; /**< PW_ALLOCATOR_VERSION */
	void *(*malloc_fn)(size_t size, void *payload);
	void *(*calloc_fn)(size_t count, size_t size, void *payload);
	void *(*realloc_fn)(void *ptr, size_t size, void *payload);
	void (*free_fn)(void *ptr, void *payload);
	void *payload;
} pw_allocator;

/**
 * Install `allocator` (copied) for the whole process; NULL restores the C
 * library's malloc, calloc, realloc and free. Call it before any other
 * packwin call and never while one runs: memory is freed with whatever
 * allocator is installed then, so an allocator may only be replaced while
 * nothing packwin allocated under it is alive, or by one sharing its heap
 * (as a test's wrapper around malloc does; each thread keeps a libdeflate
 * decompressor until it exits). Not thread-safe. PW_EINVALID for a wrong
 * version or a missing function (the allocator is then unchanged).
 */
PW_EXTERN(int) pw_set_allocator(const pw_allocator *allocator);

PW_END_DECL

#endif
