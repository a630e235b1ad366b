/* testutil.c: a temporary folder per test and shell commands run inside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

char tmpdir[512];

int make_tmpdir(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/pw-test-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

int remove_tmpdir(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void build(char *cmd, size_t size, const char *fmt, va_list ap)
{
	int n = snprintf(cmd, size, "cd '%s' && ", tmpdir);
	vsnprintf(cmd + n, size - (size_t)n, fmt, ap);
}

int sh_rc(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	build(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	build(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((rc = system(cmd)) != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

void sh_out(char *out, size_t size, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	build(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_non_null(f = popen(cmd, "r"));
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (pclose(f) != 0)
		fail_msg("command failed: %s", cmd);
}

void git_test_env(void)
{
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_AUTHOR_NAME", "A U Thor", 1);
	setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
	setenv("GIT_AUTHOR_DATE", "1700000000 +0000", 1);
	setenv("GIT_COMMITTER_NAME", "C O Mitter", 1);
	setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
	setenv("GIT_COMMITTER_DATE", "1700000000 +0000", 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_OBJECT_DIRECTORY");
	unsetenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");
}
