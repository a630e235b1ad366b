/* repofmt.c: repository-format gating — core.repositoryformatversion and the extensions.* a reader must understand (git's rule). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "odb/internal.h"
#include "util/error.h"
#include "util/banned.h"

/*
 * What packwin knows of each extension git defines (docs/odb.md). `v0`:
 * honoured in a version-0 repository too (git's historical ones); the
 * others are "v1-only": git refuses them in a version-0 repository. None
 * asks a reader for anything it does not do, once the value is one it
 * knows: objectformat is read by repo.c, the rest change how git writes,
 * prunes, lays out work trees or finds submodules, not how objects and refs
 * are read.
 */
enum value_kind { ANY, BOOL, STRING, HASH, REFSTORAGE };

static const struct extension {
	const char *name;   /* after "extensions.", lower-cased as keys are */
	int v0;
	enum value_kind kind;
} extensions[] = {
	{ "noop", 1, ANY },
	{ "preciousobjects", 1, BOOL },
	{ "partialclone", 1, STRING },
	{ "worktreeconfig", 1, BOOL },
	{ "noop-v1", 0, ANY },
	{ "objectformat", 0, HASH },
	{ "compatobjectformat", 0, HASH },
	{ "refstorage", 0, REFSTORAGE },
	{ "relativeworktrees", 0, BOOL },
	{ "submodulepathconfig", 0, BOOL },
};

static const struct extension *known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(extensions) / sizeof(*extensions); i++)
		if (!strcmp(extensions[i].name, name))
			return &extensions[i];
	return NULL;
}

/* A boolean git accepts (true/yes/on, false/no/off, "", an integer; no value: true). */
static int is_bool(const char *v)
{
	static const char *const words[] = { "true", "yes", "on", "false", "no", "off", "" };
	char *end;
	size_t i;

	if (!v)
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcasecmp(v, words[i]))
			return 1;
	(void)strtol(v, &end, 10);
	return end != v && !*end;
}

/* Is `v` a value of `ext` packwin reads by? 0, or PW_EUNSUPPORTED naming key and value. */
static int check_value(const struct extension *ext, const char *key, const char *v,
	const char *commondir)
{
	switch (ext->kind) {
	case ANY:
		return 0;
	case BOOL:
		if (is_bool(v))
			return 0;
		break;
	case STRING:
		if (v)
			return 0;
		break;
	case HASH:
		if (v && pw_oid_type_fromstr(v) != PW_OID_UNKNOWN)
			return 0;
		return pw__error_set(PW_EUNSUPPORTED, "%s/config: unknown %s '%s'", commondir, key,
			v ? v : "");
	case REFSTORAGE:
		/* files, or a reftable stack in reftable/ (read-only); a stack elsewhere is refused */
		if (v && (!strcmp(v, "files") || !strcmp(v, "reftable")))
			return 0;
		if (v && (!strncmp(v, "reftable://", 11) || !strncmp(v, "files://", 8)))
			return pw__error_set(PW_EUNSUPPORTED,
				"%s/config: %s = %s: ref storage at another path is not supported",
				commondir, key, v);
		return pw__error_set(PW_EUNSUPPORTED, "%s/config: unknown %s '%s'", commondir, key,
			v ? v : "");
	}
	return pw__error_set(PW_EUNSUPPORTED, "%s/config: bad value '%s' for %s", commondir,
		v ? v : "(none)", key);
}

int pw__repo_check_format(const pw_config *cfg, const char *commondir)
{
	const char *v = pw__config_get(cfg, "core.repositoryformatversion", NULL);
	char *end;
	long version = 0;
	size_t i;
	int error;

	if (v) {
		version = strtol(v, &end, 10);
		if (end == v || *end)
			return pw__error_set(PW_EUNSUPPORTED,
				"%s/config: core.repositoryformatversion '%s' is not a number", commondir, v);
	}
	if (version < 0 || version > 1)
		return pw__error_set(PW_EUNSUPPORTED,
			"%s/config: core.repositoryformatversion %ld is not supported (0 and 1 are)",
			commondir, version);
	for (i = 0; i < cfg->e.n; i++) {
		const char *key = cfg->e.v[i].key;
		const struct extension *ext;

		if (strncmp(key, "extensions.", 11))
			continue;
		ext = known(key + 11);
		/* version 0: only git's historical extensions mean anything, and unknown ones nothing */
		if (version == 0 && !(ext && ext->v0)) {
			if (ext)
				return pw__error_set(PW_EUNSUPPORTED,
					"%s/config: core.repositoryformatversion is 0, but %s is "
					"an extension of version 1", commondir, key);
			continue;
		}
		if (!ext)
			return pw__error_set(PW_EUNSUPPORTED,
				"%s/config: unknown repository extension %s "
				"(core.repositoryformatversion %ld)", commondir, key, version);
		if ((error = check_value(ext, key, cfg->e.v[i].value, commondir)) < 0)
			return error;
	}
	return 0;
}
