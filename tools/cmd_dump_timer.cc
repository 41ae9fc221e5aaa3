// mqstore dump timerlog|timerwheel|timercheck|timers: the timer files of a
// RocketMQ 5.x store, and the timers it would still fire.
#include <string>

#include "storage/offline/timer_files_reader.h"
#include "storage/offline/timer_pending.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/dump_timer.h"
#include "tools/json_writer.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

int Fail(const std::string& name, const Status& st, Io io, int code = kExitDataProblem) {
  io.err << "mqstore " << name << ": " << DisplayText(st.message()) << "\n";
  return code;
}

// Names in timerlog/ that are not read; true when there was one.
bool ReportOddFiles(const std::string& name, const TimerFilesReader& r, Io io) {
  for (const std::string& f : r.ignored())
    io.err << "mqstore " << name << ": timerlog/" << DisplayText(f) << ": not a 20-digit timer-log file; ignored\n";
  for (const std::string& f : r.not_regular()) io.err << "mqstore " << name << ": " << DisplayText(f) << ": not a regular file\n";
  return !r.not_regular().empty();
}

std::string UnitJson(const TimerLogEvent& ev) {
  const TimerLogUnit& u = ev.unit;
  return JsonLine().Int("timerLogOffset", ev.offset).Str("file", ev.file->name).Int("fileOffset", ev.file_offset)
      .Int("size", kTimerLogUnitSize).Int("prevPos", u.prev_pos).Int("magic", u.magic)
      .Int("writeTimeMs", u.write_time_ms).Int("delayMs", u.delay_ms).Int("commitLogOffset", u.offset_py)
      .Int("sizePy", u.size_py).Int("topicHash", u.topic_hash).Int("reserved", u.reserved)
      .Int("delayedTimeMs", TimerUnitSlotTime(u)).Bool("roll", u.roll()).Bool("delete", u.deletes()).Done();
}

std::string MagicText(int32_t magic) {
  std::string s = std::to_string(magic);
  if (magic & kTimerMagicRoll) s += " roll";
  if (magic & kTimerMagicDelete) s += " delete";
  return s;
}

int DumpTimerLog(TimerFilesReader& reader, const StoreCommand& cmd, Io io) {
  const bool json = cmd.args.Has("json");
  bool bad = ReportOddFiles("dump timerlog", reader, io);
  Table table({"OFFSET", "FILE", "FILE_OFFSET", "PREV_POS", "MAGIC", "WRITE_TIME_MS", "DELAY_MS", "SLOT_TIME",
               "COMMITLOG_OFFSET", "SIZE_PY", "TOPIC_HASH"});
  Status st = reader.ForEachLogEntry([&](const TimerLogEvent& ev) {
    const std::string off = std::to_string(ev.offset), file = ev.file->name, at = std::to_string(ev.file_offset);
    switch (ev.kind) {
      case TimerLogEventKind::kUnit:
        if (json) io.out << UnitJson(ev) << '\n';
        else
          table.AddRow({off, file, at, std::to_string(ev.unit.prev_pos), MagicText(ev.unit.magic),
                        std::to_string(ev.unit.write_time_ms), std::to_string(ev.unit.delay_ms),
                        FormatMillis(TimerUnitSlotTime(ev.unit)), std::to_string(ev.unit.offset_py),
                        std::to_string(ev.unit.size_py), std::to_string(ev.unit.topic_hash)});
        return;
      case TimerLogEventKind::kBlank:
        if (json)
          io.out << JsonLine().Int("timerLogOffset", ev.offset).Str("file", file).Int("fileOffset", ev.file_offset)
                        .Bool("blank", true).Int("size", ev.blank_size).Int("magic", kTimerLogBlankMagic).Done() << '\n';
        else table.AddRow({off, file, at, "(end-of-file filler, " + std::to_string(ev.blank_size) + " bytes)"});
        return;
      case TimerLogEventKind::kEndOfData:
        if (!json) table.AddRow({off, file, at, "(end of data)"});
        return;
      case TimerLogEventKind::kError:
        bad = true;
        if (json)
          io.out << JsonLine().Int("timerLogOffset", ev.offset).Str("file", file).Int("fileOffset", ev.file_offset)
                        .Str("error", ev.error.message()).Done() << '\n';
        else table.AddRow({off, file, at, "ERROR: " + ev.error.message()});
        return;
    }
  });
  if (!json) table.Print(io.out);
  if (!st.ok()) return Fail("dump timerlog", st, io);
  return bad ? kExitDataProblem : kExitOk;
}

// Whether slot `index` holding `s` is due at or after the checkpoint's read
// time (without a checkpoint, as ComputePendingTimers: from time 0).
bool SlotPending(int64_t index, const TimerWheelSlot& s, int32_t p, const std::optional<TimerCheckpoint>& c) {
  int64_t t = 0;
  if (s.time_units == 0 || __builtin_mul_overflow(s.time_units, int64_t{p}, &t)) return false;
  return TimerWheelSlotIndex(t, p) == index && t >= (c ? c->last_read_time_ms : 0);
}

int DumpTimerWheel(TimerFilesReader& reader, const StoreCommand& cmd, Io io) {
  const bool json = cmd.args.Has("json");
  auto checkpoint = reader.ReadCheckpoint();
  if (!checkpoint.ok()) return Fail("dump timerwheel", checkpoint.error(), io);
  const int32_t p = reader.precision_ms();
  Table table({"INDEX", "TIME_UNITS", "TIME", "FIRST_POS", "LAST_POS", "NUM", "MAGIC", "STATE"});
  Status st = reader.ForEachWheelSlot([&](int64_t i, const TimerWheelSlot& s) {
    const bool pending = SlotPending(i, s, p, *checkpoint);
    const int64_t time_ms = static_cast<int64_t>(static_cast<uint64_t>(s.time_units) * static_cast<uint64_t>(p));
    if (json) {
      io.out << JsonLine().Int("index", i).Int("fileOffset", i * kTimerWheelSlotSize).Int("timeValue", s.time_units)
                    .Int("timeMs", time_ms).Int("firstPos", s.first_pos).Int("lastPos", s.last_pos).Int("num", s.num)
                    .Int("magic", s.magic).Bool("pending", pending).Done() << '\n';
      return;
    }
    const bool own = TimerWheelSlotIndex(time_ms, p) == i;
    table.AddRow({std::to_string(i), std::to_string(s.time_units), FormatMillis(time_ms), std::to_string(s.first_pos),
                  std::to_string(s.last_pos), std::to_string(s.num), std::to_string(s.magic),
                  !own ? "not this index's time (damaged or another precision)" : pending ? "pending" : "fired"});
  });
  if (!json) table.Print(io.out);
  if (!st.ok()) return Fail("dump timerwheel", st, io);
  return kExitOk;
}

int DumpTimerCheck(TimerFilesReader& reader, const StoreCommand& cmd, Io io) {
  auto c = reader.ReadCheckpoint();
  if (!c.ok()) return Fail("dump timercheck", c.error(), io);
  if (!*c) return Fail("dump timercheck", Status::NotFound(TimerCheckFile(cmd.paths) + " does not exist"), io, kExitUsage);
  const TimerCheckpoint& t = **c;
  if (cmd.args.Has("json")) {
    io.out << JsonLine().Int("lastReadTimeMs", t.last_read_time_ms).Int("lastTimerLogFlushPos", t.last_timer_log_flush_pos)
                  .Int("lastTimerQueueOffset", t.last_timer_queue_offset)
                  .Int("masterTimerQueueOffset", t.master_timer_queue_offset)
                  .Int("dataVersionStateVersion", t.state_version).Int("dataVersionTimestamp", t.data_version_timestamp)
                  .Int("dataVersionCounter", t.data_version_counter).Done() << '\n';
    return kExitOk;
  }
  Table table({"FIELD", "VALUE", "TIME"});
  table.AddRow({"lastReadTimeMs", std::to_string(t.last_read_time_ms), FormatMillis(t.last_read_time_ms)});
  table.AddRow({"lastTimerLogFlushPos", std::to_string(t.last_timer_log_flush_pos), ""});
  table.AddRow({"lastTimerQueueOffset", std::to_string(t.last_timer_queue_offset), ""});
  table.AddRow({"masterTimerQueueOffset", std::to_string(t.master_timer_queue_offset), ""});
  table.AddRow({"dataVersion.stateVersion", std::to_string(t.state_version), ""});
  table.AddRow({"dataVersion.timestamp", std::to_string(t.data_version_timestamp), FormatMillis(t.data_version_timestamp)});
  table.AddRow({"dataVersion.counter", std::to_string(t.data_version_counter), ""});
  table.Print(io.out);
  return kExitOk;
}

std::string TimerState(const PendingTimer& t) {
  if (!t.record_found) return "record unreadable: " + t.record_error;
  if (t.recalled) return "recalled (a marker in its slot cancels it)";
  if (t.unit.roll()) return "rolled, parked at " + FormatMillis(t.slot_time_ms);
  return "pending";
}

std::string TimerJson(const PendingTimer& t) {
  JsonLine line;
  line.Str("uniqKey", t.uniq_key).Str("realTopic", t.real_topic).Int("realQueueId", t.real_queue_id)
      .Int("deliverMs", t.deliver_ms).Int("commitLogOffset", t.unit.offset_py).Int("timerLogOffset", t.timer_log_offset)
      .Int("currentSlotTimeMs", t.slot_time_ms).Bool("currentUnitIsRoll", t.unit.roll()).Int("rollTimes", t.roll_times)
      .Bool("cancellationPending", t.recalled);
  if (!t.record_found) line.Str("error", t.record_error);
  return line.Done();
}

int DumpTimers(const StoreCommand& cmd, Io io) {
  auto pending = ComputePendingTimers(FileSystem::Default(), cmd.paths, cmd.options);
  if (!pending.ok()) return Fail("dump timers", pending.error(), io);
  const PendingTimers& r = *pending;
  const bool json = cmd.args.Has("json");
  Table table({"UNIQ_KEY", "REAL_TOPIC", "QUEUE", "DELIVER_MS", "DELIVER_TIME", "COMMITLOG_OFFSET", "STATE"});
  for (const PendingTimer& t : r.timers) {
    if (json) io.out << TimerJson(t) << '\n';
    else
      table.AddRow({t.uniq_key, t.real_topic, std::to_string(t.real_queue_id), std::to_string(t.deliver_ms),
                    FormatMillis(t.deliver_ms), std::to_string(t.unit.offset_py), TimerState(t)});
  }
  for (const std::string& p : r.problems) io.err << "mqstore dump timers: " << DisplayText(p) << "\n";
  if (!json) {
    table.Print(io.out);
    io.out << r.timers.size() << " timer(s) in " << r.slots << " pending slot(s) from lastReadTimeMs "
           << r.last_read_time_ms << " (" << FormatMillis(r.last_read_time_ms) << "): " << r.recalled
           << " cancelled by a recall marker in their slot (" << r.markers << " marker(s), not listed), "
           << r.timers.size() - r.recalled - r.missing_records << " will fire; sum of the slots' num " << r.num_sum
           << " (RocketMQ's getAllCongestNum)";
    if (r.missing_records > 0) io.out << "; " << r.missing_records << " unit(s) whose record is gone or unreadable";
    io.out << "\n";
  }
  return r.problems.empty() ? kExitOk : kExitDataProblem;
}

}  // namespace

bool IsTimerDumpKind(const std::string& kind) {
  return kind == "timerlog" || kind == "timerwheel" || kind == "timercheck" || kind == "timers";
}

int RunDumpTimer(const std::string& kind, StoreCommand& cmd, Io io) {
  const std::string name = "dump " + kind;
  if (Status st = ApplyTimerSetFlags(cmd.args, cmd.config, cmd.options); !st.ok()) return Fail(name, st, io, kExitUsage);
  auto reader = TimerFilesReader::Open(FileSystem::Default(), cmd.paths, cmd.options);
  if (!reader.ok()) return Fail(name, reader.error(), io, kExitUsage);
  if (!reader->HasTimerFiles())
    return Fail(name, Status::NotFound("no timer files (timerlog/, timerwheel, config/timercheck) under " + cmd.root), io,
                kExitUsage);
  if (kind == "timerlog") return DumpTimerLog(*reader, cmd, io);
  if (kind == "timerwheel") return DumpTimerWheel(*reader, cmd, io);
  if (kind == "timercheck") return DumpTimerCheck(*reader, cmd, io);
  return DumpTimers(cmd, io);
}

}  // namespace mqstore::cli
