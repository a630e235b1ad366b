/* config.h: the repository's config file, read once at open (a subset of git-config(1) syntax; internal). */
#ifndef PW_ODB_CONFIG_H
#define PW_ODB_CONFIG_H

#include <stddef.h>

#include "util/array.h"

/* One "section.key" (subsections: "section.sub.key"), lower-cased but for the subsection, and its value. */
typedef struct pw_config_entry {
	char *key;
	char *value;        /* NULL for a key with no '=' (git: true) */
} pw_config_entry;

typedef struct pw_config {
	PW_ARRAY(pw_config_entry) e;
} pw_config;

/**
 * Read `path` (absent: an empty config). Sections, subsections in quotes,
 * keys with or without values, quoted values and escapes, comments and
 * continuation lines, as git writes them; include directives are not
 * followed. PW_ECORRUPT naming the file and line for what git would refuse.
 */
int pw__config_read(pw_config *out, const char *path);
void pw__config_free(pw_config *cfg);
/** The last value of `key` ("core.multipackindex"), or NULL; *found says whether it is set at all. */
const char *pw__config_get(const pw_config *cfg, const char *key, int *found);
/** A boolean as git reads it (true/yes/on/1 and any non-zero number, false/no/off/0, ""): `def` when unset or unreadable. */
int pw__config_bool(const pw_config *cfg, const char *key, int def);

#endif
