// mqstore inspect ROOT: a summary of a store root.
#include <string>
#include <vector>

#include "storage/cleanup/cleanup_policy.h"
#include "storage/store_config.h"
#include "storage/offline/store_summary.h"
#include "storage/io/clock.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/inspect_timers.h"
#include "tools/json_writer.h"
#include "tools/progress.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

const std::string kHelp = std::string(
    "usage: mqstore inspect ROOT [--json] [--set fileReservedTime=H] [--now MS]\n"
    "                            [store layout options]\n"
    "\n"
    "Summarises a store root: commit-log segments (first/last record, record\n"
    "count, how each ends, age and expiry), min/max physical offset, per\n"
    "topic/queue message counts and queue-offset ranges, consume-queue and\n"
    "index files, checkpoint values and whether the abort marker exists; with\n"
    "timer files, the timers still pending by when they come due after\n"
    "timercheck's lastReadTimeMs, and the delay-level messages of each\n"
    "SCHEDULE_TOPIC_XXXX queue by their due time (tagsCode) against --now. Exit 1\n"
    "if a segment holds a record that does not decode, a file cannot be read, or\n"
    "a FIFO, socket or device stands where a store file should be (listed as not\n"
    "a regular file, never opened).\n"
    "\n"
    "Expiry follows RocketMQ's time-based cleanup: a segment expires once its\n"
    "mtime + fileReservedTime hours has passed; the newest segment is always\n"
    "kept and cleanup stops at the first segment not expired, so only the\n"
    "oldest run of expired segments is deletable now (an expired segment after\n"
    "it shows as \"expired, blocked\").\n"
    "\n"
    "  --json                  one JSON object per line (\"type\": store|segment|\n"
    "                          queue|consumeQueue|indexFile|checkpoint|timers|\n"
    "                          delayLevelQueue)\n"
    "  --set fileReservedTime=H\n"
    "                          hours a segment is kept (default 72, or --config's)\n"
    "  --set timerPrecisionMs=MS, --set mappedFileSizeTimerLog=BYTES\n"
    "                          the timer settings (default --config's, else 1000\n"
    "                          ms and the timer-log files' size)\n"
    "  --now MS                the time expiry is judged at, ms since the epoch\n"
    "                          (default: the clock)\n\n") + kStoreFlagsHelp;

// One segment under RocketMQ's time-based retention
// (MappedFileQueue.deleteExpiredFileByTime).
struct SegmentRetention {
  int64_t age_ms = 0;
  int64_t expires_at = 0;  // mtime + fileReservedTime
  bool expired = false;    // by time alone
  bool deletable = false;  // in the oldest expired run, not the newest
  bool newest = false;
};

struct Retention {
  int32_t reserved_hours = 72;
  int64_t now_ms = 0;
  std::vector<SegmentRetention> segments;  // parallel to StoreSummary::segments
  size_t deletable = 0;
  uint64_t deletable_bytes = 0;
};

Retention ComputeRetention(const StoreSummary& s, int32_t reserved_hours, int64_t now_ms) {
  Retention r{reserved_hours, now_ms, {}, 0, 0};
  const int64_t reserved_ms = int64_t{reserved_hours} * 3600 * 1000;
  bool run = true;  // still in the oldest run: RocketMQ's loop breaks at the first live file
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const SegmentFile& f = s.segments[i].file;
    SegmentRetention seg;
    seg.age_ms = now_ms - f.mtime_ms;
    seg.expires_at = f.mtime_ms + reserved_ms;
    seg.expired = IsExpired(f.mtime_ms, reserved_ms, now_ms);
    seg.newest = i + 1 == s.segments.size();  // the loop stops before the last file
    run = run && seg.expired && !seg.newest;
    seg.deletable = run;
    if (run) {
      ++r.deletable;
      r.deletable_bytes += f.size;
    }
    r.segments.push_back(seg);
  }
  return r;
}

// "3d 4h", "5h 2m", "12m", "40s": the two largest units are enough to judge by.
std::string FormatDuration(int64_t ms) {
  if (ms < 0) return "-" + FormatDuration(-ms);
  const int64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h % 24) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m % 60) + "m";
  if (m > 0) return std::to_string(m) + "m";
  return std::to_string(s) + "s";
}

std::string StateText(const SegmentRetention& r, int64_t now_ms) {
  if (r.newest) return "newest, kept";
  if (r.deletable) return "expired";
  if (r.expired) return "expired, blocked";
  return "expires in " + FormatDuration(r.expires_at - now_ms);
}

std::string TailText(const SegmentSummary& s) {
  switch (s.tail) {
    case SegmentSummary::Tail::kBlank: return "blank " + std::to_string(s.tail_size);
    case SegmentSummary::Tail::kZeros: return "zeros " + std::to_string(s.tail_size);
    case SegmentSummary::Tail::kError: return "ERROR: " + s.error;
    case SegmentSummary::Tail::kNone: return "full";
  }
  return "";
}

const char* TailKind(const SegmentSummary& s) {
  switch (s.tail) {
    case SegmentSummary::Tail::kBlank: return "blank";
    case SegmentSummary::Tail::kZeros: return "zeros";
    case SegmentSummary::Tail::kError: return "error";
    case SegmentSummary::Tail::kNone: return "full";
  }
  return "";
}

void PrintJson(const StoreSummary& s, const Retention& r, const std::string& root, std::ostream& out) {
  out << JsonLine()
             .Str("type", "store")
             .Str("root", root)
             .Int("segmentSize", s.segment_size)
             .UInt("segments", s.segments.size())
             .Int("minPhyOffset", s.min_phy_offset)
             .Int("maxPhyOffset", s.max_phy_offset)
             .UInt("records", s.records)
             .UInt("preparedOrRollbackRecords", s.transaction_half_or_rollback)
             .Bool("abort", s.abort_present)
             .Bool("lock", s.lock_present)
             .Int("fileReservedTime", r.reserved_hours)
             .Int("now", r.now_ms)
             .UInt("deletableSegments", r.deletable)
             .UInt("deletableBytes", r.deletable_bytes)
             .Done()
      << '\n';
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const SegmentSummary& seg = s.segments[i];
    const SegmentRetention& ret = r.segments[i];
    JsonLine line;
    line.Str("type", "segment").Str("file", seg.file.name).UInt("size", seg.file.size)
        .Int("firstRecordOffset", seg.first_record_offset).Int("lastRecordOffset", seg.last_record_offset)
        .UInt("records", seg.records).Int("dataEnd", seg.data_end).Str("tail", TailKind(seg))
        .Int("tailSize", seg.tail_size).Int("mtime", seg.file.mtime_ms)
        .Int("ageMs", ret.age_ms).Int("expiresAt", ret.expires_at).Bool("expired", ret.expired)
        .Bool("deletable", ret.deletable);
    if (!seg.error.empty()) line.Str("error", seg.error);
    out << line.Done() << '\n';
  }
  for (const auto& [key, q] : s.queues)
    out << JsonLine().Str("type", "queue").Str("topic", key.first).Int("queueId", key.second)
               .UInt("messages", q.messages).Int("minQueueOffset", q.min_queue_offset)
               .Int("maxQueueOffset", q.max_queue_offset).Done() << '\n';
  for (const ConsumeQueueSummary& cq : s.consume_queues) {
    JsonLine line;
    line.Str("type", "consumeQueue").Str("topic", cq.topic).Int("queueId", cq.queue_id).UInt("files", cq.files)
        .Int("minOffset", cq.min_offset).Int("maxOffset", cq.max_offset);
    if (!cq.error.empty()) line.Str("error", cq.error);
    out << line.Done() << '\n';
  }
  for (const IndexFileSummary& ix : s.index_files) {
    JsonLine line;
    line.Str("type", "indexFile").Str("file", ix.file.name).UInt("size", ix.file.size);
    if (ix.error.empty()) {
      line.Int("beginTimestamp", ix.header.begin_timestamp).Int("endTimestamp", ix.header.end_timestamp)
          .Int("beginPhyOffset", ix.header.begin_phy_offset).Int("endPhyOffset", ix.header.end_phy_offset)
          .Int("hashSlotCount", ix.header.hash_slot_count).Int("indexCount", ix.header.index_count)
          .Int("maxHashSlotNum", ix.geometry.max_hash_slot_num).Int("maxIndexNum", ix.geometry.max_index_num);
    } else {
      line.Str("error", ix.error);
    }
    out << line.Done() << '\n';
  }
  for (const std::string& path : s.not_regular)
    out << JsonLine().Str("type", "notRegularFile").Str("file", path).Str("error", "not a regular file").Done() << '\n';
  JsonLine checkpoint;
  checkpoint.Str("type", "checkpoint").Bool("present", s.checkpoint_present)
      .Int("physicMsgTimestamp", s.checkpoint.physic_msg_timestamp)
      .Int("logicsMsgTimestamp", s.checkpoint.logics_msg_timestamp)
      .Int("indexMsgTimestamp", s.checkpoint.index_msg_timestamp)
      .Int("masterFlushedOffset", s.checkpoint.master_flushed_offset)
      .Int("confirmPhyOffset", s.checkpoint.confirm_phy_offset);
  if (!s.checkpoint_error.empty()) checkpoint.Str("error", s.checkpoint_error);
  out << checkpoint.Done() << '\n';
}

void PrintText(const StoreSummary& s, const Retention& r, const std::string& root, std::ostream& out) {
  out << "store root " << DisplayText(root) << "\n\n";
  out << "commit log: " << s.segments.size() << " segment(s) of " << s.segment_size << " bytes, "
      << s.records << " records (" << s.transaction_half_or_rollback << " prepared/rollback), physical offsets "
      << s.min_phy_offset << " .. " << s.max_phy_offset << "; deletable by expiry now: " << r.deletable
      << " segment(s), " << r.deletable_bytes << " bytes (fileReservedTime " << r.reserved_hours << "h, now "
      << FormatMillis(r.now_ms) << ")\n";
  Table segs({"FILE", "SIZE", "FIRST", "LAST", "RECORDS", "END", "TAIL", "MODIFIED", "AGE", "EXPIRES", "STATE"});
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const SegmentSummary& seg = s.segments[i];
    const SegmentRetention& ret = r.segments[i];
    segs.AddRow({seg.file.name, std::to_string(seg.file.size),
                 seg.first_record_offset < 0 ? "-" : std::to_string(seg.first_record_offset),
                 seg.last_record_offset < 0 ? "-" : std::to_string(seg.last_record_offset),
                 std::to_string(seg.records), std::to_string(seg.data_end), TailText(seg),
                 FormatMillis(seg.file.mtime_ms), FormatDuration(ret.age_ms), FormatMillis(ret.expires_at),
                 StateText(ret, r.now_ms)});
  }
  if (!segs.empty()) segs.Print(out);

  out << "\nqueues in the commit log: " << s.queues.size() << "\n";
  Table queues({"TOPIC", "QUEUE", "MESSAGES", "FIRST_QOFFSET", "LAST_QOFFSET"});
  for (const auto& [key, q] : s.queues)
    queues.AddRow({key.first, std::to_string(key.second), std::to_string(q.messages),
                   std::to_string(q.min_queue_offset), std::to_string(q.max_queue_offset)});
  if (!queues.empty()) queues.Print(out);

  out << "\nconsume queues: " << (s.consume_queues.empty() ? "none" : std::to_string(s.consume_queues.size())) << "\n";
  Table cqs({"TOPIC", "QUEUE", "FILES", "MIN_OFFSET", "MAX_OFFSET", "PROBLEM"});
  for (const ConsumeQueueSummary& cq : s.consume_queues)
    cqs.AddRow({cq.topic, std::to_string(cq.queue_id), std::to_string(cq.files), std::to_string(cq.min_offset),
                std::to_string(cq.max_offset), cq.error});
  if (!cqs.empty()) cqs.Print(out);

  out << "\nindex files: " << (s.index_files.empty() ? "none" : std::to_string(s.index_files.size())) << "\n";
  Table ix({"FILE", "ENTRIES", "USED_SLOTS", "BEGIN_TIME", "END_TIME", "BEGIN_PHY", "END_PHY", "PROBLEM"});
  for (const IndexFileSummary& f : s.index_files) {
    if (!f.error.empty()) {
      ix.AddRow({f.file.name, "-", "-", "-", "-", "-", "-", f.error});
      continue;
    }
    ix.AddRow({f.file.name, std::to_string(f.header.index_count - 1), std::to_string(f.header.hash_slot_count),
               FormatMillis(f.header.begin_timestamp), FormatMillis(f.header.end_timestamp),
               std::to_string(f.header.begin_phy_offset), std::to_string(f.header.end_phy_offset), ""});
  }
  if (!ix.empty()) ix.Print(out);

  out << "\ncheckpoint:" << (s.checkpoint_present ? "" : " absent (reads as zeros)")
      << (s.checkpoint_error.empty() ? "" : " ERROR: " + DisplayText(s.checkpoint_error)) << "\n";
  if (s.checkpoint_present && s.checkpoint_error.empty()) {
    const Checkpoint& c = s.checkpoint;
    out << "  physicMsgTimestamp  " << c.physic_msg_timestamp << "  " << FormatMillis(c.physic_msg_timestamp) << "\n"
        << "  logicsMsgTimestamp  " << c.logics_msg_timestamp << "  " << FormatMillis(c.logics_msg_timestamp) << "\n"
        << "  indexMsgTimestamp   " << c.index_msg_timestamp << "  " << FormatMillis(c.index_msg_timestamp) << "\n";
  }
  out << "abort file: "
      << (s.abort_present ? "present (the store crashed or is running: abnormal recovery on next open)"
                          : "absent (clean shutdown)")
      << "\n";
  if (!s.not_regular.empty()) {
    out << "\nnot regular files (where store files should be; not read):\n";
    for (const std::string& path : s.not_regular) out << "  " << DisplayText(path) << ": not a regular file\n";
  }
}

// fileReservedTime as the broker reads it: --config, then --set. Other --set
// keys are refused rather than ignored: the layout has its own flags.
Result<int32_t> ReservedHours(const Args& args, StoreConfig config) {
  for (const std::string& kv : args.GetAll("set")) {
    if (kv.find('=') != std::string::npos && kv.rfind("fileReservedTime=", 0) != 0 &&
        kv.rfind("timerPrecisionMs=", 0) != 0 && kv.rfind("mappedFileSizeTimerLog=", 0) != 0)
      return Status::InvalidArgument("--set " + kv +
                                     ": inspect only reads fileReservedTime, timerPrecisionMs, mappedFileSizeTimerLog");
    MQ_RETURN_IF_ERROR(ApplySetFlag(config, kv));
  }
  return config.fileReservedTime;
}

}  // namespace

int RunInspect(const std::vector<std::string>& argv, Io io) {
  StoreCommand cmd;
  int code = 0;
  if (!ParseStoreCommand("inspect", argv, {"set", "now"}, {"json"}, kHelp, io, cmd, code)) return code;
  const std::string& root = cmd.root;
  auto hours = ReservedHours(cmd.args, cmd.config);
  auto now = cmd.args.GetInt("now", Clock::System().WallMillis(), 0, INT64_MAX);
  if (!hours.ok() || !now.ok()) {
    io.err << "mqstore inspect: " << (hours.ok() ? now.error() : hours.error()).message() << "\n";
    return kExitUsage;
  }
  if (Status st = ApplyTimerSetFlags(cmd.args, cmd.config, cmd.options, {"fileReservedTime"}); !st.ok()) {
    io.err << "mqstore inspect: " << st.message() << "\n";
    return kExitUsage;
  }
  ProgressBar bar(io.err, "inspect");
  auto summary = SummarizeStore(FileSystem::Default(), cmd.paths, cmd.options,
                                [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  if (!summary.ok()) {
    io.err << "mqstore inspect: " << summary.error().message() << "\n";
    return kExitUsage;
  }
  const Retention retention = ComputeRetention(*summary, *hours, *now);
  auto timers = OverviewTimers(FileSystem::Default(), cmd.paths, cmd.options, *now);
  if (!timers.ok()) {
    io.err << "mqstore inspect: " << timers.error().message() << "\n";
    return kExitDataProblem;
  }
  if (cmd.args.Has("json")) {
    PrintJson(*summary, retention, root, io.out);
    PrintTimerOverviewJson(*timers, *now, io.out);
  } else {
    PrintText(*summary, retention, root, io.out);
    PrintTimerOverviewText(*timers, *now, io.out);
  }

  bool problems = !summary->not_regular.empty() || !summary->checkpoint_error.empty() || !timers->problems.empty();
  for (const auto& seg : summary->segments) problems |= seg.tail == SegmentSummary::Tail::kError;
  for (const auto& cq : summary->consume_queues) problems |= !cq.error.empty();
  for (const auto& ix : summary->index_files) problems |= !ix.error.empty();
  return problems ? kExitDataProblem : kExitOk;
}

}  // namespace mqstore::cli
