/* testutil.h: helpers shared by the unit tests: a temporary folder and git in it, descriptor and mapping counts, digests of everything a pack or repository reads (failalloc.h: allocators that fail on purpose). */
#ifndef PW_TEST_UTIL_H
#define PW_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "failalloc.h"
#include "packwin/odb.h"
#include "packwin/pack.h"

/* The build names where the fixtures and the corpus are (tests/CMakeLists.txt). */
#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif
#ifndef PW_CORPUS
#error "PW_CORPUS must name the corpus folder"
#endif

/** The test's temporary folder, made by make_tmpdir. */
extern char tmpdir[512];

/** cmocka setup: make a fresh folder under $TMPDIR (or /tmp) into tmpdir. */
int make_tmpdir(void **state);

/** cmocka teardown: remove tmpdir and everything in it. */
int remove_tmpdir(void **state);

/** Run a shell command in tmpdir; its exit status. */
int sh_rc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Run a shell command in tmpdir; the test fails unless it succeeds. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The first line a shell command run in tmpdir prints; it must succeed. */
void sh_out(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** git without anyone's configuration, with fixed identities and dates. */
void git_test_env(void);

/** tmpdir/rel, in one of four rotating buffers (so a call may take several). */
const char *tmp(const char *rel);

/**
 * Entries /proc/self/fd lists ("." and ".." and the listing's own
 * descriptor included: only differences mean anything); 0 when it cannot
 * be listed. Asserts nothing, so --wrap wrappers and threads may call it.
 */
size_t proc_fd_entries(void);

/** proc_fd_entries(), and the test fails when /proc/self/fd cannot be listed. */
size_t proc_fds(void);

/** Lines of /proc/self/maps naming a file under `dir`: the windows still mapped there. */
size_t maps_under(const char *dir);

/**
 * A test needing the corpus repository (or file) `path` calls this first:
 * when `path` is not there, the test is skipped (cmocka's skip(), listed as
 * SKIPPED), or fails if PW_REQUIRE_CORPUS is set in the environment, as CI
 * sets it, so that a corpus gone missing never passes unnoticed there.
 */
void need_corpus(const char *path);

/** FNV-1a's starting value. */
#define FNV_OFFSET 0xcbf29ce484222325ULL

/** FNV-1a of `len` bytes, continuing from `h`: what a run read, compared between runs. */
uint64_t fnv(uint64_t h, const void *data, size_t len);

/** fnv() over an object's type, size and bytes. */
uint64_t fnv_object(uint64_t h, const pw_object *obj);

/** Object ids, grown by collect_ids. Free `v` when done. */
typedef struct test_ids {
	pw_oid *v;
	size_t n, cap;
} test_ids;

/** pw_repo_foreach callback appending each id to the test_ids `payload` (plain realloc, never failed on purpose). */
int collect_ids(const pw_repo_entry *e, void *payload);

/** Read every object of `pack` in pack order into the digest `*h`; the first error, or 0. */
int digest_pack_objects(uint64_t *h, pw_pack *pack);

/**
 * Every object of `repo`, listed in id order and read by id, then their
 * count, into the digest `*h`; the first error, or 0.
 */
int digest_repo_objects(uint64_t *h, pw_repo *repo);

#endif
