/*
 * test_mru.c: the pack search order moves each hit to the front (git's MRU
 * list) while other threads search it without a lock. Eight packs hold
 * disjoint parts of the objects, so nearly every lookup moves a pack; four
 * threads look up random ids of the list, and every one must be found (a
 * reader that raced a move must look again, never say "not found"). Under
 * TSan (make test-tsan) the moves and the readers are checked for races.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"

#define BASIC PW_FIXTURES "/repos/basic.git"
#define NTHREADS 4
#define LOOKUPS 20000
#define NPACKS 8
#define MAX_IDS 1024

typedef struct shared {
	pw_repo *repo;
	pw_oid ids[MAX_IDS];
	size_t nids;
	atomic_ulong misses, errors, hits;
} shared;

typedef struct worker {
	shared *s;
	uint64_t seed;
} worker;

static void *looker(void *arg)
{
	worker *w = arg;
	shared *s = w->s;
	uint64_t x = w->seed;
	int i;

	for (i = 0; i < LOOKUPS; i++) {
		int rc;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		rc = pw_repo_exists(s->repo, &s->ids[x % s->nids]);
		if (rc == 0)
			atomic_fetch_add(&s->hits, 1);
		else if (rc == PW_ENOTFOUND)
			atomic_fetch_add(&s->misses, 1);
		else
			atomic_fetch_add(&s->errors, 1);
	}
	return NULL;
}

static void test_mru_readers(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo_stats st;
	uint64_t rescans;
	pthread_t tids[NTHREADS];
	worker ws[NTHREADS];
	shared *s = calloc(1, sizeof(*s));
	char line[256];
	FILE *f;
	size_t i;

	(void)state;
	assert_non_null(s);
	/* the fixture's objects split round-robin into NPACKS packs, nothing loose */
	sh("git clone -q --bare --no-local " BASIC " r.git");
	sh("cd r.git && git cat-file --batch-all-objects --batch-check='%%(objectname)' > ../ids");
	for (i = 0; i < NPACKS; i++)
		sh("cd r.git && awk 'NR %% %d == %zu' ../ids | git pack-objects -q objects/pack/part "
		   "> /dev/null", NPACKS, i);
	sh("cd r.git && for p in objects/pack/pack-*.pack; do rm -f \"$p\" \"${p%%.pack}.idx\" "
	   "\"${p%%.pack}.rev\" \"${p%%.pack}.bitmap\"; done && ls objects/pack/part-*.pack | wc -l "
	   "| grep -qx %d", NPACKS);

	assert_non_null(f = fopen(tmp("ids"), "r"));
	while (fgets(line, sizeof(line), f) && s->nids < MAX_IDS) {
		line[strcspn(line, "\n")] = '\0';
		assert_int_equal(pw_oid_fromhex(&s->ids[s->nids++], line, PW_OID_SHA1), 0);
	}
	fclose(f);
	assert_true(s->nids > 100);

	o.no_discover = 1;
	if (pw_repo_open(&s->repo, tmp("r.git"), &o) < 0)
		fail_msg("pw_repo_open: %s", pw_error_last());
	assert_int_equal(pw_repo_pack_count(s->repo), NPACKS);
	pw_repo_get_stats(&st, s->repo);
	rescans = st.rescans; /* the open's own */

	for (i = 0; i < NTHREADS; i++) {
		ws[i].s = s;
		ws[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		assert_int_equal(pthread_create(&tids[i], NULL, looker, &ws[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(tids[i], NULL);
	print_message("%lu lookups over %d packs: %lu misses, %lu errors\n",
		(unsigned long)atomic_load(&s->hits), NPACKS, (unsigned long)atomic_load(&s->misses),
		(unsigned long)atomic_load(&s->errors));
	assert_int_equal(atomic_load(&s->misses), 0);
	assert_int_equal(atomic_load(&s->errors), 0);
	assert_int_equal(atomic_load(&s->hits), (unsigned long)NTHREADS * LOOKUPS);
	/* a lookup that missed a pack it raced would have looked at the directory again */
	pw_repo_get_stats(&st, s->repo);
	assert_int_equal(st.rescans, rescans);
	pw_repo_free(s->repo);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mru_readers, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
