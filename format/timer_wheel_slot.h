// A slot of the `timerwheel` file (TimerWheel, RocketMQ 5.x): one file of
// 2 x 604,800 slots (7 days of slots at any precision, twice) of 32 bytes,
// 38,707,200 bytes in all. The slot for time T (ms) is at byte
// ((T / precisionMs) mod 1,209,600) x 32.
//
//   0  timeUnits  i64  T / precisionMs of the slot's time; another value = empty or stale
//   8  firstPos   i64  timer-log offset of the slot's first unit
//  16  lastPos    i64  timer-log offset of its newest unit (the chain runs back via prevPos)
//  24  num        i32  units - delete markers
//  28  magic      i32  unused, 0
//
// Slots are never cleared after they fire: a slot read for T counts only
// while its timeUnits is T's (timeUnits x precisionMs == floor(T/p) x p).
#pragma once

#include <cstdint>
#include <span>

#include "format/decode_error.h"

namespace mqstore {

inline constexpr int32_t kTimerWheelSlotSize = 32;
inline constexpr int64_t kTimerWheelSlotsTotal = 7LL * 86400;               // TIMER_WHEEL_TTL_DAY x 86400
inline constexpr int64_t kTimerWheelSlots = 2 * kTimerWheelSlotsTotal;     // in the file
inline constexpr int64_t kTimerWheelFileSize = kTimerWheelSlots * kTimerWheelSlotSize;  // 38,707,200
inline constexpr int64_t kTimerBlankSlots = 60;                             // TimerMessageStore.TIMER_BLANK_SLOTS

struct TimerWheelSlot {
  int64_t time_units = 0;
  int64_t first_pos = -1;
  int64_t last_pos = -1;
  int32_t num = 0;
  int32_t magic = 0;
  bool operator==(const TimerWheelSlot&) const = default;
};

// The slot's index in the file for time `time_ms`.
int64_t TimerWheelSlotIndex(int64_t time_ms, int64_t precision_ms);

void EncodeTimerWheelSlot(const TimerWheelSlot& slot, uint8_t* out32);
// Any 32 bytes decode: every bit pattern is a slot (validity is a question
// of time, not of format); fewer bytes are kTruncated.
DecodeResult<TimerWheelSlot> DecodeTimerWheelSlot(std::span<const uint8_t> in);

// True when `slot`, read at the position of `time_ms`, is that time's slot
// (and not empty or stale).
bool TimerWheelSlotHolds(const TimerWheelSlot& slot, int64_t time_ms, int64_t precision_ms);

}  // namespace mqstore
