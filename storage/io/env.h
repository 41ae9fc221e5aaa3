// Env is public (mqstore/env.h); the engine's parts also need the FileSystem
// it hands out, so this internal header brings both.
#pragma once

#include "mqstore/env.h"
#include "storage/io/file_system.h"
