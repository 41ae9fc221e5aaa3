#include "storage/offline/timer_verifier.h"

#include "format/java_string_hash.h"
#include "storage/offline/timer_files_reader.h"

namespace mqstore {
namespace {

constexpr std::string_view kTimerTopic = "rmq_sys_wheel_timer";

// What is wrong with the record `u` points at; empty when nothing.
std::string CheckUnitRecord(CommitLogReader& log, const RecordDecodeOptions& decode, const TimerLogUnit& u) {
  const std::string at = "unit's commitLogOffset " + std::to_string(u.offset_py) + ": ";
  auto m = log.ReadMessage(u.offset_py, decode);
  if (!m.ok()) return at + m.error().message();
  if (m->topic != kTimerTopic) return at + "a record of topic " + std::string(m->topic) + ", not " + std::string(kTimerTopic);
  if (m->total_size != u.size_py)
    return at + "sizePy " + std::to_string(u.size_py) + ", but the record is " + std::to_string(m->total_size) +
           " bytes";
  const auto real_topic = m->properties().Get("REAL_TOPIC");
  const int32_t hash = real_topic ? JavaStringHashCode(*real_topic) : 0;
  if (hash != u.topic_hash)
    return at + "topicHash " + std::to_string(u.topic_hash) + ", but REAL_TOPIC '" +
           std::string(real_topic.value_or("")) + "' hashes to " + std::to_string(hash);
  return {};
}

}  // namespace

Result<TimerVerifyCounts> VerifyTimerFiles(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                           CommitLogReader& log, const VerifyReportFn& problem,
                                           const VerifyReportFn& note) {
  auto reader = TimerFilesReader::Open(fs, paths, options);
  if (!reader.ok()) return reader.error();
  TimerVerifyCounts counts;
  for (const std::string& name : reader->ignored())
    problem({JoinPath(TimerLogDir(paths), name), 0, "not a 20-digit timer-log file; ignored"});
  for (const std::string& path : reader->not_regular()) problem({path, 0, "not a regular file"});
  RecordDecodeOptions decode;
  decode.max_record_size = options.max_record_size;
  MQ_RETURN_IF_ERROR(reader->ForEachLogEntry([&](const TimerLogEvent& ev) {
    if (ev.kind == TimerLogEventKind::kError) return problem({ev.file->path, ev.file_offset, ev.error.message()});
    counts.fillers += ev.kind == TimerLogEventKind::kBlank ? 1 : 0;
    if (ev.kind != TimerLogEventKind::kUnit) return;
    ++counts.units;
    if (ev.unit.offset_py < log.MinOffset())
      return note({ev.file->path, ev.file_offset,
                   "unit's record at commit-log offset " + std::to_string(ev.unit.offset_py) +
                       " was cleaned up (the commit log starts at " + std::to_string(log.MinOffset()) +
                       "): RocketMQ drops this timer when its slot fires"});
    if (std::string what = CheckUnitRecord(log, decode, ev.unit); !what.empty())
      problem({ev.file->path, ev.file_offset, what});
  }));
  Status wheel = reader->ForEachWheelSlot([](int64_t, const TimerWheelSlot&) {});
  if (!wheel.ok()) problem({TimerWheelFile(paths), 0, wheel.message()});
  auto checkpoint = reader->ReadCheckpoint();
  if (!checkpoint.ok()) problem({TimerCheckFile(paths), 0, checkpoint.error().message()});
  return counts;
}

}  // namespace mqstore
