#include "format/timer_checkpoint_format.h"

#include "format/big_endian.h"

namespace mqstore {

void EncodeTimerCheckpoint(const TimerCheckpoint& c, uint8_t* p) {
  StoreI64(p, c.last_read_time_ms);
  StoreI64(p + 8, c.last_timer_log_flush_pos);
  StoreI64(p + 16, c.last_timer_queue_offset);
  StoreI64(p + 24, c.master_timer_queue_offset);
  StoreI64(p + 32, c.state_version);
  StoreI64(p + 40, c.data_version_timestamp);
  StoreI64(p + 48, c.data_version_counter);
}

DecodeResult<TimerCheckpoint> DecodeTimerCheckpoint(std::span<const uint8_t> in) {
  if (in.size() < kTimerCheckpointUsedSize)
    return DecodeError{DecodeErrc::kTruncated, "timercheck", 0, static_cast<int64_t>(in.size())};
  const uint8_t* p = in.data();
  TimerCheckpoint c;
  c.last_read_time_ms = LoadI64(p);
  c.last_timer_log_flush_pos = LoadI64(p + 8);
  c.last_timer_queue_offset = LoadI64(p + 16);
  c.master_timer_queue_offset = LoadI64(p + 24);
  c.state_version = LoadI64(p + 32);
  c.data_version_timestamp = LoadI64(p + 40);
  c.data_version_counter = LoadI64(p + 48);
  return c;
}

}  // namespace mqstore
