/* version.c: the run-time version of the library. */
#include "packwin/version.h"

const char *pw_version(void)
{
	return PACKWIN_VERSION;
}
