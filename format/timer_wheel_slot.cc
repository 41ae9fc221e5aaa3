#include "format/timer_wheel_slot.h"

#include "format/big_endian.h"

namespace mqstore {

int64_t TimerWheelSlotIndex(int64_t time_ms, int64_t precision_ms) {
  const int64_t units = time_ms / precision_ms;
  const int64_t index = units % kTimerWheelSlots;
  return index < 0 ? index + kTimerWheelSlots : index;  // a time before 1970 still lands in the file
}

void EncodeTimerWheelSlot(const TimerWheelSlot& s, uint8_t* p) {
  StoreI64(p, s.time_units);
  StoreI64(p + 8, s.first_pos);
  StoreI64(p + 16, s.last_pos);
  StoreI32(p + 24, s.num);
  StoreI32(p + 28, s.magic);
}

DecodeResult<TimerWheelSlot> DecodeTimerWheelSlot(std::span<const uint8_t> in) {
  if (in.size() < kTimerWheelSlotSize)
    return DecodeError{DecodeErrc::kTruncated, "timer wheel slot", 0, static_cast<int64_t>(in.size())};
  const uint8_t* p = in.data();
  TimerWheelSlot s;
  s.time_units = LoadI64(p);
  s.first_pos = LoadI64(p + 8);
  s.last_pos = LoadI64(p + 16);
  s.num = LoadI32(p + 24);
  s.magic = LoadI32(p + 28);
  return s;
}

bool TimerWheelSlotHolds(const TimerWheelSlot& slot, int64_t time_ms, int64_t precision_ms) {
  return slot.time_units != 0 && slot.time_units == time_ms / precision_ms;
}

}  // namespace mqstore
