// mqstore dump commitlog|cq|index|checkpoint: raw contents, record by record
// (the timer kinds are in cmd_dump_timer.cc).
#include <charconv>
#include <optional>
#include <string>

#include "format/message_id.h"
#include "format/segment_name.h"
#include "format/topic_name.h"
#include "storage/offline/commit_log_reader.h"
#include "storage/offline/commit_log_scanner.h"
#include "storage/offline/consume_queue_reader.h"
#include "storage/offline/index_file_reader.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/dump_timer.h"
#include "tools/dump_transactions.h"
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
    "       mqstore dump timerlog|timerwheel|timercheck|timers ROOT [--json] [--set KEY=VALUE]\n"
    "       mqstore dump transactions ROOT [--json]\n"
    "\n"
    "commitlog: every record in physical order across segment files; blank\n"
    "  records and records that do not decode are shown too (a bad record ends\n"
    "  its file; the dump goes on with the next). --from starts at a record\n"
    "  offset: one that is not a record start is refused (exit 2) with the\n"
    "  record starts around it. --limit stops after N records. Exit 1 if any\n"
    "  record is bad.\n"
    "cq: queueOffset, commitLogOffset, size, tagsCode of every unit.\n"
    "index: the header, then every live entry (1 .. indexCount-1).\n"
    "checkpoint: the three RocketMQ timestamps (and the 5.x offsets).\n"
    "timerlog: every timer-log unit (timerLogOffset, prevPos, magic, writeTimeMs,\n"
    "  delayMs, commitLogOffset, sizePy, topicHash) and end-of-file filler; a\n"
    "  unit that does not decode is shown with file and offset and ends its\n"
    "  file (exit 1).\n"
    "timerwheel: the non-empty wheel slots (index, time, firstPos, lastPos, num,\n"
    "  magic), each pending (time >= timercheck's lastReadTimeMs) or fired.\n"
    "timercheck: config/timercheck's fields.\n"
    "timers: the timers the store would still fire, found as RocketMQ's recovery\n"
    "  finds them (pending slots, their chains, each unit's record): uniqKey,\n"
    "  realTopic, realQueueId, deliverMs (TIMER_OUT_MS; a rolled timer is due\n"
    "  then but parked at an earlier slot), commitLogOffset. A timer that a\n"
    "  recall marker in its slot cancels is listed as recalled; the markers are\n"
    "  not listed. Exit 1 if a slot's chain breaks.\n"
    "  --set timerPrecisionMs=MS, --set mappedFileSizeTimerLog=BYTES: the timer\n"
    "           settings the store was written with (default: --config's, else\n"
    "           1000 ms and the timer-log files' size)\n"
    "transactions: every half message of RMQ_SYS_TRANS_HALF_TOPIC (halfOffset =\n"
    "  its commit-log offset, queueOffset, realTopic, uniqKey, checks so far)\n"
    "  and the state of its transaction: committed (a COMMIT record names it),\n"
    "  rolled_back (an op record names it, no commit does), discarded (copied\n"
    "  to TRANS_CHECK_MAX_TIME_TOPIC), or pending. The check's copies of a half\n"
    "  share its state; the newest is `latest`. Exit 1 if a record or op body\n"
    "  does not decode.\n"
    "\n"
    "  --json   one JSON object per line (commitlog: the field names of the\n"
    "           golden expected-commitlog.jsonl files, plus msgId)\n\n") + kStoreFlagsHelp;

const std::set<std::string> ValueFlags() {
  std::set<std::string> flags = kStoreValueFlags;
  flags.insert({"from", "limit", "set"});
  return flags;
}

// Prints each path as "not a regular file"; true when there was one.
bool ReportNotRegular(const std::string& name, const std::vector<std::string>& paths, Io io) {
  for (const std::string& path : paths)
    io.err << "mqstore " << name << ": " << DisplayText(path) << ": not a regular file\n";
  return !paths.empty();
}

std::string Where(const SegmentFile& s) { return " in " + s.name; }

// OK when `from` is where a record (or the end-of-file blank) starts, or
// where the data ends; otherwise what it is instead, with the record starts
// around it. Walks the records of the one segment holding `from`.
Status CheckRecordStart(const std::vector<SegmentFile>& segments, int64_t from, const StoreReadOptions& options) {
  const std::string x = "--from " + std::to_string(from);
  if (segments.empty()) return Status::InvalidArgument(x + ": the commit log has no segment files");
  const int64_t first = segments.front().start_offset;
  const int64_t end = segments.back().start_offset + static_cast<int64_t>(segments.back().size);
  if (from < first || from > end)
    return Status::InvalidArgument(x + " is outside the commit log's files [" + std::to_string(first) + ", " +
                                   std::to_string(end) + ")");
  if (from == end) return Status::Ok();  // where the files end: nothing to dump
  const SegmentFile* seg = nullptr;
  const SegmentFile* below = nullptr;  // the last file before `from`
  for (const SegmentFile& s : segments) {
    if (from >= s.start_offset && from < s.start_offset + static_cast<int64_t>(s.size)) seg = &s;
    if (s.start_offset <= from) below = &s;
  }
  if (seg == nullptr)
    return Status::InvalidArgument(x + " is in no segment file: " + below->name + " ends at " +
                                   std::to_string(below->start_offset + static_cast<int64_t>(below->size)) +
                                   " and the next file starts later (a file is missing)");
  if (from == seg->start_offset) return Status::Ok();  // a file starts with a record

  ScanOptions scan;
  scan.decode.check_crc = false;
  scan.decode.max_record_size = options.max_record_size;
  CommitLogScanner scanner(FileSystem::Default(), {*seg}, scan);
  int64_t before = seg->start_offset;  // the last record start below `from`
  ScanEvent ev;
  while (scanner.Next(ev)) {
    const std::string after = std::to_string(ev.offset);
    if (ev.offset == from) return Status::Ok();
    if (ev.kind == ScanEventKind::kError) {
      // The walk cannot reach `from`: accept it if a record that names
      // itself as starting there does.
      CommitLogReader reader(FileSystem::Default(), {*seg});
      if (reader.ReadMessage(from, scan.decode).ok()) return Status::Ok();
      return Status::InvalidArgument(x + " is not a record start that can be found" + Where(*seg) +
                                     ": its records cannot be followed past " + after + " (" + ev.error.message() +
                                     ") and no record starts at " + std::to_string(from));
    }
    if (ev.kind == ScanEventKind::kEndOfData)
      return Status::InvalidArgument(x + " is past the end of the data" + Where(*seg) + ", which ends at " + after +
                                     " (the last record starts at " + std::to_string(before) + ")");
    if (ev.offset > from)
      return Status::InvalidArgument(x + " is not a record start: the records around it start at " +
                                     std::to_string(before) + " and " + after);
    if (ev.kind == ScanEventKind::kBlank)
      return Status::InvalidArgument(x + " is inside the end-of-file blank record at " + after + Where(*seg) +
                                     "; the next record starts at " +
                                     std::to_string(seg->start_offset + static_cast<int64_t>(seg->size)));
    before = ev.offset;
  }
  return Status::Ok();  // the walk ended exactly at `from`
}

int DumpCommitLog(const StoreCommand& cmd, Io io) {
  const Args& args = cmd.args;
  const bool json = args.Has("json");
  auto from = args.GetInt("from", -1, 0, INT64_MAX);
  auto limit = args.GetInt("limit", -1, 0, INT64_MAX);
  if (!from.ok() || !limit.ok()) {
    io.err << "mqstore dump commitlog: " << (from.ok() ? limit.error() : from.error()).message() << "\n";
    return kExitUsage;
  }
  std::vector<std::string> not_regular;
  auto segments = ListSegments(FileSystem::Default(), cmd.paths.CommitLogDir(), nullptr, &not_regular);
  if (!segments.ok()) {
    io.err << "mqstore dump commitlog: " << segments.error().message() << "\n";
    return kExitDataProblem;
  }
  if (*from >= 0) {
    if (Status st = CheckRecordStart(*segments, *from, cmd.options); !st.ok()) {
      io.err << "mqstore dump commitlog: " << st.message() << "\n";
      return kExitUsage;
    }
  }
  bool bad = ReportNotRegular("dump commitlog", not_regular, io);
  ScanOptions scan;
  scan.decode.max_record_size = cmd.options.max_record_size;
  scan.from_offset = *from;
  CommitLogScanner scanner(FileSystem::Default(), std::move(*segments), scan);
  ProgressBar bar(io.err, "dump");
  Table table({"OFFSET", "SIZE", "TOPIC", "QUEUE", "QOFFSET", "SYSFLAG", "STORE_TIME", "BODY", "CRC", "KEYS", "TAGS"});
  int64_t shown = 0;
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

// QUEUE_ID as RocketMQ's int: decimal, 0 .. 2^31-1.
std::optional<int32_t> ParseQueueId(const std::string& text) {
  int32_t id = -1;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || id < 0) return std::nullopt;
  return id;
}

int DumpConsumeQueue(const StoreCommand& cmd, Io io) {
  const Args& args = cmd.args;
  const std::string& topic = args.positional()[2];
  const auto queue_id = ParseQueueId(args.positional()[3]);
  if (!queue_id) {
    io.err << "mqstore dump cq: bad QUEUE_ID '" << DisplayText(args.positional()[3]) << "' (0 .. 2147483647)\n";
    return kExitUsage;
  }
  // The topic names a directory: one that is not a safe file name would
  // lead outside consumequeue/.
  if (const TopicProblem problem = CheckTopicAsFileName(topic); problem != TopicProblem::kNone) {
    io.err << "mqstore dump cq: " << DescribeTopicProblem(problem, topic, kMaxTopicFileNameBytes) << "\n";
    return kExitUsage;
  }
  ConsumeQueueLocation loc{topic, *queue_id,
                           JoinPath(JoinPath(cmd.paths.ConsumeQueueDir(), topic), std::to_string(*queue_id)), {}};
  std::vector<std::string> not_regular;
  auto segments = ListSegments(FileSystem::Default(), loc.dir, nullptr, &not_regular);
  if (!segments.ok()) {
    io.err << "mqstore dump cq: " << segments.error().message() << "\n";
    return kExitDataProblem;
  }
  const bool odd_files = ReportNotRegular("dump cq", not_regular, io);
  if (segments->empty()) {
    if (odd_files) return kExitDataProblem;
    io.err << "mqstore dump cq: no consume-queue files in " << DisplayText(loc.dir) << "\n";
    return kExitUsage;
  }
  loc.segments = std::move(*segments);
  auto reader = ConsumeQueueReader::Open(FileSystem::Default(), loc, cmd.options.consume_queue_file_size);
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
  return odd_files ? kExitDataProblem : kExitOk;
}

int DumpIndex(const Args& args, const StoreReadOptions& options, Io io) {
  const std::string& path = args.positional()[1];
  auto info = FileSystem::Default().Stat(path);
  if (!info.ok() || !info->is_regular) {
    io.err << "mqstore dump index: " << DisplayText(path)
           << (info.ok() ? ": not a regular file" : info.error().code() == StatusCode::kNotFound ? " does not exist"
                                                                                                : ": cannot stat it")
           << "\n";
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

int DumpCheckpoint(const StoreCommand& cmd, Io io) {
  const Args& args = cmd.args;
  const StorePaths& paths = cmd.paths;
  if (!FileSystem::Default().Exists(paths.CheckpointFile())) {
    io.err << "mqstore dump checkpoint: " << DisplayText(paths.CheckpointFile()) << " does not exist\n";
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
  const std::string& kind = pos[0];
  if (kind != "commitlog" && kind != "cq" && kind != "index" && kind != "checkpoint" && kind != "transactions" &&
      !IsTimerDumpKind(kind)) {
    io.err << "mqstore dump: unknown kind '" << DisplayText(kind) << "'\n\n" << kHelp;
    return kExitUsage;
  }
  const std::string name = "dump " + kind;
  if (pos.size() != (kind == "cq" ? 4u : 2u)) {
    io.err << "mqstore " << name << ": expected " << (kind == "cq" ? "ROOT TOPIC QUEUE_ID" : "one path") << "\n\n"
           << kHelp;
    return kExitUsage;
  }
  if (args.Has("set") && !IsTimerDumpKind(kind)) {
    io.err << "mqstore " << name << ": --set is read only by the timer kinds\n";
    return kExitUsage;
  }
  if (kind == "index") {
    auto config = ConfigFromFlag(args, name, io);
    auto options = config.ok() ? StoreOptionsFromArgs(args, *config) : Result<StoreReadOptions>(config.error());
    if (!options.ok()) {
      io.err << "mqstore " << name << ": " << options.error().message() << "\n";
      return kExitUsage;
    }
    return DumpIndex(args, *options, io);
  }
  const std::string root = pos[1];
  StoreCommand cmd;
  cmd.args = std::move(args);
  if (!PrepareStoreCommand(name, root, io, cmd)) return kExitUsage;
  if (IsTimerDumpKind(kind)) return RunDumpTimer(kind, cmd, io);
  if (kind == "transactions") return RunDumpTransactions(cmd, io);
  if (kind == "commitlog") return DumpCommitLog(cmd, io);
  if (kind == "cq") return DumpConsumeQueue(cmd, io);
  return DumpCheckpoint(cmd, io);
}

}  // namespace mqstore::cli
