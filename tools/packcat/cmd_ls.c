/* cmd_ls.c: `packcat ls`: a pack's objects and delta chains, as `git verify-pack -v`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common.h"

#include "util/banned.h"

static const char ls_usage[] =
	"usage: packcat [GLOBAL OPTIONS] ls [--no-verify] [PACK...]\n"
	"\n"
	"Verify each PACK (a .pack or .idx file; without PACK, each pack of\n"
	"the repository in turn) as 'packcat verify' does, and list its\n"
	"objects in pack order, one line each:\n"
	"\n"
	"  OID TYPE SIZE SIZE-IN-PACK OFFSET [DEPTH BASE-OID]\n"
	"\n"
	"then how many objects are not deltas and how many have each delta\n"
	"chain length, then 'PACK: ok', or 'PACK: bad' with the reason on\n"
	"stderr: what 'git verify-pack -v' prints, exit status included. A pack\n"
	"found bad is listed only when its own content is sound (git lists\n"
	"what it indexed from the pack before it compares the idx). TYPE is the\n"
	"resolved type; SIZE is the size in the entry's header (the delta's\n"
	"size for a delta). Every PACK is checked even after one fails.\n"
	"\n"
	"Exit status: 0 when every pack is good, 1 when one is bad, 3 or more\n"
	"for other errors (a missing file, a budget too small).\n"
	"\n"
	"Options:\n"
	"      --no-verify  list from the idx and the entry headers only (no\n"
	"                   checksum, no object inflated), without the last line\n"
	"  -h, --help       show this help\n";

/* A large buffer: a pack of millions of objects is millions of lines. */
static char stdout_buf[1 << 18];

/* git's wording (index-pack.c show_pack_info), singular for one object. */
/* `h` counts objects by delta chain length; [0] counts non-deltas. */
static void histogram_print(FILE *out, const pc_counts *h)
{
	size_t d;

	if (h->n && h->v[0])
		fprintf(out, "non delta: %" PRIu64 " object%s\n", h->v[0], h->v[0] == 1 ? "" : "s");
	for (d = 1; d < h->n; d++)
		if (h->v[d])
			fprintf(out, "chain length = %zu: %" PRIu64 " object%s\n", d, h->v[d],
				h->v[d] == 1 ? "" : "s");
}

/* The index in `offsets` (ascending) of `off`, or -1. */
static int64_t find_offset(const uint64_t *offsets, uint32_t count, uint64_t off)
{
	uint32_t lo = 0, hi = count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (offsets[mid] < off)
			lo = mid + 1;
		else if (offsets[mid] > off)
			hi = mid;
		else
			return mid;
	}
	return -1;
}

/*
 * The id of the object at `offset` hashed from its content (git's
 * index-pack lists these, not the idx's): 0, or a library error (-1 when
 * hashing itself failed).
 */
static int content_id(pw_oid *out, pw_pack *pack, uint64_t offset)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	pw_oid_t fmt = pw_pack_oid_type(pack);
	pw_object *obj;
	char hdr[64];
	int err, n, ok;

	if ((err = pw_pack_read_at(&obj, pack, offset)) < 0)
		return err;
	n = snprintf(hdr, sizeof(hdr), "%s %zu", pw_object_type_name(pw_object_type(obj)),
		pw_object_size(obj));
	{
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		ok = ctx && EVP_DigestInit_ex(ctx, fmt == PW_OID_SHA256 ? EVP_sha256() : EVP_sha1(),
				NULL) == 1 &&
			EVP_DigestUpdate(ctx, hdr, (size_t)n + 1) == 1 &&
			EVP_DigestUpdate(ctx, pw_object_data(obj), pw_object_size(obj)) == 1 &&
			EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == pw_oid_rawsz(fmt);
		EVP_MD_CTX_free(ctx);
	}
	pw_object_free(obj);
	if (!ok)
		return -1;
	pw_oid_fromraw(out, md, fmt);
	return 0;
}

/*
 * List one open pack to `out`; `path` names it in messages, which are not
 * printed when `quiet` (the listing is then only tried). With `hashed`,
 * every object is read and listed under the id of its content.
 */
static int list_pack(FILE *out, pw_pack *pack, const char *path, int quiet, int hashed)
{
	uint64_t *offsets = NULL; /* in pack order, so ascending */
	uint32_t *pos = NULL;     /* idx position of each, in pack order */
	pc_counts hist = PW_ARRAY_INIT;
	char hex[PW_OID_MAX_HEXSZ + 1], base_hex[PW_OID_MAX_HEXSZ + 1];
	pw_oid_t fmt;
	uint32_t count, n;
	int err = 0, rc = 0;

	fmt = pw_pack_oid_type(pack);
	count = pw_pack_count(pack);
	offsets = calloc(count ? count : 1, sizeof(*offsets));
	pos = calloc(count ? count : 1, sizeof(*pos));
	if (!offsets || !pos) {
		if (!quiet)
			pc_error("%s: out of memory for %" PRIu32 " objects", path, count);
		rc = PC_EXIT_LIMIT;
		goto out;
	}
	for (n = 0; n < count; n++) {
		if ((err = pw_pack_order_nth(&pos[n], pack, n)) < 0 ||
		    (err = pw_pack_nth_offset(&offsets[n], pack, pos[n])) < 0)
			goto lib_error;
		if (n && offsets[n] <= offsets[n - 1]) {
			/* The library checks its .rev; this guards the binary search. */
			if (!quiet)
				pc_error("%s: objects in pack order are not in offset order "
				"(offset %" PRIu64 " after %" PRIu64 ")",
				pw_pack_path(pack), offsets[n], offsets[n - 1]);
			rc = PC_EXIT_DATA;
			goto out;
		}
	}

	for (n = 0; n < count; n++) {
		pw_pack_entry e;
		pw_object_t type;
		pw_oid id, base;
		uint32_t depth = 0;
		int is_delta;
		const char *tname;

		if ((err = hashed ? content_id(&id, pack, offsets[n]) :
			pw_pack_nth_oid(&id, pack, pos[n])) < 0 ||
		    (err = pw_pack_entry_at(&e, pack, offsets[n])) < 0)
			goto lib_error;
		type = e.type;
		memset(&base, 0, sizeof(base));
		is_delta = e.type == PW_OBJ_OFS_DELTA || e.type == PW_OBJ_REF_DELTA;
		if (is_delta) {
			if ((err = pw_pack_chain(&type, &depth, pack, offsets[n])) < 0)
				goto lib_error;
			if (e.type == PW_OBJ_REF_DELTA) {
				base = e.base_id;
			} else {
				int64_t b = find_offset(offsets, count, e.base_offset);

				if (b < 0) {
					if (!quiet)
						pc_error("%s: offset %" PRIu64 ": delta base offset %"
						PRIu64 " is not the start of an object",
						pw_pack_path(pack), e.offset, e.base_offset);
					rc = PC_EXIT_DATA;
					goto out;
				}
				if ((err = hashed ? content_id(&base, pack, offsets[b]) :
					pw_pack_nth_oid(&base, pack, pos[b])) < 0)
					goto lib_error;
			}
		}
		if (pc_counts_add(&hist, depth) < 0) {
			if (!quiet)
				pc_error("%s: out of memory", path);
			rc = PC_EXIT_LIMIT;
			goto out;
		}
		tname = pw_object_type_name(type);
		fprintf(out, "%s %-6s %" PRIu64 " %" PRIu64 " %" PRIu64, pw_oid_tostr(hex, &id, fmt),
			tname ? tname : "?", e.size, e.packed_size, e.offset);
		if (is_delta)
			fprintf(out, " %" PRIu32 " %s", depth, pw_oid_tostr(base_hex, &base, fmt));
		fputc('\n', out);
		if (ferror(out)) { /* reported at exit; no point going on */
			rc = PC_EXIT_IO;
			goto out;
		}
	}
	histogram_print(out, &hist);
	goto out;

lib_error:
	if (quiet) {
		pw_error_clear();
		rc = err == -1 ? PC_EXIT_INTERNAL : pc_exit_code(err);
	} else {
		rc = pc_lib_error(err, path);
	}
out:
	PW_ARRAY_FREE(&hist);
	free(pos);
	free(offsets);
	return rc;
}

/* Whether a library error says the pack is bad (git verify-pack's "bad"). */
static int is_bad_pack(int err)
{
	return err == PW_ECORRUPT || err == PW_EVERIFY || err == PW_EUNSUPPORTED ||
	       err == PW_ELIMIT || err == PW_ENOTFOUND;
}

/*
 * The listing of a pack found bad, when its own content is sound (its
 * trailer is right and every object reads: only its idx is wrong): git
 * lists what it indexed from the pack, ids hashed from the content,
 * before it compares the idx; a pack that fails on its own is not listed.
 */
static void list_bad_pack(pw_pack *pack, const char *path, int err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	if ((err != PW_EVERIFY && err != PW_ECORRUPT) || pw_pack_verify_trailer(pack) < 0) {
		pw_error_clear();
		return;
	}
	if (!(mem = open_memstream(&buf, &len)))
		return;
	if (list_pack(mem, pack, path, 1, 1) == 0 && fflush(mem) == 0)
		fwrite(buf, 1, len, stdout);
	fclose(mem);
	free(buf);
}

/*
 * Verify, then list one open pack, as git verify-pack -v: the listing and
 * "SHOWN: ok", or the reason on stderr and "SHOWN: bad" (exit 1).
 */
static int ls_pack(pw_pack *pack, const char *path, const char *shown, int verify)
{
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	int err, rc;

	if (!verify)
		return list_pack(stdout, pack, path, 0, 0);
	if ((err = pw_pack_verify(pack, &vo)) < 0) {
		rc = pc_lib_error(err, path);
		if (!is_bad_pack(err))
			return rc;
		list_bad_pack(pack, path, err);
		printf("%s: bad\n", shown);
		return PC_EXIT_NO;
	}
	if ((rc = list_pack(stdout, pack, path, 0, 0)))
		return rc;
	printf("%s: ok\n", shown);
	return PC_EXIT_OK;
}

/* PATH as git verify-pack names it in its last line: the .pack. */
static char *shown_name(const char *path)
{
	size_t len = strlen(path);
	char *s = malloc(len + sizeof(".pack"));

	if (!s)
		return NULL;
	memcpy(s, path, len + 1);
	if (len >= 4 && !strcmp(s + len - 4, ".idx"))
		len -= 4;
	else if (len >= 5 && !strcmp(s + len - 5, ".pack"))
		return s;
	memcpy(s + len, ".pack", sizeof(".pack"));
	return s;
}

static int ls_pack_file(struct pc_env *env, const char *path, int verify)
{
	char *shown = shown_name(path);
	pw_pack *pack;
	int err, rc;

	if (!shown) {
		pc_error("%s: out of memory", path);
		return PC_EXIT_LIMIT;
	}
	if ((rc = pc_pack_open(&pack, env, path, &err))) {
		/* a missing file is not a bad pack: exit 3, as before */
		if (verify && is_bad_pack(err) && err != PW_ENOTFOUND) {
			printf("%s: bad\n", shown);
			rc = PC_EXIT_NO;
		}
	} else {
		rc = ls_pack(pack, path, shown, verify);
		pw_pack_free(pack);
	}
	free(shown);
	return rc;
}

/* Every pack of the repository (its own and its alternates'), in its order. */
static int ls_repository(struct pc_env *env, int verify)
{
	size_t i, n;
	int rc, worst = PC_EXIT_OK;

	env->opt.no_replace = 1; /* objects as stored, as git verify-pack lists them */
	if ((rc = pc_repo_open(env)))
		return rc;
	n = pw_repo_pack_count(env->repo);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);

		rc = ls_pack(pack, pw_pack_path(pack), pw_pack_path(pack), verify);
		if (!verify && rc)
			return rc;
		worst = pc_exit_worse(worst, rc);
	}
	return worst;
}

int cmd_ls(struct pc_env *env, int argc, char **argv)
{
	enum { OPT_NO_VERIFY = PC_OPT_LONG };
	static const struct option options[] = {
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i, rc, verify = 1, worst = PC_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_NO_VERIFY:
			verify = 0;
			break;
		case 'h':
			fputs(ls_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("ls", c, argv);
		}
	}
	setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	if (optind >= argc)
		return ls_repository(env, verify);
	if ((rc = pc_env_open(env)))
		return rc;
	/* Like git verify-pack, go on after a bad pack (--no-verify stops at an error). */
	for (i = optind; i < argc; i++) {
		rc = ls_pack_file(env, argv[i], verify);
		if (!verify && rc)
			return rc;
		worst = pc_exit_worse(worst, rc);
	}
	return worst;
}
