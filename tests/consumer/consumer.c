/*
 * consumer.c: a program outside packwin's tree, built against it the ways
 * a user would (tests/consumer/run.sh): prints the library's version, then
 * opens the pack given and verifies it.
 */
#include <packwin.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	pw_wm_options wo = PW_WM_OPTIONS_INIT;
	pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer PACK\n");
		return 2;
	}
	printf("packwin %s\n", pw_version());
	wo.memory_limit = 1 << 20;
	wo.fd_limit = 2;
	vo.threads = 1;
	if (pw_wm_new(&wm, &wo) < 0 || pw_pack_open(&pack, wm, argv[1], NULL) < 0 ||
	    pw_pack_verify(pack, &vo) < 0) {
		fprintf(stderr, "consumer: %s\n", pw_error_last());
		goto out;
	}
	printf("%u objects, verified\n", (unsigned)pw_pack_count(pack));
	rc = 0;
out:
	pw_pack_free(pack);
	pw_wm_free(wm);
	return rc;
}
