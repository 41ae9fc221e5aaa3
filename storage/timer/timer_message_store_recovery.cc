// TimerMessageStore's recovery at open (RocketMQ's TimerMessageStore.recover):
// the timer log's tail rescanned into the wheel, the queue offset revised,
// the read time placed, slots naming lost units revised (checkPhyPos), and
// the slots a long stop left behind found for late delivery.
#include <algorithm>
#include <map>

#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/store_log.h"
#include "storage/timer/timer_message_store.h"

namespace mqstore {
namespace {

constexpr int64_t kQueueOffsetCheckUnits = 20000;  // reviseQueueOffset's walk back

}  // namespace

// TimerMessageStore.recover.
Status TimerMessageStore::Recover() {
  const TimerCheckpoint cp = checkpoint_->value();
  auto files = log_->Files();
  const int64_t last_size = files.empty() ? 0 : files.back()->size();
  recovery_.scan_from = std::max<int64_t>(0, cp.last_timer_log_flush_pos - last_size);
  StoreLog(LogLevel::kInfo, "timer store: recovering the timer log from offset " + std::to_string(recovery_.scan_from));
  int64_t last_unit = -1;
  const int64_t process = RecoverAndRevise(recovery_.scan_from, last_unit);
  MQ_RETURN_IF_ERROR(log_->TruncateTo(process));
  recovery_.process_offset = process;

  const int64_t queue_offset = ReviseQueueOffset(last_unit);
  recovery_.queue_offset = queue_offset;
  curr_queue_offset_ = queue_offset;
  commit_queue_offset_ = queue_offset;

  // RocketMQ skips the slots older than the wheel's span (a store down for
  // more than ~7 days at 1 s precision loses them silently). Their units are
  // still in the timer log: find them and fire them first, late.
  int64_t read = cp.last_read_time_ms;
  const int64_t oldest = FloorToPrecision(clock_.WallMillis()) - (kTimerWheelSlotsTotal - kTimerBlankSlots) * options_.precision_ms;
  if (read < oldest) {
    if (checkpoint_->existed() && read > 0) FindOverdue(read, oldest);
    read = oldest;
  }
  curr_read_time_ms_ = read;
  commit_read_time_ms_ = read;
  ReviseSlotsPointingPast(read, process);
  pending_ = wheel_->AllNum(read);
  checkpoint_->mutable_value().last_timer_log_flush_pos = process;
  StoreLog(LogLevel::kInfo, "timer store: recovered; read time " + std::to_string(read) + ", queue offset " +
                                std::to_string(queue_offset) + ", timer log end " + std::to_string(process) + ", " +
                                std::to_string(pending_.load()) + " timers pending");
  return Status::Ok();
}

// TimerWheel.checkPhyPos, recover's last step: a slot whose lastPos the log
// does not hold (after a power loss the wheel's page may reach the disk
// before the log's) would hide its earlier units, which lie before where the first scan
// began: scan again from the earliest such slot's firstPos. A slot that
// still points past the end held no unit the log kept; it is emptied, so
// no chain links to a position a new unit will take.
void TimerMessageStore::ReviseSlotsPointingPast(int64_t read_ms, int64_t log_end) {
  int64_t min_first = INT64_MAX;
  {
    std::lock_guard lock(wheel_mu_);
    min_first = wheel_->MinFirstPosPointingPast(read_ms, log_end);
  }
  if (min_first == INT64_MAX) return;
  StoreLog(LogLevel::kWarn, "timer store: wheel slots point past the timer log's end " + std::to_string(log_end) +
                                "; scanning again from " + std::to_string(std::max<int64_t>(min_first, 0)));
  int64_t ignored = -1;
  if (min_first < log_end) RecoverAndRevise(std::max<int64_t>(min_first, 0), ignored);
  int64_t lost = 0;
  {
    std::lock_guard lock(wheel_mu_);
    lost = wheel_->EmptySlotsPointingPast(read_ms, log_end);
  }
  if (lost > 0)
    StoreLog(LogLevel::kError, "timer store: wheel slots claiming " + std::to_string(lost) +
                                   " timers hold no unit the timer log kept; emptied");
}

// Steps through the units from the start of `begin`'s file to the first
// that is not one (a filler ends its file), pointing each unit's slot at it.
// Returns where the valid units end; `last_unit` gets the last one's offset.
int64_t TimerMessageStore::RecoverAndRevise(int64_t begin, int64_t& last_unit) {
  int64_t process = begin;
  for (const auto& file : log_->Files()) {
    if (file->end_offset() <= begin) continue;
    const auto data = std::span<const uint8_t>(file->data());
    int64_t pos = 0;
    bool stop = false;
    for (; pos + kTimerLogBlankSize <= file->size(); pos += kTimerLogUnitSize) {
      auto entry = DecodeTimerLogEntry(data.subspan(static_cast<size_t>(pos)));
      if (!entry.ok()) {
        stop = true;
        break;
      }
      if (std::holds_alternative<TimerLogBlank>(*entry)) break;
      const auto& unit = std::get<TimerLogUnit>(*entry);
      std::lock_guard lock(wheel_mu_);
      wheel_->ReviseLastPos(unit.slot_time_ms(), file->start_offset() + pos);
      last_unit = file->start_offset() + pos;
    }
    process = file->start_offset() + pos;
    if (stop) break;
  }
  return process;
}

// The queue offset after the last unit's record, checked against the timer
// topic's queue (reviseQueueOffset); the checkpoint's when it cannot be.
int64_t TimerMessageStore::ReviseQueueOffset(int64_t last_unit) {
  const TimerCheckpoint& cp = checkpoint_->value();
  int64_t offset = cp.last_timer_queue_offset;
  const ConsumeQueue* q = queues_.Find(kTimerTopic, 0);
  if (last_unit >= 0 && q) {
    auto unit = log_->ReadUnit(last_unit);
    auto record = unit.ok() ? commit_log_.LookMessage(unit->offset_py) : Result<MessageView>(unit.error());
    if (record.ok()) {
      const int64_t start = std::min(record->message.queue_offset, q->MaxOffset() - 1);
      for (int64_t at = start; at >= q->MinOffset() && start - at < kQueueOffsetCheckUnits; --at) {
        auto cq = q->GetUnit(at);
        if (cq && cq->commit_log_offset == unit->offset_py && cq->size == unit->size_py) {
          offset = at + 1;
          break;
        }
      }
    }
  }
  // RocketMQ then takes min(offset, masterTimerQueueOffset). On a master
  // that is its own commit offset at the last checkpoint, written here after
  // the timer log was synced: everything below it has its unit or was
  // delivered straight away (already due, no unit). The min would enqueue
  // and deliver again what the log holds (all of it after a crash before
  // the first checkpoint); a master takes the max instead, so only records
  // read after the last checkpoint are read again. A slave keeps the min:
  // it must not pass its master.
  if (options_.master)
    offset = std::max(offset, cp.last_timer_queue_offset);
  else
    offset = std::min(offset, cp.master_timer_queue_offset);
  if (q) offset = std::clamp(offset, q->MinOffset(), q->MaxOffset());
  return offset;
}

void TimerMessageStore::FindOverdue(int64_t from_ms, int64_t to_ms) {
  std::map<int64_t, std::vector<TimerLogUnit>> slots;
  for (const auto& file : log_->Files()) {
    const auto data = std::span<const uint8_t>(file->data());
    for (int64_t pos = 0; pos + kTimerLogUnitSize <= file->wrote(); pos += kTimerLogUnitSize) {
      auto entry = DecodeTimerLogEntry(data.subspan(static_cast<size_t>(pos)));
      if (!entry.ok() || !std::holds_alternative<TimerLogUnit>(*entry)) break;
      const auto& unit = std::get<TimerLogUnit>(*entry);
      if (unit.slot_time_ms() >= from_ms && unit.slot_time_ms() < to_ms) slots[unit.slot_time_ms()].push_back(unit);
    }
  }
  int64_t n = 0;
  for (auto& [slot, units] : slots) {
    n += static_cast<int64_t>(units.size());
    overdue_.push_back(OverdueSlot{slot, std::move(units)});
  }
  recovery_.overdue_timers = n;
  if (n > 0)
    StoreLog(LogLevel::kWarn, "timer store: the store was down longer than the wheel's span (read time " +
                                  std::to_string(from_ms) + ", now the wheel starts at " + std::to_string(to_ms) +
                                  "); " + std::to_string(n) + " timer-log units in " + std::to_string(overdue_.size()) +
                                  " slots RocketMQ would skip are delivered late instead");
}

}  // namespace mqstore
