/*
 * fuzz_reflog.c: fuzz target for reflog lines (lib/odb/reflog.c) and the
 * reflog forms of pw_repo_resolve, against a copy of
 * fixtures/repos/basic.git.
 *
 * Input: the text of logs/HEAD. It is parsed directly (in SHA-1 and
 * SHA-256), then written as the repository's logs/HEAD and logs/refs/heads/main,
 * and `HEAD@{N}`, `main@{N}`, `@{N}`, `@{-N}` resolved for a few N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "odb/reflog.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif

static pw_repo *repo;
static char head_log[600], main_log[600];

static void open_repo(void)
{
	pw_repo_options ro = PW_REPO_OPTIONS_INIT;
	char gitdir[512], dir[600];

	fz_path(gitdir, sizeof(gitdir), "reflog.git");
	fz_copy_tree(PW_FIXTURES "/repos/basic.git", gitdir);
	snprintf(dir, sizeof(dir), "%s/logs/refs/heads", gitdir);
	fz_mkdirs(dir);
	snprintf(head_log, sizeof(head_log), "%s/logs/HEAD", gitdir);
	snprintf(main_log, sizeof(main_log), "%s/logs/refs/heads/main", gitdir);
	fz_tiny_wm_options(&ro.wm_options);
	ro.max_object_size = 1 << 20;
	ro.delta_cache_size = 256 << 10;
	ro.no_discover = 1;
	if (pw_repo_open(&repo, gitdir, &ro) < 0)
		fz_fail("cannot open the copy of basic.git");
}

static void check(const uint8_t *data, size_t size, pw_oid_t type)
{
	size_t hexsz = 2 * pw_oid_rawsz(type), i;
	pw__reflog log;

	memset(&log, 0, sizeof(log));
	if (pw__reflog_parse(&log, (const char *)data, size, type) == 0) {
		for (i = 0; i < log.entries.n; i++) {
			const pw__reflog_entry *e = &log.entries.v[i];
			if (e->message < (const char *)data ||
			    e->message + e->message_len > (const char *)data + size)
				fz_fail("a reflog message points outside the input");
			if (e->message_len + 2 * hexsz > size)
				fz_fail("a reflog entry is longer than the input");
		}
	}
	pw__reflog_dispose(&log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "HEAD@{0}", "HEAD@{1}", "HEAD@{3}", "main@{1}",
		"main@{2}", "@{1}", "@{-1}", "@{-2}", "@{-1}@{1}", "HEAD@{1}~1" };
	pw_oid id;
	size_t i;

	if (!repo)
		open_repo();
	check(data, size, PW_OID_SHA1);
	check(data, size, PW_OID_SHA256);
	fz_write(head_log, data, size);
	fz_write(main_log, data, size);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		pw_repo_resolve(&id, repo, names[i]);
	pw_error_clear();
	return 0;
}
