/*
 * test_parse.c: lib/odb/parse.c against git. Every commit of the corpus
 * repositories parses to the tree, parents and committer time git prints
 * (`git log --format='%H %T %P %ct'`), every annotated tag to the object
 * and type git names, every tree of HEAD to the entries `git ls-tree`
 * lists; malformed objects of each kind are refused, never read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "odb/parse.h"
#include "packwin/errors.h"
#include "packwin/odb.h"
#include "testutil.h"

static pw_repo *open_repo(const char *path)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;

	o.no_discover = 1;
	if (pw_repo_open(&repo, path, &o) < 0)
		fail_msg("open %s: %s", path, pw_error_last());
	return repo;
}

static pw_object *read_hex(pw_repo *repo, const char *hex)
{
	pw_object *obj = NULL;
	pw_oid id;

	assert_int_equal(pw_oid_fromhex(&id, hex, pw_repo_oid_type(repo)), 0);
	if (pw_repo_read(&obj, repo, &id) < 0)
		fail_msg("read %s: %s", hex, pw_error_last());
	return obj;
}

static const char *hex_of(const pw_oid *id, pw_oid_t t)
{
	static char hex[PW_OID_MAX_HEXSZ + 1];
	return pw_oid_tostr(hex, id, t);
}

/* Commits: `%H %T %P %ct` per line, one parse per commit. */
static void check_commits(const char *gitdir)
{
	pw_repo *repo = open_repo(gitdir);
	pw_oid_t t = pw_repo_oid_type(repo);
	char line[4096];
	size_t n = 0, merges = 0;
	FILE *f;

	sh("git --git-dir='%s' log --all --format='%%H %%T %%ct %%P' >commits", gitdir);
	assert_non_null(f = fopen(tmp("commits"), "r"));
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *hex = strtok_r(line, " \n", &save);
		char *tree = strtok_r(NULL, " \n", &save), *ct = strtok_r(NULL, " \n", &save), *p;
		pw_object *obj = read_hex(repo, hex);
		pw__commit c;
		size_t k = 0;

		assert_int_equal(pw__commit_parse(&c, pw_object_data(obj), pw_object_size(obj), t), 0);
		assert_string_equal(hex_of(&c.tree, t), tree);
		assert_int_equal(c.committer_time, strtoll(ct, NULL, 10));
		while ((p = strtok_r(NULL, " \n", &save)) != NULL) {
			assert_true(k < c.parents.n);
			assert_string_equal(hex_of(&c.parents.v[k], t), p);
			k++;
		}
		assert_int_equal(k, c.parents.n);
		merges += k > 1;
		/* the message is the object's tail after the first blank line */
		assert_true(c.message >= (const char *)pw_object_data(obj));
		assert_true(c.message + c.message_len ==
			(const char *)pw_object_data(obj) + pw_object_size(obj));
		pw__commit_dispose(&c);
		pw_object_free(obj);
		n++;
	}
	fclose(f);
	print_message("%s: %zu commits (%zu merges) parsed as git does\n", gitdir, n, merges);
	assert_true(n > 0);
	pw_repo_free(repo);
}

/* Annotated tags: `%(objectname) %(object) %(type)`. */
static void check_tags(const char *gitdir)
{
	pw_repo *repo = open_repo(gitdir);
	pw_oid_t t = pw_repo_oid_type(repo);
	char line[1024];
	size_t n = 0;
	FILE *f;

	sh("git --git-dir='%s' for-each-ref refs/tags --format='%%(objecttype) %%(objectname) "
	   "%%(object) %%(type) %%(refname:strip=2)' | grep '^tag ' >tags || true", gitdir);
	assert_non_null(f = fopen(tmp("tags"), "r"));
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *kind = strtok_r(line, " \n", &save);
		char *hex = strtok_r(NULL, " \n", &save), *obj_hex = strtok_r(NULL, " \n", &save);
		char *type = strtok_r(NULL, " \n", &save);
		pw_object *obj = read_hex(repo, hex);
		pw__tag tag;

		(void)kind;
		assert_int_equal(pw__tag_parse(&tag, pw_object_data(obj), pw_object_size(obj), t), 0);
		assert_string_equal(hex_of(&tag.object, t), obj_hex);
		assert_string_equal(pw_object_type_name(tag.type), type);
		assert_true(tag.name_len > 0);
		pw_object_free(obj);
		n++;
	}
	fclose(f);
	print_message("%s: %zu annotated tags parsed as git does\n", gitdir, n);
	pw_repo_free(repo);
}

/* Every tree of HEAD: `git ls-tree -r -t --full-tree`'s entries, tree by tree. */
static void check_trees(const char *gitdir)
{
	pw_repo *repo = open_repo(gitdir);
	pw_oid_t t = pw_repo_oid_type(repo);
	char line[4096];
	size_t trees = 0, entries = 0;
	FILE *f;

	sh("git --git-dir='%s' ls-tree -r -t HEAD | awk '$2 == \"tree\" { print $3 }' >trees && "
	   "git --git-dir='%s' rev-parse 'HEAD^{tree}' >>trees", gitdir, gitdir);
	assert_non_null(f = fopen(tmp("trees"), "r"));
	while (fgets(line, sizeof(line), f)) {
		char want[4096], got[4096];
		pw_object *obj;
		pw__tree_entry e;
		pw__tree_iter it;
		FILE *g;
		int more;

		line[strcspn(line, "\n")] = '\0';
		obj = read_hex(repo, line);
		sh("git --git-dir='%s' ls-tree %s | md5sum >want", gitdir, line);
		assert_non_null(g = fopen(tmp("entries"), "w"));
		pw__tree_iter_init(&it, pw_object_data(obj), pw_object_size(obj), t);
		while ((more = pw__tree_next(&e, &it)) > 0) {
			fprintf(g, "%06o %s %s\t%.*s\n", e.mode,
				pw_object_type_name(pw__tree_entry_type(e.mode)), hex_of(&e.id, t),
				(int)e.name_len, e.name);
			entries++;
		}
		assert_int_equal(more, 0);
		fclose(g);
		sh_out(want, sizeof(want), "cat want");
		sh_out(got, sizeof(got), "md5sum <entries");
		assert_string_equal(got, want);
		pw_object_free(obj);
		trees++;
	}
	fclose(f);
	print_message("%s: %zu trees, %zu entries listed as git ls-tree lists them\n", gitdir,
		trees, entries);
	assert_true(trees > 0);
	pw_repo_free(repo);
}

static void test_corpus(void **state)
{
	(void)state;
	need_corpus(PW_CORPUS "/zlib.git");
	check_commits(PW_CORPUS "/zlib.git");
	check_tags(PW_CORPUS "/zlib.git");
	check_trees(PW_CORPUS "/zlib.git");
}

static void test_fixtures(void **state)
{
	(void)state;
	check_commits(PW_FIXTURES "/repos/basic.git");
	check_tags(PW_FIXTURES "/repos/basic.git");
	check_trees(PW_FIXTURES "/repos/basic.git");
	check_commits(PW_FIXTURES "/repos/sha256.git");
	check_trees(PW_FIXTURES "/repos/sha256.git");
}

static void test_malformed(void **state)
{
	static const char *const commits[] = {
		"", "tree", "tree 123\n", "parent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n",
		"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904", /* no newline */
		"tree 4b825dc642cb6eb9a060e54bf8d69288fbee490g\n",
	};
	static const char *const tags[] = {
		"", "object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n",
		"object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype blorb\n",
		"object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype commit", /* no newline */
		"type commit\nobject 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n",
	};
	/* mode digits, a name and 20 id bytes: each cut short or broken */
	static const struct { const char *data; size_t len; } trees[] = {
		{ "100644", 6 }, { "100644 ", 7 }, { "100644 a", 8 }, { "100644 a\0short", 15 },
		{ "10064x a\0aaaaaaaaaaaaaaaaaaaa", 29 }, { " a\0aaaaaaaaaaaaaaaaaaaa", 23 },
		{ "100644 \0aaaaaaaaaaaaaaaaaaaa", 28 }, { "1006440000 a\0aaaaaaaaaaaaaaaaaaaa", 33 },
	};
	pw__commit c;
	pw__tag tag;
	pw__tree_entry e;
	pw__tree_iter it;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(commits) / sizeof(*commits); i++) {
		assert_int_equal(pw__commit_parse(&c, (const unsigned char *)commits[i],
			strlen(commits[i]), PW_OID_SHA1), PW_ECORRUPT);
		pw__commit_dispose(&c);
	}
	for (i = 0; i < sizeof(tags) / sizeof(*tags); i++)
		assert_int_equal(pw__tag_parse(&tag, (const unsigned char *)tags[i], strlen(tags[i]),
			PW_OID_SHA1), PW_ECORRUPT);
	for (i = 0; i < sizeof(trees) / sizeof(*trees); i++) {
		pw__tree_iter_init(&it, (const unsigned char *)trees[i].data, trees[i].len, PW_OID_SHA1);
		assert_int_equal(pw__tree_next(&e, &it), PW_ECORRUPT);
	}
	/* the smallest of each that git accepts */
	assert_int_equal(pw__commit_parse(&c, (const unsigned char *)
		"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n", 46, PW_OID_SHA1), 0);
	assert_int_equal(c.parents.n, 0);
	assert_int_equal(c.message_len, 0);
	pw__commit_dispose(&c);
	pw__tree_iter_init(&it, (const unsigned char *)"40000 d\0aaaaaaaaaaaaaaaaaaaa", 28, PW_OID_SHA1);
	assert_int_equal(pw__tree_next(&e, &it), 1);
	assert_int_equal(pw__tree_entry_type(e.mode), PW_OBJ_TREE);
	assert_int_equal(pw__tree_next(&e, &it), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test_setup_teardown(test_fixtures, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_corpus, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
