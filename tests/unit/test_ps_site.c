/*
 * test_ps_site.c: pack-serve's site layer (tools/pack-serve/site.c, fcache.c,
 * gen.c): single- and multi-repository ROOTs, the allowlist, confinement of
 * symbolic links, info/refs and objects/info/packs against `git
 * update-server-info`, files replaced while held, the descriptor budget.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
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
#include "site.h"

#define BASIC PW_FIXTURES "/repos/basic.git"
#define SHA256 PW_FIXTURES "/repos/sha256.git"
#define BASIC_PACK "a010ff1ec291039d046916b82cd91f22fe55cdfb"

/* ---------------------------------------------------------------- helpers */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The whole file tmpdir/rel (or an absolute path), malloc'd; *len its size. */
static char *slurp(const char *rel, size_t *len)
{
	char path[1024];
	char *buf;
	FILE *f;
	long n;

	if (rel[0] == '/')
		snprintf(path, sizeof(path), "%s", rel);
	else
		snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The bytes of a body, read from its descriptor or memory; malloc'd. */
static char *body_bytes(const struct ps_body *b)
{
	char *buf = malloc((size_t)b->size + 1);
	size_t got = 0;

	assert_non_null(buf);
	if (b->fd < 0) {
		memcpy(buf, b->mem, (size_t)b->size);
	} else {
		while (got < b->size) {
			ssize_t n = pread(b->fd, buf + got, (size_t)b->size - got, (off_t)got);
			assert_true(n > 0);
			got += (size_t)n;
		}
	}
	buf[b->size] = '\0';
	return buf;
}

/* The quoted lowercase hex of the last `n` bytes of tmpdir/rel. */
static void tail_etag(char *out, size_t cap, const char *rel, size_t n)
{
	size_t len, i;
	char *buf = slurp(rel, &len);
	int k = 1;

	assert_true(len >= n);
	out[0] = '"';
	for (i = len - n; i < len; i++)
		k += snprintf(out + k, cap - (size_t)k, "%02x", (unsigned char)buf[i]);
	snprintf(out + k, cap - (size_t)k, "\"");
	free(buf);
}

static struct ps_site *open_site(const char *rel, unsigned fd_limit)
{
	char path[1024], err[512] = "";
	struct ps_site *site = NULL;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	if (ps_site_open(&site, path, fd_limit, err, sizeof(err)) != 0)
		fail_msg("ps_site_open(%s): %s", path, err);
	return site;
}

/* The status of looking `path` up (0 or a negated HTTP status); the body is released. */
static int status(struct ps_site *site, const char *path)
{
	struct ps_body b;
	const char *why = NULL;
	int rc = ps_site_lookup(&b, site, path, &why);

	if (rc == -500)
		print_message("%s: -500: %s\n", path, why ? why : "(no reason)");
	if (rc == 0)
		ps_body_release(site, &b);
	return rc;
}

#define assert_status(site, path, want) do { \
	int rc_ = status((site), (path)); \
	if (rc_ != (want)) \
		fail_msg("%s: got %d, want %d", (path), rc_, (want)); \
} while (0)

/* Look `path` up (it must be found) and check that its bytes are those of tmpdir/rel. */
static void expect_file(struct ps_site *site, const char *path, const char *rel,
	const char *ctype, int immutable, struct ps_body *keep)
{
	struct ps_body b;
	const char *why = NULL;
	size_t len;
	char *want, *got;
	int rc = ps_site_lookup(&b, site, path, &why);

	if (rc != 0)
		fail_msg("%s: %d (%s)", path, rc, why ? why : "");
	assert_true(b.fd >= 0);
	want = slurp(rel, &len);
	assert_int_equal(b.size, len);
	got = body_bytes(&b);
	assert_memory_equal(got, want, len);
	assert_string_equal(b.content_type, ctype);
	assert_int_equal(b.immutable, immutable);
	assert_true(strlen(b.etag) >= 3 && b.etag[0] == '"' && b.etag[strlen(b.etag) - 1] == '"');
	assert_true(b.mtime > 0);
	free(want);
	free(got);
	if (keep)
		*keep = b;
	else
		ps_body_release(site, &b);
}

/* The generated body at `path` as a string (must be found). */
static char *generated(struct ps_site *site, const char *path, char etag[72])
{
	struct ps_body b;
	const char *why = NULL;
	char *s;
	int rc = ps_site_lookup(&b, site, path, &why);

	if (rc != 0)
		fail_msg("%s: %d (%s)", path, rc, why ? why : "");
	assert_int_equal(b.fd, -1);
	assert_string_equal(b.content_type, "text/plain; charset=utf-8");
	assert_int_equal(b.immutable, 0);
	assert_true(b.etag[0] == '"');
	if (etag)
		memcpy(etag, b.etag, 72);
	s = body_bytes(&b);
	assert_int_equal(strlen(s), b.size);
	ps_body_release(site, &b);
	return s;
}

/* info/refs of the repository at tmpdir/gitdir must be exactly git's. */
static void check_info_refs(struct ps_site *site, const char *url, const char *gitdir)
{
	char rel[600];
	size_t len;
	char *want, *got;

	sh("git --git-dir='%s' update-server-info", gitdir);
	snprintf(rel, sizeof(rel), "%s/info/refs", gitdir);
	want = slurp(rel, &len);
	got = generated(site, url, NULL);
	assert_true(len > 0);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

/* objects/info/packs must list the same packs as git's (order aside). */
static void check_info_packs(struct ps_site *site, const char *url, const char *gitdir)
{
	char rel[600], want[4096], got[4096];
	char *s;
	size_t len;
	FILE *f;

	sh("git --git-dir='%s' update-server-info", gitdir);
	snprintf(rel, sizeof(rel), "%s/objects/info/packs", gitdir);
	sh_out(want, sizeof(want), "sort '%s' | tr '\\n' ,", rel);
	s = generated(site, url, NULL);
	assert_true(strlen(s) >= 1 && s[strlen(s) - 1] == '\n');
	snprintf(rel, sizeof(rel), "%s/ours-packs", tmpdir);
	assert_non_null(f = fopen(rel, "wb"));
	fputs(s, f);
	fclose(f);
	sh_out(got, sizeof(got), "sort ours-packs | tr '\\n' ,");
	assert_string_equal(got, want);
	/* and git's ends with the same empty line */
	free(s);
	s = slurp("ours-packs", &len);
	assert_true(len >= 1 && s[len - 1] == '\n' && (len == 1 || s[len - 2] == '\n'));
	free(s);
}

/* ------------------------------------------------------------------ tests */

static void test_single_repo(void **state)
{
	char url[256], rel[300], etag[80], loose[128], hex[80];
	struct ps_site *site;
	struct ps_body b;
	int fds;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	sh_out(hex, sizeof(hex), "echo loose-content | git --git-dir=root hash-object -w --stdin");
	snprintf(loose, sizeof(loose), "/objects/%.2s/%s", hex, hex + 2);
	fds = count_fds();
	site = open_site("root", 0);

	expect_file(site, "/HEAD", "root/HEAD", "text/plain", 0, NULL);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.pack", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root%s", url);
	expect_file(site, url, rel, "application/x-git-packed-objects", 1, &b);
	assert_string_equal(b.etag, "\"" BASIC_PACK "\"");
	ps_body_release(site, &b);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.idx", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root%s", url);
	expect_file(site, url, rel, "application/x-git-packed-objects-toc", 1, &b);
	tail_etag(etag, sizeof(etag), rel, 20);
	assert_string_equal(b.etag, etag);
	ps_body_release(site, &b);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.rev", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root%s", url);
	expect_file(site, url, rel, "application/octet-stream", 1, &b);
	tail_etag(etag, sizeof(etag), rel, 20);
	assert_string_equal(b.etag, etag);
	ps_body_release(site, &b);
	snprintf(rel, sizeof(rel), "root%s", loose);
	expect_file(site, loose, rel, "application/x-git-loose-object", 1, NULL);

	check_info_refs(site, "/info/refs", "root");
	check_info_packs(site, "/objects/info/packs", "root");

	/* forbidden or absent: exactly 404 */
	sh("mkdir -p root/hooks root/objects/info root/objects/ab/%s", "0123456789abcdef0123456789abcdef012345");
	sh("echo x > root/hooks/pre-commit && echo d > root/description && echo /tmp > root/objects/info/alternates");
	sh("echo x > root/objects/pack/tmp_pack_abc && cp root/objects/pack/pack-%s.pack root/objects/pack/pack-%s.pack.temp",
		BASIC_PACK, BASIC_PACK);
	assert_status(site, "/config", -404);
	assert_status(site, "/hooks/pre-commit", -404);
	assert_status(site, "/description", -404);
	assert_status(site, "/packed-refs", -404);
	assert_status(site, "/refs/heads/main", -404);
	assert_status(site, "/objects/info/alternates", -404);
	assert_status(site, "/objects/info/http-alternates", -404);
	assert_status(site, "/objects/pack/tmp_pack_abc", -404);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.pack.temp", BASIC_PACK);
	assert_status(site, url, -404);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.PACK", BASIC_PACK);
	assert_status(site, url, -404);
	assert_status(site, "/objects/pack/pack-0000000000000000000000000000000000000000.pack", -404);
	assert_status(site, "/objects/ab/0123456789abcdef0123456789abcdef012345", -404);
	assert_status(site, "/objects/ab/0123456789abcdef0123456789abcdef01234", -404);
	assert_status(site, "/", -404);
	assert_status(site, "/info", -404);
	assert_status(site, "/info/refs/x", -404);
	assert_status(site, "/root/HEAD", -404);

	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

static void test_multi_repo(void **state)
{
	char url[256], rel[300];
	struct ps_site *site;
	int fds;

	(void)state;
	sh("mkdir root outside && cp -R '%s' root/bare.git && cp -R '%s' outside/away.git", BASIC, BASIC);
	sh("git init -q -b main root/wt && cd root/wt && echo hi > README && git add README && "
	   "git commit -q -m one && git tag -a -m t v1 && git repack -q -ad");
	/* a .git file inside ROOT, and one leading out */
	sh("mkdir root/gf root/gfout && echo 'gitdir: ../bare.git' > root/gf/.git && "
	   "echo 'gitdir: %s/outside/away.git' > root/gfout/.git", tmpdir);
	/* symbolic links: a repository leading out, one staying inside, a pack name leading to /etc/passwd */
	sh("ln -s '%s/outside/away.git' root/evil.git && ln -s /etc root/etc.git && ln -s bare.git root/link.git", tmpdir);
	sh("ln -s /etc/passwd root/bare.git/objects/pack/pack-1111111111111111111111111111111111111111.pack");
	/* a repository inside whose pack folder or refs lead out: nothing listed from there */
	sh("cp -R '%s' root/packsout.git && rm -rf root/packsout.git/objects/pack && "
	   "ln -s '%s/outside/away.git/objects/pack' root/packsout.git/objects/pack", BASIC, tmpdir);
	sh("cp -R '%s' root/refsout.git && rm -rf root/refsout.git/refs root/refsout.git/packed-refs && "
	   "ln -s '%s/outside/away.git/refs' root/refsout.git/refs && "
	   "ln -s '%s/outside/away.git/packed-refs' root/refsout.git/packed-refs", BASIC, tmpdir, tmpdir);
	sh("ln -s /etc/passwd root/bare.git/HEAD2 && ln -s ../../../outside/away.git/objects/pack/pack-%s.idx "
	   "root/wt/.git/objects/pack/pack-2222222222222222222222222222222222222222.idx", BASIC_PACK);
	fds = count_fds();
	site = open_site("root", 8);

	expect_file(site, "/bare.git/HEAD", "root/bare.git/HEAD", "text/plain", 0, NULL);
	snprintf(url, sizeof(url), "/bare.git/objects/pack/pack-%s.pack", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root%s", url);
	expect_file(site, url, rel, "application/x-git-packed-objects", 1, NULL);
	expect_file(site, "/wt/HEAD", "root/wt/.git/HEAD", "text/plain", 0, NULL);
	expect_file(site, "/wt.git/HEAD", "root/wt/.git/HEAD", "text/plain", 0, NULL);
	expect_file(site, "/gf/HEAD", "root/bare.git/HEAD", "text/plain", 0, NULL);
	/* inside ROOT through a link: allowed */
	snprintf(url, sizeof(url), "/link.git/objects/pack/pack-%s.pack", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root/bare.git/objects/pack/pack-%s.pack", BASIC_PACK);
	expect_file(site, url, rel, "application/x-git-packed-objects", 1, NULL);
	check_info_refs(site, "/link.git/info/refs", "root/bare.git");

	check_info_refs(site, "/bare.git/info/refs", "root/bare.git");
	check_info_refs(site, "/wt/info/refs", "root/wt/.git");
	check_info_refs(site, "/wt.git/info/refs", "root/wt/.git");
	check_info_packs(site, "/wt.git/objects/info/packs", "root/wt/.git");

	/* leading out of ROOT: 404 for everything */
	assert_status(site, "/evil.git/HEAD", -404);
	assert_status(site, "/evil.git/info/refs", -404);
	assert_status(site, "/evil.git/objects/info/packs", -404);
	snprintf(url, sizeof(url), "/evil.git/objects/pack/pack-%s.pack", BASIC_PACK);
	assert_status(site, url, -404);
	assert_status(site, "/gfout/HEAD", -404);
	assert_status(site, "/gfout/info/refs", -404);
	assert_status(site, "/etc.git/passwd", -404);
	assert_status(site, "/etc.git/HEAD", -404);
	assert_status(site, "/bare.git/objects/pack/pack-1111111111111111111111111111111111111111.pack", -404);
	assert_status(site, "/wt/objects/pack/pack-2222222222222222222222222222222222222222.idx", -404);
	assert_status(site, "/bare.git/HEAD2", -404);
	assert_status(site, "/packsout.git/objects/info/packs", -404);
	snprintf(url, sizeof(url), "/packsout.git/objects/pack/pack-%s.idx", BASIC_PACK);
	assert_status(site, url, -404);
	assert_status(site, "/refsout.git/info/refs", -404);
	expect_file(site, "/refsout.git/HEAD", "root/refsout.git/HEAD", "text/plain", 0, NULL);

	/* not on the allowlist, or no repository there */
	assert_status(site, "/wt/README", -404);
	assert_status(site, "/wt/.git/config", -404);
	assert_status(site, "/wt/.git/HEAD", -404);
	assert_status(site, "/wt.git/config", -404);
	assert_status(site, "/bare.git/config", -404);
	assert_status(site, "/bare/HEAD", -404);
	assert_status(site, "/nothere.git/HEAD", -404);
	assert_status(site, "/outside/HEAD", -404);
	assert_status(site, "/.git/HEAD", -404);
	assert_status(site, "/HEAD", -404);
	assert_status(site, "/bare.git", -404);
	assert_status(site, "/bare.git/", -404);

	/* a linked work tree: HEAD its own, refs and objects from the common dir */
	sh("cd root/wt && git worktree add -q -b other ../linked");
	expect_file(site, "/linked/HEAD", "root/wt/.git/worktrees/linked/HEAD", "text/plain", 0, NULL);
	check_info_refs(site, "/linked/info/refs", "root/wt/.git");
	check_info_packs(site, "/linked.git/objects/info/packs", "root/wt/.git");
	{
		char idx[128], u[160], f[160];

		sh_out(idx, sizeof(idx), "cd root/wt/.git && ls objects/pack/*.idx | grep -v pack-2222 | head -1");
		snprintf(u, sizeof(u), "/linked/%s", idx);
		snprintf(f, sizeof(f), "root/wt/.git/%s", idx);
		expect_file(site, u, f, "application/x-git-packed-objects-toc", 1, NULL);
	}

	/* repositories may come after the site opened */
	sh("cp -R '%s' root/later.git", BASIC);
	expect_file(site, "/later.git/HEAD", "root/later.git/HEAD", "text/plain", 0, NULL);
	sh("rm -rf root/later.git");
	assert_status(site, "/later.git/HEAD", -404);

	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

static void test_info_refs_like_git(void **state)
{
	char before[72], after[72];
	struct ps_site *site;
	char *packs1, *packs2;
	int fds;

	(void)state;
	sh("mkdir root && git init -q -b main root/r && cd root/r && "
	   "echo a > a && git add a && git commit -q -m one && "
	   "git branch side && git tag light && git tag -a -m ann ann && "
	   "git -c advice.nestedTag=false tag -a -m tagtag tagtag ann && git tag -a -m treetag treetag HEAD^{tree} && "
	   "git update-ref refs/remotes/origin/main HEAD && "
	   "git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main && "
	   "git pack-refs --all && "
	   "echo b > b && git add b && git commit -q -m two && "
	   "git branch zz-loose && git tag -a -m loose loose-ann && git -c advice.nestedTag=false tag -a -m l2 a/nested/tag loose-ann && "
	   "git update-ref refs/notes/x HEAD");
	fds = count_fds();
	site = open_site("root", 0);
	check_info_refs(site, "/r/info/refs", "root/r/.git");
	check_info_refs(site, "/r.git/info/refs", "root/r/.git");
	packs1 = generated(site, "/r/objects/info/packs", NULL);
	free(generated(site, "/r/info/refs", before));
	free(generated(site, "/r/info/refs", after));
	assert_string_equal(before, after); /* the same content, the same ETag */

	/* new commits, a repack: the next lookups see them */
	sh("cd root/r && echo c > c && git add c && git commit -q -m three && git tag -a -m v v3 && "
	   "git repack -q -ad");
	check_info_refs(site, "/r/info/refs", "root/r/.git");
	free(generated(site, "/r/info/refs", after));
	assert_string_not_equal(before, after);
	check_info_packs(site, "/r/objects/info/packs", "root/r/.git");
	packs2 = generated(site, "/r/objects/info/packs", NULL);
	assert_string_not_equal(packs1, packs2);
	free(packs1);
	free(packs2);

	/* and the SHA-256 fixture */
	sh("cp -R '%s' root/s256.git", SHA256);
	check_info_refs(site, "/s256.git/info/refs", "root/s256.git");
	check_info_packs(site, "/s256.git/objects/info/packs", "root/s256.git");
	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

static void test_sha256_etags(void **state)
{
	char url[256], rel[300], etag[96], name[80];
	struct ps_site *site;
	struct ps_body b;

	(void)state;
	sh("cp -R '%s' root", SHA256);
	sh_out(name, sizeof(name), "cd root/objects/pack && ls *.pack | sed 's/^pack-//; s/\\.pack$//'");
	assert_int_equal(strlen(name), 64);
	site = open_site("root", 0);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.pack", name);
	snprintf(rel, sizeof(rel), "root%s", url);
	expect_file(site, url, rel, "application/x-git-packed-objects", 1, &b);
	snprintf(etag, sizeof(etag), "\"%s\"", name);
	assert_string_equal(b.etag, etag);
	ps_body_release(site, &b);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.idx", name);
	snprintf(rel, sizeof(rel), "root%s", url);
	expect_file(site, url, rel, "application/x-git-packed-objects-toc", 1, &b);
	tail_etag(etag, sizeof(etag), rel, 32);
	assert_string_equal(b.etag, etag);
	ps_body_release(site, &b);
	ps_site_free(site);
}

/* A pack named by objects/info/packs stays servable after it is deleted, until the sweep past its time. */
static void test_kept_after_delete(void **state)
{
	char url[256], rel[300];
	struct ps_site *site;
	struct ps_body b;
	const char *why;
	char *old, *got;
	size_t oldlen;
	int fds, i;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.pack", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root%s", url);
	old = slurp(rel, &oldlen);
	fds = count_fds();
	site = open_site("root", 0);
	ps_site_set_keep(site, 1);
	free(generated(site, "/objects/info/packs", NULL));
	sh("rm '%s' root/objects/pack/pack-%s.idx", rel, BASIC_PACK);

	assert_int_equal(ps_site_lookup(&b, site, url, &why), 0);
	assert_int_equal(b.size, oldlen);
	got = body_bytes(&b);
	assert_memory_equal(got, old, oldlen);
	free(got);
	ps_body_release(site, &b);
	assert_int_equal(status(site, "/objects/pack/pack-" BASIC_PACK ".idx"), 0);

	/*
	 * Kept 1 s after the last download from that folder, swept once a
	 * second: 3 s without one and both are gone, descriptors too (a lookup
	 * would keep them longer).
	 */
	for (i = 0; i < 30; i++) {
		usleep(100 * 1000);
		ps_site_sweep(site);
	}
	assert_int_equal(status(site, url), -404);
	assert_int_equal(status(site, "/objects/pack/pack-" BASIC_PACK ".idx"), -404);
	ps_site_sweep(site);
	assert_int_equal(count_fds(), fds);
	free(old);
	ps_site_free(site);
}

#define PACK_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PACK_C "cccccccccccccccccccccccccccccccccccccccc"
#define PACK_DIR "root/objects/pack/pack-"

/* A pack and idx of 200 random bytes named pack-HEX (servable: only a listed pair is needed). */
static void fake_pack(const char *hex)
{
	sh("head -c 200 /dev/urandom > " PACK_DIR "%s.pack && head -c 200 /dev/urandom > "
		PACK_DIR "%s.idx", hex, hex);
}

static void rm_pack(const char *hex)
{
	sh("rm " PACK_DIR "%s.pack " PACK_DIR "%s.idx", hex, hex);
}

/*
 * Kept packs over half the descriptor budget: a new list's packs are kept
 * in place of those of older lists nearest their expiry, not refused
 * (which made them 404 once a repack deleted them).
 */
static void test_kept_make_room(void **state)
{
	struct ps_site *site;
	char *list;
	int fds;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	fds = count_fds();
	site = open_site("root", 8); /* 4 kept descriptors: two packs with their idx */
	ps_site_set_keep(site, 100);
	free(generated(site, "/objects/info/packs", NULL));
	rm_pack(BASIC_PACK);
	fake_pack(PACK_B);
	ps_site_set_keep(site, 200);
	free(generated(site, "/objects/info/packs", NULL));
	rm_pack(PACK_B);
	fake_pack(PACK_C);
	ps_site_set_keep(site, 150);
	list = generated(site, "/objects/info/packs", NULL);
	assert_string_equal(list, "P pack-" PACK_C ".pack\n\n");
	free(list);
	rm_pack(PACK_C);

	/* the list nearest its expiry (the first one, kept 100 s) made room for the last */
	assert_status(site, "/objects/pack/pack-" BASIC_PACK ".pack", -404);
	assert_status(site, "/objects/pack/pack-" BASIC_PACK ".idx", -404);
	assert_status(site, "/objects/pack/pack-" PACK_B ".pack", 0);
	assert_status(site, "/objects/pack/pack-" PACK_B ".idx", 0);
	assert_status(site, "/objects/pack/pack-" PACK_C ".pack", 0);
	assert_status(site, "/objects/pack/pack-" PACK_C ".idx", 0);
	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

/*
 * A download keeps kept what the lists naming that pack named, not every
 * pack of the folder, and sending a list refreshes no other list's packs:
 * else a busy repository keeps every pack it ever listed for ten idle
 * timeouts, and the newest are the ones left out.
 */
static void test_kept_refresh_same_list(void **state)
{
	struct ps_site *site;
	int i;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	site = open_site("root", 0);
	ps_site_set_keep(site, 1);
	free(generated(site, "/objects/info/packs", NULL));
	rm_pack(BASIC_PACK);
	fake_pack(PACK_B);
	free(generated(site, "/objects/info/packs", NULL));
	rm_pack(PACK_B);
	/* a client of the second list downloads its pack, other clients read the (now empty) list */
	for (i = 0; i < 30; i++) {
		assert_status(site, "/objects/pack/pack-" PACK_B ".pack", 0);
		free(generated(site, "/objects/info/packs", NULL));
		usleep(100 * 1000);
		ps_site_sweep(site);
	}
	assert_status(site, "/objects/pack/pack-" PACK_B ".idx", 0);
	assert_status(site, "/objects/pack/pack-" BASIC_PACK ".pack", -404);
	assert_status(site, "/objects/pack/pack-" BASIC_PACK ".idx", -404);
	ps_site_free(site);
}

/* A listed pack that cannot be kept because it is not there to open (here: it leads out of ROOT) is not listed. */
static void test_list_drops_unkept(void **state)
{
	struct ps_site *site;
	char *list;

	(void)state;
	sh("cp -R '%s' root && head -c 200 /dev/urandom > outside.pack && "
		"ln -s ../../../outside.pack " PACK_DIR PACK_B ".pack && "
		"head -c 200 /dev/urandom > " PACK_DIR PACK_B ".idx", BASIC);
	site = open_site("root", 0);
	list = generated(site, "/objects/info/packs", NULL);
	assert_string_equal(list, "P pack-" BASIC_PACK ".pack\n\n");
	free(list);
	ps_site_free(site);
}

static void test_replaced_while_held(void **state)
{
	char url[256], rel[300], etag[80];
	struct ps_site *site;
	struct ps_body held, again;
	const char *why;
	char *old, *got;
	size_t oldlen, len;
	int fds;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	snprintf(url, sizeof(url), "/objects/pack/pack-%s.pack", BASIC_PACK);
	snprintf(rel, sizeof(rel), "root%s", url);
	old = slurp(rel, &oldlen);
	fds = count_fds();
	site = open_site("root", 0);
	expect_file(site, url, rel, "application/x-git-packed-objects", 1, &held);
	assert_string_equal(held.etag, "\"" BASIC_PACK "\"");

	/* another file renamed over it while the body is held */
	sh("head -c 3000 /dev/urandom > new.pack && mv new.pack '%s'", rel);
	got = body_bytes(&held);
	assert_int_equal(held.size, oldlen);
	assert_memory_equal(got, old, oldlen);
	free(got);

	assert_int_equal(ps_site_lookup(&again, site, url, &why), 0);
	assert_int_equal(again.size, 3000);
	tail_etag(etag, sizeof(etag), rel, 20);
	assert_string_equal(again.etag, etag);
	assert_string_not_equal(again.etag, held.etag);
	got = body_bytes(&again);
	free(old);
	old = slurp(rel, &len);
	assert_memory_equal(got, old, len);
	free(got);
	/* the old one still reads the old bytes after the new one was opened */
	assert_true(pread(held.fd, etag, 4, 0) == 4 && !memcmp(etag, "PACK", 4));
	ps_body_release(site, &held);
	ps_body_release(site, &again);

	/* truncated in place: a new identity too */
	sh("truncate -s 100 '%s'", rel);
	assert_int_equal(ps_site_lookup(&again, site, url, &why), 0);
	assert_int_equal(again.size, 100);
	ps_body_release(site, &again);
	/* removed: 404 */
	sh("rm '%s'", rel);
	assert_status(site, url, -404);
	free(old);
	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

static void test_fd_budget(void **state)
{
	char pack[256], idx[256];
	struct ps_site *site;
	struct ps_body a, a2, b, c;
	const char *why;
	int fds;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	snprintf(pack, sizeof(pack), "/objects/pack/pack-%s.pack", BASIC_PACK);
	snprintf(idx, sizeof(idx), "/objects/pack/pack-%s.idx", BASIC_PACK);
	fds = count_fds();
	site = open_site("root", 2);

	assert_int_equal(ps_site_lookup(&a, site, "/HEAD", &why), 0);
	assert_int_equal(ps_site_lookup(&b, site, pack, &why), 0);
	assert_int_equal(count_fds(), fds + 2);
	/* every descriptor lent: a third file cannot be opened, nor the generators run */
	assert_int_equal(ps_site_lookup(&c, site, idx, &why), -503);
	assert_int_equal(ps_site_lookup(&c, site, "/info/refs", &why), -503);
	/* but a held file can be lent again (the same descriptor) */
	assert_int_equal(ps_site_lookup(&a2, site, "/HEAD", &why), 0);
	assert_int_equal(a2.fd, a.fd);
	ps_body_release(site, &a2);
	assert_int_equal(ps_site_lookup(&c, site, idx, &why), -503);
	assert_true(count_fds() <= fds + 2);

	ps_body_release(site, &a);
	assert_int_equal(ps_site_lookup(&c, site, idx, &why), 0);
	assert_true(count_fds() <= fds + 2);
	ps_body_release(site, &c);
	ps_body_release(site, &b);
	/* all returned: the generators fit again */
	free(generated(site, "/info/refs", NULL));
	assert_true(count_fds() <= fds + 2);
	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

struct worker {
	struct ps_site *site;
	int ok, busy, bad;
};

static void *worker_main(void *arg)
{
	static const char *paths[] = {
		"/HEAD", "/objects/pack/pack-" BASIC_PACK ".pack", "/objects/pack/pack-" BASIC_PACK ".idx",
		"/objects/pack/pack-" BASIC_PACK ".rev", "/info/refs", "/objects/info/packs", "/config",
	};
	struct worker *w = arg;
	struct ps_body prev, cur;
	const char *why;
	char byte;
	int i, rc, have = 0;

	/* Each body is held across the next lookup, so that descriptors stay lent meanwhile. */
	for (i = 0; i < 600; i++) {
		rc = ps_site_lookup(&cur, w->site, paths[i % 7], &why);
		if (rc == 0) {
			if (cur.fd >= 0 && pread(cur.fd, &byte, 1, 0) != 1)
				w->bad++;
			w->ok++;
			if (have)
				ps_body_release(w->site, &prev);
			prev = cur;
			have = 1;
		} else if (rc == -503 || (rc == -404 && i % 7 == 6)) {
			w->busy++;
		} else {
			w->bad++;
		}
	}
	if (have)
		ps_body_release(w->site, &prev);
	return NULL;
}

static void test_threads(void **state)
{
	struct worker w[4];
	pthread_t t[4];
	struct ps_site *site;
	int i, fds;

	(void)state;
	sh("cp -R '%s' root", BASIC);
	fds = count_fds();
	site = open_site("root", 4);
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].site = site;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
		assert_true(w[i].ok > 0);
	}
	ps_site_free(site);
	assert_int_equal(count_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_repo, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_multi_repo, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_info_refs_like_git, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_sha256_etags, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_replaced_while_held, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_kept_after_delete, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_kept_make_room, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_kept_refresh_same_list, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_list_drops_unkept, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_fd_budget, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_threads, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
