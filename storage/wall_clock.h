// The wall clock in milliseconds since the epoch (Java's
// System.currentTimeMillis): what records carry as STORETIMESTAMP and what
// file times are compared with.
#pragma once

#include <chrono>
#include <cstdint>

namespace mqstore {

inline int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace mqstore
