#include "format/timer_log_unit.h"

#include "format/big_endian.h"

namespace mqstore {

void EncodeTimerLogUnit(const TimerLogUnit& u, uint8_t* p) {
  StoreI32(p, kTimerLogUnitSize);
  StoreI64(p + 4, u.prev_pos);
  StoreI32(p + 12, u.magic);
  StoreI64(p + 16, u.write_time_ms);
  StoreI32(p + 24, u.delay_ms);
  StoreI64(p + 28, u.offset_py);
  StoreI32(p + 36, u.size_py);
  StoreI32(p + 40, u.topic_hash);
  StoreI64(p + 44, u.reserved);
}

void EncodeTimerLogBlank(int32_t bytes_left, uint8_t* p) {
  StoreI32(p, bytes_left);
  StoreI64(p + 4, 0);
  StoreI32(p + 12, kTimerLogBlankMagic);
}

DecodeResult<TimerLogEntry> DecodeTimerLogEntry(std::span<const uint8_t> in) {
  const auto n = static_cast<int64_t>(in.size());
  if (n < kTimerLogBlankSize) return DecodeError{DecodeErrc::kTruncated, "timer log unit", 0, n};
  const uint8_t* p = in.data();
  const int32_t size = LoadI32(p);
  const int32_t magic = LoadI32(p + 12);
  if (magic == kTimerLogBlankMagic) {
    if (size < kTimerLogBlankSize || size > n) return DecodeError{DecodeErrc::kSizeOutOfRange, "blank size", 0, size};
    return TimerLogEntry{TimerLogBlank{size}};
  }
  if (size != kTimerLogUnitSize) return DecodeError{DecodeErrc::kSizeOutOfRange, "size", 0, size};
  if (n < kTimerLogUnitSize) return DecodeError{DecodeErrc::kTruncated, "timer log unit", 0, n};
  if ((magic | 0xF) != 0xF) return DecodeError{DecodeErrc::kBadMagic, "magic", 12, magic};
  TimerLogUnit u;
  u.prev_pos = LoadI64(p + 4);
  u.magic = magic;
  u.write_time_ms = LoadI64(p + 16);
  u.delay_ms = LoadI32(p + 24);
  u.offset_py = LoadI64(p + 28);
  u.size_py = LoadI32(p + 36);
  u.topic_hash = LoadI32(p + 40);
  u.reserved = LoadI64(p + 44);
  return TimerLogEntry{u};
}

int64_t TimerLogLastUnitOffset(int64_t file_size) {
  return file_size - (file_size - kTimerLogBlankSize) % kTimerLogUnitSize - kTimerLogBlankSize - kTimerLogUnitSize;
}

}  // namespace mqstore
