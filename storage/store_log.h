// One place where the engine reports what it did (recovery, segment rolls,
// write failures). Lines go to stderr unless an embedder installs a sink
// (its own logger) or silences them.
#pragma once

#include <functional>
#include <string_view>

namespace mqstore {

enum class LogLevel : uint8_t { kInfo, kWarn, kError };

using LogSink = std::function<void(LogLevel, std::string_view)>;

// Replaces the sink for the whole process; an empty function silences.
void SetLogSink(LogSink sink);
void StoreLog(LogLevel level, std::string_view line);

// Names the calling thread (up to 15 bytes) so that `top -H`, perf and gdb
// show the engine's threads as mq-flush, mq-commit, mq-allocate.
void NameThisThread(const char* name);

}  // namespace mqstore
