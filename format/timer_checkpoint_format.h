// `config/timercheck` (TimerCheckpoint, RocketMQ 5.x): one 4 KiB file of
// which the first 56 bytes are used (the same 56 bytes a slave fetches with
// GET_TIMER_CHECK_POINT).
//
//   0  lastReadTimeMs          i64  the next slot to fire; earlier slots are done
//   8  lastTimerLogFlushPos    i64  the timer log's flushed position
//  16  lastTimerQueueOffset    i64  min(commitQueueOffset, masterTimerQueueOffset)
//  24  masterTimerQueueOffset  i64  enqueue progress in rmq_sys_wheel_timer's queue 0
//  32  stateVersion            i64  dataVersion
//  40  timestamp               i64  dataVersion
//  48  counter                 i64  dataVersion
//  56  zero ... 4096
#pragma once

#include <cstdint>
#include <span>

#include "format/decode_error.h"

namespace mqstore {

inline constexpr int32_t kTimerCheckpointFileSize = 4096;
inline constexpr int32_t kTimerCheckpointUsedSize = 56;

struct TimerCheckpoint {
  int64_t last_read_time_ms = 0;
  int64_t last_timer_log_flush_pos = 0;
  int64_t last_timer_queue_offset = 0;
  int64_t master_timer_queue_offset = 0;
  int64_t state_version = 0;
  int64_t data_version_timestamp = 0;
  int64_t data_version_counter = 0;
  bool operator==(const TimerCheckpoint&) const = default;
};

// Writes the 56 used bytes; the caller provides the zeroed page.
void EncodeTimerCheckpoint(const TimerCheckpoint& c, uint8_t* out56);
// Needs the 56 used bytes.
DecodeResult<TimerCheckpoint> DecodeTimerCheckpoint(std::span<const uint8_t> in);

}  // namespace mqstore
