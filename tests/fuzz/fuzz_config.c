/* fuzz_config.c: fuzz target for the config-file reader (lib/odb/config.c). */
#include <string.h>

#include "fuzz_common.h"
#include "odb/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	pw_config cfg;
	size_t i;

	fz_path(path, sizeof(path), "config");
	fz_write(path, data, size);
	if (pw__config_read(&cfg, path) == 0) {
		for (i = 0; i < cfg.e.n; i++) {
			const char *k = cfg.e.v[i].key;
			int found;
			/* every key ends with a name (git accepts "[.a]" and "[a.]" sections); what is listed is found */
			if (!k[0] || k[strlen(k) - 1] == '.')
				fz_fail("pw__config_read: a key without a name");
			pw__config_bool(&cfg, k, -1);
			pw__config_get(&cfg, k, &found);
			if (!found)
				fz_fail("pw__config_get: a listed key is not found");
		}
		pw__config_free(&cfg);
	}
	pw_error_clear();
	return 0;
}
