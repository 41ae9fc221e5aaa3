// messageDelayLevel: "1s 5s 10s ..." — level i (1-based) is token i-1;
// units s, m, h, d (MessageStoreConfig / ScheduleMessageService).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "mqstore/status.h"

namespace mqstore {

inline constexpr std::string_view kDefaultMessageDelayLevel =
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

// Millis of each level, index 0 = level 1.
Result<std::vector<int64_t>> ParseDelayLevels(std::string_view spec);

// The default table, parsed once.
const std::vector<int64_t>& DefaultDelayLevels();

}  // namespace mqstore
