/* cmd_verify.c: `packcat verify`: checksums, CRC32s and object ids of packs and loose objects. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	"alternates'), its multi-pack-index, then every loose object file\n"
	"(a loose copy of a packed object too): inflated, its header checked\n"
	"and its id recomputed from its content. Each bad file is reported.\n"
	"\n"
	"Exit status: 0 when every file is good, 1 when one fails verification,\n"
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
 * Fold one check of a pack (`err`) into `rc`, reporting its error unless
 * it is the one reported last (kept in `last`).
 */
static int report_pack_check(int err, const char *path, char *last, size_t cap, int rc)
{
	if (err >= 0)
		return rc;
	if (strcmp(pw_error_last(), last)) {
		snprintf(last, cap, "%s", pw_error_last());
		pc_lib_error(err, path);
	}
	pw_error_clear();
	return pc_exit_worse(rc, is_verification_failure(err) ? PC_EXIT_NO : pc_exit_code(err));
}

/*
 * Verify one open pack. Returns 0 when good, PC_EXIT_NO when bad, another
 * exit status when it could not be checked.
 */
static int verify_pack(pw_pack *pack, const char *path, unsigned int threads)
{
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	struct pc_progress progress;
	char last[1024] = "";
	int err, rc = PC_EXIT_OK;

	pc_progress_start(&progress, "Checking objects", pw_pack_count(pack));
	vo.threads = threads;
	vo.progress = pc_progress_cb;
	vo.payload = &progress;
	err = pw_pack_verify(pack, &vo);
	pc_progress_stop(&progress, err == 0);
	rc = report_pack_check(err, path, last, sizeof(last), rc);
	/*
	 * Its companions, each reported on its own: the .rev (when there is
	 * one), a cruft pack's .mtimes. A bad idx fails them the same way
	 * again: that is said once.
	 */
	rc = report_pack_check(pw_pack_verify_rev(pack), path, last, sizeof(last), rc);
	rc = report_pack_check(pw_pack_verify_mtimes(pack), path, last, sizeof(last), rc);
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

/* Progress and the worst status over the loose files. */
struct loose_report {
	struct pc_progress progress;
	uint64_t n;
	int worst;
};

static void loose_report(const pw_oid *id, const char *path, int error, void *payload)
{
	struct loose_report *r = payload;

	(void)id;
	(void)path;
	pc_progress_update(&r->progress, ++r->n);
	if (!error)
		return;
	pc_error("%s", pw_error_last());
	r->worst = pc_exit_worse(r->worst,
		is_verification_failure(error) ? PC_EXIT_NO : pc_exit_code(error));
}

/*
 * Every pack of the repository with its .rev and .mtimes, every
 * multi-pack-index, then every loose object file (a loose copy of a
 * packed object too, which reads never reach): each bad file is reported,
 * and all are checked before the exit status says so.
 */
static int verify_repository(struct pc_env *env, unsigned int threads)
{
	struct loose_report lr;
	size_t i, n;
	int err, rc, worst = PC_EXIT_OK;

	env->opt.no_replace = 1; /* objects as stored: their ids are checked against their bytes */
	if ((rc = pc_repo_open(env)))
		return rc;
	n = pw_repo_pack_count(env->repo);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);

		worst = pc_exit_worse(worst, verify_pack(pack, pw_pack_path(pack), threads));
	}
	if ((err = pw_repo_verify_midx(env->repo, midx_report, &worst)) < 0 && err != PW_EVERIFY)
		worst = pc_exit_worse(worst, pc_lib_error(err, NULL));
	memset(&lr, 0, sizeof(lr));
	/* the total is not known before the folders are read: progress counts up */
	pc_progress_start(&lr.progress, "Checking loose objects", 0);
	err = pw_repo_verify_loose(env->repo, loose_report, &lr);
	pc_progress_stop(&lr.progress, err == 0);
	if (err < 0 && err != PW_EVERIFY)
		lr.worst = pc_exit_worse(lr.worst, pc_lib_error(err, NULL));
	return pc_exit_worse(worst, lr.worst);
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
