// The store's Clock is public (an embedder may pass its own): mqstore/clock.h.
// What the engine's clocks share but an embedder does not see is here.
#pragma once

#include <atomic>
#include <cstdint>

#include "mqstore/clock.h"

namespace mqstore {

// A futex wait for at most `timeout_ns` of real time (< 0: no limit): what
// SystemClock::WaitOnWord does, and FakeClock's in short slices.
void FutexWaitFor(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns);

}  // namespace mqstore
