#include "storage/io/env.h"

namespace mqstore {

Env Env::Default() { return Env(FileSystem::Default(), Clock::System()); }

Env Env::WithClock(Clock& clock) { return Env(FileSystem::Default(), clock); }

}  // namespace mqstore
