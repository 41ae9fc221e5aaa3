// Moved to the public header include/mqstore/sys_flag.h; this internal name stays for
// the code that includes it.
#pragma once

#include "mqstore/sys_flag.h"
