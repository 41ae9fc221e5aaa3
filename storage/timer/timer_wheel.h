// TimerWheel: the `timerwheel` file of the timer store (RocketMQ 5.x
// TimerWheel), mapped shared and written in place: 1,209,600 slots of 32
// bytes (format/timer_wheel_slot.h), the slot for time T at
// ((T / precisionMs) mod 1,209,600) x 32.
//
// A slot read for T is T's only while its timeUnits says so; otherwise it is
// empty or stale (a slot of T - 14 days at 1 s precision), and reads as
// {-1, -1, -1, num 0}. Slots are never cleared after they fire.
//
// RocketMQ keeps a copy in memory and copies changed bytes into its mapping
// at each flush; here the slot is written into the mapping directly and
// Flush() syncs it. After a kill -9 both leave the same bytes in the page
// cache; after a power loss the wheel may be ahead of or behind the timer
// log, which recovery revises either way (it re-scans the log's tail and
// stops a chain at the first unit that is not there).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "format/timer_wheel_slot.h"
#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

class TimerWheel {
 public:
  // Opens `path`, creating it (38,707,200 zero bytes) when it is missing.
  // A file of another non-zero length is refused: RocketMQ refuses it too,
  // and a resized wheel would put every slot in the wrong place.
  static Result<std::unique_ptr<TimerWheel>> Open(FileSystem& fs, const std::string& path, int64_t precision_ms);

  // T's slot, or {-1, -1, -1, 0, 0} (time_units 0) when the slot holds
  // another time (TimerWheel.getSlot).
  TimerWheelSlot GetSlot(int64_t time_ms) const;
  // The bytes at T's position, whatever time they hold.
  TimerWheelSlot RawSlot(int64_t time_ms) const;
  // Writes T's slot (time units from T).
  void PutSlot(int64_t time_ms, int64_t first_pos, int64_t last_pos, int32_t num, int32_t magic);
  // Recovery (TimerWheel.reviseSlot with force): T's slot gets lastPos =
  // `last_pos`; a slot holding another time becomes {T, last, last, num 0}.
  void ReviseLastPos(int64_t time_ms, int64_t last_pos);
  // Sum of `num` over the slots of [from, from + 2 x 7 days) that hold
  // their own time (getAllNum, RocketMQ's getAllCongestNum).
  int64_t AllNum(int64_t from_ms) const;
  // Recovery (TimerWheel.checkPhyPos): the smallest firstPos among the
  // slots of [from, from + span) that hold their own time and whose lastPos
  // is at or past `log_end` (a unit the timer log does not hold: the wheel's
  // page reached the disk, the log's did not); INT64_MAX when there is none.
  // RocketMQ asks lastPos > end; a lastPos equal to the end names no unit
  // either, and the next unit appended there would link to itself.
  int64_t MinFirstPosPointingPast(int64_t from_ms, int64_t log_end) const;
  // After the rescan from that position: the slots still pointing at or past
  // `log_end` lost every unit the log held for them; they are emptied
  // ({T, -1, -1, 0}) so the next unit starts a new chain instead of linking
  // to a position another unit will take. Returns the `num` they claimed.
  int64_t EmptySlotsPointingPast(int64_t from_ms, int64_t log_end);
  Status Flush();

  int64_t precision_ms() const { return precision_ms_; }
  const std::string& path() const { return path_; }

 private:
  TimerWheel(std::unique_ptr<RandomRWFile> file, std::unique_ptr<FileMapping> mapping, int64_t precision_ms)
      : file_(std::move(file)), mapping_(std::move(mapping)), precision_ms_(precision_ms), path_(file_->path()) {}
  uint8_t* At(int64_t time_ms) const;
  // fn(T, slot) for each slot of [from, from + span) that holds its own time.
  template <typename Fn>
  void ForEachOwnSlot(int64_t from_ms, Fn&& fn) const;

  std::unique_ptr<RandomRWFile> file_;
  std::unique_ptr<FileMapping> mapping_;
  const int64_t precision_ms_;
  const std::string path_;
};

}  // namespace mqstore
