// Moved to the public header include/mqstore/properties.h; this internal name stays for
// the code that includes it.
#pragma once

#include "mqstore/properties.h"
