#include "storage/timer/timer_wheel.h"

#include <algorithm>

#include "format/big_endian.h"

namespace mqstore {

Result<std::unique_ptr<TimerWheel>> TimerWheel::Open(FileSystem& fs, const std::string& path, int64_t precision_ms) {
  if (precision_ms <= 0)
    return Status::InvalidArgument("timerPrecisionMs=" + std::to_string(precision_ms) + " must be positive");
  const bool existed = fs.Exists(path);
  auto file = fs.OpenRandomRW(path, OpenMode::kCreateIfMissing);
  if (!file.ok()) return file.error();
  auto size = (*file)->Size();
  if (!size.ok()) return size.error();
  if (*size != 0 && static_cast<int64_t>(*size) != kTimerWheelFileSize)
    return Status::Corruption(path + ": the timer wheel is " + std::to_string(*size) + " bytes, expected " +
                              std::to_string(kTimerWheelFileSize) +
                              " (1,209,600 slots of 32 bytes); refusing to use it (RocketMQ refuses it too)");
  if (*size == 0) {
    MQ_RETURN_IF_ERROR((*file)->Preallocate(static_cast<uint64_t>(kTimerWheelFileSize)));
    MQ_RETURN_IF_ERROR((*file)->Sync());
    if (!existed) MQ_RETURN_IF_ERROR(fs.SyncDirectory(ParentPath(path)));
  }
  auto mapping = (*file)->Map(static_cast<uint64_t>(kTimerWheelFileSize), /*writable=*/true);
  if (!mapping.ok()) return mapping.error();
  return std::unique_ptr<TimerWheel>(new TimerWheel(std::move(*file), std::move(*mapping), precision_ms));
}

uint8_t* TimerWheel::At(int64_t time_ms) const {
  return mapping_->data().data() + TimerWheelSlotIndex(time_ms, precision_ms_) * kTimerWheelSlotSize;
}

TimerWheelSlot TimerWheel::RawSlot(int64_t time_ms) const {
  return *DecodeTimerWheelSlot(std::span<const uint8_t>(At(time_ms), kTimerWheelSlotSize));
}

TimerWheelSlot TimerWheel::GetSlot(int64_t time_ms) const {
  TimerWheelSlot slot = RawSlot(time_ms);
  if (TimerWheelSlotHolds(slot, time_ms, precision_ms_)) return slot;
  return TimerWheelSlot{0, -1, -1, 0, 0};
}

void TimerWheel::PutSlot(int64_t time_ms, int64_t first_pos, int64_t last_pos, int32_t num, int32_t magic) {
  EncodeTimerWheelSlot(TimerWheelSlot{time_ms / precision_ms_, first_pos, last_pos, num, magic}, At(time_ms));
}

void TimerWheel::ReviseLastPos(int64_t time_ms, int64_t last_pos) {
  TimerWheelSlot slot = RawSlot(time_ms);
  if (!TimerWheelSlotHolds(slot, time_ms, precision_ms_)) {
    PutSlot(time_ms, last_pos, last_pos, 0, 0);
    return;
  }
  StoreI64(At(time_ms) + 16, last_pos);
}

template <typename Fn>
void TimerWheel::ForEachOwnSlot(int64_t from_ms, Fn&& fn) const {
  const int64_t first = from_ms / precision_ms_;
  for (int64_t i = 0; i < kTimerWheelSlots; ++i) {
    const int64_t t = (first + i) * precision_ms_;
    const uint8_t* p = At(t);
    if (LoadI64(p) == first + i) fn(t, *DecodeTimerWheelSlot(std::span<const uint8_t>(p, kTimerWheelSlotSize)));
  }
}

int64_t TimerWheel::AllNum(int64_t from_ms) const {
  int64_t sum = 0;
  ForEachOwnSlot(from_ms, [&](int64_t, const TimerWheelSlot& slot) { sum += slot.num; });
  return sum;
}

int64_t TimerWheel::MinFirstPosPointingPast(int64_t from_ms, int64_t log_end) const {
  int64_t min_first = INT64_MAX;
  ForEachOwnSlot(from_ms, [&](int64_t, const TimerWheelSlot& slot) {
    if (slot.last_pos >= log_end) min_first = std::min(min_first, slot.first_pos);
  });
  return min_first;
}

int64_t TimerWheel::EmptySlotsPointingPast(int64_t from_ms, int64_t log_end) {
  int64_t claimed = 0;
  ForEachOwnSlot(from_ms, [&](int64_t t, const TimerWheelSlot& slot) {
    if (slot.last_pos < log_end) return;
    claimed += slot.num;
    PutSlot(t, -1, -1, 0, slot.magic);
  });
  return claimed;
}

Status TimerWheel::Flush() { return file_->Sync(); }

}  // namespace mqstore
