/* cmd_stats.c: `packcat stats`: objects and bytes by type, delta chains, largest objects. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "progress.h"

#include "util/banned.h"

static const char stats_usage[] =
	"usage: packcat [GLOBAL OPTIONS] stats [--json] [PACK...]\n"
	"\n"
	"Summarize the given PACKs (.pack or .idx files; without PACK, every\n"
	"pack and loose object of the repository) together: objects and bytes\n"
	"by type, how many are stored whole, as ofs-delta or ref-delta, or\n"
	"loose, the delta chain histogram, the 10 largest objects, and the\n"
	"window manager's and delta cache's counters after the work.\n"
	"\n"
	"Byte columns: 'size' is the objects' own size (as git cat-file -s),\n"
	"'inflated' the size in the entries' headers (a delta's own size for a\n"
	"delta), 'in-pack' the bytes the entries take in the pack file (for a\n"
	"loose object, its file's size).\n"
	"\n"
	"Options:\n"
	"      --json   print one JSON object instead of text\n"
	"  -h, --help   show this help\n";

#define LARGEST_MAX 10

struct bytes {
	uint64_t objects, size, inflated, in_pack;
};

struct pack_info {
	char *path;
	uint32_t objects;
	uint64_t bytes;
	pw_oid_t fmt;
	int idx_version;
};

struct big_object {
	pw_oid id;
	pw_oid_t fmt;
	pw_object_t type;
	uint64_t size;
};

struct stats {
	PW_ARRAY(struct pack_info) packs;
	struct bytes total;
	struct bytes by_type[5];  /* commit, tree, blob, tag by pw_object_t */
	struct bytes whole, ofs_delta, ref_delta, loose;
	pc_counts chains;         /* objects by delta chain length */
	struct big_object largest[LARGEST_MAX];
	size_t nlargest;
};

static const char *const type_names[5] = { NULL, "commit", "tree", "blob", "tag" };

static void bytes_add(struct bytes *b, uint64_t size, uint64_t inflated, uint64_t in_pack)
{
	b->objects++;
	b->size += size;
	b->inflated += inflated;
	b->in_pack += in_pack;
}

/* Whether `a` comes before `b` among the largest: bigger, then by id. */
static int bigger(const struct big_object *a, const struct big_object *b)
{
	int c;

	if (a->size != b->size)
		return a->size > b->size;
	c = pw_oid_cmp(&a->id, &b->id);
	return c != 0 ? c < 0 : a->fmt < b->fmt;
}

/* Keep `o` if it is among the LARGEST_MAX largest (an id met twice counts once). */
static void largest_add(struct stats *st, const struct big_object *o)
{
	size_t i;

	for (i = 0; i < st->nlargest; i++)
		if (st->largest[i].fmt == o->fmt && !pw_oid_cmp(&st->largest[i].id, &o->id))
			return;
	if (st->nlargest == LARGEST_MAX && !bigger(o, &st->largest[LARGEST_MAX - 1]))
		return;
	i = st->nlargest < LARGEST_MAX ? st->nlargest++ : LARGEST_MAX - 1;
	for (; i > 0 && bigger(o, &st->largest[i - 1]); i--)
		st->largest[i] = st->largest[i - 1];
	st->largest[i] = *o;
}

/* Count one open pack; `path` names it in messages. */
static int stats_pack(struct stats *st, pw_pack *pack, const char *path)
{
	struct pc_progress progress;
	struct pack_info *pi;
	uint32_t count, n;
	int err = 0, rc = PC_EXIT_OK, progressing = 0;

	if (PW_ARRAY_RESERVE(&st->packs, st->packs.n + 1, 8) != 0)
		goto nomem;
	pi = &st->packs.v[st->packs.n];
	if (!(pi->path = strdup(pw_pack_path(pack))))
		goto nomem;
	st->packs.n++;
	count = pw_pack_count(pack);
	pi->objects = count;
	pi->bytes = pw_pack_size(pack);
	pi->fmt = pw_pack_oid_type(pack);
	pi->idx_version = pw_pack_idx_version(pack);

	pc_progress_start(&progress, "Counting objects", count);
	progressing = 1;
	for (n = 0; n < count; n++) {
		struct big_object o;
		pw_pack_entry e;
		uint64_t off;
		uint32_t depth = 0;

		if ((err = pw_pack_nth_oid(&o.id, pack, n)) < 0 ||
		    (err = pw_pack_nth_offset(&off, pack, n)) < 0 ||
		    (err = pw_pack_entry_at(&e, pack, off)) < 0)
			goto lib_error;
		o.fmt = pi->fmt;
		o.type = e.type;
		o.size = e.size;
		if (e.type == PW_OBJ_OFS_DELTA || e.type == PW_OBJ_REF_DELTA) {
			if ((err = pw_pack_chain(&o.type, &depth, pack, off)) < 0 ||
			    (err = pw_pack_read_header(&o.type, &o.size, pack, off)) < 0)
				goto lib_error;
			bytes_add(e.type == PW_OBJ_OFS_DELTA ? &st->ofs_delta : &st->ref_delta,
				o.size, e.size, e.packed_size);
		} else {
			bytes_add(&st->whole, o.size, e.size, e.packed_size);
		}
		if (o.type < PW_OBJ_COMMIT || o.type > PW_OBJ_TAG) {
			pc_error("%s: offset %" PRIu64 ": object of unexpected type %d",
				pw_pack_path(pack), off, (int)o.type);
			rc = PC_EXIT_DATA;
			goto out;
		}
		bytes_add(&st->by_type[o.type], o.size, e.size, e.packed_size);
		bytes_add(&st->total, o.size, e.size, e.packed_size);
		if (pc_counts_add(&st->chains, depth) < 0)
			goto nomem;
		largest_add(st, &o);
		pc_progress_update(&progress, n + 1);
	}
	goto out;

nomem:
	pc_error("%s: out of memory", path);
	rc = PC_EXIT_LIMIT;
	goto out;
lib_error:
	rc = pc_lib_error(err, path);
out:
	if (progressing)
		pc_progress_stop(&progress, rc == 0);
	return rc;
}

static int stats_pack_file(struct stats *st, struct pc_env *env, const char *path)
{
	pw_pack *pack;
	int rc;

	if ((rc = pc_pack_open(&pack, env, path, NULL)))
		return rc;
	rc = stats_pack(st, pack, path);
	pw_pack_free(pack);
	return rc;
}

struct loose_walk {
	struct stats *st;
	pw_repo *repo;
	pw_oid_t fmt;
	int rc;
};

/*
 * Count one loose object (the iteration lists each id once, packs first:
 * a loose copy of a packed object is not counted again).
 */
static int stats_loose_one(const pw_repo_entry *entry, void *payload)
{
	struct loose_walk *w = payload;
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_object_info info;
	struct big_object o;
	int err;

	if (entry->pack)
		return 0;
	if ((err = pw_repo_info(&info, w->repo, &entry->id, 0)) < 0) {
		pc_error("loose object %s: %s", pw_oid_tostr(hex, &entry->id, w->fmt),
			pw_error_last());
		w->rc = pc_exit_code(err);
		return 1;
	}
	if (info.type < PW_OBJ_COMMIT || info.type > PW_OBJ_TAG) {
		pc_error("loose object %s: unexpected type %d",
			pw_oid_tostr(hex, &entry->id, w->fmt), (int)info.type);
		w->rc = PC_EXIT_DATA;
		return 1;
	}
	bytes_add(&w->st->loose, info.size, info.size, info.disk_size);
	bytes_add(&w->st->by_type[info.type], info.size, info.size, info.disk_size);
	bytes_add(&w->st->total, info.size, info.size, info.disk_size);
	if (pc_counts_add(&w->st->chains, 0) < 0) {
		pc_error("%s: out of memory", pw_repo_objdir(w->repo));
		w->rc = PC_EXIT_LIMIT;
		return 1;
	}
	o.id = entry->id;
	o.fmt = w->fmt;
	o.type = info.type;
	o.size = info.size;
	largest_add(w->st, &o);
	return 0;
}

/* Every pack of the repository (its own and its alternates'), then its loose objects. */
static int stats_repository(struct stats *st, struct pc_env *env)
{
	struct loose_walk w;
	size_t i, n;
	int err, rc;

	env->opt.no_replace = 1; /* objects as stored, as git verify-pack counts them */
	if ((rc = pc_repo_open(env)))
		return rc;
	n = pw_repo_pack_count(env->repo);
	for (i = 0; i < n; i++) {
		pw_pack *pack = pw_repo_pack(env->repo, i);

		if ((rc = stats_pack(st, pack, pw_pack_path(pack))))
			return rc;
	}
	w.st = st;
	w.repo = env->repo;
	w.fmt = pw_repo_oid_type(env->repo);
	w.rc = PC_EXIT_OK;
	err = pw_repo_foreach(env->repo, PW_FOREACH_UNORDERED, stats_loose_one, &w);
	if (w.rc)
		return w.rc;
	if (err < 0)
		return pc_lib_error(err, NULL);
	return PC_EXIT_OK;
}

static void print_text(const struct stats *st, struct pc_env *env)
{
	struct pc_counter c[PC_COUNTERS_MAX];
	char hex[PW_OID_MAX_HEXSZ + 1];
	size_t i, n;
	int t;

	for (i = 0; i < st->packs.n; i++)
		printf("pack %s: %" PRIu32 " objects, %" PRIu64 " bytes, %s, idx v%d\n",
			st->packs.v[i].path, st->packs.v[i].objects, st->packs.v[i].bytes,
			pw_oid_type_name(st->packs.v[i].fmt), st->packs.v[i].idx_version);

	printf("\n%-12s %12s %15s %15s %15s\n", "type", "objects", "size", "inflated", "in-pack");
	for (t = PW_OBJ_COMMIT; t <= PW_OBJ_TAG; t++)
		printf("%-12s %12" PRIu64 " %15" PRIu64 " %15" PRIu64 " %15" PRIu64 "\n",
			type_names[t], st->by_type[t].objects, st->by_type[t].size,
			st->by_type[t].inflated, st->by_type[t].in_pack);
	printf("%-12s %12" PRIu64 " %15" PRIu64 " %15" PRIu64 " %15" PRIu64 "\n", "total",
		st->total.objects, st->total.size, st->total.inflated, st->total.in_pack);

	printf("\n%-12s %12s %15s %15s %15s\n", "stored as", "objects", "size", "inflated", "in-pack");
	{
		const struct { const char *name; const struct bytes *b; } rows[] = {
			{ "whole", &st->whole },
			{ "ofs-delta", &st->ofs_delta },
			{ "ref-delta", &st->ref_delta },
			{ "loose", &st->loose },
		};
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			printf("%-12s %12" PRIu64 " %15" PRIu64 " %15" PRIu64 " %15" PRIu64 "\n",
				rows[i].name, rows[i].b->objects, rows[i].b->size,
				rows[i].b->inflated, rows[i].b->in_pack);
	}

	printf("\n%-12s %12s\n", "chain length", "objects");
	for (i = 0; i < st->chains.n; i++)
		if (st->chains.v[i])
			printf("%-12zu %12" PRIu64 "\n", i, st->chains.v[i]);

	printf("\nlargest objects:\n");
	for (i = 0; i < st->nlargest; i++)
		printf("%s %-6s %" PRIu64 "\n",
			pw_oid_tostr(hex, &st->largest[i].id, st->largest[i].fmt),
			pw_object_type_name(st->largest[i].type), st->largest[i].size);

	printf("\nwindow statistics:\n");
	n = pc_counters(c, env);
	for (i = 0; i < n; i++)
		printf("%s %" PRIu64 "\n", c[i].name, c[i].value);
}

static void json_bytes(const char *indent, const char *name, const struct bytes *b, int last)
{
	printf("%s\"%s\": {\"objects\": %" PRIu64 ", \"size\": %" PRIu64
		", \"inflated\": %" PRIu64 ", \"in_pack\": %" PRIu64 "}%s\n",
		indent, name, b->objects, b->size, b->inflated, b->in_pack, last ? "" : ",");
}

static void print_json(const struct stats *st, struct pc_env *env)
{
	struct pc_counter c[PC_COUNTERS_MAX];
	char hex[PW_OID_MAX_HEXSZ + 1];
	size_t i, n, max_depth = 0, nchains = 0;
	int t;

	printf("{\n  \"packs\": [");
	for (i = 0; i < st->packs.n; i++) {
		printf("%s\n    {\"path\": ", i ? "," : "");
		pc_json_string(stdout, st->packs.v[i].path);
		printf(", \"objects\": %" PRIu32 ", \"bytes\": %" PRIu64
			", \"object_format\": \"%s\", \"idx_version\": %d}",
			st->packs.v[i].objects, st->packs.v[i].bytes,
			pw_oid_type_name(st->packs.v[i].fmt), st->packs.v[i].idx_version);
	}
	printf("%s],\n", st->packs.n ? "\n  " : "");

	json_bytes("  ", "total", &st->total, 0);
	printf("  \"types\": {\n");
	for (t = PW_OBJ_COMMIT; t <= PW_OBJ_TAG; t++)
		json_bytes("    ", type_names[t], &st->by_type[t], t == PW_OBJ_TAG);
	printf("  },\n  \"stored_as\": {\n");
	json_bytes("    ", "whole", &st->whole, 0);
	json_bytes("    ", "ofs_delta", &st->ofs_delta, 0);
	json_bytes("    ", "ref_delta", &st->ref_delta, 0);
	json_bytes("    ", "loose", &st->loose, 1);
	printf("  },\n");

	for (i = 0; i < st->chains.n; i++)
		if (st->chains.v[i])
			max_depth = i;
	printf("  \"delta_chains\": {\n    \"max_depth\": %zu,\n    \"histogram\": [", max_depth);
	for (i = 0; i < st->chains.n; i++)
		if (st->chains.v[i])
			printf("%s\n      {\"depth\": %zu, \"objects\": %" PRIu64 "}",
				nchains++ ? "," : "", i, st->chains.v[i]);
	printf("%s]\n  },\n", nchains ? "\n    " : "");

	printf("  \"largest\": [");
	for (i = 0; i < st->nlargest; i++)
		printf("%s\n    {\"oid\": \"%s\", \"type\": \"%s\", \"size\": %" PRIu64 "}",
			i ? "," : "", pw_oid_tostr(hex, &st->largest[i].id, st->largest[i].fmt),
			pw_object_type_name(st->largest[i].type), st->largest[i].size);
	printf("%s],\n", st->nlargest ? "\n  " : "");

	printf("  \"window_stats\": {");
	n = pc_counters(c, env);
	for (i = 0; i < n; i++)
		printf("%s\n    \"%s\": %" PRIu64, i ? "," : "", c[i].name, c[i].value);
	printf("\n  }\n}\n");
}

int cmd_stats(struct pc_env *env, int argc, char **argv)
{
	enum { OPT_JSON = PC_OPT_LONG };
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct stats st;
	int c, i, json = 0, rc = PC_EXIT_OK;
	size_t k;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			fputs(stats_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("stats", c, argv);
		}
	}
	memset(&st, 0, sizeof(st));
	if (optind >= argc) {
		if ((rc = stats_repository(&st, env)))
			goto out;
	} else {
		if ((rc = pc_env_open(env)))
			goto out;
		for (i = optind; i < argc; i++)
			if ((rc = stats_pack_file(&st, env, argv[i])))
				goto out;
	}
	if (json)
		print_json(&st, env);
	else
		print_text(&st, env);
out:
	for (k = 0; k < st.packs.n; k++)
		free(st.packs.v[k].path);
	PW_ARRAY_FREE(&st.packs);
	PW_ARRAY_FREE(&st.chains);
	return rc;
}
