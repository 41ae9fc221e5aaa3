// Moved to the public header include/mqstore/socket_address.h; this internal name stays for
// the code that includes it.
#pragma once

#include "mqstore/socket_address.h"
