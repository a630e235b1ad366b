/* cmd_packs.c: `packcat packs`: the repository's packs, one line each. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "common.h"

#include "util/banned.h"

static const char packs_usage[] =
	"usage: packcat [GLOBAL OPTIONS] packs\n"
	"\n"
	"List the packs of the repository (its own, then its alternates'), in\n"
	"the order it searches them, one line each:\n"
	"\n"
	"  PATH OBJECTS BYTES\n"
	"\n"
	"PATH is the absolute path of the .pack file, OBJECTS the number of\n"
	"objects in it and BYTES its size. The last two fields are numbers, so\n"
	"a line still splits from the right when PATH has spaces.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

int cmd_packs(struct pc_env *env, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t i, n;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(packs_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("packs", c, argv);
		}
	}
	if (optind < argc)
		return pc_usage_error("packs", "unexpected argument '%s'", argv[optind]);

	if ((rc = pc_repo_open(env)))
		return rc;
	n = pw_repo_pack_count(env->repo);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);

		printf("%s %" PRIu32 " %" PRIu64 "\n", pw_pack_path(pack), pw_pack_count(pack),
			pw_pack_size(pack));
	}
	return PC_EXIT_OK;
}
