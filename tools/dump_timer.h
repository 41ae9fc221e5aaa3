// The timer kinds of `mqstore dump` (tools/cmd_dump_timer.cc).
#pragma once

#include <string>

#include "tools/commands.h"

namespace mqstore::cli {

// timerlog, timerwheel, timercheck, timers.
bool IsTimerDumpKind(const std::string& kind);
// `mqstore dump KIND ROOT` for a timer kind, `cmd` prepared (its --set
// flags may name timerPrecisionMs and mappedFileSizeTimerLog).
int RunDumpTimer(const std::string& kind, StoreCommand& cmd, Io io);

}  // namespace mqstore::cli
