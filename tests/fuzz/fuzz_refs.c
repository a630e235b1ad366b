/*
 * fuzz_refs.c: fuzz target for packed-refs parsing, loose ref files,
 * ref-name validation and pw_repo_resolve's name syntax, against a copy of
 * fixtures/repos/basic.git.
 *
 * Input: NAME [NUL PACKED-REFS [NUL LOOSE-REF]]. NAME is resolved; the
 * second part, when there, replaces packed-refs (else the fixture's is
 * put back); the third becomes the file refs/heads/fuzz (else it is
 * removed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "odb/refs.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif

static pw_repo *repo;
static char packed_path[600], loose_path[600];
static char *fixture_packed;
static size_t fixture_packed_len;

static void open_repo(void)
{
	pw_repo_options ro = PW_REPO_OPTIONS_INIT;
	char gitdir[512];

	fz_path(gitdir, sizeof(gitdir), "refs.git");
	fz_copy_tree(PW_FIXTURES "/repos/basic.git", gitdir);
	snprintf(packed_path, sizeof(packed_path), "%s/packed-refs", gitdir);
	snprintf(loose_path, sizeof(loose_path), "%s/refs/heads/fuzz", gitdir);
	if (pw__read_small_file(&fixture_packed, &fixture_packed_len, packed_path, 1 << 20) < 0)
		fz_fail("cannot read the fixture's packed-refs");
	fz_tiny_wm_options(&ro.wm_options);
	ro.max_object_size = 1 << 20;
	ro.delta_cache_size = 256 << 10;
	ro.no_discover = 1;
	if (pw_repo_open(&repo, gitdir, &ro) < 0)
		fz_fail("cannot open the copy of basic.git");
}

static int ref_cb(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	(void)id;
	(void)peeled;
	(void)payload;
	if (!name || strncmp(name, "refs/", 5) || !pw__refname_is_valid(name, 0))
		fz_fail("pw_repo_foreach_ref listed an invalid ref name");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *packed = NULL, *loose = NULL, *nul;
	size_t name_len, packed_len = 0, loose_len = 0;
	const pw_packed_ref *pe;
	char *name, *target = NULL;
	pw_refdb db;
	pw_oid id;
	int valid;

	if (!repo)
		open_repo();
	name_len = size;
	if ((nul = memchr(data, '\0', size)) != NULL) {
		name_len = (size_t)(nul - data);
		packed = nul + 1;
		packed_len = size - name_len - 1;
		if ((nul = memchr(packed, '\0', packed_len)) != NULL) {
			loose = nul + 1;
			loose_len = packed_len - (size_t)(nul - packed) - 1;
			packed_len = (size_t)(nul - packed);
		}
	}
	if (!(name = malloc(name_len + 1)))
		return 0;
	memcpy(name, data, name_len);
	name[name_len] = '\0';
	if (packed)
		fz_write(packed_path, packed, packed_len);
	else
		fz_write(packed_path, fixture_packed, fixture_packed_len);
	if (loose)
		fz_write(loose_path, loose, loose_len);
	else
		unlink(loose_path);

	valid = pw__refname_is_valid(name, 1);
	if (pw__refname_is_valid(name, 0) && !valid)
		fz_fail("a valid multi-level ref name is invalid when one level is allowed");
	pw_repo_resolve(&id, repo, name);
	pw_repo_ref(&id, repo, name);
	pw_repo_head_target(&target, repo);
	pw_string_free(target);
	pw_repo_foreach_ref(repo, ref_cb, NULL);

	pw__refdb_init(&db, repo);
	if (pw__refdb_load_packed(&db) == 0) {
		if (valid)
			pw__refdb_packed_find(&pe, &db, name);
		pw__refdb_packed_find(&pe, &db, "refs/heads/main");
		pw__refdb_parse_packed(&db);
	}
	pw__refdb_dispose(&db);

	free(name);
	pw_error_clear();
	return 0;
}
