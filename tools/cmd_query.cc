// mqstore query ROOT --topic T --key K: messages by key, through the index.
#include <string>

#include "format/message_id.h"
#include "storage/offline/commit_log_reader.h"
#include "storage/offline/index_file_reader.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/json_writer.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

const std::string kHelp = std::string(
    "usage: mqstore query ROOT --topic T --key K [--begin MS] [--end MS] [--max N] [--json]\n"
    "\n"
    "Looks topic#key up in the index files (newest first, as RocketMQ does),\n"
    "reads each candidate record and keeps those whose UNIQ_KEY or one of\n"
    "whose KEYS really is K (the index holds hashes, so collisions are\n"
    "dropped here). --begin/--end bound the store time in ms (default: all);\n"
    "--max caps the candidates (1 .. 64, default 64: maxMsgsNumBatch).\n\n") + kStoreFlagsHelp;

bool HasKey(const MessageRecordView& m, std::string_view key) {
  const PropertiesView props = m.properties();
  if (props.Get("UNIQ_KEY") == key) return true;
  bool found = false;
  if (auto keys = props.Get("KEYS")) ForEachKey(*keys, [&](std::string_view k) { found = found || k == key; });
  return found;
}

}  // namespace

int RunQuery(const std::vector<std::string>& argv, Io io) {
  StoreCommand cmd;
  int code = 0;
  if (!ParseStoreCommand("query", argv, {"topic", "key", "begin", "end", "max"}, {"json"}, kHelp, io, cmd, code))
    return code;
  const Args& args = cmd.args;
  const auto topic = args.Get("topic");
  const auto key = args.Get("key");
  if (!topic || !key) {
    io.err << "mqstore query: expected --topic T --key K\n\n" << kHelp;
    return kExitUsage;
  }
  constexpr auto kMaxCandidates = static_cast<int64_t>(kDefaultMaxMsgsNumBatch);
  auto begin = args.GetInt("begin", 0, 0, INT64_MAX);
  auto end = args.GetInt("end", INT64_MAX, 0, INT64_MAX);
  auto max = args.GetInt("max", kMaxCandidates, 1, kMaxCandidates);
  for (const auto* v : {&begin, &end, &max}) {
    if (v->ok()) continue;
    io.err << "mqstore query: " << v->error().message() << "\n";
    return kExitUsage;
  }
  FileSystem& fs = FileSystem::Default();
  const StorePaths& paths = cmd.paths;
  std::vector<std::string> not_regular;
  auto index_files = ListIndexFiles(fs, paths, &not_regular);
  auto segments = ListSegments(fs, paths.CommitLogDir(), nullptr, &not_regular);
  if (!index_files.ok() || !segments.ok()) {
    io.err << "mqstore query: " << (index_files.ok() ? segments.error() : index_files.error()).message() << "\n";
    return kExitDataProblem;
  }
  bool problems = !not_regular.empty();
  for (const std::string& path : not_regular) io.err << "mqstore query: " << DisplayText(path) << ": not a regular file\n";
  std::vector<IndexFileReader> readers;
  for (const SegmentFile& f : *index_files) {
    auto r = IndexFileReader::Open(fs, f, cmd.options.index_geometry);
    if (!r.ok()) {
      io.err << "mqstore query: " << r.error().message() << "\n";
      problems = true;
      continue;
    }
    readers.push_back(std::move(*r));
  }
  const std::vector<int64_t> candidates =
      QueryIndexOffsets(readers, *topic, *key, static_cast<size_t>(*max), *begin, *end);
  CommitLogReader log(fs, std::move(*segments));
  const bool json = args.Has("json");
  Table table({"OFFSET", "QUEUE", "QOFFSET", "STORE_TIME", "KEYS", "UNIQ_KEY", "MSG_ID"});
  size_t matches = 0;
  for (int64_t offset : candidates) {
    auto rec = log.ReadMessage(offset, {cmd.options.max_record_size, false});
    if (!rec.ok()) {
      io.err << "mqstore query: index points at " << offset << ": " << rec.error().message() << "\n";
      problems = true;
      continue;
    }
    if (rec->topic != *topic || !HasKey(*rec, *key)) continue;  // a hash collision
    ++matches;
    if (json) {
      io.out << RecordJson(offset, *rec) << '\n';
      continue;
    }
    const PropertiesView props = rec->properties();
    table.AddRow({std::to_string(offset), std::to_string(rec->queue_id), std::to_string(rec->queue_offset),
                  FormatMillis(rec->store_timestamp), std::string(props.Get("KEYS").value_or("")),
                  std::string(props.Get("UNIQ_KEY").value_or("")), OffsetMsgId(rec->store_host, offset)});
  }
  if (!json) {
    io.out << DisplayText(*topic) << "#" << DisplayText(*key) << ": " << matches << " message(s) (" << candidates.size()
           << " index candidate(s) in " << readers.size() << " index file(s))\n";
    if (!table.empty()) table.Print(io.out);
  }
  return problems ? kExitDataProblem : kExitOk;
}

}  // namespace mqstore::cli
