// A ConsumeQueue unit (ConsumeQueue.CQ_STORE_UNIT_SIZE = 20 bytes):
//
//   0  commit-log offset  i64   PHYSICALOFFSET of the record
//   8  size               i32   its TOTALSIZE
//  12  tagsCode           i64   hashCode(TAGS), or delivery time for
//                               SCHEDULE_TOPIC_XXXX, or an ext address
//
// Queue offset n lives at CQ byte n*20. A unit is valid iff offset >= 0 and
// size > 0; an all-zero unit marks the end of data. Blank pad units
// {0, 0x7FFFFFFF, 0} fill a re-created queue up to its first real unit.
#pragma once

#include <cstdint>
#include <span>

#include "format/decode_error.h"

namespace mqstore {

inline constexpr uint32_t kCqUnitSize = 20;
inline constexpr int32_t kCqBlankPadSize = 0x7FFFFFFF;
// mappedFileSizeConsumeQueue default: 300,000 units.
inline constexpr int64_t kDefaultCqFileSize = 300000 * kCqUnitSize;

struct ConsumeQueueUnit {
  int64_t commit_log_offset = 0;
  int32_t size = 0;
  int64_t tags_code = 0;

  bool IsValid() const { return commit_log_offset >= 0 && size > 0; }
  bool IsEndOfData() const { return commit_log_offset == 0 && size == 0 && tags_code == 0; }
  bool IsBlankPad() const { return commit_log_offset == 0 && size == kCqBlankPadSize && tags_code == 0; }
  bool operator==(const ConsumeQueueUnit&) const = default;
};

void EncodeCqUnit(const ConsumeQueueUnit& unit, uint8_t* out20);
// Reads the first 20 bytes of `in`; fewer is kTruncated. Any 20 bytes decode;
// judge them with IsValid / IsEndOfData.
DecodeResult<ConsumeQueueUnit> DecodeCqUnit(std::span<const uint8_t> in);

}  // namespace mqstore
