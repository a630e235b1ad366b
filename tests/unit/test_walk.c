/*
 * test_walk.c: the closure proof of lib/odb/walk.c against repositories
 * git makes: tips whose history is packed pass, a tip with a loose commit,
 * a tree naming a missing blob or a tag of a missing object fails, a
 * gitlink is not followed, a second pack completes a closure, and REF_DELTA
 * bases inside the set are fine; bases in two packs of the set, or in
 * none (a thin pack), are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "packwin/errors.h"
#include "odb/walk.h"
#include "testutil.h"

static pw_repo *open_repo(const char *rel)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;

	o.no_discover = 1;
	assert_int_equal(pw_repo_open(&repo, tmp(rel), &o), 0);
	return repo;
}

static void oid_of(pw_oid *out, const char *cmd)
{
	char hex[80];

	sh_out(hex, sizeof(hex), "%s", cmd);
	assert_int_equal(pw_oid_fromhex(out, hex, PW_OID_SHA1), 0);
}

/* The repository's packs, in the order it registered them. */
static size_t packs_of(pw_pack **packs, size_t cap, pw_repo *repo)
{
	size_t i, n = pw_repo_pack_count(repo);

	assert_true(n <= cap);
	for (i = 0; i < n; i++)
		packs[i] = pw_repo_pack(repo, i);
	return n;
}

/* r.git: two commits on main, an annotated tag, a lightweight tag of a tree, all in one pack. */
static void make_repo(void)
{
	git_test_env();
	sh("git init -q -b main w && cd w && mkdir d && echo a > d/a && echo b > b && git add . && "
	   "git commit -q -m one && echo c > c && git add c && git commit -q -m two && "
	   "git tag -a -m ann v1 HEAD~1 && git tag tree HEAD^{tree}");
	sh("git clone -q --bare w r.git && git --git-dir=r.git repack -q -ad");
}

static void test_packed_history_passes(void **state)
{
	pw_oid tips[4];
	pw_pack *packs[8];
	unsigned char ok[4];
	pw_repo *repo;
	size_t n;

	(void)state;
	make_repo();
	oid_of(&tips[0], "git --git-dir=r.git rev-parse main");
	oid_of(&tips[1], "git --git-dir=r.git rev-parse v1");
	oid_of(&tips[2], "git --git-dir=r.git rev-parse tree");
	oid_of(&tips[3], "git --git-dir=r.git rev-parse main:d/a");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_int_equal(n, 1);
	memset(ok, 7, sizeof(ok));
	assert_int_equal(pw__repo_closure(ok, repo, packs, n, tips, 4, NULL), 0);
	assert_int_equal(ok[0], 1);
	assert_int_equal(ok[1], 1);
	assert_int_equal(ok[2], 1);
	assert_int_equal(ok[3], 1);
	/* No pack at all: nothing is in the set. */
	assert_int_equal(pw__repo_closure(ok, repo, packs, 0, tips, 1, NULL), 0);
	assert_int_equal(ok[0], 0);
	pw_repo_free(repo);
}

static void test_loose_commit_fails_until_packed(void **state)
{
	pw_oid tips[2];
	pw_pack *packs[8];
	unsigned char ok[2];
	pw_repo *repo;
	size_t n, i;
	int found;

	(void)state;
	make_repo();
	oid_of(&tips[0], "git --git-dir=r.git rev-parse main");
	/* A third commit, loose, on another branch. */
	sh("cd w && echo d > d/e && git add d/e && git commit -q -m three && "
	   "git push -q ../r.git HEAD:refs/heads/next");
	oid_of(&tips[1], "git --git-dir=r.git rev-parse next");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_int_equal(n, 1);
	assert_int_equal(pw__repo_closure(ok, repo, packs, n, tips, 2, NULL), 0);
	assert_int_equal(ok[0], 1);
	assert_int_equal(ok[1], 0);
	{
		/* a failed walk's ids count for nothing after it: fail, pass on shared history, fail again */
		pw_oid again[3];
		unsigned char ok3[3];

		again[0] = tips[1];
		again[1] = tips[0];
		again[2] = tips[1];
		assert_int_equal(pw__repo_closure(ok3, repo, packs, n, again, 3, NULL), 0);
		assert_int_equal(ok3[0], 0);
		assert_int_equal(ok3[1], 1);
		assert_int_equal(ok3[2], 0);
	}
	pw_repo_free(repo);

	/* git repack -d packs the loose objects into a second pack: the two together hold it. */
	sh("git --git-dir=r.git repack -q -d");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_int_equal(n, 2);
	assert_int_equal(pw__repo_closure(ok, repo, packs, n, tips, 2, NULL), 0);
	assert_int_equal(ok[0], 1);
	assert_int_equal(ok[1], 1);
	/* The new pack alone holds only the new objects: neither closure is whole in it. */
	found = 0;
	for (i = 0; i < n; i++) {
		uint64_t off;
		if (pw_pack_find(&off, packs[i], &tips[0]) == PW_ENOTFOUND) {
			assert_int_equal(pw__repo_closure(ok, repo, &packs[i], 1, tips, 2, NULL), 0);
			assert_int_equal(ok[0], 0);
			assert_int_equal(ok[1], 0);
			found = 1;
		}
	}
	pw_error_clear();
	assert_true(found);
	pw_repo_free(repo);
}

static void test_missing_objects_fail(void **state)
{
	pw_oid tips[3];
	pw_pack *packs[8];
	unsigned char ok[3];
	pw_repo *repo;
	size_t n;

	(void)state;
	make_repo();
	/*
	 * A commit whose tree names a blob nobody has, a tag of a commit
	 * nobody has, and a commit whose tree has a gitlink (a submodule
	 * commit, never in this repository) and nothing else missing.
	 */
	sh("cd r.git && t=$(printf '100644 blob %%s\\tlost\\n' 1111111111111111111111111111111111111111 | "
	   "git mktree --missing) && c=$(git commit-tree -m lost $t) && git update-ref refs/heads/lost $c && "
	   "printf 'object %%s\\ntype commit\\ntag gone\\ntagger T <t@example.com> 0 +0000\\n\\ngone\\n' "
	   "2222222222222222222222222222222222222222 > tagfile && "
	   "g=$(git hash-object -t tag -w --literally tagfile) && git update-ref refs/tags/gone $g && "
	   "t2=$(printf '160000 commit %%s\\tsub\\n' 3333333333333333333333333333333333333333 | "
	   "git mktree --missing) && c2=$(git commit-tree -m sub $t2) && git update-ref refs/heads/sub $c2 && "
	   /* git repack would refuse the missing objects: pack every object there is, as it is. */
	   "git cat-file --batch-all-objects --batch-check='%%(objectname)' | "
	   "git pack-objects -q objects/pack/pack >/dev/null && git prune-packed");
	oid_of(&tips[0], "git --git-dir=r.git rev-parse refs/heads/lost");
	oid_of(&tips[1], "git --git-dir=r.git rev-parse refs/tags/gone");
	oid_of(&tips[2], "git --git-dir=r.git rev-parse refs/heads/sub");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_true(n >= 1);
	assert_int_equal(pw__repo_closure(ok, repo, packs, n, tips, 3, NULL), 0);
	assert_int_equal(ok[0], 0);
	assert_int_equal(ok[1], 0);
	assert_int_equal(ok[2], 1);
	pw_repo_free(repo);
}

static void test_ref_deltas_inside_the_set(void **state)
{
	pw_pack *packs[8];
	pw_repo *repo;
	pw__bases_problem problem = 7;
	pw_oid base, dup;
	size_t n;

	(void)state;
	git_test_env();
	/* Similar blobs, so that there are deltas; REF_DELTA instead of OFS_DELTA. */
	sh("git init -q -b main w && cd w && seq 1 3000 > f && git add f && git commit -q -m 1 && "
	   "seq 1 3001 > f && git commit -q -am 2 && seq 2 3002 > f && git commit -q -am 3");
	/* pack-objects writes REF_DELTA unless told --delta-base-offset. */
	sh("git init -q --bare r.git && git --git-dir=w/.git rev-list --objects --all | "
	   "git --git-dir=w/.git pack-objects -q r.git/objects/pack/pack >/dev/null");
	sh("git verify-pack -v r.git/objects/pack/*.idx | grep -q ' 1 [0-9a-f]\\{40\\}$'");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_int_equal(n, 1);
	assert_int_equal(pw__packs_bases(&problem, &base, packs, n), 0);
	assert_int_equal(problem, PW__BASES_OK);
	pw_repo_free(repo);

	/*
	 * A second pack holding the bases again: each REF_DELTA base now has
	 * two copies in the set, which index-pack refuses. Either pack alone
	 * is fine.
	 */
	sh("git --git-dir=r.git cat-file --batch-all-objects --batch-check='%%(objectname) %%(objecttype)' | "
	   "awk '$2 == \"blob\" { print $1 }' | git --git-dir=r.git pack-objects -q --no-reuse-delta "
	   "--window=0 r.git/objects/pack/pack >/dev/null");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_int_equal(n, 2);
	assert_int_equal(pw__packs_bases(&problem, &dup, packs, n), 0);
	assert_int_equal(problem, PW__BASES_DUPLICATE);
	assert_int_equal(pw__packs_bases(&problem, &dup, packs, 1), 0);
	assert_int_equal(problem, PW__BASES_OK);
	assert_int_equal(pw__packs_bases(&problem, &dup, packs + 1, 1), 0);
	assert_int_equal(problem, PW__BASES_OK);
	pw_repo_free(repo);
}

static void test_thin_pack(void **state)
{
	pw__bases_problem problem = PW__BASES_OK;
	pw_pack *packs[8];
	pw_repo *repo;
	pw_oid base, want;
	size_t n;

	(void)state;
	make_repo();
	/* A pack whose one entry is a REF_DELTA on a blob no pack has (the script says how it is made). */
	sh("python3 '%s/../tests/e2e/pack-serve/thinpack.py' r.git/objects/pack > base", PW_FIXTURES);
	oid_of(&want, "cat base");
	repo = open_repo("r.git");
	n = packs_of(packs, 8, repo);
	assert_int_equal(n, 2);
	assert_int_equal(pw__packs_bases(&problem, &base, packs, n), 0);
	assert_int_equal(problem, PW__BASES_THIN);
	assert_memory_equal(&base, &want, sizeof(base));
	pw_repo_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packed_history_passes, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_loose_commit_fails_until_packed, make_tmpdir,
			remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_objects_fail, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_ref_deltas_inside_the_set, make_tmpdir,
			remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_thin_pack, make_tmpdir, remove_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
