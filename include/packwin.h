/* packwin.h: the umbrella header of libpackwin. */
#ifndef PACKWIN_H
#define PACKWIN_H

#include "packwin/common.h"
#include "packwin/errors.h"
#include "packwin/oid.h"
#include "packwin/version.h"
#include "packwin/window.h"
#include "packwin/pack.h"
#include "packwin/odb.h"

#endif
