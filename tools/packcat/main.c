/* main.c: packcat's entry point: the command table, global options, exit and counters. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#include "util/banned.h"

struct pc_command {
	const char *name;
	pc_command_fn fn;
	const char *summary;
};

static const struct pc_command commands[] = {
	{ "ls", cmd_ls, "list a pack's objects and delta chains, as git verify-pack -v" },
	{ "verify", cmd_verify, "check checksums, CRC32s and every object id of packs" },
	{ "stats", cmd_stats, "objects and bytes by type, delta chains, largest objects" },
	{ "cat", cmd_cat, "type, size or content of one object, as git cat-file" },
	{ "batch", cmd_batch, "objects named on stdin (or all), as git cat-file --batch" },
	{ "packs", cmd_packs, "the repository's packs: path, object count, size, flags" },
	{ "refs", cmd_refs, "the repository's refs, as git show-ref" },
};

static void usage(void)
{
	size_t i;

	printf(
		"usage: packcat [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Read git pack files under hard memory and file-descriptor budgets.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf(
		"\n"
		"Global options (before the command):\n"
		"  -C, --repo PATH          repository: a work tree, its .git, or a bare one\n"
		"                           (default: found from the current directory)\n"
		"  --window-size SIZE       bytes per mapped window\n"
		"  --memory-limit SIZE      most bytes mapped at once, all packs together\n"
		"  --fd-limit N             most pack files open at once\n"
		"  --delta-cache SIZE       budget of the delta-base cache\n"
		"  --object-format sha1|sha256\n"
		"                           object format of standalone packs\n"
		"  --no-mmap                read windows with pread instead of mmap\n"
		"  --no-replace-objects     ignore refs/replace/, as git does\n"
		"  --stats                  print counters to stderr on exit\n"
		"  -h, --help               show this help\n"
		"  --version                show the versions of packcat and libpackwin\n"
		"\n"
		"SIZE is a byte count, or with a k, m or g suffix (powers of 1024).\n"
		"Run 'packcat COMMAND --help' for a command's own options.\n");
}

enum {
	OPT_WINDOW_SIZE = PC_OPT_LONG,
	OPT_MEMORY_LIMIT,
	OPT_FD_LIMIT,
	OPT_DELTA_CACHE,
	OPT_OBJECT_FORMAT,
	OPT_NO_MMAP,
	OPT_NO_REPLACE_OBJECTS,
	OPT_STATS,
	OPT_VERSION
};

static const struct option global_options[] = {
	{ "repo", required_argument, NULL, 'C' },
	{ "window-size", required_argument, NULL, OPT_WINDOW_SIZE },
	{ "memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT },
	{ "fd-limit", required_argument, NULL, OPT_FD_LIMIT },
	{ "delta-cache", required_argument, NULL, OPT_DELTA_CACHE },
	{ "object-format", required_argument, NULL, OPT_OBJECT_FORMAT },
	{ "no-mmap", no_argument, NULL, OPT_NO_MMAP },
	{ "no-replace-objects", no_argument, NULL, OPT_NO_REPLACE_OBJECTS },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int size_option(size_t *out, const char *opt, const char *arg)
{
	char why[80];
	uint64_t v;

	if (cli_parse_size(&v, arg, 1, SIZE_MAX, why, sizeof(why)) < 0)
		return pc_usage_error(NULL, "%s: '%s' is %s", opt, arg, why);
	*out = (size_t)v;
	return 0;
}

/*
 * Parse the global options, stopping at the first non-option (the
 * command). Returns -1 to go on with the command at argv[optind], or an
 * exit status (help and --version are done here).
 */
static int parse_globals(struct pc_options *o, int argc, char **argv)
{
	const char *why;
	int c, rc;

	opterr = 0;
	/* '+': stop at the command; ':': report a missing value as ':' */
	while ((c = getopt_long(argc, argv, "+:C:h", global_options, NULL)) != -1) {
		switch (c) {
		case 'C':
			o->repo = optarg;
			break;
		case OPT_WINDOW_SIZE:
			if ((rc = size_option(&o->window_size, "--window-size", optarg)))
				return rc;
			break;
		case OPT_MEMORY_LIMIT:
			if ((rc = size_option(&o->memory_limit, "--memory-limit", optarg)))
				return rc;
			break;
		case OPT_DELTA_CACHE:
			if ((rc = size_option(&o->delta_cache, "--delta-cache", optarg)))
				return rc;
			break;
		case OPT_FD_LIMIT:
			if (pc_parse_count(&o->fd_limit, optarg, &why) < 0)
				return pc_usage_error(NULL, "--fd-limit: '%s' is %s", optarg, why);
			if (o->fd_limit == 0)
				return pc_usage_error(NULL, "--fd-limit: '%s' is too small "
					"(must be at least 1)", optarg);
			break;
		case OPT_OBJECT_FORMAT:
			if (!strcmp(optarg, "sha1"))
				o->oid_type = PW_OID_SHA1;
			else if (!strcmp(optarg, "sha256"))
				o->oid_type = PW_OID_SHA256;
			else
				return pc_usage_error(NULL, "--object-format: '%s' is "
					"not sha1 or sha256", optarg);
			break;
		case OPT_NO_MMAP:
			o->no_mmap = 1;
			break;
		case OPT_NO_REPLACE_OBJECTS:
			o->no_replace = 1;
			break;
		case OPT_STATS:
			o->stats = 1;
			break;
		case 'h':
			usage();
			return PC_EXIT_OK;
		case OPT_VERSION:
			cli_print_version(PC_PROG);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error(NULL, c, argv);
		}
	}
	return -1;
}

static const struct pc_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int run(struct pc_env *env, int argc, char **argv)
{
	const struct pc_command *cmd;
	int rc;

	if ((rc = parse_globals(&env->opt, argc, argv)) >= 0)
		return rc;
	if (optind >= argc)
		return pc_usage_error(NULL, "no command given");
	if (!(cmd = find_command(argv[optind])))
		return pc_usage_error(NULL, "'%s' is not a packcat command", argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: start the command's getopt_long afresh */
	return cmd->fn(env, argc, argv);
}

int main(int argc, char **argv)
{
	struct pc_env env;
	int rc;

	memset(&env, 0, sizeof(env));
	/*
	 * One malloc arena for all threads: read-ahead workers allocate the
	 * objects and the main thread frees them after writing, so per-thread
	 * arenas each kept their own slack. Less peak memory, no cost in time
	 * (docs/PERFORMANCE.md, "Figures behind code choices").
	 */
	mallopt(M_ARENA_MAX, 1);
	rc = run(&env, argc, argv);
	if (env.opened && env.opt.stats)
		pc_print_counters(stderr, &env);
	pc_env_close(&env);
	errno = 0;
	/* Output that never reached its file is an error, not a success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno)
			pc_error("cannot write to standard output: %s", strerror(errno));
		else
			pc_error("cannot write to standard output");
		if (rc == PC_EXIT_OK)
			rc = PC_EXIT_IO;
	}
	return rc;
}
