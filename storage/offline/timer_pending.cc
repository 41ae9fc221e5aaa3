#include "storage/offline/timer_pending.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>
#include <unordered_set>

#include "format/java_number.h"
#include "format/timer_wheel_slot.h"
#include "storage/offline/commit_log_reader.h"
#include "storage/offline/timer_files_reader.h"

namespace mqstore {
namespace {

template <typename T>
T ParseNumber(std::optional<std::string_view> text, T fallback) {
  return ParseJavaInteger<T>(text.value_or("")).value_or(fallback);
}

// The wheel as recovery leaves it: the file's slots, then each unit from
// the rescan start made its slot's newest (TimerMessageStore.recoverAndRevise).
Result<std::map<int64_t, TimerWheelSlot>> RecoveredWheel(TimerFilesReader& reader, int64_t rescan_from) {
  std::map<int64_t, TimerWheelSlot> wheel;
  MQ_RETURN_IF_ERROR(reader.ForEachWheelSlot([&](int64_t i, const TimerWheelSlot& s) { wheel[i] = s; }));
  const int64_t p = reader.precision_ms();
  bool stopped = false;  // recovery stops everything at the first damage
  MQ_RETURN_IF_ERROR(reader.ForEachLogEntry([&](const TimerLogEvent& ev) {
    if (ev.kind == TimerLogEventKind::kError) stopped = true;
    if (stopped || ev.kind != TimerLogEventKind::kUnit) return;
    const int64_t t = TimerUnitSlotTime(ev.unit);
    TimerWheelSlot& slot = wheel[TimerWheelSlotIndex(t, p)];
    if (!TimerWheelSlotHolds(slot, t, p)) slot = TimerWheelSlot{t / p, ev.offset, ev.offset, 0, 0};
    slot.last_pos = ev.offset;
  }, rescan_from));
  return wheel;
}

struct Record {
  PendingTimer timer;
  bool marker = false;
  std::string deletes;  // a marker's TIMER_DEL_UNIQKEY
};

Record ReadRecord(CommitLogReader& log, const RecordDecodeOptions& decode, int64_t pos, const TimerLogUnit& u,
                  int64_t slot_time) {
  Record r;
  r.marker = u.deletes();
  PendingTimer& t = r.timer;
  t.slot_time_ms = slot_time;
  t.timer_log_offset = pos;
  t.unit = u;
  auto m = log.ReadMessage(u.offset_py, decode);
  if (!m.ok()) {
    t.record_error = m.error().message();
    return r;
  }
  t.record_found = true;
  const PropertiesView props = m->properties();
  t.uniq_key = std::string(props.Get("UNIQ_KEY").value_or(""));
  t.real_topic = std::string(props.Get("REAL_TOPIC").value_or(""));
  t.real_queue_id = ParseNumber<int32_t>(props.Get("REAL_QID"), -1);
  t.deliver_ms = ParseNumber<int64_t>(props.Get("TIMER_OUT_MS"), -1);
  t.roll_times = ParseNumber<int32_t>(props.Get("TIMER_ROLL_TIMES"), 0);
  r.deletes = std::string(props.Get("TIMER_DEL_UNIQKEY").value_or(""));
  return r;
}

// The chain of one slot, oldest first (RocketMQ's "normal list" order).
std::vector<Record> WalkChain(TimerFilesReader& reader, CommitLogReader& log, const RecordDecodeOptions& decode,
                              int64_t slot_time, const TimerWheelSlot& slot, std::vector<std::string>& problems) {
  std::vector<Record> chain;
  std::unordered_set<int64_t> seen;  // a damaged prevPos must not loop forever
  for (int64_t pos = slot.last_pos; pos != -1;) {
    const std::string where = "slot " + std::to_string(slot_time) + ": timer-log offset " + std::to_string(pos);
    if (!seen.insert(pos).second) {
      problems.push_back(where + ": the chain loops back to a unit it passed");
      break;
    }
    auto unit = reader.ReadUnit(pos);
    if (!unit.ok()) {
      problems.push_back(where + ": " + unit.error().message());
      break;
    }
    if (TimerUnitSlotTime(*unit) != slot_time) {
      problems.push_back(where + ": the unit belongs to slot " + std::to_string(TimerUnitSlotTime(*unit)));
      break;
    }
    chain.push_back(ReadRecord(log, decode, pos, *unit, slot_time));
    pos = unit->prev_pos;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

void AddSlot(std::vector<Record> chain, PendingTimers& out) {
  std::set<std::string> cancels;
  for (const Record& r : chain)
    if (r.marker && r.timer.record_found) cancels.insert(r.deletes);
  for (Record& r : chain) {
    if (!r.timer.record_found) ++out.missing_records;
    if (r.marker) {
      ++out.markers;
      continue;
    }
    r.timer.recalled = r.timer.record_found && cancels.count(r.timer.real_topic + "+" + r.timer.uniq_key) > 0;
    out.recalled += r.timer.recalled ? 1 : 0;
    out.timers.push_back(std::move(r.timer));
  }
}

}  // namespace

Result<PendingTimers> ComputePendingTimers(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options) {
  auto reader = TimerFilesReader::Open(fs, paths, options);
  if (!reader.ok()) return reader.error();
  PendingTimers out;
  auto checkpoint = reader->ReadCheckpoint();
  if (!checkpoint.ok()) return checkpoint.error();
  if (*checkpoint) {
    out.checkpoint_present = true;
    out.last_read_time_ms = (*checkpoint)->last_read_time_ms;
    out.rescan_from = std::max<int64_t>(0, (*checkpoint)->last_timer_log_flush_pos - reader->log_file_size());
  }
  auto wheel = RecoveredWheel(*reader, out.rescan_from);
  if (!wheel.ok()) return wheel.error();
  auto segments = ListSegments(fs, paths.CommitLogDir());
  if (!segments.ok()) return segments.error();
  CommitLogReader log(fs, std::move(*segments));
  RecordDecodeOptions decode;
  decode.max_record_size = options.max_record_size;
  const int64_t p = reader->precision_ms();
  std::map<int64_t, const TimerWheelSlot*> pending;  // by slot time
  for (const auto& [index, slot] : *wheel) {
    int64_t t = 0;
    if (__builtin_mul_overflow(slot.time_units, p, &t)) continue;  // no time: a damaged slot
    if (TimerWheelSlotIndex(t, p) == index && t >= out.last_read_time_ms && slot.time_units != 0) pending[t] = &slot;
  }
  for (const auto& [t, slot] : pending) {
    ++out.slots;
    out.num_sum += slot->num;
    AddSlot(WalkChain(*reader, log, decode, t, *slot, out.problems), out);
  }
  return out;
}

}  // namespace mqstore
