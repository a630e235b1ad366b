/* cmd_ls.c: `packcat ls`: a pack's objects and delta chains, as `git verify-pack -v`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#include "util/banned.h"

static const char ls_usage[] =
	"usage: packcat [GLOBAL OPTIONS] ls [PACK...]\n"
	"\n"
	"List every object of each PACK (a .pack or .idx file; without PACK,\n"
	"each pack of the repository in turn) in pack order, one line each:\n"
	"\n"
	"  OID TYPE SIZE SIZE-IN-PACK OFFSET [DEPTH BASE-OID]\n"
	"\n"
	"then how many objects are not deltas and how many have each delta\n"
	"chain length: what 'git verify-pack -v' prints, without its final\n"
	"'PACK: ok' lines. TYPE is the resolved type; SIZE is the size in the\n"
	"entry's header (the delta's size for a delta).\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

/* A large buffer: a pack of millions of objects is millions of lines. */
static char stdout_buf[1 << 18];

/* git's wording (index-pack.c show_pack_info), singular for one object. */
/* `h` counts objects by delta chain length; [0] counts non-deltas. */
static void histogram_print(const pc_counts *h)
{
	size_t d;

	if (h->n && h->v[0])
		printf("non delta: %" PRIu64 " object%s\n", h->v[0], h->v[0] == 1 ? "" : "s");
	for (d = 1; d < h->n; d++)
		if (h->v[d])
			printf("chain length = %zu: %" PRIu64 " object%s\n", d, h->v[d],
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

/* List one open pack; `path` names it in messages. */
static int ls_pack(pw_pack *pack, const char *path)
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

		if ((err = pw_pack_nth_oid(&id, pack, pos[n])) < 0 ||
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
					pc_error("%s: offset %" PRIu64 ": delta base offset %"
						PRIu64 " is not the start of an object",
						pw_pack_path(pack), e.offset, e.base_offset);
					rc = PC_EXIT_DATA;
					goto out;
				}
				if ((err = pw_pack_nth_oid(&base, pack, pos[b])) < 0)
					goto lib_error;
			}
		}
		if (pc_counts_add(&hist, depth) < 0) {
			pc_error("%s: out of memory", path);
			rc = PC_EXIT_LIMIT;
			goto out;
		}
		tname = pw_object_type_name(type);
		printf("%s %-6s %" PRIu64 " %" PRIu64 " %" PRIu64, pw_oid_tostr(hex, &id, fmt),
			tname ? tname : "?", e.size, e.packed_size, e.offset);
		if (is_delta)
			printf(" %" PRIu32 " %s", depth, pw_oid_tostr(base_hex, &base, fmt));
		putchar('\n');
		if (ferror(stdout)) { /* reported at exit; no point going on */
			rc = PC_EXIT_IO;
			goto out;
		}
	}
	histogram_print(&hist);
	goto out;

lib_error:
	rc = pc_lib_error(err, path);
out:
	PW_ARRAY_FREE(&hist);
	free(pos);
	free(offsets);
	return rc;
}

static int ls_pack_file(struct pc_env *env, const char *path)
{
	pw_pack *pack;
	int rc;

	if ((rc = pc_pack_open(&pack, env, path, NULL)))
		return rc;
	rc = ls_pack(pack, path);
	pw_pack_free(pack);
	return rc;
}

/* Every pack of the repository (its own and its alternates'), in its order. */
static int ls_repository(struct pc_env *env)
{
	size_t i, n;
	int rc;

	env->opt.no_replace = 1; /* objects as stored, as git verify-pack lists them */
	if ((rc = pc_repo_open(env)))
		return rc;
	n = pw_repo_pack_count(env->repo);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);

		if ((rc = ls_pack(pack, pw_pack_path(pack))))
			return rc;
	}
	return PC_EXIT_OK;
}

int cmd_ls(struct pc_env *env, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(ls_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("ls", c, argv);
		}
	}
	setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	if (optind >= argc)
		return ls_repository(env);
	if ((rc = pc_env_open(env)))
		return rc;
	for (i = optind; i < argc; i++)
		if ((rc = ls_pack_file(env, argv[i])))
			return rc;
	return PC_EXIT_OK;
}
