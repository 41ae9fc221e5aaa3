// Moved to the public header include/mqstore/dispatch.h; this internal name
// stays for the code that includes it.
#pragma once

#include "mqstore/dispatch.h"
