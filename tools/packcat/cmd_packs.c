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
	"  PATH OBJECTS BYTES FLAGS\n"
	"\n"
	"PATH is the absolute path of the .pack file, OBJECTS the number of\n"
	"objects in it and BYTES its size. FLAGS is '-', or a comma-separated\n"
	"list of: keep (a .keep beside it), promisor (a .promisor: a partial\n"
	"clone's), cruft (a .mtimes: unreachable objects), midx (read through\n"
	"the multi-pack-index). The last three fields have no spaces, so a line\n"
	"still splits from the right when PATH has some.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

/* "keep,promisor,cruft,midx" (those set), or "-". */
static void print_flags(unsigned int f)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ PW_PACK_KEEP, "keep" }, { PW_PACK_PROMISOR, "promisor" },
		{ PW_PACK_CRUFT, "cruft" }, { PW_PACK_MIDX, "midx" },
	};
	size_t k;
	int any = 0;

	for (k = 0; k < sizeof(names) / sizeof(*names); k++)
		if (f & names[k].bit) {
			printf("%s%s", any ? "," : "", names[k].name);
			any = 1;
		}
	fputs(any ? "\n" : "-\n", stdout);
}

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

		printf("%s %" PRIu32 " %" PRIu64 " ", pw_pack_path(pack), pw_pack_count(pack),
			pw_pack_size(pack));
		print_flags(pw_repo_pack_flags(env->repo, i));
	}
	return PC_EXIT_OK;
}
