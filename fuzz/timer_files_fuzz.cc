// Fuzzes the timer-file decoders. The first input byte picks one (mod 3):
// 0 the timer-log entry, 1 the wheel slot, 2 the timercheck; the rest is
// its input. Property: whatever decodes re-encodes to bytes that decode to
// the same value (and, where every byte is a field, to the same bytes).
#include <cstdint>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

#include "format/timer_checkpoint_format.h"
#include "format/timer_log_unit.h"
#include "format/timer_wheel_slot.h"

namespace {

using namespace mqstore;

void FuzzTimerLogEntry(std::span<const uint8_t> in) {
  auto e = DecodeTimerLogEntry(in);
  if (!e.ok()) return;
  if (const auto* unit = std::get_if<TimerLogUnit>(&*e)) {
    uint8_t again[kTimerLogUnitSize];
    EncodeTimerLogUnit(*unit, again);
    if (std::memcmp(again, in.data(), sizeof again) != 0) __builtin_trap();  // all 52 bytes are fields
    auto back = DecodeTimerLogEntry(again);
    if (!back.ok() || std::get<TimerLogUnit>(*back) != *unit) __builtin_trap();
    return;
  }
  const TimerLogBlank blank = std::get<TimerLogBlank>(*e);
  if (blank.size < kTimerLogBlankSize || static_cast<size_t>(blank.size) > in.size()) __builtin_trap();
  uint8_t again[kTimerLogBlankSize];
  EncodeTimerLogBlank(blank.size, again);
  // The filler's zero long is not checked: compare values, not bytes. The
  // re-encoded filler needs its size in bytes to decode.
  std::vector<uint8_t> room(static_cast<size_t>(blank.size), 0);
  std::memcpy(room.data(), again, sizeof again);
  auto back = DecodeTimerLogEntry(room);
  if (!back.ok() || std::get<TimerLogBlank>(*back) != blank) __builtin_trap();
}

void FuzzWheelSlot(std::span<const uint8_t> in) {
  auto slot = DecodeTimerWheelSlot(in);
  if (!slot.ok()) {
    if (in.size() >= kTimerWheelSlotSize) __builtin_trap();  // every 32 bytes are a slot
    return;
  }
  (void)TimerWheelSlotHolds(*slot, 1796508490000, 1000);
  uint8_t again[kTimerWheelSlotSize];
  EncodeTimerWheelSlot(*slot, again);
  if (std::memcmp(again, in.data(), sizeof again) != 0) __builtin_trap();
  if (*DecodeTimerWheelSlot(again) != *slot) __builtin_trap();
}

void FuzzCheckpoint(std::span<const uint8_t> in) {
  auto c = DecodeTimerCheckpoint(in);
  if (!c.ok()) {
    if (in.size() >= static_cast<size_t>(kTimerCheckpointUsedSize)) __builtin_trap();
    return;
  }
  uint8_t again[kTimerCheckpointUsedSize];
  EncodeTimerCheckpoint(*c, again);
  if (std::memcmp(again, in.data(), sizeof again) != 0) __builtin_trap();
  if (*DecodeTimerCheckpoint(again) != *c) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: FuzzTimerLogEntry(in); break;
    case 1: FuzzWheelSlot(in); break;
    default: FuzzCheckpoint(in); break;
  }
  // Any time and precision land in the wheel.
  if (size >= 16) {
    int64_t t = 0, p = 0;
    std::memcpy(&t, data, 8);
    std::memcpy(&p, data + 8, 8);
    if (p > 0) {
      const int64_t i = TimerWheelSlotIndex(t, p);
      if (i < 0 || i >= kTimerWheelSlots) __builtin_trap();
    }
  }
  return 0;
}
