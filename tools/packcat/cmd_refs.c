/* cmd_refs.c: `packcat refs`: the repository's refs, as `git show-ref`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "output.h"

#include "util/banned.h"

static const char refs_usage[] =
	"usage: packcat [GLOBAL OPTIONS] refs [--head] [-d|--dereference] [--heads] [--tags]\n"
	"                                     [--json] [--] [PATTERN...]\n"
	"\n"
	"List the repository's refs, sorted by name, one 'ID NAME' line each, as\n"
	"git show-ref prints them. A PATTERN matches a ref whose name ends with\n"
	"it after a '/' (or is it): 'main' matches refs/heads/main, not\n"
	"refs/heads/domain. Refs that git leaves out (invalid names, contents\n"
	"that are no id, missing objects, symbolic-ref loops) are left out with\n"
	"a warning on stderr. Exit status 1 when no ref is listed.\n"
	"\n"
	"Options:\n"
	"      --head          list HEAD first (whatever the patterns and filters)\n"
	"  -d, --dereference   after an annotated tag, its peeled id as 'ID NAME^{}'\n"
	"      --heads         only refs under refs/heads/\n"
	"      --tags          only refs under refs/tags/ (with --heads: both)\n"
	"      --json          a JSON array of {\"name\", \"id\"[, \"peeled\"]} objects\n"
	"                      instead (\"peeled\" for every annotated tag)\n"
	"  -h, --help          show this help\n";

enum { OPT_HEAD = PC_OPT_LONG, OPT_HEADS, OPT_TAGS, OPT_JSON };

struct refs {
	struct pc_out out;
	size_t rawsz;
	int deref, heads, tags, json;
	char **patterns;
	int npatterns;
	size_t listed;
};

/* git show-ref's pattern rule: the name ends with the pattern, at a '/' or whole. */
static int matches(const struct refs *r, const char *name)
{
	size_t nlen = strlen(name);
	int i;

	if (r->heads || r->tags) {
		if (!(r->heads && !strncmp(name, "refs/heads/", 11)) &&
		    !(r->tags && !strncmp(name, "refs/tags/", 10)))
			return 0;
	}
	if (!r->npatterns)
		return 1;
	for (i = 0; i < r->npatterns; i++) {
		size_t plen = strlen(r->patterns[i]);

		if (plen > nlen || memcmp(r->patterns[i], name + nlen - plen, plen))
			continue;
		if (plen == nlen || name[nlen - plen - 1] == '/')
			return 1;
	}
	return 0;
}

static void json_str(struct pc_out *o, const char *s)
{
	static const char hexd[] = "0123456789abcdef";

	pc_out_char(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			pc_out_char(o, '\\');
			pc_out_char(o, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };
			pc_out_put(o, esc, sizeof(esc));
		} else {
			pc_out_char(o, (char)c);
		}
	}
	pc_out_char(o, '"');
}

static void put_ref(struct refs *r, const char *name, const pw_oid *id, const pw_oid *peeled)
{
	struct pc_out *o = &r->out;

	if (r->json) {
		const char *open = r->listed ? ",\n  {\"name\": " : "[\n  {\"name\": ";

		pc_out_put(o, open, strlen(open));
		json_str(o, name);
		pc_out_put(o, ", \"id\": \"", 9);
		pc_out_hex(o, id, r->rawsz);
		pc_out_char(o, '"');
		if (peeled) {
			pc_out_put(o, ", \"peeled\": \"", 13);
			pc_out_hex(o, peeled, r->rawsz);
			pc_out_char(o, '"');
		}
		pc_out_char(o, '}');
	} else {
		pc_out_hex(o, id, r->rawsz);
		pc_out_char(o, ' ');
		pc_out_put(o, name, strlen(name));
		pc_out_char(o, '\n');
		if (peeled && r->deref) {
			pc_out_hex(o, peeled, r->rawsz);
			pc_out_char(o, ' ');
			pc_out_put(o, name, strlen(name));
			pc_out_put(o, "^{}\n", 4);
		}
	}
	r->listed++;
}

static int on_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	struct refs *r = payload;

	if (matches(r, name))
		put_ref(r, name, id, peeled);
	return r->out.error ? 1 : 0;
}

static void on_broken(const char *name, pw_ref_broken why, const char *detail, void *payload)
{
	(void)payload;
	if (why == PW_REF_BAD_NAME)
		pc_error("warning: ignoring ref with broken name %s", name);
	else if (why == PW_REF_MISSING_OBJECT)
		pc_error("warning: ignoring %s: it does not point to a valid object", name);
	else
		pc_error("warning: ignoring broken ref %s (%s)", name, detail);
}

/* HEAD, as git show-ref --head shows it: when it resolves, peeled if a tag. */
static int put_head(struct refs *r, pw_repo *repo)
{
	pw_object_info info;
	pw_oid id, peeled;
	int err;

	if ((err = pw_repo_ref(&id, repo, "HEAD")) == PW_ENOTFOUND)
		return 0; /* unborn: not listed */
	if (err == PW_ECORRUPT) {
		pc_error("warning: ignoring broken ref HEAD (%s)", pw_error_last());
		return 0;
	}
	if (err < 0)
		return pc_lib_error(err, NULL);
	if ((err = pw_repo_info(&info, repo, &id, 0)) == PW_ENOTFOUND) {
		pc_error("warning: ignoring HEAD: it does not point to a valid object");
		return 0;
	}
	if (err < 0)
		return pc_lib_error(err, NULL);
	if (info.type == PW_OBJ_TAG) {
		char hex[PW_OID_MAX_HEXSZ + 1], name[PW_OID_MAX_HEXSZ + 8];

		snprintf(name, sizeof(name), "%s^{}", pw_oid_tostr(hex, &id, pw_repo_oid_type(repo)));
		if ((err = pw_repo_resolve(&peeled, repo, name)) == 0)
			put_ref(r, "HEAD", &id, &peeled);
		else if (err == PW_ENOTFOUND)
			put_ref(r, "HEAD", &id, NULL); /* git: no ^{} line for a tag it cannot peel */
		else
			return pc_lib_error(err, NULL);
	} else {
		put_ref(r, "HEAD", &id, NULL);
	}
	return 0;
}

int cmd_refs(struct pc_env *env, int argc, char **argv)
{
	static const struct option options[] = {
		{ "head", no_argument, NULL, OPT_HEAD },
		{ "dereference", no_argument, NULL, 'd' },
		{ "heads", no_argument, NULL, OPT_HEADS },
		{ "tags", no_argument, NULL, OPT_TAGS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct refs r;
	int c, rc, head = 0, err;

	memset(&r, 0, sizeof(r));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":dh", options, NULL)) != -1) {
		switch (c) {
		case OPT_HEAD:
			head = 1;
			break;
		case 'd':
			r.deref = 1;
			break;
		case OPT_HEADS:
			r.heads = 1;
			break;
		case OPT_TAGS:
			r.tags = 1;
			break;
		case OPT_JSON:
			r.json = 1;
			break;
		case 'h':
			fputs(refs_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("refs", c, argv);
		}
	}
	r.patterns = argv + optind;
	r.npatterns = argc - optind;

	if ((rc = pc_repo_open(env)))
		return rc;
	if (pc_out_init(&r.out, 1 << 16) < 0) {
		pc_error("out of memory");
		return PC_EXIT_LIMIT;
	}
	r.rawsz = pw_oid_rawsz(pw_repo_oid_type(env->repo));
	if (head)
		rc = put_head(&r, env->repo);
	if (!rc && (err = pw_repo_foreach_ref_warn(env->repo, on_ref, on_broken, &r)) < 0)
		rc = pc_lib_error(err, NULL);
	if (r.json)
		pc_out_put(&r.out, r.listed ? "\n]\n" : "[]\n", 3);
	pc_out_flush(&r.out);
	if (r.out.error) {
		pc_error("cannot write to standard output: %s", strerror(r.out.error));
		if (rc == PC_EXIT_OK)
			rc = PC_EXIT_IO;
	}
	pc_out_free(&r.out);
	if (!rc && !r.listed)
		rc = PC_EXIT_NO;
	return rc;
}
