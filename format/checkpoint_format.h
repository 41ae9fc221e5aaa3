// The `checkpoint` file (StoreCheckpoint): one 4 KiB page, the rest zero.
//
//   0  physicMsgTimestamp   i64  store time of the last record known flushed
//   8  logicsMsgTimestamp   i64  store time of the last record whose CQ unit is flushed
//  16  indexMsgTimestamp    i64  endTimestamp of the last full, flushed index file
//  24  masterFlushedOffset  i64  (5.0.0+, HA)
//  32  confirmPhyOffset     i64  (5.1.1+, controller mode)
//  40  zero ... 4096
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "format/decode_error.h"

namespace mqstore {

inline constexpr uint32_t kCheckpointFileSize = 4096;
inline constexpr uint32_t kCheckpointMinSize = 24;  // what 4.x reads and writes

struct Checkpoint {
  int64_t physic_msg_timestamp = 0;
  int64_t logics_msg_timestamp = 0;
  int64_t index_msg_timestamp = 0;
  int64_t master_flushed_offset = 0;
  int64_t confirm_phy_offset = 0;

  // getMinTimestamp(): max(0, min(physic, logics) - 3000).
  int64_t MinTimestamp() const {
    const int64_t m = std::min(physic_msg_timestamp, logics_msg_timestamp);
    return m <= 3000 ? 0 : m - 3000;  // compared first: a garbage value must not overflow
  }
  // getMinTimestampIndex(): min(MinTimestamp(), index).
  int64_t MinTimestampIndex() const { return std::min(MinTimestamp(), index_msg_timestamp); }
  bool operator==(const Checkpoint&) const = default;
};

// Writes the 40 used bytes; the caller provides the zeroed 4 KiB page.
void EncodeCheckpoint(const Checkpoint& c, uint8_t* out40);
// Needs at least 24 bytes; fields past the end of a shorter input read as 0.
DecodeResult<Checkpoint> DecodeCheckpoint(std::span<const uint8_t> in);

}  // namespace mqstore
