/* pw_refloop.c: a reader that resolves and lists every ref again and again while a writer churns the ref store (reftable-churn.sh). */

/*
 * Usage: pw_refloop REPO EXPECTED STOPFILE
 *   EXPECTED: "HEX NAME" lines (git show-ref --head of the original).
 * Until STOPFILE exists (and once more after), each round resolves every
 * NAME (pw_repo_ref) and lists the refs (pw_repo_foreach_ref), and each
 * must give exactly EXPECTED. Rounds alternate between one long-lived
 * repository (as pack-serve keeps it) and a freshly opened one. Prints
 * "rounds N"; exits 0, 1 on the first miss (saying what), 2 on bad
 * usage, 3 when running 120 s without STOPFILE appearing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "packwin.h"

#define MAX_REFS 4096
#define MAX_SECONDS 120

static struct ref {
	char name[512];
	pw_oid id;
} refs[MAX_REFS];
static size_t nrefs, nlisted_want;
static pw_oid_t oid_type = PW_OID_SHA1;

struct seen {
	size_t n;
	int bad;
};

static int on_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	struct seen *s = payload;
	size_t i;

	(void)peeled;
	for (i = 0; i < nrefs; i++)
		if (!strcmp(refs[i].name, name)) {
			if (memcmp(&refs[i].id, id, sizeof(*id))) {
				fprintf(stderr, "pw_refloop: listing: %s has another id\n", name);
				s->bad = 1;
			}
			s->n++;
			return 0;
		}
	fprintf(stderr, "pw_refloop: listing: unexpected ref %s\n", name);
	s->bad = 1;
	return 0;
}

static int round_once(pw_repo *repo)
{
	struct seen s = { 0, 0 };
	size_t i;
	pw_oid id;
	int rc;

	for (i = 0; i < nrefs; i++) {
		if ((rc = pw_repo_ref(&id, repo, refs[i].name)) < 0) {
			fprintf(stderr, "pw_refloop: %s: %s\n", refs[i].name, pw_error_last());
			return -1;
		}
		if (memcmp(&id, &refs[i].id, sizeof(id))) {
			fprintf(stderr, "pw_refloop: %s resolves to another id\n", refs[i].name);
			return -1;
		}
	}
	if ((rc = pw_repo_foreach_ref(repo, on_ref, &s)) < 0) {
		fprintf(stderr, "pw_refloop: listing: %s\n", pw_error_last());
		return -1;
	}
	if (s.bad || s.n != nlisted_want) {
		fprintf(stderr, "pw_refloop: listing gave %zu of %zu refs\n", s.n, nlisted_want);
		return -1;
	}
	return 0;
}

static pw_repo *open_repo(const char *path)
{
	pw_repo_options opts = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;

	opts.no_discover = 1;
	if (pw_repo_open(&repo, path, &opts) < 0) {
		fprintf(stderr, "pw_refloop: %s: %s\n", path, pw_error_last());
		return NULL;
	}
	return repo;
}

int main(int argc, char **argv)
{
	char line[1024], hex[PW_OID_MAX_HEXSZ + 1];
	unsigned long rounds = 0;
	pw_repo *kept, *repo;
	time_t start = time(NULL);
	int last = 0;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: pw_refloop REPO EXPECTED STOPFILE\n");
		return 2;
	}
	if (!(f = fopen(argv[2], "r"))) {
		perror(argv[2]);
		return 2;
	}
	while (fgets(line, sizeof(line), f) && nrefs < MAX_REFS) {
		char *sp = strchr(line, ' ');
		size_t len;

		if (!sp || sscanf(line, "%64s", hex) != 1)
			continue;
		oid_type = strlen(hex) == 64 ? PW_OID_SHA256 : PW_OID_SHA1;
		len = strcspn(sp + 1, "\n");
		if (len >= sizeof(refs[0].name) || pw_oid_fromhex(&refs[nrefs].id, hex, oid_type) < 0)
			continue;
		memcpy(refs[nrefs].name, sp + 1, len);
		refs[nrefs].name[len] = '\0';
		nlisted_want += !strncmp(refs[nrefs].name, "refs/", 5);
		nrefs++;
	}
	fclose(f);
	if (!(kept = open_repo(argv[1])))
		return 3;
	for (;;) {
		last = access(argv[3], F_OK) == 0;
		repo = rounds % 2 ? open_repo(argv[1]) : kept;
		if (!repo || round_once(repo) < 0) {
			fprintf(stderr, "pw_refloop: missed in round %lu\n", rounds);
			return 1;
		}
		if (repo != kept)
			pw_repo_free(repo);
		rounds++;
		if (last)
			break;
		if (time(NULL) - start > MAX_SECONDS) {
			fprintf(stderr, "pw_refloop: %s never appeared\n", argv[3]);
			return 3;
		}
	}
	pw_repo_free(kept);
	printf("rounds %lu\n", rounds);
	return 0;
}
