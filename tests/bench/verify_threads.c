/* verify_threads.c: pw_pack_verify with and without a progress callback, to see how many threads really work. */
#include <packwin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Usage: verify_threads PACK THREADS progress|quiet
 * Verifies PACK with default budgets and THREADS threads (0: one per CPU),
 * passing a progress callback that does nothing ("progress", as packcat
 * does) or none ("quiet"). Time it with /usr/bin/time: CPU% near 100 with
 * THREADS 2 means one thread did all the work.
 *
 * Build (from the project's root; drop -ldeflate when the build did not
 * find libdeflate):
 *   cc -O2 -I include -I BUILD/include -o verify_threads \
 *      tests/bench/verify_threads.c BUILD/libpackwin.a -lz -lcrypto -ldeflate -lpthread
 */

static void progress(uint64_t done, uint64_t total, void *payload)
{
	(void)done;
	(void)total;
	(void)payload;
}

int main(int argc, char **argv)
{
	pw_wm_options wo = PW_WM_OPTIONS_INIT;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm;
	pw_pack *pack;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PACK THREADS progress|quiet\n", argv[0]);
		return 2;
	}
	vo.threads = (unsigned)strtoul(argv[2], NULL, 10);
	if (!strcmp(argv[3], "progress"))
		vo.progress = progress;
	if (pw_wm_new(&wm, &wo) < 0 || pw_pack_open(&pack, wm, argv[1], NULL) < 0) {
		fprintf(stderr, "%s\n", pw_error_last());
		return 3;
	}
	err = pw_pack_verify(pack, &vo);
	if (err < 0)
		fprintf(stderr, "%s\n", pw_error_last());
	pw_pack_free(pack);
	pw_wm_free(wm);
	return err < 0;
}
