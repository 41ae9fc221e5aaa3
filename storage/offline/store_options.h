// What an offline reader must know about the writer of a store that the
// files do not say themselves. 0 / nullopt: inferred from the files.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "format/index_file_format.h"
#include "format/message_record.h"

namespace mqstore {

struct StoreReadOptions {
  int64_t commit_log_file_size = 0;          // mappedFileSizeCommitLog
  int64_t consume_queue_file_size = 0;       // mappedFileSizeConsumeQueue
  std::optional<IndexGeometry> index_geometry;  // maxHashSlotNum / maxIndexNum
  int32_t max_record_size = kDefaultMaxRecordSize;  // maxMessageSize + 64 KiB
  std::vector<int64_t> delay_level_millis;   // messageDelayLevel; empty: the default
  int64_t timer_log_file_size = 0;           // mappedFileSizeTimerLog
  int32_t timer_precision_ms = 1000;         // timerPrecisionMs: the wheel's slot width
};

}  // namespace mqstore
