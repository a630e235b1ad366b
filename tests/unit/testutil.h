/* testutil.h: helpers shared by the unit tests that build repositories with git in a temporary folder. */
#ifndef PW_TEST_UTIL_H
#define PW_TEST_UTIL_H

#include <stddef.h>

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

#endif
