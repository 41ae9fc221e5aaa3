// Moved to the public header include/mqstore/latency_histogram.h; this internal name stays for
// the code that includes it.
#pragma once

#include "mqstore/latency_histogram.h"
