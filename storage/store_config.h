// Moved to the public header include/mqstore/store_config.h; this internal name stays for
// the code that includes it.
#pragma once

#include "mqstore/store_config.h"
