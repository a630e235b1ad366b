/* git2_dump.c: the oracle's view of every object: "oid type size sha256(content)" per line, by libgit2 (or from git cat-file). */

/*
 * Usage:
 *   git2_dump PACK_OR_IDX     every object of one pack (libgit2's one-pack backend)
 *   git2_dump OBJECTS_DIR     every object of a repository's object store
 *                             (a repository folder with objects/ inside also works)
 *   git2_dump --git-batch     read `git cat-file --batch` output on stdin
 *                             (SHA-1 or SHA-256: libgit2 1.5 has no SHA-256)
 *
 * Prints one line per object, `oid type size content-sha256`, sorted by oid
 * (in --git-batch mode: in input order). The content hash lets two readers be
 * compared byte for byte without dumping the contents. Exits 0, or 3 with a
 * message on stderr on any error.
 *
 * Test code only: libgit2 is never linked into the library or the tools.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>
#include <openssl/evp.h>

static const char *progname = "git2_dump";

static void die(const char *what, const char *arg)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "%s: %s%s%s%s%s\n", progname, what, arg ? " " : "",
		arg ? arg : "", e && e->message ? ": " : "",
		e && e->message ? e->message : "");
	exit(3);
}

static void hex(char *out, const unsigned char *raw, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		die("SHA-256 failed", NULL);
	hex(out, md, 32);
}

/* --- libgit2 ---------------------------------------------------------- */

typedef struct {
	git_oid *ids;
	size_t n, cap;
} oid_list;

static int collect(const git_oid *id, void *payload)
{
	oid_list *l = payload;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		git_oid *ids = realloc(l->ids, cap * sizeof(*ids));
		if (!ids)
			return -1;
		l->ids = ids;
		l->cap = cap;
	}
	git_oid_cpy(&l->ids[l->n++], id);
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static git_odb *open_odb(const char *path)
{
	git_odb *odb = NULL;

	if (ends_with(path, ".pack") || ends_with(path, ".idx")) {
		/* libgit2 wants the .idx; it finds the .pack beside it. */
		size_t n = strlen(path);
		size_t stem = n - (ends_with(path, ".pack") ? 5 : 4);
		char *idx = malloc(stem + 5);
		git_odb_backend *backend = NULL;
		if (!idx)
			die("out of memory", NULL);
		memcpy(idx, path, stem);
		memcpy(idx + stem, ".idx", 5);
		if (git_odb_new(&odb) < 0)
			die("cannot create an object database", NULL);
		if (git_odb_backend_one_pack(&backend, idx) < 0)
			die("cannot open pack", idx);
		if (git_odb_add_backend(odb, backend, 1) < 0)
			die("cannot add pack", idx);
		free(idx);
		return odb;
	}

	/* A repository folder (with objects/ inside) or an objects folder. */
	size_t n = strlen(path);
	char *objects = malloc(n + sizeof("/objects"));
	if (!objects)
		die("out of memory", NULL);
	memcpy(objects, path, n);
	memcpy(objects + n, "/objects", sizeof("/objects"));
	if (git_odb_open(&odb, is_dir(objects) ? objects : path) < 0)
		die("cannot open object database", path);
	free(objects);
	return odb;
}

static int dump_libgit2(const char *path)
{
	oid_list l = { NULL, 0, 0 };
	git_odb *odb;

	git_libgit2_init();
	/* Recompute every object's id as it is read: the oracle checks too. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	odb = open_odb(path);
	if (git_odb_foreach(odb, collect, &l) < 0)
		die("cannot list objects of", path);
	qsort(l.ids, l.n, sizeof(*l.ids), cmp_oid);

	for (size_t i = 0; i < l.n; i++) {
		git_odb_object *obj;
		char oid[GIT_OID_HEXSZ + 1], sum[65];

		if (i > 0 && git_oid_equal(&l.ids[i], &l.ids[i - 1]))
			continue; /* the same object in two packs */
		git_oid_tostr(oid, sizeof(oid), &l.ids[i]);
		if (git_odb_read(&obj, odb, &l.ids[i]) < 0)
			die("cannot read object", oid);
		sha256_hex(sum, git_odb_object_data(obj), git_odb_object_size(obj));
		printf("%s %s %zu %s\n", oid,
			git_object_type2string(git_odb_object_type(obj)),
			git_odb_object_size(obj), sum);
		git_odb_object_free(obj);
	}

	free(l.ids);
	git_odb_free(odb);
	git_libgit2_shutdown();
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write output", strerror(errno));
	return 0;
}

/* --- git cat-file --batch on stdin -------------------------------------- */

static int dump_git_batch(FILE *in)
{
	char line[256];
	static unsigned char buf[1 << 16];

	while (fgets(line, sizeof(line), in)) {
		char oid[80], type[16], sum[65], extra;
		unsigned long long size, left;
		unsigned char md[32];
		unsigned int mdlen = 0;
		EVP_MD_CTX *ctx;
		int c;

		if (!strchr(line, '\n'))
			die("header line too long:", line);
		if (sscanf(line, "%79s %15s %llu %c", oid, type, &size, &extra) != 3)
			die("unexpected line from git cat-file:", line);
		ctx = EVP_MD_CTX_new();
		if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
			die("SHA-256 failed", NULL);
		for (left = size; left > 0;) {
			size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			size_t got = fread(buf, 1, want, in);
			if (got == 0)
				die("content cut short for", oid);
			EVP_DigestUpdate(ctx, buf, got);
			left -= got;
		}
		if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
			die("SHA-256 failed", NULL);
		EVP_MD_CTX_free(ctx);
		if ((c = getc(in)) != '\n')
			die("missing newline after the content of", oid);
		hex(sum, md, 32);
		printf("%s %s %llu %s\n", oid, type, size, sum);
	}
	if (ferror(in))
		die("cannot read stdin", strerror(errno));
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write output", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--git-batch") == 0)
		return dump_git_batch(stdin);
	if (argc == 2 && argv[1][0] != '-')
		return dump_libgit2(argv[1]);
	fprintf(stderr, "usage: %s PACK|IDX|OBJECTS_DIR|REPO\n"
		"       git cat-file --batch-all-objects --batch | %s --git-batch\n",
		progname, progname);
	return 2;
}
