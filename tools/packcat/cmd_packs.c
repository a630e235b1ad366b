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
	"  --json       one JSON array of {\"path\", \"objects\", \"bytes\", \"flags\": [...]}\n"
	"  -h, --help   show this help\n";

static const struct {
	unsigned int bit;
	const char *name;
} flag_names[] = {
	{ PW_PACK_KEEP, "keep" }, { PW_PACK_PROMISOR, "promisor" },
	{ PW_PACK_CRUFT, "cruft" }, { PW_PACK_MIDX, "midx" },
};

/* The names of the flags set in `f`, each quoted or not, between `sep`; `none` if none. */
static void print_flags(unsigned int f, const char *quote, const char *sep, const char *none)
{
	size_t k;
	int any = 0;

	for (k = 0; k < sizeof(flag_names) / sizeof(*flag_names); k++)
		if (f & flag_names[k].bit) {
			printf("%s%s%s%s", any ? sep : "", quote, flag_names[k].name, quote);
			any = 1;
		}
	if (!any)
		fputs(none, stdout);
}

int cmd_packs(struct pc_env *env, int argc, char **argv)
{
	enum { OPT_JSON = PC_OPT_LONG };
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t i, n;
	int c, rc, json = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = 1;
			break;
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
	if (json)
		fputs("[", stdout);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);
		unsigned int flags = pw_repo_pack_flags(env->repo, i);

		if (!pack)
			break; /* a rescan dropped packs meanwhile */
		if (json) {
			fputs(i ? ",\n  {\"path\": " : "\n  {\"path\": ", stdout);
			pc_json_string(stdout, pw_pack_path(pack));
			printf(", \"objects\": %" PRIu32 ", \"bytes\": %" PRIu64 ", \"flags\": [",
				pw_pack_count(pack), pw_pack_size(pack));
			print_flags(flags, "\"", ", ", "");
			fputs("]}", stdout);
			continue;
		}
		printf("%s %" PRIu32 " %" PRIu64 " ", pw_pack_path(pack), pw_pack_count(pack),
			pw_pack_size(pack));
		print_flags(flags, "", ",", "-");
		fputs("\n", stdout);
	}
	if (json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	return PC_EXIT_OK;
}
