/* failalloc.h: allocators that fail on purpose, for the out-of-memory tests (model: libgit2's failalloc). */
#ifndef PW_TEST_FAILALLOC_H
#define PW_TEST_FAILALLOC_H

/**
 * Install (n >= 0) an allocator over libc's under which the allocation
 * after `n` more successful ones fails (n = 0: the very next), and every
 * one after it; -1 restores libc's allocator (pw_set_allocator(NULL)).
 * Memory allocated under it may be freed after it is removed, and the
 * other way round: it is libc's heap.
 */
void test_alloc_fail_after(long n);

/** As test_alloc_fail_after, but only that one allocation fails; later ones succeed. */
void test_alloc_fail_once(long n);

/** Whether the allocation chosen by the last test_alloc_fail_after/_once has failed yet. */
int test_alloc_failed(void);

#endif
