/* cmd_cat.c: `packcat cat`: one object's type, size, existence or content, as `git cat-file`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#include "util/banned.h"

static const char cat_usage[] =
	"usage: packcat [GLOBAL OPTIONS] cat (-t|-s|-e|-p|TYPE) OBJECT\n"
	"\n"
	"Show one object of the repository, byte for byte as 'git cat-file':\n"
	"\n"
	"  -t     its type\n"
	"  -s     its size\n"
	"  -e     nothing; exit 0 when it exists, 1 when it does not\n"
	"  -p     its content, pretty-printed: a tree as 'git ls-tree' lists it\n"
	"         (MODE TYPE OID<TAB>NAME), any other object raw\n"
	"  TYPE   its raw content, as commit, tree, blob or tag: a tag is peeled\n"
	"         to the object it tags and a commit to its tree until the\n"
	"         type is TYPE, as git does\n"
	"\n"
	"OBJECT is a full or abbreviated (4+ hex digits) object id, HEAD, a\n"
	"branch, tag or full ref name, REV^{TYPE}, REV^{} or REV:PATH. Blobs\n"
	"are streamed: memory does not grow with their size.\n"
	"\n"
	"Exit status: 0 success, 1 no such object (or none of type TYPE), 2 bad\n"
	"usage or a malformed OBJECT, 3 or more other errors.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n";

/*
 * The most tags and commits followed from OBJECT towards TYPE. Ids are
 * hashes, so a real chain cannot loop; this bounds a corrupt one.
 */
#define PEEL_MAX 10000

struct cat {
	pw_repo *repo;
	pw_oid_t fmt;
	const char *name; /* OBJECT as given, for messages */
	pw_oid id;
};

/*
 * Resolve OBJECT. On failure print why (not when `quiet` and the name
 * simply names nothing) and return the exit status: 1 when it names no
 * object (or several), 2 when it is not a well-formed name.
 */
static int resolve(struct cat *c, int quiet)
{
	int err = pw_repo_resolve(&c->id, c->repo, c->name);

	switch (err) {
	case 0:
		return PC_EXIT_OK;
	case PW_ENOTFOUND:
		if (!quiet)
			pc_error("not a valid object name '%s' (%s)", c->name, pw_error_last());
		return PC_EXIT_NO;
	case PW_EAMBIGUOUS:
		pc_error("%s", pw_error_last());
		return PC_EXIT_NO;
	case PW_EINVALID:
		pc_error("not a valid object name '%s' (%s)", c->name, pw_error_last());
		return PC_EXIT_USAGE;
	default:
		return pc_lib_error(err, NULL);
	}
}

/* Report a failure `err` to look up or read the object `id`. */
static int object_error(struct cat *c, int err, const pw_oid *id)
{
	char hex[PW_OID_MAX_HEXSZ + 1];

	pw_oid_tostr(hex, id, c->fmt);
	if (err == PW_ENOTFOUND && pw_repo_is_promised(c->repo, id) == 1) {
		/* a partial clone's: the promisor remote has it; packcat never fetches */
		pc_error("%s: missing (promised by remote %s, not fetched)", c->name,
			pw_repo_promisor_remote(c->repo));
		return PC_EXIT_NO;
	}
	if (err == PW_ENOTFOUND) {
		if (strcmp(hex, c->name))
			pc_error("%s: no such object %s", c->name, hex);
		else
			pc_error("%s: no such object", c->name);
		return PC_EXIT_NO;
	}
	return pc_lib_error(err, NULL);
}

/* Stream the blob `id` to stdout (bounded memory, whatever its size). */
static int stream_blob(struct cat *c, const pw_oid *id)
{
	pw_object_t type;
	uint64_t size;
	int err = pw_repo_stream(&type, &size, c->repo, id, pc_stdout_cb, NULL);

	if (err > 0) /* stdout failed; main reports it */
		return PC_EXIT_IO;
	if (err < 0)
		return object_error(c, err, id);
	return PC_EXIT_OK;
}

/* Write an object's content as it is. */
static int write_raw(const pw_object *obj)
{
	size_t size = pw_object_size(obj);

	if (size && fwrite(pw_object_data(obj), 1, size, stdout) != size)
		return PC_EXIT_IO;
	return PC_EXIT_OK;
}

/* The letter git escapes byte `ch` with in a quoted name, or 0. */
static char c_escape(unsigned char ch)
{
	switch (ch) {
	case '\a': return 'a';
	case '\b': return 'b';
	case '\t': return 't';
	case '\n': return 'n';
	case '\v': return 'v';
	case '\f': return 'f';
	case '\r': return 'r';
	case '"': return '"';
	case '\\': return '\\';
	default: return 0;
	}
}

/*
 * A tree entry's name as git ls-tree prints it (quote_c_style with
 * core.quotePath on, git's default): unchanged, or in double quotes when
 * it has a control character, '"', '\\', DEL or any byte above 0x7f, with
 * C escapes for those and 3-digit octal for the rest.
 */
static void put_name(const unsigned char *s, size_t len)
{
	size_t i;
	int quote = 0;

	for (i = 0; i < len && !quote; i++)
		quote = s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\';
	if (!quote) {
		fwrite(s, 1, len, stdout);
		return;
	}
	putchar('"');
	for (i = 0; i < len; i++) {
		char e = c_escape(s[i]);

		if (e) {
			putchar('\\');
			putchar(e);
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			printf("\\%03o", s[i]);
		} else {
			putchar(s[i]);
		}
	}
	putchar('"');
}

/* git's canon_mode(): what a mode in a tree means, whatever its spelling. */
static unsigned int canon_mode(unsigned int mode)
{
	switch (mode & 0170000) {
	case 0100000:
		return 0100000 | ((mode & 0100) ? 0755 : 0644);
	case 0120000:
		return 0120000;
	case 0040000:
		return 0040000;
	default:
		return 0160000; /* a gitlink: a submodule's commit */
	}
}

/*
 * `git ls-tree` of a tree object: "MODE TYPE OID\tNAME" per entry, in the
 * tree's order, with git's checks and messages for malformed entries
 * (entries before a malformed one are printed, as git does).
 */
static int print_tree(struct cat *c, const pw_object *tree, const pw_oid *id)
{
	const unsigned char *p = pw_object_data(tree), *end = p + pw_object_size(tree);
	size_t rawsz = pw_oid_rawsz(c->fmt);
	char hex[PW_OID_MAX_HEXSZ + 1];
	const char *what = NULL;

	while (p < end) {
		const unsigned char *name, *nul;
		unsigned int mode = 0;
		size_t left = (size_t)(end - p);
		pw_oid entry;

		/* the tail must end like an entry: "...NAME\0" and an id */
		if (left < rawsz + 3 || p[left - (rawsz + 1)] != '\0') {
			what = "too-short tree object";
			break;
		}
		if (*p == ' ') {
			what = "malformed mode in tree entry";
			break;
		}
		/* stops at the NUL checked above at the latest */
		for (; *p != ' '; p++) {
			if (*p < '0' || *p > '7')
				break;
			mode = (mode << 3) + (unsigned int)(*p - '0');
		}
		if (*p != ' ') {
			what = "malformed mode in tree entry";
			break;
		}
		name = ++p;
		nul = memchr(name, '\0', (size_t)(end - name));
		if (nul == name) {
			what = "empty filename in tree entry";
			break;
		}
		if ((size_t)(end - nul - 1) < rawsz) {
			what = "too-short tree file";
			break;
		}
		pw_oid_fromraw(&entry, nul + 1, c->fmt);
		mode = canon_mode(mode);
		printf("%06o %s %s\t", mode,
			mode == 0040000 ? "tree" : mode == 0160000 ? "commit" : "blob",
			pw_oid_tostr(hex, &entry, c->fmt));
		put_name(name, (size_t)(nul - name));
		putchar('\n');
		p = nul + 1 + rawsz;
	}
	if (what) {
		pc_error("tree %s: %s", pw_oid_tostr(hex, id, c->fmt), what);
		return PC_EXIT_DATA;
	}
	return PC_EXIT_OK;
}

/* -p: a tree as ls-tree lists it, a blob streamed, anything else raw. */
static int cat_pretty(struct cat *c)
{
	pw_object_info info;
	pw_object *obj = NULL;
	int err, rc;

	if ((err = pw_repo_info(&info, c->repo, &c->id, 0)) < 0)
		return object_error(c, err, &c->id);
	if (info.type == PW_OBJ_BLOB)
		return stream_blob(c, &c->id);
	if ((err = pw_repo_read(&obj, c->repo, &c->id)) < 0)
		return object_error(c, err, &c->id);
	if (pw_object_type(obj) == PW_OBJ_TREE)
		rc = print_tree(c, obj, &c->id);
	else
		rc = write_raw(obj);
	pw_object_free(obj);
	return rc;
}

/*
 * TYPE: the content of the object of type `want` that OBJECT leads to.
 * As git's read_object_with_reference(): a tag leads to the object on its
 * "object" line, a commit to the tree on its "tree" line.
 */
static int cat_typed(struct cat *c, pw_object_t want)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	size_t hexsz = pw_oid_hexsz(c->fmt);
	pw_object_info info;
	pw_object_t first = PW_OBJ_NONE;
	pw_object *obj = NULL;
	pw_oid id = c->id;
	int err, rc, depth;

	for (depth = 0;; depth++) {
		const char *line;
		size_t len;

		if ((err = pw_repo_info(&info, c->repo, &id, 0)) < 0)
			return object_error(c, err, &id);
		if (depth == 0)
			first = info.type;
		if (info.type == want)
			break;
		if (info.type == PW_OBJ_COMMIT)
			line = "tree ";
		else if (info.type == PW_OBJ_TAG)
			line = "object ";
		else
			goto not_that_type;
		if (depth == PEEL_MAX) {
			pc_error("%s: more than %d tags and commits to follow to a %s",
				c->name, PEEL_MAX, pw_object_type_name(want));
			return PC_EXIT_DATA;
		}
		if ((err = pw_repo_read(&obj, c->repo, &id)) < 0)
			return object_error(c, err, &id);
		len = strlen(line);
		if (pw_object_size(obj) < len + hexsz ||
		    memcmp(pw_object_data(obj), line, len) ||
		    pw_oid_fromhex(&id, (const char *)pw_object_data(obj) + len, c->fmt) < 0) {
			pw_object_free(obj);
			goto not_that_type;
		}
		pw_object_free(obj);
		obj = NULL;
	}

	if (want == PW_OBJ_BLOB)
		return stream_blob(c, &id);
	if ((err = pw_repo_read(&obj, c->repo, &id)) < 0)
		return object_error(c, err, &id);
	rc = write_raw(obj);
	pw_object_free(obj);
	return rc;

not_that_type:
	pc_error("%s: %s %s is not a %s and does not lead to one", c->name,
		pw_object_type_name(first), pw_oid_tostr(hex, &c->id, c->fmt),
		pw_object_type_name(want));
	return PC_EXIT_NO;
}

int cmd_cat(struct pc_env *env, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cat c;
	pw_object_info info;
	pw_object_t want = PW_OBJ_NONE;
	int ch, mode = 0, rc, err;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":tseph", options, NULL)) != -1) {
		switch (ch) {
		case 't':
		case 's':
		case 'e':
		case 'p':
			if (mode && mode != ch)
				return pc_usage_error("cat", "-%c and -%c cannot be combined",
					mode, ch);
			mode = ch;
			break;
		case 'h':
			fputs(cat_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("cat", ch, argv);
		}
	}
	if (!mode) {
		if (argc - optind != 2)
			return pc_usage_error("cat", argc - optind < 2 ?
				"give -t, -s, -e, -p or a TYPE, and an OBJECT" :
				"too many arguments");
		want = pw_object_type_fromstr(argv[optind]);
		if (want < PW_OBJ_COMMIT || want > PW_OBJ_TAG)
			return pc_usage_error("cat", "'%s' is not an object type "
				"(commit, tree, blob or tag)", argv[optind]);
		optind++;
	} else if (argc - optind != 1) {
		return pc_usage_error("cat", argc - optind < 1 ? "no OBJECT given" :
			"too many arguments");
	}

	if ((rc = pc_repo_open(env)))
		return rc;
	c.repo = env->repo;
	c.fmt = pw_repo_oid_type(env->repo);
	c.name = argv[optind];
	if ((rc = resolve(&c, mode == 'e')))
		return rc;

	switch (mode) {
	case 'e':
		err = pw_repo_exists(c.repo, &c.id);
		if (err == PW_ENOTFOUND)
			return PC_EXIT_NO;
		return err < 0 ? pc_lib_error(err, NULL) : PC_EXIT_OK;
	case 't':
	case 's':
		/* a size alone does not walk a delta's chain to its base's type, as git */
		if ((err = pw_repo_info(&info, c.repo, &c.id, mode == 's' ? PW_INFO_NO_TYPE : 0)) < 0)
			return object_error(&c, err, &c.id);
		if (mode == 't')
			printf("%s\n", pw_object_type_name(info.type));
		else
			printf("%" PRIu64 "\n", info.size);
		return PC_EXIT_OK;
	case 'p':
		return cat_pretty(&c);
	default:
		return cat_typed(&c, want);
	}
}
