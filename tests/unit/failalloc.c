/* failalloc.c: allocators over libc's that fail on purpose, installed with pw_set_allocator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "failalloc.h"

#include "packwin/sys/alloc.h"

/*
 * The failing allocator: libc's, except that once `fail_left` allocations
 * have succeeded, the next one fails (and, unless `fail_once`, every one
 * after it). Atomic, so that a library thread racing a test does no harm.
 */
static atomic_long fail_left;
static int fail_once;

static int should_fail(void)
{
	long n = atomic_load(&fail_left);

	while (n >= 0) {
		if (atomic_compare_exchange_weak(&fail_left, &n, n - 1))
			return n == 0;
	}
	return !fail_once;
}

static void *failed(void)
{
	errno = ENOMEM;
	return NULL;
}

static void *fail_malloc(size_t size, void *payload)
{
	(void)payload;
	return should_fail() ? failed() : malloc(size);
}

static void *fail_calloc(size_t count, size_t size, void *payload)
{
	(void)payload;
	return should_fail() ? failed() : calloc(count, size);
}

static void *fail_realloc(void *p, size_t size, void *payload)
{
	(void)payload;
	return should_fail() ? failed() : realloc(p, size);
}

static void fail_free(void *p, void *payload)
{
	(void)payload;
	free(p);
}

static void install_failing(long n, int once)
{
	static const pw_allocator failing = {
		PW_ALLOCATOR_VERSION, fail_malloc, fail_calloc, fail_realloc, fail_free, NULL
	};

	if (n < 0) {
		assert_int_equal(pw_set_allocator(NULL), 0);
		return;
	}
	fail_once = once;
	atomic_store(&fail_left, n);
	assert_int_equal(pw_set_allocator(&failing), 0);
}

void test_alloc_fail_after(long n)
{
	install_failing(n, 0);
}

void test_alloc_fail_once(long n)
{
	install_failing(n, 1);
}

int test_alloc_failed(void)
{
	return atomic_load(&fail_left) < 0;
}
