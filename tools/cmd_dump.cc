// mqstore dump commitlog|cq|index|checkpoint: raw contents, record by record.
#include <string>

#include "format/message_id.h"
#include "format/segment_name.h"
#include "storage/commit_log_scanner.h"
#include "storage/consume_queue_reader.h"
#include "storage/index_file_reader.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/json_writer.h"
#include "tools/progress.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

const std::string kHelp = std::string(
    "usage: mqstore dump commitlog ROOT [--from OFFSET] [--limit N] [--json]\n"
    "       mqstore dump cq ROOT TOPIC QUEUE_ID [--json]\n"
    "       mqstore dump index FILE [--json]\n"
    "       mqstore dump checkpoint ROOT [--json]\n"
    "\n"
    "commitlog: every record in physical order across segment files; blank\n"
    "  records and records that do not decode are shown too (a bad record ends\n"
    "  its file; the dump goes on with the next). --from starts at a record\n"
    "  offset, --limit stops after N records. Exit 1 if any record is bad.\n"
    "cq: queueOffset, commitLogOffset, size, tagsCode of every unit.\n"
    "index: the header, then every live entry (1 .. indexCount-1).\n"
    "checkpoint: the three RocketMQ timestamps (and the 5.x offsets).\n"
    "\n"
    "  --json   one JSON object per line (commitlog: the field names of the\n"
    "           golden expected-commitlog.jsonl files, plus msgId)\n\n") + kStoreFlagsHelp;

const std::set<std::string> ValueFlags() {
  std::set<std::string> flags = kStoreValueFlags;
  flags.insert({"from", "limit"});
  return flags;
}

int DumpCommitLog(const Args& args, const StoreReadOptions& options, Io io) {
  const bool json = args.Has("json");
  auto from = args.GetInt("from", -1);
  auto limit = args.GetInt("limit", -1);
  if (!from.ok() || !limit.ok()) {
    io.err << "mqstore dump: " << (from.ok() ? limit.error() : from.error()).message() << "\n";
    return kExitUsage;
  }
  const StorePaths paths{args.positional()[1]};
  auto segments = ListSegments(FileSystem::Default(), paths.CommitLogDir());
  if (!segments.ok()) {
    io.err << "mqstore dump: " << segments.error().message() << "\n";
    return kExitUsage;
  }
  ScanOptions scan;
  scan.decode.max_record_size = options.max_record_size;
  scan.from_offset = *from;
  CommitLogScanner scanner(FileSystem::Default(), std::move(*segments), scan);
  ProgressBar bar(io.err, "dump");
  Table table({"OFFSET", "SIZE", "TOPIC", "QUEUE", "QOFFSET", "SYSFLAG", "STORE_TIME", "BODY", "CRC", "KEYS", "TAGS"});
  int64_t shown = 0;
  bool bad = false;
  ScanEvent ev;
  while ((*limit < 0 || shown < *limit) && scanner.Next(ev)) {
    bar.Update(scanner.bytes_scanned(), scanner.total_bytes());
    if (ev.kind == ScanEventKind::kEndOfData) continue;
    if (ev.kind == ScanEventKind::kError) {
      bad = true;
      const std::string what = ev.segment->path + ": " + ev.error.message();
      if (json) io.out << JsonLine().Int("commitLogOffset", ev.offset).Str("error", what).Done() << '\n';
      else table.AddRow({std::to_string(ev.offset), "-", "ERROR: " + what});
      continue;
    }
    if (ev.kind == ScanEventKind::kBlank) {
      if (json) io.out << JsonLine().Int("commitLogOffset", ev.offset).Bool("blank", true).Int("storeSize", ev.size).Done() << '\n';
      else table.AddRow({std::to_string(ev.offset), std::to_string(ev.size), "(end-of-file blank)"});
      continue;
    }
    ++shown;
    const MessageRecordView& m = ev.message;
    if (json) {
      io.out << RecordJson(ev.offset, m) << '\n';
      continue;
    }
    const PropertiesView props = m.properties();
    table.AddRow({std::to_string(ev.offset), std::to_string(m.total_size), std::string(m.topic),
                  std::to_string(m.queue_id), std::to_string(m.queue_offset), std::to_string(m.sys_flag),
                  FormatMillis(m.store_timestamp), std::to_string(m.body.size()), m.BodyCrcMatches() ? "ok" : "BAD",
                  std::string(props.Get("KEYS").value_or("")), std::string(props.Get("TAGS").value_or(""))});
  }
  if (!json) table.Print(io.out);
  return bad ? kExitDataProblem : kExitOk;
}

int DumpConsumeQueue(const Args& args, const StoreReadOptions& options, Io io) {
  if (args.positional().size() != 4) {
    io.err << "mqstore dump cq: expected ROOT TOPIC QUEUE_ID\n";
    return kExitUsage;
  }
  const StorePaths paths{args.positional()[1]};
  const std::string& topic = args.positional()[2];
  const auto queue_id = ParseSize(args.positional()[3]);
  if (!queue_id) {
    io.err << "mqstore dump cq: bad QUEUE_ID '" << args.positional()[3] << "'\n";
    return kExitUsage;
  }
  ConsumeQueueLocation loc{topic, static_cast<int32_t>(*queue_id),
                           JoinPath(JoinPath(paths.ConsumeQueueDir(), topic), std::to_string(*queue_id)), {}};
  auto segments = ListSegments(FileSystem::Default(), loc.dir);
  if (!segments.ok() || segments->empty()) {
    io.err << "mqstore dump cq: no consume-queue files in " << loc.dir << "\n";
    return kExitUsage;
  }
  loc.segments = std::move(*segments);
  auto reader = ConsumeQueueReader::Open(FileSystem::Default(), loc, options.consume_queue_file_size);
  if (!reader.ok()) {
    io.err << "mqstore dump cq: " << reader.error().message() << "\n";
    return kExitDataProblem;
  }
  const bool json = args.Has("json");
  Table table({"QUEUE_OFFSET", "COMMITLOG_OFFSET", "SIZE", "TAGS_CODE"});
  Status st = reader->ForEachUnit([&](int64_t n, const ConsumeQueueUnit& u) {
    if (json)
      io.out << JsonLine().Int("queueOffset", n).Int("commitLogOffset", u.commit_log_offset).Int("size", u.size)
                    .Int("tagsCode", u.tags_code).Bool("blankPad", u.IsBlankPad()).Done() << '\n';
    else
      table.AddRow({std::to_string(n), std::to_string(u.commit_log_offset), std::to_string(u.size),
                    std::to_string(u.tags_code)});
  });
  if (!json) table.Print(io.out);
  if (!st.ok()) {
    io.err << "mqstore dump cq: " << st.message() << "\n";
    return kExitDataProblem;
  }
  return kExitOk;
}

int DumpIndex(const Args& args, const StoreReadOptions& options, Io io) {
  const std::string& path = args.positional()[1];
  auto info = FileSystem::Default().Stat(path);
  if (!info.ok() || !info->is_regular) {
    io.err << "mqstore dump index: " << path << " is not a file\n";
    return kExitUsage;
  }
  SegmentFile file{path, path, 0, info->size, info->mtime_ms};
  auto index = IndexFileReader::Open(FileSystem::Default(), file, options.index_geometry);
  if (!index.ok()) {
    io.err << "mqstore dump index: " << index.error().message() << "\n";
    return kExitDataProblem;
  }
  const IndexHeader& h = index->header();
  const IndexGeometry& g = index->geometry();
  const bool json = args.Has("json");
  if (json) {
    io.out << JsonLine().Str("type", "header").Str("file", path).Int("beginTimestamp", h.begin_timestamp)
                  .Int("endTimestamp", h.end_timestamp).Int("beginPhyOffset", h.begin_phy_offset)
                  .Int("endPhyOffset", h.end_phy_offset).Int("hashSlotCount", h.hash_slot_count)
                  .Int("indexCount", h.index_count).Int("maxHashSlotNum", g.max_hash_slot_num)
                  .Int("maxIndexNum", g.max_index_num).Done() << '\n';
  } else {
    io.out << "index file " << path << " (" << g.max_hash_slot_num << " slots, " << g.max_index_num << " entries)\n"
           << "  beginTimestamp " << h.begin_timestamp << "  " << FormatMillis(h.begin_timestamp) << "\n"
           << "  endTimestamp   " << h.end_timestamp << "  " << FormatMillis(h.end_timestamp) << "\n"
           << "  beginPhyOffset " << h.begin_phy_offset << "\n  endPhyOffset   " << h.end_phy_offset << "\n"
           << "  hashSlotCount  " << h.hash_slot_count << "\n  indexCount     " << h.index_count << "\n\n";
  }
  Table table({"ENTRY", "SLOT", "KEY_HASH", "PHY_OFFSET", "TIME_DIFF_S", "PREV"});
  index->ForEachEntry([&](int32_t n, const IndexEntry& e) {
    const int32_t slot = e.key_hash % g.max_hash_slot_num;
    if (json)
      io.out << JsonLine().Str("type", "entry").Int("entry", n).Int("slot", slot).Int("keyHash", e.key_hash)
                    .Int("phyOffset", e.phy_offset).Int("timeDiff", e.time_diff).Int("prevIndex", e.prev_index).Done()
             << '\n';
    else
      table.AddRow({std::to_string(n), std::to_string(slot), std::to_string(e.key_hash), std::to_string(e.phy_offset),
                    std::to_string(e.time_diff), std::to_string(e.prev_index)});
  });
  if (!json) table.Print(io.out);
  return kExitOk;
}

int DumpCheckpoint(const Args& args, Io io) {
  const StorePaths paths{args.positional()[1]};
  if (!FileSystem::Default().Exists(paths.CheckpointFile())) {
    io.err << "mqstore dump checkpoint: " << paths.CheckpointFile() << " does not exist\n";
    return kExitUsage;
  }
  auto cp = ReadCheckpointFile(FileSystem::Default(), paths);
  if (!cp.ok()) {
    io.err << "mqstore dump checkpoint: " << cp.error().message() << "\n";
    return kExitDataProblem;
  }
  const Checkpoint& c = *cp;
  if (args.Has("json")) {
    io.out << JsonLine().Int("physicMsgTimestamp", c.physic_msg_timestamp)
                  .Int("logicsMsgTimestamp", c.logics_msg_timestamp).Int("indexMsgTimestamp", c.index_msg_timestamp)
                  .Int("masterFlushedOffset", c.master_flushed_offset).Int("confirmPhyOffset", c.confirm_phy_offset)
                  .Done() << '\n';
    return kExitOk;
  }
  Table table({"FIELD", "VALUE", "TIME"});
  table.AddRow({"physicMsgTimestamp", std::to_string(c.physic_msg_timestamp), FormatMillis(c.physic_msg_timestamp)});
  table.AddRow({"logicsMsgTimestamp", std::to_string(c.logics_msg_timestamp), FormatMillis(c.logics_msg_timestamp)});
  table.AddRow({"indexMsgTimestamp", std::to_string(c.index_msg_timestamp), FormatMillis(c.index_msg_timestamp)});
  table.AddRow({"masterFlushedOffset", std::to_string(c.master_flushed_offset), ""});
  table.AddRow({"confirmPhyOffset", std::to_string(c.confirm_phy_offset), ""});
  table.AddRow({"minTimestamp (recovery)", std::to_string(c.MinTimestamp()), FormatMillis(c.MinTimestamp())});
  table.Print(io.out);
  return kExitOk;
}

}  // namespace

int RunDump(const std::vector<std::string>& argv, Io io) {
  Args args;
  int code = 0;
  if (!ParseOrUsage(argv, ValueFlags(), {"json"}, kHelp.c_str(), io, args, code)) return code;
  const auto& pos = args.positional();
  if (pos.size() < 2) {
    io.err << "mqstore dump: expected a kind and a path\n\n" << kHelp;
    return kExitUsage;
  }
  auto options = StoreOptionsFromArgs(args);
  if (!options.ok()) {
    io.err << "mqstore dump: " << options.error().message() << "\n";
    return kExitUsage;
  }
  const std::string& kind = pos[0];
  if (kind == "cq") return DumpConsumeQueue(args, *options, io);
  if (pos.size() != 2) {
    io.err << "mqstore dump " << kind << ": expected one path\n\n" << kHelp;
    return kExitUsage;
  }
  if (kind == "commitlog") return DumpCommitLog(args, *options, io);
  if (kind == "index") return DumpIndex(args, *options, io);
  if (kind == "checkpoint") return DumpCheckpoint(args, io);
  io.err << "mqstore dump: unknown kind '" << kind << "'\n\n" << kHelp;
  return kExitUsage;
}

}  // namespace mqstore::cli
