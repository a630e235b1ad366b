/*
 * fuzz_companion.c: fuzz target for the files beside a pack, the .rev and
 * a cruft pack's .mtimes. Input: one byte (bit 0 set: the rest is the
 * .rev, else the .mtimes) then the file, placed beside a copy of the
 * fixture pack good-crafted (10 objects, SHA-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif

#define STEM "pack-f51516c915cc3675a62d47bbe3c52f05c223ff4a"

static char dir[512];

/* The pack and idx, copied once; the companion files are rewritten per input. */
static void setup(void)
{
	char path[600];

	if (dir[0])
		return;
	fz_path(dir, sizeof(dir), "companion");
	fz_mkdirs(dir);
	snprintf(path, sizeof(path), "%s/" STEM ".pack", dir);
	fz_copy_tree(PW_FIXTURES "/corrupt/good-crafted/" STEM ".pack", path);
	snprintf(path, sizeof(path), "%s/" STEM ".idx", dir);
	fz_copy_tree(PW_FIXTURES "/corrupt/good-crafted/" STEM ".idx", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char rev[600], mtimes[600], pack_path[600];
	pw_wm_options wo;
	pw_pack *p = NULL;
	pw_wm *wm = NULL;
	uint32_t n, pos;
	int is_rev;

	if (size < 1)
		return 0;
	setup();
	is_rev = data[0] & 1;
	snprintf(rev, sizeof(rev), "%s/" STEM ".rev", dir);
	snprintf(mtimes, sizeof(mtimes), "%s/" STEM ".mtimes", dir);
	snprintf(pack_path, sizeof(pack_path), "%s/" STEM ".pack", dir);
	unlink(rev);
	unlink(mtimes);
	fz_write(is_rev ? rev : mtimes, data + 1, size - 1);

	fz_tiny_wm_options(&wo);
	if (pw_wm_new(&wm, &wo) < 0)
		fz_fail("pw_wm_new");
	if (pw_pack_open(&p, wm, pack_path, NULL) < 0)
		fz_fail("cannot open the copy of good-crafted");
	/* whatever the .rev holds, the pack order is right (built from the idx if need be) */
	for (n = 0; n < pw_pack_count(p); n++) {
		uint64_t off, prev = 0;

		if (pw_pack_order_nth(&pos, p, n) < 0 || pw_pack_nth_offset(&off, p, pos) < 0)
			fz_fail("pack order lost to a bad .rev");
		if (n && off <= prev)
			fz_fail("pack order not by offset");
		prev = off;
	}
	pw_pack_verify_rev(p);
	pw_pack_verify_mtimes(p);
	if (pw_pack_verify(p, NULL) < 0)
		fz_fail("the good pack fails to verify beside a bad companion file");
	pw_pack_free(p);
	pw_wm_free(wm);
	pw_error_clear();
	return 0;
}
