// The store's Clock is public (an embedder may pass its own): mqstore/clock.h.
// What the engine's clocks share but an embedder does not see is here.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <optional>

#include "mqstore/clock.h"

namespace mqstore {

// A futex wait for at most `timeout_ns` of real time (< 0: no limit): what
// SystemClock::WaitOnWord does, and FakeClock's in short slices.
void FutexWaitFor(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns);

// Local civil time through libc, one caller at a time in the process.
// glibc's mktime re-reads TZ and replaces its copy under a lock of its own
// that ThreadSanitizer cannot see, so two stores naming index files at once
// looked like a race; one mutex here makes the order visible and costs
// nothing at the rate these run (a file name, an hour check).
std::tm LocalTimeOf(int64_t epoch_seconds);
// The epoch seconds of a local time (tm_isdst = -1: libc decides); nullopt
// where libc cannot represent it.
std::optional<int64_t> EpochSecondsOfLocal(std::tm local);

}  // namespace mqstore
