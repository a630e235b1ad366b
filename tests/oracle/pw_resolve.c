/* pw_resolve.c: packwin's answers for names and refs, in a shape names.sh compares with git's. */

/*
 * Usage:
 *   pw_resolve REPO [NAME...]   resolve each NAME (read from stdin, one per
 *                               line, when none are given) and print
 *                               "NAME<TAB>HEX", "NAME<TAB>ambiguous" or
 *                               "NAME<TAB>error"; errors also go to stderr
 *                               with their code and message
 *   pw_resolve --refs REPO      every ref as `git show-ref -d` prints them:
 *                               "HEX NAME", then "PEELED NAME^{}" for tags
 *   pw_resolve --head REPO      HEAD's target ref, or "detached"
 * Exits 0 (whatever the names resolve to), 2 on bad usage, 3 when the
 * repository cannot be opened or a ref listing fails.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packwin.h"

static pw_oid_t oid_type;

static int print_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	char hex[PW_OID_MAX_HEXSZ + 1];

	(void)payload;
	printf("%s %s\n", pw_oid_tostr(hex, id, oid_type), name);
	if (peeled)
		printf("%s %s^{}\n", pw_oid_tostr(hex, peeled, oid_type), name);
	return 0;
}

static void resolve(pw_repo *repo, const char *name)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_oid id;
	int rc = pw_repo_resolve(&id, repo, name);

	if (rc == 0) {
		printf("%s\t%s\n", name, pw_oid_tostr(hex, &id, oid_type));
		return;
	}
	printf("%s\t%s\n", name, rc == PW_EAMBIGUOUS ? "ambiguous" : "error");
	fprintf(stderr, "pw_resolve: '%s': %s: %s\n", name, pw_error_name(rc), pw_error_last());
}

int main(int argc, char **argv)
{
	pw_repo_options opts = PW_REPO_OPTIONS_INIT;
	const char *mode = NULL;
	pw_repo *repo = NULL;
	int i = 1, rc = 0;

	if (argc > 1 && (!strcmp(argv[1], "--refs") || !strcmp(argv[1], "--head")))
		mode = argv[i++];
	if (i >= argc) {
		fprintf(stderr, "usage: pw_resolve [--refs|--head] REPO [NAME...]\n");
		return 2;
	}
	opts.no_discover = 1;
	if ((rc = pw_repo_open(&repo, argv[i], &opts)) < 0) {
		fprintf(stderr, "pw_resolve: %s: %s\n", argv[i], pw_error_last());
		return 3;
	}
	oid_type = pw_repo_oid_type(repo);
	i++;

	if (mode && !strcmp(mode, "--refs")) {
		if ((rc = pw_repo_foreach_ref(repo, print_ref, NULL)) < 0)
			fprintf(stderr, "pw_resolve: refs: %s\n", pw_error_last());
	} else if (mode) {
		char *target = NULL;
		if ((rc = pw_repo_head_target(&target, repo)) < 0)
			fprintf(stderr, "pw_resolve: HEAD: %s\n", pw_error_last());
		else
			printf("%s\n", target ? target : "detached");
		pw_string_free(target);
	} else if (i < argc) {
		for (; i < argc; i++)
			resolve(repo, argv[i]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) >= 0) {
			if (n > 0 && line[n - 1] == '\n')
				line[n - 1] = '\0';
			resolve(repo, line);
		}
		free(line);
	}
	pw_repo_free(repo);
	fflush(stdout);
	return rc < 0 ? 3 : 0;
}
