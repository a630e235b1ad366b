/*
 * test_repofmt.c: repository-format gating (issue 10 item 7). git's rule
 * (Documentation/technical/repository-version.adoc, setup.c): version 1
 * with an extension the reader does not know, or a value of a known one
 * it does not understand, must not be opened; version 0 ignores unknown
 * extensions but refuses the version-1 ones. The oracle is git itself:
 * for every config below, pw_repo_open succeeds exactly when `git
 * rev-parse HEAD` does, and a refusal names the key. The extensions git
 * 2.39 (the one here) does not know yet are checked against git's
 * documented behaviour instead, each said so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"

#define BASIC PW_FIXTURES "/repos/basic.git"

typedef struct fmt_case {
	const char *version; /* core.repositoryformatversion, NULL: unset */
	const char *ext;     /* lines of [extensions] */
	int opens;           /* what packwin does */
	const char *piece;   /* a refusal's message names this */
	int oracle;          /* 1: git here must agree; 0: git 2.39 predates the extension */
} fmt_case;

static const fmt_case cases[] = {
	/* unknown extensions: refused in version 1, ignored in version 0 and unset */
	{ "1", "\tfrobnicate = true\n", 0, "extensions.frobnicate", 1 },
	{ "0", "\tfrobnicate = true\n", 1, NULL, 1 },
	{ NULL, "\tfrobnicate = true\n", 1, NULL, 1 },
	{ "1", "\tnoop = 1\n\tFrobnicate\n", 0, "extensions.frobnicate", 1 },
	/* versions */
	{ "1", "", 1, NULL, 1 },
	{ "2", "", 0, "core.repositoryformatversion 2", 1 },
	{ "one", "", 0, "core.repositoryformatversion 'one'", 1 },
	/* what git 2.39 knows, with values it accepts */
	{ "1", "\tnoop = x\n\tnoop-v1 = y\n\tpreciousObjects = true\n\tpartialClone = origin\n"
	       "\tworktreeConfig = false\n\tobjectFormat = sha1\n", 1, NULL, 1 },
	{ "0", "\tnoop = x\n\tpreciousObjects = true\n\tpartialClone = origin\n"
	       "\tworktreeConfig = 1\n", 1, NULL, 1 },
	/* values it refuses */
	{ "1", "\tobjectformat = sha3\n", 0, "extensions.objectformat 'sha3'", 1 },
	{ "1", "\tworktreeconfig = maybe\n", 0, "extensions.worktreeconfig", 1 },
	{ "0", "\tworktreeconfig = maybe\n", 0, "extensions.worktreeconfig", 1 },
	{ "1", "\tpartialclone\n", 0, "extensions.partialclone", 1 },
	/* version-1 extensions in a version-0 repository */
	{ "0", "\tobjectformat = sha1\n", 0, "extensions.objectformat", 1 },
	{ "0", "\tnoop-v1 = 1\n", 0, "extensions.noop-v1", 1 },
	/* reftable opens (tests/oracle/reftable.sh); a stack at another path is refused by name */
	{ "1", "\trefstorage = reftable://elsewhere\n", 0, "ref storage at another path", 0 },
	/* known to later git, nothing a reader must do: git >= 2.45 and 2.48 open these */
	{ "1", "\trefStorage = files\n", 1, NULL, 0 },
	{ "1", "\trefstorage = tables\n", 0, "extensions.refstorage 'tables'", 0 },
	{ "1", "\tcompatObjectFormat = sha256\n", 1, NULL, 0 },
	{ "1", "\trelativeWorktrees = true\n\tsubmodulePathConfig = true\n", 1, NULL, 0 },
	{ "0", "\trelativeworktrees = true\n", 0, "extensions.relativeworktrees", 0 },
};

static void write_config(const fmt_case *c)
{
	FILE *f = fopen(tmp("r.git/config"), "w");

	assert_non_null(f);
	fprintf(f, "[core]\n");
	if (c->version)
		fprintf(f, "\trepositoryformatversion = %s\n", c->version);
	fprintf(f, "\tbare = true\n[extensions]\n%s", c->ext);
	assert_int_equal(fclose(f), 0);
}

static void test_format_gating(void **state)
{
	size_t fds = proc_fds(), i;

	(void)state;
	sh("cp -R '%s' r.git", BASIC);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const fmt_case *c = &cases[i];
		pw_repo_options o = PW_REPO_OPTIONS_INIT;
		pw_repo *repo = NULL;
		pw_oid head;
		int rc, git_opens;

		write_config(c);
		git_opens = sh_rc("git --git-dir=r.git rev-parse -q --verify HEAD >/dev/null 2>&1") == 0;
		if (c->oracle && git_opens != c->opens)
			fail_msg("case %zu (version %s, %s): git %s", i, c->version ? c->version : "unset",
			        c->ext, git_opens ? "opens it" : "refuses it");
		o.no_discover = 1;
		rc = pw_repo_open(&repo, tmp("r.git"), &o);
		if (c->opens) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, pw_error_last());
			assert_int_equal(pw_repo_resolve(&head, repo, "HEAD"), 0);
			pw_repo_free(repo);
			continue;
		}
		if (rc != PW_EUNSUPPORTED)
			fail_msg("case %zu: pw_repo_open gave %d, not PW_EUNSUPPORTED", i, rc);
		assert_null(repo);
		if (!strstr(pw_error_last(), c->piece) || !strstr(pw_error_last(), "r.git/config"))
			fail_msg("case %zu: '%s' does not say '%s' and the file", i, pw_error_last(),
			        c->piece);
	}
	/* and through discovery from inside the repository, the same */
	write_config(&cases[0]);
	{
		pw_repo_options o = PW_REPO_OPTIONS_INIT;
		pw_repo *repo = NULL;

		assert_int_equal(pw_repo_open(&repo, tmp("r.git/refs"), &o), PW_EUNSUPPORTED);
		assert_non_null(strstr(pw_error_last(), "extensions.frobnicate"));
	}
	assert_int_equal(proc_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_format_gating, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
