// The store's Clock is public (an embedder may pass its own): mqstore/clock.h.
#pragma once

#include "mqstore/clock.h"
