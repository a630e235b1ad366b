/* closure.c: the bundle's closure proof alone (pw__repo_closure over a repository's packs), timed over fresh opens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "odb/walk.h" /* internal: pw__repo_closure */

/*
 * Usage: closure REPO TIPS ROUNDS
 * TIPS is a file of hex ids, one a line (`git for-each-ref
 * --format='%(objectname)'`). Each round opens REPO afresh (nothing
 * cached), proves the closure of every tip over all of its packs, and
 * prints the seconds, the tips proved and the objects read; the median
 * goes last. This is the part of pack-serve's first byte of a bundle that
 * is not the trailer (tests/bench/serve-bundle.sh times the whole).
 *
 * Build (from the project's root, after a RelWithDebInfo build in BUILD;
 * drop -ldeflate when the build did not find libdeflate):
 *   cc -O2 -I include -I lib -I BUILD/include -o closure tests/bench/closure.c \
 *      BUILD/libpackwin_internal.a -lz -lcrypto -ldeflate -lpthread
 */

#define MAX_ROUNDS 99
#define MAX_PACKS 4096

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	static pw_pack *packs[MAX_PACKS];
	double secs[MAX_ROUNDS];
	pw_oid *tips = NULL;
	size_t ntips = 0, cap = 0;
	unsigned char *ok;
	char line[256];
	int rounds, r;
	FILE *f;

	if (argc != 4 || (rounds = atoi(argv[3])) < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: closure REPO TIPS ROUNDS (1-%d)\n", MAX_ROUNDS);
		return 2;
	}
	if (!(f = fopen(argv[2], "r"))) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (ntips == cap) {
			cap = cap ? 2 * cap : 1024;
			if (!(tips = realloc(tips, cap * sizeof(*tips)))) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
		}
		if (pw_oid_fromhex(&tips[ntips], line, strlen(line) == 64 ? PW_OID_SHA256 : PW_OID_SHA1) < 0) {
			fprintf(stderr, "%s: not an id: %s\n", argv[2], line);
			return 1;
		}
		ntips++;
	}
	fclose(f);
	if (!ntips || !(ok = malloc(ntips))) {
		fprintf(stderr, "%s: no tips\n", argv[2]);
		return 1;
	}

	o.no_discover = 1;
	for (r = 0; r < rounds; r++) {
		pw__closure_stats st;
		pw_repo *repo;
		size_t np, i, good = 0;
		double t;

		memset(&st, 0, sizeof(st));
		if (pw_repo_open(&repo, argv[1], &o) < 0) {
			fprintf(stderr, "%s: %s\n", argv[1], pw_error_last());
			return 1;
		}
		if ((np = pw_repo_pack_count(repo)) > MAX_PACKS) {
			fprintf(stderr, "%s: more than %d packs\n", argv[1], MAX_PACKS);
			return 1;
		}
		for (i = 0; i < np; i++)
			packs[i] = pw_repo_pack(repo, i);
		t = now();
		if (pw__repo_closure(ok, repo, packs, np, tips, ntips, &st) < 0) {
			fprintf(stderr, "closure: %s\n", pw_error_last());
			return 1;
		}
		secs[r] = now() - t;
		for (i = 0; i < ntips; i++)
			good += ok[i];
		printf("round %d: %.3f s, %zu of %zu tips proved, %zu objects read, %zu by bitmap\n",
		        r + 1, secs[r], good, ntips, st.objects_read, st.bitmap_hits);
		pw_repo_free(repo);
	}
	qsort(secs, (size_t)rounds, sizeof(secs[0]), cmp_double);
	printf("median: %.3f s\n", secs[rounds / 2]);
	free(ok);
	free(tips);
	return 0;
}
