// mqstore inspect ROOT: a summary of a store root.
#include <string>

#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/json_writer.h"
#include "tools/progress.h"
#include "tools/table.h"
#include "storage/store_summary.h"

namespace mqstore::cli {
namespace {

const std::string kHelp = std::string(
    "usage: mqstore inspect ROOT [--json] [store layout options]\n"
    "\n"
    "Summarises a store root: commit-log segments (first/last record, record\n"
    "count, how each ends), min/max physical offset, per topic/queue message\n"
    "counts and queue-offset ranges, consume-queue and index files, checkpoint\n"
    "values and whether the abort marker exists. Exit 1 if a segment holds a\n"
    "record that does not decode.\n"
    "\n"
    "  --json   one JSON object per line (\"type\": store|segment|queue|\n"
    "           consumeQueue|indexFile|checkpoint)\n\n") + kStoreFlagsHelp;

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

void PrintJson(const StoreSummary& s, const std::string& root, std::ostream& out) {
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
             .Done()
      << '\n';
  for (const SegmentSummary& seg : s.segments) {
    JsonLine line;
    line.Str("type", "segment").Str("file", seg.file.name).UInt("size", seg.file.size)
        .Int("firstRecordOffset", seg.first_record_offset).Int("lastRecordOffset", seg.last_record_offset)
        .UInt("records", seg.records).Int("dataEnd", seg.data_end).Str("tail", TailKind(seg))
        .Int("tailSize", seg.tail_size).Int("mtime", seg.file.mtime_ms);
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
  out << JsonLine().Str("type", "checkpoint").Bool("present", s.checkpoint_present)
             .Int("physicMsgTimestamp", s.checkpoint.physic_msg_timestamp)
             .Int("logicsMsgTimestamp", s.checkpoint.logics_msg_timestamp)
             .Int("indexMsgTimestamp", s.checkpoint.index_msg_timestamp)
             .Int("masterFlushedOffset", s.checkpoint.master_flushed_offset)
             .Int("confirmPhyOffset", s.checkpoint.confirm_phy_offset).Done() << '\n';
}

void PrintText(const StoreSummary& s, const std::string& root, std::ostream& out) {
  out << "store root " << root << "\n\n";
  out << "commit log: " << s.segments.size() << " segment(s) of " << s.segment_size << " bytes, "
      << s.records << " records (" << s.transaction_half_or_rollback << " prepared/rollback), physical offsets "
      << s.min_phy_offset << " .. " << s.max_phy_offset << "\n";
  Table segs({"FILE", "SIZE", "FIRST", "LAST", "RECORDS", "END", "TAIL", "MODIFIED"});
  for (const SegmentSummary& seg : s.segments)
    segs.AddRow({seg.file.name, std::to_string(seg.file.size),
                 seg.first_record_offset < 0 ? "-" : std::to_string(seg.first_record_offset),
                 seg.last_record_offset < 0 ? "-" : std::to_string(seg.last_record_offset),
                 std::to_string(seg.records), std::to_string(seg.data_end), TailText(seg),
                 FormatMillis(seg.file.mtime_ms)});
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

  out << "\ncheckpoint:" << (s.checkpoint_present ? "" : " absent (reads as zeros)") << "\n";
  if (s.checkpoint_present) {
    const Checkpoint& c = s.checkpoint;
    out << "  physicMsgTimestamp  " << c.physic_msg_timestamp << "  " << FormatMillis(c.physic_msg_timestamp) << "\n"
        << "  logicsMsgTimestamp  " << c.logics_msg_timestamp << "  " << FormatMillis(c.logics_msg_timestamp) << "\n"
        << "  indexMsgTimestamp   " << c.index_msg_timestamp << "  " << FormatMillis(c.index_msg_timestamp) << "\n";
  }
  out << "abort file: "
      << (s.abort_present ? "present (the store crashed or is running: abnormal recovery on next open)"
                          : "absent (clean shutdown)")
      << "\n";
}

}  // namespace

int RunInspect(const std::vector<std::string>& argv, Io io) {
  StoreCommand cmd;
  int code = 0;
  if (!ParseStoreCommand("inspect", argv, {}, {"json"}, kHelp, io, cmd, code)) return code;
  const std::string& root = cmd.root;
  ProgressBar bar(io.err, "inspect");
  auto summary = SummarizeStore(FileSystem::Default(), StorePaths{root}, cmd.options,
                                [&](uint64_t done, uint64_t total) { bar.Update(done, total); });
  if (!summary.ok()) {
    io.err << "mqstore inspect: " << summary.error().message() << "\n";
    return kExitUsage;
  }
  if (cmd.args.Has("json")) PrintJson(*summary, root, io.out);
  else PrintText(*summary, root, io.out);

  bool problems = false;
  for (const auto& seg : summary->segments) problems |= seg.tail == SegmentSummary::Tail::kError;
  for (const auto& cq : summary->consume_queues) problems |= !cq.error.empty();
  for (const auto& ix : summary->index_files) problems |= !ix.error.empty();
  return problems ? kExitDataProblem : kExitOk;
}

}  // namespace mqstore::cli
