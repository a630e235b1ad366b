/* testutil.c: a temporary folder per test and shell commands run inside it; descriptor and mapping counts; digests of what a pack or repository reads. */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"

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

const char *tmp(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
	return b;
}

/* opendir goes through libc's own openat, which a test's --wrap=open64 does not see. */
size_t proc_fd_entries(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

size_t proc_fds(void)
{
	size_t n = proc_fd_entries();

	/* a listing that worked counts at least "." and ".." */
	if (n == 0)
		fail_msg("cannot list /proc/self/fd");
	return n;
}

size_t maps_under(const char *dir)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, dir))
			n++;
	fclose(f);
	return n;
}

void need_corpus(const char *path)
{
	const char *required = getenv("PW_REQUIRE_CORPUS");

	if (access(path, R_OK) == 0)
		return;
	if (required && required[0] && strcmp(required, "0") != 0)
		fail_msg("%s is not there, and PW_REQUIRE_CORPUS is set", path);
	print_message("%s is not there: skipped\n", path);
	skip();
}

uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t fnv_object(uint64_t h, const pw_object *obj)
{
	int type = pw_object_type(obj);
	size_t size = pw_object_size(obj);

	h = fnv(h, &type, sizeof(type));
	h = fnv(h, &size, sizeof(size));
	return fnv(h, pw_object_data(obj), size);
}

int collect_ids(const pw_repo_entry *e, void *payload)
{
	test_ids *ids = payload;

	/* the test's own memory: plain realloc, which the failing allocators leave alone */
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? 2 * ids->cap : 256;
		pw_oid *v = realloc(ids->v, cap * sizeof(*v));
		if (!v)
			return PW_ENOMEM;
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = e->id;
	return 0;
}

int digest_pack_objects(uint64_t *h, pw_pack *pack)
{
	uint32_t n = pw_pack_count(pack);
	int err = 0;

	for (uint32_t i = 0; !err && i < n; i++) {
		pw_object *obj = NULL;
		uint32_t pos;
		uint64_t off;

		err = pw_pack_order_nth(&pos, pack, i);
		if (!err)
			err = pw_pack_nth_offset(&off, pack, pos);
		if (!err)
			err = pw_pack_read_at(&obj, pack, off);
		if (!err)
			*h = fnv_object(*h, obj);
		pw_object_free(obj);
	}
	return err;
}

int digest_repo_objects(uint64_t *h, pw_repo *repo)
{
	test_ids ids = { 0 };
	int err = pw_repo_foreach(repo, PW_FOREACH_SORTED, collect_ids, &ids);

	for (size_t i = 0; !err && i < ids.n; i++) {
		pw_object *obj = NULL;
		err = pw_repo_read(&obj, repo, &ids.v[i]);
		if (!err)
			*h = fnv_object(*h, obj);
		pw_object_free(obj);
	}
	*h = fnv(*h, &ids.n, sizeof(ids.n));
	free(ids.v);
	return err;
}
