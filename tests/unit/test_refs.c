/*
 * test_refs.c: refs (lib/odb/refs.c): loose refs shadowing packed-refs, HEAD,
 * symbolic refs (depth limit, loops, dangling), iteration order and peeling,
 * on the fixture and corpus repositories and on temporary repositories made
 * with git: corrupt ref files, malformed packed-refs, invalid names, detached
 * and symbolic-link HEADs, linked work trees, refs to missing objects, and
 * every allocation failing in turn; reflog lines as git reads or skips them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "odb/reflog.h"
#include "odb/refs.h"
#include "util/alloc.h"

#define BASIC PW_FIXTURES "/repos/basic.git"
#define SHA256 PW_FIXTURES "/repos/sha256.git"

/* basic.git (fixtures/README.md) */
#define BASIC_MAIN "10eae95e761a798285a77280fad11b595e6c7521"
#define BASIC_MAIN_PACKED "c9ce12d8f5acbe5f1503694cb7b677c8f13cd3c9"
#define BASIC_SIDE "03e58297b84f6357a7c57f22a41014246049816a"
#define BASIC_LIGHT "540bae881c355f8755290f8e796e60ba5dbc9842"
#define BASIC_V1 "2c3286049eff40bca3225384b5ea178312eddbec"
#define BASIC_V1_PEELED "84b69d2749bf2a7f32d3cb42d33f4bf494ce7c36"

/* ---------------------------------------------------------------- helpers */

/* Write `content` to tmpdir/rel (parents made). */
static void write_file(const char *rel, const char *content)
{
	char path[1024];
	FILE *f;

	sh("mkdir -p \"$(dirname '%s')\"", rel);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
	assert_int_equal(fclose(f), 0);
}

static pw_repo *open_repo(const char *path)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;
	int rc;

	o.no_discover = 1;
	rc = pw_repo_open(&repo, path, &o);
	if (rc < 0)
		fail_msg("pw_repo_open %s: %s", path, pw_error_last());
	return repo;
}

static pw_repo *open_tmp(const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return open_repo(path);
}

static void assert_ref(pw_repo *repo, const char *name, const char *hex)
{
	char got[PW_OID_MAX_HEXSZ + 1];
	pw_oid id;
	int rc = pw_repo_ref(&id, repo, name);

	if (rc < 0)
		fail_msg("pw_repo_ref %s: %s", name, pw_error_last());
	assert_string_equal(pw_oid_tostr(got, &id, pw_repo_oid_type(repo)), hex);
}

/* rc must be `code` and the last error must contain every given piece. */
static void assert_error(int rc, int code, const char *piece, const char *piece2)
{
	if (rc != code)
		fail_msg("expected %s, got %d (%s): %s", pw_error_name(code), rc, pw_error_name(rc),
			pw_error_last());
	if (piece && !strstr(pw_error_last(), piece))
		fail_msg("message '%s' lacks '%s'", pw_error_last(), piece);
	if (piece2 && !strstr(pw_error_last(), piece2))
		fail_msg("message '%s' lacks '%s'", pw_error_last(), piece2);
}

/* What pw_repo_foreach_ref reports, as `git show-ref -d` lines. */
typedef struct listing {
	char text[1 << 16];
	size_t len, refs, peeled;
	char last[1024];
	int unsorted;
	int stop_after; /* > 0: return 42 after that many refs */
	pw_oid_t type;
	char warnings[4096]; /* "WHY NAME\n" for each ref left out */
	size_t wlen;
} listing;

static void warn_cb(const char *name, pw_ref_broken why, const char *detail, void *payload)
{
	listing *l = payload;

	assert_non_null(detail);
	if (l->wlen < sizeof(l->warnings))
		l->wlen += (size_t)snprintf(l->warnings + l->wlen, sizeof(l->warnings) - l->wlen,
			"%d %s\n", (int)why, name);
}

static int list_cb(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	listing *l = payload;
	char hex[PW_OID_MAX_HEXSZ + 1], phex[PW_OID_MAX_HEXSZ + 1];
	pw_oid_t type = l->type;

	if (l->refs && strcmp(l->last, name) >= 0)
		l->unsorted = 1;
	snprintf(l->last, sizeof(l->last), "%s", name);
	l->refs++;
	if (l->len < sizeof(l->text))
		l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s %s\n",
			pw_oid_tostr(hex, id, type), name);
	if (peeled) {
		l->peeled++;
		if (l->len < sizeof(l->text))
			l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
				"%s %s^{}\n", pw_oid_tostr(phex, peeled, type), name);
	}
	if (l->stop_after && l->refs == (size_t)l->stop_after)
		return 42;
	return 0;
}

static listing *list_refs(pw_repo *repo, int *rc)
{
	listing *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->type = pw_repo_oid_type(repo);
	*rc = pw_repo_foreach_ref_warn(repo, list_cb, warn_cb, l);
	return l;
}

/*
 * A bare repository tmpdir/r.git with commits c1 <- c2 on main, an
 * annotated tag "ann" of c1 and a tag "tt" of that tag; their ids in
 * the given buffers. Refs are loose.
 */
typedef struct ids {
	char c1[65], c2[65], tree[65], ann[65], tt[65], blob[65];
} ids;

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
	sh("git --git-dir=r.git -c advice.nestedTag=false tag -a -m ann ann %s", id->c1);
	sh("git --git-dir=r.git -c advice.nestedTag=false tag -a -m tt tt ann");
	sh_out(id->ann, sizeof(id->ann), "git --git-dir=r.git rev-parse refs/tags/ann");
	sh_out(id->tt, sizeof(id->tt), "git --git-dir=r.git rev-parse refs/tags/tt");
}

/* ------------------------------------------------------- fixture repositories */

static void test_basic_refs(void **state)
{
	pw_repo *repo = open_repo(BASIC);
	char *target = NULL;
	pw_oid id;

	(void)state;
	assert_ref(repo, "HEAD", BASIC_MAIN);
	/* the loose refs/heads/main shadows its stale packed-refs line */
	assert_ref(repo, "refs/heads/main", BASIC_MAIN);
	assert_ref(repo, "refs/heads/side", BASIC_SIDE);
	assert_ref(repo, "refs/tags/v1.0", BASIC_V1);
	assert_ref(repo, "refs/tags/v0.5-light", BASIC_LIGHT);

	assert_int_equal(pw_repo_head_target(&target, repo), 0);
	assert_string_equal(target, "refs/heads/main");
	pw_string_free(target);

	assert_error(pw_repo_ref(&id, repo, "refs/heads/nope"), PW_ENOTFOUND, "refs/heads/nope", NULL);
	/* a one-level name is looked for in the git directory only */
	assert_error(pw_repo_ref(&id, repo, "main"), PW_ENOTFOUND, NULL, NULL);
	/* the .keep files are no refs: their names are invalid */
	assert_error(pw_repo_ref(&id, repo, "refs/tags/.keep"), PW_EINVALID, ".keep", NULL);
	assert_error(pw_repo_ref(&id, repo, "refs/heads/../../config"), PW_EINVALID, NULL, NULL);
	assert_error(pw_repo_ref(&id, repo, ""), PW_EINVALID, NULL, NULL);
	assert_error(pw_repo_ref(&id, repo, "/etc/passwd"), PW_EINVALID, NULL, NULL);
	pw_repo_free(repo);
}

static void test_basic_foreach(void **state)
{
	pw_repo *repo = open_repo(BASIC);
	listing *l;
	int rc;

	(void)state;
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(l->text,
		BASIC_MAIN " refs/heads/main\n"
		BASIC_SIDE " refs/heads/side\n"
		BASIC_LIGHT " refs/tags/v0.5-light\n"
		BASIC_V1 " refs/tags/v1.0\n"
		BASIC_V1_PEELED " refs/tags/v1.0^{}\n");
	free(l);

	/* a non-zero callback return stops the iteration and is returned */
	l = calloc(1, sizeof(*l));
	assert_non_null(l);
	l->stop_after = 2;
	l->type = PW_OID_SHA1;
	assert_int_equal(pw_repo_foreach_ref(repo, list_cb, l), 42);
	assert_int_equal(l->refs, 2);
	free(l);
	pw_repo_free(repo);
}

static void test_sha256(void **state)
{
	pw_repo *repo = open_repo(SHA256);
	listing *l;
	int rc;

	(void)state;
	assert_ref(repo, "HEAD", "23e261af1528e9fb2c760b173e12e64491791791144c93f2a45c086e6e87f579");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(l->text,
		"23e261af1528e9fb2c760b173e12e64491791791144c93f2a45c086e6e87f579 refs/heads/main\n"
		"67dcbafe1ade3078a90095a271adfaf0f722550ca7062cd4b70e450dd74909b2 refs/tags/light-4\n"
		"6bf2501f960b0e99f9927d65458255680e2f014a7671df883e3e4bf1cae58b43 refs/tags/v6\n"
		"558474534877c447a2f6882e2479928c92229a7980d37c49e6f604567fb7ffd1 refs/tags/v6^{}\n");
	free(l);
	pw_repo_free(repo);
}

/* The corpus: all refs packed (fully-peeled), .keep files beside them. */
static void test_corpus(void **state)
{
	static const struct {
		const char *repo;
		size_t refs, peeled;
		const char *head;
	} cases[] = {
		{ PW_CORPUS "/zlib.git", 861, 76, "refs/heads/develop" },
		{ PW_CORPUS "/libgit2.git", 7007, 2, "refs/heads/main" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pw_repo *repo;
		char *target = NULL;
		listing *l;
		pw_oid id;
		int rc;

		need_corpus(cases[i].repo);
		repo = open_repo(cases[i].repo);
		l = list_refs(repo, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(l->refs, cases[i].refs);
		assert_int_equal(l->peeled, cases[i].peeled);
		assert_false(l->unsorted);
		free(l);
		assert_int_equal(pw_repo_head_target(&target, repo), 0);
		assert_string_equal(target, cases[i].head);
		pw_string_free(target);
		assert_int_equal(pw_repo_ref(&id, repo, "HEAD"), 0);
		assert_error(pw_repo_ref(&id, repo, "refs/heads/.keep"), PW_EINVALID, NULL, NULL);
		pw_repo_free(repo);
	}
}

/* pw__refname_is_valid agrees with `git check-ref-format` on tricky names. */
static void test_refname_validity(void **state)
{
	static const char *const names[] = {
		"HEAD", "main", "refs/heads/main", "refs/heads/a.b", "refs/heads/a..b",
		"refs/heads/.keep", "refs/heads/a/.b", "refs/heads/x.lock", "refs/heads/x.lock/y",
		"refs/heads/x.locky", "refs/heads/tail.", "refs/heads/tail/", "/refs/heads/x",
		"refs//heads/x", "refs/heads/sp ace", "refs/heads/tab\t", "refs/heads/a~1",
		"refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*",
		"refs/heads/a[b", "refs/heads/a\\b", "refs/heads/a@{1}", "refs/heads/a@b",
		"refs/heads/@", "@", "refs/heads/a{b}", "refs/heads/caf\xc3\xa9", "refs/heads/\x7f",
		"refs/heads/-dash", "refs/heads/a.", "a", ".a", "refs/heads/.", "refs/heads/..",
		"refs/tags/v1.0", "refs/heads/x.lock.y", "refs/heads/\x01",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int want, allow;
		for (allow = 0; allow < 2; allow++) {
			char cmd[512];
			/* the name travels in the environment: no quoting trouble */
			setenv("PW_REFNAME", names[i], 1);
			snprintf(cmd, sizeof(cmd), "git check-ref-format %s \"$PW_REFNAME\"",
				allow ? "--allow-onelevel" : "");
			want = system(cmd) == 0;
			if (pw__refname_is_valid(names[i], allow) != want)
				fail_msg("'%s' (allow-onelevel %d): git says %s", names[i], allow,
					want ? "valid" : "invalid");
		}
	}
	unsetenv("PW_REFNAME");
}

/* ------------------------------------------------------ temporary repositories */

static void test_symref_loop_and_depth(void **state)
{
	char content6[128];
	pw_repo *repo;
	ids id;
	pw_oid oid;
	listing *l;
	int rc, i;

	(void)state;
	make_repo(&id);
	write_file("r.git/refs/heads/a", "ref: refs/heads/b\n");
	write_file("r.git/refs/heads/b", "ref: refs/heads/a\n");
	write_file("r.git/refs/heads/self", "ref: refs/heads/self\n");
	/* git reads at most 5 ref files for a name: c2 .. c6 resolves, c1 does not */
	for (i = 1; i <= 5; i++) {
		char name[64], content[64];
		snprintf(name, sizeof(name), "r.git/refs/heads/c%d", i);
		snprintf(content, sizeof(content), "ref: refs/heads/c%d\n", i + 1);
		write_file(name, content);
	}
	snprintf(content6, sizeof(content6), "%s\n", id.c2);
	write_file("r.git/refs/heads/c6", content6);
	repo = open_tmp("r.git");

	write_file("r.git/HEAD", "ref: refs/heads/a\n");
	assert_error(pw_repo_ref(&oid, repo, "HEAD"), PW_ECORRUPT,
		"symbolic ref loop: HEAD -> refs/heads/a -> refs/heads/b -> refs/heads/a", NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/self"), PW_ECORRUPT,
		"loop: refs/heads/self -> refs/heads/self", NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/c1"), PW_ECORRUPT,
		"more than 4 symbolic refs", "refs/heads/c1 -> refs/heads/c2");
	assert_ref(repo, "refs/heads/c2", id.c2);
	assert_ref(repo, "refs/heads/c6", id.c2);

	/* iteration leaves the loops out, as git does, and says so */
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(l->warnings, "2 refs/heads/a\n2 refs/heads/b\n"));
	assert_non_null(strstr(l->warnings, "2 refs/heads/self\n"));
	assert_non_null(strstr(l->text, " refs/heads/c2\n"));
	free(l);
	pw_repo_free(repo);
}

static void test_dangling_and_unborn(void **state)
{
	pw_repo *repo;
	char *target = NULL;
	ids id;
	pw_oid oid;
	listing *l;
	int rc;

	(void)state;
	sh("git init -q --bare -b trunk empty.git");
	repo = open_tmp("empty.git");
	/* an unborn branch: HEAD names it, but it does not exist */
	assert_int_equal(pw_repo_head_target(&target, repo), 0);
	assert_string_equal(target, "refs/heads/trunk");
	pw_string_free(target);
	assert_error(pw_repo_ref(&oid, repo, "HEAD"), PW_ENOTFOUND, "refs/heads/trunk",
		"does not exist");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(l->refs, 0);
	free(l);
	pw_repo_free(repo);

	make_repo(&id);
	write_file("r.git/refs/heads/dang", "ref: refs/heads/nothere\n");
	write_file("r.git/refs/remotes/origin/HEAD", "ref: refs/heads/main\n");
	repo = open_tmp("r.git");
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/dang"), PW_ENOTFOUND, "refs/heads/nothere",
		NULL);
	/* iteration skips the dangling one, resolves the other to its target */
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(l->text, "dang"));
	assert_non_null(strstr(l->text, " refs/remotes/origin/HEAD\n"));
	assert_int_equal(l->refs, 4); /* main, origin/HEAD, ann, tt */
	free(l);
	pw_repo_free(repo);
}

/* Loose ref contents as git's parse_loose_ref_contents takes them. */
static void test_loose_contents(void **state)
{
	struct {
		const char *name, *fmt; /* %s: c2's id */
		int code;
		const char *msg;
	} cases[] = {
		{ "plain", "%s\n", 0, NULL },
		{ "no-newline", "%s", 0, NULL },
		{ "crlf", "%s\r\n", 0, NULL },
		{ "trailing", "%s trailing words\n", 0, NULL },
		{ "tabbed", "%s\textra\n", 0, NULL },
		{ "sym-nospace", "ref:refs/heads/main\n", 0, NULL },
		{ "sym-spaces", "ref:   refs/heads/main  \n", 0, NULL },
		{ "empty", "", PW_ECORRUPT, "ref file is empty" },
		{ "blank", " \n\n", PW_ECORRUPT, "ref file is empty" },
		{ "garbage", "zzzz\n", PW_ECORRUPT, "not a 40-digit object id" },
		{ "short", "0123abcd\n", PW_ECORRUPT, "not a 40-digit object id" },
		{ "leading-space", " %s\n", PW_ECORRUPT, "not a 40-digit" },
		{ "glued", "%sX\n", PW_ECORRUPT, "not a 40-digit" },
		{ "null", "0000000000000000000000000000000000000000\n", PW_ECORRUPT, "null object id" },
		{ "sym-nowhere", "ref:\n", PW_ECORRUPT, "points nowhere" },
		{ "sym-escape", "ref: ../../../etc/passwd\n", PW_ECORRUPT, "invalid ref name" },
		{ "sym-badname", "ref: refs/heads/a..b\n", PW_ECORRUPT, "invalid ref name" },
	};
	char name[128], content[256], upper[65];
	pw_repo *repo;
	size_t i;
	ids id;
	pw_oid oid;

	(void)state;
	make_repo(&id);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "r.git/refs/heads/%s", cases[i].name);
		snprintf(content, sizeof(content), cases[i].fmt, id.c2);
		write_file(name, content);
	}
	for (i = 0; id.c2[i]; i++)
		upper[i] = (char)(id.c2[i] >= 'a' && id.c2[i] <= 'f' ? id.c2[i] - 32 : id.c2[i]);
	upper[i] = '\0';
	snprintf(content, sizeof(content), "%s\n", upper);
	write_file("r.git/refs/heads/upper", content);
	repo = open_tmp("r.git");
	assert_ref(repo, "refs/heads/upper", id.c2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "refs/heads/%s", cases[i].name);
		if (cases[i].code == 0) {
			assert_ref(repo, name, id.c2);
			continue;
		}
		assert_error(pw_repo_ref(&oid, repo, name), cases[i].code, cases[i].msg, name);
	}
	pw_repo_free(repo);

	/* a folder where a ref could be, a FIFO, a huge file */
	sh("mkdir -p r.git/refs/heads/dir/sub && mkfifo r.git/refs/heads/fifo");
	sh("head -c 100000 /dev/zero > r.git/refs/heads/huge");
	repo = open_tmp("r.git");
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/dir"), PW_ENOTFOUND, NULL, NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/fifo"), PW_ECORRUPT, "not a regular file",
		NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/huge"), PW_ECORRUPT, "too large", NULL);
	pw_repo_free(repo);
}

/* Iteration reports a corrupt ref file, naming it; invalid names are skipped silently. */
static void test_foreach_names_and_corruption(void **state)
{
	static const char *const skipped[] = {
		"r.git/refs/heads/.hidden", "r.git/refs/heads/x.lock", "r.git/refs/heads/a..b",
		"r.git/refs/heads/sp ace", "r.git/refs/heads/tail.", "r.git/refs/heads/q?",
		"r.git/refs/heads/.dir/x", "r.git/refs/tags/.keep", "r.git/refs/heads/a@{1}",
	};
	char content[128];
	pw_repo *repo;
	listing *l;
	pw_oid id2;
	size_t i;
	ids id;
	int rc;

	(void)state;
	make_repo(&id);
	snprintf(content, sizeof(content), "%s\n", id.c1);
	for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		write_file(skipped[i], content);
	write_file("r.git/refs/tags/.keep", "");
	write_file("r.git/refs/heads/deep/er/still", content);
	repo = open_tmp("r.git");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_false(l->unsorted);
	assert_int_equal(l->refs, 4); /* deep/er/still, main, ann, tt */
	assert_non_null(strstr(l->text, " refs/heads/deep/er/still\n"));
	/* invalid names are told of, once each, in name order; .hidden and .lock are not */
	assert_string_equal(l->warnings, "1 refs/heads/a..b\n1 refs/heads/a@{1}\n"
		"1 refs/heads/q?\n1 refs/heads/sp ace\n1 refs/heads/tail.\n");
	free(l);

	/* a ref file that holds no id is left out of the listing, never fatal */
	write_file("r.git/refs/heads/broken", "not an id\n");
	write_file("r.git/refs/heads/empty", "");
	snprintf(content, sizeof(content), "%040d\n", 0);
	write_file("r.git/refs/heads/null", content);
	write_file("r.git/refs/heads/missing", "1234567890123456789012345678901234567890\n");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(l->refs, 4);
	assert_non_null(strstr(l->warnings, "2 refs/heads/broken\n"));
	assert_non_null(strstr(l->warnings, "2 refs/heads/empty\n"));
	assert_non_null(strstr(l->warnings, "3 refs/heads/missing\n"));
	assert_non_null(strstr(l->warnings, "2 refs/heads/null\n"));
	free(l);
	/* resolving exactly that name is an error */
	assert_error(pw_repo_ref(&id2, repo, "refs/heads/broken"), PW_ECORRUPT,
		"refs/heads/broken", "not a 40-digit object id");
	pw_repo_free(repo);
}

/* Peeled ids: from '^' lines, computed for loose tags, tags of tags, tags of blobs. */
static void test_peeling(void **state)
{
	char tb[65], expect[2048];
	pw_repo *repo;
	listing *l;
	ids id;
	int rc;

	(void)state;
	make_repo(&id);
	sh("git --git-dir=r.git -c advice.nestedTag=false tag -a -m blob tb %s", id.blob);
	sh_out(tb, sizeof(tb), "git --git-dir=r.git rev-parse refs/tags/tb");
	snprintf(expect, sizeof(expect),
		"%s refs/heads/main\n"
		"%s refs/tags/ann\n%s refs/tags/ann^{}\n"
		"%s refs/tags/tb\n%s refs/tags/tb^{}\n"
		"%s refs/tags/tt\n%s refs/tags/tt^{}\n",
		id.c2, id.ann, id.c1, tb, id.blob, id.tt, id.c1);

	/* loose: computed by reading the tags */
	repo = open_tmp("r.git");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(l->text, expect);
	free(l);
	pw_repo_free(repo);

	/* packed by git, with '^' lines */
	sh("git --git-dir=r.git pack-refs --all");
	sh("test ! -e r.git/refs/tags/ann && grep -q '^\\^' r.git/packed-refs");
	repo = open_tmp("r.git");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(l->text, expect);
	free(l);
	pw_repo_free(repo);

	/* packed, no header, no '^' lines, unsorted: computed again */
	sh("grep -v '^[#^]' r.git/packed-refs | sort -r > r.git/p && mv r.git/p r.git/packed-refs");
	repo = open_tmp("r.git");
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(l->text, expect);
	free(l);
	assert_ref(repo, "refs/tags/ann", id.ann);
	assert_ref(repo, "refs/heads/main", id.c2);
	pw_repo_free(repo);
}

static void test_packed_refs_malformed(void **state)
{
	static const struct {
		const char *text; /* %1$s: an id */
		const char *msg;
	} cases[] = {
		{ "# pack-refs with: peeled\n%1$s refs/heads/main", "line 2: not terminated" },
		{ "# not a header\n%1$s refs/heads/main\n", "line 1: a comment line" },
		{ "^%1$s\n%1$s refs/heads/main\n", "line 1: a peeled '^' line that does not follow" },
		{ "%1$s refs/heads/a\n^%1$s\n^%1$s\n", "line 3: a peeled '^' line" },
		{ "%1$s refs/heads/a\n^0123\n", "line 2: malformed peeled line" },
		{ "%1$s refs/heads/a\r\n", "line 1: ends with a carriage return" },
		{ "%1$s\n", "line 1: malformed line" },
		{ "garbage line\n", "line 1: malformed line" },
		{ "0123 refs/heads/a\n", "line 1: malformed line" },
		{ "%1$.39sz refs/heads/a\n", "line 1: malformed object id" },
		{ "0000000000000000000000000000000000000000 refs/heads/a\n", "line 1: null object id" },
		{ "%1$s refs/heads/a\n\n", "line 2: malformed line" },
		{ "%1$s-refs/heads/a\n", "line 1: malformed line" },
	};
	char text[512];
	pw_repo *repo;
	listing *l;
	size_t i;
	ids id;
	pw_oid oid;
	int rc;

	(void)state;
	make_repo(&id);
	sh("rm -rf r.git/refs/heads/* r.git/refs/tags/*");
	repo = open_tmp("r.git");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), cases[i].text, id.c1);
		write_file("r.git/packed-refs", text);
		/* an unsorted file is parsed whole, so any lookup sees any bad line */
		rc = pw_repo_ref(&oid, repo, "refs/heads/zzz");
		if (rc != PW_ECORRUPT || !strstr(pw_error_last(), cases[i].msg) ||
		    !strstr(pw_error_last(), "packed-refs"))
			fail_msg("case %zu: got %s: %s (want '%s')", i, pw_error_name(rc), pw_error_last(),
				cases[i].msg);
		l = list_refs(repo, &rc);
		assert_error(rc, PW_ECORRUPT, cases[i].msg, "packed-refs");
		free(l);
	}

	/* a sorted file is bisected: a lookup landing on a bad line says so */
	snprintf(text, sizeof(text), "# pack-refs with: peeled fully-peeled sorted \n"
		"%1$s refs/heads/a\nBROKEN refs/heads/b\n%1$s refs/heads/c\n", id.c1);
	write_file("r.git/packed-refs", text);
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/b"), PW_ECORRUPT, "packed-refs: line 3",
		"malformed");
	l = list_refs(repo, &rc);
	assert_error(rc, PW_ECORRUPT, "line 3", NULL);
	free(l);

	/* names that are not valid refs are ignored, as git ignores them */
	snprintf(text, sizeof(text), "# pack-refs with: peeled fully-peeled sorted \n"
		"%1$s refs/heads/.hidden\n%1$s refs/heads/a..b\n%1$s refs/heads/ok\n", id.c1);
	write_file("r.git/packed-refs", text);
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(l->refs, 1);
	assert_non_null(strstr(l->text, " refs/heads/ok\n"));
	free(l);
	assert_ref(repo, "refs/heads/ok", id.c1);

	/* an empty packed-refs, and one that is only a header */
	write_file("r.git/packed-refs", "");
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/ok"), PW_ENOTFOUND, NULL, NULL);
	write_file("r.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted \n");
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/ok"), PW_ENOTFOUND, NULL, NULL);
	pw_repo_free(repo);
}

/* Lookups bisecting a big sorted packed-refs find every ref, and nothing else. */
static void test_packed_bisect(void **state)
{
	char name[64], hex[65], big[32768];
	pw_repo *repo;
	size_t len;
	ids id;
	pw_oid oid;
	int i;

	(void)state;
	make_repo(&id);
	sh("rm -rf r.git/refs/heads/* r.git/refs/tags/*");
	len = (size_t)snprintf(big, sizeof(big), "# pack-refs with: peeled fully-peeled sorted \n");
	for (i = 0; i < 300; i++) {
		const char *v = i % 3 == 0 ? id.ann : id.c1;
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%s refs/tags/t%03d\n", v, i);
		if (i % 3 == 0)
			len += (size_t)snprintf(big + len, sizeof(big) - len, "^%s\n", id.c1);
	}
	assert_true(len < sizeof(big));
	write_file("r.git/packed-refs", big);
	repo = open_tmp("r.git");
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "refs/tags/t%03d", i);
		assert_int_equal(pw_repo_ref(&oid, repo, name), 0);
		pw_oid_tostr(hex, &oid, PW_OID_SHA1);
		assert_string_equal(hex, i % 3 == 0 ? id.ann : id.c1);
	}
	assert_error(pw_repo_ref(&oid, repo, "refs/tags/t"), PW_ENOTFOUND, NULL, NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/tags/t0000"), PW_ENOTFOUND, NULL, NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/tags/t300"), PW_ENOTFOUND, NULL, NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/heads/a"), PW_ENOTFOUND, NULL, NULL);
	assert_error(pw_repo_ref(&oid, repo, "refs/tags/u"), PW_ENOTFOUND, NULL, NULL);
	pw_repo_free(repo);
}

static void test_head_forms(void **state)
{
	char content[128], *target = NULL;
	pw_repo *repo;
	ids id;
	pw_oid oid;

	(void)state;
	make_repo(&id);
	repo = open_tmp("r.git");

	/* detached */
	snprintf(content, sizeof(content), "%s\n", id.c1);
	write_file("r.git/HEAD", content);
	assert_int_equal(pw_repo_head_target(&target, repo), 0);
	assert_null(target);
	assert_ref(repo, "HEAD", id.c1);

	/* git's old symbolic-link HEAD */
	sh("rm r.git/HEAD && ln -s refs/heads/main r.git/HEAD");
	assert_int_equal(pw_repo_head_target(&target, repo), 0);
	assert_string_equal(target, "refs/heads/main");
	pw_string_free(target);
	assert_ref(repo, "HEAD", id.c2);

	/* corrupt, then missing */
	sh("rm r.git/HEAD");
	write_file("r.git/HEAD", "ref: \n");
	assert_error(pw_repo_head_target(&target, repo), PW_ECORRUPT, "HEAD", "points nowhere");
	assert_error(pw_repo_ref(&oid, repo, "HEAD"), PW_ECORRUPT, "HEAD", NULL);
	sh("rm r.git/HEAD");
	assert_error(pw_repo_head_target(&target, repo), PW_ENOTFOUND, "HEAD", NULL);
	pw_repo_free(repo);
}

/* Refs to objects the repository lacks: returned by lookups, skipped by iteration (as git). */
static void test_missing_objects(void **state)
{
	static const char missing[] = "1234567890123456789012345678901234567890";
	char content[128];
	pw_repo *repo;
	listing *l;
	ids id;
	int rc;

	(void)state;
	make_repo(&id);
	snprintf(content, sizeof(content), "%s\n", missing);
	write_file("r.git/refs/heads/gone", content);
	repo = open_tmp("r.git");
	assert_ref(repo, "refs/heads/gone", missing);
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(l->text, "gone"));
	assert_int_equal(l->refs, 3);
	free(l);
	pw_repo_free(repo);
}

/* A linked work tree: its own HEAD, the common refs. */
static void test_worktree(void **state)
{
	char *target = NULL;
	pw_repo *repo;
	listing *l;
	ids id;
	int rc;

	(void)state;
	make_repo(&id);
	sh("git clone -q r.git wt-main && git -C wt-main worktree add -q -b other ../wt-linked %s",
		id.c1);
	repo = open_tmp("wt-linked");
	assert_int_equal(pw_repo_head_target(&target, repo), 0);
	assert_string_equal(target, "refs/heads/other");
	pw_string_free(target);
	assert_ref(repo, "HEAD", id.c1);
	assert_ref(repo, "refs/heads/main", id.c2);
	l = list_refs(repo, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(l->text, " refs/heads/other\n"));
	assert_non_null(strstr(l->text, " refs/remotes/origin/main\n"));
	free(l);
	pw_repo_free(repo);

	repo = open_tmp("wt-main");
	assert_int_equal(pw_repo_head_target(&target, repo), 0);
	assert_string_equal(target, "refs/heads/main");
	pw_string_free(target);
	assert_ref(repo, "HEAD", id.c2);
	pw_repo_free(repo);
}

/* Every allocation failing in turn: an error (never a crash or a leak), then success. */
static void test_out_of_memory(void **state)
{
	char *target = NULL;
	pw_repo *repo;
	listing *l;
	ids id;
	pw_oid oid;
	long n;
	int rc, step;

	(void)state;
	make_repo(&id);
	write_file("r.git/refs/heads/sym", "ref: refs/heads/main\n");
	sh("git --git-dir=r.git pack-refs && git --git-dir=r.git update-ref refs/heads/loose %s",
		id.c1);
	repo = open_tmp("r.git");
	l = calloc(1, sizeof(*l));
	assert_non_null(l);
	for (step = 0; step < 3; step++) {
		for (n = 0;; n++) {
			test_alloc_fail_after(n);
			if (step == 0) {
				rc = pw_repo_ref(&oid, repo, "refs/heads/sym");
			} else if (step == 1) {
				rc = pw_repo_head_target(&target, repo);
			} else {
				memset(l, 0, sizeof(*l));
				l->type = PW_OID_SHA1;
				rc = pw_repo_foreach_ref(repo, list_cb, l);
			}
			test_alloc_fail_after(-1);
			if (rc == 0)
				break;
			if (rc != PW_ENOMEM)
				fail_msg("step %d, failing allocation %ld: %s: %s", step, n,
					pw_error_name(rc), pw_error_last());
			assert_true(n < 10000);
		}
		if (step == 1) {
			assert_string_equal(target, "refs/heads/main");
			pw_string_free(target);
		}
	}
	assert_int_equal(l->refs, 5);
	free(l);
	pw_repo_free(repo);
}

/* ---------------------------------------------------------------- reflogs */

#define ID_A "1111111111111111111111111111111111111111"
#define ID_B "2222222222222222222222222222222222222222"

/* Every line git's show_one_reflog_ent reads, and each kind it skips. */
static void test_reflog_parse(void **state)
{
	static const char text[] =
		ID_A " " ID_B " C O <c@o> 1600000000 +0100\tcommit: one\n"
		ID_A " " ID_B " C O <c@o> 1600000001 -0230 no tab\n"
		ID_A " " ID_B " C O <c@o> 1600000002 +0000\n"
		ID_A " " ID_B " C O <c@o> 0 +0000\tzero time\n"
		ID_A " " ID_B " C O <c@o> 1600000003 0000\tno sign\n"
		ID_A " " ID_B " C O <c@o> 1600000004 +00x0\tbad zone\n"
		ID_A " " ID_B " C O <c@o> x +0000\tno time\n"
		ID_A " " ID_B " C O <c@o>1600000005 +0000\tno space\n"
		ID_A " " ID_B " C O c@o 1600000006 +0000\tno '>'\n"
		ID_A "x" ID_B " C O <c@o> 1600000007 +0000\tbad separator\n"
		"1111 " ID_B " C O <c@o> 1600000008 +0000\tshort id\n"
		"\n"
		ID_A " " ID_B " C O <c@o> 1600000009 +0000\ttrailing: no LF";
	pw__reflog log;
	char hex[PW_OID_MAX_HEXSZ + 1];

	(void)state;
	memset(&log, 0, sizeof(log));
	assert_int_equal(pw__reflog_parse(&log, text, sizeof(text) - 1, PW_OID_SHA1), 0);
	assert_int_equal(log.entries.n, 3);
	assert_string_equal(pw_oid_tostr(hex, &log.entries.v[0].old_id, PW_OID_SHA1), ID_A);
	assert_string_equal(pw_oid_tostr(hex, &log.entries.v[0].new_id, PW_OID_SHA1), ID_B);
	assert_true(log.entries.v[0].time == 1600000000u);
	assert_int_equal(log.entries.v[0].tz, 100);
	assert_int_equal(log.entries.v[0].message_len, strlen("commit: one"));
	assert_memory_equal(log.entries.v[0].message, "commit: one", strlen("commit: one"));
	assert_int_equal(log.entries.v[1].tz, -230);
	assert_int_equal(log.entries.v[1].message_len, strlen(" no tab"));
	assert_int_equal(log.entries.v[2].message_len, 0);
	pw__reflog_dispose(&log);

	/* a SHA-1 line in a SHA-256 repository is no entry */
	memset(&log, 0, sizeof(log));
	assert_int_equal(pw__reflog_parse(&log, text, sizeof(text) - 1, PW_OID_SHA256), 0);
	assert_int_equal(log.entries.n, 0);
	pw__reflog_dispose(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_refs),
		cmocka_unit_test(test_basic_foreach),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_refname_validity),
		cmocka_unit_test_setup_teardown(test_symref_loop_and_depth, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_dangling_and_unborn, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_loose_contents, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_foreach_names_and_corruption, make_tmpdir,
			remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_peeling, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_packed_refs_malformed, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_packed_bisect, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_head_forms, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_objects, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_worktree, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_out_of_memory, make_tmpdir, remove_tmpdir),
		cmocka_unit_test(test_reflog_parse),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
