/* cmd_verify.c: `packcat verify`: checksums, CRC32s and object ids of every given pack. */
#include <getopt.h>
#include <stdio.h>

#include "common.h"
#include "progress.h"

static const char verify_usage[] =
	"usage: packcat [GLOBAL OPTIONS] verify [--threads N] [PACK...]\n"
	"\n"
	"Verify each PACK (a .pack or .idx file): the pack's trailing checksum,\n"
	"the idx checksum and the pack checksum it records, every entry's CRC32\n"
	"(idx v2), and every object's id recomputed from its content. Silent\n"
	"when all is good; shows progress on stderr when it is a terminal.\n"
	"Every PACK is checked even after one fails.\n"
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
 * Verify one pack. Returns 0 when good, PC_EXIT_NO when bad, another
 * exit status when it could not be checked.
 */
static int verify_pack(struct pc_env *env, const char *path, unsigned int threads)
{
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	struct pc_progress progress;
	pw_pack *pack = NULL;
	int err, rc;

	if ((rc = pc_pack_open(&pack, env, path, &err)))
		return is_verification_failure(err) ? PC_EXIT_NO : rc;
	pc_progress_start(&progress, "Checking objects", pw_pack_count(pack));
	vo.threads = threads;
	vo.progress = pc_progress_cb;
	vo.payload = &progress;
	err = pw_pack_verify(pack, &vo);
	pc_progress_stop(&progress, err == 0);
	if (err < 0) {
		rc = pc_lib_error(err, path);
		if (is_verification_failure(err))
			rc = PC_EXIT_NO;
	}
	pw_pack_free(pack);
	return rc;
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
		return pc_no_repository();

	if ((rc = pc_env_open(env)))
		return rc;
	/*
	 * Like git verify-pack, go on after a bad pack. An error that kept a
	 * pack from being checked at all outranks "bad": the answer is unknown.
	 */
	for (i = optind; i < argc; i++) {
		rc = verify_pack(env, argv[i], threads);
		if (rc == PC_EXIT_NO && worst == PC_EXIT_OK)
			worst = PC_EXIT_NO;
		else if (rc != PC_EXIT_OK && rc != PC_EXIT_NO &&
			 (worst == PC_EXIT_OK || worst == PC_EXIT_NO))
			worst = rc;
	}
	return worst;
}
