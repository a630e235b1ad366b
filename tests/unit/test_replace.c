/*
 * test_replace.c: replace refs (lib/odb/replace.c) on temporary
 * repositories made with git: reads by id replaced and existence not, a
 * chain of 4 followed and of 5 refused, a loop, the option and the
 * environment turning it off, core.useReplaceRefs in its spellings,
 * GIT_REPLACE_REF_BASE, replace refs with bad names and packed ones, and
 * threads racing on the first load.
 */
#include <pthread.h>
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

static pw_repo *open_r(int no_replace)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;

	o.no_discover = 1;
	o.no_replace_objects = no_replace;
	if (pw_repo_open(&repo, tmp("r.git"), &o) < 0)
		fail_msg("pw_repo_open: %s", pw_error_last());
	return repo;
}

/* The content of object `hex` read by id, NUL-terminated into buf. */
static int read_text(char *buf, size_t size, pw_repo *repo, const char *hex)
{
	pw_object *obj = NULL;
	pw_oid id;
	int rc;

	assert_int_equal(pw_oid_fromhex(&id, hex, PW_OID_SHA1), 0);
	if ((rc = pw_repo_read(&obj, repo, &id)) < 0)
		return rc;
	snprintf(buf, size, "%.*s", (int)pw_object_size(obj), (const char *)pw_object_data(obj));
	pw_object_free(obj);
	return 0;
}

static char readme[41], blob1[41], chain4[41], chain5[41], loop_a[41];

/* r.git: basic.git with README replaced, chains of 4 and 5 replacements, a loop. */
static void make_repo(void)
{
	char prev[41] = "", cur[41];
	int i;

	git_test_env();
	sh("git clone -q --bare %s %s", BASIC, tmp("r.git"));
	sh_out(readme, sizeof(readme), "git --git-dir=%s rev-parse HEAD:README", tmp("r.git"));
	sh_out(blob1, sizeof(blob1), "echo replaced | git --git-dir=%s hash-object -w --stdin",
		tmp("r.git"));
	sh("git --git-dir=%s replace %s %s", tmp("r.git"), readme, blob1);
	for (i = 1; i <= 5; i++) {
		sh_out(cur, sizeof(cur), "echo c4-%d | git --git-dir=%s hash-object -w --stdin", i,
			tmp("r.git"));
		if (prev[0])
			sh("git --git-dir=%s replace %s %s", tmp("r.git"), prev, cur);
		else
			memcpy(chain4, cur, sizeof(cur));
		memcpy(prev, cur, sizeof(cur));
	}
	prev[0] = '\0';
	for (i = 1; i <= 6; i++) {
		sh_out(cur, sizeof(cur), "echo c5-%d | git --git-dir=%s hash-object -w --stdin", i,
			tmp("r.git"));
		if (prev[0])
			sh("git --git-dir=%s replace %s %s", tmp("r.git"), prev, cur);
		else
			memcpy(chain5, cur, sizeof(cur));
		memcpy(prev, cur, sizeof(cur));
	}
	/* a loop, written by hand (git replace refuses it) */
	sh_out(loop_a, sizeof(loop_a), "echo loop-a | git --git-dir=%s hash-object -w --stdin",
		tmp("r.git"));
	sh_out(cur, sizeof(cur), "echo loop-b | git --git-dir=%s hash-object -w --stdin",
		tmp("r.git"));
	sh("git --git-dir=%s update-ref refs/replace/%s %s", tmp("r.git"), loop_a, cur);
	sh("git --git-dir=%s update-ref refs/replace/%s %s", tmp("r.git"), cur, loop_a);
	/* names git ignores: not an id, a short id */
	sh("git --git-dir=%s update-ref refs/replace/not-an-id %s", tmp("r.git"), blob1);
	sh("git --git-dir=%s update-ref refs/replace/2685f3 %s", tmp("r.git"), blob1);
}

static void test_reads(void **state)
{
	char text[256];
	pw_object_info info;
	pw_repo *repo;
	pw_oid id;

	(void)state;
	make_repo();
	repo = open_r(0);
	assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
	assert_string_equal(text, "replaced\n");
	assert_int_equal(pw_oid_fromhex(&id, readme, PW_OID_SHA1), 0);
	assert_int_equal(pw_repo_info(&info, repo, &id, 0), 0);
	assert_int_equal(info.size, 9);
	assert_int_equal(pw_repo_exists(repo, &id), 0);
	/* names resolve through the replacement too: HEAD:README is still README's id */
	assert_int_equal(pw_repo_resolve(&id, repo, "HEAD:README"), 0);
	/* 4 replacements in a row: the last one */
	assert_int_equal(read_text(text, sizeof(text), repo, chain4), 0);
	assert_string_equal(text, "c4-5\n");
	/* 5 in a row, or a loop: git's "replace depth too high" */
	assert_int_equal(read_text(text, sizeof(text), repo, chain5), PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "replace depth too high"));
	assert_int_equal(read_text(text, sizeof(text), repo, loop_a), PW_ECORRUPT);
	pw_repo_free(repo);

	repo = open_r(1);
	assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
	assert_string_not_equal(text, "replaced\n");
	assert_int_equal(read_text(text, sizeof(text), repo, chain5), 0);
	assert_string_equal(text, "c5-1\n");
	pw_repo_free(repo);
}

static void test_switches(void **state)
{
	static const struct {
		const char *value;
		int replaced;
	} spellings[] = {
		{ "false", 0 }, { "FALSE", 0 }, { "no", 0 }, { "off", 0 }, { "0", 0 },
		{ "\"false\"", 0 }, { "false ; a comment", 0 }, { "true", 1 }, { "yes", 1 },
		{ "1", 1 },
	};
	char text[256];
	pw_repo *repo;
	size_t i;

	(void)state;
	make_repo();
	setenv("GIT_NO_REPLACE_OBJECTS", "", 1);
	repo = open_r(0);
	assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
	assert_string_not_equal(text, "replaced\n");
	pw_repo_free(repo);
	unsetenv("GIT_NO_REPLACE_OBJECTS");

	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		sh("printf '[Core]\\n\\tuseReplaceRefs = %s\\n' >> %s/config", spellings[i].value,
			tmp("r.git"));
		repo = open_r(0);
		assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
		if ((strcmp(text, "replaced\n") == 0) != spellings[i].replaced)
			fail_msg("core.useReplaceRefs = %s: replaced is %d", spellings[i].value,
				!spellings[i].replaced);
		pw_repo_free(repo);
	}
	sh("git --git-dir=%s config --unset-all core.useReplaceRefs", tmp("r.git"));

	/* another base; and packed replace refs are read as well as loose ones */
	sh("git --git-dir=%s update-ref refs/alt/%s %s", tmp("r.git"), readme, chain4);
	/* git pack-refs dies on the replacement loop unless told not to replace */
	sh("GIT_NO_REPLACE_OBJECTS=1 git --git-dir=%s pack-refs --all", tmp("r.git"));
	setenv("GIT_REPLACE_REF_BASE", "refs/alt/", 1);
	repo = open_r(0);
	assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
	assert_string_equal(text, "c4-1\n");
	pw_repo_free(repo);
	unsetenv("GIT_REPLACE_REF_BASE");
	repo = open_r(0);
	assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
	assert_string_equal(text, "replaced\n");
	pw_repo_free(repo);
}

struct racer {
	pw_repo *repo;
	int ok;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	char text[64];

	r->ok = read_text(text, sizeof(text), r->repo, readme) == 0 &&
		!strcmp(text, "replaced\n");
	return NULL;
}

/* Threads reading at once on a fresh repository all see the map (one of them builds it). */
static void test_threads_load(void **state)
{
	struct racer r[8];
	pthread_t t[8];
	int round, i;

	(void)state;
	make_repo();
	for (round = 0; round < 20; round++) {
		pw_repo *repo = open_r(0);

		for (i = 0; i < 8; i++) {
			r[i].repo = repo;
			r[i].ok = 0;
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		for (i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			assert_true(r[i].ok);
		}
		pw_repo_free(repo);
	}
}

/* Every allocation failing in turn on the first read: PW_ENOMEM, never a wrong answer. */
static void test_out_of_memory(void **state)
{
	char text[64];
	long n;
	int rc;

	(void)state;
	make_repo();
	for (n = 0;; n++) {
		pw_repo *repo = open_r(0);

		test_alloc_fail_after(n);
		rc = read_text(text, sizeof(text), repo, readme);
		test_alloc_fail_after(-1);
		if (rc == 0) {
			assert_string_equal(text, "replaced\n");
			pw_repo_free(repo);
			break;
		}
		if (rc != PW_ENOMEM)
			fail_msg("failing allocation %ld: %s: %s", n, pw_error_name(rc),
				pw_error_last());
		/* the map was not kept: the next read builds it */
		assert_int_equal(read_text(text, sizeof(text), repo, readme), 0);
		assert_string_equal(text, "replaced\n");
		pw_repo_free(repo);
		assert_true(n < 10000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_switches, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_threads_load, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_out_of_memory, make_tmpdir, remove_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
