// A unit of the timer log (TimerLog, RocketMQ 5.x): 52 bytes per timer, in
// files of mappedFileSizeTimerLog bytes under `timerlog/`, named by the
// 20-digit offset of their first byte.
//
//   0  size             i32  always 52
//   4  prevPos          i64  the previous unit of the same slot, -1 for none
//  12  magic            i32  bits DEFAULT=1 | ROLL=2 | DELETE=4; valid iff (magic | 0xF) == 0xF
//  16  currWriteTimeMs  i64  the timer store's write time at enqueue (precision-aligned)
//  24  delay            i32  slot time - currWriteTimeMs, in ms
//  28  offsetPy         i64  commit-log offset of the rmq_sys_wheel_timer record
//  36  sizePy           i32  that record's size
//  40  topicHash        i32  Java String.hashCode() of REAL_TOPIC (0 when absent)
//  44  reserved         i64  0
//
// A file ends with a 16-byte filler where the next unit and a filler would
// not both fit (52 + 16 > bytes left):
//
//   0  size   i32  bytes left in the file from the filler on
//   4  zero   i64
//  12  magic  i32  0xCBD43194 (BLANK_MAGIC_CODE, the commit log's)
//
// and zeros after it. With the default 100 MiB file, (size - 16) is a
// multiple of 52: 2,016,492 units, then a 16-byte filler.
#pragma once

#include <cstdint>
#include <span>
#include <variant>

#include "format/decode_error.h"

namespace mqstore {

inline constexpr int32_t kTimerLogUnitSize = 52;
inline constexpr int32_t kTimerLogBlankSize = 16;
inline constexpr int32_t kTimerLogBlankMagic = static_cast<int32_t>(0xCBD43194u);
inline constexpr int64_t kDefaultTimerLogFileSize = 100LL * 1024 * 1024;

// Magic bits (TimerMessageStore.MAGIC_*).
inline constexpr int32_t kTimerMagicDefault = 1;
inline constexpr int32_t kTimerMagicRoll = 2;
inline constexpr int32_t kTimerMagicDelete = 4;

struct TimerLogUnit {
  int64_t prev_pos = -1;
  int32_t magic = kTimerMagicDefault;
  int64_t write_time_ms = 0;
  int32_t delay_ms = 0;
  int64_t offset_py = 0;
  int32_t size_py = 0;
  int32_t topic_hash = 0;
  int64_t reserved = 0;

  // The slot this unit sits in: writeTimeMs + delay.
  int64_t slot_time_ms() const { return write_time_ms + delay_ms; }
  bool roll() const { return (magic & kTimerMagicRoll) != 0; }
  bool deletes() const { return (magic & kTimerMagicDelete) != 0; }
  bool operator==(const TimerLogUnit&) const = default;
};

// The end-of-file filler: `size` bytes from its start to the file's end.
struct TimerLogBlank {
  int32_t size = 0;
  bool operator==(const TimerLogBlank&) const = default;
};

using TimerLogEntry = std::variant<TimerLogUnit, TimerLogBlank>;

// Writes the 52 bytes of `unit` (size field included).
void EncodeTimerLogUnit(const TimerLogUnit& unit, uint8_t* out52);
// Writes the 16-byte filler for `bytes_left` bytes to the end of the file.
void EncodeTimerLogBlank(int32_t bytes_left, uint8_t* out16);

// Decodes the entry at the start of `in`: a unit (size 52, magic valid) or
// a filler (blank magic at byte 12, size in [16, rest of input]). Anything
// else is an error naming the field: zeros (the unwritten end) read as
// size 0, kSizeOutOfRange.
DecodeResult<TimerLogEntry> DecodeTimerLogEntry(std::span<const uint8_t> in);

// Where the last unit of a file of `file_size` bytes starts
// (TimerLog.getOffsetForLastUnit): fs - (fs - 16) % 52 - 16 - 52.
int64_t TimerLogLastUnitOffset(int64_t file_size);

}  // namespace mqstore
