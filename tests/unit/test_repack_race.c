/*
 * test_repack_race.c: reading through one pw_repo while git repacks the
 * repository underneath (issue 3 item 2). Reader threads read, look up and
 * iterate a fixed list of ids in a loop under tiny descriptor and memory
 * budgets (so that pack files are re-opened all the time), while the main
 * thread runs `git repack -ad` (which also replaces a same-named pack by a
 * new file), commits, `git repack -d` and loose objects being packed and
 * pruned. No read may fail: a miss or a changed file must lead to a rescan
 * that finds the object where git moved it.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"

#define BASIC PW_FIXTURES "/repos/basic.git"
/* How long git keeps changing the repository (seconds); the whole test stays well under 30 s. */
#define RACE_SECONDS 8.0
#define MAX_IDS 1024
#define MAX_FAILURES 8

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { READ, EXISTS, INFO, SWEEP, NKINDS };
static const char *const kind_names[NKINDS] = {
        "pw_repo_read", "pw_repo_exists", "pw_repo_info", "pw_repo_foreach_read"};

typedef struct failure {
	int code;
	char id[PW_OID_MAX_HEXSZ + 1];
	char msg[512];
	int kind;
} failure;

typedef struct race {
	pw_repo *repo;
	pw_oid ids[MAX_IDS];
	char hex[MAX_IDS][PW_OID_MAX_HEXSZ + 1];
	size_t nids;
	atomic_int stop;
	pthread_mutex_t lock;
	failure failures[MAX_FAILURES];
	size_t nfailures, by_kind[NKINDS];
	atomic_ulong reads, infos, sweeps;
} race;

/* Keep the first two failures of each kind; `why`, or else the library's last error. */
static void record_why(race *r, int kind, size_t i, int code, const char *why)
{
	pthread_mutex_lock(&r->lock);
	if (r->by_kind[kind]++ < 2 && r->nfailures < MAX_FAILURES) {
		failure *f = &r->failures[r->nfailures++];
		f->code = code;
		f->kind = kind;
		snprintf(f->id, sizeof(f->id), "%s", i < r->nids ? r->hex[i] : "-");
		snprintf(f->msg, sizeof(f->msg), "%s", why ? why : pw_error_last());
	}
	pthread_mutex_unlock(&r->lock);
}

static void record(race *r, int kind, size_t i, int code)
{
	record_why(r, kind, i, code, NULL);
}

/* Read every listed object, over and over. */
static void *reader(void *arg)
{
	race *r = arg;

	while (!atomic_load(&r->stop)) {
		for (size_t i = 0; i < r->nids && !atomic_load(&r->stop); i++) {
			pw_object *obj = NULL;
			int rc = pw_repo_read(&obj, r->repo, &r->ids[i]);
			if (rc < 0)
				record(r, READ, i, rc);
			pw_object_free(obj);
			atomic_fetch_add(&r->reads, 1);
		}
	}
	return NULL;
}

/* Look every listed object up (exists, info with its delta base), over and over, backwards. */
static void *looker(void *arg)
{
	race *r = arg;

	while (!atomic_load(&r->stop)) {
		for (size_t k = r->nids; k-- > 0 && !atomic_load(&r->stop);) {
			pw_object_info info;
			int rc = pw_repo_exists(r->repo, &r->ids[k]);
			if (rc < 0)
				record(r, EXISTS, k, rc);
			rc = pw_repo_info(&info, r->repo, &r->ids[k], 1);
			if (rc < 0)
				record(r, INFO, k, rc);
			atomic_fetch_add(&r->infos, 1);
		}
	}
	return NULL;
}

typedef struct sweep_state {
	race *r;
	size_t n;
} sweep_state;

static int sweep_cb(const pw_repo_entry *entry, const pw_object *obj, void *payload)
{
	sweep_state *s = payload;
	(void)entry;
	(void)obj;
	s->n++;
	return atomic_load(&s->r->stop) ? 1 : 0;
}

/* Iterate and read the whole repository (as it is at each start), on two workers. */
static void *sweeper(void *arg)
{
	race *r = arg;

	while (!atomic_load(&r->stop)) {
		sweep_state s = {r, 0};
		int rc = pw_repo_foreach_read(r->repo, PW_FOREACH_UNORDERED, 2, sweep_cb, &s);
		if (rc < 0) {
			record(r, SWEEP, SIZE_MAX, rc);
		} else if (rc == 0 && s.n < r->nids) {
			/* objects are only ever added: a whole sweep gives at least those listed first */
			char why[96];
			snprintf(why, sizeof(why), "a sweep gave %zu objects of at least %zu", s.n, r->nids);
			record_why(r, SWEEP, SIZE_MAX, PW_ENOTFOUND, why);
		} else if (rc == 0) {
			atomic_fetch_add(&r->sweeps, 1);
		}
	}
	return NULL;
}

/* The ids of every object, as git lists them now. */
static void list_ids(race *r)
{
	char cmd[1024], line[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	        "git --git-dir='%s/wt/.git' cat-file --batch-all-objects "
	        "--batch-check='%%(objectname)'",
	        tmpdir);
	assert_non_null(f = popen(cmd, "r"));
	r->nids = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		assert_true(r->nids < MAX_IDS);
		assert_true(strlen(line) < sizeof(r->hex[0]));
		memcpy(r->hex[r->nids], line, strlen(line) + 1);
		assert_int_equal(pw_oid_fromhex(&r->ids[r->nids], line, PW_OID_SHA1), 0);
		r->nids++;
	}
	assert_int_equal(pclose(f), 0);
}

/* The race for RACE_SECONDS / 2 with `fd_limit` descriptors (2: all closed and re-opened; 16: a lone pack is walked in place). */
static void run_race(unsigned fd_limit)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pthread_t tids[3];
	void *(*fns[3])(void *) = {reader, looker, sweeper};
	size_t fds_before, i;
	double start;
	unsigned rounds = 0;
	race *r = calloc(1, sizeof(*r));
	char path[1024];

	assert_non_null(r);
	pthread_mutex_init(&r->lock, NULL);
	/* a work tree with one pack, a few loose objects (blobs and a commit) to be packed away */
	sh("git clone -q --no-local " BASIC " wt");
	sh("cd wt && for i in 1 2 3; do echo loose $i >f$i.txt; done && git add f1.txt f2.txt "
	   "f3.txt"
	   " && git commit -q -m 'three loose blobs'");
	list_ids(r);
	assert_true(r->nids > 156);

	/* descriptors and memory so scarce that every pack file is closed and re-opened constantly
	 */
	o.no_discover = 1;
	o.wm_options.fd_limit = fd_limit;
	o.wm_options.window_size = 8192;
	o.wm_options.memory_limit = 32768;
	o.delta_cache_size = 4096;
	snprintf(path, sizeof(path), "%s/wt/.git", tmpdir);
	fds_before = proc_fd_entries();
	if (pw_repo_open(&r->repo, path, &o) < 0)
		fail_msg("pw_repo_open: %s", pw_error_last());

	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&tids[i], NULL, fns[i], r), 0);
	start = now();
	while (now() - start < RACE_SECONDS / 2) {
		/* everything into one new pack (the old ones deleted), loose objects pruned */
		sh("cd wt && git repack -adq");
		/* the same objects again: a pack of the same name replaces the file */
		sh("cd wt && git repack -adq");
		/* new loose objects, then a second pack made of them (no -a), loose ones pruned */
		sh("cd wt && git commit -q --allow-empty -m 'empty %u'", rounds);
		sh("cd wt && echo round %u >>f1.txt && git commit -q -am 'edit %u'", rounds,
		        rounds);
		sh("cd wt && git repack -dq");
		rounds++;
	}
	atomic_store(&r->stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(tids[i], NULL);

	print_message("%u rounds of repacks; %lu reads, %lu lookups, %lu full sweeps\n", rounds,
	        (unsigned long)atomic_load(&r->reads), (unsigned long)atomic_load(&r->infos),
	        (unsigned long)atomic_load(&r->sweeps));
	for (i = 0; i < NKINDS; i++)
		if (r->by_kind[i])
			print_message("  %zu failures of %s\n", r->by_kind[i], kind_names[i]);
	for (i = 0; i < r->nfailures; i++)
		print_message("  %s %s: %s: %s\n", kind_names[r->failures[i].kind],
		        r->failures[i].id, pw_error_name(r->failures[i].code), r->failures[i].msg);
	assert_int_equal(r->nfailures, 0);
	assert_true(rounds >= 3);
	assert_true(atomic_load(&r->reads) >= r->nids);

	/* every object of the list is still there, and git's newest objects too */
	for (i = 0; i < r->nids; i++) {
		pw_object *obj = NULL;
		if (pw_repo_read(&obj, r->repo, &r->ids[i]) < 0)
			fail_msg("after the race, %s: %s", r->hex[i], pw_error_last());
		pw_object_free(obj);
	}
	list_ids(r);
	for (i = 0; i < r->nids; i++)
		if (pw_repo_exists(r->repo, &r->ids[i]) < 0)
			fail_msg("after the race, new object %s: %s", r->hex[i], pw_error_last());
	pw_repo_free(r->repo);
	assert_int_equal(proc_fd_entries(), fds_before);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void test_repack_race(void **state)
{
	(void)state;
	run_race(2);
}

/* Enough descriptors that --all over one pack walks its idx in place (the walk holds the pack). */
static void test_repack_race_lone(void **state)
{
	(void)state;
	run_race(16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_repack_race, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_repack_race_lone, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
