// Moved to the public header include/mqstore/message_filter.h; this internal name stays for
// the code that includes it.
#pragma once

#include "mqstore/message_filter.h"
