/*
 * test_names.c: pw_repo_resolve (lib/odb/names.c): the git rev-parse subset
 * on the fixture repositories (answers recorded from git 2.39), abbreviated
 * ids, describe output and their disambiguation on the zlib corpus, and on
 * temporary repositories made with git: refs that look like ids, git's
 * prefix order, broken refs skipped, tags of tags and of blobs, tricky tree
 * entries, a malformed tree, limits, and every allocation failing in turn.
 */
#include <pthread.h>
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
#include "packwin/odb.h"
#include "util/alloc.h"

#define BASIC PW_FIXTURES "/repos/basic.git"
#define SHA256 PW_FIXTURES "/repos/sha256.git"
#define ZLIB PW_CORPUS "/zlib.git"

#define ZERO40 "0000000000000000000000000000000000000000"

/* A name, and what git rev-parse --verify says (hex), or the error packwin gives. */
typedef struct name_case {
	const char *name;
	const char *hex;     /* NULL: an error */
	int code;            /* the error */
	const char *msg;     /* a piece of its message, or NULL */
} name_case;

/* ---------------------------------------------------------------- helpers */

static pw_repo *open_repo(const char *path)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;

	o.no_discover = 1;
	if (pw_repo_open(&repo, path, &o) < 0)
		fail_msg("pw_repo_open %s: %s", path, pw_error_last());
	return repo;
}

static pw_repo *open_tmp(const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return open_repo(path);
}

static void check(pw_repo *repo, const name_case *c)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_oid id;
	int rc = pw_repo_resolve(&id, repo, c->name);

	if (c->hex) {
		if (rc < 0)
			fail_msg("'%s': %s: %s", c->name, pw_error_name(rc), pw_error_last());
		pw_oid_tostr(hex, &id, pw_repo_oid_type(repo));
		if (strcmp(hex, c->hex))
			fail_msg("'%s': got %s, git says %s", c->name, hex, c->hex);
		return;
	}
	if (rc != c->code)
		fail_msg("'%s': expected %s, got %s: %s", c->name, pw_error_name(c->code),
			rc ? pw_error_name(rc) : "success", rc ? pw_error_last() : "");
	if (c->msg && !strstr(pw_error_last(), c->msg))
		fail_msg("'%s': message '%s' lacks '%s'", c->name, pw_error_last(), c->msg);
}

static void check_all(pw_repo *repo, const name_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check(repo, &cases[i]);
}

#define CHECK_ALL(repo, cases) check_all((repo), (cases), sizeof(cases) / sizeof((cases)[0]))

/* ------------------------------------------------------- fixture repositories */

/* basic.git: every answer below is what git rev-parse --verify printed. */
static const name_case basic_cases[] = {
	{ "HEAD", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "@", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "main", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "heads/main", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "refs/heads/main", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "side", "03e58297b84f6357a7c57f22a41014246049816a", 0, NULL },
	{ "v1.0", "2c3286049eff40bca3225384b5ea178312eddbec", 0, NULL },
	{ "tags/v1.0", "2c3286049eff40bca3225384b5ea178312eddbec", 0, NULL },
	{ "v1.0^{tag}", "2c3286049eff40bca3225384b5ea178312eddbec", 0, NULL },
	{ "v1.0^{object}", "2c3286049eff40bca3225384b5ea178312eddbec", 0, NULL },
	{ "v1.0^{}", "84b69d2749bf2a7f32d3cb42d33f4bf494ce7c36", 0, NULL },
	{ "v1.0^{commit}", "84b69d2749bf2a7f32d3cb42d33f4bf494ce7c36", 0, NULL },
	{ "v1.0^{tree}", "da2aac71bb7e9cf4d6ec37027ff97829ddab64a6", 0, NULL },
	{ "v1.0^{tree}^{tree}", "da2aac71bb7e9cf4d6ec37027ff97829ddab64a6", 0, NULL },
	{ "v1.0:README", "17ec60df7f76261b7c03b486d162fcd586a6b495", 0, NULL },
	{ "v0.5-light", "540bae881c355f8755290f8e796e60ba5dbc9842", 0, NULL },
	{ "HEAD^{}", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "HEAD^{object}", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "HEAD:README", "2685f329fe2c7b736a9b8cb193dfa609e2f93dea", 0, NULL },
	{ "HEAD^{tree}:README", "2685f329fe2c7b736a9b8cb193dfa609e2f93dea", 0, NULL },
	{ "HEAD:", "a6c36a3bf42b058950729b4515922bd2ad32f1b4", 0, NULL },
	{ "@:", "a6c36a3bf42b058950729b4515922bd2ad32f1b4", 0, NULL },
	{ "HEAD:src/", "ac9aa5b358873103df6837ac4070e38f0d693427", 0, NULL },
	{ "10eae", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "10EAE95", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "10eae95e761a798285a77280fad11b595e6c752", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "10EAE95E761A798285A77280FAD11B595E6C7521", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "10eae^{tree}", "a6c36a3bf42b058950729b4515922bd2ad32f1b4", 0, NULL },
	/* git describe output; a single candidate need not be a commit */
	{ "v1.0-14-g10eae95", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "v1.0-3-g10eae95^{tree}", "a6c36a3bf42b058950729b4515922bd2ad32f1b4", 0, NULL },
	{ "x-g2685f3", "2685f329fe2c7b736a9b8cb193dfa609e2f93dea", 0, NULL },
	{ "x-G10eae", NULL, PW_ENOTFOUND, "unknown revision" },
	{ "x-gzzzz", NULL, PW_ENOTFOUND, "unknown revision" },
	{ "x-g10e", NULL, PW_ENOTFOUND, "unknown revision" },
	/* git's quirk: the rightmost "^{" starts the suffix, "commit}" only has to begin it */
	{ "HEAD^{commit}xyz}", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	{ "HEAD^{}}", "10eae95e761a798285a77280fad11b595e6c7521", 0, NULL },
	/* a full id is taken as it is, existing or not (git rev-parse prints it) */
	{ ZERO40, ZERO40, 0, NULL },
	{ "1234567890123456789012345678901234567890", "1234567890123456789012345678901234567890", 0, NULL },

	{ ZERO40 "^{commit}", NULL, PW_ENOTFOUND, "does not exist" },
	{ ZERO40 ":", NULL, PW_ENOTFOUND, "does not exist" },
	{ ZERO40 "0", NULL, PW_ENOTFOUND, "unknown revision" },
	{ "HEAD^{blob}", NULL, PW_ENOTFOUND,
		"HEAD^{blob}: expected blob type, but the object dereferences to tree type" },
	{ "HEAD^{tag}", NULL, PW_ENOTFOUND, "expected tag type, but the object dereferences to tree type" },
	{ "v1.0^{blob}", NULL, PW_ENOTFOUND, "expected blob type" },
	{ "HEAD:README^{blob}", NULL, PW_ENOTFOUND, "path 'README^{blob}' does not exist in 'HEAD'" },
	{ "HEAD:README^{commit}", NULL, PW_ENOTFOUND, NULL },
	{ "HEAD:nope", NULL, PW_ENOTFOUND, "path 'nope' does not exist in 'HEAD'" },
	{ "v1.0:nope/deeper", NULL, PW_ENOTFOUND, "path 'nope/deeper' does not exist in 'v1.0'" },
	{ "HEAD:README/x", NULL, PW_ENOTFOUND, "does not exist" },
	{ "HEAD:README/", NULL, PW_ENOTFOUND, "does not exist" },
	{ "HEAD:src//x", NULL, PW_ENOTFOUND, "does not exist" },
	{ "HEAD:/README", NULL, PW_ENOTFOUND, "does not exist" },
	{ "HEAD:README:x", NULL, PW_ENOTFOUND, "path 'README:x'" },
	{ "HEAD:README:", NULL, PW_ENOTFOUND, NULL },
	{ "nope", NULL, PW_ENOTFOUND, "unknown revision 'nope'" },
	{ "config", NULL, PW_ENOTFOUND, NULL },
	{ "objects", NULL, PW_ENOTFOUND, NULL },
	{ "packed-refs", NULL, PW_ENOTFOUND, NULL },
	{ "refs/heads/.keep", NULL, PW_ENOTFOUND, NULL },
	{ "tags/.keep", NULL, PW_ENOTFOUND, NULL },
	{ ".keep", NULL, PW_ENOTFOUND, NULL },
	{ "HEAD/", NULL, PW_ENOTFOUND, NULL },
	{ "/HEAD", NULL, PW_ENOTFOUND, NULL },
	{ "refs//heads/main", NULL, PW_ENOTFOUND, NULL },
	{ "head", NULL, PW_ENOTFOUND, NULL },
	{ "10e", NULL, PW_ENOTFOUND, NULL },      /* too short to be an abbreviation */
	{ "10eaf", NULL, PW_ENOTFOUND, "no object id starts with it" },

	{ "", NULL, PW_EINVALID, "empty" },
	{ "HEAD^{foo}", NULL, PW_EINVALID, "unknown type in '^{foo}'" },
	{ "HEAD^{commit", NULL, PW_EINVALID, "unbalanced" },
	{ "HEAD^{tree", NULL, PW_EINVALID, "unbalanced" },
	{ "^{tree}", NULL, PW_EINVALID, "no revision" },

	/* the revision syntax: ancestry, message search */
	{ "HEAD~1", "c9ce12d8f5acbe5f1503694cb7b677c8f13cd3c9", 0, NULL },
	{ "HEAD^", "c9ce12d8f5acbe5f1503694cb7b677c8f13cd3c9", 0, NULL },
	{ "HEAD~5^2", "03e58297b84f6357a7c57f22a41014246049816a", 0, NULL },
	{ "HEAD~", "c9ce12d8f5acbe5f1503694cb7b677c8f13cd3c9", 0, NULL },
	{ "HEAD~1^{tree}", "b4112331050c0e2bb37875c265253c10e956a3f0", 0, NULL },
	{ "v1.0~2:README", "17ec60df7f76261b7c03b486d162fcd586a6b495", 0, NULL },
	{ "HEAD^{/side commit 2}", "3228d0d7357c1dd6160451d77b8ffe37a5c2322d", 0, NULL },
	{ ":/commit 1", "dafc4efd68d47a0364b459acca56bde071b01951", 0, NULL },
	{ "HEAD^2", NULL, PW_ENOTFOUND, "the commit has 1 parent" },
	{ "HEAD~100", NULL, PW_ENOTFOUND, "only 20 generations of first parents" },
	{ "HEAD^{tree}^", NULL, PW_ENOTFOUND, "is a tree, not a commit" },
	{ "HEAD~2147483648", NULL, PW_ENOTFOUND, "too large" },
	{ "~1", NULL, PW_EINVALID, "no revision before '~'" },
	{ ":/no such message", NULL, PW_ENOTFOUND, "no commit message matches" },
	{ ":/(", NULL, PW_EINVALID, "invalid regular expression" },
	{ ":/!x", NULL, PW_EINVALID, "after '/!'" },
	/* reflogs: basic.git has none */
	{ "HEAD@{1}", NULL, PW_ENOTFOUND, "no reflog for 'HEAD'" },
	{ "HEAD@{yesterday}", NULL, PW_EUNSUPPORTED, "by date" },
	{ "main@{u}", NULL, PW_EUNSUPPORTED, "@{upstream}" },
	{ "HEAD:./README", NULL, PW_EINVALID, "outside working tree" },
	{ ":0:README", NULL, PW_EUNSUPPORTED, "index" },
	{ ":README", NULL, PW_EUNSUPPORTED, "index" },
};

static void test_basic(void **state)
{
	pw_repo *repo = open_repo(BASIC);

	(void)state;
	CHECK_ALL(repo, basic_cases);
	pw_repo_free(repo);
}

static void test_sha256(void **state)
{
	static const name_case cases[] = {
		{ "HEAD", "23e261af1528e9fb2c760b173e12e64491791791144c93f2a45c086e6e87f579", 0, NULL },
		{ "v6", "6bf2501f960b0e99f9927d65458255680e2f014a7671df883e3e4bf1cae58b43", 0, NULL },
		{ "v6^{}", "558474534877c447a2f6882e2479928c92229a7980d37c49e6f604567fb7ffd1", 0, NULL },
		{ "light-4", "67dcbafe1ade3078a90095a271adfaf0f722550ca7062cd4b70e450dd74909b2", 0, NULL },
		{ "23e261af", "23e261af1528e9fb2c760b173e12e64491791791144c93f2a45c086e6e87f579", 0, NULL },
		/* 40 hex digits are only an abbreviation in a SHA-256 repository */
		{ "23e261af1528e9fb2c760b173e12e64491791791",
			"23e261af1528e9fb2c760b173e12e64491791791144c93f2a45c086e6e87f579", 0, NULL },
		{ "HEAD^{tree}^{tree}", NULL, 0, NULL }, /* filled below */
		{ "v6^{blob}", NULL, PW_ENOTFOUND, "expected blob type" },
	};
	pw_repo *repo = open_repo(SHA256);
	pw_oid tree, t2;

	(void)state;
	check_all(repo, cases, 6);
	check(repo, &cases[7]);
	assert_int_equal(pw_repo_resolve(&tree, repo, "HEAD:"), 0);
	assert_int_equal(pw_repo_resolve(&t2, repo, cases[6].name), 0);
	assert_int_equal(pw_oid_cmp(&tree, &t2), 0);
	pw_repo_free(repo);
}

/* Several threads resolving at once on one repository get the same answers. */
typedef struct thread_arg {
	pw_repo *repo;
	int failures;
} thread_arg;

static void *resolve_all(void *p)
{
	thread_arg *a = p;
	char hex[PW_OID_MAX_HEXSZ + 1];
	size_t i, round;
	pw_oid id;

	for (round = 0; round < 20; round++) {
		for (i = 0; i < sizeof(basic_cases) / sizeof(basic_cases[0]); i++) {
			const name_case *c = &basic_cases[i];
			int rc = pw_repo_resolve(&id, a->repo, c->name);
			if (c->hex ? rc != 0 || strcmp(pw_oid_tostr(hex, &id, PW_OID_SHA1), c->hex) :
				     rc != c->code)
				a->failures++;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	pw_repo *repo = open_repo(BASIC);
	thread_arg args[4];
	pthread_t t[4];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		args[i].repo = repo;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, resolve_all, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	pw_repo_free(repo);
}

/* zlib: 12,341 objects, so many 4-digit prefixes are shared (answers from git). */
static void test_abbreviations(void **state)
{
	static const name_case cases[] = {
		/* two blobs: nothing can tell them apart */
		{ "007b", NULL, PW_EAMBIGUOUS, "007b1fbf0e136e232e7f695126d996e59b7dcd74 blob" },
		{ "007b^{commit}", NULL, PW_EAMBIGUOUS, "007ba26277c8470d897faa87b7b9fb4b5d15e606" },
		{ "007b:README", NULL, PW_EAMBIGUOUS, NULL },
		/* a commit and a blob: ^{commit}, ^{tree} and :path pick the commit */
		{ "0115", NULL, PW_EAMBIGUOUS, "01155ccc3f822a31291a64e4ecd5f1dbb8a8ee63 commit" },
		{ "0115^{}", NULL, PW_EAMBIGUOUS, NULL },
		{ "0115^{object}", NULL, PW_EAMBIGUOUS, NULL },
		{ "0115^{blob}", NULL, PW_EAMBIGUOUS, NULL },
		{ "0115^{commit}", "01155ccc3f822a31291a64e4ecd5f1dbb8a8ee63", 0, NULL },
		{ "0115^{tree}", "b00812cd5ba12d7ee803f2771d2f0e1304e66677", 0, NULL },
		{ "0115:README", "20f7064a5fd15ef214e73a947af4443664b2726a", 0, NULL },
		{ "01155", "01155ccc3f822a31291a64e4ecd5f1dbb8a8ee63", 0, NULL },
		/* a tree and a blob: tree-ish picks the tree, commit-ish nothing */
		{ "00e1^{tree}", "00e122ba59ad883db198dc6adf24d020cac924d3", 0, NULL },
		{ "00e1:", "00e122ba59ad883db198dc6adf24d020cac924d3", 0, NULL },
		{ "00e1^{commit}", NULL, PW_EAMBIGUOUS, NULL },
		/* a unique tag, peeled */
		{ "0b51", "0b51a5d81c3995001f74cd57adfa20a37bd32176", 0, NULL },
		{ "0b51^{commit}", "79fbcdc939b5d515218187a0d5f2526fb632075a", 0, NULL },
		/* describe output looks for a commit only; an ambiguous one is unknown */
		{ "v1-2-g0115", "01155ccc3f822a31291a64e4ecd5f1dbb8a8ee63", 0, NULL },
		{ "v1-2-g007b", NULL, PW_ENOTFOUND, NULL },
		{ "v1-2-g00e1", NULL, PW_ENOTFOUND, NULL },
		{ "develop", "d201f04c72b0881220f5ba75ca19fd0e19fa848b", 0, NULL },
		{ "master", "51b7f2abdade71cd9bb0e7a373ef2610ec6f9daf", 0, NULL },
	};
	pw_repo *repo;

	(void)state;
	need_corpus(ZLIB);
	repo = open_repo(ZLIB);
	CHECK_ALL(repo, cases);
	pw_repo_free(repo);
}

/* ------------------------------------------------------ temporary repositories */

typedef struct ids {
	char c1[65], c2[65], tree[65], blob[65], ann[65], tt[65], tb[65];
} ids;

/* A bare repository tmpdir/r.git: c1 <- c2 (main), tags ann (c1), tt (ann), tb (a blob). */
static void make_repo(ids *id)
{
	sh("git init -q --bare -b main r.git");
	sh_out(id->blob, sizeof(id->blob), "echo hello | git --git-dir=r.git hash-object -w --stdin");
	sh_out(id->tree, sizeof(id->tree),
		"printf '100644 blob %s\\tREADME\\n' | git --git-dir=r.git mktree", id->blob);
	sh_out(id->c1, sizeof(id->c1), "git --git-dir=r.git commit-tree %s -m one", id->tree);
	sh_out(id->c2, sizeof(id->c2), "git --git-dir=r.git commit-tree %s -p %s -m two",
		id->tree, id->c1);
	sh("git --git-dir=r.git update-ref refs/heads/main %s", id->c2);
	sh("git --git-dir=r.git tag -a -m ann ann %s", id->c1);
	sh("git --git-dir=r.git -c advice.nestedTag=false tag -a -m tt tt ann");
	sh("git --git-dir=r.git tag -a -m tb tb %s", id->blob);
	sh_out(id->ann, sizeof(id->ann), "git --git-dir=r.git rev-parse refs/tags/ann");
	sh_out(id->tt, sizeof(id->tt), "git --git-dir=r.git rev-parse refs/tags/tt");
	sh_out(id->tb, sizeof(id->tb), "git --git-dir=r.git rev-parse refs/tags/tb");
}

/* What git rev-parse --verify says about `name` in r.git (hex, or "" on failure). */
static void git_says(char *out, size_t size, const char *name)
{
	setenv("PW_NAME", name, 1);
	sh_out(out, size, "git --git-dir=r.git rev-parse -q --verify \"$PW_NAME\" 2>/dev/null || true");
	unsetenv("PW_NAME");
}

/* Resolve each name with packwin and with git: the same id, or both failing. */
static void agree_with_git(pw_repo *repo, const char *const *names, size_t n)
{
	char want[80], got[PW_OID_MAX_HEXSZ + 1];
	size_t i;
	pw_oid id;
	int rc;

	for (i = 0; i < n; i++) {
		git_says(want, sizeof(want), names[i]);
		rc = pw_repo_resolve(&id, repo, names[i]);
		if (!want[0]) {
			if (rc == 0)
				fail_msg("'%s': git fails, packwin says %s", names[i],
					pw_oid_tostr(got, &id, PW_OID_SHA1));
			continue;
		}
		if (rc < 0)
			fail_msg("'%s': git says %s, packwin: %s", names[i], want, pw_error_last());
		if (strcmp(pw_oid_tostr(got, &id, PW_OID_SHA1), want))
			fail_msg("'%s': git says %s, packwin %s", names[i], want, got);
	}
}

/* Refs that look like ids; git's prefix order; the same name under several prefixes. */
static void test_ref_order(void **state)
{
	char short7[8], names_buf[8][96];
	const char *names[16];
	pw_repo *repo;
	size_t n = 0;
	ids id;

	(void)state;
	make_repo(&id);
	snprintf(short7, sizeof(short7), "%.7s", id.c2);
	/* a branch named like c2's abbreviation, pointing at c1: the ref wins */
	sh("git --git-dir=r.git update-ref refs/heads/%s %s", short7, id.c1);
	/* a tag named with c2's full id, pointing at c1: the id wins */
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/tags/%s %s", id.c2, id.c1);
	/* "dup" as tag, branch and remote: refs/tags/ comes first */
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/tags/dup %s", id.c1);
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/heads/dup %s", id.c2);
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/remotes/dup/HEAD %s", id.c2);
	/* only as a remote's HEAD, and as a plain remote ref */
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/remotes/origin/HEAD %s", id.c1);
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/remotes/up %s", id.c1);
	/* a ref at the top of refs/ */
	sh("git --git-dir=r.git -c core.warnAmbiguousRefs=false update-ref refs/top %s", id.c2);
	repo = open_tmp("r.git");

	names[n++] = short7;
	names[n++] = id.c2;
	snprintf(names_buf[0], sizeof(names_buf[0]), "%s^{commit}", short7);
	names[n++] = names_buf[0];
	snprintf(names_buf[1], sizeof(names_buf[1]), "%s:README", short7);
	names[n++] = names_buf[1];
	snprintf(names_buf[2], sizeof(names_buf[2]), "tags/%s", id.c2);
	names[n++] = names_buf[2];
	names[n++] = "dup";
	names[n++] = "heads/dup";
	names[n++] = "origin";
	names[n++] = "up";
	names[n++] = "top";
	names[n++] = "refs/top";
	names[n++] = "remotes/origin/HEAD";
	agree_with_git(repo, names, n);
	pw_repo_free(repo);
}

/* Broken and dangling refs are skipped for the next prefix; alone, they are reported. */
static void test_broken_refs(void **state)
{
	static const char *const names[] = {
		"brk", "onlybroken", "dang", "HEAD", "refs/heads/brk",
	};
	char content[128];
	pw_repo *repo;
	pw_oid id2;
	ids id;

	(void)state;
	make_repo(&id);
	sh("mkdir -p r.git/refs/tags r.git/refs/heads");
	sh("echo garbage > r.git/refs/tags/brk");
	snprintf(content, sizeof(content), "git --git-dir=r.git update-ref refs/heads/brk %s", id.c1);
	sh("%s", content);
	sh("echo garbage > r.git/refs/heads/onlybroken");
	sh("echo 'ref: refs/heads/nothere' > r.git/refs/tags/dang");
	repo = open_tmp("r.git");
	agree_with_git(repo, names, sizeof(names) / sizeof(names[0]));

	assert_int_equal(pw_repo_resolve(&id2, repo, "onlybroken"), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "refs/heads/onlybroken"));
	assert_int_equal(pw_repo_resolve(&id2, repo, "dang"), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(), "refs/heads/nothere"));

	/* an unborn HEAD */
	sh("echo 'ref: refs/heads/unborn' > r.git/HEAD");
	assert_int_equal(pw_repo_resolve(&id2, repo, "HEAD"), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(), "refs/heads/unborn"));
	assert_int_equal(pw_repo_resolve(&id2, repo, "HEAD:README"), PW_ENOTFOUND);
	pw_repo_free(repo);
}

/* Tags of tags and of blobs, through every suffix. */
static void test_peeling(void **state)
{
	static const char *const names[] = {
		"tt", "tt^{}", "tt^{tag}", "tt^{commit}", "tt^{tree}", "tt^{blob}", "tt^{object}",
		"tt:README", "tt^{tag}^{tag}", "tt^{commit}^{tree}", "tb", "tb^{}", "tb^{blob}",
		"tb^{commit}", "tb^{tree}", "tb:", "tb:README", "ann^{}", "ann^{tag}:README",
	};
	pw_repo *repo;
	pw_oid oid;
	ids id;

	(void)state;
	make_repo(&id);
	repo = open_tmp("r.git");
	agree_with_git(repo, names, sizeof(names) / sizeof(names[0]));
	assert_int_equal(pw_repo_resolve(&oid, repo, "tb^{commit}"), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(),
		"tb^{commit}: expected commit type, but the object dereferences to blob type"));
	assert_int_equal(pw_repo_resolve(&oid, repo, "tb:README"), PW_ENOTFOUND);
	assert_non_null(strstr(pw_error_last(), "expected tree type"));
	pw_repo_free(repo);
}

/* Tree entries whose names sort around each other ("a", "a-b", "a.c", "a/"), a gitlink. */
static void test_tree_paths(void **state)
{
	static const char *const names[] = {
		"T:a", "T:a/", "T:a/x", "T:a/x/", "T:a-b", "T:a-b/", "T:a-b/x", "T:a.c", "T:a/y",
		"T:ab", "T:mod", "T:mod/", "T:mod/x", "T:a/sub/deep", "T:a/sub/", "T:a/sub",
		"T:a//x", "T:", "T:/", "T:a/sub/deep/",
	};
	char blob[65], deep[65], sub[65], a[65], top[65], c[65];
	pw_repo *repo;
	ids id;

	(void)state;
	make_repo(&id);
	snprintf(blob, sizeof(blob), "%s", id.blob);
	sh_out(deep, sizeof(deep), "printf '100644 blob %s\\tdeep\\n' | git --git-dir=r.git mktree",
		blob);
	sh_out(sub, sizeof(sub), "printf '040000 tree %s\\tsub\\n100644 blob %s\\tx\\n' | "
		"git --git-dir=r.git mktree", deep, blob);
	snprintf(a, sizeof(a), "%s", sub);
	sh_out(top, sizeof(top),
		"printf '040000 tree %s\\ta\\n100644 blob %s\\ta-b\\n100755 blob %s\\ta.c\\n"
		"160000 commit %s\\tmod\\n' | git --git-dir=r.git mktree",
		a, blob, blob, id.c1);
	sh_out(c, sizeof(c), "git --git-dir=r.git commit-tree %s -m tricky", top);
	sh("git --git-dir=r.git update-ref refs/heads/T %s", c);
	repo = open_tmp("r.git");
	agree_with_git(repo, names, sizeof(names) / sizeof(names[0]));
	pw_repo_free(repo);
}

/* A malformed tree (written with --literally) gives a clear error, never a crash. */
static void test_malformed_tree(void **state)
{
	static const struct {
		const char *printf_fmt; /* shell printf format of the tree's bytes */
		int code;
	} trees[] = {
		{ "100644 README", PW_ECORRUPT },                 /* no NUL, no id */
		{ "100644 README\\0short", PW_ECORRUPT },         /* id cut short */
		{ "10x644 README\\0%s", PW_ECORRUPT },            /* bad mode */
		{ "100644 \\0%s", PW_ECORRUPT },                  /* empty name */
		{ " README\\0%s", PW_ECORRUPT },                  /* empty mode */
		{ "100644README\\0%s", PW_ECORRUPT },             /* no space */
	};
	char cmd[512], tree[65], commit[65], raw[64];
	pw_repo *repo;
	pw_oid oid;
	size_t i;
	ids id;

	(void)state;
	make_repo(&id);
	/* the raw id bytes, octal-escaped for printf */
	for (i = 0; i < 20; i++) {
		unsigned v;
		sscanf(id.blob + 2 * i, "%2x", &v);
		raw[i] = (char)v;
	}
	for (i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		char esc[128] = "";
		size_t k, len = 0;

		for (k = 0; k < 20; k++)
			len += (size_t)snprintf(esc + len, sizeof(esc) - len, "\\%03o",
				(unsigned char)raw[k]);
		snprintf(cmd, sizeof(cmd), trees[i].printf_fmt, esc);
		sh_out(tree, sizeof(tree),
			"printf '%s' | git --git-dir=r.git hash-object -t tree --literally -w --stdin", cmd);
		sh_out(commit, sizeof(commit), "git --git-dir=r.git commit-tree %s -m bad 2>/dev/null || "
			"printf 'tree %s\\nauthor a <a> 0 +0000\\ncommitter a <a> 0 +0000\\n\\nbad\\n' | "
			"git --git-dir=r.git hash-object -t commit --literally -w --stdin", tree, tree);
		repo = open_tmp("r.git");
		snprintf(cmd, sizeof(cmd), "%s:README", commit);
		if (pw_repo_resolve(&oid, repo, cmd) != trees[i].code)
			fail_msg("tree %zu: %s", i, pw_error_last());
		assert_non_null(strstr(pw_error_last(), tree));
		snprintf(cmd, sizeof(cmd), "%s:", commit);
		assert_int_equal(pw_repo_resolve(&oid, repo, cmd), 0); /* the tree itself is fine */
		pw_repo_free(repo);
	}
}

static void test_limits(void **state)
{
	char *name;
	pw_repo *repo = open_repo(BASIC);
	pw_oid id;
	size_t i, len;

	(void)state;
	/* too long a name */
	name = malloc(5000);
	assert_non_null(name);
	memset(name, 'a', 4999);
	name[4999] = '\0';
	assert_int_equal(pw_repo_resolve(&id, repo, name), PW_EINVALID);

	/* 256 suffixes are fine, 257 are too many */
	len = (size_t)snprintf(name, 5000, "HEAD");
	for (i = 0; i < 256; i++)
		len += (size_t)snprintf(name + len, 5000 - len, i % 3 ? "^{}" : "^0");
	assert_int_equal(pw_repo_resolve(&id, repo, name), 0);
	snprintf(name + len, 5000 - len, "~0");
	assert_int_equal(pw_repo_resolve(&id, repo, name), PW_ELIMIT);

	/* a deep path of missing folders */
	len = (size_t)snprintf(name, 5000, "HEAD:");
	for (i = 0; i < 1000; i++)
		len += (size_t)snprintf(name + len, 5000 - len, "d/");
	assert_int_equal(pw_repo_resolve(&id, repo, name), PW_ENOTFOUND);
	free(name);

	assert_int_equal(pw_repo_resolve(NULL, repo, "HEAD"), PW_EINVALID);
	assert_int_equal(pw_repo_resolve(&id, NULL, "HEAD"), PW_EINVALID);
	assert_int_equal(pw_repo_resolve(&id, repo, NULL), PW_EINVALID);
	pw_repo_free(repo);
}

/* Every allocation failing in turn: PW_ENOMEM (never a crash or a leak), then the answer. */
static void test_out_of_memory(void **state)
{
	static const char *const names[] = {
		"v1.0^{tree}", "HEAD:src/", "side", "10eae", "nope", "v1.0:README",
		"HEAD~5^2~1", ":/side commit", "HEAD^{/basic commit 1}", "HEAD@{1}", "@{-1}",
	};
	pw_repo *repo = open_repo(BASIC);
	size_t i;
	pw_oid id;
	long n;
	int rc, want;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		want = pw_repo_resolve(&id, repo, names[i]);
		for (n = 0;; n++) {
			test_alloc_fail_after(n);
			rc = pw_repo_resolve(&id, repo, names[i]);
			test_alloc_fail_after(-1);
			if (rc == want)
				break;
			if (rc != PW_ENOMEM)
				fail_msg("'%s', failing allocation %ld: %s: %s", names[i], n,
					pw_error_name(rc), pw_error_last());
			assert_true(n < 10000);
		}
	}
	pw_repo_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_abbreviations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test_setup_teardown(test_ref_order, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_broken_refs, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_peeling, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_tree_paths, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_malformed_tree, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
