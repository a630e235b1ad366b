/* cmd_verify.c: `packcat verify`: checksums, CRC32s and object ids of packs and loose objects. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common.h"
#include "progress.h"

#include "util/banned.h"

static const char verify_usage[] =
	"usage: packcat [GLOBAL OPTIONS] verify [--threads N] [PACK...]\n"
	"\n"
	"Verify each PACK (a .pack or .idx file): the pack's trailing checksum,\n"
	"the idx checksum and the pack checksum it records, every entry's CRC32\n"
	"(idx v2), every object's id recomputed from its content, and the\n"
	".rev and (cruft pack) .mtimes files beside it: header, content, pack\n"
	"checksum recorded and own checksum. Silent\n"
	"when all is good; shows progress on stderr when it is a terminal.\n"
	"Every PACK is checked even after one fails.\n"
	"\n"
	"Without PACK: every pack of the repository (its own and its\n"
	"alternates'), then every loose object, whose id is recomputed from\n"
	"its content.\n"
	"\n"
	"Exit status: 0 when every pack is good, 1 when one fails verification,\n"
	"3 or more for other errors (a missing file, a budget too small).\n"
	"\n"
	"Options:\n"
	"      --threads N   worker threads (default 0: one per online CPU)\n"
	"  -h, --help        show this help\n";

/* Whether a library error means "this pack is bad" rather than "could not check". */
static int is_verification_failure(int err)
{
	return err == PW_EVERIFY || err == PW_ECORRUPT;
}

/*
 * Verify one open pack. Returns 0 when good, PC_EXIT_NO when bad, another
 * exit status when it could not be checked.
 */
static int verify_pack(pw_pack *pack, const char *path, unsigned int threads)
{
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	struct pc_progress progress;
	int err, rc = PC_EXIT_OK;

	pc_progress_start(&progress, "Checking objects", pw_pack_count(pack));
	vo.threads = threads;
	vo.progress = pc_progress_cb;
	vo.payload = &progress;
	err = pw_pack_verify(pack, &vo);
	pc_progress_stop(&progress, err == 0);
	/* its companions: the .rev (when there is one), a cruft pack's .mtimes */
	if (err == 0 && (err = pw_pack_verify_rev(pack)) == 0)
		err = pw_pack_verify_mtimes(pack);
	if (err < 0) {
		rc = pc_lib_error(err, path);
		if (is_verification_failure(err))
			rc = PC_EXIT_NO;
	}
	return rc;
}

static int verify_pack_file(struct pc_env *env, const char *path, unsigned int threads)
{
	pw_pack *pack;
	int err, rc;

	if ((rc = pc_pack_open(&pack, env, path, &err)))
		return is_verification_failure(err) ? PC_EXIT_NO : rc;
	rc = verify_pack(pack, path, threads);
	pw_pack_free(pack);
	return rc;
}

/* A multi-pack-index found bad is a verification failure of its file. */
static void midx_report(const char *path, int error, void *payload)
{
	int *worst = payload;

	if (!error)
		return;
	pc_error("%s", pw_error_last());
	(void)path;
	*worst = pc_exit_worse(*worst, is_verification_failure(error) ? PC_EXIT_NO : pc_exit_code(error));
}

/* The ids of the repository's loose objects. */
typedef PW_ARRAY(pw_oid) loose_ids;

static int collect_loose(const pw_repo_entry *entry, void *payload)
{
	loose_ids *l = payload;
	pw_oid *slot;

	if (entry->pack)
		return 0;
	if (!(slot = PW_ARRAY_ALLOC(l, 256)))
		return PW_ENOMEM;
	*slot = entry->id;
	return 0;
}

/* Hashing an object as git names it: "TYPE SIZE\0" then the content. */
struct hasher {
	EVP_MD_CTX *ctx;
	const pw_object_t *type; /* set by pw_repo_stream before the first piece */
	const uint64_t *size;
	int started;
};

static int hasher_start(struct hasher *h, pw_object_t type, uint64_t size)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %llu", pw_object_type_name(type),
		(unsigned long long)size);

	h->started = 1;
	return EVP_DigestUpdate(h->ctx, hdr, (size_t)n + 1) != 1; /* with the NUL */
}

static int hash_piece(const unsigned char *data, size_t len, void *payload)
{
	struct hasher *h = payload;

	if (!h->started && hasher_start(h, *h->type, *h->size))
		return 1;
	return EVP_DigestUpdate(h->ctx, data, len) != 1;
}

/*
 * Recompute the id of the loose object `id`, streaming it (bounded memory
 * however large it is).
 */
static int verify_loose(pw_repo *repo, const pw_oid *id, pw_oid_t fmt)
{
	char hex[PW_OID_MAX_HEXSZ + 1], got_hex[PW_OID_MAX_HEXSZ + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct hasher h = { NULL, NULL, NULL, 0 };
	pw_object_t type = PW_OBJ_BAD;
	uint64_t size = 0;
	pw_oid got;
	int err, rc = PC_EXIT_OK;

	pw_oid_tostr(hex, id, fmt);
	if (!(h.ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(h.ctx, fmt == PW_OID_SHA256 ? EVP_sha256() : EVP_sha1(), NULL) != 1) {
		pc_error("loose object %s: cannot start hashing", hex);
		rc = PC_EXIT_INTERNAL;
		goto out;
	}
	h.type = &type;
	h.size = &size;
	err = pw_repo_stream(&type, &size, repo, id, hash_piece, &h);
	if (err > 0) {
		pc_error("loose object %s: hashing failed", hex);
		rc = PC_EXIT_INTERNAL;
		goto out;
	}
	if (err < 0)
		goto lib_error;
	if ((!h.started && hasher_start(&h, type, size)) ||
	    EVP_DigestFinal_ex(h.ctx, md, &mdlen) != 1 || mdlen != pw_oid_rawsz(fmt)) {
		pc_error("loose object %s: hashing failed", hex);
		rc = PC_EXIT_INTERNAL;
		goto out;
	}
	pw_oid_fromraw(&got, md, fmt);
	if (pw_oid_cmp(&got, id)) {
		pc_error("loose object %s: hash mismatch (its content hashes to %s)",
			hex, pw_oid_tostr(got_hex, &got, fmt));
		rc = PC_EXIT_NO;
	}
	goto out;

lib_error:
	pc_error("loose object %s: %s", hex, pw_error_last());
	rc = is_verification_failure(err) ? PC_EXIT_NO : pc_exit_code(err);
out:
	EVP_MD_CTX_free(h.ctx);
	return rc;
}

/*
 * Every pack of the repository, then every loose object. The iteration
 * gives each id once, where first met: a loose copy of a packed object is
 * not listed, so not checked (reading by id would give the packed one).
 */
static int verify_repository(struct pc_env *env, unsigned int threads)
{
	struct pc_progress progress;
	loose_ids loose = PW_ARRAY_INIT;
	pw_oid_t fmt;
	size_t i, n;
	int err, rc, worst = PC_EXIT_OK;

	env->opt.no_replace = 1; /* objects as stored: their ids are checked against their bytes */
	if ((rc = pc_repo_open(env)))
		return rc;
	fmt = pw_repo_oid_type(env->repo);
	n = pw_repo_pack_count(env->repo);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);

		worst = pc_exit_worse(worst, verify_pack(pack, pw_pack_path(pack), threads));
	}
	if ((err = pw_repo_verify_midx(env->repo, midx_report, &worst)) < 0 && err != PW_EVERIFY)
		worst = pc_exit_worse(worst, pc_lib_error(err, NULL));
	if ((err = pw_repo_foreach(env->repo, PW_FOREACH_UNORDERED, collect_loose, &loose)) != 0) {
		if (err == PW_ENOMEM)
			pc_error("%s: out of memory listing loose objects",
				pw_repo_objdir(env->repo));
		else
			pc_lib_error(err, NULL);
		worst = pc_exit_worse(worst, pc_exit_code(err));
		goto out;
	}
	if (loose.n == 0)
		goto out;
	pc_progress_start(&progress, "Checking loose objects", loose.n);
	for (i = 0; i < loose.n; i++) {
		worst = pc_exit_worse(worst, verify_loose(env->repo, &loose.v[i], fmt));
		pc_progress_update(&progress, i + 1);
	}
	pc_progress_stop(&progress, worst == PC_EXIT_OK);
out:
	PW_ARRAY_FREE(&loose);
	return worst;
}

int cmd_verify(struct pc_env *env, int argc, char **argv)
{
	enum { OPT_THREADS = PC_OPT_LONG };
	static const struct option options[] = {
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int threads = 0;
	const char *why;
	int c, i, rc, worst = PC_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_THREADS:
			if (pc_parse_count(&threads, optarg, &why) < 0)
				return pc_usage_error("verify", "--threads: '%s' is %s", optarg, why);
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("verify", c, argv);
		}
	}
	if (optind >= argc)
		return verify_repository(env, threads);

	if ((rc = pc_env_open(env)))
		return rc;
	/* Like git verify-pack, go on after a bad pack. */
	for (i = optind; i < argc; i++)
		worst = pc_exit_worse(worst, verify_pack_file(env, argv[i], threads));
	return worst;
}
